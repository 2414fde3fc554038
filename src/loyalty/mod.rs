//! Loyalty: one interface for four protocols.
//!
//! The core speaks only [`Request`] and [`Reply`]; each provider turns them
//! into its own wire format. Every failure is either a link failure (the
//! server could not be reached or did not answer in time: retry, or go on
//! offline) or a refusal (the server answered with an error: show its text,
//! stop) — see [`LoyaltyError`]. An answer that cannot be read (cut short,
//! the wrong shape, over [`MAX_ANSWER`]) is neither: "we do not know", kept
//! apart from a refusal. A server certificate the TLS check refuses is its
//! own kind, counted as no link but told to the cashier as not trusted.
//!
//! | interface | Frontol Loyalty API | KilBil | MaxBonus (cashbox 2.0.6) | ProBonus (Carbis v0) |
//! |---|---|---|---|---|
//! | identify a client ([`ClientId`]: card, phone; a QR resolves to one of them) | `client.card` / `client.mobilePhone` sent with every request | `searchclient` (`search_mode` 2 card, 0 phone) | `POST /customer/auth` (phone); QR, card or short code via QR auth | `accounts/find_by_phone` (phone only) |
//! | [`Request::ClientInfo`] (balance enquiry) | `POST /client` → cashierInformation / printingInformation | `searchclient` → `bonus_balance`, name | customer auth → `total_bonus`, name | `find_by_phone` + `accounts/get_balance_extended` (burning), + `accounts/transactions` for the balance enquiry |
//! | [`Request::Register`], [`Request::ConfirmRegistration`] | not in the protocol: [`LoyaltyError::Unsupported`] | `addclient`, `askconfirmphone` (sms_type 0), `checkconfirmphonecode` | register request (SMS), confirmation with code + CustomerRegisterRequest | `find_by_phone` (must be new), `accounts/insert_by_template` into `accountGroupId`; no code |
//! | [`Request::CheckLink`] | not sent (the flow does not probe) | `searchclient` for phone `70000000000`, at shift open and receipt start | not sent | not sent |
//! | [`Request::SendSpendCode`], [`Request::CheckSpendCode`] | not in the protocol | `askconfirmphone` (sms_type 1), `checkconfirmphonecode` | `askpin`, `checkpin` when `n_checkpin` | not in the protocol |
//! | [`Request::Calculate`] (precheck) | `/document` `calculate` → discounts, `availableAmount`, client, `validationCode`, messages, slips | `processsale` with `bonus_out` 0 → `bill_data.items` | `check` (CalcCheckRequest) → `calc_id`, max write-off, balance | local: the level's `maxPaymentPercent` of the receipt, within the balance |
//! | [`Request::PayByBonus`] | `payByBonus` → `paidAmount` per position (or none: we distribute) | `processsale` with `bonus_out` → per-item `bonus_out` | second `check` with the write-off (pin first when `n_checkpin`) | the balance read again; we distribute; spent in `register_check` |
//! | [`Request::CancelBonusPayment`] | `cancelBonusPayment` | `processsale` with `bonus_out` 0 | `check` again without write-off | local |
//! | [`Request::Confirm`] of a sale | `confirm`, type `receipt` (idempotent by `uid`) | `confirmsale` (`move_id` is the key) | `check/write` with `calc_id`; "already processed" → `rollback`, write again | `external/register_check` (`checkGuid` = uid, looked up in `transactions` first: ProBonus does not check it) |
//! | [`Request::Confirm`] of a return | `confirm`, type `refundReceipt`, `referenceUid` | `getdetailingbymove`, `processsale` type 1, `confirmsale` | `check/return` (returned positions, or empty for all) | `external/return_check` of the sale's check, then `register_check` of what the guest kept |
//! | link failure | transport error, timeout | transport error, timeout, non-200 (lamp red) | transport error, timeout, 5xx | transport error, timeout, 401/403 after a re-login, 408, 429, 5xx |
//! | refusal | HTTP ≠ 200 or `code` ≠ 0 with `error` | `result_code` ≠ 0 | 401, 422 and error bodies | other 4xx, unreadable 2xx |
//!
//! The document's `uid` is kept from the first request of a receipt to its
//! confirmation; it is each protocol's idempotency key (KilBil derives its
//! `move_id` from the receipt's place and number instead).

