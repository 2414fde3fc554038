//! Marked goods (Честный ЗНАК): reading a DataMatrix marking code, what the
//! fiscal registrar answers when it checks one, and what the till does
//! with that answer.
//!
//! A code is GS1: application identifiers (AI) one after another, the
//! variable-length ones ended by a GS (0x1D) — 01 GTIN (14 digits), 21
//! serial, then the crypto tail: 91 key + 92 signature, or 93 (a short
//! signature); 17, 10, 11, 3103, 8005, 240 may be there too. A tobacco pack
//! carries 29 characters with no identifiers: GTIN 14, serial 7, price 4,
//! crypto 4. Keyboard-wedge scanners cannot type GS and send a substitute
//! (configurable); an AIM prefix `]d2` is dropped.
//!
//! Readings kept here: a code without a crypto tail is refused (a scanner
//! that cut it short, the commonest mistake), not sent to be checked; a
//! unit is known by its GTIN and serial (its identity), so the same unit
//! scanned with another crypto tail is still the same unit.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The group separator GS1 ends variable-length fields with.
pub const GS: char = '\u{1d}';

/// How a GS typed by a keyboard-wedge scanner reaches the input line (the
/// terminal turns the byte into a key; the screen shows this symbol).
pub const TYPED_GS: char = '␝';

fn is_gs(c: char, substitutes: &[char]) -> bool {
    c == GS || c == TYPED_GS || substitutes.contains(&c)
}

/// The longest code kassa takes (a shoe code with a 88-character signature is ~150).
const MAX_LENGTH: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkCode {
    /// As the registrar gets it: GS as 0x1D, no AIM prefix.
    pub raw: String,
    pub gtin: String,
    pub serial: String,
}

impl MarkCode {
    /// What the unit is known by: GTIN and serial.
    pub fn identity(&self) -> String {
        format!("{}{}", self.gtin, self.serial)
    }

    /// The code as the cashier can read it: GS shown as `␝`.
    pub fn shown(&self) -> String {
        shown(&self.raw)
    }
}

