//! Durable storage on sled, behind a small interface (sled's on-disk format
//! is pre-1.0, so nothing else touches it).
//!
//! Trees: `state` (the open receipt, shift and counters, rewritten on every
//! change), `journal` (closed receipts by shift/number), `by_date` (index),
//! `returned` (what was returned against each sale), `shifts` (Z-summaries),
//! `corrupt` (entries that could not be read, set aside for support),
//! `queue` and `rejected` (loyalty requests after closing: see `queue`).
//! Every write that the cashier is told about is flushed first; closing a
//! receipt or a shift is one transaction over the trees it touches.

use chrono::{NaiveDate, Utc};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use std::path::{Path, PathBuf};
use thiserror::Error;

use crate::core::storage::StorageFailure;

use crate::core::effect::ReceiptQuery;
use crate::core::journal::{ClosedReceipt, ReceiptId, ReturnSource, Returned};
use crate::core::receipt::ReceiptKind;
use crate::core::shift::Summary;
use crate::core::state::Durable;

const STATE_KEY: &[u8] = b"durable";
/// Small on purpose: terminals are thin and the working set is tiny.
const CACHE_BYTES: u64 = 8 * 1024 * 1024;
/// How long [`Store::open`] waits for a lock that is being let go: 20 × 50 ms.
const LOCK_RETRIES: u32 = 20;
const LOCK_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot make the database folder {path} kassa's own (0700): {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    #[error("cannot open the database at {path}: {source}")]
    Open { path: PathBuf, source: sled::Error },
    #[error("the database at {path} is in use by another kassa process (only one may run per data directory)")]
    Locked { path: PathBuf },
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
    #[error("cannot encode {what}: {source}")]
    Encode { what: &'static str, source: serde_json::Error },
    #[error("receipt {0} is already in the journal with other contents")]
    DuplicateReceipt(ReceiptId),
    #[error("return {ret}: position {index} of sale {sale} would be returned beyond what was sold")]
    OverReturn { ret: ReceiptId, sale: ReceiptId, index: usize },
    #[error("sale {0} for this return is not in the journal")]
    UnknownSale(ReceiptId),
    #[error("journal entry {key} is unreadable: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("the disk holding {path} is full ({free_kib} KiB free): nothing was written; free some space")]
    DiskFull { path: PathBuf, free_kib: u64 },
}

impl StoreError {
    /// The disk is full: nothing can be written (or, for sled, even opened).
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::DiskFull { .. } => true,
            StoreError::Open {
                source: sled::Error::Io(e),
                ..
            }
            | StoreError::Sled(sled::Error::Io(e)) => reserve::is_disk_full(e),
            _ => false,
        }
    }
}

impl StoreError {
    /// The failure as the core knows it (the view puts it into words).
    pub fn failure(&self) -> StorageFailure {
        match self {
            StoreError::DiskFull { free_kib, .. } => StorageFailure::DiskFull { free_kib: *free_kib },
            full if full.is_disk_full() => StorageFailure::DiskFull { free_kib: 0 },
            StoreError::Locked { .. } => StorageFailure::InUse,
            StoreError::DuplicateReceipt(id) => StorageFailure::DuplicateReceipt(*id),
            StoreError::OverReturn { sale, .. } => StorageFailure::OverReturn { sale: *sale },
            StoreError::UnknownSale(id) => StorageFailure::UnknownSale(*id),
            StoreError::Corrupt { key, .. } => StorageFailure::Unreadable { key: key.clone() },
            StoreError::Sled(e) => StorageFailure::Disk(e.to_string()),
            other => StorageFailure::Disk(other.to_string()),
        }
    }
}

/// A problem found while loading, reported to the cashier and support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadWarning(pub String);

mod fiscal;
pub mod queue;
pub mod reserve;

/// Cheap to clone: sled's handles are shared, and safe to read from any thread.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    /// The data directory, for free-space checks.
    dir: PathBuf,
    state: sled::Tree,
    queue: sled::Tree,
    rejected: sled::Tree,
    journal: sled::Tree,
    by_date: sled::Tree,
    returned: sled::Tree,
    shifts: sled::Tree,
    corrupt: sled::Tree,
    fiscal: sled::Tree,
    /// Marked units sold and not returned: identity (GTIN + serial) → the receipt's key.
    marks: sled::Tree,
}

