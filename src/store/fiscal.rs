//! The `fiscal` tree: how far each fiscal print job got, so a registrar
//! never registers a receipt twice across crashes and reconnects.

use super::{Store, StoreError, encode};
use crate::devices::shtrih::registrar::{FiscalMarks, Mark};

/// Marks older than this many jobs are settled for good and dropped.
const KEEP: u64 = 1000;

impl Store {
    pub fn fiscal_mark(&self, job: u64) -> Result<Option<Mark>, StoreError> {
        match self.fiscal.get(job.to_be_bytes())? {
            Some(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
            None => Ok(None),
        }
    }

    /// Writes and flushes the mark (it must survive a power cut that follows).
    pub fn set_fiscal_mark(&self, job: u64, mark: Mark) -> Result<(), StoreError> {
        self.fiscal.insert(job.to_be_bytes(), encode("fiscal mark", &mark)?)?;
        if mark == Mark::Done {
            for old in self.fiscal.range(..job.saturating_sub(KEEP).to_be_bytes()).keys() {
                self.fiscal.remove(old?)?;
            }
        }
        self.db.flush()?;
        Ok(())
    }
}

impl FiscalMarks for Store {
    fn get(&self, job: u64) -> Option<Mark> {
        match self.fiscal_mark(job) {
            Ok(mark) => mark,
            Err(e) => {
                tracing::error!(target: "kassa::store", "fiscal mark of job {job}: {e}");
                None
            }
        }
    }

    fn set(&self, job: u64, mark: Mark) -> Result<(), String> {
        self.set_fiscal_mark(job, mark).map_err(|e| crate::text::store_error(&e))
    }
}
