//! The host's side of the exchange (spec, Приложение 3): ENQ until the
//! registrar says it is idle (NAK), the command frame until it is
//! acknowledged, then the answer, acknowledged by us; a corrupt answer is
//! refused with NAK and asked for again with ENQ. A command whose ACK was
//! lost is not sent twice blindly: ENQ first asks whether the registrar
//! took it (ACK: an answer is coming) — a fiscal command must run once.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

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
    #[error("ККТ не отвечает")]
    Silent,
    /// The registrar answers, but frames keep arriving broken.
    #[error("помехи на линии связи с ККТ")]
    Garbled,
    #[error("сообщение длиннее 255 байт")]
    TooLong,
    #[error("порт ККТ: {0}")]
    Io(String),
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
}

impl<W: Wire> Link<W> {
    pub fn new(wire: W, timing: Timing) -> Link<W> {
        Link { wire, timing }
    }

    fn read_byte(&mut self, timeout: Duration) -> Result<Byte, LinkError> {
        self.wire.set_read_timeout(timeout).map_err(|e| LinkError::Io(e.to_string()))?;
        let mut byte = [0u8; 1];
        match self.wire.read(&mut byte) {
            Ok(1) => Ok(Byte::Got(byte[0])),
            Ok(_) => Err(LinkError::Io("порт закрыт".into())),
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

    /// Waits up to `timeout` for an answer frame and acknowledges it (or
    /// refuses a broken one with NAK).
    fn receive(&mut self, timeout: Duration) -> Result<Incoming, LinkError> {
        loop {
            match self.read_byte(timeout)? {
                Byte::Timeout => return Ok(Incoming::Nothing),
                Byte::Got(STX) => break,
                // Noise before the frame: keep waiting for its STX.
                Byte::Got(_) => {}
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
                Incoming::Nothing if Instant::now() >= deadline => return Err(LinkError::Silent),
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
                Byte::Got(_) => {}
                Byte::Timeout => return Err(LinkError::Silent),
            }
        }
    }
}
