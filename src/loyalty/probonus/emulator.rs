//! A ProBonus (Carbis API v0) server written from `../shared/specs/probonus.md`
//! alone, as a referee: it reads every request with its own field-by-field
//! reading (never the client's structs, so that a misreading shared by the
//! two cannot pass both), checks the permanent token or a bearer token
//! (login, refresh, expiry; HTTP 401 otherwise), keeps accounts with levels,
//! burning bonuses and transactions, account groups with `haveTemplate`,
//! and registered checks, and checks the kopeck arithmetic of
//! register_check against the account's level. It misbehaves on command
//! and logs what it received. Its books ([`Emulator::ledger`]) are what
//! `expect ledger` reconciles with kassa's journal.
//!
//! What the spec says, and how the emulator holds to it:
//! - «Важно! Система ProBonus не контролирует уникальность переданного GUID
//!   в рамках своей БД. Контроль уникальности лежит на внешней системе.»:
//!   a register_check whose `checkGuid` was used before is a new purchase,
//!   counted again in the balance, the transactions and the books, whatever
//!   its content. [`Emulator::repeats`] counts such requests, so that a test
//!   can assert kassa never sent one (and `expect ledger` sees the second
//!   sale kassa's journal does not have).
//! - «Метод /api/v0/external/return_check используется для отката всех
//!   начислений»: a check is rolled back once. Reading: return_check rolls
//!   back every check registered under the GUID and not yet rolled back
//!   (ProBonus does not keep GUIDs unique, so «всех начислений» of the GUID
//!   are all of them); when every one of them is rolled back already it is
//!   refused, HTTP 400 `{"message": "Чек уже возвращён"}` ([`ALREADY_RETURNED`],
//!   counted in [`Emulator::repeats`]); an unknown GUID is 404.
//! - Sums are «в копейках»: `bonusSpentSum`, `discountSum`,
//!   `bonusAccruedSum` and `moneySpentSum` must be whole JSON numbers of
//!   kopecks, at least 0 (`1250.5`, `1250.0`, `"1250"`, `-1` are refused
//!   with 400); every balance and amount answered is whole kopecks.
//! - `checkGuid` is «в формате GUID»: the 36-character hyphenated form.
//! - Every variable of register_check the spec lists is required; `rkUnit`
//!   is three digits (the spec recommends it; kassa must follow), and
//!   `externalCheck` and `checkData` are not empty.
//! - New guests go by template into a group with «Шаблон для API»
//!   (`haveTemplate`), else 422; an unknown group 404; a taken phone 409.
//!
//! Readings where the spec is silent (kept here, in one place):
//! - Every method is a POST with a JSON object body (`{}` for
//!   account_groups/list); a body that is not one is 400. Fields the
//!   emulator does not read are ignored; `null` counts as absent.
//!   A refusal is a non-200 status with `{"message": TEXT}`.
//! - The permanent token goes in the header [`TOKEN_HEADER`]; a bearer
//!   token in `Authorization: Bearer …`.
//! - login takes `{"login", "password"}`. Its answer and refresh_token's
//!   spell the tokens in snake case, `{"access_token", "refresh_token",
//!   "expires_in"}` (seconds), unless [`Emulator::token_spelling`] says
//!   camel case (`accessToken`, `refreshToken`, `expiresIn`): a client must
//!   read both. refresh_token takes the refresh token as `refresh_token` or
//!   `refreshToken` (exactly one of them); a refresh token works once.
//! - Field names are camelCase, as the spec's variables are: find_by_phone
//!   `{"phone"}` (11 digits, the first a 7); insert_by_template
//!   `{"accountGroupId", "phone", "name", "surname"?, "middleName"?,
//!   "birthDate"?, "email"?}`; get_balance_extended `{"accountId"}`;
//!   transactions `{"accountId", "count"}` (the last N) or `{"accountId",
//!   "dateFrom", "dateTo"}` (a period); return_check `{"restCode",
//!   "checkGuid"}`. Dates are `YYYY-MM-DD`, times `YYYY-MM-DDTHH:MM:SS`.
//! - An account answers `{"id", "accountGroupId", "phone", "surname",
//!   "name", "middleName", "email", "balance", "level": {"id", "name",
//!   "bonusPercent", "maxPaymentPercent"}, "coupons": [{"name"}]}`; the
//!   percents are JSON numbers with two decimals (`5.00`), written exactly.
//!   get_balance_extended answers `{"balance", "burnings": [{"amount",
//!   "date"}]}`; transactions a list of `{"date", "amount", "description",
//!   "checkGuid"}`, newest first, a check's lines carrying its GUID (even
//!   when nothing moved: it is how a client finds a check again);
//!   register_check and return_check `{"balance"}`.
//! - The level governs a check: the bonus spent is at most the balance and
//!   `maxPaymentPercent` of the receipt (money + bonus), rounded down; the
//!   accrual is exactly `bonusPercent` of the money, rounded down (else 422).
//!   A rollback gives back the bonus spent and takes back the accrual, even
//!   below zero.
//! - A blocked guest ([`Emulator::block`], or the demo's third guest): every
//!   request about the guest — find_by_phone, insert_by_template of the
//!   phone, get_balance_extended, transactions, register_check, and
//!   return_check of the guest's check — is refused with HTTP 403 and the
//!   block's text ([`BLOCKED`] by default). Nothing is counted.
//! - The order of refusals: the body's fields (400), `restCode` (400), the
//!   GUID (400), the account (404), the block (403), the rest (400, 422).
//!
//! Control (for tests): `POST /control` with `{"fail": MODE, "times": N}`
//! (`lost` and `malformed` process the request first, then drop the answer
//! or cut its body short);
//! `POST /control/expire` ends every bearer token now; `GET /log`.

use crate::emulators::KeptBooks;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Local, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::core::ledger::{Counted, Kind, Ledger};
use crate::core::money::{MONEY_CEILING, Money};
use crate::emulators::Misbehaviour;

// The methods, as the spec names them.
const LOGIN: &str = "/api/v0/auth/login";
const REFRESH_TOKEN: &str = "/api/v0/auth/refresh_token";
const FIND_BY_PHONE: &str = "/api/v0/accounts/find_by_phone";
const INSERT_BY_TEMPLATE: &str = "/api/v0/accounts/insert_by_template";
const ACCOUNT_GROUPS: &str = "/api/v0/account_groups/list";
const BALANCE_EXTENDED: &str = "/api/v0/accounts/get_balance_extended";
const TRANSACTIONS: &str = "/api/v0/accounts/transactions";
const REGISTER_CHECK: &str = "/api/v0/external/register_check";
const RETURN_CHECK: &str = "/api/v0/external/return_check";

/// The header that carries the permanent API token (a reading: the spec
/// says only «в заголовках»).
pub const TOKEN_HEADER: &str = "X-Api-Token";
/// A date, and a date with time, as the emulator reads and writes them.
const DATE: &str = "%Y-%m-%d";
const DATE_TIME: &str = "%Y-%m-%dT%H:%M:%S";

