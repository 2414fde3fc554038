//! Goods sold from 18: the gate every way of adding goods passes (the
//! buyer's age, once a receipt; alcohol's hours), and the dialog it opens.
//!
//! Readings: the hours are checked when an item is added (as tills do: a
//! receipt begun at 22:58 may be paid at 23:01), and again when an alcohol
//! position's quantity is raised. Returns are not asked: they are made from
//! the sale's positions, never added through the gate.

use super::super::age::{AgeConfirmation, AgeWaiting};
use super::super::catalog::{AgeLimit, Item};
use super::super::command::Command;
use super::super::event::Event;
use super::super::money::Quantity;
use super::super::notice::Notice;
use super::super::receipt::{Receipt, ReceiptKind};
use super::super::state::{AppState, Dialog};

/// Whether `item` may be added now: true goes on at once; false when it is
/// refused (alcohol out of hours, a notice says so) or the age dialog
/// opened, which hands `waiting` back once the cashier confirms.
pub(super) fn gate(state: &mut AppState, item: &Item, waiting: AgeWaiting) -> bool {
    if item.age == AgeLimit::None {
        return true;
    }
    if item.age == AgeLimit::Alcohol && !state.settings.alcohol_hours.allow(state.now) {
        state.notice = Some(Notice::AlcoholHours {
            name: item.name.to_string(),
            hours: state.settings.alcohol_hours,
        });
        return false;
    }
    if state.receipt().is_some_and(|r| r.age_confirmed.is_some()) {
        return true;
    }
    state.dialog = Some(Dialog::Age { waiting });
    false
}

/// The age dialog: `confirm` records the confirmation on the receipt and
/// returns what waited, for the caller to go on with; `cancel` refuses the item.
pub(super) fn dialog(state: &mut AppState, waiting: AgeWaiting, event: Event) -> Option<AgeWaiting> {
    match event {
        Event::Command(Command::Confirm) => {
            confirm(state);
            Some(waiting)
        }
        Event::Command(Command::Cancel) => {
            let name = state
                .catalog
                .by_code(waiting.item_code())
                .map_or_else(String::new, |i| i.name.to_string());
            state.notice = Some(Notice::AgeNotConfirmed(name));
            None
        }
        _ => {
            state.dialog = Some(Dialog::Age { waiting });
            None
        }
    }
}

/// Records who confirmed and when on the open receipt — a new one when the
/// item is the first (as a client entered first starts one).
fn confirm(state: &mut AppState) {
    let cashier = state.shift().map_or_else(String::new, |s| s.cashier.clone());
    let now = state.now;
    if state.durable.receipt.is_none() {
        // A new customer: the last one's loyalty message is done with.
        state.loyalty_note.clear();
    }
    let receipt = state.durable.receipt.get_or_insert_with(|| Receipt::new(ReceiptKind::Sale, now));
    receipt.age_confirmed = Some(Box::new(AgeConfirmation { cashier, at: now }));
    state.notice = Some(Notice::AgeConfirmed);
}

/// Position `index` set to `quantity`: alcohol may not grow outside its
/// hours (what was added within them stays as it is).
pub(super) fn check_more(state: &AppState, index: usize, quantity: Quantity) -> Result<(), Notice> {
    let Some(position) = state.receipt().and_then(|r| r.positions.get(index)) else {
        return Ok(());
    };
    let alcohol = state
        .catalog
        .by_code(&position.item_code)
        .is_some_and(|i| i.age == AgeLimit::Alcohol);
    if quantity > position.quantity && alcohol && !state.settings.alcohol_hours.allow(state.now) {
        return Err(Notice::AlcoholHours {
            name: position.name.clone(),
            hours: state.settings.alcohol_hours,
        });
    }
    Ok(())
}
