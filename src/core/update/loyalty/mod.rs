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

mod answers;
mod bonus;
mod calculation;
mod certificate;
mod link;
mod new_client;
mod outbox;

pub(super) use answers::on_replied;
pub(super) use bonus::{bonus_dialog, queue_cancellation, recover, spend_code_dialog};
pub(super) use calculation::{background, invalidate, subtotal, validation_dialog};
pub(super) use certificate::{certificate_command, certificate_dialog, certificate_pin_dialog, certificate_removed};
pub use link::wait_can_stop;
pub(super) use link::{abandon, answer_unsent, go_offline, link_lost_dialog, probe, probe_while_down, send};
pub(super) use new_client::{register_dialog, register_name_dialog, registration_code_dialog};

pub(super) use outbox::{drain, enqueue_failed, on_queue_changed, queue_for, queued, requeue, send_now};

use super::edit;
use crate::core::command::Command;
use crate::core::effect::Effect;
use crate::core::event::Event;
use crate::core::loyalty::{self as rl, LinkCheck, ReceiptLoyalty, Stage};
use crate::core::loyalty::{ClientId, Request};
use crate::core::notice::Notice;
use crate::core::receipt::{DiscountSource, Receipt, ReceiptKind};
use crate::core::state::{AppState, Dialog, LoyaltyPurpose, Question};

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

pub(super) fn command(state: &mut AppState, command: Command, effects: &mut Vec<Effect>) {
    if !state.settings.loyalty {
        state.notice = Some(Notice::NoLoyalty);
        return;
    }
    match command {
        Command::Client => client_command(state),
        Command::BonusPayment => {
            subtotal(state, true, effects);
        }
        Command::CancelBonusPayment => bonus::cancel_bonus(state, effects),
        Command::Balance => balance_command(state, effects),
        Command::PromoCode => promo_command(state),
        Command::RegisterClient => new_client::register_command(state),
        Command::ChatBotLink => chat_bot_command(state, effects),
        _ => {}
    }
}

/// The balance enquiry: of the receipt's client at once, else of a card or phone typed.
fn balance_command(state: &mut AppState, effects: &mut Vec<Effect>) {
    match loyalty_of(state).map(|l| l.client.clone()) {
        // The anonymous customer has no balance: ask for a card or phone.
        Some(client) if client != ClientId::Anonymous && !receipt_offline(state) => {
            let request = Request::ClientInfo { client, history: true };
            send(state, LoyaltyPurpose::ClientInfo, request, effects);
        }
        _ => state.dialog = Some(Dialog::Balance { input: String::new() }),
    }
}

fn promo_command(state: &mut AppState) {
    if !state.settings.flow.promo_codes {
        state.notice = Some(Notice::NotInProtocol(Command::PromoCode));
        return;
    }
    match state.receipt() {
        Some(r) if r.is_return() => state.notice = Some(Notice::ReturnReceiptLocked),
        Some(r) if !r.payments.is_empty() => state.notice = Some(Notice::PaymentsLockReceipt),
        Some(Receipt { loyalty: Some(l), .. }) if !l.bonus_paid.is_zero() => state.notice = Some(Notice::RemoveBonusFirst),
        Some(Receipt { loyalty: Some(l), .. }) => {
            state.dialog = Some(Dialog::PromoCode {
                input: l.promo_code.clone().unwrap_or_default(),
            })
        }
        // KilBil takes a promo code with no client («client_id … null – если
        // покупатель не идентифицирован»): the receipt goes as the anonymous one.
        _ if state.settings.flow.promo_without_client && !receipt_offline(state) && state.shift().is_some() => {
            state.dialog = Some(Dialog::PromoCode { input: String::new() })
        }
        _ => state.notice = Some(Notice::PromoNeedsClient),
    }
}

