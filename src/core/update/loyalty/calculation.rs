//! The receipt calculated by the loyalty server: the precheck at the
//! subtotal (earlier loyalty discounts forgotten, the answer's discounts
//! applied within the minimum prices, a validation code typed first where
//! the server asks for one), KilBil's recalculation of a changed receipt in
//! the background and its check of a return against the sale, and what
//! every calculating answer shares — a bonus payment's and its cancel's
//! included: without Retry or Continue, a failure takes the receipt offline.

use super::bonus::{self, bonus_limit, recover};
use super::client::attach_anonymous;
use super::link::{go_offline, probe, send, send_as};
use super::show;
use super::{in_flight, loyalty_mut, loyalty_of, numbers, receipt_offline};
use crate::core::command::Command;
use crate::core::effect::Effect;
use crate::core::event::Event;
use crate::core::loyalty::{self as rl, ClientId, Document, LinkCheck, LoyaltyError, ReceiptLoyalty, Reply, Request, Stage};
use crate::core::money::Money;
use crate::core::notice::Notice;
use crate::core::notice::Said;
use crate::core::receipt::DiscountSource;
use crate::core::state::{AppState, Dialog, LoyaltyPurpose};
use crate::core::update::edit;
use crate::text;

/// The subtotal with a loyalty client: the precheck when due (its answer
/// then opens the bonus dialog or the payment), or the bonus dialog when
/// asked for. True when loyalty took over; false to go on to the payment.
pub(in crate::core::update) fn subtotal(state: &mut AppState, bonus_asked: bool, effects: &mut Vec<Effect>) -> bool {
    if state.receipt().is_some_and(|r| !r.positions.is_empty()) {
        attach_anonymous(state);
    }
    let Some(stage) = loyalty_of(state).filter(|_| state.settings.loyalty).map(|l| l.stage.clone()) else {
        if bonus_asked {
            state.notice = Some(Notice::BonusNotAvailable);
        }
        return bonus_asked;
    };
    if state.receipt().is_some_and(|r| r.is_return() || r.positions.is_empty()) {
        return false;
    }
    if recover(state, effects) {
        return true;
    }
    if receipt_offline(state) {
        if bonus_asked {
            state.notice = Some(Notice::LoyaltyOffline);
        }
        return bonus_asked;
    }
    match stage {
        Stage::Refused { text } => state.notice = Some(Notice::LoyaltyRefused(text)),
        Stage::Pending => calculate(state, effects),
        Stage::Calculated { .. } if bonus_asked && loyalty_of(state).is_some_and(ReceiptLoyalty::is_anonymous) => {
            state.notice = Some(Notice::AnonymousNoBonus)
        }
        Stage::Calculated { .. } if bonus_asked => match bonus_limit(state) {
            Some(_) => state.dialog = Some(Dialog::Bonus { input: String::new() }),
            None => state.notice = Some(Notice::BonusNotAvailable),
        },
        Stage::Offline if bonus_asked => state.notice = Some(Notice::OfflineAccrualOnly),
        // Calculated already (in the background for KilBil, or before a restart
        // or an Esc): the points are offered again right before payment.
        Stage::Calculated { .. } => state.dialog = Some(after_precheck(state)),
        Stage::Offline | Stage::Return => return false,
    }
    true
}

/// The precheck: earlier loyalty discounts are forgotten first.
fn calculate(state: &mut AppState, effects: &mut Vec<Effect>) {
    calculate_as(state, false, effects);
}

/// [`calculate`]; `even_if_down`: sent whatever the lamp says (the cashier chose Retry).
pub(super) fn calculate_as(state: &mut AppState, even_if_down: bool, effects: &mut Vec<Effect>) {
    let (shift, number) = numbers(state);
    let Some(receipt) = state.durable.receipt.as_mut() else { return };
    rl::forget(receipt, DiscountSource::Loyalty);
    receipt.recalculate();
    let Some(loyalty) = receipt.loyalty.as_ref() else { return };
    let document = rl::document(receipt, loyalty, shift, number, &[]);
    let request = Request::Calculate {
        client: loyalty.client.clone(),
        document,
    };
    send_as(state, LoyaltyPurpose::Calculate, request, even_if_down, effects);
}

/// After the precheck: the bonus dialog when bonuses can pay, else the payment.
fn after_precheck(state: &AppState) -> Dialog {
    match bonus_limit(state) {
        Some(_) => Dialog::Bonus { input: String::new() },
        None => Dialog::Payment { input: String::new() },
    }
}

