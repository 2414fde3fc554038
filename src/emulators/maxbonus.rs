//! A MaxBonus (cashbox REST API 2.0.6) server modelled on
//! `../shared/specs/maxbonus.txt` and the readings in `loyalty::maxbonus::wire`.
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
//! the same check and customer; a second write of a written check is refused
//! "Такой чек уже проведен" until it is rolled back; a customer with
//! `n_checkpin` spends only after a right checkpin. Returns give back the
//! returned positions' share of the write-off and take back their share of
//! the accrual (on cumulative quantities, so parts add up to the whole).
//! Its books ([`Emulator::ledger`]) are what `expect ledger` reconciles
//! with kassa's journal.
//!
//! Control (for tests): `POST /control` with `{"fail": MODE, "times": N}`
//! (`lost` and `malformed` process the request first, then drop the answer
//! or cut its body short); `GET /log`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Misbehaviour, sum};
use crate::core::ledger::{Counted, Kind, Ledger};
use crate::core::money::{Money, Quantity};
use crate::loyalty::maxbonus::wire;
use wire::{Amount, AmountText};

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

#[derive(Debug, Clone, PartialEq, Eq)]
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

#[derive(Debug, Clone, PartialEq, Eq)]
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
        certificate("CERT-USED", "2222", wire::CERT_UNUSABLE, "погашен", 0),
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
#[derive(Debug, Clone)]
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

#[derive(Debug, Clone)]
struct Calc {
    check_id: String,
    /// `None`: the anonymous customer.
    customer: Option<usize>,
    items: Vec<Priced>,
    certificates: Vec<(String, Money)>,
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
#[derive(Debug, Clone)]
struct Written {
    /// When it was written, among all writes: the books list checks in this order.
    order: u64,
    calc: Calc,
    /// Per position (index into `calc.items`): the quantity returned so far.
    returned: Vec<Quantity>,
    returns: Vec<Refund>,
}

/// One return of a written check as the server booked it.
#[derive(Debug, Clone)]
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
    goods: HashMap<String, wire::Good>,
    /// SMS sent, by phone (registration codes, pins, chat-bot links).
    sms: Vec<(String, &'static str)>,
    issued: u64,
    log: Vec<Logged>,
    misbehaviour: Misbehaviour,
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

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| bad(format!("неверный запрос: {e}")))
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
    if super::is_russian_mobile(phone) {
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

impl super::Misbehaving for Emulator {
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
        })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        super::lock(&self.0)
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

    /// How many requests reached `path` (e.g. [`wire::ROLLBACK`]).
    pub fn calls(&self, path: &str) -> usize {
        let full = format!("{}{path}", wire::BASE);
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

impl super::Serving for Emulator {
    fn router(&self) -> Router {
        Router::new()
            .route("/api/cashbox/{*method}", post(method))
            .route("/control", post(super::control::<Emulator>))
            .route("/log", get(log))
            .with_state(self.clone())
    }
}

async fn log(State(emulator): State<Emulator>) -> Json<Vec<Logged>> {
    Json(emulator.log())
}

fn answer(result: Answer) -> super::JsonAnswer {
    match result {
        Ok(value) => (StatusCode::OK, value.to_string()),
        // A struct of a number and a text always serialises.
        Err((status, code, message)) => (
            status,
            serde_json::to_string(&wire::ErrorAnswer::new(code, message)).unwrap_or_default(),
        ),
    }
}

async fn method(State(emulator): State<Emulator>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().trim_start_matches(wire::BASE).to_string();
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
            return super::json_response(answer(Err(refuse(StatusCode::UNAUTHORIZED, 401, "Unauthorized"))));
        }
        inner.misbehaviour.take()
    };
    let injected = || answer(Err(refuse(StatusCode::BAD_REQUEST, 500, "Ошибка MaxBonus (эмулятор)")));
    super::answer_as_fated(fate, injected, || answer(emulator.lock().serve(&path, &body))).await
}

