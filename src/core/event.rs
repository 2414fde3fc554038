//! Events: everything that happens to the core, from keys to I/O results.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::command::Command;
use super::journal::{ClosedReceipt, ReturnSource};
use super::queue::{QueueChange, QueueEntry, Rejected};
use super::shift::Summary;
use super::storage::StorageFailure;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// A bound key.
    Command(Command),
    /// A typed character (keys with no binding that produce text).
    Char(char),
    /// A code from a barcode scanner: handled like typing it and pressing Enter.
    Scan(String),
    /// The clock moved on.
    Tick(NaiveDateTime),
    /// The runtime restored the state and is ready: resume unfinished work.
    Started,
    /// The store found something wrong while loading (and set it aside).
    StoreWarning(String),
    /// Started on a disk full to the last byte (the store's reserve was
    /// given back to open it): saves will fail until room is made.
    StartedOnFullDisk(StorageFailure),
    /// The store saved the durable state (or could not).
    Saved(Result<(), StorageFailure>),
    /// The journal took the closed receipt together with the new state.
    ReceiptClosed(Result<ClosedReceipt, StorageFailure>),
    /// The shift is closed and its Z-summary stored.
    ShiftClosed(Result<Summary, StorageFailure>),
    /// A print job finished, or why not (typed: the words are the view's,
    /// `text::device_problem`). `refused`: the printer refused it before
    /// sending anything (a registrar's shift past 24 hours), so nothing is in doubt.
    Printed {
        job: u64,
        result: Result<(), crate::core::device::DeviceProblem>,
        #[serde(default)]
        refused: bool,
    },
    /// The journal's answer to a receipt search for a return.
    ReceiptsFound(Result<Vec<ReturnSource>, StorageFailure>),
    /// The store changed the queue (or tried to): its next entry as it is
    /// now, and what really left the queue. Always sent, also after a failed
    /// write, so the core never loses track of the queue.
    QueueChanged(QueueChange),
    /// The queue and the rejected archive, for the queue screen.
    QueueListed(Result<(Vec<QueueEntry>, Vec<Rejected>), StorageFailure>),
    /// Someone (the queue screen, the support CLI, closing the shift) asks to send the queue now.
    SendQueueNow,
    /// A disk write has not finished for a long time (the runtime's watchdog).
    StorageStuck,
    /// The store could not queue these entries (nothing was written).
    EnqueueFailed { entries: Vec<QueueEntry>, error: StorageFailure },
    /// A card number read off a magnetic stripe: identifies the client.
    Swipe(String),
    /// A device's state changed (connected, unplugged, out of paper).
    Device {
        device: String,
        state: crate::core::device::DeviceState,
    },
    /// A scanner or card reader sent something that is not a code.
    DeviceTrouble(String),
    /// The last run crashed; this run resumed from what was saved.
    RestartedAfterCrash,
    /// How many support engineers watch the screen now (`kassa watch`).
    Watchers(usize),
    /// The answer to `Effect::CheckMark` `id`.
    MarkChecked {
        id: u64,
        result: Result<crate::core::marking::MarkCheck, crate::core::marking::MarkFailure>,
    },
    /// The registrar took (or could not take) the cashier's decision on a code.
    MarkDecided {
        accept: bool,
        result: Result<(), crate::core::marking::MarkFailure>,
    },
    /// The loyalty server answered request `id` (or could not be reached).
    LoyaltyReplied {
        id: u64,
        result: Result<crate::core::loyalty::Reply, crate::core::loyalty::LoyaltyError>,
    },
}

impl Event {
    /// Sent by a device of its own accord, not in answer to an effect.
    pub fn is_from_device(&self) -> bool {
        matches!(
            self,
            Event::Scan(_) | Event::Swipe(_) | Event::Device { .. } | Event::DeviceTrouble(_)
        )
    }
}
