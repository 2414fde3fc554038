//! A KilBil server that follows `../shared/specs/kilbil.txt`: it checks the
//! key `h` (HTTP 401 otherwise), validates every field it reads, keeps
//! clients, balances, SMS codes and moves, computes discounts and the bonus
//! write-off by simple rules, confirms a move once (a repeated `confirmsale`
//! answers success and changes nothing), refuses a return of what was not
//! sold, misbehaves on command, and logs what it received.
//!
//! SMS codes are not sent anywhere: the code is the last four digits of the
//! phone (printed by `kassa emulate kilbil`), so the demo and tests know it.
//! Refusals are HTTP 200 with `result_code` ≠ 0 and a `message`.
//!
//! Control (for tests): `POST /control` with `{"fail": MODE, "times": N}`;
//! `GET /log` returns the requests received.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use super::{Failure, Misbehaviour};
use crate::core::money::{Money, Quantity};
use crate::core::receipt::distribute;
use crate::loyalty::kilbil::wire::{self, Amount, Qty};

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

#[derive(Debug, Clone)]
struct Move {
    client: Option<u64>,
    kind: u8,
    goods: Vec<wire::Good>,
    /// What the answer gave: the new unit price and the bonus per line.
    items: Vec<wire::Item>,
    bonus_out: Money,
    doc_open_dt: String,
    return_of: Option<String>,
    confirmed: Option<Confirmed>,
}

#[derive(Debug, Clone)]
struct Confirmed {
    /// Money paid (discounted totals less bonus) and bonuses accrued.
    paid: Money,
    accrued: Money,
    /// For a sale: what returns took back, per code, in thousandths.
    returned: HashMap<String, i64>,
}

#[derive(Debug)]
struct Inner {
    key: String,
    rules: Rules,
    clients: Vec<Client>,
    next_id: u64,
    /// Codes sent and not yet used: client id → (code, attempts left).
    codes: HashMap<u64, (String, u32)>,
    moves: HashMap<String, Move>,
    log: Vec<Logged>,
    misbehaviour: Misbehaviour,
}

#[derive(Clone)]
pub struct Emulator(Arc<Mutex<Inner>>);

type Answer = Result<Value, (i64, String)>;

fn refuse(code: i64, text: impl Into<String>) -> (i64, String) {
    (code, text.into())
}

/// Result codes of the emulator's refusals.
const BAD_REQUEST: i64 = 1;
const NOT_FOUND: i64 = 3;
const ALREADY_CONFIRMED: i64 = 4;
const NOT_ENOUGH: i64 = 5;
const WRONG_CODE: i64 = 6;
const CODE_EXPIRED: i64 = 7;
const PHONE_TAKEN: i64 = 8;
const INJECTED: i64 = 99;

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, (i64, String)> {
    serde_json::from_slice(body).map_err(|e| refuse(BAD_REQUEST, format!("неверный запрос: {e}")))
}

fn valid_phone(phone: &str) -> Result<(), (i64, String)> {
    if phone.len() == 11 && phone.starts_with('7') && phone.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(refuse(BAD_REQUEST, format!("phone «{phone}»: нужно 11 цифр, первая 7")))
    }
}

fn valid_date(name: &str, value: &str) -> Result<NaiveDateTime, (i64, String)> {
    NaiveDateTime::parse_from_str(value, wire::DATE_TIME).map_err(|_| refuse(BAD_REQUEST, format!("{name} «{value}»: не дата")))
}

/// `<store>-<register>-<shift>-<YYYYMMDD>-<number>`.
fn valid_move_id(move_id: &str) -> Result<(), (i64, String)> {
    let parts: Vec<&str> = move_id.split('-').collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ok = parts.len() == 5
        && !parts[0].is_empty()
        && !parts[1].is_empty()
        && digits(parts[2])
        && parts[3].len() == 8
        && digits(parts[3])
        && digits(parts[4]);
    if ok {
        Ok(())
    } else {
        Err(refuse(BAD_REQUEST, format!("move_id «{move_id}»: неверный формат")))
    }
}

fn sum(values: impl Iterator<Item = Money>) -> Money {
    Money(values.map(|m| m.0).sum())
}

