//! A Frontol Loyalty API server written as a REFEREE from the spec alone
//! (`frontol-loyalty-api.txt` and the readings in `specs/README.md`): it
//! parses every request with its own wire code (never the client's), refuses
//! whatever the spec's words do not allow, keeps clients, balances and
//! documents by simple rules, keeps the books a scenario reconciles
//! ([`Emulator::ledger`]), misbehaves on command, and logs what it received.
//!
//! Refusals: a request that breaks the protocol (a header, the body, a field)
//! gets HTTP 400 `{"code": 400, "error": "<поле и значение>"}`; a wrong token
//! HTTP 403; a well-formed request the loyalty system declines HTTP 200 with
//! `code` ≠ 0 and an `error` text («Успешным ответом … считается ответ 200, у
//! которого … code 0»).
//!
//! Readings where the spec is silent, decided here (the README's readings
//! apply as well and are cited where used):
//! - Headers: all four listed headers are required on every request,
//!   `Expect: 100-continue` included (the spec lists it for every request;
//!   the README notes real servers tolerate its absence — this referee does
//!   not). `Accept` may list other types besides `application/json`;
//!   `Content-Type` may carry parameters (`; charset=utf-8`); `Cache-Control`
//!   must contain the `no-cache` directive.
//! - Token: the md5 hex is compared ignoring letter case; with no key
//!   configured the `Authorization` header is not read («просто не
//!   обрабатывает токен»).
//! - The body: UTF-8 JSON, an object, no object with the same key twice
//!   (the examples' two `client` keys: "send exactly one").
//! - `dateTime`: ISO 8601 date `T` time, optional fraction of a second,
//!   optional offset as `Z`, `±hh:mm` or `±hhmm` (the examples use both).
//! - Identifiers are not empty: `organization`, `businessUnit`, `workPlace`
//!   («указанный в настройках КПО»), `card` and a position's `id`; a
//!   position's `index` numbers the list 1, 2, … in its order («Номер
//!   позиции в списке»), in a refund too.
//! - `mobilePhone`: `+` and 1 to 15 digits (E.164, «строго в международном
//!   формате без каких-либо разделителей»).
//! - Numbers: money and quantities are JSON numbers (never strings), money
//!   ≥ 0 with at most 2 decimals, quantities > 0 with at most 3; `index`,
//!   `number`, `shift` are JSON integers, `number` and `shift` ≥ 0.
//! - A `calculate` with `positions: []` is a balance precheck outside a
//!   document («Пречек может быть использован для запроса баланса, в этом
//!   случае … будет отсутствовать документ продажи»): its `uid` may be empty
//!   (the md5 example sends `""`). Every other request needs a non-empty uid
//!   and at least one position.
//! - `referenceUid` is refused on a `receipt` (the spec has it for refunds only).
//! - `payments[].type`: cash and creditCard must be fiscal, bonus nonFiscal,
//!   other either (the spec mentions «последующих нефискальных оплат» beside
//!   the bonus).
//! - One bonus payment per document at a time: a second `payByBonus` while
//!   one is held is declined (cancel it first); the cancel request names one
//!   `payment` and its amount must equal what is held.
//! - The client is pinned while a bonus payment is held: every request of
//!   that uid must name the same card or phone. After a cancel it is free again.
//! - A cancel of a uid holding no bonus payment (never paid, already
//!   cancelled, unknown uid) is declined with `code` 5 «Оплата бонусами для
//!   отмены не найдена» (the spec gives no code; 5 is ours). A cancel after
//!   the confirm is declined with `code` 1.
//! - A confirmed receipt's positions the bonus was distributed to must come
//!   back in its `confirm` with the same index, id and quantity.
//! - A resent `confirm` (same uid) is answered success and counts nothing if
//!   its client, fiscal sum and bonus are the ones counted; otherwise it is a
//!   second document under a uid «Уникальный идентификатор документа» and is
//!   declined.
//! - A refund names the sale's client identifier («используется
//!   идентификатор из документа продажи (телефон или карта)»). Its lines are
//!   matched to the sale's positions by `id`, the first sale position with
//!   quantity left first (a line larger than that spills to the next one with
//!   the same id); quantities never exceed what was sold less earlier refunds.
//! - The bonus a refund must give back: for each sale position touched,
//!   `share(bonus_i, returned after this refund, sold) − share(bonus_i,
//!   returned before, sold)`, each term rounded half up to the kopeck
//!   ([`Money::share`]), where `bonus_i` is the `paidAmount` this server gave
//!   that position in its payByBonus answer. The refund's bonus payment must
//!   equal that sum exactly.
//! - A refund takes back the accrual in proportion of money: `share(accrued,
//!   refunded money after, sale's money) − share(accrued, before, sale's
//!   money)`; the money refunded in all never exceeds the sale's; the balance
//!   may go below zero (a return is never refused for a spent accrual).
//! - `discardedAmount` is optional (absent: 0).
//!
//! Control (for tests): `POST /control` with `{"fail": MODE, "times": N}`
//! where MODE is `timeout`, `drop`, `lost`, `http500`, `error`, `malformed`
//! or `bad_distribution`; `GET /log` returns the requests received.

use crate::emulators::KeptBooks;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use md5::{Digest, Md5};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize as DeriveDeserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::core::ledger::{Counted, Kind as LedgerKind, Ledger, OpenDebit};
use crate::core::money::{AmountError, Money, Quantity};
use crate::core::receipt::distribute;
use crate::emulators::{money_number, sum};

/// A client of the emulated loyalty system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, DeriveDeserialize)]
pub struct Client {
    pub card: Option<String>,
    pub phone: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub balance: Money,
    /// Asked before the precheck answer applies.
    pub validation_code: Option<String>,
    /// Refused with this text (a blocked card).
    pub blocked: Option<String>,
}

/// The emulator's simple rules, in hundredths of a percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Discount on every position, within its minimum price.
    pub discount: i64,
    /// The share of a receipt that bonuses may pay.
    pub max_bonus_share: i64,
    /// Bonuses accrued on fiscal payments of a confirmed sale.
    pub accrual: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            discount: 5_00,
            max_bonus_share: 50_00,
            accrual: 5_00,
        }
    }
}

pub use crate::emulators::Failure;
use crate::emulators::Misbehaviour;

/// One request as received: for tests to assert on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, DeriveDeserialize)]
pub struct Logged {
    pub path: String,
    pub authorization: Option<String>,
    pub body: String,
}

/// The emulator's shared state: cloneable, one per server.
#[derive(Clone)]
pub struct Emulator(Arc<Mutex<Inner>>);

#[derive(Debug)]
struct Inner {
    key: Option<String>,
    rules: Rules,
    /// Never removed: an index into it stays valid.
    clients: Vec<Client>,
    /// Receipts by uid: from the first payByBonus or confirm on.
    sales: HashMap<String, Sale>,
    /// Confirmed refunds by uid.
    refunds: HashMap<String, Refund>,
    /// Final documents in the order they were counted.
    counted: Vec<Counted>,
    log: Vec<Logged>,
    misbehaviour: Misbehaviour,
    /// Where the books are kept across restarts (the demo's server), and
    /// what was written there last.
    kept: Option<crate::emulators::Kept>,
}

/// The books a restart must not lose: balances, receipts, refunds, what was counted.
#[derive(Serialize, DeriveDeserialize)]
struct Books {
    clients: Vec<Client>,
    sales: HashMap<String, Sale>,
    refunds: HashMap<String, Refund>,
    counted: Vec<Counted>,
}

/// The demo's clients: a card, a phone that asks a validation code, a blocked card.
pub fn demo_clients() -> Vec<Client> {
    vec![
        Client {
            card: Some("7770000000017".into()),
            phone: Some("+79161234567".into()),
            name: "Смирнова Анна Сергеевна".into(),
            email: Some("anna@example.ru".into()),
            balance: Money(1500_00),
            validation_code: None,
            blocked: None,
        },
        Client {
            card: Some("7770000000024".into()),
            phone: Some("+79211022546".into()),
            name: "Пупкин Иван Иванович".into(),
            email: Some("sobaka@gmail.com".into()),
            balance: Money(832_44),
            validation_code: Some("8956".into()),
            blocked: None,
        },
        Client {
            card: Some("7770000000031".into()),
            phone: None,
            name: "Заблокированная карта".into(),
            email: None,
            balance: Money::ZERO,
            validation_code: None,
            blocked: Some("Карта заблокирована, обратитесь к администратору".into()),
        },
    ]
}

impl crate::emulators::Misbehaving for Emulator {
    fn misbehaviour<R>(&self, f: impl FnOnce(&mut Misbehaviour) -> R) -> R {
        f(&mut self.lock().misbehaviour)
    }
}

