//! MaxBonus (cashbox REST API 2.0.6) on the wire: every path and field kassa
//! uses, in one place, so that it can be checked against the live swagger
//! (`https://api.maxbonus.ru:38200/cashbox`, not reachable from here) in one
//! place.
//!
//! The spec (`../shared/specs/maxbonus.txt`) gives the flows, the method
//! names, `POST /customer/auth` and CustomerAuthResponse in full, and the
//! `certificate` array of CalcCheckRequest. Public integrations show that the
//! calculation is `POST …/check` and that its answer carries a `calc_id` and
//! a per-item `max_bonus_can_pay`. Everything else is modelled from the
//! names, each assumption kept here:
//! - every method is `POST <url>/api/cashbox<path>`; the customer methods
//!   take form data (the spec: "с номером телефона в formData"), the check,
//!   certificate and import methods a JSON body; answers are JSON;
//! - the outlet's token travels in the header [`TOKEN_HEADER`] (the swagger
//!   page shows it as "TOKEN"); a wrong one answers 401;
//! - phones are 11 digits starting with 7;
//! - sums are JSON numbers in roubles with up to 2 decimals (the spec's
//!   `total_bonus: 0`, receipt samples "99.74"), except a certificate's
//!   `summ`, which the spec shows as a string (`"summ": "0"`);
//! - the QR authorisation takes `qr`: the QR's text, a card number read from
//!   its barcode, or a short code typed by hand (the spec sends all three there);
//! - registration: [`REGISTER`] with `phone` sends the SMS; [`REGISTER_REPEAT`]
//!   sends it again; [`REGISTER_CONFIRM`] takes CustomerRegisterRequest
//!   (`phone`, `pin` = the SMS code, names, `birth_date` `YYYY-MM-DD`,
//!   `sex` `m`/`f`) and answers CustomerAuthResponse;
//! - `n_checkpin` = 1 means bonuses are spent only after [`ASK_PIN`] (an SMS
//!   to the customer) and a right [`CHECK_PIN`];
//! - a receipt is known to MaxBonus by `check_id`: kassa sends its uid (a
//!   UUID kept from the first calculation to the write). A second write of
//!   the same `check_id` is refused "Такой чек уже проведен"
//!   ([`ALREADY_PROCESSED`]); [`ROLLBACK`] with the `check_id` removes the
//!   check whole, and a rollback of a check MaxBonus does not have is
//!   refused with [`NO_SUCH_CHECK`];
//! - a calculation answers `calc_id`, the customer's balance `total_bonus`,
//!   the most bonuses may pay `max_bonus`, the accrual `bonus_add`, per item
//!   (by `position`, 1-based, as sent) `max_bonus_can_pay`, `discount` and
//!   `bonus_pay` (the write-off's share), the accepted certificate sums, and
//!   `message` (the effect of a coupon or gift code, for the cashier);
//! - a write takes the `calc_id` (and `check_id`) and answers `text` (lines
//!   for the receipt's footer or a slip) with the final `bonus_add`,
//!   `bonus_pay` and `total_bonus`;
//! - a return ([`RETURN`]) names the sale's `check_id` and its own
//!   `return_id`; `items` lists the returned positions, none for a full
//!   return. A repeated `return_id` is refused with [`ALREADY_PROCESSED`]
//!   (then it is done: kassa takes it as done);
//! - certificate information ([`CERT_INFO`]) answers `status_code` (1 =
//!   not usable, as the spec says; anything else usable), `status` (text)
//!   and `balance`;
//! - errors: a status other than 2xx with `{"error": {"code": N, "message": "…"}}`
//!   (or `code`/`message` at the top); 422 with [`CUSTOMER_NOT_FOUND`] is
//!   "Покупатель не найден".

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::core::money::Money;
pub use crate::loyalty::numbers::{Amount, Qty};

pub const BASE: &str = "/api/cashbox";
pub const AUTH: &str = "/customer/auth";
pub const AUTH_QR: &str = "/customer/auth/qr";
pub const REGISTER: &str = "/customer/register";
pub const REGISTER_REPEAT: &str = "/customer/register/repeat";
pub const REGISTER_CONFIRM: &str = "/customer/register/confirm";
pub const CHAT_BOT: &str = "/customer/chatbot";
pub const ASK_PIN: &str = "/customer/askpin";
pub const CHECK_PIN: &str = "/customer/checkpin";
pub const CALC: &str = "/check";
pub const WRITE: &str = "/check/write";
pub const RETURN: &str = "/check/return";
pub const ROLLBACK: &str = "/check/rollback";
pub const CERT_INFO: &str = "/certificate/info";
pub const IMPORT: &str = "/import/json";

