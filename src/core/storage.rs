//! Why the disk worker could not do what the core asked, as the core knows
//! it: typed, and put into words only by the view (`text::storage_failure`).

use serde::{Deserialize, Serialize};

use super::journal::ReceiptId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Recorded")]
pub enum StorageFailure {
    /// The disk is full: nothing was written.
    DiskFull { free_kib: u64 },
    /// Another kassa process holds the database.
    InUse,
    /// The disk worker is gone (the till is stopping).
    WorkerStopped,
    /// The receipt's number is in the journal with other contents.
    DuplicateReceipt(ReceiptId),
    /// A return would take back more of `sale` than was sold.
    OverReturn { sale: ReceiptId },
    /// The sale a return refers to is not in the journal.
    UnknownSale(ReceiptId),
    /// A journal entry cannot be read.
    Unreadable { key: String },
    /// What the database or the file system said, in its own words (for support).
    Disk(String),
}

/// As session journals have it: typed, or (before the types) the words the
/// cashier was shown, kept as they were.
#[derive(Deserialize)]
#[serde(untagged)]
enum Recorded {
    Typed(Typed),
    Words(String),
}

#[derive(Deserialize)]
enum Typed {
    DiskFull { free_kib: u64 },
    InUse,
    WorkerStopped,
    DuplicateReceipt(ReceiptId),
    OverReturn { sale: ReceiptId },
    UnknownSale(ReceiptId),
    Unreadable { key: String },
    Disk(String),
}

impl From<Recorded> for StorageFailure {
    fn from(recorded: Recorded) -> StorageFailure {
        match recorded {
            Recorded::Words(words) => StorageFailure::Disk(words),
            Recorded::Typed(typed) => match typed {
                Typed::DiskFull { free_kib } => StorageFailure::DiskFull { free_kib },
                Typed::InUse => StorageFailure::InUse,
                Typed::WorkerStopped => StorageFailure::WorkerStopped,
                Typed::DuplicateReceipt(id) => StorageFailure::DuplicateReceipt(id),
                Typed::OverReturn { sale } => StorageFailure::OverReturn { sale },
                Typed::UnknownSale(id) => StorageFailure::UnknownSale(id),
                Typed::Unreadable { key } => StorageFailure::Unreadable { key },
                Typed::Disk(detail) => StorageFailure::Disk(detail),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_as_written_and_old_words_as_a_disk_failure() {
        for failure in [
            StorageFailure::DiskFull { free_kib: 3 },
            StorageFailure::InUse,
            StorageFailure::Disk("EIO".into()),
        ] {
            let json = serde_json::to_string(&failure).expect("serializes");
            assert_eq!(serde_json::from_str::<StorageFailure>(&json).expect("reads"), failure, "{json}");
        }
        let old = "\"диск переполнен (свободно 0 КиБ)\"";
        assert_eq!(
            serde_json::from_str::<StorageFailure>(old).expect("reads"),
            StorageFailure::Disk("диск переполнен (свободно 0 КиБ)".into())
        );
    }
}
