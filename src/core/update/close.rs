//! Closing a paid receipt: every step from "paid in full" to the journal
//! transaction, in one place, whoever finds the receipt paid — the payment
//! window (cash, card, a refund), a gift certificate paying the rest, the
//! loyalty server's answer to the write, a restart in the middle of a close.
//!
//! [`ready_to_close`] → [`begin_close`]: where the loyalty server takes the
//! receipt first (MaxBonus), [`write_first`] sends it and the close goes on
//! at [`written`], its answer; then the closed receipt, its print jobs and
//! the entries queued for the loyalty server (the confirmation) go to the
//! store in one transaction; [`on_closed`]: it is on disk, the receipt
//! leaves the screen and the queue is sent.
//!
//! The loyalty module supplies its parts (the request, the queue entries)
//! and calls here only to go on with a close.

use super::super::effect::Effect;
use super::super::journal::ClosedReceipt;
use super::super::money::Money;
use super::super::notice::Notice;
use super::super::receipt::{DiscountSource, PaymentKind};
use super::super::state::{AppState, Busy, Dialog, LoyaltyPurpose, PreviewTitle};
use super::{loyalty, printing};
use crate::core::loyalty::{self as rl, LinkCheck, LoyaltyError, Reply, Stage, Written};
use crate::core::notice::Said;
use crate::core::print::layout;

/// Paid in full: close, electronically too when the customer asked for it.
pub(super) fn ready_to_close(state: &mut AppState, effects: &mut Vec<Effect>) {
    let contact = state.receipt().and_then(|r| r.e_receipt.clone());
    begin_close(state, contact, effects);
}

/// Asks the store to journal the paid receipt together with the state after it.
/// The screen waits; the receipt leaves the screen only once that is on disk.
/// Where the loyalty server takes the receipt first (MaxBonus), its write goes before.
pub(super) fn begin_close(state: &mut AppState, contact: Option<String>, effects: &mut Vec<Effect>) {
    if write_first(state, &contact, effects) {
        return;
    }
    let Some(closed) = closing(state, contact) else {
        return;
    };
    // What the server said of this receipt is done with; its confirmation may say more.
    state.loyalty_note.clear();
    let mut next = state.durable.clone();
    next.receipt = None;
    if let Some(shift) = next.shift.as_mut() {
        shift.record(&closed);
    }
    let document = layout::receipt(&closed, &state.settings, false);
    printing::queue_job(&mut next, document, Some(closed.id));
    if let Some(slip) = layout::loyalty_footer_slip(&closed, &state.settings) {
        printing::queue_job(&mut next, slip, None);
    }
    // Its loyalty requests are queued in the same transaction as the journal entry.
    let enqueue = loyalty::queue_for(state, &closed, next.next_outgoing);
    next.next_outgoing += enqueue.len() as u64;
    next.last_receipt = Some(closed.clone());
    state.busy = Some(Busy::ClosingReceipt(Box::new(next.clone()), enqueue.clone()));
    effects.push(Effect::CloseReceipt {
        receipt: Box::new(closed),
        state: Box::new(next),
        enqueue,
    });
}

/// The paid receipt as it would close now.
fn closing(state: &AppState, contact: Option<String>) -> Option<ClosedReceipt> {
    let (shift, receipt) = (state.durable.shift.as_ref()?, state.durable.receipt.clone()?);
    Some(ClosedReceipt {
        id: shift.next_receipt_id(),
        store_id: state.settings.store_id.clone(),
        register_id: state.settings.register_id.clone(),
        cashier: shift.cashier.clone(),
        closed_at: state.now,
        receipt,
        contact,
    })
}

