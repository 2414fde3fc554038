//! A panic must not leave the cashier with a broken terminal or support
//! without a clue. The hook (installed under ratatui's, which restores the
//! terminal first) writes a crash report next to the logs and a marker; the
//! next start finds the marker and tells the cashier that the receipt was
//! restored. The state itself is on disk after every change, so a restart
//! (systemd restarts kassa) resumes where the cashier was.

use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The marker a crash leaves in the logs directory: the report's path.
const MARKER: &str = "crashed";

/// Installs the crash-report hook over the current one.
pub fn install(logs_dir: PathBuf) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let report = report(&info.to_string(), &logs_dir);
        previous(info);
        match write(&logs_dir, &report) {
            Ok(path) => eprintln!("kassa: {}: {}", crate::text::CRASH_REPORT_WRITTEN, path.display()),
            Err(e) => eprintln!(
                "kassa: the crash report could not be written to {}: {e}\n{report}",
                logs_dir.display()
            ),
        }
    }));
}

/// What support needs: version, time, the panic, the backtrace, the terminal, and the last log lines.
fn report(panic: &str, logs_dir: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "kassa {} crashed at {}",
        env!("CARGO_PKG_VERSION"),
        chrono::Local::now().format("%Y-%m-%d %H:%M:%S")
    );
    let _ = writeln!(out, "thread: {}", std::thread::current().name().unwrap_or("?"));
    let _ = writeln!(out, "{panic}");
    for var in ["TERM", "NO_COLOR", "LANG", "SSH_CONNECTION"] {
        let _ = writeln!(out, "{var}={}", std::env::var(var).unwrap_or_default());
    }
    let _ = writeln!(out, "\nbacktrace:\n{}", std::backtrace::Backtrace::force_capture());
    let _ = writeln!(out, "last log lines:");
    for line in crate::logging::tail(logs_dir, 30).unwrap_or_default() {
        let _ = writeln!(out, "  {line}");
    }
    out
}

fn write(logs_dir: &Path, report: &str) -> std::io::Result<PathBuf> {
    crate::private::dir(logs_dir, crate::private::DIR)?;
    let name = format!("crash-{}.txt", chrono::Local::now().format("%Y-%m-%d-%H%M%S"));
    let path = logs_dir.join(name);
    crate::private::write(&path, report)?;
    crate::private::write(&logs_dir.join(MARKER), path.display().to_string())?;
    Ok(path)
}

/// The report of a crash the last run left, once: the marker is removed.
pub fn take_marker(logs_dir: &Path) -> Option<String> {
    let marker = logs_dir.join(MARKER);
    let report = std::fs::read_to_string(&marker).ok()?;
    let _ = std::fs::remove_file(&marker);
    Some(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_holds_the_panic_and_the_log_and_leaves_a_marker() {
        let dir = tempfile::tempdir().expect("temp");
        std::fs::write(dir.path().join("kassa.log.2026-11-23"), "before the crash\n").expect("log");
        let report = report("panicked at src/core/update/sale.rs:10:5:\nindex out of bounds", dir.path());
        let path = write(dir.path(), &report).expect("written");
        let written = std::fs::read_to_string(&path).expect("read");
        assert!(written.contains("index out of bounds") && written.contains("sale.rs:10"));
        assert!(written.contains("before the crash") && written.contains("backtrace:"));
        assert_eq!(take_marker(dir.path()), Some(path.display().to_string()));
        assert_eq!(take_marker(dir.path()), None, "told once");
    }
}
