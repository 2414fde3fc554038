//! Closed receipts as the journal keeps them, their printed barcode, and the
//! arithmetic of returns against them.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use std::fmt;

use super::barcode::{has_valid_check_digit, with_check_digit};
use super::money::{Money, Quantity};
use super::receipt::{PaymentKind, Receipt, Totals};

/// A receipt's identity: shift number and its number within the shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReceiptId {
    pub shift: u32,
    pub number: u32,
}

impl fmt::Display for ReceiptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.shift, self.number)
    }
}

/// Prefix of the EAN-13 printed on receipts. Only the return dialog reads
/// it, so it cannot be confused with goods.
const RECEIPT_BARCODE_PREFIX: &str = "99";

impl ReceiptId {
    /// The receipt's own EAN-13: `99` + shift (5 digits) + number (5 digits) + check.
    pub fn barcode(&self) -> Option<String> {
        if self.shift > 99_999 || self.number > 99_999 {
            return None;
        }
        with_check_digit(&format!("{RECEIPT_BARCODE_PREFIX}{:05}{:05}", self.shift, self.number))
    }

    pub fn from_barcode(code: &str) -> Option<ReceiptId> {
        if code.len() != 13 || !code.starts_with(RECEIPT_BARCODE_PREFIX) || !has_valid_check_digit(code) {
            return None;
        }
        Some(ReceiptId {
            shift: code[2..7].parse().ok()?,
            number: code[7..12].parse().ok()?,
        })
    }

    /// Parses "12/34" (shift/number).
    pub fn parse(text: &str) -> Option<ReceiptId> {
        let (shift, number) = text.trim().split_once('/')?;
        Some(ReceiptId {
            shift: shift.trim().parse().ok()?,
            number: number.trim().parse().ok()?,
        })
    }

    /// The sled key: big-endian so keys sort by shift, then number.
    pub fn key(&self) -> [u8; 8] {
        let mut key = [0u8; 8];
        key[..4].copy_from_slice(&self.shift.to_be_bytes());
        key[4..].copy_from_slice(&self.number.to_be_bytes());
        key
    }

    pub fn from_key(key: &[u8]) -> Option<ReceiptId> {
        let shift = u32::from_be_bytes(key.get(..4)?.try_into().ok()?);
        let number = u32::from_be_bytes(key.get(4..8)?.try_into().ok()?);
        Some(ReceiptId { shift, number })
    }
}

/// A receipt as it was closed: what the journal stores and the printer prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedReceipt {
    pub id: ReceiptId,
    pub store_id: String,
    pub register_id: String,
    pub cashier: String,
    pub closed_at: NaiveDateTime,
    pub receipt: Receipt,
    /// The customer's phone or e-mail for the electronic receipt (fiscal tag 1008).
    #[serde(default)]
    pub contact: Option<String>,
}

impl ClosedReceipt {
    pub fn totals(&self) -> Totals {
        self.receipt.totals()
    }
}

/// What has already been returned against one sale receipt.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Returned {
    /// Per position of the original receipt.
    pub quantities: Vec<Quantity>,
    pub refunded_cash: Money,
    pub refunded_card: Money,
    pub returns: Vec<ReceiptId>,
}

impl Returned {
    pub fn quantity(&self, index: usize) -> Quantity {
        self.quantities.get(index).copied().unwrap_or(Quantity::ZERO)
    }

    pub fn refunded(&self, kind: PaymentKind) -> Money {
        match kind {
            PaymentKind::Cash => self.refunded_cash,
            PaymentKind::Card => self.refunded_card,
            // Refunds are made in cash and to the card only.
            PaymentKind::Certificate => Money::ZERO,
        }
    }

    /// Records a return receipt against the sale it refers to.
    pub fn record(&mut self, return_receipt: &ClosedReceipt) {
        for p in &return_receipt.receipt.positions {
            let Some(index) = p.original_index else { continue };
            if self.quantities.len() <= index {
                self.quantities.resize(index + 1, Quantity::ZERO);
            }
            self.quantities[index].0 += p.quantity.0;
        }
        self.refunded_cash.0 += return_receipt.receipt.paid_by(PaymentKind::Cash).0;
        self.refunded_card.0 += return_receipt.receipt.paid_by(PaymentKind::Card).0;
        self.returns.push(return_receipt.id);
    }
}

/// A sale receipt found for a return, with what was already returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnSource {
    pub sale: ClosedReceipt,
    pub returned: Returned,
}

impl ReturnSource {
    pub fn available(&self, index: usize) -> Quantity {
        let sold = self.sale.receipt.positions.get(index).map_or(Quantity::ZERO, |p| p.quantity);
        Quantity((sold.0 - self.returned.quantity(index).0).max(0))
    }

    /// The money back for returning `quantity` more of position `index`.
    /// Computed on cumulative quantities so that returning a position in
    /// parts refunds exactly its total, not a kopeck more or less.
    pub fn refund_for(&self, index: usize, quantity: Quantity) -> Money {
        let Some(p) = self.sale.receipt.positions.get(index) else {
            return Money::ZERO;
        };
        let total = p.total();
        let before = self.returned.quantity(index);
        let after = Quantity(before.0 + quantity.0);
        let cumulative = |q: Quantity| total.share(q.0, p.quantity.0).unwrap_or(Money::ZERO);
        Money(cumulative(after).0 - cumulative(before).0)
    }

    /// What may still be refunded to the card the sale was paid with: the
    /// card part of the sale less earlier card refunds. Refunds go to the
    /// card first, the rest in cash.
    pub fn card_refundable(&self) -> Money {
        let card_paid = self.sale.receipt.paid_by(PaymentKind::Card);
        Money((card_paid.0 - self.returned.refunded_card.0).max(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_barcode_round_trip() {
        let id = ReceiptId { shift: 12, number: 345 };
        let code = id.barcode().expect("fits");
        assert_eq!(code.len(), 13);
        assert!(code.starts_with("9900012"));
        assert_eq!(ReceiptId::from_barcode(&code), Some(id));
        assert_eq!(ReceiptId::from_barcode("4607001771562"), None);
        assert_eq!(ReceiptId::parse(" 3 / 15"), Some(ReceiptId { shift: 3, number: 15 }));
        assert_eq!(ReceiptId::from_key(&id.key()), Some(id));
    }
}
