//! The support socket: owner and group only, answers from the store, passes `send`
//! to the workstation's loop; with no workstation the CLI reads the store.

use chrono::NaiveDate;
use std::os::unix::fs::PermissionsExt;

use kassa::control;
use kassa::core::queue::{Outcome, QueueEntry};
use kassa::core::state::Durable;
use kassa::loyalty::{ClientId, Request};
use kassa::store::Store;

fn entry(id: u64) -> QueueEntry {
    QueueEntry {
        id,
        provider: "frontol".into(),
        request: Request::ClientInfo {
            client: ClientId::Card("7770000000017".into()),
            history: false,
        },
        created: NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("date"),
        attempts: 2,
        last_error: Some("no answer within the timeout".into()),
        next_attempt: None,
    }
}

#[tokio::test]
async fn the_socket_answers_while_the_workstation_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    store.enqueue(&[entry(1), entry(2)], &Durable::default()).expect("enqueue");
    let at = entry(2).created;
    store
        .queue_done(
            2,
            &Outcome::Rejected {
                text: "Клиент не найден".into(),
                at,
            },
        )
        .expect("reject");
    let listener = control::bind(dir.path()).expect("bind");
    let mode = std::fs::metadata(control::socket_path(dir.path()))
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o660, "owner and group only");
    let (send_tx, mut send_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(control::serve(listener, store.clone(), Default::default(), send_tx));
    let path = dir.path().to_path_buf();
    let ask = |command: &'static str| {
        let path = path.clone();
        tokio::task::spawn_blocking(move || control::ask(&path, command).expect("io").expect("a workstation answers"))
    };
    let list = ask("list").await.expect("joined").expect("ok");
    assert!(
        list.contains("pending: 1") && list.contains("attempts 2") && list.contains("rejected: 1") && list.contains("Клиент не найден"),
        "{list}"
    );
    let show = ask("show 1").await.expect("joined").expect("ok");
    assert!(show.contains("\"id\": 1"), "{show}");
    // Support sees entries as the logs show them: the card masked.
    assert!(!show.contains("7770000000017") && show.contains("*0017"), "{show}");
    let export = ask("export").await.expect("joined").expect("ok");
    assert_eq!(export.lines().count(), 2);
    assert!(!export.contains("7770000000017"), "{export}");
    assert!(ask("show 99").await.expect("joined").is_err());
    assert!(
        ask("frobnicate")
            .await
            .expect("joined")
            .is_err_and(|e| e.contains("unknown command"))
    );
    ask("send").await.expect("joined").expect("ok");
    assert!(
        matches!(send_rx.recv().await, Some(kassa::control::Request::SendQueue)),
        "send reaches the loop"
    );
}

#[test]
fn with_no_workstation_the_cli_reads_the_store_and_says_send_must_wait() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(dir.path()).expect("store");
        store.enqueue(&[entry(7)], &Durable::default()).expect("enqueue");
    }
    assert!(control::ask(dir.path(), "list").expect("io").is_none(), "nobody listens");
    let kassa = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kassa"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .env_remove("KASSA_CONFIG")
            .output()
            .expect("runs")
    };
    let list = kassa(&["queue", "list"]);
    assert!(list.status.success());
    assert!(String::from_utf8_lossy(&list.stdout).contains("pending: 1"));
    let send = kassa(&["queue", "send"]);
    assert!(!send.status.success());
    assert!(String::from_utf8_lossy(&send.stderr).contains("the queue is sent when it starts"));
}

#[tokio::test]
async fn an_endless_request_line_is_refused_after_its_first_kilobyte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    let listener = control::bind(dir.path()).expect("bind");
    let (send_tx, _send_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(control::serve(listener, store, Default::default(), send_tx));
    let path = control::socket_path(dir.path());
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::os::unix::net::UnixStream::connect(path).expect("connect");
        stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).expect("timeout");
        let mut writer = stream.try_clone().expect("clone");
        // 8 MiB without a newline, then the write side stays open: the
        // workstation must answer without waiting for the line to end.
        let flood = std::thread::spawn(move || {
            let chunk = vec![b'x'; 64 * 1024];
            for _ in 0..128 {
                if writer.write_all(&chunk).is_err() {
                    break;
                }
            }
        });
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        let _ = flood.join();
        answer
    })
    .await
    .expect("joined");
    assert!(
        answer.starts_with("error\n") && answer.contains("longer than 1024 bytes"),
        "{answer:?}"
    );
}

