//! The ProBonus provider (`../shared/specs/probonus.md`, Carbis API v0).
//!
//! ProBonus has no precheck for an outside register: the workstation
//! computes what it may and registers the finished purchase. How the
//! interface maps onto the API:
//! - guests are identified by phone only (`accounts/find_by_phone`); the
//!   account (id, balance, level) is remembered for the receipt's requests;
//! - [`Request::ClientInfo`]: `find_by_phone` + `accounts/get_balance_extended`
//!   (what burns when), + `accounts/transactions` (the last ones) for the
//!   balance enquiry;
//! - [`Request::Register`]: `find_by_phone` (the phone must be new), then
//!   `accounts/insert_by_template` into the configured `accountGroupId`; no
//!   SMS code;
//! - [`Request::Calculate`]: local — the most bonuses may pay is the level's
//!   `maxPaymentPercent` (or the configured one) of the receipt, within the balance;
//! - [`Request::PayByBonus`]: the balance is read again and the amount checked
//!   against it; nothing is spent until the purchase is registered;
//! - [`Request::Confirm`] of a sale: `external/register_check` with the
//!   receipt's GUID (its uid), the bonus spent, the discount, the accrual
//!   (the level's `bonusPercent` of the money paid, rounded down to a
//!   kopeck) and the money, all in kopecks;
//! - [`Request::Confirm`] of a return: `external/return_check` rolls the
//!   check the sale stands on back whole (a refusal of a resend whose first
//!   answer was lost is taken as done when the check's transactions add up
//!   to nothing: it was rolled back); when the guest keeps part of the
//!   sale, that part is registered as a new check (its GUID derived from the
//!   sale's and the number of returns), so a second return rolls that one back.
//!
//! Uniqueness of `checkGuid` is ours to guarantee (ProBonus does not check
//! it): before registering a check, the account's transactions since the
//! receipt closed are searched for its GUID, so an answer lost in a timeout or
//! a crash never makes a second purchase.
//!
//! Authorisation: a permanent token in a header, or login + bearer token,
//! refreshed before it expires and again on a 401 (then a new login if the
//! refresh token is refused). A 401, or a 403 with no text, that survives
//! that, a timeout, no answer and 408/429/5xx are link failures — a wrong
//! token keeps queued checks waiting, never loses them; a 403 with the
//! server's text («Гость заблокирован») and other 4xx are refusals; a 2xx
//! that cannot be read is "we do not know" (a check is looked up by its
//! GUID before it is sent again).

pub mod config;
pub mod demo;
pub mod emulator;
pub mod wire;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Burning, ClientId, ClientInfo, Document, DocumentKind, Line, LoyaltyError, PaymentType, Reply, Request, TextBlock};
use crate::core::money::Money;
use crate::text;
use wire::Kopecks;

/// How kassa proves who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// The permanent API token (the spec's simpler way).
    Token(String),
    /// Login and password: a bearer token, refreshed.
    Login { login: String, password: String },
}

/// Percents in hundredths (`5` % = 500), used when the level has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rules {
    pub accrual: i64,
    pub max_spend: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Base URL; methods are at `<url>/api/v0/…`.
    pub url: String,
    pub auth: Auth,
    /// `restCode`: the restaurant (store) code from ProBonus' settings.
    pub rest_code: u32,
    /// `rkUnit`: a station code that no real register has (e.g. 999).
    pub rk_unit: u32,
    /// `accountGroupId` for new guests (a group with `haveTemplate`).
    pub account_group: Option<u64>,
    pub rules: Rules,
    pub timeout: Duration,
    /// Ends a wait for an answer sooner than `timeout` when its holder
    /// says so (replays); the default never does.
    pub deadline: super::Deadline,
}

/// A bearer token is refreshed this long before it expires.
const REFRESH_MARGIN: Duration = Duration::from_secs(30);
/// Transactions shown by the balance enquiry.
const HISTORY_COUNT: u32 = 10;
/// Transactions searched for a check's GUID before it is registered: far
/// more than one guest makes while a check waits in the queue.
const LOOKUP_COUNT: u32 = 200;

/// `+79161234567` → `79161234567`.
pub fn wire_phone(phone: &str) -> String {
    phone.trim_start_matches('+').to_string()
}