pub mod demo;
pub mod frontol;
pub mod kilbil;
pub mod maxbonus;
pub mod numbers;
pub mod probonus;
pub mod providers;
pub mod worker;

pub use crate::core::loyalty::interface::*;
pub use crate::core::loyalty::slip;
pub use providers::{FlowOptions, LoyaltyConfig, PROTOCOLS, Protocol};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_failures_are_found_inside_io_errors() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        // As hyper-rustls hands it on: an io::Error in an io::Error.
        let wrapped = std::io::Error::other(std::io::Error::new(std::io::ErrorKind::InvalidData, tls));
        assert!(certificate_cause(&wrapped).is_some_and(|c| c.contains("UnknownIssuer")));
        let other_stack = std::io::Error::other("The certificate chain was issued by an untrusted authority");
        assert!(certificate_cause(&other_stack).is_some());
        assert_eq!(certificate_cause(&std::io::Error::other("connection refused")), None);
        let handshake = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
        assert_eq!(certificate_cause(&std::io::Error::other(handshake)), None);
    }
}

/// The HTTP client of a provider: every request bounded by `timeout`.
pub fn http_client(timeout: std::time::Duration) -> Result<reqwest::Client, LoyaltyError> {
    // reqwest is built without a default TLS provider; ring is ours. Installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| LoyaltyError::Link(format!("cannot set up HTTP: {e}")))
}

/// When a loyalty client stops waiting for an answer. The HTTP client's
/// timeout always bounds a wait; an injected deadline can end it sooner,
/// with the same error, when whoever holds it says time's up: a replay
/// does, on its own clock, so that a server's late answer costs no wall
/// time. The default has no other end: only the timeout ends a wait.
#[derive(Clone, Default)]
pub struct Deadline {
    /// Bumped at each "time's up"; `None`: the timeout alone.
    expiries: Option<std::sync::Arc<tokio::sync::watch::Sender<u64>>>,
}

impl Deadline {
    /// A deadline its holder ends with [`Deadline::expire`] (clones share it).
    pub fn injected() -> Deadline {
        Deadline {
            expiries: Some(std::sync::Arc::new(tokio::sync::watch::Sender::new(0))),
        }
    }

    /// Time's up for every exchange waiting now: each ends as its timeout
    /// would have ended it. An exchange begun later is not touched.
    pub fn expire(&self) {
        if let Some(expiries) = &self.expiries {
            expiries.send_modify(|n| *n += 1);
        }
    }
}

