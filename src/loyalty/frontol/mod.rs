//! The Frontol Loyalty API provider (`../shared/specs/frontol-loyalty-api.txt`).
//!
//! Requests: POST `<url>/document` (`calculate`, `payByBonus`,
//! `cancelBonusPayment`, `confirm` of a `receipt` or a `refundReceipt` with
//! `referenceUid`) and POST `<url>/client`. Headers: `Accept` and
//! `Content-Type: application/json`, `Cache-Control: no-cache`, and
//! `Authorization: FrontolAuth <md5(key + body bytes)>` when a key is set,
//! and `Expect: 100-continue`, as the spec lists for every request (the
//! HTTP client sends the body without waiting for the interim answer and
//! skips a `100 Continue` when the server sends one).
//!
//! `dateTime` is when the request is made, except in a `confirm`: there it
//! is when the receipt closed, so a confirmation resent from the queue the
//! next morning still carries its receipt's time.
//!
//! Failures, as the spec's processes need them:
//! - no connection, a dropped connection, a timeout, and the gateway
//!   statuses 502/503/504 (a proxy saying the server is unreachable) are link
//!   failures: the cashier may retry or go on offline;
//! - an unreadable 200 answer (cut short, not JSON) is "we do not know": the
//!   server may have done it, so it is handled as no answer — a `confirm`
//!   stays queued and is resent (the uid makes that harmless), a
//!   `payByBonus` is in doubt and gets cancelled;
//! - any other status, or `code` ≠ 0, is a refusal carrying `error` or the
//!   HTTP reason;
//! - reading: `cancelBonusPayment` refused with `code` 5 («оплата не
//!   найдена») means the server holds no such payment — there is nothing
//!   left to cancel ([`LoyaltyError::NothingToUndo`]).

pub mod config;
pub mod demo;
pub mod emulator;
pub mod wire;

use chrono::{Local, NaiveDateTime, TimeZone};
use md5::{Digest, Md5};
use std::time::Duration;

use super::slip::{Align, Element, Size, Slip};
use super::{ClientId, ClientInfo, Deadline, Document, DocumentKind, LoyaltyError, Payment, PaymentType, Reply, Request, TextBlock};
use crate::core::money::Money;
use crate::print::document::{CodeSize, Correction, DigitsAt, Wrap};
use wire::{Amount, Answer, Qty};

/// Settings of one store's Frontol Loyalty API server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Base URL; requests go to `<url>/document` and `<url>/client`.
    pub url: String,
    /// The access key («Ключ доступа»); `None` sends no Authorization header.
    pub key: Option<String>,
    pub organization: String,
    pub business_unit: String,
    pub work_place: String,
    pub timeout: Duration,
    /// Ends a wait for an answer sooner than `timeout` when its holder
    /// says so (replays); the default never does.
    pub deadline: Deadline,
}