impl Inner {
    /// The method at `path` (below [`wire::BASE`]).
    fn serve(&mut self, path: &str, body: &[u8]) -> Answer {
        match path {
            wire::AUTH => self.auth(body),
            wire::AUTH_QR => self.auth_qr(body),
            wire::REGISTER => self.register(body),
            wire::REGISTER_REPEAT => self.register_repeat(body),
            wire::REGISTER_CONFIRM => self.register_confirm(body),
            wire::CHAT_BOT => self.chat_bot(body),
            wire::ASK_PIN => self.ask_pin(body),
            wire::CHECK_PIN => self.check_pin(body),
            wire::CALC => self.calc(body),
            wire::WRITE => self.write(body),
            wire::RETURN => self.return_check(body),
            wire::ROLLBACK => self.rollback(body),
            wire::CERT_INFO => self.cert_info(body),
            wire::IMPORT => self.import(body),
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
        let request: wire::CustomerRegister = json_body(body)?;
        if !self.pending.contains(&request.phone) {
            return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, 424, "Регистрация не начата"));
        }
        if request.pin != SMS_CODE {
            return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, 423, "Неверный код из SMS"));
        }
        if request.first_name.trim().is_empty() {
            return Err(bad("first_name: имя обязательно"));
        }
        if let Some(date) = &request.birth_date
            && chrono::NaiveDate::parse_from_str(date, wire::DATE).is_err()
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
        if token == wire::ANONYMOUS_TOKEN {
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
        if field(&form, "pin")? != SMS_CODE {
            return Err(refuse(StatusCode::FORBIDDEN, wire::WRONG_PIN, "Неверный пин-код"));
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
    fn price(&self, request: &wire::CalcCheck) -> Result<Calc, Refusal> {
        let customer = self.token(&request.customer_token)?;
        if request.check_id.trim().is_empty() || request.number.trim().is_empty() {
            return Err(bad("check_id и number обязательны"));
        }
        if chrono::NaiveDateTime::parse_from_str(&request.date, "%Y-%m-%d %H:%M:%S").is_err() {
            return Err(bad(format!("date «{}»: нужно ГГГГ-ММ-ДД ЧЧ:ММ:СС", request.date)));
        }
        if request.items.is_empty() {
            return Err(bad("items: чек пуст"));
        }
        let codes = [&request.coupon, &request.gift_code];
        let coupon = codes.iter().any(|c| c.as_deref() == Some(COUPON));
        let gift = codes.iter().any(|c| c.as_deref() == Some(GIFT_CODE));
        let mut items = price_items(&request.items, coupon, customer.is_some())?;
        let max_total = max_bonus(&items).min(self.balance_of(customer));
        let bonus = request.bonus.0;
        if bonus.is_negative() || bonus > max_total {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                426,
                format!("Списать можно не больше {max_total}"),
            ));
        }
        spread(&mut items, bonus);
        let certificates = self.certificates_paying(&request.certificate, sum(items.iter().map(Priced::money)))?;
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
            gift: if gift && customer.is_some() { GIFT_BONUS } else { Money::ZERO },
        })
    }

    /// A customer's balance; the anonymous one has none.
    fn balance_of(&self, customer: Option<usize>) -> Money {
        customer.map_or(Money::ZERO, |c| self.customers[c].balance)
    }

    /// The certificates a calculation pays with, each known, with its pin,
    /// usable and holding the sum; together no more than the `money` due.
    fn certificates_paying(&self, requested: &[wire::Certificate], money: Money) -> Result<Vec<(String, Money)>, Refusal> {
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
            if known.status_code == wire::CERT_UNUSABLE {
                return Err(refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    432,
                    format!("Сертификат {}: {}", c.code, known.status),
                ));
            }
            if c.summ.0.is_negative() || c.summ.0 > known.balance {
                return Err(refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    433,
                    format!("На сертификате {} только {}", c.code, known.balance),
                ));
            }
            certificates.push((c.code.clone(), c.summ.0));
        }
        if sum(certificates.iter().map(|(_, summ)| *summ)) > money {
            return Err(bad("сертификатами больше, чем стоит чек"));
        }
        Ok(certificates)
    }

    fn calc(&mut self, body: &[u8]) -> Answer {
        let request: wire::CalcCheck = json_body(body)?;
        let calc = self.price(&request)?;
        self.issued += 1;
        let calc_id = format!("calc-{}", self.issued);
        let balance = self.balance_of(calc.customer);
        let name = calc
            .customer
            .map(|c| format!("{} {}", self.customers[c].first_name, self.customers[c].last_name));
        let max = max_bonus(&calc.items).min(balance);
        let message = match (
            &request.coupon,
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
            "certificate": calc.certificates.iter().map(|(code, summ)| json!({"code": code, "summ": AmountText(*summ)})).collect::<Vec<_>>(),
            "message": message,
        });
        self.calcs.insert(calc_id, calc);
        Ok(answer)
    }

    fn write(&mut self, body: &[u8]) -> Answer {
        let request: wire::WriteCheck = json_body(body)?;
        let customer = self.token(&request.customer_token)?;
        let calc = self
            .calcs
            .get(&request.calc_id)
            .cloned()
            .ok_or_else(|| refuse(StatusCode::UNPROCESSABLE_ENTITY, 427, "Расчёт не найден"))?;
        if calc.check_id != request.check_id || calc.customer != customer {
            return Err(bad("calc_id относится к другому чеку или покупателю"));
        }
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
        for (code, summ) in &calc.certificates {
            let index = self.certificate(code)?;
            if *summ > self.certificates[index].balance {
                return Err(refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    433,
                    format!("На сертификате {code} недостаточно средств"),
                ));
            }
        }
        for (code, summ) in &calc.certificates {
            let index = self.certificate(code)?;
            self.certificates[index].balance.0 -= summ.0;
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
        let request: wire::Rollback = json_body(body)?;
        let written = self
            .written
            .remove(&request.check_id)
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, wire::NO_SUCH_CHECK, "Чек не найден"))?;
        let calc = &written.calc;
        if let Some(index) = calc.customer {
            let c = &mut self.customers[index];
            c.balance = Money(c.balance.0 + calc.bonus_pay().0 - calc.accrual().0);
        }
        for (code, summ) in &calc.certificates {
            let index = self.certificate(code)?;
            self.certificates[index].balance.0 += summ.0;
        }
        Ok(json!({ "success": true }))
    }

    fn return_check(&mut self, body: &[u8]) -> Answer {
        let request: wire::ReturnCheck = json_body(body)?;
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
        let request: wire::Import = json_body(body)?;
        for (i, good) in request.goods.iter().enumerate() {
            if good.code.trim().is_empty() || good.name.trim().is_empty() {
                return Err(bad(format!("goods[{i}]: code и name обязательны")));
            }
            if good.price.0.is_negative() || !["pcs", "kg"].contains(&good.unit.as_str()) {
                return Err(bad(format!("goods[{i}]: price ≥ 0, unit pcs или kg")));
            }
        }
        let count = request.goods.len();
        for good in request.goods {
            self.goods.insert(good.code.clone(), good);
        }
        Ok(json!({ "imported": count }))
    }
}

