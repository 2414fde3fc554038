//! Marked goods: a scanned marking code goes through the journal and the
//! registrar's check before its unit joins the receipt (or a return); the
//! config's rule, or the cashier, decides what a refused or unanswered
//! check means. Every check is followed by the decision (FF69h), as the
//! registrar requires.

use super::super::age::AgeWaiting;
use super::super::catalog::Item;
use super::super::command::Command;
use super::super::effect::Effect;
use super::super::event::Event;
use super::super::marking::{self, MarkCheck, MarkCode, MarkFailure, PlannedStatus, Verdict};
use super::super::money::Quantity;
use super::super::notice::{MarkReason, Notice};
use super::super::state::{AppState, Busy, Dialog, MarkPurpose, MarkWait};
use super::{age, sale};

/// A scan on the sale screen that reads as a marking code.
pub(super) fn scanned_in_sale(state: &mut AppState, text: &str, effects: &mut Vec<Effect>) {
    let code = match marking::parse(text, &state.settings.marking.gs_substitutes) {
        Ok(code) => code,
        Err(error) => {
            state.notice = Some(Notice::MarkCodeBad {
                code: marking::shown(text),
                error,
            });
            return;
        }
    };
    let catalog = state.catalog.clone();
    let Some(item) = catalog.by_gtin(&code.gtin) else {
        state.notice = Some(Notice::MarkUnknownGtin(code.gtin));
        return;
    };
    if item.mark.is_none() {
        // A code on a good the catalog does not mark: its GTIN is its barcode.
        let quantity = state.pending_quantity.take();
        return sale::add_or_ask_weight(state, item, quantity, None);
    }
    if state.pending_quantity.take().is_some_and(|q| q != Quantity::ONE) {
        state.notice = Some(Notice::MarkOneCodeEach(item.name.to_string()));
        return;
    }
    if let Err(notice) = can_sell(state, item, &code) {
        state.notice = Some(notice);
        return;
    }
    // The buyer's age first: a unit the cashier may not sell is not checked.
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
    Ok(())
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
    let status = match purpose {
        MarkPurpose::Sale => PlannedStatus::Sold,
        MarkPurpose::Return { .. } => PlannedStatus::Returned,
    };
    effects.push(Effect::CheckMark {
        id,
        code: code.clone(),
        status,
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

/// The check's answer: the rule decides, or the cashier is asked.
pub(super) fn on_checked(state: &mut AppState, id: u64, result: Result<MarkCheck, MarkFailure>, effects: &mut Vec<Effect>) {
    let Some(wait) = state.mark_wait.take_if(|w| w.id == id) else {
        return;
    };
    if state.busy == Some(Busy::MarkCheck) {
        state.busy = None;
    }
    let check = match result {
        Ok(check) => check,
        Err(failure) => {
            if matches!(failure, MarkFailure::Registrar(_)) {
                // The check may have reached the registrar before it failed:
                // it must not wait for a decision that never comes.
                effects.push(Effect::DecideMark { accept: false });
            }
            state.notice = Some(Notice::MarkRefused {
                name: wait.name,
                reason: MarkReason::Failure(failure),
            });
            return;
        }
    };
    match state.settings.marking.decide(check.verdict()) {
        Some(accept) => decide(state, wait, check, accept, false, effects),
        None => {
            state.mark_wait = Some(wait);
            // The return window waits under the question.
            state.dialog = Some(Dialog::MarkCheck {
                check,
                under: state.dialog.take().map(Box::new),
            });
        }
    }
}

/// The question's window: the confirm key takes the unit, cancel refuses it.
pub(super) fn dialog(state: &mut AppState, check: MarkCheck, under: Option<Box<Dialog>>, event: Event, effects: &mut Vec<Effect>) {
    let accept = match event {
        Event::Command(Command::Confirm) => true,
        Event::Command(Command::Cancel) => false,
        _ => {
            state.dialog = Some(Dialog::MarkCheck { check, under });
            return;
        }
    };
    state.dialog = under.map(|d| *d);
    if let Some(wait) = state.mark_wait.take() {
        decide(state, wait, check, accept, true, effects);
    }
}

fn decide(state: &mut AppState, wait: MarkWait, check: MarkCheck, accept: bool, by_cashier: bool, effects: &mut Vec<Effect>) {
    effects.push(Effect::DecideMark { accept });
    if !accept {
        let reason = if by_cashier {
            MarkReason::Cashier
        } else {
            MarkReason::Check(check)
        };
        state.notice = Some(Notice::MarkRefused { name: wait.name, reason });
        return;
    }
    match wait.purpose {
        MarkPurpose::Sale => add_unit(state, &wait, check.verdict()),
        MarkPurpose::Return { index } => mark_picked(state, index, wait.code),
    }
}

/// A unit the check let come back joins the return window's choice.
fn mark_picked(state: &mut AppState, index: usize, code: MarkCode) {
    let Some(Dialog::ReturnPick {
        quantities,
        marks,
        selected,
        ..
    }) = state.dialog.as_mut()
    else {
        return;
    };
    let (Some(codes), Some(quantity)) = (marks.get_mut(index), quantities.get_mut(index)) else {
        return;
    };
    codes.push(code);
    *quantity = Quantity(codes.len() as i64 * 1000);
    *selected = index;
}

/// The unit joins its good's position, or starts one.
fn add_unit(state: &mut AppState, wait: &MarkWait, verdict: Verdict) {
    let catalog = state.catalog.clone();
    let Some(item) = catalog.by_code(&wait.item_code) else {
        state.notice = Some(Notice::UnknownCode(wait.item_code.clone()));
        return;
    };
    let existing = state.receipt().and_then(|r| {
        r.positions
            .iter()
            .position(|p| p.item_code == wait.item_code && !p.marks.is_empty())
    });
    state.notice = None;
    let index = match existing {
        Some(index) => {
            let quantity = state.receipt().map_or(Quantity::ZERO, |r| r.positions[index].quantity);
            sale::set_quantity_as_given(state, index, quantity.checked_add(Quantity::ONE).unwrap_or(quantity));
            let grew = state.receipt().is_some_and(|r| r.positions[index].quantity > quantity);
            grew.then_some(index)
        }
        None => {
            let before = state.receipt().map_or(0, |r| r.positions.len());
            sale::add_item_as_given(state, item, Quantity::ONE, None);
            let after = state.receipt().map_or(0, |r| r.positions.len());
            (after > before).then(|| after - 1)
        }
    };
    let Some(index) = index else { return };
    if let Some(position) = state.durable.receipt.as_mut().and_then(|r| r.positions.get_mut(index)) {
        position.marks.push(wait.code.clone());
    }
    if state.notice.is_none() {
        state.notice = Some(Notice::MarkTaken {
            name: wait.name.clone(),
            verdict,
        });
    }
}

/// A quantity typed for a marked position: fewer drops the last codes
/// scanned; more asks for their codes. True when the position is marked.
pub(super) fn quantity_typed(state: &mut AppState, index: usize, quantity: Quantity) -> bool {
    let Some(position) = state.receipt().and_then(|r| r.positions.get(index)) else {
        return false;
    };
    if position.marks.is_empty() {
        return false;
    }
    let have = position.marks.len();
    let name = position.name.clone();
    let wanted = if quantity.is_whole() {
        (quantity.0 / 1000) as usize
    } else {
        usize::MAX
    };
    if wanted == 0 || wanted == usize::MAX {
        state.notice = Some(Notice::MarkOneCodeEach(name));
    } else if wanted > have {
        state.notice = Some(Notice::MarkScanMore { name, more: wanted - have });
    } else if wanted < have {
        sale::set_quantity_as_given(state, index, quantity);
        if let Some(position) = state.durable.receipt.as_mut().and_then(|r| r.positions.get_mut(index))
            && position.quantity == quantity
        {
            position.marks.truncate(wanted);
        }
    }
    true
}

/// The registrar's answer to the decision: only a failure is news.
pub(super) fn on_decided(state: &mut AppState, accept: bool, result: Result<(), MarkFailure>) {
    if let (true, Err(failure)) = (accept, result) {
        state.notice = Some(Notice::MarkDecisionLost(failure));
    }
}
