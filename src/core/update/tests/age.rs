//! Goods sold from 18 and alcohol's hours, through `update`.

use chrono::{NaiveDate, NaiveDateTime};
use std::sync::Arc;

use super::Harness;
use crate::core::age::{AgeConfirmation, AlcoholHours};
use crate::core::catalog::Catalog;
use crate::core::command::Command;
use crate::core::event::Event;
use crate::core::journal::ReceiptId;
use crate::core::money::Quantity;
use crate::core::notice::Notice;
use crate::core::state::{Dialog, Settings};

const CATALOG: &str = "code;name;price;min_price;weighed;barcodes;vat;mark;age\n\
    1001;Молоко;89.90;80.00;0;4607001771562;10;;\n\
    1089;Энергетик;99.00;;0;4616090445186;20;;18\n\
    3005;Вино;459.00;;0;4607030990606;22;;alcohol\n";

const MILK: &str = "4607001771562";
const ENERGY: &str = "4616090445186";
const WINE: &str = "4607030990606";

fn at(day: u32, hour: u32, minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 12, day)
        .and_then(|d| d.and_hms_opt(hour, minute, 0))
        .expect("valid")
}

/// A shift open at `now` with the catalog above.
fn harness(settings: Settings, now: NaiveDateTime) -> Harness {
    let mut h = Harness::with(settings);
    h.state.catalog = Arc::new(Catalog::from_csv("test", CATALOG).expect("valid catalog"));
    h.send(Event::Tick(now));
    h.open_shift();
    h
}

fn scan(h: &mut Harness, code: &str) {
    h.send(Event::Scan(code.into()));
}

fn positions(h: &Harness) -> usize {
    h.state.receipt().map_or(0, |r| r.positions.len())
}

fn asked(h: &Harness) -> bool {
    matches!(h.state.dialog, Some(Dialog::Age { .. }))
}

#[test]
fn the_buyers_age_is_asked_once_a_receipt_and_kept_in_the_journal() {
    let mut h = harness(Settings::default(), at(8, 12, 0));
    scan(&mut h, MILK);
    assert!(!asked(&h), "milk is for anyone");
    scan(&mut h, ENERGY);
    assert!(asked(&h));
    assert_eq!(positions(&h), 1, "not added before the answer");
    h.press(Command::Confirm);
    assert_eq!(positions(&h), 2);
    let confirmed = Some(Box::new(AgeConfirmation {
        cashier: "Иванова".into(),
        at: at(8, 12, 0),
    }));
    assert_eq!(h.state.receipt().and_then(|r| r.age_confirmed.clone()), confirmed);
    scan(&mut h, MILK);
    scan(&mut h, ENERGY);
    scan(&mut h, WINE);
    assert!(!asked(&h), "confirmed for this receipt");
    assert_eq!(positions(&h), 5);
    h.press(Command::Pay);
    h.press(Command::Confirm);
    let id = ReceiptId { shift: 1, number: 1 };
    assert_eq!(h.journal.get(&id).and_then(|c| c.receipt.age_confirmed.clone()), confirmed);
    // The next customer is asked again.
    h.close_dialog();
    scan(&mut h, ENERGY);
    assert!(asked(&h));
}

#[test]
fn esc_refuses_the_item() {
    let mut h = harness(Settings::default(), at(8, 12, 0));
    h.type_text("2");
    h.press(Command::Multiply);
    scan(&mut h, ENERGY);
    assert!(asked(&h));
    // A scan meanwhile is not an answer.
    scan(&mut h, MILK);
    assert!(asked(&h));
    h.press(Command::Cancel);
    assert_eq!(h.state.dialog, None);
    assert_eq!(positions(&h), 0);
    assert_eq!(h.state.notice, Some(Notice::AgeNotConfirmed("Энергетик".into())));
    assert!(h.state.receipt().is_none_or(|r| r.age_confirmed.is_none()));
}