pub(super) fn on_closed(
    state: &mut AppState,
    result: Result<ClosedReceipt, crate::core::storage::StorageFailure>,
    effects: &mut Vec<Effect>,
) {
    let Some(Busy::ClosingReceipt(next, enqueued)) = state.busy.take() else {
        return;
    };
    match result {
        Ok(closed) => {
            state.selected = 0;
            state.pending_quantity = None;
            let change = closed.receipt.change();
            state.notice = Some(Notice::ReceiptClosed { id: closed.id, change });
            printing::adopt_closed(state, *next, PreviewTitle::Receipt { id: closed.id, change }, effects);
            loyalty::queued(state, &enqueued);
            loyalty::drain(state, effects);
        }
        Err(e) => {
            state.notice = Some(Notice::CloseFailed(e));
            state.dialog = Some(Dialog::Payment { input: String::new() });
        }
    }
}

/// MaxBonus: a paid sale is written to the server before it is printed.
/// The write is marked in doubt (and saved) before it goes; the close
/// follows its answer. True when the write was sent.
fn write_first(state: &mut AppState, contact: &Option<String>, effects: &mut Vec<Effect>) -> bool {
    if !state.settings.loyalty || !state.settings.flow.spending.writes_before_print() {
        return false;
    }
    let Some(closed) = closing(state, contact.clone()) else {
        return false;
    };
    let Some(loyalty) = closed.receipt.loyalty.as_ref() else {
        return false;
    };
    let writable = !closed.receipt.is_return()
        && closed.receipt.link != LinkCheck::Down
        && matches!(loyalty.stage, Stage::Pending | Stage::Calculated { .. })
        && loyalty.written != Written::Done;
    if !writable {
        return false;
    }
    let request = rl::confirm_request(&closed, loyalty);
    if let Some(loyalty) = loyalty::loyalty_mut(state) {
        loyalty.written = Written::InDoubt;
    }
    let purpose = LoyaltyPurpose::Write { contact: contact.clone() };
    loyalty::send(state, purpose, request, effects);
    true
}

/// The answer to the write before printing (MaxBonus): the close goes on,
/// or the receipt goes back to the payment window.
pub(super) fn written(state: &mut AppState, contact: Option<String>, result: Result<Reply, LoyaltyError>, effects: &mut Vec<Effect>) {
    match result {
        Ok(reply) => {
            if let Some(loyalty) = loyalty::loyalty_mut(state) {
                loyalty.written = Written::Done;
                loyalty.footer = reply.footer;
            }
            begin_close(state, contact, effects);
        }
        // The server may have it (the write stays in doubt): the receipt goes
        // on without loyalty and is written later through the queue, where
        // "already processed" is rolled back and written again.
        Err(e) if e.unanswered() => {
            loyalty::go_offline(state);
            write_failed(state, Said::WriteOffline);
        }
        // Refused (a wrong certificate pin, bonuses gone meanwhile, …): what it
        // would have applied is taken off, and the subtotal calculates anew.
        Err(refusal) => {
            if let Some(receipt) = state.durable.receipt.as_mut() {
                rl::forget(receipt, DiscountSource::Loyalty);
                rl::forget(receipt, DiscountSource::Bonus);
                if let Some(loyalty) = receipt.loyalty.as_mut() {
                    loyalty.bonus_paid = Money::ZERO;
                    loyalty.stage = Stage::Pending;
                }
            }
            write_failed(state, Said::LoyaltyError(refusal));
        }
    }
}

/// The write did not go: nothing of it holds, certificates included (only
/// the server debits them). The cashier reads why, then closes (Enter) or
/// takes the rest of the money the receipt now costs.
fn write_failed(state: &mut AppState, why: Said) {
    if let Some(receipt) = state.durable.receipt.as_mut() {
        receipt.payments.retain(|p| p.kind != PaymentKind::Certificate);
        if let Some(loyalty) = receipt.loyalty.as_mut() {
            loyalty.certificates.clear();
        }
    }
    state.dialog = Some(Dialog::Message {
        blocks: vec![why, Said::WriteFailedNext],
        then: Some(Box::new(Dialog::Payment { input: String::new() })),
    });
}
