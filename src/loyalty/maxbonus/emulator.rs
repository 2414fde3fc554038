//! A MaxBonus (cashbox REST API 2.0.6) server written from
//! `../shared/specs/maxbonus.txt` and `../shared/specs/README.md` alone: a
//! referee. It reads every request with its own reader ([`Fields`]), never
//! with the client's wire structs, so a misreading shared by the client and
//! the emulator cannot pass both.
//!
//! It checks the outlet's token (401 otherwise) and the form or JSON body of
//! every method, and keeps customers (phone, names, balance, `n_checkpin`,
//! chat bot, card numbers and one-time short codes for the QR
//! authorisation), customer tokens, pending registrations and pins (the SMS
//! code of this emulator is always [`SMS_CODE`]), calculations, written
//! checks, returns, certificates and imported goods.
//!
//! The program: 5 % of the money paid is accrued (rounded down); bonuses
//! pay at most half of each position after its discount, within the
//! balance; coupon `SALE10` takes 10 % off every position; gift code
//! `GIFT100` gives 100.00 bonuses with the write; the anonymous customer
//! (`8888888888`) neither gains nor spends. A write needs a calculation of
//! the same check and customer, and carries the certificates, coupon and
//! gift code that calculation carried (scenarios 3.4a and 5.4a); a second
//! write of a written check is refused "Такой чек уже проведен" until it is
//! rolled back; a customer with `n_checkpin` spends only after a right
//! checkpin. Returns give back the returned positions' share of the
//! write-off and take back their share of the accrual (on cumulative
//! quantities, so parts add up to the whole). Its books ([`Emulator::ledger`])
//! are what `expect ledger` reconciles with kassa's journal.
//!
//! Refusals are `{"code": N, "message": "…"}` with an HTTP status («ошибка с
//! номером и сообщением для кассира»; the number and the message at the top
//! level of the body is this emulator's reading); a request
//! the emulator cannot read is 400 with a Russian message naming the field
//! (where it sits: `items[1].price`) and its value.
//!
//! # Readings where the spec is silent
//!
//! The spec gives the scenarios and the schemas by name only (the swagger it
//! points to is not part of it). What this emulator reads, in one place:
//!
//! - Paths: `BASE URL: /api/cashbox`; the spec names `customer/auth`,
//!   `check`, `check/write`, `check/return`, `askpin`, `checkpin`,
//!   `import/json` and `rollback`. The others are read from its method list
//!   («Авторизация гостя QR коду», «Запрос регистрации», «Повторный запрос
//!   пин кода», «Подтверждение регистрации», «Отправка смс с чатботом»,
//!   «Получить информацию по сертификату»): see [`paths`]. `rollback` is
//!   `check/rollback`.
//! - Bodies: the customer methods and `certificate/info` take formData
//!   («с номером телефона в formData»); the schemas (`CalcCheckRequest`,
//!   `WriteCheckRequest`, `CustomerRegisterRequest`, the return, the
//!   rollback and the import) are JSON objects.
//! - Amounts are JSON numbers, read by their own text (`arbitrary_precision`:
//!   never through floating point): at most 2 decimals, no sign, no
//!   exponent. A certificate's `summ` may also be a string holding such a
//!   number: the spec's own example writes `"summ": "0"`. Quantities are
//!   JSON numbers above zero with at most 3 decimals; `position` a JSON
//!   integer, from 1 in order in a calculation.
//! - `CalcCheckRequest`: `customer_token`, `check_id`, `number`, `date`
//!   (`ГГГГ-ММ-ДД ЧЧ:ММ:СС`) and `items` (each `position`, `code`, `name`,
//!   `price`, `quantity`, `summ`) are required. `bonus` may be left out (0):
//!   the first calculation has no write-off yet («Если сумма списания >0, то
//!   еще один расчет чека с указанием суммы списания»). `certificate` left
//!   out or null is no certificate.
//! - `coupon` and `gift_code`: a code is a non-empty string; left out, null
//!   or `""` is no code.
//! - `WriteCheckRequest` names its calculation («check/write с указанием id
//!   расчета»): `customer_token`, `calc_id`, `check_id`, and the
//!   calculation's `certificate`, `coupon` and `gift_code`; the positions
//!   and the write-off are the calculation's and are not sent again.
//! - «The same certificate array»: the same certificates, each with the same
//!   `code`, `pin` and `summ` (amounts compared as amounts: `500` is
//!   `"500.00"`), in any order: a payment list has no order. A write that
//!   adds a certificate its calculation did not carry changes the array too.
//! - «The same coupon or gift code»: field by field, the same text. A code
//!   the calculation did not carry is refused as well: the write would claim
//!   an effect nobody calculated. A register that sends the code in both
//!   fields (the iiko plugin, which the spec names) sends both on the write
//!   too, and that is accepted.
//! - A refusal never repeats a pin (a certificate's or the customer's): it
//!   names the field and says the value is hidden.
//! - `CustomerRegisterRequest`: `phone`, `pin` (the SMS code) and
//!   `first_name` required; `last_name`, `middle_name` optional (`""`);
//!   `birth_date` (`ГГГГ-ММ-ДД`) and `sex` (`m` or `f`) optional.
//! - 422: the spec lists it for `customer/auth` only, as «Покупатель не
//!   найден». Other 422 refusals carry their own message: a wrong pin
//!   (`checkpin`) is `{"code":422,"message":"Неверный ПИН"}`, a wrong
//!   registration code `{"code":422,"message":"Неверный код подтверждения"}`.
//! - A return (`check/return`) names the sale by `check_id` and itself by
//!   `return_id`; its `items` are positions of the sale, read as the
//!   calculation's are; none (`[]` or left out) returns all that is left
//!   («если полный то можно передать пустой чек»).
//! - The import takes `{"goods": [{"code", "name", "price", "unit"}]}`,
//!   `unit` `pcs` or `kg`.
//!
//! Control (for tests): `POST /control` with `{"fail": MODE, "times": N}`
//! (`lost` and `malformed` process the request first, then drop the answer
//! or cut its body short); `GET /log`.

use crate::emulators::KeptBooks;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::core::ledger::{Counted, Kind, Ledger};
use crate::core::money::{Money, Quantity};
use crate::emulators::{Misbehaviour, sum};
// Only what goes out: the token header, the error numbers and the answers'
// amount forms. Requests are read by this module alone.
use crate::loyalty::maxbonus::wire;
use wire::{Amount, AmountText};

/// The methods' paths, below [`paths::BASE`] (the module doc's readings).
pub mod paths {
    /// «BASE URL: /api/cashbox».
    pub const BASE: &str = "/api/cashbox";
    /// «Авторизация гостя по телефону: POST /customer/auth».
    pub const AUTH: &str = "/customer/auth";
    pub const AUTH_QR: &str = "/customer/auth/qr";
    pub const REGISTER: &str = "/customer/register";
    pub const REGISTER_REPEAT: &str = "/customer/register/repeat";
    pub const REGISTER_CONFIRM: &str = "/customer/register/confirm";
    pub const CHAT_BOT: &str = "/customer/chatbot";
    /// «askpin и checkpin если стоит запрет списания без пин кода».
    pub const ASK_PIN: &str = "/customer/askpin";
    pub const CHECK_PIN: &str = "/customer/checkpin";
    /// «Расчет чека … (check)».
    pub const CALC: &str = "/check";
    /// «Подтверждение чека … (check/write)».
    pub const WRITE: &str = "/check/write";
    /// «check/return если нужен возврат».
    pub const RETURN: &str = "/check/return";
    /// «необходимо использовать метод rollback».
    pub const ROLLBACK: &str = "/check/rollback";
    pub const CERT_INFO: &str = "/certificate/info";
    /// «Периодический импорт товаров в Максбонус (import/json)».
    pub const IMPORT: &str = "/import/json";
}

/// The SMS code this emulator "sends" for registrations and pins.
pub const SMS_CODE: &str = "1234";
/// Accrued on the money paid, hundredths of a percent.
const ACCRUAL: i64 = 5_00;
/// The most of a position bonuses may pay, hundredths of a percent.
const MAX_SPEND: i64 = 50_00;
const COUPON: &str = "SALE10";
const COUPON_PERCENT: i64 = 10_00;
const GIFT_CODE: &str = "GIFT100";
const GIFT_BONUS: Money = Money(100_00);
/// A new customer's welcome bonus.
const WELCOME: Money = Money(100_00);
/// «в параметр customer_token необходимо передать "8888888888"».
const ANONYMOUS: &str = "8888888888";
/// «Если "status_code" не равен 1, то таким сертификатом можно производить оплату».
const CERT_UNUSABLE: i64 = 1;
/// A check's `date` (reading).
const CHECK_DATE: &str = "%Y-%m-%d %H:%M:%S";
/// A customer's `birth_date` (reading).
const BIRTH_DATE: &str = "%Y-%m-%d";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// 11 digits starting with 7.
    pub phone: String,
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    pub balance: Money,
    /// Spending needs askpin + checkpin.
    pub checkpin: bool,
    pub chatbot: bool,
    /// Card numbers printed as barcodes: the QR authorisation takes them.
    pub cards: Vec<String>,
    /// Short codes from the chat bot: each works once.
    pub short_codes: Vec<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub code: String,
    pub pin: String,
    /// 1: not usable (the spec's rule).
    pub status_code: i64,
    pub status: String,
    pub balance: Money,
}

