//! Spec-faithful fake servers: the demo runs them in-process, tests drive
//! them, and `kassa emulate` serves them for manual checks.

pub mod frontol;
pub mod kilbil;

use serde::{Deserialize, Serialize};

use crate::core::money::Money;

/// How an emulator misbehaves on command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// Process the request, then answer only after the client has given up.
    Timeout,
    /// Send the headers, then drop the connection.
    Drop,
    Http500,
    /// A refusal with an error text (Frontol `code` 1, KilBil `result_code` 99).
    Error,
    /// A 200 answer that is not JSON.
    Malformed,
    /// A bonus distribution that puts a position below its minimum price.
    BadDistribution,
}

/// An answer whose headers go out and whose body breaks off: a dropped connection.
pub fn dropped() -> axum::response::Response {
    let broken =
        futures_util::stream::once(async { Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("dropped by the emulator")) });
    axum::response::Response::new(axum::body::Body::from_stream(broken))
}

/// The demo's in-process loyalty server, whichever protocol the store speaks.
#[derive(Clone)]
pub enum DemoServer {
    Frontol(frontol::Emulator),
    KilBil(kilbil::Emulator),
}

impl DemoServer {
    pub fn fail(&self, failure: Failure, times: u32) {
        match self {
            DemoServer::Frontol(e) => e.fail(failure, times),
            DemoServer::KilBil(e) => e.fail(failure, times),
        }
    }

    /// Changes the key the server checks (tests of a wrong key).
    pub fn set_key(&self, key: &str) {
        match self {
            DemoServer::Frontol(e) => e.set_key(Some(key.to_string())),
            DemoServer::KilBil(e) => e.set_key(key),
        }
    }

    /// A client's balance by card or phone (`+7…`).
    pub fn balance(&self, card_or_phone: &str) -> Option<Money> {
        match self {
            DemoServer::Frontol(e) => e.balance(card_or_phone),
            DemoServer::KilBil(e) => e.balance(card_or_phone),
        }
    }
}
