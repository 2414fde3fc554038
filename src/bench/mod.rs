//! `kassa bench`: the numbers that matter on thin terminals over SSH.
//!
//! - start-up to first frame with a large catalog, against a bare ratatui
//!   program drawing one frame, both as fresh processes in the same run;
//! - scan event → rendered frame with a 500-position receipt;
//! - bytes written to the terminal per scan at 80x24;
//! - peak resident memory.
//!
//! Nothing here asserts: the numbers are printed for the closing notes.

pub mod devices;
pub mod kilbil;
pub mod maxbonus;
pub mod probonus;
pub mod queue;
pub mod support;

use anyhow::Context;
use clap::Args;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::app;
use crate::catalog_gen;
use crate::config::Config;
use crate::core::catalog::Catalog;
use crate::core::event::Event;
use crate::core::state::{AppState, Durable, Settings};
use crate::core::update::update;
use crate::replay::DEFAULT_CLOCK;
use crate::tui::keymap::Keymap;
use crate::tui::view::{self, Theme};

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Catalog size for the start-up measurement.
    #[arg(long, default_value_t = 100_000)]
    items: usize,
    /// Receipt size for the scan measurement.
    #[arg(long, default_value_t = 500)]
    positions: usize,
    /// Repetitions of each measurement.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Loyalty queue depth for the queue measurements (0 skips them).
    #[arg(long, default_value_t = 10_000)]
    queue_entries: usize,
    /// Internal: run as the start-up child ("kassa" or "bare") and exit after the first frame.
    #[arg(long, hide = true)]
    child: Option<String>,
    /// Internal: the catalog file for the child.
    #[arg(long, hide = true)]
    catalog: Option<PathBuf>,
}

/// Counts bytes on their way to the terminal.
struct Counter<W: Write> {
    inner: W,
    bytes: Arc<AtomicUsize>,
}

impl<W: Write> Write for Counter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes.fetch_add(n, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn fixed_terminal<W: Write>(writer: W, width: u16, height: u16) -> anyhow::Result<Terminal<CrosstermBackend<W>>> {
    let options = TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
    };
    Ok(Terminal::with_options(CrosstermBackend::new(writer), options)?)
}

