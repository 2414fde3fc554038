//! Config files: each broken one under tests/configs fails with exactly the
//! messages in its `.expected` file (one mistake a file); each under
//! tests/configs/ok is taken, its loyalty provider as its name says.

use std::path::{Path, PathBuf};

use kassa::config::{Config, Issues};

fn in_manifest_dir() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("manifest dir");
}

/// The files of `dir` ending in `.toml`, in name order.
fn tomls(dir: &str) -> Vec<PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
}

/// As `kassa config check FILE` reads it (relative paths from its folder),
/// without the permission checks a checkout's modes could upset.
fn check(path: &Path) -> Result<Config, Issues> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let base = path.parent().expect("a folder");
    kassa::config::parse(&path.display().to_string(), &text, base)
}

#[test]
fn each_broken_config_gives_its_messages() {
    in_manifest_dir();
    let mut checked = 0;
    for path in tomls("tests/configs") {
        let issues = check(&path)
            .err()
            .unwrap_or_else(|| panic!("{} should not pass", path.display()))
            .to_string();
        let expected =
            std::fs::read_to_string(path.with_extension("expected")).unwrap_or_else(|_| panic!("{} has no .expected", path.display()));
        assert_eq!(issues.trim_end(), expected.trim_end(), "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} broken configs");
}

#[test]
fn each_valid_config_is_taken() {
    in_manifest_dir();
    let mut checked = 0;
    for path in tomls("tests/configs/ok") {
        let config = check(&path).unwrap_or_else(|issues| panic!("{} should pass:\n{issues}", path.display()));
        let name = path.file_stem().and_then(|s| s.to_str()).expect("a name");
        let loyalty = format!("{:?}", config.loyalty);
        let variant = match name {
            "frontol" => "Some(Frontol(",
            "kilbil" => "Some(KilBil(",
            "probonus" => "Some(ProBonus(",
            "maxbonus" => "Some(MaxBonus(",
            "demo" => "Some(DemoFrontol {",
            "demo-kilbil" => "Some(DemoKilBil {",
            "demo-probonus" => "Some(DemoProBonus {",
            "demo-maxbonus" => "Some(DemoMaxBonus {",
            _ => "None",
        };
        assert!(loyalty.starts_with(variant), "{}: {loyalty}", path.display());
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} valid configs");
}
