//! A Frontol Loyalty API server that follows the spec: it checks the
//! FrontolAuth token (403 on a mismatch), validates every field it reads,
//! keeps clients, balances and documents, computes discounts and the
//! available bonus amount by simple rules, answers with cashierInformation
//! and printingInformation of every element type, asks a validationCode for
//! the clients configured so, is idempotent on a repeated `confirm` of one
//! uid, misbehaves on command, and logs what it received.
//!
//! Control (for tests): `POST /control` with `{"fail": MODE, "times": N}`
//! where MODE is `timeout`, `drop`, `http500`, `error`, `malformed` or
//! `bad_distribution`; `GET /log` returns the requests received.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::core::money::Money;
use crate::core::receipt::distribute;
use crate::loyalty::frontol::token;
use crate::loyalty::frontol::wire::{
    self, Amount, Answer, AnswerClient, AnswerDocument, AnswerPosition, ClientRequest, DocumentRequest, TextBlock,
};

/// A client of the emulated loyalty system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

pub use super::Failure;
use super::Misbehaviour;

/// One request as received: for tests to assert on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logged {
    pub path: String,
    pub authorization: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone, Default)]
struct Document {
    client: String,
    bonus_paid: Money,
    confirmed: Option<Confirmed>,
}

#[derive(Debug, Clone)]
struct Confirmed {
    total: Money,
    accrued: Money,
    bonus: Money,
    refunded_total: Money,
}

#[derive(Debug)]
struct Inner {
    key: Option<String>,
    rules: Rules,
    clients: Vec<Client>,
    documents: HashMap<String, Document>,
    log: Vec<Logged>,
    misbehaviour: Misbehaviour,
}

/// The emulator's shared state: cloneable, one per server.
#[derive(Clone)]
pub struct Emulator(Arc<Mutex<Inner>>);

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

type Reply = Result<Answer, (StatusCode, String)>;

fn refuse(text: impl Into<String>) -> (StatusCode, String) {
    (StatusCode::OK, text.into())
}

fn bad(text: impl Into<String>) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, text.into())
}

impl super::Misbehaving for Emulator {
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
            documents: HashMap::new(),
            log: Vec::new(),
            misbehaviour: Misbehaviour::default(),
        })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        super::lock(&self.0)
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
}

impl super::Serving for Emulator {
    fn router(&self) -> Router {
        Router::new()
            .route("/document", post(document))
            .route("/client", post(client))
            .route("/control", post(super::control::<Emulator>))
            .route("/log", get(log))
            .with_state(self.clone())
    }
}

/// Authorization, logging and misbehaviour shared by both endpoints.
async fn handle(
    emulator: &Emulator,
    path: &str,
    headers: &HeaderMap,
    body: &Bytes,
    answer: impl FnOnce(&mut Inner, Option<Failure>) -> Reply,
) -> Response {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    let (failure, delay) = {
        let mut inner = emulator.lock();
        let logged = Logged {
            path: path.to_string(),
            authorization: authorization.clone(),
            body: String::from_utf8_lossy(body).to_string(),
        };
        inner.misbehaviour.say(path, body);
        inner.log.push(logged);
        if let Some(key) = inner.key.clone().filter(|k| !k.is_empty()) {
            let expected = format!("FrontolAuth {}", token(&key, body));
            if authorization.as_deref() != Some(expected.as_str()) {
                return (StatusCode::FORBIDDEN, Json(json!({"code": 403, "error": "Неверный токен доступа"}))).into_response();
            }
        }
        (inner.misbehaviour.take(), inner.misbehaviour.delay)
    };
    match failure {
        Some(Failure::Http500) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
        Some(Failure::Error) => return Json(json!({"code": 1, "error": "Ошибка сервера лояльности (эмулятор)"})).into_response(),
        Some(Failure::Malformed) => return (StatusCode::OK, "{\"code\": 0, \"document\": [").into_response(),
        Some(Failure::Drop) => {
            return super::dropped();
        }
        _ => {}
    }
    let result = answer(&mut emulator.lock(), failure);
    if failure == Some(Failure::Timeout) {
        // Processed, then answered too late: a resend must not count twice.
        tokio::time::sleep(delay).await;
    }
    match result {
        Ok(answer) => Json(answer).into_response(),
        Err((status, text)) => {
            let code = if status == StatusCode::OK { 1 } else { i64::from(status.as_u16()) };
            (status, Json(json!({"code": code, "error": text}))).into_response()
        }
    }
}