impl Emulator {
    pub fn new(key: Option<String>, clients: Vec<Client>, rules: Rules) -> Emulator {
        Emulator(Arc::new(Mutex::new(Inner {
            key,
            rules,
            clients,
            sales: HashMap::new(),
            refunds: HashMap::new(),
            counted: Vec::new(),
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

    /// Changes the access key the server checks (tests of a wrong key).
    pub fn set_key(&self, key: Option<String>) {
        self.lock().key = key;
    }

    pub fn log(&self) -> Vec<Logged> {
        self.lock().log.clone()
    }

    pub fn balance(&self, card_or_phone: &str) -> Option<Money> {
        let inner = self.lock();
        inner
            .clients
            .iter()
            .find(|c| c.card.as_deref() == Some(card_or_phone) || c.phone.as_deref() == Some(card_or_phone))
            .map(|c| c.balance)
    }

    /// The server's books: every confirmed sale and refund once, and every
    /// bonus payment neither cancelled nor confirmed (payByBonus debits at once).
    pub fn ledger(&self) -> Ledger {
        let inner = self.lock();
        let mut open_debits: Vec<OpenDebit> = inner
            .sales
            .iter()
            .filter_map(|(uid, sale)| {
                sale.held.as_ref().map(|held| OpenDebit {
                    client: identifiers(&inner.clients[held.client_index]),
                    document: uid.clone(),
                    amount: held.amount,
                })
            })
            .collect();
        open_debits.sort_by(|a, b| a.document.cmp(&b.document));
        Ledger {
            counted: inner.counted.clone(),
            open_debits,
        }
    }
}

/// A client's card and phone, as the ledger names them.
fn identifiers(client: &Client) -> Vec<String> {
    client.card.iter().chain(client.phone.iter()).cloned().collect()
}

impl crate::emulators::Books for Emulator {
    fn set_key(&self, key: &str) {
        Emulator::set_key(self, Some(key.to_string()))
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
            .route("/document", post(document))
            .route("/client", post(client))
            .route("/control", post(crate::emulators::control::<Emulator>))
            .route("/log", get(log))
            .with_state(self.clone())
    }
}

// ---------------------------------------------------------------- refusals

/// Why a request is not answered with success.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    /// HTTP 400: the request breaks the protocol (a header, the body, a field).
    Malformed(String),
    /// HTTP 403: «Если md5 не совпали, то сервер СЛ возвращает ошибку 403».
    Forbidden,
    /// HTTP 200 with `code` ≠ 0: «Кассиру будет показано сообщение с текстом ошибки из поля error».
    Declined(i64, String),
}

/// `code` of every business refusal but one.
const DECLINED: i64 = 1;
/// `code` of a cancel with no bonus payment to cancel (a reading: the spec names no codes).
const NO_BONUS_TO_CANCEL: i64 = 5;
const NO_BONUS_TO_CANCEL_TEXT: &str = "Оплата бонусами для отмены не найдена";

fn malformed(text: impl Into<String>) -> Refusal {
    Refusal::Malformed(text.into())
}

fn declined(text: impl Into<String>) -> Refusal {
    Refusal::Declined(DECLINED, text.into())
}

impl Refusal {
    fn answer(&self) -> crate::emulators::JsonAnswer {
        let (status, body) = match self {
            Refusal::Malformed(text) => (StatusCode::BAD_REQUEST, json!({"code": 400, "error": text})),
            Refusal::Forbidden => (StatusCode::FORBIDDEN, json!({"code": 403, "error": "Неверный токен доступа"})),
            Refusal::Declined(code, text) => (StatusCode::OK, json!({"code": code, "error": text})),
        };
        (status, body.to_string())
    }
}

type Reply = Result<Value, Refusal>;

// ---------------------------------------------------------------- transport

/// Logging, headers, token and misbehaviour, shared by both endpoints;
/// `answer` is told whether to misdistribute the bonus (`bad_distribution`).
async fn handle(
    emulator: &Emulator,
    path: &str,
    headers: &HeaderMap,
    body: &Bytes,
    answer: impl FnOnce(&mut Inner, bool) -> Reply,
) -> Response {
    let fate = {
        let mut inner = emulator.lock();
        inner.misbehaviour.say(path, body);
        inner.log.push(Logged {
            path: path.to_string(),
            authorization: headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string),
            body: String::from_utf8_lossy(body).to_string(),
        });
        if let Err(refusal) = check_headers(headers).and_then(|()| inner.check_token(headers, body)) {
            return crate::emulators::json_response(refusal.answer());
        }
        inner.misbehaviour.take()
    };
    let bad_distribution = fate.failure == Some(Failure::BadDistribution);
    let injected = || Refusal::Declined(DECLINED, "Ошибка сервера лояльности (эмулятор)".into()).answer();
    crate::emulators::answer_as_fated(fate, injected, || {
        let mut inner = emulator.lock();
        let reply = answer(&mut inner, bad_distribution);
        // On disk before the answer leaves: a till killed after it finds the books as it left them.
        inner.keep();
        match reply {
            Ok(value) => (StatusCode::OK, value.to_string()),
            Err(refusal) => refusal.answer(),
        }
    })
    .await
}

/// A header every request carries: its name, the value the spec lists, whether a value fits.
type HeaderRule = (&'static str, &'static str, fn(&str) -> bool);

const LISTED_HEADERS: [HeaderRule; 4] = [
    ("Expect", "100-continue", |v| v.trim().eq_ignore_ascii_case("100-continue")),
    ("Accept", "application/json", |v| {
        v.split(',').any(|t| media_type(t) == "application/json")
    }),
    ("Content-Type", "application/json", |v| media_type(v) == "application/json"),
    ("Cache-Control", "no-cache", |v| {
        v.split(',').any(|d| d.trim().eq_ignore_ascii_case("no-cache"))
    }),
];

/// «Каждый запрос содержит следующие заголовки: Expect: 100-continue, Accept:
/// application/json, Content-Type: application/json, Cache-Control: no-cache».
fn check_headers(headers: &HeaderMap) -> Result<(), Refusal> {
    for (name, wanted, fits) in LISTED_HEADERS {
        match headers.get(name).map(|v| v.to_str()) {
            None => return Err(malformed(format!("заголовок {name} отсутствует: нужен «{name}: {wanted}»"))),
            Some(Ok(value)) if fits(value) => {}
            Some(value) => {
                let shown = value.unwrap_or("(не ASCII)");
                return Err(malformed(format!("заголовок {name} = «{shown}»: нужен «{name}: {wanted}»")));
            }
        }
    }
    Ok(())
}

/// `application/json` of `application/json; charset=utf-8`.
fn media_type(value: &str) -> String {
    value.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// «Для получения токена в одну строку объединяются ключ доступа и тело
/// запроса … Строка в UTF-8 переводится в набор байт и от неё рассчитывается md5».
fn token(key: &str, body: &[u8]) -> String {
    let digest = Md5::new_with_prefix(key).chain_update(body).finalize();
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl Inner {
    /// `Authorization: FrontolAuth <token>` when a key is set; 403 on a mismatch.
    fn check_token(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), Refusal> {
        let Some(key) = self.key.as_deref().filter(|k| !k.is_empty()) else {
            // «Если сервер СЛ отказывается авторизовывать кассы, то он просто не обрабатывает токен».
            return Ok(());
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("FrontolAuth "));
        match given {
            Some(given) if given.trim().eq_ignore_ascii_case(&token(key, body)) => Ok(()),
            _ => Err(Refusal::Forbidden),
        }
    }
}

async fn document(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    handle(&emulator, "/document", &headers, &body, |inner, bad_distribution| {
        let request = parse_document(&parse_body(&body)?)?;
        inner.document(&request, bad_distribution)
    })
    .await
}

async fn client(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    handle(&emulator, "/client", &headers, &body, |inner, _| {
        let key = parse_common(&parse_body(&body)?)?;
        let index = inner.find_client(&key)?;
        Ok(balance_answer(&inner.clients[index]))
    })
    .await
}

async fn log(State(emulator): State<Emulator>) -> Json<Vec<Logged>> {
    Json(emulator.log())
}

// ---------------------------------------------------------------- the wire, parsed here

/// How the request names its client: «либо номер карты, либо номер телефона».
#[derive(Debug, Clone, PartialEq, Eq, Serialize, DeriveDeserialize)]
enum ClientKey {
    Card(String),
    Phone(String),
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientKey::Card(card) => write!(f, "card «{card}»"),
            ClientKey::Phone(phone) => write!(f, "mobilePhone «{phone}»"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Calculate,
    PayByBonus,
    CancelBonusPayment,
    Confirm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DocumentType {
    Receipt,
    RefundReceipt,
}

#[derive(Debug, Clone)]
struct Position {
    index: u32,
    id: String,
    minimum_price: Money,
    quantity: Quantity,
    total: Money,
}

impl Position {
    /// What the position may not go below: «Минимальная цена позиции» × quantity.
    fn floor(&self) -> Money {
        self.minimum_price.times(self.quantity).unwrap_or(Money::ZERO)
    }

    /// Room for discounts and bonus above the floor.
    fn room(&self) -> Money {
        Money((self.total.0 - self.floor().0).max(0))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PaymentType {
    Cash,
    CreditCard,
    Bonus,
    Other,
}

#[derive(Debug, Clone)]
struct Payment {
    kind: PaymentType,
    fiscal: bool,
    amount: Money,
}

#[derive(Debug, Clone)]
struct DocumentRequest {
    client: ClientKey,
    action: Action,
    kind: DocumentType,
    uid: String,
    reference_uid: Option<String>,
    positions: Vec<Position>,
    /// `payment.amount` of payByBonus and cancelBonusPayment (its mode checked nonFiscal).
    payment: Option<Money>,
    /// `payments` of confirm and cancelBonusPayment.
    payments: Vec<Payment>,
    discarded: Money,
}

impl DocumentRequest {
    fn total(&self) -> Money {
        sum(self.positions.iter().map(|p| p.total))
    }

    fn fiscal_payments(&self) -> Money {
        sum(self.payments.iter().filter(|p| p.fiscal).map(|p| p.amount))
    }

    fn bonus_payments(&self) -> Money {
        sum(self.payments.iter().filter(|p| p.kind == PaymentType::Bonus).map(|p| p.amount))
    }
}

/// Walks a JSON document only to find an object with a key twice: serde_json
/// keeps the last one silently. (An arbitrary-precision number arrives as a
/// one-key map here and passes.)
struct NoDuplicateKeys;

impl<'de> Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoDuplicateKeys)
    }
}

impl<'de> Visitor<'de> for NoDuplicateKeys {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("ключ «{key}» повторяется в одном объекте")));
            }
            map.next_value::<NoDuplicateKeys>()?;
        }
        Ok(self)
    }
}

/// «Тело запроса и ответа содержит JSON-документ в кодировке UTF-8».
fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    let text = std::str::from_utf8(body).map_err(|e| malformed(format!("тело запроса не в UTF-8: {e}")))?;
    serde_json::from_str::<NoDuplicateKeys>(text).map_err(|e| malformed(format!("тело запроса: {e}")))?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(other) => Err(malformed(format!("тело запроса: ожидается объект JSON, а не {other}"))),
        Err(e) => Err(malformed(format!("тело запроса не JSON: {e}"))),
    }
}

