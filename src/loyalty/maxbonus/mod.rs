//! The MaxBonus provider (`../shared/specs/maxbonus.txt`, cashbox REST API 2.0.6).
//!
//! How the interface maps onto the API (paths and fields: [`wire`]):
//! - a customer is authorised by phone (`customer/auth`) or by QR — the QR's
//!   text, a card number from its barcode or a short code typed by hand all
//!   go to the QR authorisation; the answer's customer token is kept for the
//!   receipt's requests, and a QR-identified customer is known by the phone
//!   the answer gives ([`ClientInfo::known_as`]), because a QR code may work once;
//! - the anonymous customer ([`ClientId::Anonymous`]) is `8888888888`;
//! - [`Request::Calculate`]: `check` with no write-off → the discounts, the
//!   most bonuses may pay (`max_bonus`, within the balance), the coupon's effect;
//! - [`Request::PayByBonus`]: `check` again with the write-off → its share per position;
//! - [`Request::SendSpendCode`] / [`Request::CheckSpendCode`]: askpin / checkpin
//!   (the customer's `n_checkpin` asks for them);
//! - [`Request::Confirm`] of a sale: `check/write` with the `calc_id` of a
//!   calculation of exactly this receipt (made again when the cached one is of
//!   something else). Sent before the receipt is printed; "already processed"
//!   (the register hung after an earlier write went through) → `check/rollback`,
//!   calculate and write again: the check is on the server once, as closed;
//! - [`Request::Confirm`] of a return: `check/return` with the returned
//!   positions, none for a full return; a repeat is taken as done;
//! - [`Request::CancelBonusPayment`]: `check/rollback` of a write in doubt on
//!   a receipt that did not close (nothing was spent before the write);
//! - [`Request::CertificateInfo`]: `certificate/info` (`status_code` 1 cannot pay);
//! - registration: `customer/register` (SMS), `…/repeat`, `…/confirm`.
//!
//! Failures: no answer, 408, 429 and 5xx are link failures, and so is a 2xx
//! that cannot be read (the server may have done it: "we do not know"); a
//! calculation that was read but makes no sense is refused; a refused
//! outlet token (401) stops the cashier's request with a clear text but only
//! delays queued ones (support fixes the token; nothing is archived for it);
//! other 4xx are refusals with the server's number and text — a 422 means
//! «Покупатель не найден» only as the authorisation's answer.

pub mod config;
pub mod demo;
pub mod emulator;
pub mod wire;

use chrono::NaiveDateTime;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use super::{
    CertificatePayment, CertificateState, ClientId, ClientInfo, Document, DocumentKind, Line, LoyaltyError, PaymentType, Profile, Reply,
    Request, TextBlock,
};
use crate::core::money::Money;
use crate::text;
use wire::{Amount, AmountText, Qty};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Base URL; methods are at `<url>/api/cashbox/…`.
    pub url: String,
    /// The outlet's token.
    pub token: String,
    pub timeout: Duration,
    /// Ends a wait for an answer sooner than `timeout` when its holder
    /// says so (replays); the default never does.
    pub deadline: super::Deadline,
}

/// `+79161234567` → `79161234567`.
pub fn wire_phone(phone: &str) -> String {
    phone.trim_start_matches('+').to_string()
}

fn refused(text: impl Into<String>) -> LoyaltyError {
    LoyaltyError::Refused { text: text.into() }
}

/// An answer that cannot be read: the server may have done it.
fn unreadable(error: impl std::fmt::Display) -> LoyaltyError {
    LoyaltyError::Unreadable(error.to_string())
}

/// A calculation that was read but makes no sense: it books nothing, so
/// this is known — refused, not "we do not know" (a retry would get the same).
fn nonsense(error: impl std::fmt::Display) -> LoyaltyError {
    refused(format!("{}: {error}", text::UNREADABLE_ANSWER))
}

/// A refusal as the server worded it, and its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    pub status: u16,
    pub code: Option<i64>,
    pub message: Option<String>,
}

