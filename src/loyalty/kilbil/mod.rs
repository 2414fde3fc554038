//! The KilBil provider (`../shared/specs/kilbil.txt`): JSON functions at
//! `POST <url>/load/<function>?h=<key>`.
//!
//! How the interface maps onto the functions:
//! - [`Request::CheckLink`]: `searchclient` for phone `70000000000` — "not
//!   found" is an answer, so the link is up;
//! - [`Request::ClientInfo`]: `searchclient` by phone (mode 0) or card (mode 2);
//!   not found is a refusal with the spec's wording;
//! - [`Request::Register`]: `searchclient` (the phone must be new — the only
//!   uniqueness check the spec asks for), `addclient` with the phone, then
//!   `askconfirmphone` with `sms_type` 0; [`Request::ConfirmRegistration`]:
//!   `checkconfirmphonecode`;
//! - [`Request::SendSpendCode`] / [`Request::CheckSpendCode`]:
//!   `askconfirmphone` with `sms_type` 1 / `checkconfirmphonecode`;
//! - [`Request::Calculate`], [`Request::PayByBonus`],
//!   [`Request::CancelBonusPayment`]: `processsale` with `bonus_out` 0, the
//!   amount, 0; a return is first checked against its sale with
//!   `getdetailingbymove`, then calculated with `type` 1;
//! - [`Request::Confirm`]: `confirmsale` (the server is idempotent by
//!   `move_id`).
//!
//! `processsale` needs the client's `client_id` and searchclient's
//! `max_bill_bonus_out`; they are remembered per client for the life of the
//! worker and looked up again when missing (after a restart).
//!
//! Failures: no answer, a timeout and any HTTP status but 200 are link
//! failures (the spec: "any other code and no answer are a negative
//! answer"; the lamp turns red and queued confirmations wait — a wrong key
//! keeps them waiting, not lost); 200 with `result_code` ≠ 0, or an
//! unreadable 200, is a refusal. The key `h` travels in the URL and never
//! reaches a log.

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

use super::{ClientId, ClientInfo, Document, DocumentKind, LoyaltyError, Reply, Request, TextBlock};
use crate::core::money::Money;
use crate::text;
use wire::{Amount, Qty};

/// Settings of one store's KilBil account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Base URL, e.g. `https://bonus.kilbil.ru`; requests go to `<url>/load/<function>`.
    pub url: String,
    /// The key `h`: a secret.
    pub key: String,
    /// «Код структурного подразделения» and «код кассы» for `move_id`.
    pub store_code: String,
    pub register_code: String,
    /// The response timeout from the company card.
    pub timeout: Duration,
    /// Ends a wait for an answer sooner than `timeout` when its holder
    /// says so (replays); the default never does.
    pub deadline: super::Deadline,
}

/// `<store>-<register>-<shift>-<receipt date>-<receipt №>`: unique per receipt.
pub fn move_id(settings: &Settings, shift: u32, number: u32, opened_at: NaiveDateTime) -> String {
    format!(
        "{}-{}-{shift}-{}-{number}",
        settings.store_code,
        settings.register_code,
        opened_at.format(wire::MOVE_DATE)
    )
}

pub fn date_time(at: NaiveDateTime) -> String {
    at.format(wire::DATE_TIME).to_string()
}

/// `+79161234567` → `79161234567`.
pub fn wire_phone(phone: &str) -> String {
    phone.trim_start_matches('+').to_string()
}

fn search(client: &ClientId) -> wire::SearchClient {
    match client {
        ClientId::Phone(phone) => wire::SearchClient {
            search_mode: wire::BY_PHONE,
            search_value: wire_phone(phone),
        },
        ClientId::Card(card) => wire::SearchClient {
            search_mode: wire::BY_CARD,
            search_value: card.clone(),
        },
        // Not in KilBil's flow: an empty search the server finds nothing for.
        ClientId::Anonymous => wire::SearchClient {
            search_mode: wire::BY_CARD,
            search_value: String::new(),
        },
    }
}

/// What searchclient told about a client, kept for processsale.
#[derive(Debug, Clone, PartialEq)]
pub struct Known {
    pub client_id: serde_json::Value,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub balance: Money,
    pub max_bill_bonus_out: Money,
}

