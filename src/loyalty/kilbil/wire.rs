//! KilBil on the wire: every path and field of `../shared/specs/kilbil.txt`
//! in one place, so it can be checked against the live API in one place.
//!
//! The spec gives names and meanings but no types. Readings (see the specs'
//! README): amounts are JSON numbers with at most 2 decimals (one bonus is
//! one rouble), quantities at most 3; enumerations (`search_mode`,
//! `sms_type`, `type`) are integers; phones are 11 digits starting with 7;
//! `client_id` goes back exactly as the server gave it (number or string).
//!
//! Assumptions where the spec is silent, each kept here:
//! - dates (`doc_open_dt`, `doc_dt`, `return_doc_dt`) are local time
//!   `YYYY-MM-DD HH:MM:SS`;
//! - the receipt date inside `move_id` is `YYYYMMDD` (the parts are joined by
//!   dashes, so a date with dashes would be ambiguous);
//! - a refusal may carry its text in `message`, `result_text`, `err_text` or
//!   `error`; without one the cashier sees the result code;
//! - `bill_data.items` answer `good_data` line for line, in order (they are
//!   matched by code when the counts differ);
//! - `good_data[].total` is the line's sum before loyalty («Сумма за
//!   позицию»; «price=discounted_price, Total=discounted_total»: KilBil's
//!   discounts and the write-off are its own to apply, never sent in). The
//!   register's own manual discounts reach KilBil as a lower unit `price`
//!   (the line's sum before loyalty over its quantity, rounded to the
//!   kopeck), so `total` is always `price × quantity` up to that rounding;
//! - an item's `discounted_price` is the price after KilBil's discount, not
//!   counting the write-off (that is the item's `bonus_out`); where an item
//!   also gives its line sum after the discount (`discounted_total`), that
//!   sum is used rather than the unit price times the quantity;
//! - one promo code goes in `promo_codes` only («Промокод может быть только
//!   один»: `coupons` would send it twice);
//! - registration confirms the phone first: `askconfirmphone` (`sms_type`
//!   0, `client_id` null for a new phone, or the id of a client a broken
//!   registration left), `checkconfirmphonecode`, then `addclient`;
//! - `move_id` is unique per receipt number: a receipt cancelled after its
//!   number reached KilBil keeps that number (the next receipt takes the
//!   following one), so no move_id is ever sent with two receipts.

use serde::{Deserialize, Serialize};

pub use crate::loyalty::numbers::{Amount, Qty};

/// The function names: `POST <url>/load/<function>?h=<key>`.
pub const SEARCH_CLIENT: &str = "searchclient";
pub const ASK_CONFIRM_PHONE: &str = "askconfirmphone";
pub const CHECK_CONFIRM_PHONE_CODE: &str = "checkconfirmphonecode";
pub const ADD_CLIENT: &str = "addclient";
pub const PROCESS_SALE: &str = "processsale";
pub const CONFIRM_SALE: &str = "confirmsale";
pub const GET_DETAILING_BY_MOVE: &str = "getdetailingbymove";

/// `search_mode`: by phone.
pub const BY_PHONE: u8 = 0;
/// `search_mode`: by card.
pub const BY_CARD: u8 = 2;
/// `sms_type`: the code that confirms a registration.
pub const SMS_REGISTRATION: u8 = 0;
/// `sms_type`: the code that confirms spending bonuses.
pub const SMS_SPEND: u8 = 1;
/// `type` of processsale.
pub const SALE: u8 = 0;
pub const RETURN: u8 = 1;
/// `oper_type` of a sale in getdetailingbymove.
pub const OPER_SALE: i64 = 0;

/// The phone the link probe searches for (it is never a client).
pub const PROBE_PHONE: &str = "70000000000";

