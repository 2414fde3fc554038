//! The link to the loyalty server: how a request is sent — or, while the
//! lamp is red, answered at once as no link —, which requests the cashier
//! waits for and which of those Esc may end, the lamp each answer lights,
//! the probe that checks the link, a receipt going offline, and the window
//! that offers Retry or Continue when the link is lost. Every feature sends
//! through [`send`]; what an answer means for the receipt is the feature's own.

use super::bonus::{pay_by_bonus, recover_then};
use super::calculation::calculate_as;
use super::{in_flight, loyalty_mut};
use crate::core::command::Command;
use crate::core::effect::Effect;
use crate::core::event::Event;
use crate::core::loyalty::{self as rl, ClientId, LinkCheck, LoyaltyError, Reply, Request, Stage};
use crate::core::money::Money;
use crate::core::notice::Notice;
use crate::core::notice::Said;
use crate::core::receipt::DiscountSource;
use crate::core::state::{AppState, Busy, Dialog, LoyaltyPurpose};

/// Sends `request` and remembers what it is for. While the lamp is red, a
/// calculation or a client lookup is not sent: it is answered as no link
/// at once (see [`answer_unsent`]), so the receipt goes on as each protocol
/// goes on without the link, and nobody waits on a server known to be down.
pub(in crate::core::update) fn send(state: &mut AppState, purpose: LoyaltyPurpose, request: Request, effects: &mut Vec<Effect>) {
    let even_if_down = false;
    send_as(state, purpose, request, even_if_down, effects);
}

/// Requests not sent while the lamp is red: those that only read or
/// calculate, whose failure each protocol turns into working offline.
/// Money-moving requests keep their own rules.
fn skipped_when_down(purpose: &LoyaltyPurpose) -> bool {
    use LoyaltyPurpose::*;
    matches!(purpose, Calculate | Identify { .. } | Recalculate { .. } | ReturnCheck)
}

/// [`send`]; `even_if_down`: the cashier asked for it (Retry), lamp or not.
pub(super) fn send_as(state: &mut AppState, purpose: LoyaltyPurpose, request: Request, even_if_down: bool, effects: &mut Vec<Effect>) {
    if !even_if_down && state.link == Some(false) && skipped_when_down(&purpose) {
        let id = state.next_request;
        state.next_request += 1;
        state.loyalty_requests.push((id, purpose));
        state.unsent.push_back(id);
        return;
    }
    let carries_document = matches!(
        request,
        Request::Calculate { .. } | Request::PayByBonus { .. } | Request::CancelBonusPayment { .. }
    );
    if carries_document
        && !matches!(purpose, LoyaltyPurpose::Confirm { .. })
        && let Some(receipt) = state.durable.receipt.as_mut()
    {
        receipt.number_sent = true;
    }
    let id = state.next_request;
    state.next_request += 1;
    if waits(&purpose) {
        state.busy = Some(Busy::Loyalty);
    }
    state.loyalty_requests.push((id, purpose));
    effects.push(Effect::Loyalty {
        id,
        request: Box::new(request),
        at: state.now,
    });
}

/// Requests the cashier waits for (input is held until they answer).
pub(in crate::core::update) fn waits(purpose: &LoyaltyPurpose) -> bool {
    use LoyaltyPurpose::*;
    match purpose {
        Calculate | PayByBonus { .. } | CancelBonus { .. } | Recover { .. } | Identify { .. } | ReturnCheck => true,
        Register { .. } | ConfirmRegistration { .. } | ResendCode { .. } | SendSpendCode { .. } | CheckSpendCode { .. } => true,
        ChatBot | CertificateInfo | Write { .. } => true,
        ClientInfo | Confirm { .. } | Probe | Recalculate { .. } => false,
    }
}

/// Requests of the client form: their failures show on the info line and,
/// where the cashier is told once per outage and an offline receipt sends
/// nothing (KilBil's table), leave the lamp alone.
fn client_form(purpose: &LoyaltyPurpose) -> bool {
    use LoyaltyPurpose::*;
    matches!(
        purpose,
        ClientInfo
            | Identify { .. }
            | Register { .. }
            | ConfirmRegistration { .. }
            | ResendCode { .. }
            | SendSpendCode { .. }
            | CheckSpendCode { .. }
            | ChatBot
            | CertificateInfo
    )
}

