//! Effects: the I/O the core asks the runtime for. Each finishes with an Event.

use chrono::NaiveDate;

use super::journal::{ClosedReceipt, ReceiptId};
use super::queue::{Outcome, QueueEntry};
use super::shift::Summary;
use super::state::{Durable, PrintJob};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Write the durable state and flush. Answers `Event::Saved`.
    SaveState(Box<Durable>),
    /// In one transaction: append the receipt to the journal (and count a
    /// return against its sale), queue its loyalty requests, and write
    /// `state`. Answers `Event::ReceiptClosed`.
    CloseReceipt {
        receipt: Box<ClosedReceipt>,
        state: Box<Durable>,
        enqueue: Vec<QueueEntry>,
    },
    /// In one transaction: queue `entries` and write `state`. Answers `Event::QueueChanged`.
    Enqueue { entries: Vec<QueueEntry>, state: Box<Durable> },
    /// Record how sending queue entry `id` ended. Answers `Event::QueueChanged`.
    QueueDone { id: u64, outcome: Outcome },
    /// Read the queue for the queue screen. Answers `Event::QueueListed`.
    QueueList,
    /// In one transaction: keep the Z-summary and write `state`. Answers `Event::ShiftClosed`.
    CloseShift { summary: Box<Summary>, state: Box<Durable> },
    /// Print a document. Answers `Event::Printed`.
    Print(Box<PrintJob>),
    /// Look up sale receipts for a return. Answers `Event::ReceiptsFound`.
    FindReceipts(ReceiptQuery),
    /// Send a request to the loyalty server. Answers `Event::LoyaltyReplied`.
    Loyalty {
        id: u64,
        request: Box<crate::core::loyalty::Request>,
        at: chrono::NaiveDateTime,
    },
    /// Check a marking code before its unit joins the receipt: against the
    /// journal (sold and not returned?), then by the fiscal registrar.
    /// Answers `Event::MarkChecked`.
    CheckMark {
        id: u64,
        code: crate::core::marking::MarkCode,
        status: crate::core::marking::PlannedStatus,
        /// A return's sale: the unit must be out in that receipt, not another.
        original: Option<ReceiptId>,
    },
    /// Tell the registrar whether the last checked code is taken. Answers `Event::MarkDecided`.
    DecideMark { accept: bool },
    /// Leave the program.
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptQuery {
    Id(ReceiptId),
    Date(NaiveDate),
}
