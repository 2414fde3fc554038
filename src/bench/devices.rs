//! Device costs: a scanner burst at 9600 baud taken whole (no code lost or
//! merged) and how late each code reaches the core; a receipt registered
//! by the Shtrih-M registrar over a pty (the protocol's own round trips);
//! ESC/POS encoding of a receipt.

use std::collections::HashSet;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::core::catalog::Vat;
use crate::core::event::Event;
use crate::core::money::{Money, Quantity};
use crate::devices::framing::Framing;
use crate::devices::port::PortSettings;
use crate::devices::reader::{self, ReaderConfig, ReaderKind};
use crate::devices::shtrih::link::Timing;
use crate::devices::shtrih::registrar::{FiscalMarks, JobKey, Mark, ShtrihPrinter, ShtrihSettings};
use crate::emulators::scanner::SerialKeyboard;
use crate::emulators::shtrih::{Registrar, ShtrihEmulator};
use crate::print::document::{Document, Fiscal, FiscalKind, FiscalPosition, FiscalReceipt};
use crate::print::printer::Printer;

const BURST: usize = 100;

pub fn run(runs: usize, report: impl Fn(&str, Vec<Duration>)) -> anyhow::Result<()> {
    scanner_burst(&report)?;
    registrar_receipts(runs, &report)?;
    let doc = receipt(10);
    let samples = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            for _ in 0..100 {
                std::hint::black_box(crate::devices::escpos::encode(std::hint::black_box(&doc), 42));
            }
            start.elapsed()
        })
        .collect();
    report("ESC/POS encoding, 10-position receipt ×100", samples);
    Ok(())
}

/// 100 codes sent back to back as a 9600-baud line delivers them; then the
/// same 100 in one write (everything in the port's buffer at once).
fn scanner_burst(report: &impl Fn(&str, Vec<Duration>)) -> anyhow::Result<()> {
    let mut scanner = SerialKeyboard::open(None, b"", b"\r")?;
    let port = PortSettings::new(scanner.path(), 9600);
    let byte_time = port.byte_time();
    let (tx, events) = mpsc::channel();
    let handle = reader::start(
        ReaderConfig {
            name: "scanner".into(),
            port,
            framing: Framing::carriage_return(),
            kind: ReaderKind::Scanner,
        },
        move |event| {
            let _ = tx.send(event);
        },
    )?;
    while !matches!(events.recv_timeout(Duration::from_secs(2))?, Event::Device { .. }) {}
    let codes: Vec<String> = (0..BURST).map(|i| format!("46{:011}", 1_000_000 + i)).collect();
    // The line's pace in its own thread; arrivals are timed here as they come.
    let paced = codes.clone();
    let sender = std::thread::spawn(move || -> std::io::Result<(SerialKeyboard, Vec<Instant>)> {
        let mut sent_at = Vec::with_capacity(BURST);
        for code in &paced {
            scanner.scan(code)?;
            sent_at.push(Instant::now());
            // 14 bytes at 9600 baud.
            std::thread::sleep(byte_time * (code.len() as u32 + 1));
        }
        Ok((scanner, sent_at))
    });
    let start = Instant::now();
    let mut arrived = vec![None; BURST];
    let (taken, merged) = collect(&events, &codes, |i| arrived[i] = Some(Instant::now()))?;
    let (mut scanner, sent_at) = sender.join().map_err(|_| anyhow::anyhow!("the scanner thread panicked"))??;
    let latencies = arrived
        .iter()
        .zip(&sent_at)
        .filter_map(|(arrived, sent)| arrived.map(|a| a.saturating_duration_since(*sent)))
        .collect();
    println!(
        "{:<44} {taken} of {BURST} taken, {} lost, {merged} merged or junk, {:.0} ms on the wire",
        "scanner burst at 9600 baud",
        BURST - taken,
        start.elapsed().as_secs_f64() * 1e3
    );
    report("  scanner code → event (after its last byte)", latencies);
    let all: Vec<u8> = codes.iter().flat_map(|c| c.bytes().chain([b'\r'])).collect();
    scanner.send_raw(&all)?;
    let (taken, merged) = collect(&events, &codes, |_| {})?;
    println!(
        "{:<44} {taken} of {BURST} taken, {} lost, {merged} merged or junk",
        "scanner burst in one read",
        BURST - taken
    );
    handle.shutdown();
    Ok(())
}