/// A code as the cashier can read it, cut to its first characters.
pub fn shown(raw: &str) -> String {
    let readable: String = raw.chars().map(|c| if c == GS { '␝' } else { c }).collect();
    match readable.char_indices().nth(31) {
        Some((at, _)) => format!("{}…", &readable[..at]),
        None => readable,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkCodeError {
    #[error("code of {0} characters, longer than any marking code")]
    TooLong(usize),
    #[error("character {0:?} has no place in a marking code")]
    BadCharacter(char),
    #[error("GTIN {0} has a wrong check digit")]
    BadGtin(String),
    #[error("no serial number (AI 21)")]
    NoSerial,
    #[error("no crypto tail (AI 93 or 91 and 92): the scanner cut the code short or drops GS")]
    NoCryptoTail,
    #[error("application identifier {0} is unknown")]
    UnknownIdentifier(String),
    #[error("field {0} is cut short")]
    CutShort(String),
}

/// Whether a scanned text is meant as a marking code (and so must read as
/// one), not a barcode or an item code.
pub fn looks_like_mark(text: &str, substitutes: &[char]) -> bool {
    let text = text.strip_prefix("]d2").unwrap_or(text);
    let text = text.trim_start_matches(|c| is_gs(c, substitutes));
    let digits = |s: &str| s.len() >= 14 && s.as_bytes()[..14].iter().all(u8::is_ascii_digit);
    (text.len() > 16 && text.starts_with("01") && digits(&text[2..])) || (text.chars().count() == 29 && digits(text))
}

/// The identifiers kassa knows: fixed length, or `None` for a field ended by GS.
fn field_length(ai: &str) -> Option<Option<usize>> {
    Some(match ai {
        "01" => Some(14),
        "11" | "17" => Some(6),
        "3103" | "8005" => Some(6),
        "10" | "21" | "91" | "92" | "93" | "240" => None,
        _ => return None,
    })
}

const IDENTIFIERS: [&str; 11] = ["01", "11", "17", "10", "21", "91", "92", "93", "240", "3103", "8005"];

/// Reads a scanned marking code; `substitutes` are what the scanner sends for GS.
pub fn parse(scanned: &str, substitutes: &[char]) -> Result<MarkCode, MarkCodeError> {
    let text = scanned.strip_prefix("]d2").unwrap_or(scanned);
    let raw: String = text.chars().map(|c| if is_gs(c, substitutes) { GS } else { c }).collect();
    let raw = raw.trim_start_matches(GS).trim_end_matches(['\r', '\n']).to_string();
    if raw.len() > MAX_LENGTH {
        return Err(MarkCodeError::TooLong(raw.chars().count()));
    }
    if let Some(bad) = raw.chars().find(|&c| c != GS && !(' '..='~').contains(&c)) {
        return Err(MarkCodeError::BadCharacter(bad));
    }
    if !raw.starts_with("01") && raw.len() == 29 {
        return tobacco_pack(raw);
    }
    let fields = fields(&raw)?;
    // An identifier with nothing after it is as good as missing.
    let get = |ai: &str| fields.iter().find(|(a, v)| *a == ai && !v.is_empty()).map(|(_, v)| v.clone());
    let gtin = get("01").ok_or_else(|| MarkCodeError::CutShort("01".into()))?;
    check_gtin(&gtin)?;
    let serial = get("21").ok_or(MarkCodeError::NoSerial)?;
    let tail = get("93").is_some() || (get("91").is_some() && get("92").is_some());
    if !tail {
        return Err(MarkCodeError::NoCryptoTail);
    }
    Ok(MarkCode { raw, gtin, serial })
}

/// The identifiers and their values, in order.
fn fields(raw: &str) -> Result<Vec<(&'static str, String)>, MarkCodeError> {
    let mut fields = Vec::new();
    let mut rest = raw;
    while !rest.is_empty() {
        rest = rest.trim_start_matches(GS);
        if rest.is_empty() {
            break;
        }
        let ai = IDENTIFIERS
            .iter()
            .find(|ai| rest.starts_with(**ai))
            .ok_or_else(|| MarkCodeError::UnknownIdentifier(rest.chars().take(4).collect()))?;
        rest = &rest[ai.len()..];
        let value = match field_length(ai).flatten() {
            Some(n) => {
                let value = rest
                    .get(..n)
                    .filter(|v| !v.contains(GS))
                    .ok_or_else(|| MarkCodeError::CutShort(ai.to_string()))?;
                rest = &rest[n..];
                value
            }
            None => {
                let end = rest.find(GS).unwrap_or(rest.len());
                let value = &rest[..end];
                rest = &rest[end..];
                value
            }
        };
        fields.push((*ai, value.to_string()));
    }
    Ok(fields)
}

fn tobacco_pack(raw: String) -> Result<MarkCode, MarkCodeError> {
    let gtin = raw[..14].to_string();
    check_gtin(&gtin)?;
    let serial = raw[14..21].to_string();
    Ok(MarkCode { raw, gtin, serial })
}

fn check_gtin(gtin: &str) -> Result<(), MarkCodeError> {
    let ok = gtin.len() == 14 && super::barcode::check_digit(&gtin[..13]) == gtin[13..].parse().ok();
    if ok {
        Ok(())
    } else {
        Err(MarkCodeError::BadGtin(gtin.to_string()))
    }
}

/// The planned status of a unit (tag 2003) the registrar is asked to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlannedStatus {
    /// «Штучный товар реализован» (1).
    Sold,
    /// «Штучный товар возвращён» (3).
    Returned,
}

/// The fiscal storage's own check of the code's signature (tag 2004).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalCheck {
    Passed,
    Failed,
    /// Not checked, and why (the registrar's reason 1…4).
    NotDone(u8),
}