/// The demo program's customers and certificates.
pub fn demo() -> (Vec<Customer>, Vec<Certificate>) {
    let customer = |phone: &str, names: [&str; 3], balance: i64| Customer {
        phone: phone.into(),
        last_name: names[0].into(),
        first_name: names[1].into(),
        middle_name: names[2].into(),
        balance: Money(balance),
        checkpin: false,
        chatbot: true,
        cards: Vec::new(),
        short_codes: Vec::new(),
        birth_date: None,
        sex: None,
    };
    let customers = vec![
        Customer {
            cards: vec!["7000000000011".into()],
            ..customer("79161234567", ["Смирнова", "Анна", "Сергеевна"], 1500_00)
        },
        Customer {
            checkpin: true,
            chatbot: false,
            short_codes: vec!["482913".into()],
            ..customer("79211022546", ["Пупкин", "Иван", ""], 832_44)
        },
    ];
    let certificate = |code: &str, pin: &str, status_code: i64, status: &str, balance: i64| Certificate {
        code: code.into(),
        pin: pin.into(),
        status_code,
        status: status.into(),
        balance: Money(balance),
    };
    let certificates = vec![
        certificate("CERT-1000", "1111", 0, "активен", 1000_00),
        certificate("CERT-500", "3333", 0, "активен", 500_00),
        certificate("CERT-USED", "2222", CERT_UNUSABLE, "погашен", 0),
    ];
    (customers, certificates)
}

/// What the emulator received: the path, whether the token was right, the body redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logged {
    pub path: String,
    pub authorised: bool,
    pub body: String,
}

/// One position as a calculation priced it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Priced {
    position: u32,
    quantity: Quantity,
    summ: Money,
    discount: Money,
    bonus_pay: Money,
    max: Money,
    accrual: Money,
}

impl Priced {
    fn money(&self) -> Money {
        Money(self.summ.0 - self.discount.0 - self.bonus_pay.0)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Calc {
    check_id: String,
    /// `None`: the anonymous customer.
    customer: Option<usize>,
    items: Vec<Priced>,
    /// As the calculation sent them: the write must send the same.
    certificates: Vec<Paying>,
    /// As the calculation sent them: the write must send the same.
    codes: Codes,
    gift: Money,
}

impl Calc {
    fn bonus_pay(&self) -> Money {
        sum(self.items.iter().map(|i| i.bonus_pay))
    }

    /// What the customer pays in money (certificates are money here) after
    /// every discount and the write-off.
    fn money(&self) -> Money {
        sum(self.items.iter().map(Priced::money))
    }

    fn accrual(&self) -> Money {
        Money(sum(self.items.iter().map(|i| i.accrual)).0 + self.gift.0)
    }
}

/// A written check and what has been returned of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Written {
    /// When it was written, among all writes: the books list checks in this order.
    order: u64,
    calc: Calc,
    /// Per position (index into `calc.items`): the quantity returned so far.
    returned: Vec<Quantity>,
    returns: Vec<Refund>,
}

/// One return of a written check as the server booked it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Refund {
    return_id: String,
    /// The returned quantities' share of the money the customer paid.
    money: Money,
    /// The returned quantities' share of the write-off, given back.
    bonus: Money,
}

struct Inner {
    token: String,
    /// Never removed: an index into it stays valid.
    customers: Vec<Customer>,
    certificates: Vec<Certificate>,
    /// Customer token → customer index.
    tokens: HashMap<String, usize>,
    /// Tokens whose pin was checked.
    pin_checked: Vec<String>,
    /// Phones that asked to register and have not confirmed.
    pending: Vec<String>,
    calcs: HashMap<String, Calc>,
    written: HashMap<String, Written>,
    goods: HashMap<String, Good>,
    /// SMS sent, by phone (registration codes, pins, chat-bot links).
    sms: Vec<(String, &'static str)>,
    issued: u64,
    log: Vec<Logged>,
    misbehaviour: Misbehaviour,
    /// Where the books are kept across restarts (the demo's server).
    kept: Option<crate::emulators::Kept>,
}

/// The books a restart must not lose: customers and their balances (and
/// the short codes used up), certificates, the customer tokens and pins
/// checked (a receipt identified before the restart is written after it),
/// pending registrations, calculations and written checks, the goods
/// imported, and the counter behind every id issued (no id twice). The
/// SMS sent are a log, not kept.
#[derive(Serialize, Deserialize)]
struct Books {
    customers: Vec<Customer>,
    certificates: Vec<Certificate>,
    tokens: HashMap<String, usize>,
    pin_checked: Vec<String>,
    pending: Vec<String>,
    calcs: HashMap<String, Calc>,
    written: HashMap<String, Written>,
    goods: HashMap<String, Good>,
    issued: u64,
}

#[derive(Clone)]
pub struct Emulator(Arc<Mutex<Inner>>);

/// A refusal: its HTTP status, error number and text.
type Refusal = (StatusCode, i64, String);
type Answer = Result<Value, Refusal>;

fn refuse(status: StatusCode, code: i64, text: impl Into<String>) -> Refusal {
    (status, code, text.into())
}

fn bad(text: impl Into<String>) -> Refusal {
    refuse(StatusCode::BAD_REQUEST, 400, text)
}

/// A JSON body: one object (the schemas are objects).
fn json_body(body: &[u8]) -> Result<Value, Refusal> {
    serde_json::from_slice(body).map_err(|e| bad(format!("неверный запрос: тело не JSON ({e})")))
}

/// An amount's exact text (a JSON number's own text, or a string holding
/// one): digits, at most one dot and 2 decimals; no sign, no exponent, no
/// comma, no spaces.
fn amount(text: &str) -> Option<Money> {
    let plain = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    plain.then(|| Money::parse(text).ok()).flatten()
}

/// A quantity's exact text: above zero, at most 3 decimals.
fn quantity(text: &str) -> Option<Quantity> {
    let plain = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    plain.then(|| Quantity::parse(text).ok()).flatten()
}

/// One JSON object of a request, read field by field; every refusal names
/// the field (with where it sits: `items[2].price`) and its value.
struct Fields<'a> {
    object: &'a Map<String, Value>,
    at: String,
}

impl<'a> Fields<'a> {
    fn of(request: &'a Value) -> Result<Fields<'a>, Refusal> {
        match request {
            Value::Object(object) => Ok(Fields { object, at: String::new() }),
            other => Err(bad(format!("тело запроса {other}: нужен объект JSON"))),
        }
    }

    fn name(&self, field: &str) -> String {
        if self.at.is_empty() {
            field.to_string()
        } else {
            format!("{}.{field}", self.at)
        }
    }

    fn wrong(&self, field: &str, value: &Value, why: &str) -> Refusal {
        bad(format!("{} {value}: {why}", self.name(field)))
    }

    /// A field that is there and not null.
    fn value(&self, field: &str) -> Option<&'a Value> {
        self.object.get(field).filter(|v| !v.is_null())
    }

    fn required(&self, field: &str) -> Result<&'a Value, Refusal> {
        self.value(field)
            .ok_or_else(|| bad(format!("{}: обязательное поле отсутствует", self.name(field))))
    }

    /// A string, possibly empty.
    fn string(&self, field: &str) -> Result<&'a str, Refusal> {
        let value = self.required(field)?;
        value.as_str().ok_or_else(|| self.wrong(field, value, "нужна строка"))
    }

    /// A string with something in it.
    fn text(&self, field: &str) -> Result<&'a str, Refusal> {
        let text = self.string(field)?;
        if text.trim().is_empty() {
            return Err(bad(format!("{} «{text}»: пустое значение", self.name(field))));
        }
        Ok(text)
    }

    /// A string that may be left out or null.
    fn optional_string(&self, field: &str) -> Result<Option<&'a str>, Refusal> {
        match self.value(field) {
            None => Ok(None),
            Some(_) => self.string(field).map(Some),
        }
    }

    /// A coupon or gift code: a non-empty string; left out, null or `""`: none.
    fn code(&self, field: &str) -> Result<Option<String>, Refusal> {
        Ok(self.optional_string(field)?.filter(|c| !c.is_empty()).map(str::to_string))
    }

    /// An amount: a JSON number, read by its own text.
    fn money(&self, field: &str) -> Result<Money, Refusal> {
        let value = self.required(field)?;
        let Value::Number(n) = value else {
            return Err(self.wrong(field, value, "сумма должна быть числом JSON"));
        };
        amount(&n.to_string()).ok_or_else(|| self.wrong(field, value, "сумма ≥ 0, не больше 2 знаков после точки"))
    }

    /// An amount that may be left out or null (zero then).
    fn optional_money(&self, field: &str) -> Result<Money, Refusal> {
        match self.value(field) {
            None => Ok(Money::ZERO),
            Some(_) => self.money(field),
        }
    }

    /// An amount as a JSON number or a string holding one (`"summ": "0"`).
    fn money_or_text(&self, field: &str) -> Result<Money, Refusal> {
        let value = self.required(field)?;
        let text = match value {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => return Err(self.wrong(field, value, "сумма должна быть числом или строкой с числом")),
        };
        amount(&text).ok_or_else(|| self.wrong(field, value, "сумма ≥ 0, не больше 2 знаков после точки"))
    }

    fn quantity(&self, field: &str) -> Result<Quantity, Refusal> {
        let value = self.required(field)?;
        let Value::Number(n) = value else {
            return Err(self.wrong(field, value, "количество должно быть числом JSON"));
        };
        quantity(&n.to_string()).ok_or_else(|| self.wrong(field, value, "количество > 0, не больше 3 знаков после точки"))
    }

    /// A position number: a JSON integer from 1.
    fn position(&self, field: &str) -> Result<u32, Refusal> {
        let value = self.required(field)?;
        value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n >= 1)
            .ok_or_else(|| self.wrong(field, value, "номер позиции — целое число от 1"))
    }

    /// A list; left out or null is empty.
    fn list(&self, field: &str) -> Result<&'a [Value], Refusal> {
        match self.value(field) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(value) => Err(self.wrong(field, value, "нужен массив")),
        }
    }

    /// The objects of a list, each read by `read`.
    fn each<T>(&self, field: &str, read: impl Fn(&Fields<'a>) -> Result<T, Refusal>) -> Result<Vec<T>, Refusal> {
        let list = self.list(field)?;
        let mut read_all = Vec::with_capacity(list.len());
        for (index, value) in list.iter().enumerate() {
            let at = format!("{}[{index}]", self.name(field));
            let Value::Object(object) = value else {
                return Err(bad(format!("{at} {value}: нужен объект")));
            };
            read_all.push(read(&Fields { object, at })?);
        }
        Ok(read_all)
    }
}

