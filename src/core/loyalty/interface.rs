//! The one interface the core speaks to any loyalty server: who the client
//! is ([`ClientId`]), the receipt as sent ([`Document`]), what is asked
//! ([`Request`]), what comes back ([`Reply`]) and how it fails
//! ([`LoyaltyError`]). Pure types: each provider (under `src/loyalty/`) turns
//! them into its wire format; that module's docs tell how.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::slip;
use crate::core::money::{Money, Quantity};

/// How the client was identified. A scanned QR is resolved to one of these.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientId {
    /// A loyalty card: the parsed magstripe track, the card's barcode, or typed digits.
    Card(String),
    /// A mobile phone in international form without separators: `+79211022546`.
    Phone(String),
    /// Nobody identified, where the protocol still takes the receipt
    /// (MaxBonus's customer `8888888888`: no accrual, no write-off).
    Anonymous,
}

impl ClientId {
    /// Reads what the cashier typed or scanned: 11 digits starting with 7 or
    /// 8, or `+7` and 10 digits, is a phone; anything else printable is a card.
    pub fn parse(text: &str) -> Option<ClientId> {
        let text = text.trim();
        if text.is_empty() || text.len() > 64 || text.chars().any(char::is_control) {
            return None;
        }
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let phone_like = text.chars().all(|c| c.is_ascii_digit() || "+-() ".contains(c));
        if phone_like
            && digits.len() == 11
            && (digits.starts_with('7') || digits.starts_with('8'))
            && (text.starts_with('+') || !text.contains('+'))
        {
            return Some(ClientId::Phone(format!("+7{}", &digits[1..])));
        }
        if phone_like && text.starts_with('+') {
            return None;
        }
        // A scanned QR (e.g. from the tax service's app) carries the phone
        // inside other text: `tel:+79161234567`, `...&phone=+79161234567`.
        if !phone_like && let Some(phone) = embedded_phone(text) {
            return Some(ClientId::Phone(phone));
        }
        Some(ClientId::Card(text.to_string()))
    }

    /// For the screen and logs: all but the last four characters hidden.
    pub fn masked(&self) -> String {
        let raw = match self {
            ClientId::Card(card) => card.as_str(),
            ClientId::Phone(phone) => phone.as_str(),
            ClientId::Anonymous => return crate::text::ANONYMOUS_CLIENT.into(),
        };
        let count = raw.chars().count();
        let shown: String = raw.chars().skip(count.saturating_sub(4)).collect();
        format!("{}{shown}", "*".repeat(count.saturating_sub(4).min(8)))
    }
}

/// "Фамилия Имя Отчество" from the parts a server gives, the empty ones left out.
pub fn full_name(parts: [&Option<String>; 3]) -> Option<String> {
    let name = parts
        .into_iter()
        .flatten()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then_some(name)
}

/// `+7` and ten digits somewhere in `text`, not inside a longer number.
fn embedded_phone(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len()).find_map(|at| {
        let rest = text.get(at..)?;
        let digits = rest.strip_prefix("+7")?;
        let ten: String = digits.chars().take_while(char::is_ascii_digit).collect();
        (ten.len() == 10).then(|| format!("+7{ten}"))
    })
}

/// One line of the receipt as the loyalty system sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// 1-based, in receipt order.
    pub index: u32,
    pub code: String,
    pub name: String,
    pub price: Money,
    pub min_price: Money,
    pub quantity: Quantity,
    /// After local discounts, loyalty discounts and bonus payment, as each
    /// request of the spec asks.
    pub total: Money,
    /// After the register's own discounts only: what the loyalty system
    /// calculates from (MaxBonus gives its discounts and write-off on it).
    #[serde(default)]
    pub before_loyalty: Money,
    /// For a return: the sale's line this one gives back (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_index: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Sale,
    /// A return against a sale that had loyalty: `reference_uid` is the sale's uid.
    Return {
        reference_uid: String,
        /// Where and when the sale was made (KilBil names moves by it).
        #[serde(default)]
        sale: Option<SaleRef>,
        /// What the guest keeps of the sale after this return (ProBonus
        /// registers it anew after rolling the sale back).
        #[serde(default)]
        kept: Option<Kept>,
    },
}

/// The part of a sale a guest keeps after a return: its lines at the
/// quantities kept, with their totals (after every discount) and the bonus
/// payment on them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Kept {
    pub lines: Vec<Line>,
    pub bonus: Money,
    /// Returns made against the sale before this one.
    pub earlier_returns: u32,
}