/// Peak resident set size of this process, from /proc (Linux).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<44} p50 {:>9.3} ms   p99 {:>9.3} ms   max {:>9.3} ms",
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
    );
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    if let Some(child) = &args.child {
        return run_child(child, args.catalog.as_deref());
    }
    let dir = std::env::temp_dir().join(format!("kassa-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let catalog_path = dir.join("catalog.csv");
    std::fs::write(&catalog_path, catalog_gen::generate(args.items))?;
    println!(
        "kassa bench: {} catalog items, {} receipt positions, {} runs",
        args.items, args.positions, args.runs
    );
    startup(args, &dir, &catalog_path)?;
    scans(args, &catalog_path)?;
    if args.queue_entries > 0 {
        queue::run(args.queue_entries, args.runs, &dir, &catalog_path, report)?;
    }
    kilbil::run(args.runs, report)?;
    probonus::run(args.runs, report)?;
    maxbonus::run(args.runs, report)?;
    devices::run(args.runs, report)?;
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// Spawns fresh processes that exit right after their first frame.
fn startup(args: &BenchArgs, dir: &Path, catalog: &Path) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    for (name, child) in [
        ("start-up to first frame, bare ratatui", "bare"),
        ("start-up to first frame, kassa", "kassa"),
    ] {
        let mut samples = Vec::with_capacity(args.runs);
        let mut child_rss = 0;
        for run in 0..args.runs {
            let (elapsed, rss) = start_child(&exe, child, catalog, &dir.join(format!("data-{child}-{run}")))?;
            samples.push(elapsed);
            child_rss = child_rss.max(rss);
        }
        report(name, samples);
        println!("{:<44} peak RSS {:.1} MiB", format!("  ({child})"), child_rss as f64 / 1024.0);
    }
    Ok(())
}

/// Runs one start-up child; how long it took and its peak RSS in KiB.
pub(crate) fn start_child(exe: &Path, child: &str, catalog: &Path, data: &Path) -> anyhow::Result<(Duration, u64)> {
    let started = Instant::now();
    let output = Process::new(exe)
        .args(["bench", "--child", child, "--catalog"])
        .arg(catalog)
        .arg("--data-dir")
        .arg(data)
        .stdin(Stdio::null())
        .output()
        .context("cannot run the start-up child")?;
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    anyhow::ensure!(output.status.success(), "start-up child failed: {stderr}");
    let rss = stderr
        .lines()
        .find_map(|l| l.strip_prefix("rss_kib="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Ok((elapsed, rss))
}

/// The child: load everything, draw one frame to stdout, exit.
fn run_child(which: &str, catalog: Option<&Path>) -> anyhow::Result<()> {
    let stdout = std::io::stdout().lock();
    let mut terminal = fixed_terminal(stdout, 80, 24)?;
    if which == "bare" {
        terminal.draw(|frame| frame.render_widget(ratatui::widgets::Paragraph::new("kassa"), frame.area()))?;
    } else {
        let config = Config {
            catalog: catalog.map(Path::to_path_buf),
            ..Config::default()
        };
        let catalog = Arc::new(app::load_catalog(&config)?);
        let data_dir = std::env::args()
            .skip_while(|a| a != "--data-dir")
            .nth(1)
            .map(PathBuf::from)
            .context("--data-dir")?;
        let now = chrono::NaiveDateTime::parse_from_str(DEFAULT_CLOCK, "%Y-%m-%d %H:%M")?;
        let assembled = app::assemble(&config, catalog, &data_dir, now)?;
        let keymap = Keymap::default_keymap();
        // As the workstation starts: the I/O worker and the loyalty worker
        // with the demo's in-process emulator, then the first frame.
        let (loyalty, _demo) = crate::loyalty::demo::start_if_any(assembled.loyalty, None)?;
        let runtime = crate::runtime::Runtime::start(assembled.state, assembled.executor, assembled.devices, loyalty, |_| {})?;
        terminal.draw(|frame| view::draw(frame, &runtime.state, &keymap, Theme::COLOR))?;
        runtime.shutdown();
    }
    eprintln!("rss_kib={}", peak_rss_kib().unwrap_or(0));
    Ok(())
}

/// A sale of `positions` lines at 80x24, as the scan measurements start it.
fn sale_state(catalog: Arc<Catalog>, barcodes: &[String], positions: usize) -> anyhow::Result<AppState> {
    let now = chrono::NaiveDateTime::parse_from_str(DEFAULT_CLOCK, "%Y-%m-%d %H:%M")?;
    let settings = Settings {
        merge_same_items: false,
        ..Settings::default()
    };
    let mut state = AppState::restore(Arc::new(settings), catalog, Durable::default(), now);
    update(&mut state, Event::Command(crate::core::command::Command::OpenShift));
    for c in "Иванова".chars() {
        update(&mut state, Event::Char(c));
    }
    update(&mut state, Event::Command(crate::core::command::Command::Confirm));
    for code in barcodes.iter().cycle().take(positions) {
        update(&mut state, Event::Scan(code.clone()));
    }
    Ok(state)
}

/// Consecutive scans, as at the till (the receipt grows from `positions`):
/// how long each scan → frame took and the bytes each frame sent at 80x24.
fn scan_frames(state: &mut AppState, barcodes: &[String], positions: usize, scans: usize) -> anyhow::Result<(Vec<Duration>, Vec<usize>)> {
    let keymap = Keymap::default_keymap();
    let theme = Theme::COLOR;
    let written = Arc::new(AtomicUsize::new(0));
    let mut terminal = fixed_terminal(
        Counter {
            inner: std::io::sink(),
            bytes: written.clone(),
        },
        80,
        24,
    )?;
    terminal.draw(|frame| view::draw(frame, state, &keymap, theme))?;
    let mut samples = Vec::new();
    let mut bytes = Vec::new();
    for code in barcodes.iter().cycle().skip(positions).take(scans) {
        let before = written.load(Ordering::Relaxed);
        let started = Instant::now();
        let _effects = update(state, Event::Scan(code.clone()));
        terminal.draw(|frame| view::draw(frame, state, &keymap, theme))?;
        samples.push(started.elapsed());
        bytes.push(written.load(Ordering::Relaxed) - before);
    }
    Ok((samples, bytes))
}

/// Scan → frame on a receipt of `positions` lines, and the bytes each frame sends.
fn scans(args: &BenchArgs, catalog_path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(catalog_path)?;
    let catalog = Arc::new(Catalog::from_csv("bench", &text)?);
    let barcodes: Vec<String> = catalog_gen_barcodes(args.items.min(5000));
    let mut state = sale_state(catalog, &barcodes, args.positions)?;
    let (samples, mut bytes) = scan_frames(&mut state, &barcodes, args.positions, args.runs.max(100))?;
    support::run(args.runs, state.catalog.clone(), &barcodes, report)?;
    let positions = state.receipt().map_or(0, |r| r.positions.len());
    report(&format!("scan → frame, {}→{positions}-position receipt", args.positions), samples);
    let mean = bytes.iter().sum::<usize>() / bytes.len().max(1);
    bytes.sort();
    println!(
        "{:<44} p50 {:>6} B   mean {:>6} B   max {:>6} B",
        "bytes to the terminal per scan, 80x24",
        bytes[bytes.len() / 2],
        mean,
        bytes.last().copied().unwrap_or(0)
    );
    println!(
        "{:<44} {:.1} MiB",
        "peak RSS of this process (catalog + receipt)",
        peak_rss_kib().unwrap_or(0) as f64 / 1024.0
    );
    Ok(())
}

/// Barcodes of the generated catalog's piece items.
fn catalog_gen_barcodes(limit: usize) -> Vec<String> {
    (0..limit)
        .filter(|i| i % 10 != 9)
        .filter_map(|i| crate::core::barcode::with_check_digit(&format!("460{i:09}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 20.15: a hundred consecutive scans at 80x24 send at most 200
    /// bytes each on average, and none sends a page.
    #[test]
    fn a_scan_sends_a_few_bytes_to_the_terminal() {
        let catalog = Arc::new(Catalog::from_csv("bench", &catalog_gen::generate(2000)).expect("catalog"));
        let barcodes = catalog_gen_barcodes(2000);
        let mut state = sale_state(catalog, &barcodes, 500).expect("sale");
        let (_, bytes) = scan_frames(&mut state, &barcodes, 500, 100).expect("scans");
        let mean = bytes.iter().sum::<usize>() / bytes.len();
        let max = bytes.iter().copied().max().unwrap_or(0);
        eprintln!("bytes per scan: mean {mean}, max {max}, all {bytes:?}");
        assert!(mean <= 200, "mean {mean} B per scan");
        assert!(max <= 300, "max {max} B per scan: no page is redrawn");
    }
}