/// The marking system's (ОИСМ) answer, through the registrar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnlineCheck {
    /// It answered: is the code genuine, and may the unit take the planned status (tag 2106)?
    Answered { code_valid: bool, status_valid: bool },
    /// It did not answer within the registrar's timeout.
    Unanswered,
    /// The registrar works offline (autonomous mode): no online check.
    Offline,
    /// The answer came but the fiscal storage refused it (its reason).
    Unreadable(u8),
}

/// What the registrar said of a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkCheck {
    pub local: LocalCheck,
    pub online: OnlineCheck,
}

/// What the answer comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Genuine, and the unit may be sold (or returned).
    Good,
    /// The code is false, or the unit may not take the status (already sold, withdrawn).
    Refused,
    /// Nobody could say: no online answer, and no failed local check.
    Unknown,
}

impl MarkCheck {
    pub fn verdict(&self) -> Verdict {
        match (self.local, self.online) {
            (LocalCheck::Failed, _) => Verdict::Refused,
            (
                _,
                OnlineCheck::Answered {
                    code_valid: true,
                    status_valid: true,
                },
            ) => Verdict::Good,
            (_, OnlineCheck::Answered { .. }) => Verdict::Refused,
            _ => Verdict::Unknown,
        }
    }
}

/// Why a code could not be checked at all.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkFailure {
    #[error("this unit was sold in receipt {receipt} and not returned")]
    AlreadySold { receipt: String },
    #[error("this unit was not sold here, or was returned already")]
    NotSold,
    #[error("the printer is not a fiscal registrar")]
    NoRegistrar,
    #[error("the registrar: {0:?}")]
    Registrar(super::device::DeviceProblem),
    #[error("the journal: {0:?}")]
    Journal(super::storage::StorageFailure),
}

/// What to do with a code the check refused or could not answer (config `[marking]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MarkRule {
    /// The unit is not sold.
    #[default]
    Refuse,
    /// The cashier decides, seeing the answer.
    Ask,
    /// It is sold (only for an unanswered check: the law lets a till sell when the system is away).
    Accept,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkingRules {
    pub when_refused: MarkRule,
    pub when_unanswered: MarkRule,
    /// What the scanners send for GS.
    pub gs_substitutes: Vec<char>,
}

impl Default for MarkingRules {
    fn default() -> MarkingRules {
        MarkingRules {
            when_refused: MarkRule::Refuse,
            when_unanswered: MarkRule::Ask,
            gs_substitutes: vec!['~'],
        }
    }
}

impl MarkRule {
    /// The rule as the config writes it.
    pub fn parse(text: &str) -> Option<MarkRule> {
        match text {
            "refuse" => Some(MarkRule::Refuse),
            "ask" => Some(MarkRule::Ask),
            "accept" => Some(MarkRule::Accept),
            _ => None,
        }
    }
}