impl ServerError {
    fn read(status: u16, body: &[u8]) -> ServerError {
        let (code, message) = serde_json::from_slice::<wire::ErrorAnswer>(body)
            .map(|e| e.parts())
            .unwrap_or_default();
        ServerError { status, code, message }
    }

    /// The error's number, or the HTTP status where the body has none.
    fn is(&self, code: i64) -> bool {
        self.code.unwrap_or(i64::from(self.status)) == code
    }

    /// An authorisation's refusal: its «422 Покупатель не найден» is the
    /// customer not found (the cashier may register them); anything else
    /// as [`ServerError::into_error`].
    fn into_auth_error(self) -> LoyaltyError {
        if self.status == 422 && self.is(wire::CUSTOMER_NOT_FOUND) {
            return refused(text::MAXBONUS_NOT_FOUND);
        }
        self.into_error()
    }

    /// What the cashier reads: the error's number and the server's text
    /// (a 422 outside the authorisation — a wrong pin or code — included).
    fn into_error(self) -> LoyaltyError {
        match self.status {
            408 | 429 | 500.. => LoyaltyError::Link(format!("HTTP {}", self.status)),
            401 => refused(text::MAXBONUS_TOKEN_REFUSED),
            _ => refused(text::maxbonus_error(
                self.code.unwrap_or(i64::from(self.status)),
                self.message.as_deref(),
            )),
        }
    }
}

/// Reads an answer: 2xx is the answer, anything else a [`ServerError`].
/// Public as the decoder `tests/fuzz.rs` feeds hostile answers to.
pub fn answer<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<Result<T, ServerError>, LoyaltyError> {
    match status {
        200..=299 => serde_json::from_slice(body).map(Ok).map_err(unreadable),
        _ => Ok(Err(ServerError::read(status, body))),
    }
}

