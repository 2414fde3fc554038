//! Documents to print, their layout, and the printers that print them.

pub mod document;
pub mod layout;
pub mod once;
pub mod printer;
pub mod text;
