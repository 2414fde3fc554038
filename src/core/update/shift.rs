//! Shift lifecycle: open, cash in/out, X-summary, close with the Z-summary.

use super::super::effect::Effect;
use super::super::money::Money;
use super::super::notice::Notice;
use super::super::shift::{Shift, Summary, SummaryKind};
use super::super::state::{AppState, Busy, CashDirection, Dialog, PreviewTitle, Question};
use super::printing;
use crate::core::print::layout;

pub(super) fn open_dialog(state: &mut AppState) {
    match state.shift() {
        Some(shift) => state.notice = Some(Notice::ShiftAlreadyOpen(shift.number)),
        None => state.dialog = Some(Dialog::OpenShift { name: String::new() }),
    }
}

pub(super) fn open(state: &mut AppState, name: &str, effects: &mut Vec<Effect>) {
    let name = name.trim();
    if name.is_empty() {
        state.notice = Some(Notice::CashierNameEmpty);
        state.dialog = Some(Dialog::OpenShift { name: String::new() });
        return;
    }
    let number = state.durable.last_shift_number + 1;
    let shift = Shift::open(number, name.to_string(), state.now, state.durable.drawer_cash);
    let document = layout::shift_opened(&shift, &state.settings);
    state.durable.last_shift_number = number;
    state.durable.shift = Some(shift);
    state.notice = Some(Notice::ShiftOpened(number));
    printing::print(state, document, effects);
    // KilBil: the link state is set at shift open.
    super::loyalty::probe(state, effects);
}

/// Cash moves need an open shift within 24 hours and no open receipt.
fn check_can_move_cash(state: &AppState) -> Result<(), Notice> {
    let shift = state.shift().ok_or(Notice::NoShift)?;
    if shift.is_expired(state.now) {
        return Err(Notice::ShiftExpired);
    }
    if state.receipt().is_some() {
        return Err(Notice::FinishReceiptFirst);
    }
    Ok(())
}

pub(super) fn open_cash_move(state: &mut AppState, direction: CashDirection) {
    match check_can_move_cash(state) {
        Ok(()) => {
            state.dialog = Some(Dialog::CashMove {
                direction,
                amount: String::new(),
            })
        }
        Err(notice) => state.notice = Some(notice),
    }
}

pub(super) fn move_cash(state: &mut AppState, direction: CashDirection, typed: &str, effects: &mut Vec<Effect>) {
    let amount = match Money::parse_positive(typed) {
        Ok(amount) => amount,
        Err(e) => {
            state.notice = Some(Notice::BadAmount(e));
            state.dialog = Some(Dialog::CashMove {
                direction,
                amount: typed.to_string(),
            });
            return;
        }
    };
    let now = state.now;
    let Some(shift) = state.durable.shift.as_mut() else { return };
    let drawer = shift.drawer_cash();
    match direction {
        CashDirection::Out if amount > drawer => {
            state.notice = Some(Notice::NotEnoughCash { needed: amount, drawer });
            state.dialog = Some(Dialog::CashMove {
                direction,
                amount: typed.to_string(),
            });
            return;
        }
        CashDirection::Out => shift.counters.cash_out.0 += amount.0,
        CashDirection::In => match shift.counters.cash_in.checked_add(amount) {
            Some(total) => shift.counters.cash_in = total,
            None => return,
        },
    }
    let document = layout::cash_move(direction, amount, shift, now, &state.settings);
    state.notice = Some(Notice::CashMoved(direction, amount));
    printing::print(state, document, effects);
}

pub(super) fn x_report(state: &mut AppState, effects: &mut Vec<Effect>) {
    let Some(shift) = state.shift() else {
        state.notice = Some(Notice::NoShift);
        return;
    };
    let summary = shift.summary(SummaryKind::X, state.now);
    let document = layout::summary(&summary, &state.settings);
    state.dialog = Some(printing::preview(PreviewTitle::Summary(summary), &document, &state.settings));
    printing::print(state, document, effects);
}

pub(super) fn ask_close(state: &mut AppState, effects: &mut Vec<Effect>) {
    if state.shift().is_none() {
        state.notice = Some(Notice::NoShift);
    } else if state.receipt().is_some() {
        state.notice = Some(Notice::FinishReceiptFirst);
    } else if let Err(notice) = super::registration::check_can_close_shift(state) {
        state.notice = Some(notice);
    } else {
        state.dialog = Some(Dialog::Confirm(Question::CloseShift));
        // Unsent loyalty requests go out now, before the shift ends.
        super::loyalty::send_now(state, effects);
    }
}

/// Asks the store to keep the Z-summary together with the closed state.
pub(super) fn begin_close(state: &mut AppState, effects: &mut Vec<Effect>) {
    if let Err(notice) = super::registration::check_can_close_shift(state) {
        state.notice = Some(notice);
        return;
    }
    let Some(shift) = state.shift() else { return };
    let summary = shift.summary(SummaryKind::Z, state.now);
    let mut next = state.durable.clone();
    next.drawer_cash = summary.drawer_cash;
    next.shift = None;
    printing::queue_job(&mut next, layout::summary(&summary, &state.settings), None);
    state.busy = Some(Busy::ClosingShift(Box::new(next.clone())));
    effects.push(Effect::CloseShift {
        summary: Box::new(summary),
        state: Box::new(next),
    });
}

pub(super) fn on_closed(state: &mut AppState, result: Result<Summary, crate::core::storage::StorageFailure>, effects: &mut Vec<Effect>) {
    let Some(Busy::ClosingShift(next)) = state.busy.take() else {
        return;
    };
    match result {
        Ok(summary) => {
            state.notice = Some(Notice::ShiftClosed(summary.shift));
            printing::adopt_closed(state, *next, PreviewTitle::Summary(summary), effects);
        }
        Err(e) => state.notice = Some(Notice::ShiftCloseFailed(e)),
    }
}
