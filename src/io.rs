//! The effect executor: one worker thread owns the store and carries out
//! disk effects strictly in order, answering each with an event. Order
//! matters (a receipt's last save must land before its close), and one
//! owner means no locks around sled. Printing has its own thread
//! (`crate::devices::printer`): a slow printer never holds up the disk.

use std::sync::mpsc;
use std::thread;

use crate::core::device::DeviceProblem;
use crate::core::effect::Effect;
use crate::core::event::Event;
use crate::core::journal::ReceiptId;
use crate::core::marking::{MarkCode, MarkFailure, PlannedStatus};
use crate::core::queue::{Outcome, QueueChange};
use crate::core::storage::StorageFailure;
use crate::devices::printer::PrinterRequest;
use crate::faults::{FaultPoint, Faults};
use crate::loyalty::LoyaltyError;
use crate::store::Store;

/// How many entries the queue screen shows of each list.
const QUEUE_SCREEN_ROWS: usize = 500;

pub struct Executor {
    store: Store,
    faults: Faults,
    /// The shift open in the last state written, to log when one opens.
    shift: Option<u32>,
}

impl Executor {
    pub fn new(store: Store) -> Executor {
        Executor {
            store,
            faults: Faults::from_env(),
            shift: None,
        }
    }

    /// The shift already open in the stored state: resuming it is not opening it.
    pub fn with_open_shift(mut self, shift: Option<u32>) -> Executor {
        self.shift = shift;
        self
    }

    /// Logs a shift opening once its state is on disk.
    fn note_shift(&mut self, durable: &crate::core::state::Durable) {
        let now = durable.shift.as_ref().map(|s| s.number);
        if let Some(shift) = &durable.shift
            && now != self.shift
        {
            tracing::info!(target: "kassa::shift", "shift {} opened by {}, cash in the drawer {}", shift.number, shift.cashier, shift.opening_cash);
        }
        self.shift = now;
    }

    /// Logs a closed shift and its Z-report once they are on disk.
    fn note_z(&mut self, summary: &crate::core::shift::Summary, state: &crate::core::state::Durable) {
        let c = &summary.counters;
        tracing::info!(
            target: "kassa::shift",
            "shift {} closed by {}, Z-report: {} receipts, sales {} ({}), returns {} ({}), cash in the drawer {}",
            summary.shift,
            summary.cashier,
            summary.receipts,
            c.sales.total(),
            c.sales.count,
            c.returns.total(),
            c.returns.count,
            summary.drawer_cash
        );
        self.shift = state.shift.as_ref().map(|s| s.number);
    }

    /// A handle to the store for readers outside the worker (the support socket).
    pub fn store(&self) -> Store {
        self.store.clone()
    }

    /// The queue after a write: its head read afresh (unreadable entries are
    /// set aside and logged), whether or not the write itself succeeded.
    fn change(&self, written: Result<(usize, usize), crate::store::StoreError>) -> QueueChange {
        let (gone, archived, write_error) = match written {
            Ok((gone, archived)) => (gone, archived, None),
            Err(e) => (0, 0, Some(e)),
        };
        let (head, set_aside, read_error) = match self.store.queue_head() {
            Ok((head, warnings)) => {
                for warning in &warnings {
                    tracing::error!(target: "kassa::queue", "{warning}");
                }
                (head, warnings.len(), None)
            }
            Err(e) => (None, 0, Some(e)),
        };
        let error = write_error.or(read_error).map(|e| e.failure());
        QueueChange {
            head,
            gone: gone + set_aside,
            archived,
            set_aside,
            error,
        }
    }

    /// What the journal says of a unit about to be checked: a sale of a
    /// unit sold and not returned, or a return of one not sold here, is refused.
    /// A return's unit must be out in its own sale (`original`): one sold
    /// again since in another receipt comes back against that one.
    fn mark_in_journal(&self, code: &MarkCode, status: PlannedStatus, original: Option<ReceiptId>) -> Result<(), MarkFailure> {
        let sold = self
            .store
            .sold_mark(&code.identity())
            .map_err(|e| MarkFailure::Journal(e.failure()))?;
        match (status, sold) {
            (PlannedStatus::Sold, Some(receipt)) => Err(MarkFailure::AlreadySold {
                receipt: receipt.to_string(),
            }),
            (PlannedStatus::Returned, sold) if sold.is_none() || sold != original => Err(MarkFailure::NotSold),
            _ => Ok(()),
        }
    }