/// A request body: form data (customer methods) or JSON.
enum Body<'a, B: Serialize> {
    Form(&'a B),
    Json(&'a B),
}

/// A customer as authorised this session.
#[derive(Debug, Clone)]
struct Customer {
    token: String,
    auth: wire::CustomerAuth,
}

/// The last calculation of a receipt: what was sent, and the answer.
#[derive(Debug, Clone)]
struct Calculation {
    request: wire::CalcCheck,
    answer: wire::CalcAnswer,
}

pub struct MaxBonus {
    settings: Settings,
    http: reqwest::Client,
    customers: Mutex<HashMap<ClientId, Customer>>,
    /// By receipt uid.
    calculations: Mutex<HashMap<String, Calculation>>,
}

impl MaxBonus {
    pub fn new(settings: Settings) -> Result<MaxBonus, LoyaltyError> {
        let http = super::http_client(settings.timeout)?;
        Ok(MaxBonus {
            settings,
            http,
            customers: Mutex::new(HashMap::new()),
            calculations: Mutex::new(HashMap::new()),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}{path}", self.settings.url.trim_end_matches('/'), wire::BASE)
    }

    /// One POST: status and body. Bodies are logged redacted, the token never.
    async fn exchange<B: Serialize>(&self, path: &str, body: Body<'_, B>) -> Result<(u16, Vec<u8>), LoyaltyError> {
        let (inner, form) = match body {
            Body::Form(inner) => (inner, true),
            Body::Json(inner) => (inner, false),
        };
        let json = serde_json::to_vec(inner).map_err(|e| refused(format!("cannot encode the request: {e}")))?;
        tracing::info!(target: "kassa::loyalty", "→ {path} {}", super::redact(&json));
        let mut request = self
            .http
            .post(self.url(path))
            .header(wire::TOKEN_HEADER, &self.settings.token)
            .header("Accept", "application/json");
        request = if form {
            let encoded = form_body(&json).map_err(|e| refused(format!("cannot encode the request: {e}")))?;
            request.header("Content-Type", "application/x-www-form-urlencoded").body(encoded)
        } else {
            request.header("Content-Type", "application/json").body(json)
        };
        let sent = super::exchange(request, &self.settings.deadline)
            .await
            .map(|(status, bytes)| (status.as_u16(), bytes));
        match &sent {
            Ok((status, bytes)) => tracing::info!(target: "kassa::loyalty", "← {path} {status} {}", super::redact(bytes)),
            Err(error) => tracing::warn!(target: "kassa::loyalty", "{path} failed: {error}"),
        }
        sent
    }

    /// One call whose every refusal is the cashier's to read.
    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: Body<'_, B>) -> Result<T, LoyaltyError> {
        self.call_raw(path, body).await?.map_err(ServerError::into_error)
    }

    /// One call; a refusal comes back as the server worded it, to act on.
    async fn call_raw<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: Body<'_, B>,
    ) -> Result<Result<T, ServerError>, LoyaltyError> {
        let (status, bytes) = self.exchange(path, body).await?;
        answer(status, &bytes)
    }

    fn known(&self, client: &ClientId) -> Option<Customer> {
        self.customers.lock().unwrap_or_else(|p| p.into_inner()).get(client).cloned()
    }

    fn keep(&self, client: &ClientId, auth: &wire::CustomerAuth) -> Result<Customer, LoyaltyError> {
        let token = auth
            .token
            .clone()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| unreadable("no customer token"))?;
        let customer = Customer { token, auth: auth.clone() };
        let mut customers = self.customers.lock().unwrap_or_else(|p| p.into_inner());
        customers.insert(client.clone(), customer.clone());
        if let Some(phone) = known_as(auth) {
            customers.insert(phone, customer.clone());
        }
        Ok(customer)
    }

    /// Authorises the customer now: by phone, or by QR (QR text, card, short code).
    async fn authorise(&self, client: &ClientId) -> Result<Customer, LoyaltyError> {
        let answered = match client {
            ClientId::Phone(phone) => {
                let form = wire::PhoneForm { phone: wire_phone(phone) };
                self.call_raw(wire::AUTH, Body::Form(&form)).await?
            }
            ClientId::Card(code) => self.call_raw(wire::AUTH_QR, Body::Form(&wire::QrForm { qr: code.clone() })).await?,
            ClientId::Anonymous => return Ok(anonymous()),
        };
        // «422 Покупатель не найден» is the authorisation's own answer; a 422
        // elsewhere (a wrong pin or code) is the server's text to show.
        let auth: wire::CustomerAuth = answered.map_err(ServerError::into_auth_error)?;
        self.keep(client, &auth)
    }

    /// The customer as authorised this session (or now).
    async fn customer(&self, client: &ClientId) -> Result<Customer, LoyaltyError> {
        match (client, self.known(client)) {
            (ClientId::Anonymous, _) => Ok(anonymous()),
            (_, Some(customer)) => Ok(customer),
            (_, None) => self.authorise(client).await,
        }
    }

    async fn client_info(&self, client: &ClientId) -> Result<Reply, LoyaltyError> {
        let customer = self.authorise(client).await?;
        let info = info(&customer.auth, None);
        let mut messages: Vec<TextBlock> = info.name.iter().cloned().map(TextBlock::plain).collect();
        messages.push(TextBlock::plain(text::client_balance(info.balance.unwrap_or_default())));
        if info.spend_code {
            messages.push(TextBlock::plain(text::MAXBONUS_PIN_NEEDED));
        }
        if customer.auth.exists_chatbot == Some(false) {
            messages.push(TextBlock::plain(text::MAXBONUS_NO_CHAT_BOT));
        }
        Ok(Reply {
            client: Some(info),
            messages,
            ..Reply::default()
        })
    }

    async fn confirm_registration(&self, phone: &str, code: &str, profile: &Profile) -> Result<Reply, LoyaltyError> {
        let body = wire::CustomerRegister {
            phone: wire_phone(phone),
            pin: code.trim().to_string(),
            last_name: profile.surname.clone(),
            first_name: profile.name.clone(),
            middle_name: profile.patronymic.clone(),
            birth_date: profile.birth_date.map(|d| d.format(wire::DATE).to_string()),
            sex: profile.sex.map(|s| if s == 'ж' || s == 'f' { "f" } else { "m" }.to_string()),
        };
        let auth: wire::CustomerAuth = self.post(wire::REGISTER_CONFIRM, Body::Json(&body)).await?;
        let client = ClientId::Phone(phone.to_string());
        self.keep(&client, &auth)?;
        let info = info(&auth, None);
        let messages = info.name.iter().cloned().map(TextBlock::plain).collect();
        Ok(Reply {
            client: Some(info),
            messages,
            ..Reply::default()
        })
    }

    /// A phone to send to: the client's, or the one their authorisation gave.
    async fn phone_of(&self, client: &ClientId) -> Result<String, LoyaltyError> {
        match client {
            ClientId::Phone(phone) => Ok(wire_phone(phone)),
            _ => {
                let customer = self.customer(client).await?;
                customer
                    .auth
                    .phone
                    .map(|p| wire_phone(&p))
                    .ok_or_else(|| refused(text::MAXBONUS_NO_PHONE))
            }
        }
    }

    fn calc_request(&self, customer: &Customer, document: &Document, bonus: Money) -> wire::CalcCheck {
        let code = document.promo_code.clone();
        wire::CalcCheck {
            customer_token: customer.token.clone(),
            check_id: document.uid.clone(),
            number: format!("{}/{}", document.shift, document.number),
            date: document.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            items: items(&document.lines, |l| l.before_loyalty),
            bonus: Amount(bonus),
            certificate: document.certificates.iter().map(certificate).collect(),
            coupon: code.clone(),
            gift_code: code,
        }
    }

    /// A calculation of `request`: the cached one when it was of exactly this.
    async fn calculate(&self, request: wire::CalcCheck, reuse: bool) -> Result<wire::CalcAnswer, LoyaltyError> {
        let uid = request.check_id.clone();
        let cached = self.calculations.lock().unwrap_or_else(|p| p.into_inner()).get(&uid).cloned();
        if let Some(cached) = cached.filter(|c| reuse && c.request == request) {
            return Ok(cached.answer);
        }
        let answer: wire::CalcAnswer = self.post(wire::CALC, Body::Json(&request)).await?;
        check_calculation(&request, &answer)?;
        let kept = Calculation {
            request,
            answer: answer.clone(),
        };
        self.calculations.lock().unwrap_or_else(|p| p.into_inner()).insert(uid, kept);
        Ok(answer)
    }

    fn forget_calculation(&self, uid: &str) {
        self.calculations.lock().unwrap_or_else(|p| p.into_inner()).remove(uid);
    }

    async fn precheck(&self, client: &ClientId, document: &Document, bonus: Money) -> Result<Reply, LoyaltyError> {
        let customer = self.customer(client).await?;
        let request = self.calc_request(&customer, document, bonus);
        let calc = self.calculate(request, false).await?;
        let info = info(&customer.auth, Some(&calc));
        let discounts = calc
            .items
            .iter()
            .map(|i| (i.position, i.discount.0))
            .filter(|(_, d)| !d.is_zero())
            .collect();
        let mut messages = Vec::new();
        // The coupon's effect is told once, at the calculation, not again with the write-off.
        if let Some(message) = calc.message.as_deref().map(str::trim).filter(|m| !m.is_empty() && bonus.is_zero()) {
            messages.push(TextBlock::plain(message));
        }
        if !bonus.is_zero() {
            let granted: i64 = calc.items.iter().map(|i| i.bonus_pay.0.0).sum();
            if granted != bonus.0 {
                return Err(refused(text::maxbonus_bonus_cut(bonus, Money(granted))));
            }
        }
        // Spread as the server spreads it, or not at all: what the receipt
        // shows is what MaxBonus books (and gives back at a return).
        let distribution = match bonus.is_zero() {
            true => None,
            false => Some(server_split(document, &calc).map_err(|fits| refused(text::maxbonus_split_over_floors(bonus, fits)))?),
        };
        let certified: i64 = calc.certificate.iter().map(|c| c.summ.0.0).sum();
        let asked: i64 = document.certificates.iter().map(|c| c.amount.0).sum();
        if certified != asked {
            return Err(refused(text::maxbonus_certificate_cut(Money(asked), Money(certified))));
        }
        Ok(Reply {
            client: Some(info),
            discounts,
            distribution,
            messages,
            ..Reply::default()
        })
    }

    /// The write of a sale, before its receipt is printed.
    async fn write(&self, client: &ClientId, document: &Document, bonus: Money) -> Result<Reply, LoyaltyError> {
        let customer = self.customer(client).await?;
        let request = self.calc_request(&customer, document, bonus);
        let mut reuse = true;
        for attempt in 0..2 {
            let calc = self.calculate(request.clone(), reuse).await?;
            // A calculation serves one write, answered or not.
            self.forget_calculation(&document.uid);
            check_applied(document, bonus, &calc)?;
            // The write books what its calculation carried: certificates and codes too.
            let body = wire::WriteCheck {
                customer_token: customer.token.clone(),
                calc_id: calc.calc_id.clone(),
                check_id: document.uid.clone(),
                certificate: request.certificate.clone(),
                coupon: request.coupon.clone(),
                gift_code: request.gift_code.clone(),
            };
            match self.call_raw::<_, wire::WriteAnswer>(wire::WRITE, Body::Json(&body)).await? {
                Ok(written) => return Ok(written_reply(&written)),
                // The register hung after an earlier write went through: that
                // check is removed whole and this one written in its place.
                Err(error) if error.is(wire::ALREADY_PROCESSED) && attempt == 0 => {
                    tracing::warn!(target: "kassa::loyalty", "check {} was already written: rolling it back to write it again", document.uid);
                    self.rollback(&document.uid).await?;
                    reuse = false;
                }
                Err(error) => return Err(error.into_error()),
            }
        }
        Err(refused(text::maxbonus_error(wire::ALREADY_PROCESSED, None)))
    }

    /// Removes a check whole; one the server does not have is already gone.
    async fn rollback(&self, uid: &str) -> Result<(), LoyaltyError> {
        let body = wire::Rollback { check_id: uid.to_string() };
        match self.call_raw::<_, wire::Done>(wire::ROLLBACK, Body::Json(&body)).await? {
            Ok(_) => Ok(()),
            Err(error) if error.is(wire::NO_SUCH_CHECK) => Ok(()),
            Err(error) => Err(error.into_error()),
        }
    }

    async fn return_check(&self, client: &ClientId, document: &Document) -> Result<Reply, LoyaltyError> {
        let DocumentKind::Return { reference_uid, kept, .. } = &document.kind else {
            return Err(refused("not a return"));
        };
        let customer = self.customer(client).await?;
        // Nothing of the sale is kept: a full return, sent with no positions.
        let full = kept.as_ref().is_some_and(|k| k.lines.is_empty());
        let body = wire::ReturnCheck {
            customer_token: customer.token,
            check_id: reference_uid.clone(),
            return_id: document.uid.clone(),
            items: if full { Vec::new() } else { returned_items(&document.lines) },
        };
        match self.call_raw::<_, wire::WriteAnswer>(wire::RETURN, Body::Json(&body)).await? {
            Ok(answer) => Ok(written_reply(&answer)),
            Err(error) if error.is(wire::ALREADY_PROCESSED) => Ok(Reply::default()),
            Err(error) => Err(error.into_error()),
        }
    }

    async fn certificate_info(&self, code: &str) -> Result<Reply, LoyaltyError> {
        let info: wire::CertInfo = self
            .post(wire::CERT_INFO, Body::Form(&wire::CertCode { code: code.to_string() }))
            .await?;
        Ok(Reply {
            certificate: Some(CertificateState {
                code: info.code,
                usable: info.status_code != wire::CERT_UNUSABLE,
                status: info.status.filter(|s| !s.trim().is_empty()),
                balance: info.balance.map_or(Money::ZERO, |b| b.0),
            }),
            ..Reply::default()
        })
    }

    /// Sends the catalog's goods (`kassa maxbonus import`).
    pub async fn import(&self, goods: Vec<wire::Good>) -> Result<u64, LoyaltyError> {
        let answer: wire::ImportAnswer = self.post(wire::IMPORT, Body::Json(&wire::Import { goods })).await?;
        Ok(answer.imported)
    }

    /// A queued request: a refused outlet token waits for support to fix it.
    async fn queued(&self, request: &Request) -> Result<Reply, LoyaltyError> {
        let answered = match request {
            Request::Confirm {
                client,
                document,
                payments,
            } => match document.kind {
                DocumentKind::Sale => self.write(client, document, bonus_of(payments)).await,
                DocumentKind::Return { .. } => self.return_check(client, document).await,
            },
            Request::CancelBonusPayment { document, .. } => self.rollback(&document.uid).await.map(|()| Reply::default()),
            _ => return Err(LoyaltyError::Unsupported(request.name().into())),
        };
        answered.map_err(|e| match e {
            LoyaltyError::Refused { text } if text == text::MAXBONUS_TOKEN_REFUSED => LoyaltyError::Link(text),
            other => other,
        })
    }

    pub async fn call(&self, request: &Request, _now: NaiveDateTime) -> Result<Reply, LoyaltyError> {
        match request {
            // Not sent: every request shows the link.
            Request::CheckLink => Ok(Reply::default()),
            Request::ClientInfo { client, .. } => self.client_info(client).await,
            Request::Register { phone, .. } => {
                let _: wire::Done = self
                    .post(wire::REGISTER, Body::Form(&wire::PhoneForm { phone: wire_phone(phone) }))
                    .await?;
                Ok(Reply::default())
            }
            Request::ResendRegistrationCode { phone } => {
                let form = wire::PhoneForm { phone: wire_phone(phone) };
                let _: wire::Done = self.post(wire::REGISTER_REPEAT, Body::Form(&form)).await?;
                Ok(Reply::default())
            }
            Request::ConfirmRegistration { phone, code, profile } => self.confirm_registration(phone, code, profile).await,
            Request::SendChatBotLink { client } => {
                let form = wire::PhoneForm {
                    phone: self.phone_of(client).await?,
                };
                let _: wire::Done = self.post(wire::CHAT_BOT, Body::Form(&form)).await?;
                Ok(Reply::default())
            }
            Request::SendSpendCode { client } => {
                let customer = self.customer(client).await?;
                let _: wire::Done = self
                    .post(
                        wire::ASK_PIN,
                        Body::Form(&wire::AskPin {
                            customer_token: customer.token,
                        }),
                    )
                    .await?;
                Ok(Reply::default())
            }
            Request::CheckSpendCode { client, code } => {
                let customer = self.customer(client).await?;
                let form = wire::CheckPin {
                    customer_token: customer.token,
                    pin: code.trim().to_string(),
                };
                match self.call_raw::<_, wire::Done>(wire::CHECK_PIN, Body::Form(&form)).await? {
                    Ok(_) => Ok(Reply::default()),
                    Err(error) if error.is(wire::WRONG_PIN) => Err(refused(text::WRONG_SPEND_CODE)),
                    Err(error) => Err(error.into_error()),
                }
            }
            Request::CertificateInfo { code } => self.certificate_info(code).await,
            Request::Calculate { client, document } => self.precheck(client, document, Money::ZERO).await,
            Request::PayByBonus { client, document, amount } => self.precheck(client, document, *amount).await,
            Request::Confirm { .. } | Request::CancelBonusPayment { .. } => self.queued(request).await,
        }
    }
}

