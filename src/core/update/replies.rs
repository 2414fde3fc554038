//! Answers of the loyalty server, routed: each request's answer goes, by
//! what it was for, to the feature that sent it (its handler sits beside
//! its dialogs and requests in `loyalty/`) — a write's to the close
//! pipeline. Here too the answers decided without the server: a request
//! not sent while the lamp is red, and a wait the cashier ended. Being
//! above both, the router keeps `loyalty` from calling `close` back.

use super::close;
use super::loyalty::link::{light_the_lamp, link_lost_dialog, moves_money, waits};
use super::loyalty::outbox::drain;
use super::loyalty::{bonus, calculation, certificate, client, link, new_client, outbox};
use crate::core::command::Command;
use crate::core::effect::Effect;
use crate::core::event::Event;
use crate::core::loyalty::{LoyaltyError, Reply};
use crate::core::notice::Notice;
use crate::core::state::{AppState, Busy, Dialog, LoyaltyPurpose};

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
fn answer(state: &mut AppState, purpose: LoyaltyPurpose, result: Result<Reply, LoyaltyError>, effects: &mut Vec<Effect>) {
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

/// Requests not sent (the lamp is red), answered as no link after the handler that asked.
pub(in crate::core::update) fn answer_unsent(state: &mut AppState, effects: &mut Vec<Effect>) {
    while let Some(id) = state.unsent.pop_front() {
        on_replied(state, id, Err(LoyaltyError::LinkDown), effects);
    }
}

/// Esc during a wait on the loyalty server: the receipt goes on without
/// loyalty, as after a lost link (Frontol: "continue" at once); the
/// request's answer, when it comes, only lights the lamp. A request that
/// moves money (a bonus payment, its cancel, a write) cannot be left: its
/// answer settles the money, so the cashier is told to wait.
pub(in crate::core::update) fn abandon(state: &mut AppState, effects: &mut Vec<Effect>) {
    let waited = state.loyalty_requests.iter().find(|(_, p)| waits(p)).cloned();
    let Some((id, purpose)) = waited else {
        state.busy = None;
        return;
    };
    if moves_money(&purpose) {
        state.notice = Some(Notice::WaitCannotStop);
        return;
    }
    state.abandoned.push(id);
    state.busy = None;
    answer(state, purpose, Err(LoyaltyError::Abandoned), effects);
    if let Some(Dialog::LinkLost { retry }) = state.dialog.take() {
        link_lost_dialog(state, retry, Event::Command(Command::Cancel), effects);
    }
}
