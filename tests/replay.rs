//! Runs every key-replay scenario under tests/scenarios as its own test
//! (`cargo test --test replay 34_kilbil` runs one), each in its own data
//! directory, at 80x24 unless the script sets a size; then the runner's own
//! tests. A scenario file is a test by being there: libtest-mimic builds the
//! list at start.

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kassa::app;
use kassa::config::Config;
use kassa::replay::{self, ReplaySetup};
use kassa::tui::keymap::Keymap;
use kassa::tui::view::Theme;

fn setup(data_dir: &Path) -> ReplaySetup {
    let config = Config::default();
    ReplaySetup {
        catalog: Arc::new(app::load_catalog(&config).expect("demo catalog")),
        keymap: Keymap::default_keymap(),
        config,
        data_dir: data_dir.to_path_buf(),
        theme: Theme::MONO,
    }
}

fn main() {
    let arguments = Arguments::from_args();
    let mut trials: Vec<Trial> = scenarios().into_iter().map(scenario).collect();
    assert!(trials.len() >= 15, "at least 15 scenarios, found {}", trials.len());
    trials.extend([
        trial(
            "a_script_with_a_broken_step_names_its_line",
            a_script_with_a_broken_step_names_its_line,
        ),
        trial("a_failing_expectation_shows_the_screen", a_failing_expectation_shows_the_screen),
        trial(
            "expect_ledger_wants_the_outbox_drained_first",
            expect_ledger_wants_the_outbox_drained_first,
        ),
    ]);
    libtest_mimic::run(&arguments, trials).exit();
}

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut scripts: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/scenarios")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "replay"))
        .collect();
    scripts.sort();
    scripts
}

/// One scenario: named by its file (`34_kilbil_sale_bonus`), failed with the
/// script's line, what was expected and the screen.
fn scenario(script: PathBuf) -> Trial {
    let name = script.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    Trial::test(name, move || {
        let data = tempfile::tempdir().map_err(|e| Failed::from(format!("temp dir: {e}")))?;
        replay::run_file(&script, &setup(data.path()))
            .map(drop)
            .map_err(|e| Failed::from(format!("{e:#}")))
    })
}

fn trial(name: &str, test: fn()) -> Trial {
    Trial::test(name, move || {
        test();
        Ok(())
    })
}

fn a_script_with_a_broken_step_names_its_line() {
    let keymap = Keymap::default_keymap();
    let error = replay::Script::parse("bad.replay", "press F5\npress F99\n", &keymap)
        .err()
        .expect("F99 is no key");
    assert_eq!(error.to_string(), "bad.replay:2: unknown key \"F99\": press F99");
    let error = replay::Script::parse("bad.replay", "expect total lots\n", &keymap)
        .err()
        .expect("not a sum");
    assert!(error.to_string().starts_with("bad.replay:1: unknown expectation"));
}

fn a_failing_expectation_shows_the_screen() {
    let data = tempfile::tempdir().expect("temp dir");
    let keymap = Keymap::default_keymap();
    let script = replay::Script::parse("fail.replay", "expect screen \"нет такого текста\"\n", &keymap).expect("parses");
    let error = replay::run(&script, &setup(data.path())).expect_err("fails");
    let text = format!("{error:#}");
    assert!(text.starts_with("fail.replay:1: the screen does not show"), "{text}");
    assert!(text.contains("смена закрыта"), "the screen is attached: {text}");
}

fn expect_ledger_wants_the_outbox_drained_first() {
    // ProBonus registers the check, and its answer comes too late: the check waits in the queue.
    let sale = "loyalty probonus\npress Ctrl+O\ntype Иванова\npress Enter\nscan 4640607167315\npress Ctrl+K\n\
                type +79161234567\npress Enter\npress Ctrl+E\ntype 100\npress Enter\nemulator fail timeout 1 after 2\n\
                press F6\npress Esc\nexpect outbox 1\npress Enter\n";
    let keymap = Keymap::default_keymap();
    let queued = replay::Script::parse("queued.replay", &format!("{sale}expect ledger\n"), &keymap).expect("parses");
    let data = tempfile::tempdir().expect("temp dir");
    let error = format!("{:#}", replay::run(&queued, &setup(data.path())).expect_err("queued"));
    assert!(error.contains("the queue must be drained first"), "{error}");
    let drained = format!("{sale}advance 31s\nexpect outbox 0\nexpect ledger\n");
    let drained = replay::Script::parse("drained.replay", &drained, &keymap).expect("parses");
    let data = tempfile::tempdir().expect("temp dir");
    replay::run(&drained, &setup(data.path())).expect("the books match once the queue is sent");
}
