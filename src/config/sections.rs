//! The small sections: `[store]`, `[register]`, `[data]`, `[catalog]`,
//! `[keymap]` and `[log]`, each read by its own function with its keys
//! listed above it.

use super::Config;
use super::reader::{Checker, Section};
use crate::core::requisites::{TaxSystem, check_inn};

const STORE_KEYS: &[&str] = &["id", "name", "address", "organisation", "inn", "tax_system"];

/// `[store]`: who sells, as printed on receipts: the store, its address
/// (the address and place of settlement) and the seller's requisites.
pub(super) fn store(mut section: Section, checker: &mut Checker, config: &mut Config) {
    let settings = &mut config.settings;
    if let Some((id, at)) = section.string(checker, "id") {
        if id.trim().is_empty() {
            checker.report(at, "[store] id: must not be empty".into());
        }
        settings.store_id = id;
    }
    if let Some((name, _)) = section.string(checker, "name") {
        settings.store_name = name;
    }
    if let Some((address, _)) = section.string(checker, "address") {
        settings.store_address = address;
    }
    let seller = &mut settings.requisites;
    if let Some((organisation, _)) = section.string(checker, "organisation") {
        seller.organisation = organisation;
    }
    if let Some((inn, at)) = section.string(checker, "inn") {
        match check_inn(&inn) {
            Ok(()) => seller.inn = inn,
            Err(e) => checker.report(at, format!("[store] inn: {e}")),
        }
    }
    if let Some((system, at)) = section.string(checker, "tax_system") {
        match TaxSystem::parse(&system) {
            Some(system) => seller.tax_system = Some(system),
            None => {
                let known: Vec<&str> = TaxSystem::ALL.iter().map(|t| t.key()).collect();
                checker.report(at, format!("[store] tax_system: {system:?}; known: {}", known.join(", ")));
            }
        }
    }
    section.finish(checker, STORE_KEYS);
}

const REGISTER_KEYS: &[&str] = &["id"];

/// `[register]`: which of the store's registers this is.
pub(super) fn register(mut section: Section, checker: &mut Checker, config: &mut Config) {
    if let Some((id, at)) = section.string(checker, "id") {
        if id.trim().is_empty() {
            checker.report(at, "[register] id: must not be empty".into());
        }
        config.settings.register_id = id;
    }
    section.finish(checker, REGISTER_KEYS);
}

const DATA_KEYS: &[&str] = &["dir"];

/// `[data]`: the folder of the journal and the state.
pub(super) fn data(mut section: Section, checker: &mut Checker, config: &mut Config) {
    config.data_dir = section.string(checker, "dir").map(|(d, _)| checker.path(d));
    section.finish(checker, DATA_KEYS);
}

const CATALOG_KEYS: &[&str] = &["file"];

/// `[catalog]`: the goods' file, which must exist.
pub(super) fn catalog(mut section: Section, checker: &mut Checker, config: &mut Config) {
    config.catalog = existing_file(&mut section, checker);
    section.finish(checker, CATALOG_KEYS);
}

const KEYMAP_KEYS: &[&str] = &["file"];

/// `[keymap]`: the keymap laid over the default one, which must exist.
pub(super) fn keymap(mut section: Section, checker: &mut Checker, config: &mut Config) {
    config.keymap = existing_file(&mut section, checker);
    section.finish(checker, KEYMAP_KEYS);
}

/// The section's `file`, reported when it is not there.
fn existing_file(section: &mut Section, checker: &mut Checker) -> Option<std::path::PathBuf> {
    let (file, at) = section.string(checker, "file")?;
    let file = checker.path(file);
    if !file.is_file() {
        checker.report(
            at,
            format!("[{}] file: {} does not exist or is not a file", section.name, file.display()),
        );
    }
    Some(file)
}

const LOG_KEYS: &[&str] = &["level", "keep_days"];

/// `[log]`: how much is logged, and for how long it is kept.
pub(super) fn log(mut section: Section, checker: &mut Checker, config: &mut Config) {
    if let Some((level, at)) = section.string(checker, "level") {
        match crate::logging::check_level(&level) {
            Ok(()) => config.log.level = level,
            Err(e) => checker.report(
                at,
                format!("[log] level: {level:?} is not a log filter (e.g. \"info\" or \"warn,kassa::loyalty=debug\"): {e}"),
            ),
        }
    }
    if let Some(days) = section.integer(checker, "keep_days", 1..=3650) {
        config.log.keep_days = days as usize;
    }
    section.finish(checker, LOG_KEYS);
}
