//! The `[loyalty]` keys of a ProBonus store beyond the shared ones
//! (`provider`, `url`, `timeout_ms`, read by `config::loyalty`), with
//! their reader: another provider's key is a mistake that names whose it is.

use crate::config::loyalty::ProviderSection;
use crate::config::reader::{Checker, Section};
use crate::core::money::Money;
use crate::core::state::Settings;
use crate::loyalty::{FlowOptions, LoyaltyConfig};
use std::time::Duration;

pub(crate) const KEYS: &[&str] = &[
    "token",
    "login",
    "password",
    "rest_code",
    "rk_unit",
    "account_group",
    "accrual_percent",
    "max_spend_percent",
];

/// ProBonus: see [`ProBonusKeys`].
pub(crate) fn read(
    section: &mut Section,
    checker: &mut Checker,
    p: &ProviderSection,
    _: &Settings,
    _: &mut FlowOptions,
) -> Option<LoyaltyConfig> {
    let keys = ProBonusKeys::read(section, checker);
    if let Some(demo) = p.demo() {
        return Some(demo);
    }
    let url = p.url(checker);
    keys.settings(checker, p.at, url, p.timeout).map(LoyaltyConfig::ProBonus)
}

/// The `[loyalty]` keys of a ProBonus store, as read (each checked on its own).
struct ProBonusKeys {
    token: Option<(String, usize)>,
    login: Option<(String, usize)>,
    password: Option<(String, usize)>,
    rest_code: Option<i64>,
    rk_unit: i64,
    account_group: Option<i64>,
    rules: super::Rules,
}

impl ProBonusKeys {
    fn read(loyalty: &mut Section, checker: &mut Checker) -> ProBonusKeys {
        let mut percent = |key: &'static str| {
            let (text, at) = loyalty.string(checker, key)?;
            match Money::parse(&text) {
                Ok(hundredths) if hundredths.0 <= 100_00 => Some(hundredths.0),
                _ => {
                    checker.report(
                        at,
                        format!("[loyalty] {key}: {text:?} is not a percent from 0 to 100 (e.g. \"5\" or \"2.5\")"),
                    );
                    None
                }
            }
        };
        let rules = super::Rules {
            accrual: percent("accrual_percent").unwrap_or(0),
            max_spend: percent("max_spend_percent").unwrap_or(0),
        };
        ProBonusKeys {
            token: loyalty.string(checker, "token"),
            login: loyalty.string(checker, "login"),
            password: loyalty.string(checker, "password"),
            rest_code: loyalty.integer(checker, "rest_code", 0..=i64::from(u32::MAX)),
            rk_unit: loyalty.integer(checker, "rk_unit", 100..=999).unwrap_or(999),
            account_group: loyalty.integer(checker, "account_group", 1..=i64::from(u32::MAX)),
            rules,
        }
    }

    /// The settings, when the keys make a whole: a token or a login with its
    /// password (not both), and the restaurant code.
    fn settings(self, checker: &mut Checker, at: usize, url: Option<String>, timeout: Duration) -> Option<super::Settings> {
        let auth = match (self.token, self.login, self.password) {
            (Some((token, _)), None, None) => Some(super::Auth::Token(token)),
            (None, Some((login, _)), Some((password, _))) => Some(super::Auth::Login { login, password }),
            (Some((_, token_at)), Some(_), _) | (Some((_, token_at)), _, Some(_)) => {
                checker.report(
                    token_at,
                    "[loyalty] token: give either the API token or login and password, not both".into(),
                );
                None
            }
            (None, Some((_, login_at)), None) => {
                checker.report(login_at, "[loyalty] password: the login needs its password".into());
                None
            }
            (None, None, Some((_, password_at))) => {
                checker.report(password_at, "[loyalty] login: the password needs its login".into());
                None
            }
            (None, None, None) => {
                checker.report(
                    at,
                    "[loyalty] token: the probonus provider needs the API token, or login and password".into(),
                );
                None
            }
        };
        if self.rest_code.is_none() {
            checker.report(
                at,
                "[loyalty] rest_code: the probonus provider needs the restaurant code (restCode)".into(),
            );
        }
        Some(super::Settings {
            url: url?,
            auth: auth?,
            rest_code: u32::try_from(self.rest_code?).ok()?,
            rk_unit: u32::try_from(self.rk_unit).ok()?,
            account_group: self.account_group.and_then(|g| u64::try_from(g).ok()),
            rules: self.rules,
            timeout,
            deadline: Default::default(),
        })
    }
}