impl Known {
    fn from_answer(answer: &wire::ClientAnswer) -> Option<Known> {
        let client_id = answer.client_id.clone().filter(|id| !id.is_null())?;
        let name = [&answer.last_name, &answer.first_name, &answer.middle_name]
            .into_iter()
            .flatten()
            .map(|part| part.trim())
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        Some(Known {
            client_id,
            phone: answer.phone.clone().filter(|p| !p.trim().is_empty()),
            name: (!name.is_empty()).then_some(name),
            balance: answer.bonus_balance.map_or(Money::ZERO, |a| a.0),
            max_bill_bonus_out: answer.max_bill_bonus_out.map_or(Money::ZERO, |a| a.0),
        })
    }

    /// The buyer not identified (`client_id` null): nothing to spend.
    fn nobody() -> Known {
        Known {
            client_id: serde_json::Value::Null,
            phone: None,
            name: None,
            balance: Money::ZERO,
            max_bill_bonus_out: Money::ZERO,
        }
    }

    /// The interface's view: bonus payment is capped by both the receipt's
    /// maximum and the balance.
    fn info(&self) -> ClientInfo {
        ClientInfo {
            name: self.name.clone(),
            balance: Some(self.balance),
            phone: self.phone.as_ref().map(|p| format!("+{}", wire_phone(p))),
            email: None,
            validation_code: None,
            available: Some(self.max_bill_bonus_out.min(self.balance).max(Money::ZERO)),
            ..ClientInfo::default()
        }
    }

    fn messages(&self) -> Vec<TextBlock> {
        let mut lines = Vec::new();
        if let Some(name) = &self.name {
            lines.push(name.clone());
        }
        lines.push(text::client_balance(self.balance));
        lines.into_iter().map(TextBlock::plain).collect()
    }
}

/// The lines before loyalty: KilBil applies its own discounts and the
/// write-off (see the reading in [`wire`]).
fn goods(document: &Document) -> Vec<wire::Good> {
    document
        .lines
        .iter()
        .map(|l| {
            let price = unit_price(l);
            wire::Good {
                code: l.code.clone(),
                vendor_code: l.code.clone(),
                name: l.name.clone(),
                price: Amount(price),
                quantity: Qty(l.quantity),
                total: Amount(l.before_loyalty),
                min_price: Amount(l.min_price),
                discounted_price: Amount(price),
                discounted_total: Amount(l.before_loyalty),
            }
        })
        .collect()
}

/// The catalogue price, or, where the register discounted the line by hand,
/// its sum before loyalty over its quantity, rounded to the kopeck.
fn unit_price(line: &super::Line) -> Money {
    let full = line.price.times(line.quantity);
    if full == Some(line.before_loyalty) || line.quantity.0 <= 0 {
        return line.price;
    }
    line.before_loyalty.share(1000, line.quantity.0).unwrap_or(line.price)
}

/// Matches answer items to the document's lines: line for line when the
/// counts agree, else each item to the first unmatched line with its code.
fn matched<'a>(document: &Document, items: &'a [wire::Item]) -> Vec<(u32, &'a wire::Item)> {
    if items.len() == document.lines.len() && items.iter().zip(&document.lines).all(|(i, l)| i.code == l.code) {
        return document.lines.iter().map(|l| l.index).zip(items).collect();
    }
    let mut used = vec![false; document.lines.len()];
    items
        .iter()
        .filter_map(|item| {
            let at = document
                .lines
                .iter()
                .enumerate()
                .position(|(n, l)| !used[n] && l.code == item.code)?;
            used[at] = true;
            Some((document.lines[at].index, item))
        })
        .collect()
}

/// processsale's answer as the interface's reply: a discount where the new
/// price is lower, and the bonus payment per line.
pub fn sale_reply(document: &Document, answer: &wire::SaleAnswer, known: Option<&Known>, paying: bool) -> Reply {
    let items = answer.bill_data.as_ref().map(|b| b.items.as_slice()).unwrap_or_default();
    let pairs = matched(document, items);
    let line = |index: u32| document.lines.iter().find(|l| l.index == index);
    let discounts = pairs
        .iter()
        .filter_map(|(index, item)| {
            let line = line(*index)?;
            // The server's own line sums where it gives them; else its unit prices.
            let cut = match (item.total, item.discounted_total) {
                (Some(total), Some(after)) => Money(total.0.0 - after.0.0),
                (None, Some(after)) => Money(line.before_loyalty.0 - after.0.0),
                _ => Money(item.price.0.0 - item.discounted_price.0.0).times(line.quantity)?,
            };
            (cut.0 > 0).then_some((*index, cut))
        })
        .collect();
    let distribution = paying.then(|| {
        pairs
            .iter()
            .filter_map(|(index, item)| item.bonus_out.map(|b| (*index, b.0)))
            .filter(|(_, amount)| !amount.is_zero())
            .collect()
    });
    Reply {
        client: known.map(Known::info),
        discounts,
        distribution,
        ..Reply::default()
    }
}