/// A closed sale's place: its shift, number and opening time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleRef {
    pub shift: u32,
    pub number: u32,
    pub opened_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub uid: String,
    pub kind: DocumentKind,
    pub shift: u32,
    pub number: u32,
    pub at: NaiveDateTime,
    pub lines: Vec<Line>,
    /// The promo code the cashier entered (one per receipt).
    #[serde(default)]
    pub promo_code: Option<String>,
    /// When the receipt closed (set in a confirmation).
    #[serde(default)]
    pub closed_at: Option<NaiveDateTime>,
    /// Gift certificates paying part of it (MaxBonus).
    #[serde(default)]
    pub certificates: Vec<CertificatePayment>,
}

/// A gift certificate paying `amount` of a receipt. The pin is a secret:
/// it never reaches a log (see [`redact`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificatePayment {
    pub code: String,
    pub pin: String,
    pub amount: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentType {
    Cash,
    Card,
    /// Bonus payment: non-fiscal, works as a discount.
    Bonus,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub kind: PaymentType,
    pub amount: Money,
}

/// A new client's details (KilBil, MaxBonus, ProBonus registration).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Profile {
    pub surname: String,
    pub name: String,
    pub patronymic: String,
    pub birth_date: Option<chrono::NaiveDate>,
    pub sex: Option<char>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// Is the server reachable? (KilBil's probe at shift open and receipt start.)
    CheckLink,
    /// Balance and client details: the balance enquiry, or identifying the
    /// client as soon as entered.
    ClientInfo {
        client: ClientId,
        /// Also the last transactions (the balance enquiry, where the protocol has them).
        #[serde(default)]
        history: bool,
    },
    /// Registration: the server sends an SMS code to the phone.
    Register {
        phone: String,
        profile: Profile,
    },
    ConfirmRegistration {
        phone: String,
        code: String,
        profile: Profile,
    },
    /// The registration's SMS code again.
    ResendRegistrationCode {
        phone: String,
    },
    /// An SMS with the link to the loyalty chat bot (MaxBonus).
    SendChatBotLink {
        client: ClientId,
    },
    /// What a gift certificate is worth, and whether it can pay (MaxBonus).
    CertificateInfo {
        code: String,
    },
    /// An SMS code to the client's phone before bonuses are spent.
    SendSpendCode {
        client: ClientId,
    },
    CheckSpendCode {
        client: ClientId,
        code: String,
    },
    /// The precheck.
    Calculate {
        client: ClientId,
        document: Document,
    },
    PayByBonus {
        client: ClientId,
        document: Document,
        amount: Money,
    },
    CancelBonusPayment {
        client: ClientId,
        document: Document,
        amount: Money,
    },
    /// After the receipt closed: a sale, or a return against its sale.
    Confirm {
        client: ClientId,
        document: Document,
        payments: Vec<Payment>,
    },
}

impl Request {
    pub fn name(&self) -> &'static str {
        match self {
            Request::CheckLink => "check_link",
            Request::ClientInfo { .. } => "client",
            Request::Register { .. } => "register",
            Request::ConfirmRegistration { .. } => "confirm_registration",
            Request::ResendRegistrationCode { .. } => "resend_registration_code",
            Request::SendChatBotLink { .. } => "send_chat_bot_link",
            Request::CertificateInfo { .. } => "certificate_info",
            Request::SendSpendCode { .. } => "send_spend_code",
            Request::CheckSpendCode { .. } => "check_spend_code",
            Request::Calculate { .. } => "calculate",
            Request::PayByBonus { .. } => "pay_by_bonus",
            Request::CancelBonusPayment { .. } => "cancel_bonus_payment",
            Request::Confirm { .. } => "confirm",
        }
    }
}

/// What the server says about the client.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClientInfo {
    pub name: Option<String>,
    pub balance: Option<Money>,
    /// For the electronic receipt.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// The answer applies only once the cashier types this code.
    pub validation_code: Option<String>,
    /// The most bonus payment the server allows for this receipt.
    pub available: Option<Money>,
    /// Bonuses that burn, and when (ProBonus).
    #[serde(default)]
    pub burning: Vec<Burning>,
    /// The lasting identity of a client identified by a one-time code (a
    /// MaxBonus QR or short code resolves to the customer's phone): later
    /// requests of the receipt use it.
    #[serde(default)]
    pub known_as: Option<ClientId>,
    /// Spending needs a code sent to the client (MaxBonus `n_checkpin`).
    #[serde(default)]
    pub spend_code: bool,
}

/// What the server says about a gift certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateState {
    pub code: String,
    pub usable: bool,
    /// The server's word on it ("активен", "погашен", …).
    pub status: Option<String>,
    pub balance: Money,
}

/// An amount of bonuses that burns on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Burning {
    pub on: chrono::NaiveDate,
    pub amount: Money,
}

