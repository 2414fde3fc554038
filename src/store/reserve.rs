//! A reserve file beside the store. On a disk filled to the last byte (by
//! logs or another program) sled cannot even open — it writes as it opens —
//! and a till that will not start cannot show the receipt it holds or say
//! what to free. The reserve is given back to let the store open; it is
//! laid down again at a later start once there is room.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The reserve's file name in the data directory.
pub const FILE: &str = "kassa.reserve";
/// Its size: enough for sled to open and write the state a few times.
const BYTES: u64 = 8 * 1024 * 1024;

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Lays the reserve down if it is missing and the disk has room to spare
/// (at least four times the reserve). A failure leaves no partial file.
pub fn keep(dir: &Path) -> std::io::Result<()> {
    let path = path(dir);
    if path.exists() {
        return Ok(());
    }
    let free = fs2::available_space(dir)?;
    let size = BYTES.min(fs2::total_space(dir)? / 20);
    if free < 4 * size {
        return Ok(());
    }
    let written = (|| {
        let mut file = std::fs::File::create(&path)?;
        let chunk = vec![0u8; 64 * 1024];
        let mut left = size;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            file.write_all(&chunk[..n])?;
            left -= n as u64;
        }
        file.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&path);
    }
    written
}

/// Gives the reserve back. True when there was one to give.
pub fn release(dir: &Path) -> bool {
    std::fs::remove_file(path(dir)).is_ok()
}

/// Whether an error is the disk being full.
pub fn is_disk_full(error: &std::io::Error) -> bool {
    error.raw_os_error() == Some(28) // ENOSPC
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_laid_down_once_and_given_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        keep(dir.path()).expect("laid down");
        let size = std::fs::metadata(path(dir.path())).expect("there").len();
        assert!(size > 0 && size <= BYTES, "{size}");
        keep(dir.path()).expect("kept");
        assert!(release(dir.path()));
        assert!(!release(dir.path()), "given back once");
    }
}
