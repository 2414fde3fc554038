//! Gift certificates, in the payment window: the code scanned or typed, the
//! server's word on what it is worth, its pin, the payment (up to what is
//! left to pay; the server debits it with the receipt), and a certificate
//! payment taken off again.

use super::client::attach_anonymous;
use super::link::send;
use super::{loyalty_mut, loyalty_of, receipt_offline};
use crate::core::command::Command;
use crate::core::effect::Effect;
use crate::core::event::Event;
use crate::core::loyalty::{CertificatePayment, LoyaltyError, Reply, Request, Written};
use crate::core::money::Money;
use crate::core::notice::Notice;
use crate::core::notice::Said;
use crate::core::receipt::{Payment, PaymentKind};
use crate::core::state::{AppState, Dialog, LoyaltyPurpose};
use crate::core::update::edit;

/// The certificate command (in the payment window): its code comes next.
/// The payment window stays open when a certificate cannot pay now.
pub(in crate::core::update) fn certificate_command(state: &mut AppState) {
    let notice = if !state.settings.flow.certificates || !state.settings.loyalty {
        Notice::NotInProtocol(Command::Certificate)
    } else if state.receipt().is_none_or(|r| r.remaining().is_zero()) {
        Notice::CertificateEmpty
    } else if receipt_offline(state) {
        Notice::LoyaltyOffline
    } else if loyalty_of(state).is_none() && !state.settings.flow.anonymous {
        Notice::ClientNeeded
    } else {
        state.dialog = Some(Dialog::Certificate { input: String::new() });
        return;
    };
    state.notice = Some(notice);
    state.dialog = Some(Dialog::Payment { input: String::new() });
}

/// A certificate's code, scanned or typed: the server says what it is worth.
pub(in crate::core::update) fn certificate_dialog(state: &mut AppState, mut input: String, event: Event, effects: &mut Vec<Effect>) {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::Certificate { input });
        return;
    }
    let code = match event {
        Event::Scan(code) => code.trim().to_string(),
        Event::Command(Command::Confirm) => input.trim().to_string(),
        Event::Command(Command::Cancel) => {
            state.dialog = Some(Dialog::Payment { input: String::new() });
            return;
        }
        _ => {
            state.dialog = Some(Dialog::Certificate { input });
            return;
        }
    };
    if code.is_empty() {
        state.dialog = Some(Dialog::Certificate { input });
    } else if loyalty_of(state).is_some_and(|l| l.certificates.iter().any(|c| c.code == code)) {
        state.notice = Some(Notice::CertificateTwice(code));
        state.dialog = Some(Dialog::Certificate { input: String::new() });
    } else {
        send(state, LoyaltyPurpose::CertificateInfo, Request::CertificateInfo { code }, effects);
    }
}

/// The usable certificate's pin: it pays what it holds, up to what is left
/// to pay. True when that pays the receipt in full (the caller closes it).
#[must_use]
pub(in crate::core::update) fn certificate_pin_dialog(
    state: &mut AppState,
    code: String,
    balance: Money,
    mut input: String,
    event: Event,
) -> bool {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::CertificatePin { code, balance, input });
        return false;
    }
    match event {
        Event::Command(Command::Confirm) => {
            state.dialog = Some(Dialog::Payment { input: String::new() });
            return pay_by_certificate(state, code, input.trim().to_string(), balance);
        }
        Event::Command(Command::Cancel) => state.dialog = Some(Dialog::Payment { input: String::new() }),
        _ => state.dialog = Some(Dialog::CertificatePin { code, balance, input }),
    }
    false
}

/// True when the certificate pays the receipt in full.
fn pay_by_certificate(state: &mut AppState, code: String, pin: String, balance: Money) -> bool {
    attach_anonymous(state);
    let Some(receipt) = state.durable.receipt.as_mut() else {
        return false;
    };
    let amount = balance.min(receipt.remaining());
    if amount.is_zero() {
        state.notice = Some(Notice::CertificateEmpty);
        return false;
    }
    let Some(loyalty) = receipt.loyalty.as_mut() else {
        state.notice = Some(Notice::ClientNeeded);
        return false;
    };
    loyalty.certificates.push(CertificatePayment { code, pin, amount });
    receipt.payments.push(Payment {
        kind: PaymentKind::Certificate,
        amount,
        tendered: amount,
    });
    state.notice = Some(Notice::CertificateAccepted(amount));
    receipt.is_fully_paid()
}

/// What the server said of a certificate: its pin next, or why it cannot pay.
pub(in crate::core::update) fn certificate_answer(state: &mut AppState, result: Result<Reply, LoyaltyError>) {
    let payment = Dialog::Payment { input: String::new() };
    let said = match result.map(|r| r.certificate) {
        Ok(Some(c)) if c.usable => {
            state.dialog = Some(Dialog::CertificatePin {
                code: c.code,
                balance: c.balance,
                input: String::new(),
            });
            return;
        }
        Ok(Some(c)) => Said::CertificateUnusable {
            code: c.code,
            status: c.status,
        },
        Ok(None) => Said::UnreadableAnswer,
        Err(error) => Said::LoyaltyError(error),
    };
    state.dialog = Some(Dialog::Message {
        blocks: vec![said],
        then: Some(Box::new(payment)),
    });
}

/// A certificate payment taken off the receipt (storno in the payment window).
/// A write already done (the close after it failed) no longer matches: it
/// is in doubt again, so the next close rewrites it (rolled back first).
pub(in crate::core::update) fn certificate_removed(state: &mut AppState) {
    if let Some(loyalty) = loyalty_mut(state) {
        loyalty.certificates.pop();
        if loyalty.written == Written::Done {
            loyalty.written = Written::InDoubt;
        }
    }
}
