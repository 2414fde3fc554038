//! The demo's MaxBonus server: the emulator with its demo customers and
//! certificates, and the settings that reach it.

use std::time::Duration;

use super::Settings;
use super::emulator::{Emulator, demo};
use crate::loyalty::demo::DEMO_KEY;

pub fn emulator() -> Emulator {
    Emulator::new(DEMO_KEY, demo())
}

pub fn settings(url: String, timeout: Duration) -> Settings {
    Settings {
        url,
        token: DEMO_KEY.into(),
        timeout,
        deadline: Default::default(),
    }
}
