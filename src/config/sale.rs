//! `[sale]` (merging, the limits a cashier is stopped or asked at, alcohol's hours) and
//! `[weight_barcode]` (how a weighed item's barcode is laid out) and
//! `[marking]` (what a marking code's check decides, what stands for GS).

use super::Config;
use super::reader::{Checker, Section};
use crate::core::age::AlcoholHours;
use crate::core::barcode::{LayoutError, WeightLayout};
use crate::core::marking::MarkRule;
use crate::core::money::{Money, Quantity};

const SALE_KEYS: &[&str] = &[
    "merge_same_items",
    "max_quantity",
    "max_position_sum",
    "max_receipt_sum",
    "max_change",
    "max_positions",
    "ask_weight_over",
    "ask_pieces_over",
    "ask_position_sum_over",
    "alcohol_hours",
];

/// `[sale]`: quantities and sums are strings ("99999", "0.5"), so that no
/// float's binary junk reaches them.
pub(super) fn sale(mut section: Section, checker: &mut Checker, config: &mut Config) {
    let settings = &mut config.settings;
    if let Some(merge) = section.boolean(checker, "merge_same_items") {
        settings.merge_same_items = merge;
    }
    let limits = &mut settings.limits;
    for (key, slot) in [
        ("max_quantity", &mut limits.max_quantity),
        ("ask_weight_over", &mut limits.ask_weight_over),
        ("ask_pieces_over", &mut limits.ask_pieces_over),
    ] {
        if let Some((text, at)) = section.string(checker, key) {
            match Quantity::parse(&text) {
                Ok(q) => *slot = q,
                Err(e) => checker.report(at, format!("[sale] {key}: {e}")),
            }
        }
    }
    for (key, slot) in [
        ("ask_position_sum_over", &mut limits.ask_position_sum_over),
        ("max_position_sum", &mut limits.max_position_sum),
        ("max_receipt_sum", &mut limits.max_receipt_sum),
        ("max_change", &mut limits.max_change),
    ] {
        if let Some((text, at)) = section.string(checker, key) {
            match Money::parse_positive(&text) {
                Ok(m) => *slot = m,
                Err(e) => checker.report(at, format!("[sale] {key}: {e} (write roubles in quotes, e.g. \"100000\")")),
            }
        }
    }
    if let Some(n) = section.integer(checker, "max_positions", 1..=10_000) {
        limits.max_positions = n as usize;
    }
    if let Some((text, at)) = section.string(checker, "alcohol_hours") {
        match AlcoholHours::parse(&text) {
            Ok(hours) => settings.alcohol_hours = hours,
            Err(e) => checker.report(at, format!("[sale] alcohol_hours: {text:?}: {e}")),
        }
    }
    section.finish(checker, SALE_KEYS);
}

const WEIGHT_BARCODE_KEYS: &[&str] = &["pattern", "prefixes"];

/// `[weight_barcode]`: the pattern and the prefixes, checked together.
pub(super) fn weight_barcode(mut section: Section, checker: &mut Checker, config: &mut Config) {
    let mut layout = WeightLayout::default();
    let pattern_at = section.string(checker, "pattern").map(|(p, at)| {
        layout.pattern = p;
        at
    });
    let prefixes = section.strings(checker, "prefixes");
    if let Some(prefixes) = &prefixes {
        layout.prefixes = prefixes.iter().map(|(p, _)| p.clone()).collect();
    }
    if let Err(e) = layout.validate() {
        let at = match &e {
            LayoutError::BadPrefix(bad) => prefixes.iter().flatten().find(|(p, _)| p == bad).map(|(_, at)| *at),
            _ => pattern_at,
        };
        checker.report(at.unwrap_or(0), format!("[weight_barcode] {e}"));
    }
    config.settings.weight_layout = layout;
    section.finish(checker, WEIGHT_BARCODE_KEYS);
}

const MARKING_KEYS: &[&str] = &["when_refused", "when_unanswered", "gs"];

/// `[marking]`: what a refused or unanswered check of a marking code
/// means (`refuse`, `ask` the cashier; an unanswered one may also
/// `accept`), and what the scanners send for GS.
pub(super) fn marking(mut section: Section, checker: &mut Checker, config: &mut Config) {
    let rules = &mut config.settings.marking;
    for (key, slot, choices) in [
        ("when_refused", &mut rules.when_refused, &["refuse", "ask"][..]),
        ("when_unanswered", &mut rules.when_unanswered, &["refuse", "ask", "accept"][..]),
    ] {
        if let Some((text, at)) = section.string(checker, key) {
            match choices.contains(&text.as_str()).then(|| MarkRule::parse(&text)).flatten() {
                Some(rule) => *slot = rule,
                None => checker.report(at, format!("[marking] {key}: {text:?}; expected {}", choices.join(", "))),
            }
        }
    }
    if let Some((text, at)) = section.string(checker, "gs") {
        // Letters and digits are part of codes: a scanner cannot stand in for GS with them.
        match text.chars().find(|c| c.is_ascii_alphanumeric() || c.is_whitespace()) {
            Some(bad) => checker.report(
                at,
                format!("[marking] gs: {bad:?} can be part of a code; use characters codes never hold, such as ~ or ^"),
            ),
            None => rules.gs_substitutes = text.chars().collect(),
        }
    }
    section.finish(checker, MARKING_KEYS);
}
