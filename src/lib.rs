//! kassa — a keyboard-driven terminal cashier workstation.

pub mod app;
pub mod bench;
pub mod catalog_gen;
pub mod config;
pub mod control;
pub mod core;
pub mod devices;
pub mod emulators;
pub mod faults;
pub mod io;
pub mod logging;
pub mod loyalty;
pub mod print;
pub mod private;
pub mod replay;
pub mod runtime;
pub mod session;
pub mod status;
pub mod store;
pub mod text;
pub mod tui;
pub mod watch;
