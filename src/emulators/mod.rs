//! Spec-faithful fake servers: the demo runs them in-process, tests drive
//! them, and `kassa emulate` serves them for manual checks.

pub mod frontol;