/// The header of the outlet's token.
pub const TOKEN_HEADER: &str = "Token";
/// The customer token of a customer who was not identified (the spec's scenario 4).
pub const ANONYMOUS_TOKEN: &str = "8888888888";
/// A certificate with this `status_code` cannot pay.
pub const CERT_UNUSABLE: i64 = 1;

/// Error codes kassa acts on.
pub const CUSTOMER_NOT_FOUND: i64 = 422;
pub const ALREADY_PROCESSED: i64 = 409;
pub const NO_SUCH_CHECK: i64 = 404;
pub const WRONG_PIN: i64 = 403;

pub const DATE: &str = "%Y-%m-%d";

/// A sum as the text the spec shows for a certificate: `"500.00"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountText(pub Money);

impl Serialize for AmountText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for AmountText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A number is taken too: the swagger may type it either way.
        let value = serde_json::Value::deserialize(deserializer)?;
        let text = match &value {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Number(number) => number.to_string(),
            other => return Err(D::Error::custom(format!("sum {other}"))),
        };
        Money::parse(text.trim())
            .map(AmountText)
            .map_err(|e| D::Error::custom(format!("sum {text}: {e}")))
    }
}

/// `phone` of the auth, registration and chat-bot methods (form data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneForm {
    pub phone: String,
}

/// `qr` of the QR authorisation (form data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrForm {
    pub qr: String,
}

/// askpin (form data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AskPin {
    pub customer_token: String,
}

/// checkpin (form data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckPin {
    pub customer_token: String,
    pub pin: String,
}

/// CustomerAuthResponse, field by field as the spec prints it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CustomerAuth {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub middle_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub total_bonus: Option<Amount>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub exists_chatbot: Option<bool>,
    /// 1: bonuses are spent only with the customer's pin (askpin, checkpin).
    #[serde(default)]
    pub n_checkpin: Option<i64>,
    #[serde(default)]
    pub register_request: Option<String>,
}

/// CustomerRegisterRequest (JSON), with the phone and the SMS code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRegister {
    pub phone: String,
    pub pin: String,
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// `m` or `f`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
}

/// A plain "done" answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Done {
    #[serde(default)]
    pub success: bool,
    #[serde(default)]
    pub message: Option<String>,
}

/// One position of a calculation or a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// 1-based, in receipt order.
    pub position: u32,
    /// The article, as imported by [`IMPORT`].
    pub code: String,
    pub name: String,
    pub price: Amount,
    pub quantity: Qty,
    /// What the position costs after the register's own discounts.
    pub summ: Amount,
}

/// A certificate paying a part of the receipt (the spec's array).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub code: String,
    pub pin: String,
    pub summ: AmountText,
}

/// CalcCheckRequest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalcCheck {
    pub customer_token: String,
    pub check_id: String,
    /// `shift/number` on the register.
    pub number: String,
    /// `YYYY-MM-DD HH:MM:SS`, the register's time.
    pub date: String,
    pub items: Vec<Item>,
    /// The write-off the customer asked for (0: none yet).
    pub bonus: Amount,
    #[serde(default)]
    pub certificate: Vec<Certificate>,
    /// The code the cashier entered goes in both (as the iiko plugin does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalcItem {
    pub position: u32,
    pub max_bonus_can_pay: Amount,
    #[serde(default = "Amount::zero")]
    pub discount: Amount,
    #[serde(default = "Amount::zero")]
    pub bonus_pay: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateAnswer {
    pub code: String,
    pub summ: AmountText,
}

/// CalcCheckResponse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalcAnswer {
    pub calc_id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub total_bonus: Amount,
    pub max_bonus: Amount,
    #[serde(default = "Amount::zero")]
    pub bonus_add: Amount,
    #[serde(default)]
    pub items: Vec<CalcItem>,
    #[serde(default)]
    pub certificate: Vec<CertificateAnswer>,
    #[serde(default)]
    pub message: Option<String>,
}