/// The text of a refusal about a blocked guest, unless the block gives another.
pub const BLOCKED: &str = "Гость заблокирован";
/// The text of a return_check of a check already rolled back.
pub const ALREADY_RETURNED: &str = "Чек уже возвращён";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    pub id: u64,
    pub name: String,
    /// Hundredths of a percent.
    pub bonus_percent: i64,
    pub max_payment_percent: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: u64,
    pub name: String,
    pub have_template: bool,
    /// What the template gives a new account.
    pub level: u64,
    pub welcome: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: u64,
    pub group: u64,
    /// 11 digits starting with 7.
    pub phone: String,
    pub surname: String,
    pub name: String,
    pub middle_name: String,
    pub balance: Money,
    pub level: u64,
    pub burnings: Vec<(NaiveDate, Money)>,
    pub coupons: Vec<String>,
    /// Blocked, with the text every request about the guest is refused with (HTTP 403).
    pub blocked: Option<String>,
}

/// The demo's program: two levels, a group without the API template and
/// one with it (id 3, as in ProBonus' test base), three guests, the third
/// blocked.
pub fn demo() -> (Vec<Level>, Vec<Group>, Vec<Account>) {
    let levels = vec![
        Level {
            id: 1,
            name: "Серебро".into(),
            bonus_percent: 5_00,
            max_payment_percent: 50_00,
        },
        Level {
            id: 2,
            name: "Золото".into(),
            bonus_percent: 10_00,
            max_payment_percent: 30_00,
        },
    ];
    let groups = vec![
        Group {
            id: 1,
            name: "Сотрудники".into(),
            have_template: false,
            level: 2,
            welcome: Money::ZERO,
        },
        Group {
            id: 3,
            name: "Самостоятельно зарегистрировавшиеся".into(),
            have_template: true,
            level: 1,
            welcome: Money(100_00),
        },
    ];
    let burns = NaiveDate::from_ymd_opt(2026, 12, 31).map(|d| (d, Money(200_00)));
    let accounts = vec![
        Account {
            id: 501,
            group: 3,
            phone: "79161234567".into(),
            surname: "Смирнова".into(),
            name: "Анна".into(),
            middle_name: "Сергеевна".into(),
            balance: Money(1500_00),
            level: 1,
            burnings: burns.into_iter().collect(),
            coupons: vec!["Кофе в подарок".into()],
            blocked: None,
        },
        Account {
            id: 502,
            group: 1,
            phone: "79211022546".into(),
            surname: "Пупкин".into(),
            name: "Иван".into(),
            middle_name: String::new(),
            balance: Money(832_44),
            level: 2,
            burnings: Vec::new(),
            coupons: Vec::new(),
            blocked: None,
        },
        Account {
            id: 503,
            group: 3,
            phone: DEMO_BLOCKED.into(),
            surname: "Заблоцкий".into(),
            name: "Олег".into(),
            middle_name: String::new(),
            balance: Money(300_00),
            level: 1,
            burnings: Vec::new(),
            coupons: Vec::new(),
            blocked: Some(BLOCKED.into()),
        },
    ];
    (levels, groups, accounts)
}

/// The demo's blocked guest (its phone, 11 digits).
pub const DEMO_BLOCKED: &str = "79037770011";

/// How the login and refresh answers spell the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Spelling {
    /// `access_token`, `refresh_token`, `expires_in`.
    #[default]
    Snake,
    /// `accessToken`, `refreshToken`, `expiresIn`.
    Camel,
}

/// How the emulator lets clients in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The permanent API token, if it accepts one.
    pub token: Option<String>,
    /// Login and password for bearer tokens, if it accepts them.
    pub login: Option<(String, String)>,
    /// How long a bearer token lives.
    pub ttl: Duration,
}

/// One request as received (without its auth).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logged {
    pub path: String,
    pub authorised: bool,
    pub body: String,
}

/// A register_check as the emulator reads it: the spec's variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CheckBody {
    rest_code: u64,
    guid: String,
    account: u64,
    rk_unit: u64,
    external_check: String,
    bonus_spent: Money,
    discount: Money,
    bonus_accrued: Money,
    money_spent: Money,
    check_data: String,
}