/// A typed validation code: the held precheck answer applies once it matches.
pub(in crate::core::update) fn validation_dialog(
    state: &mut AppState,
    reply: Box<Reply>,
    mut input: String,
    event: Event,
    effects: &mut Vec<Effect>,
) {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::ValidationCode { reply, input });
        return;
    }
    match event {
        // Cancel: back to before the subtotal; nothing of the answer applies.
        Event::Command(Command::Cancel) => {}
        Event::Command(Command::Confirm) => {
            let expected = reply.client.as_ref().and_then(|c| c.validation_code.clone()).unwrap_or_default();
            if input.trim() == expected {
                apply_precheck(state, *reply, effects);
            } else {
                state.notice = Some(Notice::WrongValidationCode);
                state.dialog = Some(Dialog::ValidationCode {
                    reply,
                    input: String::new(),
                });
            }
        }
        _ => state.dialog = Some(Dialog::ValidationCode { reply, input }),
    }
}

/// The receipt changed: what the precheck said no longer holds.
pub(in crate::core::update) fn invalidate(state: &mut AppState) {
    let Some(receipt) = state.durable.receipt.as_mut() else { return };
    let Some(loyalty) = receipt.loyalty.as_mut() else { return };
    if matches!(loyalty.stage, Stage::Calculated { .. }) {
        loyalty.stage = Stage::Pending;
        rl::forget(receipt, DiscountSource::Loyalty);
    }
}

/// After every event (KilBil): probe a new receipt's link, recalculate a
/// changed receipt in the background, check a return against its sale.
pub(in crate::core::update) fn background(state: &mut AppState, effects: &mut Vec<Effect>) {
    if !state.settings.loyalty || state.busy.is_some() {
        return;
    }
    let flow = state.settings.flow.clone();
    let Some(receipt) = state.receipt() else { return };
    if flow.link_loss.probes() && receipt.link == LinkCheck::Unchecked {
        // Also with the lamp red («searchklient — начало чека при отсутствии
        // связи»): nobody waits on it, and a client lookup meanwhile is
        // answered as no link at once.
        probe(state, effects);
        return;
    }
    let Some(loyalty) = receipt.loyalty.as_ref().filter(|_| receipt.link != LinkCheck::Down) else {
        return;
    };
    let calculating = |p: &LoyaltyPurpose| {
        use LoyaltyPurpose::*;
        matches!(
            p,
            Calculate | Recalculate { .. } | ReturnCheck | PayByBonus { .. } | CancelBonus { .. }
        )
    };
    if in_flight(state, calculating) {
        return;
    }
    let (shift, number) = numbers(state);
    let client = loyalty.client.clone();
    match loyalty.stage {
        Stage::Pending
            if flow.calculation.every_change() && !receipt.is_return() && !receipt.positions.is_empty() && loyalty.bonus_paid.is_zero() =>
        {
            let document = rl::document(receipt, loyalty, shift, number, &[DiscountSource::Loyalty]);
            let request = Request::Calculate {
                client,
                document: document.clone(),
            };
            let purpose = LoyaltyPurpose::Recalculate {
                document: Box::new(document),
            };
            send(state, purpose, request, effects);
        }
        Stage::Return if flow.calculation.returns() => {
            let document = rl::document(receipt, loyalty, shift, number, &[]);
            send(state, LoyaltyPurpose::ReturnCheck, Request::Calculate { client, document }, effects);
        }
        _ => {}
    }
}

/// The receipt's calculation: the precheck, a background recalculation, a
/// return's check, a bonus payment or its cancellation.
pub(in crate::core::update) fn calculated(
    state: &mut AppState,
    purpose: LoyaltyPurpose,
    result: Result<Reply, LoyaltyError>,
    effects: &mut Vec<Effect>,
) {
    let ask = state.settings.flow.link_loss.asks();
    let offline_on_refusal = state.settings.flow.link_loss.refusal_means_offline();
    match (purpose, result) {
        // The sale is not KilBil's to return against: the refund goes on without loyalty.
        (LoyaltyPurpose::ReturnCheck, Err(LoyaltyError::Refused { text })) if offline_on_refusal => {
            if let Some(receipt) = state.durable.receipt.as_mut() {
                receipt.loyalty = None;
            }
            state.notice = Some(Notice::ReturnWithoutLoyalty(text));
        }
        // Without Retry/Continue (KilBil): the receipt goes on without loyalty.
        (purpose, Err(e)) if !ask && (e.unanswered() || offline_on_refusal) => {
            go_offline(state);
            if matches!(purpose, LoyaltyPurpose::Calculate | LoyaltyPurpose::PayByBonus { .. }) {
                state.dialog = Some(Dialog::Payment { input: String::new() });
            }
        }
        (LoyaltyPurpose::Recalculate { document }, Ok(reply)) => recalculated(state, &document, &reply),
        (LoyaltyPurpose::Recalculate { .. } | LoyaltyPurpose::ReturnCheck, Err(refusal)) => {
            let text = text::loyalty_error(&refusal);
            if let Some(loyalty) = loyalty_mut(state) {
                loyalty.stage = Stage::Refused { text: text.clone() };
            }
            if let Some(receipt) = state.durable.receipt.as_mut() {
                rl::forget(receipt, DiscountSource::Loyalty);
            }
            state.notice = Some(Notice::LoyaltyRefused(text));
        }
        (LoyaltyPurpose::ReturnCheck, Ok(_)) => {
            if let Some(loyalty) = loyalty_mut(state) {
                loyalty.stage = Stage::Calculated { available: Money::ZERO };
            }
        }
        (LoyaltyPurpose::Calculate, result) => prechecked(state, result, effects),
        (LoyaltyPurpose::PayByBonus { amount }, result) => bonus::paid_by_bonus(state, amount, result, effects),
        (LoyaltyPurpose::CancelBonus { amount }, result) => bonus::bonus_cancelled(state, amount, result, effects),
        _ => {}
    }
}

