//! A KilBil server written from `../shared/specs/kilbil.txt` alone: a
//! referee, not a mirror of kassa's client. It checks the key `h` (HTTP 401
//! otherwise) and every field it is sent against the spec's words, keeps
//! clients, balances, SMS codes and every move, computes discounts and the
//! bonus write-off by simple rules, books bonuses only at `confirmsale`
//! (once: a repeated `confirmsale` answers success and changes nothing),
//! takes returns against the confirmed sale, keeps its books for
//! [`Emulator::ledger`], misbehaves on command, and logs what it received.
//!
//! A refusal is HTTP 200 with `result_code` ≠ 0 and a Russian `message`
//! naming the field and its value. SMS codes are not sent anywhere: the code
//! is [`sms_code`] of the phone (printed by `kassa emulate kilbil`).
//!
//! The program: an identified client gets [`Rules::discount`] off every
//! price, [`PROMO`] gives [`Rules::promo_discount`] to anyone, never below
//! the minimum price; [`Rules::accrual`] is accrued on the money paid.
//!
//! Readings where the spec is silent (each also sits next to its check):
//! - Dates («Дата чека») have no format in the spec: ISO 8601 date and time
//!   (`2025-06-16T13:31:00` or with a space, optional fractions and offset);
//!   two dates are the same when they name the same moment.
//! - `total` («Сумма за позицию») is `price × quantity` up to rounding the
//!   unit price to kopecks: |price × quantity − total| ≤ 0.005 × max(quantity, 1).
//!   The register's own manual discounts reach KilBil as a lower unit price,
//!   never as a total below price × quantity; a total below it is a sum
//!   after discounts, which the server would discount twice.
//! - One promo code in the whole request: `promo_codes` and `coupons`
//!   together. One field is enough; both filled with the same code is
//!   refused too (the code would count twice).
//! - `client_id` is sent back as the server gave it (a JSON integer) and
//!   the key is always present (`null` for no client).
//! - Registration: `askconfirmphone` (sms_type 0, client_id null or an
//!   existing client not yet confirmed) → `checkconfirmphonecode` with the
//!   right code → `addclient`. `addclient` for a phone whose registration
//!   code was not confirmed is refused; with the id of an unconfirmed client
//!   it completes that client.
//! - The answer's `discounted_price` is the price after the server's
//!   discount; the bonus write-off is not in it but in the item's
//!   `bonus_out`. Each item also carries `discounted_total`, the line sum
//!   after the discount (before the write-off).
//! - A return is booked to its sale's client and gives back, per code, the
//!   sale's money (discounted total less bonus) and the sale's bonus
//!   write-off in proportion to the cumulative quantity returned, less what
//!   earlier returns gave (each term rounded half up); the accrual is taken
//!   back in proportion to the money given back.
//! - `getdetailingbymove` echoes the sale as the register sent it (`price`,
//!   `total`, the spec's «Цена», «Сумма по позиции») and adds the server's
//!   `discounted_price`, `discounted_total` and `bonus_out` per line.
//!
//! Control (for tests): `POST /control` with `{"fail": MODE, "times": N}`;
//! `GET /log` returns the requests received.

use crate::emulators::KeptBooks;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::core::ledger::{Counted, Kind, Ledger};
use crate::core::money::{Money, Quantity};
use crate::core::receipt::distribute;
use crate::emulators::{Failure, Misbehaviour, exact_number, money_number, sum};

/// A client of the emulated program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: u64,
    pub card: Option<String>,
    /// 11 digits starting with 7.
    pub phone: Option<String>,
    pub last_name: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub birth_date: Option<String>,
    pub balance: Money,
    pub max_bill_bonus_out: Money,
    /// The phone was confirmed with an SMS code.
    pub confirmed: bool,
}

/// The emulator's rules, in hundredths of a percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Off every price for an identified client, within the minimum price.
    pub discount: i64,
    /// Off every price with the promo code `PROMO10` (anyone).
    pub promo_discount: i64,
    /// Accrued on what the client paid in money.
    pub accrual: i64,
    /// `max_bill_bonus_out` of new clients.
    pub max_bill_bonus_out: Money,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            discount: 3_00,
            promo_discount: 10_00,
            accrual: 5_00,
            max_bill_bonus_out: Money(1000_00),
        }
    }
}

/// The promo code the emulator knows; others are ignored, as unknown codes are.
pub const PROMO: &str = "PROMO10";

/// The demo's clients: one with a card and a phone, one old card without a phone.
pub fn demo_clients() -> Vec<Client> {
    vec![
        Client {
            id: 1001,
            card: Some("7770000000017".into()),
            phone: Some("79161234567".into()),
            last_name: Some("Смирнова".into()),
            first_name: Some("Анна".into()),
            middle_name: Some("Сергеевна".into()),
            birth_date: Some("1990-05-17".into()),
            balance: Money(1500_00),
            max_bill_bonus_out: Money(1000_00),
            confirmed: true,
        },
        Client {
            id: 1002,
            card: Some("7770000000024".into()),
            phone: None,
            last_name: Some("Пупкин".into()),
            first_name: Some("Иван".into()),
            middle_name: None,
            birth_date: None,
            balance: Money(832_44),
            max_bill_bonus_out: Money(500_00),
            confirmed: false,
        },
    ]
}

/// The SMS code the emulator "sends" to a phone.
pub fn sms_code(phone: &str) -> String {
    phone.chars().skip(phone.chars().count().saturating_sub(4)).collect()
}

/// One request as received (the key only as whether it matched).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logged {
    pub function: String,
    pub key_ok: bool,
    pub body: String,
}

/// The spec's function names (the URLs, not the table's spelling).
const SEARCH_CLIENT: &str = "searchclient";
const ASK_CONFIRM_PHONE: &str = "askconfirmphone";
const CHECK_CONFIRM_PHONE_CODE: &str = "checkconfirmphonecode";
const ADD_CLIENT: &str = "addclient";
const PROCESS_SALE: &str = "processsale";
const CONFIRM_SALE: &str = "confirmsale";
const GET_DETAILING_BY_MOVE: &str = "getdetailingbymove";
const FUNCTIONS: [&str; 7] = [
    SEARCH_CLIENT,
    ASK_CONFIRM_PHONE,
    CHECK_CONFIRM_PHONE_CODE,
    ADD_CLIENT,
    PROCESS_SALE,
    CONFIRM_SALE,
    GET_DETAILING_BY_MOVE,
];

/// The link probe's phone: never a client.
const PROBE_PHONE: &str = "70000000000";

/// «sms_type … 0 - … для регистрации клиента, 1 - … для списания бонусов».
const SMS_REGISTRATION: i64 = 0;
const SMS_SPEND: i64 = 1;
/// «search_mode 0 - поиск по № телефона 2 - поиск по № карты».
const BY_PHONE: i64 = 0;
const BY_CARD: i64 = 2;
/// Wrong codes allowed before a new code must be asked for.
const CODE_ATTEMPTS: u32 = 3;

/// Result codes of the emulator's refusals.
const BAD_REQUEST: i64 = 1;
const NOT_FOUND: i64 = 3;
const ALREADY_CONFIRMED: i64 = 4;
const NOT_ENOUGH: i64 = 5;
const WRONG_CODE: i64 = 6;
const CODE_EXPIRED: i64 = 7;
const PHONE_TAKEN: i64 = 8;
const INJECTED: i64 = 99;

/// A refusal: `result_code` and the message.
type Refusal = (i64, String);
type Answer = Result<Value, Refusal>;

fn refuse(code: i64, text: impl Into<String>) -> Refusal {
    (code, text.into())
}

fn bad(text: impl Into<String>) -> Refusal {
    refuse(BAD_REQUEST, text)
}

