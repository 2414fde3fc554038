//! Marked goods at the sale screen and in the return window: a scanned
//! marking code is read, its unit checked against the receipt and the
//! limits, and sent to be checked by the journal and the registrar. The
//! answers are `mark_answer`'s, which sits above `sale`; this module sits
//! below it and adds nothing itself.

use super::super::age::AgeWaiting;
use super::super::catalog::Item;
use super::super::effect::Effect;
use super::super::marking::{self, MarkCode, PlannedStatus};
use super::super::money::Quantity;
use super::super::notice::Notice;
use super::super::state::{AppState, Busy, MarkPurpose, MarkWait};
use super::age;
use super::limits::check_sum;

/// What a scan that reads as a marking code comes to on the sale screen.
pub(super) enum Scanned {
    /// A marked unit that may go to be checked.
    Check(Item, MarkCode),
    /// A code on a good the catalog does not mark: its GTIN is its barcode.
    Plain(Item),
    Refused(Notice),
}

/// Reads a scanned marking code, or says what is wrong with it.
pub(super) fn read_code(state: &AppState, text: &str) -> Result<MarkCode, Notice> {
    marking::parse(text, &state.settings.marking.gs_substitutes).map_err(|error| Notice::MarkCodeBad {
        code: marking::shown(text),
        error,
    })
}

pub(super) fn read_scan(state: &mut AppState, text: &str) -> Scanned {
    let code = match read_code(state, text) {
        Ok(code) => code,
        Err(notice) => return Scanned::Refused(notice),
    };
    let Some(item) = state.catalog.by_gtin(&code.gtin).cloned() else {
        return Scanned::Refused(Notice::MarkUnknownGtin(code.gtin));
    };
    if item.mark.is_none() {
        return Scanned::Plain(item);
    }
    if state.pending_quantity.take().is_some_and(|q| q != Quantity::ONE) {
        return Scanned::Refused(Notice::MarkOneCodeEach(item.name.to_string()));
    }
    match can_sell(state, &item, &code) {
        Ok(()) => Scanned::Check(item, code),
        Err(notice) => Scanned::Refused(notice),
    }
}

/// A marked unit that may be sold: the buyer's age first (a unit the
/// cashier may not sell is not checked), then the check.
pub(super) fn sell(state: &mut AppState, item: &Item, code: MarkCode, effects: &mut Vec<Effect>) {
    let waiting = AgeWaiting::MarkCode {
        item_code: item.code.to_string(),
        code: code.clone(),
    };
    if age::gate(state, item, waiting) {
        start(state, (&item.code, &item.name), code, MarkPurpose::Sale, effects);
    }
}

/// The buyer's age confirmed: the unit goes to be checked.
pub(super) fn age_confirmed(state: &mut AppState, item_code: &str, code: MarkCode, effects: &mut Vec<Effect>) {
    let catalog = state.catalog.clone();
    match catalog.by_code(item_code) {
        Some(item) => start(state, (&item.code, &item.name), code, MarkPurpose::Sale, effects),
        None => state.notice = Some(Notice::UnknownCode(item_code.to_string())),
    }
}

/// Whether a unit of marked `item` with `code` may be checked for this receipt.
fn can_sell(state: &AppState, item: &Item, code: &MarkCode) -> Result<(), Notice> {
    if !state.settings.fiscal {
        return Err(Notice::MarkNeedsRegistrar(item.name.to_string()));
    }
    let identity = code.identity();
    let in_receipt = state
        .receipt()
        .is_some_and(|r| r.positions.iter().flat_map(|p| &p.marks).any(|m| m.identity() == identity));
    if in_receipt {
        return Err(Notice::MarkTwice(code.shown()));
    }
    // The limits before the check: a unit the registrar accepted is not then dropped.
    let position = state
        .receipt()
        .and_then(|r| r.positions.iter().position(|p| *p.item_code == *item.code && !p.marks.is_empty()));
    let units = position
        .and_then(|i| state.receipt().map(|r| r.positions[i].marks.len()))
        .unwrap_or(0);
    let max_positions = state.settings.limits.max_positions;
    if position.is_none() && state.receipt().is_some_and(|r| r.positions.len() >= max_positions) {
        return Err(Notice::TooManyPositions(max_positions));
    }
    check_sum(state, item.price, Quantity::pieces(units as i64 + 1), position)
}

/// A marked good's barcode or item code was entered: the unit needs its code.
pub(super) fn code_needed(state: &mut AppState, item: &Item) -> bool {
    if item.mark.is_none() {
        return false;
    }
    state.pending_quantity = None;
    state.notice = Some(if state.settings.fiscal {
        Notice::MarkCodeNeeded(item.name.to_string())
    } else {
        Notice::MarkNeedsRegistrar(item.name.to_string())
    });
    true
}

/// Sends the code to be checked and waits (input typed meanwhile is held).
pub(super) fn start(
    state: &mut AppState,
    (item_code, name): (&str, &str),
    code: MarkCode,
    purpose: MarkPurpose,
    effects: &mut Vec<Effect>,
) {
    let id = state.next_request;
    state.next_request += 1;
    let (status, original) = match purpose {
        MarkPurpose::Sale => (PlannedStatus::Sold, None),
        MarkPurpose::Return { original, .. } => (PlannedStatus::Returned, Some(original)),
    };
    effects.push(Effect::CheckMark {
        id,
        code: code.clone(),
        status,
        original,
    });
    state.mark_wait = Some(MarkWait {
        id,
        item_code: item_code.to_string(),
        name: name.to_string(),
        code,
        purpose,
    });
    state.busy = Some(Busy::MarkCheck);
}

/// What a quantity typed for a position means when the position is marked.
pub(super) enum QuantityTyped {
    NotMarked,
    Refused(Notice),
    /// Fewer units: the first `n` codes stay, the last scanned go.
    Keep(usize),
}

/// A quantity typed for a marked position: fewer drops the last codes
/// scanned; more asks for their codes (each unit is its code).
pub(super) fn quantity_typed(state: &AppState, index: usize, quantity: Quantity) -> QuantityTyped {
    let Some(position) = state.receipt().and_then(|r| r.positions.get(index)) else {
        return QuantityTyped::NotMarked;
    };
    if position.marks.is_empty() {
        return QuantityTyped::NotMarked;
    }
    let have = position.marks.len();
    let name = position.name.clone();
    let wanted = if quantity.is_whole() { (quantity.0 / 1000) as usize } else { 0 };
    match wanted {
        0 => QuantityTyped::Refused(Notice::MarkOneCodeEach(name)),
        more if more > have => QuantityTyped::Refused(Notice::MarkScanMore { name, more: more - have }),
        keep => QuantityTyped::Keep(keep),
    }
}
