//! KilBil costs the cashier feels: the background recalculation after each
//! scan (`processsale` with the whole receipt) and the confirmation, over
//! loopback HTTP against the local emulator — the client's own overhead
//! (encoding, decoding, matching answers to lines), without the WAN.

use std::time::{Duration, Instant};

use super::queue::at;
use crate::core::money::{Money, Quantity};
use crate::emulators::Serving;
use crate::emulators::kilbil::{Emulator, Rules, demo_clients};
use crate::loyalty::kilbil::{KilBil, Settings};
use crate::loyalty::{ClientId, Document, DocumentKind, Line, Request};

/// A sale of `positions` lines at 199.90 (the ProBonus bench shares it).
pub(crate) fn document(number: u32, positions: usize) -> Document {
    let lines = (0..positions)
        .map(|i| Line {
            index: i as u32 + 1,
            code: format!("{}", 1000 + i),
            name: format!("Товар {i}"),
            price: Money(199_90),
            min_price: Money(150_00),
            quantity: Quantity::ONE,
            total: Money(199_90),
            before_loyalty: Money(199_90),
            sale_index: None,
        })
        .collect();
    Document {
        uid: format!("bench-{number}"),
        kind: DocumentKind::Sale,
        shift: 1,
        number,
        at: at(),
        lines,
        promo_code: None,
        closed_at: Some(at() + chrono::Duration::minutes(1)),
        certificates: Vec::new(),
    }
}

pub fn run(runs: usize, report: impl Fn(&str, Vec<Duration>)) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let emulator = Emulator::new("bench", demo_clients(), Rules::default());
        let addr = emulator.spawn("127.0.0.1:0".parse()?).await?;
        let kilbil = KilBil::new(Settings {
            url: format!("http://{addr}"),
            key: "bench".into(),
            store_code: "0001".into(),
            register_code: "01".into(),
            timeout: Duration::from_secs(5),
            deadline: Default::default(),
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let client = ClientId::Card("7770000000017".into());
        kilbil
            .call(
                &Request::ClientInfo {
                    client: client.clone(),
                    history: false,
                },
                at(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for positions in [10, 100] {
            let mut calculate = Vec::new();
            let mut confirm = Vec::new();
            for run in 0..runs.max(20) {
                let number = (positions * 1000 + run) as u32;
                let document = document(number, positions);
                let started = Instant::now();
                let request = Request::Calculate {
                    client: client.clone(),
                    document: document.clone(),
                };
                kilbil.call(&request, at()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                calculate.push(started.elapsed());
                let started = Instant::now();
                let request = Request::Confirm {
                    client: client.clone(),
                    document,
                    payments: Vec::new(),
                };
                kilbil.call(&request, at()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                confirm.push(started.elapsed());
            }
            report(&format!("kilbil processsale, {positions} positions"), calculate);
            report(&format!("kilbil confirmsale, {positions} positions"), confirm);
        }
        anyhow::Ok(())
    })
}
