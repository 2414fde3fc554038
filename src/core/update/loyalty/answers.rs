//! Answers of the loyalty server: each request's answer, by what it was
//! for, applied to the receipt (the spec's failure branches included).

use super::certificate::certificate_answer;
use super::link::{go_offline, light_the_lamp, probed, waits};
use super::outbox::{drain, on_confirmed};
use super::{bonus, calculation, new_client};
use super::{loyalty_mut, receipt_offline, set_client};
use crate::core::effect::Effect;
use crate::core::loyalty::slip;
use crate::core::loyalty::{ClientId, LoyaltyError, Reply, TextBlock};
use crate::core::notice::Notice;
use crate::core::state::{AppState, Busy, Dialog, LoyaltyPurpose};
use crate::core::update::{close, printing};
use crate::text;

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

/// A request's answer (or the failure decided here: not sent, abandoned)
/// applied by what it was for.
pub(super) fn answer(state: &mut AppState, purpose: LoyaltyPurpose, result: Result<Reply, LoyaltyError>, effects: &mut Vec<Effect>) {
    let was_down = state.link == Some(false);
    light_the_lamp(state, &purpose, &result);
    // An answer settles a bonus payment in doubt; no answer (a timeout may
    // come after the server debited) leaves it in doubt, to be cancelled.
    if matches!(purpose, LoyaltyPurpose::PayByBonus { .. } | LoyaltyPurpose::Recover { .. })
        && !result.as_ref().is_err_and(LoyaltyError::unanswered)
        && let Some(loyalty) = loyalty_mut(state)
    {
        loyalty.bonus_in_flight = None;
    }
    match purpose {
        LoyaltyPurpose::Probe => probed(state, result),
        LoyaltyPurpose::Confirm { outgoing } => on_confirmed(state, outgoing, result, effects),
        LoyaltyPurpose::Write { contact } => close::written(state, contact, result, effects),
        purpose @ (LoyaltyPurpose::Calculate
        | LoyaltyPurpose::PayByBonus { .. }
        | LoyaltyPurpose::CancelBonus { .. }
        | LoyaltyPurpose::Recalculate { .. }
        | LoyaltyPurpose::ReturnCheck) => calculation::calculated(state, purpose, result, effects),
        LoyaltyPurpose::Recover { amount, then_pay } => bonus::recovered(state, amount, then_pay, result, effects),
        purpose => client_form_answer(state, purpose, result, effects),
    }
    if !state.settings.flow.ask_on_link_loss && !was_down && state.link == Some(false) {
        // The cashier is told once, at the first failure; the lamp stays red until a request succeeds.
        state.dialog = Some(Dialog::Message {
            blocks: vec![TextBlock::plain(text::LINK_DOWN_MESSAGE)],
            then: state.dialog.take().map(Box::new),
        });
    }
    // After any answer: the queue's next entry may be due (e.g. the link came back).
    drain(state, effects);
}

/// Answers of the client form: identification, registration, SMS codes,
/// the chat bot, certificates and the balance enquiry. Their failures show
/// on the info line or in a message.
fn client_form_answer(state: &mut AppState, purpose: LoyaltyPurpose, result: Result<Reply, LoyaltyError>, effects: &mut Vec<Effect>) {
    match (purpose, result) {
        (LoyaltyPurpose::Identify { client }, result) => identify_answer(state, client, result),
        (LoyaltyPurpose::Register { phone, profile }, result) => new_client::register_answer(state, phone, profile, result),
        (LoyaltyPurpose::ConfirmRegistration { phone, profile }, result) => new_client::confirm_answer(state, phone, profile, result),
        (LoyaltyPurpose::ResendCode { phone, profile }, result) => new_client::resend_answer(state, phone, profile, result),
        (LoyaltyPurpose::SendSpendCode { amount }, result) => bonus::spend_code_sent(state, amount, result),
        (LoyaltyPurpose::CheckSpendCode { amount }, result) => bonus::spend_code_checked(state, amount, result, effects),
        (LoyaltyPurpose::ChatBot, Ok(_)) => state.notice = Some(Notice::ChatBotSent),
        (LoyaltyPurpose::ChatBot, Err(error)) => state.notice = Some(Notice::LoyaltyAnswer(text::loyalty_error(&error))),
        (LoyaltyPurpose::CertificateInfo, result) => certificate_answer(state, result),
        (LoyaltyPurpose::ClientInfo, Ok(reply)) => show_window(state, reply, None, effects),
        (LoyaltyPurpose::ClientInfo, Err(error)) => {
            state.dialog = Some(Dialog::Message {
                blocks: vec![TextBlock::plain(text::loyalty_error(&error))],
                then: None,
            })
        }
        // Every other purpose is answered above (see `on_replied`).
        _ => {}
    }
}

fn identify_answer(state: &mut AppState, client: ClientId, result: Result<Reply, LoyaltyError>) {
    match result {
        Ok(reply) => identified(state, client, &reply),
        // No link, and the receipt will be confirmed later anyway (ProBonus): keep the client for the accrual.
        Err(e) if e.is_link() && state.settings.flow.confirm_offline => {
            if !receipt_offline(state) {
                set_client(state, client);
            }
            go_offline(state);
            state.notice = Some(Notice::OfflineAccrualOnly);
        }
        Err(error) => state.notice = Some(Notice::LoyaltyAnswer(text::loyalty_error(&error))),
    }
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
