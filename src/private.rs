//! Who may read what kassa writes. Logs, session journals, crash reports,
//! receipts and the store hold cards, phones and the day's sales: they are
//! for kassa and its group, never for others on the machine, whatever umask
//! kassa was started with (systemd's UMask is not there when support runs
//! `kassa replay`, or when kassa is started by hand).
//!
//! - `restrict_umask` (first thing in `main`) takes write from the group and
//!   everything from others for every file kassa or its libraries create
//!   (tracing's log and journal files, sled's files);
//! - kassa's own folders are made `DIR` (0750) and, when they exist already
//!   with more, narrowed to it; the store's folder is `STORE_DIR` (0700);
//! - files kassa writes itself are made `FILE` (0640).
//!
//! The group may read logs, journals and crash reports (on a store terminal
//! that group is `kassa-support`, the data folder's group: see dist/ and the
//! README's support section); the store is the kassa user's alone.

use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// kassa's folders: the owner writes, the group reads, others nothing.
pub const DIR: u32 = 0o750;
/// The store's folder: sled opens it read-write, so only kassa's user;
/// support reads it through the running workstation's socket.
pub const STORE_DIR: u32 = 0o700;
/// kassa's files: the owner writes, the group reads, others nothing.
pub const FILE: u32 = 0o640;
/// What the umask always takes away: the group's write, everything of others.
const UMASK: u32 = 0o027;

/// Narrows the process's umask to at least `UMASK` (a stricter one stays).
pub fn restrict_umask() {
    use rustix::fs::Mode;
    let before = rustix::process::umask(Mode::from_raw_mode(UMASK));
    rustix::process::umask(before | Mode::from_raw_mode(UMASK));
}

/// Makes `dir` (and missing parents) with `mode`, and narrows it to `mode`
/// if it is there with more. Bits beyond the permissions (setgid, which a
/// store terminal's data folder carries to keep the support group) stay.
pub fn dir(dir: &Path, mode: u32) -> io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(mode).create(dir)?;
    let now = std::fs::metadata(dir)?.permissions().mode();
    if now & 0o777 & !mode != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(now & !(0o777 & !mode)))?;
    }
    Ok(())
}

/// Makes the data folder (and missing parents) with `DIR` when it is not
/// there. One that exists is left as it is: it may be a folder kassa does not
/// own alone (`--data-dir /tmp/x` under `/tmp`); what kassa keeps inside is
/// narrowed by `dir`.
pub fn data_dir(dir: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(DIR).create(dir)
}

/// Opens `path` to write (`append` or from the start), made `FILE` when new.
pub fn create(path: &Path, append: bool) -> io::Result<std::fs::File> {
    OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .mode(FILE)
        .open(path)
}

/// Writes `contents` to `path`, as `std::fs::write` does, made `FILE` when new.
pub fn write(path: &Path, contents: impl AsRef<[u8]>) -> io::Result<()> {
    use std::io::Write;
    create(path, false)?.write_all(contents.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("there").permissions().mode() & 0o7777
    }

    #[test]
    fn folders_are_made_and_narrowed_keeping_setgid() {
        let temp = tempfile::tempdir().expect("temp");
        let logs = temp.path().join("data/logs");
        dir(&logs, DIR).expect("made");
        assert_eq!(mode(&logs) & 0o007, 0, "nothing for others");
        std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o2777)).expect("opened");
        dir(&logs, DIR).expect("narrowed");
        assert_eq!(mode(&logs), 0o2750);
        let file = logs.join("crash.txt");
        write(&file, "report").expect("written");
        assert_eq!(mode(&file) & 0o037, 0, "the group reads, others nothing");
    }
}