fn anonymous() -> Customer {
    Customer {
        token: wire::ANONYMOUS_TOKEN.into(),
        auth: wire::CustomerAuth::default(),
    }
}

fn known_as(auth: &wire::CustomerAuth) -> Option<ClientId> {
    let digits: String = auth.phone.as_deref()?.chars().filter(char::is_ascii_digit).collect();
    match ClientId::parse(&digits)? {
        phone @ ClientId::Phone(_) => Some(phone),
        _ => None,
    }
}

/// The interface's view of a customer; `calc` adds what a calculation said.
fn info(auth: &wire::CustomerAuth, calc: Option<&wire::CalcAnswer>) -> ClientInfo {
    let name = super::full_name([&auth.last_name, &auth.first_name, &auth.middle_name]).or(calc.and_then(|c| c.name.clone()));
    let balance = calc.map(|c| c.total_bonus.0).or(auth.total_bonus.map(|b| b.0));
    let known_as = known_as(auth);
    ClientInfo {
        name,
        balance: balance.map(|b| b.max(Money::ZERO)),
        phone: match &known_as {
            Some(ClientId::Phone(phone)) => Some(phone.clone()),
            _ => None,
        },
        email: None,
        validation_code: None,
        available: calc.map(|c| c.max_bonus.0.min(c.total_bonus.0).max(Money::ZERO)),
        burning: Vec::new(),
        known_as,
        spend_code: auth.n_checkpin == Some(1),
    }
}

