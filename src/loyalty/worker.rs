//! The loyalty worker: one thread with its own async runtime sends requests
//! to the configured provider, one at a time and in order, and answers each
//! with `Event::LoyaltyReplied`. The UI never waits on the network: the core
//! shows what it is waiting for, and every request is bounded by the
//! provider's timeout. The demo's emulator runs on the same runtime.

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
use crate::emulators::{self, DemoServer, Serving};
use crate::io::FaultPoint;

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
    /// The in-process emulator of the demo (tests steer it).
    pub emulator: Option<DemoServer>,
}

/// The demo emulator's access key: the demo exercises FrontolAuth too.
const DEMO_KEY: &str = "demo-key";
/// The demo ProBonus: a login (password [`DEMO_KEY`]) and the restaurant code.
const DEMO_LOGIN: &str = "kassa";
const DEMO_REST: u32 = 1;

fn demo_probonus_credentials() -> emulators::probonus::Credentials {
    emulators::probonus::Credentials {
        token: None,
        login: Some((DEMO_LOGIN.into(), DEMO_KEY.into())),
        ttl: Duration::from_secs(3600),
    }
}

/// The demo's server on a loopback port (bound here, served by the worker's
/// runtime), and the provider `connect` makes for its URL.
fn demo(
    server: DemoServer,
    answer_delay: Duration,
    connect: impl FnOnce(String) -> Result<Provider, LoyaltyError>,
) -> std::io::Result<(Provider, Option<(DemoServer, std::net::TcpListener)>)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    server.set_delay(answer_delay);
    let provider = connect(format!("http://{addr}")).map_err(std::io::Error::other)?;
    Ok((provider, Some((server, listener))))
}

/// The file the demo's loyalty server keeps its books in.
pub const DEMO_BOOKS: &str = "demo-loyalty.json";

/// The demo's server for the live workstation, its books kept in the data
/// folder so a restart (or a crash) of the till finds the bonuses it
/// debited. `None` for a real server.
pub fn kept_demo(config: Option<&LoyaltyConfig>, data_dir: &std::path::Path) -> Option<DemoServer> {
    match config? {
        LoyaltyConfig::DemoFrontol { .. } => Some(DemoServer::Frontol(demo_frontol().kept_in(data_dir.join(DEMO_BOOKS)))),
        LoyaltyConfig::DemoKilBil { .. } => Some(DemoServer::KilBil(demo_kilbil().kept_in(data_dir.join(DEMO_BOOKS)))),
        LoyaltyConfig::DemoProBonus { .. } => Some(DemoServer::ProBonus(demo_probonus().kept_in(data_dir.join(DEMO_BOOKS)))),
        LoyaltyConfig::DemoMaxBonus { .. } => Some(DemoServer::MaxBonus(demo_maxbonus().kept_in(data_dir.join(DEMO_BOOKS)))),
        LoyaltyConfig::Frontol(_) | LoyaltyConfig::KilBil(_) | LoyaltyConfig::ProBonus(_) | LoyaltyConfig::MaxBonus(_) => None,
    }
}

fn demo_kilbil() -> emulators::kilbil::Emulator {
    let rules = emulators::kilbil::Rules::default();
    emulators::kilbil::Emulator::new(DEMO_KEY, emulators::kilbil::demo_clients(), rules)
}

fn demo_probonus() -> emulators::probonus::Emulator {
    emulators::probonus::Emulator::new(demo_probonus_credentials(), DEMO_REST, emulators::probonus::demo())
}

fn demo_maxbonus() -> emulators::maxbonus::Emulator {
    emulators::maxbonus::Emulator::new(DEMO_KEY, emulators::maxbonus::demo())
}

fn demo_frontol() -> emulators::frontol::Emulator {
    let rules = emulators::frontol::Rules::default();
    emulators::frontol::Emulator::new(Some(DEMO_KEY.into()), emulators::frontol::demo_clients(), rules)
}

