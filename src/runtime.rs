//! The thin runtime shared by the live terminal and headless replays:
//! feeds events to `update`, hands effects to the I/O worker, and counts
//! what is in flight so a replay can wait until everything has settled.

use crate::core::marking::MarkFailure;
use std::time::{Duration, Instant};

use crate::core::device::DeviceProblem;
use crate::core::effect::Effect;
use crate::core::event::Event;
use crate::core::state::AppState;
use crate::core::storage::StorageFailure;
use crate::core::update::update;
use crate::devices::Devices;
use crate::devices::printer::PrinterWorker;
use crate::devices::reader::{self, ReaderHandle};
use crate::io::{Executor, Outlets, Worker};
use crate::loyalty::LoyaltyConfig;
use crate::loyalty::LoyaltyError;
use crate::loyalty::worker::LoyaltyWorker;
use crate::session::{self, Recorder};

pub struct Runtime {
    pub state: AppState,
    worker: Option<Worker>,
    printer: Option<PrinterWorker>,
    readers: Vec<ReaderHandle>,
    loyalty: Option<LoyaltyWorker>,
    /// The session journal (the live workstation keeps one; replays do not).
    journal: Option<Recorder>,
    in_flight: usize,
    /// Of those, loyalty requests (a replay goes on past a hung server).
    loyalty_in_flight: usize,
    /// Effects the I/O worker has not answered yet, and since when it has not
    /// made progress: a disk that stops answering must not go unnoticed.
    io_in_flight: usize,
    io_waiting_since: Option<Instant>,
    stuck_reported: bool,
}

/// How long a disk operation may take before the cashier is told.
const STUCK_AFTER: Duration = Duration::from_secs(15);

/// The event an effect would have produced had it failed with `reason`.
fn failed(effect: Effect, failure: StorageFailure) -> Option<Event> {
    let reason = crate::text::storage_failure(&failure);
    Some(match effect {
        Effect::SaveState(_) => Event::Saved(Err(failure)),
        Effect::CloseReceipt { .. } => Event::ReceiptClosed(Err(failure)),
        Effect::CloseShift { .. } => Event::ShiftClosed(Err(failure)),
        Effect::Print(job) => Event::Printed {
            job: job.id,
            result: Err(DeviceProblem::Storage(failure)),
            refused: false,
        },
        Effect::FindReceipts(_) => Event::ReceiptsFound(Err(failure)),
        // Checks go on through the disk worker to the printer: with the
        // worker gone, neither the journal nor the registrar was asked.
        Effect::CheckMark { id, .. } => Event::MarkChecked {
            id,
            result: Err(MarkFailure::Registrar(DeviceProblem::Storage(failure))),
        },
        Effect::DecideMark { accept } => Event::MarkDecided {
            accept,
            result: Err(MarkFailure::Registrar(DeviceProblem::Storage(failure))),
        },
        Effect::Enqueue { entries, .. } => Event::EnqueueFailed { entries, error: failure },
        Effect::QueueDone { .. } => Event::QueueChanged(crate::core::queue::QueueChange {
            error: Some(failure),
            ..Default::default()
        }),
        Effect::QueueList => Event::QueueListed(Err(failure)),
        Effect::Loyalty { id, .. } => Event::LoyaltyReplied {
            id,
            result: Err(LoyaltyError::Link(reason)),
        },
        Effect::Quit => return None,
    })
}

impl Runtime {
    /// Starts the worker; every event it produces is passed to `deliver`
    /// (a channel into the caller's loop), and must come back via [`Runtime::deliver`].
    pub fn start(
        state: AppState,
        executor: Executor,
        devices: Devices,
        loyalty: Option<LoyaltyConfig>,
        deliver: impl Fn(Event) + Send + Clone + 'static,
    ) -> std::io::Result<Runtime> {
        Runtime::start_with(state, executor, devices, loyalty, None, deliver)
    }

    /// [`Runtime::start`] with a session journal that records from the state
    /// it starts with.
    pub fn start_with(
        state: AppState,
        executor: Executor,
        devices: Devices,
        loyalty: Option<LoyaltyConfig>,
        mut journal: Option<Recorder>,
        deliver: impl Fn(Event) + Send + Clone + 'static,
    ) -> std::io::Result<Runtime> {
        if let Some(journal) = journal.as_mut() {
            journal.start(&state);
        }
        let loyalty = loyalty.map(|config| LoyaltyWorker::start(config, deliver.clone())).transpose()?;
        let printer = PrinterWorker::start(devices.printer, devices.poll, deliver.clone())?;
        let readers = devices
            .readers
            .into_iter()
            .map(|config| reader::start(config, deliver.clone()))
            .collect::<std::io::Result<Vec<_>>>()?;
        let outlets = Outlets {
            printer: printer.sender(),
            loyalty: loyalty.as_ref().map(LoyaltyWorker::sender),
        };
        let worker = Worker::start(executor, outlets, deliver)?;
        let mut runtime = Runtime {
            state,
            worker: Some(worker),
            printer: Some(printer),
            readers,
            loyalty,
            journal,
            in_flight: 0,
            loyalty_in_flight: 0,
            io_in_flight: 0,
            io_waiting_since: None,
            stuck_reported: false,
        };
        runtime.dispatch(Event::Started);
        Ok(runtime)
    }