/// «Дата чека» has no format in the spec. Reading: ISO 8601 date and time
/// (`T` or a space), optional fractions of a second and an offset.
fn parse_date(text: &str) -> Option<NaiveDateTime> {
    if let Ok(dated) = DateTime::parse_from_rfc3339(text) {
        return Some(dated.naive_local());
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

/// One JSON object of a request, read field by field; every refusal names
/// the field (with where it sits: `good_data[2].price`) and its value.
struct Fields<'a> {
    object: &'a Map<String, Value>,
    at: String,
}

impl<'a> Fields<'a> {
    /// «Тело запроса должно соответствовать формату JSON»: an object.
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

    /// An enumeration: a JSON integer among `allowed`.
    fn integer(&self, field: &str, allowed: &[i64]) -> Result<i64, Refusal> {
        let value = self.required(field)?;
        value
            .as_i64()
            .filter(|n| allowed.contains(n))
            .ok_or_else(|| self.wrong(field, value, &format!("допустимо целое из {allowed:?}")))
    }

    /// README: amounts are JSON numbers; money has at most 2 decimals.
    fn money(&self, field: &str) -> Result<Money, Refusal> {
        let value = self.required(field)?;
        let Value::Number(n) = value else {
            return Err(self.wrong(field, value, "сумма должна быть числом JSON"));
        };
        // `arbitrary_precision`: the number's own text, parsed exactly.
        Money::parse(&n.to_string()).map_err(|_| self.wrong(field, value, "сумма ≥ 0, не больше 2 знаков после точки"))
    }

    fn optional_money(&self, field: &str) -> Result<Option<Money>, Refusal> {
        match self.value(field) {
            None => Ok(None),
            Some(_) => self.money(field).map(Some),
        }
    }

    /// Quantities have at most 3 decimals and are above zero.
    fn quantity(&self, field: &str) -> Result<Quantity, Refusal> {
        let value = self.required(field)?;
        let Value::Number(n) = value else {
            return Err(self.wrong(field, value, "количество должно быть числом JSON"));
        };
        Quantity::parse(&n.to_string()).map_err(|_| self.wrong(field, value, "количество > 0, не больше 3 знаков после точки"))
    }

    /// «номер телефона клиента 11 символов, первая 7».
    fn phone(&self, field: &str) -> Result<&'a str, Refusal> {
        let phone = self.string(field)?;
        if crate::emulators::is_russian_mobile(phone) {
            Ok(phone)
        } else {
            Err(bad(format!("{} «{phone}»: нужно 11 цифр, первая 7", self.name(field))))
        }
    }

    /// «client_id … null – если покупатель не идентифицирован». Reading: the
    /// key is always there, and the id comes back as the server gave it.
    fn client_id(&self, field: &str) -> Result<Option<u64>, Refusal> {
        match self.object.get(field) {
            None => Err(bad(format!(
                "{}: обязательное поле отсутствует (null, если клиента нет)",
                self.name(field)
            ))),
            Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.wrong(field, value, "id клиента — целое число, как его дал сервер, или null")),
        }
    }

    fn date(&self, field: &str) -> Result<NaiveDateTime, Refusal> {
        let text = self.string(field)?;
        parse_date(text).ok_or_else(|| bad(format!("{} «{text}»: не дата и время (ГГГГ-ММ-ДД ЧЧ:ММ:СС)", self.name(field))))
    }

    /// A list; absent or null is empty.
    fn list(&self, field: &str) -> Result<&'a [Value], Refusal> {
        match self.value(field) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(value) => Err(self.wrong(field, value, "нужен массив")),
        }
    }

    /// The object at `field[index]`.
    fn element(&self, field: &str, index: usize, value: &'a Value) -> Result<Fields<'a>, Refusal> {
        let at = format!("{}[{index}]", self.name(field));
        match value {
            Value::Object(object) => Ok(Fields { object, at }),
            other => Err(bad(format!("{at} {other}: нужен объект"))),
        }
    }
}

/// A line of `good_data` as the register sent it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Good {
    code: String,
    price: Money,
    quantity: Quantity,
    total: Money,
    min_price: Money,
}

/// The server's answer for a line: the price and the line sum after its
/// discount, and the bonus written off (sale) or given back (return).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Priced {
    discounted_price: Money,
    discounted_total: Money,
    bonus_out: Money,
}

/// What `confirmsale` booked.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Booked {
    /// Sale: money paid; return: money given back.
    paid: Money,
    /// Sale: bonus written off; return: bonus given back.
    bonus: Money,
    /// Sale: bonus accrued; return: accrual taken back.
    accrued: Money,
}

/// A move as `processsale` last computed it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Move {
    kind: Kind,
    client: Option<u64>,
    doc_open_dt: NaiveDateTime,
    goods: Vec<Good>,
    lines: Vec<Priced>,
    /// A return's sale.
    return_of: Option<String>,
    booked: Option<Booked>,
    /// A sale's quantities taken back by confirmed returns, per code, in thousandths.
    returned: HashMap<String, i64>,
}

/// A `processsale` request, read and checked field by field.
struct SaleRequest {
    move_id: String,
    doc_open_dt: NaiveDateTime,
    kind: Kind,
    client: Option<u64>,
    bonus_out: Money,
    max_bonus_out: Option<Money>,
    goods: Vec<Good>,
    promo: Option<String>,
    return_of: Option<(String, NaiveDateTime)>,
}

/// An SMS code sent and not yet used up.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SentCode {
    code: String,
    client: Option<u64>,
    registration: bool,
    attempts_left: u32,
    /// A registration code entered right: `addclient` may follow.
    confirmed: bool,
}

#[derive(Debug)]
struct Inner {
    key: String,
    rules: Rules,
    /// Never removed: an index into it stays valid.
    clients: Vec<Client>,
    /// By phone.
    codes: HashMap<String, SentCode>,
    /// Every move processsale'd, by move_id.
    moves: HashMap<String, Move>,
    /// Confirmed moves in the order they were confirmed: the books.
    book: Vec<String>,
    log: Vec<Logged>,
    misbehaviour: Misbehaviour,
    /// Where the books are kept across restarts (the demo's server).
    kept: Option<crate::emulators::Kept>,
}

/// The books a restart must not lose: clients and balances, the codes sent
/// (a code asked before the restart is entered after it), every move and
/// the order they were confirmed in.
#[derive(Serialize, Deserialize)]
struct Books {
    clients: Vec<Client>,
    codes: HashMap<String, SentCode>,
    moves: HashMap<String, Move>,
    book: Vec<String>,
}

#[derive(Clone)]
pub struct Emulator(Arc<Mutex<Inner>>);

impl crate::emulators::Misbehaving for Emulator {
    fn misbehaviour<R>(&self, f: impl FnOnce(&mut Misbehaviour) -> R) -> R {
        f(&mut self.lock().misbehaviour)
    }
}

