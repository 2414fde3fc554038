//! Output to a reader that has gone (`kassa keys | head`) ends quietly, and
//! the workstation started without a terminal says so instead of crashing.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

fn kassa(data: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kassa"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("KASSA_CONFIG")
        .env_remove("KASSA_FAULT")
        .arg("--data-dir")
        .arg(data)
        .args(args);
    command
}

/// Files under `dir` whose name starts with "crash".
fn crash_files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(crash_files(&path));
        } else if entry.file_name().to_string_lossy().starts_with("crash") {
            found.push(path.display().to_string());
        }
    }
    found
}

/// A session journal of a day's start, with `records` sizes after it.
fn journal(dir: &Path, records: usize) -> String {
    use kassa::core::state::{AppState, Durable, Settings};
    let catalog = std::sync::Arc::new(kassa::app::load_catalog(&kassa::config::Config::default()).expect("demo catalog"));
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("a time");
    let state = AppState::restore(std::sync::Arc::new(Settings::default()), catalog, Durable::default(), now);
    let path = dir.join("session.2026-11-23.jsonl");
    let file = std::fs::File::create(&path).expect("journal");
    let mut recorder = kassa::session::Recorder::to_writer(Box::new(file), kassa::session::Masker::default());
    recorder.start(&state);
    for _ in 0..records {
        recorder.size(80, 24);
    }
    path.display().to_string()
}

/// Runs `args` with stdout a pipe whose reader takes `take` bytes and goes.
fn closed_early(args: &[&str], take: usize) {
    let data = tempfile::tempdir().expect("temp dir");
    // An empty store, for `queue list`.
    drop(kassa::store::Store::open(data.path()).expect("store"));
    let mut child = kassa(data.path(), args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kassa runs");
    let mut stdout = child.stdout.take().expect("piped");
    let mut head = vec![0; take];
    stdout.read_exact(&mut head).expect("the first bytes");
    drop(stdout);
    let out = child.wait_with_output().expect("kassa ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
    assert!(crash_files(data.path()).is_empty(), "{args:?}: {:?}", crash_files(data.path()));
}

#[test]
fn a_reader_that_goes_ends_the_output_quietly() {
    // More than a pipe holds, so the writer meets the closed end.
    closed_early(&["catalog", "generate", "--items", "20000"], 10);
    closed_early(&["keys"], 0);
    closed_early(&["queue", "list"], 0);
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = journal(dir.path(), 3000);
    closed_early(&["replay", "--timeline", "--journal", &journal], 10);
}

#[test]
fn no_terminal_is_one_line_and_no_crash() {
    let data = tempfile::tempdir().expect("temp dir");
    let out = kassa(data.path(), &[])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("kassa runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("kassa: нет терминала"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(crash_files(data.path()).is_empty(), "{:?}", crash_files(data.path()));
}
