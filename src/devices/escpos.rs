//! A plain receipt printer speaking ESC/POS (Epson TM and compatibles):
//! documents become bytes (CP866 text, bold, double size, alignment,
//! EAN-13 by `GS k`, QR by `GS ( k`, feed and cut), and `DLE EOT` asks the
//! printer whether it is online and has paper before and after each job.

use std::io::{Read, Write};
use std::time::Duration;

use super::DeviceState;
use super::codepage::{self, IBM866};
use super::port::PortSettings;
use crate::core::device::DeviceProblem;
use crate::print::document::{Align, CodeSize, Correction, DigitsAt, Document, Line};
use crate::print::printer::{PrintError, Printer};
use crate::print::text::render_line;

pub const ESC: u8 = 0x1b;
pub const GS: u8 = 0x1d;
pub const DLE: u8 = 0x10;
pub const EOT: u8 = 0x04;
pub const LF: u8 = 0x0a;
/// `ESC t 17`: code page PC866 (Cyrillic #2) in Epson's table.
pub const CODEPAGE_866: u8 = 17;

/// The bytes that print `document` on paper `width` characters wide, then feed and cut.
pub fn encode(document: &Document, width: usize) -> Vec<u8> {
    let mut out = vec![ESC, b'@', ESC, b't', CODEPAGE_866];
    for line in &document.lines {
        encode_line(&mut out, line, width);
    }
    // Feed past the cutter, then a partial cut.
    out.extend([ESC, b'd', 4, GS, b'V', 66, 0]);
    if document.open_drawer {
        // ESC p: the drawer on connector pin 2, a 50 ms pulse, 500 ms off.
        out.extend(DRAWER_KICK);
    }
    out
}

/// «ESC p 0 25 250»: the pulse that opens a cash drawer wired to the printer.
pub const DRAWER_KICK: [u8; 5] = [ESC, b'p', 0, 25, 250];

fn text_line(out: &mut Vec<u8>, text: &str) {
    out.extend(codepage::encode(IBM866, text.trim_end()));
    out.push(LF);
}

fn encode_line(out: &mut Vec<u8>, line: &Line, width: usize) {
    match line {
        Line::Text {
            text,
            align,
            bold,
            double,
            wrap,
        } => {
            // Double size halves the characters a line holds; the printer aligns.
            let room = if *double { width / 2 } else { width };
            let left = Line::Text {
                text: text.clone(),
                align: Align::Left,
                bold: *bold,
                double: false,
                wrap: *wrap,
            };
            out.extend([
                ESC,
                b'a',
                align_code(*align),
                ESC,
                b'E',
                u8::from(*bold),
                GS,
                b'!',
                if *double { 0x11 } else { 0 },
            ]);
            for part in render_line(&left, room) {
                text_line(out, part.trim());
            }
            out.extend([ESC, b'E', 0, GS, b'!', 0, ESC, b'a', 0]);
        }
        Line::Pair { bold, .. } => {
            out.extend([ESC, b'E', u8::from(*bold)]);
            for part in render_line(line, width) {
                text_line(out, &part);
            }
            out.extend([ESC, b'E', 0]);
        }
        Line::Rule(_) | Line::Blank => {
            for part in render_line(line, width) {
                text_line(out, &part);
            }
        }
        Line::Ean13 { digits, text, size } => {
            let hri = match text {
                DigitsAt::None => 0,
                DigitsAt::Above => 1,
                DigitsAt::Below => 2,
                DigitsAt::Both => 3,
            };
            out.extend([ESC, b'a', 1, GS, b'H', hri, GS, b'h', 80, GS, b'w', module(*size).clamp(2, 6)]);
            // Function B: m = 67 (EAN-13), then the length and the digits.
            out.extend([GS, b'k', 67, digits.len() as u8]);
            out.extend(digits.bytes());
            out.extend([LF, ESC, b'a', 0]);
        }
        Line::Qr { data, size, correction } => {
            let data = data.as_bytes();
            let stored = data.len() + 3;
            let level = match correction {
                Correction::Low => 48,
                Correction::Medium => 49,
                Correction::High => 50,
                Correction::Ultra => 51,
            };
            out.extend([ESC, b'a', 1]);
            out.extend([GS, b'(', b'k', 4, 0, 49, 65, 50, 0]); // model 2
            out.extend([GS, b'(', b'k', 3, 0, 49, 67, module(*size) + 2]); // module size
            out.extend([GS, b'(', b'k', 3, 0, 49, 69, level]);
            out.extend([GS, b'(', b'k', (stored % 256) as u8, (stored / 256) as u8, 49, 80, 48]);
            out.extend(data);
            out.extend([GS, b'(', b'k', 3, 0, 49, 81, 48]); // print
            out.extend([LF, ESC, b'a', 0]);
        }
    }
}

fn align_code(align: Align) -> u8 {
    match align {
        Align::Left => 0,
        Align::Center => 1,
        Align::Right => 2,
    }
}

fn module(size: CodeSize) -> u8 {
    match size {
        CodeSize::Tiny => 1,
        CodeSize::Small => 2,
        CodeSize::Normal => 3,
        CodeSize::Large => 4,
        CodeSize::ExtraLarge => 5,
    }
}

/// `DLE EOT n`: 2 asks why the printer is offline, 4 asks about the paper roll.
pub const STATUS_OFFLINE: u8 = 2;
pub const STATUS_PAPER: u8 = 4;
/// In the offline answer: the cover is open; printing stopped for lack of paper; an error.
pub const OFFLINE_COVER: u8 = 0x04;
pub const OFFLINE_PAPER: u8 = 0x20;
pub const OFFLINE_ERROR: u8 = 0x40;
/// In the paper answer: the roll is at its end.
pub const PAPER_END: u8 = 0x60;