/// The GUID of what a guest keeps of a sale after its `returns`-th return.
pub fn kept_guid(sale_uid: &str, returns: u32) -> String {
    crate::core::loyalty::derived_uid(&format!("{sale_uid}/kept/{returns}"))
}

/// The check a sale stands on after `earlier_returns` returns.
pub fn live_guid(sale_uid: &str, earlier_returns: u32) -> String {
    if earlier_returns == 0 {
        sale_uid.to_string()
    } else {
        kept_guid(sale_uid, earlier_returns)
    }
}

/// `amount × percent`, rounded down to a kopeck (never accrue more than the rule gives).
pub fn percent_down(amount: Money, hundredths: i64) -> Money {
    let product = i128::from(amount.0.max(0)) * i128::from(hundredths.max(0));
    Money(i64::try_from(product / 10_000).unwrap_or(i64::MAX))
}

/// The sums of one check, in kopecks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sums {
    pub bonus_spent: Money,
    pub discount: Money,
    pub accrued: Money,
    pub money_spent: Money,
}

impl Sums {
    /// `lines` are what was bought (totals after every discount and the
    /// bonus payment), `bonus` what bonuses paid of them.
    pub fn of(lines: &[Line], bonus: Money, accrual: i64) -> Sums {
        let gross: i64 = lines.iter().map(|l| l.price.times(l.quantity).map_or(0, |m| m.0)).sum();
        let money = Money(lines.iter().map(|l| l.total.0).sum());
        Sums {
            bonus_spent: bonus,
            discount: Money((gross - money.0 - bonus.0).max(0)),
            accrued: percent_down(money, accrual),
            money_spent: money,
        }
    }
}

/// `checkData`: the receipt's content as text, one line per position.
pub fn check_data(lines: &[Line]) -> String {
    lines
        .iter()
        .map(|l| format!("{} {} {} x {} = {}", l.code, l.name, l.quantity, l.price, l.total))
        .collect::<Vec<_>>()
        .join("\n")
}

fn refused(text: impl Into<String>) -> LoyaltyError {
    LoyaltyError::Refused { text: text.into() }
}

/// An answer that cannot be read: the server may have done it.
fn unreadable(error: impl std::fmt::Display) -> LoyaltyError {
    LoyaltyError::Unreadable(error.to_string())
}

