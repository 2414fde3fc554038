//! The host's side of the exchange (spec, Приложение 3): ENQ until the
//! registrar says it is idle (NAK), the command frame until it is
//! acknowledged, then the answer, acknowledged by us; a corrupt answer is
//! refused with NAK and asked for again with ENQ. A command whose ACK was
//! lost is not sent twice blindly: ENQ first asks whether the registrar
//! took it (ACK: an answer is coming) — a fiscal command must run once.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use crate::core::device::DeviceProblem;

use super::frame::{self, ACK, ENQ, NAK, Received, Receiver, STX};

/// A byte stream with read timeouts: a serial port, or a pty in tests.
pub trait Wire: Read + Write + Send {
    fn set_read_timeout(&mut self, timeout: Duration) -> std::io::Result<()>;
    fn discard_input(&mut self);
}

impl Wire for serialport::TTYPort {
    fn set_read_timeout(&mut self, timeout: Duration) -> std::io::Result<()> {
        serialport::SerialPort::set_timeout(self, timeout).map_err(std::io::Error::other)
    }

    fn discard_input(&mut self) {
        let _ = serialport::SerialPort::clear(self, serialport::ClearBuffer::Input);
    }
}

/// Timeouts and retry counts. The registrar's own byte timeout is 50 ms by
/// default; the host waits longer than that so it never cuts a frame short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// For each byte inside a frame, and for the answer to ENQ.
    pub byte: Duration,
    /// For the ACK after a command frame.
    pub ack: Duration,
    /// Tries of ENQ, of a command frame and of a corrupt answer (the spec suggests 10).
    pub tries: u32,
}

impl Timing {
    /// The longest one exchange may take, whatever arrives: the command's
    /// `answer`, every try of ENQ and of the frame waiting out its ACK, and
    /// one stale answer taken on the way. Past it the exchange gives up even
    /// while bytes keep coming (noise, or a registrar repeating one byte).
    pub fn budget(&self, answer: Duration) -> Duration {
        answer + (self.byte * 2 + self.ack * 2) * self.tries + self.ack * 10
    }
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            byte: Duration::from_millis(150),
            ack: Duration::from_millis(300),
            tries: 10,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Nothing answers: unplugged, switched off, wrong port or speed.
    #[error("{}", crate::text::LINK_SILENT)]
    Silent,
    /// The registrar answers, but frames keep arriving broken.
    #[error("{}", crate::text::LINK_GARBLED)]
    Garbled,
    #[error("{}", crate::text::LINK_TOO_LONG)]
    TooLong,
    #[error("{}", crate::text::link_port(.0))]
    Io(String),
    /// The port reached its end (the adapter is gone).
    #[error("{}", crate::text::link_port(crate::text::LINK_PORT_CLOSED))]
    Closed,
}

impl LinkError {
    /// Why, as the core hears it.
    pub fn problem(self) -> DeviceProblem {
        match self {
            LinkError::Silent => DeviceProblem::RegistrarSilent,
            LinkError::Garbled => DeviceProblem::LinkGarbled,
            LinkError::TooLong => DeviceProblem::MessageTooLong,
            LinkError::Io(error) => DeviceProblem::RegistrarPort(error),
            LinkError::Closed => DeviceProblem::RegistrarPortClosed,
        }
    }
}

enum Byte {
    Got(u8),
    Timeout,
}

enum Incoming {
    Reply(Vec<u8>),
    Nothing,
    Broken,
}

pub struct Link<W: Wire> {
    wire: W,
    timing: Timing,
    /// When the exchange under way must end (see [`Timing::budget`]).
    until: Instant,
    /// Whether bytes other than an answer's came while one was awaited.
    noisy: bool,
}

impl<W: Wire> Link<W> {
    pub fn new(wire: W, timing: Timing) -> Link<W> {
        Link {
            wire,
            timing,
            until: Instant::now(),
            noisy: false,
        }
    }

