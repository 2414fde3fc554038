//! The standard lower level of the Shtrih-M protocol (spec, «Стандартный
//! нижний уровень»): a message is `STX, N, message[N], LRC`, where N counts
//! the command code and parameters and LRC is the XOR of N and the message.
//! Each frame is acknowledged with one byte, ACK or NAK; ENQ asks the
//! registrar what it is doing.

pub const STX: u8 = 0x02;
pub const ENQ: u8 = 0x05;
pub const ACK: u8 = 0x06;
pub const NAK: u8 = 0x15;

/// The longest message one length byte can announce.
pub const MAX_MESSAGE: usize = 255;

pub fn lrc(length: u8, message: &[u8]) -> u8 {
    message.iter().fold(length, |acc, b| acc ^ b)
}

/// The frame carrying `message` (command code and parameters). `None` when
/// the message does not fit one length byte.
pub fn frame(message: &[u8]) -> Option<Vec<u8>> {
    let length = u8::try_from(message.len()).ok().filter(|&l| l > 0)?;
    let mut out = Vec::with_capacity(message.len() + 3);
    out.push(STX);
    out.push(length);
    out.extend_from_slice(message);
    out.push(lrc(length, message));
    Some(out)
}

/// Reads a frame's body after its STX, byte by byte, as the spec's state
/// diagram does: the length, then that many bytes, then the LRC.
#[derive(Debug, Default)]
pub struct Receiver {
    length: Option<u8>,
    body: Vec<u8>,
}

/// The outcome of feeding a byte to a [`Receiver`].
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    More,
    Message(Vec<u8>),
    /// The LRC did not match: the receiver answers NAK.
    Corrupt,
}

impl Receiver {
    pub fn feed(&mut self, byte: u8) -> Received {
        let Some(length) = self.length else {
            if byte == 0 {
                // A zero length announces nothing: the frame is broken.
                return Received::Corrupt;
            }
            self.length = Some(byte);
            return Received::More;
        };
        if self.body.len() < usize::from(length) {
            self.body.push(byte);
            return Received::More;
        }
        let body = std::mem::take(&mut self.body);
        self.length = None;
        if lrc(length, &body) == byte {
            Received::Message(body)
        } else {
            Received::Corrupt
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_status_request_frame() {
        // 10h with operator password 30: STX, 05, 10, 1E 00 00 00, LRC.
        let bytes = frame(&[0x10, 30, 0, 0, 0]).unwrap();
        assert_eq!(bytes, vec![STX, 5, 0x10, 30, 0, 0, 0, 5 ^ 0x10 ^ 30]);
    }

    #[test]
    fn frames_round_trip_and_corruption_is_caught() {
        let message: Vec<u8> = (0..=254).collect();
        let bytes = frame(&message).unwrap();
        let mut receiver = Receiver::default();
        let results: Vec<Received> = bytes[1..].iter().map(|&b| receiver.feed(b)).collect();
        assert_eq!(results.last(), Some(&Received::Message(message.clone())));
        let mut broken = bytes.clone();
        broken[10] ^= 0x40;
        let mut receiver = Receiver::default();
        let last = broken[1..].iter().map(|&b| receiver.feed(b)).last();
        assert_eq!(last, Some(Received::Corrupt));
        assert!(frame(&vec![0; 256]).is_none());
        assert!(frame(&[]).is_none());
    }
}