/// Checks that a return takes back only what the sale had.
pub fn check_return(document: &Document, sale: &wire::MoveAnswer) -> Result<(), LoyaltyError> {
    if sale.move_info.as_ref().is_some_and(|info| info.oper_type != wire::OPER_SALE) {
        return Err(refused(text::KILBIL_NOT_A_SALE.to_string()));
    }
    // In i128: the server's quantities are each readable, but may add up past i64.
    for line in &document.lines {
        let sold: i128 = sale
            .move_detail
            .iter()
            .filter(|m| m.code == line.code)
            .map(|m| i128::from(m.quantity.0.thousandths()))
            .sum();
        let returned: i128 = document
            .lines
            .iter()
            .filter(|l| l.code == line.code)
            .map(|l| i128::from(l.quantity.thousandths()))
            .sum();
        if returned > sold {
            return Err(refused(text::kilbil_not_in_sale(&line.code)));
        }
    }
    Ok(())
}

fn refused(text: String) -> LoyaltyError {
    LoyaltyError::Refused { text }
}

/// Reads an answer: 200 with `result_code` 0 and the expected shape.
pub fn classify<T: DeserializeOwned>(status: u16, reason: &str, body: &[u8]) -> Result<T, LoyaltyError> {
    if status != 200 {
        return Err(LoyaltyError::Link(format!("HTTP {status} {reason}")));
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| LoyaltyError::Unreadable(e.to_string()))?;
    let code = value.get("result_code").and_then(serde_json::Value::as_i64);
    if code != Some(0) {
        let said = wire::REFUSAL_TEXT_KEYS
            .iter()
            .find_map(|key| value.get(*key).and_then(|v| v.as_str()))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        return Err(refused(match (said, code) {
            (Some(said), _) => said.to_string(),
            (None, Some(code)) => text::kilbil_result_code(code),
            (None, None) => return Err(LoyaltyError::Unreadable("no result_code".into())),
        }));
    }
    serde_json::from_value(value).map_err(|e| LoyaltyError::Unreadable(e.to_string()))
}

/// The HTTP side: one client with the store's settings.
pub struct KilBil {
    settings: Settings,
    http: reqwest::Client,
    known: Mutex<HashMap<ClientId, Known>>,
    /// Registrations under way, by phone.
    registrations: Mutex<HashMap<String, Registration>>,
}

/// A registration under way: the record it completes (null for a new
/// phone) and whether its code was accepted.
#[derive(Debug, Clone)]
struct Registration {
    client_id: serde_json::Value,
    confirmed: bool,
}

impl KilBil {
    pub fn new(settings: Settings) -> Result<KilBil, LoyaltyError> {
        let http = super::http_client(settings.timeout)?;
        Ok(KilBil {
            settings,
            http,
            known: Mutex::new(HashMap::new()),
            registrations: Mutex::new(HashMap::new()),
        })
    }

    /// One function call. The body is logged redacted; the URL without `h`.
    async fn post<B: Serialize, T: DeserializeOwned>(&self, function: &str, body: &B) -> Result<T, LoyaltyError> {
        let bytes = serde_json::to_vec(body).map_err(|e| refused(format!("cannot encode the request: {e}")))?;
        let url = format!("{}/load/{function}", self.settings.url.trim_end_matches('/'));
        // checkconfirmphonecode's `code` is the SMS code.
        let secrets: &[&str] = if function == wire::CHECK_CONFIRM_PHONE_CODE {
            &["code"]
        } else {
            &[]
        };
        tracing::info!(target: "kassa::loyalty", "→ {url} {}", super::redact_also(&bytes, secrets));
        let answered = async {
            let with_key = reqwest::Url::parse_with_params(&url, [("h", self.settings.key.as_str())])
                .map_err(|e| refused(format!("[loyalty] url {url:?}: {e}")))?;
            let request = self
                .http
                .post(with_key)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .body(bytes);
            let (status, body) = super::exchange(request, &self.settings.deadline).await?;
            tracing::info!(target: "kassa::loyalty", "← {function} {} {}", status.as_u16(), super::redact(&body));
            classify(status.as_u16(), status.canonical_reason().unwrap_or(""), &body)
        }
        .await;
        if let Err(error) = &answered {
            tracing::warn!(target: "kassa::loyalty", "{function} failed: {error}");
        }
        answered
    }

