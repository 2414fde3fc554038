//! Plain printers (text, ESC/POS) cannot be asked what they printed. A
//! durable mark per job, set before the first byte goes and after the last,
//! keeps a crash from printing a document again as an original: a job
//! marked done is not printed again; one that may have been cut off is
//! printed again under a heading that says it is a repeat.

use super::document::Document;
use super::printer::{PrintError, Printer};
use crate::core::device::{DeviceProblem, DeviceState};
use crate::devices::shtrih::registrar::{FiscalMarks, JobKey, Mark};
use crate::text;

/// A plain printer whose jobs print at most once as originals.
pub struct PrintedOnce<P: Printer> {
    printer: P,
    marks: Box<dyn FiscalMarks>,
}

impl<P: Printer> PrintedOnce<P> {
    pub fn new(printer: P, marks: Box<dyn FiscalMarks>) -> PrintedOnce<P> {
        PrintedOnce { printer, marks }
    }

    fn set(&self, job: &JobKey, mark: Mark) -> Result<(), PrintError> {
        self.marks.set(job, mark).map_err(|e| PrintError::Fault(DeviceProblem::Storage(e)))
    }
}

impl<P: Printer> Printer for PrintedOnce<P> {
    fn print(&mut self, job: u64, document: &Document) -> Result<(), PrintError> {
        let key = JobKey::of(job, document);
        match self.marks.get(&key) {
            // Printed whole before a crash lost the news.
            Some(Mark::Done) => return Ok(()),
            // Cut off, or printed whole just before a crash: never a second original.
            Some(Mark::Started { .. }) => {
                let mut repeat = Document::default();
                repeat.title(text::P_REPEAT);
                repeat.lines.extend(document.lines.iter().cloned());
                repeat.customer_contact = document.customer_contact.clone();
                self.printer.print(job, &repeat)?;
            }
            // Nothing goes to the paper before the mark is on disk.
            _ => {
                self.set(&key, Mark::Started { document: 0 })?;
                self.printer.print(job, document)?;
            }
        }
        self.set(&key, Mark::Done)
    }

    fn check(&mut self) -> DeviceState {
        self.printer.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::storage::StorageFailure;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Marks(Arc<Mutex<HashMap<u64, Mark>>>);

    impl FiscalMarks for Marks {
        fn get(&self, job: &JobKey) -> Option<Mark> {
            self.0.lock().expect("marks").get(&job.id).copied()
        }
        fn set(&self, job: &JobKey, mark: Mark) -> Result<(), StorageFailure> {
            self.0.lock().expect("marks").insert(job.id, mark);
            Ok(())
        }
    }

    /// Keeps what it was given to print.
    #[derive(Clone, Default)]
    struct Paper(Arc<Mutex<Vec<Document>>>);

    impl Printer for Paper {
        fn print(&mut self, _job: u64, document: &Document) -> Result<(), PrintError> {
            self.0.lock().expect("paper").push(document.clone());
            Ok(())
        }
    }

    fn receipt() -> Document {
        let mut document = Document::default();
        document.text("КАССОВЫЙ ЧЕК");
        document
    }

    #[test]
    fn a_job_printed_whole_is_not_printed_again() {
        let (paper, marks) = (Paper::default(), Marks::default());
        let mut printer = PrintedOnce::new(paper.clone(), Box::new(marks.clone()));
        printer.print(1, &receipt()).expect("printed");
        // The restart asks again: the mark says it is done.
        let mut restarted = PrintedOnce::new(paper.clone(), Box::new(marks));
        restarted.print(1, &receipt()).expect("answered");
        assert_eq!(paper.0.lock().expect("paper").len(), 1);
    }

    #[test]
    fn a_job_cut_off_prints_again_as_a_repeat() {
        let (paper, marks) = (Paper::default(), Marks::default());
        marks.set(&JobKey::of(1, &receipt()), Mark::Started { document: 0 }).expect("mark");
        let mut printer = PrintedOnce::new(paper.clone(), Box::new(marks.clone()));
        printer.print(1, &receipt()).expect("printed");
        let printed = paper.0.lock().expect("paper").clone();
        assert_eq!(printed.len(), 1);
        assert_ne!(printed[0], receipt());
        assert!(format!("{:?}", printed[0].lines[0]).contains(text::P_REPEAT));
        assert_eq!(marks.get(&JobKey::of(1, &receipt())), Some(Mark::Done));
    }

    #[test]
    fn nothing_prints_when_the_mark_cannot_be_saved() {
        struct Full;
        impl FiscalMarks for Full {
            fn get(&self, _: &JobKey) -> Option<Mark> {
                None
            }
            fn set(&self, _: &JobKey, _: Mark) -> Result<(), StorageFailure> {
                Err(StorageFailure::DiskFull { free_kib: 0 })
            }
        }
        let paper = Paper::default();
        let mut printer = PrintedOnce::new(paper.clone(), Box::new(Full));
        assert!(printer.print(1, &receipt()).is_err());
        assert!(paper.0.lock().expect("paper").is_empty());
    }
}