/// Requests that calculate the receipt (KilBil's processsale and getdetailingbymove).
fn calculation(purpose: &LoyaltyPurpose) -> bool {
    use LoyaltyPurpose::*;
    matches!(
        purpose,
        Calculate | PayByBonus { .. } | CancelBonus { .. } | Recalculate { .. } | ReturnCheck
    )
}

/// The link lamp after an answer: green when the server answered, red when it
/// did not (and, by KilBil's table, when processsale, getdetailingbymove or
/// confirmsale failed at all); KilBil's client form leaves it alone.
pub(in crate::core::update) fn light_the_lamp(state: &mut AppState, purpose: &LoyaltyPurpose, result: &Result<Reply, LoyaltyError>) {
    if result.as_ref().is_err_and(LoyaltyError::local) {
        // Nothing went out (or nothing was heard yet): the link is as it was.
        return;
    }
    let flow = &state.settings.flow;
    let offline_on_refusal = flow.link_loss.refusal_means_offline();
    let link_failed = match (purpose, result) {
        // The probe: by KilBil's table any negative answer means no link;
        // elsewhere (the background probe) any answer shows the server is there.
        (LoyaltyPurpose::Probe, result) if offline_on_refusal => result.is_err(),
        (LoyaltyPurpose::Probe, result) => result.as_ref().is_err_and(LoyaltyError::unanswered),
        // A sale not found for a return is an answer, not a lost link.
        (LoyaltyPurpose::ReturnCheck, Err(LoyaltyError::Refused { .. })) => false,
        (LoyaltyPurpose::Confirm { .. }, Err(LoyaltyError::Refused { .. })) if offline_on_refusal => true,
        (purpose, Err(_)) if offline_on_refusal && calculation(purpose) => true,
        // The client form only reads: an answer it cannot read is no lost link.
        (purpose, result) if client_form(purpose) => result.as_ref().is_err_and(LoyaltyError::is_link),
        (_, result) => result.as_ref().is_err_and(LoyaltyError::unanswered),
    };
    let lamp_stays = link_failed && !flow.link_loss.confirms_offline() && client_form(purpose);
    let was_down = state.link == Some(false);
    if !lamp_stays {
        state.link = Some(!link_failed);
    }
    if !was_down && state.link == Some(false) {
        // Red from now: the background probe goes in a while, on the clock.
        state.next_probe = Some(state.now + PROBE_EVERY);
    }
    if was_down && state.link == Some(true) {
        // The link is back: the queue goes now, not when its backoff ends.
        if let Some(head) = state.queue.head.as_mut() {
            head.next_attempt = None;
        }
    }
}

/// Where the protocol has no Retry/Continue window: the cashier is told
/// once, at the first failure (`was_down`: the lamp before the answer); the
/// lamp stays red until a request succeeds.
pub(in crate::core::update) fn tell_link_down(state: &mut AppState, was_down: bool) {
    if !state.settings.flow.link_loss.asks() && !was_down && state.link == Some(false) {
        state.dialog = Some(Dialog::Message {
            blocks: vec![Said::LinkDown],
            then: state.dialog.take().map(Box::new),
        });
    }
}

/// No link for this receipt (KilBil): it goes on without loyalty. Nothing
/// was spent or confirmed on the server, so nothing of it stays.
pub(in crate::core::update) fn go_offline(state: &mut AppState) {
    let Some(receipt) = state.durable.receipt.as_mut() else { return };
    receipt.link = LinkCheck::Down;
    if let Some(loyalty) = receipt.loyalty.as_mut() {
        loyalty.bonus_paid = Money::ZERO;
        loyalty.bonus_in_flight = None;
        rl::forget(receipt, DiscountSource::Loyalty);
        rl::forget(receipt, DiscountSource::Bonus);
    }
    state.notice = Some(Notice::LoyaltyOffline);
}