/// The FrontolAuth token: md5 of the key immediately followed by the exact body bytes, in hex.
pub fn token(key: &str, body: &[u8]) -> String {
    let mut md5 = Md5::new();
    md5.update(key.as_bytes());
    md5.update(body);
    md5.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// `dateTime`: ISO 8601 with milliseconds and the local offset.
pub fn date_time(at: NaiveDateTime) -> String {
    let local = Local
        .from_local_datetime(&at)
        .earliest()
        .map(|t| t.fixed_offset())
        .unwrap_or_else(|| at.and_utc().fixed_offset());
    local.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
}

fn wire_client(client: &ClientId) -> wire::Client {
    match client {
        ClientId::Card(card) => wire::Client {
            card: Some(card.clone()),
            mobile_phone: None,
        },
        ClientId::Phone(phone) => wire::Client {
            card: None,
            mobile_phone: Some(phone.clone()),
        },
        // Not in Frontol's flow (it never sends a receipt without a client).
        ClientId::Anonymous => wire::Client::default(),
    }
}

fn positions(document: &Document) -> Vec<wire::Position> {
    document
        .lines
        .iter()
        .map(|l| wire::Position {
            index: l.index,
            id: l.code.clone(),
            text: l.name.clone(),
            price: Amount(l.price),
            minimum_price: Amount(l.min_price),
            quantity: Qty(l.quantity),
            total_amount: Amount(l.total),
        })
        .collect()
}

fn payment_line(p: &Payment) -> wire::PaymentLine {
    let (kind, mode) = match p.kind {
        PaymentType::Cash => ("cash", "fiscal"),
        PaymentType::Card => ("creditCard", "fiscal"),
        PaymentType::Bonus => ("bonus", "nonFiscal"),
        PaymentType::Other => ("other", "fiscal"),
    };
    wire::PaymentLine {
        kind: kind.into(),
        mode: mode.into(),
        amount: Amount(p.amount),
    }
}

/// Where a request goes and its body.
pub fn encode(settings: &Settings, request: &Request, now: NaiveDateTime) -> Result<(&'static str, Vec<u8>), LoyaltyError> {
    let common = |client: &ClientId, document: &Document, action: &str| wire::DocumentRequest {
        action: action.into(),
        // A confirmation is dated by its receipt's close, however late it goes.
        date_time: date_time(match request {
            Request::Confirm { .. } => document.closed_at.unwrap_or(now),
            _ => now,
        }),
        organization: settings.organization.clone(),
        business_unit: settings.business_unit.clone(),
        work_place: settings.work_place.clone(),
        client: wire_client(client),
        number: document.number,
        shift: document.shift,
        uid: document.uid.clone(),
        reference_uid: match &document.kind {
            DocumentKind::Return { reference_uid, .. } => Some(reference_uid.clone()),
            DocumentKind::Sale => None,
        },
        kind: match document.kind {
            DocumentKind::Sale => "receipt".into(),
            DocumentKind::Return { .. } => "refundReceipt".into(),
        },
        payment: None,
        positions: positions(document),
        discarded_amount: None,
        payments: None,
    };
    let bonus = |amount: Money| {
        Some(wire::BonusPayment {
            mode: "nonFiscal".into(),
            amount: Amount(amount),
        })
    };
    let body = match request {
        Request::ClientInfo { client, .. } => {
            let body = wire::ClientRequest {
                date_time: date_time(now),
                organization: settings.organization.clone(),
                business_unit: settings.business_unit.clone(),
                work_place: settings.work_place.clone(),
                client: wire_client(client),
            };
            return Ok(("/client", to_bytes(&body)?));
        }
        Request::CheckLink
        | Request::Register { .. }
        | Request::ResendRegistrationCode { .. }
        | Request::SendChatBotLink { .. }
        | Request::CertificateInfo { .. }
        | Request::ConfirmRegistration { .. }
        | Request::SendSpendCode { .. }
        | Request::CheckSpendCode { .. } => {
            return Err(LoyaltyError::Unsupported(request.name().to_string()));
        }
        Request::Calculate { client, document } => common(client, document, "calculate"),
        Request::PayByBonus { client, document, amount } => wire::DocumentRequest {
            payment: bonus(*amount),
            ..common(client, document, "payByBonus")
        },
        Request::CancelBonusPayment { client, document, amount } => wire::DocumentRequest {
            payment: bonus(*amount),
            payments: Some(vec![payment_line(&Payment {
                kind: PaymentType::Bonus,
                amount: *amount,
            })]),
            ..common(client, document, "cancelBonusPayment")
        },
        Request::Confirm {
            client,
            document,
            payments,
        } => wire::DocumentRequest {
            // Kopecks are never discarded by kassa: totals are exact.
            discarded_amount: Some(Amount(Money::ZERO)),
            payments: Some(payments.iter().map(payment_line).collect()),
            ..common(client, document, "confirm")
        },
    };
    Ok(("/document", to_bytes(&body)?))
}

fn to_bytes<T: serde::Serialize>(body: &T) -> Result<Vec<u8>, LoyaltyError> {
    serde_json::to_vec(body).map_err(|e| LoyaltyError::Refused {
        text: format!("cannot encode the request: {e}"),
    })
}

fn lower(value: &Option<String>) -> String {
    value.as_deref().unwrap_or_default().to_ascii_lowercase()
}

fn align(value: &Option<String>) -> Align {
    match lower(value).as_str() {
        "center" => Align::Center,
        "right" => Align::Right,
        _ => Align::Left,
    }
}

fn size(value: &Option<String>) -> Size {
    match lower(value).as_str() {
        "small" => Size::Small,
        "medium" => Size::Medium,
        "large" => Size::Large,
        "extralarge" => Size::ExtraLarge,
        _ => Size::Default,
    }
}

fn field(element: &serde_json::Value, name: &str) -> Option<String> {
    element.get(name).and_then(|v| v.as_str()).map(str::to_string)
}

fn first_char(value: Option<String>, default: char) -> char {
    value.and_then(|s| s.chars().next()).unwrap_or(default)
}

fn code_size(value: &Option<String>) -> CodeSize {
    match lower(value).as_str() {
        "tiny" => CodeSize::Tiny,
        "small" => CodeSize::Small,
        "large" => CodeSize::Large,
        "extralarge" => CodeSize::ExtraLarge,
        _ => CodeSize::Normal,
    }
}

fn correction(value: &Option<String>) -> Correction {
    match lower(value).as_str() {
        "low" => Correction::Low,
        "high" => Correction::High,
        "ultra" => Correction::Ultra,
        _ => Correction::Medium,
    }
}

/// One element of printingInformation; unknown types print as text.
fn element(value: &serde_json::Value) -> Element {
    let wrap = match lower(&field(value, "wrapping")).as_str() {
        "wordwrap" => Wrap::Words,
        _ => Wrap::Anywhere,
    };
    match lower(&field(value, "type")).as_str() {
        "pair" => Element::Pair {
            left: field(value, "left").unwrap_or_default(),
            right: field(value, "right").unwrap_or_default(),
            separator: first_char(field(value, "separator"), ' '),
            size: size(&field(value, "size")),
            align: align(&field(value, "alignment")),
            wrap,
        },
        "line" => Element::Line {
            symbol: first_char(field(value, "symbol"), '-'),
            size: size(&field(value, "size")),
        },
        "br" => Element::Br,
        "barcode" => Element::Barcode {
            size: code_size(&field(value, "size")),
            data: field(value, "data").unwrap_or_default(),
            digits: match lower(&field(value, "printText")).as_str() {
                "below" => DigitsAt::Below,
                "above" => DigitsAt::Above,
                "everywhere" => DigitsAt::Both,
                _ => DigitsAt::None,
            },
        },
        "qrcode" => Element::Qr {
            data: field(value, "data").unwrap_or_default(),
            size: code_size(&field(value, "size")),
            correction: correction(&field(value, "correction")),
        },
        _ => Element::Text {
            text: field(value, "text").unwrap_or_default(),
            size: size(&field(value, "size")),
            align: align(&field(value, "alignment")),
            wrap,
        },
    }
}

/// Slips are an array of arrays of elements; a flat array is one slip.
pub fn slips(value: &serde_json::Value) -> Vec<Slip> {
    let Some(items) = value.as_array() else { return Vec::new() };
    if items.iter().all(serde_json::Value::is_array) {
        items
            .iter()
            .filter_map(|slip| slip.as_array())
            .map(|slip| slip.iter().map(element).collect())
            .collect()
    } else {
        vec![items.iter().map(element).collect()]
    }
}

fn amounts(answer: &Answer, pick: impl Fn(&wire::AnswerPosition) -> Option<Amount>) -> Vec<(u32, Money)> {
    let positions = answer.document.as_ref().map(|d| d.positions.as_slice()).unwrap_or_default();
    positions
        .iter()
        .filter_map(|p| pick(p).map(|a| (p.index, a.0)))
        .filter(|(_, m)| !m.is_zero())
        .collect()
}

/// Turns a successful answer into the interface's reply.
pub fn decode(request: &Request, answer: &Answer) -> Reply {
    let client = answer.client.as_ref().map(|c| ClientInfo {
        name: None,
        balance: None,
        phone: c.mobile_phone.clone(),
        email: c.email.clone(),
        validation_code: c.validation_code.clone().filter(|code| !code.is_empty()),
        available: c.available_amount.map(|a| a.0),
        ..ClientInfo::default()
    });
    let messages = answer
        .cashier_information
        .iter()
        .flatten()
        .map(|b| TextBlock {
            text: b.text.clone(),
            align: align(&b.alignment),
            size: size(&b.size),
            bold: lower(&b.weight) == "bold",
        })
        .collect();
    let distribution = match request {
        // No document in a payByBonus answer: the workstation distributes the sum itself.
        Request::PayByBonus { .. } => answer.document.as_ref().map(|_| amounts(answer, |p| p.paid_amount)),
        _ => None,
    };
    Reply {
        client,
        discounts: amounts(answer, |p| p.discount_amount),
        distribution,
        messages,
        slips: answer.printing_information.as_ref().map(slips).unwrap_or_default(),
        ..Reply::default()
    }
}

/// `code` of a refused `cancelBonusPayment` whose payment the server does not hold.
const NOT_FOUND: i64 = 5;

/// Reads an HTTP answer: success is 200 with `code` 0.
pub fn classify(request: &Request, status: u16, reason: &str, body: &[u8]) -> Result<Reply, LoyaltyError> {
    if matches!(status, 502..=504) {
        return Err(LoyaltyError::Link(format!("HTTP {status} {reason}")));
    }
    let answer = serde_json::from_slice::<Answer>(body);
    if status != 200 {
        let text = answer
            .ok()
            .and_then(|a| a.error)
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| format!("HTTP {status} {reason}"));
        return Err(LoyaltyError::Refused { text });
    }
    let answer = answer.map_err(|e| LoyaltyError::Unreadable(e.to_string()))?;
    if answer.code != 0 {
        let text = answer
            .error
            .clone()
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| format!("code {}", answer.code));
        if answer.code == NOT_FOUND && matches!(request, Request::CancelBonusPayment { .. }) {
            return Err(LoyaltyError::NothingToUndo { text });
        }
        return Err(LoyaltyError::Refused { text });
    }
    Ok(decode(request, &answer))
}

