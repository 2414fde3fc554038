//! Crash safety: the sale in tests/crash/sell.replay is killed (abort, like
//! a power cut) at every step where the I/O worker saves, closes or prints;
//! after a restart nothing is lost and nothing is doubled: the journal holds
//! the receipt at most once, a receipt that reached the close is journaled,
//! and the shift's numbering agrees with the journal.

use std::path::Path;
use std::process::{Command, Output};

#[path = "common/faults.rs"]
mod faults;

const POINTS: &[&str] = &[
    "before_save",
    "after_save",
    "before_close",
    "after_close",
    "before_print",
    "after_print",
];

fn kassa(data: &Path, args: &[&str], fault: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kassa"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .arg("--data-dir")
        .arg(data)
        .args(args);
    match fault {
        Some(fault) => command.env("KASSA_FAULT", fault),
        None => command.env_remove("KASSA_FAULT"),
    };
    command.output().expect("kassa runs")
}

fn journal_lines(data: &Path) -> Vec<String> {
    let out = kassa(data, &["journal", "list"], None);
    assert!(out.status.success(), "journal list: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn a_crash_at_any_step_loses_nothing_and_doubles_nothing() {
    faults::required();
    let mut crashes = 0;
    for point in POINTS {
        for hit in 1..=12 {
            let data = tempfile::tempdir().expect("temp dir");
            let fault = format!("{point}:{hit}");
            let first = kassa(data.path(), &["replay", "tests/crash/sell.replay"], Some(&fault));
            if first.status.success() {
                // The sale finished before this hit: every hit of this point is covered.
                break;
            }
            crashes += 1;
            let second = kassa(data.path(), &["replay", "tests/crash/after.replay"], None);
            let screen = String::from_utf8_lossy(&second.stdout).to_string();
            assert!(
                second.status.success(),
                "{fault}: restart failed: {}\n{screen}",
                String::from_utf8_lossy(&second.stderr)
            );
            let journal = if data.path().join("kassa.sled").exists() {
                journal_lines(data.path())
            } else {
                Vec::new()
            };
            assert!(journal.len() <= 1, "{fault}: the receipt was journaled twice: {journal:?}");
            if point.ends_with("_close") {
                // Paid in full and saved before the close: the restart finishes it.
                assert_eq!(journal.len(), 1, "{fault}: the paid receipt was lost\n{screen}");
            }
            let next_number = journal.len() + 1;
            if screen.contains("Смена 1") {
                assert!(
                    screen.contains(&format!("Чек {next_number}")),
                    "{fault}: numbering disagrees with the journal {journal:?}\n{screen}"
                );
            }
            if journal.len() == 1 {
                assert!(journal[0].contains("1/1") && journal[0].contains("349.40"), "{fault}: {journal:?}");
                assert!(!screen.contains("К ОПЛАТЕ"), "{fault}: the closed receipt is still open\n{screen}");
            }
        }
    }
    assert!(crashes >= 10, "only {crashes} crash points were reached");
}

#[test]
fn a_crash_after_paying_in_full_closes_the_receipt_on_restart() {
    faults::required();
    let data = tempfile::tempdir().expect("temp dir");
    // The close transaction never runs: the paid receipt is only in the state.
    let first = kassa(data.path(), &["replay", "tests/crash/sell.replay"], Some("before_close:1"));
    assert!(!first.status.success(), "the fault fired");
    let second = kassa(data.path(), &["replay", "tests/crash/after.replay"], None);
    assert!(second.status.success());
    let journal = journal_lines(data.path());
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert!(journal[0].contains("349.40"));
    let paper = std::fs::read_to_string(data.path().join("receipts.txt")).expect("printed");
    assert!(paper.contains("КАССОВЫЙ ЧЕК"));
}

/// Issue 19.4: a plain (text/ESC/POS) printer cannot be asked what it
/// printed, so a crash right after a document printed must not print it
/// again as an original on restart: it is known printed, or at worst
/// printed again marked as a repeat.
#[test]
fn a_crash_after_printing_never_prints_an_original_twice() {
    faults::required();
    let mut crashes = 0;
    for point in ["after_print", "before_send", "after_send", "before_save"] {
        for hit in 1..=12 {
            let data = tempfile::tempdir().expect("temp dir");
            let fault = format!("{point}:{hit}");
            let first = kassa(data.path(), &["replay", "tests/crash/sell.replay"], Some(&fault));
            if first.status.success() {
                break;
            }
            crashes += 1;
            let second = kassa(data.path(), &["replay", "tests/crash/after.replay"], None);
            assert!(second.status.success(), "{fault}: restart failed");
            let paper = std::fs::read_to_string(data.path().join("receipts.txt")).unwrap_or_default();
            let originals: Vec<&str> = paper
                .split("\n\n====")
                .map(str::trim)
                .filter(|d| !d.is_empty() && !d.trim_start_matches('=').trim().is_empty())
                .filter(|d| !d.contains("ПОВТОР"))
                .collect();
            for (i, document) in originals.iter().enumerate() {
                assert!(
                    !originals[..i].contains(document),
                    "{fault}: printed twice as an original:\n{document}"
                );
            }
        }
    }
    assert!(crashes >= 3, "only {crashes} crash points were reached");
}
