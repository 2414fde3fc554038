//! Printer drivers behind one interface. The demo printer appends a text
//! rendering to a file; the serial ones (ESC/POS, Shtrih-M) are in `crate::devices`.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use thiserror::Error;

use super::document::Document;
use super::text::render;
use crate::core::device::{DeviceProblem, DeviceState};
use crate::core::marking::{MarkCheck, MarkCode, MarkFailure, PlannedStatus};
use crate::text;

/// Why a printer did not print: the core's [`DeviceProblem`], and whether
/// the device is offline or refused the job before starting it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PrintError {
    /// The printer does not answer (unplugged, switched off).
    #[error("{}", text::device_problem(.0))]
    Offline(DeviceProblem),
    /// The printer answers but cannot print (no paper, cover open, a
    /// registrar's error), or its file cannot be written.
    #[error("{}", text::device_problem(.0))]
    Fault(DeviceProblem),
    /// The printer refused the job before any of it was printed or
    /// registered (a registrar's shift past 24 hours): nothing is in doubt,
    /// so other jobs (the Z-report that cures it) may go first.
    #[error("{}", text::device_problem(.0))]
    Refused(DeviceProblem),
}

impl PrintError {
    /// What the status line shows after this failure.
    pub fn state(&self) -> DeviceState {
        match self {
            PrintError::Offline(problem) => DeviceState::Offline(problem.clone()),
            PrintError::Fault(problem) | PrintError::Refused(problem) => DeviceState::Fault(problem.clone()),
        }
    }

    /// Why, as the core hears it.
    pub fn problem(&self) -> &DeviceProblem {
        match self {
            PrintError::Offline(problem) | PrintError::Fault(problem) | PrintError::Refused(problem) => problem,
        }
    }

    pub fn into_problem(self) -> DeviceProblem {
        match self {
            PrintError::Offline(problem) | PrintError::Fault(problem) | PrintError::Refused(problem) => problem,
        }
    }
}

pub trait Printer: Send {
    /// Prints job `job`. A driver that cannot tell whether a job printed
    /// (a fiscal registrar) remembers by `job` what it already did.
    fn print(&mut self, job: u64, document: &Document) -> Result<(), PrintError>;

    /// Asks the printer how it is, while it has nothing to print.
    fn check(&mut self) -> DeviceState {
        DeviceState::Ready
    }

    /// Has a fiscal registrar check a marking code before its unit is
    /// sold (or returned). A plain printer cannot.
    fn check_mark(&mut self, _code: &MarkCode, _status: PlannedStatus) -> Result<MarkCheck, MarkFailure> {
        Err(MarkFailure::NoRegistrar)
    }

    /// Tells the registrar whether the code it last checked is taken.
    fn decide_mark(&mut self, _accept: bool) -> Result<(), MarkFailure> {
        Err(MarkFailure::NoRegistrar)
    }
}

/// Appends each document, rendered as text, to a file (the demo "paper").
pub struct TextFilePrinter {
    path: PathBuf,
    width: usize,
}

impl TextFilePrinter {
    pub fn new(path: PathBuf, width: usize) -> TextFilePrinter {
        TextFilePrinter { path, width }
    }
}

impl Printer for TextFilePrinter {
    fn print(&mut self, _job: u64, document: &Document) -> Result<(), PrintError> {
        let error = |source: std::io::Error| {
            PrintError::Fault(DeviceProblem::Write {
                path: self.path.display().to_string(),
                error: source.to_string(),
            })
        };
        let mut text = render(document, self.width).join("\n");
        text.push_str("\n\n");
        text.push_str(&"=".repeat(self.width));
        text.push_str("\n\n");
        // The paper of a text printer is the day's receipts: not for others.
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(crate::private::FILE)
            .open(&self.path)
            .map_err(error)?;
        file.write_all(text.as_bytes()).map_err(error)?;
        file.sync_data().map_err(error)
    }
}