fn items(lines: &[Line], sum: fn(&Line) -> Money) -> Vec<wire::Item> {
    lines
        .iter()
        .map(|l| wire::Item {
            position: l.index,
            code: l.code.clone(),
            name: l.name.clone(),
            price: Amount(l.price),
            quantity: Qty(l.quantity),
            summ: Amount(sum(l)),
        })
        .collect()
}

/// A return's positions, numbered as in the sale.
fn returned_items(lines: &[Line]) -> Vec<wire::Item> {
    let mut items = items(lines, |l| l.total);
    for (item, line) in items.iter_mut().zip(lines) {
        item.position = line.sale_index.unwrap_or(line.index);
    }
    items
}

fn certificate(payment: &CertificatePayment) -> wire::Certificate {
    wire::Certificate {
        code: payment.code.clone(),
        pin: payment.pin.clone(),
        summ: AmountText(payment.amount),
    }
}

fn bonus_of(payments: &[super::Payment]) -> Money {
    Money(payments.iter().filter(|p| p.kind == PaymentType::Bonus).map(|p| p.amount.0).sum())
}

/// A calculation must speak of the positions sent, within their sums.
fn check_calculation(request: &wire::CalcCheck, answer: &wire::CalcAnswer) -> Result<(), LoyaltyError> {
    for item in &answer.items {
        let Some(sent) = request.items.iter().find(|i| i.position == item.position) else {
            return Err(nonsense(format!("position {} was not sent", item.position)));
        };
        let off = item.discount.0.0 + item.bonus_pay.0.0;
        if [item.discount.0, item.bonus_pay.0, item.max_bonus_can_pay.0]
            .iter()
            .any(|m| m.is_negative())
            || off > sent.summ.0.0
        {
            return Err(nonsense(format!("position {}: more off than it costs", item.position)));
        }
    }
    Ok(())
}

