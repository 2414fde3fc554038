//! The cashier's world, pure and synchronous: no terminal, no disk, no
//! network. `update::update` is the only place state changes.

pub mod age;
pub mod barcode;
pub mod catalog;
pub mod command;
pub mod device;
pub mod effect;
pub mod event;
pub mod journal;
pub mod ledger;
pub mod loyalty;
pub mod marking;
pub mod money;
pub mod notice;
pub mod print;
pub mod queue;
pub mod receipt;
pub mod requisites;
pub mod shift;
pub mod state;
pub mod storage;
pub mod update;
