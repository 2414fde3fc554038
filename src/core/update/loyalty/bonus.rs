//! Paying with bonus points: the bonus dialog (an amount up to what the
//! precheck allows), the SMS code some servers want before points are
//! spent, the payment and its distribution over the positions, the
//! cashier's cancel, and a payment in doubt — its answer lost — cancelled on
//! the server before anything else, so no client is debited twice; also the
//! cancellation queued when a receipt with points spent on it goes away.

use super::link::send;
use super::outbox::{entry, queued};
use super::show;
use super::{loyalty_mut, loyalty_of, numbers};
use crate::core::command::Command;
use crate::core::effect::Effect;
use crate::core::event::Event;
use crate::core::loyalty::{self as rl, LoyaltyError, Reply, Request, Stage, Written, slip};
use crate::core::money::Money;
use crate::core::notice::Notice;
use crate::core::notice::Said;
use crate::core::receipt::DiscountSource;
use crate::core::state::{AppState, Dialog, LoyaltyPurpose};
use crate::core::update::edit;
use crate::text;

/// Whether bonus payment is possible now, and its limit.
pub(super) fn bonus_limit(state: &AppState) -> Option<Money> {
    let receipt = state.receipt()?;
    let loyalty = receipt.loyalty.as_ref()?;
    let Stage::Calculated { available } = loyalty.stage else {
        return None;
    };
    if loyalty.bonus_blocked || !loyalty.bonus_paid.is_zero() || loyalty.is_anonymous() {
        return None;
    }
    Some(rl::bonus_limit(receipt, Some(available))).filter(|l| !l.is_zero())
}

/// The bonus dialog: an amount up to the limit; Tab fills in all of it.
pub(in crate::core::update) fn bonus_dialog(state: &mut AppState, mut input: String, event: Event, effects: &mut Vec<Effect>) {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::Bonus { input });
        return;
    }
    let Some(limit) = bonus_limit(state) else {
        state.dialog = Some(Dialog::Payment { input: String::new() });
        return;
    };
    match event {
        Event::Command(Command::NextField) => state.dialog = Some(Dialog::Bonus { input: limit.to_string() }),
        Event::Command(Command::Cancel) => state.dialog = Some(Dialog::Payment { input: String::new() }),
        Event::Command(Command::Confirm) => match Money::parse_positive(&input) {
            Ok(amount) if amount > limit => {
                state.notice = Some(Notice::BonusTooMuch { limit });
                state.dialog = Some(Dialog::Bonus { input });
            }
            Ok(amount) if state.settings.flow.spending.asks_sms_code() || loyalty_of(state).is_some_and(|l| l.spend_code) => {
                let Some(client) = loyalty_of(state).map(|l| l.client.clone()) else {
                    return;
                };
                send(
                    state,
                    LoyaltyPurpose::SendSpendCode { amount },
                    Request::SendSpendCode { client },
                    effects,
                );
            }
            Ok(amount) => pay_by_bonus(state, amount, effects),
            Err(e) => {
                state.notice = Some(Notice::BadAmount(e));
                state.dialog = Some(Dialog::Bonus { input });
            }
        },
        _ => state.dialog = Some(Dialog::Bonus { input }),
    }
}

/// The SMS code that allows spending bonuses.
pub(in crate::core::update) fn spend_code_dialog(
    state: &mut AppState,
    amount: Money,
    mut input: String,
    event: Event,
    effects: &mut Vec<Effect>,
) {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::SpendCode { amount, input });
        return;
    }
    let Some(client) = loyalty_of(state).map(|l| l.client.clone()) else {
        return;
    };
    match event {
        Event::Command(Command::Confirm) => {
            let request = Request::CheckSpendCode {
                client,
                code: input.trim().to_string(),
            };
            send(state, LoyaltyPurpose::CheckSpendCode { amount }, request, effects);
        }
        Event::Command(Command::Cancel) => state.dialog = Some(Dialog::Payment { input: String::new() }),
        _ => state.dialog = Some(Dialog::SpendCode { amount, input }),
    }
}

pub(super) fn pay_by_bonus(state: &mut AppState, amount: Money, effects: &mut Vec<Effect>) {
    let (shift, number) = numbers(state);
    let Some(receipt) = state.receipt() else { return };
    let Some(loyalty) = receipt.loyalty.as_ref() else { return };
    let document = rl::document(receipt, loyalty, shift, number, &[]);
    let request = Request::PayByBonus {
        client: loyalty.client.clone(),
        document,
        amount,
    };
    if state.settings.flow.spending.debits_at_once()
        && let Some(loyalty) = loyalty_mut(state)
    {
        loyalty.bonus_in_flight = Some(amount);
    }
    send(state, LoyaltyPurpose::PayByBonus { amount }, request, effects);
}

