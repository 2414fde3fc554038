//! `kassa bench`: what support tooling costs the till — the session journal
//! per event, the watch mirror per frame — and how fast a journal replays.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::core::catalog::Catalog;
use crate::core::command::Command;
use crate::core::event::Event;
use crate::core::state::{AppState, Durable, Settings};
use crate::core::update::update;
use crate::session::{Masker, Recorder};
use crate::tui::keymap::Keymap;
use crate::tui::view::{self, Theme};

/// Keeps what is written, and counts it.
#[derive(Clone, Default)]
struct Kept {
    bytes: Arc<Mutex<Vec<u8>>>,
    count: Arc<AtomicUsize>,
}

impl Write for Kept {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        self.count.fetch_add(buf.len(), Ordering::Relaxed);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn run(runs: usize, catalog: Arc<Catalog>, barcodes: &[String], report: fn(&str, Vec<Duration>)) -> anyhow::Result<()> {
    let now = chrono::NaiveDateTime::parse_from_str(crate::replay::DEFAULT_CLOCK, "%Y-%m-%d %H:%M")?;
    let mut state = AppState::restore(Arc::new(Settings::default()), catalog.clone(), Durable::default(), now);
    let kept = Kept::default();
    let mut recorder = Recorder::to_writer(Box::new(kept.clone()), Masker::default());
    recorder.start(&state);
    let mut step = |state: &mut AppState, event: Event| {
        let started = Instant::now();
        let coming = recorder.before(state, &event);
        let effects = update(state, event);
        recorder.after(coming, state, !effects.is_empty());
        started.elapsed()
    };
    step(&mut state, Event::Command(Command::OpenShift));
    for c in "Иванова".chars() {
        step(&mut state, Event::Char(c));
    }
    step(&mut state, Event::Command(Command::Confirm));
    let count = runs.max(200);
    // The same scans with no journal, from the same receipt, for the difference.
    let mut bare_state = state.clone();
    let before = kept.count.load(Ordering::Relaxed);
    let journaled: Vec<Duration> = barcodes
        .iter()
        .cycle()
        .take(count)
        .map(|code| step(&mut state, Event::Scan(code.clone())))
        .collect();
    let per_scan = (kept.count.load(Ordering::Relaxed) - before) / count;
    let bare: Vec<Duration> = barcodes
        .iter()
        .cycle()
        .take(count)
        .map(|code| {
            let started = Instant::now();
            update(&mut bare_state, Event::Scan(code.clone()));
            started.elapsed()
        })
        .collect();
    report("scan handled, with the session journal", journaled);
    report("scan handled, no journal", bare);
    println!("{:<44} {per_scan} B", "session journal per scan");
    recorder.finish();
    drop(recorder);

    let text = String::from_utf8(kept.bytes.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone())?;
    let lines = text.lines().count();
    let mut replays = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        crate::session::replay("bench", text.as_bytes(), catalog.clone(), None)?;
        replays.push(started.elapsed());
    }
    replays.sort();
    let median = replays[replays.len() / 2];
    println!(
        "{:<44} {lines} records in {:.1} ms ({:.0} records/s)",
        "journal replay",
        median.as_secs_f64() * 1000.0,
        lines as f64 / median.as_secs_f64()
    );

    let keymap = Keymap::default_keymap();
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24))?;
    let mut encode = Vec::new();
    let mut sizes = Vec::new();
    for code in barcodes.iter().take(runs.max(100)) {
        update(&mut state, Event::Scan(code.clone()));
        let frame = terminal.draw(|f| view::draw(f, &state, &keymap, Theme::COLOR))?;
        let started = Instant::now();
        let line = serde_json::to_string(&crate::watch::Frame::from_buffer(frame.buffer))?;
        encode.push(started.elapsed());
        sizes.push(line.len());
    }
    report("watch: a frame encoded for the mirror, 80x24", encode);
    sizes.sort();
    println!(
        "{:<44} p50 {} B, max {} B",
        "watch: bytes per frame on the local socket",
        sizes[sizes.len() / 2],
        sizes[sizes.len() - 1]
    );
    Ok(())
}
