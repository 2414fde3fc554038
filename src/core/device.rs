//! Devices as the core sees them: a name, how the device is, and why it
//! failed — typed; the words for the cashier are in `crate::text`.

use serde::{Deserialize, Serialize};

use super::storage::StorageFailure;

/// The device name of the receipt printer (or fiscal registrar) in
/// [`crate::core::state::AppState::devices`] and device events.
pub const PRINTER: &str = "printer";

/// What the status line says about a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    Ready,
    /// The port cannot be opened or stopped answering (unplugged).
    Offline(DeviceProblem),
    /// The device answers but cannot work (no paper, cover open, registrar error).
    Fault(DeviceProblem),
}

impl DeviceState {
    pub fn is_ready(&self) -> bool {
        matches!(self, DeviceState::Ready)
    }
}

/// Why a port failed, as far as the cashier needs to know (the log keeps
/// the system's words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortFailure {
    NotFound,
    NoAccess,
    /// Unplugged while open (a broken pipe, an end of file).
    Unplugged,
    Other,
}

/// Why a device (above all the printer or fiscal registrar) did not do
/// what it was asked, or why a print job never reached it. The values it
/// names are inside; `text::device_problem` says it in words.
///
/// Journals written before this type held the words themselves: such a
/// string reads back as [`DeviceProblem::Text`] and is shown as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceProblem {
    /// Out of paper (a printer's status, a registrar's flags).
    NoPaper,
    CoverOpen,
    /// A printer's status says it is in error.
    PrinterError,
    /// Nothing answered in time.
    NotAnswering,
    /// The port could not be opened.
    Port {
        path: String,
        failure: PortFailure,
    },
    /// An open port failed while reading.
    PortLost(PortFailure),
    /// An open port reached its end (the device is gone).
    Disconnected,
    /// Writing to an open port failed: the system's words.
    Io(String),
    /// A fiscal registrar does not answer on its link.
    RegistrarSilent,
    /// Frames from the registrar keep arriving broken.
    LinkGarbled,
    /// A message too long for the registrar's link.
    MessageTooLong,
    /// The registrar's port failed: the system's words.
    RegistrarPort(String),
    /// The registrar's port reached its end (the adapter is gone).
    RegistrarPortClosed,
    /// The registrar answered with nothing.
    EmptyAnswer,
    /// The registrar answered another command than the one sent.
    AnswerMismatch {
        sent: u16,
        got: u16,
    },
    /// The registrar's answer to `command` has no error code.
    NoErrorCode {
        command: u16,
    },
    /// The registrar's error `code`; `name` is the protocol's name for it
    /// (from the driver's table of the spec).
    RegistrarError {
        code: u8,
        name: String,
    },
    /// The registrar's answer to `command` (e.g. `11h`) could not be read.
    BadAnswer {
        command: String,
    },
    /// The registrar's shift has lasted over 24 hours: a Z-report is due.
    ShiftExpired,
    /// The registrar holds a document `job` that must be finished first.
    WaitsFor {
        job: u64,
    },
    /// The registrar's mark that a fiscal document was done could not be saved.
    FiscalMarkNotSaved(StorageFailure),
    /// A marked position whose units do not each have a code.
    MarkedUnitsWithoutCodes {
        name: String,
    },
    /// The store failed (a mark could not be saved, the disk worker is gone).
    Storage(StorageFailure),
    /// Held back: the state that holds the job is not on disk.
    NotSaved(StorageFailure),
    /// The printer's thread is gone (the workstation is stopping).
    PrinterStopped,
    /// A text-file printer could not write its file.
    Write {
        path: String,
        error: String,
    },
    /// Words from a journal written before the problems were typed.
    #[serde(untagged)]
    Text(String),
}

/// Words as they are (what journals before the typed problems hold).
impl From<String> for DeviceProblem {
    fn from(text: String) -> DeviceProblem {
        DeviceProblem::Text(text)
    }
}

impl From<&str> for DeviceProblem {
    fn from(text: &str) -> DeviceProblem {
        DeviceProblem::Text(text.into())
    }
}