    /// Waits up to `timeout` for a byte, never past the exchange's end: the
    /// per-byte timeout alone never ends a wire that keeps sending.
    fn read_byte(&mut self, timeout: Duration) -> Result<Byte, LinkError> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(if self.noisy { LinkError::Garbled } else { LinkError::Silent });
        }
        self.wire
            .set_read_timeout(timeout.min(left))
            .map_err(|e| LinkError::Io(e.to_string()))?;
        let mut byte = [0u8; 1];
        match self.wire.read(&mut byte) {
            Ok(1) => Ok(Byte::Got(byte[0])),
            Ok(_) => Err(LinkError::Closed),
            Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => Ok(Byte::Timeout),
            Err(e) => Err(LinkError::Io(e.to_string())),
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        self.wire
            .write_all(bytes)
            .and_then(|()| self.wire.flush())
            .map_err(|e| LinkError::Io(e.to_string()))
    }

    /// Reads a frame whose STX was just read. `None` when it came broken or cut short.
    fn read_frame(&mut self) -> Result<Option<Vec<u8>>, LinkError> {
        let mut receiver = Receiver::default();
        loop {
            let Byte::Got(byte) = self.read_byte(self.timing.byte)? else {
                return Ok(None);
            };
            match receiver.feed(byte) {
                Received::More => {}
                Received::Message(message) => return Ok(Some(message)),
                Received::Corrupt => return Ok(None),
            }
        }
    }

    /// Waits up to `timeout` in all for an answer frame and acknowledges it
    /// (or refuses a broken one with NAK).
    fn receive(&mut self, timeout: Duration) -> Result<Incoming, LinkError> {
        let by = Instant::now() + timeout;
        loop {
            let left = by.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Incoming::Nothing);
            }
            match self.read_byte(left)? {
                Byte::Timeout => return Ok(Incoming::Nothing),
                Byte::Got(STX) => break,
                // Noise before the frame: keep waiting for its STX, within `timeout`.
                Byte::Got(_) => self.noisy = true,
            }
        }
        match self.read_frame()? {
            Some(message) => {
                self.write(&[ACK])?;
                Ok(Incoming::Reply(message))
            }
            None => {
                self.wire.discard_input();
                self.write(&[NAK])?;
                Ok(Incoming::Broken)
            }
        }
    }

    /// Brings the registrar to waiting for a command: an answer it still
    /// holds (to a command before ours) is taken and dropped.
    fn make_idle(&mut self) -> Result<(), LinkError> {
        let mut silent = true;
        for _ in 0..self.timing.tries {
            self.wire.discard_input();
            self.write(&[ENQ])?;
            match self.read_byte(self.timing.byte)? {
                Byte::Got(NAK) => return Ok(()),
                Byte::Got(ACK) => {
                    silent = false;
                    if let Incoming::Reply(stale) = self.receive(self.timing.ack * 10)? {
                        tracing::warn!(target: "kassa::shtrih", "dropped an answer nobody waited for: {stale:02x?}");
                    }
                }
                Byte::Got(STX) => {
                    silent = false;
                    if self.read_frame()?.is_some() {
                        self.write(&[ACK])?;
                    }
                }
                Byte::Got(_) => silent = false,
                Byte::Timeout => {}
            }
        }
        Err(if silent { LinkError::Silent } else { LinkError::Garbled })
    }

    /// Sends the command frame until the registrar takes it.
    fn deliver(&mut self, frame: &[u8]) -> Result<(), LinkError> {
        for _ in 0..self.timing.tries {
            self.write(frame)?;
            match self.read_byte(self.timing.ack)? {
                Byte::Got(ACK) => return Ok(()),
                Byte::Got(_) => self.wire.discard_input(),
                Byte::Timeout => {
                    // The ACK may be what was lost: ask before sending the command again.
                    self.write(&[ENQ])?;
                    match self.read_byte(self.timing.byte)? {
                        Byte::Got(ACK) => return Ok(()),
                        Byte::Got(_) | Byte::Timeout => self.wire.discard_input(),
                    }
                }
            }
        }
        Err(LinkError::Silent)
    }

    /// Sends `message` and returns the registrar's answer message. `answer`
    /// is how long the command may take (a Z-report prints for a while);
    /// while it runs, ENQ every so often checks the registrar is still there
    /// (it answers ACK while preparing the answer), so a pulled cable is
    /// noticed in about a second, not at the end of `answer`.
    pub fn exchange(&mut self, message: &[u8], answer: Duration) -> Result<Vec<u8>, LinkError> {
        let frame = frame::frame(message).ok_or(LinkError::TooLong)?;
        self.until = Instant::now() + self.timing.budget(answer);
        self.noisy = false;
        self.make_idle()?;
        self.deliver(&frame)?;
        let deadline = Instant::now() + answer;
        let mut broken = 0;
        loop {
            let slice = deadline.saturating_duration_since(Instant::now()).min(self.timing.ack * 4);
            match self.receive(slice)? {
                Incoming::Reply(reply) => return Ok(reply),
                Incoming::Broken => {
                    broken += 1;
                    if broken >= self.timing.tries {
                        return Err(LinkError::Garbled);
                    }
                }
                Incoming::Nothing if Instant::now() >= deadline => {
                    return Err(if self.noisy { LinkError::Garbled } else { LinkError::Silent });
                }
                Incoming::Nothing => {}
            }
            // Asks for the answer again, or whether it is still being prepared.
            self.wire.discard_input();
            self.write(&[ENQ])?;
            match self.read_byte(self.timing.byte)? {
                Byte::Got(ACK) => {}
                Byte::Got(STX) => {
                    if let Some(reply) = self.read_frame()? {
                        self.write(&[ACK])?;
                        return Ok(reply);
                    }
                }
                // NAK: the registrar holds no answer — it did not run the command.
                Byte::Got(NAK) => return Err(LinkError::Garbled),
                Byte::Got(_) => self.noisy = true,
                Byte::Timeout => return Err(LinkError::Silent),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wire that answers `first` bytes, then `then` for ever, as fast as
    /// it is read: a registrar gone mad, or noise on the cable.
    struct Flood {
        first: std::collections::VecDeque<u8>,
        then: u8,
    }

    impl Read for Flood {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            out[0] = self.first.pop_front().unwrap_or(self.then);
            Ok(1)
        }
    }

    impl Write for Flood {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Wire for Flood {
        fn set_read_timeout(&mut self, _: Duration) -> std::io::Result<()> {
            Ok(())
        }

        fn discard_input(&mut self) {}
    }

    /// Runs one exchange on its own thread; `None` when it has not ended in `within`.
    fn exchange_on(first: &[u8], then: u8, within: Duration) -> Option<Result<Vec<u8>, LinkError>> {
        let timing = Timing {
            byte: Duration::from_millis(20),
            ack: Duration::from_millis(50),
            tries: 3,
        };
        let wire = Flood {
            first: first.iter().copied().collect(),
            then,
        };
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(Link::new(wire, timing).exchange(&[0x10, 30, 0, 0, 0], Duration::from_millis(500)));
        });
        result.recv_timeout(within).ok()
    }

    #[test]
    fn the_deadline_holds_whatever_arrives() {
        let within = Duration::from_secs(5);
        let cases: [(&str, &[u8], u8); 4] = [
            ("noise from the start", &[], 0xFF),
            ("endless ACK", &[], ACK),
            ("endless NAK", &[], NAK),
            ("noise after the command was taken", &[NAK, ACK], 0xFF),
        ];
        for (case, first, then) in cases {
            let outcome = exchange_on(first, then, within);
            assert!(
                matches!(outcome, Some(Err(LinkError::Garbled | LinkError::Silent))),
                "{case}: {outcome:?}"
            );
        }
        let acked = exchange_on(&[NAK, ACK], ACK, within);
        assert!(
            matches!(acked, Some(Err(LinkError::Garbled | LinkError::Silent))),
            "ACK after the command: {acked:?}"
        );
    }
}