#[test]
fn the_confirmed_item_keeps_its_quantity() {
    let mut h = harness(Settings::default(), at(8, 12, 0));
    h.type_text("2");
    h.press(Command::Multiply);
    scan(&mut h, ENERGY);
    h.press(Command::Confirm);
    assert_eq!(h.state.receipt().map(|r| r.positions[0].quantity), Some(Quantity::pieces(2)));
    assert_eq!(h.state.receipt().and_then(|r| r.positions[0].barcode.clone()), Some(ENERGY.into()));
}

#[test]
fn alcohol_is_refused_outside_its_hours_even_past_midnight() {
    let settings = Settings {
        alcohol_hours: AlcoholHours::parse("10:00-02:00").expect("hours"),
        ..Settings::default()
    };
    let mut h = harness(settings, at(8, 9, 59));
    let refused = Some(Notice::AlcoholHours {
        name: "Вино".into(),
        hours: h.state.settings.alcohol_hours,
    });
    scan(&mut h, WINE);
    assert!(!asked(&h));
    assert_eq!(h.state.notice, refused);
    h.send(Event::Tick(at(9, 1, 30)));
    scan(&mut h, WINE);
    assert!(asked(&h), "01:30 is within 10:00-02:00");
    h.press(Command::Confirm);
    assert_eq!(positions(&h), 1);
    h.send(Event::Tick(at(9, 2, 0)));
    scan(&mut h, WINE);
    assert_eq!(h.state.notice, refused, "confirmed age does not open the hours");
    assert_eq!(positions(&h), 1);
    // Goods sold from 18 that are not alcohol have no hours.
    scan(&mut h, ENERGY);
    assert_eq!(positions(&h), 2);
}

#[test]
fn alcohol_added_in_its_hours_is_paid_after_them_but_not_raised() {
    let mut h = harness(Settings::default(), at(8, 22, 50));
    scan(&mut h, WINE);
    h.press(Command::Confirm);
    h.send(Event::Tick(at(8, 23, 5)));
    h.type_text("2");
    h.press(Command::Quantity);
    assert!(matches!(h.state.notice, Some(Notice::AlcoholHours { .. })));
    assert_eq!(h.state.receipt().map(|r| r.positions[0].quantity), Some(Quantity::ONE));
    h.press(Command::Pay);
    h.press(Command::Confirm);
    assert!(h.state.receipt().is_none(), "sold when it was added");
    assert_eq!(h.journal.len(), 1);
}

#[test]
fn returns_are_not_asked_about_age() {
    let mut h = harness(Settings::default(), at(8, 12, 0));
    scan(&mut h, ENERGY);
    h.press(Command::Confirm);
    h.press(Command::Pay);
    h.press(Command::Confirm);
    h.close_dialog();
    // Past the alcohol hours too: a return is no sale.
    h.send(Event::Tick(at(8, 23, 30)));
    h.press(Command::ReturnReceipt);
    h.type_text("1/1");
    h.press(Command::Confirm);
    h.press(Command::Confirm);
    h.press(Command::Pay);
    assert!(!asked(&h));
    assert_eq!(h.state.receipt().map(|r| (r.is_return(), r.positions.len())), Some((true, 1)));
    h.press(Command::Confirm);
    assert_eq!(h.journal.len(), 2);
}

#[test]
fn state_saved_before_the_age_check_reads() {
    use crate::core::receipt::{Receipt, ReceiptKind};
    let receipt = Receipt::new(ReceiptKind::Sale, at(8, 12, 0));
    let mut json = serde_json::to_value(&receipt).expect("json");
    json.as_object_mut().map(|o| o.remove("age_confirmed"));
    assert_eq!(serde_json::from_value::<Receipt>(json).ok(), Some(receipt));
    let mut json = serde_json::to_value(Settings::default()).expect("json");
    json.as_object_mut().map(|o| o.remove("alcohol_hours"));
    let settings = serde_json::from_value::<Settings>(json).expect("old settings");
    assert_eq!(settings.alcohol_hours, AlcoholHours::default());
}
