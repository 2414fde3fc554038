//! An ESC/POS receipt printer on a pty. It decodes what it receives back to
//! text lines (CP866 after `ESC t 17`; barcodes and QR codes named with
//! their data; cuts marked), answers `DLE EOT` status queries, and can run
//! out of paper, open its cover or fall silent on command.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use super::pty::{DeviceThread, Pty};
use crate::devices::codepage::{self, IBM866};
use crate::devices::escpos::{CODEPAGE_866, DLE, EOT, ESC, GS, LF, OFFLINE_COVER, OFFLINE_PAPER, PAPER_END};

/// What the printer is like now, and what it printed.
#[derive(Debug, Default)]
pub struct PrinterState {
    /// Printed lines, decoded: text, `[EAN-13 …]`, `[QR …]`, `[CUT]`.
    pub paper: Vec<String>,
    pub no_paper: bool,
    pub cover_open: bool,
    /// Answers no status query (switched off, wrong speed).
    pub silent: bool,
    /// Commands it did not understand, for tests to assert there are none.
    pub unknown: Vec<String>,
}

/// Decodes an ESC/POS byte stream incrementally.
#[derive(Debug, Default)]
pub struct Decoder {
    pending: Vec<u8>,
    line: Vec<u8>,
    codepage: u8,
    qr: Vec<u8>,
}

/// One decoded step.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    Line(String),
    Status(u8),
    Unknown(String),
}

impl Decoder {
    /// Feeds bytes; returns the lines printed and the status queries seen.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Decoded> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some((used, decoded)) = self.step() {
            self.pending.drain(..used);
            out.extend(decoded);
        }
        out
    }

    fn text(&mut self) -> String {
        let bytes = std::mem::take(&mut self.line);
        if self.codepage == CODEPAGE_866 {
            codepage::decode(IBM866, &bytes)
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }

    /// The command at the start of `pending`: bytes used and what it gave;
    /// `None` when it is not complete yet.
    fn step(&mut self) -> Option<(usize, Option<Decoded>)> {
        let b = &self.pending;
        let first = *b.first()?;
        let arg = |i: usize| b.get(i).copied();
        Some(match first {
            LF => (1, Some(Decoded::Line(self.text()))),
            ESC => match arg(1)? {
                b'@' => {
                    self.codepage = 0;
                    (2, None)
                }
                b't' => {
                    self.codepage = arg(2)?;
                    (3, None)
                }
                // The drawer's pulse: connector, on time, off time.
                b'p' => {
                    arg(4)?;
                    (5, Some(Decoded::Line("[DRAWER]".into())))
                }
                // Three bytes: wait for the argument (a split read may cut it off).
                b'a' | b'E' | b'd' | b'!' | b'-' | b'M' => {
                    arg(2)?;
                    (3, None)
                }
                other => (2, Some(Decoded::Unknown(format!("ESC {other:02X}")))),
            },
            GS => match arg(1)? {
                b'!' | b'H' | b'h' | b'w' | b'f' => {
                    arg(2)?;
                    (3, None)
                }
                b'V' => {
                    let m = arg(2)?;
                    let used = if m == 65 || m == 66 { 4 } else { 3 };
                    if b.len() < used {
                        return None;
                    }
                    (used, Some(Decoded::Line("[CUT]".into())))
                }
                b'k' => {
                    let m = arg(2)?;
                    let n = usize::from(arg(3)?);
                    let data = b.get(4..4 + n)?;
                    let name = if m == 67 { "EAN-13" } else { "BARCODE" };
                    (4 + n, Some(Decoded::Line(format!("[{name} {}]", String::from_utf8_lossy(data)))))
                }
                b'(' if arg(2)? == b'k' => {
                    let len = usize::from(arg(3)?) + 256 * usize::from(arg(4)?);
                    let params = b.get(5..5 + len)?;
                    let decoded = match params {
                        [49, 80, 48, data @ ..] => {
                            self.qr = data.to_vec();
                            None
                        }
                        [49, 81, 48] => Some(Decoded::Line(format!("[QR {}]", String::from_utf8_lossy(&self.qr)))),
                        _ => None,
                    };
                    (5 + len, decoded)
                }
                other => (2, Some(Decoded::Unknown(format!("GS {other:02X}")))),
            },
            DLE if arg(1)? == EOT => (3, Some(Decoded::Status(arg(2)?))),
            byte => {
                self.line.push(byte);
                (1, None)
            }
        })
    }
}

