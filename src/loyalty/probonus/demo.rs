//! The demo's ProBonus server: the emulator with its demo guests (login
//! with bearer tokens), and the settings that reach it.

use std::time::Duration;

use super::emulator::{Credentials, Emulator, demo};
use super::{Auth, Rules, Settings};
use crate::loyalty::demo::DEMO_KEY;

/// The demo's login (its password is [`DEMO_KEY`]) and restaurant code.
const LOGIN: &str = "kassa";
const REST: u32 = 1;

pub fn emulator() -> Emulator {
    let credentials = Credentials {
        token: None,
        login: Some((LOGIN.into(), DEMO_KEY.into())),
        ttl: Duration::from_secs(3600),
    };
    Emulator::new(credentials, REST, demo())
}

pub fn settings(url: String, timeout: Duration) -> Settings {
    Settings {
        url,
        auth: Auth::Login {
            login: LOGIN.into(),
            password: DEMO_KEY.into(),
        },
        rest_code: REST,
        rk_unit: 999,
        account_group: Some(3),
        rules: Rules::default(),
        timeout,
        deadline: Default::default(),
    }
}