fn field<'a>(object: &'a Map<String, Value>, at: &str, name: &str) -> Result<&'a Value, Refusal> {
    object.get(name).ok_or_else(|| malformed(format!("{at}{name}: поле отсутствует")))
}

fn object_field<'a>(object: &'a Map<String, Value>, at: &str, name: &str) -> Result<&'a Map<String, Value>, Refusal> {
    match field(object, at, name)? {
        Value::Object(inner) => Ok(inner),
        other => Err(malformed(format!("{at}{name} = {other}: ожидается объект"))),
    }
}

/// «Символьный».
fn text_field<'a>(object: &'a Map<String, Value>, at: &str, name: &str) -> Result<&'a str, Refusal> {
    match field(object, at, name)? {
        Value::String(text) => Ok(text),
        other => Err(malformed(format!("{at}{name} = {other}: ожидается строка"))),
    }
}

fn nonempty_field<'a>(object: &'a Map<String, Value>, at: &str, name: &str) -> Result<&'a str, Refusal> {
    let text = text_field(object, at, name)?;
    if text.trim().is_empty() {
        return Err(malformed(format!("{at}{name} = «{text}»: пусто")));
    }
    Ok(text)
}

/// «Целый»: a JSON integer.
fn integer_field(object: &Map<String, Value>, at: &str, name: &str) -> Result<i64, Refusal> {
    match field(object, at, name)? {
        Value::Number(n) => n.as_i64().ok_or_else(|| malformed(format!("{at}{name} = {n}: ожидается целое"))),
        other => Err(malformed(format!("{at}{name} = {other}: ожидается целое число"))),
    }
}

/// «Числовой»: the number as written (serde_json keeps its text, no floating point).
fn number_text(object: &Map<String, Value>, at: &str, name: &str) -> Result<String, Refusal> {
    match field(object, at, name)? {
        Value::Number(n) => Ok(n.to_string()),
        other => Err(malformed(format!("{at}{name} = {other}: ожидается число JSON"))),
    }
}

fn amount_problem(error: &AmountError, what: &str) -> String {
    match error {
        AmountError::TooPrecise(_, scale) => format!("{what}: больше {scale} знаков после точки"),
        AmountError::TooLarge(_) => format!("{what}: слишком большое"),
        AmountError::NotPositive(_) => format!("{what}: должно быть больше нуля"),
        AmountError::NotANumber(_) => format!("{what}: ожидается десятичное число без знака и экспоненты"),
    }
}

/// Money: ≥ 0, at most 2 decimals (README reading).
fn money_field(object: &Map<String, Value>, at: &str, name: &str) -> Result<Money, Refusal> {
    let text = number_text(object, at, name)?;
    if text.starts_with('-') {
        return Err(malformed(format!("{at}{name} = {text}: сумма не может быть отрицательной")));
    }
    Money::parse(&text).map_err(|e| malformed(amount_problem(&e, &format!("{at}{name} = {text}"))))
}

/// A quantity: > 0, at most 3 decimals (README reading).
fn quantity_field(object: &Map<String, Value>, at: &str, name: &str) -> Result<Quantity, Refusal> {
    let text = number_text(object, at, name)?;
    Quantity::parse(&text).map_err(|e| malformed(amount_problem(&e, &format!("{at}{name} = {text}"))))
}

/// «Дата и время ISO8601»: date `T` time, optional fraction, optional offset.
fn is_iso8601(text: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(text).is_ok()
        || chrono::DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z").is_ok()
        || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}

/// «Общие поля для всех запросов» and the client: the whole of a `/client` request.
fn parse_common(object: &Map<String, Value>) -> Result<ClientKey, Refusal> {
    let date_time = text_field(object, "", "dateTime")?;
    if !is_iso8601(date_time) {
        return Err(malformed(format!("dateTime = «{date_time}»: ожидается дата и время ISO 8601")));
    }
    for name in ["organization", "businessUnit", "workPlace"] {
        nonempty_field(object, "", name)?;
    }
    parse_client(object_field(object, "", "client")?)
}

/// «может содержать либо номер карты, либо номер телефона»; the phone
/// «строго в международном формате без каких-либо разделителей».
fn parse_client(client: &Map<String, Value>) -> Result<ClientKey, Refusal> {
    match (client.contains_key("card"), client.contains_key("mobilePhone")) {
        (true, false) => Ok(ClientKey::Card(nonempty_field(client, "client.", "card")?.to_string())),
        (false, true) => {
            let phone = text_field(client, "client.", "mobilePhone")?;
            let digits = phone.strip_prefix('+').unwrap_or("");
            if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed(format!(
                    "client.mobilePhone = «{phone}»: нужен международный формат «+» и цифры без разделителей"
                )));
            }
            Ok(ClientKey::Phone(phone.to_string()))
        }
        (true, true) => Err(malformed("client: и card, и mobilePhone, а нужен ровно один")),
        (false, false) => Err(malformed("client: нет ни card, ни mobilePhone")),
    }
}

fn parse_action(text: &str) -> Result<Action, Refusal> {
    match text {
        "calculate" => Ok(Action::Calculate),
        "payByBonus" => Ok(Action::PayByBonus),
        "cancelBonusPayment" => Ok(Action::CancelBonusPayment),
        "confirm" => Ok(Action::Confirm),
        other => Err(malformed(format!(
            "action = «{other}»: ожидается calculate, payByBonus, cancelBonusPayment или confirm"
        ))),
    }
}

fn parse_type(text: &str, action: Action) -> Result<DocumentType, Refusal> {
    match text {
        "receipt" => Ok(DocumentType::Receipt),
        // The refund is sent only as a fiscal document («Фискальный чек возврата»).
        "refundReceipt" if action == Action::Confirm => Ok(DocumentType::RefundReceipt),
        "refundReceipt" => Err(malformed("type = «refundReceipt» бывает только с action «confirm»")),
        other => Err(malformed(format!("type = «{other}»: ожидается receipt или refundReceipt"))),
    }
}

fn parse_document(object: &Map<String, Value>) -> Result<DocumentRequest, Refusal> {
    let client = parse_common(object)?;
    let action = parse_action(text_field(object, "", "action")?)?;
    let kind = parse_type(text_field(object, "", "type")?, action)?;
    for name in ["number", "shift"] {
        // «Программный номер документа / смены».
        let value = integer_field(object, "", name)?;
        if value < 0 {
            return Err(malformed(format!("{name} = {value}: номер не может быть отрицательным")));
        }
    }
    let uid = text_field(object, "", "uid")?.to_string();
    let positions = objects_field(object, "positions", parse_position)?;
    let balance_precheck = action == Action::Calculate && positions.is_empty();
    if uid.trim().is_empty() && !balance_precheck {
        return Err(malformed(format!("uid = «{uid}»: пусто (уникальный идентификатор документа)")));
    }
    if positions.is_empty() && action != Action::Calculate {
        return Err(malformed("positions: пусто, а документу нужны позиции"));
    }
    let reference_uid = match kind {
        DocumentType::RefundReceipt => Some(nonempty_field(object, "", "referenceUid")?.to_string()),
        DocumentType::Receipt if object.contains_key("referenceUid") => {
            return Err(malformed("referenceUid: бывает только у type «refundReceipt»"));
        }
        DocumentType::Receipt => None,
    };
    let payment = match action {
        Action::PayByBonus | Action::CancelBonusPayment => Some(parse_payment(object)?),
        _ => None,
    };
    let payments = match action {
        Action::Confirm | Action::CancelBonusPayment => objects_field(object, "payments", |payment, at, _| parse_one_payment(payment, at))?,
        _ => Vec::new(),
    };
    let discarded = match object.contains_key("discardedAmount") {
        true => money_field(object, "", "discardedAmount")?,
        false => Money::ZERO,
    };
    Ok(DocumentRequest {
        client,
        action,
        kind,
        uid,
        reference_uid,
        positions,
        payment,
        payments,
        discarded,
    })
}