/// The link probe (KilBil), unless one is on its way.
pub(in crate::core::update) fn probe(state: &mut AppState, effects: &mut Vec<Effect>) {
    if state.settings.loyalty && state.settings.flow.link_loss.probes() && !in_flight(state, |p| *p == LoyaltyPurpose::Probe) {
        send(state, LoyaltyPurpose::Probe, Request::CheckLink, effects);
    }
}

/// How often the lamp, while red, is checked in the background.
pub const PROBE_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// KilBil's probe phone (`searchclient` for 70000000000); the others are
/// asked for the same phone's client: any answer, "not found" included,
/// shows the server is there.
const PROBE_PHONE: &str = "70000000000";

/// On the clock, while the lamp is red: a cheap request every
/// [`PROBE_EVERY`], one at a time; its answer lights the lamp.
pub(in crate::core::update) fn probe_while_down(state: &mut AppState, effects: &mut Vec<Effect>) {
    if !state.settings.loyalty || state.link != Some(false) {
        state.next_probe = None;
        return;
    }
    let now = state.now;
    let due = state.next_probe.is_none_or(|at| now >= at);
    // Any request on its way (a queued confirmation's retry) tells the lamp too.
    if !due || !state.loyalty_requests.is_empty() {
        return;
    }
    state.next_probe = Some(now + PROBE_EVERY);
    let request = if state.settings.flow.link_loss.probes() {
        Request::CheckLink
    } else {
        Request::ClientInfo {
            client: ClientId::Phone(PROBE_PHONE.into()),
            history: false,
        }
    };
    send(state, LoyaltyPurpose::Probe, request, effects);
}

/// The link probe at a receipt's start (KilBil).
pub(in crate::core::update) fn probed(state: &mut AppState, result: Result<Reply, LoyaltyError>) {
    if let Some(receipt) = state.durable.receipt.as_mut().filter(|r| r.link == LinkCheck::Unchecked) {
        match result {
            Ok(_) => receipt.link = LinkCheck::Up,
            // The same as losing the link later in the receipt.
            Err(_) => go_offline(state),
        }
    }
}

/// Waits whose answer settles money: Esc cannot end them.
pub(in crate::core::update) fn moves_money(purpose: &LoyaltyPurpose) -> bool {
    use LoyaltyPurpose::*;
    matches!(purpose, PayByBonus { .. } | CancelBonus { .. } | Recover { .. } | Write { .. })
}

/// Whether the cashier can end the present wait with `cancel` (the screen says so).
pub fn wait_can_stop(state: &AppState) -> bool {
    state.busy == Some(Busy::Loyalty)
        && state
            .loyalty_requests
            .iter()
            .find(|(_, p)| waits(p))
            .is_some_and(|(_, p)| !moves_money(p))
}

/// No link: Enter retries the request, Esc goes on without bonus payment.
pub(in crate::core::update) fn link_lost_dialog(state: &mut AppState, retry: LoyaltyPurpose, event: Event, effects: &mut Vec<Effect>) {
    match event {
        Event::Command(Command::Confirm) => match retry {
            LoyaltyPurpose::PayByBonus { amount } => {
                // The spec's step 19 again: a payment that may have gone through
                // is cancelled first, then this one is really sent again.
                if !recover_then(state, Some(amount), effects) {
                    pay_by_bonus(state, amount, effects);
                }
            }
            _ => calculate_as(state, true, effects),
        },
        Event::Command(Command::Cancel) => {
            if let Some(loyalty) = loyalty_mut(state) {
                loyalty.stage = Stage::Offline;
            }
            // After a failed precheck there is nothing to keep; after a failed
            // bonus payment the precheck's discounts stay: only the payment goes.
            if retry == LoyaltyPurpose::Calculate
                && let Some(receipt) = state.durable.receipt.as_mut()
            {
                rl::forget(receipt, DiscountSource::Loyalty);
            }
            state.notice = Some(Notice::OfflineAccrualOnly);
            state.dialog = Some(Dialog::Payment { input: String::new() });
        }
        _ => state.dialog = Some(Dialog::LinkLost { retry }),
    }
}