    fn crash_if(&mut self, point: FaultPoint) {
        self.faults.crash_if(point);
    }

    /// Carries out one effect. `Effect::Quit` is the runtime's and gives no event.
    pub fn execute(&mut self, effect: Effect) -> Option<Event> {
        let event = self.carry_out(effect)?;
        match &event {
            Event::Saved(Err(e)) | Event::ReceiptClosed(Err(e)) | Event::ShiftClosed(Err(e)) | Event::ReceiptsFound(Err(e)) => {
                tracing::error!(target: "kassa::store", "{e:?}")
            }
            Event::ReceiptClosed(Ok(r)) => tracing::info!(target: "kassa::journal", "receipt {} closed, total {}", r.id, r.totals().total),
            _ => {}
        }
        Some(event)
    }

    fn carry_out(&mut self, effect: Effect) -> Option<Event> {
        Some(match effect {
            Effect::SaveState(durable) => {
                self.crash_if(FaultPoint::BeforeSave);
                let result = self.store.save_state(&durable).map_err(|e| e.failure());
                if result.is_ok() {
                    self.note_shift(&durable);
                }
                self.crash_if(FaultPoint::AfterSave);
                Event::Saved(result)
            }
            Effect::CloseReceipt { receipt, state, enqueue } => {
                self.crash_if(FaultPoint::BeforeClose);
                let result = self
                    .store
                    .close_receipt(&receipt, &state, &enqueue)
                    .map(|()| *receipt)
                    .map_err(|e| e.failure());
                self.crash_if(FaultPoint::AfterClose);
                Event::ReceiptClosed(result)
            }
            Effect::CloseShift { summary, state } => {
                let result = self.store.close_shift(&summary, &state).map_err(|e| e.failure());
                if result.is_ok() {
                    self.note_z(&summary, &state);
                }
                Event::ShiftClosed(result.map(|()| *summary))
            }
            Effect::FindReceipts(query) => Event::ReceiptsFound(self.store.find(&query).map_err(|e| e.failure())),
            Effect::Enqueue { entries, state } => match self.store.enqueue(&entries, &state) {
                Ok(()) => Event::QueueChanged(self.change(Ok((0, 0)))),
                // Handed back: the core keeps them and tries again.
                Err(e) => Event::EnqueueFailed {
                    entries,
                    error: e.failure(),
                },
            },
            Effect::QueueDone { id, outcome } => {
                self.crash_if(FaultPoint::BeforeDequeue);
                let archived = usize::from(matches!(outcome, Outcome::Rejected { .. }));
                let gone = usize::from(!matches!(outcome, Outcome::Retry { .. }));
                let result = self.change(self.store.queue_done(id, &outcome).map(|()| (gone, archived)));
                self.crash_if(FaultPoint::AfterDequeue);
                Event::QueueChanged(result)
            }
            Effect::QueueList => Event::QueueListed(
                self.store
                    .queue_list(QUEUE_SCREEN_ROWS)
                    .and_then(|q| Ok((q, self.store.rejected_list(QUEUE_SCREEN_ROWS)?)))
                    .map_err(|e| e.failure()),
            ),
            // Loyalty requests go to the loyalty worker; print jobs pass on to the printer's thread.
            Effect::Quit | Effect::Loyalty { .. } | Effect::Print(_) | Effect::CheckMark { .. } | Effect::DecideMark { .. } => return None,
        })
    }
}

/// A thread fed through a channel, one message at a time in order.
pub struct Mailbox<T> {
    inbox: mpsc::Sender<T>,
    handle: Option<thread::JoinHandle<()>>,
}

impl<T: Send + 'static> Mailbox<T> {
    /// Starts thread `name` running `run` over the messages sent to it.
    pub fn spawn(name: &str, run: impl FnOnce(mpsc::Receiver<T>) + Send + 'static) -> std::io::Result<Mailbox<T>> {
        let (inbox, messages) = mpsc::channel::<T>();
        let handle = thread::Builder::new().name(name.into()).spawn(move || run(messages))?;
        Ok(Mailbox {
            inbox,
            handle: Some(handle),
        })
    }

    /// Another way in, for a thread that passes messages on.
    pub fn sender(&self) -> mpsc::Sender<T> {
        self.inbox.clone()
    }

    /// Hands the message back when the thread is gone.
    pub fn send(&self, message: T) -> Result<(), T> {
        self.inbox.send(message).map_err(|e| e.0)
    }

    /// Lets the thread finish what is queued, and waits for it.
    pub fn shutdown(mut self) {
        let (dead, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.inbox, dead));
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// The disk worker: carries out effects in order; each event it produces
/// is passed to `deliver`.
pub type Worker = Mailbox<Effect>;

