//! A barcode scanner and a magnetic-stripe card reader on a pty: each code
//! or swipe goes out as the device would send it (prefix, code, suffix).

use std::io::Write;
use std::path::Path;

use super::pty::Pty;

pub struct SerialKeyboard {
    pty: Pty,
    prefix: Vec<u8>,
    suffix: Vec<u8>,
}

impl SerialKeyboard {
    /// A device ending each code with `suffix` (CR for a factory scanner).
    pub fn open(link: Option<&Path>, prefix: &[u8], suffix: &[u8]) -> std::io::Result<SerialKeyboard> {
        Ok(SerialKeyboard {
            pty: Pty::open(link)?,
            prefix: prefix.to_vec(),
            suffix: suffix.to_vec(),
        })
    }

    pub fn path(&self) -> String {
        self.pty.path()
    }

    /// Sends raw bytes (junk, a code cut short) as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.pty.master.write_all(bytes)?;
        self.pty.master.flush()
    }

    /// A scanned code.
    pub fn scan(&mut self, code: &str) -> std::io::Result<()> {
        let mut bytes = self.prefix.clone();
        bytes.extend_from_slice(code.as_bytes());
        bytes.extend_from_slice(&self.suffix);
        self.send_raw(&bytes)
    }

    /// A card swiped: track 1 (name) and track 2 (number), as readers send them.
    pub fn swipe(&mut self, card: &str, holder: &str) -> std::io::Result<()> {
        self.scan(&swipe_tracks(card, holder))
    }
}

/// The tracks of a loyalty card carrying `card`.
pub fn swipe_tracks(card: &str, holder: &str) -> String {
    format!("%B{card}^{holder}^4912101?;{card}=4912101?")
}
