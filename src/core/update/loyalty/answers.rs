//! Answers of the loyalty server, routed: each request's answer goes, by
//! what it was for, to the feature that sent it (its handler sits beside
//! its dialogs and requests); and how an answer's slips and messages reach
//! the cashier, under the receipt or in a window.

use super::link::{light_the_lamp, waits};
use super::outbox::drain;
use super::{bonus, calculation, certificate, client, link, new_client, outbox};
use crate::core::effect::Effect;
use crate::core::loyalty::slip;
use crate::core::loyalty::{LoyaltyError, Reply};
use crate::core::state::{AppState, Busy, Dialog, LoyaltyPurpose};
use crate::core::update::{close, printing};

pub(in crate::core::update) fn on_replied(state: &mut AppState, id: u64, result: Result<Reply, LoyaltyError>, effects: &mut Vec<Effect>) {
    let Some(at) = state.loyalty_requests.iter().position(|(request, _)| *request == id) else {
        return;
    };
    let (_, purpose) = state.loyalty_requests.remove(at);
    if let Some(abandoned) = state.abandoned.iter().position(|a| *a == id) {
        // The cashier went on without it: only what it says of the link counts.
        state.abandoned.remove(abandoned);
        light_the_lamp(state, &purpose, &result);
        drain(state, effects);
        return;
    }
    if state.busy == Some(Busy::Loyalty) && waits(&purpose) {
        state.busy = None;
    }
    answer(state, purpose, result, effects);
}

/// A request's answer (or the failure decided here: not sent, abandoned),
/// routed by what it was for to the feature that asked. Every answer
/// lights the lamp first; after it, the queue's next entry may go.
pub(super) fn answer(state: &mut AppState, purpose: LoyaltyPurpose, result: Result<Reply, LoyaltyError>, effects: &mut Vec<Effect>) {
    use LoyaltyPurpose::*;
    let was_down = state.link == Some(false);
    light_the_lamp(state, &purpose, &result);
    bonus::settle_in_doubt(state, &purpose, &result);
    match purpose {
        Probe => link::probed(state, result),
        Confirm { outgoing } => outbox::on_confirmed(state, outgoing, result, effects),
        Write { contact } => close::written(state, contact, result, effects),
        purpose @ (Calculate | PayByBonus { .. } | CancelBonus { .. } | Recalculate { .. } | ReturnCheck) => {
            calculation::calculated(state, purpose, result, effects)
        }
        Recover { amount, then_pay } => bonus::recovered(state, amount, then_pay, result, effects),
        SendSpendCode { amount } => bonus::spend_code_sent(state, amount, result),
        CheckSpendCode { amount } => bonus::spend_code_checked(state, amount, result, effects),
        Identify { client } => client::identify_answer(state, client, result),
        ClientInfo => client::balance_answer(state, result, effects),
        ChatBot => client::chat_bot_answer(state, result),
        Register { phone, profile } => new_client::register_answer(state, phone, profile, result),
        ConfirmRegistration { phone, profile } => new_client::confirm_answer(state, phone, profile, result),
        ResendCode { phone, profile } => new_client::resend_answer(state, phone, profile, result),
        CertificateInfo => certificate::certificate_answer(state, result),
    }
    link::tell_link_down(state, was_down);
    // After any answer: the queue's next entry may be due (e.g. the link came back).
    drain(state, effects);
}

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
    for one in &reply.slips {
        printing::print(state, slip::to_document(one), effects);
    }
    state.dialog = if reply.messages.is_empty() {
        then
    } else {
        Some(Dialog::Message {
            blocks: reply.messages,
            then: then.map(Box::new),
        })
    };
}
