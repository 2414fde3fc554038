//! The loyalty protocols kassa speaks, one line each. A provider is its
//! folder under `src/loyalty/` (wire types, client, demo set-up, emulator)
//! plus its line in each `match` below; the config's words, the flow, the
//! demo and the worker's dispatch all come from here. See the README's
//! "Adding a loyalty provider".

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDateTime;

use super::frontol::{self, Frontol};
use super::kilbil::{self, KilBil};
use super::maxbonus::{self, MaxBonus};
use super::probonus::{self, ProBonus};
use super::{LoyaltyError, Reply, Request};
use crate::core::loyalty::Flow;
use crate::emulators::{DemoLoyalty, DemoServer};

/// A loyalty protocol: a real server's, and its emulator's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Frontol,
    KilBil,
    ProBonus,
    MaxBonus,
}

/// Every protocol, in the order messages list them.
pub const PROTOCOLS: [Protocol; 4] = [Protocol::Frontol, Protocol::KilBil, Protocol::ProBonus, Protocol::MaxBonus];

impl Protocol {
    /// As people call it.
    pub fn title(self) -> &'static str {
        match self {
            Protocol::Frontol => "Frontol",
            Protocol::KilBil => "KilBil",
            Protocol::ProBonus => "ProBonus",
            Protocol::MaxBonus => "MaxBonus",
        }
    }

    /// `provider = "…"` of a real server; also the replay's `loyalty …` word.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Frontol => "frontol",
            Protocol::KilBil => "kilbil",
            Protocol::ProBonus => "probonus",
            Protocol::MaxBonus => "maxbonus",
        }
    }

    /// `provider = "…"` of its emulator in-process (the demo).
    pub fn demo_name(self) -> &'static str {
        match self {
            Protocol::Frontol => "demo",
            Protocol::KilBil => "demo-kilbil",
            Protocol::ProBonus => "demo-probonus",
            Protocol::MaxBonus => "demo-maxbonus",
        }
    }

    /// How the core runs a receipt with this protocol.
    pub fn flow(self, options: FlowOptions) -> Flow {
        match self {
            Protocol::Frontol => Flow::frontol(),
            Protocol::KilBil => Flow::kilbil(options.spend_code),
            Protocol::ProBonus => Flow::probonus(),
            Protocol::MaxBonus => Flow::maxbonus(options.anonymous, options.footer_on_slip),
        }
    }

    /// Its emulator with the demo's clients, its books kept in `books` when given.
    pub fn demo_server(self, books: Option<PathBuf>) -> DemoServer {
        match self {
            Protocol::Frontol => kept(frontol::demo::emulator(), books, frontol::emulator::Emulator::kept_in),
            Protocol::KilBil => kept(kilbil::demo::emulator(), books, kilbil::emulator::Emulator::kept_in),
            Protocol::ProBonus => kept(probonus::demo::emulator(), books, probonus::emulator::Emulator::kept_in),
            Protocol::MaxBonus => kept(maxbonus::demo::emulator(), books, maxbonus::emulator::Emulator::kept_in),
        }
    }

    /// The config that reaches its demo server at `url`.
    pub fn demo_config(self, url: String, timeout: Duration) -> LoyaltyConfig {
        match self {
            Protocol::Frontol => LoyaltyConfig::Frontol(frontol::demo::settings(url, timeout)),
            Protocol::KilBil => LoyaltyConfig::KilBil(kilbil::demo::settings(url, timeout)),
            Protocol::ProBonus => LoyaltyConfig::ProBonus(probonus::demo::settings(url, timeout)),
            Protocol::MaxBonus => LoyaltyConfig::MaxBonus(maxbonus::demo::settings(url, timeout)),
        }
    }
}

