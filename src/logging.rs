//! Logs: tracing to `<data dir>/logs/kassa.log.<date>`, a file a day, the
//! oldest removed past `[log] keep_days`. The level comes from `[log] level`
//! (a tracing filter: `info`, `warn,kassa::loyalty=debug`); `KASSA_LOG`
//! overrides it for one run. Nothing secret is written: loyalty bodies go
//! through `loyalty::redact`, keys and tokens never. No line holds more
//! than [`MAX_LINE`] bytes, whatever a server sends.

use std::io::Write;
use std::path::{Path, PathBuf};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

/// The log file names: `kassa.log.2026-11-23`.
const PREFIX: &str = "kassa.log";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// A tracing filter directive.
    pub level: String,
    /// Daily files kept.
    pub keep_days: usize,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            level: "info".into(),
            keep_days: 30,
        }
    }
}

/// Whether `level` is a filter tracing understands; the error says why not.
pub fn check_level(level: &str) -> Result<(), String> {
    EnvFilter::try_new(level).map(|_| ()).map_err(|e| e.to_string())
}

pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// The most one log line may hold. Loyalty answers are logged whole
/// (redacted) and are kilobytes; a line past this is cut, so no answer can
/// write tens of megabytes at once.
pub const MAX_LINE: usize = 64 * 1024;

/// Makes writers that each pass on at most `limit` bytes: tracing's fmt
/// layer takes a writer per event and writes the line in one go, so a
/// writer's limit is a line's.
pub struct Capped<M> {
    inner: M,
    limit: usize,
}

impl<M> Capped<M> {
    pub fn new(inner: M, limit: usize) -> Capped<M> {
        Capped { inner, limit }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Capped<M> {
    type Writer = CappedWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        CappedWriter {
            inner: self.inner.make_writer(),
            left: self.limit,
            cut: false,
        }
    }
}

/// One event's writer (see [`Capped`]): past its limit the rest is dropped
/// and the line ends with how much was left out.
pub struct CappedWriter<W> {
    inner: W,
    left: usize,
    cut: bool,
}

impl<W: Write> Write for CappedWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.cut {
            return Ok(bytes.len());
        }
        if bytes.len() <= self.left {
            self.inner.write_all(bytes)?;
            self.left -= bytes.len();
            return Ok(bytes.len());
        }
        // Cut where a character starts, and write the line whole at once:
        // the non-blocking writer keeps each write together.
        let mut end = self.left;
        while end > 0 && bytes.get(end).is_some_and(|b| b & 0xC0 == 0x80) {
            end -= 1;
        }
        let mut line = bytes[..end].to_vec();
        line.extend_from_slice(format!(" … [line cut: {} more bytes]\n", bytes.len() - end).as_bytes());
        self.inner.write_all(&line)?;
        self.cut = true;
        self.left = 0;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Log times as the cashier's screen shows them, in local time, with the
/// offset from UTC so a line means one moment anywhere:
/// `2026-12-07T22:10:05.123+03:00`.
pub struct LocalTime;

/// The format of [`LocalTime`].
pub const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3f%:z";

impl FormatTime for LocalTime {
    fn format_time(&self, w: &mut Writer<'_>) -> std::fmt::Result {
        write!(w, "{}", chrono::Local::now().format(TIME_FORMAT))
    }
}

/// The log's subscriber: local times, no colours, lines cut at [`MAX_LINE`].
pub fn subscriber<W>(writer: W, filter: EnvFilter) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_timer(LocalTime)
        .with_writer(Capped::new(writer, MAX_LINE))
        .with_ansi(false)
        .with_env_filter(filter)
        .finish()
}

/// Starts logging. Keep the guard alive: dropping it flushes the log.
pub fn init(data_dir: &Path, settings: &LogSettings) -> anyhow::Result<WorkerGuard> {
    let dir = dir(data_dir);
    crate::private::dir(&dir, crate::private::DIR)?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(PREFIX)
        .max_log_files(settings.keep_days.max(1))
        .build(&dir)?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("KASSA_LOG").unwrap_or_else(|_| EnvFilter::new(&settings.level));
    tracing::subscriber::set_global_default(subscriber(writer, filter)).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(guard)
}

/// The log files in `dir`, oldest first (their names sort by date).
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.file_name().is_some_and(|n| n.to_string_lossy().starts_with(PREFIX)))
        .collect();
    files.sort();
    files
}

/// The last `count` lines of the logs, oldest first, across files.
pub fn tail(dir: &Path, count: usize) -> std::io::Result<Vec<String>> {
    last_lines(dir, count, |_| true)
}

/// Whether a log line is a warning or an error.
pub fn is_problem(line: &str) -> bool {
    line.contains(" WARN ") || line.contains(" ERROR ")
}

/// The last `count` warning and error lines of the logs, oldest first.
pub fn problems(dir: &Path, count: usize) -> std::io::Result<Vec<String>> {
    last_lines(dir, count, is_problem)
}