/// The HTTP side: one client with the store's settings.
pub struct Frontol {
    settings: Settings,
    http: reqwest::Client,
}

impl Frontol {
    pub fn new(settings: Settings) -> Result<Frontol, LoyaltyError> {
        let http = super::http_client(settings.timeout)?;
        Ok(Frontol { settings, http })
    }

    pub async fn call(&self, request: &Request, now: NaiveDateTime) -> Result<Reply, LoyaltyError> {
        let (path, body) = encode(&self.settings, request, now)?;
        let url = format!("{}{path}", self.settings.url.trim_end_matches('/'));
        let mut http = self
            .http
            .post(&url)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .header("Cache-Control", "no-cache")
            .header("Expect", "100-continue");
        if let Some(key) = self.settings.key.as_deref().filter(|k| !k.is_empty()) {
            http = http.header("Authorization", format!("FrontolAuth {}", token(key, &body)));
        }
        // The key and the token are never logged; the body is, redacted.
        tracing::info!(target: "kassa::loyalty", "→ {url} {}", super::redact(&body));
        let answered = async {
            let (status, bytes) = super::exchange(http.body(body), &self.settings.deadline).await?;
            tracing::info!(target: "kassa::loyalty", "← {} {}", status.as_u16(), super::redact(&bytes));
            classify(request, status.as_u16(), status.canonical_reason().unwrap_or(""), &bytes)
        }
        .await;
        if let Err(error) = &answered {
            tracing::warn!(target: "kassa::loyalty", "{} failed: {error}", request.name());
        }
        answered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_matches_the_spec_example() {
        let body = r#"{ "positions": [], "organization": "Мой магазин", "action": "calculate", "uid": "", "businessUnit": "4", "dateTime": "2018-07-16T10:18:44.955+03:00", "number": 0, "shift": 0, "type": "receipt", "workPlace": "5", "client": { "card": "123" } }"#;
        assert_eq!(token("password", body.as_bytes()), "24da9926bd1afa6c523cd4e011f66137");
    }

    #[test]
    fn a_confirm_keeps_its_receipts_time_and_a_cancel_not_found_is_nothing_to_undo() {
        let at = |h: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
                .and_then(|d| d.and_hms_opt(h, 0, 0))
                .expect("date")
        };
        let document = Document {
            uid: "u".into(),
            kind: DocumentKind::Sale,
            shift: 1,
            number: 1,
            at: at(21),
            lines: Vec::new(),
            promo_code: None,
            closed_at: Some(at(22)),
            certificates: Vec::new(),
        };
        let settings = Settings {
            url: "http://localhost".into(),
            key: None,
            organization: "o".into(),
            business_unit: "b".into(),
            work_place: "w".into(),
            timeout: Duration::from_secs(1),
            deadline: Deadline::default(),
        };
        let client = ClientId::Card("1".into());
        let confirm = Request::Confirm {
            client: client.clone(),
            document: document.clone(),
            payments: Vec::new(),
        };
        let next_morning = at(9) + chrono::Duration::days(1);
        let (_, body) = encode(&settings, &confirm, next_morning).expect("encodes");
        let sent: wire::DocumentRequest = serde_json::from_slice(&body).expect("json");
        assert_eq!(sent.date_time, date_time(at(22)));
        let cancel = Request::CancelBonusPayment {
            client,
            document,
            amount: Money(1_00),
        };
        let not_found = r#"{"code":5,"error":"Оплата не найдена"}"#.as_bytes();
        assert!(matches!(
            classify(&cancel, 200, "OK", not_found),
            Err(LoyaltyError::NothingToUndo { .. })
        ));
        assert!(matches!(
            classify(&confirm, 200, "OK", not_found),
            Err(LoyaltyError::Refused { .. })
        ));
    }

