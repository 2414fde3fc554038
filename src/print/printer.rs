//! Printer drivers behind one interface. The demo printer appends a text
//! rendering to a file; the serial ones (ESC/POS, Shtrih-M) are in `crate::devices`.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use thiserror::Error;

use super::document::Document;
use super::text::render;
use crate::core::marking::{MarkCheck, MarkCode, MarkFailure, PlannedStatus};
use crate::devices::DeviceState;

#[derive(Debug, Error)]
pub enum PrintError {
    #[error("cannot write to {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    /// The printer does not answer (unplugged, switched off).
    #[error("{0}")]
    Offline(String),
    /// The printer answers but cannot print (no paper, cover open, a registrar's error).
    #[error("{0}")]
    Fault(String),
    /// The printer refused the job before any of it was printed or
    /// registered (a registrar's shift past 24 hours): nothing is in doubt,
    /// so other jobs (the Z-report that cures it) may go first.
    #[error("{0}")]
    Refused(String),
}

impl PrintError {
    /// What the status line shows after this failure.
    pub fn state(&self) -> DeviceState {
        match self {
            PrintError::Offline(reason) => DeviceState::Offline(reason.clone()),
            other => DeviceState::Fault(other.to_string()),
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
        let error = |source| PrintError::Write {
            path: self.path.clone(),
            source,
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
