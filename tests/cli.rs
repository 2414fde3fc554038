//! The command line as support uses it.

use std::path::Path;
use std::process::{Command, Output};

fn kassa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kassa"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("KASSA_CONFIG")
        .env_remove("KASSA_FAULT")
        .args(args)
        .output()
        .expect("kassa runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

#[test]
fn config_check_names_every_mistake_with_its_place() {
    let out = kassa(&["config", "check", "tests/configs/broken.toml"]);
    assert!(!out.status.success());
    let lines: Vec<String> = text(&out.stderr).lines().map(str::to_string).collect();
    let expected = [
        "tests/configs/broken.toml:3:6: [store] id: expected a string in quotes",
        "tests/configs/broken.toml:4:1: [store] unknown key \"nmae\"; known: id, name, address, organisation, inn, tax_system",
        "tests/configs/broken.toml:7:10: [printer] driver: unknown driver \"escpos-serial\"; known: text, escpos, shtrih",
        "tests/configs/broken.toml:8:9: [printer] width: expected a whole number from 24 to 80",
        "tests/configs/broken.toml:11:19: [sale] max_receipt_sum: not a number: \"-1\" (write roubles in quotes, e.g. \"100000\")",
        "tests/configs/broken.toml:14:11: [weight_barcode] weight barcode pattern \"PPCCCCCWWWWW\": needs exactly 13 letters of P, C, W, K",
        "tests/configs/broken.toml:16:2: unknown section [extras]; known: store, register, data, catalog, printer, keymap, sale, weight_barcode, marking, loyalty, scanner, card_reader, log",
    ];
    assert_eq!(lines, expected);
    let ok = kassa(&["config", "check", "fixtures/config.example.toml"]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
}

#[test]
fn replay_prints_the_final_screen_and_journal_shows_the_receipt() {
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path().to_str().expect("utf-8 path");
    let out = kassa(&["--data-dir", dir, "replay", "tests/scenarios/01_sale_cash.replay"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let screen = text(&out.stdout);
    assert!(screen.contains("Смена 1 │ Чек 2"), "{screen}");
    assert_eq!(screen.lines().count(), 24, "80x24 screen");
    let list = kassa(&["--data-dir", dir, "journal", "list"]);
    assert!(text(&list.stdout).contains("1/1"), "{}", text(&list.stderr));
    let show = kassa(&["--data-dir", dir, "journal", "show", "1/1"]);
    let receipt = text(&show.stdout);
    assert!(
        receipt.contains("КАССОВЫЙ ЧЕК / ПРИХОД") && receipt.contains("Молоко Простоквашино"),
        "{receipt}"
    );
    let missing = kassa(&["--data-dir", dir, "journal", "show", "7/7"]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("receipt 7/7 is not in the journal"));
}

#[test]
fn a_second_process_on_the_same_data_gets_a_clear_message() {
    let data = tempfile::tempdir().expect("temp dir");
    let _held = kassa::store::Store::open(data.path()).expect("open");
    let out = kassa(&["--data-dir", data.path().to_str().expect("utf-8"), "journal", "list"]);
    assert!(!out.status.success());
    let message = text(&out.stderr);
    assert!(message.contains("in use by another kassa process"), "{message}");
}

#[test]
fn a_bad_catalog_is_reported_with_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let catalog = dir.path().join("catalog.csv");
    std::fs::write(&catalog, "code;name;price\n1;Хлеб;55.50\n2;Батон;12,3,4\n").expect("write");
    let config = dir.path().join("kassa.toml");
    std::fs::write(&config, "[catalog]\nfile = \"catalog.csv\"\n").expect("write");
    let out = kassa(&["config", "check", config.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    let message = text(&out.stderr);
    assert!(message.contains("catalog.csv, line 3: price"), "{message}");
    assert!(Path::new(&catalog).exists());
}

/// Issue 19, finding 6: a row listing one barcode twice panicked here (and at
/// start, so systemd restarted the till forever). It is taken once; the same
/// barcode on two items is refused with the second one's line.
#[test]
fn a_barcode_twice_is_taken_once_and_on_two_items_refused_with_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let catalog = dir.path().join("catalog.csv");
    let config = dir.path().join("kassa.toml");
    std::fs::write(&config, "[catalog]\nfile = \"catalog.csv\"\n").expect("write");
    std::fs::write(&catalog, "code;name;price;;;barcodes;\n1;M;4;;;12346,12346;\n").expect("write");
    let once = kassa(&["config", "check", config.to_str().expect("utf-8")]);
    assert!(once.status.success(), "{}", text(&once.stderr));
    std::fs::write(&catalog, "code;name;price;;;barcodes;\n1;M;4;;;12346;\n2;N;5;;;12346;\n").expect("write");
    let twice = kassa(&["config", "check", config.to_str().expect("utf-8")]);
    assert!(!twice.status.success());
    let message = text(&twice.stderr);
    assert!(
        message.contains("catalog.csv, line 3: barcode 12346 belongs to two items"),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn keys_lists_every_command() {
    let out = kassa(&["keys"]);
    let listing = text(&out.stdout);
    assert!(listing.lines().count() >= 28);
    assert!(listing.contains("pay              F5"), "{listing}");
}

#[test]
fn loyalty_requests_are_logged_without_secrets() {
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path().to_str().expect("utf-8");
    let out = kassa(&["--data-dir", dir, "replay", "tests/scenarios/23_loyalty_phone_validation.replay"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut logged = String::new();
    for entry in std::fs::read_dir(data.path().join("logs")).expect("logs written") {
        logged.push_str(&std::fs::read_to_string(entry.expect("entry").path()).expect("readable"));
    }
    assert!(
        logged.contains("calculate") && logged.contains("/document"),
        "requests are logged: {logged}"
    );
    for secret in ["8956", "demo-key", "FrontolAuth", "+79211022546", "9211022546"] {
        assert!(!logged.contains(secret), "{secret} leaked into the log");
    }
}

/// Every log line written while the scenarios ran, each in its own data directory.
fn logs_of(scripts: &[&str]) -> String {
    let mut logged = String::new();
    for script in scripts {
        let data = tempfile::tempdir().expect("temp dir");
        let dir = data.path().to_str().expect("utf-8");
        let out = kassa(&["--data-dir", dir, "replay", &format!("tests/scenarios/{script}.replay")]);
        assert!(out.status.success(), "{script}: {}", text(&out.stderr));
        for entry in std::fs::read_dir(data.path().join("logs")).expect("logs written") {
            logged.push_str(&std::fs::read_to_string(entry.expect("entry").path()).expect("readable"));
        }
    }
    logged
}

#[test]
fn kilbil_requests_are_logged_without_the_key_or_codes() {
    let logged = logs_of(&["39_kilbil_spend_code_and_promo", "38_kilbil_registration", "40_kilbil_failures"]);
    assert!(
        logged.contains("/load/processsale") && logged.contains("checkconfirmphonecode"),
        "requests and answers are logged: {logged}"
    );
    // The key h, the SMS codes typed (4567, 0101) and the phones never appear.
    for secret in ["demo-key", "h=", "\"4567\"", "\"0101\"", "79161234567", "79035550101"] {
        assert!(!logged.contains(secret), "{secret} leaked into the log");
    }
}

#[test]
fn probonus_requests_are_logged_without_tokens_or_passwords() {
    let logged = logs_of(&["42_probonus_registration", "44_probonus_token_expiry"]);
    assert!(
        logged.contains("/api/v0/external/register_check") && logged.contains("/api/v0/auth/refresh_token"),
        "requests and answers are logged: {logged}"
    );
    // The password, the bearer and refresh tokens and the phones never appear.
    for secret in [
        "demo-key",
        "other-password",
        "access-",
        "refresh-",
        "Bearer",
        "79161234567",
        "79035550101",
    ] {
        assert!(!logged.contains(secret), "{secret} leaked into the log");
    }
}

#[test]
fn maxbonus_requests_are_logged_without_tokens_pins_or_phones() {
    let logged = logs_of(&["48_maxbonus_registration_qr_pin", "49_maxbonus_certificate_anonymous"]);
    assert!(
        logged.contains("/customer/auth") && logged.contains("/check/write") && logged.contains("/customer/checkpin"),
        "requests and answers are logged: {logged}"
    );
    // The outlet token, customer tokens, SMS codes and pins, certificate pins, phones and one-time codes never appear.
    for secret in [
        "demo-key",
        "ct-",
        "\"1234\"",
        "\"3333\"",
        "\"1111\"",
        "79161234567",
        "79031112233",
        "482913",
    ] {
        assert!(!logged.contains(secret), "{secret} leaked into the log");
    }
}

/// A secret in a file everyone can read is refused, with the command that
/// fixes it; the same file readable by owner and group only is taken.
#[test]
fn a_world_readable_secret_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("config.toml");
    std::fs::write(
        &file,
        "[loyalty]\nprovider = \"kilbil\"\nurl = \"http://127.0.0.1:9\"\nkey = \"s3cret-h\"\n",
    )
    .expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let path = file.to_str().expect("utf-8");
    let refused = kassa(&["config", "check", path]);
    assert!(!refused.status.success());
    let said = text(&refused.stderr);
    assert!(said.contains(&format!("{path}:4:1: [loyalty] key is a secret")), "{said}");
    assert!(said.contains(&format!("sudo chmod o-r {path}")), "{said}");
    assert!(!said.contains("s3cret-h"), "the secret itself is not repeated: {said}");
    // The workstation refuses to start on it too (before touching the terminal).
    let start = kassa(&["--config", path, "status"]);
    assert!(!start.status.success() && text(&start.stderr).contains("sudo chmod o-r"));
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let taken = kassa(&["config", "check", path]);
    assert!(taken.status.success(), "{}", text(&taken.stderr));
}

#[test]
fn status_and_logs_work_with_no_workstation_running() {
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path().to_str().expect("utf-8 path");
    let replay = kassa(&["--data-dir", dir, "replay", "tests/scenarios/01_sale_cash.replay"]);
    assert!(replay.status.success(), "{}", text(&replay.stderr));
    let status = kassa(&["--data-dir", dir, "status"]);
    assert!(status.status.success(), "{}", text(&status.stderr));
    let report = text(&status.stdout);
    for expected in [
        "workstation: NOT RUNNING",
        "shift: 1 open since",
        "open receipt: none",
        "loyalty queue: 0 pending",
    ] {
        assert!(report.contains(expected), "{expected:?} in\n{report}");
    }
    std::fs::write(
        data.path().join("logs/kassa.log.9999-12-31"),
        "2026-11-23T09:00:00Z  INFO kassa: started\n2026-11-23T09:01:00Z  WARN kassa::loyalty: the link is down\n",
    )
    .expect("log");
    let logs = kassa(&["--data-dir", dir, "logs", "-n", "1"]);
    assert_eq!(
        text(&logs.stdout).trim(),
        "2026-11-23T09:01:00Z  WARN kassa::loyalty: the link is down"
    );
    let problems = kassa(&["--data-dir", dir, "logs", "--problems"]);
    assert!(text(&problems.stdout).contains("the link is down") && !text(&problems.stdout).contains("started"));
    let status = kassa(&["--data-dir", dir, "status"]);
    assert!(text(&status.stdout).contains("the link is down"), "status shows the log's problems");
}

#[test]
fn a_config_others_can_change_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("config.toml");
    std::fs::write(
        &file,
        "[loyalty]\nprovider = \"kilbil\"\nurl = \"http://127.0.0.1:9\"\nkey = \"s3cret-h\"\n",
    )
    .expect("write");
    let path = file.to_str().expect("utf-8");
    let chmod = |path: &Path, mode| std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    for mode in [0o602, 0o622, 0o620] {
        chmod(&file, mode);
        let refused = kassa(&["config", "check", path]);
        assert!(!refused.status.success(), "{mode:o} is refused");
        let said = text(&refused.stderr);
        assert!(said.contains(&format!("файл {path} (права {mode:04o})")), "{said}");
        assert!(said.contains(&format!("sudo chmod go-w {path}")), "{said}");
        // The workstation refuses to start on it too.
        let data = dir.path().join("data");
        let start = Command::new(env!("CARGO_BIN_EXE_kassa"))
            .args(["--config", path, "--data-dir"])
            .arg(&data)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("kassa runs");
        assert_eq!(start.status.code(), Some(1));
        assert!(text(&start.stderr).contains("sudo chmod go-w"), "{}", text(&start.stderr));
    }
    // Its folder open to others is refused as well, naming the folder.
    chmod(&file, 0o640);
    chmod(dir.path(), 0o777);
    let refused = kassa(&["config", "check", path]);
    let folder = dir.path().display();
    assert!(
        text(&refused.stderr).contains(&format!("sudo chmod go-w {folder}")),
        "{}",
        text(&refused.stderr)
    );
    chmod(dir.path(), 0o755);
    for mode in [0o640, 0o600] {
        chmod(&file, mode);
        let taken = kassa(&["config", "check", path]);
        assert!(taken.status.success(), "{mode:o}: {}", text(&taken.stderr));
    }
    // A file some other user owns (only root can give it away: skipped otherwise).
    if std::os::unix::fs::chown(&file, Some(54321), None).is_ok() {
        let refused = kassa(&["config", "check", path]);
        let said = text(&refused.stderr);
        assert!(!refused.status.success() && said.contains("uid 54321"), "{said}");
        assert!(said.contains(&format!("sudo chown root {path}")), "{said}");
    }
}