pub struct EscPosEmulator {
    state: Arc<Mutex<PrinterState>>,
    path: String,
    _thread: DeviceThread,
}

impl EscPosEmulator {
    pub fn start(link: Option<&Path>, echo: bool) -> std::io::Result<EscPosEmulator> {
        let mut pty = Pty::open(link)?;
        let path = pty.path();
        let state = Arc::new(Mutex::new(PrinterState::default()));
        let shared = state.clone();
        let thread = DeviceThread::spawn("escpos-emulator", move |stopped| {
            let mut decoder = Decoder::default();
            let mut buf = [0u8; 1024];
            while !stopped.load(Ordering::Relaxed) {
                let n = match pty.master.read(&mut buf) {
                    Ok(0) => continue,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                    Err(_) => break,
                };
                for decoded in decoder.feed(&buf[..n]) {
                    let mut state = lock(&shared);
                    match decoded {
                        Decoded::Line(line) => {
                            if echo {
                                println!("{line}");
                            }
                            state.paper.push(line);
                        }
                        Decoded::Status(n) if !state.silent => {
                            let answer = status_answer(&state, n);
                            drop(state);
                            let _ = pty.master.write_all(&[answer]);
                        }
                        Decoded::Status(_) => {}
                        Decoded::Unknown(what) => state.unknown.push(what),
                    }
                }
            }
        })?;
        Ok(EscPosEmulator {
            state,
            path,
            _thread: thread,
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn state(&self) -> MutexGuard<'_, PrinterState> {
        lock(&self.state)
    }

    /// Unplugs the printer: the pty (and its link) go away.
    pub fn unplug(self) {}
}

fn lock(state: &Mutex<PrinterState>) -> MutexGuard<'_, PrinterState> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// The answer byte to `DLE EOT n` (bits 1 and 4 are always set).
fn status_answer(state: &PrinterState, n: u8) -> u8 {
    let mut answer = 0x12;
    match n {
        2 => {
            if state.cover_open {
                answer |= OFFLINE_COVER;
            }
            if state.no_paper {
                answer |= OFFLINE_PAPER;
            }
        }
        4 if state.no_paper => answer |= PAPER_END,
        _ => {}
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::document::Document;

    #[test]
    fn decodes_what_the_driver_encodes() {
        let mut doc = Document::default();
        doc.title("Итого 10 ₽");
        doc.pair("Молоко", "89.90");
        doc.barcode("4600000000013");
        let bytes = crate::devices::escpos::encode(&doc, 32);
        let mut decoder = Decoder::default();
        // Split anywhere: the decoder waits for whole commands.
        let (a, b) = bytes.split_at(17);
        let mut lines: Vec<Decoded> = decoder.feed(a);
        lines.extend(decoder.feed(b));
        let lines: Vec<String> = lines
            .into_iter()
            .filter_map(|d| match d {
                Decoded::Line(l) => Some(l),
                _ => None,
            })
            .collect();
        assert_eq!(lines[0], "Итого 10 р.");
        assert_eq!(lines[1], format!("Молоко{}89.90", " ".repeat(21)));
        assert!(lines.contains(&"[EAN-13 4600000000013]".to_string()), "{lines:?}");
        assert_eq!(lines.last().map(String::as_str), Some("[CUT]"));
    }

    /// Found by `tests/fuzz.rs`: a read that ended between `ESC E` and its
    /// argument made the decoder drain more than it held (a panic).
    #[test]
    fn a_command_cut_before_its_argument_waits_for_it() {
        let mut doc = Document::default();
        doc.title("Итого 10 ₽");
        doc.pair("Молоко", "89.90");
        let bytes = crate::devices::escpos::encode(&doc, 32);
        let whole = Decoder::default().feed(&bytes);
        for at in 0..=bytes.len() {
            let mut decoder = Decoder::default();
            let (a, b) = bytes.split_at(at);
            let mut decoded = decoder.feed(a);
            decoded.extend(decoder.feed(b));
            assert_eq!(decoded, whole, "split at {at}");
        }
    }
}
