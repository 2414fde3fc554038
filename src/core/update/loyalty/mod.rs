//! Loyalty in the sale flow, following the Frontol Loyalty API's business
//! processes (the most complete of the four specs):
//!
//! - the client (card or phone) is entered before, during or after ringing up;
//! - the subtotal sends the precheck: earlier loyalty discounts are
//!   forgotten, the answer's discounts apply within the minimum prices, its
//!   `availableAmount` and the local limits cap the bonus dialog; a
//!   `validationCode` must be typed before anything applies, and cancelling
//!   it returns to the state before the subtotal;
//! - a link failure offers Retry or Continue without bonus payment
//!   (accrual only); a refusal shows its text and loyalty stops until the
//!   client is removed;
//! - bonus payment applies the server's distribution, or ours when it sent
//!   none; a distribution that breaks a minimum price is not applied, an
//!   emergency slip is printed, and bonus payment is blocked for the receipt;
//! - bonus payment can be cancelled until the receipt closes;
//! - the confirmation goes after closing, through the durable queue (written
//!   in the close transaction): a link failure prints an emergency slip once
//!   and the entry is retried with backoff (the server is idempotent by
//!   uid); a refusal prints a slip and moves the entry to the rejected
//!   archive — closing is never interrupted.
//!
//! One file per feature, each with its commands, dialogs, requests and the
//! handlers of their answers:
//!
//! - [`client`]: the client entered, looked up, removed; the anonymous
//!   customer; the balance enquiry, the chat bot's link, the promo code;
//! - [`new_client`]: registering a new client (phone, name, SMS code);
//! - [`calculation`]: the subtotal's precheck, the validation code, KilBil's
//!   background recalculation and return check;
//! - [`bonus`]: paying with points (the amount, the SMS spend code), the
//!   cancel, a payment in doubt, the cancellation queued for a receipt gone;
//! - [`certificate`]: gift certificates in the payment window;
//! - [`link`]: sending a request, which waits Esc may end, the lamp, the
//!   probe, the link-lost window;
//! - [`outbox`]: the durable queue of confirmations after the close.
//!
//! Every answer is routed by its purpose to its feature's handler from
//! [`replies`](super::replies), which sits above this module and
//! [`close`](super::close) (MaxBonus's write before the close is close's):
//! close calls in here for the queue entries, and nothing here calls close
//! or payment back.

pub(super) mod bonus;
pub(super) mod calculation;
pub(super) mod certificate;
pub(super) mod client;
pub(super) mod link;
pub(super) mod new_client;
pub(super) mod outbox;

pub(super) use bonus::{bonus_dialog, queue_cancellation, recover, spend_code_dialog};
pub(super) use calculation::{background, invalidate, subtotal, validation_dialog};
pub(super) use certificate::{certificate_command, certificate_dialog, certificate_pin_dialog, certificate_removed};
pub(super) use client::{balance_dialog, client_dialog, promo_dialog, remove_client, swiped};
pub use link::wait_can_stop;
pub(super) use link::{go_offline, link_lost_dialog, probe, probe_while_down, send};
pub(super) use new_client::{register_dialog, register_name_dialog, registration_code_dialog};
pub(super) use outbox::{drain, enqueue_failed, on_queue_changed, queue_for, queued, requeue, send_now};

use crate::core::command::Command;
use crate::core::effect::Effect;
use crate::core::loyalty::{LinkCheck, ReceiptLoyalty, Reply, slip};
use crate::core::notice::Notice;
use crate::core::notice::Said;
use crate::core::state::{AppState, Dialog, LoyaltyPurpose};
use crate::core::update::printing;

// ---- shared by the features -----------------------------------------------

fn loyalty_of(state: &AppState) -> Option<&ReceiptLoyalty> {
    state.receipt().and_then(|r| r.loyalty.as_ref())
}

pub(super) fn loyalty_mut(state: &mut AppState) -> Option<&mut ReceiptLoyalty> {
    state.durable.receipt.as_mut().and_then(|r| r.loyalty.as_mut())
}

/// A request in flight of one of these kinds.
fn in_flight(state: &AppState, kind: fn(&LoyaltyPurpose) -> bool) -> bool {
    state.loyalty_requests.iter().any(|(_, p)| kind(p))
}

/// The receipt's link is down (KilBil): nothing is sent for it.
fn receipt_offline(state: &AppState) -> bool {
    state.receipt().is_some_and(|r| r.link == LinkCheck::Down)
}

/// The receipt's number and shift as the loyalty system sees them.
fn numbers(state: &AppState) -> (u32, u32) {
    state.current_receipt_id().map_or((0, 0), |id| (id.shift, id.number))
}

// ---- commands ------------------------------------------------------------

/// The loyalty commands of the sale screen, each to its feature.
pub(super) fn command(state: &mut AppState, command: Command, effects: &mut Vec<Effect>) {
    if !state.settings.loyalty {
        state.notice = Some(Notice::NoLoyalty);
        return;
    }
    match command {
        Command::Client => client::client_command(state),
        Command::BonusPayment => {
            subtotal(state, true, effects);
        }
        Command::CancelBonusPayment => bonus::cancel_bonus(state, effects),
        Command::Balance => client::balance_command(state, effects),
        Command::PromoCode => client::promo_command(state),
        Command::RegisterClient => new_client::register_command(state),
        Command::ChatBotLink => client::chat_bot_command(state, effects),
        _ => {}
    }
}

// ---- what an answer shows --------------------------------------------------

/// Prints the answer's slips and shows its messages under the receipt, then `then`.
///
/// Frontol's business processes (precheck step 15, bonus payment step 23,
/// confirmation step 29) have the workstation "display the message for the
/// cashier" and go on to the next step; nothing asks the cashier to
/// acknowledge it. So the text stays on screen, whole, beside the next
/// dialog (the bonus amount, the payment) rather than in a window of its
/// own that costs an Enter; errors and the balance the cashier asked for
/// still come in a window.
pub(super) fn show(state: &mut AppState, reply: Reply, then: Option<Dialog>, effects: &mut Vec<Effect>) {
    for one in &reply.slips {
        printing::print(state, slip::to_document(one), effects);
    }
    if !reply.messages.is_empty() {
        state.loyalty_note = reply.messages;
    }
    state.dialog = then;
}

/// Prints the answer's slips and shows its messages in a window, then `then`:
/// what the cashier asked for (the balance) or must act on (an error).
pub(super) fn show_window(state: &mut AppState, reply: Reply, then: Option<Dialog>, effects: &mut Vec<Effect>) {
    show_window_after(state, Vec::new(), reply, then, effects);
}

/// [`show_window`], with the till's own lines `first`.
pub(super) fn show_window_after(state: &mut AppState, first: Vec<Said>, reply: Reply, then: Option<Dialog>, effects: &mut Vec<Effect>) {
    for one in &reply.slips {
        printing::print(state, slip::to_document(one), effects);
    }
    let mut blocks = first;
    blocks.extend(reply.messages.into_iter().map(Said::Server));
    state.dialog = if blocks.is_empty() {
        then
    } else {
        Some(Dialog::Message {
            blocks,
            then: then.map(Box::new),
        })
    };
}