pub(super) fn cancel_bonus(state: &mut AppState, effects: &mut Vec<Effect>) {
    let (shift, number) = numbers(state);
    let Some(receipt) = state.receipt() else {
        state.notice = Some(Notice::NoBonusPaid);
        return;
    };
    let Some(loyalty) = receipt.loyalty.as_ref().filter(|l| !l.bonus_paid.is_zero()) else {
        state.notice = Some(Notice::NoBonusPaid);
        return;
    };
    if !receipt.payments.is_empty() {
        state.notice = Some(Notice::PaymentsLockReceipt);
        return;
    }
    let amount = loyalty.bonus_paid;
    let request = rl::cancellation(receipt, loyalty, shift, number, amount);
    send(state, LoyaltyPurpose::CancelBonus { amount }, request, effects);
}

/// A bonus payment whose answer was lost (the program stopped while it was
/// on its way) is cancelled on the server before anything else, so the
/// client is never debited twice. True when a cancellation was sent.
pub(in crate::core::update) fn recover(state: &mut AppState, effects: &mut Vec<Effect>) -> bool {
    recover_then(state, None, effects)
}

/// [`recover`], then (the cashier chose Retry) the payment `then_pay` sent
/// again once the server has settled the one in doubt.
pub(super) fn recover_then(state: &mut AppState, then_pay: Option<Money>, effects: &mut Vec<Effect>) -> bool {
    if !state.settings.loyalty
        || state
            .loyalty_requests
            .iter()
            .any(|(_, p)| matches!(p, LoyaltyPurpose::Recover { .. }))
    {
        return false;
    }
    let (shift, number) = numbers(state);
    let Some(receipt) = state.receipt() else { return false };
    let Some(loyalty) = receipt.loyalty.as_ref() else { return false };
    let Some(amount) = loyalty.bonus_in_flight else { return false };
    let request = rl::cancellation(receipt, loyalty, shift, number, amount);
    send(state, LoyaltyPurpose::Recover { amount, then_pay }, request, effects);
    true
}

/// The receipt is going away (cancelled, or its client removed) with a bonus
/// payment on it or in doubt: the queue cancels it on the server, so no
/// debit outlives the receipt. (Accruals and cancellations are queued;
/// spending needs the link.)
pub(in crate::core::update) fn queue_cancellation(state: &mut AppState, effects: &mut Vec<Effect>) {
    let (shift, number) = numbers(state);
    let Some(receipt) = state.durable.receipt.as_ref() else { return };
    let Some(loyalty) = receipt.loyalty.as_ref() else { return };
    let amount = Money(loyalty.bonus_paid.0 + loyalty.bonus_in_flight.unwrap_or(Money::ZERO).0);
    // Spent at once (Frontol), or written — surely, or maybe — on the server
    // (MaxBonus's rollback; a write is done before a close that may still
    // fail). Elsewhere nothing was spent: an unconfirmed move counts for nothing.
    let debited = state.settings.flow.spending.debits_at_once() && !amount.is_zero();
    if !debited && loyalty.written == Written::No {
        return;
    }
    let request = rl::cancellation(receipt, loyalty, shift, number, amount);
    let queued_entry = entry(state, state.durable.next_outgoing, request);
    state.durable.next_outgoing += 1;
    if let Some(loyalty) = loyalty_mut(state) {
        loyalty.bonus_in_flight = None;
        loyalty.bonus_paid = Money::ZERO;
        loyalty.written = Written::No;
    }
    let entries = vec![queued_entry];
    queued(state, &entries);
    // `update` gives this the final state, so both land in one transaction.
    effects.push(Effect::Enqueue {
        entries,
        state: Box::default(),
    });
}

/// An answer settles a bonus payment in doubt; no answer (a timeout may
/// come after the server debited) leaves it in doubt, to be cancelled.
pub(in crate::core::update) fn settle_in_doubt(state: &mut AppState, purpose: &LoyaltyPurpose, result: &Result<Reply, LoyaltyError>) {
    if matches!(purpose, LoyaltyPurpose::PayByBonus { .. } | LoyaltyPurpose::Recover { .. })
        && !result.as_ref().is_err_and(LoyaltyError::unanswered)
        && let Some(loyalty) = loyalty_mut(state)
    {
        loyalty.bonus_in_flight = None;
    }
}

/// The SMS code that allows spending went out: the cashier types it next.
pub(in crate::core::update) fn spend_code_sent(state: &mut AppState, amount: Money, result: Result<Reply, LoyaltyError>) {
    match result {
        Ok(_) => {
            state.notice = Some(Notice::CodeSent);
            state.dialog = Some(Dialog::SpendCode {
                amount,
                input: String::new(),
            });
        }
        Err(error) => {
            state.notice = Some(Notice::LoyaltyAnswer(error));
            state.dialog = Some(Dialog::Bonus { input: String::new() });
        }
    }
}

/// The SMS code checked: the payment goes, or the code is typed again.
pub(in crate::core::update) fn spend_code_checked(
    state: &mut AppState,
    amount: Money,
    result: Result<Reply, LoyaltyError>,
    effects: &mut Vec<Effect>,
) {
    match result {
        Ok(_) => pay_by_bonus(state, amount, effects),
        Err(error) => {
            state.notice = Some(Notice::LoyaltyAnswer(error));
            state.dialog = Some(Dialog::SpendCode {
                amount,
                input: String::new(),
            });
        }
    }
}

