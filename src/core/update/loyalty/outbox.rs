//! After closing: the durable queue of confirmations and cancellations,
//! what is queued for a closed receipt, and how a send's outcome moves it.

use super::LoyaltyPurpose;
use super::link::send;
use crate::core::effect::Effect;
use crate::core::journal::ClosedReceipt;
use crate::core::loyalty::slip;
use crate::core::loyalty::{self as rl, Stage, Written};
use crate::core::loyalty::{LoyaltyError, Reply, Request};
use crate::core::money::Money;
use crate::core::notice::Notice;
use crate::core::notice::Said;
use crate::core::queue::{Outcome, QueueChange, QueueEntry, next_attempt};
use crate::core::state::{AppState, Dialog};
use crate::core::update::printing;
use crate::text;

pub(super) fn entry(state: &AppState, id: u64, request: Request) -> QueueEntry {
    QueueEntry {
        id,
        provider: state.settings.flow.provider.clone(),
        request,
        created: state.now,
        attempts: 0,
        last_error: None,
        next_attempt: None,
    }
}

/// What to queue when `closed` had loyalty: the cancellation of a bonus
/// payment still in doubt (so the server drops a debit the receipt never
/// took), then the confirmation. Ids start at `first_id`.
pub(in crate::core::update) fn queue_for(state: &AppState, closed: &ClosedReceipt, first_id: u64) -> Vec<QueueEntry> {
    let Some(loyalty) = closed.receipt.loyalty.as_ref().filter(|_| state.settings.loyalty) else {
        return Vec::new();
    };
    let (shift, number) = (closed.id.shift, closed.id.number);
    // Refused after a write in doubt (MaxBonus): the server may hold a check this receipt is not.
    if matches!(loyalty.stage, Stage::Refused { .. }) && loyalty.written == Written::InDoubt {
        let rollback = rl::cancellation(&closed.receipt, loyalty, shift, number, Money::ZERO);
        return vec![entry(state, first_id, rollback)];
    }
    // Written before printing (MaxBonus): nothing more to send.
    if !rl::counted_by_server(&closed.receipt, &state.settings.flow) || loyalty.written == Written::Done {
        return Vec::new();
    }
    let mut requests = Vec::new();
    if let Some(amount) = loyalty.bonus_in_flight {
        requests.push(rl::cancellation(&closed.receipt, loyalty, shift, number, amount));
    }
    requests.push(rl::confirm_request(closed, loyalty));
    requests
        .into_iter()
        .zip(first_id..)
        .map(|(request, id)| entry(state, id, request))
        .collect()
}

/// The queue grew by `entries` (already on disk): keep the view current.
pub(in crate::core::update) fn queued(state: &mut AppState, entries: &[QueueEntry]) {
    state.queue.depth += entries.len();
    if state.queue.head.is_none() {
        state.queue.head = entries.first().cloned();
    }
}

/// The store refused entries (a full disk): they stay in the durable state,
/// which is saved again at the next chance, and are queued again on the next tick.
pub(in crate::core::update) fn enqueue_failed(state: &mut AppState, entries: Vec<QueueEntry>, error: crate::core::storage::StorageFailure) {
    state.durable.unqueued.extend(entries);
    state.notice = Some(Notice::SaveFailed(error.clone()));
    state.save_error = Some(error);
    // Forget what we believed was saved: the next update saves the state again.
    state.saved = Default::default();
}

/// Queues again what the store refused before.
pub(in crate::core::update) fn requeue(state: &mut AppState, effects: &mut Vec<Effect>) {
    if state.durable.unqueued.is_empty() {
        return;
    }
    let entries = std::mem::take(&mut state.durable.unqueued);
    // `update` gives this the final state (without them) in the same transaction.
    effects.push(Effect::Enqueue {
        entries,
        state: Box::default(),
    });
}

/// Sends the next queue entry when its time has come, unless one is on its way.
pub(in crate::core::update) fn drain(state: &mut AppState, effects: &mut Vec<Effect>) {
    if !state.settings.loyalty
        || state
            .loyalty_requests
            .iter()
            .any(|(_, p)| matches!(p, LoyaltyPurpose::Confirm { .. }))
    {
        return;
    }
    let Some(head) = state.queue.head.as_ref() else { return };
    if head.next_attempt.is_some_and(|at| state.now < at) {
        return;
    }
    let (id, request) = (head.id, head.request.clone());
    send(state, LoyaltyPurpose::Confirm { outgoing: id }, request, effects);
}

