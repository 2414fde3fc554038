//! The Debian install: the script lays out every file with its mode, and
//! the package carries them with the unit, the udev rule and the config.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn run(script: &str, args: &[&str]) -> std::process::Output {
    Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("dist").join(script))
        .args(args)
        .output()
        .expect("the script runs")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("installed").permissions().mode() & 0o7777
}

#[test]
fn the_install_script_lays_out_kassa_and_keeps_existing_config() {
    let root = tempfile::tempdir().expect("temp dir");
    let root_text = root.path().to_str().expect("utf-8");
    let binary = env!("CARGO_BIN_EXE_kassa");
    let out = run("install.sh", &["--root", root_text, "--binary", binary]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let at = |path: &str| root.path().join(path);
    assert_eq!(mode(&at("usr/bin/kassa")), 0o755);
    assert_eq!(
        mode(&at("var/lib/kassa")),
        0o2750,
        "kassa writes the data; its group (kassa-support on a system) reads, others nothing"
    );
    assert_eq!(mode(&at("etc/kassa/config.toml")), 0o644);
    assert_eq!(mode(&at("etc/kassa/secrets.toml")), 0o640, "secrets: root and the group only");
    let unit = std::fs::read_to_string(at("etc/systemd/system/kassa.service")).expect("unit");
    for line in [
        "TTYPath=/dev/tty1",
        "Restart=always",
        "ExecStart=/usr/bin/kassa",
        "Conflicts=getty@tty1.service",
        "User=kassa",
        "UMask=0027",
    ] {
        assert!(unit.contains(line), "{line} in the unit");
    }
    let rules = std::fs::read_to_string(at("etc/udev/rules.d/99-kassa.rules")).expect("rules");
    for name in ["kassa-printer", "kassa-scanner", "kassa-msr"] {
        assert!(rules.contains(&format!("SYMLINK+=\"{name}\"")), "{name}");
    }
    // The installed config passes its own check, with the secrets laid over it.
    let check = Command::new(binary)
        .args(["config", "check"])
        .arg(at("etc/kassa/config.toml"))
        .output()
        .expect("check");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));

    // A second run keeps the config the installer edited.
    std::fs::write(at("etc/kassa/config.toml"), "[store]\nid = \"0777\"\n").expect("edit");
    let again = run("install.sh", &["--root", root_text, "--binary", binary]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(
        std::fs::read_to_string(at("etc/kassa/config.toml"))
            .expect("config")
            .contains("0777")
    );
}

#[test]
fn the_package_holds_the_binary_unit_rules_and_config_files() {
    if Command::new("dpkg-deb").arg("--version").output().is_err() {
        eprintln!("no dpkg-deb here: not a Debian machine");
        return;
    }
    let out_dir = tempfile::tempdir().expect("temp dir");
    let built = run(
        "build-deb.sh",
        &[
            "--fast",
            "--binary",
            env!("CARGO_BIN_EXE_kassa"),
            "--out",
            out_dir.path().to_str().expect("utf-8"),
        ],
    );
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let deb = String::from_utf8_lossy(&built.stdout).trim().to_string();
    let contents = Command::new("dpkg-deb").args(["--contents", &deb]).output().expect("contents");
    let listing = String::from_utf8_lossy(&contents.stdout);
    for file in [
        "./usr/bin/kassa",
        "./etc/systemd/system/kassa.service",
        "./etc/udev/rules.d/99-kassa.rules",
        "./etc/kassa/config.toml",
        "./etc/kassa/secrets.toml",
    ] {
        assert!(listing.contains(file), "{file} in\n{listing}");
    }
    assert!(listing.contains("root/root"), "files owned by root: {listing}");
    let info = Command::new("dpkg-deb")
        .args(["--field", &deb, "Package", "Version"])
        .output()
        .expect("info");
    let fields = String::from_utf8_lossy(&info.stdout);
    assert!(
        fields.contains("Package: kassa") && fields.contains(env!("CARGO_PKG_VERSION")),
        "{fields}"
    );
    let conffiles = Command::new("dpkg-deb").args(["--ctrl-tarfile", &deb]).output().expect("control");
    assert!(String::from_utf8_lossy(&conffiles.stdout).contains("conffiles"));
}