/// A check position as the register sent it.
#[derive(Debug, Clone)]
struct Line {
    position: u32,
    code: String,
    price: Money,
    quantity: Quantity,
    summ: Money,
}

fn read_line(f: &Fields) -> Result<Line, Refusal> {
    // The name is read for its type only: nothing here depends on it.
    f.string("name")?;
    Ok(Line {
        position: f.position("position")?,
        code: f.string("code")?.to_string(),
        price: f.money("price")?,
        quantity: f.quantity("quantity")?,
        summ: f.money("summ")?,
    })
}

/// One entry of `certificate`: «"code" - номер сертификата, "pin" -
/// пин-код сертификата, "summ" - сумма к списанию».
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Paying {
    code: String,
    pin: String,
    summ: Money,
}

fn read_certificate(f: &Fields) -> Result<Paying, Refusal> {
    Ok(Paying {
        code: f.text("code")?.to_string(),
        pin: f.string("pin")?.to_string(),
        summ: f.money_or_text("summ")?,
    })
}

/// «"coupon" или "gift_code"» as a request carried them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Codes {
    coupon: Option<String>,
    gift_code: Option<String>,
}

fn read_codes(f: &Fields) -> Result<Codes, Refusal> {
    Ok(Codes {
        coupon: f.code("coupon")?,
        gift_code: f.code("gift_code")?,
    })
}

/// «CalcCheckRequest».
struct CalcRequest {
    customer_token: String,
    check_id: String,
    number: String,
    date: String,
    items: Vec<Line>,
    bonus: Money,
    certificates: Vec<Paying>,
    codes: Codes,
}

fn read_calc(body: &[u8]) -> Result<CalcRequest, Refusal> {
    let value = json_body(body)?;
    let f = Fields::of(&value)?;
    Ok(CalcRequest {
        customer_token: f.text("customer_token")?.to_string(),
        check_id: f.string("check_id")?.to_string(),
        number: f.string("number")?.to_string(),
        date: f.string("date")?.to_string(),
        items: {
            f.required("items")?;
            f.each("items", read_line)?
        },
        bonus: f.optional_money("bonus")?,
        certificates: f.each("certificate", read_certificate)?,
        codes: read_codes(&f)?,
    })
}

/// «WriteCheckRequest».
struct WriteRequest {
    customer_token: String,
    calc_id: String,
    check_id: String,
    certificates: Vec<Paying>,
    codes: Codes,
}

fn read_write(body: &[u8]) -> Result<WriteRequest, Refusal> {
    let value = json_body(body)?;
    let f = Fields::of(&value)?;
    Ok(WriteRequest {
        customer_token: f.text("customer_token")?.to_string(),
        calc_id: f.text("calc_id")?.to_string(),
        check_id: f.text("check_id")?.to_string(),
        certificates: f.each("certificate", read_certificate)?,
        codes: read_codes(&f)?,
    })
}

/// `check/return`.
struct ReturnRequest {
    customer_token: String,
    check_id: String,
    return_id: String,
    items: Vec<Line>,
}

fn read_return(body: &[u8]) -> Result<ReturnRequest, Refusal> {
    let value = json_body(body)?;
    let f = Fields::of(&value)?;
    Ok(ReturnRequest {
        customer_token: f.text("customer_token")?.to_string(),
        check_id: f.text("check_id")?.to_string(),
        return_id: f.string("return_id")?.to_string(),
        items: f.each("items", read_line)?,
    })
}

/// «CustomerRegisterRequest».
struct Registration {
    phone: String,
    pin: String,
    last_name: String,
    first_name: String,
    middle_name: String,
    birth_date: Option<String>,
    sex: Option<String>,
}

fn read_registration(body: &[u8]) -> Result<Registration, Refusal> {
    let value = json_body(body)?;
    let f = Fields::of(&value)?;
    let owned = |s: Option<&str>| s.map(str::to_string);
    Ok(Registration {
        phone: f.string("phone")?.to_string(),
        pin: f.string("pin")?.to_string(),
        last_name: f.optional_string("last_name")?.unwrap_or_default().to_string(),
        first_name: f.string("first_name")?.to_string(),
        middle_name: f.optional_string("middle_name")?.unwrap_or_default().to_string(),
        birth_date: owned(f.optional_string("birth_date")?),
        sex: owned(f.optional_string("sex")?),
    })
}

/// One imported good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Good {
    pub code: String,
    pub name: String,
    pub price: Money,
    /// `pcs` or `kg`.
    pub unit: String,
}

fn read_good(f: &Fields) -> Result<Good, Refusal> {
    Ok(Good {
        code: f.string("code")?.to_string(),
        name: f.string("name")?.to_string(),
        price: f.money("price")?,
        unit: f.string("unit")?.to_string(),
    })
}

/// Form data (`a=1&b=2`): the customer methods take nothing else.
fn form(body: &[u8]) -> Result<HashMap<String, String>, Refusal> {
    let text = std::str::from_utf8(body).map_err(|_| bad("форма не в UTF-8"))?;
    if text.trim_start().starts_with('{') {
        return Err(bad("ожидаются данные формы (formData), пришёл JSON"));
    }
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(key)?, decode(value)?))
        })
        .collect()
}

fn decode(text: &str) -> Result<String, Refusal> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3).ok_or_else(|| bad("неверная форма"))?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad("неверная форма"))?);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad("форма не в UTF-8"))
}

fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, Refusal> {
    form.get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad(format!("нет поля {name}")))
}

fn valid_phone(phone: &str) -> Result<(), Refusal> {
    if crate::emulators::is_russian_mobile(phone) {
        Ok(())
    } else {
        Err(bad(format!("phone «{phone}»: нужно 11 цифр, первая 7")))
    }
}

/// `amount × hundredths / 10000`, rounded down; nothing of a negative amount.
fn percent_down(amount: Money, hundredths: i64) -> Money {
    share_down(amount.max(Money::ZERO), hundredths, 10_000)
}

/// `whole × part / of`, rounded down.
fn share_down(whole: Money, part: i64, of: i64) -> Money {
    if of == 0 {
        return Money::ZERO;
    }
    Money(i64::try_from(i128::from(whole.0) * i128::from(part) / i128::from(of)).unwrap_or(0))
}

impl crate::emulators::Misbehaving for Emulator {
    fn misbehaviour<R>(&self, f: impl FnOnce(&mut Misbehaviour) -> R) -> R {
        f(&mut self.lock().misbehaviour)
    }
}

impl Emulator {
    pub fn new(token: &str, program: (Vec<Customer>, Vec<Certificate>)) -> Emulator {
        let (customers, certificates) = program;
        Emulator(Arc::new(Mutex::new(Inner {
            token: token.to_string(),
            customers,
            certificates,
            tokens: HashMap::new(),
            pin_checked: Vec::new(),
            pending: Vec::new(),
            calcs: HashMap::new(),
            written: HashMap::new(),
            goods: HashMap::new(),
            sms: Vec::new(),
            issued: 0,
            log: Vec::new(),
            misbehaviour: Misbehaviour::default(),
            kept: None,
        })))
    }

    /// Keeps the books in `file` after every request that changes them, and
    /// starts from it when it is there (the demo's in-process server: a
    /// restart of the till is not a new server).
    pub fn kept_in(self, file: std::path::PathBuf) -> Emulator {
        self.lock().keep_in(file);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        crate::emulators::lock(&self.0)
    }

    /// A new outlet token: the old one is refused from now on.
    pub fn set_key(&self, key: &str) {
        self.lock().token = key.to_string();
    }

    pub fn log(&self) -> Vec<Logged> {
        self.lock().log.clone()
    }

    /// A balance by phone (`+7…` or `7…`).
    pub fn balance(&self, phone: &str) -> Option<Money> {
        let phone = phone.trim_start_matches('+');
        self.lock().customers.iter().find(|c| c.phone == phone).map(|c| c.balance)
    }

    pub fn certificate_balance(&self, code: &str) -> Option<Money> {
        self.lock().certificates.iter().find(|c| c.code == code).map(|c| c.balance)
    }

    /// Whether a check is written (and not rolled back).
    pub fn written(&self, check_id: &str) -> bool {
        self.lock().written.contains_key(check_id)
    }

