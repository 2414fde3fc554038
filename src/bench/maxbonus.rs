//! MaxBonus costs over loopback HTTP against the local emulator (the
//! client's own overhead, without the WAN): the calculation the cashier
//! waits for at the subtotal, and the write before printing (the subtotal's
//! calculation is of the same receipt, so its `calc_id` is reused).

use std::time::Duration;

use super::queue::at;
use crate::core::loyalty::derived_uid;
use crate::emulators::Serving;
use crate::emulators::maxbonus::{Emulator, demo};
use crate::loyalty::maxbonus::{MaxBonus, Settings};
use crate::loyalty::{Document, Request};

/// The KilBil bench's sale, with a UUID for `check_id`.
fn document(number: u32, positions: usize) -> Document {
    Document {
        uid: derived_uid(&format!("bench-maxbonus-{number}")),
        ..super::kilbil::document(number, positions)
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
            deadline: Default::default(),
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let call = async |request: Request| maxbonus.call(&request, at()).await.map(drop).map_err(|e| anyhow::anyhow!("{e}"));
        let labels = ["maxbonus check (calculation)", "maxbonus check/write (its check reused)"];
        super::probonus::calculate_and_confirm(runs, labels, document, call, &report).await?;
        anyhow::Ok(())
    })
}
