//! The real binary on a pseudo-terminal, as on a till's console: a panic
//! in the cashier's loop restores the terminal, leaves a crash report next
//! to the logs, and the restarted workstation resumes the open receipt and
//! says it restarted after a failure.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kassa::emulators::pty::Pty;

#[path = "common/faults.rs"]
mod faults;

/// The tests here run one at a time: each drives a real till on a pty at a
/// typing hand's pace, and a till starved of CPU by its neighbours reads a
/// typed word's keys in one read — as fast as a scanner's, which the wedge
/// reader then takes for a scan (a loaded machine is no typing hand).
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static ONE: Mutex<()> = Mutex::new(());
    ONE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Session {
    child: Child,
    keys: serialport::TTYPort,
    screen: Arc<Mutex<Vec<u8>>>,
    _pty: Pty,
}

impl Session {
    /// `kassa` on a new 80x24 pseudo-terminal (stdin, stdout and stderr), as xterm.
    fn start(data: &Path, fault: Option<&str>) -> Session {
        Session::start_as(data, fault, &[("TERM", "xterm")])
    }

    fn start_as(data: &Path, fault: Option<&str>, vars: &[(&str, &str)]) -> Session {
        Session::run(data, &[], fault, vars)
    }

    /// `kassa ARGS` on a new 80x24 pseudo-terminal.
    fn run(data: &Path, args: &[&str], fault: Option<&str>, vars: &[(&str, &str)]) -> Session {
        let pty = Pty::open(None).expect("pty");
        let open = || {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(pty.path())
                .expect("the terminal side")
        };
        let sized = Command::new("stty")
            .args(["cols", "80", "rows", "24"])
            .stdin(open())
            .status()
            .expect("stty");
        assert!(sized.success());
        let mut command = Command::new(env!("CARGO_BIN_EXE_kassa"));
        command
            .arg("--data-dir")
            .arg(data)
            .args(args)
            .env_remove("KASSA_CONFIG")
            .env_remove("NO_COLOR")
            .envs(vars.iter().copied())
            .stdin(Stdio::from(open()))
            .stdout(Stdio::from(open()))
            .stderr(Stdio::from(open()));
        match fault {
            Some(fault) => command.env("KASSA_FAULT", fault),
            None => command.env_remove("KASSA_FAULT"),
        };
        let child = command.spawn().expect("kassa starts");
        let mut reader = pty.master.try_clone_native().expect("master");
        let keys = pty.master.try_clone_native().expect("master");
        let screen = Arc::new(Mutex::new(Vec::new()));
        let seen = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => seen.lock().expect("screen").extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                    Err(_) => break,
                }
            }
        });
        Session {
            child,
            keys,
            screen,
            _pty: pty,
        }
    }

    /// Types at a quick hand's pace: slower than a keyboard-wedge scanner,
    /// whose bursts (see `a_wedge_scan_…`) are written at once.
    fn type_keys(&mut self, text: &str) {
        for c in text.chars() {
            let mut bytes = [0u8; 4];
            self.keys.write_all(c.encode_utf8(&mut bytes).as_bytes()).expect("a key");
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// `kassa status` of the running till, once it contains `what`.
    fn status_shows(&self, data: &Path, what: &str) {
        let start = Instant::now();
        loop {
            let status = Command::new(env!("CARGO_BIN_EXE_kassa"))
                .arg("--data-dir")
                .arg(data)
                .arg("status")
                .output()
                .expect("kassa status");
            let report = String::from_utf8_lossy(&status.stdout).to_string();
            if report.contains(what) {
                return;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "{what:?} never in the status:\n{report}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn output(&self) -> String {
        self.output_from(0)
    }

    /// What came after the first `from` bytes.
    fn output_from(&self, from: usize) -> String {
        String::from_utf8_lossy(&self.screen.lock().expect("screen")[from..]).to_string()
    }

    fn bytes_so_far(&self) -> usize {
        self.screen.lock().expect("screen").len()
    }

    fn wait_for(&self, what: &str) {
        let start = Instant::now();
        while !self.output().contains(what) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{what:?} never shown:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn a_panic_restores_the_terminal_reports_and_the_restart_resumes_the_receipt() {
    let _alone = one_at_a_time();
    faults::required();
    let data = tempfile::tempdir().expect("temp dir");
    // Ctrl+O, the name, Enter: 9 keys; the code and Enter: 14 more; the 24th panics.
    let mut first = Session::start(data.path(), Some("panic_on_key:24"));
    first.wait_for("смена закрыта");
    first.type_keys("\u{f}Иванова\r");
    // ratatui sends only changed cells: wait for words new to the screen.
    first.wait_for("Кассир");
    first.type_keys("4600972223306\r");
    first.wait_for("Простоквашино");
    first.type_keys("1");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = first.child.try_wait().expect("wait") {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "kassa did not stop after the panic");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(101), "a panic's exit");
    std::thread::sleep(Duration::from_millis(200));
    let output = first.output();
    let panic_at = output.find("KASSA_FAULT").expect("the panic is told");
    assert!(
        output[..panic_at].contains("\u{1b}[?1049l"),
        "the alternate screen was left before the message"
    );
    assert!(
        output.contains("Отчёт для поддержки"),
        "where the report is: {}",
        &output[panic_at..]
    );
    let logs = data.path().join("logs");
    let report = std::fs::read_dir(&logs)
        .expect("logs")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("crash-")))
        .expect("a crash report next to the logs");
    let text = std::fs::read_to_string(report).expect("report");
    assert!(
        text.contains("a panic in the cashier's loop") && text.contains("backtrace:"),
        "{text}"
    );

    let mut second = Session::start(data.path(), None);
    second.wait_for("Касса перезапущена после сбоя");
    second.wait_for("Простоквашино");
    second.child.kill().expect("stop");
    let _ = second.child.wait();
    assert!(!logs.join("crashed").exists(), "told once");
}

/// The Linux console with no colours: only glyphs its font has, no colour
/// codes, the lamp still tells the link.
#[test]
fn the_linux_console_without_colour_gets_plain_glyphs() {
    let _alone = one_at_a_time();
    let data = tempfile::tempdir().expect("temp dir");
    let mut session = Session::start_as(data.path(), None, &[("TERM", "linux"), ("NO_COLOR", "1")]);
    session.wait_for("смена закрыта");
    session.child.kill().expect("stop");
    let _ = session.child.wait();
    let output = session.output();
    assert!(output.contains("· Магазин"), "the lamp drawn with the console's glyph: {output}");
    for foreign in ['○', '●', '✖', '—', '«'] {
        assert!(!output.contains(foreign), "{foreign} is not in the console's font");
    }
    assert!(!output.contains("\u{1b}[38;5") && !output.contains("\u{1b}[48;5"), "no colours");
}

/// `kassa watch` in its own terminal: the cashier's screen, a mirror line,
/// the cashier told; when the workstation stops it says so and picks the
/// screen up again once the workstation is back.
#[test]
fn watch_follows_the_cashier_across_a_restart() {
    let _alone = one_at_a_time();
    let data = tempfile::tempdir().expect("temp dir");
    let mut till = Session::start(data.path(), None);
    till.wait_for("смена закрыта");
    let mut watcher = Session::run(data.path(), &["watch"], None, &[("TERM", "xterm")]);
    watcher.wait_for("экран кассира, только просмотр");
    watcher.wait_for("Смена закрыта. Откройте смену");
    till.wait_for("Смотрит поддержка");
    // `kassa status` from another terminal, while the till runs.
    let status = Command::new(env!("CARGO_BIN_EXE_kassa"))
        .arg("--data-dir")
        .arg(data.path())
        .arg("status")
        .env_remove("KASSA_CONFIG")
        .output()
        .expect("status");
    let report = String::from_utf8_lossy(&status.stdout);
    assert!(
        report.contains("workstation: running") && report.contains("watching: 1"),
        "{report}"
    );
    watcher.type_keys("\u{f}q");
    let start = Instant::now();
    while watcher.child.try_wait().expect("wait").is_none() {
        assert!(start.elapsed() < Duration::from_secs(10), "q leaves the mirror");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !till.output().contains("Открытие смены"),
        "Ctrl+O typed in the mirror opened nothing on the till"
    );

    let mut watcher = Session::run(data.path(), &["watch"], None, &[("TERM", "xterm")]);
    watcher.wait_for("экран кассира");
    till.child.kill().expect("stop the till");
    let _ = till.child.wait();
    // Only changed cells are sent: the part of the note that differs.
    watcher.wait_for("остановлена, ждём её снова");
    let before = watcher.bytes_so_far();
    let mut again = Session::start(data.path(), None);
    again.wait_for("смена закрыта");
    again.type_keys("\u{f}");
    let start = Instant::now();
    while !watcher.output_from(before).contains("Открытие смены") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the mirror came back: {}",
            watcher.output_from(before)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for session in [&mut watcher, &mut again] {
        session.child.kill().expect("stop");
        let _ = session.child.wait();
    }
}

/// The terminals SSH and thin clients bring: each draws the sale screen.
#[test]
fn every_terminal_type_draws_the_screen() {
    let _alone = one_at_a_time();
    for term in [
        "xterm",
        "xterm-256color",
        "screen",
        "screen-256color",
        "tmux-256color",
        "linux",
        "vt100",
    ] {
        let data = tempfile::tempdir().expect("temp dir");
        let mut session = Session::start_as(data.path(), None, &[("TERM", term)]);
        session.wait_for("Откройте смену");
        session.child.kill().expect("stop");
        let _ = session.child.wait();
        let output = session.output();
        assert!(output.contains("\u{1b}[?1049h"), "{term}: the alternate screen");
        assert!(!output.contains("\u{1b}[?1000h"), "{term}: no mouse capture");
    }
}

/// Issue 19.3: a keyboard-wedge burst (200 scans written at once, as a
/// scanner in keyboard mode or a paste over SSH delivers them) is taken
/// whole without waiting for another key: the loop reads until the terminal
/// has nothing more.
#[test]
fn a_burst_of_200_scans_is_taken_whole_without_another_key() {
    let _alone = one_at_a_time();
    let data = tempfile::tempdir().expect("temp dir");
    let mut session = Session::start(data.path(), None);
    session.wait_for("смена закрыта");
    session.type_keys("\u{f}Иванова\r");
    session.wait_for("Кассир");
    let burst = "4600972223306\r".repeat(200);
    session.keys.write_all(burst.as_bytes()).expect("the burst");
    // ratatui draws only changed cells, so ask the running till itself
    // (support's `kassa status`) for the receipt's total: 200 × 149.50.
    session.status_shows(data.path(), "total 29900.00");
    session.child.kill().expect("stop");
    let _ = session.child.wait();
}

/// Issue 20.3: a keyboard-wedge scan typed into an information window is
/// recognised by its speed and taken as a scan: the window gives way and
/// the item is added, instead of the digits vanishing and its Enter
/// closing the window.
#[test]
fn a_wedge_scan_in_an_information_window_adds_the_item() {
    let _alone = one_at_a_time();
    let data = tempfile::tempdir().expect("temp dir");
    let mut session = Session::start(data.path(), None);
    session.wait_for("смена закрыта");
    session.type_keys("\u{f}Иванова\r");
    session.wait_for("Кассир");
    session.keys.write_all(b"4600972223306\r").expect("a scan");
    session.status_shows(data.path(), "1 positions");
    // Ctrl+G, the card, Enter: the balance in the loyalty server's message window.
    session.type_keys("\u{7}7770000000017\r");
    session.wait_for("продолжить");
    session.keys.write_all(b"4600972223306\r").expect("a scan");
    session.status_shows(data.path(), "total 299.00");
    session.child.kill().expect("stop");
    let _ = session.child.wait();
}

/// The log tells a run's story in local time with its offset: the start
/// (version, data, config), the shift opened, the Z-report, the stop.
#[test]
fn the_log_tells_the_start_the_shift_the_z_report_and_the_stop() {
    let _alone = one_at_a_time();
    let data = tempfile::tempdir().expect("temp dir");
    let mut session = Session::start(data.path(), None);
    session.wait_for("смена закрыта");
    session.type_keys("\u{f}Иванова\r");
    session.wait_for("Кассир");
    // Ctrl+Z, confirmed: the shift closes with its Z-report.
    session.type_keys("\u{1a}");
    std::thread::sleep(Duration::from_millis(500));
    session.type_keys("\r");
    session.wait_for("Z-ОТЧЁТ");
    session.type_keys("\u{1b}");
    std::thread::sleep(Duration::from_millis(500));
    // Ctrl+X, confirmed: a clean stop.
    session.type_keys("\u{18}");
    std::thread::sleep(Duration::from_millis(500));
    session.type_keys("\r");
    let start = Instant::now();
    while session.child.try_wait().expect("wait").is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "kassa did not quit:\n{}",
            session.output()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let logs = kassa::logging::files(&data.path().join("logs"));
    let text: String = logs.iter().map(|f| std::fs::read_to_string(f).expect("a log")).collect();
    for line in [
        &format!("INFO kassa: kassa {} started (pid", env!("CARGO_PKG_VERSION")),
        "config loaded: none, the demo",
        "INFO kassa::shift: shift 1 opened by Иванова",
        "INFO kassa::shift: shift 1 closed by Иванова, Z-report: 0 receipts",
        "INFO kassa: stopped",
    ] {
        assert!(text.contains(line), "{line:?} is not in the log:\n{text}");
    }
    let stamp = text.split_whitespace().next().expect("a time");
    chrono::DateTime::parse_from_str(stamp, kassa::logging::TIME_FORMAT).expect("local time with its offset");
}

/// The demo's loyalty server keeps its books in the data folder: a bonus
/// debited before the till is killed is still debited after the restart,
/// so the receipt's confirmation is taken (not refused as «не совпадает
/// со списанной 0.00») and the books count it once.
#[test]
fn a_bonus_debited_before_a_kill_is_confirmed_after_the_restart() {
    let _alone = one_at_a_time();
    let data = tempfile::tempdir().expect("temp dir");
    let mut first = Session::start(data.path(), None);
    first.wait_for("смена закрыта");
    first.type_keys("\u{f}Иванова\r");
    first.wait_for("Кассир");
    first.type_keys("\u{b}7770000000017\r");
    first.status_shows(data.path(), "0017");
    first.type_keys("4640607167315\r");
    first.status_shows(data.path(), "1 positions");
    // F5 (at once: an escape sequence typed slowly is Esc and letters), the
    // precheck, the bonus dialog's maximum.
    first.keys.write_all(b"\x1b[15~").expect("F5");
    std::thread::sleep(Duration::from_millis(500));
    first.type_keys("\r");
    std::thread::sleep(Duration::from_millis(500));
    first.type_keys("\t\r");
    first.wait_for("Списано");
    std::thread::sleep(Duration::from_millis(300));
    first.child.kill().expect("kill -9");
    let _ = first.child.wait();
    let books = data.path().join("demo-loyalty.json");
    assert!(books.exists(), "the demo server's books are kept");

    let mut second = Session::start(data.path(), None);
    second.status_shows(data.path(), "1 positions");
    std::thread::sleep(Duration::from_millis(500));
    second.keys.write_all(b"\x1b[15~").expect("F5");
    std::thread::sleep(Duration::from_millis(500));
    second.keys.write_all(b"\x1b[17~").expect("F6");
    second.status_shows(data.path(), "1 sales");
    let start = Instant::now();
    let counted = loop {
        let text = std::fs::read_to_string(&books).expect("books");
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let counted = value["counted"].as_array().cloned().unwrap_or_default();
        if !counted.is_empty() {
            break counted;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "the confirmation never counted:\n{text}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(counted.len(), 1, "{counted:?}");
    // The server writes its books before it answers: the entry leaves the
    // queue once the answer is in, a moment later.
    let queue = loop {
        let queue = Command::new(env!("CARGO_BIN_EXE_kassa"))
            .arg("--data-dir")
            .arg(data.path())
            .args(["queue", "list"])
            .output()
            .expect("kassa queue list");
        let queue = String::from_utf8_lossy(&queue.stdout).to_string();
        if queue.contains("pending: 0") || start.elapsed() > Duration::from_secs(20) {
            break queue;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(queue.contains("pending: 0") && queue.contains("rejected: 0"), "{queue}");
    second.child.kill().expect("stop");
    let _ = second.child.wait();
}

/// Issue 22.10: the demo on the registrar's emulator sells marked goods:
/// a wedge scanner's code with GS sent as «~», or as the raw GS byte.
#[test]
fn the_demo_on_an_emulated_registrar_sells_a_marked_unit() {
    let _alone = one_at_a_time();
    let data = tempfile::tempdir().expect("temp dir");
    let mut session = Session::run(data.path(), &["--emulated-registrar"], None, &[("TERM", "xterm")]);
    session.wait_for("смена закрыта");
    session.type_keys("\u{f}Иванова\r");
    session.wait_for("Кассир");
    session.keys.write_all(b"0104603934000793215Ab1cD~93dGVz\r").expect("a scan");
    session.status_shows(data.path(), "1 positions");
    session
        .keys
        .write_all(b"0104607025392149215Qq7wE\x1d93pQrs\r")
        .expect("a scan with GS");
    session.status_shows(data.path(), "2 positions");
    session.type_keys("\u{1b}[15~");
    session.child.kill().expect("stop");
    let _ = session.child.wait();
}