    #[test]
    fn failures_are_classified() {
        let request = Request::ClientInfo {
            client: ClientId::Card("1".into()),
            history: false,
        };
        assert!(classify(&request, 503, "Service Unavailable", b"").is_err_and(|e| e.is_link()));
        let refused = classify(&request, 403, "Forbidden", b"").expect_err("403");
        assert_eq!(
            refused,
            LoyaltyError::Refused {
                text: "HTTP 403 Forbidden".into()
            }
        );
        let refused = classify(&request, 200, "OK", r#"{"code":3,"error":"Карта заблокирована"}"#.as_bytes()).expect_err("code 3");
        assert_eq!(refused.to_string(), "Карта заблокирована");
        assert!(classify(&request, 200, "OK", b"{not json").is_err_and(|e| e.unanswered() && !e.is_link()));
        assert!(classify(&request, 200, "OK", br#"{"code":0}"#).is_ok());
    }

    #[test]
    fn reads_the_spec_answer_and_both_slip_forms() {
        let answer = r#"{"code":0,"client":{"mobilePhone":"+79211022546","email":"sobaka@gmail.com","validationCode":"8956","availableAmount":832.44},
            "document":{"positions":[{"index":1,"discountAmount":500.00},{"index":2,"discountAmount":0}]},
            "cashierInformation":[{"text":"Клиент Пупкин\n","alignment":"center","weight":"bold","size":"large"}],
            "printingInformation":[[{"type":"text","text":"Ранг 1"},{"type":"line","symbol":"*"},{"type":"qrcode","data":"http://x"},
            {"type":"pair","left":"27.01.2015","right":"16:45"},{"type":"br"},{"type":"barcode","data":"123456789012","printText":"below"}]]}"#;
        let request = Request::ClientInfo {
            client: ClientId::Card("1".into()),
            history: false,
        };
        let reply = classify(&request, 200, "OK", answer.as_bytes()).expect("valid");
        let client = reply.client.expect("client");
        assert_eq!(client.available, Some(Money(832_44)));
        assert_eq!(client.validation_code.as_deref(), Some("8956"));
        assert_eq!(reply.discounts, vec![(1, Money(500_00))]);
        assert_eq!(reply.messages[0].size, Size::Large);
        assert!(reply.messages[0].bold);
        assert_eq!(reply.slips.len(), 1);
        assert_eq!(reply.slips[0].len(), 6);
        let flat = serde_json::json!([{ "text": "Я текст на слипе" }]);
        assert_eq!(slips(&flat).len(), 1);
    }
}
