//! The demo's Frontol server: the emulator with its demo clients, and the
//! settings that reach it.

use std::time::Duration;

use super::Settings;
use super::emulator::{Emulator, Rules, demo_clients};
use crate::loyalty::demo::DEMO_KEY;

pub fn emulator() -> Emulator {
    Emulator::new(Some(DEMO_KEY.into()), demo_clients(), Rules::default())
}

pub fn settings(url: String, timeout: Duration) -> Settings {
    Settings {
        url,
        key: Some(DEMO_KEY.into()),
        organization: "Демо".into(),
        business_unit: "0001".into(),
        work_place: "01".into(),
        timeout,
        deadline: Default::default(),
    }
}