fn encode<T: serde::Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|source| StoreError::Encode { what, source })
}

fn date_key(date: NaiveDate, id: ReceiptId) -> Vec<u8> {
    let mut key = date.format("%Y%m%d").to_string().into_bytes();
    key.extend_from_slice(&id.key());
    key
}

impl Store {
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join("kassa.sled");
        // sled makes its files with the umask: its folder keeps them from others.
        crate::private::dir(&path, crate::private::STORE_DIR).map_err(|source| StoreError::Folder {
            path: path.clone(),
            source,
        })?;
        let open = || {
            sled::Config::new()
                .path(&path)
                .cache_capacity(CACHE_BYTES)
                .open()
                .map_err(|source| match &source {
                    sled::Error::Io(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("lock") => {
                        StoreError::Locked { path: path.clone() }
                    }
                    _ => StoreError::Open {
                        path: path.clone(),
                        source,
                    },
                })
        };
        // sled lets go of its lock file only when its flusher thread ends, a
        // moment after the last handle is dropped: a restart (or a process
        // that just exited) gets that moment before "locked" is believed.
        let mut db = open();
        for _ in 0..LOCK_RETRIES {
            if !matches!(db, Err(StoreError::Locked { .. })) {
                break;
            }
            std::thread::sleep(LOCK_RETRY_PAUSE);
            db = open();
        }
        let db = db?;
        Ok(Store {
            dir: dir.to_path_buf(),
            state: db.open_tree("state")?,
            journal: db.open_tree("journal")?,
            by_date: db.open_tree("by_date")?,
            returned: db.open_tree("returned")?,
            shifts: db.open_tree("shifts")?,
            corrupt: db.open_tree("corrupt")?,
            queue: db.open_tree("queue")?,
            rejected: db.open_tree("rejected")?,
            fiscal: db.open_tree("fiscal")?,
            marks: db.open_tree("marks")?,
            db,
        })
    }

    /// Loads the durable state. An unreadable state is set aside in the
    /// `corrupt` tree and replaced by one rebuilt from the journal, so shift
    /// numbers still grow; the warning says so.
    pub fn load_state(&self) -> Result<(Durable, Option<LoadWarning>), StoreError> {
        let Some(bytes) = self.state.get(STATE_KEY)? else {
            return Ok((Durable::default(), None));
        };
        match serde_json::from_slice::<Durable>(&bytes) {
            Ok(durable) => Ok((durable, None)),
            Err(e) => {
                let key = format!("state-{}", Utc::now().format("%Y%m%dT%H%M%S%.3f"));
                self.corrupt.insert(key.as_bytes(), bytes)?;
                let durable = Durable {
                    last_shift_number: self.last_shift_number()?,
                    ..Durable::default()
                };
                self.save_state(&durable)?;
                Ok((
                    durable,
                    Some(LoadWarning(format!("saved state was unreadable ({e}); set aside as {key}"))),
                ))
            }
        }
    }

    /// The highest shift number the journal or the Z-summaries know.
    fn last_shift_number(&self) -> Result<u32, StoreError> {
        let from_journal = self
            .journal
            .last()?
            .and_then(|(k, _)| ReceiptId::from_key(&k))
            .map_or(0, |id| id.shift);
        let from_shifts = self
            .shifts
            .last()?
            .and_then(|(k, _)| k.as_ref().try_into().ok().map(u32::from_be_bytes))
            .unwrap_or(0);
        Ok(from_journal.max(from_shifts))
    }

    /// Refuses to write when the disk is (nearly) full. sled does not fail
    /// cleanly there — its flush can wait forever after ENOSPC — so writes
    /// stop while there is still room for sled's own bookkeeping.
    pub(crate) fn check_room(&self) -> Result<(), StoreError> {
        let (Ok(free), Ok(total)) = (fs2::available_space(&self.dir), fs2::total_space(&self.dir)) else {
            return Ok(());
        };
        // 64 MiB, or a fifth of a small disk.
        let reserve = (64 * 1024 * 1024).min(total / 5);
        if free < reserve {
            return Err(StoreError::DiskFull {
                path: self.dir.clone(),
                free_kib: free / 1024,
            });
        }
        Ok(())
    }