impl CheckBody {
    fn read(fields: &Fields) -> Result<CheckBody, Refusal> {
        Ok(CheckBody {
            rest_code: fields.whole("restCode")?,
            guid: fields.text("checkGuid")?.to_string(),
            account: fields.whole("accountId")?,
            rk_unit: fields.whole("rkUnit")?,
            external_check: fields.text("externalCheck")?.to_string(),
            bonus_spent: fields.kopecks("bonusSpentSum")?,
            discount: fields.kopecks("discountSum")?,
            bonus_accrued: fields.kopecks("bonusAccruedSum")?,
            money_spent: fields.kopecks("moneySpentSum")?,
            check_data: fields.text("checkData")?.to_string(),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Check {
    body: CheckBody,
    returned: bool,
    /// The check (its index among all checks) whose return this one
    /// continues: what the guest kept of it.
    kept_of: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Transaction {
    account: u64,
    at: NaiveDateTime,
    amount: Money,
    description: String,
    guid: Option<String>,
}

#[derive(Debug)]
struct Inner {
    credentials: Credentials,
    rest_code: u32,
    spelling: Spelling,
    /// Bearer tokens → when they stop working.
    access: HashMap<String, Instant>,
    /// Refresh tokens → the login they renew.
    refresh: HashMap<String, String>,
    issued: u64,
    levels: Vec<Level>,
    groups: Vec<Group>,
    accounts: Vec<Account>,
    /// Every check registered, in order (a GUID may come more than once).
    checks: Vec<Check>,
    /// Account → the check (index) it last had rolled back, until its next
    /// check: a register_check right after a return_check is what the guest kept.
    returning: HashMap<u64, usize>,
    transactions: Vec<Transaction>,
    /// register_check of a GUID used before, return_check of a check rolled back already.
    repeats: u32,
    log: Vec<Logged>,
    misbehaviour: Misbehaviour,
    /// Where the books are kept across restarts (the demo's server).
    kept: Option<crate::emulators::Kept>,
}

/// The books a restart must not lose: the guests and their balances,
/// every check and whether it was rolled back, the return a kept check
/// would continue, the transactions. Tokens are not kept: a restarted
/// till logs in again.
#[derive(Serialize, Deserialize)]
struct Books {
    accounts: Vec<Account>,
    checks: Vec<Check>,
    returning: HashMap<u64, usize>,
    transactions: Vec<Transaction>,
}

#[derive(Clone)]
pub struct Emulator(Arc<Mutex<Inner>>);

/// A refusal: its HTTP status and text.
type Refusal = (StatusCode, String);
type Answer = Result<Value, Refusal>;

fn refuse(status: StatusCode, text: impl Into<String>) -> Refusal {
    (status, text.into())
}

fn bad(text: impl Into<String>) -> Refusal {
    refuse(StatusCode::BAD_REQUEST, text)
}

/// A request's JSON object, read field by field.
struct Fields(Map<String, Value>);

impl Fields {
    fn parse(body: &[u8]) -> Result<Fields, Refusal> {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Fields(map)),
            Ok(_) => Err(bad("тело запроса должно быть объектом JSON")),
            Err(e) => Err(bad(format!("неверный JSON: {e}"))),
        }
    }

    /// A field, if present and not `null`.
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    fn required(&self, name: &str) -> Result<&Value, Refusal> {
        self.get(name).ok_or_else(|| bad(format!("{name}: поле обязательно")))
    }

    fn text(&self, name: &str) -> Result<&str, Refusal> {
        self.required(name)?.as_str().ok_or_else(|| bad(format!("{name}: нужна строка")))
    }

    fn optional_text(&self, name: &str) -> Result<Option<&str>, Refusal> {
        self.get(name)
            .map(|v| v.as_str().ok_or_else(|| bad(format!("{name}: нужна строка"))))
            .transpose()
    }

    /// A whole number ≥ 0, written as one: `12`, not `12.0`, `1.2e1` or `"12"`
    /// (the numbers' exact text is kept: `arbitrary_precision`).
    fn whole(&self, name: &str) -> Result<u64, Refusal> {
        let value = self.required(name)?;
        value.as_u64().ok_or_else(|| bad(format!("{name} {value}: нужно целое число ≥ 0")))
    }

    fn optional_whole(&self, name: &str) -> Result<Option<u64>, Refusal> {
        match self.get(name) {
            Some(_) => self.whole(name).map(Some),
            None => Ok(None),
        }
    }

    /// A sum «в копейках»: whole kopecks, at least 0.
    fn kopecks(&self, name: &str) -> Result<Money, Refusal> {
        let value = self.required(name)?;
        value
            .as_u64()
            .and_then(|k| i64::try_from(k).ok())
            .filter(|k| *k <= MONEY_CEILING.0)
            .map(Money)
            .ok_or_else(|| bad(format!("{name} {value}: нужна сумма в копейках, целое число ≥ 0")))
    }

    fn optional_date(&self, name: &str) -> Result<Option<NaiveDate>, Refusal> {
        self.optional_text(name)?
            .map(|t| NaiveDate::parse_from_str(t, DATE).map_err(|_| bad(format!("{name} «{t}»: не дата ГГГГ-ММ-ДД"))))
            .transpose()
    }
}

/// Money as ProBonus writes it: whole kopecks.
fn kopecks(money: Money) -> Value {
    Value::from(money.0)
}

/// Hundredths of a percent as a JSON number with two decimals (`5.00`), exactly.
fn percent(hundredths: i64) -> Value {
    crate::emulators::money_number(Money(hundredths))
}

/// `hundredths` hundredths of a percent of `money`, rounded down to the kopeck.
fn percent_down(money: Money, hundredths: i64) -> Money {
    let product = i128::from(money.0) * i128::from(hundredths);
    Money(i64::try_from(product.div_euclid(10_000)).unwrap_or(i64::MAX))
}

fn valid_phone(phone: &str) -> Result<(), Refusal> {
    if crate::emulators::is_russian_mobile(phone) {
        Ok(())
    } else {
        Err(bad(format!("phone «{phone}»: нужно 11 цифр, первая 7")))
    }
}

/// A GUID in its usual form: 36 characters, hyphenated.
fn valid_guid(guid: &str) -> Result<(), Refusal> {
    if guid.len() == 36 && uuid::Uuid::parse_str(guid).is_ok() {
        Ok(())
    } else {
        Err(bad(format!("checkGuid «{guid}»: не GUID")))
    }
}

impl crate::emulators::Misbehaving for Emulator {
    fn misbehaviour<R>(&self, f: impl FnOnce(&mut Misbehaviour) -> R) -> R {
        f(&mut self.lock().misbehaviour)
    }
}

impl Emulator {
    pub fn new(credentials: Credentials, rest_code: u32, program: (Vec<Level>, Vec<Group>, Vec<Account>)) -> Emulator {
        let (levels, groups, accounts) = program;
        Emulator(Arc::new(Mutex::new(Inner {
            credentials,
            rest_code,
            spelling: Spelling::default(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            issued: 0,
            levels,
            groups,
            accounts,
            checks: Vec::new(),
            returning: HashMap::new(),
            transactions: Vec::new(),
            repeats: 0,
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

    /// New credentials: the token and password change, every token issued so far ends.
    pub fn set_key(&self, key: &str) {
        let mut inner = self.lock();
        if inner.credentials.token.is_some() {
            inner.credentials.token = Some(key.to_string());
        }
        if let Some((_, password)) = inner.credentials.login.as_mut() {
            *password = key.to_string();
        }
        inner.access.clear();
        inner.refresh.clear();
    }

    /// How the login and refresh answers spell the tokens from now on
    /// (snake case until told otherwise).
    pub fn token_spelling(&self, spelling: Spelling) {
        self.lock().spelling = spelling;
    }

    /// Every bearer token expires now (refresh tokens still work).
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        self.lock().access.values_mut().for_each(|expires| *expires = now);
    }

    /// Blocks the guest with this phone (`+7…` or `7…`): every request
    /// about them is refused, HTTP 403 with `text` (e.g. [`BLOCKED`]).
    /// False if there is no such guest.
    pub fn block(&self, phone: &str, text: &str) -> bool {
        self.set_blocked(phone, Some(text.to_string()))
    }

    /// Lifts a guest's block. False if there is no such guest.
    pub fn unblock(&self, phone: &str) -> bool {
        self.set_blocked(phone, None)
    }

    fn set_blocked(&self, phone: &str, blocked: Option<String>) -> bool {
        let phone = phone.trim_start_matches('+');
        let mut inner = self.lock();
        let account = inner.accounts.iter_mut().find(|a| a.phone == phone);
        account.map(|a| a.blocked = blocked).is_some()
    }

    pub fn log(&self) -> Vec<Logged> {
        self.lock().log.clone()
    }

    /// Requests that repeated a check: register_check of a GUID used before
    /// (counted again all the same) and return_check of a check rolled back
    /// already (refused).
    pub fn repeats(&self) -> u32 {
        self.lock().repeats
    }

    /// A balance by phone (`+7…` or `7…`).
    pub fn balance(&self, phone: &str) -> Option<Money> {
        let phone = phone.trim_start_matches('+');
        self.lock().accounts.iter().find(|a| a.phone == phone).map(|a| a.balance)
    }

    /// Whether a check with this GUID is registered and not rolled back.
    pub fn registered(&self, guid: &str) -> bool {
        self.lock().checks.iter().any(|c| c.body.guid == guid && !c.returned)
    }

    /// The books (see `core::ledger`), read as kassa's journal reads:
    /// every check registered on its own is a Sale (money: `moneySpentSum`;
    /// bonus: `bonusSpentSum`), a GUID registered twice two of them. A
    /// return is ProBonus' rollback of a check plus, when the guest kept
    /// part of it, the register_check of that part (see `kept_part_of`):
    /// net, one Return of the rolled-back check's money and bonus minus the
    /// kept check's. A sale is followed by its returns, the kept checks
    /// chaining one return to the next.
    pub fn ledger(&self) -> Ledger {
        let inner = self.lock();
        let checks = &inner.checks;
        let mut counted = Vec::new();
        for (index, sale) in checks.iter().enumerate().filter(|(_, c)| c.kept_of.is_none()) {
            let client = inner.client_ids(sale.body.account);
            let book = |kind, paid, bonus| Counted {
                client: client.clone(),
                kind,
                paid,
                bonus,
            };
            counted.push(book(Kind::Sale, sale.body.money_spent, sale.body.bonus_spent));
            let (mut index, mut check) = (index, sale);
            while check.returned {
                let kept = checks.iter().enumerate().find(|(_, k)| k.kept_of == Some(index));
                let (kept_money, kept_bonus) = kept.map_or((Money::ZERO, Money::ZERO), |(_, k)| (k.body.money_spent, k.body.bonus_spent));
                let paid = Money(check.body.money_spent.0 - kept_money.0);
                let bonus = Money(check.body.bonus_spent.0 - kept_bonus.0);
                counted.push(book(Kind::Return, paid, bonus));
                let Some(next) = kept else { break };
                (index, check) = next;
            }
        }
        // register_check spends and accrues in one step and is final at
        // once: the server never holds a write-off open.
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

    fn expire_tokens(&self) {
        Emulator::expire_tokens(self)
    }
}

impl crate::emulators::Serving for Emulator {
    fn router(&self) -> Router {
        Router::new()
            .route("/api/v0/{*method}", post(method))
            .route("/control", post(crate::emulators::control::<Emulator>))
            .route("/control/expire", post(expire))
            .route("/log", get(log))
            .with_state(self.clone())
    }
}

async fn expire(State(emulator): State<Emulator>) -> StatusCode {
    emulator.expire_tokens();
    StatusCode::OK
}

async fn log(State(emulator): State<Emulator>) -> Json<Vec<Logged>> {
    Json(emulator.log())
}

fn answer(result: Answer) -> crate::emulators::JsonAnswer {
    match result {
        Ok(value) => (StatusCode::OK, value.to_string()),
        Err((status, message)) => (status, json!({ "message": message }).to_string()),
    }
}

async fn method(State(emulator): State<Emulator>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_string();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let fate = {
        let mut inner = emulator.lock();
        let open = path == LOGIN || path == REFRESH_TOKEN;
        let authorised = open || inner.authorised(header(TOKEN_HEADER), header("Authorization"));
        inner.misbehaviour.say(&path, &body);
        inner.log.push(Logged {
            path: path.clone(),
            authorised,
            body: crate::loyalty::redact(&body),
        });
        if !authorised {
            return crate::emulators::json_response(answer(Err(refuse(StatusCode::UNAUTHORIZED, "токен недействителен или истёк"))));
        }
        inner.misbehaviour.take()
    };
    let injected = || answer(Err(bad("Ошибка ProBonus (эмулятор)")));
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
    /// The method at `path`.
    fn serve(&mut self, path: &str, body: &[u8]) -> Answer {
        let fields = Fields::parse(body)?;
        match path {
            LOGIN => self.login(&fields),
            REFRESH_TOKEN => self.refresh_token(&fields),
            FIND_BY_PHONE => self.find(&fields),
            INSERT_BY_TEMPLATE => self.insert(&fields),
            ACCOUNT_GROUPS => Ok(self.groups()),
            BALANCE_EXTENDED => self.balance_extended(&fields),
            TRANSACTIONS => self.transactions(&fields),
            REGISTER_CHECK => self.register_check(&fields),
            RETURN_CHECK => self.return_check(&fields),
            _ => Err(refuse(StatusCode::NOT_FOUND, format!("нет метода {path}"))),
        }
    }

    /// Every identifier of an account's guest: its phone as `+7…` (this
    /// emulator's accounts have no cards).
    fn client_ids(&self, account: u64) -> Vec<String> {
        self.accounts
            .iter()
            .filter(|a| a.id == account)
            .map(|a| format!("+{}", a.phone))
            .collect()
    }

    fn authorised(&self, token: Option<String>, authorization: Option<String>) -> bool {
        if let (Some(expected), Some(token)) = (&self.credentials.token, token) {
            return *expected == token;
        }
        let bearer = authorization.as_deref().and_then(|a| a.strip_prefix("Bearer "));
        bearer
            .and_then(|b| self.access.get(b))
            .is_some_and(|expires| *expires > Instant::now())
    }

    fn issue(&mut self, login: String) -> Value {
        self.issued += 1;
        let access = format!("access-{}-{}", self.issued, uuid::Uuid::new_v4().simple());
        let refresh = format!("refresh-{}-{}", self.issued, uuid::Uuid::new_v4().simple());
        self.access.insert(access.clone(), Instant::now() + self.credentials.ttl);
        self.refresh.insert(refresh.clone(), login);
        let ttl = self.credentials.ttl.as_secs();
        match self.spelling {
            Spelling::Snake => json!({"access_token": access, "refresh_token": refresh, "expires_in": ttl}),
            Spelling::Camel => json!({"accessToken": access, "refreshToken": refresh, "expiresIn": ttl}),
        }
    }

    fn login(&mut self, fields: &Fields) -> Answer {
        let (login, password) = (fields.text("login")?, fields.text("password")?);
        match &self.credentials.login {
            Some((expected, secret)) if expected == login && secret == password => Ok(self.issue(login.to_string())),
            _ => Err(refuse(StatusCode::UNAUTHORIZED, "неверный логин или пароль")),
        }
    }

    fn refresh_token(&mut self, fields: &Fields) -> Answer {
        let token = match (fields.optional_text("refresh_token")?, fields.optional_text("refreshToken")?) {
            (Some(token), None) | (None, Some(token)) => token,
            (Some(_), Some(_)) => return Err(bad("refresh_token и refreshToken вместе: нужно одно")),
            (None, None) => return Err(bad("refresh_token: поле обязательно")),
        };
        // A refresh token works once.
        match self.refresh.remove(token) {
            Some(login) => Ok(self.issue(login)),
            None => Err(refuse(StatusCode::UNAUTHORIZED, "refresh token недействителен")),
        }
    }

    /// The index of the account `id`, if it is there and not blocked.
    fn account(&self, id: u64) -> Result<usize, Refusal> {
        let index = self
            .accounts
            .iter()
            .position(|a| a.id == id)
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, format!("счёт {id} не найден")))?;
        self.not_blocked(&self.accounts[index])?;
        Ok(index)
    }

    fn not_blocked(&self, account: &Account) -> Result<(), Refusal> {
        match &account.blocked {
            Some(text) => Err(refuse(StatusCode::FORBIDDEN, text.clone())),
            None => Ok(()),
        }
    }

    fn level(&self, id: u64) -> Option<&Level> {
        self.levels.iter().find(|l| l.id == id)
    }

    fn account_json(&self, account: &Account) -> Value {
        let level = self.level(account.level).map(|l| {
            json!({"id": l.id, "name": l.name, "bonusPercent": percent(l.bonus_percent),
                "maxPaymentPercent": percent(l.max_payment_percent)})
        });
        let coupons: Vec<Value> = account.coupons.iter().map(|c| json!({"name": c})).collect();
        json!({"id": account.id, "accountGroupId": account.group, "phone": account.phone, "surname": account.surname,
            "name": account.name, "middleName": account.middle_name, "email": null, "balance": kopecks(account.balance),
            "level": level, "coupons": coupons})
    }

    fn find(&self, fields: &Fields) -> Answer {
        let phone = fields.text("phone")?;
        valid_phone(phone)?;
        let account = self
            .accounts
            .iter()
            .find(|a| a.phone == phone)
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, "Гость не найден"))?;
        self.not_blocked(account)?;
        Ok(self.account_json(account))
    }

    fn record(&mut self, account: u64, amount: Money, description: String, guid: Option<&str>) {
        // A check leaves its trace even when nothing moved: it is how kassa finds it again.
        if amount.is_zero() && guid.is_none() {
            return;
        }
        self.transactions.push(Transaction {
            account,
            at: Local::now().naive_local(),
            amount,
            description,
            guid: guid.map(str::to_string),
        });
    }

    fn insert(&mut self, fields: &Fields) -> Answer {
        let group_id = fields.whole("accountGroupId")?;
        let phone = fields.text("phone")?.to_string();
        valid_phone(&phone)?;
        let name = fields.text("name")?.to_string();
        let surname = fields.optional_text("surname")?.unwrap_or_default().to_string();
        let middle_name = fields.optional_text("middleName")?.unwrap_or_default().to_string();
        fields.optional_date("birthDate")?;
        fields.optional_text("email")?;
        let group = self
            .groups
            .iter()
            .find(|g| g.id == group_id)
            .cloned()
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, format!("группа {group_id} не найдена")))?;
        if !group.have_template {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("группа «{}» не отмечена как «Шаблон для API»", group.name),
            ));
        }
        if name.trim().is_empty() {
            return Err(bad("name: нужно имя гостя"));
        }
        if let Some(taken) = self.accounts.iter().find(|a| a.phone == phone) {
            self.not_blocked(taken)?;
            return Err(refuse(StatusCode::CONFLICT, "Гость с таким телефоном уже есть"));
        }
        let id = self.accounts.iter().map(|a| a.id).max().unwrap_or(500) + 1;
        let account = Account {
            id,
            group: group.id,
            phone,
            surname,
            name,
            middle_name,
            balance: group.welcome,
            level: group.level,
            burnings: Vec::new(),
            coupons: Vec::new(),
            blocked: None,
        };
        let answer = self.account_json(&account);
        self.accounts.push(account);
        self.record(id, group.welcome, "Приветственные бонусы".into(), None);
        Ok(answer)
    }

    fn groups(&self) -> Value {
        let list: Vec<Value> = self
            .groups
            .iter()
            .map(|g| json!({"id": g.id, "name": g.name, "haveTemplate": g.have_template}))
            .collect();
        Value::Array(list)
    }

    fn balance_extended(&self, fields: &Fields) -> Answer {
        let account = &self.accounts[self.account(fields.whole("accountId")?)?];
        let burnings: Vec<Value> = account
            .burnings
            .iter()
            .map(|(on, amount)| json!({"amount": kopecks(*amount), "date": on.format(DATE).to_string()}))
            .collect();
        Ok(json!({"balance": kopecks(account.balance), "burnings": burnings}))
    }

    fn transactions(&self, fields: &Fields) -> Answer {
        let account = fields.whole("accountId")?;
        let count = fields.optional_whole("count")?;
        let (from, to) = (fields.optional_date("dateFrom")?, fields.optional_date("dateTo")?);
        self.account(account)?;
        if count == Some(0) {
            return Err(bad("count: нужно хотя бы 1"));
        }
        if count.is_none() && (from.is_none() || to.is_none()) {
            return Err(bad("нужно count или dateFrom и dateTo"));
        }
        let list: Vec<Value> = self
            .transactions
            .iter()
            .rev()
            .filter(|t| t.account == account)
            .filter(|t| from.is_none_or(|f| t.at.date() >= f) && to.is_none_or(|d| t.at.date() <= d))
            .take(count.map_or(usize::MAX, |c| usize::try_from(c).unwrap_or(usize::MAX)))
            .map(|t| {
                json!({"date": t.at.format(DATE_TIME).to_string(), "amount": kopecks(t.amount),
                    "description": t.description, "checkGuid": t.guid})
            })
            .collect();
        Ok(Value::Array(list))
    }

    fn check_rest(&self, rest_code: u64) -> Result<(), Refusal> {
        if rest_code == u64::from(self.rest_code) {
            Ok(())
        } else {
            Err(bad(format!("restCode {rest_code}: нет такого ресторана")))
        }
    }

    fn register_check(&mut self, fields: &Fields) -> Answer {
        let r = CheckBody::read(fields)?;
        self.check_rest(r.rest_code)?;
        valid_guid(&r.guid)?;
        let index = self.account(r.account)?;
        if !(100..=999).contains(&r.rk_unit) {
            return Err(bad(format!("rkUnit {}: нужен трёхзначный код", r.rk_unit)));
        }
        if r.external_check.trim().is_empty() || r.check_data.trim().is_empty() {
            return Err(bad("externalCheck и checkData не должны быть пустыми"));
        }
        let account = self.accounts[index].clone();
        let accrual = self.check_level_sums(&account, &r)?;
        // ProBonus does not keep GUIDs unique: a GUID used before is a new
        // purchase all the same, counted again; the repeat is noted for tests.
        if self.checks.iter().any(|c| c.body.guid == r.guid) {
            self.repeats += 1;
        }
        let bonus = r.bonus_spent;
        self.accounts[index].balance = Money(account.balance.0 - bonus.0 + accrual.0);
        let guid = r.guid.clone();
        self.record(
            account.id,
            Money(-bonus.0),
            format!("Списание, чек {}", r.external_check),
            Some(&guid),
        );
        self.record(account.id, accrual, format!("Начисление, чек {}", r.external_check), Some(&guid));
        let kept_of = self.kept_part_of(account.id, &r);
        self.checks.push(Check {
            body: r,
            returned: false,
            kept_of,
        });
        Ok(json!({ "balance": kopecks(self.accounts[index].balance) }))
    }

    /// The accrual due, once the check's kopeck arithmetic fits the
    /// account's level: the bonus within the balance and `maxPaymentPercent`
    /// of the receipt, the accrual exactly `bonusPercent` of the money,
    /// rounded down.
    fn check_level_sums(&self, account: &Account, r: &CheckBody) -> Result<Money, Refusal> {
        let level = self.level(account.level).cloned().unwrap_or(Level {
            id: 0,
            name: String::new(),
            bonus_percent: 0,
            max_payment_percent: 0,
        });
        let (bonus, money) = (r.bonus_spent, r.money_spent);
        if bonus > account.balance {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("недостаточно бонусов: на счёте {}", account.balance),
            ));
        }
        let allowed = percent_down(Money(money.0 + bonus.0), level.max_payment_percent);
        if bonus > allowed {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "bonusSpentSum {}: уровень «{}» разрешает не больше {}",
                    bonus.0, level.name, allowed.0
                ),
            ));
        }
        let accrual = percent_down(money, level.bonus_percent);
        if r.bonus_accrued != accrual {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "bonusAccruedSum {}: по уровню «{}» начисляется {}",
                    r.bonus_accrued.0, level.name, accrual.0
                ),
            ));
        }
        Ok(accrual)
    }

    fn return_check(&mut self, fields: &Fields) -> Answer {
        let rest_code = fields.whole("restCode")?;
        let guid = fields.text("checkGuid")?.to_string();
        self.check_rest(rest_code)?;
        valid_guid(&guid)?;
        let under: Vec<usize> = (0..self.checks.len()).filter(|&i| self.checks[i].body.guid == guid).collect();
        if under.is_empty() {
            return Err(refuse(StatusCode::NOT_FOUND, format!("чек {guid} не найден")));
        }
        let mut accounts = Vec::new();
        for &i in &under {
            accounts.push(self.account(self.checks[i].body.account)?);
        }
        let open: Vec<(usize, usize)> = under.into_iter().zip(accounts).filter(|(i, _)| !self.checks[*i].returned).collect();
        if open.is_empty() {
            self.repeats += 1;
            return Err(bad(ALREADY_RETURNED));
        }
        let mut balance = Money::ZERO;
        for (i, index) in open {
            let check = self.checks[i].body.clone();
            // Accrued bonuses already spent leave the balance below zero, as in ProBonus.
            self.accounts[index].balance.0 += check.bonus_spent.0 - check.bonus_accrued.0;
            let what = format!("Возврат, чек {}", check.external_check);
            self.record(check.account, check.bonus_spent, what.clone(), Some(&guid));
            self.record(check.account, Money(-check.bonus_accrued.0), what, Some(&guid));
            self.checks[i].returned = true;
            self.returning.insert(check.account, i);
            balance = self.accounts[index].balance;
        }
        // With one check under the GUID (kassa's case), its account's balance.
        Ok(json!({ "balance": kopecks(balance) }))
    }

    /// The rolled-back check (its index) that `kept` is what the guest kept
    /// of, for the books. ProBonus has no link between the two (the kept
    /// check has its own guid and externalCheck), so this is a reading: the
    /// account's first check after a return_check is the kept part of the
    /// check rolled back (the last one, if the GUID had several), if it is
    /// no bigger (money and bonus) than that check. A full return directly
    /// followed by a smaller new sale of the same guest would be misread as
    /// a partial return: `expect ledger` then fails visibly, it never hides
    /// a difference.
    fn kept_part_of(&mut self, account: u64, kept: &CheckBody) -> Option<usize> {
        let returned = self.returning.remove(&account)?;
        let check = &self.checks.get(returned)?.body;
        let fits = kept.money_spent <= check.money_spent && kept.bonus_spent <= check.bonus_spent;
        fits.then_some(returned)
    }
}

