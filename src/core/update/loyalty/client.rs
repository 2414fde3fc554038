//! The loyalty client on the receipt: a card or phone typed, scanned or
//! swiped (and looked up at once where the protocol does), the anonymous
//! customer where a protocol takes one, the client removed, the balance
//! enquiry, the chat bot's link by SMS, and the receipt's promo code.

use super::bonus::queue_cancellation;
use super::link::{go_offline, send};
use super::show_window;
use super::{loyalty_mut, loyalty_of, numbers, receipt_offline};
use crate::core::command::Command;
use crate::core::effect::Effect;
use crate::core::event::Event;
use crate::core::loyalty::{self as rl, ClientId, LoyaltyError, ReceiptLoyalty, Reply, Request, Stage};
use crate::core::notice::Notice;
use crate::core::notice::Said;
use crate::core::receipt::{DiscountSource, Receipt, ReceiptKind};
use crate::core::state::{AppState, Dialog, LoyaltyPurpose, Question};
use crate::core::update::{edit, registration};

pub(super) fn client_command(state: &mut AppState) {
    if state.shift().is_none() {
        state.notice = Some(Notice::NoShift);
        return;
    }
    if state.receipt().is_none()
        && let Err(notice) = registration::check_registered(state)
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
pub(in crate::core::update) fn swiped(state: &mut AppState, card: String, effects: &mut Vec<Effect>) {
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
pub(in crate::core::update) fn client_dialog(state: &mut AppState, input: String, event: Event, effects: &mut Vec<Effect>) {
    let Some(client) = read_client(state, input, event, |input| Dialog::Client { input }) else {
        return;
    };
    if !state.settings.flow.lookup.on_entry() {
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

fn set_client(state: &mut AppState, client: ClientId) {
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
pub(super) fn attach_anonymous(state: &mut AppState) {
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

pub(in crate::core::update) fn remove_client(state: &mut AppState, effects: &mut Vec<Effect>) {
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

pub(in crate::core::update) fn identify_answer(state: &mut AppState, client: ClientId, result: Result<Reply, LoyaltyError>) {
    match result {
        Ok(reply) => identified(state, client, &reply),
        // No link, and the receipt will be confirmed later anyway (ProBonus): keep the client for the accrual.
        Err(e) if e.is_link() && state.settings.flow.link_loss.confirms_offline() => {
            if !receipt_offline(state) {
                set_client(state, client);
            }
            go_offline(state);
            state.notice = Some(Notice::OfflineAccrualOnly);
        }
        Err(error) => state.notice = Some(Notice::LoyaltyAnswer(error)),
    }
}

/// The client was found: set on the receipt with the name and balance.
pub(super) fn identified(state: &mut AppState, client: ClientId, reply: &Reply) {
    if receipt_offline(state) {
        state.notice = Some(Notice::LoyaltyOffline);
        return;
    }
    let info = reply.client.clone().unwrap_or_default();
    // A one-time code (a MaxBonus QR) gives way to the client's lasting identity.
    set_client(state, info.known_as.clone().unwrap_or(client));
    if let Some(loyalty) = loyalty_mut(state) {
        loyalty.spend_code = info.spend_code;
        loyalty.name = info.name;
        loyalty.balance = info.balance;
        loyalty.burning = info.burning;
        if let Some(phone) = info.phone {
            loyalty.remember_contact(&phone);
        }
    }
}

/// The balance enquiry: of the receipt's client at once, else of a card or phone typed.
pub(super) fn balance_command(state: &mut AppState, effects: &mut Vec<Effect>) {
    match loyalty_of(state).map(|l| l.client.clone()) {
        // The anonymous customer has no balance: ask for a card or phone.
        Some(client) if client != ClientId::Anonymous && !receipt_offline(state) => {
            let request = Request::ClientInfo { client, history: true };
            send(state, LoyaltyPurpose::ClientInfo, request, effects);
        }
        _ => state.dialog = Some(Dialog::Balance { input: String::new() }),
    }
}

/// The balance dialog: a card or phone, then the server's answer.
pub(in crate::core::update) fn balance_dialog(state: &mut AppState, input: String, event: Event, effects: &mut Vec<Effect>) {
    if let Some(client) = read_client(state, input, event, |input| Dialog::Balance { input }) {
        let request = Request::ClientInfo { client, history: true };
        send(state, LoyaltyPurpose::ClientInfo, request, effects);
    }
}

/// The balance the cashier asked for, in a window (with the server's slips).
pub(in crate::core::update) fn balance_answer(state: &mut AppState, result: Result<Reply, LoyaltyError>, effects: &mut Vec<Effect>) {
    match result {
        Ok(reply) => show_window(state, reply, None, effects),
        Err(error) => {
            state.dialog = Some(Dialog::Message {
                blocks: vec![Said::LoyaltyError(error)],
                then: None,
            })
        }
    }
}

/// An SMS with the chat bot's link to the receipt's client.
pub(super) fn chat_bot_command(state: &mut AppState, effects: &mut Vec<Effect>) {
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

/// The chat bot's link went out, or why not (on the info line).
pub(in crate::core::update) fn chat_bot_answer(state: &mut AppState, result: Result<Reply, LoyaltyError>) {
    match result {
        Ok(_) => state.notice = Some(Notice::ChatBotSent),
        Err(error) => state.notice = Some(Notice::LoyaltyAnswer(error)),
    }
}

pub(super) fn promo_command(state: &mut AppState) {
    if !state.settings.flow.promo_codes.supported() {
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
        _ if state.settings.flow.promo_codes.without_client() && !receipt_offline(state) && state.shift().is_some() => {
            state.dialog = Some(Dialog::PromoCode { input: String::new() })
        }
        _ => state.notice = Some(Notice::PromoNeedsClient),
    }
}

/// The promo code dialog: one code per receipt; empty removes it.
pub(in crate::core::update) fn promo_dialog(state: &mut AppState, mut input: String, event: Event) {
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
