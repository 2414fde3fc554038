//! What each printed document says: receipts, X/Z summaries, cash slips.

use chrono::NaiveDateTime;

use super::document::{Document, Fiscal, FiscalKind, FiscalPosition, FiscalReceipt, Line};
use crate::core::catalog::Vat;
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
    if !settings.store_address.is_empty() {
        doc.centered(settings.store_address.clone(), false);
    }
    doc.centered(format!("{} {}", text::P_REGISTER, settings.register_id), false);
    doc.separator();
}

/// A receipt's head: the store, then the seller's requisites every receipt
/// carries (54-ФЗ) — organisation, ИНН, tax system, the address and place of
/// settlement (a shop's place is its address). What the config leaves empty
/// is left out. A registrar prints its own head and skips this one.
fn receipt_header(doc: &mut Document, settings: &Settings) {
    let seller = &settings.requisites;
    doc.centered(settings.store_name.clone(), true);
    if !seller.organisation.is_empty() {
        doc.centered(seller.organisation.clone(), false);
    }
    let inn = (!seller.inn.is_empty()).then(|| format!("{} {}", text::P_INN, seller.inn));
    let system = seller
        .tax_system
        .map(|s| format!("{} {}", text::P_TAX_SYSTEM, text::printed_tax_system(s)));
    match (inn, system) {
        (Some(inn), Some(system)) => {
            doc.pair(inn, system);
        }
        (Some(one), None) | (None, Some(one)) => {
            doc.text(one);
        }
        (None, None) => {}
    }
    if !settings.store_address.is_empty() {
        doc.text(format!("{} {}", text::P_SETTLEMENT_ADDRESS, settings.store_address));
        doc.text(format!("{} {}", text::P_SETTLEMENT_PLACE, settings.store_address));
    }
    doc.centered(format!("{} {}", text::P_REGISTER, settings.register_id), false);
    doc.separator();
}

/// One line per VAT rate the receipt has: the VAT inside the rate's total
/// after discounts, computed once on that total (not summed per position,
/// so the kopecks agree with the registrar's per-rate totals); for goods
/// without VAT, their total.
fn vat_lines(doc: &mut Document, r: &Receipt) {
    for vat in Vat::ALL {
        let mut positions = r.positions.iter().filter(|p| p.vat == vat).peekable();
        if positions.peek().is_none() {
            continue;
        }
        let total = Money(positions.map(|p| p.total().0).sum());
        // Without VAT and at 0 % the receipt shows the turnover, as the registrar's report does.
        let shown = if matches!(vat, Vat::NoVat | Vat::Vat0) {
            total
        } else {
            vat.included_in(total)
        };
        doc.pair(text::printed_vat(vat), shown.to_string());
    }
}

