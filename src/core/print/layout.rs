//! What each printed document says: receipts, X/Z summaries, cash slips.

use chrono::NaiveDateTime;

use super::document::{Document, Fiscal, FiscalKind, FiscalPosition, FiscalReceipt, Line};
use crate::core::journal::ClosedReceipt;
use crate::core::money::Money;
use crate::core::receipt::{PaymentKind, Receipt, ReceiptKind};
use crate::core::shift::{ByPayment, Shift, Summary, SummaryKind};
use crate::core::state::{CashDirection, Settings};
use crate::text;

fn stamp(at: NaiveDateTime) -> String {
    at.format("%d.%m.%Y %H:%M").to_string()
}

fn header(doc: &mut Document, settings: &Settings) {
    doc.centered(settings.store_name.clone(), true);
    doc.centered(settings.store_address.clone(), false);
    doc.centered(format!("{} {}", text::P_REGISTER, settings.register_id), false);
    doc.separator();
}

pub fn receipt(closed: &ClosedReceipt, settings: &Settings, copy: bool) -> Document {
    let mut doc = Document::default();
    header(&mut doc, settings);
    if copy {
        doc.title(text::P_COPY);
    }
    let r = &closed.receipt;
    doc.centered(if r.is_return() { text::P_RETURN } else { text::P_SALE }, true);
    doc.pair(
        format!("{}{}", text::P_RECEIPT_NO, closed.id.number),
        format!("{}{}", text::P_SHIFT_NO, closed.id.shift),
    );
    doc.pair(stamp(closed.closed_at), format!("{} {}", text::P_CASHIER, closed.cashier));
    if let ReceiptKind::Return { original, .. } = r.kind {
        doc.text(format!("{} {original}", text::P_ORIGINAL));
    }
    doc.separator();
    for (i, p) in r.positions.iter().enumerate() {
        doc.text(format!("{}. {}", i + 1, p.name));
        doc.pair(
            format!("   {} × {}", p.quantity, p.price),
            p.sum().unwrap_or(Money::ZERO).to_string(),
        );
        let discount = p.discount();
        if !discount.is_zero() {
            doc.pair(text::P_DISCOUNT, format!("-{discount}"));
        }
    }
    doc.separator();
    let totals = r.totals();
    if !totals.discount.is_zero() {
        doc.pair(text::P_SUM, totals.sum.to_string());
        doc.pair(text::P_DISCOUNTS, format!("-{}", totals.discount));
    }
    doc.title(format!("{} {}", text::P_TOTAL, totals.total));
    for kind in PaymentKind::ALL {
        let paid = r.paid_by(kind);
        if !paid.is_zero() {
            doc.pair(text::printed_payment_kind(kind), paid.to_string());
        }
    }
    let change = r.change();
    if !change.is_zero() {
        let tendered = Money(r.paid_by(PaymentKind::Cash).0 + change.0);
        doc.pair(text::P_TENDERED, tendered.to_string());
        doc.bold_pair(text::P_CHANGE, change.to_string());
    }
    // What follows is the registrar's too: it prints it after its own fiscal part.
    let fiscal_part = doc.lines.len();
    if let Some(loyalty) = &r.loyalty {
        doc.pair(text::P_CLIENT, loyalty.client.masked());
        // Bonuses paid by lowering the prices: inside the discounts above,
        // told once here, never as a payment that would add up past the total.
        if !loyalty.bonus_paid.is_zero() {
            doc.pair(text::P_BONUS, loyalty.bonus_paid.to_string());
        }
        if !settings.flow.spending.text_on_slip() && !loyalty.footer.is_empty() {
            doc.separator();
            for line in &loyalty.footer {
                doc.text(line.clone());
            }
        }
    }
    if let Some(contact) = &closed.contact {
        doc.pair(text::P_CONTACT, contact.clone());
        doc.customer_contact = Some(contact.clone());
    }
    // The cashier above is who confirmed; `kassa journal show` shows it so too.
    if let Some(age) = &r.age_confirmed {
        doc.pair(text::P_AGE_CONFIRMED, age.at.format("%H:%M").to_string());
    }
    doc.separator();
    if let Some(code) = closed.id.barcode() {
        doc.barcode(code);
    }
    if !r.is_return() {
        doc.centered(text::P_THANKS, false);
    }
    // A copy is only paper: registering it would count the sale twice.
    if !copy {
        doc.fiscal = Some(Fiscal::Receipt(fiscal_receipt(r, doc.lines[fiscal_part..].to_vec())));
    }
    doc
}

