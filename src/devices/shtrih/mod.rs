//! The Shtrih-M fiscal registrar (`../shared/specs/shtrih-m-protocol-1.17.txt`):
//! framing, the host's side of the exchange, the commands kassa uses, the
//! error codes, the driver that registers receipts exactly once, and the
//! tax group of each VAT rate.

pub mod command;
pub mod errors;
pub mod frame;
pub mod link;
pub mod registrar;
pub mod taxes;