impl Emulator {
    pub fn new(key: &str, clients: Vec<Client>, rules: Rules) -> Emulator {
        Emulator(Arc::new(Mutex::new(Inner {
            key: key.to_string(),
            rules,
            clients,
            codes: HashMap::new(),
            moves: HashMap::new(),
            book: Vec::new(),
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

    pub fn set_key(&self, key: &str) {
        self.lock().key = key.to_string();
    }

    pub fn log(&self) -> Vec<Logged> {
        self.lock().log.clone()
    }

    /// A balance by card or phone (`+7…` or `7…`).
    pub fn balance(&self, card_or_phone: &str) -> Option<Money> {
        let phone = card_or_phone.trim_start_matches('+');
        let inner = self.lock();
        inner
            .clients
            .iter()
            .find(|c| c.card.as_deref() == Some(card_or_phone) || c.phone.as_deref() == Some(phone))
            .map(|c| c.balance)
    }

    /// Whether a move was confirmed (tests of the unsent list).
    pub fn confirmed(&self, move_id: &str) -> bool {
        self.lock().moves.get(move_id).is_some_and(|m| m.booked.is_some())
    }

    /// The books: one entry per confirmed move, in the order confirmed.
    /// Nothing is spent before `confirmsale`, so no write-off is ever open.
    pub fn ledger(&self) -> Ledger {
        let inner = self.lock();
        let counted = inner
            .book
            .iter()
            .filter_map(|move_id| {
                let m = inner.moves.get(move_id)?;
                let booked = m.booked?;
                Some(Counted {
                    client: inner.identifiers(m.client),
                    kind: m.kind,
                    paid: booked.paid,
                    bonus: booked.bonus,
                })
            })
            .collect();
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
            .route("/load/{function}", post(function))
            .route("/control", post(crate::emulators::control::<Emulator>))
            .route("/log", get(log))
            .with_state(self.clone())
    }
}

/// The key `h` from the query string, percent-decoded.
fn key_of(query: Option<&str>) -> Option<String> {
    let url = reqwest::Url::parse(&format!("http://kilbil/?{}", query.unwrap_or_default())).ok()?;
    url.query_pairs().find(|(name, _)| name == "h").map(|(_, value)| value.into_owned())
}

async fn log(State(emulator): State<Emulator>) -> Json<Vec<Logged>> {
    Json(emulator.log())
}

/// Every answer, a refusal too, is HTTP 200 (README reading).
fn answer(result: Answer) -> crate::emulators::JsonAnswer {
    let body = match result {
        Ok(answer) => answer,
        Err((code, message)) => json!({"result_code": code, "message": message}),
    };
    (StatusCode::OK, body.to_string())
}

async fn function(State(emulator): State<Emulator>, Path(function): Path<String>, RawQuery(query): RawQuery, body: Bytes) -> Response {
    let fate = {
        let mut inner = emulator.lock();
        let key_ok = key_of(query.as_deref()).as_deref() == Some(inner.key.as_str());
        inner.misbehaviour.say(&function, &body);
        inner.log.push(Logged {
            function: function.clone(),
            key_ok,
            body: String::from_utf8_lossy(&body).to_string(),
        });
        if !key_ok {
            return (StatusCode::UNAUTHORIZED, "wrong key").into_response();
        }
        if !FUNCTIONS.contains(&function.as_str()) {
            return (StatusCode::NOT_FOUND, "no such function").into_response();
        }
        inner.misbehaviour.take()
    };
    let skew = fate.failure == Some(Failure::BadDistribution);
    let injected = || answer(Err(refuse(INJECTED, "Ошибка сервера лояльности (эмулятор)")));
    crate::emulators::answer_as_fated(fate, injected, || {
        let mut inner = emulator.lock();
        let result = inner.run(&function, &body, skew);
        // On disk before the answer leaves: a till killed after it finds the books as it left them.
        inner.keep();
        answer(result)
    })
    .await
}

impl Inner {
    fn run(&mut self, function: &str, body: &[u8], skew: bool) -> Answer {
        // «Тело запроса должно соответствовать формату JSON».
        let request: Value = serde_json::from_slice(body).map_err(|e| bad(format!("тело запроса не JSON: {e}")))?;
        let fields = Fields::of(&request)?;
        match function {
            SEARCH_CLIENT => self.search(&fields),
            ASK_CONFIRM_PHONE => self.ask_code(&fields),
            CHECK_CONFIRM_PHONE_CODE => self.check_code(&fields),
            ADD_CLIENT => self.add_client(&fields),
            PROCESS_SALE => self.process_sale(&fields, skew),
            CONFIRM_SALE => self.confirm_sale(&fields),
            GET_DETAILING_BY_MOVE => self.detailing(&fields),
            other => Err(bad(format!("функция {other} неизвестна"))),
        }
    }

    /// A client's card and phone as `+7…`, as the ledger names them.
    fn identifiers(&self, client: Option<u64>) -> Vec<String> {
        let Some(c) = client.and_then(|id| self.clients.iter().find(|c| c.id == id)) else {
            return Vec::new();
        };
        c.card.iter().cloned().chain(c.phone.iter().map(|p| format!("+{p}"))).collect()
    }

    fn client_index(&self, field: &str, id: u64) -> Result<usize, Refusal> {
        self.clients
            .iter()
            .position(|c| c.id == id)
            .ok_or_else(|| refuse(NOT_FOUND, format!("{field} {id}: клиент не найден")))
    }

    fn phone_owner(&self, phone: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.phone.as_deref() == Some(phone))
    }
}

/// searchclient, askconfirmphone, checkconfirmphonecode, addclient.
impl Inner {
    fn search(&self, f: &Fields) -> Answer {
        let mode = f.integer("search_mode", &[BY_PHONE, BY_CARD])?;
        let found = if mode == BY_PHONE {
            // «если по номеру телефона, это должно быть 11 символов первая 7-ка».
            let phone = f.phone("search_value")?;
            self.phone_owner(phone)
        } else {
            let card = f.text("search_value")?;
            self.clients.iter().find(|c| c.card.as_deref() == Some(card))
        };
        // «client_id … null если не найден»: not found is an answer, not a refusal.
        Ok(match found {
            None => json!({"result_code": 0, "client_id": null, "bonus_balance": null, "card_code": null, "phone": null,
                "birth_date": null, "first_name": null, "middle_name": null, "last_name": null, "max_bill_bonus_out": null}),
            Some(c) => json!({"result_code": 0, "client_id": c.id, "bonus_balance": money_number(c.balance), "card_code": c.card,
                "phone": c.phone, "birth_date": c.birth_date, "first_name": c.first_name, "middle_name": c.middle_name,
                "last_name": c.last_name, "max_bill_bonus_out": money_number(c.max_bill_bonus_out)}),
        })
    }

    fn ask_code(&mut self, f: &Fields) -> Answer {
        let client = f.client_id("client_id")?;
        let phone = f.phone("phone")?;
        let registration = f.integer("sms_type", &[SMS_REGISTRATION, SMS_SPEND])? == SMS_REGISTRATION;
        if registration {
            self.check_registration(client, phone)?;
        } else {
            // «1 - сообщение с пин-кодом, например для списания бонусов»: to a known client's own phone.
            let Some(id) = client else {
                return Err(bad("client_id null: код для списания отправляется только известному клиенту"));
            };
            let index = self.client_index("client_id", id)?;
            if self.clients[index].phone.as_deref() != Some(phone) {
                return Err(bad(format!("phone «{phone}»: не телефон клиента {id}")));
            }
        }
        let code = sms_code(phone);
        if self.misbehaviour.echo {
            // The emulator's "SMS": the person at `kassa emulate` reads the code here.
            let _ = writeln!(std::io::stdout(), "SMS на {phone}: код {code}");
        }
        let sent = SentCode {
            code,
            client,
            registration,
            attempts_left: CODE_ATTEMPTS,
            confirmed: false,
        };
        self.codes.insert(phone.to_string(), sent);
        Ok(json!({"success": 1, "result_code": 0}))
    }

    /// «0 - сообщение с пин-кодом подтверждения для регистрации клиента»:
    /// a new client (client_id null) or one not yet confirmed (an old card
    /// without a phone), on a phone nobody else has.
    fn check_registration(&self, client: Option<u64>, phone: &str) -> Result<(), Refusal> {
        if phone == PROBE_PHONE {
            return Err(bad(format!("phone «{phone}»: служебный номер проверки связи")));
        }
        if let Some(id) = client {
            let index = self.client_index("client_id", id)?;
            if self.clients[index].confirmed {
                return Err(refuse(
                    ALREADY_CONFIRMED,
                    format!("client_id {id}: клиент уже зарегистрирован и подтверждён"),
                ));
            }
        }
        // «проверять уникальность … номера телефона».
        if self.phone_owner(phone).is_some_and(|owner| Some(owner.id) != client) {
            return Err(refuse(PHONE_TAKEN, format!("phone «{phone}»: клиент с таким телефоном уже есть")));
        }
        Ok(())
    }

    fn check_code(&mut self, f: &Fields) -> Answer {
        let client = f.client_id("client_id")?;
        let phone = f.phone("phone")?;
        // Reading: the code is text (a number would lose its leading zeros).
        let code = f.text("code")?;
        let Some(sent) = self.codes.get_mut(phone) else {
            return Err(refuse(
                CODE_EXPIRED,
                format!("phone «{phone}»: код не запрашивался или устарел, запросите новый"),
            ));
        };
        if sent.client != client {
            return Err(bad(format!("client_id {}: код отправлялся другому клиенту", json!(client))));
        }
        if sent.code != code {
            sent.attempts_left -= 1;
            if sent.attempts_left == 0 {
                self.codes.remove(phone);
                return Err(refuse(CODE_EXPIRED, "Неверный код; попытки исчерпаны, запросите новый"));
            }
            return Err(refuse(WRONG_CODE, format!("code «{code}»: неверный код подтверждения")));
        }
        if sent.registration {
            // Kept for the addclient that follows.
            sent.confirmed = true;
        } else {
            self.codes.remove(phone);
        }
        Ok(json!({"success": 1, "result_code": 0}))
    }

    /// «Добавление (обновление) клиента … клиент не будет активирован без
    /// номера телефона»: the phone must have been confirmed by its
    /// registration code first.
    fn add_client(&mut self, f: &Fields) -> Answer {
        let client = f.client_id("client_id")?;
        let phone = f.phone("phone")?;
        if let Some(id) = client {
            let index = self.client_index("client_id", id)?;
            let c = &self.clients[index];
            if c.confirmed && c.phone.as_deref() == Some(phone) {
                // An update that keeps the confirmed phone needs no new code.
                return Ok(json!({"success": 1, "result_code": 0, "client_id": id}));
            }
        }
        self.check_registration(client, phone)?;
        let confirmed = self
            .codes
            .get(phone)
            .is_some_and(|s| s.registration && s.confirmed && s.client == client);
        if !confirmed {
            return Err(bad(format!(
                "phone «{phone}»: телефон не подтверждён — сначала askconfirmphone (sms_type 0) и checkconfirmphonecode; \
                 клиент не будет активирован без номера телефона"
            )));
        }
        self.codes.remove(phone);
        let id = match client {
            Some(id) => {
                let index = self.client_index("client_id", id)?;
                self.clients[index].phone = Some(phone.to_string());
                self.clients[index].confirmed = true;
                id
            }
            None => self.new_client(phone),
        };
        Ok(json!({"success": 1, "result_code": 0, "client_id": id}))
    }

    fn new_client(&mut self, phone: &str) -> u64 {
        let id = self.clients.iter().map(|c| c.id).max().unwrap_or(1000) + 1;
        self.clients.push(Client {
            id,
            card: None,
            phone: Some(phone.to_string()),
            last_name: None,
            first_name: None,
            middle_name: None,
            birth_date: None,
            balance: Money::ZERO,
            max_bill_bonus_out: self.rules.max_bill_bonus_out,
            confirmed: true,
        });
        id
    }
}

/// `move_id`: «Заполняем из следующих параметров: <Код структурного
/// подразделения> - <код кассы> - <номер смены> - <дата чека> - <номер чека>»
/// (the date as 8 digits: a dash inside it would break the fields).
fn read_move_id(f: &Fields) -> Result<String, Refusal> {
    let move_id = f.text("move_id")?;
    let parts: Vec<&str> = move_id.split('-').collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ok = parts.len() == 5
        && !parts[0].is_empty()
        && !parts[1].is_empty()
        && digits(parts[2])
        && parts[3].len() == 8
        && digits(parts[3])
        && digits(parts[4]);
    if !ok {
        return Err(bad(format!(
            "move_id «{move_id}»: нужно <подразделение>-<касса>-<смена>-<ГГГГММДД>-<номер чека>"
        )));
    }
    Ok(move_id.to_string())
}

fn read_good(f: &Fields) -> Result<Good, Refusal> {
    let code = f.text("code")?.to_string();
    f.string("vendor_code")?;
    f.text("name")?;
    let price = f.money("price")?;
    let quantity = f.quantity("quantity")?;
    let total = f.money("total")?;
    let min_price = f.money("minPrice")?;
    // «discounted_price Цена за позицию, равна price», «discounted_total Сумма
    // за позицию, равна total»: «применяются только скидки через систему лояльности».
    let discounted_price = f.money("discounted_price")?;
    if discounted_price != price {
        return Err(bad(format!(
            "{} {discounted_price}: должна быть равна price {price}",
            f.name("discounted_price")
        )));
    }
    let discounted_total = f.money("discounted_total")?;
    if discounted_total != total {
        return Err(bad(format!(
            "{} {discounted_total}: должна быть равна total {total}",
            f.name("discounted_total")
        )));
    }
    // «Минимальная цена»: a floor under the price, not above it.
    if min_price > price {
        return Err(bad(format!("{} {min_price}: выше price {price}", f.name("minPrice"))));
    }
    check_total(f, price, quantity, total)?;
    Ok(Good {
        code,
        price,
        quantity,
        total,
        min_price,
    })
}

/// «total Сумма за позицию» with «только скидки через систему лояльности»:
/// total is price × quantity. Reading: up to rounding the unit price to
/// kopecks, |price × quantity − total| ≤ 0.005 × max(quantity, 1); the
/// register's own manual discounts come as a lower price, never as a total
/// below price × quantity. A total below is a sum after discounts: the
/// server would discount it twice.
fn check_total(f: &Fields, price: Money, quantity: Quantity, total: Money) -> Result<(), Refusal> {
    // In kopecks × thousandths: 2·|p·q − 1000·t| ≤ max(q, 1000).
    let exact = i128::from(price.0) * i128::from(quantity.0);
    let off = (exact - 1000 * i128::from(total.0)).abs();
    if 2 * off <= i128::from(quantity.0.max(1000)) {
        return Ok(());
    }
    let full = price.times(quantity).unwrap_or(Money::ZERO);
    let why = if total < full {
        "меньше price × quantity: total — сумма за позицию без скидок (скидки только через систему лояльности)"
    } else {
        "больше price × quantity"
    };
    Err(bad(format!("{} {total}: {why}; price × quantity = {full}", f.name("total"))))
}

fn read_goods(f: &Fields) -> Result<Vec<Good>, Refusal> {
    let goods = f.list("good_data")?;
    if goods.is_empty() {
        return Err(bad("good_data: массив товаров пуст или отсутствует"));
    }
    goods
        .iter()
        .enumerate()
        .map(|(index, value)| read_good(&f.element("good_data", index, value)?))
        .collect()
}

/// «Промокод может быть только один»: across `promo_codes` (strings) and
/// `coupons` ({"coupon": …}) together. Reading: one field is enough; the
/// same code in both is refused too (it would count twice).
fn read_promo(f: &Fields) -> Result<Option<String>, Refusal> {
    let mut codes = Vec::new();
    for (index, value) in f.list("promo_codes")?.iter().enumerate() {
        match value.as_str().filter(|c| !c.trim().is_empty()) {
            Some(code) => codes.push(code.to_string()),
            None => return Err(bad(format!("promo_codes[{index}] {value}: нужен непустой промокод"))),
        }
    }
    for (index, value) in f.list("coupons")?.iter().enumerate() {
        codes.push(f.element("coupons", index, value)?.text("coupon")?.to_string());
    }
    if codes.len() > 1 {
        return Err(bad(format!(
            "promo_codes/coupons {codes:?}: промокод может быть только один (в promo_codes или в coupons)"
        )));
    }
    Ok(codes.pop())
}

/// «return_move_id … return_doc_dt … (передается только для возвратов)».
fn read_return_of(f: &Fields, kind: Kind) -> Result<Option<(String, NaiveDateTime)>, Refusal> {
    match kind {
        Kind::Sale => {
            if let Some(field) = ["return_move_id", "return_doc_dt"].into_iter().find(|name| f.value(name).is_some()) {
                return Err(bad(format!("{field}: передаётся только для возвратов (type 1)")));
            }
            Ok(None)
        }
        Kind::Return => Ok(Some((f.text("return_move_id")?.to_string(), f.date("return_doc_dt")?))),
    }
}

fn read_sale_request(f: &Fields) -> Result<SaleRequest, Refusal> {
    let move_id = read_move_id(f)?;
    let doc_open_dt = f.date("doc_open_dt")?;
    // «type тип операции: 0 – продажа, 1 - возврат».
    let kind = if f.integer("type", &[0, 1])? == 0 {
        Kind::Sale
    } else {
        Kind::Return
    };
    let client = f.client_id("client_id")?;
    let bonus_out = match kind {
        Kind::Sale => f.money("bonus_out")?,
        // Reading: a return writes nothing off; what comes back is the server's to compute.
        Kind::Return => match f.optional_money("bonus_out")? {
            None | Some(Money::ZERO) => Money::ZERO,
            Some(other) => return Err(bad(format!("bonus_out {other}: в возврате не списывают (0)"))),
        },
    };
    Ok(SaleRequest {
        move_id,
        doc_open_dt,
        kind,
        client,
        bonus_out,
        max_bonus_out: f.optional_money("max_bonus_out")?,
        goods: read_goods(f)?,
        promo: read_promo(f)?,
        return_of: read_return_of(f, kind)?,
    })
}

fn item_json(good: &Good, line: &Priced) -> Value {
    json!({"code": good.code, "price": money_number(good.price), "discounted_price": money_number(line.discounted_price),
        "discounted_total": money_number(line.discounted_total), "bonus_out": money_number(line.bonus_out)})
}

/// processsale.
impl Inner {
    fn process_sale(&mut self, f: &Fields, skew: bool) -> Answer {
        let r = read_sale_request(f)?;
        self.check_move_is_new(&r)?;
        let client = match r.client {
            Some(id) => Some(self.client_index("client_id", id)?),
            None => None,
        };
        let lines = match r.kind {
            Kind::Sale => self.price_sale(&r, client.map(|i| &self.clients[i]), skew)?,
            Kind::Return => self.price_return(&r)?,
        };
        let items: Vec<Value> = r.goods.iter().zip(&lines).map(|(g, l)| item_json(g, l)).collect();
        let bonus_out = sum(lines.iter().map(|l| l.bonus_out));
        self.moves.insert(
            r.move_id.clone(),
            Move {
                kind: r.kind,
                client: r.client,
                doc_open_dt: r.doc_open_dt,
                goods: r.goods,
                lines,
                return_of: r.return_of.map(|(sale, _)| sale),
                booked: None,
                returned: HashMap::new(),
            },
        );
        Ok(json!({"result_code": 0, "bill_data": {"items": items, "bonus_out": money_number(bonus_out)}}))
    }

    /// «Move_id … должен быть уникальным»: one move_id is one document: the
    /// same date and type every time, and never again once confirmed.
    /// Recalculating a move not yet confirmed is what processsale is for
    /// («Для промежуточных расчётов применяется запрос processsale»).
    fn check_move_is_new(&self, r: &SaleRequest) -> Result<(), Refusal> {
        let Some(known) = self.moves.get(&r.move_id) else {
            return Ok(());
        };
        if known.doc_open_dt != r.doc_open_dt {
            return Err(bad(format!(
                "move_id «{}»: уже был с doc_open_dt {}, теперь {} — move_id должен быть уникальным",
                r.move_id, known.doc_open_dt, r.doc_open_dt
            )));
        }
        if known.kind != r.kind {
            return Err(bad(format!(
                "move_id «{}»: уже был с другим type — move_id должен быть уникальным",
                r.move_id
            )));
        }
        if known.booked.is_some() {
            return Err(refuse(ALREADY_CONFIRMED, format!("move_id «{}»: чек уже подтверждён", r.move_id)));
        }
        Ok(())
    }

    /// New prices within the minimum price, and the write-off spread over the
    /// lines' room above their minimum prices.
    fn price_sale(&self, r: &SaleRequest, client: Option<&Client>, skew: bool) -> Result<Vec<Priced>, Refusal> {
        let promo = r.promo.as_deref() == Some(PROMO);
        let off = if client.is_some() { self.rules.discount } else { 0 } + if promo { self.rules.promo_discount } else { 0 };
        let discounted: Vec<(Money, Money)> = r.goods.iter().map(|g| discount_line(g, off)).collect();
        let totals: Vec<Money> = discounted.iter().map(|(_, total)| *total).collect();
        let rooms: Vec<Money> = r
            .goods
            .iter()
            .zip(&totals)
            .map(|(g, total)| Money((total.0 - g.min_price.times(g.quantity).unwrap_or(*total).0).max(0)))
            .collect();
        check_write_off(r, client, sum(rooms.iter().copied()))?;
        let mut shares = distribute(r.bonus_out, &totals, &rooms);
        if skew {
            skew_shares(&mut shares, &rooms);
        }
        Ok(discounted
            .iter()
            .zip(shares)
            .map(|((price, total), bonus_out)| Priced {
                discounted_price: *price,
                discounted_total: *total,
                bonus_out,
            })
            .collect())
    }

    /// A return names a confirmed sale of the same client on its date; the
    /// amounts come from the sale, not from the return's prices.
    fn price_return(&self, r: &SaleRequest) -> Result<Vec<Priced>, Refusal> {
        let sale = self.sale_returned(r)?;
        Ok(return_amounts(sale, &r.goods)?.lines)
    }

    fn sale_returned(&self, r: &SaleRequest) -> Result<&Move, Refusal> {
        let Some((sale_id, sale_dt)) = &r.return_of else {
            return Err(bad("return_move_id: нужен для возврата"));
        };
        let sale = self
            .moves
            .get(sale_id)
            .filter(|m| m.kind == Kind::Sale && m.booked.is_some())
            .ok_or_else(|| {
                refuse(
                    NOT_FOUND,
                    format!("return_move_id «{sale_id}»: чек продажи не найден или не подтверждён"),
                )
            })?;
        // «return_doc_dt Дата чека продажи».
        if sale.doc_open_dt != *sale_dt {
            return Err(bad(format!("return_doc_dt {sale_dt}: дата чека продажи {}", sale.doc_open_dt)));
        }
        // Reading: the return is the sale's client's (null for an anonymous sale).
        if sale.client != r.client {
            return Err(bad(format!(
                "client_id {}: в чеке продажи клиент {}",
                json!(r.client),
                json!(sale.client)
            )));
        }
        Ok(sale)
    }
}

/// A line's price and sum after `off` (hundredths of a percent), never below
/// the minimum price. Undiscounted, the line keeps the register's total.
fn discount_line(good: &Good, off: i64) -> (Money, Money) {
    let cut = good.price.percent(off).unwrap_or(Money::ZERO);
    let price = Money(good.price.0 - cut.0).max(good.min_price);
    if price == good.price {
        return (price, good.total);
    }
    (price, price.times(good.quantity).unwrap_or(good.total).min(good.total))
}

/// The write-off a sale asks for: only an identified client's, within
/// «max_bonus_out … (передается значение выходного параметра
/// max_bill_bonus_out функции searchclient)», the balance and the room
/// above the minimum prices.
fn check_write_off(r: &SaleRequest, client: Option<&Client>, room: Money) -> Result<(), Refusal> {
    let Some(c) = client else {
        // «client_id … null – если покупатель не идентифицирован»: nobody to write off from.
        if !r.bonus_out.is_zero() {
            return Err(bad(format!(
                "bonus_out {}: покупатель не идентифицирован (client_id null)",
                r.bonus_out
            )));
        }
        if let Some(max) = r.max_bonus_out.filter(|m| !m.is_zero()) {
            return Err(bad(format!("max_bonus_out {max}: покупатель не идентифицирован (client_id null)")));
        }
        return Ok(());
    };
    if r.max_bonus_out != Some(c.max_bill_bonus_out) {
        let sent = r.max_bonus_out.map_or("null".to_string(), |m| m.to_string());
        return Err(bad(format!(
            "max_bonus_out {sent}: нужно max_bill_bonus_out клиента из searchclient ({})",
            c.max_bill_bonus_out
        )));
    }
    let limit = c.balance.min(c.max_bill_bonus_out).min(room).max(Money::ZERO);
    if r.bonus_out > limit {
        return Err(refuse(
            NOT_ENOUGH,
            format!(
                "bonus_out {}: списать можно не больше {limit} (баланс {}, max_bill_bonus_out {}, до минимальных цен {room})",
                r.bonus_out, c.balance, c.max_bill_bonus_out
            ),
        ));
    }
    Ok(())
}

/// Misbehaviour on command: the whole write-off on the line with the least
/// room, past its minimum price.
fn skew_shares(shares: &mut [Money], rooms: &[Money]) {
    let Some(tightest) = (0..rooms.len()).min_by_key(|&i| rooms[i]) else {
        return;
    };
    let whole = sum(shares.iter().copied());
    shares.iter_mut().for_each(|s| *s = Money::ZERO);
    shares[tightest] = whole;
}

/// What a sale had of one code, all its lines together.
#[derive(Debug, Clone, Copy, Default)]
struct Sold {
    quantity: i64,
    /// The money paid: discounted totals less the write-off.
    money: Money,
    bonus: Money,
    discounted_price: Money,
}

fn sold_by_code(sale: &Move) -> BTreeMap<&str, Sold> {
    let mut sold: BTreeMap<&str, Sold> = BTreeMap::new();
    for (good, line) in sale.goods.iter().zip(&sale.lines) {
        let entry = sold.entry(good.code.as_str()).or_insert(Sold {
            discounted_price: line.discounted_price,
            ..Sold::default()
        });
        entry.quantity += good.quantity.0;
        entry.money.0 += line.discounted_total.0 - line.bonus_out.0;
        entry.bonus.0 += line.bonus_out.0;
    }
    sold
}

/// `amount` × part / whole, rounded half up; zero when the whole is.
fn portion(amount: Money, part: i64, whole: i64) -> Money {
    amount.share(part, whole).unwrap_or(Money::ZERO)
}

/// What a return gives back and takes back.
struct ReturnAmounts {
    lines: Vec<Priced>,
    money: Money,
    bonus: Money,
    accrual_back: Money,
    /// Thousandths returned now, per code.
    quantities: BTreeMap<String, i64>,
}

/// Reading: per code, the sale's money and bonus × cumulative returned /
/// sold, less the same for what confirmed returns took before (each term
/// rounded half up), so parts add up to the whole; the accrual is taken
/// back in proportion to the money given back. A code on several return
/// lines is shared among them by quantity, the same way.
fn return_amounts(sale: &Move, goods: &[Good]) -> Result<ReturnAmounts, Refusal> {
    let sold = sold_by_code(sale);
    let mut now: BTreeMap<String, i64> = BTreeMap::new();
    for (index, good) in goods.iter().enumerate() {
        if !sold.contains_key(good.code.as_str()) {
            return Err(bad(format!("good_data[{index}].code «{}»: нет в чеке продажи", good.code)));
        }
        *now.entry(good.code.clone()).or_default() += good.quantity.0;
    }
    let before = |code: &str| sale.returned.get(code).copied().unwrap_or(0);
    let mut per_code: BTreeMap<&str, (Money, Money)> = BTreeMap::new();
    for (code, quantity) in &now {
        // Invariant: every code in `now` was found in `sold` above.
        let s = sold[code.as_str()];
        let (was, will) = (before(code), before(code) + quantity);
        if will > s.quantity {
            return Err(bad(format!(
                "good_data code «{code}»: возвращается {} при проданных {} и возвращённых ранее {}",
                Quantity(*quantity),
                Quantity(s.quantity),
                Quantity(was)
            )));
        }
        let money = Money(portion(s.money, will, s.quantity).0 - portion(s.money, was, s.quantity).0);
        let bonus = Money(portion(s.bonus, will, s.quantity).0 - portion(s.bonus, was, s.quantity).0);
        per_code.insert(code.as_str(), (money, bonus));
    }
    let money = sum(per_code.values().map(|(m, _)| *m));
    let bonus = sum(per_code.values().map(|(_, b)| *b));
    let booked = sale.booked.unwrap_or(Booked {
        paid: Money::ZERO,
        bonus: Money::ZERO,
        accrued: Money::ZERO,
    });
    let money_before = sum(sold.iter().map(|(code, s)| portion(s.money, before(code), s.quantity)));
    let accrual_back = Money(
        portion(booked.accrued, money_before.0 + money.0, booked.paid.0).0 - portion(booked.accrued, money_before.0, booked.paid.0).0,
    );
    let lines = split_by_line(goods, &sold, &per_code, &now);
    Ok(ReturnAmounts {
        lines,
        money,
        bonus,
        accrual_back,
        quantities: now,
    })
}

/// Each code's money and bonus over the return lines that carry it, by
/// cumulative quantity; each item answers the bonus given back as its `bonus_out`.
fn split_by_line(
    goods: &[Good],
    sold: &BTreeMap<&str, Sold>,
    per_code: &BTreeMap<&str, (Money, Money)>,
    now: &BTreeMap<String, i64>,
) -> Vec<Priced> {
    let mut done: HashMap<&str, i64> = HashMap::new();
    goods
        .iter()
        .map(|good| {
            let code = good.code.as_str();
            // Invariant: `return_amounts` keyed all three maps by these goods' codes.
            let (money, bonus) = per_code[code];
            let whole = now[code];
            let was = done.get(code).copied().unwrap_or(0);
            let will = was + good.quantity.0;
            done.insert(code, will);
            let line_money = Money(portion(money, will, whole).0 - portion(money, was, whole).0);
            let line_bonus = Money(portion(bonus, will, whole).0 - portion(bonus, was, whole).0);
            Priced {
                discounted_price: sold[code].discounted_price,
                discounted_total: Money(line_money.0 + line_bonus.0),
                bonus_out: line_bonus,
            }
        })
        .collect()
}

/// confirmsale and getdetailingbymove.
impl Inner {
    /// «Подтверждение документа после processsale … Выполняются все
    /// начисления и списания бонусов»: the only place balances change.
    fn confirm_sale(&mut self, f: &Fields) -> Answer {
        let move_id = read_move_id(f)?;
        let doc_open_dt = f.date("doc_open_dt")?;
        // «doc_dt Дата закрытия чека»: present, and not before the opening.
        let doc_dt = f.date("doc_dt")?;
        if doc_dt < doc_open_dt {
            return Err(bad(format!("doc_dt {doc_dt}: раньше doc_open_dt {doc_open_dt}")));
        }
        let Some(known) = self.moves.get(&move_id) else {
            return Err(refuse(
                NOT_FOUND,
                format!("move_id «{move_id}»: чек не найден (сначала processsale)"),
            ));
        };
        if known.doc_open_dt != doc_open_dt {
            return Err(bad(format!("doc_open_dt {doc_open_dt}: у чека «{move_id}» {}", known.doc_open_dt)));
        }
        if known.booked.is_some() {
            // Idempotent: a resend of a confirmed move counts once.
            return Ok(json!({"result_code": 0}));
        }
        match known.kind {
            Kind::Sale => self.book_sale(&move_id)?,
            Kind::Return => self.book_return(&move_id)?,
        }
        self.book.push(move_id);
        Ok(json!({"result_code": 0}))
    }

    fn book_sale(&mut self, move_id: &str) -> Result<(), Refusal> {
        // Invariant: confirm_sale found the move under this same lock.
        let m = &self.moves[move_id];
        let bonus = sum(m.lines.iter().map(|l| l.bonus_out));
        let paid = Money(sum(m.lines.iter().map(|l| l.discounted_total)).0 - bonus.0);
        let mut accrued = Money::ZERO;
        if let Some(id) = m.client {
            let index = self.client_index("client_id", id)?;
            let client = &mut self.clients[index];
            // The balance may have moved since processsale.
            if client.balance < bonus {
                return Err(refuse(NOT_ENOUGH, format!("bonus_out {bonus}: на балансе {}", client.balance)));
            }
            accrued = paid.percent(self.rules.accrual).unwrap_or(Money::ZERO);
            client.balance = Money(client.balance.0 - bonus.0 + accrued.0);
        }
        if let Some(m) = self.moves.get_mut(move_id) {
            m.booked = Some(Booked { paid, bonus, accrued });
        }
        Ok(())
    }

    /// Computed again against the sale as it is now: another return may
    /// have been confirmed since this one's processsale.
    fn book_return(&mut self, move_id: &str) -> Result<(), Refusal> {
        // Invariant: confirm_sale found the move under this same lock.
        let m = &self.moves[move_id];
        let sale_id = m.return_of.clone().unwrap_or_default();
        let client = m.client;
        let sale = self
            .moves
            .get(&sale_id)
            .ok_or_else(|| refuse(NOT_FOUND, format!("return_move_id «{sale_id}»: чек продажи не найден")))?;
        let amounts = return_amounts(sale, &m.goods)?;
        if let Some(id) = client {
            let index = self.client_index("client_id", id)?;
            let balance = &mut self.clients[index].balance;
            *balance = Money(balance.0 + amounts.bonus.0 - amounts.accrual_back.0);
        }
        if let Some(sale) = self.moves.get_mut(&sale_id) {
            for (code, quantity) in &amounts.quantities {
                *sale.returned.entry(code.clone()).or_default() += quantity;
            }
        }
        if let Some(m) = self.moves.get_mut(move_id) {
            m.lines = amounts.lines;
            m.booked = Some(Booked {
                paid: amounts.money,
                bonus: amounts.bonus,
                accrued: amounts.accrual_back,
            });
        }
        Ok(())
    }

    /// «Получить документ»: a confirmed move (only those are in the
    /// server's reports), «oper_type 0 – продажа» (1 for a return).
    fn detailing(&self, f: &Fields) -> Answer {
        let move_id = f.text("move_id")?;
        let m = self
            .moves
            .get(move_id)
            .filter(|m| m.booked.is_some())
            .ok_or_else(|| refuse(NOT_FOUND, format!("move_id «{move_id}»: чек не найден")))?;
        let detail: Vec<Value> = m
            .goods
            .iter()
            .zip(&m.lines)
            .map(|(g, l)| {
                json!({"code": g.code, "price": money_number(g.price), "total": money_number(g.total), "quantity": exact_number(&g.quantity.to_string()),
                    "discounted_price": money_number(l.discounted_price), "discounted_total": money_number(l.discounted_total),
                    "bonus_out": money_number(l.bonus_out)})
            })
            .collect();
        let oper_type = if m.kind == Kind::Sale { 0 } else { 1 };
        Ok(json!({"result_code": 0, "move_info": {"oper_type": oper_type}, "move_detail": detail}))
    }
}

impl crate::emulators::KeptBooks for Inner {
    type Books = Books;

    fn books(&self) -> Books {
        Books {
            clients: self.clients.clone(),
            codes: self.codes.clone(),
            moves: self.moves.clone(),
            book: self.book.clone(),
        }
    }

    fn restore(&mut self, books: Books) {
        self.clients = books.clients;
        self.codes = books.codes;
        self.moves = books.moves;
        self.book = books.book;
    }

    fn kept(&mut self) -> &mut Option<crate::emulators::Kept> {
        &mut self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulators::Misbehaving;
    use crate::emulators::testing::{cut_short_body, post, serve_locally, unanswered};

    const KEY: &str = "h-key";
    const OPENED: &str = "2025-06-16 10:00:00";
    const CLOSED: &str = "2025-06-16 10:05:00";
    const ANNA: &[&str] = &["7770000000017", "+79161234567"];

    struct Server {
        emulator: Emulator,
        base: String,
    }

    async fn start() -> Server {
        let emulator = Emulator::new(KEY, demo_clients(), Rules::default());
        emulator.set_delay(std::time::Duration::from_millis(10));
        let addr = serve_locally(&emulator).await;
        Server {
            emulator,
            base: format!("http://{addr}"),
        }
    }

    impl Server {
        async fn send(&self, function: &str, key: &str, body: &Value) -> reqwest::Result<reqwest::Response> {
            let url = format!("{}/load/{function}?h={key}", self.base);
            post(&url).body(body.to_string()).send().await
        }

        /// The answer of a well-behaved call, HTTP 200 and JSON.
        async fn call(&self, function: &str, body: Value) -> Value {
            let response = self.send(function, KEY, &body).await.expect("answered");
            assert_eq!(response.status(), StatusCode::OK);
            response.json().await.expect("JSON")
        }

        async fn ok(&self, function: &str, body: Value) -> Value {
            let answer = self.call(function, body).await;
            assert_eq!(answer["result_code"], 0, "{function}: {answer}");
            answer
        }

        /// A refusal: result_code ≠ 0; its message.
        async fn refused(&self, function: &str, body: Value) -> String {
            let answer = self.call(function, body).await;
            assert_ne!(answer["result_code"], 0, "{function} should be refused: {answer}");
            answer["message"].as_str().expect("message").to_string()
        }
    }

    fn good(code: &str, price: &str, quantity: &str, total: &str, min_price: &str) -> Value {
        let n = exact_number;
        json!({"code": code, "vendor_code": "", "name": format!("Товар {code}"), "price": n(price), "quantity": n(quantity),
            "total": n(total), "minPrice": n(min_price), "discounted_price": n(price), "discounted_total": n(total)})
    }

    /// A sale of 2 × 1000.00 (min 500.00) and 1 × 300.00 (min 300.00).
    fn sale(number: u32, client: Value, bonus_out: &str) -> Value {
        let max = if client.is_null() {
            Value::Null
        } else {
            money_number(Money(1000_00))
        };
        json!({"client_id": client, "type": 0, "bonus_out": exact_number(bonus_out), "max_bonus_out": max,
            "good_data": [good("100", "1000.00", "2", "2000.00", "500.00"), good("200", "300.00", "1", "300.00", "300.00")],
            "move_id": move_id(number), "doc_open_dt": OPENED, "promo_codes": [], "coupons": []})
    }

    fn move_id(number: u32) -> String {
        format!("0001-01-3-20250616-{number}")
    }

    fn confirm(number: u32) -> Value {
        json!({"move_id": move_id(number), "doc_open_dt": OPENED, "doc_dt": CLOSED})
    }

    fn return_of(number: u32, sale: u32, quantity: &str) -> Value {
        let total = Money(1000_00).times(Quantity::parse(quantity).expect("quantity")).expect("small");
        json!({"client_id": 1001, "type": 1, "bonus_out": 0, "max_bonus_out": money_number(Money(1000_00)),
            "good_data": [good("100", "1000.00", quantity, &total.to_string(), "500.00")],
            "move_id": move_id(number), "doc_open_dt": CLOSED, "return_move_id": move_id(sale), "return_doc_dt": OPENED})
    }

    #[tokio::test]
    async fn books_kept_in_a_file_outlive_the_server() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("books.json");
        let first = Emulator::new(KEY, demo_clients(), Rules::default()).kept_in(file.clone());
        let addr = serve_locally(&first).await;
        let s = Server {
            emulator: first,
            base: format!("http://{addr}"),
        };
        s.ok(PROCESS_SALE, sale(1, json!(1001), "100.00")).await;
        s.ok(CONFIRM_SALE, confirm(1)).await;
        let balance = s.emulator.balance("7770000000017").expect("Anna");
        assert_ne!(balance, Money(1500_00));
        let ledger = s.emulator.ledger();
        assert_eq!(ledger.counted.len(), 1);
        let second = Emulator::new(KEY, demo_clients(), Rules::default()).kept_in(file);
        assert_eq!(second.balance("7770000000017"), Some(balance));
        assert_eq!(second.ledger(), ledger);
        assert!(second.confirmed(&move_id(1)));
        // The move is known after the restart: a repeated confirm books nothing twice.
        let addr = serve_locally(&second).await;
        let s = Server {
            emulator: second,
            base: format!("http://{addr}"),
        };
        s.ok(CONFIRM_SALE, confirm(1)).await;
        assert_eq!(s.emulator.balance("7770000000017"), Some(balance));
        assert_eq!(s.emulator.ledger(), ledger);
    }

    #[tokio::test]
    async fn a_wrong_key_is_401_and_logged() {
        let s = start().await;
        let probe = json!({"search_mode": 0, "search_value": PROBE_PHONE});
        let response = s.send(SEARCH_CLIENT, "wrong", &probe).await.expect("answered");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(s.emulator.log().iter().any(|l| !l.key_ok));
        // The probe phone is never a client: an answer, not a refusal.
        let answer = s.ok(SEARCH_CLIENT, probe).await;
        assert!(answer["client_id"].is_null());
    }

    #[tokio::test]
    async fn fields_are_checked_by_the_spec() {
        let s = start().await;
        let message = s
            .refused(SEARCH_CLIENT, json!({"search_mode": 1, "search_value": "79161234567"}))
            .await;
        assert!(message.contains("search_mode"), "{message}");
        let message = s
            .refused(SEARCH_CLIENT, json!({"search_mode": 0, "search_value": "89161234567"}))
            .await;
        assert!(message.contains("89161234567"), "{message}");
        let found = s
            .ok(SEARCH_CLIENT, json!({"search_mode": 2, "search_value": "7770000000017"}))
            .await;
        assert_eq!(found["client_id"], 1001);
        assert_eq!(found["bonus_balance"].to_string(), "1500.00");
        let message = s
            .refused(ASK_CONFIRM_PHONE, json!({"client_id": 1001, "phone": "79161234567", "sms_type": 2}))
            .await;
        assert!(message.contains("sms_type"), "{message}");
        let answer = s.call(SEARCH_CLIENT, Value::Null).await;
        assert_ne!(answer["result_code"], 0);
        let response = post(&format!("{}/load/searchclient?h={KEY}", s.base))
            .body("{not json")
            .send()
            .await;
        let answer: Value = response.expect("answered").json().await.expect("JSON");
        assert!(answer["message"].as_str().is_some_and(|m| m.contains("JSON")), "{answer}");
        // Money with three decimals, and money as a string.
        let mut precise = sale(1, json!(1001), "0");
        precise["good_data"][0]["price"] = exact_number("1000.001");
        assert!(s.refused(PROCESS_SALE, precise).await.contains("good_data[0].price"));
        let mut text = sale(1, json!(1001), "0");
        text["bonus_out"] = json!("0");
        assert!(s.refused(PROCESS_SALE, text).await.contains("bonus_out"));
    }

    #[tokio::test]
    async fn a_total_after_discounts_is_refused() {
        let s = start().await;
        let mut discounted = sale(1, json!(1001), "0");
        discounted["good_data"][0]["total"] = exact_number("1900.00");
        discounted["good_data"][0]["discounted_total"] = exact_number("1900.00");
        let message = s.refused(PROCESS_SALE, discounted).await;
        assert!(message.contains("good_data[0].total 1900.00"), "{message}");
        let mut unequal = sale(1, json!(1001), "0");
        unequal["good_data"][1]["discounted_price"] = exact_number("290.00");
        assert!(s.refused(PROCESS_SALE, unequal).await.contains("discounted_price"));
        // A weighed line: 89.90 × 0.455 = 40.9045, the total rounded to kopecks passes.
        let mut weighed = sale(1, Value::Null, "0");
        weighed["good_data"] = json!([good("300", "89.90", "0.455", "40.90", "0")]);
        s.ok(PROCESS_SALE, weighed).await;
    }

    #[tokio::test]
    async fn a_move_id_is_one_document() {
        let s = start().await;
        s.ok(PROCESS_SALE, sale(1, json!(1001), "0")).await;
        let mut other_date = sale(1, json!(1001), "0");
        other_date["doc_open_dt"] = json!("2025-06-16 11:00:00");
        assert!(s.refused(PROCESS_SALE, other_date).await.contains("уникальным"));
        // Recalculating before confirmation is fine; after it, not.
        s.ok(PROCESS_SALE, sale(1, json!(1001), "0")).await;
        s.ok(CONFIRM_SALE, confirm(1)).await;
        assert!(s.refused(PROCESS_SALE, sale(1, json!(1001), "0")).await.contains("подтверждён"));
        let mut wrong_date = confirm(1);
        wrong_date["doc_open_dt"] = json!("2025-06-15 10:00:00");
        s.refused(CONFIRM_SALE, wrong_date).await;
        assert!(s.refused(CONFIRM_SALE, confirm(2)).await.contains("не найден"));
        assert!(
            s.refused(GET_DETAILING_BY_MOVE, json!({"move_id": move_id(2)}))
                .await
                .contains("не найден")
        );
        let detail = s.ok(GET_DETAILING_BY_MOVE, json!({"move_id": move_id(1)})).await;
        assert_eq!(detail["move_info"]["oper_type"], 0);
        assert_eq!(detail["move_detail"][0]["total"].to_string(), "2000.00");
        assert_eq!(detail["move_detail"][0]["quantity"].to_string(), "2");
    }

    #[tokio::test]
    async fn one_promo_code_per_request() {
        let s = start().await;
        let mut two = sale(1, json!(1001), "0");
        two["promo_codes"] = json!([PROMO, "OTHER"]);
        assert!(s.refused(PROCESS_SALE, two).await.contains("только один"));
        let mut both = sale(1, json!(1001), "0");
        both["promo_codes"] = json!([PROMO]);
        both["coupons"] = json!([{"coupon": PROMO}]);
        assert!(s.refused(PROCESS_SALE, both).await.contains("только один"));
        let mut one = sale(1, json!(1001), "0");
        one["coupons"] = json!([{"coupon": PROMO}]);
        let answer = s.ok(PROCESS_SALE, one).await;
        // 3 % + 10 % off 1000.00 = 870.00; 300.00 stays at its minimum price.
        assert_eq!(answer["bill_data"]["items"][0]["discounted_price"].to_string(), "870.00");
        assert_eq!(answer["bill_data"]["items"][0]["discounted_total"].to_string(), "1740.00");
        assert_eq!(answer["bill_data"]["items"][1]["discounted_price"].to_string(), "300.00");
    }

    #[tokio::test]
    async fn registration_needs_the_confirmed_code() {
        let s = start().await;
        let phone = "79035550101";
        let add = json!({"client_id": null, "phone": phone});
        assert!(s.refused(ADD_CLIENT, add.clone()).await.contains("не подтверждён"));
        s.ok(ASK_CONFIRM_PHONE, json!({"client_id": null, "phone": phone, "sms_type": 0}))
            .await;
        assert!(
            s.refused(ADD_CLIENT, add.clone()).await.contains("не подтверждён"),
            "asked, not confirmed"
        );
        let check = |code: String| json!({"client_id": null, "phone": phone, "code": code});
        s.refused(CHECK_CONFIRM_PHONE_CODE, check("0000".into())).await;
        s.ok(CHECK_CONFIRM_PHONE_CODE, check(sms_code(phone))).await;
        let added = s.ok(ADD_CLIENT, add.clone()).await;
        let id = added["client_id"].as_u64().expect("id");
        let found = s.ok(SEARCH_CLIENT, json!({"search_mode": 0, "search_value": phone})).await;
        assert_eq!(found["client_id"], id);
        assert_eq!(found["bonus_balance"].to_string(), "0.00");
        // The phone is taken now.
        let again = json!({"client_id": null, "phone": phone, "sms_type": 0});
        assert!(s.refused(ASK_CONFIRM_PHONE, again).await.contains("уже есть"));
        // An old card without a phone is completed the same way.
        let old = json!({"client_id": 1002, "phone": "79035550202"});
        s.refused(ADD_CLIENT, old.clone()).await;
        s.ok(ASK_CONFIRM_PHONE, json!({"client_id": 1002, "phone": "79035550202", "sms_type": 0}))
            .await;
        s.ok(
            CHECK_CONFIRM_PHONE_CODE,
            json!({"client_id": 1002, "phone": "79035550202", "code": "0202"}),
        )
        .await;
        assert_eq!(s.ok(ADD_CLIENT, old).await["client_id"], 1002);
        assert_eq!(s.emulator.balance("+79035550202"), Some(Money(832_44)));
    }

    #[tokio::test]
    async fn a_sale_and_its_return_are_booked() {
        let s = start().await;
        let answer = s.ok(PROCESS_SALE, sale(1, json!(1001), "100.00")).await;
        // 3 % off 1000.00; 300.00 at its minimum takes no write-off.
        let items = &answer["bill_data"]["items"];
        assert_eq!(items[0]["discounted_price"].to_string(), "970.00");
        assert_eq!(items[0]["bonus_out"].to_string(), "100.00");
        assert_eq!(items[1]["bonus_out"].to_string(), "0.00");
        assert_eq!(answer["bill_data"]["bonus_out"].to_string(), "100.00");
        assert_eq!(
            s.emulator.balance("7770000000017"),
            Some(Money(1500_00)),
            "nothing before confirmsale"
        );
        s.ok(CONFIRM_SALE, confirm(1)).await;
        // 1500.00 − 100.00 + 5 % of the 2140.00 paid.
        assert_eq!(s.emulator.balance("7770000000017"), Some(Money(1507_00)));
        let back = s.ok(PROCESS_SALE, return_of(2, 1, "1")).await;
        assert_eq!(back["bill_data"]["items"][0]["bonus_out"].to_string(), "50.00");
        s.ok(
            CONFIRM_SALE,
            json!({"move_id": move_id(2), "doc_open_dt": CLOSED, "doc_dt": CLOSED}),
        )
        .await;
        // Half of 1840.00 paid for the line, half of its 100.00 bonus; 107.00 × 920 / 2140 = 46.00 taken back.
        assert_eq!(s.emulator.balance("7770000000017"), Some(Money(1511_00)));
        let expected = vec![
            Counted::new(ANNA, Kind::Sale, 2140_00, 100_00),
            Counted::new(ANNA, Kind::Return, 920_00, 50_00),
        ];
        assert_eq!(
            s.emulator.ledger(),
            Ledger {
                counted: expected,
                open_debits: Vec::new()
            }
        );
        // Only one of two is left to return.
        assert!(s.refused(PROCESS_SALE, return_of(3, 1, "2")).await.contains("возвращается"));
        let mut wrong_date = return_of(3, 1, "1");
        wrong_date["return_doc_dt"] = json!(CLOSED);
        assert!(s.refused(PROCESS_SALE, wrong_date).await.contains("return_doc_dt"));
    }

    #[tokio::test]
    async fn write_offs_stay_within_the_rules() {
        let s = start().await;
        assert!(
            s.refused(PROCESS_SALE, sale(1, Value::Null, "10.00"))
                .await
                .contains("не идентифицирован")
        );
        let mut max = sale(1, json!(1001), "0");
        max["max_bonus_out"] = exact_number("500.00");
        assert!(s.refused(PROCESS_SALE, max).await.contains("max_bonus_out"));
        // Room above minimum prices: 1940.00 − 1000.00 = 940.00.
        assert!(
            s.refused(PROCESS_SALE, sale(1, json!(1001), "940.01"))
                .await
                .contains("не больше 940.00")
        );
        assert!(s.refused(PROCESS_SALE, sale(1, json!(9999), "0")).await.contains("9999"));
        s.emulator.fail(Failure::BadDistribution, 1, 0);
        let skewed = s.ok(PROCESS_SALE, sale(1, json!(1001), "100.00")).await;
        assert_eq!(
            skewed["bill_data"]["items"][1]["bonus_out"].to_string(),
            "100.00",
            "past the 300.00 minimum"
        );
    }

    #[tokio::test]
    async fn a_lost_confirmation_is_booked_and_counts_once() {
        let s = start().await;
        s.ok(PROCESS_SALE, sale(1, Value::Null, "0")).await;
        s.emulator.fail(Failure::Lost, 1, 0);
        assert!(
            unanswered(s.send(CONFIRM_SALE, KEY, &confirm(1)).await).await,
            "the answer never arrives"
        );
        let anonymous = Counted::new(&[], Kind::Sale, 2300_00, 0);
        assert_eq!(s.emulator.ledger().counted, vec![anonymous.clone()]);
        // The resend answers success and counts nothing more.
        s.ok(CONFIRM_SALE, confirm(1)).await;
        s.ok(CONFIRM_SALE, confirm(1)).await;
        assert_eq!(s.emulator.ledger().counted, vec![anonymous]);
        assert!(s.emulator.confirmed(&move_id(1)));
    }

    #[tokio::test]
    async fn a_malformed_answer_still_processed() {
        let s = start().await;
        s.emulator.fail(Failure::Malformed, 1, 0);
        let body = cut_short_body(s.send(PROCESS_SALE, KEY, &sale(1, json!(1001), "0")).await).await;
        assert!(body.starts_with("{"), "{body}");
        // The move is there: confirmsale finds it.
        s.ok(CONFIRM_SALE, confirm(1)).await;
        assert_eq!(s.emulator.ledger().counted.len(), 1);
        // An injected error is not processed.
        s.emulator.fail(Failure::Error, 1, 0);
        let answer = s.call(PROCESS_SALE, sale(2, json!(1001), "0")).await;
        assert_eq!(answer["result_code"], INJECTED);
        assert!(s.refused(CONFIRM_SALE, confirm(2)).await.contains("не найден"));
    }
}
