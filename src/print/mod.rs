//! Documents to print, their layout, and the printers that print them.

pub mod once;
pub mod printer;

pub use crate::core::print::{document, layout, text};
