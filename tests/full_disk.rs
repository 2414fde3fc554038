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
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
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
            kassa::text::store_error(&error).contains("диск переполнен"),
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
