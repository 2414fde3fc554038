//! A receipt: positions, discounts within minimum-price floors, payments, totals.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::catalog::{Item, Vat};
use super::journal::ReceiptId;
use super::money::{Money, Quantity};

/// A discount the cashier typed: a percentage (hundredths of a percent) or an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountRule {
    Percent(i64),
    Amount(Money),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountSource {
    /// Typed by the cashier for one position.
    Position,
    /// Typed by the cashier for the whole receipt, shared over positions.
    Receipt,
    /// Granted by the loyalty system's precheck.
    Loyalty,
    /// Paid by bonus: a non-fiscal payment that works as a discount.
    Bonus,
    /// A returned position keeps the discount it was sold with.
    Original,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discount {
    pub source: DiscountSource,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub item_code: String,
    pub name: String,
    pub barcode: Option<String>,
    pub price: Money,
    pub min_price: Money,
    pub quantity: Quantity,
    pub weighed: bool,
    pub vat: Vat,
    pub rule: Option<DiscountRule>,
    pub discounts: Vec<Discount>,
    /// For a return: which position of the original receipt this is.
    pub original_index: Option<usize>,
    /// A marked good's codes, one per unit: the quantity is their number.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<super::marking::MarkCode>,
    /// The product group of a marked good (the registrar's payment subject depends on it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<super::catalog::MarkGroup>,
}

impl Position {
    pub fn from_item(item: &Item, quantity: Quantity, barcode: Option<String>) -> Position {
        Position {
            item_code: item.code.to_string(),
            name: item.name.to_string(),
            barcode,
            price: item.price,
            min_price: item.min_price,
            quantity,
            weighed: item.weighed,
            vat: item.vat,
            rule: None,
            discounts: Vec::new(),
            original_index: None,
            marks: Vec::new(),
            mark: item.mark,
        }
    }

    /// Price × quantity before discounts. `None` on overflow.
    pub fn sum(&self) -> Option<Money> {
        self.price.times(self.quantity)
    }

    /// The lowest total the floor allows: minimum price × quantity.
    pub fn floor(&self) -> Money {
        self.min_price.times(self.quantity).unwrap_or(Money::ZERO)
    }

    pub fn discount(&self) -> Money {
        Money(self.discounts.iter().map(|d| d.amount.0).sum())
    }

    pub fn discount_from(&self, source: DiscountSource) -> Money {
        Money(self.discounts.iter().filter(|d| d.source == source).map(|d| d.amount.0).sum())
    }

    pub fn total(&self) -> Money {
        Money(self.sum().unwrap_or(Money::ZERO).0 - self.discount().0)
    }

    /// The total shared over the marked units, in the order of their codes:
    /// the kopecks that do not divide go to the first units. Each unit is
    /// registered at its share, and a return refunds that share.
    pub fn unit_totals(&self) -> Vec<Money> {
        split(self.total(), self.marks.len())
    }

    /// What the units with `codes` were sold at, together.
    pub fn refund_of(&self, codes: &[super::marking::MarkCode]) -> Money {
        let totals = self.unit_totals();
        let sold = |code: &super::marking::MarkCode| {
            let at = self.marks.iter().position(|m| m.identity() == code.identity());
            at.and_then(|i| totals.get(i)).map_or(0, |m| m.0)
        };
        Money(codes.iter().map(sold).sum())
    }

    /// How much more discount the floor still allows.
    fn room(&self) -> Money {
        Money((self.total().0 - self.floor().0).max(0))
    }
}

/// `total` in `count` parts, the kopecks that do not divide on the first ones.
pub fn split(total: Money, count: usize) -> Vec<Money> {
    let n = count as i64;
    if n == 0 {
        return Vec::new();
    }
    (0..n).map(|i| Money(total.0 / n + i64::from(i < total.0 % n))).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    Cash,
    Card,
    /// A gift certificate, checked and debited by the loyalty server (MaxBonus).
    Certificate,
}

impl PaymentKind {
    pub const ALL: [PaymentKind; 3] = [PaymentKind::Cash, PaymentKind::Card, PaymentKind::Certificate];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub kind: PaymentKind,
    /// The part of the receipt this payment covers.
    pub amount: Money,
    /// Cash handed over; `tendered - amount` is the change.
    pub tendered: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    Sale,
    /// A return against a sale; `card_refundable` is what may still go back
    /// to the card the sale was paid with (the rest is refunded in cash).
    Return {
        original: ReceiptId,
        card_refundable: Money,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Totals {
    pub sum: Money,
    pub discount: Money,
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub kind: ReceiptKind,
    pub opened_at: NaiveDateTime,
    pub positions: Vec<Position>,
    pub receipt_rule: Option<DiscountRule>,
    pub payments: Vec<Payment>,
    /// The loyalty client and what the loyalty system said, when there is one.
    #[serde(default)]
    pub loyalty: Option<super::loyalty::ReceiptLoyalty>,
    /// The loyalty link probe's finding for this receipt (KilBil).
    #[serde(default)]
    pub link: super::loyalty::LinkCheck,
    /// Its number went to the loyalty server with a document: cancelled, the
    /// receipt keeps that number, so no other receipt is sent under it
    /// (KilBil's move_id «должен быть уникальным»).
    #[serde(default)]
    pub number_sent: bool,
    /// The customer asked for the receipt electronically, at this phone or
    /// e-mail (kept with the receipt, so a restart does not forget it).
    #[serde(default)]
    pub e_receipt: Option<String>,
    /// The buyer's age confirmed for goods sold from 18: asked once a receipt.
    /// Boxed: a receipt travels inside events, which stay small.
    #[serde(default)]
    pub age_confirmed: Option<Box<super::age::AgeConfirmation>>,
}

impl Receipt {
    pub fn new(kind: ReceiptKind, opened_at: NaiveDateTime) -> Receipt {
        Receipt {
            kind,
            opened_at,
            positions: Vec::new(),
            receipt_rule: None,
            payments: Vec::new(),
            loyalty: None,
            link: Default::default(),
            number_sent: false,
            e_receipt: None,
            age_confirmed: None,
        }
    }

    pub fn is_return(&self) -> bool {
        matches!(self.kind, ReceiptKind::Return { .. })
    }

    pub fn totals(&self) -> Totals {
        let mut totals = Totals::default();
        for p in &self.positions {
            totals.sum.0 += p.sum().unwrap_or(Money::ZERO).0;
            totals.discount.0 += p.discount().0;
        }
        totals.total = Money(totals.sum.0 - totals.discount.0);
        totals
    }

    pub fn paid(&self) -> Money {
        Money(self.payments.iter().map(|p| p.amount.0).sum())
    }

    pub fn paid_by(&self, kind: PaymentKind) -> Money {
        Money(self.payments.iter().filter(|p| p.kind == kind).map(|p| p.amount.0).sum())
    }

    pub fn remaining(&self) -> Money {
        Money((self.totals().total.0 - self.paid().0).max(0))
    }

    /// For a return: the refund split as (cash, card), card first.
    pub fn refund_split(&self) -> (Money, Money) {
        let total = self.totals().total;
        let card = match self.kind {
            ReceiptKind::Return { card_refundable, .. } => total.min(card_refundable),
            ReceiptKind::Sale => Money::ZERO,
        };
        (Money(total.0 - card.0), card)
    }

    pub fn change(&self) -> Money {
        Money(self.payments.iter().map(|p| p.tendered.0 - p.amount.0).sum())
    }

    pub fn is_fully_paid(&self) -> bool {
        !self.positions.is_empty() && self.paid() >= self.totals().total
    }

    /// Recomputes every discount the receipt's rules give, in order:
    /// position rules, then the receipt rule shared over positions, each
    /// within the minimum-price floor. Loyalty and return discounts are kept.
    /// Returns true when some rule was cut by a floor.
    pub fn recalculate(&mut self) -> bool {
        if self.is_return() {
            return false;
        }
        let mut capped = false;
        for p in &mut self.positions {
            p.discounts
                .retain(|d| !matches!(d.source, DiscountSource::Position | DiscountSource::Receipt));
            let Some(rule) = p.rule else { continue };
            let sum = p.sum().unwrap_or(Money::ZERO);
            let wanted = match rule {
                DiscountRule::Percent(bp) => sum.percent(bp).unwrap_or(Money::ZERO),
                DiscountRule::Amount(amount) => amount,
            };
            let granted = wanted.min(p.room());
            capped |= granted < wanted;
            if !granted.is_zero() {
                p.discounts.push(Discount {
                    source: DiscountSource::Position,
                    amount: granted,
                });
            }
        }
        if let Some(rule) = self.receipt_rule {
            let weights: Vec<Money> = self.positions.iter().map(Position::total).collect();
            let base = Money(weights.iter().map(|m| m.0).sum());
            let wanted = match rule {
                DiscountRule::Percent(bp) => base.percent(bp).unwrap_or(Money::ZERO),
                DiscountRule::Amount(amount) => amount,
            };
            let caps: Vec<Money> = self.positions.iter().map(Position::room).collect();
            let shares = distribute(wanted, &weights, &caps);
            let granted: i64 = shares.iter().map(|m| m.0).sum();
            capped |= granted < wanted.0;
            for (p, share) in self.positions.iter_mut().zip(shares) {
                if !share.is_zero() {
                    p.discounts.push(Discount {
                        source: DiscountSource::Receipt,
                        amount: share,
                    });
                }
            }
        }
        capped
    }
}

/// Shares `amount` over positions in proportion to `weights`, never giving a
/// position more than its cap; what a capped position cannot take goes to the
/// others. Kopeck remainders go to the heaviest positions first, so the
/// shares add up to `amount` exactly unless the caps together are smaller.
pub fn distribute(amount: Money, weights: &[Money], caps: &[Money]) -> Vec<Money> {
    let mut shares = vec![Money::ZERO; weights.len()];
    let mut left = amount.0.max(0);
    while left > 0 {
        let open: Vec<usize> = (0..weights.len()).filter(|&i| shares[i] < caps[i] && weights[i].0 > 0).collect();
        let weight: i64 = open.iter().map(|&i| weights[i].0).sum();
        if open.is_empty() || weight == 0 {
            break;
        }
        let mut given = 0;
        for &i in &open {
            let proportional = Money(left).share(weights[i].0, weight).unwrap_or(Money::ZERO).0;
            let room = caps[i].0 - shares[i].0;
            let take = proportional.min(room).min(left - given);
            shares[i].0 += take;
            given += take;
        }
        if given == 0 {
            // Rounding left kopecks nobody got: hand them out one by one, heaviest first.
            let mut by_weight = open.clone();
            by_weight.sort_by_key(|&i| std::cmp::Reverse(weights[i]));
            for i in by_weight {
                if left - given == 0 {
                    break;
                }
                if shares[i] < caps[i] {
                    shares[i].0 += 1;
                    given += 1;
                }
            }
        }
        left -= given;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("valid date")
    }

    fn position(price: i64, min_price: i64, quantity: i64) -> Position {
        let item = Item::sample("Товар", Money(price), Money(min_price));
        Position::from_item(&item, Quantity(quantity), None)
    }

    #[test]
    fn totals_round_each_position() {
        let mut r = Receipt::new(ReceiptKind::Sale, at());
        r.positions.push(position(8990, 0, 455)); // 40.9045 → 40.90
        r.positions.push(position(100, 0, 3000));
        assert_eq!(r.totals().total, Money(4390));
    }

    #[test]
    fn position_discount_stops_at_floor() {
        let mut r = Receipt::new(ReceiptKind::Sale, at());
        let mut p = position(10000, 9000, 2000);
        p.rule = Some(DiscountRule::Percent(2000)); // wants 40.00, floor allows 20.00
        r.positions.push(p);
        assert!(r.recalculate());
        assert_eq!(r.totals().discount, Money(2000));
        assert_eq!(r.totals().total, Money(18000));
    }

    #[test]
    fn receipt_discount_is_shared_and_exact() {
        let mut r = Receipt::new(ReceiptKind::Sale, at());
        r.positions.push(position(1000, 0, 1000));
        r.positions.push(position(2000, 0, 1000));
        r.positions.push(position(3000, 0, 1000));
        r.receipt_rule = Some(DiscountRule::Amount(Money(100)));
        assert!(!r.recalculate());
        let shares: Vec<Money> = r.positions.iter().map(|p| p.discount()).collect();
        assert_eq!(shares.iter().map(|m| m.0).sum::<i64>(), 100);
        assert_eq!(shares, vec![Money(17), Money(33), Money(50)]);
    }

    #[test]
    fn receipt_discount_moves_past_capped_positions() {
        let mut r = Receipt::new(ReceiptKind::Sale, at());
        r.positions.push(position(1000, 1000, 1000)); // no room at all
        r.positions.push(position(1000, 0, 1000));
        r.receipt_rule = Some(DiscountRule::Amount(Money(300)));
        assert!(!r.recalculate());
        assert_eq!(r.positions[0].discount(), Money(0));
        assert_eq!(r.positions[1].discount(), Money(300));
    }

    #[test]
    fn distribute_handles_remainders_and_caps() {
        let shares = distribute(Money(10), &[Money(1), Money(1), Money(1)], &[Money(100); 3]);
        assert_eq!(shares.iter().map(|m| m.0).sum::<i64>(), 10);
        let capped = distribute(Money(10), &[Money(1), Money(1)], &[Money(2), Money(3)]);
        assert_eq!(capped, vec![Money(2), Money(3)]);
    }

    #[test]
    fn payments_and_change() {
        let mut r = Receipt::new(ReceiptKind::Sale, at());
        r.positions.push(position(15050, 0, 1000));
        r.payments.push(Payment {
            kind: PaymentKind::Card,
            amount: Money(5050),
            tendered: Money(5050),
        });
        assert_eq!(r.remaining(), Money(10000));
        r.payments.push(Payment {
            kind: PaymentKind::Cash,
            amount: Money(10000),
            tendered: Money(20000),
        });
        assert!(r.is_fully_paid());
        assert_eq!(r.change(), Money(10000));
    }
}
