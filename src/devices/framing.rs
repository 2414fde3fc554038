//! Cutting a scanner's or card reader's byte stream into codes: by a
//! suffix (CR, LF, CRLF or any byte), optionally after a prefix, or by the
//! pause between bursts when the device sends no suffix. Junk (bytes that
//! are not text, codes cut short, noise longer than any code) is reported,
//! never passed on as a code.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framing {
    pub prefix: Vec<u8>,
    /// Ends a code; empty: the pause `gap` ends it.
    pub suffix: Vec<u8>,
    /// Bytes of one code come closer together than this; a longer pause
    /// ends the code (no suffix) or abandons a partial one (suffix expected).
    pub gap: Duration,
    pub max_len: usize,
}

impl Framing {
    /// CR-terminated codes, the scanners' factory setting.
    pub fn carriage_return() -> Framing {
        Framing {
            prefix: Vec::new(),
            suffix: vec![b'\r'],
            gap: Duration::from_millis(100),
            max_len: 256,
        }
    }
}

/// Why bytes were not taken as a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Junk {
    /// The suffix never came: the pause cut the code short.
    Partial(Vec<u8>),
    /// The configured prefix was missing.
    NoPrefix(Vec<u8>),
    /// Longer than any code.
    TooLong(usize),
    /// Control or non-ASCII bytes inside.
    NotText(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Code(String),
    Junk(Junk),
}

/// The framing state of one port.
#[derive(Debug)]
pub struct Framer {
    framing: Framing,
    buffer: Vec<u8>,
    last: Option<Instant>,
    /// Dropping an over-long burst until its end.
    overflowed: usize,
}

impl Framer {
    pub fn new(framing: Framing) -> Framer {
        Framer {
            framing,
            buffer: Vec::new(),
            last: None,
            overflowed: 0,
        }
    }

    pub fn gap(&self) -> Duration {
        self.framing.gap
    }

    /// Takes the bytes read at `at`; returns what they completed.
    pub fn feed(&mut self, bytes: &[u8], at: Instant) -> Vec<Frame> {
        let mut frames: Vec<Frame> = self.idle(at).into_iter().collect();
        for &byte in bytes {
            self.last = Some(at);
            if self.overflowed > 0 {
                self.overflowed += 1;
                if self.ends_with_suffix_byte(byte) {
                    frames.push(Frame::Junk(Junk::TooLong(std::mem::take(&mut self.overflowed))));
                }
                continue;
            }
            self.buffer.push(byte);
            if !self.framing.suffix.is_empty() && self.buffer.ends_with(&self.framing.suffix) {
                let end = self.buffer.len() - self.framing.suffix.len();
                let code: Vec<u8> = self.buffer.drain(..).take(end).collect();
                frames.extend(self.finish(code));
            } else if self.buffer.len() > self.framing.max_len + self.framing.prefix.len() + self.framing.suffix.len() {
                self.overflowed = std::mem::take(&mut self.buffer).len();
            }
        }
        frames
    }

    fn ends_with_suffix_byte(&self, byte: u8) -> bool {
        self.framing.suffix.last() == Some(&byte)
    }

    /// Called when nothing came for a while: a pause longer than the gap
    /// ends the burst in progress.
    pub fn idle(&mut self, now: Instant) -> Option<Frame> {
        let last = self.last?;
        if now.duration_since(last) <= self.framing.gap {
            return None;
        }
        self.last = None;
        if self.overflowed > 0 {
            return Some(Frame::Junk(Junk::TooLong(std::mem::take(&mut self.overflowed))));
        }
        let burst = std::mem::take(&mut self.buffer);
        if burst.is_empty() {
            return None;
        }
        if self.framing.suffix.is_empty() {
            self.finish(burst)
        } else {
            Some(Frame::Junk(Junk::Partial(burst)))
        }
    }

    fn finish(&self, code: Vec<u8>) -> Option<Frame> {
        let prefix = &self.framing.prefix;
        let body = if prefix.is_empty() {
            code
        } else if code.starts_with(prefix) {
            code[prefix.len()..].to_vec()
        } else {
            return Some(Frame::Junk(Junk::NoPrefix(code)));
        };
        if body.is_empty() {
            return None;
        }
        if body.len() > self.framing.max_len {
            return Some(Frame::Junk(Junk::TooLong(body.len())));
        }
        // GS (0x1D) separates GS1 fields in DataMatrix and QR codes; every other control byte is noise.
        if body.iter().any(|&b| !(0x20..0x7f).contains(&b) && b != 0x1d) {
            return Some(Frame::Junk(Junk::NotText(body)));
        }
        Some(Frame::Code(String::from_utf8_lossy(&body).into_owned()))
    }
}