async fn document(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    handle(&emulator, "/document", &headers, &body, |inner, failure| {
        let request: DocumentRequest = serde_json::from_slice(&body).map_err(|e| bad(format!("неверный запрос: {e}")))?;
        inner.document(&request, failure == Some(Failure::BadDistribution))
    })
    .await
}

async fn client(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    handle(&emulator, "/client", &headers, &body, |inner, _| {
        let request: ClientRequest = serde_json::from_slice(&body).map_err(|e| bad(format!("неверный запрос: {e}")))?;
        check_common(
            &request.date_time,
            &request.organization,
            &request.business_unit,
            &request.work_place,
        )?;
        let index = inner.find_client(&request.client)?;
        let c = &inner.clients[index];
        let messages = vec![
            block(&c.name, "center", "large", true),
            block(&format!("Баланс: {} бонусов", c.balance), "left", "medium", false),
        ];
        let slip = json!([[
            {"type": "text", "alignment": "center", "size": "large", "text": "БАЛАНС"},
            {"type": "pair", "left": "Клиент", "right": c.name},
            {"type": "pair", "left": "Бонусов", "right": c.balance.to_string(), "separator": "."},
        ]]);
        Ok(Answer {
            code: 0,
            cashier_information: Some(messages),
            printing_information: Some(slip),
            ..Answer::default()
        })
    })
    .await
}

async fn log(State(emulator): State<Emulator>) -> Json<Vec<Logged>> {
    Json(emulator.log())
}

fn block(text: &str, alignment: &str, size: &str, bold: bool) -> TextBlock {
    TextBlock {
        text: text.to_string(),
        alignment: Some(alignment.into()),
        size: Some(size.into()),
        weight: Some(if bold { "bold" } else { "normal" }.into()),
    }
}

fn check_common(date_time: &str, organization: &str, business_unit: &str, work_place: &str) -> Result<(), (StatusCode, String)> {
    chrono::DateTime::parse_from_str(date_time, "%Y-%m-%dT%H:%M:%S%.f%z")
        .map_err(|_| bad(format!("dateTime «{date_time}»: не ISO 8601")))?;
    for (name, value) in [
        ("organization", organization),
        ("businessUnit", business_unit),
        ("workPlace", work_place),
    ] {
        if value.trim().is_empty() {
            return Err(bad(format!("{name}: пусто")));
        }
    }
    Ok(())
}

fn sum(values: impl Iterator<Item = Money>) -> Money {
    Money(values.map(|m| m.0).sum())
}

impl Inner {
    fn find_client(&self, client: &wire::Client) -> Result<usize, (StatusCode, String)> {
        let found = match (&client.card, &client.mobile_phone) {
            (Some(card), None) => self.clients.iter().position(|c| c.card.as_deref() == Some(card.as_str())),
            (None, Some(phone)) => {
                let valid = phone.starts_with('+') && phone.len() >= 12 && phone[1..].bytes().all(|b| b.is_ascii_digit());
                if !valid {
                    return Err(bad(format!("mobilePhone «{phone}»: нужен международный формат без разделителей")));
                }
                self.clients.iter().position(|c| c.phone.as_deref() == Some(phone.as_str()))
            }
            _ => return Err(bad("client: нужен ровно один из card и mobilePhone")),
        };
        let index = found.ok_or_else(|| refuse("Клиент не найден"))?;
        if let Some(text) = &self.clients[index].blocked {
            return Err(refuse(text.clone()));
        }
        Ok(index)
    }

