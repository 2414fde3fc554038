//! Paying a receipt (cash, card, mixed, a gift certificate) and refunding a
//! return, in the payment window, with the electronic receipt's contact;
//! once paid in full the receipt goes to [`close`](super::close).

use super::super::command::Command;
use super::super::effect::Effect;
use super::super::event::Event;
use super::super::money::Money;
use super::super::notice::Notice;
use super::super::receipt::{Payment, PaymentKind};
use super::super::state::{AppState, Dialog};
use super::{close, edit};

pub(super) fn handle(state: &mut AppState, mut input: String, event: Event, effects: &mut Vec<Effect>) {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::Payment { input });
        return;
    }
    let Event::Command(command) = event else {
        state.dialog = Some(Dialog::Payment { input });
        return;
    };
    let is_return = state.receipt().is_some_and(|r| r.is_return());
    match command {
        Command::Cancel => {}
        Command::Confirm if is_return => {
            state.dialog = Some(Dialog::Payment { input: String::new() });
            refund(state, effects);
        }
        Command::Confirm => {
            state.dialog = Some(Dialog::Payment { input: String::new() });
            pay(state, PaymentKind::Cash, &input, effects);
        }
        Command::PayCard if !is_return => {
            state.dialog = Some(Dialog::Payment { input: String::new() });
            pay(state, PaymentKind::Card, &input, effects);
        }
        Command::Storno if !is_return => {
            let removed = state.durable.receipt.as_mut().and_then(|r| r.payments.pop());
            match removed {
                None => state.notice = Some(Notice::NoPayments),
                Some(p) if p.kind == PaymentKind::Certificate => super::loyalty::certificate_removed(state),
                Some(_) => {}
            }
            state.dialog = Some(Dialog::Payment { input });
        }
        Command::Certificate if !is_return => super::loyalty::certificate_command(state),
        Command::EReceipt if !is_return => open_contact(state),
        other => {
            state.notice = Some(Notice::NotHere(other));
            state.dialog = Some(Dialog::Payment { input });
        }
    }
}

fn pay(state: &mut AppState, kind: PaymentKind, typed: &str, effects: &mut Vec<Effect>) {
    let Some(receipt) = state.receipt() else { return };
    let remaining = receipt.remaining();
    if remaining.is_zero() {
        // Fully paid already (e.g. an earlier close failed): close again.
        close::ready_to_close(state, effects);
        return;
    }
    let amount = if typed.trim().is_empty() {
        remaining
    } else {
        match Money::parse_positive(typed) {
            Ok(amount) => amount,
            Err(e) => {
                state.notice = Some(Notice::BadAmount(e));
                return;
            }
        }
    };
    if kind == PaymentKind::Card && amount > remaining {
        state.notice = Some(Notice::CardOverpay { remaining });
        return;
    }
    let max = state.settings.limits.max_change;
    if kind == PaymentKind::Cash && amount.0 - remaining.0 > max.0 {
        let change = Money(amount.0 - remaining.0);
        state.notice = Some(Notice::ChangeTooLarge { change, max });
        return;
    }
    let payment = Payment {
        kind,
        amount: amount.min(remaining),
        tendered: amount,
    };
    if let Some(receipt) = state.durable.receipt.as_mut() {
        receipt.payments.push(payment);
        if receipt.is_fully_paid() {
            close::ready_to_close(state, effects);
        }
    }
}

/// A return pays out by the sale's payment types: card first, then cash.
fn refund(state: &mut AppState, effects: &mut Vec<Effect>) {
    let Some(receipt) = state.receipt() else { return };
    if receipt.positions.is_empty() {
        state.notice = Some(Notice::ReceiptEmpty);
        return;
    }
    let (cash, card) = receipt.refund_split();
    let drawer = state.shift().map_or(Money::ZERO, |s| s.drawer_cash());
    if cash > drawer {
        state.notice = Some(Notice::NotEnoughCash { needed: cash, drawer });
        return;
    }
    if let Some(receipt) = state.durable.receipt.as_mut() {
        receipt.payments.clear();
        for (kind, amount) in [(PaymentKind::Card, card), (PaymentKind::Cash, cash)] {
            if !amount.is_zero() {
                receipt.payments.push(Payment {
                    kind,
                    amount,
                    tendered: amount,
                });
            }
        }
    }
    close::ready_to_close(state, effects);
}

/// The customer asks for an electronic receipt: the client's contacts
/// (from the loyalty system), or another typed phone or e-mail.
fn open_contact(state: &mut AppState) {
    let options = state
        .receipt()
        .and_then(|r| r.loyalty.as_ref())
        .map(|l| l.contacts.clone())
        .unwrap_or_default();
    state.dialog = Some(Dialog::Contact {
        options,
        selected: 0,
        input: String::new(),
    });
}

/// The contact window: a remembered contact, another typed one, or none
/// (paper only); back to the payment after.
pub(super) fn contact_dialog(state: &mut AppState, options: Vec<String>, mut selected: usize, mut input: String, event: Event) {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::Contact { options, selected, input });
        return;
    }
    let chosen = match event {
        Event::Command(Command::Confirm) if !input.trim().is_empty() => match contact(&input) {
            Some(typed) => Some(typed),
            None => {
                state.notice = Some(Notice::BadClientId(input.trim().to_string()));
                state.dialog = Some(Dialog::Contact { options, selected, input });
                return;
            }
        },
        Event::Command(Command::Confirm) => options.get(selected).cloned(),
        Event::Command(Command::Cancel) => {
            state.dialog = Some(Dialog::Payment { input: String::new() });
            return;
        }
        Event::Command(command) => {
            // The last row is "no electronic receipt".
            selected = super::navigate(selected, options.len() + 1, command, super::PAGE).unwrap_or(selected);
            state.dialog = Some(Dialog::Contact { options, selected, input });
            return;
        }
        _ => {
            state.dialog = Some(Dialog::Contact { options, selected, input });
            return;
        }
    };
    if let Some(receipt) = state.durable.receipt.as_mut() {
        receipt.e_receipt = chosen;
    }
    state.dialog = Some(Dialog::Payment { input: String::new() });
}

/// A typed contact: a phone (normalised) or an e-mail.
fn contact(typed: &str) -> Option<String> {
    let typed = typed.trim();
    if let Some(crate::core::loyalty::ClientId::Phone(phone)) = crate::core::loyalty::ClientId::parse(typed) {
        return Some(phone);
    }
    let (user, domain) = typed.split_once('@')?;
    (!user.is_empty() && domain.contains('.') && !typed.contains(char::is_whitespace)).then(|| typed.to_string())
}
