//! ProBonus (Carbis API v0) on the wire: every path and field kassa uses, in
//! one place, so that it can be checked against the live swagger in one place.
//!
//! The spec (`../shared/specs/probonus.md`) names the methods and the fields
//! of `external/register_check`; everything else here is modelled from the
//! names. Assumptions, each kept here:
//! - every method is `POST <url><path>` with a JSON body and a JSON answer;
//! - the permanent API token travels in the header [`TOKEN_HEADER`]; with
//!   login, the bearer token in `Authorization: Bearer …`;
//! - `auth/login` takes `login` and `password`, `auth/refresh_token` takes
//!   `refreshToken`; both answer `accessToken`, `refreshToken` and
//!   `expiresIn` (seconds);
//! - field names are camelCase, as the spec's `restCode`, `checkGuid`;
//! - phones are 11 digits starting with 7, as the r_keeper card shows them;
//! - every sum is an integer number of kopecks (the spec says so for
//!   register_check; balances and transactions are read the same way);
//! - a level carries its rules: `bonusPercent` (accrued on money paid) and
//!   `maxPaymentPercent` (the most of a receipt bonuses may pay), percents
//!   with at most 2 decimals;
//! - `return_check` takes the sale's `checkGuid` and rolls back everything
//!   that check did (bonuses spent come back, bonuses accrued go) — "откат
//!   всех начислений"; a partial return is therefore the rollback of the
//!   sale and a new check for what the guest kept (see the provider);
//! - a `return_check` of a check already rolled back answers as the first
//!   time (so a resend after a lost answer is harmless); if the live server
//!   refuses it instead, the queue archives the entry with the server's text
//!   and a slip — visible, never silent;
//! - `accounts/transactions` lists an account's transactions for a period
//!   (`dateFrom`, `dateTo`) or the last `count`; each names the `checkGuid`
//!   that made it. kassa reads it to learn whether a check whose answer was
//!   lost went through, because ProBonus does not check GUIDs for
//!   uniqueness ("Контроль уникальности лежит на внешней системе");
//! - errors: a status other than 2xx with a text in `message`, `error`
//!   (a string, or an object with `message`) or `detail`. 401 means the token
//!   is not (or no longer) valid; 404 from `find_by_phone` means no such guest.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::core::money::Money;

pub const LOGIN: &str = "/api/v0/auth/login";
pub const REFRESH_TOKEN: &str = "/api/v0/auth/refresh_token";
pub const FIND_BY_PHONE: &str = "/api/v0/accounts/find_by_phone";
pub const INSERT_BY_TEMPLATE: &str = "/api/v0/accounts/insert_by_template";
pub const ACCOUNT_GROUPS: &str = "/api/v0/account_groups/list";
pub const BALANCE_EXTENDED: &str = "/api/v0/accounts/get_balance_extended";
pub const TRANSACTIONS: &str = "/api/v0/accounts/transactions";
pub const REGISTER_CHECK: &str = "/api/v0/external/register_check";
pub const RETURN_CHECK: &str = "/api/v0/external/return_check";

/// The header of the permanent API token.
pub const TOKEN_HEADER: &str = "X-Api-Token";

/// Dates of birth and of burning: `YYYY-MM-DD`; moments: `YYYY-MM-DDTHH:MM:SS`.
pub const DATE: &str = "%Y-%m-%d";
pub const DATE_TIME: &str = "%Y-%m-%dT%H:%M:%S";

/// Keys whose text explains a refusal.
pub const REFUSAL_TEXT_KEYS: &[&str] = &["message", "error", "detail"];

/// Kopecks as a JSON integer: `150000` is 1500.00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Kopecks(pub Money);

impl Serialize for Kopecks {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0.0)
    }
}

impl<'de> Deserialize<'de> for Kopecks {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = serde_json::Number::deserialize(deserializer)?;
        number
            .as_i64()
            // unsigned_abs: `abs` of i64::MIN overflows (found by tests/fuzz.rs).
            .filter(|k| k.unsigned_abs() <= crate::core::money::MONEY_CEILING.0.unsigned_abs())
            .map(|k| Kopecks(Money(k)))
            .ok_or_else(|| D::Error::custom(format!("{number}: not a whole number of kopecks")))
    }
}

