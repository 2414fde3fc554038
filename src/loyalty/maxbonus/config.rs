//! The `[loyalty]` keys of a MaxBonus store beyond the shared ones
//! (`provider`, `url`, `timeout_ms`, read by `config::loyalty`), with
//! their reader: another provider's key is a mistake that names whose it is.

use crate::config::loyalty::ProviderSection;
use crate::config::reader::{Checker, Section};
use crate::core::state::Settings;
use crate::loyalty::{FlowOptions, LoyaltyConfig};

pub(crate) const KEYS: &[&str] = &["token", "anonymous", "footer"];

/// MaxBonus: the outlet's token, required; where receipts with no client
/// go, and where the write's text is printed.
pub(crate) fn read(
    section: &mut Section,
    checker: &mut Checker,
    p: &ProviderSection,
    _: &Settings,
    options: &mut FlowOptions,
) -> Option<LoyaltyConfig> {
    let token = section.string(checker, "token").map(|(t, _)| t);
    options.anonymous = section.boolean(checker, "anonymous").unwrap_or(true);
    options.footer_on_slip = match section.string(checker, "footer") {
        None => false,
        Some((place, _)) if place == "receipt" => false,
        Some((place, _)) if place == "slip" => true,
        Some((place, at)) => {
            checker.report(at, format!("[loyalty] footer: {place:?} is neither \"receipt\" nor \"slip\""));
            false
        }
    };
    if let Some(demo) = p.demo() {
        return Some(demo);
    }
    let url = p.url(checker);
    let token = token.filter(|t| !t.trim().is_empty());
    if token.is_none() {
        checker.report(p.at, "[loyalty] token: the maxbonus provider needs the outlet's token".into());
    }
    Some(LoyaltyConfig::MaxBonus(super::Settings {
        url: url?,
        token: token?,
        timeout: p.timeout,
        deadline: Default::default(),
    }))
}