/// Where the disk worker passes on what leaves the register.
pub struct Outlets {
    pub printer: mpsc::Sender<PrinterRequest>,
    pub loyalty: Option<crate::loyalty::worker::JobSender>,
}

impl Worker {
    /// Print jobs and loyalty requests pass through in their place among
    /// the disk effects and go on to their threads: nothing leaves the
    /// register until the state that leads to it is on disk. Printed or
    /// sent first and saved after, a crash in between would leave the
    /// registrar or the loyalty server ahead of kassa with no record to
    /// settle it by. While the last state write failed (a full disk) they
    /// do not go at all: each is answered as failed, naming why.
    pub fn start(mut executor: Executor, outlets: Outlets, deliver: impl Fn(Event) + Send + 'static) -> std::io::Result<Worker> {
        Mailbox::spawn("kassa-io", move |inbox| {
            // Why the state in memory is not on disk, while it is not.
            let mut unsaved: Option<StorageFailure> = None;
            for effect in inbox {
                match effect {
                    Effect::Print(job) => {
                        let id = job.id;
                        let refused = match &unsaved {
                            Some(reason) => Err((id, DeviceProblem::NotSaved(reason.clone()))),
                            None => outlets
                                .printer
                                .send(PrinterRequest::Print(job))
                                .map_err(|_| (id, DeviceProblem::PrinterStopped)),
                        };
                        if let Err((job, reason)) = refused {
                            deliver(Event::Printed {
                                job,
                                result: Err(reason),
                                refused: false,
                            });
                        }
                    }
                    // A check goes to the registrar only if the journal allows the unit.
                    Effect::CheckMark {
                        id,
                        code,
                        status,
                        original,
                    } => {
                        let refused = executor.mark_in_journal(&code, status, original).err().or_else(|| {
                            let request = PrinterRequest::CheckMark { id, code, status };
                            outlets
                                .printer
                                .send(request)
                                .err()
                                .map(|_| MarkFailure::Registrar(DeviceProblem::PrinterStopped))
                        });
                        if let Some(failure) = refused {
                            deliver(Event::MarkChecked { id, result: Err(failure) });
                        }
                    }
                    Effect::DecideMark { accept } => {
                        if outlets.printer.send(PrinterRequest::DecideMark { accept }).is_err() {
                            let result = Err(MarkFailure::Registrar(DeviceProblem::PrinterStopped));
                            deliver(Event::MarkDecided { accept, result });
                        }
                    }
                    Effect::Loyalty { id, request, at } => {
                        let refused = match (&unsaved, &outlets.loyalty) {
                            (Some(reason), _) => Some(LoyaltyError::NotSent(crate::text::storage_failure(reason))),
                            (None, Some(loyalty)) => loyalty
                                .send((id, request, at))
                                .err()
                                .map(|_| LoyaltyError::Link("loyalty worker stopped".into())),
                            (None, None) => Some(LoyaltyError::Link("no loyalty worker".into())),
                        };
                        if let Some(error) = refused {
                            deliver(Event::LoyaltyReplied { id, result: Err(error) });
                        }
                    }
                    effect => {
                        let writes_state = matches!(
                            effect,
                            Effect::SaveState(_) | Effect::Enqueue { .. } | Effect::CloseReceipt { .. } | Effect::CloseShift { .. }
                        );
                        let Some(event) = executor.execute(effect) else { continue };
                        if writes_state {
                            unsaved = match &event {
                                Event::Saved(Err(e)) | Event::EnqueueFailed { error: e, .. } => Some(e.clone()),
                                // A failed close wrote nothing: the state on disk is as it was.
                                Event::ReceiptClosed(Err(_)) | Event::ShiftClosed(Err(_)) => unsaved,
                                _ => None,
                            };
                        }
                        deliver(event);
                    }
                }
            }
        })
    }
}
