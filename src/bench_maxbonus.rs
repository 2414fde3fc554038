//! MaxBonus costs over loopback HTTP against the local emulator (the
//! client's own overhead, without the WAN): the calculation the cashier
//! waits for at the subtotal, and the write before printing (the subtotal's
//! calculation is of the same receipt, so its `calc_id` is reused).

use std::time::{Duration, Instant};

use crate::bench_queue::at;
use crate::core::loyalty::derived_uid;
use crate::core::money::Money;
use crate::emulators::Serving;
use crate::emulators::maxbonus::{Emulator, demo};
use crate::loyalty::maxbonus::{MaxBonus, Settings};
use crate::loyalty::{ClientId, Document, Payment, PaymentType, Request};

/// The KilBil bench's sale, with a UUID for `check_id`.
fn document(number: u32, positions: usize) -> Document {
    Document {
        uid: derived_uid(&format!("bench-maxbonus-{number}")),
        ..crate::bench_kilbil::document(number, positions)
    }
}

pub fn run(runs: usize, report: impl Fn(&str, Vec<Duration>)) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let addr = Emulator::new("bench", demo()).spawn("127.0.0.1:0".parse()?).await?;
        let maxbonus = MaxBonus::new(Settings {
            url: format!("http://{addr}"),
            token: "bench".into(),
            timeout: Duration::from_secs(5),
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let client = ClientId::Phone("+79161234567".into());
        let call = |request: Request| {
            let maxbonus = &maxbonus;
            async move { maxbonus.call(&request, at()).await.map_err(|e| anyhow::anyhow!("{e}")) }
        };
        for positions in [10, 100] {
            let mut calculate = Vec::new();
            let mut write = Vec::new();
            for run in 0..runs.max(20) {
                let document = document((positions * 1000 + run) as u32, positions);
                let started = Instant::now();
                call(Request::Calculate {
                    client: client.clone(),
                    document: document.clone(),
                })
                .await?;
                calculate.push(started.elapsed());
                let money = Money(document.lines.iter().map(|l| l.total.0).sum());
                let started = Instant::now();
                call(Request::Confirm {
                    client: client.clone(),
                    document,
                    payments: vec![Payment {
                        kind: PaymentType::Cash,
                        amount: money,
                    }],
                })
                .await?;
                write.push(started.elapsed());
            }
            report(&format!("maxbonus check (calculation), {positions} positions"), calculate);
            report(&format!("maxbonus check/write (its check reused), {positions} positions"), write);
        }
        anyhow::Ok(())
    })
}
