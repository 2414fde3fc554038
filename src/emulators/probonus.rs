//! A ProBonus (Carbis API v0) server modelled on `../shared/specs/probonus.md`
//! and the readings in `loyalty::probonus::wire`: it checks the permanent
//! token or a bearer token (login, refresh, expiry; HTTP 401 otherwise),
//! validates every field it reads, keeps accounts with levels, burning
//! bonuses and transactions, account groups with `haveTemplate`, and
//! registered checks; it checks the kopeck arithmetic of register_check
//! against the account's level (accrual = `bonusPercent` of the money,
//! rounded down; bonuses at most `maxPaymentPercent` of the receipt and the
//! balance); a repeated `checkGuid` with the same content answers as the
//! first time and changes nothing (counted, so tests see that kassa never
//! repeats one), with other content it is refused; return_check rolls a
//! check back once. It misbehaves on command and logs what it received.
//! Its books ([`Emulator::ledger`]) are what `expect ledger` reconciles
//! with kassa's journal.
//!
//! Control (for tests): `POST /control` with `{"fail": MODE, "times": N}`
//! (`lost` and `malformed` process the request first, then drop the answer
//! or cut its body short);
//! `POST /control/expire` ends every bearer token now; `GET /log`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Local, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Misbehaviour;
use crate::core::ledger::{Counted, Kind, Ledger};
use crate::core::money::Money;
use crate::loyalty::probonus::{percent_down, wire};
use wire::Kopecks;

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

#[derive(Debug, Clone, PartialEq, Eq)]
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
}

/// The demo's program: two levels, a group without the API template and
/// one with it (id 3, as in ProBonus' test base), two guests.
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
        },
    ];
    (levels, groups, accounts)
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

#[derive(Debug, Clone)]
struct Check {
    /// When it was registered, among all checks: the books list them in this order.
    order: u64,
    account: u64,
    body: wire::RegisterCheck,
    returned: bool,
    /// The check whose return this one continues: what the guest kept of it.
    kept_of: Option<String>,
}

#[derive(Debug, Clone)]
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
    /// Bearer tokens → when they stop working.
    access: HashMap<String, Instant>,
    /// Refresh tokens → the login they renew.
    refresh: HashMap<String, String>,
    issued: u64,
    levels: Vec<Level>,
    groups: Vec<Group>,
    accounts: Vec<Account>,
    checks: HashMap<String, Check>,
    /// Account → the check it last had rolled back, until its next check:
    /// a register_check right after a return_check is what the guest kept.
    returning: HashMap<u64, String>,
    transactions: Vec<Transaction>,
    /// Register or return requests repeated for a check already done.
    repeats: u32,
    log: Vec<Logged>,
    misbehaviour: Misbehaviour,
}

#[derive(Clone)]
pub struct Emulator(Arc<Mutex<Inner>>);

/// A refusal: its HTTP status and text.
type Refusal = (StatusCode, String);
type Answer = Result<Value, Refusal>;

fn refuse(status: StatusCode, text: impl Into<String>) -> Refusal {
    (status, text.into())
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("неверный запрос: {e}")))
}

fn valid_phone(phone: &str) -> Result<(), Refusal> {
    if super::is_russian_mobile(phone) {
        Ok(())
    } else {
        Err(refuse(StatusCode::BAD_REQUEST, format!("phone «{phone}»: нужно 11 цифр, первая 7")))
    }
}

