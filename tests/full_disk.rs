//! A full disk is a clear error and leaves nothing half-written. Needs a
//! small filesystem to fill: a tmpfs, which root may mount (the machines
//! this project runs its CI on); elsewhere the test says so and stops.

use chrono::NaiveDate;
use std::path::Path;
use std::process::Command;

use kassa::core::money::Money;
use kassa::core::shift::Shift;
use kassa::core::state::Durable;
use kassa::store::{Store, StoreError};

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn mount_small(dir: &Path) -> Option<Mount> {
    mount_sized(dir, "3m")
}

fn mount_sized(dir: &Path, size: &str) -> Option<Mount> {
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .status()
        .ok()?
        .success();
    ok.then(|| Mount(dir.to_path_buf()))
}

fn fill(dir: &Path) {
    let chunk = vec![0u8; 64 * 1024];
    let mut file = std::fs::File::create(dir.join("filler")).expect("filler");
    while std::io::Write::write_all(&mut file, &chunk).is_ok() {}
    let _ = file.sync_all();
}

#[test]
fn a_full_disk_is_a_clear_error_and_nothing_is_half_written() {
    let root = tempfile::tempdir().expect("temp dir");
    let Some(_mount) = mount_small(root.path()) else {
        eprintln!("cannot mount a small tmpfs here (not root?): the full-disk test needs one");
        return;
    };
    let at = NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("date");
    let saved = Durable {
        last_shift_number: 7,
        shift: Some(Shift::open(7, "Иванова".into(), at, Money::ZERO)),
        ..Durable::default()
    };
    {
        let store = Store::open(root.path()).expect("open");
        store.save_state(&saved).expect("saved while there is room");
        fill(root.path());
        // A big change that cannot fit.
        let mut big = saved.clone();
        big.shift.as_mut().expect("shift").cashier = "x".repeat(4 * 1024 * 1024);
        let error = store.save_state(&big).expect_err("no room");
        assert!(matches!(error, StoreError::DiskFull { .. }), "{error}");
        let text = error.to_string();
        assert!(
            text.contains("is full") && text.contains("nothing was written"),
            "a clear reason: {text}"
        );
        assert!(
            kassa::text::storage_failure(&error.failure()).contains("диск переполнен"),
            "the cashier reads it in Russian"
        );
        // Closing a receipt is refused the same way, before sled is asked.
        assert!(matches!(store.save_state(&saved), Err(StoreError::DiskFull { .. })));
    }
    std::fs::remove_file(root.path().join("filler")).expect("room again");
    let store = Store::open(root.path()).expect("reopens");
    let (state, warning) = store.load_state().expect("loads");
    assert_eq!(warning, None, "nothing half-written");
    assert_eq!(state, saved, "the last state that fit is the one kept");
}

/// Issue 19.2: nothing leaves the register while the state that leads to it
/// is not on disk. After a save the full disk refuses, a loyalty request and
/// a print job that follow it are answered as not sent; once a save goes
/// through they go again.
#[test]
fn nothing_leaves_the_register_while_its_state_is_not_on_disk() {
    use kassa::core::effect::Effect;
    use kassa::core::event::Event;
    use kassa::core::state::PrintJob;
    use kassa::io::{Executor, Outlets, Worker};
    use kassa::loyalty::{LoyaltyError, Request};
    use std::sync::mpsc;
    use std::time::Duration;

    let root = tempfile::tempdir().expect("temp dir");
    let Some(_mount) = mount_small(root.path()) else {
        eprintln!("cannot mount a small tmpfs here (not root?): the full-disk test needs one");
        return;
    };
    let store = Store::open(root.path()).expect("open");
    // Flushed before the disk fills: sled's flusher never meets the full disk.
    store.save_state(&Durable::default()).expect("saved while there is room");
    let (printer, printed) = mpsc::channel();
    let (loyalty, mut sent) = tokio::sync::mpsc::unbounded_channel();
    let (deliver, events) = mpsc::channel();
    let worker = Worker::start(
        Executor::new(store),
        Outlets {
            printer,
            loyalty: Some(loyalty),
        },
        move |event| {
            let _ = deliver.send(event);
        },
    )
    .expect("worker");
    let at = NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("date");
    let request = || Effect::Loyalty {
        id: 1,
        request: Box::new(Request::CheckLink),
        at,
    };
    let job = || {
        Effect::Print(Box::new(PrintJob {
            id: 1,
            document: Default::default(),
            receipt: None,
        }))
    };
    let next = || events.recv_timeout(Duration::from_secs(10)).expect("an answer");

    fill(root.path());
    for effect in [Effect::SaveState(Box::default()), request(), job()] {
        worker.send(effect).expect("sent");
    }
    assert!(matches!(next(), Event::Saved(Err(_))));
    match next() {
        Event::LoyaltyReplied {
            result: Err(LoyaltyError::NotSent(reason)),
            ..
        } => assert!(reason.contains("диск переполнен"), "{reason}"),
        other => panic!("the request must not go: {other:?}"),
    }
    assert!(matches!(next(), Event::Printed { result: Err(_), .. }));
    assert!(sent.try_recv().is_err(), "nothing reached the loyalty server");
    assert!(printed.try_recv().is_err(), "nothing reached the printer");

    std::fs::remove_file(root.path().join("filler")).expect("room again");
    for effect in [Effect::SaveState(Box::default()), request(), job()] {
        worker.send(effect).expect("sent");
    }
    let saved = next();
    assert!(matches!(saved, Event::Saved(Ok(()))), "{saved:?}");
    assert!(sent.blocking_recv().is_some(), "the request goes once the state is on disk");
    assert!(printed.recv_timeout(Duration::from_secs(10)).is_ok(), "and the print job");
    worker.shutdown();
}

fn kassa(data: &Path, script: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kassa"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("KASSA_FAULT")
        .env_remove("KASSA_CONFIG")
        .arg("--data-dir")
        .arg(data)
        .args(["replay", script])
        .output()
        .expect("kassa runs")
}

/// Issue 19.2: a disk full to the last byte no longer keeps the till from
/// starting: it starts on its reserve, shows the open receipt, says what to
/// free and sells nothing more until it can save.
#[test]
fn the_till_starts_on_a_full_disk_and_sells_nothing_until_it_can_save() {
    let root = tempfile::tempdir().expect("temp dir");
    let Some(_mount) = mount_sized(root.path(), "40m") else {
        eprintln!("cannot mount a small tmpfs here (not root?): the full-disk test needs one");
        return;
    };
    let data = root.path();
    let first = kassa(data, "tests/full_disk/open.replay");
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(data.join(kassa::store::reserve::FILE).exists(), "the reserve is laid down");
    fill(data);
    let full = kassa(data, "tests/full_disk/full.replay");
    assert!(
        full.status.success(),
        "starts on a full disk: {}{}",
        String::from_utf8_lossy(&full.stdout),
        String::from_utf8_lossy(&full.stderr)
    );
    std::fs::remove_file(data.join("filler")).expect("room again");
    let room = kassa(data, "tests/full_disk/room.replay");
    assert!(room.status.success(), "{}", String::from_utf8_lossy(&room.stdout));
}
