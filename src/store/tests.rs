use chrono::{NaiveDate, NaiveDateTime};

use super::*;
use crate::core::catalog::Item;
use crate::core::money::{Money, Quantity};
use crate::core::receipt::{Payment, PaymentKind, Position, Receipt};
use crate::core::shift::Shift;

fn at() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("valid")
}

fn receipt(kind: ReceiptKind, number: u32, quantity: i64) -> ClosedReceipt {
    let item = Item::sample("Молоко", Money(100_00), Money::ZERO);
    let mut r = Receipt::new(kind, at());
    let mut p = Position::from_item(&item, Quantity::pieces(quantity), None);
    if matches!(r.kind, ReceiptKind::Return { .. }) {
        p.original_index = Some(0);
    }
    r.positions.push(p);
    let total = r.totals().total;
    r.payments.push(Payment {
        kind: PaymentKind::Cash,
        amount: total,
        tendered: total,
    });
    ClosedReceipt {
        id: ReceiptId { shift: 1, number },
        store_id: "1".into(),
        register_id: "1".into(),
        cashier: "Иванова".into(),
        closed_at: at(),
        receipt: r,
        contact: None,
    }
}

fn durable() -> Durable {
    Durable {
        last_shift_number: 1,
        shift: Some(Shift::open(1, "Иванова".into(), at(), Money::ZERO)),
        ..Durable::default()
    }
}

#[test]
fn state_survives_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(dir.path()).expect("open");
        store.save_state(&durable()).expect("save");
    }
    let store = Store::open(dir.path()).expect("reopen");
    assert_eq!(store.load_state().expect("load"), (durable(), None));
}

#[test]
fn closing_is_atomic_and_idempotent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let sale = receipt(ReceiptKind::Sale, 1, 3);
    store.close_receipt(&sale, &durable(), &[]).expect("close");
    // The same close again (a retry after a crash) changes nothing.
    store.close_receipt(&sale, &durable(), &[]).expect("retry is harmless");
    assert_eq!(store.journal(None).count(), 1);
    // Another receipt under the same number is refused.
    let other = receipt(ReceiptKind::Sale, 1, 2);
    assert!(matches!(
        store.close_receipt(&other, &durable(), &[]),
        Err(StoreError::DuplicateReceipt(_))
    ));
    assert_eq!(store.on_date(at().date()).expect("by date").len(), 1);
    assert_eq!(store.find(&ReceiptQuery::Date(at().date())).expect("find").len(), 1);
}

#[test]
fn returns_are_counted_and_never_exceed_the_sale() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let sale = receipt(ReceiptKind::Sale, 1, 3);
    store.close_receipt(&sale, &durable(), &[]).expect("close");
    let kind = ReceiptKind::Return {
        original: sale.id,
        card_refundable: Money::ZERO,
    };
    store
        .close_receipt(&receipt(kind.clone(), 2, 2), &durable(), &[])
        .expect("return 2 of 3");
    let over = receipt(kind.clone(), 3, 2);
    assert!(matches!(
        store.close_receipt(&over, &durable(), &[]),
        Err(StoreError::OverReturn { .. })
    ));
    assert_eq!(store.journal(None).count(), 2, "the refused return left nothing behind");
    let found = store.find(&ReceiptQuery::Id(sale.id)).expect("find");
    assert_eq!(found[0].returned.quantity(0), Quantity::pieces(2));
    assert_eq!(found[0].returned.refunded_cash, Money(200_00));
    let unknown = receipt(
        ReceiptKind::Return {
            original: ReceiptId { shift: 9, number: 9 },
            card_refundable: Money::ZERO,
        },
        4,
        1,
    );
    assert!(matches!(
        store.close_receipt(&unknown, &durable(), &[]),
        Err(StoreError::UnknownSale(_))
    ));
}

#[test]
fn an_unreadable_state_is_set_aside_and_numbering_continues() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(dir.path()).expect("open");
        let mut sale = receipt(ReceiptKind::Sale, 1, 1);
        sale.id.shift = 7;
        store.close_receipt(&sale, &durable(), &[]).expect("close");
        store.state.insert(STATE_KEY, &b"{not json"[..]).expect("corrupt it");
    }
    let store = Store::open(dir.path()).expect("reopen");
    let (state, warning) = store.load_state().expect("load");
    assert_eq!(state.last_shift_number, 7);
    assert!(warning.is_some_and(|w| w.0.contains("set aside")));
    assert_eq!(store.corrupt.len(), 1);
}

