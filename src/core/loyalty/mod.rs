//! A receipt's loyalty state, and the receipt as the loyalty system sees it.
//! Pure data and arithmetic: the requests themselves are effects.

pub mod flow;
pub mod interface;
pub mod slip;

pub use flow::Flow;
pub use interface::*;

use serde::{Deserialize, Serialize};

use super::journal::{ClosedReceipt, ReturnSource};
use super::ledger::{Journaled, Kind as LedgerKind};
use super::money::{Money, Quantity};
use super::receipt::{DiscountSource, PaymentKind, Position, Receipt, ReceiptKind, distribute};

/// What the receipt's link probe found (KilBil).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkCheck {
    #[default]
    Unchecked,
    Up,
    /// No link at the start or lost mid-receipt: nothing more is sent for it.
    Down,
}

/// Where the receipt's loyalty stands, as the Frontol processes walk it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Nothing calculated for the receipt as it is now.
    Pending,
    /// The precheck is applied; `available` caps the bonus payment.
    Calculated { available: Money },
    /// No link and the cashier went on: accrual only, no bonus payment.
    Offline,
    /// The server refused: nothing more until the client is removed.
    Refused { text: String },
    /// A return against a sale with loyalty: nothing is asked before closing;
    /// the confirmation refers to the sale.
    Return,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLoyalty {
    pub client: ClientId,
    /// The document's uid, kept from the first request to the confirmation.
    pub uid: String,
    /// For a return: the sale's uid.
    pub reference_uid: Option<String>,
    pub stage: Stage,
    /// The bonus payment spread over positions (as `Bonus` discounts).
    pub bonus_paid: Money,
    /// A distribution broke the minimum prices: no bonus payment, for good.
    pub bonus_blocked: bool,
    /// Phones and e-mails remembered for the electronic receipt.
    pub contacts: Vec<String>,
    /// The client's name and balance when the server told them.
    pub name: Option<String>,
    pub balance: Option<Money>,
    /// A bonus payment sent and not yet answered. Saved before sending: after
    /// a crash the server may have debited it, so it is cancelled there first.
    #[serde(default)]
    pub bonus_in_flight: Option<Money>,
    /// The promo code the cashier entered (one per receipt).
    #[serde(default)]
    pub promo_code: Option<String>,
    /// For a return: where and when its sale was made.
    #[serde(default)]
    pub sale: Option<SaleRef>,
    /// For a return: what the guest keeps of the sale.
    #[serde(default)]
    pub kept: Option<Kept>,
    /// Bonuses that burn, and when (ProBonus).
    #[serde(default)]
    pub burning: Vec<Burning>,
    /// Spending needs the client's code (MaxBonus `n_checkpin`).
    #[serde(default)]
    pub spend_code: bool,
    /// Gift certificates paying part of the receipt (their payments are on it too).
    #[serde(default)]
    pub certificates: Vec<CertificatePayment>,
    /// Where the write before printing stands (MaxBonus).
    #[serde(default)]
    pub written: Written,
    /// The write's text for the receipt's footer.
    #[serde(default)]
    pub footer: Vec<String>,
    /// For a return: the bonuses its lines had paid in the sale, given back
    /// to the client (the refund's non-fiscal bonus payment).
    #[serde(default)]
    pub bonus_refunded: Money,
}

/// The write of a receipt before it is printed (MaxBonus).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Written {
    #[default]
    No,
    /// Sent and not answered: the server may have it. Saved before sending,
    /// so a receipt that goes away after it has its check rolled back.
    InDoubt,
    /// The server has it; the close follows (if the close fails and the
    /// receipt goes away instead, its check is rolled back too).
    Done,
}