/// What the write commits must be what the receipt shows: each position's
/// discount and its share of the write-off (the receipt spread it as the
/// server did, see [`server_split`]). A receipt with nothing applied
/// (written later, after going on without the link) takes the calculation
/// as it is.
fn check_applied(document: &Document, bonus: Money, calc: &wire::CalcAnswer) -> Result<(), LoyaltyError> {
    let applied = |l: &Line| l.before_loyalty.0 - l.total.0;
    if bonus.is_zero() && document.lines.iter().all(|l| applied(l) == 0) {
        return Ok(());
    }
    for line in &document.lines {
        let item = calc.items.iter().find(|i| i.position == line.index);
        let discount = item.map_or(0, |i| i.discount.0.0);
        let bonus_pay = item.map_or(0, |i| i.bonus_pay.0.0);
        if applied(line) - discount != bonus_pay {
            return Err(refused(text::MAXBONUS_CHANGED));
        }
    }
    let written: i64 = calc.items.iter().map(|i| i.bonus_pay.0.0).sum();
    if written != bonus.0 {
        return Err(refused(text::MAXBONUS_CHANGED));
    }
    Ok(())
}

/// The write-off as the server spread it (`bonus_pay` per item), so that
/// the receipt, its returns and the server's books split it alike. The
/// server does not know the minimum prices: where its split would take a
/// line below its floor (after the calculation's discount), the payment
/// cannot be booked as printed — `Err` with the most that fits the split.
fn server_split(document: &Document, calc: &wire::CalcAnswer) -> Result<Vec<(u32, Money)>, Money> {
    let mut split = Vec::new();
    let (mut fits, mut breaks) = (0, false);
    for item in calc.items.iter().filter(|i| !i.bonus_pay.0.is_zero()) {
        let room = document.lines.iter().find(|l| l.index == item.position).map_or(0, |line| {
            let floor = line.min_price.times(line.quantity).map_or(line.before_loyalty.0, |f| f.0);
            (line.before_loyalty.0 - item.discount.0.0 - floor).max(0)
        });
        breaks |= item.bonus_pay.0.0 > room;
        fits += item.bonus_pay.0.0.min(room);
        split.push((item.position, item.bonus_pay.0));
    }
    if breaks { Err(Money(fits)) } else { Ok(split) }
}

