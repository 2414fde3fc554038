//! The queue's numbers for `kassa bench`: enqueue + flush latency, the drain
//! rate against the local emulator, and start-up with a deep queue.

use chrono::NaiveDateTime;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::core::money::{Money, Quantity};
use crate::core::queue::{Outcome, QueueEntry};
use crate::core::state::Durable;
use crate::emulators::Serving;
use crate::emulators::frontol::{Emulator, Rules, demo_clients};
use crate::loyalty::frontol::{Frontol, Settings};
use crate::loyalty::{ClientId, Document, DocumentKind, Line, Payment, PaymentType, Request};
use crate::store::Store;

/// The benchmarks' fixed clock.
pub(crate) fn at() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default()
}

/// A confirmation like a closed one-line receipt's, with its own uid.
fn entry(id: u64) -> QueueEntry {
    let line = Line {
        index: 1,
        code: "1021".into(),
        name: "Хлеб Бородинский 400г".into(),
        price: Money(100_00),
        min_price: Money(50_00),
        quantity: Quantity::ONE,
        total: Money(100_00),
        before_loyalty: Money(100_00),
        sale_index: None,
    };
    let document = Document {
        uid: format!("00000000-0000-8000-8000-{id:012}"),
        kind: DocumentKind::Sale,
        shift: 1,
        number: id as u32,
        at: at(),
        lines: vec![line],
        promo_code: None,
        closed_at: Some(at()),
        certificates: Vec::new(),
    };
    let request = Request::Confirm {
        client: ClientId::Card("7770000000017".into()),
        document,
        payments: vec![Payment {
            kind: PaymentType::Cash,
            amount: Money(100_00),
        }],
    };
    QueueEntry {
        id,
        provider: "frontol".into(),
        request,
        created: at(),
        attempts: 0,
        last_error: None,
        next_attempt: None,
    }
}

fn fill(store: &Store, count: usize) -> anyhow::Result<()> {
    let entries: Vec<QueueEntry> = (0..count as u64).map(entry).collect();
    for chunk in entries.chunks(500) {
        store.enqueue(chunk, &Durable::default())?;
    }
    Ok(())
}

pub fn run(entries: usize, runs: usize, dir: &Path, catalog: &Path, report: impl Fn(&str, Vec<Duration>)) -> anyhow::Result<()> {
    // Enqueue + flush, one entry at a time, as the cashier's closes do.
    let store_dir = dir.join("queue-enqueue");
    let store = Store::open(&store_dir)?;
    let mut samples = Vec::new();
    for id in 0..1000u64 {
        let started = Instant::now();
        store.enqueue(&[entry(id)], &Durable::default())?;
        samples.push(started.elapsed());
    }
    drop(store);
    report("enqueue + flush of one entry", samples);

    // Start-up with a deep queue: the same child as the start-up measurement.
    let deep = dir.join("queue-deep");
    fill(&Store::open(&deep)?, entries)?;
    let exe = std::env::current_exe()?;
    let mut samples = Vec::new();
    for _ in 0..runs {
        samples.push(super::start_child(&exe, "kassa", catalog, &deep)?.0);
    }
    report(&format!("start-up to first frame, {entries} queued"), samples);

    // Drain: read the head, send it, record the outcome (flushed), repeat.
    let drain_dir = dir.join("queue-drain");
    let store = Store::open(&drain_dir)?;
    fill(&store, entries)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (sent, elapsed) = runtime.block_on(async {
        let emulator = Emulator::new(None, demo_clients(), Rules::default());
        let addr = emulator.spawn("127.0.0.1:0".parse()?).await?;
        let frontol = Frontol::new(Settings {
            url: format!("http://{addr}"),
            key: None,
            organization: "bench".into(),
            business_unit: "0001".into(),
            work_place: "01".into(),
            timeout: Duration::from_secs(5),
            deadline: Default::default(),
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let started = Instant::now();
        let mut sent = 0usize;
        while let (Some(head), _) = store.queue_head()? {
            let outcome = match frontol.call(&head.request, at()).await {
                Ok(_) => Outcome::Sent,
                Err(e) => Outcome::Rejected {
                    text: e.to_string(),
                    at: at(),
                },
            };
            store.queue_done(head.id, &outcome)?;
            sent += usize::from(outcome == Outcome::Sent);
        }
        anyhow::Ok((sent, started.elapsed()))
    })?;
    println!(
        "{:<44} {entries} entries in {:.2} s: {:.0} entries/s ({sent} accepted)",
        "drain against the local emulator",
        elapsed.as_secs_f64(),
        entries as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    Ok(())
}