pub const DATE_TIME: &str = "%Y-%m-%d %H:%M:%S";
pub const MOVE_DATE: &str = "%Y%m%d";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchClient {
    pub search_mode: u8,
    pub search_value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AskConfirmPhone {
    pub client_id: serde_json::Value,
    pub phone: String,
    pub sms_type: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckConfirmPhoneCode {
    pub client_id: serde_json::Value,
    pub phone: String,
    pub code: String,
}

/// A new client: no id yet (`null`), the phone only — uniqueness is checked
/// by phone, the other identifiers are left empty, as the spec decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddClient {
    pub client_id: serde_json::Value,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Good {
    pub code: String,
    pub vendor_code: String,
    pub name: String,
    pub price: Amount,
    pub quantity: Qty,
    pub total: Amount,
    #[serde(rename = "minPrice")]
    pub min_price: Amount,
    /// Equal to `price`: the only discounts are the loyalty system's.
    pub discounted_price: Amount,
    /// Equal to `total`.
    pub discounted_total: Amount,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessSale {
    /// `null` when the buyer is not identified.
    pub client_id: serde_json::Value,
    #[serde(rename = "type")]
    pub kind: u8,
    pub bonus_out: Amount,
    /// searchclient's `max_bill_bonus_out`, passed back.
    pub max_bonus_out: Amount,
    pub good_data: Vec<Good>,
    pub move_id: String,
    pub doc_open_dt: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub return_move_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub return_doc_dt: Option<String>,
    /// The receipt's promo code, if any (one at most).
    #[serde(default)]
    pub promo_codes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmSale {
    pub move_id: String,
    pub doc_open_dt: String,
    pub doc_dt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetDetailingByMove {
    pub move_id: String,
}

/// searchclient's answer; the probe's too.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClientAnswer {
    pub result_code: i64,
    /// `null` when not found.
    #[serde(default)]
    pub client_id: Option<serde_json::Value>,
    #[serde(default)]
    pub bonus_balance: Option<Amount>,
    #[serde(default)]
    pub card_code: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub middle_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub max_bill_bonus_out: Option<Amount>,
}

/// askconfirmphone, checkconfirmphonecode, addclient, confirmsale.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Done {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<serde_json::Value>,
    pub result_code: i64,
    /// addclient's new client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub code: String,
    pub discounted_price: Amount,
    pub price: Amount,
    #[serde(default)]
    pub bonus_out: Option<Amount>,
    /// The line's sum after the discount, where the server gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discounted_total: Option<Amount>,
    /// The line's sum before it, where the server gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<Amount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BillData {
    #[serde(default)]
    pub items: Vec<Item>,
    #[serde(default)]
    pub bonus_out: Option<Amount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SaleAnswer {
    pub result_code: i64,
    #[serde(default)]
    pub bill_data: Option<BillData>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveInfo {
    pub oper_type: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveLine {
    pub code: String,
    pub price: Amount,
    pub total: Amount,
    pub quantity: Qty,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MoveAnswer {
    pub result_code: i64,
    #[serde(default)]
    pub move_info: Option<MoveInfo>,
    #[serde(default)]
    pub move_detail: Vec<MoveLine>,
}

/// The keys a refusal's text may come in.
pub const REFUSAL_TEXT_KEYS: &[&str] = &["message", "result_text", "err_text", "error"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::money::{Money, Quantity};

    #[test]
    fn processsale_reads_and_writes_exact_numbers() {
        let body = r#"{"client_id":17,"type":0,"bonus_out":100.00,"max_bonus_out":500.00,"good_data":[{"code":"42","vendor_code":"A-42","name":"Сыр","price":780.90,"quantity":0.732,"total":571.62,"minPrice":700.00,"discounted_price":780.90,"discounted_total":571.62}],"move_id":"0001-01-5-20261123-7","doc_open_dt":"2026-11-23 09:00:00","promo_codes":["SALE10"]}"#;
        let sale: ProcessSale = serde_json::from_str(body).expect("spec fields");
        assert_eq!(sale.good_data[0].price, Amount(Money(780_90)));
        assert_eq!(sale.good_data[0].quantity, Qty(Quantity(732)));
        assert_eq!(serde_json::to_string(&sale).expect("encodes"), body);
    }
}