/// The server's text of a refusal, if it gave one.
fn said(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    wire::REFUSAL_TEXT_KEYS
        .iter()
        .find_map(|key| match value.get(*key)? {
            serde_json::Value::String(text) => Some(text.clone()),
            inner => inner.get("message")?.as_str().map(str::to_string),
        })
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Reads an answer by its status: 2xx is the answer (unreadable when it
/// cannot be read: "we do not know"); server trouble and a bare 401/403 (a
/// token problem: queued work waits) are link failures; a 403 that says why
/// («Гость заблокирован») and other 4xx are refusals.
pub fn classify<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, LoyaltyError> {
    match (status, said(body)) {
        (200..=299, _) => serde_json::from_slice(body).map_err(unreadable),
        (403, Some(text)) => Err(refused(text)),
        (401 | 403 | 408 | 429 | 500.., said) => Err(LoyaltyError::Link(match said {
            Some(text) => format!("HTTP {status}: {text}"),
            None => format!("HTTP {status}"),
        })),
        (_, said) => Err(refused(said.unwrap_or_else(|| text::probonus_status(status)))),
    }
}

fn date(text: &str) -> Result<NaiveDate, LoyaltyError> {
    NaiveDate::parse_from_str(text, wire::DATE).map_err(|_| unreadable(format!("date {text:?}")))
}

/// A bearer token and when it stops working.
#[derive(Debug, Clone)]
struct Session {
    access: String,
    refresh: String,
    expires: Instant,
}

/// The HTTP side: one client with the store's settings.
pub struct ProBonus {
    settings: Settings,
    http: reqwest::Client,
    session: Mutex<Option<Session>>,
    /// Accounts by phone (11 digits), as last read.
    accounts: Mutex<HashMap<String, wire::Account>>,
}

impl ProBonus {
    pub fn new(settings: Settings) -> Result<ProBonus, LoyaltyError> {
        let http = super::http_client(settings.timeout)?;
        Ok(ProBonus {
            settings,
            http,
            session: Mutex::new(None),
            accounts: Mutex::new(HashMap::new()),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.settings.url.trim_end_matches('/'))
    }

    /// One POST; the body is logged redacted, the auth header never.
    async fn raw(&self, path: &str, body: &[u8], auth: Option<(&str, String)>) -> Result<(u16, Vec<u8>), LoyaltyError> {
        let url = self.url(path);
        tracing::info!(target: "kassa::loyalty", "→ {url} {}", super::redact(body));
        let mut request = self
            .http
            .post(&url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(body.to_vec());
        if let Some((name, value)) = auth {
            request = request.header(name, value);
        }
        let (status, answer) = super::exchange(request, &self.settings.deadline).await?;
        let status = status.as_u16();
        tracing::info!(target: "kassa::loyalty", "← {path} {status} {}", super::redact(&answer));
        Ok((status, answer))
    }

    fn stored_session(&self) -> Option<Session> {
        self.session.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn keep_session(&self, tokens: wire::Tokens) -> String {
        let session = Session {
            access: tokens.access_token.clone(),
            refresh: tokens.refresh_token,
            expires: Instant::now() + Duration::from_secs(tokens.expires_in),
        };
        *self.session.lock().unwrap_or_else(|p| p.into_inner()) = Some(session);
        tokens.access_token
    }

    /// Signs in (login mode): refresh when there is a session, else (or when
    /// the refresh is refused) log in anew.
    async fn sign_in(&self, login: &str, password: &str) -> Result<String, LoyaltyError> {
        if let Some(session) = self.stored_session() {
            let body = encode(&wire::RefreshToken {
                refresh_token: session.refresh,
            })?;
            let (status, answer) = self.raw(wire::REFRESH_TOKEN, &body, None).await?;
            if (200..300).contains(&status) {
                return Ok(self.keep_session(classify(status, &answer)?));
            }
            tracing::info!(target: "kassa::loyalty", "refresh refused (HTTP {status}); logging in again");
        }
        let body = encode(&wire::Login {
            login: login.to_string(),
            password: password.to_string(),
        })?;
        let (status, answer) = self.raw(wire::LOGIN, &body, None).await?;
        let tokens: wire::Tokens = classify(status, &answer).map_err(|e| match e {
            // A wrong login is a configuration fault: queued checks wait for it to be fixed.
            LoyaltyError::Refused { text } => LoyaltyError::Link(format!("login refused: {text}")),
            other => other,
        })?;
        Ok(self.keep_session(tokens))
    }

    /// The auth header; `renew` forces a new bearer token (after a 401).
    async fn auth(&self, renew: bool) -> Result<(&'static str, String), LoyaltyError> {
        match &self.settings.auth {
            Auth::Token(token) => Ok((wire::TOKEN_HEADER, token.clone())),
            Auth::Login { login, password } => {
                let fresh = self
                    .stored_session()
                    .filter(|s| !renew && s.expires > Instant::now() + REFRESH_MARGIN)
                    .map(|s| s.access);
                let access = match fresh {
                    Some(access) => access,
                    None => self.sign_in(login, password).await?,
                };
                Ok(("Authorization", format!("Bearer {access}")))
            }
        }
    }

    /// One authorised call: status and body. A 401 in login mode renews the token and tries once more.
    async fn exchange<B: Serialize>(&self, path: &str, body: &B) -> Result<(u16, Vec<u8>), LoyaltyError> {
        let bytes = encode(body)?;
        let answered = async {
            let (status, answer) = self.raw(path, &bytes, Some(self.auth(false).await?)).await?;
            if status == 401 && matches!(self.settings.auth, Auth::Login { .. }) {
                return self.raw(path, &bytes, Some(self.auth(true).await?)).await;
            }
            Ok((status, answer))
        }
        .await;
        if let Err(error) = &answered {
            tracing::warn!(target: "kassa::loyalty", "{path} failed: {error}");
        }
        answered
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, LoyaltyError> {
        let (status, answer) = self.exchange(path, body).await?;
        classify(status, &answer)
    }

    /// `find_by_phone`: `None` when there is no such guest (404).
    async fn lookup(&self, phone: &str) -> Result<Option<wire::Account>, LoyaltyError> {
        let body = wire::FindByPhone { phone: wire_phone(phone) };
        let (status, answer) = self.exchange(wire::FIND_BY_PHONE, &body).await?;
        if status == 404 {
            return Ok(None);
        }
        let account: wire::Account = classify(status, &answer)?;
        self.remember(&account);
        Ok(Some(account))
    }

    fn remember(&self, account: &wire::Account) {
        self.accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(wire_phone(&account.phone), account.clone());
    }

    /// The guest's phone: ProBonus knows guests by phone only.
    fn phone(client: &ClientId) -> Result<&str, LoyaltyError> {
        match client {
            ClientId::Phone(phone) => Ok(phone),
            ClientId::Card(_) | ClientId::Anonymous => Err(refused(text::PROBONUS_PHONE_ONLY)),
        }
    }

    /// The account, read now.
    async fn fresh(&self, client: &ClientId) -> Result<wire::Account, LoyaltyError> {
        self.lookup(Self::phone(client)?)
            .await?
            .ok_or_else(|| refused(text::PROBONUS_NOT_FOUND))
    }

    /// The account as last read this session (or read now).
    async fn account(&self, client: &ClientId) -> Result<wire::Account, LoyaltyError> {
        let phone = wire_phone(Self::phone(client)?);
        let known = self.accounts.lock().unwrap_or_else(|p| p.into_inner()).get(&phone).cloned();
        match known {
            Some(account) => Ok(account),
            None => self.fresh(client).await,
        }
    }

    fn accrual(&self, account: &wire::Account) -> i64 {
        let level = account.level.as_ref().and_then(|l| l.bonus_percent);
        level.map_or(self.settings.rules.accrual, |p| p.0)
    }

    fn max_spend(&self, account: &wire::Account) -> i64 {
        let level = account.level.as_ref().and_then(|l| l.max_payment_percent);
        level.map_or(self.settings.rules.max_spend, |p| p.0)
    }

    /// The interface's view of an account; `total` is the receipt's, when calculating.
    fn info(&self, account: &wire::Account, total: Option<Money>, burning: Vec<Burning>) -> ClientInfo {
        let name = super::full_name([&account.surname, &account.name, &account.middle_name]);
        let balance = account.balance.0.max(Money::ZERO);
        ClientInfo {
            name,
            balance: Some(balance),
            phone: Some(format!("+{}", wire_phone(&account.phone))),
            email: account.email.clone().filter(|e| !e.trim().is_empty()),
            validation_code: None,
            available: total.map(|t| percent_down(t, self.max_spend(account)).min(balance)),
            burning,
            ..ClientInfo::default()
        }
    }

    async fn burning(&self, account: &wire::Account) -> Result<Vec<Burning>, LoyaltyError> {
        let extended: wire::BalanceExtended = self
            .post(wire::BALANCE_EXTENDED, &wire::ByAccount { account_id: account.id })
            .await?;
        extended
            .burnings
            .iter()
            .filter(|b| b.amount.0.0 > 0)
            .map(|b| {
                Ok(Burning {
                    on: date(&b.date)?,
                    amount: b.amount.0,
                })
            })
            .collect()
    }

    async fn history(&self, account: &wire::Account) -> Result<Vec<TextBlock>, LoyaltyError> {
        let body = wire::Transactions {
            account_id: account.id,
            count: Some(HISTORY_COUNT),
            date_from: None,
            date_to: None,
        };
        let list: Vec<wire::Transaction> = self.post(wire::TRANSACTIONS, &body).await?;
        let mut lines = vec![TextBlock::plain(text::PROBONUS_HISTORY)];
        for t in &list {
            let at = NaiveDateTime::parse_from_str(&t.date, wire::DATE_TIME).map_err(|_| unreadable(format!("date {:?}", t.date)))?;
            lines.push(TextBlock::plain(text::probonus_transaction(
                at,
                t.amount.0,
                t.description.as_deref(),
            )));
        }
        if list.is_empty() {
            lines.push(TextBlock::plain(text::PROBONUS_NO_HISTORY));
        }
        Ok(lines)
    }

    /// What the balance enquiry and identification show.
    async fn client_info(&self, client: &ClientId, history: bool) -> Result<Reply, LoyaltyError> {
        let account = self.fresh(client).await?;
        let burning = self.burning(&account).await?;
        let info = self.info(&account, None, burning);
        let mut messages: Vec<TextBlock> = info.name.iter().cloned().map(TextBlock::plain).collect();
        messages.push(TextBlock::plain(text::client_balance(info.balance.unwrap_or_default())));
        if let Some(level) = &account.level {
            messages.push(TextBlock::plain(text::probonus_level(&level.name)));
        }
        messages.extend(info.burning.iter().map(|b| TextBlock::plain(text::burning(b))));
        for coupon in &account.coupons {
            messages.push(TextBlock::plain(text::probonus_coupon(&coupon.name)));
        }
        if history {
            messages.extend(self.history(&account).await?);
        }
        Ok(Reply {
            client: Some(info),
            messages,
            ..Reply::default()
        })
    }

    async fn register(&self, phone: &str, profile: &super::Profile) -> Result<Reply, LoyaltyError> {
        let group = self.settings.account_group.ok_or_else(|| refused(text::PROBONUS_NO_GROUP))?;
        if self.lookup(phone).await?.is_some() {
            return Err(refused(text::PHONE_TAKEN));
        }
        let body = wire::InsertByTemplate {
            account_group_id: group,
            phone: wire_phone(phone),
            surname: profile.surname.clone(),
            name: profile.name.clone(),
            middle_name: profile.patronymic.clone(),
            birth_date: profile.birth_date.map(|d| d.format(wire::DATE).to_string()),
            sex: profile.sex.map(String::from),
        };
        let account: wire::Account = self.post(wire::INSERT_BY_TEMPLATE, &body).await?;
        self.remember(&account);
        let info = self.info(&account, None, Vec::new());
        let mut messages: Vec<TextBlock> = info.name.iter().cloned().map(TextBlock::plain).collect();
        messages.push(TextBlock::plain(text::client_balance(info.balance.unwrap_or_default())));
        Ok(Reply {
            client: Some(info),
            messages,
            ..Reply::default()
        })
    }

    /// Whether a check with `guid` is among the account's last transactions.
    async fn registered(&self, account: u64, guid: &str) -> Result<bool, LoyaltyError> {
        Ok(!self.transactions_of(account, guid).await?.is_empty())
    }

    /// The account's last transactions that carry `guid`.
    /// By count, not by dates: the server's clock and ours need not agree.
    async fn transactions_of(&self, account: u64, guid: &str) -> Result<Vec<wire::Transaction>, LoyaltyError> {
        let body = wire::Transactions {
            account_id: account,
            count: Some(LOOKUP_COUNT),
            date_from: None,
            date_to: None,
        };
        let list: Vec<wire::Transaction> = self.post(wire::TRANSACTIONS, &body).await?;
        Ok(list.into_iter().filter(|t| t.check_guid.as_deref() == Some(guid)).collect())
    }

    /// Whether the check with `guid` is surely rolled back. A reading (the
    /// spec only says return_check undoes the check's accruals): a check
    /// leaves its spending and its accrual under its GUID and a rollback
    /// their reversal, so a rolled-back check has at least four entries
    /// adding up to nothing. Two entries adding up to nothing may be a sale
    /// that spent what it earned: not taken as rolled back.
    async fn rolled_back(&self, account: u64, guid: &str) -> Result<bool, LoyaltyError> {
        let mine = self.transactions_of(account, guid).await?;
        Ok(mine.len() >= 4 && mine.iter().map(|t| t.amount.0.0).sum::<i64>() == 0)
    }

    /// Registers a check once: not again if the account already has it.
    async fn register_check(
        &self,
        account: &wire::Account,
        guid: String,
        external: String,
        lines: &[Line],
        bonus: Money,
    ) -> Result<(), LoyaltyError> {
        if self.registered(account.id, &guid).await? {
            tracing::info!(target: "kassa::loyalty", "check {guid} is already registered: not sent again");
            return Ok(());
        }
        let sums = Sums::of(lines, bonus, self.accrual(account));
        let body = wire::RegisterCheck {
            rest_code: self.settings.rest_code,
            check_guid: guid,
            account_id: account.id,
            rk_unit: self.settings.rk_unit,
            external_check: external,
            bonus_spent_sum: Kopecks(sums.bonus_spent),
            discount_sum: Kopecks(sums.discount),
            bonus_accrued_sum: Kopecks(sums.accrued),
            money_spent_sum: Kopecks(sums.money_spent),
            check_data: check_data(lines),
        };
        let _: wire::CheckAnswer = self.post(wire::REGISTER_CHECK, &body).await?;
        Ok(())
    }

    async fn confirm(&self, client: &ClientId, document: &Document, bonus: Money) -> Result<Reply, LoyaltyError> {
        let account = self.fresh(client).await?;
        let external = format!("{}/{}", document.shift, document.number);
        match &document.kind {
            DocumentKind::Sale => {
                self.register_check(&account, document.uid.clone(), external, &document.lines, bonus)
                    .await?
            }
            DocumentKind::Return { reference_uid, kept, .. } => {
                let kept = kept.clone().unwrap_or_default();
                let body = wire::ReturnCheck {
                    rest_code: self.settings.rest_code,
                    check_guid: live_guid(reference_uid, kept.earlier_returns),
                };
                let guid = body.check_guid.clone();
                match self.post::<_, wire::CheckAnswer>(wire::RETURN_CHECK, &body).await {
                    Ok(_) => {}
                    // Refused, and nothing of the check is left on the account:
                    // an earlier try whose answer was lost rolled it back.
                    Err(LoyaltyError::Refused { .. }) if self.rolled_back(account.id, &guid).await? => {
                        tracing::info!(target: "kassa::loyalty", "check {guid} was already rolled back: not returned again");
                    }
                    Err(error) => return Err(error),
                }
                if !kept.lines.is_empty() {
                    let guid = kept_guid(reference_uid, kept.earlier_returns + 1);
                    self.register_check(&account, guid, external, &kept.lines, kept.bonus).await?;
                }
            }
        }
        Ok(Reply::default())
    }

    /// The account groups (`kassa probonus groups`).
    pub async fn groups(&self) -> Result<Vec<wire::AccountGroup>, LoyaltyError> {
        self.post(wire::ACCOUNT_GROUPS, &wire::AccountGroups {}).await
    }

    pub async fn call(&self, request: &Request, _now: NaiveDateTime) -> Result<Reply, LoyaltyError> {
        match request {
            // The flow does not probe: every request shows the link.
            Request::CheckLink => Ok(Reply::default()),
            Request::ClientInfo { client, history } => self.client_info(client, *history).await,
            Request::Register { phone, profile } => self.register(phone, profile).await,
            Request::ConfirmRegistration { .. }
            | Request::ResendRegistrationCode { .. }
            | Request::SendChatBotLink { .. }
            | Request::CertificateInfo { .. }
            | Request::SendSpendCode { .. }
            | Request::CheckSpendCode { .. } => Err(LoyaltyError::Unsupported(request.name().into())),
            Request::Calculate { client, document } => {
                let account = self.account(client).await?;
                let total = Money(document.lines.iter().map(|l| l.total.0).sum());
                Ok(Reply {
                    client: Some(self.info(&account, Some(total), Vec::new())),
                    ..Reply::default()
                })
            }
            Request::PayByBonus { client, document, amount } => {
                // Spent only when the purchase is registered: the balance must hold it now.
                let account = self.fresh(client).await?;
                let total = Money(document.lines.iter().map(|l| l.total.0).sum());
                let info = self.info(&account, Some(total), Vec::new());
                let available = info.available.unwrap_or_default();
                if *amount > available {
                    return Err(refused(text::probonus_too_much(available)));
                }
                Ok(Reply {
                    client: Some(info),
                    distribution: None,
                    ..Reply::default()
                })
            }
            Request::CancelBonusPayment { .. } => Ok(Reply::default()),
            Request::Confirm {
                client,
                document,
                payments,
            } => {
                let bonus = Money(payments.iter().filter(|p| p.kind == PaymentType::Bonus).map(|p| p.amount.0).sum());
                self.confirm(client, document, bonus).await
            }
        }
    }
}

/// What is wrong with the configured `account_group` for registering guests.
pub fn group_problems(groups: &[wire::AccountGroup], configured: Option<u64>) -> Vec<String> {
    let Some(id) = configured else {
        return vec!["[loyalty] account_group is not set: new guests cannot be registered".into()];
    };
    match groups.iter().find(|g| g.id == id) {
        None => vec![format!("[loyalty] account_group = {id}: no such group")],
        Some(group) if !group.have_template => vec![format!(
            "[loyalty] account_group = {id} ({}) lacks haveTemplate («Шаблон для API»): new guests cannot be created in it",
            group.name
        )],
        Some(_) => Vec::new(),
    }
}

fn encode<B: Serialize>(body: &B) -> Result<Vec<u8>, LoyaltyError> {
    serde_json::to_vec(body).map_err(|e| refused(format!("cannot encode the request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::money::Quantity;

    fn line(price: i64, quantity: i64, total: i64) -> Line {
        Line {
            index: 1,
            code: "42".into(),
            name: "Сыр".into(),
            price: Money(price),
            min_price: Money::ZERO,
            quantity: Quantity(quantity),
            total: Money(total),
            before_loyalty: Money(total),
            sale_index: None,
        }
    }

    #[test]
    fn sums_are_exact_kopecks_and_the_accrual_rounds_down() {
        // 2 × 500.00 with 100.00 off and 200.00 paid by bonus; 1 × 99.99.
        let lines = [line(500_00, 2000, 700_00), line(99_99, 1000, 99_99)];
        let sums = Sums::of(&lines, Money(200_00), 5_00);
        assert_eq!(sums.money_spent, Money(799_99));
        assert_eq!(sums.bonus_spent, Money(200_00));
        assert_eq!(sums.discount, Money(100_00));
        assert_eq!(sums.accrued, Money(39_99), "5 % of 799.99 is 39.9995");
        assert_eq!(percent_down(Money(1), 99_99), Money::ZERO);
        assert_eq!(check_data(&lines[..1]), "42 Сыр 2 x 500.00 = 700.00");
    }

    #[test]
    fn a_sale_stands_on_its_own_check_then_on_what_was_kept() {
        let sale = "0d8f3c1e-2b7a-4c55-8e1d-93f0b6f1c201";
        assert_eq!(live_guid(sale, 0), sale);
        assert_eq!(live_guid(sale, 1), kept_guid(sale, 1));
        assert_ne!(kept_guid(sale, 1), kept_guid(sale, 2));
        assert!(uuid::Uuid::parse_str(&kept_guid(sale, 1)).is_ok());
    }

    #[test]
    fn answers_are_classified_by_status() {
        assert!(classify::<wire::CheckAnswer>(200, br#"{"balance": 100}"#).is_ok());
        assert!(classify::<wire::CheckAnswer>(200, br#"{"balance": 1.5}"#).is_err_and(|e| !e.is_link()));
        for status in [401, 403, 408, 429, 500, 503] {
            assert!(classify::<wire::CheckAnswer>(status, b"").is_err_and(|e| e.is_link()), "{status}");
        }
        let refused = classify::<wire::CheckAnswer>(422, r#"{"error": {"message": "мало бонусов"}}"#.as_bytes()).expect_err("422");
        assert_eq!(refused.to_string(), "мало бонусов");
        let bare = classify::<wire::CheckAnswer>(409, b"conflict").expect_err("409");
        assert!(bare.to_string().contains("409"), "{bare}");
    }

    #[test]
    fn group_problems_name_the_group() {
        let group = |id, have_template| wire::AccountGroup {
            id,
            name: format!("g{id}"),
            have_template,
        };
        let groups = [group(1, false), group(3, true)];
        assert!(group_problems(&groups, Some(3)).is_empty());
        assert!(group_problems(&groups, Some(1))[0].contains("haveTemplate"));
        assert!(group_problems(&groups, Some(2))[0].contains("no such group"));
        assert!(group_problems(&groups, None)[0].contains("not set"));
    }
}