impl MarkingRules {
    /// The one place the rule is applied: `None` means the cashier decides.
    pub fn decide(&self, verdict: Verdict) -> Option<bool> {
        let rule = match verdict {
            Verdict::Good => return Some(true),
            Verdict::Refused => self.when_refused,
            Verdict::Unknown => self.when_unanswered,
        };
        match rule {
            MarkRule::Refuse => Some(false),
            MarkRule::Ask => None,
            MarkRule::Accept => Some(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A milk code: GTIN, a 6-character serial, GS, 93 and a 4-character signature.
    pub const MILK: &str = "0104600972223306215Ab1cD\u{1d}93dGVz";

    #[test]
    fn reads_a_gs1_code_with_its_separator_or_a_substitute() {
        let code = parse(MILK, &[]).expect("a milk code");
        assert_eq!((code.gtin.as_str(), code.serial.as_str()), ("04600972223306", "5Ab1cD"));
        assert_eq!(code.identity(), "046009722233065Ab1cD");
        let typed = parse(&MILK.replace(GS, "~"), &['~']).expect("GS typed as ~");
        assert_eq!(typed, code);
        let keyed = parse(&MILK.replace(GS, "␝"), &[]).expect("GS through the terminal");
        assert_eq!(keyed, code);
        let aim = parse(&format!("]d2{MILK}"), &[]).expect("with the AIM prefix");
        assert_eq!(aim.raw, MILK);
        assert_eq!(code.shown(), "0104600972223306215Ab1cD␝93dGVz");
    }

    #[test]
    fn reads_shoes_with_91_92_and_a_tobacco_pack() {
        let shoes = format!("010460780959150821sSBmxTYIFT(eq{GS}91FFD0{GS}92testtesttesttesttesttesttesttesttesttesttest");
        let code = parse(&shoes, &[]).expect("a shoe code");
        assert_eq!((code.gtin.as_str(), code.serial.as_str()), ("04607809591508", "sSBmxTYIFT(eq"));
        let pack = "04600266011725-Ab1234ABCDxyzw";
        assert_eq!(pack.len(), 29);
        assert!(looks_like_mark(pack, &[]));
        let code = parse(pack, &[]).expect("a tobacco pack");
        assert_eq!((code.gtin.as_str(), code.serial.as_str()), ("04600266011725", "-Ab1234"));
    }

    #[test]
    fn names_what_is_wrong() {
        assert_eq!(parse("0104600972223306215Ab1cD", &[]), Err(MarkCodeError::NoCryptoTail));
        assert_eq!(parse("0104600972223306215Ab1cD\u{1d}93", &[]), Err(MarkCodeError::NoCryptoTail));
        assert_eq!(
            parse("0104600972223307215Ab1cD\u{1d}93dGVz", &[]),
            Err(MarkCodeError::BadGtin("04600972223307".into()))
        );
        assert_eq!(parse("0104600972223306\u{1d}93dGVz", &[]), Err(MarkCodeError::NoSerial));
        assert_eq!(
            parse("0104600972223306215Ab\u{1d}77xx", &[]),
            Err(MarkCodeError::UnknownIdentifier("77xx".into()))
        );
        assert_eq!(parse("0104600972", &[]), Err(MarkCodeError::CutShort("01".into())));
        assert_eq!(parse("01046009722233062я", &[]), Err(MarkCodeError::BadCharacter('я')));
        assert!(matches!(parse(&"0".repeat(300), &[]), Err(MarkCodeError::TooLong(300))));
    }

    #[test]
    fn tells_a_code_from_barcodes_and_item_codes() {
        assert!(looks_like_mark(MILK, &[]));
        assert!(looks_like_mark(&format!("~{MILK}"), &['~']));
        assert!(!looks_like_mark("4600972223306", &[]));
        assert!(!looks_like_mark("1001", &[]));
        assert!(!looks_like_mark("0104600972223306", &[]), "a GTIN alone is a barcode");
    }

    #[test]
    fn the_rule_decides_once() {
        let rules = MarkingRules::default();
        assert_eq!(rules.decide(Verdict::Good), Some(true));
        assert_eq!(rules.decide(Verdict::Refused), Some(false));
        assert_eq!(rules.decide(Verdict::Unknown), None);
        let check = |local, online| MarkCheck { local, online }.verdict();
        let ok = OnlineCheck::Answered {
            code_valid: true,
            status_valid: true,
        };
        let sold = OnlineCheck::Answered {
            code_valid: true,
            status_valid: false,
        };
        assert_eq!(check(LocalCheck::Passed, ok), Verdict::Good);
        assert_eq!(check(LocalCheck::Passed, sold), Verdict::Refused);
        assert_eq!(check(LocalCheck::Failed, OnlineCheck::Unanswered), Verdict::Refused);
        assert_eq!(check(LocalCheck::Passed, OnlineCheck::Unanswered), Verdict::Unknown);
        assert_eq!(check(LocalCheck::NotDone(1), OnlineCheck::Offline), Verdict::Unknown);
    }
}
