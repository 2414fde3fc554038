//! Money and quantities on the wire of every JSON protocol: JSON numbers
//! with at most 2 and 3 decimals, read and written as text (serde_json's
//! `arbitrary_precision`), never through floating point.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::str::FromStr;

use crate::core::money::{Money, Quantity};

/// A money amount as a JSON number: `2500.00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount(pub Money);

/// A quantity as a JSON number: `0.732`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Qty(pub Quantity);

fn number<S: Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    let number = serde_json::Number::from_str(text).map_err(serde::ser::Error::custom)?;
    number.serialize(serializer)
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        number(&self.0.to_string(), serializer)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = serde_json::Number::deserialize(deserializer)?.to_string();
        Money::parse(&text)
            .map(Amount)
            .map_err(|e| D::Error::custom(format!("amount {text}: {e}")))
    }
}

impl Serialize for Qty {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let q = self.0.thousandths();
        number(&format!("{}.{:03}", q / 1000, q % 1000), serializer)
    }
}

impl<'de> Deserialize<'de> for Qty {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = serde_json::Number::deserialize(deserializer)?.to_string();
        Quantity::parse(&text)
            .map(Qty)
            .map_err(|e| D::Error::custom(format!("quantity {text}: {e}")))
    }
}