impl LoyaltyWorker {
    /// `server`: the demo's emulator to keep serving (its clients and
    /// documents), instead of a new one.
    pub fn start(
        config: LoyaltyConfig,
        server: Option<DemoServer>,
        deliver: impl Fn(Event) + Send + 'static,
    ) -> std::io::Result<LoyaltyWorker> {
        let (requests, mut inbox) = mpsc::unbounded_channel::<Job>();
        let (provider, demo) = match config {
            LoyaltyConfig::Frontol(settings) => (Provider::Frontol(Frontol::new(settings).map_err(std::io::Error::other)?), None),
            LoyaltyConfig::KilBil(settings) => (Provider::KilBil(KilBil::new(settings).map_err(std::io::Error::other)?), None),
            LoyaltyConfig::ProBonus(settings) => (Provider::ProBonus(ProBonus::new(settings).map_err(std::io::Error::other)?), None),
            LoyaltyConfig::MaxBonus(settings) => (Provider::MaxBonus(MaxBonus::new(settings).map_err(std::io::Error::other)?), None),
            LoyaltyConfig::DemoMaxBonus { timeout, answer_delay } => {
                let emulator = match server {
                    Some(DemoServer::MaxBonus(kept)) => kept,
                    _ => demo_maxbonus(),
                };
                demo(DemoServer::MaxBonus(emulator), answer_delay, |url| {
                    let settings = maxbonus::Settings {
                        url,
                        token: DEMO_KEY.into(),
                        timeout,
                    };
                    MaxBonus::new(settings).map(Provider::MaxBonus)
                })?
            }
            LoyaltyConfig::DemoFrontol { timeout, answer_delay } => {
                let emulator = match server {
                    Some(DemoServer::Frontol(kept)) => kept,
                    _ => demo_frontol(),
                };
                demo(DemoServer::Frontol(emulator), answer_delay, |url| {
                    let settings = frontol::Settings {
                        url,
                        key: Some(DEMO_KEY.into()),
                        organization: "Демо".into(),
                        business_unit: "0001".into(),
                        work_place: "01".into(),
                        timeout,
                    };
                    Frontol::new(settings).map(Provider::Frontol)
                })?
            }
            LoyaltyConfig::DemoKilBil { timeout, answer_delay } => {
                let emulator = match server {
                    Some(DemoServer::KilBil(kept)) => kept,
                    _ => demo_kilbil(),
                };
                demo(DemoServer::KilBil(emulator), answer_delay, |url| {
                    let settings = kilbil::Settings {
                        url,
                        key: DEMO_KEY.into(),
                        store_code: "0001".into(),
                        register_code: "01".into(),
                        timeout,
                    };
                    KilBil::new(settings).map(Provider::KilBil)
                })?
            }
            LoyaltyConfig::DemoProBonus { timeout, answer_delay } => {
                let emulator = match server {
                    Some(DemoServer::ProBonus(kept)) => kept,
                    _ => demo_probonus(),
                };
                demo(DemoServer::ProBonus(emulator), answer_delay, |url| {
                    let settings = probonus::Settings {
                        url,
                        auth: probonus::Auth::Login {
                            login: DEMO_LOGIN.into(),
                            password: DEMO_KEY.into(),
                        },
                        rest_code: DEMO_REST,
                        rk_unit: 999,
                        account_group: Some(3),
                        rules: probonus::Rules::default(),
                        timeout,
                    };
                    ProBonus::new(settings).map(Provider::ProBonus)
                })?
            }
        };
        let emulator = demo.as_ref().map(|(e, _)| e.clone());
        let handle = thread::Builder::new().name("kassa-loyalty".into()).spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                if let Some((emulator, listener)) = demo
                    && let Ok(listener) = tokio::net::TcpListener::from_std(listener)
                {
                    tokio::spawn(emulator.serve(listener));
                }
                let mut faults = crate::io::Faults::from_env();
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
            emulator,
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