impl super::Misbehaving for Emulator {
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
            access: HashMap::new(),
            refresh: HashMap::new(),
            issued: 0,
            levels,
            groups,
            accounts,
            checks: HashMap::new(),
            returning: HashMap::new(),
            transactions: Vec::new(),
            repeats: 0,
            log: Vec::new(),
            misbehaviour: Misbehaviour::default(),
        })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        super::lock(&self.0)
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

    /// Every bearer token expires now (refresh tokens still work).
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        self.lock().access.values_mut().for_each(|expires| *expires = now);
    }

    pub fn log(&self) -> Vec<Logged> {
        self.lock().log.clone()
    }

    /// Register or return requests that repeated a check already done.
    pub fn repeats(&self) -> u32 {
        self.lock().repeats
    }

    /// A balance by phone (`+7…` or `7…`).
    pub fn balance(&self, phone: &str) -> Option<Money> {
        let phone = phone.trim_start_matches('+');
        self.lock().accounts.iter().find(|a| a.phone == phone).map(|a| a.balance)
    }

    /// Whether a check is registered and not rolled back.
    pub fn registered(&self, guid: &str) -> bool {
        self.lock().checks.get(guid).is_some_and(|c| !c.returned)
    }

    /// The books (see `core::ledger`), read as kassa's journal reads:
    /// every check registered on its own is a Sale (money: `moneySpentSum`;
    /// bonus: `bonusSpentSum`). A return is ProBonus' rollback of a check
    /// plus, when the guest kept part of it, the register_check of that
    /// part: net, one Return of the rolled-back check's money and bonus
    /// minus the kept check's. A sale is followed by its returns, the kept
    /// checks chaining one return to the next.
    pub fn ledger(&self) -> Ledger {
        let inner = self.lock();
        let mut sales: Vec<(&String, &Check)> = inner.checks.iter().filter(|(_, c)| c.kept_of.is_none()).collect();
        sales.sort_by_key(|(_, c)| c.order);
        let mut counted = Vec::new();
        for (guid, sale) in sales {
            let client = inner.client_ids(sale.account);
            let book = |kind, paid, bonus| Counted {
                client: client.clone(),
                kind,
                paid,
                bonus,
            };
            counted.push(book(Kind::Sale, sale.body.money_spent_sum.0, sale.body.bonus_spent_sum.0));
            let (mut guid, mut check) = (guid, sale);
            while check.returned {
                let kept = inner.checks.iter().find(|(_, k)| k.kept_of.as_ref() == Some(guid));
                let (kept_money, kept_bonus) = kept.map_or((0, 0), |(_, k)| (k.body.money_spent_sum.0.0, k.body.bonus_spent_sum.0.0));
                let paid = Money(check.body.money_spent_sum.0.0 - kept_money);
                let bonus = Money(check.body.bonus_spent_sum.0.0 - kept_bonus);
                counted.push(book(Kind::Return, paid, bonus));
                let Some(next) = kept else { break };
                (guid, check) = next;
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

impl super::Serving for Emulator {
    fn router(&self) -> Router {
        Router::new()
            .route("/api/v0/{*method}", post(method))
            .route("/control", post(super::control::<Emulator>))
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

fn answer(result: Answer) -> super::JsonAnswer {
    match result {
        Ok(value) => (StatusCode::OK, value.to_string()),
        Err((status, message)) => (status, json!({ "message": message }).to_string()),
    }
}

async fn method(State(emulator): State<Emulator>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_string();
    eprintln!("WIRE {path} {:?} {}", headers, String::from_utf8_lossy(&body));
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let fate = {
        let mut inner = emulator.lock();
        let open = path == wire::LOGIN || path == wire::REFRESH_TOKEN;
        let authorised = open || inner.authorised(header(wire::TOKEN_HEADER), header("Authorization"));
        inner.misbehaviour.say(&path, &body);
        inner.log.push(Logged {
            path: path.clone(),
            authorised,
            body: crate::loyalty::redact(&body),
        });
        if !authorised {
            return super::json_response(answer(Err(refuse(StatusCode::UNAUTHORIZED, "токен недействителен или истёк"))));
        }
        inner.misbehaviour.take()
    };
    let injected = || answer(Err(refuse(StatusCode::BAD_REQUEST, "Ошибка ProBonus (эмулятор)")));
    super::answer_as_fated(fate, injected, || answer(emulator.lock().serve(&path, &body))).await
}

impl Inner {
    /// The method at `path`.
    fn serve(&mut self, path: &str, body: &[u8]) -> Answer {
        match path {
            wire::LOGIN => self.login(body),
            wire::REFRESH_TOKEN => self.refresh_token(body),
            wire::FIND_BY_PHONE => self.find(body),
            wire::INSERT_BY_TEMPLATE => self.insert(body),
            wire::ACCOUNT_GROUPS => Ok(self.groups()),
            wire::BALANCE_EXTENDED => self.balance_extended(body),
            wire::TRANSACTIONS => self.transactions(body),
            wire::REGISTER_CHECK => self.register_check(body),
            wire::RETURN_CHECK => self.return_check(body),
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
        json!({"accessToken": access, "refreshToken": refresh, "expiresIn": self.credentials.ttl.as_secs()})
    }

    fn login(&mut self, body: &[u8]) -> Answer {
        let r: wire::Login = parse(body)?;
        match &self.credentials.login {
            Some((login, password)) if *login == r.login && *password == r.password => Ok(self.issue(r.login)),
            _ => Err(refuse(StatusCode::UNAUTHORIZED, "неверный логин или пароль")),
        }
    }

    fn refresh_token(&mut self, body: &[u8]) -> Answer {
        let r: wire::RefreshToken = parse(body)?;
        // A refresh token works once.
        match self.refresh.remove(&r.refresh_token) {
            Some(login) => Ok(self.issue(login)),
            None => Err(refuse(StatusCode::UNAUTHORIZED, "refresh token недействителен")),
        }
    }

    fn account(&self, id: u64) -> Result<usize, Refusal> {
        self.accounts
            .iter()
            .position(|a| a.id == id)
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, format!("счёт {id} не найден")))
    }

    fn level(&self, id: u64) -> Option<&Level> {
        self.levels.iter().find(|l| l.id == id)
    }

    fn account_json(&self, account: &Account) -> Value {
        let level = self.level(account.level).map(|l| {
            json!({"id": l.id, "name": l.name, "bonusPercent": wire::Percent(l.bonus_percent),
                "maxPaymentPercent": wire::Percent(l.max_payment_percent)})
        });
        let coupons: Vec<Value> = account.coupons.iter().map(|c| json!({"name": c})).collect();
        json!({"id": account.id, "accountGroupId": account.group, "phone": account.phone, "surname": account.surname,
            "name": account.name, "middleName": account.middle_name, "email": null, "balance": Kopecks(account.balance),
            "level": level, "coupons": coupons})
    }

    fn find(&self, body: &[u8]) -> Answer {
        let r: wire::FindByPhone = parse(body)?;
        valid_phone(&r.phone)?;
        match self.accounts.iter().find(|a| a.phone == r.phone) {
            Some(account) => Ok(self.account_json(account)),
            None => Err(refuse(StatusCode::NOT_FOUND, "Гость не найден")),
        }
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

    fn insert(&mut self, body: &[u8]) -> Answer {
        let r: wire::InsertByTemplate = parse(body)?;
        valid_phone(&r.phone)?;
        let group = self
            .groups
            .iter()
            .find(|g| g.id == r.account_group_id)
            .cloned()
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, format!("группа {} не найдена", r.account_group_id)))?;
        if !group.have_template {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("группа «{}» не отмечена как «Шаблон для API»", group.name),
            ));
        }
        if r.name.trim().is_empty() {
            return Err(refuse(StatusCode::BAD_REQUEST, "name: нужно имя гостя"));
        }
        if let Some(date) = &r.birth_date {
            NaiveDate::parse_from_str(date, wire::DATE)
                .map_err(|_| refuse(StatusCode::BAD_REQUEST, format!("birthDate «{date}»: не дата")))?;
        }
        if self.accounts.iter().any(|a| a.phone == r.phone) {
            return Err(refuse(StatusCode::CONFLICT, "Гость с таким телефоном уже есть"));
        }
        let id = self.accounts.iter().map(|a| a.id).max().unwrap_or(500) + 1;
        let account = Account {
            id,
            group: group.id,
            phone: r.phone,
            surname: r.surname,
            name: r.name,
            middle_name: r.middle_name,
            balance: group.welcome,
            level: group.level,
            burnings: Vec::new(),
            coupons: Vec::new(),
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

    fn balance_extended(&self, body: &[u8]) -> Answer {
        let r: wire::ByAccount = parse(body)?;
        let account = &self.accounts[self.account(r.account_id)?];
        let burnings: Vec<Value> = account
            .burnings
            .iter()
            .map(|(on, amount)| json!({"amount": Kopecks(*amount), "date": on.format(wire::DATE).to_string()}))
            .collect();
        Ok(json!({"balance": Kopecks(account.balance), "burnings": burnings}))
    }

    fn transactions(&self, body: &[u8]) -> Answer {
        let r: wire::Transactions = parse(body)?;
        self.account(r.account_id)?;
        let day = |name: &str, text: &Option<String>| -> Result<Option<NaiveDate>, Refusal> {
            text.as_ref()
                .map(|t| {
                    NaiveDate::parse_from_str(t, wire::DATE).map_err(|_| refuse(StatusCode::BAD_REQUEST, format!("{name} «{t}»: не дата")))
                })
                .transpose()
        };
        let (from, to) = (day("dateFrom", &r.date_from)?, day("dateTo", &r.date_to)?);
        if r.count.is_none() && (from.is_none() || to.is_none()) {
            return Err(refuse(StatusCode::BAD_REQUEST, "нужно count или dateFrom и dateTo"));
        }
        let list: Vec<Value> = self
            .transactions
            .iter()
            .rev()
            .filter(|t| t.account == r.account_id)
            .filter(|t| from.is_none_or(|f| t.at.date() >= f) && to.is_none_or(|d| t.at.date() <= d))
            .take(r.count.map_or(usize::MAX, |c| c as usize))
            .map(|t| {
                json!({"date": t.at.format(wire::DATE_TIME).to_string(), "amount": Kopecks(t.amount),
                    "description": t.description, "checkGuid": t.guid})
            })
            .collect();
        Ok(Value::Array(list))
    }

    fn check_rest(&self, rest_code: u32) -> Result<(), Refusal> {
        if rest_code == self.rest_code {
            Ok(())
        } else {
            Err(refuse(
                StatusCode::BAD_REQUEST,
                format!("restCode {rest_code}: нет такого ресторана"),
            ))
        }
    }

    fn register_check(&mut self, body: &[u8]) -> Answer {
        let r: wire::RegisterCheck = parse(body)?;
        self.check_rest(r.rest_code)?;
        uuid::Uuid::parse_str(&r.check_guid)
            .map_err(|_| refuse(StatusCode::BAD_REQUEST, format!("checkGuid «{}»: не GUID", r.check_guid)))?;
        if let Some(done) = self.checks.get(&r.check_guid) {
            if done.body != r {
                return Err(refuse(
                    StatusCode::CONFLICT,
                    format!("checkGuid {} уже использован другим чеком", r.check_guid),
                ));
            }
            self.repeats += 1;
            let balance = self.accounts[self.account(done.account)?].balance;
            return Ok(json!({ "balance": Kopecks(balance) }));
        }
        let index = self.account(r.account_id)?;
        if !(100..=999).contains(&r.rk_unit) {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                format!("rkUnit {}: нужен трёхзначный код", r.rk_unit),
            ));
        }
        if r.external_check.trim().is_empty() || r.check_data.trim().is_empty() {
            return Err(refuse(StatusCode::BAD_REQUEST, "externalCheck и checkData не должны быть пустыми"));
        }
        let sums = [&r.bonus_spent_sum, &r.discount_sum, &r.bonus_accrued_sum, &r.money_spent_sum];
        if sums.iter().any(|k| k.0.is_negative()) {
            return Err(refuse(StatusCode::BAD_REQUEST, "суммы не могут быть отрицательными"));
        }
        let account = self.accounts[index].clone();
        let accrual = self.check_level_sums(&account, &r)?;
        let bonus = r.bonus_spent_sum.0;
        self.accounts[index].balance = Money(account.balance.0 - bonus.0 + accrual.0);
        let guid = r.check_guid.clone();
        self.record(
            account.id,
            Money(-bonus.0),
            format!("Списание, чек {}", r.external_check),
            Some(&guid),
        );
        self.record(account.id, accrual, format!("Начисление, чек {}", r.external_check), Some(&guid));
        let kept_of = self.kept_part_of(account.id, &r);
        self.issued += 1;
        self.checks.insert(
            guid,
            Check {
                order: self.issued,
                account: account.id,
                body: r,
                returned: false,
                kept_of,
            },
        );
        Ok(json!({ "balance": Kopecks(self.accounts[index].balance) }))
    }

    /// The accrual due, once the check's kopeck arithmetic fits the
    /// account's level: the bonus within the balance and `maxPaymentPercent`
    /// of the receipt, the accrual exactly `bonusPercent` of the money,
    /// rounded down.
    fn check_level_sums(&self, account: &Account, r: &wire::RegisterCheck) -> Result<Money, Refusal> {
        let level = self.level(account.level).cloned().unwrap_or(Level {
            id: 0,
            name: String::new(),
            bonus_percent: 0,
            max_payment_percent: 0,
        });
        let (bonus, money) = (r.bonus_spent_sum.0, r.money_spent_sum.0);
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
        if r.bonus_accrued_sum.0 != accrual {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "bonusAccruedSum {}: по уровню «{}» начисляется {}",
                    r.bonus_accrued_sum.0.0, level.name, accrual.0
                ),
            ));
        }
        Ok(accrual)
    }

    fn return_check(&mut self, body: &[u8]) -> Answer {
        let r: wire::ReturnCheck = parse(body)?;
        self.check_rest(r.rest_code)?;
        let Some(check) = self.checks.get(&r.check_guid).cloned() else {
            return Err(refuse(StatusCode::NOT_FOUND, format!("чек {} не найден", r.check_guid)));
        };
        let index = self.account(check.account)?;
        if check.returned {
            self.repeats += 1;
            return Ok(json!({ "balance": Kopecks(self.accounts[index].balance) }));
        }
        let (spent, accrued) = (check.body.bonus_spent_sum.0, check.body.bonus_accrued_sum.0);
        // Accrued bonuses already spent leave the balance below zero, as in ProBonus.
        self.accounts[index].balance.0 += spent.0 - accrued.0;
        let what = format!("Возврат, чек {}", check.body.external_check);
        self.record(check.account, spent, what.clone(), Some(&r.check_guid));
        self.record(check.account, Money(-accrued.0), what, Some(&r.check_guid));
        if let Some(done) = self.checks.get_mut(&r.check_guid) {
            done.returned = true;
        }
        self.returning.insert(check.account, r.check_guid);
        Ok(json!({ "balance": Kopecks(self.accounts[index].balance) }))
    }

    /// The rolled-back check that `kept` is what the guest kept of, for the
    /// books. ProBonus has no link between the two (the kept check has its
    /// own guid and externalCheck), so this is a reading: the account's
    /// first check after a return_check is the kept part of the check
    /// rolled back, if it is no bigger (money and bonus) than that check.
    /// A full return directly followed by a smaller new sale of the same
    /// guest would be misread as a partial return: `expect ledger` then
    /// fails visibly, it never hides a difference.
    fn kept_part_of(&mut self, account: u64, kept: &wire::RegisterCheck) -> Option<String> {
        let returned = self.returning.remove(&account)?;
        let check = self.checks.get(&returned)?;
        let fits = kept.money_spent_sum.0 <= check.body.money_spent_sum.0 && kept.bonus_spent_sum.0 <= check.body.bonus_spent_sum.0;
        fits.then_some(returned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulators::testing::{cut_short_body, send_json, serve_locally, unanswered};
    use crate::emulators::{Failure, Misbehaving};

    const TOKEN: &str = "api-token";

    async fn start() -> (Emulator, String) {
        let credentials = Credentials {
            token: Some(TOKEN.into()),
            login: None,
            ttl: Duration::from_secs(3600),
        };
        let emulator = Emulator::new(credentials, 1, demo());
        let addr = serve_locally(&emulator).await;
        (emulator, format!("http://{addr}"))
    }

    async fn send(base: &str, path: &str, body: Value) -> reqwest::Result<reqwest::Response> {
        send_json(&format!("{base}{path}"), (wire::TOKEN_HEADER, TOKEN), &body).await
    }

    async fn call(base: &str, path: &str, body: Value) {
        let answer = send(base, path, body).await.expect("sent");
        assert_eq!(answer.status(), StatusCode::OK, "{path}: {:?}", answer.text().await);
    }

    /// A check of `money` paid and `bonus` spent; the accrual is the level's
    /// (5 % for account 501, 10 % for 502).
    fn check(guid: &str, account: u64, number: &str, money: i64, bonus: i64) -> Value {
        let percent = if account == 501 { 5 } else { 10 };
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
    async fn the_books_read_a_rollback_and_the_kept_check_as_one_return() {
        let (emulator, base) = start().await;
        call(&base, wire::REGISTER_CHECK, check(SALE, 501, "1/1", 899_89, 100_00)).await;
        // A partial return: the sale rolled back, the meat the guest kept registered anew.
        call(&base, wire::RETURN_CHECK, returned(SALE)).await;
        call(&base, wire::REGISTER_CHECK, check(KEPT, 501, "1/2", 629_90, 70_00)).await;
        // Then the meat too: nothing kept. Another guest's sale is no kept part of it.
        call(&base, wire::RETURN_CHECK, returned(KEPT)).await;
        call(&base, wire::REGISTER_CHECK, check(OTHER, 502, "1/4", 100_00, 0)).await;

        let anna = "+79161234567";
        let ledger = emulator.ledger();
        assert_eq!(
            ledger.counted,
            vec![
                Counted::new(&[anna], Kind::Sale, 899_89, 100_00),
                Counted::new(&[anna], Kind::Return, 269_99, 30_00),
                Counted::new(&[anna], Kind::Return, 629_90, 70_00),
                Counted::new(&["+79211022546"], Kind::Sale, 100_00, 0),
            ]
        );
        assert!(ledger.open_debits.is_empty());
    }

    #[tokio::test]
    async fn a_lost_or_malformed_answer_still_counts_the_check() {
        let (emulator, base) = start().await;
        emulator.fail(Failure::Lost, 1, 0);
        let lost = send(&base, wire::REGISTER_CHECK, check(SALE, 501, "1/1", 899_89, 100_00)).await;
        assert!(unanswered(lost).await, "no answer comes");
        assert!(emulator.registered(SALE), "processed all the same");
        assert_eq!(emulator.ledger().counted.len(), 1);

        emulator.fail(Failure::Malformed, 1, 0);
        cut_short_body(send(&base, wire::REGISTER_CHECK, check(OTHER, 502, "1/2", 100_00, 0)).await).await;
        assert!(emulator.registered(OTHER));
        assert_eq!(emulator.ledger().counted.len(), 2);
    }
}
