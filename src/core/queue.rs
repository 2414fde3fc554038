//! The loyalty queue as the core sees it: entries, the outcome of a send,
//! the view the core keeps (depth and the next entry), and the backoff.

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::core::loyalty::Request;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub id: u64,
    pub provider: String,
    pub request: Request,
    pub created: NaiveDateTime,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Not before this time (backoff after a link failure).
    pub next_attempt: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub entry: QueueEntry,
    pub at: NaiveDateTime,
    pub text: String,
}

/// What the core keeps of the queue: its depth and the entry to send next.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueueView {
    pub depth: usize,
    pub head: Option<QueueEntry>,
    pub rejected: usize,
}

/// What a queue write did, as the store reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueueChange {
    /// The next entry, read after the write.
    pub head: Option<QueueEntry>,
    /// Entries that left the queue: sent, rejected, or set aside as unreadable.
    pub gone: usize,
    /// Of those, moved to the rejected archive.
    pub archived: usize,
    /// Of those, unreadable and set aside.
    pub set_aside: usize,
    /// The write (or the read after it) failed: the cashier's wording.
    pub error: Option<super::storage::StorageFailure>,
}

/// How a send of an entry ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Sent,
    Rejected {
        text: String,
        at: NaiveDateTime,
    },
    Retry {
        attempts: u32,
        error: String,
        next_attempt: NaiveDateTime,
    },
}

/// The first retry waits this long; each next one twice as long, up to the cap.
const FIRST_DELAY_SECONDS: i64 = 5;
const MAX_DELAY_SECONDS: i64 = 300;

/// When to try again after `attempts` failed sends of entry `id`: capped
/// exponential backoff with ±20 % jitter, so registers that lost the link
/// together do not come back in step. The jitter is derived from the entry
/// and attempt (not a random source) so replays stay deterministic.
pub fn next_attempt(now: NaiveDateTime, id: u64, attempts: u32) -> NaiveDateTime {
    let exponent = attempts.saturating_sub(1).min(16);
    let base_ms = (FIRST_DELAY_SECONDS * 1000)
        .saturating_mul(1i64 << exponent)
        .min(MAX_DELAY_SECONDS * 1000);
    // A small integer hash of (id, attempts) picks the jitter in [-20 %, +20 %].
    let mut x = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(attempts).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    let jitter_permille = (x % 401) as i64 - 200;
    now + Duration::milliseconds(base_ms + base_ms * jitter_permille / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let now = NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("date");
        let delay = |id, attempts| (next_attempt(now, id, attempts) - now).num_milliseconds();
        for attempts in 1..=20 {
            let base = (5_000i64 << (attempts - 1).min(16)).min(300_000);
            let d = delay(7, attempts);
            assert!(d >= base * 8 / 10 && d <= base * 12 / 10, "attempt {attempts}: {d} ms vs {base}");
        }
        assert!(delay(7, 20) <= 360_000, "capped");
        assert_ne!(delay(1, 3), delay(2, 3), "different entries do not retry in step");
        assert_eq!(delay(1, 3), delay(1, 3), "deterministic");
    }
}
