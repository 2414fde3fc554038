//! The cashier's shift: numbering, counters, cash in the drawer, X/Z summaries.

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::journal::{ClosedReceipt, ReceiptId};
use super::money::Money;
use super::receipt::PaymentKind;

/// A shift may last at most this long; then it must be closed before selling.
pub const MAX_SHIFT_HOURS: i64 = 24;
/// The status line warns this long before a shift reaches its limit: the
/// registrar refuses receipts past it, and a Z-report at a quiet moment is
/// better than one with a queue at the till.
pub const SHIFT_WARNING_MINUTES: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ByPayment {
    pub count: u32,
    pub cash: Money,
    pub card: Money,
    #[serde(default)]
    pub certificate: Money,
}

impl ByPayment {
    pub fn total(&self) -> Money {
        Money(self.cash.0 + self.card.0 + self.certificate.0)
    }

    fn add(&mut self, receipt: &ClosedReceipt) {
        self.count += 1;
        self.cash.0 += receipt.receipt.paid_by(PaymentKind::Cash).0;
        self.card.0 += receipt.receipt.paid_by(PaymentKind::Card).0;
        self.certificate.0 += receipt.receipt.paid_by(PaymentKind::Certificate).0;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counters {
    pub sales: ByPayment,
    pub returns: ByPayment,
    pub discounts: Money,
    pub cash_in: Money,
    pub cash_out: Money,
    pub cancelled_count: u32,
    pub cancelled_sum: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    pub number: u32,
    pub cashier: String,
    pub opened_at: NaiveDateTime,
    /// Number the next closed receipt gets.
    pub next_receipt: u32,
    /// Cash in the drawer when the shift opened (carried from the last one).
    pub opening_cash: Money,
    pub counters: Counters,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryKind {
    /// Mid-shift, the shift stays open.
    X,
    /// Closing the shift.
    Z,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub kind: SummaryKind,
    pub shift: u32,
    pub cashier: String,
    pub opened_at: NaiveDateTime,
    pub at: NaiveDateTime,
    pub counters: Counters,
    pub opening_cash: Money,
    pub drawer_cash: Money,
    pub receipts: u32,
}

impl Shift {
    pub fn open(number: u32, cashier: String, opened_at: NaiveDateTime, opening_cash: Money) -> Shift {
        Shift {
            number,
            cashier,
            opened_at,
            next_receipt: 1,
            opening_cash,
            counters: Counters::default(),
        }
    }

    pub fn is_expired(&self, now: NaiveDateTime) -> bool {
        now - self.opened_at >= Duration::hours(MAX_SHIFT_HOURS)
    }

    /// Whole minutes left before the shift's limit, when it is near (and not past).
    pub fn minutes_left_if_near(&self, now: NaiveDateTime) -> Option<i64> {
        let left = self.opened_at + Duration::hours(MAX_SHIFT_HOURS) - now;
        (left > Duration::zero() && left <= Duration::minutes(SHIFT_WARNING_MINUTES)).then(|| left.num_minutes().max(1))
    }

    pub fn next_receipt_id(&self) -> ReceiptId {
        ReceiptId {
            shift: self.number,
            number: self.next_receipt,
        }
    }

    /// Cash that should be in the drawer now.
    pub fn drawer_cash(&self) -> Money {
        let c = &self.counters;
        Money(self.opening_cash.0 + c.sales.cash.0 - c.returns.cash.0 + c.cash_in.0 - c.cash_out.0)
    }

    /// Counts a closed receipt and moves the numbering on.
    pub fn record(&mut self, receipt: &ClosedReceipt) {
        if receipt.receipt.is_return() {
            self.counters.returns.add(receipt);
        } else {
            self.counters.sales.add(receipt);
            self.counters.discounts.0 += receipt.totals().discount.0;
        }
        self.next_receipt = receipt.id.number + 1;
    }

    pub fn record_cancel(&mut self, sum: Money) {
        self.counters.cancelled_count += 1;
        self.counters.cancelled_sum.0 += sum.0;
    }

    pub fn summary(&self, kind: SummaryKind, at: NaiveDateTime) -> Summary {
        Summary {
            kind,
            shift: self.number,
            cashier: self.cashier.clone(),
            opened_at: self.opened_at,
            at,
            counters: self.counters,
            opening_cash: self.opening_cash,
            drawer_cash: self.drawer_cash(),
            receipts: self.counters.sales.count + self.counters.returns.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::money::Quantity;
    use crate::core::receipt::{Payment, Position, Receipt, ReceiptKind};
    use chrono::NaiveDate;

    fn at(hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .expect("valid")
    }

    fn closed(kind: ReceiptKind, number: u32, cash: i64, card: i64) -> ClosedReceipt {
        let mut receipt = Receipt::new(kind, at(10));
        let item = crate::core::catalog::Item::sample("Товар", Money(cash + card), Money::ZERO);
        receipt.positions.push(Position::from_item(&item, Quantity::ONE, None));
        receipt.payments.push(Payment {
            kind: PaymentKind::Cash,
            amount: Money(cash),
            tendered: Money(cash),
        });
        receipt.payments.push(Payment {
            kind: PaymentKind::Card,
            amount: Money(card),
            tendered: Money(card),
        });
        ClosedReceipt {
            id: ReceiptId { shift: 1, number },
            store_id: "1".into(),
            register_id: "1".into(),
            cashier: "Иванова".into(),
            closed_at: at(10),
            receipt,
            contact: None,
        }
    }

    #[test]
    fn counts_sales_returns_and_drawer() {
        let mut shift = Shift::open(1, "Иванова".into(), at(9), Money(100_00));
        shift.record(&closed(ReceiptKind::Sale, 1, 500_00, 200_00));
        let original = ReceiptId { shift: 1, number: 1 };
        shift.record(&closed(
            ReceiptKind::Return {
                original,
                card_refundable: Money::ZERO,
            },
            2,
            50_00,
            0,
        ));
        shift.counters.cash_in = Money(1000_00);
        shift.counters.cash_out = Money(300_00);
        let s = shift.summary(SummaryKind::X, at(12));
        assert_eq!(s.counters.sales.total(), Money(700_00));
        assert_eq!(s.counters.returns.cash, Money(50_00));
        assert_eq!(s.drawer_cash, Money(100_00 + 500_00 - 50_00 + 1000_00 - 300_00));
        assert_eq!(s.receipts, 2);
        assert_eq!(shift.next_receipt, 3);
    }

    #[test]
    fn expires_after_24_hours() {
        let shift = Shift::open(1, "Иванова".into(), at(9), Money::ZERO);
        assert!(!shift.is_expired(at(23)));
        assert!(shift.is_expired(at(9) + Duration::hours(24)));
        assert_eq!(shift.minutes_left_if_near(at(9) + Duration::hours(22)), None);
        assert_eq!(shift.minutes_left_if_near(at(9) + Duration::minutes(23 * 60 + 15)), Some(45));
        assert_eq!(shift.minutes_left_if_near(at(9) + Duration::seconds(24 * 3600 - 5)), Some(1));
        assert_eq!(shift.minutes_left_if_near(at(9) + Duration::hours(24)), None);
    }
}
