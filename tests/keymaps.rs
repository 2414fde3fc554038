//! Keymap files: the shipped ones load; each broken one under tests/keymaps
//! fails with exactly the message in its `.expected` file.

use std::path::Path;

use kassa::core::command::Command;
use kassa::tui::keymap::{Chord, Keymap};

fn in_manifest_dir() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("manifest dir");
}

#[test]
fn shipped_keymaps_load() {
    in_manifest_dir();
    let pos = Keymap::load(Path::new("keymaps/pos-keyboard.toml")).expect("the POS keyboard keymap is valid");
    assert_eq!(pos.command(&Chord::parse("F13").expect("key")), Some(Command::Pay));
    // Merged over the defaults: PC keys still work.
    assert_eq!(pos.command(&Chord::parse("F5").expect("key")), Some(Command::Pay));
    assert!(Keymap::load(Path::new("keymaps/default.toml")).is_ok());
}

#[test]
fn each_broken_keymap_gives_its_message() {
    in_manifest_dir();
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir("tests/keymaps")
        .expect("tests/keymaps")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries.iter().filter(|p| p.extension().is_some_and(|e| e == "toml")) {
        let expected =
            std::fs::read_to_string(path.with_extension("expected")).unwrap_or_else(|_| panic!("{} has no .expected", path.display()));
        let error = Keymap::load(path)
            .err()
            .unwrap_or_else(|| panic!("{} should not load", path.display()));
        assert_eq!(error.to_string(), expected.trim_end(), "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} broken keymaps");
}
