//! Serial devices: barcode scanners, magnetic-stripe card readers and
//! receipt printers (plain ESC/POS and the Shtrih-M fiscal registrar).
//! One thread owns each port; what a device says reaches the core only as
//! events (`Event::Scan`, `Event::Swipe`, `Event::Device`, `Event::Printed`).

pub mod codepage;
pub mod escpos;
pub mod framing;
pub mod magstripe;
pub mod port;
pub mod printer;
pub mod reader;
pub mod shtrih;

use std::time::Duration;

use crate::print::printer::Printer;

/// The devices of one workstation, ready to start.
pub struct Devices {
    pub printer: Box<dyn Printer>,
    pub readers: Vec<reader::ReaderConfig>,
    /// How often an idle printer is asked how it is.
    pub poll: Duration,
}

pub use crate::core::device::DeviceState;