pub fn receipt(closed: &ClosedReceipt, settings: &Settings, copy: bool) -> Document {
    let mut doc = Document::default();
    receipt_header(&mut doc, settings);
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
    vat_lines(&mut doc, r);
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
    // Cash changes hands: the drawer opens (not for a copy).
    doc.open_drawer = !copy && !r.paid_by(PaymentKind::Cash).is_zero();
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
                vat: Some(p.vat),
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
    doc.open_drawer = true;
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::Item;
    use crate::core::journal::ReceiptId;
    use crate::core::receipt::{Discount, DiscountSource, Payment, Position};

    fn position(name: &str, price: i64, vat: Vat, discount: i64) -> Position {
        let mut p = Position::from_item(
            &Item::sample(name, Money(price), Money::ZERO),
            crate::core::money::Quantity::ONE,
            None,
        );
        p.vat = vat;
        if discount > 0 {
            p.discounts.push(Discount {
                source: DiscountSource::Position,
                amount: Money(discount),
            });
        }
        p
    }

    fn closed(positions: Vec<Position>) -> ClosedReceipt {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("a time");
        let mut receipt = Receipt::new(ReceiptKind::Sale, at);
        receipt.positions = positions;
        let total = receipt.totals().total;
        receipt.payments.push(Payment {
            kind: PaymentKind::Cash,
            amount: total,
            tendered: total,
        });
        ClosedReceipt {
            id: ReceiptId { shift: 1, number: 3 },
            store_id: "0001".into(),
            register_id: "01".into(),
            cashier: "Иванова".into(),
            closed_at: at,
            receipt,
            contact: None,
        }
    }

    /// `text` centred in `width`, as the text rendering does.
    fn centred(text: &str, width: usize) -> String {
        format!("{}{text}", " ".repeat((width - text.chars().count()) / 2))
    }

    /// A line of `width` with `left` and `right` at its ends.
    fn pair(left: &str, right: &str, width: usize) -> String {
        format!("{left}{}{right}", " ".repeat(width - left.chars().count() - right.chars().count()))
    }

    /// Issue 23.9: the drawer opens where cash changes hands — a receipt
    /// paid (or refunded) in cash, a cash move — not for a card or a copy.
    #[test]
    fn the_drawer_opens_where_cash_changes_hands() {
        let settings = Settings::default();
        let cash = closed(vec![position("Хлеб", 50_00, Vat::Vat10, 0)]);
        assert!(receipt(&cash, &settings, false).open_drawer);
        assert!(!receipt(&cash, &settings, true).open_drawer, "a copy moves no money");
        let mut card = cash.clone();
        card.receipt.payments[0].kind = PaymentKind::Card;
        assert!(!receipt(&card, &settings, false).open_drawer);
        let shift = crate::core::shift::Shift::open(1, "Иванова".into(), card.closed_at, Money::ZERO);
        assert!(cash_move(CashDirection::Out, Money(100_00), &shift, card.closed_at, &settings).open_drawer);
    }

    #[test]
    fn a_receipt_shows_the_vat_of_each_rate_and_the_sellers_requisites() {
        let settings = Settings::default();
        let sale = closed(vec![
            position("Хлеб", 1_00, Vat::Vat22, 0),
            position("Молоко", 149_50, Vat::Vat10, 14_95),
            position("Батон", 1_08, Vat::Vat22, 0),
            position("Лекарство", 50_00, Vat::NoVat, 0),
        ]);
        let doc = receipt(&sale, &settings, false);
        let lines = super::super::text::render(&doc, 42);
        let has = |line: &str| lines.iter().any(|l| l == line);
        // 22 %: on its total 2.08 → 0.38 (per position it would be 0.18 + 0.19);
        // 10 %: 134.55 → 12.23; without VAT: the 50.00 sold.
        for line in [
            pair("в т.ч. НДС 22%", "0.38", 42),
            pair("в т.ч. НДС 10%", "12.23", 42),
            pair("без НДС", "50.00", 42),
        ] {
            assert!(has(&line), "{line:?} missing from {lines:#?}");
        }
        assert_eq!(lines.iter().filter(|l| l.contains("НДС")).count(), 3, "{lines:#?}");
        let vat_at = lines.iter().position(|l| l.starts_with("в т.ч. НДС 22%"));
        let total_at = lines.iter().position(|l| l.contains("1 8 6 . 6 3"));
        assert!(total_at < vat_at, "the VAT follows the total: {lines:#?}");
        for line in [
            centred("Демо-магазин", 42),
            centred("ООО \"Касса-Демо\"", 42),
            pair("ИНН 7701234560", "СНО ОСН", 42),
            "Адрес расчётов: г. Москва, ул. Примерная,".to_string(),
            "Место расчётов: г. Москва, ул. Примерная,".to_string(),
            pair("23.11.2026 10:00", "Кассир Иванова", 42),
        ] {
            assert!(has(&line), "{line:?} missing from {lines:#?}");
        }
        assert_eq!(lines.iter().filter(|l| *l == "д. 1").count(), 2, "{lines:#?}");
        // The registrar prints its own head and VAT: neither is in its notes;
        // each position goes with its rate.
        let Some(Fiscal::Receipt(fiscal)) = &doc.fiscal else {
            panic!("a fiscal receipt")
        };
        let notes = super::super::text::render(
            &Document {
                lines: fiscal.notes.clone(),
                ..Document::default()
            },
            42,
        );
        assert!(notes.iter().all(|l| !l.contains("НДС") && !l.contains("ИНН")), "{notes:#?}");
        let rates: Vec<Option<Vat>> = fiscal.positions.iter().map(|p| p.vat).collect();
        assert_eq!(rates, [Some(Vat::Vat22), Some(Vat::Vat10), Some(Vat::Vat22), Some(Vat::NoVat)]);
    }

    #[test]
    fn requisites_a_config_leaves_out_are_not_printed() {
        let settings = Settings {
            store_address: String::new(),
            requisites: Default::default(),
            ..Settings::default()
        };
        let doc = receipt(&closed(vec![position("Хлеб", 45_00, Vat::Vat10, 0)]), &settings, false);
        let lines = super::super::text::render(&doc, 42);
        assert!(
            lines
                .iter()
                .all(|l| !l.contains("ИНН") && !l.contains("СНО") && !l.contains("расчётов")),
            "{lines:#?}"
        );
        assert_eq!(lines[..2], [centred("Демо-магазин", 42), centred("Касса 01", 42)]);
    }
}