#[test]
fn a_corrupt_queue_entry_is_set_aside_not_a_panic() {
    use crate::core::queue::QueueEntry;
    use crate::loyalty::{ClientId, Request};
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let good = QueueEntry {
        id: 2,
        provider: "frontol".into(),
        request: Request::ClientInfo {
            client: ClientId::Card("1".into()),
            history: false,
        },
        created: at(),
        attempts: 0,
        last_error: None,
        next_attempt: None,
    };
    store.enqueue(std::slice::from_ref(&good), &durable()).expect("enqueue");
    // A half-written entry ahead of it.
    store
        .queue
        .insert(1u64.to_be_bytes(), &b"{\"id\": 1, \"provi"[..])
        .expect("corrupt it");
    let (view, warnings) = store.queue_view().expect("view");
    assert_eq!(view.head, Some(good));
    assert_eq!(view.depth, 1);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("set aside as queue-1"), "{warnings:?}");
    assert_eq!(store.corrupt.len(), 1);
}

#[test]
fn a_fiscal_mark_is_for_its_document_not_just_its_number() {
    use crate::devices::shtrih::registrar::{FiscalMarks, JobKey, Mark};
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let key = |digest: &str| JobKey {
        id: 5,
        digest: digest.into(),
    };
    store.set(&key("receipt-a"), Mark::Done).expect("mark");
    assert_eq!(store.get(&key("receipt-a")), Some(Mark::Done));
    assert_eq!(
        store.get(&key("cash-in-b")),
        None,
        "a number that came again after a lost save is another document: it prints"
    );
    // A mark written before digests existed still holds for its number.
    store
        .fiscal
        .insert(6u64.to_be_bytes(), serde_json::to_vec(&Mark::Registered).expect("old"))
        .expect("old mark");
    assert_eq!(
        store.get(&JobKey {
            id: 6,
            digest: "any".into()
        }),
        Some(Mark::Registered)
    );
}

/// Issue 22.2, 22.4: a sold unit is out until a return against its own
/// sale brings it back; sold again in another receipt, a return against
/// the first sale does not free it.
#[test]
fn a_marked_unit_is_out_while_sold_and_back_only_against_its_own_sale() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let x = crate::core::marking::parse("0104600972223306215Ab1cD\u{1d}93dGVz", &[]).expect("a code");
    let y = crate::core::marking::parse("0104600972223306215Zz9yX\u{1d}93kLmn", &[]).expect("a code");
    let with = |mut r: ClosedReceipt, codes: &[&crate::core::marking::MarkCode]| {
        r.receipt.positions[0].marks = codes.iter().map(|c| (*c).clone()).collect();
        r
    };
    let back = |original: ReceiptId, number| {
        receipt(
            ReceiptKind::Return {
                original,
                card_refundable: Money::ZERO,
            },
            number,
            1,
        )
    };
    let a = with(receipt(ReceiptKind::Sale, 1, 2), &[&x, &y]);
    store.close_receipt(&a, &durable(), &[]).expect("sale A");
    assert_eq!(store.sold_mark(&x.identity()).expect("read"), Some(a.id));
    store
        .close_receipt(&with(back(a.id, 2), &[&x]), &durable(), &[])
        .expect("X back from A");
    assert_eq!(store.sold_mark(&x.identity()).expect("read"), None);
    assert_eq!(store.sold_mark(&y.identity()).expect("read"), Some(a.id));
    let b = with(receipt(ReceiptKind::Sale, 3, 1), &[&x]);
    store.close_receipt(&b, &durable(), &[]).expect("X sold again in B");
    store
        .close_receipt(&with(back(a.id, 4), &[&x]), &durable(), &[])
        .expect("a return against A naming X");
    assert_eq!(store.sold_mark(&x.identity()).expect("read"), Some(b.id), "X stays out in B");
}