/// A percent with at most 2 decimals, kept in hundredths (`2.5` → 250).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Percent(pub i64);

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::loyalty::numbers::Amount(Money(self.0)).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let crate::loyalty::numbers::Amount(hundredths) = Deserialize::deserialize(deserializer)?;
        if hundredths.0 > 100_00 {
            return Err(D::Error::custom(format!("{hundredths} %: more than 100")));
        }
        Ok(Percent(hundredths.0))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Login {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshToken {
    pub refresh_token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    /// Servers spell these in either case style.
    #[serde(alias = "access_token")]
    pub access_token: String,
    #[serde(alias = "refresh_token")]
    pub refresh_token: String,
    /// Seconds the access token lives.
    #[serde(alias = "expires_in")]
    pub expires_in: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindByPhone {
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Level {
    #[serde(default)]
    pub id: Option<u64>,
    pub name: String,
    #[serde(default)]
    pub bonus_percent: Option<Percent>,
    #[serde(default)]
    pub max_payment_percent: Option<Percent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coupon {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub code: Option<String>,
    pub name: String,
}

/// A guest's account: profile, balance, level, coupons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: u64,
    #[serde(default)]
    pub account_group_id: Option<u64>,
    pub phone: String,
    #[serde(default)]
    pub surname: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub middle_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub balance: Kopecks,
    #[serde(default)]
    pub level: Option<Level>,
    #[serde(default)]
    pub coupons: Vec<Coupon>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InsertByTemplate {
    pub account_group_id: u64,
    pub phone: String,
    pub surname: String,
    pub name: String,
    pub middle_name: String,
    /// `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub birth_date: Option<String>,
    /// `M` or `F`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sex: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AccountGroups {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountGroup {
    pub id: u64,
    pub name: String,
    /// «Шаблон для API»: accounts can be created in it by template.
    #[serde(default)]
    pub have_template: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ByAccount {
    pub account_id: u64,
}

/// One amount that burns on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Burning {
    pub amount: Kopecks,
    /// `YYYY-MM-DD`.
    pub date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceExtended {
    pub balance: Kopecks,
    #[serde(default)]
    pub burnings: Vec<Burning>,
}

/// The last `count`, or those of a period (dates `YYYY-MM-DD`, inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transactions {
    pub account_id: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    /// `YYYY-MM-DDTHH:MM:SS`.
    pub date: String,
    /// Signed: accruals and refunds positive, spending and burning negative.
    pub amount: Kopecks,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub check_guid: Option<String>,
}

/// `external/register_check`, field by field as the spec lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterCheck {
    pub rest_code: u32,
    pub check_guid: String,
    pub account_id: u64,
    pub rk_unit: u32,
    pub external_check: String,
    pub bonus_spent_sum: Kopecks,
    pub discount_sum: Kopecks,
    pub bonus_accrued_sum: Kopecks,
    pub money_spent_sum: Kopecks,
    pub check_data: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckAnswer {
    /// The account's balance after the check.
    #[serde(default)]
    pub balance: Option<Kopecks>,
}

/// `external/return_check`: the sale's check, rolled back whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnCheck {
    pub rest_code: u32,
    pub check_guid: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `tests/fuzz.rs`: the smallest i64 panicked (negate with
    /// overflow) instead of being refused as out of range.
    #[test]
    fn kopecks_beyond_the_ceiling_are_refused_at_both_ends() {
        let read = |json: &str| serde_json::from_str::<Kopecks>(json).map(|k| k.0.0);
        assert_eq!(read("150000").ok(), Some(150000));
        assert_eq!(read("-5000").ok(), Some(-5000));
        assert!(read("-9223372036854775808").is_err());
        assert!(read("9223372036854775807").is_err());
        assert!(read("-100000000000001").is_err());
        assert!(read("1.5").is_err());
    }
}
