//! The loyalty worker: one thread with its own async runtime sends requests
//! to the configured provider, one at a time and in order, and answers each
//! with `Event::LoyaltyReplied`. The UI never waits on the network: the core
//! shows what it is waiting for, and every request is bounded by the
//! provider's timeout. A demo's server is started apart ([`super::demo`]).

use chrono::NaiveDateTime;
use std::thread;
use std::time::Duration;
use tokio::sync::mpsc;

use super::frontol::{self, Frontol};
use super::kilbil::{self, KilBil};
use super::maxbonus::{self, MaxBonus};
use super::probonus::{self, ProBonus};
use super::{LoyaltyError, Reply, Request};
use crate::core::event::Event;
use crate::faults::FaultPoint;

/// Which loyalty server, from config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoyaltyConfig {
    Frontol(frontol::Settings),
    KilBil(kilbil::Settings),
    ProBonus(probonus::Settings),
    MaxBonus(maxbonus::Settings),
    /// The demo: the Frontol emulator in-process, with its demo clients.
    DemoFrontol {
        timeout: Duration,
        answer_delay: Duration,
    },
    /// The KilBil emulator in-process, with its demo clients.
    DemoKilBil {
        timeout: Duration,
        answer_delay: Duration,
    },
    /// The ProBonus emulator in-process (login with bearer tokens), with its demo guests.
    DemoProBonus {
        timeout: Duration,
        answer_delay: Duration,
    },
    /// The MaxBonus emulator in-process, with its demo customers and certificates.
    DemoMaxBonus {
        timeout: Duration,
        answer_delay: Duration,
    },
}

/// The store's choices in `[loyalty]` that shape the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowOptions {
    /// KilBil: an SMS code before spending.
    pub spend_code: bool,
    /// MaxBonus: receipts with no client go to the anonymous customer.
    pub anonymous: bool,
    /// MaxBonus: the write's text on its own slip.
    pub footer_on_slip: bool,
}

impl Default for FlowOptions {
    fn default() -> Self {
        FlowOptions {
            spend_code: false,
            anonymous: true,
            footer_on_slip: false,
        }
    }
}

impl LoyaltyConfig {
    /// How the core runs a receipt with this provider.
    pub fn flow(&self, options: FlowOptions) -> crate::core::loyalty::Flow {
        use crate::core::loyalty::Flow;
        match self {
            LoyaltyConfig::Frontol(_) | LoyaltyConfig::DemoFrontol { .. } => Flow::frontol(),
            LoyaltyConfig::KilBil(_) | LoyaltyConfig::DemoKilBil { .. } => Flow::kilbil(options.spend_code),
            LoyaltyConfig::ProBonus(_) | LoyaltyConfig::DemoProBonus { .. } => Flow::probonus(),
            LoyaltyConfig::MaxBonus(_) | LoyaltyConfig::DemoMaxBonus { .. } => Flow::maxbonus(options.anonymous, options.footer_on_slip),
        }
    }

    /// The same setup with other timings (replays keep them short).
    pub fn with_timing(self, timeout: Duration, answer_delay: Duration) -> LoyaltyConfig {
        match self {
            LoyaltyConfig::DemoFrontol { .. } => LoyaltyConfig::DemoFrontol { timeout, answer_delay },
            LoyaltyConfig::DemoKilBil { .. } => LoyaltyConfig::DemoKilBil { timeout, answer_delay },
            LoyaltyConfig::DemoProBonus { .. } => LoyaltyConfig::DemoProBonus { timeout, answer_delay },
            LoyaltyConfig::DemoMaxBonus { .. } => LoyaltyConfig::DemoMaxBonus { timeout, answer_delay },
            other => other,
        }
    }
}

enum Provider {
    Frontol(Frontol),
    KilBil(KilBil),
    ProBonus(ProBonus),
    MaxBonus(MaxBonus),
}

impl Provider {
    async fn call(&self, request: &Request, at: NaiveDateTime) -> Result<Reply, LoyaltyError> {
        match self {
            Provider::Frontol(frontol) => frontol.call(request, at).await,
            Provider::KilBil(kilbil) => kilbil.call(request, at).await,
            Provider::ProBonus(probonus) => probonus.call(request, at).await,
            Provider::MaxBonus(maxbonus) => maxbonus.call(request, at).await,
        }
    }
}

/// A request to send: its id, what, and when it was asked.
pub type Job = (u64, Box<Request>, NaiveDateTime);
/// A way in for the disk worker, which passes requests on after the saves before them.
pub type JobSender = mpsc::UnboundedSender<Job>;

pub struct LoyaltyWorker {
    requests: mpsc::UnboundedSender<Job>,
    handle: Option<thread::JoinHandle<()>>,
}

impl LoyaltyWorker {
    /// Starts the worker for a real server's `config` (a demo's is turned
    /// into one by [`super::demo::start`] first).
    pub fn start(config: LoyaltyConfig, deliver: impl Fn(Event) + Send + 'static) -> std::io::Result<LoyaltyWorker> {
        let (requests, mut inbox) = mpsc::unbounded_channel::<Job>();
        let provider = match config {
            LoyaltyConfig::Frontol(settings) => Provider::Frontol(Frontol::new(settings).map_err(std::io::Error::other)?),
            LoyaltyConfig::KilBil(settings) => Provider::KilBil(KilBil::new(settings).map_err(std::io::Error::other)?),
            LoyaltyConfig::ProBonus(settings) => Provider::ProBonus(ProBonus::new(settings).map_err(std::io::Error::other)?),
            LoyaltyConfig::MaxBonus(settings) => Provider::MaxBonus(MaxBonus::new(settings).map_err(std::io::Error::other)?),
            demo => return Err(std::io::Error::other(format!("the demo's server is not started: {demo:?}"))),
        };
        let handle = thread::Builder::new().name("kassa-loyalty".into()).spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                let mut faults = crate::faults::Faults::from_env();
                while let Some((id, request, at)) = inbox.recv().await {
                    faults.crash_if(FaultPoint::BeforeSend);
                    let result = provider.call(&request, at).await;
                    faults.crash_if(FaultPoint::AfterSend);
                    deliver(Event::LoyaltyReplied { id, result });
                }
            });
        })?;
        Ok(LoyaltyWorker {
            requests,
            handle: Some(handle),
        })
    }

    /// The way in: the disk worker passes requests on after the saves before them.
    pub fn sender(&self) -> JobSender {
        self.requests.clone()
    }

    pub fn shutdown(mut self) {
        let (dead, _) = mpsc::unbounded_channel();
        drop(std::mem::replace(&mut self.requests, dead));
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}