fn client_answer(client: Option<&Client>) -> Value {
    match client {
        None => json!({"result_code": 0, "client_id": null, "bonus_balance": null, "card_code": null, "phone": null,
            "birth_date": null, "first_name": null, "middle_name": null, "last_name": null, "max_bill_bonus_out": null}),
        Some(c) => json!({"result_code": 0, "client_id": c.id, "bonus_balance": Amount(c.balance), "card_code": c.card,
            "phone": c.phone, "birth_date": c.birth_date, "first_name": c.first_name, "middle_name": c.middle_name,
            "last_name": c.last_name, "max_bill_bonus_out": Amount(c.max_bill_bonus_out)}),
    }
}

impl super::Misbehaving for Emulator {
    fn misbehaviour<R>(&self, f: impl FnOnce(&mut Misbehaviour) -> R) -> R {
        f(&mut self.lock().misbehaviour)
    }
}

impl Emulator {
    pub fn new(key: &str, clients: Vec<Client>, rules: Rules) -> Emulator {
        let next_id = clients.iter().map(|c| c.id).max().unwrap_or(1000) + 1;
        Emulator(Arc::new(Mutex::new(Inner {
            key: key.to_string(),
            rules,
            clients,
            next_id,
            codes: HashMap::new(),
            moves: HashMap::new(),
            log: Vec::new(),
            misbehaviour: Misbehaviour::default(),
        })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        super::lock(&self.0)
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
        self.lock().moves.get(move_id).is_some_and(|m| m.confirmed.is_some())
    }
}

impl super::Serving for Emulator {
    fn router(&self) -> Router {
        Router::new()
            .route("/load/{function}", post(function))
            .route("/control", post(super::control::<Emulator>))
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

async fn function(State(emulator): State<Emulator>, Path(function): Path<String>, RawQuery(query): RawQuery, body: Bytes) -> Response {
    let (failure, delay) = {
        let mut inner = emulator.lock();
        let key_ok = key_of(query.as_deref()).as_deref() == Some(inner.key.as_str());
        let logged = Logged {
            function: function.clone(),
            key_ok,
            body: String::from_utf8_lossy(&body).to_string(),
        };
        inner.misbehaviour.say(&function, &body);
        inner.log.push(logged);
        if !key_ok {
            return (StatusCode::UNAUTHORIZED, "wrong key").into_response();
        }
        (inner.misbehaviour.take(), inner.misbehaviour.delay)
    };
    match failure {
        Some(Failure::Http500) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
        Some(Failure::Error) => {
            return Json(json!({"result_code": INJECTED, "message": "Ошибка сервера лояльности (эмулятор)"})).into_response();
        }
        Some(Failure::Malformed) => return (StatusCode::OK, "{\"result_code\": 0, \"bill_data\": [").into_response(),
        Some(Failure::Drop) => {
            return super::dropped();
        }
        _ => {}
    }
    let result = {
        let mut inner = emulator.lock();
        let skew = failure == Some(Failure::BadDistribution);
        match function.as_str() {
            wire::SEARCH_CLIENT => inner.search(&body),
            wire::ASK_CONFIRM_PHONE => inner.ask_code(&body),
            wire::CHECK_CONFIRM_PHONE_CODE => inner.check_code(&body),
            wire::ADD_CLIENT => inner.add_client(&body),
            wire::PROCESS_SALE => inner.process_sale(&body, skew),
            wire::CONFIRM_SALE => inner.confirm_sale(&body),
            wire::GET_DETAILING_BY_MOVE => inner.detailing(&body),
            _ => return (StatusCode::NOT_FOUND, "no such function").into_response(),
        }
    };
    if failure == Some(Failure::Timeout) {
        // Processed, then answered too late: a resend must not count twice.
        tokio::time::sleep(delay).await;
    }
    match result {
        Ok(answer) => Json(answer).into_response(),
        Err((code, message)) => Json(json!({"result_code": code, "message": message})).into_response(),
    }
}

impl Inner {
    fn client(&self, id: &Value) -> Result<usize, (i64, String)> {
        let id = id.as_u64().or_else(|| id.as_str().and_then(|s| s.parse().ok()));
        id.and_then(|id| self.clients.iter().position(|c| c.id == id))
            .ok_or_else(|| refuse(NOT_FOUND, "Клиент не найден"))
    }

    fn search(&self, body: &[u8]) -> Answer {
        let r: wire::SearchClient = parse(body)?;
        let found = match r.search_mode {
            wire::BY_PHONE => {
                valid_phone(&r.search_value)?;
                self.clients.iter().find(|c| c.phone.as_deref() == Some(r.search_value.as_str()))
            }
            wire::BY_CARD if !r.search_value.trim().is_empty() => {
                self.clients.iter().find(|c| c.card.as_deref() == Some(r.search_value.as_str()))
            }
            mode => {
                return Err(refuse(
                    BAD_REQUEST,
                    format!("search_mode {mode} / search_value «{}»", r.search_value),
                ));
            }
        };
        Ok(client_answer(found))
    }

    fn ask_code(&mut self, body: &[u8]) -> Answer {
        let r: wire::AskConfirmPhone = parse(body)?;
        valid_phone(&r.phone)?;
        if r.sms_type != wire::SMS_REGISTRATION && r.sms_type != wire::SMS_SPEND {
            return Err(refuse(BAD_REQUEST, format!("sms_type {}", r.sms_type)));
        }
        let index = self.client(&r.client_id)?;
        if self.clients[index].phone.as_deref() != Some(r.phone.as_str()) {
            return Err(refuse(BAD_REQUEST, "Телефон не совпадает с телефоном клиента"));
        }
        let code = sms_code(&r.phone);
        if self.misbehaviour.echo {
            // The emulator's "SMS": the person at `kassa emulate` reads the code here.
            let _ = writeln!(std::io::stdout(), "SMS на {}: код {code}", r.phone);
        }
        self.codes.insert(self.clients[index].id, (code, 3));
        Ok(json!({"success": 1, "result_code": 0}))
    }

    fn check_code(&mut self, body: &[u8]) -> Answer {
        let r: wire::CheckConfirmPhoneCode = parse(body)?;
        valid_phone(&r.phone)?;
        let index = self.client(&r.client_id)?;
        let id = self.clients[index].id;
        if self.clients[index].phone.as_deref() != Some(r.phone.as_str()) {
            return Err(refuse(BAD_REQUEST, "Телефон не совпадает с телефоном клиента"));
        }
        let Some((code, left)) = self.codes.get_mut(&id) else {
            return Err(refuse(CODE_EXPIRED, "Код не запрашивался или устарел: запросите новый"));
        };
        if *code != r.code {
            *left -= 1;
            if *left == 0 {
                self.codes.remove(&id);
                return Err(refuse(CODE_EXPIRED, "Неверный код; попытки исчерпаны, запросите новый"));
            }
            return Err(refuse(WRONG_CODE, "Неверный код подтверждения"));
        }
        self.codes.remove(&id);
        self.clients[index].confirmed = true;
        Ok(json!({"success": 1, "result_code": 0}))
    }

    fn add_client(&mut self, body: &[u8]) -> Answer {
        let r: wire::AddClient = parse(body)?;
        valid_phone(&r.phone)?;
        let taken = self.clients.iter().find(|c| c.phone.as_deref() == Some(r.phone.as_str()));
        if r.client_id.is_null() {
            if taken.is_some() {
                return Err(refuse(PHONE_TAKEN, "Клиент с таким телефоном уже есть"));
            }
            let id = self.next_id;
            self.next_id += 1;
            self.clients.push(Client {
                id,
                card: None,
                phone: Some(r.phone.clone()),
                last_name: None,
                first_name: None,
                middle_name: None,
                birth_date: None,
                balance: Money::ZERO,
                max_bill_bonus_out: self.rules.max_bill_bonus_out,
                confirmed: false,
            });
            return Ok(json!({"success": 1, "result_code": 0, "client_id": id}));
        }
        let index = self.client(&r.client_id)?;
        if taken.is_some_and(|c| c.id != self.clients[index].id) {
            return Err(refuse(PHONE_TAKEN, "Клиент с таким телефоном уже есть"));
        }
        self.clients[index].phone = Some(r.phone);
        self.clients[index].confirmed = false;
        Ok(json!({"success": 1, "result_code": 0, "client_id": self.clients[index].id}))
    }

    fn check_goods(goods: &[wire::Good]) -> Result<(), (i64, String)> {
        if goods.is_empty() {
            return Err(refuse(BAD_REQUEST, "good_data: пусто"));
        }
        for (i, g) in goods.iter().enumerate() {
            let full = g.price.0.times(g.quantity.0).unwrap_or(Money::ZERO);
            let floor = g.min_price.0.times(g.quantity.0).unwrap_or(Money::ZERO);
            let problem = if g.code.trim().is_empty() {
                Some("code пуст".to_string())
            } else if !g.quantity.0.is_positive() || g.price.0.is_negative() {
                Some("quantity и price должны быть положительны".into())
            } else if g.total.0 > full || g.total.0.is_negative() {
                Some(format!("total {} больше price × quantity {full}", g.total.0))
            } else if g.total.0 < floor {
                Some(format!("total {} ниже minPrice × quantity {floor}", g.total.0))
            } else if g.discounted_price != g.price || g.discounted_total != g.total {
                Some("discounted_price/discounted_total должны быть равны price/total".into())
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(refuse(BAD_REQUEST, format!("good_data[{i}]: {problem}")));
            }
        }
        Ok(())
    }

    /// New unit prices: the client's discount and the promo, within minPrice.
    fn prices(&self, goods: &[wire::Good], identified: bool, promo: bool) -> Vec<Money> {
        let off = if identified { self.rules.discount } else { 0 } + if promo { self.rules.promo_discount } else { 0 };
        goods
            .iter()
            .map(|g| {
                let cut = g.price.0.percent(off).unwrap_or(Money::ZERO);
                Money(g.price.0.0 - cut.0).max(g.min_price.0)
            })
            .collect()
    }

    fn process_sale(&mut self, body: &[u8], skew: bool) -> Answer {
        let r: wire::ProcessSale = parse(body)?;
        valid_move_id(&r.move_id)?;
        valid_date("doc_open_dt", &r.doc_open_dt)?;
        Self::check_goods(&r.good_data)?;
        if self.moves.get(&r.move_id).is_some_and(|m| m.confirmed.is_some()) {
            return Err(refuse(ALREADY_CONFIRMED, format!("Чек {} уже подтверждён", r.move_id)));
        }
        let client = if r.client_id.is_null() {
            None
        } else {
            Some(self.client(&r.client_id)?)
        };
        let return_of = match r.kind {
            wire::SALE => {
                if r.return_move_id.is_some() || r.return_doc_dt.is_some() {
                    return Err(refuse(BAD_REQUEST, "return_move_id/return_doc_dt передаются только для возврата"));
                }
                None
            }
            wire::RETURN => Some(self.check_return(&r)?),
            kind => return Err(refuse(BAD_REQUEST, format!("type {kind}"))),
        };
        let promo = r.promo_codes.len() <= 1 && r.promo_codes.iter().any(|c| c == PROMO);
        if r.promo_codes.len() > 1 {
            return Err(refuse(BAD_REQUEST, "Промокод может быть только один"));
        }
        let bonus_out = r.bonus_out.0;
        let prices = match (&return_of, client) {
            // A return keeps the sale's prices: nothing new is computed.
            (Some(_), _) => r.good_data.iter().map(|g| g.price.0).collect(),
            (None, client) => self.prices(&r.good_data, client.is_some(), promo),
        };
        let totals: Vec<Money> = r
            .good_data
            .iter()
            .zip(&prices)
            .map(|(g, p)| p.times(g.quantity.0).unwrap_or(Money::ZERO).min(g.total.0))
            .collect();
        let floors: Vec<Money> = r
            .good_data
            .iter()
            .map(|g| g.min_price.0.times(g.quantity.0).unwrap_or(Money::ZERO))
            .collect();
        let rooms: Vec<Money> = totals.iter().zip(&floors).map(|(t, f)| Money((t.0 - f.0).max(0))).collect();
        if bonus_out.is_negative() || (!bonus_out.is_zero() && (client.is_none() || return_of.is_some())) {
            return Err(refuse(
                BAD_REQUEST,
                format!("bonus_out {bonus_out}: списание только в продаже клиента"),
            ));
        }
        if let Some(index) = client.filter(|_| return_of.is_none()) {
            let c = &self.clients[index];
            if r.max_bonus_out.0 != c.max_bill_bonus_out {
                return Err(refuse(
                    BAD_REQUEST,
                    format!("max_bonus_out {} ≠ max_bill_bonus_out {}", r.max_bonus_out.0, c.max_bill_bonus_out),
                ));
            }
            let limit = c.max_bill_bonus_out.min(c.balance).min(sum(rooms.iter().copied()));
            if bonus_out > limit {
                return Err(refuse(NOT_ENOUGH, format!("Списать можно не больше {limit}")));
            }
        }
        let mut shares = distribute(bonus_out, &totals, &rooms);
        if skew && shares.len() > 1 {
            // Misbehaviour on command: everything on the first line, past its minimum price.
            shares = vec![Money::ZERO; totals.len()];
            shares[0] = bonus_out;
        }
        let items: Vec<wire::Item> = r
            .good_data
            .iter()
            .zip(prices.iter().zip(&shares))
            .map(|(g, (price, share))| wire::Item {
                code: g.code.clone(),
                discounted_price: Amount(*price),
                price: g.price,
                bonus_out: Some(Amount(*share)),
            })
            .collect();
        self.moves.insert(
            r.move_id.clone(),
            Move {
                client: client.map(|i| self.clients[i].id),
                kind: r.kind,
                goods: r.good_data.clone(),
                items: items.clone(),
                bonus_out,
                doc_open_dt: r.doc_open_dt.clone(),
                return_of,
                confirmed: None,
            },
        );
        Ok(json!({"result_code": 0, "bill_data": {"items": items, "bonus_out": Amount(bonus_out)}}))
    }

    /// A return names a confirmed sale of the same client, on its date, and
    /// takes back no more of each good than the sale had left.
    fn check_return(&self, r: &wire::ProcessSale) -> Result<String, (i64, String)> {
        let (Some(sale_id), Some(sale_dt)) = (&r.return_move_id, &r.return_doc_dt) else {
            return Err(refuse(BAD_REQUEST, "возврат: нужны return_move_id и return_doc_dt"));
        };
        valid_date("return_doc_dt", sale_dt)?;
        let sale = self
            .moves
            .get(sale_id)
            .filter(|m| m.kind == wire::SALE && m.confirmed.is_some())
            .ok_or_else(|| refuse(NOT_FOUND, format!("Чек продажи {sale_id} не найден")))?;
        if &sale.doc_open_dt != sale_dt {
            return Err(refuse(
                BAD_REQUEST,
                format!("return_doc_dt {sale_dt} ≠ дата продажи {}", sale.doc_open_dt),
            ));
        }
        let client = if r.client_id.is_null() {
            None
        } else {
            self.client(&r.client_id).ok().map(|i| self.clients[i].id)
        };
        if client != sale.client {
            return Err(refuse(BAD_REQUEST, "Клиент возврата не совпадает с клиентом продажи"));
        }
        let returned = sale.confirmed.as_ref().map(|c| &c.returned);
        for g in &r.good_data {
            let sold: i64 = sale
                .goods
                .iter()
                .filter(|s| s.code == g.code)
                .map(|s| s.quantity.0.thousandths())
                .sum();
            let before = returned.and_then(|m| m.get(&g.code)).copied().unwrap_or(0);
            let now: i64 = r
                .good_data
                .iter()
                .filter(|x| x.code == g.code)
                .map(|x| x.quantity.0.thousandths())
                .sum();
            if before + now > sold {
                return Err(refuse(
                    BAD_REQUEST,
                    format!("Товара {} в чеке продажи меньше, чем возвращается", g.code),
                ));
            }
        }
        Ok(sale_id.clone())
    }

    fn confirm_sale(&mut self, body: &[u8]) -> Answer {
        let r: wire::ConfirmSale = parse(body)?;
        valid_move_id(&r.move_id)?;
        let opened = valid_date("doc_open_dt", &r.doc_open_dt)?;
        let closed = valid_date("doc_dt", &r.doc_dt)?;
        if closed < opened {
            return Err(refuse(BAD_REQUEST, "doc_dt раньше doc_open_dt"));
        }
        let Some(m) = self.moves.get(&r.move_id).cloned() else {
            return Err(refuse(NOT_FOUND, format!("Чек {} не найден: сначала processsale", r.move_id)));
        };
        if m.doc_open_dt != r.doc_open_dt {
            return Err(refuse(BAD_REQUEST, format!("doc_open_dt {} ≠ {}", r.doc_open_dt, m.doc_open_dt)));
        }
        if m.confirmed.is_some() {
            // Idempotent: the move counts once.
            return Ok(json!({"result_code": 0}));
        }
        let index = m.client.and_then(|id| self.clients.iter().position(|c| c.id == id));
        let total = sum(m
            .goods
            .iter()
            .zip(&m.items)
            .map(|(g, i)| i.discounted_price.0.times(g.quantity.0).unwrap_or(Money::ZERO).min(g.total.0)));
        let paid = Money(total.0 - m.bonus_out.0);
        let (accrued, balance_change) = match &m.return_of {
            None => {
                if let Some(i) = index
                    && self.clients[i].balance < m.bonus_out
                {
                    return Err(refuse(NOT_ENOUGH, "Недостаточно бонусов"));
                }
                let accrued = if index.is_some() {
                    paid.percent(self.rules.accrual).unwrap_or(Money::ZERO)
                } else {
                    Money::ZERO
                };
                (accrued, accrued.0 - m.bonus_out.0)
            }
            Some(sale_id) => {
                // The sale's accrual goes back and its bonus payment comes back, in proportion.
                let sale = self
                    .moves
                    .get(sale_id)
                    .and_then(|s| s.confirmed.clone())
                    .ok_or_else(|| refuse(NOT_FOUND, "Чек продажи не найден"))?;
                let sale_bonus = self.moves.get(sale_id).map_or(Money::ZERO, |s| s.bonus_out);
                let sale_total = Money(sale.paid.0 + sale_bonus.0);
                let share = |amount: Money| amount.share(total.0, sale_total.0.max(1)).unwrap_or(Money::ZERO);
                (Money::ZERO, share(sale_bonus).0 - share(sale.accrued).0)
            }
        };
        if let Some(i) = index {
            self.clients[i].balance = Money(self.clients[i].balance.0 + balance_change);
        }
        if let Some(sale_id) = &m.return_of
            && let Some(sale) = self.moves.get_mut(sale_id).and_then(|s| s.confirmed.as_mut())
        {
            for g in &m.goods {
                *sale.returned.entry(g.code.clone()).or_default() += g.quantity.0.thousandths();
            }
        }
        if let Some(stored) = self.moves.get_mut(&r.move_id) {
            stored.confirmed = Some(Confirmed {
                paid,
                accrued,
                returned: HashMap::new(),
            });
        }
        Ok(json!({"result_code": 0}))
    }

    fn detailing(&self, body: &[u8]) -> Answer {
        let r: wire::GetDetailingByMove = parse(body)?;
        valid_move_id(&r.move_id)?;
        let m = self
            .moves
            .get(&r.move_id)
            .filter(|m| m.confirmed.is_some())
            .ok_or_else(|| refuse(NOT_FOUND, format!("Чек {} не найден", r.move_id)))?;
        let detail: Vec<wire::MoveLine> = m
            .goods
            .iter()
            .zip(&m.items)
            .map(|(g, i)| wire::MoveLine {
                code: g.code.clone(),
                price: i.discounted_price,
                total: Amount(i.discounted_price.0.times(g.quantity.0).unwrap_or(Money::ZERO).min(g.total.0)),
                quantity: Qty(Quantity(g.quantity.0.thousandths())),
            })
            .collect();
        Ok(json!({"result_code": 0, "move_info": {"oper_type": m.kind}, "move_detail": detail}))
    }
}