/// The precheck (Frontol's business processes, step 8).
fn prechecked(state: &mut AppState, result: Result<Reply, LoyaltyError>, effects: &mut Vec<Effect>) {
    match result {
        Ok(reply) if reply.client.as_ref().is_some_and(|c| c.validation_code.is_some()) => {
            state.dialog = Some(Dialog::ValidationCode {
                reply: Box::new(reply),
                input: String::new(),
            });
        }
        Ok(reply) => apply_precheck(state, reply, effects),
        Err(e) if e.unanswered() => {
            state.dialog = Some(Dialog::LinkLost {
                retry: LoyaltyPurpose::Calculate,
            })
        }
        Err(refusal) => {
            let text = text::loyalty_error(&refusal);
            if let Some(loyalty) = loyalty_mut(state) {
                loyalty.stage = Stage::Refused { text: text.clone() };
            }
            state.notice = Some(Notice::LoyaltyRefused(text.clone()));
            state.dialog = Some(Dialog::Message {
                blocks: vec![Said::LoyaltyError(refusal), Said::RemoveClient],
                then: None,
            });
        }
    }
}

fn apply_precheck(state: &mut AppState, reply: Reply, effects: &mut Vec<Effect>) {
    let capped = apply_answer(state, &reply);
    // MaxBonus books its calculation as it made it: a code whose discount the
    // minimum prices would cut is not used — the cashier is told now, before
    // payment, and the receipt is calculated again without it.
    if capped && state.settings.flow.spending.writes_before_print() {
        let code = loyalty_mut(state).and_then(|l| l.promo_code.take());
        if let Some(code) = code {
            if let Some(receipt) = state.durable.receipt.as_mut() {
                rl::forget(receipt, DiscountSource::Loyalty);
            }
            state.notice = Some(Notice::PromoOverFloors(code));
            calculate(state, effects);
            return;
        }
    }
    let next = after_precheck(state);
    show(state, reply, Some(next), effects);
}

/// Applies a calculation's discounts and what it said about the client.
/// True when the minimum prices cut a discount.
fn apply_answer(state: &mut AppState, reply: &Reply) -> bool {
    let Some(receipt) = state.durable.receipt.as_mut() else {
        return false;
    };
    rl::forget(receipt, DiscountSource::Loyalty);
    let capped = rl::apply_discounts(receipt, &reply.discounts);
    let local = rl::bonus_limit(receipt, None);
    if let Some(loyalty) = receipt.loyalty.as_mut() {
        let client = reply.client.clone().unwrap_or_default();
        loyalty.stage = Stage::Calculated {
            available: client.available.unwrap_or(local),
        };
        if matches!(loyalty.client, ClientId::Phone(_)) {
            loyalty.replace_contacts(client.phone.as_deref(), client.email.as_deref());
        } else {
            client
                .phone
                .iter()
                .chain(client.email.iter())
                .for_each(|c| loyalty.remember_contact(c));
        }
        loyalty.name = client.name.or(loyalty.name.take());
        loyalty.balance = client.balance.or(loyalty.balance);
    }
    if capped {
        state.notice = Some(Notice::DiscountCapped);
    }
    capped
}

/// A background recalculation applies only to the receipt it was made for.
fn recalculated(state: &mut AppState, sent: &Document, reply: &Reply) {
    let (shift, number) = numbers(state);
    let Some(receipt) = state.receipt() else { return };
    let Some(loyalty) = receipt.loyalty.as_ref() else { return };
    let current = rl::document(receipt, loyalty, shift, number, &[DiscountSource::Loyalty]);
    if loyalty.stage == Stage::Pending && current == *sent {
        apply_answer(state, reply);
    }
}