impl ReceiptLoyalty {
    pub fn new(client: ClientId, uid: String) -> ReceiptLoyalty {
        // A phone typed as the identifier is also a contact for the e-receipt.
        let contacts = match &client {
            ClientId::Phone(phone) => vec![phone.clone()],
            ClientId::Card(_) | ClientId::Anonymous => Vec::new(),
        };
        ReceiptLoyalty {
            client,
            uid,
            reference_uid: None,
            stage: Stage::Pending,
            bonus_paid: Money::ZERO,
            bonus_blocked: false,
            contacts,
            name: None,
            balance: None,
            bonus_in_flight: None,
            promo_code: None,
            sale: None,
            kept: None,
            burning: Vec::new(),
            spend_code: false,
            certificates: Vec::new(),
            written: Written::No,
            footer: Vec::new(),
            bonus_refunded: Money::ZERO,
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.client == ClientId::Anonymous
    }

    pub fn remember_contact(&mut self, contact: &str) {
        let contact = contact.trim();
        if !contact.is_empty() && !self.contacts.iter().any(|c| c == contact) {
            self.contacts.push(contact.to_string());
        }
    }

    /// The precheck's contacts replace those that came from typing the phone.
    pub fn replace_contacts(&mut self, phone: Option<&str>, email: Option<&str>) {
        if phone.is_some() || email.is_some() {
            self.contacts.clear();
        }
        for contact in [phone, email].into_iter().flatten() {
            self.remember_contact(contact);
        }
    }
}

/// The loyalty of a return against `sale`, when the sale had it (and the
/// server did not refuse it): same client and contacts, its own uid, and the
/// sale's uid as the reference.
pub fn for_return(sale: &Receipt, flow: &Flow, uid: String, sale_ref: SaleRef, returned: (Kept, Money)) -> Option<ReceiptLoyalty> {
    if !counted_by_server(sale, flow) {
        return None;
    }
    let sale = sale.loyalty.as_ref()?;
    let (kept, bonus_refunded) = returned;
    Some(ReceiptLoyalty {
        client: sale.client.clone(),
        uid,
        reference_uid: Some(sale.uid.clone()),
        stage: Stage::Return,
        bonus_paid: Money::ZERO,
        bonus_blocked: true,
        contacts: sale.contacts.clone(),
        name: sale.name.clone(),
        balance: None,
        bonus_in_flight: None,
        promo_code: None,
        sale: Some(sale_ref),
        kept: Some(kept),
        bonus_refunded,
        ..ReceiptLoyalty::new(sale.client.clone(), String::new())
    })
}

/// Whether the loyalty server counts `receipt` once it is closed: its
/// confirmation is queued, or (MaxBonus) it was written before printing.
/// A refused receipt is not; where a receipt without the link sends nothing
/// (KilBil), only one the server calculated as it closed is.
pub fn counted_by_server(receipt: &Receipt, flow: &Flow) -> bool {
    let Some(loyalty) = receipt.loyalty.as_ref() else {
        return false;
    };
    if matches!(loyalty.stage, Stage::Refused { .. }) {
        return false;
    }
    let calculated = matches!(loyalty.stage, Stage::Calculated { .. }) && receipt.link != LinkCheck::Down;
    loyalty.written == Written::Done || flow.link_loss.confirms_offline() || calculated
}

/// What kassa's journal says the loyalty server should have counted for
/// `closed`: `None` when the server does not count it.
pub fn journaled(closed: &ClosedReceipt, flow: &Flow) -> Option<Journaled> {
    let loyalty = closed
        .receipt
        .loyalty
        .as_ref()
        .filter(|_| counted_by_server(&closed.receipt, flow))?;
    let client = match &loyalty.client {
        ClientId::Card(id) | ClientId::Phone(id) => id.clone(),
        ClientId::Anonymous => String::new(),
    };
    let (kind, bonus) = match closed.receipt.is_return() {
        true => (LedgerKind::Return, loyalty.bonus_refunded),
        false => (LedgerKind::Sale, loyalty.bonus_paid),
    };
    Some(Journaled {
        client,
        kind,
        paid: closed.totals().total,
        bonus,
        receipt: closed.id.to_string(),
    })
}

/// The bonuses that the lines returned now had paid in the sale: each
/// position's bonus share for the quantity returned, on cumulative
/// quantities (as refunds are), so the returns of a sale give back exactly
/// what it spent.
pub fn bonus_returned(source: &ReturnSource, quantities: &[Quantity]) -> Money {
    let mut back = Money::ZERO;
    for (i, p) in source.sale.receipt.positions.iter().enumerate() {
        let now = quantities.get(i).map_or(0, |q| q.0);
        if now <= 0 || p.quantity.0 <= 0 {
            continue;
        }
        let bonus = p.discount_from(DiscountSource::Bonus);
        let before = source.returned.quantity(i).0;
        let share = |q: i64| bonus.share(q, p.quantity.0).unwrap_or(Money::ZERO);
        back.0 += share(before + now).0 - share(before).0;
    }
    back
}

/// What the guest keeps of `source`'s sale after returning `quantities`
/// now: each position's total and bonus share for the quantity left,
/// computed on cumulative quantities as refunds are, so sale = refunds + kept
/// to the kopeck.
pub fn kept(source: &ReturnSource, quantities: &[Quantity]) -> Kept {
    let mut kept = Kept {
        earlier_returns: source.returned.returns.len() as u32,
        ..Kept::default()
    };
    for (i, p) in source.sale.receipt.positions.iter().enumerate() {
        let gone = source.returned.quantity(i).0 + quantities.get(i).map_or(0, |q| q.0);
        let left = p.quantity.0 - gone;
        if left <= 0 {
            continue;
        }
        let keep = |whole: Money| Money(whole.0 - whole.share(gone, p.quantity.0).unwrap_or(whole).0);
        let bonus = p.discount_from(DiscountSource::Bonus);
        kept.bonus.0 += keep(bonus).0;
        kept.lines.push(Line {
            index: kept.lines.len() as u32 + 1,
            code: p.item_code.clone(),
            name: p.name.clone(),
            price: p.price,
            min_price: p.min_price,
            quantity: Quantity(left),
            total: keep(p.total()),
            before_loyalty: keep(p.total()),
            sale_index: Some(i as u32 + 1),
        });
    }
    kept
}

/// A uid for a receipt: a UUID (as servers expect) derived from the store,
/// register, shift, number and opening time, so it is unique and replays
/// are deterministic.
pub fn receipt_uid(store: &str, register: &str, shift: u32, number: u32, opened_at: chrono::NaiveDateTime) -> String {
    derived_uid(&format!("{store}/{register}/{shift}/{number}/{opened_at}"))
}

/// A UUID (version 8) that `seed` always gives and no other seed does, in practice.
pub fn derived_uid(seed: &str) -> String {
    use md5::{Digest, Md5};
    let digest = Md5::digest(seed.as_bytes());
    let mut bytes: [u8; 16] = digest.into();
    bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8: custom
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// What the position costs after everything but `skip` (for the request
/// fields whose meaning leaves some discounts out).
fn total_without(position: &Position, skip: &[DiscountSource]) -> Money {
    let kept: i64 = position
        .discounts
        .iter()
        .filter(|d| !skip.contains(&d.source))
        .map(|d| d.amount.0)
        .sum();
    Money(position.sum().unwrap_or(Money::ZERO).0 - kept)
}

/// The receipt as the loyalty system sees it. `skip` leaves out discounts
/// that this request must not count.
pub fn document(receipt: &Receipt, loyalty: &ReceiptLoyalty, shift: u32, number: u32, skip: &[DiscountSource]) -> Document {
    let lines = receipt
        .positions
        .iter()
        .enumerate()
        .map(|(i, p)| Line {
            index: i as u32 + 1,
            code: p.item_code.clone(),
            name: p.name.clone(),
            price: p.price,
            min_price: p.min_price,
            quantity: p.quantity,
            total: total_without(p, skip),
            before_loyalty: total_without(p, &[DiscountSource::Loyalty, DiscountSource::Bonus]),
            sale_index: p.original_index.map(|o| o as u32 + 1),
        })
        .collect();
    let kind = match (&receipt.kind, &loyalty.reference_uid) {
        (ReceiptKind::Return { .. }, Some(reference)) => DocumentKind::Return {
            reference_uid: reference.clone(),
            sale: loyalty.sale.clone(),
            kept: loyalty.kept.clone(),
        },
        _ => DocumentKind::Sale,
    };
    Document {
        uid: loyalty.uid.clone(),
        kind,
        shift,
        number,
        at: receipt.opened_at,
        lines,
        promo_code: loyalty.promo_code.clone(),
        closed_at: None,
        certificates: loyalty.certificates.clone(),
    }
}

/// The request that cancels `amount` of bonus payment on the receipt.
pub fn cancellation(receipt: &Receipt, loyalty: &ReceiptLoyalty, shift: u32, number: u32, amount: Money) -> Request {
    // The spec's cancel carries the receipt with the payment it cancels
    // applied. A payment in doubt never reached the receipt (its
    // distribution never arrived), so it is spread here as kassa would.
    let spread;
    let receipt = match loyalty.bonus_in_flight.filter(|m| !m.is_zero()) {
        Some(in_doubt) => {
            let mut with = receipt.clone();
            let shares = own_distribution(&with, in_doubt);
            apply_bonus(&mut with, &shares);
            spread = with;
            &spread
        }
        None => receipt,
    };
    let document = document(receipt, loyalty, shift, number, &[]);
    Request::CancelBonusPayment {
        client: loyalty.client.clone(),
        document,
        amount,
    }
}

/// The confirmation of a closed receipt: totals net of everything, and the
/// payments (cash net of change; the bonus as a non-fiscal payment).
pub fn confirm_request(closed: &ClosedReceipt, loyalty: &ReceiptLoyalty) -> Request {
    let receipt = &closed.receipt;
    let mut document = document(receipt, loyalty, closed.id.shift, closed.id.number, &[]);
    document.closed_at = Some(closed.closed_at);
    let mut payments = Vec::new();
    // A sale's write-off, or what a return gives back of it.
    let bonus = if receipt.is_return() {
        loyalty.bonus_refunded
    } else {
        loyalty.bonus_paid
    };
    if !bonus.is_zero() {
        payments.push(Payment {
            kind: PaymentType::Bonus,
            amount: bonus,
        });
    }
    let kinds = [
        (PaymentKind::Cash, PaymentType::Cash),
        (PaymentKind::Card, PaymentType::Card),
        (PaymentKind::Certificate, PaymentType::Other),
    ];
    for (kind, wire) in kinds {
        let amount = receipt.paid_by(kind);
        if !amount.is_zero() {
            payments.push(Payment { kind: wire, amount });
        }
    }
    Request::Confirm {
        client: loyalty.client.clone(),
        document,
        payments,
    }
}

/// How much discount the floor still allows on each position.
pub fn rooms(receipt: &Receipt) -> Vec<Money> {
    receipt
        .positions
        .iter()
        .map(|p| Money((p.total().0 - p.floor().0).max(0)))
        .collect()
}

/// The most the cashier may pay by bonus: what the floors allow, what is
/// left to pay, and what the server said (when it said).
pub fn bonus_limit(receipt: &Receipt, server: Option<Money>) -> Money {
    let floors = Money(rooms(receipt).iter().map(|m| m.0).sum());
    let limit = floors.min(receipt.remaining());
    server.map_or(limit, |s| s.min(limit))
}

/// Applies precheck discounts by line index, each within its position's
/// floor. True when some discount was cut.
pub fn apply_discounts(receipt: &mut Receipt, discounts: &[(u32, Money)]) -> bool {
    let mut capped = false;
    for (index, amount) in discounts {
        let Some(position) = (*index as usize).checked_sub(1).and_then(|i| receipt.positions.get_mut(i)) else {
            capped = true;
            continue;
        };
        let room = Money((position.total().0 - position.floor().0).max(0));
        let granted = (*amount).min(room);
        capped |= granted < *amount;
        if !granted.is_zero() {
            position.discounts.push(super::receipt::Discount {
                source: DiscountSource::Loyalty,
                amount: granted,
            });
        }
    }
    capped
}

/// Checks a server's bonus distribution against the floors; the shares per
/// position when it fits.
pub fn check_distribution(receipt: &Receipt, distribution: &[(u32, Money)]) -> Option<Vec<Money>> {
    let rooms = rooms(receipt);
    let mut shares = vec![Money::ZERO; rooms.len()];
    for (index, amount) in distribution {
        let i = (*index as usize).checked_sub(1).filter(|i| *i < rooms.len())?;
        shares[i].0 += amount.0;
        if amount.is_negative() || shares[i] > rooms[i] {
            return None;
        }
    }
    Some(shares)
}

/// Our own distribution of a bonus payment, in proportion to the totals and within the floors.
pub fn own_distribution(receipt: &Receipt, amount: Money) -> Vec<Money> {
    let weights: Vec<Money> = receipt.positions.iter().map(Position::total).collect();
    distribute(amount, &weights, &rooms(receipt))
}

/// Puts bonus shares on the positions as `Bonus` discounts.
pub fn apply_bonus(receipt: &mut Receipt, shares: &[Money]) -> Money {
    let mut paid = Money::ZERO;
    for (position, share) in receipt.positions.iter_mut().zip(shares) {
        if !share.is_zero() {
            position.discounts.push(super::receipt::Discount {
                source: DiscountSource::Bonus,
                amount: *share,
            });
            paid.0 += share.0;
        }
    }
    paid
}

/// Removes every discount of `source`.
pub fn forget(receipt: &mut Receipt, source: DiscountSource) {
    for position in &mut receipt.positions {
        position.discounts.retain(|d| d.source != source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::Item;
    use chrono::NaiveDate;

    fn receipt() -> Receipt {
        let at = NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("date");
        let mut r = Receipt::new(ReceiptKind::Sale, at);
        for (price, min) in [(1000_00, 900_00), (500_00, 0)] {
            let item = Item::sample("Т", Money(price), Money(min));
            r.positions.push(Position::from_item(&item, Quantity::ONE, None));
        }
        r
    }

    #[test]
    fn uids_are_uuids_and_differ_per_receipt() {
        let at = NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .expect("date");
        let a = receipt_uid("1", "1", 1, 1, at);
        assert_eq!(uuid::Uuid::parse_str(&a).map(|u| u.get_version_num()), Ok(8));
        assert_ne!(a, receipt_uid("1", "1", 1, 2, at));
        assert_eq!(a, receipt_uid("1", "1", 1, 1, at));
    }

    #[test]
    fn discounts_and_distributions_respect_floors() {
        let mut r = receipt();
        assert!(
            apply_discounts(&mut r, &[(1, Money(150_00)), (2, Money(50_00))]),
            "line 1 may lose only 100.00"
        );
        assert_eq!(r.totals().total, Money(900_00 + 450_00));
        assert_eq!(bonus_limit(&r, Some(Money(1000_00))), Money(450_00));
        assert_eq!(check_distribution(&r, &[(1, Money(1))]), None, "line 1 is at its floor");
        assert_eq!(
            check_distribution(&r, &[(2, Money(450_00))]),
            Some(vec![Money::ZERO, Money(450_00)])
        );
        assert_eq!(check_distribution(&r, &[(3, Money(1))]), None);
        let shares = own_distribution(&r, Money(100_00));
        assert_eq!(shares, vec![Money::ZERO, Money(100_00)]);
        assert_eq!(apply_bonus(&mut r, &shares), Money(100_00));
        assert_eq!(r.totals().total, Money(1250_00));
        forget(&mut r, DiscountSource::Bonus);
        assert_eq!(r.totals().total, Money(1350_00));
    }

    #[test]
    fn what_is_kept_and_what_is_refunded_make_the_sale() {
        use crate::core::journal::{ReceiptId, Returned};
        let mut sale = receipt();
        sale.positions[1].quantity = Quantity(3000);
        let shares = [Money(100_00), Money(100_00)];
        apply_bonus(&mut sale, &shares);
        let source = |returned: Returned| ReturnSource {
            sale: ClosedReceipt {
                id: ReceiptId { shift: 1, number: 1 },
                store_id: "1".into(),
                register_id: "1".into(),
                cashier: "К".into(),
                closed_at: sale.opened_at,
                receipt: sale.clone(),
                contact: None,
            },
            returned,
        };
        // One of the three 500.00 pieces back: two thirds of 1400.00 and of its 100.00 bonus stay.
        let first = source(Returned::default());
        let now = [Quantity::ZERO, Quantity(1000)];
        let kept_now = kept(&first, &now);
        assert_eq!(kept_now.earlier_returns, 0);
        assert_eq!(kept_now.lines.len(), 2);
        assert_eq!(kept_now.lines[1].quantity, Quantity(2000));
        assert_eq!(kept_now.lines[1].total.0 + first.refund_for(1, Quantity(1000)).0, 1400_00);
        assert_eq!(kept_now.bonus, Money(100_00 + 66_67));
        // Then the other two: nothing of that position is kept, and the refunds add up.
        let second = source(Returned {
            quantities: vec![Quantity::ZERO, Quantity(1000)],
            returns: vec![ReceiptId { shift: 1, number: 2 }],
            ..Returned::default()
        });
        let rest = kept(&second, &[Quantity::ZERO, Quantity(2000)]);
        assert_eq!(rest.earlier_returns, 1);
        assert_eq!(rest.lines.len(), 1);
        assert_eq!(rest.bonus, Money(100_00));
        let refunded = first.refund_for(1, Quantity(1000)).0 + second.refund_for(1, Quantity(2000)).0;
        assert_eq!(refunded, 1400_00);
    }

    #[test]
    fn contacts_from_the_precheck_replace_the_typed_phone() {
        let mut l = ReceiptLoyalty::new(ClientId::Phone("+79211022546".into()), "u".into());
        assert_eq!(l.contacts, ["+79211022546"]);
        l.replace_contacts(Some("+79211022547"), Some("a@b.ru"));
        assert_eq!(l.contacts, ["+79211022547", "a@b.ru"]);
    }
}