    /// How many checks are written now.
    pub fn written_count(&self) -> usize {
        self.lock().written.len()
    }

    /// How many requests reached `path` (e.g. [`paths::ROLLBACK`]).
    pub fn calls(&self, path: &str) -> usize {
        let full = format!("{}{path}", paths::BASE);
        self.lock().log.iter().filter(|l| l.path == full).count()
    }

    /// Imported goods.
    pub fn goods(&self) -> usize {
        self.lock().goods.len()
    }

    /// SMS sent to a phone: what each was for.
    pub fn sms(&self, phone: &str) -> Vec<&'static str> {
        let phone = phone.trim_start_matches('+');
        self.lock().sms.iter().filter(|(p, _)| p == phone).map(|(_, what)| *what).collect()
    }

    /// The books (see `core::ledger`), in the order checks were written:
    /// every written check not rolled back is a Sale (money: what the
    /// customer paid after discounts and the write-off, certificates being
    /// money; bonus: the write-off), followed by each of its returns (the
    /// returned quantities' share of that money and of the write-off,
    /// computed as `check/return` computes the bonuses it gives back).
    pub fn ledger(&self) -> Ledger {
        let inner = self.lock();
        let mut checks: Vec<&Written> = inner.written.values().collect();
        checks.sort_by_key(|w| w.order);
        let mut counted = Vec::new();
        for check in checks {
            let client = inner.client_ids(check.calc.customer);
            counted.push(Counted {
                client: client.clone(),
                kind: Kind::Sale,
                paid: check.calc.money(),
                bonus: check.calc.bonus_pay(),
            });
            counted.extend(check.returns.iter().map(|refund| Counted {
                client: client.clone(),
                kind: Kind::Return,
                paid: refund.money,
                bonus: refund.bonus,
            }));
        }
        // Bonuses are written off only by check/write, which makes the check
        // final at once: a calculation holds nothing, so no debit is ever open.
        Ledger {
            counted,
            open_debits: Vec::new(),
        }
    }
}

impl crate::emulators::Books for Emulator {
    fn set_key(&self, key: &str) {
        Emulator::set_key(self, key)
    }

    fn balance(&self, card_or_phone: &str) -> Option<Money> {
        Emulator::balance(self, card_or_phone)
    }

    fn ledger(&self) -> Ledger {
        Emulator::ledger(self)
    }
}

impl crate::emulators::Serving for Emulator {
    fn router(&self) -> Router {
        Router::new()
            .route("/api/cashbox/{*method}", post(method))
            .route("/control", post(crate::emulators::control::<Emulator>))
            .route("/log", get(log))
            .with_state(self.clone())
    }
}

async fn log(State(emulator): State<Emulator>) -> Json<Vec<Logged>> {
    Json(emulator.log())
}

fn answer(result: Answer) -> crate::emulators::JsonAnswer {
    match result {
        Ok(value) => (StatusCode::OK, value.to_string()),
        // «ошибка с номером и сообщением для кассира»: `{"code": N, "message": "…"}`.
        Err((status, code, message)) => (status, json!({ "code": code, "message": message }).to_string()),
    }
}

async fn method(State(emulator): State<Emulator>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().trim_start_matches(paths::BASE).to_string();
    let fate = {
        let mut inner = emulator.lock();
        let token = headers.get(wire::TOKEN_HEADER).and_then(|v| v.to_str().ok());
        let authorised = token == Some(inner.token.as_str());
        inner.misbehaviour.say(uri.path(), &body);
        // Form bodies are logged as JSON, so that the same redaction applies.
        let shown = match form(&body) {
            Ok(fields) if !body.is_empty() => serde_json::to_vec(&fields).unwrap_or_default(),
            _ => body.to_vec(),
        };
        inner.log.push(Logged {
            path: uri.path().to_string(),
            authorised,
            body: crate::loyalty::redact(&shown),
        });
        if !authorised {
            return crate::emulators::json_response(answer(Err(refuse(StatusCode::UNAUTHORIZED, 401, "Unauthorized"))));
        }
        inner.misbehaviour.take()
    };
    let injected = || answer(Err(refuse(StatusCode::BAD_REQUEST, 500, "Ошибка MaxBonus (эмулятор)")));
    crate::emulators::answer_as_fated(fate, injected, || {
        let mut inner = emulator.lock();
        let result = inner.serve(&path, &body);
        // On disk before the answer leaves: a till killed after it finds the books as it left them.
        inner.keep();
        answer(result)
    })
    .await
}

impl Inner {
    /// The method at `path` (below [`paths::BASE`]).
    fn serve(&mut self, path: &str, body: &[u8]) -> Answer {
        match path {
            paths::AUTH => self.auth(body),
            paths::AUTH_QR => self.auth_qr(body),
            paths::REGISTER => self.register(body),
            paths::REGISTER_REPEAT => self.register_repeat(body),
            paths::REGISTER_CONFIRM => self.register_confirm(body),
            paths::CHAT_BOT => self.chat_bot(body),
            paths::ASK_PIN => self.ask_pin(body),
            paths::CHECK_PIN => self.check_pin(body),
            paths::CALC => self.calc(body),
            paths::WRITE => self.write(body),
            paths::RETURN => self.return_check(body),
            paths::ROLLBACK => self.rollback(body),
            paths::CERT_INFO => self.cert_info(body),
            paths::IMPORT => self.import(body),
            _ => Err(refuse(StatusCode::NOT_FOUND, 404, format!("нет метода {path}"))),
        }
    }

    /// Every identifier of a customer: its cards and its phone as `+7…`;
    /// none for the anonymous one.
    fn client_ids(&self, customer: Option<usize>) -> Vec<String> {
        let Some(c) = customer.and_then(|index| self.customers.get(index)) else {
            return Vec::new();
        };
        c.cards.iter().cloned().chain([format!("+{}", c.phone)]).collect()
    }

    fn customer_json(&mut self, index: usize) -> Value {
        self.issued += 1;
        let token = format!("ct-{}-{}", self.issued, uuid::Uuid::new_v4().simple());
        self.tokens.insert(token.clone(), index);
        let c = &self.customers[index];
        json!({
            "first_name": c.first_name,
            "middle_name": c.middle_name,
            "last_name": c.last_name,
            "total_bonus": Amount(c.balance),
            "token": token,
            "phone": c.phone,
            "exists_chatbot": c.chatbot,
            "n_checkpin": i64::from(c.checkpin),
            "register_request": "",
        })
    }

    /// «422 Покупатель не найден»: the spec gives this 422 to the
    /// authorisation alone.
    fn not_found() -> Refusal {
        refuse(StatusCode::UNPROCESSABLE_ENTITY, wire::CUSTOMER_NOT_FOUND, "Покупатель не найден")
    }

    fn by_phone(&self, phone: &str) -> Option<usize> {
        self.customers.iter().position(|c| c.phone == phone)
    }

    fn auth(&mut self, body: &[u8]) -> Answer {
        let form = form(body)?;
        let phone = field(&form, "phone")?;
        valid_phone(phone)?;
        let index = self.by_phone(phone).ok_or_else(Self::not_found)?;
        Ok(self.customer_json(index))
    }

    fn auth_qr(&mut self, body: &[u8]) -> Answer {
        let form = form(body)?;
        let qr = field(&form, "qr")?.to_string();
        let by_card = self.customers.iter().position(|c| c.cards.contains(&qr));
        let by_code = self.customers.iter().position(|c| c.short_codes.contains(&qr));
        let index = by_card.or(by_code).ok_or_else(Self::not_found)?;
        // A short code works once.
        self.customers[index].short_codes.retain(|c| *c != qr);
        Ok(self.customer_json(index))
    }