/// The same deadline: both the timeout alone, or one injected signal.
impl PartialEq for Deadline {
    fn eq(&self, other: &Deadline) -> bool {
        match (&self.expiries, &other.expiries) {
            (None, None) => true,
            (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for Deadline {}

impl std::fmt::Debug for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.expiries.is_some() {
            "Deadline(injected)"
        } else {
            "Deadline(timeout)"
        })
    }
}

/// What a wait that ended unanswered is called, whichever ended it ([`describe`]).
const NO_ANSWER_IN_TIME: &str = "no answer within the timeout";

/// One exchange with a provider's server: `request` sent and its answer
/// read ([`read_answer`]) as one wait, bounded by the HTTP client's timeout
/// and ended sooner by `deadline` when injected; either way an unanswered
/// wait is the same [`LoyaltyError::Link`].
pub async fn exchange(request: reqwest::RequestBuilder, deadline: &Deadline) -> Result<(reqwest::StatusCode, Vec<u8>), LoyaltyError> {
    // Watched before anything is sent: a "time's up" from now on is seen.
    let expired = deadline.expiries.as_ref().map(|expiries| expiries.subscribe());
    let answered = async {
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        let body = read_answer(response).await?;
        Ok((status, body))
    };
    let Some(mut expired) = expired else {
        return answered.await;
    };
    tokio::select! {
        // Time's up wins over an answer that comes in the same instant:
        // whoever says it, says it before the server may answer.
        biased;
        Ok(()) = expired.changed() => Err(LoyaltyError::Link(NO_ANSWER_IN_TIME.into())),
        answered = answered => answered,
    }
}

/// The longest answer read. Real answers are kilobytes (a Frontol answer
/// with slips, a ProBonus transaction list); a longer one is not read on.
pub const MAX_ANSWER: usize = 1024 * 1024;

/// An answer's body, read a chunk at a time and given up past
/// [`MAX_ANSWER`]. An oversized answer is unreadable — the server may have
/// done what was asked — never a refusal.
async fn read_answer(mut response: reqwest::Response) -> Result<Vec<u8>, LoyaltyError> {
    let too_long = || LoyaltyError::Unreadable(format!("the answer is longer than {MAX_ANSWER} bytes"));
    if response.content_length().is_some_and(|length| length > MAX_ANSWER as u64) {
        return Err(too_long());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(too_long());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A transport failure as a [`LoyaltyError`]: a certificate the handshake
/// refused is told apart from no link, the rest is [`describe`]d.
fn transport_error(error: reqwest::Error) -> LoyaltyError {
    match certificate_cause(&error) {
        Some(cause) => LoyaltyError::Certificate(cause),
        None => LoyaltyError::Link(describe(error)),
    }
}

/// The certificate failure among an error's causes.
fn certificate_cause(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(found) = certificate_in(current) {
            return Some(found);
        }
        cause = current.source();
    }
    None
}

/// A certificate failure in `error` itself: rustls's own error, found
/// inside the io::Errors that carry it (an io::Error holds its inner error
/// apart from its source), or words of another TLS stack about a certificate.
fn certificate_in(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(io) = error.downcast_ref::<std::io::Error>() {
        let inner = io.get_ref()?;
        return certificate_in(inner);
    }
    match error.downcast_ref::<rustls::Error>() {
        Some(
            tls @ (rustls::Error::InvalidCertificate(_)
            | rustls::Error::InvalidCertRevocationList(_)
            | rustls::Error::NoCertificatesPresented),
        ) => Some(tls.to_string()),
        Some(_) => None,
        None if error.to_string().to_lowercase().contains("certificate") => Some(error.to_string()),
        None => None,
    }
}

/// A transport failure in a few words for the cashier and the log.
/// The URL is left out: KilBil's carries the key.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    if error.is_timeout() {
        NO_ANSWER_IN_TIME.into()
    } else if error.is_connect() {
        "cannot connect".into()
    } else {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

/// Words that make a key secret, in any case style and at any depth:
/// `accessToken`, `access_token`, `ACCESS-TOKEN`, `customer_token`, `pin`…
const SECRET_WORDS: &[&str] = &[
    "token",
    "password",
    "passwd",
    "pwd",
    "secret",
    "pin",
    "pincode",
    "key",
    "apikey",
    "authorization",
];
/// A `code` is secret where a word beside it says it proves something
/// (`validationCode`, `code_sms`, `confirm_code`); a bare `code` names goods.
const CODE_QUALIFIERS: &[&str] = &[
    "sms",
    "validation",
    "confirm",
    "confirmation",
    "verification",
    "otp",
    "pin",
    "auth",
    "access",
    "secret",
];
/// Keys whose values are shown with all but the last four characters hidden
/// (by their words joined, in any case style).
const MASKED_KEYS: &[&str] = &[
    "card",
    "cardcode",
    "cardnumber",
    "mobilephone",
    "phone",
    "phonenumber",
    "phones",
    "cards",
    "searchvalue",
    "qr",
];
/// Keys naming a person (by their words joined): shown by a first letter.
const NAME_KEYS: &[&str] = &[
    "firstname",
    "lastname",
    "middlename",
    "secondname",
    "surname",
    "patronymic",
    "fio",
    "fullname",
    "familyname",
    "givenname",
    "clientname",
    "customername",
    "guestname",
    "holdername",
    "ownername",
    "personname",
];
/// Keys of a birth date: its digits hidden.
const BIRTH_KEYS: &[&str] = &["birthdate", "birthday", "dateofbirth", "dob", "bdate", "birth"];
const EMAIL_KEYS: &[&str] = &["email", "emails", "mail", "emailaddress"];
const SEX_KEYS: &[&str] = &["sex", "gender"];
/// Keys beside a bare `name` that make it the name of goods, a level or a
/// coupon. Without one (and with anything personal beside it) a `name` is
/// taken for a person's: a MaxBonus calculation names its customer so.
const THING_KEYS: &[&str] = &[
    "price",
    "minprice",
    "quantity",
    "code",
    "article",
    "barcode",
    "bonuspercent",
    "maxpaymentpercent",
];

/// The words of a key in any case style: `accessToken`, `access_token` and
/// `ACCESS-TOKEN` all give `["access", "token"]`.
fn key_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        let boundary = !c.is_alphanumeric() || (c.is_uppercase() && previous_lower);
        if boundary && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Whether a key's value is a secret (see [`SECRET_WORDS`], [`CODE_QUALIFIERS`]).
fn is_secret_key(key: &str) -> bool {
    let words = key_words(key);
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    // Keys written as one word (`accesstoken`, `smscode`) too.
    let joined = words.concat();
    let compound = ["token", "password", "passwd", "secret"].iter().any(|w| joined.contains(w))
        || (joined.ends_with("code") && CODE_QUALIFIERS.iter().any(|q| joined.starts_with(q)));
    key == "h" || has(SECRET_WORDS) || compound || (words.iter().any(|w| w == "code") && has(CODE_QUALIFIERS))
}

/// How a key's value is shown in a log.
#[derive(Clone, Copy)]
enum Personal {
    /// A card or phone number: the last four characters.
    Number,
    Name,
    BirthDate,
    Email,
    Sex,
}

/// Whether `key`'s value in `object` tells about a person, and how it is hidden.
fn personal(key: &str, object: &serde_json::Map<String, serde_json::Value>) -> Option<Personal> {
    let joined = key_words(key).concat();
    let is = |list: &[&str]| list.contains(&joined.as_str());
    if is(MASKED_KEYS) {
        Some(Personal::Number)
    } else if is(NAME_KEYS) || (joined == "name" && names_a_person(object)) {
        Some(Personal::Name)
    } else if is(BIRTH_KEYS) {
        Some(Personal::BirthDate)
    } else if is(EMAIL_KEYS) {
        Some(Personal::Email)
    } else if is(SEX_KEYS) {
        Some(Personal::Sex)
    } else {
        None
    }
}

/// Whether an object's bare `name` is a person's (see [`THING_KEYS`]).
fn names_a_person(object: &serde_json::Map<String, serde_json::Value>) -> bool {
    let keys: Vec<String> = object.keys().map(|k| key_words(k).concat()).collect();
    let any = |list: &[&str]| keys.iter().any(|k| list.contains(&k.as_str()));
    any(MASKED_KEYS) || any(NAME_KEYS) || any(BIRTH_KEYS) || any(EMAIL_KEYS) || !any(THING_KEYS)
}

fn mask(text: &str) -> String {
    let count = text.chars().count();
    let shown: String = text.chars().skip(count.saturating_sub(4)).collect();
    format!("{}{shown}", "*".repeat(count.saturating_sub(4)))
}

/// An e-mail by the first letter of its mailbox and its domain: `i***@mail.ru`.
fn mask_email(text: &str) -> String {
    let (mailbox, domain) = text.rsplit_once('@').unwrap_or((text, ""));
    let first: String = mailbox.chars().take(1).collect();
    if domain.is_empty() {
        format!("{first}***")
    } else {
        format!("{first}***@{domain}")
    }
}

fn hide(text: &str, how: Personal) -> String {
    match how {
        Personal::Number => mask(text),
        Personal::Name if text.is_empty() => String::new(),
        Personal::Name => format!("{}***", text.chars().take(1).collect::<String>()),
        Personal::BirthDate => text.chars().map(|c| if c.is_ascii_digit() { '*' } else { c }).collect(),
        Personal::Email => mask_email(text),
        Personal::Sex => "*".into(),
    }
}

/// A phone or e-mail for the electronic receipt as support sees it:
/// `********2546`, `s***@mail.ru`.
pub fn masked_contact(contact: &str) -> String {
    if contact.contains('@') {
        mask_email(contact)
    } else {
        mask(contact)
    }
}

/// Free text with every `+7` phone and e-mail in it hidden (see [`scrub`]).
pub fn scrubbed(text: &str) -> String {
    scrub(text)
}

/// Free text (a message for the cashier, a printed line) with every `+7`
/// phone and e-mail in it hidden: «Чек отправлен на i***@mail.ru».
fn scrub(text: &str) -> String {
    if !text.contains("+7") && !text.contains('@') {
        return text.to_string();
    }
    text.split(' ')
        .map(|word| {
            let bare = word.trim_matches(|c: char| ",.;:()«»\"'!?".contains(c));
            let phone = bare.len() == 12 && bare.starts_with("+7") && bare[1..].chars().all(|c| c.is_ascii_digit());
            let email = bare.contains('@') && !bare.starts_with('@') && !bare.ends_with('@');
            match (phone, email) {
                (true, _) => word.replacen(bare, &mask(bare), 1),
                (_, true) => word.replacen(bare, &mask_email(bare), 1),
                _ => word.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A personal value hidden: strings and numbers (a phone sent as a JSON
/// number) alike, in lists too; an object inside is redacted as any.
fn hide_value(value: &mut serde_json::Value, how: Personal, secrets: &[&str]) {
    match value {
        serde_json::Value::String(text) => *text = hide(text, how),
        serde_json::Value::Number(number) => *value = serde_json::Value::String(hide(&number.to_string(), how)),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|item| hide_value(item, how, secrets)),
        serde_json::Value::Object(_) => redact_value(value, secrets),
        serde_json::Value::Bool(_) | serde_json::Value::Null => {}
    }
}

fn redact_value(value: &mut serde_json::Value, secrets: &[&str]) {
    match value {
        serde_json::Value::Object(map) => {
            let treatments: Vec<Option<Personal>> = map.keys().map(|key| personal(key, map)).collect();
            for ((key, inner), how) in map.iter_mut().zip(treatments) {
                if is_secret_key(key) || secrets.contains(&key.as_str()) {
                    *inner = serde_json::Value::String("***".into());
                } else if let Some(how) = how {
                    hide_value(inner, how, secrets);
                } else {
                    redact_value(inner, secrets);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|item| redact_value(item, secrets)),
        serde_json::Value::String(text) => *text = scrub(text),
        serde_json::Value::Bool(_) | serde_json::Value::Null | serde_json::Value::Number(_) => {}
    }
}

/// A JSON value as it may be shown or logged (the support CLI's queue
/// entries): secrets replaced; card and phone numbers (strings or JSON
/// numbers), names, birth dates, sex and e-mails masked, also in free text.
pub fn redacted(mut value: serde_json::Value) -> serde_json::Value {
    redact_value(&mut value, &[]);
    value
}

/// A request or answer body as it may be logged: secrets replaced, personal
/// data masked (see [`redacted`]); what is not JSON is only measured.
pub fn redact(body: &[u8]) -> String {
    redact_also(body, &[])
}

/// [`redact`], with more keys whose values are secret in this body (KilBil's
/// SMS code is a plain `code`, which elsewhere names an item).
pub fn redact_also(body: &[u8], secrets: &[&str]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value) => {
            redact_value(&mut value, secrets);
            value.to_string()
        }
        Err(_) => format!("<{} bytes, not JSON>", body.len()),
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::redact;

    #[test]
    fn secrets_and_numbers_never_reach_the_log() {
        let body =
            r#"{"client":{"card":"7770000000017","mobilePhone":"+79211022546","validationCode":"8956"},"positions":[{"price":1.00}]}"#;
        let logged = redact(body.as_bytes());
        assert!(
            !logged.contains("8956") && !logged.contains("7770000000017") && !logged.contains("79211022546"),
            "{logged}"
        );
        assert!(logged.contains("*********0017") && logged.contains("1.00"), "{logged}");
        assert_eq!(redact(b"garbage"), "<7 bytes, not JSON>");
    }

    #[test]
    fn every_spelling_of_a_secret_at_any_depth_is_hidden() {
        let spellings = [
            "accessToken",
            "access_token",
            "ACCESS_TOKEN",
            "access-token",
            "AccessToken",
            "refreshToken",
            "refresh_token",
            "token",
            "customer_token",
            "password",
            "Password",
            "user_password",
            "secret",
            "clientSecret",
            "pin",
            "PIN",
            "pin_code",
            "validationCode",
            "validation_code",
            "code_sms",
            "smsCode",
            "confirm_code",
            "api_key",
            "apiKey",
            "h",
        ];
        for key in spellings {
            let body = serde_json::json!({"outer": [{"inner": {key: "S3CR3T-VALUE"}}], key: "S3CR3T-VALUE"});
            let logged = redact(body.to_string().as_bytes());
            assert!(!logged.contains("S3CR3T"), "{key}: {logged}");
        }
        for key in ["code", "result_code", "status_code", "n_checkpin", "number", "price"] {
            let logged = redact(serde_json::json!({key: "4607001"}).to_string().as_bytes());
            assert!(logged.contains("4607001"), "{key} is no secret: {logged}");
        }
        for key in [
            "card",
            "card_code",
            "cardNumber",
            "mobilePhone",
            "mobile_phone",
            "phone",
            "search_value",
            "qr",
        ] {
            let logged = redact(serde_json::json!({"a": {key: "79161234567"}}).to_string().as_bytes());
            assert!(!logged.contains("7916123") && logged.contains("4567"), "{key}: {logged}");
        }
    }
}

#[cfg(test)]
mod personal_data_tests {
    use super::redact;

    /// What none of the samples may show in a log line.
    const PERSONAL: &[&str] = &[
        "Анна",
        "Иванова",
        "Сергеевна",
        "1985",
        "ivanova.anna",
        "anna.iv",
        "9161234",
        "0000000017",
        "2000123456",
    ];

    fn assert_hidden(protocol: &str, body: serde_json::Value, kept: &[&str]) {
        let logged = redact(body.to_string().as_bytes());
        for personal in PERSONAL {
            assert!(!logged.contains(personal), "{protocol}: {personal} in {logged}");
        }
        for kept in kept {
            assert!(logged.contains(kept), "{protocol}: {kept} should stay in {logged}");
        }
    }

    #[test]
    fn frontol_client_and_messages() {
        let answer = serde_json::json!({
            "code": 0,
            "client": {"mobilePhone": 79161234567_u64, "card": 7770000000017_u64, "email": "ivanova.anna@mail.ru", "availableAmount": 150.0},
            "positions": [{"index": 1, "name": "Молоко 3,2%", "price": 89.9, "discountAmount": 0}],
            "cashierInformation": [{"text": "Чек отправлен на ivanova.anna@mail.ru, клиент +79161234567"}]
        });
        assert_hidden("frontol", answer, &["Молоко 3,2%", "@mail.ru", "4567", "0017"]);
    }

    #[test]
    fn kilbil_searchclient_and_addclient() {
        let answer = serde_json::json!({
            "result_code": 0, "client_id": 4711, "bonus_balance": 150.5, "card_code": 2000123456789_u64,
            "phone": 79161234567_u64, "birth_date": "1985-03-14",
            "first_name": "Анна", "middle_name": "Сергеевна", "last_name": "Иванова"
        });
        assert_hidden("kilbil", answer, &["4711", "150.5", "6789"]);
        let sale = serde_json::json!({"bill_data": {"items": [{"code": "1021", "name": "Хлеб", "price": 45, "minPrice": 40}]}});
        assert_hidden("kilbil sale", sale, &["Хлеб"]);
    }

    #[test]
    fn maxbonus_customer_calculation_and_registration() {
        let auth = serde_json::json!({
            "first_name": "Анна", "middle_name": "Сергеевна", "last_name": "Иванова",
            "total_bonus": 150, "phone": 79161234567_u64, "n_checkpin": 0
        });
        assert_hidden("maxbonus auth", auth, &["total_bonus"]);
        let calc = serde_json::json!({"calc_id": "c-17", "name": "Иванова Анна", "total_bonus": 150, "max_bonus": 50});
        assert_hidden("maxbonus calc", calc, &["c-17"]);
        let register = serde_json::json!({
            "phone": "79161234567", "pin": "1234", "last_name": "Иванова", "first_name": "Анна",
            "middle_name": "Сергеевна", "birth_date": "14.03.1985", "sex": "f"
        });
        assert_hidden("maxbonus register", register, &[]);
    }

    #[test]
    fn probonus_account_and_other_spellings() {
        let account = serde_json::json!({
            "id": 5, "phone": "79161234567", "surname": "Иванова", "name": "Анна", "middleName": "Сергеевна",
            "email": "anna.iv@yandex.ru", "balance": 15000, "birthDate": "1985-03-14",
            "level": {"id": 1, "name": "Золотой", "bonusPercent": 500},
            "coupons": [{"id": 9, "code": "C1", "name": "Кофе в подарок"}]
        });
        assert_hidden("probonus", account, &["Золотой", "Кофе в подарок", "15000"]);
        let spellings = serde_json::json!({
            "guest": {"fio": "Иванова Анна Сергеевна", "fullName": "Иванова Анна", "firstName": "Анна", "lastName": "Иванова",
            "dateOfBirth": "1985-03-14", "birthday": "14.03.1985", "e_mail": "ivanova.anna@mail.ru", "phones": [79161234567_u64]}
        });
        assert_hidden("spellings", spellings, &[]);
    }
}
