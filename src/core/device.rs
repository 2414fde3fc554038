//! Devices as the core sees them: a name and how the device is.

use serde::{Deserialize, Serialize};

/// The device name of the receipt printer (or fiscal registrar) in
/// [`crate::core::state::AppState::devices`] and device events.
pub const PRINTER: &str = "printer";

/// What the status line says about a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    Ready,
    /// The port cannot be opened or stopped answering (unplugged).
    Offline(String),
    /// The device answers but cannot work (no paper, cover open, registrar error).
    Fault(String),
}

impl DeviceState {
    pub fn is_ready(&self) -> bool {
        matches!(self, DeviceState::Ready)
    }
}
