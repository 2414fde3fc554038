//! The thin runtime shared by the live terminal and headless replays:
//! feeds events to `update`, hands effects to the I/O worker, and counts
//! what is in flight so a replay can wait until everything has settled.

use crate::core::effect::Effect;
use crate::core::event::Event;
use crate::core::state::AppState;
use crate::core::update::update;
use crate::io::{Executor, Worker};
use crate::loyalty::LoyaltyError;
use crate::loyalty::worker::{LoyaltyConfig, LoyaltyWorker};

pub struct Runtime {
    pub state: AppState,
    worker: Option<Worker>,
    loyalty: Option<LoyaltyWorker>,
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
        Effect::Enqueue { .. } | Effect::QueueDone { .. } => Event::QueueChanged(Err(reason)),
        Effect::QueueList => Event::QueueListed(Err(reason)),
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
        loyalty: Option<LoyaltyConfig>,
        deliver: impl Fn(Event) + Send + Clone + 'static,
    ) -> std::io::Result<Runtime> {
        let loyalty = loyalty.map(|config| LoyaltyWorker::start(config, deliver.clone())).transpose()?;
        let worker = Worker::start(executor, deliver)?;
        let mut runtime = Runtime {
            state,
            worker: Some(worker),
            loyalty,
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
            let sent = match (effect, &self.worker, &self.loyalty) {
                (Effect::Loyalty { id, request, at }, _, Some(loyalty)) => {
                    loyalty.send(id, request, at).map_err(|request| Effect::Loyalty { id, request, at })
                }
                (effect @ Effect::Loyalty { .. }, _, None) => Err(effect),
                (effect, Some(worker), _) => worker.send(effect),
                (effect, None, _) => Err(effect),
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
    /// The demo's in-process loyalty emulator, when there is one.
    pub fn emulator(&self) -> Option<&crate::emulators::frontol::Emulator> {
        self.loyalty.as_ref().and_then(|l| l.emulator.as_ref())
    }

    pub fn shutdown(mut self) -> AppState {
        if let Some(worker) = self.worker.take() {
            worker.shutdown();
        }
        if let Some(loyalty) = self.loyalty.take() {
            loyalty.shutdown();
        }
        self.state
    }
}