/// The last `count` lines that `keep` takes, reading the newest file first.
fn last_lines(dir: &Path, count: usize, keep: impl Fn(&str) -> bool) -> std::io::Result<Vec<String>> {
    let mut found = Vec::new();
    for file in files(dir).iter().rev() {
        if found.len() == count {
            break;
        }
        let text = std::fs::read_to_string(file)?;
        found.extend(text.lines().rev().filter(|l| keep(l)).take(count - found.len()).map(str::to_string));
    }
    found.reverse();
    Ok(found)
}

/// `kassa logs`: the last `count` lines (only problems if asked), then,
/// when following, each new line as it is written, across day changes.
pub fn show(dir: &Path, count: usize, problems: bool, follow: bool) -> anyhow::Result<()> {
    use std::io::{Read, Seek, SeekFrom, Write};
    let keep = |line: &str| !problems || is_problem(line);
    let lines = if problems { self::problems(dir, count)? } else { tail(dir, count)? };
    let mut out = std::io::stdout().lock();
    for line in &lines {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    if !follow {
        if files(dir).is_empty() {
            eprintln!("no logs in {}", dir.display());
        }
        return Ok(());
    }
    let mut current = files(dir).pop();
    let mut offset = current.as_ref().and_then(|f| std::fs::metadata(f).ok()).map_or(0, |m| m.len());
    let mut partial = String::new();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let newest = files(dir).pop();
        if newest != current {
            // A new day's file: read it from its start.
            current = newest;
            offset = 0;
        }
        let Some(file) = &current else { continue };
        let mut handle = std::fs::File::open(file)?;
        handle.seek(SeekFrom::Start(offset))?;
        let mut fresh = String::new();
        offset += handle.read_to_string(&mut fresh)? as u64;
        partial.push_str(&fresh);
        while let Some(end) = partial.find('\n') {
            let line: String = partial.drain(..=end).collect();
            if keep(&line) {
                write!(out, "{line}")?;
            }
        }
        out.flush()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_reads_back_across_days() {
        let dir = tempfile::tempdir().expect("temp");
        std::fs::write(dir.path().join("kassa.log.2026-11-22"), "1\n2\n3\n").expect("write");
        std::fs::write(dir.path().join("kassa.log.2026-11-23"), "4\n5\n").expect("write");
        std::fs::write(dir.path().join("crash-2026-11-23.txt"), "not a log\n").expect("write");
        assert_eq!(tail(dir.path(), 3).expect("tail"), ["3", "4", "5"]);
        assert_eq!(tail(dir.path(), 10).expect("tail"), ["1", "2", "3", "4", "5"]);
    }

    #[test]
    fn problems_are_the_last_warnings_and_errors() {
        let dir = tempfile::tempdir().expect("temp");
        std::fs::write(dir.path().join("kassa.log.2026-11-22"), "a  WARN x: old\nb  INFO x: fine\n").expect("write");
        std::fs::write(dir.path().join("kassa.log.2026-11-23"), "c ERROR x: new\nd  INFO x: fine\n").expect("write");
        assert_eq!(problems(dir.path(), 5).expect("read"), ["a  WARN x: old", "c ERROR x: new"]);
        assert_eq!(problems(dir.path(), 1).expect("read"), ["c ERROR x: new"]);
    }

    #[test]
    fn a_line_is_cut_at_its_limit_on_a_character() {
        /// What the subscriber writes, kept for the test to read.
        struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().expect("not poisoned").extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let written = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = written.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(Capped::new(move || Sink(sink.clone()), 1000))
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("{}", "ж".repeat(1_000_000));
            tracing::info!("short");
        });
        let written = written.lock().expect("not poisoned").clone();
        let text = String::from_utf8(written).expect("whole characters");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].len() < 1100 && lines[0].contains("[line cut: "), "{}", lines[0]);
        assert!(lines[1].ends_with("short"), "{}", lines[1]);
    }

    /// What a subscriber writes, kept for the test to read.
    #[derive(Clone, Default)]
    struct Kept(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Kept {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("not poisoned").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_carry_local_time_with_its_offset() {
        let kept = Kept::default();
        let sink = kept.clone();
        let before = chrono::Local::now();
        tracing::subscriber::with_default(subscriber(move || sink.clone(), EnvFilter::new("info")), || {
            tracing::info!(target: "kassa", "started");
        });
        let text = String::from_utf8(kept.0.lock().expect("not poisoned").clone()).expect("text");
        let stamp = text.split_whitespace().next().expect("a time");
        // `2026-12-07T22:10:05.123+03:00`: milliseconds and the offset, as on the screen.
        assert_eq!(stamp.len(), "2026-12-07T22:10:05.123+03:00".len(), "{text}");
        let at = chrono::DateTime::parse_from_str(stamp, TIME_FORMAT).expect("local time with the offset");
        assert_eq!(at.offset().local_minus_utc(), before.offset().local_minus_utc(), "{text}");
        assert!((at.timestamp_millis() - before.timestamp_millis()).abs() < 5_000, "{text}");
        assert!(text.contains(" INFO kassa: started"), "{text}");
    }

    #[test]
    fn levels_are_checked() {
        assert!(check_level("info").is_ok());
        assert!(check_level("warn,kassa::loyalty=debug").is_ok());
        assert!(check_level("loud=").is_err() || check_level("[[").is_err());
    }
}