/// Idle clients cannot pile up: past `MAX_CONNECTIONS` silent ones, a new
/// connection is closed at once, and a status still goes through once they
/// leave.
#[tokio::test]
async fn silent_connections_are_limited() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    let listener = control::bind(dir.path()).expect("bind");
    let (send_tx, _send_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(control::serve(listener, store, Default::default(), send_tx));
    let path = control::socket_path(dir.path());
    let closed_at_once = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let silent: Vec<_> = (0..control::MAX_CONNECTIONS)
            .map(|_| std::os::unix::net::UnixStream::connect(&path).expect("connect"))
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let mut extra = std::os::unix::net::UnixStream::connect(&path).expect("connect");
        extra.set_read_timeout(Some(std::time::Duration::from_secs(5))).expect("timeout");
        let mut answer = Vec::new();
        let closed = extra.read_to_end(&mut answer).is_ok();
        drop(silent);
        closed
    })
    .await
    .expect("joined");
    assert!(closed_at_once, "the connection past the limit is closed, not left waiting");
}

/// A sale closed with the customer's phone for the e-receipt.
fn closed_with_contact(contact: &str) -> kassa::core::journal::ClosedReceipt {
    use kassa::core::money::Quantity;
    use kassa::core::receipt::{Payment, PaymentKind, Position, Receipt, ReceiptKind};
    let catalog = kassa::app::load_catalog(&kassa::config::Config::default()).expect("demo catalog");
    let item = catalog.items().first().expect("an item").clone();
    let at = entry(1).created;
    let mut receipt = Receipt::new(ReceiptKind::Sale, at);
    receipt.positions.push(Position::from_item(&item, Quantity::pieces(1), None));
    let total = receipt.totals().total;
    receipt.payments.push(Payment {
        kind: PaymentKind::Cash,
        amount: total,
        tendered: total,
    });
    kassa::core::journal::ClosedReceipt {
        id: kassa::core::journal::ReceiptId { shift: 1, number: 1 },
        store_id: "1".into(),
        register_id: "1".into(),
        cashier: "Иванова".into(),
        closed_at: at,
        receipt,
        contact: Some(contact.into()),
    }
}

/// `kassa journal` through the socket: the receipts as support may see
/// them, the customer's contacts masked; the store read directly (the
/// kassa user) shows them whole.
#[tokio::test]
async fn the_journal_is_answered_through_the_socket_with_contacts_masked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    store
        .close_receipt(&closed_with_contact("+79211022546"), &Durable::default(), &[])
        .expect("closed");
    let listener = control::bind(dir.path()).expect("bind");
    let (send_tx, _send_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(control::serve(listener, store.clone(), Default::default(), send_tx));
    let path = dir.path().to_path_buf();
    let ask = |command: &'static str| {
        let path = path.clone();
        tokio::task::spawn_blocking(move || control::ask(&path, command).expect("io").expect("a workstation answers"))
    };
    let list = ask("journal list").await.expect("joined").expect("ok");
    assert!(list.contains("1/1") && list.contains("sale") && list.contains("Иванова"), "{list}");
    assert_eq!(ask("journal list 1").await.expect("joined").expect("ok"), list);
    assert_eq!(ask("journal list 2").await.expect("joined").expect("ok"), "");
    let shown = ask("journal show 1/1").await.expect("joined").expect("ok");
    assert!(shown.contains("2546") && !shown.contains("9211022546"), "{shown}");
    assert!(
        ask("journal show 1/9")
            .await
            .expect("joined")
            .is_err_and(|e| e.contains("not in the journal"))
    );
    let whole = control::journal(&store, &Default::default(), &["show", "1/1"], false).expect("shown");
    assert!(whole.contains("+79211022546"), "{whole}");
    let email = control::journal(
        &Store::open(tempfile::tempdir().expect("temp").path()).expect("store"),
        &Default::default(),
        &["list"],
        true,
    );
    assert_eq!(email.expect("empty"), "");
}