    pub fn save_state(&self, durable: &Durable) -> Result<(), StoreError> {
        self.check_room()?;
        self.state.insert(STATE_KEY, encode("state", durable)?)?;
        self.db.flush()?;
        Ok(())
    }

    /// Journals a closed receipt and writes the state after it, atomically.
    /// Closing the same receipt twice (a retry after a crash) is harmless.
    /// The receipt's queued loyalty requests go in the same transaction: a
    /// closed receipt and its queue entries exist together or not at all.
    pub fn close_receipt(&self, receipt: &ClosedReceipt, durable: &Durable, enqueue: &[queue::QueueEntry]) -> Result<(), StoreError> {
        self.check_room()?;
        let entry = encode("receipt", receipt)?;
        let state = encode("state", durable)?;
        let queued: Vec<(u64, Vec<u8>)> = enqueue
            .iter()
            .map(|e| Ok((e.id, encode("queue entry", e)?)))
            .collect::<Result<_, StoreError>>()?;
        let date = date_key(receipt.closed_at.date(), receipt.id);
        let original = match receipt.receipt.kind {
            ReceiptKind::Return { original, .. } => Some(original),
            ReceiptKind::Sale => None,
        };
        let trees = (&self.journal, &self.by_date, &self.returned, &self.state, &self.queue, &self.marks);
        let result = trees.transaction(|(journal, by_date, returned, state_tree, queue_tree, marks)| {
            let key = receipt.id.key();
            if let Some(existing) = journal.get(key)? {
                if existing.as_ref() == entry.as_slice() {
                    // Closed before (a retry after a crash): its queue entries were
                    // written then and may be sent already; they are not added again.
                    state_tree.insert(STATE_KEY, state.as_slice())?;
                    return Ok(());
                }
                return Err(ConflictableTransactionError::Abort(StoreError::DuplicateReceipt(receipt.id)));
            }
            if let Some(original) = original {
                let sale_bytes = journal
                    .get(original.key())?
                    .ok_or(ConflictableTransactionError::Abort(StoreError::UnknownSale(original)))?;
                let sale: ClosedReceipt = decode(original, &sale_bytes).map_err(ConflictableTransactionError::Abort)?;
                let mut record: Returned = match returned.get(original.key())? {
                    Some(bytes) => decode(format_args!("returned {original}"), &bytes).map_err(ConflictableTransactionError::Abort)?,
                    None => Returned::default(),
                };
                record.record(receipt);
                for (index, sold) in sale.receipt.positions.iter().enumerate() {
                    if record.quantity(index) > sold.quantity {
                        return Err(ConflictableTransactionError::Abort(StoreError::OverReturn {
                            ret: receipt.id,
                            sale: original,
                            index,
                        }));
                    }
                }
                let bytes = serde_json::to_vec(&record)
                    .map_err(|source| ConflictableTransactionError::Abort(StoreError::Encode { what: "returned", source }))?;
                returned.insert(&original.key(), bytes)?;
            }
            journal.insert(&key, entry.as_slice())?;
            by_date.insert(date.as_slice(), &[])?;
            // A sold unit leaves circulation; a returned one comes back.
            for code in receipt.receipt.positions.iter().flat_map(|p| &p.marks) {
                let identity = code.identity();
                match original {
                    None => {
                        marks.insert(identity.as_bytes(), &key[..])?;
                    }
                    // Only a unit out in this return's sale comes back.
                    Some(sale) => {
                        if marks.get(identity.as_bytes())?.is_some_and(|k| k.as_ref() == sale.key().as_slice()) {
                            marks.remove(identity.as_bytes())?;
                        }
                    }
                }
            }
            for (id, bytes) in &queued {
                queue_tree.insert(&queue::key(*id), bytes.as_slice())?;
            }
            state_tree.insert(STATE_KEY, state.as_slice())?;
            Ok(())
        });
        unwrap_transaction(result)?;
        self.db.flush()?;
        Ok(())
    }

