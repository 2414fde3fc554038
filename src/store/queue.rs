//! The durable loyalty queue: requests that go to the server after the
//! receipt closed (confirmations, cancellations of payments in doubt), in
//! order, until the server has them; refused ones move to the rejected
//! archive with the server's text.
//!
//! Trees: `queue` (id → entry, ids in order, one provider per store),
//! `rejected` (id → entry + text + time). Entries are JSON; one that cannot
//! be read is moved to `corrupt` and reported, never a panic.
//!
//! Why a resend never counts twice, per protocol:
//! - Frontol Loyalty API: `confirm` carries the receipt's `uid`; the server
//!   answers a repeated uid without counting it again (the emulator does,
//!   and the spec's queue process relies on it). A `cancelBonusPayment` for
//!   a payment that was never taken is refused and dropped.
//! - KilBil: `confirmsale` is keyed by `move_id` (store-register-shift-date-number).
//! - ProBonus: `register_check`/`return_check` carry `checkGuid`, unique per receipt.
//! - MaxBonus: a repeated write answers "already processed"; the provider
//!   rolls back and writes again (the spec's hung-register process).

use sled::Transactional;

use super::{Store, StoreError};

pub use crate::core::queue::{Outcome, QueueEntry, QueueView, Rejected};

pub(super) fn key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

/// An entry's id from its key (0 for a key of the wrong size, which only a damaged tree holds).
fn entry_id(key: &[u8]) -> u64 {
    key.try_into().map_or(0, u64::from_be_bytes)
}

impl Store {
    /// The first readable entry. Unreadable entries met on the way are
    /// moved to `corrupt` and reported in the warnings (as many as were set aside).
    pub fn queue_head(&self) -> Result<(Option<QueueEntry>, Vec<String>), StoreError> {
        let mut warnings = Vec::new();
        loop {
            let Some((k, bytes)) = self.queue.first()? else {
                return Ok((None, warnings));
            };
            match serde_json::from_slice::<QueueEntry>(&bytes) {
                Ok(entry) => return Ok((Some(entry), warnings)),
                Err(e) => {
                    let name = format!("queue-{}", entry_id(&k));
                    self.corrupt.insert(name.as_bytes(), bytes)?;
                    self.queue.remove(k)?;
                    self.db.flush()?;
                    warnings.push(format!("queue entry unreadable ({e}); set aside as {name}"));
                }
            }
        }
    }

    /// The whole view, at start-up: counting walks the trees (sled keeps no
    /// count), so afterwards the core keeps the depth itself.
    pub fn queue_view(&self) -> Result<(QueueView, Vec<String>), StoreError> {
        let (head, warnings) = self.queue_head()?;
        Ok((
            QueueView {
                depth: self.queue.len(),
                head,
                rejected: self.rejected.len(),
            },
            warnings,
        ))
    }

    /// Appends entries (flushed before returning).
    pub fn enqueue(&self, entries: &[QueueEntry], state: &crate::core::state::Durable) -> Result<(), StoreError> {
        self.check_room()?;
        let encoded: Vec<(u64, Vec<u8>)> = entries
            .iter()
            .map(|e| Ok((e.id, super::encode("queue entry", e)?)))
            .collect::<Result<_, StoreError>>()?;
        let state = super::encode("state", state)?;
        let result = (&self.queue, &self.state).transaction(|(queue, state_tree)| {
            for (id, bytes) in &encoded {
                queue.insert(&key(*id), bytes.as_slice())?;
            }
            state_tree.insert(super::STATE_KEY, state.as_slice())?;
            Ok(())
        });
        super::unwrap_transaction(result)?;
        self.db.flush()?;
        Ok(())
    }

    /// Records how sending entry `id` ended (flushed).
    pub fn queue_done(&self, id: u64, outcome: &Outcome) -> Result<(), StoreError> {
        self.check_room()?;
        let Some(bytes) = self.queue.get(key(id))? else { return Ok(()) };
        match outcome {
            Outcome::Sent => {
                self.queue.remove(key(id))?;
            }
            Outcome::Rejected { text, at } => {
                let entry: QueueEntry = super::decode(format_args!("queue {id}"), &bytes)?;
                let rejected = super::encode(
                    "rejected entry",
                    &Rejected {
                        entry,
                        at: *at,
                        text: text.clone(),
                    },
                )?;
                let result = (&self.queue, &self.rejected).transaction(|(queue, archive)| {
                    queue.remove(&key(id))?;
                    archive.insert(&key(id), rejected.as_slice())?;
                    Ok(())
                });
                super::unwrap_transaction(result)?;
            }
            Outcome::Retry {
                attempts,
                error,
                next_attempt,
            } => {
                let mut entry: QueueEntry = super::decode(format_args!("queue {id}"), &bytes)?;
                entry.attempts = *attempts;
                entry.last_error = Some(error.clone());
                entry.next_attempt = Some(*next_attempt);
                self.queue.insert(key(id), super::encode("queue entry", &entry)?)?;
            }
        }
        self.db.flush()?;
        Ok(())
    }

    /// Pending entries in order, at most `limit`.
    pub fn queue_list(&self, limit: usize) -> Result<Vec<QueueEntry>, StoreError> {
        let mut out = Vec::new();
        for item in self.queue.iter().take(limit) {
            let (k, bytes) = item?;
            let id = entry_id(&k);
            out.push(super::decode(format_args!("queue {id}"), &bytes)?);
        }
        Ok(out)
    }

    /// Rejected entries, newest first, at most `limit`.
    pub fn rejected_list(&self, limit: usize) -> Result<Vec<Rejected>, StoreError> {
        let mut out = Vec::new();
        for item in self.rejected.iter().rev().take(limit) {
            let (k, bytes) = item?;
            let id = entry_id(&k);
            out.push(super::decode(format_args!("rejected {id}"), &bytes)?);
        }
        Ok(out)
    }

    pub fn queue_entry(&self, id: u64) -> Result<Option<QueueEntry>, StoreError> {
        self.queue
            .get(key(id))?
            .map(|bytes| super::decode(format_args!("queue {id}"), &bytes))
            .transpose()
    }
}