    fn remembered(&self, client: &ClientId) -> Option<Known> {
        self.known.lock().unwrap_or_else(|p| p.into_inner()).get(client).cloned()
    }

    /// searchclient; the answer is remembered for processsale.
    async fn find(&self, client: &ClientId) -> Result<Known, LoyaltyError> {
        let answer: wire::ClientAnswer = self.post(wire::SEARCH_CLIENT, &search(client)).await?;
        let known = Known::from_answer(&answer).ok_or_else(|| refused(text::KILBIL_NOT_FOUND.to_string()))?;
        self.known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(client.clone(), known.clone());
        Ok(known)
    }

    async fn known(&self, client: &ClientId) -> Result<Known, LoyaltyError> {
        match self.remembered(client) {
            Some(known) => Ok(known),
            None => self.find(client).await,
        }
    }

    /// The phone to send a code to: the client's own, or the one typed.
    fn phone_of(client: &ClientId, known: &Known) -> Result<String, LoyaltyError> {
        known
            .phone
            .clone()
            .or(match client {
                ClientId::Phone(phone) => Some(phone.clone()),
                ClientId::Card(_) | ClientId::Anonymous => None,
            })
            .map(|p| wire_phone(&p))
            .ok_or_else(|| refused(text::KILBIL_NO_PHONE.to_string()))
    }

    async fn process(&self, client: &ClientId, document: &Document, bonus_out: Money) -> Result<Reply, LoyaltyError> {
        let known = match client {
            // A receipt with a promo code and no client: `client_id` null.
            ClientId::Anonymous => Known::nobody(),
            _ => self.known(client).await?,
        };
        let (kind, return_move_id, return_doc_dt) = match &document.kind {
            DocumentKind::Sale => (wire::SALE, None, None),
            DocumentKind::Return { sale, .. } => {
                let sale = sale.as_ref().ok_or_else(|| refused(text::KILBIL_NOT_A_SALE.to_string()))?;
                let sale_move = move_id(&self.settings, sale.shift, sale.number, sale.opened_at);
                let detail: wire::MoveAnswer = self
                    .post(
                        wire::GET_DETAILING_BY_MOVE,
                        &wire::GetDetailingByMove {
                            move_id: sale_move.clone(),
                        },
                    )
                    .await?;
                check_return(document, &detail)?;
                (wire::RETURN, Some(sale_move), Some(date_time(sale.opened_at)))
            }
        };
        let body = wire::ProcessSale {
            client_id: known.client_id.clone(),
            kind,
            bonus_out: Amount(bonus_out),
            max_bonus_out: Amount(known.max_bill_bonus_out),
            good_data: goods(document),
            move_id: move_id(&self.settings, document.shift, document.number, document.at),
            doc_open_dt: date_time(document.at),
            return_move_id,
            return_doc_dt,
            promo_codes: document.promo_code.iter().cloned().collect(),
        };
        let answer: wire::SaleAnswer = self.post(wire::PROCESS_SALE, &body).await?;
        let named = (*client != ClientId::Anonymous).then_some(&known);
        Ok(sale_reply(document, &answer, named, !bonus_out.is_zero()))
    }

    async fn ask_code(&self, client: &ClientId, sms_type: u8) -> Result<Reply, LoyaltyError> {
        let known = self.known(client).await?;
        let body = wire::AskConfirmPhone {
            client_id: known.client_id.clone(),
            phone: Self::phone_of(client, &known)?,
            sms_type,
        };
        let _: wire::Done = self.post(wire::ASK_CONFIRM_PHONE, &body).await?;
        Ok(Reply {
            client: Some(known.info()),
            ..Reply::default()
        })
    }