/// WriteCheckRequest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteCheck {
    pub customer_token: String,
    pub calc_id: String,
    pub check_id: String,
    /// The calculation's certificates (scenario 3.4a: «WriteCheckRequest, где
    /// также необходимо заполнить массив certificate»).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificate: Vec<Certificate>,
    /// The calculation's coupon and gift code (scenario 5.4a: «где также
    /// передается "coupon" или "gift_code"»).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_code: Option<String>,
}

/// WriteCheckResponse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteAnswer {
    #[serde(default)]
    pub text: String,
    #[serde(default = "Amount::zero")]
    pub bonus_add: Amount,
    #[serde(default = "Amount::zero")]
    pub bonus_pay: Amount,
    #[serde(default)]
    pub total_bonus: Option<Amount>,
}

/// A return: the returned positions, none for all of the sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnCheck {
    pub customer_token: String,
    pub check_id: String,
    pub return_id: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollback {
    pub check_id: String,
}

/// Certificate information (form data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertCode {
    pub code: String,
}

/// CertInfoResponse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertInfo {
    pub code: String,
    pub status_code: i64,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub balance: Option<AmountText>,
}

/// One article of the goods import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Good {
    pub code: String,
    pub name: String,
    pub price: Amount,
    /// `kg` for goods sold by weight, else `pcs`.
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    pub goods: Vec<Good>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportAnswer {
    #[serde(default)]
    pub imported: u64,
}

/// An error body: `{"error": {"code", "message"}}` or the same at the top.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ErrorAnswer {
    #[serde(default)]
    pub error: Option<ErrorBody>,
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
}

impl ErrorAnswer {
    pub fn new(code: i64, message: impl Into<String>) -> ErrorAnswer {
        ErrorAnswer {
            error: Some(ErrorBody {
                code: Some(code),
                message: Some(message.into()),
            }),
            ..ErrorAnswer::default()
        }
    }

    /// The error's number and text, wherever the server put them.
    pub fn parts(&self) -> (Option<i64>, Option<String>) {
        let inner = self.error.clone().unwrap_or_default();
        let text = inner.message.or(self.message.clone()).map(|t| t.trim().to_string());
        (inner.code.or(self.code), text.filter(|t| !t.is_empty()))
    }
}

impl Amount {
    pub fn zero() -> Amount {
        Amount(Money::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_sample_of_customer_auth_reads() {
        let sample = r#"{  "first_name": "string",  "middle_name": "string",  "last_name": "string",  "total_bonus": 0,  "token": "string",  "phone": "string",  "exists_chatbot": true,  "n_checkpin": 0,  "register_request": "string"}"#;
        let auth: CustomerAuth = serde_json::from_str(sample).expect("the spec's sample");
        assert_eq!(auth.total_bonus, Some(Amount(Money::ZERO)));
        assert_eq!(auth.n_checkpin, Some(0));
        assert_eq!(auth.exists_chatbot, Some(true));
    }

    #[test]
    fn certificate_sums_are_text_and_read_either_way() {
        let c = Certificate {
            code: "C1".into(),
            pin: "1".into(),
            summ: AmountText(Money(500_00)),
        };
        assert!(serde_json::to_string(&c).expect("json").contains(r#""summ":"500.00""#));
        let read: AmountText = serde_json::from_str("\"0\"").expect("text");
        assert_eq!(read, AmountText(Money::ZERO));
        let read: AmountText = serde_json::from_str("12.5").expect("number");
        assert_eq!(read, AmountText(Money(12_50)));
        assert!(serde_json::from_str::<AmountText>("\"1.005\"").is_err());
    }

    #[test]
    fn errors_are_read_inside_or_at_the_top() {
        let inner: ErrorAnswer = serde_json::from_str(r#"{"error": {"code": 409, "message": "Такой чек уже проведен"}}"#).expect("inner");
        assert_eq!(inner.parts(), (Some(409), Some("Такой чек уже проведен".into())));
        let top: ErrorAnswer = serde_json::from_str(r#"{"code": 422, "message": "Покупатель не найден"}"#).expect("top");
        assert_eq!(top.parts(), (Some(422), Some("Покупатель не найден".into())));
    }
}
