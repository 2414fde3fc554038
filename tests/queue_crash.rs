//! Crash safety of the loyalty queue: the workstation is killed (abort) at
//! every step of closing a receipt and of draining the queue, against an
//! emulator in its own process (its state survives). After a restart the
//! queue is empty, the journal has the receipt once, and the server counted
//! the accrual exactly once — a resend after a crash is made harmless by
//! the request's uid.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use kassa::core::money::Money;
use kassa::loyalty::frontol::{Frontol, Settings};
use kassa::loyalty::{ClientId, Request};

#[path = "common/faults.rs"]
mod faults;

const KEY: &str = "crash-test-key";
const CARD: &str = "7770000000017";

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server() -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(["emulate", "frontol", "--listen", "127.0.0.1:0", "--key", KEY])
        .stdout(Stdio::piped())
        .spawn()
        .expect("emulator starts");
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    out.read_line(&mut line).expect("banner");
    // Keep reading its echo so the server never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("address")
        .to_string();
    Server { child, url }
}

fn kassa(data: &Path, config: &Path, script: &str, fault: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kassa"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--data-dir")
        .arg(data)
        .arg("--config")
        .arg(config)
        .args(["replay", script]);
    match fault {
        Some(fault) => command.env("KASSA_FAULT", fault),
        None => command.env_remove("KASSA_FAULT"),
    };
    command.output().expect("kassa runs")
}

fn balance(url: &str) -> Money {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let frontol = Frontol::new(Settings {
        url: url.to_string(),
        key: Some(KEY.into()),
        organization: "test".into(),
        business_unit: "0001".into(),
        work_place: "01".into(),
        timeout: Duration::from_secs(5),
        deadline: Default::default(),
    })
    .expect("client");
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("date");
    let reply = runtime
        .block_on(frontol.call(
            &Request::ClientInfo {
                client: ClientId::Card(CARD.into()),
                history: false,
            },
            at,
        ))
        .expect("balance");
    let text = reply.messages.iter().map(|m| m.text.clone()).collect::<String>();
    let amount = text
        .split("Баланс: ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("a balance in the answer");
    Money::parse(amount).expect("money")
}

#[test]
fn a_crash_while_closing_or_draining_never_counts_twice() {
    faults::required();
    // Bread 199.90 with the 5% precheck discount: 189.90 paid, 9.50 accrued.
    let accrual = Money(9_50);
    let mut crashes = 0;
    for fault in [
        "before_close:1",
        "after_close:1",
        "before_send:2",
        "after_send:2",
        "before_dequeue:1",
        "after_dequeue:1",
    ] {
        let server = server();
        let start = balance(&server.url);
        let data = tempfile::tempdir().expect("temp dir");
        let config = data.path().join("kassa.toml");
        std::fs::write(
            &config,
            format!(
                "[loyalty]\nprovider = \"frontol\"\nurl = \"{}\"\nkey = \"{KEY}\"\ntimeout_ms = 2000\n",
                server.url
            ),
        )
        .expect("config");
        // It holds the key: readable by its owner only, or kassa refuses it.
        std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).expect("chmod");
        let first = kassa(data.path(), &config, "tests/queue_crash/sell.replay", Some(fault));
        // The fault aborts the process (SIGABRT), not an error exit.
        assert!(
            std::os::unix::process::ExitStatusExt::signal(&first.status) == Some(6),
            "{fault}: the fault fired ({})",
            String::from_utf8_lossy(&first.stderr)
        );
        crashes += 1;
        let second = kassa(data.path(), &config, "tests/queue_crash/after.replay", None);
        assert!(
            second.status.success(),
            "{fault}: restart: {}\n{}",
            String::from_utf8_lossy(&second.stderr),
            String::from_utf8_lossy(&second.stdout)
        );
        assert_eq!(balance(&server.url), Money(start.0 + accrual.0), "{fault}: accrued exactly once");
        let journal = Command::new(env!("CARGO_BIN_EXE_kassa"))
            .arg("--data-dir")
            .arg(data.path())
            .args(["journal", "list"])
            .output()
            .expect("journal");
        assert_eq!(
            String::from_utf8_lossy(&journal.stdout).lines().count(),
            1,
            "{fault}: one receipt in the journal"
        );
    }
    assert_eq!(crashes, 6);
}