fn written_reply(written: &wire::WriteAnswer) -> Reply {
    let footer: Vec<String> = written
        .text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect();
    let mut messages: Vec<TextBlock> = Vec::new();
    if !written.bonus_pay.0.is_zero() {
        messages.push(TextBlock::plain(text::maxbonus_spent(written.bonus_pay.0)));
    }
    if !written.bonus_add.0.is_zero() {
        messages.push(TextBlock::plain(text::maxbonus_accrued(written.bonus_add.0)));
    }
    Reply {
        footer,
        messages,
        ..Reply::default()
    }
}

/// JSON object → `a=1&b=x`: the form encoding of a flat request.
fn form_body(json: &[u8]) -> Result<String, String> {
    let value: serde_json::Value = serde_json::from_slice(json).map_err(|e| e.to_string())?;
    let object = value.as_object().ok_or("not an object")?;
    let pairs = object.iter().map(|(key, value)| {
        let text = match value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        format!("{}={}", encode_component(key), encode_component(&text))
    });
    Ok(pairs.collect::<Vec<_>>().join("&"))
}

fn encode_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_url_encoded() {
        let json = serde_json::to_vec(&wire::QrForm { qr: "a b&c=д".into() }).expect("json");
        assert_eq!(form_body(&json).as_deref(), Ok("qr=a+b%26c%3D%D0%B4"));
    }

    #[test]
    fn server_errors_read_as_the_cashier_needs() {
        let not_found = ServerError::read(422, r#"{"error": {"code": 422, "message": "Покупатель не найден"}}"#.as_bytes());
        assert_eq!(not_found.into_auth_error().to_string(), text::MAXBONUS_NOT_FOUND);
        let wrong_pin = ServerError::read(422, r#"{"code":422,"message":"Неверный ПИН"}"#.as_bytes()).into_error();
        assert!(wrong_pin.to_string().contains("Неверный ПИН"), "{wrong_pin}");
        let token = ServerError::read(401, b"");
        assert_eq!(token.into_error().to_string(), text::MAXBONUS_TOKEN_REFUSED);
        let numbered = ServerError::read(400, r#"{"code": 17, "message": "Неверная сумма"}"#.as_bytes()).into_error();
        assert!(
            numbered.to_string().contains("17") && numbered.to_string().contains("Неверная сумма"),
            "{numbered}"
        );
        assert!(ServerError::read(503, b"").into_error().is_link());
        assert!(ServerError::read(409, br#"{"error": {"code": 409}}"#).is(wire::ALREADY_PROCESSED));
    }

    #[test]
    fn a_qr_customer_is_known_by_phone() {
        let auth = wire::CustomerAuth {
            phone: Some("79161234567".into()),
            token: Some("t".into()),
            n_checkpin: Some(1),
            total_bonus: Some(Amount(Money(120_50))),
            first_name: Some("Анна".into()),
            ..wire::CustomerAuth::default()
        };
        let info = info(&auth, None);
        assert_eq!(info.known_as, Some(ClientId::Phone("+79161234567".into())));
        assert!(info.spend_code);
        assert_eq!(info.balance, Some(Money(120_50)));
        assert_eq!(info.name.as_deref(), Some("Анна"));
    }
}
