//! The `fiscal` tree: how far each print job got, so a registrar never
//! registers a receipt twice and a plain printer never prints an original
//! twice, across crashes and reconnects.

use super::{Store, StoreError, encode};
use crate::devices::shtrih::registrar::{FiscalMarks, JobKey, Mark};

/// Marks older than this many jobs are settled for good and dropped.
const KEEP: u64 = 1000;

/// A mark as stored: with the digest of the job's document (older marks have none).
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    mark: Mark,
    #[serde(default)]
    digest: Option<String>,
}

impl Store {
    /// The mark of job `job`, and the digest of the document it was for.
    pub fn fiscal_mark(&self, job: u64) -> Result<Option<(Mark, Option<String>)>, StoreError> {
        let Some(bytes) = self.fiscal.get(job.to_be_bytes())? else {
            return Ok(None);
        };
        let stored = serde_json::from_slice::<Stored>(&bytes).ok().or_else(|| {
            serde_json::from_slice::<Mark>(&bytes)
                .ok()
                .map(|mark| Stored { mark, digest: None })
        });
        Ok(stored.map(|s| (s.mark, s.digest)))
    }

    /// Writes and flushes the mark (it must survive a power cut that follows).
    pub fn set_fiscal_mark(&self, job: &JobKey, mark: Mark) -> Result<(), StoreError> {
        let stored = Stored {
            mark,
            digest: Some(job.digest.clone()),
        };
        self.fiscal.insert(job.id.to_be_bytes(), encode("fiscal mark", &stored)?)?;
        if mark == Mark::Done {
            for old in self.fiscal.range(..job.id.saturating_sub(KEEP).to_be_bytes()).keys() {
                self.fiscal.remove(old?)?;
            }
        }
        self.db.flush()?;
        Ok(())
    }
}

impl FiscalMarks for Store {
    fn get(&self, job: &JobKey) -> Option<Mark> {
        match self.fiscal_mark(job.id) {
            Ok(Some((mark, Some(digest)))) if digest != job.digest => {
                // The number came again after a lost save: this is another document.
                tracing::warn!(target: "kassa::store", "print job {} is a new document under a number used before ({mark:?} was for another)", job.id);
                None
            }
            Ok(found) => found.map(|(mark, _)| mark),
            Err(e) => {
                tracing::error!(target: "kassa::store", "fiscal mark of job {}: {e}", job.id);
                None
            }
        }
    }

    fn set(&self, job: &JobKey, mark: Mark) -> Result<(), crate::core::storage::StorageFailure> {
        self.set_fiscal_mark(job, mark).map_err(|e| e.failure())
    }
}