/// The promo code dialog: one code per receipt; empty removes it.
pub(super) fn promo_dialog(state: &mut AppState, mut input: String, event: Event) {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::PromoCode { input });
        return;
    }
    match event {
        Event::Command(Command::Confirm) => {
            // Codes are printed in capitals on flyers; the cashier may type them in any case.
            let code = input.trim().to_uppercase();
            let removed = code.is_empty();
            if loyalty_of(state).is_none() && !removed {
                set_client(state, ClientId::Anonymous);
            }
            let Some(loyalty) = loyalty_mut(state) else { return };
            loyalty.promo_code = (!code.is_empty()).then(|| code.clone());
            state.notice = Some(if code.is_empty() {
                Notice::PromoRemoved
            } else {
                Notice::PromoSet(code)
            });
            // The receipt is calculated again with (or without) it.
            if let Some(loyalty) = loyalty_mut(state) {
                loyalty.stage = match &loyalty.stage {
                    Stage::Calculated { .. } => Stage::Pending,
                    other => other.clone(),
                };
            }
            if let Some(receipt) = state.durable.receipt.as_mut() {
                rl::forget(receipt, DiscountSource::Loyalty);
                // The anonymous receipt existed only for its code.
                let anonymous_only_for_code = !state.settings.flow.anonymous && removed;
                if anonymous_only_for_code && receipt.loyalty.as_ref().is_some_and(ReceiptLoyalty::is_anonymous) {
                    receipt.loyalty = None;
                }
            }
        }
        Event::Command(Command::Cancel) => {}
        _ => state.dialog = Some(Dialog::PromoCode { input }),
    }
}

/// An SMS with the chat bot's link to the receipt's client.
fn chat_bot_command(state: &mut AppState, effects: &mut Vec<Effect>) {
    if !state.settings.flow.chat_bot {
        state.notice = Some(Notice::NotInProtocol(Command::ChatBotLink));
        return;
    }
    match loyalty_of(state).map(|l| l.client.clone()) {
        Some(ClientId::Anonymous) | None => state.notice = Some(Notice::ClientNeeded),
        Some(_) if receipt_offline(state) => state.notice = Some(Notice::LoyaltyOffline),
        Some(client) => send(state, LoyaltyPurpose::ChatBot, Request::SendChatBotLink { client }, effects),
    }
}

fn client_command(state: &mut AppState) {
    if state.shift().is_none() {
        state.notice = Some(Notice::NoShift);
        return;
    }
    if state.receipt().is_none()
        && let Err(notice) = super::registration::check_registered(state)
    {
        // The client would start the next receipt.
        state.notice = Some(notice);
        return;
    }
    match state.receipt() {
        Some(r) if r.is_return() => state.notice = Some(Notice::ReturnReceiptLocked),
        Some(r) if !r.payments.is_empty() => state.notice = Some(Notice::PaymentsLockReceipt),
        Some(Receipt { loyalty: Some(l), .. }) if !l.bonus_paid.is_zero() => state.notice = Some(Notice::RemoveBonusFirst),
        // The anonymous customer simply gives way to the one identified.
        Some(Receipt { loyalty: Some(l), .. }) if !l.is_anonymous() => state.dialog = Some(Dialog::Confirm(Question::RemoveClient)),
        _ => state.dialog = Some(Dialog::Client { input: String::new() }),
    }
}

/// Reads a card or phone typed or scanned into a dialog built by `dialog`.
/// `Some` once one is entered; the dialog stays open (with its input) otherwise.
fn read_client(state: &mut AppState, mut input: String, event: Event, dialog: fn(String) -> Dialog) -> Option<ClientId> {
    if edit(state, &mut input, &event) {
        state.dialog = Some(dialog(input));
        return None;
    }
    let typed = match event {
        // A magnetic stripe holds a card, whatever its digits look like.
        Event::Swipe(card) => return Some(ClientId::Card(card)),
        Event::Scan(code) => code,
        Event::Command(Command::Confirm) => input.clone(),
        Event::Command(Command::Cancel) => return None,
        _ => {
            state.dialog = Some(dialog(input));
            return None;
        }
    };
    let client = ClientId::parse(&typed);
    if client.is_none() {
        state.notice = Some(Notice::BadClientId(typed.trim().to_string()));
        state.dialog = Some(dialog(input));
    }
    client
}