    fn register(&mut self, body: &[u8]) -> Answer {
        let form = form(body)?;
        let phone = field(&form, "phone")?.to_string();
        valid_phone(&phone)?;
        if self.by_phone(&phone).is_some() {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                421,
                "Покупатель с таким телефоном уже зарегистрирован",
            ));
        }
        if !self.pending.contains(&phone) {
            self.pending.push(phone.clone());
        }
        self.sms.push((phone, "registration"));
        Ok(json!({ "success": true }))
    }

    fn register_repeat(&mut self, body: &[u8]) -> Answer {
        let form = form(body)?;
        let phone = field(&form, "phone")?.to_string();
        if !self.pending.contains(&phone) {
            return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, 424, "Регистрация не начата"));
        }
        self.sms.push((phone, "registration"));
        Ok(json!({ "success": true }))
    }

    fn register_confirm(&mut self, body: &[u8]) -> Answer {
        let request = read_registration(body)?;
        if !self.pending.contains(&request.phone) {
            return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, 424, "Регистрация не начата"));
        }
        // «Подтверждение регистрации с указанием смс кода»: a wrong code is a
        // 422 of its own, not «Покупатель не найден» (the module doc's reading).
        if request.pin != SMS_CODE {
            return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, 422, "Неверный код подтверждения"));
        }
        if request.first_name.trim().is_empty() {
            return Err(bad("first_name: имя обязательно"));
        }
        if let Some(date) = &request.birth_date
            && chrono::NaiveDate::parse_from_str(date, BIRTH_DATE).is_err()
        {
            return Err(bad(format!("birth_date «{date}»: нужно ГГГГ-ММ-ДД")));
        }
        if let Some(sex) = &request.sex
            && sex != "m"
            && sex != "f"
        {
            return Err(bad(format!("sex «{sex}»: m или f")));
        }
        self.pending.retain(|p| *p != request.phone);
        self.customers.push(Customer {
            phone: request.phone,
            last_name: request.last_name,
            first_name: request.first_name,
            middle_name: request.middle_name,
            balance: WELCOME,
            checkpin: false,
            chatbot: false,
            cards: Vec::new(),
            short_codes: Vec::new(),
            birth_date: request.birth_date,
            sex: request.sex,
        });
        Ok(self.customer_json(self.customers.len() - 1))
    }

    fn chat_bot(&mut self, body: &[u8]) -> Answer {
        let form = form(body)?;
        let phone = field(&form, "phone")?.to_string();
        self.by_phone(&phone).ok_or_else(Self::not_found)?;
        self.sms.push((phone, "chatbot"));
        Ok(json!({ "success": true }))
    }

    /// The customer a token names; `None` for the anonymous one.
    fn token(&self, token: &str) -> Result<Option<usize>, Refusal> {
        if token == ANONYMOUS {
            return Ok(None);
        }
        self.tokens
            .get(token)
            .copied()
            .map(Some)
            .ok_or_else(|| refuse(StatusCode::UNPROCESSABLE_ENTITY, 425, "Неизвестный токен покупателя"))
    }

    fn ask_pin(&mut self, body: &[u8]) -> Answer {
        let form = form(body)?;
        let index = self
            .token(field(&form, "customer_token")?)?
            .ok_or_else(|| bad("анонимному покупателю пин не отправляется"))?;
        let phone = self.customers[index].phone.clone();
        self.sms.push((phone, "pin"));
        Ok(json!({ "success": true }))
    }

    fn check_pin(&mut self, body: &[u8]) -> Answer {
        let form = form(body)?;
        let token = field(&form, "customer_token")?.to_string();
        self.token(&token)?;
        // «askpin и checkpin если стоит запрет списания без пин кода»: a wrong
        // pin is a 422 of its own, not «Покупатель не найден».
        if field(&form, "pin")? != SMS_CODE {
            return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, 422, "Неверный ПИН"));
        }
        self.pin_checked.push(token);
        Ok(json!({ "success": true }))
    }

    fn certificate(&self, code: &str) -> Result<usize, Refusal> {
        self.certificates
            .iter()
            .position(|c| c.code == code)
            .ok_or_else(|| refuse(StatusCode::UNPROCESSABLE_ENTITY, 430, format!("Сертификат {code} не найден")))
    }

    fn cert_info(&self, body: &[u8]) -> Answer {
        let form = form(body)?;
        let c = &self.certificates[self.certificate(field(&form, "code")?)?];
        Ok(json!({
            "code": c.code,
            "status_code": c.status_code,
            "status": c.status,
            "balance": AmountText(c.balance),
        }))
    }

    /// Prices a calculation request: discounts, write-off, accrual, certificates.
    fn price(&self, request: &CalcRequest) -> Result<Calc, Refusal> {
        let customer = self.token(&request.customer_token)?;
        if request.check_id.trim().is_empty() || request.number.trim().is_empty() {
            return Err(bad("check_id и number обязательны"));
        }
        if chrono::NaiveDateTime::parse_from_str(&request.date, CHECK_DATE).is_err() {
            return Err(bad(format!("date «{}»: нужно ГГГГ-ММ-ДД ЧЧ:ММ:СС", request.date)));
        }
        if request.items.is_empty() {
            return Err(bad("items: чек пуст"));
        }
        // «Один из вариантов реализации - это передавать введенный на кассе
        // промокод/купон сразу в оба поля»: either field takes either code.
        let codes = [&request.codes.coupon, &request.codes.gift_code];
        let coupon = codes.iter().any(|c| c.as_deref() == Some(COUPON));
        let gift = codes.iter().any(|c| c.as_deref() == Some(GIFT_CODE));
        let mut items = price_items(&request.items, coupon, customer.is_some())?;
        let max_total = max_bonus(&items).min(self.balance_of(customer));
        let bonus = request.bonus;
        if bonus.is_negative() || bonus > max_total {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                426,
                format!("Списать можно не больше {max_total}"),
            ));
        }
        spread(&mut items, bonus);
        let certificates = self.certificates_paying(&request.certificates, sum(items.iter().map(Priced::money)))?;
        if customer.is_some() {
            for item in &mut items {
                item.accrual = percent_down(item.money(), ACCRUAL);
            }
        }
        Ok(Calc {
            check_id: request.check_id.clone(),
            customer,
            items,
            certificates,
            codes: request.codes.clone(),
            gift: if gift && customer.is_some() { GIFT_BONUS } else { Money::ZERO },
        })
    }

    /// A customer's balance; the anonymous one has none.
    fn balance_of(&self, customer: Option<usize>) -> Money {
        customer.map_or(Money::ZERO, |c| self.customers[c].balance)
    }

    /// The certificates a calculation pays with, each known, with its pin,
    /// usable and holding the sum; together no more than the `money` due.
    fn certificates_paying(&self, requested: &[Paying], money: Money) -> Result<Vec<Paying>, Refusal> {
        let mut certificates = Vec::new();
        for c in requested {
            let known = &self.certificates[self.certificate(&c.code)?];
            if known.pin != c.pin {
                return Err(refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    431,
                    format!("Неверный пин сертификата {}", c.code),
                ));
            }
            if known.status_code == CERT_UNUSABLE {
                return Err(refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    432,
                    format!("Сертификат {}: {}", c.code, known.status),
                ));
            }
            if c.summ.is_negative() || c.summ > known.balance {
                return Err(refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    433,
                    format!("На сертификате {} только {}", c.code, known.balance),
                ));
            }
            certificates.push(c.clone());
        }
        if sum(certificates.iter().map(|c| c.summ)) > money {
            return Err(bad("сертификатами больше, чем стоит чек"));
        }
        Ok(certificates)
    }

    fn calc(&mut self, body: &[u8]) -> Answer {
        let request = read_calc(body)?;
        let calc = self.price(&request)?;
        self.issued += 1;
        let calc_id = format!("calc-{}", self.issued);
        let balance = self.balance_of(calc.customer);
        let name = calc
            .customer
            .map(|c| format!("{} {}", self.customers[c].first_name, self.customers[c].last_name));
        let max = max_bonus(&calc.items).min(balance);
        let message = match (
            &request.codes.coupon,
            calc.items.iter().any(|i| !i.discount.is_zero()),
            calc.gift.is_zero(),
        ) {
            (_, true, _) => Some(format!("Купон {COUPON}: скидка 10 %")),
            (_, _, false) => Some(format!("Подарочный код {GIFT_CODE}: +{GIFT_BONUS} бонусов")),
            (Some(code), false, true) => Some(format!("Код {code} не действует")),
            _ => None,
        };
        let answer = json!({
            "calc_id": calc_id,
            "name": name,
            "total_bonus": Amount(balance),
            "max_bonus": Amount(max),
            "bonus_add": Amount(calc.accrual()),
            "items": calc.items.iter().map(|i| json!({
                "position": i.position,
                "max_bonus_can_pay": Amount(i.max),
                "discount": Amount(i.discount),
                "bonus_pay": Amount(i.bonus_pay),
            })).collect::<Vec<_>>(),
            "certificate": calc.certificates.iter().map(|c| json!({"code": c.code, "summ": AmountText(c.summ)})).collect::<Vec<_>>(),
            "message": message,
        });
        self.calcs.insert(calc_id, calc);
        Ok(answer)
    }

    fn write(&mut self, body: &[u8]) -> Answer {
        let request = read_write(body)?;
        let customer = self.token(&request.customer_token)?;
        let calc = self
            .calcs
            .get(&request.calc_id)
            .cloned()
            .ok_or_else(|| refuse(StatusCode::UNPROCESSABLE_ENTITY, 427, "Расчёт не найден"))?;
        if calc.check_id != request.check_id || calc.customer != customer {
            return Err(bad("calc_id относится к другому чеку или покупателю"));
        }
        same_certificates(&request.calc_id, &calc.certificates, &request.certificates)?;
        same_codes(&request.calc_id, &calc.codes, &request.codes)?;
        if self.written.contains_key(&request.check_id) {
            return Err(refuse(StatusCode::CONFLICT, wire::ALREADY_PROCESSED, "Такой чек уже проведен"));
        }
        let spend = calc.bonus_pay();
        if let Some(index) = customer {
            if !spend.is_zero() && self.customers[index].checkpin && !self.pin_checked.contains(&request.customer_token) {
                return Err(refuse(StatusCode::FORBIDDEN, wire::WRONG_PIN, "Списание только с пин-кодом"));
            }
            if spend > self.customers[index].balance {
                return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, 426, "Недостаточно бонусов"));
            }
        }
        for c in &calc.certificates {
            let index = self.certificate(&c.code)?;
            if c.summ > self.certificates[index].balance {
                return Err(refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    433,
                    format!("На сертификате {} недостаточно средств", c.code),
                ));
            }
        }
        for c in &calc.certificates {
            let index = self.certificate(&c.code)?;
            self.certificates[index].balance.0 -= c.summ.0;
        }
        let accrual = calc.accrual();
        let total = customer.map(|index| {
            let c = &mut self.customers[index];
            c.balance = Money(c.balance.0 - spend.0 + accrual.0);
            c.balance
        });
        self.calcs.remove(&request.calc_id);
        let positions = calc.items.len();
        self.issued += 1;
        self.written.insert(
            request.check_id,
            Written {
                order: self.issued,
                calc,
                returned: vec![Quantity::ZERO; positions],
                returns: Vec::new(),
            },
        );
        let mut text = vec![format!("Списано бонусов: {spend}"), format!("Начислено бонусов: {accrual}")];
        if let Some(total) = total {
            text.push(format!("Всего бонусов: {total}"));
        }
        text.push("Спасибо за покупку. Ждём вас снова!".into());
        Ok(json!({
            "text": text.join("\n"),
            "bonus_add": Amount(accrual),
            "bonus_pay": Amount(spend),
            "total_bonus": total.map(Amount),
        }))
    }

    /// Removes a written check whole: bonuses and certificates come back.
    fn rollback(&mut self, body: &[u8]) -> Answer {
        let request = json_body(body)?;
        let check_id = Fields::of(&request)?.text("check_id")?;
        let written = self
            .written
            .remove(check_id)
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, wire::NO_SUCH_CHECK, "Чек не найден"))?;
        let calc = &written.calc;
        if let Some(index) = calc.customer {
            let c = &mut self.customers[index];
            c.balance = Money(c.balance.0 + calc.bonus_pay().0 - calc.accrual().0);
        }
        for c in &calc.certificates {
            let index = self.certificate(&c.code)?;
            self.certificates[index].balance.0 += c.summ.0;
        }
        Ok(json!({ "success": true }))
    }

    fn return_check(&mut self, body: &[u8]) -> Answer {
        let request = read_return(body)?;
        let customer = self.token(&request.customer_token)?;
        let Some(written) = self.written.get_mut(&request.check_id) else {
            return Err(refuse(StatusCode::NOT_FOUND, wire::NO_SUCH_CHECK, "Чек продажи не найден"));
        };
        if written.calc.customer != customer {
            return Err(bad("чек продажи другого покупателя"));
        }
        if request.return_id.trim().is_empty() {
            return Err(bad("return_id обязателен"));
        }
        if written.returns.iter().any(|r| r.return_id == request.return_id) {
            return Err(refuse(StatusCode::CONFLICT, wire::ALREADY_PROCESSED, "Такой возврат уже проведен"));
        }
        let now = returned_now(written, &request.items)?;
        let (mut back, mut taken, mut money) = (0, 0, 0);
        for ((item, before), q) in written.calc.items.iter().zip(&written.returned).zip(&now) {
            let (before, after) = (before.0, before.0 + q.0);
            let part = |whole: Money, q: i64| share_down(whole, q, item.quantity.0).0;
            back += part(item.bonus_pay, after) - part(item.bonus_pay, before);
            taken += part(item.accrual, after) - part(item.accrual, before);
            money += part(item.money(), after) - part(item.money(), before);
        }
        for (returned, q) in written.returned.iter_mut().zip(&now) {
            returned.0 += q.0;
        }
        written.returns.push(Refund {
            return_id: request.return_id,
            money: Money(money),
            bonus: Money(back),
        });
        let total = customer.map(|index| {
            let c = &mut self.customers[index];
            c.balance = Money(c.balance.0 + back - taken);
            c.balance
        });
        Ok(json!({
            "text": format!("Возвращено бонусов: {}\nСписано начисленных: {}", Money(back), Money(taken)),
            "bonus_add": Amount(Money::ZERO),
            "bonus_pay": Amount(Money::ZERO),
            "total_bonus": total.map(Amount),
        }))
    }

    fn import(&mut self, body: &[u8]) -> Answer {
        let request = json_body(body)?;
        let goods = Fields::of(&request)?.each("goods", read_good)?;
        for (i, good) in goods.iter().enumerate() {
            if good.code.trim().is_empty() || good.name.trim().is_empty() {
                return Err(bad(format!("goods[{i}]: code и name обязательны")));
            }
            if good.price.is_negative() || !["pcs", "kg"].contains(&good.unit.as_str()) {
                return Err(bad(format!("goods[{i}]: price ≥ 0, unit pcs или kg")));
            }
        }
        let count = goods.len();
        for good in goods {
            self.goods.insert(good.code.clone(), good);
        }
        Ok(json!({ "imported": count }))
    }
}

