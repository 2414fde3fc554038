//! The Frontol Loyalty API on the wire: request and answer bodies, field by
//! field as the spec's tables give them. Money and quantities travel as JSON
//! numbers with at most 2 and 3 decimals; they are read and written as text
//! (serde_json's `arbitrary_precision`), never through floating point.

use serde::{Deserialize, Serialize};

pub use crate::loyalty::numbers::{Amount, Qty};

/// `client`: exactly one of card or phone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub card: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mobile_phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Position {
    pub index: u32,
    pub id: String,
    pub text: String,
    pub price: Amount,
    pub minimum_price: Amount,
    pub quantity: Qty,
    pub total_amount: Amount,
}

/// `payment` of payByBonus and cancelBonusPayment: always `nonFiscal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BonusPayment {
    pub mode: String,
    pub amount: Amount,
}

/// One of `payments`: `cash`, `creditCard`, `bonus`, `other`; `fiscal` or `nonFiscal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentLine {
    #[serde(rename = "type")]
    pub kind: String,
    pub mode: String,
    pub amount: Amount,
}

/// POST /document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentRequest {
    pub action: String,
    pub date_time: String,
    pub organization: String,
    pub business_unit: String,
    pub work_place: String,
    pub client: Client,
    pub number: u32,
    pub shift: u32,
    pub uid: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reference_uid: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub payment: Option<BonusPayment>,
    pub positions: Vec<Position>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub discarded_amount: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub payments: Option<Vec<PaymentLine>>,
}

/// POST /client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientRequest {
    pub date_time: String,
    pub organization: String,
    pub business_unit: String,
    pub work_place: String,
    pub client: Client,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerClient {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mobile_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub validation_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub available_amount: Option<Amount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerPosition {
    pub index: u32,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub discount_amount: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub paid_amount: Option<Amount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AnswerDocument {
    #[serde(default)]
    pub positions: Vec<AnswerPosition>,
}

/// A block of `cashierInformation`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TextBlock {
    #[serde(default)]
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub alignment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub size: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub weight: Option<String>,
}

/// Every answer: `code` 0 is success; `error` explains anything else.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub code: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client: Option<AnswerClient>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub document: Option<AnswerDocument>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cashier_information: Option<Vec<TextBlock>>,
    /// Slips: an array of arrays of elements (a flat array is read as one slip).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub printing_information: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::money::{Money, Quantity};

    #[test]
    fn amounts_are_exact_both_ways() {
        let p: Position = serde_json::from_str(
            r#"{"index":3,"id":"70259","text":"Колбаса","price":780.90,"minimumPrice":700.00,"quantity":0.732,"totalAmount":571.62}"#,
        )
        .expect("spec example parses");
        assert_eq!(p.price, Amount(Money(780_90)));
        assert_eq!(p.quantity, Qty(Quantity(732)));
        let text = serde_json::to_string(&p).expect("serializes");
        assert!(text.contains("\"price\":780.90") && text.contains("\"quantity\":0.732"), "{text}");
        assert!(serde_json::from_str::<Amount>("1.005").is_err());
        assert!(serde_json::from_str::<Amount>("-1").is_err());
        assert!(serde_json::from_str::<Amount>("\"1\"").is_err());
    }
}