/// What a registrar registers for a receipt: each position with its
/// discounts, cash as handed over (the registrar gives the change), card, certificate.
fn fiscal_receipt(r: &Receipt, notes: Vec<Line>) -> FiscalReceipt {
    FiscalReceipt {
        kind: if r.is_return() { FiscalKind::Return } else { FiscalKind::Sale },
        positions: r
            .positions
            .iter()
            .map(|p| FiscalPosition {
                name: p.name.clone(),
                quantity: p.quantity,
                price: p.price,
                discount: p.discount(),
                mark: p.mark.filter(|_| !p.marks.is_empty()),
                marks: p.marks.iter().map(|m| m.raw.clone()).collect(),
            })
            .collect(),
        cash: Money(r.paid_by(PaymentKind::Cash).0 + r.change().0),
        card: r.paid_by(PaymentKind::Card),
        certificate: r.paid_by(PaymentKind::Certificate),
        notes,
    }
}

/// The loyalty server's text on its own slip, where the store wants it so
/// (MaxBonus's `footer_on_slip`).
pub fn loyalty_footer_slip(closed: &ClosedReceipt, settings: &Settings) -> Option<Document> {
    let loyalty = closed.receipt.loyalty.as_ref()?;
    if !settings.flow.spending.text_on_slip() || loyalty.footer.is_empty() {
        return None;
    }
    let mut doc = Document::default();
    doc.pair(
        format!("{}{}", text::P_RECEIPT_NO, closed.id.number),
        format!("{}{}", text::P_SHIFT_NO, closed.id.shift),
    );
    doc.separator();
    for line in &loyalty.footer {
        doc.text(line.clone());
    }
    Some(doc)
}

fn by_payment(doc: &mut Document, title: &str, counts: &ByPayment) {
    doc.text(title);
    doc.pair(text::P_COUNT, counts.count.to_string());
    doc.pair(text::P_BY_CASH, counts.cash.to_string());
    doc.pair(text::P_BY_CARD, counts.card.to_string());
    if !counts.certificate.is_zero() {
        doc.pair(text::P_BY_CERTIFICATE, counts.certificate.to_string());
    }
    doc.bold_pair(text::P_TOTAL_LOWER, counts.total().to_string());
}

pub fn summary(summary: &Summary, settings: &Settings) -> Document {
    let mut doc = Document::default();
    header(&mut doc, settings);
    doc.centered(text::summary_title(summary.kind), true);
    doc.pair(
        format!("{}{}", text::P_SHIFT_NO, summary.shift),
        format!("{} {}", text::P_CASHIER, summary.cashier),
    );
    doc.pair(text::P_OPENED, stamp(summary.opened_at));
    doc.pair(text::P_AT, stamp(summary.at));
    doc.pair(text::P_RECEIPTS, summary.receipts.to_string());
    doc.separator();
    let c = &summary.counters;
    by_payment(&mut doc, text::P_SALES, &c.sales);
    doc.pair(text::P_DISCOUNTS, c.discounts.to_string());
    by_payment(&mut doc, text::P_RETURNS, &c.returns);
    doc.separator();
    doc.pair(text::P_CANCELLED, format!("{} / {}", c.cancelled_count, c.cancelled_sum));
    doc.pair(text::P_OPENING_CASH, summary.opening_cash.to_string());
    doc.pair(text::CASH_IN_TITLE, c.cash_in.to_string());
    doc.pair(text::CASH_OUT_TITLE, c.cash_out.to_string());
    doc.bold_pair(text::P_DRAWER, summary.drawer_cash.to_string());
    doc.fiscal = Some(match summary.kind {
        SummaryKind::X => Fiscal::XReport,
        SummaryKind::Z => Fiscal::ZReport,
    });
    doc
}

pub fn shift_opened(shift: &Shift, settings: &Settings) -> Document {
    let mut doc = Document::default();
    header(&mut doc, settings);
    doc.centered(text::P_SHIFT_OPENED, true);
    doc.pair(
        format!("{}{}", text::P_SHIFT_NO, shift.number),
        format!("{} {}", text::P_CASHIER, shift.cashier),
    );
    doc.pair(text::P_AT, stamp(shift.opened_at));
    doc.pair(text::P_OPENING_CASH, shift.opening_cash.to_string());
    doc.fiscal = Some(Fiscal::OpenShift {
        opening_cash: shift.opening_cash,
    });
    doc
}

pub fn cash_move(direction: CashDirection, amount: Money, shift: &Shift, at: NaiveDateTime, settings: &Settings) -> Document {
    let mut doc = Document::default();
    header(&mut doc, settings);
    doc.centered(
        if direction == CashDirection::In {
            text::P_CASH_IN
        } else {
            text::P_CASH_OUT
        },
        true,
    );
    doc.pair(
        format!("{}{}", text::P_SHIFT_NO, shift.number),
        format!("{} {}", text::P_CASHIER, shift.cashier),
    );
    doc.pair(text::P_AT, stamp(at));
    doc.bold_pair(text::AMOUNT, amount.to_string());
    doc.pair(text::P_DRAWER, shift.drawer_cash().to_string());
    doc.fiscal = Some(match direction {
        CashDirection::In => Fiscal::CashIn(amount),
        CashDirection::Out => Fiscal::CashOut(amount),
    });
    doc
}