/// What the two status answers mean for the cashier.
pub fn state_of(offline: u8, paper: u8) -> DeviceState {
    if paper & PAPER_END != 0 || offline & OFFLINE_PAPER != 0 {
        DeviceState::Fault(DeviceProblem::NoPaper)
    } else if offline & OFFLINE_COVER != 0 {
        DeviceState::Fault(DeviceProblem::CoverOpen)
    } else if offline & OFFLINE_ERROR != 0 {
        DeviceState::Fault(DeviceProblem::PrinterError)
    } else {
        DeviceState::Ready
    }
}

/// An ESC/POS printer on a serial port, opened on demand and reopened after a failure.
pub struct EscPosPrinter {
    port: PortSettings,
    width: usize,
    open: Option<serialport::TTYPort>,
    /// How long the printer may take to answer a status query.
    answer_timeout: Duration,
}

impl EscPosPrinter {
    pub fn new(port: PortSettings, width: usize) -> EscPosPrinter {
        EscPosPrinter {
            port,
            width,
            open: None,
            answer_timeout: Duration::from_millis(500),
        }
    }

    fn offline(&mut self, reason: DeviceProblem) -> PrintError {
        self.open = None;
        PrintError::Offline(reason)
    }

    fn port(&mut self) -> Result<&mut serialport::TTYPort, PrintError> {
        if self.open.is_none() {
            let port = self.port.open(self.answer_timeout).map_err(|e| PrintError::Offline(e.problem()))?;
            self.open = Some(port);
        }
        // Just set above when it was missing.
        self.open.as_mut().ok_or(PrintError::Offline(DeviceProblem::NotAnswering))
    }

    fn ask(&mut self, n: u8) -> Result<u8, PrintError> {
        let port = self.port()?;
        // Anything left from before (a late answer) would be read as this one's.
        let _ = serialport::SerialPort::clear(port, serialport::ClearBuffer::Input);
        let mut answer = [0u8; 1];
        let result = port.write_all(&[DLE, EOT, n]).and_then(|()| port.read_exact(&mut answer));
        match result {
            Ok(()) => Ok(answer[0]),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Err(self.offline(DeviceProblem::NotAnswering)),
            Err(e) => Err(self.offline(DeviceProblem::Io(e.to_string()))),
        }
    }

    fn status(&mut self) -> Result<DeviceState, PrintError> {
        let offline = self.ask(STATUS_OFFLINE)?;
        let paper = self.ask(STATUS_PAPER)?;
        Ok(state_of(offline, paper))
    }

    fn ready(&mut self) -> Result<(), PrintError> {
        match self.status()? {
            DeviceState::Fault(reason) => Err(PrintError::Fault(reason)),
            _ => Ok(()),
        }
    }
}

impl Printer for EscPosPrinter {
    fn print(&mut self, _job: u64, document: &Document) -> Result<(), PrintError> {
        self.ready()?;
        let bytes = encode(document, self.width);
        let port = self.port()?;
        if let Err(e) = port.write_all(&bytes).and_then(|()| port.flush()) {
            return Err(self.offline(DeviceProblem::Io(e.to_string())));
        }
        // Paper that ran out during the job: the document is printed again whole.
        self.ready()
    }

    fn check(&mut self) -> DeviceState {
        match self.status() {
            Ok(state) => state,
            Err(e) => e.state(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text;

    #[test]
    fn text_styles_and_cyrillic() {
        let mut doc = Document::default();
        doc.title("Чек");
        doc.pair("Молоко", "89.90");
        let bytes = encode(&doc, 32);
        assert!(bytes.starts_with(&[ESC, b'@', ESC, b't', 17]));
        // Centered, bold, double: then "Ч е к" is not spread (the printer doubles it).
        let title = [ESC, b'a', 1, ESC, b'E', 1, GS, b'!', 0x11, 0x97, 0xA5, 0xAA, LF];
        assert!(bytes.windows(title.len()).any(|w| w == title), "{bytes:02x?}");
        assert!(bytes.ends_with(&[GS, b'V', 66, 0]));
    }

    #[test]
    fn ean13_and_qr_commands() {
        let mut doc = Document::default();
        doc.barcode("4600000000013");
        doc.lines.push(Line::Qr {
            data: "https://x.ru/q".into(),
            size: CodeSize::Normal,
            correction: Correction::Medium,
        });
        let bytes = encode(&doc, 42);
        let ean = [GS, b'k', 67, 13, b'4', b'6'];
        assert!(bytes.windows(ean.len()).any(|w| w == ean));
        let store = [GS, b'(', b'k', 17, 0, 49, 80, 48, b'h'];
        assert!(bytes.windows(store.len()).any(|w| w == store));
    }

    #[test]
    fn status_bits_become_messages() {
        assert_eq!(state_of(0x12, 0x12), DeviceState::Ready);
        assert_eq!(state_of(0x12, 0x72), DeviceState::Fault(DeviceProblem::NoPaper));
        assert_eq!(text::device_state(&state_of(0x12, 0x72)), text::DEVICE_NO_PAPER);
        assert_eq!(state_of(0x16, 0x12), DeviceState::Fault(DeviceProblem::CoverOpen));
        assert_eq!(text::device_state(&state_of(0x16, 0x12)), text::DEVICE_COVER_OPEN);
    }
}