    fn document(&mut self, r: &DocumentRequest, bad_distribution: bool) -> Reply {
        check_common(&r.date_time, &r.organization, &r.business_unit, &r.work_place)?;
        if r.uid.trim().is_empty() {
            return Err(bad("uid: пусто"));
        }
        for (i, p) in r.positions.iter().enumerate() {
            if p.index as usize != i + 1 {
                return Err(bad(format!("positions[{i}].index = {}: ожидается {}", p.index, i + 1)));
            }
            let full = p.price.0.times(p.quantity.0).unwrap_or(Money::ZERO);
            if p.total_amount.0 > full {
                return Err(bad(format!(
                    "позиция {}: totalAmount {} больше price × quantity {full}",
                    p.index, p.total_amount.0
                )));
            }
        }
        let client = self.find_client(&r.client)?;
        let key = r.client.card.clone().or(r.client.mobile_phone.clone()).unwrap_or_default();
        match (r.action.as_str(), r.kind.as_str()) {
            ("calculate", "receipt") => Ok(self.calculate(r, client)),
            ("payByBonus", "receipt") => self.pay_by_bonus(r, client, &key, bad_distribution),
            ("cancelBonusPayment", "receipt") => self.cancel_bonus(r, client),
            ("confirm", "receipt") => self.confirm(r, client, &key),
            ("confirm", "refundReceipt") => self.confirm_refund(r, client),
            (action, kind) => Err(bad(format!("action «{action}» с type «{kind}» не поддерживается"))),
        }
    }

    /// The most bonus the receipt may take: the rule's share of it, the
    /// positions' room above their minimum prices, and the balance.
    fn available(&self, r: &DocumentRequest, client: usize) -> Money {
        let total = sum(r.positions.iter().map(|p| p.total_amount.0));
        let room = sum(r
            .positions
            .iter()
            .map(|p| Money((p.total_amount.0.0 - p.minimum_price.0.times(p.quantity.0).unwrap_or(Money::ZERO).0).max(0))));
        let share = total.percent(self.rules.max_bonus_share).unwrap_or(Money::ZERO);
        share.min(room).min(self.clients[client].balance)
    }

    fn calculate(&mut self, r: &DocumentRequest, client: usize) -> Answer {
        let mut positions = Vec::new();
        for p in &r.positions {
            let floor = p.minimum_price.0.times(p.quantity.0).unwrap_or(Money::ZERO);
            let wanted = p.total_amount.0.percent(self.rules.discount).unwrap_or(Money::ZERO);
            let discount = wanted.min(Money((p.total_amount.0.0 - floor.0).max(0)));
            positions.push(AnswerPosition {
                index: p.index,
                discount_amount: Some(Amount(discount)),
                paid_amount: None,
            });
        }
        let discounted: Vec<wire::Position> = r
            .positions
            .iter()
            .zip(&positions)
            .map(|(p, d)| wire::Position {
                total_amount: Amount(Money(p.total_amount.0.0 - d.discount_amount.map_or(0, |a| a.0.0))),
                ..p.clone()
            })
            .collect();
        let available = self.available(
            &DocumentRequest {
                positions: discounted,
                ..r.clone()
            },
            client,
        );
        self.documents.entry(r.uid.clone()).or_default().client =
            r.client.card.clone().or(r.client.mobile_phone.clone()).unwrap_or_default();
        let c = &self.clients[client];
        Answer {
            code: 0,
            client: Some(AnswerClient {
                mobile_phone: c.phone.clone(),
                email: c.email.clone(),
                validation_code: c.validation_code.clone(),
                available_amount: Some(Amount(available)),
            }),
            document: Some(AnswerDocument { positions }),
            cashier_information: Some(vec![
                block(&format!("Клиент {}\n", c.name), "center", "large", true),
                block(
                    &format!("Баланс {} бонусов, доступно к оплате {available}", c.balance),
                    "left",
                    "small",
                    false,
                ),
            ]),
            printing_information: Some(every_element_slip(&c.name)),
            ..Answer::default()
        }
    }