impl crate::emulators::KeptBooks for Inner {
    type Books = Books;

    fn books(&self) -> Books {
        Books {
            accounts: self.accounts.clone(),
            checks: self.checks.clone(),
            returning: self.returning.clone(),
            transactions: self.transactions.clone(),
        }
    }

    fn restore(&mut self, books: Books) {
        self.accounts = books.accounts;
        self.checks = books.checks;
        self.returning = books.returning;
        self.transactions = books.transactions;
    }

    fn kept(&mut self) -> &mut Option<crate::emulators::Kept> {
        &mut self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulators::testing::{cut_short_body, send_json, serve_locally, unanswered};
    use crate::emulators::{Failure, Misbehaving};

    const TOKEN: &str = "api-token";
    const PASSWORD: &str = "p4ssw0rd";
    const ANNA: &str = "+79161234567";

    async fn start() -> (Emulator, String) {
        let credentials = Credentials {
            token: Some(TOKEN.into()),
            login: Some(("kassa".into(), PASSWORD.into())),
            ttl: Duration::from_secs(3600),
        };
        let emulator = Emulator::new(credentials, 1, demo());
        let addr = serve_locally(&emulator).await;
        (emulator, format!("http://{addr}"))
    }

    async fn send(base: &str, path: &str, body: Value) -> reqwest::Result<reqwest::Response> {
        send_json(&format!("{base}{path}"), (TOKEN_HEADER, TOKEN), &body).await
    }

    /// The status and JSON of an answer.
    async fn ask(base: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let answer = send(base, path, body).await.expect("sent");
        let status = answer.status();
        (status, answer.json().await.expect("a JSON answer"))
    }

    async fn call(base: &str, path: &str, body: Value) -> Value {
        let (status, answer) = ask(base, path, body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
        answer
    }

    /// A check of `money` paid and `bonus` spent, in kopecks; the accrual is
    /// the level's (5 % for account 501, 10 % for 502), rounded down.
    fn check(guid: &str, account: u64, number: &str, money: i64, bonus: i64) -> Value {
        let percent = if account == 502 { 10 } else { 5 };
        json!({"restCode": 1, "checkGuid": guid, "accountId": account, "rkUnit": 999, "externalCheck": number,
            "bonusSpentSum": bonus, "discountSum": 0, "bonusAccruedSum": money * percent / 100,
            "moneySpentSum": money, "checkData": "1102 Фарш"})
    }

    fn returned(guid: &str) -> Value {
        json!({"restCode": 1, "checkGuid": guid})
    }

    const SALE: &str = "0d8f3c1e-2b7a-4c55-8e1d-93f0b6f1c201";
    const KEPT: &str = "0d8f3c1e-2b7a-4c55-8e1d-93f0b6f1c202";
    const OTHER: &str = "0d8f3c1e-2b7a-4c55-8e1d-93f0b6f1c203";

    #[tokio::test]
    async fn books_kept_in_a_file_outlive_the_server() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("books.json");
        let credentials = || Credentials {
            token: Some(TOKEN.into()),
            login: None,
            ttl: Duration::from_secs(3600),
        };
        let first = Emulator::new(credentials(), 1, demo()).kept_in(file.clone());
        let addr = serve_locally(&first).await;
        call(&format!("http://{addr}"), REGISTER_CHECK, check(SALE, 501, "1/1", 1000_00, 100_00)).await;
        let balance = first.balance(ANNA).expect("Anna");
        assert_eq!(balance, Money(1450_00));
        let ledger = first.ledger();
        assert_eq!(ledger.counted.len(), 1);
        let second = Emulator::new(credentials(), 1, demo()).kept_in(file);
        assert_eq!(second.balance(ANNA), Some(balance));
        assert_eq!(second.ledger(), ledger);
        assert!(second.registered(SALE));
        // The check is known after the restart: it can be rolled back.
        let addr = serve_locally(&second).await;
        call(&format!("http://{addr}"), RETURN_CHECK, returned(SALE)).await;
        assert_eq!(second.balance(ANNA), Some(Money(1500_00)));
    }

    #[tokio::test]
    async fn the_books_read_a_rollback_and_the_kept_check_as_one_return() {
        let (emulator, base) = start().await;
        call(&base, REGISTER_CHECK, check(SALE, 501, "1/1", 899_89, 100_00)).await;
        // A partial return: the sale rolled back, the meat the guest kept registered anew.
        call(&base, RETURN_CHECK, returned(SALE)).await;
        call(&base, REGISTER_CHECK, check(KEPT, 501, "1/2", 629_90, 70_00)).await;
        // Then the meat too: nothing kept. Another guest's sale is no kept part of it.
        call(&base, RETURN_CHECK, returned(KEPT)).await;
        call(&base, REGISTER_CHECK, check(OTHER, 502, "1/4", 100_00, 0)).await;

        let ledger = emulator.ledger();
        assert_eq!(
            ledger.counted,
            vec![
                Counted::new(&[ANNA], Kind::Sale, 899_89, 100_00),
                Counted::new(&[ANNA], Kind::Return, 269_99, 30_00),
                Counted::new(&[ANNA], Kind::Return, 629_90, 70_00),
                Counted::new(&["+79211022546"], Kind::Sale, 100_00, 0),
            ]
        );
        assert!(ledger.open_debits.is_empty());
        assert_eq!(emulator.balance(ANNA), Some(Money(1500_00)), "sale and returns net to nothing");
        assert_eq!(emulator.repeats(), 0);
    }

    #[tokio::test]
    async fn a_lost_or_malformed_answer_still_counts_the_check() {
        let (emulator, base) = start().await;
        emulator.fail(Failure::Lost, 1, 0);
        let lost = send(&base, REGISTER_CHECK, check(SALE, 501, "1/1", 899_89, 100_00)).await;
        assert!(unanswered(lost).await, "no answer comes");
        assert!(emulator.registered(SALE), "processed all the same");
        assert_eq!(emulator.ledger().counted.len(), 1);

        emulator.fail(Failure::Malformed, 1, 0);
        cut_short_body(send(&base, REGISTER_CHECK, check(OTHER, 502, "1/2", 100_00, 0)).await).await;
        assert!(emulator.registered(OTHER));
        assert_eq!(emulator.ledger().counted.len(), 2);
    }

    async fn login(base: &str) -> Value {
        call(base, LOGIN, json!({"login": "kassa", "password": PASSWORD})).await
    }

    /// find_by_phone with a bearer token.
    async fn find_as(base: &str, bearer: &str) -> StatusCode {
        let url = format!("{base}{FIND_BY_PHONE}");
        let authorization = format!("Bearer {bearer}");
        let sent = send_json(&url, ("Authorization", &authorization), &json!({"phone": "79161234567"})).await;
        sent.expect("sent").status()
    }

    fn keys(answer: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = answer.as_object().expect("an object").keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }

    #[tokio::test]
    async fn tokens_are_spelled_in_snake_case_unless_told_otherwise() {
        let (emulator, base) = start().await;
        let first = login(&base).await;
        assert_eq!(keys(&first), ["access_token", "expires_in", "refresh_token"], "{first}");
        assert_eq!(first["expires_in"], json!(3600));
        let access = first["access_token"].as_str().expect("a token");
        assert_eq!(find_as(&base, access).await, StatusCode::OK);

        // The refresh token is read in either spelling, once.
        let refresh = first["refresh_token"].as_str().expect("a refresh token");
        let second = call(&base, REFRESH_TOKEN, json!({"refresh_token": refresh})).await;
        assert_eq!(keys(&second), ["access_token", "expires_in", "refresh_token"]);
        let (status, _) = ask(&base, REFRESH_TOKEN, json!({"refreshToken": refresh})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "a refresh token works once");

        emulator.token_spelling(Spelling::Camel);
        let refresh = second["refresh_token"].as_str().expect("a refresh token");
        let third = call(&base, REFRESH_TOKEN, json!({"refreshToken": refresh})).await;
        assert_eq!(keys(&third), ["accessToken", "expiresIn", "refreshToken"], "{third}");
        let camel = login(&base).await;
        assert_eq!(keys(&camel), ["accessToken", "expiresIn", "refreshToken"]);
        assert_eq!(
            find_as(&base, camel["accessToken"].as_str().expect("a token")).await,
            StatusCode::OK
        );

        // Both spellings at once, or neither, is no request.
        let both = json!({"refreshToken": "x", "refresh_token": "x"});
        assert_eq!(ask(&base, REFRESH_TOKEN, both).await.0, StatusCode::BAD_REQUEST);
        assert_eq!(ask(&base, REFRESH_TOKEN, json!({})).await.0, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn a_check_is_rolled_back_once() {
        let (emulator, base) = start().await;
        call(&base, REGISTER_CHECK, check(SALE, 501, "1/1", 1000_00, 100_00)).await;
        assert_eq!(emulator.balance(ANNA), Some(Money(1450_00)));
        let rolled = call(&base, RETURN_CHECK, returned(SALE)).await;
        assert_eq!(rolled, json!({"balance": 1500_00}));

        let (status, again) = ask(&base, RETURN_CHECK, returned(SALE)).await;
        assert_eq!((status, again), (StatusCode::BAD_REQUEST, json!({"message": "Чек уже возвращён"})));
        assert_eq!(emulator.balance(ANNA), Some(Money(1500_00)), "nothing rolled back twice");
        assert_eq!(emulator.repeats(), 1);
        assert_eq!(
            emulator.ledger().counted,
            vec![
                Counted::new(&[ANNA], Kind::Sale, 1000_00, 100_00),
                Counted::new(&[ANNA], Kind::Return, 1000_00, 100_00)
            ]
        );
        let (status, _) = ask(&base, RETURN_CHECK, returned(OTHER)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "a check never registered");
    }

    #[tokio::test]
    async fn a_guid_sent_twice_is_a_second_purchase() {
        let (emulator, base) = start().await;
        call(&base, REGISTER_CHECK, check(SALE, 501, "1/1", 1000_00, 100_00)).await;
        assert_eq!(emulator.repeats(), 0);
        // The same check again: ProBonus does not keep GUIDs unique, it counts it again.
        let again = call(&base, REGISTER_CHECK, check(SALE, 501, "1/1", 1000_00, 100_00)).await;
        assert_eq!(again, json!({"balance": 1400_00}));
        // Other content under the same GUID too.
        call(&base, REGISTER_CHECK, check(SALE, 502, "1/2", 100_00, 0)).await;
        assert_eq!(emulator.repeats(), 2);
        assert_eq!(emulator.balance(ANNA), Some(Money(1400_00)));
        assert_eq!(emulator.balance("+79211022546"), Some(Money(842_44)));
        assert_eq!(
            emulator.ledger().counted,
            vec![
                Counted::new(&[ANNA], Kind::Sale, 1000_00, 100_00),
                Counted::new(&[ANNA], Kind::Sale, 1000_00, 100_00),
                Counted::new(&["+79211022546"], Kind::Sale, 100_00, 0),
            ]
        );
        let lines = call(&base, TRANSACTIONS, json!({"accountId": 501, "count": 10})).await;
        let amounts: Vec<&Value> = lines.as_array().expect("a list").iter().map(|t| &t["amount"]).collect();
        assert_eq!(amounts, [&json!(50_00), &json!(-100_00), &json!(50_00), &json!(-100_00)]);

        // One return_check rolls back every check under the GUID.
        call(&base, RETURN_CHECK, returned(SALE)).await;
        assert_eq!(emulator.balance(ANNA), Some(Money(1500_00)));
        assert_eq!(emulator.balance("+79211022546"), Some(Money(832_44)));
        assert!(!emulator.registered(SALE));
    }

    #[tokio::test]
    async fn a_blocked_guest_is_refused_with_a_text() {
        let (emulator, base) = start().await;
        let blocked = json!({"message": "Гость заблокирован"});
        let demo_guest = json!({"phone": DEMO_BLOCKED});
        assert_eq!(
            ask(&base, FIND_BY_PHONE, demo_guest).await,
            (StatusCode::FORBIDDEN, blocked.clone())
        );

        call(&base, REGISTER_CHECK, check(SALE, 501, "1/1", 1000_00, 0)).await;
        assert!(emulator.block(ANNA, BLOCKED));
        assert!(!emulator.block("+79990000000", BLOCKED), "no such guest");
        for (path, body) in [
            (FIND_BY_PHONE, json!({"phone": "79161234567"})),
            (BALANCE_EXTENDED, json!({"accountId": 501})),
            (TRANSACTIONS, json!({"accountId": 501, "count": 5})),
            (REGISTER_CHECK, check(OTHER, 501, "1/2", 100_00, 0)),
            (RETURN_CHECK, returned(SALE)),
            (
                INSERT_BY_TEMPLATE,
                json!({"accountGroupId": 3, "phone": "79161234567", "name": "Анна"}),
            ),
        ] {
            assert_eq!(ask(&base, path, body).await, (StatusCode::FORBIDDEN, blocked.clone()), "{path}");
        }
        assert_eq!(emulator.balance(ANNA), Some(Money(1550_00)), "nothing counted");
        assert!(emulator.registered(SALE) && !emulator.registered(OTHER));
        assert_eq!(emulator.ledger().counted.len(), 1);
        // Another guest is served; the text is the block's own.
        call(&base, FIND_BY_PHONE, json!({"phone": "79211022546"})).await;
        emulator.block(ANNA, "Карта утеряна");
        let (status, answer) = ask(&base, FIND_BY_PHONE, json!({"phone": "79161234567"})).await;
        assert_eq!((status, answer), (StatusCode::FORBIDDEN, json!({"message": "Карта утеряна"})));
        assert!(emulator.unblock(ANNA));
        call(&base, FIND_BY_PHONE, json!({"phone": "79161234567"})).await;
    }

    #[tokio::test]
    async fn sums_are_whole_kopecks_and_every_variable_is_there() {
        let (emulator, base) = start().await;
        let with = |name: &str, value: Value| {
            let mut body = check(SALE, 501, "1/1", 1000_00, 0);
            body[name] = value;
            body
        };
        for body in [
            with("moneySpentSum", exact_json("100000.0")),
            with("moneySpentSum", exact_json("1000.5")),
            with("moneySpentSum", exact_json("1e5")),
            with("moneySpentSum", json!("100000")),
            with("bonusSpentSum", json!(-1)),
            with("discountSum", Value::Null),
            with("restCode", json!("1")),
            with("checkGuid", json!("0d8f3c1e2b7a4c558e1d93f0b6f1c201")),
            with("rkUnit", json!(12)),
            with("checkData", json!("")),
        ] {
            let (status, answer) = ask(&base, REGISTER_CHECK, body.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
            assert!(answer["message"].is_string());
        }
        let mut missing = check(SALE, 501, "1/1", 1000_00, 0);
        missing.as_object_mut().expect("an object").remove("externalCheck");
        assert_eq!(ask(&base, REGISTER_CHECK, missing).await.0, StatusCode::BAD_REQUEST);
        assert_eq!(ask(&base, ACCOUNT_GROUPS, json!([])).await.0, StatusCode::BAD_REQUEST);
        // A wrong accrual or too many bonuses for the level.
        let greedy = check(SALE, 501, "1/1", 1000_00, 1000_01);
        assert_eq!(ask(&base, REGISTER_CHECK, greedy).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        let stingy = with("bonusAccruedSum", json!(49_99));
        assert_eq!(ask(&base, REGISTER_CHECK, stingy).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(emulator.ledger().counted.is_empty(), "nothing counted");
        assert_eq!(emulator.balance(ANNA), Some(Money(1500_00)));

        // The level's percents go out as exact two-decimal numbers.
        let anna = call(&base, FIND_BY_PHONE, json!({"phone": "79161234567"})).await;
        assert_eq!(anna["level"]["bonusPercent"].to_string(), "5.00");
        assert_eq!(anna["balance"], json!(1500_00));
    }

    /// A JSON number written exactly as `text`.
    fn exact_json(text: &str) -> Value {
        let value = crate::emulators::exact_number(text);
        assert!(value.is_number(), "{text}");
        value
    }

    #[test]
    fn percents_round_down_to_the_kopeck() {
        assert_eq!(percent_down(Money(599_90), 5_00), Money(29_99));
        assert_eq!(percent_down(Money(1100_00), 50_00), Money(550_00));
        assert_eq!(percent_down(Money(1), 99_99), Money::ZERO);
    }
}