/// Reads scans until all `codes` came (or a second passes without any):
/// how many came right, and how many were not one of them.
fn collect(events: &mpsc::Receiver<Event>, codes: &[String], mut each: impl FnMut(usize)) -> anyhow::Result<(usize, usize)> {
    let expected: HashSet<&String> = codes.iter().collect();
    let (mut taken, mut wrong) = (0, 0);
    while taken < codes.len() {
        match events.recv_timeout(Duration::from_secs(1)) {
            Ok(Event::Scan(code)) if expected.contains(&code) => {
                each(codes.iter().position(|c| *c == code).unwrap_or(0));
                taken += 1;
            }
            Ok(Event::Scan(_) | Event::DeviceTrouble(_)) => wrong += 1,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok((taken, wrong))
}

/// A sale of `positions` lines, with its printed lines (title, each
/// position with its discount, total, barcode) and its fiscal part.
fn receipt(positions: usize) -> Document {
    let mut printed = Document::default();
    printed.title("ПРОДАЖА");
    for i in 0..positions {
        printed.text(format!("{}. Товар {i}", i + 1));
        printed.pair("   1 × 199.90", "199.90");
        printed.pair("Скидка", "-10.00");
    }
    printed.title(format!("ИТОГ {}", Money(189_90 * positions as i64)));
    printed.barcode("2200000010032");
    Document {
        lines: printed.lines,
        fiscal: Some(Fiscal::Receipt(FiscalReceipt {
            kind: FiscalKind::Sale,
            positions: (0..positions)
                .map(|i| FiscalPosition {
                    name: format!("Товар {i}"),
                    quantity: Quantity::ONE,
                    price: Money(199_90),
                    discount: Money(10_00),
                    mark: None,
                    marks: Vec::new(),
                    vat: Some(Vat::Vat22),
                })
                .collect(),
            cash: Money(189_90 * positions as i64),
            card: Money::ZERO,
            certificate: Money::ZERO,
            notes: Vec::new(),
        })),
        ..Document::default()
    }
}

/// Marks in memory: the bench measures the protocol, not the disk.
struct MemoryMarks(std::sync::Mutex<std::collections::HashMap<u64, Mark>>);

impl FiscalMarks for MemoryMarks {
    fn get(&self, job: &JobKey) -> Option<Mark> {
        self.0.lock().ok()?.get(&job.id).copied()
    }

    fn set(&self, job: &JobKey, mark: Mark) -> Result<(), crate::core::storage::StorageFailure> {
        self.0
            .lock()
            .map_err(|e| crate::core::storage::StorageFailure::Disk(e.to_string()))?
            .insert(job.id, mark);
        Ok(())
    }
}

fn registrar_receipts(runs: usize, report: &impl Fn(&str, Vec<Duration>)) -> anyhow::Result<()> {
    let emulator = ShtrihEmulator::start(None, Registrar::with_open_shift(1), false)?;
    let mut printer = ShtrihPrinter::new(
        ShtrihSettings {
            port: PortSettings::new(emulator.path(), 115_200),
            password: 30,
            timing: Timing::default(),
            department: 1,
            taxes: Default::default(),
            width: 36,
        },
        Box::new(MemoryMarks(Default::default())),
    );
    for positions in [1, 10] {
        let doc = receipt(positions);
        let mut samples = Vec::with_capacity(runs);
        for run in 0..runs {
            let start = Instant::now();
            printer.print((positions * 1000 + run) as u64, &doc)?;
            samples.push(start.elapsed());
        }
        report(&format!("Shtrih-M receipt over a pty, {positions} positions"), samples);
    }
    // A marked unit as the cashier waits for it: FF61h, then FF69h.
    let mut samples = Vec::with_capacity(runs);
    for run in 0..runs {
        let scanned = format!("010460393400079321{run:06}\u{1d}93abcd");
        let code = crate::core::marking::parse(&scanned, &[])?;
        let start = Instant::now();
        printer.check_mark(&code, crate::core::marking::PlannedStatus::Sold)?;
        printer.decide_mark(false)?;
        samples.push(start.elapsed());
    }
    report("Shtrih-M marking code checked and decided over a pty", samples);
    Ok(())
}