    fn pay_by_bonus(&mut self, r: &DocumentRequest, client: usize, key: &str, bad_distribution: bool) -> Reply {
        let payment = r.payment.as_ref().ok_or_else(|| bad("payment: нет"))?;
        if payment.mode != "nonFiscal" {
            return Err(bad(format!("payment.mode «{}»: оплата бонусом только nonFiscal", payment.mode)));
        }
        let amount = payment.amount.0;
        if amount.is_zero() {
            return Err(bad("payment.amount: нужна сумма больше нуля"));
        }
        let available = self.available(r, client);
        if amount > available {
            return Err(refuse(format!("Доступно к оплате бонусами не больше {available}")));
        }
        let weights: Vec<Money> = r.positions.iter().map(|p| p.total_amount.0).collect();
        let caps: Vec<Money> = r
            .positions
            .iter()
            .map(|p| Money((p.total_amount.0.0 - p.minimum_price.0.times(p.quantity.0).unwrap_or(Money::ZERO).0).max(0)))
            .collect();
        let mut shares = distribute(amount, &weights, &caps);
        if bad_distribution {
            // The position with the highest floor is paid in full, below its minimum price.
            let floors: Vec<Money> = r
                .positions
                .iter()
                .map(|p| p.minimum_price.0.times(p.quantity.0).unwrap_or(Money::ZERO))
                .collect();
            let worst = (0..floors.len()).max_by_key(|&i| floors[i]).unwrap_or(0);
            shares.iter_mut().for_each(|s| *s = Money::ZERO);
            if let Some(position) = r.positions.get(worst) {
                shares[worst] = position.total_amount.0;
            }
        }
        self.clients[client].balance.0 -= amount.0;
        let document = self.documents.entry(r.uid.clone()).or_default();
        document.client = key.to_string();
        document.bonus_paid.0 += amount.0;
        let positions = r
            .positions
            .iter()
            .zip(shares)
            .filter(|(_, s)| !s.is_zero())
            .map(|(p, s)| AnswerPosition {
                index: p.index,
                discount_amount: None,
                paid_amount: Some(Amount(s)),
            })
            .collect();
        Ok(Answer {
            code: 0,
            document: Some(AnswerDocument { positions }),
            cashier_information: Some(vec![block(&format!("Списано {amount} бонусов"), "left", "small", false)]),
            printing_information: Some(json!([[{"type": "pair", "left": "Списано бонусов", "right": amount.to_string()}]])),
            ..Answer::default()
        })
    }

    fn cancel_bonus(&mut self, r: &DocumentRequest, client: usize) -> Reply {
        let amount = r.payment.as_ref().ok_or_else(|| bad("payment: нет"))?.amount.0;
        let document = self
            .documents
            .get_mut(&r.uid)
            .ok_or_else(|| refuse(format!("Документ {} не найден", r.uid)))?;
        if document.confirmed.is_some() {
            return Err(refuse("Документ уже подтверждён: отмена оплаты невозможна"));
        }
        if document.bonus_paid != amount {
            return Err(refuse(format!("Оплачено бонусами {}, а отменяется {amount}", document.bonus_paid)));
        }
        document.bonus_paid = Money::ZERO;
        self.clients[client].balance.0 += amount.0;
        Ok(Answer {
            code: 0,
            cashier_information: Some(vec![block(&format!("Оплата бонусами {amount} отменена"), "left", "small", false)]),
            ..Answer::default()
        })
    }

