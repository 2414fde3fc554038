//! The thin runtime shared by the live terminal and headless replays:
//! feeds events to `update`, hands effects to the I/O worker, and counts
//! what is in flight so a replay can wait until everything has settled.

use crate::core::effect::Effect;
use crate::core::event::Event;
use crate::core::state::AppState;
use crate::core::update::update;
use crate::io::{Executor, Worker};

pub struct Runtime {
    pub state: AppState,
    worker: Option<Worker>,
    in_flight: usize,
}

/// The event an effect would have produced had it failed with `reason`.
fn failed(effect: Effect, reason: &str) -> Option<Event> {
    let reason = reason.to_string();
    Some(match effect {
        Effect::SaveState(_) => Event::Saved(Err(reason)),
        Effect::CloseReceipt { .. } => Event::ReceiptClosed(Err(reason)),
        Effect::CloseShift { .. } => Event::ShiftClosed(Err(reason)),
        Effect::Print(job) => Event::Printed {
            job: job.id,
            result: Err(reason),
        },
        Effect::FindReceipts(_) => Event::ReceiptsFound(Err(reason)),
        Effect::Quit => return None,
    })
}

impl Runtime {
    /// Starts the worker; every event it produces is passed to `deliver`
    /// (a channel into the caller's loop), and must come back via [`Runtime::deliver`].
    pub fn start(state: AppState, executor: Executor, deliver: impl Fn(Event) + Send + 'static) -> std::io::Result<Runtime> {
        let worker = Worker::start(executor, deliver)?;
        let mut runtime = Runtime {
            state,
            worker: Some(worker),
            in_flight: 0,
        };
        runtime.dispatch(Event::Started);
        Ok(runtime)
    }

    pub fn dispatch(&mut self, event: Event) {
        for effect in update(&mut self.state, event) {
            if effect == Effect::Quit {
                continue;
            }
            let sent = match &self.worker {
                Some(worker) => worker.send(effect),
                None => Err(effect),
            };
            match sent {
                Ok(()) => self.in_flight += 1,
                Err(effect) => {
                    if let Some(event) = failed(effect, "I/O worker stopped") {
                        self.dispatch(event);
                    }
                }
            }
        }
    }

    /// An event produced by the worker.
    pub fn deliver(&mut self, event: Event) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.dispatch(event);
    }

    pub fn is_idle(&self) -> bool {
        self.in_flight == 0
    }

    /// Waits for queued effects to finish and closes the store.
    pub fn shutdown(mut self) -> AppState {
        if let Some(worker) = self.worker.take() {
            worker.shutdown();
        }
        self.state
    }
}