/// An array of objects, each read by `read` with where it sits (`positions[2].`) and its place in the array.
fn objects_field<T>(
    object: &Map<String, Value>,
    name: &str,
    read: impl Fn(&Map<String, Value>, &str, usize) -> Result<T, Refusal>,
) -> Result<Vec<T>, Refusal> {
    match field(object, "", name)? {
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, value)| {
                let element = value
                    .as_object()
                    .ok_or_else(|| malformed(format!("{name}[{i}]: ожидается объект")))?;
                read(element, &format!("{name}[{i}]."), i)
            })
            .collect(),
        other => Err(malformed(format!("{name} = {other}: ожидается массив"))),
    }
}

fn parse_position(object: &Map<String, Value>, at: &str, i: usize) -> Result<Position, Refusal> {
    let index = integer_field(object, at, "index")?;
    // «index — Номер позиции в списке»: 1, 2, … in the list's order.
    if index != i as i64 + 1 {
        return Err(malformed(format!("{at}index = {index}: ожидается {}", i + 1)));
    }
    let id = nonempty_field(object, at, "id")?.to_string();
    text_field(object, at, "text")?;
    let price = money_field(object, at, "price")?;
    let minimum_price = money_field(object, at, "minimumPrice")?;
    let quantity = quantity_field(object, at, "quantity")?;
    let total = money_field(object, at, "totalAmount")?;
    // totalAmount is the price «с учётом» discounts and payments: never above price × quantity.
    let full = price
        .times(quantity)
        .ok_or_else(|| malformed(format!("{at}price × quantity: слишком большое")))?;
    if total > full {
        return Err(malformed(format!(
            "{at}totalAmount = {total}: больше price × quantity = {price} × {quantity} = {full}"
        )));
    }
    Ok(Position {
        index: index as u32,
        id,
        minimum_price,
        quantity,
        total,
    })
}

/// `payment` of payByBonus / cancelBonusPayment: «Оплата бонусом может быть только нефискальной».
fn parse_payment(object: &Map<String, Value>) -> Result<Money, Refusal> {
    let payment = object_field(object, "", "payment")?;
    let mode = text_field(payment, "payment.", "mode")?;
    if mode != "nonFiscal" {
        return Err(malformed(format!(
            "payment.mode = «{mode}»: оплата бонусом может быть только nonFiscal"
        )));
    }
    money_field(payment, "payment.", "amount")
}

fn parse_one_payment(object: &Map<String, Value>, at: &str) -> Result<Payment, Refusal> {
    let kind = match text_field(object, at, "type")? {
        "cash" => PaymentType::Cash,
        "creditCard" => PaymentType::CreditCard,
        "bonus" => PaymentType::Bonus,
        "other" => PaymentType::Other,
        other => {
            return Err(malformed(format!(
                "{at}type = «{other}»: ожидается cash, creditCard, bonus или other"
            )));
        }
    };
    let mode = text_field(object, at, "mode")?;
    let fiscal = match mode {
        "fiscal" => true,
        "nonFiscal" => false,
        other => return Err(malformed(format!("{at}mode = «{other}»: ожидается fiscal или nonFiscal"))),
    };
    // «Оплата бонусом может быть только нефискальной»; cash and a bank card are money (reading: `other` may be either).
    let fits = match kind {
        PaymentType::Bonus => !fiscal,
        PaymentType::Cash | PaymentType::CreditCard => fiscal,
        PaymentType::Other => true,
    };
    if !fits {
        let wanted = if fiscal { "nonFiscal" } else { "fiscal" };
        return Err(malformed(format!("{at}mode = «{mode}» у type «{:?}»: нужен {wanted}", kind)));
    }
    let amount = money_field(object, at, "amount")?;
    Ok(Payment { kind, fiscal, amount })
}