    /// Keeps the Z-summary and writes the state after closing, atomically.
    pub fn close_shift(&self, summary: &Summary, durable: &Durable) -> Result<(), StoreError> {
        self.check_room()?;
        let entry = encode("summary", summary)?;
        let state = encode("state", durable)?;
        let result = (&self.shifts, &self.state).transaction(|(shifts, state_tree)| {
            shifts.insert(&summary.shift.to_be_bytes(), entry.as_slice())?;
            state_tree.insert(STATE_KEY, state.as_slice())?;
            Ok(())
        });
        unwrap_transaction(result)?;
        self.db.flush()?;
        Ok(())
    }

    /// The sale receipt a marked unit left in, while it is not returned.
    pub fn sold_mark(&self, identity: &str) -> Result<Option<ReceiptId>, StoreError> {
        Ok(self.marks.get(identity.as_bytes())?.and_then(|key| ReceiptId::from_key(&key)))
    }

    pub fn receipt(&self, id: ReceiptId) -> Result<Option<ClosedReceipt>, StoreError> {
        self.journal.get(id.key())?.map(|bytes| decode(id, &bytes)).transpose()
    }

    pub fn returned(&self, id: ReceiptId) -> Result<Returned, StoreError> {
        match self.returned.get(id.key())? {
            Some(bytes) => decode(format_args!("returned {id}"), &bytes),
            None => Ok(Returned::default()),
        }
    }

    /// Receipts for a return, each with what was already returned.
    pub fn find(&self, query: &ReceiptQuery) -> Result<Vec<ReturnSource>, StoreError> {
        let receipts = match query {
            ReceiptQuery::Id(id) => self.receipt(*id)?.into_iter().collect(),
            ReceiptQuery::Date(date) => self.on_date(*date)?,
        };
        receipts
            .into_iter()
            .map(|sale| {
                Ok(ReturnSource {
                    returned: self.returned(sale.id)?,
                    sale,
                })
            })
            .collect()
    }

    pub fn on_date(&self, date: NaiveDate) -> Result<Vec<ClosedReceipt>, StoreError> {
        let prefix = date.format("%Y%m%d").to_string();
        let mut found = Vec::new();
        for entry in self.by_date.scan_prefix(prefix.as_bytes()) {
            let (key, _) = entry?;
            if let Some(receipt) = ReceiptId::from_key(&key[8..]).map(|id| self.receipt(id)).transpose()?.flatten() {
                found.push(receipt);
            }
        }
        Ok(found)
    }

    /// Every journal entry in order, optionally only one shift's.
    pub fn journal(&self, shift: Option<u32>) -> impl Iterator<Item = Result<ClosedReceipt, StoreError>> + '_ {
        let prefix = shift.map(|s| s.to_be_bytes().to_vec()).unwrap_or_default();
        self.journal.scan_prefix(prefix).map(|entry| {
            let (key, bytes) = entry?;
            let name = ReceiptId::from_key(&key).map_or_else(|| format!("{key:?}"), |id| id.to_string());
            decode(&name, &bytes)
        })
    }

    pub fn summaries(&self) -> impl Iterator<Item = Result<Summary, StoreError>> + '_ {
        self.shifts.iter().map(|entry| {
            let (key, bytes) = entry?;
            decode(format_args!("shift {key:?}"), &bytes)
        })
    }
}

/// Reads a stored JSON value; one that cannot be read is reported as
/// corrupt under `name` (the caller decides whether to set it aside).
fn decode<T: serde::de::DeserializeOwned>(name: impl std::fmt::Display, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: name.to_string(),
        reason: e.to_string(),
    })
}

fn unwrap_transaction(result: Result<(), TransactionError<StoreError>>) -> Result<(), StoreError> {
    match result {
        Ok(()) => Ok(()),
        Err(TransactionError::Abort(e)) => Err(e),
        Err(TransactionError::Storage(e)) => Err(StoreError::Sled(e)),
    }
}

#[cfg(test)]
mod tests;