/// A card swiped on the sale screen: the client command, answered at once with the card.
pub(super) fn swiped(state: &mut AppState, card: String, effects: &mut Vec<Effect>) {
    if !state.settings.loyalty {
        state.notice = Some(Notice::NotInProtocol(Command::Client));
        return;
    }
    client_command(state);
    if let Some(Dialog::Client { input }) = state.dialog.take() {
        client_dialog(state, input, Event::Swipe(card), effects);
    }
}

/// The client dialog: a typed or scanned card or phone, or a swiped card.
pub(super) fn client_dialog(state: &mut AppState, input: String, event: Event, effects: &mut Vec<Effect>) {
    let Some(client) = read_client(state, input, event, |input| Dialog::Client { input }) else {
        return;
    };
    if !state.settings.flow.live {
        set_client(state, client);
    } else if receipt_offline(state) {
        state.notice = Some(Notice::LoyaltyOffline);
    } else {
        // The client is set once the server found them (name and balance on screen).
        let request = Request::ClientInfo {
            client: client.clone(),
            history: false,
        };
        send(state, LoyaltyPurpose::Identify { client }, request, effects);
    }
}

pub(super) fn set_client(state: &mut AppState, client: ClientId) {
    let now = state.now;
    let (shift, number) = numbers(state);
    let settings = state.settings.clone();
    if state.durable.receipt.is_none() {
        state.loyalty_note.clear();
    }
    let receipt = state.durable.receipt.get_or_insert_with(|| Receipt::new(ReceiptKind::Sale, now));
    let uid = rl::receipt_uid(&settings.store_id, &settings.register_id, shift, number, receipt.opened_at);
    // The anonymous customer is no news to the cashier.
    if client != ClientId::Anonymous {
        state.notice = Some(Notice::ClientSet(client.masked()));
    }
    let mut loyalty = ReceiptLoyalty::new(client, uid);
    // The anonymous customer's certificates, code and write stay with the receipt.
    if let Some(before) = receipt.loyalty.take().filter(ReceiptLoyalty::is_anonymous) {
        loyalty.certificates = before.certificates;
        loyalty.promo_code = before.promo_code;
        loyalty.written = before.written;
    }
    receipt.loyalty = Some(loyalty);
}

/// A sale with no client, where the protocol takes it for the anonymous
/// customer (MaxBonus): calculated like any, or offline at once when the
/// lamp is red (nothing to wait for: the anonymous customer gains nothing).
fn attach_anonymous(state: &mut AppState) {
    let flow = &state.settings.flow;
    if !state.settings.loyalty || !flow.anonymous || state.receipt().is_none_or(|r| r.loyalty.is_some() || r.is_return()) {
        return;
    }
    let down = state.link == Some(false);
    set_client(state, ClientId::Anonymous);
    if down && let Some(loyalty) = loyalty_mut(state) {
        loyalty.stage = Stage::Offline;
    }
}

pub(super) fn remove_client(state: &mut AppState, effects: &mut Vec<Effect>) {
    queue_cancellation(state, effects);
    if let Some(receipt) = state.durable.receipt.as_mut() {
        rl::forget(receipt, DiscountSource::Loyalty);
        receipt.loyalty = None;
        if receipt.positions.is_empty() {
            state.durable.receipt = None;
        }
    }
    state.notice = Some(Notice::ClientRemoved);
}

/// The balance dialog: a card or phone, then the server's answer.
pub(super) fn balance_dialog(state: &mut AppState, input: String, event: Event, effects: &mut Vec<Effect>) {
    if let Some(client) = read_client(state, input, event, |input| Dialog::Balance { input }) {
        let request = Request::ClientInfo { client, history: true };
        send(state, LoyaltyPurpose::ClientInfo, request, effects);
    }
}
