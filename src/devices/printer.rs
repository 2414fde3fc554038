//! The printer's own thread: it owns the driver (and so the port), prints
//! jobs in order, asks the printer how it is while idle, and reports both
//! as events. A slow or stuck printer never holds up the disk.

use std::collections::HashSet;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use super::DeviceState;
use crate::core::event::Event;
use crate::core::marking::{MarkCode, PlannedStatus};
use crate::core::state::PrintJob;
use crate::faults::{FaultPoint, Faults};
use crate::io::Mailbox;
use crate::print::printer::{PrintError, Printer};

pub use crate::core::device::PRINTER;

/// Tells the core about a device, once per change of its state.
pub struct Reporter<F: Fn(Event)> {
    device: String,
    deliver: F,
    shown: Option<DeviceState>,
}

impl<F: Fn(Event)> Reporter<F> {
    pub fn new(device: impl Into<String>, deliver: F) -> Reporter<F> {
        Reporter {
            device: device.into(),
            deliver,
            shown: None,
        }
    }

    pub fn state(&mut self, state: DeviceState) {
        if self.shown.as_ref() != Some(&state) {
            self.shown = Some(state.clone());
            (self.deliver)(Event::Device {
                device: self.device.clone(),
                state,
            });
        }
    }

    pub fn event(&self, event: Event) {
        (self.deliver)(event);
    }
}

/// What the printer's thread is asked to do, in order.
#[derive(Debug)]
pub enum PrinterRequest {
    Print(Box<PrintJob>),
    /// Check a marking code (a registrar's FF61h). Answers `Event::MarkChecked`.
    CheckMark {
        id: u64,
        code: MarkCode,
        status: PlannedStatus,
    },
    /// Take or refuse the code last checked (FF69h). Answers `Event::MarkDecided`.
    DecideMark {
        accept: bool,
    },
}

/// The printer's thread, fed print jobs and marking checks.
pub type PrinterWorker = Mailbox<PrinterRequest>;

impl PrinterWorker {
    /// Starts the thread; `poll` is how often an idle printer is asked how it is.
    pub fn start(
        mut printer: Box<dyn Printer>,
        poll: Duration,
        deliver: impl Fn(Event) + Send + 'static,
    ) -> std::io::Result<PrinterWorker> {
        Mailbox::spawn("kassa-printer", move |inbox: std::sync::mpsc::Receiver<PrinterRequest>| {
            let mut faults = Faults::from_env();
            let mut reporter = Reporter::new(PRINTER, deliver);
            // Jobs printed whole in this run: one asked for again (a reprint
            // racing the answer) is not printed twice.
            let mut done: HashSet<u64> = HashSet::new();
            loop {
                match inbox.recv_timeout(poll) {
                    Ok(PrinterRequest::CheckMark { id, code, status }) => {
                        let result = printer.check_mark(&code, status);
                        reporter.event(Event::MarkChecked { id, result });
                    }
                    Ok(PrinterRequest::DecideMark { accept }) => {
                        let result = printer.decide_mark(accept);
                        reporter.event(Event::MarkDecided { accept, result });
                    }
                    Ok(PrinterRequest::Print(job)) => {
                        let result = if done.contains(&job.id) {
                            Ok(())
                        } else {
                            faults.crash_if(FaultPoint::BeforePrint);
                            let result = printer.print(job.id, &job.document);
                            faults.crash_if(FaultPoint::AfterPrint);
                            result
                        };
                        let state = match &result {
                            Ok(()) => {
                                done.insert(job.id);
                                DeviceState::Ready
                            }
                            Err(e) => {
                                tracing::warn!(target: "kassa::printer", "job {}: {e}", job.id);
                                e.state()
                            }
                        };
                        // The job's answer first: the core then knows it printed
                        // before it hears the printer is back and resends the rest.
                        reporter.event(Event::Printed {
                            job: job.id,
                            refused: matches!(result, Err(PrintError::Refused(_))),
                            result: result.map_err(PrintError::into_problem),
                        });
                        reporter.state(state);
                    }
                    Err(RecvTimeoutError::Timeout) => reporter.state(printer.check()),
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        })
    }
}