/// A bonus payment (step 19): applied, in doubt (Retry or Continue), or refused.
pub(super) fn paid_by_bonus(state: &mut AppState, amount: Money, result: Result<Reply, LoyaltyError>, effects: &mut Vec<Effect>) {
    match result {
        Ok(reply) => apply_bonus(state, amount, reply, effects),
        Err(e) if e.unanswered() => {
            state.dialog = Some(Dialog::LinkLost {
                retry: LoyaltyPurpose::PayByBonus { amount },
            })
        }
        Err(refusal) => {
            // Everything from the precheck is dropped; a new subtotal asks again.
            if let Some(receipt) = state.durable.receipt.as_mut() {
                rl::forget(receipt, DiscountSource::Loyalty);
                if let Some(loyalty) = receipt.loyalty.as_mut() {
                    loyalty.stage = Stage::Pending;
                }
            }
            state.dialog = Some(Dialog::Message {
                blocks: vec![Said::LoyaltyError(refusal)],
                then: None,
            });
        }
    }
}

fn apply_bonus(state: &mut AppState, amount: Money, reply: Reply, effects: &mut Vec<Effect>) {
    let Some(receipt) = state.durable.receipt.as_mut() else { return };
    let shares = match &reply.distribution {
        None => Some(rl::own_distribution(receipt, amount)),
        Some(distribution) => rl::check_distribution(receipt, distribution),
    };
    match shares {
        Some(shares) => {
            let paid = rl::apply_bonus(receipt, &shares);
            if let Some(loyalty) = receipt.loyalty.as_mut() {
                loyalty.bonus_paid = paid;
            }
            state.notice = Some(Notice::BonusPaid(paid));
            show(state, reply, Some(Dialog::Payment { input: String::new() }), effects);
        }
        None => {
            // Not applied, and blocked for the receipt. The spec leaves undoing
            // the write-off to staff; kassa queues its cancellation instead
            // (resent until answered), so no debit outlives the receipt.
            if let Some(loyalty) = receipt.loyalty.as_mut() {
                loyalty.bonus_blocked = true;
                loyalty.bonus_in_flight = Some(amount);
            }
            queue_cancellation(state, effects);
            let lines = text::bad_distribution_slip(amount);
            let mut with_emergency = reply;
            with_emergency.slips.push(slip::emergency(&lines));
            let first = vec![Said::BadDistribution(amount)];
            super::show_window_after(
                state,
                first,
                with_emergency,
                Some(Dialog::Payment { input: String::new() }),
                effects,
            );
        }
    }
}

/// The cashier's cancel of a bonus payment.
pub(super) fn bonus_cancelled(state: &mut AppState, amount: Money, result: Result<Reply, LoyaltyError>, effects: &mut Vec<Effect>) {
    match result {
        Ok(reply) => {
            bonus_off(state);
            state.notice = Some(Notice::BonusCancelled(amount));
            show(state, reply, None, effects);
        }
        // "Not found" after our cancel: the server holds no such payment — cancelled.
        Err(LoyaltyError::NothingToUndo { .. }) => {
            bonus_off(state);
            state.notice = Some(Notice::BonusCancelled(amount));
        }
        // No answer: the server may have cancelled it. The cancellation goes
        // to the queue (resent until answered; "not found" ends it) and the
        // payment comes off the receipt, so it is never confirmed again.
        Err(e) if e.unanswered() => {
            queue_cancellation(state, effects);
            bonus_off(state);
            state.notice = Some(Notice::BonusCancelQueued(amount));
        }
        Err(error) => {
            state.dialog = Some(Dialog::Message {
                blocks: vec![Said::BonusNotCancelled, Said::LoyaltyError(error)],
                then: None,
            });
        }
    }
}

/// The bonus payment comes off the receipt (cancelled, or its cancellation queued).
fn bonus_off(state: &mut AppState) {
    if let Some(receipt) = state.durable.receipt.as_mut() {
        rl::forget(receipt, DiscountSource::Bonus);
        if let Some(loyalty) = receipt.loyalty.as_mut() {
            loyalty.bonus_paid = Money::ZERO;
        }
    }
}

/// The cancel of a bonus payment in doubt; then, if the cashier chose
/// Retry, the payment really sent again.
pub(in crate::core::update) fn recovered(
    state: &mut AppState,
    amount: Money,
    then_pay: Option<Money>,
    result: Result<Reply, LoyaltyError>,
    effects: &mut Vec<Effect>,
) {
    match (result, then_pay) {
        // Still in doubt: the cashier may retry again or go on without paying by bonus.
        (Err(e), Some(again)) if e.unanswered() => {
            state.dialog = Some(Dialog::LinkLost {
                retry: LoyaltyPurpose::PayByBonus { amount: again },
            })
        }
        (Err(e), None) if e.unanswered() => state.notice = Some(Notice::LostBonusInDoubt(amount)),
        // Cancelled, or refused (the server never took that payment): settled.
        (result, then_pay) => {
            if result.is_ok() {
                state.notice = Some(Notice::LostBonusCancelled(amount));
            }
            if let Some(again) = then_pay {
                pay_by_bonus(state, again, effects);
            }
        }
    }
}