/// The positions of a calculation, checked, with the coupon's discount and
/// the most bonuses may pay of each (half of what is left; nothing for the
/// anonymous customer).
fn price_items(items: &[wire::Item], coupon: bool, identified: bool) -> Result<Vec<Priced>, Refusal> {
    let mut priced = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let gross = item.price.0.times(item.quantity.0).unwrap_or(Money::ZERO);
        if item.position as usize != i + 1 || item.code.trim().is_empty() || !item.quantity.0.is_positive() {
            return Err(bad(format!("items[{i}]: position по порядку с 1, code, quantity > 0")));
        }
        if item.summ.0.is_negative() || item.summ.0 > gross {
            return Err(bad(format!("items[{i}]: summ {} больше цены × количество {gross}", item.summ.0)));
        }
        let discount = if coupon {
            percent_down(item.summ.0, COUPON_PERCENT)
        } else {
            Money::ZERO
        };
        let max = if identified {
            percent_down(Money(item.summ.0.0 - discount.0), MAX_SPEND)
        } else {
            Money::ZERO
        };
        priced.push(Priced {
            position: item.position,
            quantity: item.quantity.0,
            summ: item.summ.0,
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
fn returned_now(written: &Written, items: &[wire::Item]) -> Result<Vec<Quantity>, Refusal> {
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
        now[i].0 += item.quantity.0.0;
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
    async fn write_sale(base: &str, token: &str, check_id: &str) -> Value {
        let calc = call(
            base,
            wire::CALC,
            json!({"customer_token": token, "check_id": check_id, "number": "1/1", "date": "2026-11-23 09:00:00",
                "items": [item(1, "1102", 699_90, 1), item(2, "1011", 299_99, 2)], "bonus": 100,
                "certificate": [{"code": "CERT-500", "pin": "3333", "summ": "200"}]}),
        )
        .await;
        json!({"customer_token": token, "calc_id": calc["calc_id"], "check_id": check_id})
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