/// Send the queue now, without waiting for the backoff (the queue screen,
/// the support CLI, closing the shift).
pub(in crate::core::update) fn send_now(state: &mut AppState, effects: &mut Vec<Effect>) {
    if let Some(head) = state.queue.head.as_mut() {
        head.next_attempt = None;
    }
    drain(state, effects);
}

/// What the store did to the queue, taken in (the caller then refreshes the
/// queue screen and lets the next entry go).
pub(in crate::core::update) fn on_queue_changed(state: &mut AppState, change: QueueChange) {
    state.queue.head = change.head;
    state.queue.depth = state.queue.depth.saturating_sub(change.gone);
    state.queue.rejected += change.archived;
    if change.set_aside > 0 {
        state.notice = Some(Notice::QueueEntriesSetAside(change.set_aside));
    }
    if let Some(error) = change.error {
        // The store still holds what it could not update: wait before sending it again.
        state.notice = Some(Notice::SaveFailed(error));
        if let Some(head) = state.queue.head.as_mut() {
            head.next_attempt = Some(next_attempt(state.now, head.id, head.attempts.max(1)));
        }
    }
}

pub(in crate::core::update) fn on_confirmed(
    state: &mut AppState,
    outgoing: u64,
    result: Result<Reply, LoyaltyError>,
    effects: &mut Vec<Effect>,
) {
    let Some(head) = state.queue.head.clone().filter(|h| h.id == outgoing) else {
        return;
    };
    // A resend happens while the cashier does something else: it must not
    // pop up over their work, so its news is a notice. So is a cancellation.
    let cancellation = matches!(head.request, Request::CancelBonusPayment { .. });
    let background = head.attempts > 0 || cancellation;
    let then = state.dialog.clone().map(Box::new);
    // A cancellation the server has nothing left for is done; KilBil keeps a
    // refused confirmation among the unsent receipts (its table), to resend.
    let result = match result {
        Err(LoyaltyError::NothingToUndo { .. }) if cancellation => Ok(Reply::default()),
        Err(LoyaltyError::Refused { text }) if state.settings.flow.link_loss.refusal_means_offline() => Err(LoyaltyError::Link(text)),
        other => other,
    };
    match result {
        Ok(reply) => {
            effects.push(Effect::QueueDone {
                id: outgoing,
                outcome: Outcome::Sent,
            });
            state.queue.head = None;
            for one in &reply.slips {
                printing::print(state, slip::to_document(one), effects);
            }
            if background {
                state.notice = Some(Notice::QueuedSent);
            } else if !reply.messages.is_empty() {
                // Shown under the receipt, as the precheck's (see `loyalty::show`):
                // the next customer's first scan goes on without an Enter.
                state.loyalty_note = reply.messages;
            }
        }
        Err(error) if error.unanswered() => {
            let reason = text::loyalty_error(&error);
            let attempts = head.attempts + 1;
            let next_attempt = next_attempt(state.now, outgoing, attempts);
            effects.push(Effect::QueueDone {
                id: outgoing,
                outcome: Outcome::Retry {
                    attempts,
                    error: reason.clone(),
                    next_attempt,
                },
            });
            if let Some(h) = state.queue.head.as_mut() {
                h.attempts = attempts;
                h.last_error = Some(reason);
                h.next_attempt = Some(next_attempt);
            }
            state.notice = Some(Notice::ConfirmQueued);
            if attempts == 1 && !cancellation && state.settings.flow.link_loss.asks() {
                // The first failure for this receipt: an emergency slip for the
                // customer and a message for the cashier, once.
                let document = slip::to_document(&slip::emergency(&text::offline_accrual_slip()));
                printing::print(state, document, effects);
                state.dialog = Some(Dialog::Message {
                    blocks: vec![Said::Notice(Box::new(Notice::ConfirmQueued))],
                    then,
                });
            }
        }
        Err(refusal) => {
            // Never silently dropped: the entry moves to the rejected archive with the server's text.
            let text = text::loyalty_error(&refusal);
            effects.push(Effect::QueueDone {
                id: outgoing,
                outcome: Outcome::Rejected {
                    text: text.clone(),
                    at: state.now,
                },
            });
            state.queue.head = None;
            if cancellation {
                // The server never took the doubtful payment: nothing to undo.
                return;
            }
            let lines = text::refused_confirm_slip(&text);
            printing::print(state, slip::to_document(&slip::emergency(&lines)), effects);
            if background {
                state.notice = Some(Notice::QueuedRefused(text));
            } else {
                state.dialog = Some(Dialog::Message {
                    blocks: vec![Said::ConfirmRefused, Said::LoyaltyError(refusal.clone())],
                    then,
                });
            }
        }
    }
}