/// Which loyalty server, from config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoyaltyConfig {
    Frontol(frontol::Settings),
    KilBil(kilbil::Settings),
    ProBonus(probonus::Settings),
    MaxBonus(maxbonus::Settings),
    /// A protocol's emulator in-process, with its demo clients: started
    /// apart by [`super::demo::start`], which gives the config reaching it.
    Demo {
        protocol: Protocol,
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
    /// The protocol it speaks.
    pub fn protocol(&self) -> Protocol {
        use Protocol;
        match self {
            LoyaltyConfig::Frontol(_) => Protocol::Frontol,
            LoyaltyConfig::KilBil(_) => Protocol::KilBil,
            LoyaltyConfig::ProBonus(_) => Protocol::ProBonus,
            LoyaltyConfig::MaxBonus(_) => Protocol::MaxBonus,
            LoyaltyConfig::Demo { protocol, .. } => *protocol,
        }
    }

    /// How the core runs a receipt with this provider.
    pub fn flow(&self, options: FlowOptions) -> crate::core::loyalty::Flow {
        self.protocol().flow(options)
    }

    /// A real server's config whose client's waits `deadline` can end
    /// sooner than its timeout (replays); a demo's comes back as it is.
    pub fn with_deadline(self, deadline: super::Deadline) -> LoyaltyConfig {
        match self {
            LoyaltyConfig::Frontol(settings) => LoyaltyConfig::Frontol(frontol::Settings { deadline, ..settings }),
            LoyaltyConfig::KilBil(settings) => LoyaltyConfig::KilBil(kilbil::Settings { deadline, ..settings }),
            LoyaltyConfig::ProBonus(settings) => LoyaltyConfig::ProBonus(probonus::Settings { deadline, ..settings }),
            LoyaltyConfig::MaxBonus(settings) => LoyaltyConfig::MaxBonus(maxbonus::Settings { deadline, ..settings }),
            demo @ LoyaltyConfig::Demo { .. } => demo,
        }
    }

    /// The same setup with other timings.
    pub fn with_timing(self, timeout: Duration, answer_delay: Duration) -> LoyaltyConfig {
        match self {
            LoyaltyConfig::Demo { protocol, .. } => LoyaltyConfig::Demo {
                protocol,
                timeout,
                answer_delay,
            },
            other => other,
        }
    }
}

/// A connected client of the store's server.
pub(super) enum Client {
    Frontol(Frontol),
    KilBil(KilBil),
    ProBonus(ProBonus),
    MaxBonus(MaxBonus),
}

impl Client {
    /// The client of a real server's `config` (a demo's is turned into one
    /// by [`super::demo::start`] first).
    pub(super) fn connect(config: LoyaltyConfig) -> std::io::Result<Client> {
        let client = match config {
            LoyaltyConfig::Frontol(settings) => Frontol::new(settings).map(Client::Frontol),
            LoyaltyConfig::KilBil(settings) => KilBil::new(settings).map(Client::KilBil),
            LoyaltyConfig::ProBonus(settings) => ProBonus::new(settings).map(Client::ProBonus),
            LoyaltyConfig::MaxBonus(settings) => MaxBonus::new(settings).map(Client::MaxBonus),
            demo => return Err(std::io::Error::other(format!("the demo's server is not started: {demo:?}"))),
        };
        client.map_err(std::io::Error::other)
    }

    pub(super) async fn call(&self, request: &Request, at: NaiveDateTime) -> Result<Reply, LoyaltyError> {
        match self {
            Client::Frontol(frontol) => frontol.call(request, at).await,
            Client::KilBil(kilbil) => kilbil.call(request, at).await,
            Client::ProBonus(probonus) => probonus.call(request, at).await,
            Client::MaxBonus(maxbonus) => maxbonus.call(request, at).await,
        }
    }
}

fn kept<E: DemoLoyalty + 'static>(emulator: E, books: Option<PathBuf>, kept_in: fn(E, PathBuf) -> E) -> DemoServer {
    match books {
        Some(file) => DemoServer::new(kept_in(emulator, file)),
        None => DemoServer::new(emulator),
    }
}