    async fn check_code(&self, client: &ClientId, code: &str) -> Result<Known, LoyaltyError> {
        let known = self.known(client).await?;
        let body = wire::CheckConfirmPhoneCode {
            client_id: known.client_id.clone(),
            phone: Self::phone_of(client, &known)?,
            code: code.trim().to_string(),
        };
        let _: wire::Done = self.post(wire::CHECK_CONFIRM_PHONE_CODE, &body).await?;
        Ok(known)
    }

    /// A registration's first step: the SMS code to the phone (`sms_type` 0).
    /// A client found by the phone is one an earlier registration left
    /// half-done (or one registered before): the code confirms that record.
    async fn register(&self, phone: &str) -> Result<Reply, LoyaltyError> {
        let client = ClientId::Phone(phone.to_string());
        let found: wire::ClientAnswer = self.post(wire::SEARCH_CLIENT, &search(&client)).await?;
        let client_id = found.client_id.filter(|id| !id.is_null()).unwrap_or(serde_json::Value::Null);
        self.registering(phone).insert(
            phone.to_string(),
            Registration {
                client_id,
                confirmed: false,
            },
        );
        self.send_registration_code(phone).await
    }

    fn registering(&self, _phone: &str) -> std::sync::MutexGuard<'_, HashMap<String, Registration>> {
        self.registrations.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn send_registration_code(&self, phone: &str) -> Result<Reply, LoyaltyError> {
        let client_id = self
            .registering(phone)
            .get(phone)
            .map_or(serde_json::Value::Null, |r| r.client_id.clone());
        let body = wire::AskConfirmPhone {
            client_id,
            phone: wire_phone(phone),
            sms_type: wire::SMS_REGISTRATION,
        };
        let _: wire::Done = self.post(wire::ASK_CONFIRM_PHONE, &body).await?;
        Ok(Reply::default())
    }

    /// The code checked, then the client added (or its half-done record
    /// completed). A code already accepted is not checked again, so a retry
    /// after a failed `addclient` finishes the registration.
    async fn confirm_registration(&self, phone: &str, code: &str) -> Result<Reply, LoyaltyError> {
        let pending = self.registering(phone).get(phone).cloned().unwrap_or(Registration {
            client_id: serde_json::Value::Null,
            confirmed: false,
        });
        if !pending.confirmed {
            let body = wire::CheckConfirmPhoneCode {
                client_id: pending.client_id.clone(),
                phone: wire_phone(phone),
                code: code.trim().to_string(),
            };
            let _: wire::Done = self.post(wire::CHECK_CONFIRM_PHONE_CODE, &body).await?;
            self.registering(phone).insert(
                phone.to_string(),
                Registration {
                    client_id: pending.client_id.clone(),
                    confirmed: true,
                },
            );
        }
        let body = wire::AddClient {
            client_id: pending.client_id,
            phone: wire_phone(phone),
        };
        let added: wire::Done = self.post(wire::ADD_CLIENT, &body).await?;
        if added.client_id.as_ref().is_none_or(serde_json::Value::is_null) {
            return Err(LoyaltyError::Unreadable("addclient: no client_id".into()));
        }
        self.registering(phone).remove(phone);
        // Fresh details (and the new client's maximum) for the receipt.
        let known = self.find(&ClientId::Phone(phone.to_string())).await?;
        Ok(Reply {
            client: Some(known.info()),
            messages: known.messages(),
            ..Reply::default()
        })
    }