    pub fn dispatch(&mut self, event: Event) {
        let coming = self.journal.as_mut().map(|journal| journal.before(&self.state, &event));
        let effects = update(&mut self.state, event);
        if let (Some(journal), Some(coming)) = (self.journal.as_mut(), coming) {
            journal.after(coming, &self.state, !effects.is_empty());
        }
        self.run(effects);
        if let Some(journal) = self.journal.as_mut()
            && self.in_flight == 0
            && session::is_quiet(&self.state)
        {
            journal.quiet(&self.state);
        }
    }

    /// The terminal's size, for the session journal.
    pub fn resized(&mut self, width: u16, height: u16) {
        if let Some(journal) = self.journal.as_mut() {
            journal.size(width, height);
        }
    }

    fn run(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            if effect == Effect::Quit {
                continue;
            }
            let to_disk = !matches!(
                effect,
                Effect::Loyalty { .. } | Effect::Print(_) | Effect::CheckMark { .. } | Effect::DecideMark { .. }
            );
            let to_server = matches!(effect, Effect::Loyalty { .. });
            // Print jobs and loyalty requests go through the disk worker, after
            // the saves before them (see `Worker::start`).
            let sent = match &self.worker {
                Some(worker) => worker.send(effect),
                None => Err(effect),
            };
            match sent {
                Ok(()) => {
                    self.in_flight += 1;
                    self.loyalty_in_flight += usize::from(to_server);
                    if to_disk {
                        self.io_in_flight += 1;
                        self.io_waiting_since.get_or_insert_with(Instant::now);
                    }
                }
                Err(effect) => {
                    if let Some(event) = failed(effect, StorageFailure::WorkerStopped) {
                        self.dispatch(event);
                    }
                }
            }
        }
    }

    /// An event produced by the worker.
    pub fn deliver(&mut self, event: Event) {
        // Devices speak unasked: their events answer no effect.
        if event.is_from_device() {
            self.dispatch(event);
            return;
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        if matches!(event, Event::LoyaltyReplied { .. }) {
            self.loyalty_in_flight = self.loyalty_in_flight.saturating_sub(1);
        }
        let from_printer = matches!(event, Event::Printed { .. } | Event::MarkChecked { .. } | Event::MarkDecided { .. });
        if !matches!(event, Event::LoyaltyReplied { .. }) && !from_printer {
            // The I/O worker made progress: the watchdog starts over.
            self.io_in_flight = self.io_in_flight.saturating_sub(1);
            self.io_waiting_since = (self.io_in_flight > 0).then(Instant::now);
            self.stuck_reported = false;
        }
        self.dispatch(event);
    }

    /// Called on the clock: tells the core, once, that the disk stopped answering.
    pub fn watch(&mut self) {
        let stuck = self.io_waiting_since.is_some_and(|since| since.elapsed() > STUCK_AFTER);
        if stuck && !self.stuck_reported {
            self.stuck_reported = true;
            tracing::error!(target: "kassa::store", "a disk operation has not finished for {} s", STUCK_AFTER.as_secs());
            self.dispatch(Event::StorageStuck);
        }
    }

    pub fn is_idle(&self) -> bool {
        self.in_flight == 0
    }

    /// Nothing but loyalty requests in flight.
    pub fn only_loyalty_in_flight(&self) -> bool {
        self.in_flight == self.loyalty_in_flight
    }

    /// Waits for queued effects to finish and closes the store.
    pub fn shutdown(mut self) -> AppState {
        if let Some(journal) = self.journal.as_mut() {
            journal.finish();
        }
        for reader in self.readers.drain(..) {
            reader.shutdown();
        }
        // The disk worker first: it passes print jobs on to the printer.
        if let Some(worker) = self.worker.take() {
            worker.shutdown();
        }
        if let Some(printer) = self.printer.take() {
            printer.shutdown();
        }
        if let Some(loyalty) = self.loyalty.take() {
            loyalty.shutdown();
        }
        self.state
    }
}
