//! The `[loyalty]` keys of a KilBil store beyond the shared ones
//! (`provider`, `url`, `timeout_ms`, read by `config::loyalty`), with
//! their reader: another provider's key is a mistake that names whose it is.

use crate::config::loyalty::{ProviderSection, text_or};
use crate::config::reader::{Checker, Section};
use crate::core::state::Settings;
use crate::loyalty::{FlowOptions, LoyaltyConfig};

pub(crate) const KEYS: &[&str] = &["key", "store_code", "register_code", "spend_code"];

/// KilBil: the key (h) from the company card, required; the codes of a
/// move (the store's, by default); an SMS code before spending.
pub(crate) fn read(
    section: &mut Section,
    checker: &mut Checker,
    p: &ProviderSection,
    settings: &Settings,
    options: &mut FlowOptions,
) -> Option<LoyaltyConfig> {
    let key = section.string(checker, "key").map(|(k, _)| k);
    let store_code = text_or(section, checker, "store_code", &settings.store_id);
    let register_code = text_or(section, checker, "register_code", &settings.register_id);
    options.spend_code = section.boolean(checker, "spend_code").unwrap_or(false);
    if let Some(demo) = p.demo() {
        return Some(demo);
    }
    let url = p.url(checker);
    if key.as_deref().is_none_or(|k| k.trim().is_empty()) {
        checker.report(
            p.at,
            "[loyalty] key: the kilbil provider needs the key (h) from the company card".into(),
        );
    }
    Some(LoyaltyConfig::KilBil(super::Settings {
        url: url?,
        key: key?,
        store_code,
        register_code,
        timeout: p.timeout,
        deadline: Default::default(),
    }))
}