    pub async fn call(&self, request: &Request, _now: NaiveDateTime) -> Result<Reply, LoyaltyError> {
        match request {
            Request::CheckLink => {
                let probe = wire::SearchClient {
                    search_mode: wire::BY_PHONE,
                    search_value: wire::PROBE_PHONE.into(),
                };
                let _: wire::ClientAnswer = self.post(wire::SEARCH_CLIENT, &probe).await?;
                Ok(Reply::default())
            }
            Request::ClientInfo { client, .. } => {
                let known = self.find(client).await?;
                Ok(Reply {
                    client: Some(known.info()),
                    messages: known.messages(),
                    ..Reply::default()
                })
            }
            Request::Register { phone, .. } => self.register(phone).await,
            Request::ConfirmRegistration { phone, code, .. } => self.confirm_registration(phone, code).await,
            Request::ResendRegistrationCode { phone } => self.send_registration_code(phone).await,
            Request::SendChatBotLink { .. } | Request::CertificateInfo { .. } => Err(LoyaltyError::Unsupported(request.name().into())),
            Request::SendSpendCode { client } => self.ask_code(client, wire::SMS_SPEND).await,
            Request::CheckSpendCode { client, code } => {
                let known = self.check_code(client, code).await?;
                Ok(Reply {
                    client: Some(known.info()),
                    ..Reply::default()
                })
            }
            // The client's id and maximum come from the searchclient made when
            // the client was entered (or now, after a restart).
            Request::Calculate { client, document } => self.process(client, document, Money::ZERO).await,
            Request::PayByBonus { client, document, amount } => self.process(client, document, *amount).await,
            Request::CancelBonusPayment { client, document, .. } => self.process(client, document, Money::ZERO).await,
            Request::Confirm { document, .. } => {
                let body = wire::ConfirmSale {
                    move_id: move_id(&self.settings, document.shift, document.number, document.at),
                    doc_open_dt: date_time(document.at),
                    doc_dt: date_time(document.closed_at.unwrap_or(document.at)),
                };
                let _: wire::Done = self.post(wire::CONFIRM_SALE, &body).await?;
                Ok(Reply::default())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::money::Quantity;
    use crate::loyalty::Line;

    fn document() -> Document {
        let line = |index: u32, code: &str, price: i64, quantity: i64| Line {
            index,
            code: code.into(),
            name: format!("Товар {code}"),
            price: Money(price),
            min_price: Money::ZERO,
            quantity: Quantity(quantity),
            total: Money(price).times(Quantity(quantity)).expect("small"),
            before_loyalty: Money(price).times(Quantity(quantity)).expect("small"),
            sale_index: None,
        };
        Document {
            uid: "u".into(),
            kind: DocumentKind::Sale,
            shift: 5,
            number: 7,
            at: chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
                .and_then(|d| d.and_hms_opt(9, 30, 0))
                .expect("valid"),
            lines: vec![line(1, "42", 100_00, 2000), line(2, "43", 50_00, 1000), line(3, "42", 100_00, 1000)],
            promo_code: None,
            closed_at: None,
            certificates: Vec::new(),
        }
    }

    fn settings() -> Settings {
        Settings {
            url: "http://localhost".into(),
            key: "k".into(),
            store_code: "0001".into(),
            register_code: "01".into(),
            timeout: Duration::from_secs(1),
            deadline: Default::default(),
        }
    }

    #[test]
    fn lines_go_before_loyalty_with_a_hand_discount_in_the_unit_price() {
        let mut d = document();
        // After KilBil's discount and a write-off: never sent as the total.
        d.lines[0].total = Money(150_00);
        // Discounted by hand to 170.00 for two: 85.00 each.
        d.lines[0].before_loyalty = Money(170_00);
        let goods = goods(&d);
        assert_eq!((goods[0].price, goods[0].total), (Amount(Money(85_00)), Amount(Money(170_00))));
        assert_eq!(
            (goods[0].discounted_price, goods[0].discounted_total),
            (goods[0].price, goods[0].total)
        );
        assert_eq!((goods[1].price, goods[1].total), (Amount(Money(50_00)), Amount(Money(50_00))));
    }

    #[test]
    fn the_servers_line_sums_are_used_where_given() {
        let mut d = document();
        d.lines.truncate(1);
        d.lines[0].quantity = Quantity(3000);
        d.lines[0].before_loyalty = Money(300_00);
        // 3 × 96.67 would be 290.01; the server's own sum says 290.00.
        let item = wire::Item {
            code: "42".into(),
            price: Amount(Money(100_00)),
            discounted_price: Amount(Money(96_67)),
            bonus_out: None,
            discounted_total: Some(Amount(Money(290_00))),
            total: Some(Amount(Money(300_00))),
        };
        let answer = wire::SaleAnswer {
            result_code: 0,
            bill_data: Some(wire::BillData {
                items: vec![item],
                bonus_out: None,
            }),
        };
        assert_eq!(sale_reply(&d, &answer, None, false).discounts, vec![(1, Money(10_00))]);
    }

    #[test]
    fn move_id_follows_the_spec() {
        let d = document();
        assert_eq!(move_id(&settings(), d.shift, d.number, d.at), "0001-01-5-20261123-7");
        assert_eq!(date_time(d.at), "2026-11-23 09:30:00");
    }

    #[test]
    fn failures_are_classified() {
        let link = classify::<wire::Done>(500, "Internal Server Error", b"").expect_err("500");
        assert!(link.is_link());
        let refused = classify::<wire::Done>(200, "OK", br#"{"result_code":3,"message":"No such card"}"#).expect_err("code 3");
        assert_eq!(refused.to_string(), "No such card");
        let bare = classify::<wire::Done>(200, "OK", br#"{"result_code":7}"#).expect_err("code 7");
        assert!(bare.to_string().contains('7'), "{bare}");
        assert!(classify::<wire::Done>(200, "OK", b"[1,").is_err_and(|e| !e.is_link()));
        assert!(classify::<wire::SaleAnswer>(200, "OK", br#"{"result_code":0,"bill_data":{"items":"x"}}"#).is_err_and(|e| !e.is_link()));
        assert!(classify::<wire::Done>(200, "OK", br#"{"result_code":0,"success":1}"#).is_ok());
    }

    #[test]
    fn answers_apply_line_by_line_and_by_code() {
        let d = document();
        let item = |code: &str, price: i64, new: i64, bonus: i64| wire::Item {
            code: code.into(),
            price: Amount(Money(price)),
            discounted_price: Amount(Money(new)),
            bonus_out: Some(Amount(Money(bonus))),
            discounted_total: None,
            total: None,
        };
        let answer = wire::SaleAnswer {
            result_code: 0,
            bill_data: Some(wire::BillData {
                items: vec![
                    item("42", 100_00, 90_00, 30_00),
                    item("43", 50_00, 50_00, 0),
                    item("42", 100_00, 95_00, 5_00),
                ],
                bonus_out: Some(Amount(Money(35_00))),
            }),
        };
        let reply = sale_reply(&d, &answer, None, true);
        assert_eq!(reply.discounts, vec![(1, Money(20_00)), (3, Money(5_00))]);
        assert_eq!(reply.distribution, Some(vec![(1, Money(30_00)), (3, Money(5_00))]));
        // Out of order and one missing: matched by code.
        let shuffled = wire::SaleAnswer {
            result_code: 0,
            bill_data: Some(wire::BillData {
                items: vec![item("43", 50_00, 40_00, 0), item("42", 100_00, 90_00, 0)],
                bonus_out: None,
            }),
        };
        assert_eq!(
            sale_reply(&d, &shuffled, None, false).discounts,
            vec![(2, Money(10_00)), (1, Money(20_00))]
        );
    }

    #[test]
    fn a_return_takes_back_only_what_was_sold() {
        let d = document();
        let sold = |quantity: i64| wire::MoveAnswer {
            result_code: 0,
            move_info: Some(wire::MoveInfo { oper_type: 0 }),
            move_detail: vec![
                wire::MoveLine {
                    code: "42".into(),
                    price: Amount(Money(100_00)),
                    total: Amount(Money(300_00)),
                    quantity: Qty(Quantity(quantity)),
                },
                wire::MoveLine {
                    code: "43".into(),
                    price: Amount(Money(50_00)),
                    total: Amount(Money(50_00)),
                    quantity: Qty(Quantity(1000)),
                },
            ],
        };
        assert!(check_return(&d, &sold(3000)).is_ok());
        assert!(check_return(&d, &sold(2000)).is_err());
    }

    /// A sale's detail whose quantities add up past i64 (each one readable,
    /// at most 15 digits of whole units) panicked in a debug build and
    /// wrapped in a release one; the sums are taken in i128.
    #[test]
    fn huge_sold_quantities_add_up_without_overflow() {
        let d = document();
        let line = |code: &str| wire::MoveLine {
            code: code.into(),
            price: Amount(Money(1)),
            total: Amount(Money(1)),
            quantity: Qty(Quantity(999_999_999_999_999_999)),
        };
        let sale = wire::MoveAnswer {
            result_code: 0,
            move_info: Some(wire::MoveInfo { oper_type: 0 }),
            move_detail: [vec![line("42"); 10], vec![line("43")]].concat(),
        };
        assert!(check_return(&d, &sale).is_ok());
    }
}
