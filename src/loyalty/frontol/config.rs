//! The `[loyalty]` keys of a Frontol store beyond the shared ones
//! (`provider`, `url`, `timeout_ms`, read by `config::loyalty`), with
//! their reader: another provider's key is a mistake that names whose it is.

use crate::config::loyalty::{ProviderSection, text_or};
use crate::config::reader::{Checker, Section};
use crate::core::state::Settings;
use crate::loyalty::{FlowOptions, LoyaltyConfig};

pub(crate) const KEYS: &[&str] = &["key", "organization", "business_unit", "work_place"];

/// Frontol: the access key (none sends no Authorization), and the names a
/// document carries (the store's, by default).
pub(crate) fn read(
    section: &mut Section,
    checker: &mut Checker,
    p: &ProviderSection,
    settings: &Settings,
    _: &mut FlowOptions,
) -> Option<LoyaltyConfig> {
    let key = section.string(checker, "key").map(|(k, _)| k);
    let organization = text_or(section, checker, "organization", &settings.store_name);
    let business_unit = text_or(section, checker, "business_unit", &settings.store_id);
    let work_place = text_or(section, checker, "work_place", &settings.register_id);
    if let Some(demo) = p.demo() {
        return Some(demo);
    }
    let url = p.url(checker)?;
    Some(LoyaltyConfig::Frontol(super::Settings {
        url,
        key,
        organization,
        business_unit,
        work_place,
        timeout: p.timeout,
        deadline: Default::default(),
    }))
}
