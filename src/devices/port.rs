//! Serial port settings as the config gives them, and opening a port.

use std::time::Duration;
use thiserror::Error;

use crate::core::device::{DeviceProblem, PortFailure};

pub use serialport::{DataBits, FlowControl, Parity, StopBits};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSettings {
    /// `/dev/ttyUSB0`, or a stable udev link like `/dev/kassa-printer`.
    pub path: String,
    pub baud: u32,
    pub data_bits: DataBits,
    pub parity: Parity,
    pub stop_bits: StopBits,
    pub flow_control: FlowControl,
}

impl PortSettings {
    /// 8N1 without flow control: what scanners, readers and registrars ship with.
    pub fn new(path: impl Into<String>, baud: u32) -> PortSettings {
        PortSettings {
            path: path.into(),
            baud,
            data_bits: DataBits::Eight,
            parity: Parity::None,
            stop_bits: StopBits::One,
            flow_control: FlowControl::None,
        }
    }

    /// Opens the port with `timeout` for each read.
    pub fn open(&self, timeout: Duration) -> Result<serialport::TTYPort, PortError> {
        serialport::new(&self.path, self.baud)
            .data_bits(self.data_bits)
            .parity(self.parity)
            .stop_bits(self.stop_bits)
            .flow_control(self.flow_control)
            .timeout(timeout)
            .open_native()
            .map_err(|source| {
                tracing::debug!(target: "kassa::devices", "{}: {source}", self.path);
                PortError::Open {
                    path: self.path.clone(),
                    failure: failure_of(match source.kind {
                        serialport::ErrorKind::NoDevice => std::io::ErrorKind::NotFound,
                        serialport::ErrorKind::Io(kind) => kind,
                        _ => std::io::ErrorKind::Other,
                    }),
                }
            })
    }

    /// The time one byte takes on the wire (start, data, parity, stop bits).
    pub fn byte_time(&self) -> Duration {
        let data = match self.data_bits {
            DataBits::Five => 5,
            DataBits::Six => 6,
            DataBits::Seven => 7,
            DataBits::Eight => 8,
        };
        let parity = u64::from(self.parity != Parity::None);
        let stop = if self.stop_bits == StopBits::Two { 2 } else { 1 };
        let bits = 1 + data + parity + stop;
        Duration::from_micros(bits * 1_000_000 / u64::from(self.baud.max(1)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PortError {
    #[error("{}", crate::text::port_open_failed(path, *failure))]
    Open { path: String, failure: PortFailure },
}

impl PortError {
    /// Why, as the core hears it.
    pub fn problem(self) -> DeviceProblem {
        match self {
            PortError::Open { path, failure } => DeviceProblem::Port { path, failure },
        }
    }
}

/// What a system error on a port means for the cashier.
pub fn failure_of(kind: std::io::ErrorKind) -> PortFailure {
    use std::io::ErrorKind::*;
    match kind {
        NotFound => PortFailure::NotFound,
        PermissionDenied => PortFailure::NoAccess,
        BrokenPipe | UnexpectedEof | ConnectionReset | ConnectionAborted => PortFailure::Unplugged,
        _ => PortFailure::Other,
    }
}

/// Reads the config's names for port settings.
pub fn parse_parity(text: &str) -> Option<Parity> {
    match text {
        "none" => Some(Parity::None),
        "odd" => Some(Parity::Odd),
        "even" => Some(Parity::Even),
        _ => None,
    }
}

pub fn parse_data_bits(bits: i64) -> Option<DataBits> {
    match bits {
        5 => Some(DataBits::Five),
        6 => Some(DataBits::Six),
        7 => Some(DataBits::Seven),
        8 => Some(DataBits::Eight),
        _ => None,
    }
}

pub fn parse_stop_bits(bits: i64) -> Option<StopBits> {
    match bits {
        1 => Some(StopBits::One),
        2 => Some(StopBits::Two),
        _ => None,
    }
}

pub fn parse_flow_control(text: &str) -> Option<FlowControl> {
    match text {
        "none" => Some(FlowControl::None),
        "software" | "xon/xoff" => Some(FlowControl::Software),
        "hardware" | "rts/cts" => Some(FlowControl::Hardware),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_time_counts_every_bit() {
        // 10 bits at 9600 baud.
        assert_eq!(PortSettings::new("x", 9600).byte_time(), Duration::from_micros(1041));
    }

    #[test]
    fn a_missing_port_names_its_path() {
        let error = PortSettings::new("/dev/kassa-no-such-port", 9600)
            .open(Duration::from_millis(10))
            .unwrap_err();
        assert!(error.to_string().contains("/dev/kassa-no-such-port"), "{error}");
    }
}
