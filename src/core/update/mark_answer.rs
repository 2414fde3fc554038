//! The registrar's answers about marking codes: the check's verdict goes
//! through the config's rule or the cashier's window; a unit taken joins
//! the receipt (or the return window's choice), and the registrar is told
//! the decision (FF69h) after every check, as it requires. Sits above
//! `sale`, which it adds units through; `marking` below both starts checks.

use super::super::command::Command;
use super::super::effect::Effect;
use super::super::event::Event;
use super::super::marking::{MarkCheck, MarkCode, MarkFailure, Verdict};
use super::super::money::Quantity;
use super::super::notice::{MarkReason, Notice};
use super::super::state::{AppState, Busy, Dialog, MarkPurpose, MarkWait};
use super::sale;

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
        MarkPurpose::Return { index, .. } => mark_picked(state, index, wait.code),
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

/// The registrar's answer to the decision: only a failure is news.
pub(super) fn on_decided(state: &mut AppState, accept: bool, result: Result<(), MarkFailure>) {
    if let (true, Err(failure)) = (accept, result) {
        state.notice = Some(Notice::MarkDecisionLost(failure));
    }
}
