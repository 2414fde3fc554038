//! The terminal side: keymaps, drawing, and the live event loop.

pub mod crash;
pub mod keymap;
pub mod terminal;
pub mod view;
pub mod wedge;
