//! The demo's KilBil server: the emulator with its demo clients, and the
//! settings that reach it.

use std::time::Duration;

use super::Settings;
use super::emulator::{Emulator, Rules, demo_clients};
use crate::loyalty::demo::DEMO_KEY;

pub fn emulator() -> Emulator {
    Emulator::new(DEMO_KEY, demo_clients(), Rules::default())
}

pub fn settings(url: String, timeout: Duration) -> Settings {
    Settings {
        url,
        key: DEMO_KEY.into(),
        store_code: "0001".into(),
        register_code: "01".into(),
        timeout,
        deadline: Default::default(),
    }
}
