//! ProBonus costs: the purchase registration after closing — find_by_phone,
//! the transactions lookup that keeps a check from counting twice, then
//! register_check — and the local bonus limit the cashier waits for, over
//! loopback HTTP against the local emulator (the client's own overhead,
//! without the WAN).

use std::time::{Duration, Instant};

use super::queue::at;
use crate::core::loyalty::derived_uid;
use crate::core::money::Money;
use crate::emulators::Serving;
use crate::emulators::probonus::{Credentials, Emulator, demo};
use crate::loyalty::probonus::{Auth, ProBonus, Rules, Settings};
use crate::loyalty::{ClientId, Document, Payment, PaymentType, Request};

/// The KilBil bench's sale, with a GUID for `checkGuid`.
fn document(number: u32, positions: usize) -> Document {
    Document {
        uid: derived_uid(&format!("bench-{number}")),
        ..super::kilbil::document(number, positions)
    }
}

/// For 10 and 100 positions, `runs` receipts each calculated, then confirmed
/// as paid in cash; the two times reported under `labels`.
pub(crate) async fn calculate_and_confirm(
    runs: usize,
    labels: [&str; 2],
    document: fn(u32, usize) -> Document,
    call: impl AsyncFn(Request) -> anyhow::Result<()>,
    report: &impl Fn(&str, Vec<Duration>),
) -> anyhow::Result<()> {
    let client = ClientId::Phone("+79161234567".into());
    for positions in [10, 100] {
        let mut calculate = Vec::new();
        let mut confirm = Vec::new();
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
            confirm.push(started.elapsed());
        }
        report(&format!("{}, {positions} positions", labels[0]), calculate);
        report(&format!("{}, {positions} positions", labels[1]), confirm);
    }
    Ok(())
}

pub fn run(runs: usize, report: impl Fn(&str, Vec<Duration>)) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let credentials = Credentials {
            token: Some("bench".into()),
            login: None,
            ttl: Duration::from_secs(3600),
        };
        let addr = Emulator::new(credentials, 1, demo()).spawn("127.0.0.1:0".parse()?).await?;
        let probonus = ProBonus::new(Settings {
            url: format!("http://{addr}"),
            auth: Auth::Token("bench".into()),
            rest_code: 1,
            rk_unit: 999,
            account_group: Some(3),
            rules: Rules::default(),
            timeout: Duration::from_secs(5),
            deadline: Default::default(),
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let call = async |request: Request| probonus.call(&request, at()).await.map(drop).map_err(|e| anyhow::anyhow!("{e}"));
        let labels = ["probonus bonus limit (local)", "probonus find + lookup + register_check"];
        calculate_and_confirm(runs, labels, document, call, &report).await?;
        anyhow::Ok(())
    })
}
