//! Who may read and write what kassa keeps: nothing under the data folder
//! is for others on the machine, whatever the umask kassa was started with.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kassa::emulators::pty::Pty;

#[path = "common/faults.rs"]
mod faults;

/// `kassa ARGS` started by a shell with umask 022, as by hand outside systemd.
fn with_umask_022(data: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("sh");
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["-c", "umask 022; exec \"$0\" \"$@\"", env!("CARGO_BIN_EXE_kassa"), "--data-dir"])
        .arg(data)
        .args(args)
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env_remove("KASSA_CONFIG")
        .env_remove("KASSA_FAULT");
    command
}

/// Everything under `dir` (itself too) with its mode.
fn modes(dir: &Path) -> Vec<(PathBuf, u32)> {
    let mut found = vec![(
        dir.to_path_buf(),
        std::fs::symlink_metadata(dir).expect("there").permissions().mode(),
    )];
    for entry in std::fs::read_dir(dir).expect("a folder").flatten() {
        let path = entry.path();
        if entry.file_type().expect("a type").is_dir() {
            found.extend(modes(&path));
        } else {
            found.push((path, entry.metadata().expect("there").permissions().mode()));
        }
    }
    found
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "{what}: never");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The workstation on a pty (its screen read and dropped), started with
/// umask 022, `fault` as KASSA_FAULT; ready once its sockets and journal are.
fn start_till(data: &Path, fault: Option<&str>) -> (std::process::Child, Pty) {
    let pty = Pty::open(None).expect("pty");
    let open = || {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(pty.path())
            .expect("the terminal side")
    };
    let mut till = with_umask_022(data, &[]);
    if let Some(fault) = fault {
        till.env("KASSA_FAULT", fault);
    }
    let till = till
        .stdin(Stdio::from(open()))
        .stdout(Stdio::from(open()))
        .stderr(Stdio::from(open()))
        .spawn()
        .expect("kassa starts");
    let mut screen = pty.master.try_clone_native().expect("master");
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match screen.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                Err(_) => break,
            }
        }
    });
    let sessions = data.join("sessions");
    wait_until("the sockets and the session journal", || {
        data.join("kassa.sock").exists()
            && data.join("kassa-watch.sock").exists()
            && std::fs::read_dir(&sessions).is_ok_and(|mut files| files.next().is_some())
    });
    (till, pty)
}

/// The workstation on a pty until its first key panics (a crash report), then
/// a replay (the store, the text printer's paper): nothing is for others.
#[test]
fn nothing_under_the_data_folder_is_for_others_under_umask_022() {
    faults::required();
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path().join("data");
    let (mut till, pty) = start_till(&data, Some("panic_on_key:1"));
    let mut keys = pty.master.try_clone_native().expect("master");
    keys.write_all(b"1").expect("a key");
    wait_until("the panic's end", || till.try_wait().expect("wait").is_some());
    assert!(
        std::fs::read_dir(data.join("logs"))
            .expect("logs")
            .flatten()
            .any(|f| f.file_name().to_string_lossy().starts_with("crash-")),
        "a crash report"
    );
    let replay = with_umask_022(&data, &["replay", "tests/scenarios/01_sale_cash.replay"])
        .output()
        .expect("replay");
    assert!(replay.status.success(), "{}", String::from_utf8_lossy(&replay.stderr));
    assert!(data.join("receipts.txt").exists(), "the text printer's paper");

    let open_to_others: Vec<String> = modes(&data)
        .into_iter()
        .filter(|(_, mode)| mode & 0o007 != 0)
        .map(|(path, mode)| format!("{:o} {}", mode & 0o7777, path.display()))
        .collect();
    assert!(open_to_others.is_empty(), "open to others: {open_to_others:#?}");
    for (path, mode) in modes(&data) {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if name.ends_with(".sock") {
            assert_eq!(mode & 0o777, 0o660, "{name}: the owner and the group connect");
        } else if path.is_file() {
            assert_eq!(mode & 0o020, 0, "{}: the group only reads", path.display());
        }
    }
    let store = std::fs::metadata(data.join("kassa.sled")).expect("the store").permissions().mode();
    assert_eq!(store & 0o777, 0o700, "the store is the kassa user's alone");
}

/// A store terminal's layout (dist/install.sh): the data folder is
/// kassa:kassa-support 2750. What kassa makes there takes the support group:
/// a support engineer (another user in that group) gets the status through
/// the socket and reads the logs, but opens neither the store nor the secrets.
/// Needs root (to give the folder a group and to run as another user).
#[test]
fn support_reads_through_the_data_folders_group_and_no_further() {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::CommandExt;
    const SUPPORT_GROUP: u32 = 54321;
    const ENGINEER: u32 = 54322;
    let temp = tempfile::tempdir().expect("temp dir");
    let data = temp.path().join("data");
    std::fs::create_dir(&data).expect("data folder");
    if std::os::unix::fs::chown(&data, None, Some(SUPPORT_GROUP)).is_err() {
        eprintln!("not root: the group layout is not tried here");
        return;
    }
    std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o755)).expect("reachable");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o2750)).expect("setgid");
    // The secrets: the kassa group's (here root's), not support's.
    let secrets = temp.path().join("secrets.toml");
    std::fs::write(
        &secrets,
        "[loyalty]\nprovider = \"kilbil\"\nurl = \"http://127.0.0.1:9\"\nkey = \"s3cret-h\"\n",
    )
    .expect("secrets");
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o640)).expect("0640");

    let (mut till, _pty) = start_till(&data, None);
    for socket in ["kassa.sock", "kassa-watch.sock"] {
        let meta = std::fs::metadata(data.join(socket)).expect("socket");
        assert_eq!((meta.gid(), meta.mode() & 0o777), (SUPPORT_GROUP, 0o660), "{socket}");
    }
    for folder in ["logs", "sessions"] {
        let meta = std::fs::metadata(data.join(folder)).expect("folder");
        assert_eq!((meta.gid(), meta.mode() & 0o7777), (SUPPORT_GROUP, 0o2750), "{folder}");
    }
    let store = std::fs::metadata(data.join("kassa.sled")).expect("store");
    assert_eq!(store.mode() & 0o777, 0o700, "the store is kassa's alone");

    let engineer = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kassa"))
            .arg("--config")
            .arg(&secrets)
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .env_remove("KASSA_CONFIG")
            .env("HOME", temp.path())
            .uid(ENGINEER)
            .gid(SUPPORT_GROUP)
            .output()
            .expect("kassa runs")
    };
    let status = engineer(&["status"]);
    let report = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    assert!(report.contains("workstation: running"), "{report}");
    let logs = engineer(&["logs"]);
    assert!(logs.status.success(), "{}", String::from_utf8_lossy(&logs.stderr));
    let queue = engineer(&["queue", "list"]);
    assert!(queue.status.success(), "{}", String::from_utf8_lossy(&queue.stderr));
    let check = engineer(&["config", "check"]);
    assert!(!check.status.success(), "support does not read the secrets");
    till.kill().expect("stopped");
    till.wait().expect("ended");
    // Stopped: the store stays closed to support, the report says whose it is.
    let stopped = engineer(&["status"]);
    let report = String::from_utf8_lossy(&stopped.stdout);
    assert!(report.contains("NOT RUNNING") && report.contains("sudo -u kassa"), "{report}");
    let journal = engineer(&["journal", "list"]);
    assert!(!journal.status.success(), "the store is not support's");
}