    fn confirm(&mut self, r: &DocumentRequest, client: usize, key: &str) -> Reply {
        let payments = r.payments.as_ref().ok_or_else(|| bad("payments: нет"))?;
        let total = sum(r.positions.iter().map(|p| p.total_amount.0));
        let discarded = r.discarded_amount.map_or(Money::ZERO, |a| a.0);
        let fiscal = sum(payments.iter().filter(|p| p.mode == "fiscal").map(|p| p.amount.0));
        let bonus = sum(payments.iter().filter(|p| p.kind == "bonus").map(|p| p.amount.0));
        if total.0 - discarded.0 != fiscal.0 {
            return Err(bad(format!(
                "сумма позиций {total} − discardedAmount {discarded} не равна фискальным оплатам {fiscal}"
            )));
        }
        if let Some(existing) = self.documents.get(&r.uid).and_then(|d| d.confirmed.clone()) {
            // The same uid again (a resend after a lost answer): nothing is counted twice.
            return Ok(confirmed_answer(existing.accrued, self.clients[client].balance));
        }
        let paid_before = self.documents.get(&r.uid).map_or(Money::ZERO, |d| d.bonus_paid);
        if bonus != paid_before {
            return Err(refuse(format!("Оплата бонусами {bonus} не совпадает со списанной {paid_before}")));
        }
        let accrued = fiscal.percent(self.rules.accrual).unwrap_or(Money::ZERO);
        self.clients[client].balance.0 += accrued.0;
        let document = self.documents.entry(r.uid.clone()).or_default();
        document.client = key.to_string();
        document.confirmed = Some(Confirmed {
            total,
            accrued,
            bonus,
            refunded_total: Money::ZERO,
        });
        Ok(confirmed_answer(accrued, self.clients[client].balance))
    }

    fn confirm_refund(&mut self, r: &DocumentRequest, client: usize) -> Reply {
        let reference = r.reference_uid.clone().ok_or_else(|| bad("referenceUid: нет"))?;
        if self.documents.get(&r.uid).is_some_and(|d| d.confirmed.is_some()) {
            return Ok(Answer {
                code: 0,
                ..Answer::default()
            });
        }
        let sale = self
            .documents
            .get(&reference)
            .and_then(|d| d.confirmed.clone())
            .ok_or_else(|| refuse(format!("Продажа {reference} не найдена")))?;
        let total = sum(r.positions.iter().map(|p| p.total_amount.0));
        if sale.refunded_total.0 + total.0 > sale.total.0 {
            return Err(refuse(format!(
                "Возврат {total} больше остатка продажи {}",
                Money(sale.total.0 - sale.refunded_total.0)
            )));
        }
        // Take back the accrual and give back the bonus spent, in proportion.
        let take_back = sale.accrued.share(total.0, sale.total.0.max(1)).unwrap_or(Money::ZERO);
        let give_back = sale.bonus.share(total.0, sale.total.0.max(1)).unwrap_or(Money::ZERO);
        self.clients[client].balance.0 += give_back.0 - take_back.0;
        if let Some(Document { confirmed: Some(c), .. }) = self.documents.get_mut(&reference) {
            c.refunded_total.0 += total.0;
        }
        self.documents.insert(
            r.uid.clone(),
            Document {
                client: String::new(),
                bonus_paid: Money::ZERO,
                confirmed: Some(Confirmed {
                    total,
                    accrued: Money::ZERO,
                    bonus: Money::ZERO,
                    refunded_total: Money::ZERO,
                }),
            },
        );
        Ok(Answer {
            code: 0,
            cashier_information: Some(vec![block(
                &format!("Возврат учтён: списано {take_back}, возвращено {give_back} бонусов"),
                "left",
                "small",
                false,
            )]),
            ..Answer::default()
        })
    }
}

fn confirmed_answer(accrued: Money, balance: Money) -> Answer {
    Answer {
        code: 0,
        cashier_information: Some(vec![block(&format!("Начислено {accrued} бонусов"), "left", "small", false)]),
        printing_information: Some(json!([[
            {"type": "line", "symbol": "="},
            {"type": "pair", "left": "Начислено бонусов", "right": accrued.to_string()},
            {"type": "pair", "left": "Баланс", "right": balance.to_string(), "separator": "."},
        ]])),
        ..Answer::default()
    }
}

/// A slip with every element type of the spec.
fn every_element_slip(name: &str) -> serde_json::Value {
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