/// Scenario 3.4a: «Касса отправляет запрос "Провести чек" с заполненной
/// схемой "WriteCheckRequest", где также необходимо заполнить массив
/// certificate». The write carries the certificates its calculation carried
/// (3.3a: «"code" - номер сертификата, "pin" - пин-код сертификата, "summ" -
/// сумма к списанию»), each with the same code, pin and sum, in any order,
/// and no other. A pin is never repeated in the refusal.
fn same_certificates(calc_id: &str, calculated: &[Paying], written: &[Paying]) -> Result<(), Refusal> {
    let sorted = |list: &[Paying]| {
        let mut list = list.to_vec();
        list.sort();
        list
    };
    if sorted(calculated) == sorted(written) {
        return Ok(());
    }
    let listed = |list: &[Paying]| {
        list.iter()
            .map(|c| format!("{} на {}", c.code, c.summ))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if written.is_empty() {
        return Err(bad(format!(
            "certificate []: расчёт {calc_id} оплачен сертификатами ({}); «Провести чек» заполняет тот же массив certificate",
            listed(calculated)
        )));
    }
    for (i, c) in written.iter().enumerate() {
        match calculated.iter().find(|k| k.code == c.code) {
            None => {
                return Err(bad(format!(
                    "certificate[{i}].code «{}»: в расчёте {calc_id} такого сертификата нет",
                    c.code
                )));
            }
            Some(k) if k.summ != c.summ => {
                return Err(bad(format!(
                    "certificate[{i}].summ «{}»: в расчёте {calc_id} по сертификату {} {}",
                    c.summ, c.code, k.summ
                )));
            }
            Some(k) if k.pin != c.pin => {
                return Err(bad(format!(
                    "certificate[{i}].pin (значение скрыто): не тот, с которым сертификат {} вошёл в расчёт {calc_id}",
                    c.code
                )));
            }
            Some(_) => {}
        }
    }
    let dropped: Vec<Paying> = calculated
        .iter()
        .filter(|k| !written.iter().any(|c| c.code == k.code))
        .cloned()
        .collect();
    Err(bad(if dropped.is_empty() {
        format!(
            "certificate ({}): не тот массив, что в расчёте {calc_id} ({})",
            listed(written),
            listed(calculated)
        )
    } else {
        format!(
            "certificate ({}): нет сертификатов расчёта {calc_id}: {}",
            listed(written),
            listed(&dropped)
        )
    }))
}

/// Scenario 5.4a: «Касса отправляет запрос "Провести чек" с заполненной
/// схемой "WriteCheckRequest", где также передается "coupon" или
/// "gift_code"». Field by field, the write carries the code its calculation
/// carried, the same text, and none it did not; a code in both fields
/// («передавать введенный на кассе промокод/купон сразу в оба поля»,
/// the iiko plugin) comes back in both.
fn same_codes(calc_id: &str, calculated: &Codes, written: &Codes) -> Result<(), Refusal> {
    let fields = [
        ("coupon", &calculated.coupon, &written.coupon),
        ("gift_code", &calculated.gift_code, &written.gift_code),
    ];
    for (field, calculated, written) in fields {
        match (calculated, written) {
            (Some(c), None) => {
                return Err(bad(format!(
                    "{field}: нет; расчёт {calc_id} сделан с {field} «{c}», «Провести чек» передаёт его же"
                )));
            }
            (None, Some(w)) => {
                return Err(bad(format!("{field} «{w}»: в расчёте {calc_id} его не было")));
            }
            (Some(c), Some(w)) if c != w => {
                return Err(bad(format!("{field} «{w}»: в расчёте {calc_id} был «{c}»")));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The positions of a calculation, checked, with the coupon's discount and
/// the most bonuses may pay of each (half of what is left; nothing for the
/// anonymous customer).
fn price_items(items: &[Line], coupon: bool, identified: bool) -> Result<Vec<Priced>, Refusal> {
    let mut priced = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let gross = item.price.times(item.quantity).unwrap_or(Money::ZERO);
        if item.position as usize != i + 1 || item.code.trim().is_empty() || !item.quantity.is_positive() {
            return Err(bad(format!("items[{i}]: position по порядку с 1, code, quantity > 0")));
        }
        if item.summ.is_negative() || item.summ > gross {
            return Err(bad(format!("items[{i}]: summ {} больше цены × количество {gross}", item.summ)));
        }
        let discount = if coupon {
            percent_down(item.summ, COUPON_PERCENT)
        } else {
            Money::ZERO
        };
        let max = if identified {
            percent_down(Money(item.summ.0 - discount.0), MAX_SPEND)
        } else {
            Money::ZERO
        };
        priced.push(Priced {
            position: item.position,
            quantity: item.quantity,
            summ: item.summ,
            discount,
            bonus_pay: Money::ZERO,
            max,
            accrual: Money::ZERO,
        });
    }
    Ok(priced)
}

/// The most bonuses may pay of these positions, the balance aside.
fn max_bonus(items: &[Priced]) -> Money {
    sum(items.iter().map(|i| i.max))
}

/// What a return takes back now, per position of the written check: the
/// `items` named, never more than is left; none named: all that is left.
fn returned_now(written: &Written, items: &[Line]) -> Result<Vec<Quantity>, Refusal> {
    let sold = &written.calc.items;
    if items.is_empty() {
        return Ok(sold
            .iter()
            .zip(&written.returned)
            .map(|(item, back)| Quantity(item.quantity.0 - back.0))
            .collect());
    }
    let mut now = vec![Quantity::ZERO; sold.len()];
    for item in items {
        let i = (item.position as usize).checked_sub(1).filter(|i| *i < now.len());
        let i = i.ok_or_else(|| bad(format!("position {}: в чеке продажи нет", item.position)))?;
        now[i].0 += item.quantity.0;
        if written.returned[i].0 + now[i].0 > sold[i].quantity.0 {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                428,
                format!("position {}: возвращается больше, чем продано", item.position),
            ));
        }
    }
    Ok(now)
}

/// Spreads a write-off over positions within each one's maximum, in order.
fn spread(items: &mut [Priced], bonus: Money) {
    let mut left = bonus.0;
    for item in items.iter_mut() {
        let take = left.min(item.max.0);
        item.bonus_pay = Money(take);
        left -= take;
    }
}

impl crate::emulators::KeptBooks for Inner {
    type Books = Books;

    fn books(&self) -> Books {
        Books {
            customers: self.customers.clone(),
            certificates: self.certificates.clone(),
            tokens: self.tokens.clone(),
            pin_checked: self.pin_checked.clone(),
            pending: self.pending.clone(),
            calcs: self.calcs.clone(),
            written: self.written.clone(),
            goods: self.goods.clone(),
            issued: self.issued,
        }
    }

    fn restore(&mut self, books: Books) {
        self.customers = books.customers;
        self.certificates = books.certificates;
        self.tokens = books.tokens;
        self.pin_checked = books.pin_checked;
        self.pending = books.pending;
        self.calcs = books.calcs;
        self.written = books.written;
        self.goods = books.goods;
        self.issued = books.issued;
    }

    fn kept(&mut self) -> &mut Option<crate::emulators::Kept> {
        &mut self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_and_json_is_not_a_form() {
        let fields = form(b"phone=79161234567&qr=a+b%26c").expect("form");
        assert_eq!(fields["phone"], "79161234567");
        assert_eq!(fields["qr"], "a b&c");
        assert!(form(br#"{"phone": "7"}"#).is_err());
    }

    #[test]
    fn a_write_off_stays_within_each_position() {
        let item = |max: i64| Priced {
            position: 1,
            quantity: Quantity::ONE,
            summ: Money(max * 2),
            discount: Money::ZERO,
            bonus_pay: Money::ZERO,
            max: Money(max),
            accrual: Money::ZERO,
        };
        let mut items = vec![item(100), item(50)];
        spread(&mut items, Money(120));
        assert_eq!(items[0].bonus_pay, Money(100));
        assert_eq!(items[1].bonus_pay, Money(20));
        assert_eq!(percent_down(Money(59_99), ACCRUAL), Money(2_99));
        assert_eq!(share_down(Money(100), 1, 3), Money(33));
    }

    use crate::emulators::testing::{cut_short_body, post, send_json, serve_locally, unanswered};
    use crate::emulators::{Failure, Misbehaving, money_number};

    const SHOP: &str = "shop-token";

    async fn start() -> (Emulator, String) {
        let emulator = Emulator::new(SHOP, demo());
        let addr = serve_locally(&emulator).await;
        (emulator, format!("http://{addr}{}", wire::BASE))
    }

    async fn send(base: &str, path: &str, body: Value) -> reqwest::Result<reqwest::Response> {
        send_json(&format!("{base}{path}"), (wire::TOKEN_HEADER, SHOP), &body).await
    }

    async fn call(base: &str, path: &str, body: Value) -> Value {
        let answer = send(base, path, body).await.expect("sent");
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        answer.json().await.expect("JSON")
    }

    async fn anna(base: &str) -> String {
        let answer = post(&format!("{base}{}", wire::AUTH))
            .header(wire::TOKEN_HEADER, SHOP)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("phone=79161234567")
            .send()
            .await
            .expect("sent");
        let answer: Value = answer.json().await.expect("JSON");
        answer["token"].as_str().expect("token").to_string()
    }

    /// A check item; `price` in kopecks, sent as an exact JSON number.
    fn item(position: u32, code: &str, price: i64, quantity: u32) -> Value {
        json!({"position": position, "code": code, "name": code, "price": money_number(Money(price)), "quantity": quantity,
            "summ": money_number(Money(price * i64::from(quantity)))})
    }

    /// Meat 699.90 and two sour creams of 299.99; 100.00 of bonuses and
    /// 200.00 of certificate pay part of it.
    /// The write carries the calculation's certificate (scenario 3.4a).
    async fn write_sale(base: &str, token: &str, check_id: &str) -> Value {
        let certificate = json!([{"code": "CERT-500", "pin": "3333", "summ": "200"}]);
        let calc = call(
            base,
            wire::CALC,
            json!({"customer_token": token, "check_id": check_id, "number": "1/1", "date": "2026-11-23 09:00:00",
                "items": [item(1, "1102", 699_90, 1), item(2, "1011", 299_99, 2)], "bonus": 100,
                "certificate": certificate}),
        )
        .await;
        json!({"customer_token": token, "calc_id": calc["calc_id"], "check_id": check_id, "certificate": certificate})
    }

    /// A refusal: its status and its body, `{"code": N, "message": …}`.
    async fn refused(base: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let answer = send(base, path, body).await.expect("sent");
        let status = answer.status();
        assert_ne!(status, StatusCode::OK, "{path} accepted");
        (status, answer.json().await.expect("JSON"))
    }

    async fn send_form(base: &str, path: &str, body: &str) -> reqwest::Response {
        post(&format!("{base}{path}"))
            .header(wire::TOKEN_HEADER, SHOP)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .await
            .expect("sent")
    }

    /// A calculation of one meat position with `extra` fields; its calc_id.
    async fn calc_with(base: &str, token: &str, check_id: &str, extra: Value) -> Value {
        let mut request = json!({"customer_token": token, "check_id": check_id, "number": "1/2",
            "date": "2026-11-23 09:10:00", "items": [item(1, "1102", 699_90, 1)], "bonus": 0});
        if let (Some(request), Value::Object(extra)) = (request.as_object_mut(), extra) {
            request.extend(extra);
        }
        call(base, wire::CALC, request).await["calc_id"].clone()
    }

    fn message(body: &Value) -> &str {
        body["message"].as_str().unwrap_or_default()
    }

    #[tokio::test]
    async fn books_kept_in_a_file_outlive_the_server() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("books.json");
        let first = Emulator::new(SHOP, demo()).kept_in(file.clone());
        let addr = serve_locally(&first).await;
        let base = format!("http://{addr}{}", wire::BASE);
        let token = anna(&base).await;
        let write = write_sale(&base, &token, "check-1").await;
        call(&base, wire::WRITE, write).await;
        // Calculated before the restart, written after it.
        let pending = write_sale(&base, &token, "check-2").await;
        let balance = first.balance("79161234567").expect("Anna");
        assert_ne!(balance, Money(1500_00));
        let ledger = first.ledger();
        assert_eq!(ledger.counted.len(), 1);
        let second = Emulator::new(SHOP, demo()).kept_in(file);
        assert_eq!(second.balance("79161234567"), Some(balance));
        assert_eq!(second.certificate_balance("CERT-500"), first.certificate_balance("CERT-500"));
        assert_eq!(second.ledger(), ledger);
        assert!(second.written("check-1"));
        let addr = serve_locally(&second).await;
        let base = format!("http://{addr}{}", wire::BASE);
        call(&base, wire::WRITE, pending).await;
        assert_eq!(second.ledger().counted.len(), 2);
        assert!(second.balance("79161234567") < Some(balance));
    }

    #[test]
    fn amounts_are_read_by_their_text() {
        assert_eq!(amount("500"), Some(Money(500_00)));
        assert_eq!(amount("0.5"), Some(Money(50)));
        assert_eq!(amount("149.50"), Some(Money(149_50)));
        for wrong in ["", "-1", "1e2", "1,5", " 1", "1.005", "."] {
            assert_eq!(amount(wrong), None, "{wrong}");
        }
        assert_eq!(quantity("0.455"), Some(Quantity(455)));
        assert_eq!(quantity("0"), None);
        assert_eq!(quantity("1.0005"), None);
    }

    #[tokio::test]
    async fn a_request_is_read_field_by_field() {
        let (_emulator, base) = start().await;
        let token = anna(&base).await;
        let calc = |price: Value| {
            json!({"customer_token": token, "check_id": "c-1", "number": "1/1", "date": "2026-11-23 09:00:00",
                "items": [{"position": 1, "code": "1102", "name": "Мясо", "price": price, "quantity": 1, "summ": 699.90}]})
        };
        let (status, body) = refused(&base, wire::CALC, calc(json!("699.90"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(message(&body), r#"items[0].price "699.90": сумма должна быть числом JSON"#);
        let (_, body) = refused(&base, wire::CALC, calc(exact("699.901"))).await;
        assert_eq!(message(&body), "items[0].price 699.901: сумма ≥ 0, не больше 2 знаков после точки");
        // No bonus field: the first calculation has no write-off yet.
        call(&base, wire::CALC, calc(exact("699.90"))).await;
    }

    fn exact(text: &str) -> Value {
        crate::emulators::exact_number(text)
    }

    #[tokio::test]
    async fn a_write_that_drops_or_changes_its_certificates_is_refused() {
        let (emulator, base) = start().await;
        let token = anna(&base).await;
        let write = write_sale(&base, &token, "sale-1").await;
        let mut dropped = write.clone();
        dropped.as_object_mut().map(|w| w.remove("certificate"));
        let (status, body) = refused(&base, wire::WRITE, dropped).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["code"], json!(400));
        assert!(message(&body).starts_with("certificate []: расчёт calc-"), "{body}");
        assert!(message(&body).contains("CERT-500 на 200.00"), "{body}");

        let changed = |certificate: Value| {
            let mut write = write.clone();
            write["certificate"] = certificate;
            write
        };
        let (_, body) = refused(
            &base,
            wire::WRITE,
            changed(json!([{"code": "CERT-500", "pin": "3333", "summ": "100"}])),
        )
        .await;
        assert!(message(&body).starts_with("certificate[0].summ «100.00»"), "{body}");
        let (_, body) = refused(
            &base,
            wire::WRITE,
            changed(json!([{"code": "CERT-500", "pin": "9999", "summ": "200"}])),
        )
        .await;
        assert!(message(&body).starts_with("certificate[0].pin (значение скрыто)"), "{body}");
        assert!(!message(&body).contains("9999") && !message(&body).contains("3333"), "{body}");
        let both = json!([{"code": "CERT-500", "pin": "3333", "summ": "200"}, {"code": "CERT-1000", "pin": "1111", "summ": "1"}]);
        let (_, body) = refused(&base, wire::WRITE, changed(both)).await;
        assert!(message(&body).starts_with("certificate[1].code «CERT-1000»"), "{body}");
        assert!(!emulator.written("sale-1"));
        assert_eq!(emulator.certificate_balance("CERT-500"), Some(Money(500_00)));

        // The same certificate, its sum as a number with decimals: the same array.
        call(
            &base,
            wire::WRITE,
            changed(json!([{"code": "CERT-500", "pin": "3333", "summ": exact("200.00")}])),
        )
        .await;
        assert!(emulator.written("sale-1"));
        assert_eq!(emulator.certificate_balance("CERT-500"), Some(Money(300_00)));
    }

    #[tokio::test]
    async fn a_write_that_drops_its_coupon_is_refused() {
        let (emulator, base) = start().await;
        let token = anna(&base).await;
        let calc_id = calc_with(&base, &token, "sale-1", json!({"coupon": "SALE10"})).await;
        let write = json!({"customer_token": token, "calc_id": calc_id, "check_id": "sale-1"});
        let (status, body) = refused(&base, wire::WRITE, write.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message(&body).starts_with("coupon: нет; расчёт calc-"), "{body}");
        assert!(message(&body).contains("«SALE10»"), "{body}");
        // In the other field it is not the same.
        let mut moved = write.clone();
        moved["gift_code"] = json!("SALE10");
        let (_, body) = refused(&base, wire::WRITE, moved).await;
        assert!(message(&body).starts_with("coupon: нет"), "{body}");
        let mut other = write.clone();
        other["coupon"] = json!("SALE20");
        let (_, body) = refused(&base, wire::WRITE, other).await;
        assert!(message(&body).starts_with("coupon «SALE20»: в расчёте calc-"), "{body}");
        assert!(!emulator.written("sale-1"));
        let mut carried = write;
        carried["coupon"] = json!("SALE10");
        call(&base, wire::WRITE, carried).await;
        assert!(emulator.written("sale-1"));

        // The gift code the same way; one the calculation did not carry is refused.
        let calc_id = calc_with(&base, &token, "sale-2", json!({"gift_code": "GIFT100"})).await;
        let write = json!({"customer_token": token, "calc_id": calc_id, "check_id": "sale-2"});
        let (_, body) = refused(&base, wire::WRITE, write.clone()).await;
        assert!(message(&body).starts_with("gift_code: нет"), "{body}");
        let mut added = write.clone();
        added["gift_code"] = json!("GIFT100");
        added["coupon"] = json!("SALE10");
        let (_, body) = refused(&base, wire::WRITE, added).await;
        assert!(message(&body).starts_with("coupon «SALE10»: в расчёте"), "{body}");
        let mut carried = write;
        carried["gift_code"] = json!("GIFT100");
        call(&base, wire::WRITE, carried).await;
        assert!(emulator.written("sale-2"));
    }

    #[tokio::test]
    async fn a_code_in_both_fields_is_carried_in_both() {
        let (emulator, base) = start().await;
        let token = anna(&base).await;
        let codes = json!({"coupon": "SALE10", "gift_code": "SALE10"});
        let calc_id = calc_with(&base, &token, "sale-1", codes.clone()).await;
        let write = json!({"customer_token": token, "calc_id": calc_id, "check_id": "sale-1"});
        let mut one = write.clone();
        one["coupon"] = json!("SALE10");
        let (_, body) = refused(&base, wire::WRITE, one).await;
        assert!(message(&body).starts_with("gift_code: нет"), "{body}");
        let mut both = write;
        both["coupon"] = json!("SALE10");
        both["gift_code"] = json!("SALE10");
        call(&base, wire::WRITE, both).await;
        assert!(emulator.written("sale-1"));
    }

    #[tokio::test]
    async fn a_wrong_pin_or_registration_code_is_422_with_its_own_message() {
        let (_emulator, base) = start().await;
        let ivan = send_form(&base, wire::AUTH, "phone=79211022546").await;
        let ivan: Value = ivan.json().await.expect("JSON");
        let token = ivan["token"].as_str().expect("token");
        let wrong = send_form(&base, wire::CHECK_PIN, &format!("customer_token={token}&pin=0000")).await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(wrong.text().await.expect("body"), r#"{"code":422,"message":"Неверный ПИН"}"#);
        let right = send_form(&base, wire::CHECK_PIN, &format!("customer_token={token}&pin={SMS_CODE}")).await;
        assert_eq!(right.status(), StatusCode::OK);

        assert_eq!(send_form(&base, wire::REGISTER, "phone=79031112233").await.status(), StatusCode::OK);
        let confirm = |pin: &str| json!({"phone": "79031112233", "pin": pin, "first_name": "Пётр", "last_name": "Петров"});
        let wrong = send(&base, wire::REGISTER_CONFIRM, confirm("0000")).await.expect("sent");
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            wrong.text().await.expect("body"),
            r#"{"code":422,"message":"Неверный код подтверждения"}"#
        );
        call(&base, wire::REGISTER_CONFIRM, confirm(SMS_CODE)).await;

        let unknown = send_form(&base, wire::AUTH, "phone=79990000000").await;
        assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let unknown: Value = unknown.json().await.expect("JSON");
        assert_eq!(message(&unknown), "Покупатель не найден");
    }

    #[tokio::test]
    async fn the_books_hold_each_written_check_then_its_returns() {
        let (emulator, base) = start().await;
        let token = anna(&base).await;
        let write = write_sale(&base, &token, "sale-1").await;
        call(&base, wire::WRITE, write).await;
        // One sour cream back, then the rest with no positions (a full return).
        let one = json!({"customer_token": token, "check_id": "sale-1", "return_id": "r1", "items": [item(2, "1011", 299_99, 1)]});
        call(&base, wire::RETURN, one).await;
        let rest = json!({"customer_token": token, "check_id": "sale-1", "return_id": "r2", "items": []});
        call(&base, wire::RETURN, rest).await;
        // An anonymous check written, and one rolled back: only the first is counted.
        for check_id in ["anon-1", "anon-2"] {
            let calc = json!({"customer_token": wire::ANONYMOUS_TOKEN, "check_id": check_id, "number": "1/4",
                "date": "2026-11-23 09:05:00", "items": [item(1, "1001", 149_50, 1)], "bonus": 0});
            let calc = call(&base, wire::CALC, calc).await;
            let write = json!({"customer_token": wire::ANONYMOUS_TOKEN, "calc_id": calc["calc_id"], "check_id": check_id});
            call(&base, wire::WRITE, write).await;
        }
        call(&base, wire::ROLLBACK, json!({"check_id": "anon-2"})).await;

        let anna = ["7000000000011", "+79161234567"];
        let ledger = emulator.ledger();
        assert_eq!(
            ledger.counted,
            vec![
                // 699.90 + 599.98 less 100.00 of bonuses (all on the meat); the certificate is money.
                Counted::new(&anna, Kind::Sale, 1199_88, 100_00),
                Counted::new(&anna, Kind::Return, 299_99, 0),
                Counted::new(&anna, Kind::Return, 899_89, 100_00),
                Counted::new(&[], Kind::Sale, 149_50, 0),
            ]
        );
        assert!(ledger.open_debits.is_empty());
    }

    #[tokio::test]
    async fn a_lost_or_malformed_answer_still_counts_the_write() {
        let (emulator, base) = start().await;
        let token = anna(&base).await;
        let write = write_sale(&base, &token, "sale-1").await;
        emulator.fail(Failure::Lost, 1, 0);
        assert!(unanswered(send(&base, wire::WRITE, write).await).await, "no answer comes");
        assert!(emulator.written("sale-1"), "processed all the same");
        assert_eq!(emulator.ledger().counted.len(), 1);

        let write = write_sale(&base, &token, "sale-2").await;
        emulator.fail(Failure::Malformed, 1, 0);
        cut_short_body(send(&base, wire::WRITE, write).await).await;
        assert!(emulator.written("sale-2"));
        assert_eq!(emulator.ledger().counted.len(), 2);
    }
}