/// README reading: «the sum of totalAmount minus discardedAmount equals the sum
/// of the fiscal payments (net of change); bonus payments are already inside totalAmount».
fn check_sum_rule(r: &DocumentRequest) -> Result<(), Refusal> {
    let (total, fiscal) = (r.total(), r.fiscal_payments());
    if total.0 - r.discarded.0 != fiscal.0 {
        return Err(malformed(format!(
            "сумма totalAmount {total} − discardedAmount {} = {} не равна сумме фискальных оплат {fiscal}",
            r.discarded,
            Money(total.0 - r.discarded.0)
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------- the books

/// What the server keeps of one receipt uid.
#[derive(Debug, Clone, Default, Serialize, DeriveDeserialize)]
struct Sale {
    /// The bonus payment debited and neither cancelled nor confirmed yet.
    held: Option<Held>,
    confirmed: Option<ConfirmedSale>,
}

#[derive(Debug, Clone, Serialize, DeriveDeserialize)]
struct Held {
    client: ClientKey,
    client_index: usize,
    amount: Money,
    /// The distribution this server answered (the `paidAmount` per position).
    shares: Vec<Share>,
}

#[derive(Debug, Clone, Serialize, DeriveDeserialize)]
struct Share {
    index: u32,
    id: String,
    quantity: Quantity,
    paid: Money,
}

#[derive(Debug, Clone, Serialize, DeriveDeserialize)]
struct ConfirmedSale {
    client: ClientKey,
    client_index: usize,
    fiscal: Money,
    bonus: Money,
    accrued: Money,
    lines: Vec<SoldLine>,
    /// Money given back by refunds so far.
    refunded: Money,
}

#[derive(Debug, Clone, Serialize, DeriveDeserialize)]
struct SoldLine {
    id: String,
    sold: Quantity,
    /// The bonus this position was paid with (its `paidAmount`).
    bonus: Money,
    returned: Quantity,
}

#[derive(Debug, Clone, Serialize, DeriveDeserialize)]
struct Refund {
    reference: String,
    client: ClientKey,
    fiscal: Money,
    bonus: Money,
    /// The accrual it took back, told again to a resend.
    taken_back: Money,
}

impl Inner {
    fn find_client(&self, key: &ClientKey) -> Result<usize, Refusal> {
        let index = self
            .clients
            .iter()
            .position(|c| match key {
                ClientKey::Card(card) => c.card.as_deref() == Some(card.as_str()),
                ClientKey::Phone(phone) => c.phone.as_deref() == Some(phone.as_str()),
            })
            .ok_or_else(|| declined(format!("Клиент не найден: {key}")))?;
        match &self.clients[index].blocked {
            Some(text) => Err(declined(text.clone())),
            None => Ok(index),
        }
    }

    fn document(&mut self, r: &DocumentRequest, bad_distribution: bool) -> Reply {
        let client = self.find_client(&r.client)?;
        if r.kind == DocumentType::RefundReceipt {
            return self.confirm_refund(r, client);
        }
        self.check_receipt_uid(r)?;
        match r.action {
            Action::Calculate => Ok(self.calculate(r, client)),
            Action::PayByBonus => self.pay_by_bonus(r, client, bad_distribution),
            Action::CancelBonusPayment => self.cancel_bonus(r),
            Action::Confirm => self.confirm_sale(r, client),
        }
    }

    /// README reading: «One receipt keeps one uid from its first calculate to
    /// its confirm»: every request of a uid is about that one receipt.
    fn check_receipt_uid(&self, r: &DocumentRequest) -> Result<(), Refusal> {
        if self.refunds.contains_key(&r.uid) {
            return Err(declined(format!("uid {} уже занят документом возврата", r.uid)));
        }
        let Some(sale) = self.sales.get(&r.uid) else {
            return Ok(());
        };
        if let Some(held) = sale.held.as_ref().filter(|held| held.client != r.client) {
            return Err(declined(format!(
                "Документ {} оплачен бонусами клиента {}, а в запросе {}: после оплаты бонусом клиента не сменить",
                r.uid, held.client, r.client
            )));
        }
        match (sale.confirmed.is_some(), r.action) {
            (true, Action::CancelBonusPayment) => Err(declined(format!(
                "Документ {} уже подтверждён: отмена оплаты бонусом невозможна",
                r.uid
            ))),
            (true, Action::Calculate | Action::PayByBonus) => Err(declined(format!("Документ {} уже подтверждён", r.uid))),
            _ => Ok(()),
        }
    }

    /// The most bonus the receipt may take: the rule's share of it, the
    /// positions' room above their minimum prices, and the balance.
    fn available(&self, positions: &[Position], client: usize) -> Money {
        let total = sum(positions.iter().map(|p| p.total));
        let room = sum(positions.iter().map(Position::room));
        let share = total.percent(self.rules.max_bonus_share).unwrap_or(Money::ZERO);
        share.min(room).min(self.clients[client].balance).max(Money::ZERO)
    }

    /// The precheck: the rule's discount per position within its minimum
    /// price, and the amount bonuses may pay after it.
    fn calculate(&self, r: &DocumentRequest, client: usize) -> Value {
        let discounted: Vec<Position> = r
            .positions
            .iter()
            .map(|p| {
                let wanted = p.total.percent(self.rules.discount).unwrap_or(Money::ZERO);
                let discount = wanted.min(p.room());
                Position {
                    total: Money(p.total.0 - discount.0),
                    ..p.clone()
                }
            })
            .collect();
        let discounts: Vec<Value> = r
            .positions
            .iter()
            .zip(&discounted)
            .map(|(p, d)| json!({"index": p.index, "discountAmount": money_number(Money(p.total.0 - d.total.0))}))
            .collect();
        let available = self.available(&discounted, client);
        calculate_answer(&self.clients[client], available, discounts)
    }

    fn pay_by_bonus(&mut self, r: &DocumentRequest, client: usize, bad_distribution: bool) -> Reply {
        let amount = r.payment.ok_or_else(|| malformed("payment: поле отсутствует"))?;
        if amount.is_zero() {
            return Err(malformed("payment.amount = 0.00: сумма оплаты бонусом должна быть больше нуля"));
        }
        if let Some(held) = self.sales.get(&r.uid).and_then(|s| s.held.as_ref()) {
            return Err(declined(format!(
                "Документ {} уже оплачен бонусами на {}: сначала отмените эту оплату",
                r.uid, held.amount
            )));
        }
        let available = self.available(&r.positions, client);
        if amount > available {
            return Err(declined(format!("Доступно к оплате бонусами не больше {available}")));
        }
        let paid = if bad_distribution {
            broken_distribution(&r.positions)
        } else {
            let weights: Vec<Money> = r.positions.iter().map(|p| p.total).collect();
            let caps: Vec<Money> = r.positions.iter().map(Position::room).collect();
            distribute(amount, &weights, &caps)
        };
        let shares: Vec<Share> = r
            .positions
            .iter()
            .zip(paid)
            .map(|(p, paid)| Share {
                index: p.index,
                id: p.id.clone(),
                quantity: p.quantity,
                paid,
            })
            .collect();
        // «СЛ списала запрошенную сумму»: the debit happens now.
        self.clients[client].balance.0 -= amount.0;
        let answer = pay_answer(amount, &shares);
        self.sales.entry(r.uid.clone()).or_default().held = Some(Held {
            client: r.client.clone(),
            client_index: client,
            amount,
            shares,
        });
        Ok(answer)
    }

    fn cancel_bonus(&mut self, r: &DocumentRequest) -> Reply {
        let amount = r.payment.ok_or_else(|| malformed("payment: поле отсутствует"))?;
        // The cancel request carries «payments … bonus − оплата бонусом»: the payment being cancelled.
        let listed = r.bonus_payments();
        if listed != amount {
            return Err(malformed(format!(
                "payments: оплата бонусом {listed}, а payment.amount = {amount}: в payments должна быть отменяемая оплата"
            )));
        }
        let Some(held) = self.sales.get(&r.uid).and_then(|s| s.held.clone()) else {
            return Err(Refusal::Declined(NO_BONUS_TO_CANCEL, NO_BONUS_TO_CANCEL_TEXT.into()));
        };
        if held.amount != amount {
            return Err(declined(format!(
                "Отменяется оплата бонусами {amount}, а по документу {} списано {}",
                r.uid, held.amount
            )));
        }
        self.clients[held.client_index].balance.0 += amount.0;
        if let Some(sale) = self.sales.get_mut(&r.uid) {
            sale.held = None;
        }
        Ok(json!({
            "code": 0,
            "cashierInformation": [block(&format!("Оплата бонусами {amount} отменена"), "left", "small", false)],
        }))
    }

    fn confirm_sale(&mut self, r: &DocumentRequest, client: usize) -> Reply {
        check_sum_rule(r)?;
        let (fiscal, bonus) = (r.fiscal_payments(), r.bonus_payments());
        let sale = self.sales.get(&r.uid);
        if let Some(done) = sale.and_then(|s| s.confirmed.as_ref()) {
            // A resend after a lost answer: nothing is counted twice.
            if done.client == r.client && done.fiscal == fiscal && done.bonus == bonus {
                return Ok(confirmed_answer(done.accrued, self.clients[client].balance));
            }
            return Err(declined(format!(
                "Документ {} уже подтверждён с другими клиентом или оплатами: uid — уникальный идентификатор документа",
                r.uid
            )));
        }
        let held = sale.and_then(|s| s.held.clone());
        check_bonus_held(&r.uid, held.as_ref(), bonus)?;
        let shares = held.map(|h| h.shares).unwrap_or_default();
        let lines = sold_lines(&r.positions, &shares)?;
        let accrued = fiscal.percent(self.rules.accrual).unwrap_or(Money::ZERO);
        self.clients[client].balance.0 += accrued.0;
        let entry = self.sales.entry(r.uid.clone()).or_default();
        entry.held = None;
        entry.confirmed = Some(ConfirmedSale {
            client: r.client.clone(),
            client_index: client,
            fiscal,
            bonus,
            accrued,
            lines,
            refunded: Money::ZERO,
        });
        self.counted.push(Counted {
            client: identifiers(&self.clients[client]),
            kind: LedgerKind::Sale,
            paid: fiscal,
            bonus,
        });
        Ok(confirmed_answer(accrued, self.clients[client].balance))
    }

    fn confirm_refund(&mut self, r: &DocumentRequest, client: usize) -> Reply {
        check_sum_rule(r)?;
        let (fiscal, bonus) = (r.fiscal_payments(), r.bonus_payments());
        let reference = r.reference_uid.clone().ok_or_else(|| malformed("referenceUid: поле отсутствует"))?;
        if let Some(done) = self.refunds.get(&r.uid) {
            if done.reference == reference && done.client == r.client && done.fiscal == fiscal && done.bonus == bonus {
                return Ok(refund_answer(done.bonus, done.taken_back));
            }
            return Err(declined(format!("uid {} уже подтверждён другим возвратом", r.uid)));
        }
        if self.sales.contains_key(&r.uid) || r.uid == reference {
            return Err(declined(format!("uid {} занят документом продажи", r.uid)));
        }
        let sale = self
            .sales
            .get(&reference)
            .and_then(|s| s.confirmed.clone())
            .ok_or_else(|| declined(format!("Продажа {reference} не подтверждена на сервере: возврат по ней не учесть")))?;
        if sale.client != r.client {
            return Err(declined(format!(
                "Возврат по продаже {reference} называет {}, а продажа — {}: нужен идентификатор из документа продажи",
                r.client, sale.client
            )));
        }
        let taken = match_returned(&sale.lines, &r.positions)?;
        let expected = returned_bonus(&sale.lines, &taken);
        check_refund_bonus(&reference, expected, bonus)?;
        let refunded = Money(sale.refunded.0 + fiscal.0);
        if refunded > sale.fiscal {
            return Err(declined(format!(
                "Возвращается {fiscal}, а от оплаты продажи {reference} ({}) осталось {}",
                sale.fiscal,
                Money(sale.fiscal.0 - sale.refunded.0)
            )));
        }
        let take_back = proportional_step(sale.accrued, sale.refunded.0, refunded.0, sale.fiscal.0);
        self.clients[client].balance.0 += expected.0 - take_back.0;
        if let Some(confirmed) = self.sales.get_mut(&reference).and_then(|s| s.confirmed.as_mut()) {
            confirmed.refunded = refunded;
            for (line, quantity) in confirmed.lines.iter_mut().zip(&taken) {
                line.returned.0 += quantity.0;
            }
        }
        let (client_key, client_index) = (r.client.clone(), sale.client_index);
        self.refunds.insert(
            r.uid.clone(),
            Refund {
                reference,
                client: client_key,
                fiscal,
                bonus,
                taken_back: take_back,
            },
        );
        self.counted.push(Counted {
            client: identifiers(&self.clients[client_index]),
            kind: LedgerKind::Return,
            paid: fiscal,
            bonus,
        });
        Ok(refund_answer(expected, take_back))
    }
}

/// The bonus in a confirm's payments must be exactly the one this server holds for the uid.
fn check_bonus_held(uid: &str, held: Option<&Held>, bonus: Money) -> Result<(), Refusal> {
    match held {
        None if bonus.is_zero() => Ok(()),
        None => Err(declined(format!(
            "В payments оплата бонусом {bonus}, но по документу {uid} сервер не держит оплаты бонусом (её не было или она отменена)"
        ))),
        Some(held) if held.amount == bonus => Ok(()),
        Some(held) if bonus.is_zero() => Err(declined(format!(
            "По документу {uid} списано бонусами {}, а в payments оплаты бонусом нет",
            held.amount
        ))),
        Some(held) => Err(declined(format!(
            "В payments оплата бонусом {bonus}, а по документу {uid} списано {}",
            held.amount
        ))),
    }
}

/// A confirmed receipt's lines with the bonus each was paid with; the
/// positions the bonus went to must come back unchanged (index, id, quantity).
fn sold_lines(positions: &[Position], shares: &[Share]) -> Result<Vec<SoldLine>, Refusal> {
    for share in shares.iter().filter(|s| !s.paid.is_zero()) {
        let same = positions
            .iter()
            .any(|p| p.index == share.index && p.id == share.id && p.quantity == share.quantity);
        if !same {
            return Err(declined(format!(
                "Позиция {} (id «{}», количество {}) оплачена бонусами {}, а в чеке её нет в том же виде",
                share.index, share.id, share.quantity, share.paid
            )));
        }
    }
    Ok(positions
        .iter()
        .map(|p| SoldLine {
            id: p.id.clone(),
            sold: p.quantity,
            bonus: shares.iter().find(|s| s.index == p.index).map_or(Money::ZERO, |s| s.paid),
            returned: Quantity::ZERO,
        })
        .collect())
}

/// How much of each sale line a refund takes back: its lines matched by `id`,
/// the first sale line with quantity left first.
fn match_returned(lines: &[SoldLine], positions: &[Position]) -> Result<Vec<Quantity>, Refusal> {
    let mut taken = vec![Quantity::ZERO; lines.len()];
    for p in positions {
        let left_of = |j: usize, taken: &[Quantity]| (lines[j].sold.0 - lines[j].returned.0 - taken[j].0).max(0);
        let same_id: Vec<usize> = (0..lines.len()).filter(|&j| lines[j].id == p.id).collect();
        let left: i64 = same_id.iter().map(|&j| left_of(j, &taken)).sum();
        if p.quantity.0 > left {
            return Err(declined(format!(
                "Позиция {} (id «{}»): возвращается {}, а из проданного осталось {}",
                p.index,
                p.id,
                p.quantity,
                Quantity(left)
            )));
        }
        let mut need = p.quantity.0;
        for j in same_id {
            let take = need.min(left_of(j, &taken));
            taken[j].0 += take;
            need -= take;
        }
    }
    Ok(taken)
}

/// `from`'s part between two cumulative points of `whole`, each rounded half up:
/// the parts of successive steps add up to `from` exactly.
fn proportional_step(from: Money, before: i64, after: i64, whole: i64) -> Money {
    let at = |point: i64| from.share(point, whole).unwrap_or(Money::ZERO);
    Money(at(after).0 - at(before).0)
}

/// The bonus a refund gives back (module doc's reading): per sale line,
/// bonus × returned/sold after this refund less the same before it.
fn returned_bonus(lines: &[SoldLine], taken: &[Quantity]) -> Money {
    sum(lines
        .iter()
        .zip(taken)
        .filter(|(_, quantity)| quantity.0 > 0)
        .map(|(line, quantity)| proportional_step(line.bonus, line.returned.0, line.returned.0 + quantity.0, line.sold.0)))
}

fn check_refund_bonus(reference: &str, expected: Money, bonus: Money) -> Result<(), Refusal> {
    if bonus == expected {
        return Ok(());
    }
    if bonus.is_zero() {
        return Err(declined(format!(
            "Возвращаемые позиции продажи {reference} были оплачены бонусами на {expected}: в payments возврата нужна оплата \
             бонусом {expected} (type bonus, mode nonFiscal)"
        )));
    }
    Err(declined(format!(
        "В payments возврата оплата бонусом {bonus}, а возвращаемые позиции продажи {reference} были оплачены бонусами на {expected}"
    )))
}

/// `bad_distribution`: the position with the highest floor is paid in full, below its minimum price.
fn broken_distribution(positions: &[Position]) -> Vec<Money> {
    let worst = (0..positions.len()).max_by_key(|&i| positions[i].floor()).unwrap_or(0);
    positions
        .iter()
        .enumerate()
        .map(|(i, p)| if i == worst { p.total } else { Money::ZERO })
        .collect()
}

// ---------------------------------------------------------------- answers

fn block(text: &str, alignment: &str, size: &str, bold: bool) -> Value {
    json!({"text": text, "alignment": alignment, "size": size, "weight": if bold { "bold" } else { "normal" }})
}

fn calculate_answer(c: &Client, available: Money, discounts: Vec<Value>) -> Value {
    let mut client = Map::new();
    let optional = [
        ("mobilePhone", &c.phone),
        ("email", &c.email),
        ("validationCode", &c.validation_code),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            client.insert(name.into(), Value::String(value.clone()));
        }
    }
    client.insert("availableAmount".into(), money_number(available));
    json!({
        "code": 0,
        "client": client,
        "document": {"positions": discounts},
        "cashierInformation": [
            block(&format!("Клиент {}\n", c.name), "center", "large", true),
            block(&format!("Баланс {} бонусов, доступно к оплате {available}", c.balance), "left", "small", false),
        ],
        "printingInformation": every_element_slip(&c.name),
    })
}

fn pay_answer(amount: Money, shares: &[Share]) -> Value {
    let positions: Vec<Value> = shares
        .iter()
        .filter(|s| !s.paid.is_zero())
        .map(|s| json!({"index": s.index, "paidAmount": money_number(s.paid)}))
        .collect();
    json!({
        "code": 0,
        "document": {"positions": positions},
        "cashierInformation": [block(&format!("Списано {amount} бонусов"), "left", "small", false)],
        "printingInformation": [[{"type": "pair", "left": "Списано бонусов", "right": amount.to_string()}]],
    })
}

fn confirmed_answer(accrued: Money, balance: Money) -> Value {
    json!({
        "code": 0,
        "cashierInformation": [block(&format!("Начислено {accrued} бонусов"), "left", "small", false)],
        "printingInformation": [[
            {"type": "line", "symbol": "="},
            {"type": "pair", "left": "Начислено бонусов", "right": accrued.to_string()},
            {"type": "pair", "left": "Баланс", "right": balance.to_string(), "separator": "."},
        ]],
    })
}

fn refund_answer(given_back: Money, taken_back: Money) -> Value {
    json!({
        "code": 0,
        "cashierInformation": [block(
            &format!("Возврат учтён: возвращено {given_back} бонусов, списано начисленных {taken_back}"),
            "left",
            "small",
            false,
        )],
    })
}

fn balance_answer(c: &Client) -> Value {
    json!({
        "code": 0,
        "cashierInformation": [
            block(&c.name, "center", "large", true),
            block(&format!("Баланс: {} бонусов", c.balance), "left", "medium", false),
        ],
        "printingInformation": [[
            {"type": "text", "alignment": "center", "size": "large", "text": "БАЛАНС"},
            {"type": "pair", "left": "Клиент", "right": c.name},
            {"type": "pair", "left": "Бонусов", "right": c.balance.to_string(), "separator": "."},
        ]],
    })
}

/// A slip with every element type of the spec.
fn every_element_slip(name: &str) -> Value {
    json!([[
        {"type": "text", "alignment": "left", "text": format!("Клиент: {name}")},
        {"type": "line", "symbol": "*"},
        {"type": "text", "size": "large", "alignment": "center", "text": "Внимание! ПОДАРОК!"},
        {"type": "text", "size": "medium", "wrapping": "wordwrap", "text": "Скидка 15% на следующую покупку по промо-коду"},
        {"type": "text", "size": "small", "text": "5012#5640"},
        {"type": "qrcode", "size": "normal", "correction": "medium", "data": "http://atol.ru/PromoCode/Activate/5012-5640"},
        {"type": "pair", "left": "Действует до", "right": "31.12.2026", "separator": "."},
        {"type": "br"},
        {"type": "barcode", "size": "normal", "data": "501256400001", "printText": "below"},
        {"type": "br"},
        {"type": "text", "alignment": "right", "text": "Спасибо!"}
    ]])
}

impl crate::emulators::KeptBooks for Inner {
    type Books = Books;

    fn books(&self) -> Books {
        Books {
            clients: self.clients.clone(),
            sales: self.sales.clone(),
            refunds: self.refunds.clone(),
            counted: self.counted.clone(),
        }
    }

    fn restore(&mut self, books: Books) {
        self.clients = books.clients;
        self.sales = books.sales;
        self.refunds = books.refunds;
        self.counted = books.counted;
    }

    fn kept(&mut self) -> &mut Option<crate::emulators::Kept> {
        &mut self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulators::Misbehaving;
    use crate::emulators::testing::serve_locally;
    use std::io::{Read, Write};
    use std::net::SocketAddr;
    use std::time::Duration;

    const KEY: &str = "secret-key";
    const CARD: &str = "7770000000017";
    const PHONE: &str = "+79161234567";
    const LISTED_HEADERS: [(&str, &str); 4] = [
        ("Expect", "100-continue"),
        ("Accept", "application/json"),
        ("Content-Type", "application/json"),
        ("Cache-Control", "no-cache"),
    ];
    /// The spec's md5 example, joined where the document wrapped it.
    const SPEC_BODY: &str = r#"{ "positions": [], "organization": "Мой магазин", "action": "calculate", "uid": "", "businessUnit": "4", "dateTime": "2018-07-16T10:18:44.955+03:00", "number": 0, "shift": 0, "type": "receipt", "workPlace": "5", "client": { "card": "123" } }"#;

    /// An answer as it came off the socket.
    struct Wire {
        status: Option<u16>,
        body: String,
    }

    impl Wire {
        fn json(&self) -> Value {
            serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {:?} {}", self.status, self.body))
        }

        fn code(&self) -> i64 {
            self.json()["code"].as_i64().expect("code")
        }

        fn error(&self) -> String {
            self.json()["error"].as_str().unwrap_or("").to_string()
        }
    }

    async fn start() -> (Emulator, SocketAddr) {
        let emulator = Emulator::new(Some(KEY.into()), demo_clients(), Rules::default());
        emulator.set_delay(Duration::from_millis(50));
        let addr = serve_locally(&emulator).await;
        (emulator, addr)
    }

    /// POSTs raw HTTP/1.1 with exactly `headers`, reads until the server closes.
    async fn raw(addr: SocketAddr, path: &str, headers: Vec<(String, String)>, body: String) -> Wire {
        let mut text = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str("\r\n");
        text.push_str(&body);
        tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).expect("connect");
            stream.set_read_timeout(Some(Duration::from_secs(5))).expect("read timeout");
            stream.write_all(text.as_bytes()).expect("send");
            let mut answer = Vec::new();
            // A dropped connection ends in an error: what came before it is all there is.
            let _ = stream.read_to_end(&mut answer);
            let answer = String::from_utf8_lossy(&answer).to_string();
            // `Expect: 100-continue` may be answered with an interim `100 Continue` first.
            let answer = answer.strip_prefix("HTTP/1.1 100 Continue\r\n\r\n").unwrap_or(&answer);
            Wire {
                status: answer
                    .strip_prefix("HTTP/1.1 ")
                    .and_then(|t| t.get(..3))
                    .and_then(|c| c.parse().ok()),
                body: answer.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string(),
            }
        })
        .await
        .expect("join")
    }

    /// Every header the spec lists, and the token of `key`.
    fn headers_for(key: &str, body: &str) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = LISTED_HEADERS.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        headers.push(("Authorization".into(), format!("FrontolAuth {}", token(key, body.as_bytes()))));
        headers
    }

    async fn post(addr: SocketAddr, body: String) -> Wire {
        raw(addr, "/document", headers_for(KEY, &body), body).await
    }

    /// Two goods: (id, price, minimum price, quantity); full totals 5000.00 and 571.62.
    const GOODS: [(&str, &str, &str, &str); 2] = [("100", "2500.00", "1000.00", "2.000"), ("200", "780.90", "700.00", "0.732")];
    const FULL: [Money; 2] = [Money(5000_00), Money(571_62)];

    fn position(index: usize, good: usize, quantity: &str, total: Money) -> String {
        let (id, price, minimum, _) = GOODS[good];
        format!(
            r#"{{"index":{index},"id":"{id}","text":"Товар {id}","price":{price},"minimumPrice":{minimum},"quantity":{quantity},"totalAmount":{total}}}"#
        )
    }

    fn sold(totals: [Money; 2]) -> Vec<String> {
        vec![position(1, 0, GOODS[0].3, totals[0]), position(2, 1, GOODS[1].3, totals[1])]
    }

    fn request(action: &str, kind: &str, uid: &str, client: &str, positions: &[String], tail: &str) -> String {
        format!(
            r#"{{"action":"{action}","dateTime":"2017-10-09T18:31:42.201+0300","organization":"ООО Ромашка","businessUnit":"0001","workPlace":"01","client":{client},"number":1,"shift":1,"uid":"{uid}","type":"{kind}","positions":[{}]{tail}}}"#,
            positions.join(",")
        )
    }

    fn card() -> String {
        format!(r#"{{"card":"{CARD}"}}"#)
    }

    fn payments(list: &[(&str, &str, Money)]) -> String {
        let items: Vec<String> = list
            .iter()
            .map(|(kind, mode, amount)| format!(r#"{{"type":"{kind}","mode":"{mode}","amount":{amount}}}"#))
            .collect();
        format!(r#","payments":[{}]"#, items.join(","))
    }

    fn money(value: &Value) -> Money {
        Money::parse(&value.to_string()).expect("money")
    }

    /// payByBonus of `amount` on the full totals: the paidAmount per position.
    async fn pay(addr: SocketAddr, uid: &str, amount: Money) -> [Money; 2] {
        let tail = format!(r#","payment":{{"mode":"nonFiscal","amount":{amount}}}"#);
        let wire = post(addr, request("payByBonus", "receipt", uid, &card(), &sold(FULL), &tail)).await;
        assert_eq!(wire.code(), 0, "{}", wire.body);
        let mut shares = [Money::ZERO; 2];
        for p in wire.json()["document"]["positions"].as_array().expect("positions") {
            shares[p["index"].as_u64().expect("index") as usize - 1] = money(&p["paidAmount"]);
        }
        assert_eq!(shares[0].0 + shares[1].0, amount.0);
        shares
    }

    fn after(shares: [Money; 2]) -> [Money; 2] {
        [Money(FULL[0].0 - shares[0].0), Money(FULL[1].0 - shares[1].0)]
    }

    /// A confirm of the sale with these totals, paid in cash and `bonus`.
    fn confirm_body(uid: &str, totals: [Money; 2], bonus: Money) -> String {
        let cash = Money(totals[0].0 + totals[1].0);
        let mut list = vec![("cash", "fiscal", cash)];
        if !bonus.is_zero() {
            list.push(("bonus", "nonFiscal", bonus));
        }
        request("confirm", "receipt", uid, &card(), &sold(totals), &payments(&list))
    }

    #[tokio::test]
    async fn the_token_is_md5_of_key_and_body_and_a_mismatch_is_403() {
        assert_eq!(token("password", SPEC_BODY.as_bytes()), "24da9926bd1afa6c523cd4e011f66137");
        let (emulator, addr) = start().await;
        let body = request("calculate", "receipt", "", &card(), &[], "");
        let wire = raw(addr, "/document", headers_for(KEY, &body), body.clone()).await;
        assert_eq!((wire.status, wire.code()), (Some(200), 0), "{}", wire.body);
        let wire = raw(addr, "/document", headers_for("another-key", &body), body.clone()).await;
        assert_eq!((wire.status, wire.code()), (Some(403), 403));
        let mut unsigned = headers_for(KEY, &body);
        unsigned.retain(|(name, _)| name != "Authorization");
        assert_eq!(raw(addr, "/document", unsigned.clone(), body.clone()).await.status, Some(403));
        emulator.set_key(None);
        assert_eq!(
            raw(addr, "/document", unsigned, body).await.status,
            Some(200),
            "no key: no token read"
        );
        // The spec's own example passes the token and the form; card 123 is simply unknown.
        emulator.set_key(Some("password".into()));
        let wire = raw(addr, "/document", headers_for("password", SPEC_BODY), SPEC_BODY.into()).await;
        assert_eq!((wire.status, wire.code()), (Some(200), DECLINED), "{}", wire.body);
        assert!(wire.error().contains("Клиент не найден"));
    }

    #[tokio::test]
    async fn every_listed_header_is_required() {
        let (_emulator, addr) = start().await;
        let body = request("calculate", "receipt", "u-1", &card(), &sold(FULL), "");
        for (missing, _) in LISTED_HEADERS {
            let mut headers = headers_for(KEY, &body);
            headers.retain(|(name, _)| name != missing);
            let wire = raw(addr, "/document", headers, body.clone()).await;
            assert_eq!((wire.status, wire.code()), (Some(400), 400), "{missing}");
            assert!(wire.error().contains(missing), "{missing}: {}", wire.error());
        }
        let mut headers = headers_for(KEY, &body);
        headers.retain(|(name, _)| name != "Content-Type");
        headers.push(("Content-Type".into(), "text/plain".into()));
        assert_eq!(raw(addr, "/document", headers, body.clone()).await.status, Some(400));
        let mut headers = headers_for(KEY, &body);
        headers.retain(|(name, _)| name != "Content-Type");
        headers.push(("Content-Type".into(), "application/json; charset=utf-8".into()));
        assert_eq!(raw(addr, "/document", headers, body).await.code(), 0, "parameters are fine");
    }

    #[tokio::test]
    async fn malformed_fields_are_refused_with_400_naming_them() {
        let (_emulator, addr) = start().await;
        let full = sold(FULL);
        let cases = [
            (full[0].replace("2500.00", "2500.001"), "price"),
            (full[0].replace(r#""quantity":2.000"#, r#""quantity":"2""#), "quantity"),
            (full[0].replace("5000.00", "5000.01"), "totalAmount"),
            (full[0].replace(r#""index":1"#, r#""index":2"#), "index"),
            (full[0].replace("1000.00", "-1"), "minimumPrice"),
        ];
        for (first, field) in cases {
            let body = request("calculate", "receipt", "u-2", &card(), &[first, full[1].clone()], "");
            let wire = post(addr, body).await;
            assert_eq!(wire.status, Some(400), "{field}: {}", wire.body);
            assert!(wire.error().contains(field), "{field}: {}", wire.error());
        }
        let both = format!(r#"{{"card":"{CARD}"}},"client":{{"mobilePhone":"{PHONE}"}}"#);
        let wire = post(addr, request("calculate", "receipt", "u-2", &both, &full, "")).await;
        assert!(wire.status == Some(400) && wire.error().contains("client"), "{}", wire.body);
        let dashed = r#"{"mobilePhone":"+7-916-123-45-67"}"#;
        assert_eq!(
            post(addr, request("calculate", "receipt", "u-2", dashed, &full, "")).await.status,
            Some(400)
        );
        let wire = post(addr, request("calculate", "refundReceipt", "u-2", &card(), &full, "")).await;
        assert!(wire.status == Some(400) && wire.error().contains("refundReceipt"), "{}", wire.body);
        let not_utf8 = raw(addr, "/document", headers_for(KEY, "\u{0}"), "\u{0}".into()).await;
        assert_eq!(not_utf8.status, Some(400));
    }

    #[tokio::test]
    async fn a_refund_must_give_back_the_bonus_its_lines_carried() {
        let (emulator, addr) = start().await;
        let shares = pay(addr, "sale-1", Money(100_00)).await;
        let totals = after(shares);
        assert_eq!(post(addr, confirm_body("sale-1", totals, Money(100_00))).await.code(), 0);
        let before = emulator.balance(CARD).expect("client");
        // One of the two quadcopters comes back.
        let refunded = totals[0].share(1, 2).expect("half");
        let line = [position(1, 0, "1.000", refunded)];
        let cash = payments(&[("cash", "fiscal", refunded)]);
        let tail = format!(r#","referenceUid":"sale-1"{cash}"#);
        let wire = post(addr, request("confirm", "refundReceipt", "refund-1", &card(), &line, &tail)).await;
        assert_eq!((wire.status, wire.code()), (Some(200), DECLINED), "{}", wire.body);
        assert!(wire.error().contains("оплата бонусом"), "{}", wire.error());
        assert_eq!(emulator.ledger().counted.len(), 1, "the refused refund counts nothing");

        let bonus = shares[0].share(1000, 2000).expect("bonus");
        let tail = format!(
            r#","referenceUid":"sale-1"{}"#,
            payments(&[("cash", "fiscal", refunded), ("bonus", "nonFiscal", bonus)])
        );
        let wire = post(addr, request("confirm", "refundReceipt", "refund-1", &card(), &line, &tail)).await;
        assert_eq!(wire.code(), 0, "{}", wire.body);
        let sale_money = Money(totals[0].0 + totals[1].0);
        let accrued = sale_money.percent(Rules::default().accrual).expect("accrual");
        let take_back = accrued.share(refunded.0, sale_money.0).expect("take back");
        assert_eq!(emulator.balance(CARD), Some(Money(before.0 + bonus.0 - take_back.0)));
        let ledger = emulator.ledger();
        assert_eq!(
            ledger.counted[1],
            Counted::new(&[CARD, PHONE], LedgerKind::Return, refunded.0, bonus.0)
        );
        // Only one quadcopter is left to return.
        let two = [position(1, 0, "2.000", refunded)];
        let wire = post(addr, request("confirm", "refundReceipt", "refund-2", &card(), &two, &tail)).await;
        assert!(wire.code() != 0 && wire.error().contains("осталось 1"), "{}", wire.body);
    }

    #[tokio::test]
    async fn a_second_cancel_is_code_5_and_a_bonus_no_longer_held_is_refused_in_confirm() {
        let (emulator, addr) = start().await;
        let balance = emulator.balance(CARD).expect("client");
        let shares = pay(addr, "sale-2", Money(100_00)).await;
        assert_eq!(emulator.balance(CARD), Some(Money(balance.0 - 100_00)), "debited at once");
        assert_eq!(emulator.ledger().open_debits.len(), 1);
        let tail = format!(
            r#","payment":{{"mode":"nonFiscal","amount":100.00}}{}"#,
            payments(&[("bonus", "nonFiscal", Money(100_00))])
        );
        let cancel = request("cancelBonusPayment", "receipt", "sale-2", &card(), &sold(after(shares)), &tail);
        assert_eq!(post(addr, cancel.clone()).await.code(), 0);
        assert_eq!(emulator.balance(CARD), Some(balance));
        assert!(emulator.ledger().open_debits.is_empty());
        let again = post(addr, cancel).await;
        assert_eq!((again.status, again.code()), (Some(200), NO_BONUS_TO_CANCEL));
        assert_eq!(again.error(), NO_BONUS_TO_CANCEL_TEXT);

        let wire = post(addr, confirm_body("sale-2", after(shares), Money(100_00))).await;
        assert_eq!((wire.status, wire.code()), (Some(200), DECLINED), "{}", wire.body);
        assert!(wire.error().contains("не держит"), "{}", wire.error());
        assert!(emulator.ledger().counted.is_empty());
        assert_eq!(
            post(addr, confirm_body("sale-2", FULL, Money::ZERO)).await.code(),
            0,
            "without the bonus it is fine"
        );
    }

    #[tokio::test]
    async fn a_confirm_leaving_out_a_held_bonus_or_another_client_is_refused() {
        let (emulator, addr) = start().await;
        let shares = pay(addr, "sale-3", Money(50_00)).await;
        let totals = after(shares);
        let cash_only = Money(totals[0].0 + totals[1].0 + 50_00);
        let body = request(
            "confirm",
            "receipt",
            "sale-3",
            &card(),
            &sold(FULL),
            &payments(&[("cash", "fiscal", cash_only)]),
        );
        let wire = post(addr, body).await;
        assert!(wire.code() != 0 && wire.error().contains("оплаты бонусом нет"), "{}", wire.body);
        let by_phone = format!(r#"{{"mobilePhone":"{PHONE}"}}"#);
        let body = confirm_body("sale-3", totals, Money(50_00)).replace(&card(), &by_phone);
        let wire = post(addr, body).await;
        assert!(wire.code() != 0 && wire.error().contains("клиента не сменить"), "{}", wire.body);
        let ledger = emulator.ledger();
        assert!(ledger.counted.is_empty());
        assert_eq!(ledger.open_debits[0].amount, Money(50_00));
        assert_eq!(ledger.open_debits[0].document, "sale-3");
    }

    #[tokio::test]
    async fn lost_counts_and_never_answers() {
        let (emulator, addr) = start().await;
        emulator.fail(Failure::Lost, 1, 0);
        let wire = post(addr, confirm_body("sale-4", FULL, Money::ZERO)).await;
        assert!(!wire.body.contains("code"), "no answer: {:?} {}", wire.status, wire.body);
        assert_eq!(emulator.ledger().counted.len(), 1, "counted all the same");
        assert_eq!(post(addr, confirm_body("sale-4", FULL, Money::ZERO)).await.code(), 0, "the resend");
        assert_eq!(emulator.ledger().counted.len(), 1);
    }

    #[tokio::test]
    async fn malformed_is_processed_and_answers_an_unreadable_body() {
        let (emulator, addr) = start().await;
        let balance = emulator.balance(CARD).expect("client");
        emulator.fail(Failure::Malformed, 1, 0);
        let wire = post(addr, confirm_body("sale-5", FULL, Money::ZERO)).await;
        assert_eq!(wire.status, Some(200));
        assert!(
            !wire.body.is_empty() && serde_json::from_str::<Value>(&wire.body).is_err(),
            "{}",
            wire.body
        );
        assert_eq!(emulator.ledger().counted.len(), 1);
        assert!(emulator.balance(CARD).expect("client") > balance, "accrued");
    }

    #[tokio::test]
    async fn a_resent_confirm_counts_once_and_a_reused_uid_is_refused() {
        let (emulator, addr) = start().await;
        let body = confirm_body("sale-6", FULL, Money::ZERO);
        assert_eq!(post(addr, body.clone()).await.code(), 0);
        let balance = emulator.balance(CARD);
        assert_eq!(post(addr, body).await.code(), 0);
        assert_eq!(emulator.balance(CARD), balance, "accrued once");
        let ledger = emulator.ledger();
        assert_eq!(ledger.counted, vec![Counted::new(&[CARD, PHONE], LedgerKind::Sale, 5571_62, 0)]);
        let other = confirm_body("sale-6", [Money(4000_00), FULL[1]], Money::ZERO);
        assert_eq!(post(addr, other).await.code(), DECLINED);
        assert_eq!(emulator.ledger().counted.len(), 1);
    }
}