/// Text for the cashier, block by block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextBlock {
    pub text: String,
    pub align: slip::Align,
    pub size: slip::Size,
    pub bold: bool,
}

impl TextBlock {
    /// Plain left-aligned text.
    pub fn plain(text: impl Into<String>) -> TextBlock {
        TextBlock {
            text: text.into(),
            align: slip::Align::Left,
            size: slip::Size::Default,
            bold: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reply {
    pub client: Option<ClientInfo>,
    /// Precheck discounts by line index.
    pub discounts: Vec<(u32, Money)>,
    /// Bonus payment by line index; `None` when the server left it to us.
    pub distribution: Option<Vec<(u32, Money)>>,
    pub messages: Vec<TextBlock>,
    pub slips: Vec<slip::Slip>,
    /// Lines for the receipt's footer (MaxBonus's write answer).
    #[serde(default)]
    pub footer: Vec<String>,
    #[serde(default)]
    pub certificate: Option<CertificateState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum LoyaltyError {
    /// No answer: connection refused or dropped, timeout, a broken transport.
    #[error("no link to the loyalty server: {0}")]
    Link(String),
    /// The TLS handshake failed on the server's certificate (unknown issuer,
    /// expired, another name): nothing was sent. Counted as no link.
    #[error("the loyalty server's certificate is not trusted: {0}")]
    Certificate(String),
    /// The server answered, but its answer cannot be read (cut short, not
    /// JSON, the wrong shape): it may have done what was asked. "We do not
    /// know" — handled as no answer, never as a refusal.
    #[error("unreadable answer from the loyalty server: {0}")]
    Unreadable(String),
    /// The server answered and said no.
    #[error("{text}")]
    Refused { text: String },
    /// An undo (Frontol's cancelBonusPayment) found nothing to undo: the
    /// server holds no such payment, so there is nothing left to cancel.
    #[error("{text}")]
    NothingToUndo { text: String },
    /// The protocol has no such request.
    #[error("{0} is not part of this loyalty protocol")]
    Unsupported(String),
    /// Never sent: the state that leads to it could not be saved (a full
    /// disk). Handled as no answer, so whatever waits on it is settled
    /// once the disk takes the state again.
    #[error("not sent, the state leading to it is not on disk: {0}")]
    NotSent(String),
    /// Never sent: the link lamp is red, and the cashier does not wait on a
    /// server known to be down (a background probe says when it is back).
    /// Handled as no link; the lamp stays as it is.
    #[error("not sent, the link to the loyalty server is down")]
    LinkDown,
    /// The cashier stopped waiting (Esc): handled as no link, the lamp as it
    /// is; the request's own answer, when it comes, only lights the lamp.
    #[error("the cashier stopped waiting for the loyalty server")]
    Abandoned,
}

impl LoyaltyError {
    pub fn is_link(&self) -> bool {
        matches!(
            self,
            LoyaltyError::Link(_) | LoyaltyError::Certificate(_) | LoyaltyError::LinkDown | LoyaltyError::Abandoned
        )
    }

    /// Decided here, not by the server: nothing was heard, and the lamp stays as it is.
    pub fn local(&self) -> bool {
        matches!(self, LoyaltyError::NotSent(_) | LoyaltyError::LinkDown | LoyaltyError::Abandoned)
    }

    /// No usable answer (no link, or an unreadable one): the server may or
    /// may not have done it.
    pub fn unanswered(&self) -> bool {
        matches!(
            self,
            LoyaltyError::Link(_)
                | LoyaltyError::Certificate(_)
                | LoyaltyError::Unreadable(_)
                | LoyaltyError::NotSent(_)
                | LoyaltyError::LinkDown
                | LoyaltyError::Abandoned
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_phones_and_cards() {
        assert_eq!(ClientId::parse("+7 (921) 102-25-46"), Some(ClientId::Phone("+79211022546".into())));
        assert_eq!(ClientId::parse("89211022546"), Some(ClientId::Phone("+79211022546".into())));
        assert_eq!(ClientId::parse("9070000000001000"), Some(ClientId::Card("9070000000001000".into())));
        assert_eq!(ClientId::parse("+1 555 123"), None);
        assert_eq!(ClientId::parse("tel:+79161234567"), Some(ClientId::Phone("+79161234567".into())));
        assert_eq!(
            ClientId::parse("t=20261123&phone=+79161234567&s=1"),
            Some(ClientId::Phone("+79161234567".into()))
        );
        assert_eq!(ClientId::parse("QR-CARD-42"), Some(ClientId::Card("QR-CARD-42".into())));
        assert_eq!(ClientId::parse(""), None);
        assert_eq!(ClientId::Phone("+79211022546".into()).masked(), "********2546");
    }
}