/// Reads the config's name for a prefix or suffix: `CR`, `LF`, `CRLF`,
/// `TAB`, `STX`, `ETX`, `none`, a byte as `0x03`, or literal text.
pub fn parse_delimiter(text: &str) -> Option<Vec<u8>> {
    Some(match text {
        "none" | "" => Vec::new(),
        "CR" => vec![b'\r'],
        "LF" => vec![b'\n'],
        "CRLF" => vec![b'\r', b'\n'],
        "TAB" => vec![b'\t'],
        "STX" => vec![0x02],
        "ETX" => vec![0x03],
        hex if hex.starts_with("0x") => vec![u8::from_str_radix(&hex[2..], 16).ok()?],
        literal if literal.is_ascii() && literal.len() <= 8 => literal.as_bytes().to_vec(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64, start: Instant) -> Instant {
        start + Duration::from_millis(ms)
    }

    #[test]
    fn codes_end_at_the_suffix_even_in_one_read() {
        let mut framer = Framer::new(Framing::carriage_return());
        let now = Instant::now();
        let frames = framer.feed(b"4607001771562\r4600051000057\r46", now);
        assert_eq!(
            frames,
            vec![Frame::Code("4607001771562".into()), Frame::Code("4600051000057".into())]
        );
        // The rest comes in the next read.
        assert_eq!(framer.feed(b"07001771562\r", at(5, now)), vec![Frame::Code("4607001771562".into())]);
    }

    #[test]
    fn a_code_cut_short_is_junk_after_the_pause() {
        let mut framer = Framer::new(Framing::carriage_return());
        let now = Instant::now();
        assert!(framer.feed(b"460700", now).is_empty());
        assert_eq!(framer.idle(at(50, now)), None);
        assert_eq!(framer.idle(at(150, now)), Some(Frame::Junk(Junk::Partial(b"460700".to_vec()))));
        // A new code after the pause is whole.
        assert_eq!(framer.feed(b"123\r", at(200, now)), vec![Frame::Code("123".into())]);
    }

    #[test]
    fn without_a_suffix_the_pause_ends_the_code() {
        let mut framer = Framer::new(Framing {
            suffix: Vec::new(),
            ..Framing::carriage_return()
        });
        let now = Instant::now();
        assert!(framer.feed(b"4607001", now).is_empty());
        assert!(framer.feed(b"771562", at(3, now)).is_empty());
        assert_eq!(framer.feed(b"99", at(500, now)), vec![Frame::Code("4607001771562".into())]);
        assert_eq!(framer.idle(at(1000, now)), Some(Frame::Code("99".into())));
    }

    #[test]
    fn prefix_noise_and_length_are_checked() {
        let mut framer = Framer::new(Framing {
            prefix: vec![0x02],
            suffix: vec![0x03],
            max_len: 8,
            ..Framing::carriage_return()
        });
        let now = Instant::now();
        assert_eq!(framer.feed(b"\x02ABC\x03", now), vec![Frame::Code("ABC".into())]);
        assert_eq!(framer.feed(b"ABC\x03", now), vec![Frame::Junk(Junk::NoPrefix(b"ABC".to_vec()))]);
        assert_eq!(
            framer.feed(b"\x02A\xffB\x03", now),
            vec![Frame::Junk(Junk::NotText(b"A\xffB".to_vec()))]
        );
        let frames = framer.feed(b"\x02AAAAAAAAAAAAAAAAAAAA\x03\x02OK\x03", now);
        assert_eq!(frames, vec![Frame::Junk(Junk::TooLong(22)), Frame::Code("OK".into())]);
    }

    #[test]
    fn delimiters_read_from_config() {
        assert_eq!(parse_delimiter("CRLF"), Some(vec![13, 10]));
        assert_eq!(parse_delimiter("0x03"), Some(vec![3]));
        assert_eq!(parse_delimiter("none"), Some(vec![]));
        assert_eq!(parse_delimiter("#"), Some(vec![b'#']));
        assert_eq!(parse_delimiter("0xZZ"), None);
    }
}
