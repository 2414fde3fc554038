//! Devices over pseudo-terminal pairs, through the real byte paths:
//! scanners and card readers into events, ESC/POS bytes decoded back to the
//! receipt, Shtrih-M frames with NAK, silence, lost answers, paper running
//! out mid-receipt and a registrar unplugged after it registered — never a
//! receipt registered twice.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use kassa::core::catalog::Vat;
use kassa::core::device::DeviceProblem;
use kassa::core::event::Event;
use kassa::core::money::{Money, Quantity};
use kassa::devices::DeviceState;
use kassa::devices::escpos::EscPosPrinter;
use kassa::devices::framing::Framing;
use kassa::devices::magstripe::CardRule;
use kassa::devices::port::PortSettings;
use kassa::devices::reader::{self, ReaderConfig, ReaderKind};
use kassa::devices::shtrih::link::Timing;
use kassa::devices::shtrih::registrar::{ShtrihPrinter, ShtrihSettings};
use kassa::devices::shtrih::taxes::TaxGroups;
use kassa::emulators::escpos::EscPosEmulator;
use kassa::emulators::scanner::SerialKeyboard;
use kassa::emulators::shtrih::{Fault, Registrar, ShtrihEmulator};
use kassa::loyalty::demo::Demo;
use kassa::print::document::{Document, Fiscal, FiscalKind, FiscalPosition, FiscalReceipt, Line};
use kassa::print::printer::{PrintError, Printer};
use kassa::store::Store;

/// Waits for an event `pick` accepts, up to two seconds.
fn wait_for<T>(events: &mpsc::Receiver<Event>, mut pick: impl FnMut(Event) -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(event) => {
                if let Some(found) = pick(event) {
                    return found;
                }
            }
            Err(_) => panic!("the event did not come"),
        }
    }
}

fn reader_on(path: &str, kind: ReaderKind) -> (reader::ReaderHandle, mpsc::Receiver<Event>) {
    let (tx, rx) = mpsc::channel();
    let config = ReaderConfig {
        name: "scanner".into(),
        port: PortSettings::new(path, 9600),
        framing: Framing::carriage_return(),
        kind,
    };
    let handle = reader::start(config, move |event| {
        let _ = tx.send(event);
    })
    .expect("reader thread");
    (handle, rx)
}

fn scanned(event: Event) -> Option<String> {
    match event {
        Event::Scan(code) => Some(code),
        _ => None,
    }
}

#[test]
fn scans_arrive_whole_junk_is_reported_and_a_replugged_scanner_works_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("scanner");
    let mut scanner = SerialKeyboard::open(Some(&link), b"", b"\r").expect("pty");
    let (handle, events) = reader_on(&link.display().to_string(), ReaderKind::Scanner);
    wait_for(&events, |e| {
        matches!(
            e,
            Event::Device {
                state: DeviceState::Ready,
                ..
            }
        )
        .then_some(())
    });
    scanner.scan("4607001771562").expect("scan");
    scanner.scan("4600051000057").expect("scan");
    assert_eq!(wait_for(&events, scanned), "4607001771562");
    assert_eq!(wait_for(&events, scanned), "4600051000057");
    // A code cut short (the cable wiggled), then junk bytes.
    scanner.send_raw(b"46070").expect("raw");
    let trouble = wait_for(&events, |e| match e {
        Event::DeviceTrouble(t) => Some(t),
        _ => None,
    });
    assert!(trouble.contains("оборвался"), "{trouble}");
    scanner.send_raw(b"\x01\xfe\x80\r").expect("raw");
    let trouble = wait_for(&events, |e| match e {
        Event::DeviceTrouble(t) => Some(t),
        _ => None,
    });
    assert!(trouble.contains("непонятные байты"), "{trouble}");
    // Unplugged: the reader says so; plugged in again: it reads again.
    drop(scanner);
    wait_for(&events, |e| {
        matches!(
            e,
            Event::Device {
                state: DeviceState::Offline(_),
                ..
            }
        )
        .then_some(())
    });
    let mut scanner = SerialKeyboard::open(Some(&link), b"", b"\r").expect("pty again");
    wait_for(&events, |e| {
        matches!(
            e,
            Event::Device {
                state: DeviceState::Ready,
                ..
            }
        )
        .then_some(())
    });
    scanner.scan("2000000000015").expect("scan");
    assert_eq!(wait_for(&events, scanned), "2000000000015");
    handle.shutdown();
}

#[test]
fn a_swipe_becomes_the_card_number_the_rule_picks() {
    let mut msr = SerialKeyboard::open(None, b"", b"\r").expect("pty");
    let rule = CardRule {
        track: 1,
        field: 1,
        offset: 0,
        length: None,
    };
    let (handle, events) = reader_on(&msr.path(), ReaderKind::CardReader(rule));
    wait_for(&events, |e| {
        matches!(
            e,
            Event::Device {
                state: DeviceState::Ready,
                ..
            }
        )
        .then_some(())
    });
    msr.swipe("7000000000011", "IVANOV/IVAN").expect("swipe");
    let card = wait_for(&events, |e| match e {
        Event::Swipe(card) => Some(card),
        _ => None,
    });
    assert_eq!(card, "7000000000011");
    // A stripe the reader could not read.
    msr.scan("%E?;E?").expect("bad swipe");
    let trouble = wait_for(&events, |e| match e {
        Event::DeviceTrouble(t) => Some(t),
        _ => None,
    });
    assert!(trouble.contains("не прочиталась"), "{trouble}");
    handle.shutdown();
}

fn sale_document() -> Document {
    let mut doc = Document::default();
    doc.title("ПРОДАЖА");
    doc.pair("1. Молоко 3,2%", "179.80");
    doc.pair("   Скидка", "-17.98");
    doc.separator();
    let notes = vec![
        Line::Pair {
            left: "Клиент".into(),
            right: "********0011".into(),
            bold: false,
            fill: ' ',
        },
        Line::Ean13 {
            digits: "2200000010032".into(),
            text: Default::default(),
            size: Default::default(),
        },
    ];
    doc.lines.extend(notes.clone());
    doc.customer_contact = Some("+79161234567".into());
    doc.fiscal = Some(Fiscal::Receipt(FiscalReceipt {
        kind: FiscalKind::Sale,
        positions: vec![
            FiscalPosition {
                name: "Молоко 3,2%".into(),
                quantity: Quantity(2000),
                price: Money(89_90),
                discount: Money(17_98),
                mark: None,
                marks: Vec::new(),
                vat: Some(Vat::Vat10),
            },
            FiscalPosition {
                name: "Яблоки".into(),
                quantity: Quantity(1250),
                price: Money(99_90),
                discount: Money::ZERO,
                mark: None,
                marks: Vec::new(),
                vat: Some(Vat::Vat10),
            },
        ],
        // 161.82 + 124.88 = 286.70; 300.00 handed over.
        cash: Money(300_00),
        card: Money::ZERO,
        certificate: Money::ZERO,
        notes,
    }));
    doc
}

#[test]
fn escpos_bytes_decode_back_to_the_receipt_and_paper_out_keeps_the_job() {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("printer");
    let emulator = EscPosEmulator::start(Some(&link), false).expect("pty");
    let mut printer = EscPosPrinter::new(PortSettings::new(link.display().to_string(), 19200), 32);
    assert_eq!(printer.check(), DeviceState::Ready);
    let doc = sale_document();
    printer.print(1, &doc).expect("printed");
    let expected: Vec<String> = kassa::print::text::render(&doc, 32).iter().map(|l| l.trim().to_string()).collect();
    let deadline = Instant::now() + Duration::from_secs(2);
    while emulator.state().paper.len() < expected.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    {
        let state = emulator.state();
        let paper: Vec<String> = state.paper.iter().map(|l| l.trim().to_string()).collect();
        assert_eq!(paper[0], "ПРОДАЖА");
        assert_eq!(paper[1], expected[1]);
        assert!(paper.contains(&"[EAN-13 2200000010032]".to_string()), "{paper:?}");
        assert_eq!(paper.last().map(String::as_str), Some("[CUT]"));
        assert!(state.unknown.is_empty(), "{:?}", state.unknown);
    }
    // No paper: nothing is sent, the job fails with the reason, and prints once paper is back.
    emulator.state().no_paper = true;
    let printed = emulator.state().paper.len();
    let error = printer.print(2, &doc).expect_err("no paper");
    assert!(
        matches!(error, PrintError::Fault(ref r) if kassa::text::device_problem(r).contains("нет бумаги")),
        "{error}"
    );
    let state = printer.check();
    assert_eq!(state, DeviceState::Fault(DeviceProblem::NoPaper));
    assert_eq!(kassa::text::device_state(&state), "нет бумаги — вставьте рулон");
    assert_eq!(emulator.state().paper.len(), printed);
    emulator.state().no_paper = false;
    printer.print(2, &doc).expect("printed after paper");
    // Unplugged: offline; plugged in again under the same name: prints.
    emulator.unplug();
    assert!(matches!(printer.print(3, &doc), Err(PrintError::Offline(_))));
    let emulator = EscPosEmulator::start(Some(&link), false).expect("pty again");
    printer.print(3, &doc).expect("printed after replug");
    drop(emulator);
}

#[test]
fn escpos_prints_a_receipt_with_the_sellers_requisites_and_its_vat() {
    use kassa::core::journal::{ClosedReceipt, ReceiptId};
    use kassa::core::receipt::{Payment, PaymentKind, Position, Receipt, ReceiptKind};
    use kassa::core::state::Settings;

    let emulator = EscPosEmulator::start(None, false).expect("pty");
    let mut printer = EscPosPrinter::new(PortSettings::new(emulator.path(), 19200), 42);
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("now");
    let mut receipt = Receipt::new(ReceiptKind::Sale, at);
    receipt.positions.push(Position {
        item_code: "1001".into(),
        name: "Молоко".into(),
        barcode: None,
        price: Money(149_50),
        min_price: Money::ZERO,
        quantity: Quantity(1000),
        weighed: false,
        vat: Vat::Vat10,
        rule: None,
        discounts: Vec::new(),
        original_index: None,
        marks: Vec::new(),
        mark: None,
    });
    receipt.payments.push(Payment {
        kind: PaymentKind::Cash,
        amount: Money(149_50),
        tendered: Money(149_50),
    });
    let closed = ClosedReceipt {
        id: ReceiptId { shift: 1, number: 1 },
        store_id: "0001".into(),
        register_id: "01".into(),
        cashier: "Иванова".into(),
        closed_at: at,
        receipt,
        contact: None,
    };
    let doc = kassa::core::print::layout::receipt(&closed, &Settings::default(), false);
    printer.print(1, &doc).expect("printed");
    let deadline = Instant::now() + Duration::from_secs(2);
    while emulator.state().paper.last().is_none_or(|l| l != "[CUT]") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let paper: Vec<String> = emulator.state().paper.iter().map(|l| l.trim().to_string()).collect();
    let has = |start: &str, end: &str| paper.iter().any(|l| l.starts_with(start) && l.ends_with(end));
    assert!(has("ООО \"Касса-Демо\"", "Демо\""), "{paper:#?}");
    assert!(has("ИНН 7701234560", "СНО ОСН"), "{paper:#?}");
    let tape = paper.join("\n");
    for label in ["Адрес расчётов:", "Место расчётов:"] {
        assert!(tape.contains(&format!("{label} г. Москва, ул. Примерная,\nд. 1")), "{tape}");
    }
    assert!(has("23.11.2026 10:00", "Кассир Иванова"), "{paper:#?}");
    // 149.50 × 10 / 110 = 13.59
    assert!(has("в т.ч. НДС 10%", "13.59"), "{paper:#?}");
}

fn fast_timing() -> Timing {
    Timing {
        byte: Duration::from_millis(100),
        ack: Duration::from_millis(150),
        tries: 4,
    }
}

fn registrar_printer(path: &str, store: &Store) -> ShtrihPrinter {
    taxed_registrar_printer(path, store, TaxGroups::default())
}

/// The same, with the registrar's tax groups of the VAT rates.
fn taxed_registrar_printer(path: &str, store: &Store, taxes: TaxGroups) -> ShtrihPrinter {
    ShtrihPrinter::new(
        ShtrihSettings {
            port: PortSettings::new(path, 115_200),
            password: 30,
            timing: fast_timing(),
            department: 1,
            taxes,
            width: 36,
        },
        Box::new(store.clone()),
    )
}

fn open_shift_registrar() -> Registrar {
    Registrar::with_open_shift(7)
}

#[test]
fn shtrih_registers_a_sale_field_by_field_with_the_contact_and_the_notes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    // A closed shift: the driver opens it first.
    let emulator = ShtrihEmulator::start(None, Registrar::default(), false).expect("pty");
    let mut printer = registrar_printer(emulator.path(), &store);
    assert_eq!(printer.check(), DeviceState::Ready);
    printer.print(1, &sale_document()).expect("registered");
    let r = emulator.registrar();
    assert_eq!(r.shift_mode, 2, "the shift was opened");
    assert_eq!(r.receipts.len(), 1);
    let receipt = &r.receipts[0];
    assert_eq!(receipt.kind, 0);
    assert_eq!(receipt.operations[0].name, "Молоко 3,2%");
    assert_eq!(
        (
            receipt.operations[0].quantity,
            receipt.operations[0].price,
            receipt.operations[0].discount
        ),
        (2000, 8990, 1798)
    );
    let taxes: Vec<u8> = receipt.operations.iter().map(|op| op.tax).collect();
    assert_eq!(taxes, [0b10, 0b10], "10 %: the default tax group 2");
    assert_eq!(receipt.total(), 286_70);
    assert_eq!((receipt.payments[0], receipt.change), (300_00, 13_30));
    assert_eq!(receipt.contact.as_deref(), Some("+79161234567"));
    assert_eq!(r.drawer, 286_70);
    let tape = r.tape.join("\n");
    assert!(tape.contains("Клиент") && tape.contains("[EAN-13 220000001003]"), "{tape}");
    assert!(tape.ends_with("[CUT]"));
}

#[test]
fn shtrih_registers_each_position_in_its_rates_tax_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let emulator = ShtrihEmulator::start(None, open_shift_registrar(), false).expect("pty");
    // A registrar whose table has 22 % in row 1 and, unlike the default, 10 % in row 3.
    let mut taxes = TaxGroups::default();
    taxes.set(Vat::Vat10, 3).expect("a row of the table");
    let mut printer = taxed_registrar_printer(emulator.path(), &store, taxes);
    let mut doc = sale_document();
    let Some(Fiscal::Receipt(receipt)) = doc.fiscal.as_mut() else {
        panic!("a receipt")
    };
    receipt.positions[0].vat = Some(Vat::Vat22);
    receipt.positions[1].vat = Some(Vat::Vat10);
    // A third position from a job saved before rates were sent: no group bits, as then.
    receipt.positions.push(FiscalPosition {
        name: "Пакет".into(),
        quantity: Quantity(1000),
        price: Money(5_00),
        discount: Money::ZERO,
        vat: None,
        mark: None,
        marks: Vec::new(),
    });
    receipt.cash = Money(300_00);
    printer.print(1, &doc).expect("registered");
    let r = emulator.registrar();
    let taxes: Vec<(String, u8)> = r.receipts[0].operations.iter().map(|op| (op.name.clone(), op.tax)).collect();
    assert_eq!(
        taxes,
        [
            ("Молоко 3,2%".to_string(), 0b1),
            ("Яблоки".to_string(), 0b100),
            ("Пакет".to_string(), 0)
        ]
    );
}

#[test]
fn shtrih_naks_and_lost_answers_are_retried_without_doubling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let emulator = ShtrihEmulator::start(None, open_shift_registrar(), false).expect("pty");
    let mut printer = registrar_printer(emulator.path(), &store);
    emulator
        .registrar()
        .faults
        .extend([Fault::Nak, Fault::Nak, Fault::CorruptAnswer, Fault::LoseAnswer]);
    printer.print(1, &sale_document()).expect("registered despite the line");
    assert_eq!(emulator.registrar().receipts.len(), 1);
    // The same job again (a reprint racing its answer): not registered twice.
    printer.print(1, &sale_document()).expect("already done");
    assert_eq!(emulator.registrar().receipts.len(), 1);
}

#[test]
fn shtrih_silent_is_offline_then_prints_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let emulator = ShtrihEmulator::start(None, open_shift_registrar(), false).expect("pty");
    let mut printer = registrar_printer(emulator.path(), &store);
    emulator.registrar().faults.extend(std::iter::repeat_n(Fault::Silent, 40));
    let error = printer.print(1, &sale_document()).expect_err("silent");
    assert!(
        matches!(error, PrintError::Offline(ref r) if kassa::text::device_problem(r).contains("не отвечает")),
        "{error}"
    );
    emulator.registrar().faults.clear();
    printer.print(1, &sale_document()).expect("printed once it answers");
    assert_eq!(emulator.registrar().receipts.len(), 1);
}

#[test]
fn paper_out_mid_receipt_cancels_and_registers_again_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let emulator = ShtrihEmulator::start(None, open_shift_registrar(), false).expect("pty");
    let mut printer = registrar_printer(emulator.path(), &store);
    // Paper runs out while the receipt is open: the close cannot print.
    emulator.registrar().paper_runs_out_at = Some(0x85);
    let error = printer.print(1, &sale_document()).expect_err("paper out");
    assert!(error.to_string().contains("6Bh"), "{error}");
    assert!(emulator.registrar().open.is_some(), "the receipt is left open in the registrar");
    let state = printer.check();
    assert_eq!(state, DeviceState::Fault(DeviceProblem::NoPaper));
    assert_eq!(kassa::text::device_state(&state), "нет бумаги — вставьте рулон");
    // Another document waits: the registrar is not free for it.
    let mut x = Document::default();
    x.text("X");
    x.fiscal = Some(Fiscal::XReport);
    assert!(printer.print(2, &x).expect_err("blocked").to_string().contains("№1"));
    emulator.registrar().paper = true;
    printer.print(1, &sale_document()).expect("printed after paper");
    let r = emulator.registrar();
    assert_eq!(r.receipts.len(), 1);
    assert!(r.tape.iter().any(|l| l == "ЧЕК АННУЛИРОВАН"));
    drop(r);
    printer.print(2, &x).expect("then the X-report");
    assert!(emulator.registrar().tape.iter().any(|l| l.starts_with("X-ОТЧЕТ")));
}

/// Issue 19.1: a registrar whose shift passed 24 hours refuses the receipt;
/// the Z-report kassa then sends must not wait behind that receipt, and the
/// receipt, retried after the Z, is registered once in the new shift.
#[test]
fn a_shift_past_24_hours_lets_the_z_report_through_then_registers_what_waited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let mut registrar = open_shift_registrar();
    registrar.shift_mode = kassa::devices::shtrih::command::MODE_SHIFT_EXPIRED;
    let emulator = ShtrihEmulator::start(None, registrar, false).expect("pty");
    let mut printer = registrar_printer(emulator.path(), &store);
    let error = printer.print(1, &sale_document()).expect_err("expired");
    assert!(
        matches!(error, PrintError::Refused(ref r) if kassa::text::device_problem(r).contains("24 час")),
        "{error}"
    );
    let mut z = Document::default();
    z.text("Z");
    z.fiscal = Some(Fiscal::ZReport);
    printer.print(2, &z).expect("the Z-report is not held back by the refused receipt");
    assert_eq!(emulator.registrar().shift_mode, kassa::devices::shtrih::command::MODE_SHIFT_CLOSED);
    assert_eq!(printer.check(), DeviceState::Ready);
    printer.print(1, &sale_document()).expect("registered after the Z");
    let r = emulator.registrar();
    assert_eq!((r.shift, r.shift_mode), (8, kassa::devices::shtrih::command::MODE_SHIFT_OPEN));
    assert_eq!(r.receipts.len(), 1, "registered once, in the new shift");
}

#[test]
fn a_registrar_unplugged_after_registering_is_asked_and_not_registered_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("kkt");
    let store = Store::open(&dir.path().join("data")).expect("store");
    let emulator = ShtrihEmulator::start(Some(&link), open_shift_registrar(), false).expect("pty");
    let path = link.display().to_string();
    let mut printer = registrar_printer(&path, &store);
    // The registrar closes the receipt, and the cable is pulled before its answer.
    emulator.registrar().dies_after = Some(0x85);
    let error = printer.print(1, &sale_document()).expect_err("no answer");
    assert!(matches!(error, PrintError::Offline(_)), "{error}");
    let state = emulator.unplug();
    assert_eq!(state.receipts.len(), 1);
    let tape_before = state.tape.len();
    // kassa restarts (a new driver over the same store) and the job comes again.
    let emulator = ShtrihEmulator::start(Some(&link), state, false).expect("replugged");
    let mut restarted = registrar_printer(&path, &store);
    restarted.print(1, &sale_document()).expect("done already");
    let r = emulator.registrar();
    assert_eq!(r.receipts.len(), 1, "registered once");
    // Only the notes and the cut were printed again.
    assert!(
        r.tape[tape_before..].iter().any(|l| l.starts_with("Клиент")),
        "{:?}",
        &r.tape[tape_before..]
    );
}

/// The whole workstation with its devices on ptys: a shift opened on the
/// registrar, an item scanned, the client's card swiped, the receipt paid
/// and registered with the contact the loyalty server gave.
#[test]
fn scans_and_swipes_reach_the_sale_and_the_registrar_registers_it() {
    use kassa::app;
    use kassa::config::{Config, PrinterConfig};
    use kassa::core::command::Command;
    use kassa::loyalty::ClientId;
    use kassa::runtime::Runtime;

    let dir = tempfile::tempdir().expect("tempdir");
    let mut scanner = SerialKeyboard::open(None, b"", b"\r").expect("scanner pty");
    let mut msr = SerialKeyboard::open(None, b"", b"\r").expect("reader pty");
    let registrar = ShtrihEmulator::start(None, Registrar::default(), false).expect("registrar pty");
    let reader = |name: &str, path: String, kind| ReaderConfig {
        name: name.into(),
        port: PortSettings::new(path, 9600),
        framing: Framing::carriage_return(),
        kind,
    };
    let config = Config {
        printer: PrinterConfig::Shtrih {
            port: PortSettings::new(registrar.path(), 115_200),
            password: 30,
            department: 1,
            taxes: TaxGroups::default(),
            timing: fast_timing(),
        },
        readers: vec![
            reader("scanner", scanner.path(), ReaderKind::Scanner),
            reader("card-reader", msr.path(), ReaderKind::CardReader(CardRule::default())),
        ],
        ..Config::default()
    };
    let catalog = std::sync::Arc::new(app::load_catalog(&config).expect("catalog"));
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("now");
    let assembled = app::assemble(&config, catalog, dir.path(), now).expect("assembled");
    let (tx, events) = mpsc::channel();
    let (loyalty, _demo) = kassa::loyalty::demo::start_if_any(assembled.loyalty, None).expect("demo loyalty");
    let mut runtime = Runtime::start(assembled.state, assembled.executor, assembled.devices, loyalty, move |e| {
        let _ = tx.send(e);
    })
    .expect("runtime");
    let pump = |runtime: &mut Runtime, done: &dyn Fn(&kassa::core::state::AppState) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !(done(&runtime.state) && runtime.is_idle()) {
            assert!(
                Instant::now() < deadline,
                "stuck: dialog {:?}, notice {:?}",
                runtime.state.dialog,
                runtime.state.notice
            );
            if let Ok(event) = events.recv_timeout(Duration::from_millis(20)) {
                runtime.deliver(event);
            }
        }
    };
    let keys = |runtime: &mut Runtime, events: &[Event]| events.iter().cloned().for_each(|e| runtime.dispatch(e));
    pump(&mut runtime, &|s| {
        s.devices.len() == 3 && s.devices.values().all(DeviceState::is_ready)
    });
    keys(&mut runtime, &[Event::Command(Command::OpenShift)]);
    "Иванова".chars().for_each(|c| runtime.dispatch(Event::Char(c)));
    keys(&mut runtime, &[Event::Command(Command::Confirm)]);
    pump(&mut runtime, &|s| s.shift().is_some() && s.durable.unprinted.is_empty());
    assert_eq!(registrar.registrar().shift_mode, 2, "the registrar's shift opened with kassa's");

    scanner.scan("4600972223306").expect("scan");
    pump(&mut runtime, &|s| s.receipt().is_some_and(|r| r.positions.len() == 1));
    msr.swipe("7770000000017", "SMIRNOVA/ANNA").expect("swipe");
    pump(&mut runtime, &|s| {
        s.receipt()
            .and_then(|r| r.loyalty.as_ref())
            .is_some_and(|l| l.client == ClientId::Card("7770000000017".into()))
    });
    // Subtotal (the server's message), no bonuses, the customer asks for an
    // electronic receipt at the phone the server gave, pay by card.
    keys(&mut runtime, &[Event::Command(Command::Pay)]);
    pump(&mut runtime, &|s| s.dialog.is_some());
    keys(
        &mut runtime,
        &[
            Event::Command(Command::Confirm),
            Event::Command(Command::Cancel),
            Event::Command(Command::EReceipt),
            Event::Command(Command::Confirm),
            Event::Command(Command::PayCard),
        ],
    );
    pump(&mut runtime, &|s| {
        s.durable.last_receipt.is_some() && s.durable.unprinted.is_empty()
    });

    let total = runtime
        .state
        .durable
        .last_receipt
        .as_ref()
        .map(|r| r.totals().total)
        .expect("closed");
    let r = registrar.registrar();
    assert_eq!(r.receipts.len(), 1);
    assert_eq!(r.receipts[0].total(), total.0 as u64);
    assert_eq!(r.receipts[0].payments[1], total.0 as u64, "paid by card: payment type 2");
    assert_eq!(
        r.receipts[0].operations[0].tax, 0b10,
        "the demo's milk is sold at 10 %: tax group 2"
    );
    assert_eq!(
        r.receipts[0].contact.as_deref(),
        Some("+79161234567"),
        "tag 1008: the contact the cashier chose"
    );
    drop(r);
    runtime.shutdown();
}

#[test]
fn an_x_report_on_a_registrar_with_no_shift_prints_and_blocks_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let emulator = ShtrihEmulator::start(None, Registrar::default(), false).expect("pty");
    let mut printer = registrar_printer(emulator.path(), &store);
    let mut x = Document::default();
    x.text("X-отчёт кассы");
    x.fiscal = Some(Fiscal::XReport);
    printer.print(1, &x).expect("nothing to report on the registrar, the lines print");
    assert!(emulator.registrar().tape.iter().any(|l| l == "X-отчёт кассы"));
    printer.print(2, &sale_document()).expect("a receipt after it");
    assert_eq!(emulator.registrar().receipts.len(), 1);
}

/// A printer that, for each job, looks at what the store holds right then.
struct Witness {
    store: Store,
    seen: std::sync::Arc<std::sync::Mutex<Vec<(u64, bool)>>>,
}

impl Printer for Witness {
    fn print(&mut self, job: u64, _document: &Document) -> Result<(), PrintError> {
        let (durable, _) = self.store.load_state().expect("state");
        let saved = durable.unprinted.iter().any(|j| j.id == job);
        self.seen.lock().expect("seen").push((job, saved));
        Ok(())
    }
}

/// Shift opening and cash moves go to a registrar as they happen: each job
/// reaches the printer only once the state holding it is on disk (printed
/// first, a crash before the save would leave the registrar ahead of kassa,
/// and the job's number free for another document).
#[test]
fn a_print_job_reaches_the_printer_only_after_its_save() {
    use kassa::core::command::Command;
    use kassa::runtime::Runtime;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    let (durable, _) = store.load_state().expect("state");
    let catalog = std::sync::Arc::new(kassa::app::load_catalog(&kassa::config::Config::default()).expect("catalog"));
    let state = kassa::core::state::AppState::restore(Default::default(), catalog, durable, chrono::NaiveDateTime::default());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let devices = kassa::devices::Devices {
        printer: Box::new(Witness {
            store: store.clone(),
            seen: seen.clone(),
        }),
        readers: Vec::new(),
        poll: Duration::from_secs(60),
    };
    let (tx, events) = mpsc::channel();
    let mut runtime = Runtime::start(state, kassa::io::Executor::new(store), devices, None, move |e| {
        let _ = tx.send(e);
    })
    .expect("runtime");
    let mut inputs = vec![Event::Command(Command::OpenShift)];
    inputs.extend("Иванова".chars().map(Event::Char));
    inputs.push(Event::Command(Command::Confirm));
    for _ in 0..5 {
        inputs.extend([
            Event::Command(Command::CashIn),
            Event::Char('1'),
            Event::Char('0'),
            Event::Command(Command::Confirm),
        ]);
    }
    for input in inputs {
        runtime.dispatch(input);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !runtime.is_idle() {
            assert!(Instant::now() < deadline, "stuck");
            if let Ok(event) = events.recv_timeout(Duration::from_millis(20)) {
                runtime.deliver(event);
            }
        }
    }
    let seen = seen.lock().expect("seen").clone();
    assert_eq!(seen.len(), 6, "the shift opening and five cash-ins: {seen:?}");
    assert!(seen.iter().all(|(_, saved)| *saved), "printed before its save: {seen:?}");
    runtime.shutdown();
}

/// A workstation on a Shtrih-M registrar at `path` (no readers), over the
/// data in `dir`; the idle printer is asked how it is every `poll`; the
/// demo's loyalty server, kept as long as the workstation runs.
fn fiscal_workstation(path: &str, dir: &std::path::Path, poll: Duration) -> (kassa::runtime::Runtime, mpsc::Receiver<Event>, Option<Demo>) {
    use kassa::config::{Config, PrinterConfig};
    let config = Config {
        printer: PrinterConfig::Shtrih {
            port: PortSettings::new(path, 115_200),
            password: 30,
            department: 1,
            taxes: TaxGroups::default(),
            timing: fast_timing(),
        },
        ..Config::default()
    };
    let catalog = std::sync::Arc::new(kassa::app::load_catalog(&config).expect("catalog"));
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("now");
    let mut assembled = kassa::app::assemble(&config, catalog, dir, now).expect("assembled");
    assembled.devices.poll = poll;
    let (tx, events) = mpsc::channel();
    let (loyalty, demo) = kassa::loyalty::demo::start_if_any(assembled.loyalty, None).expect("demo loyalty");
    let runtime = kassa::runtime::Runtime::start(assembled.state, assembled.executor, assembled.devices, loyalty, move |e| {
        let _ = tx.send(e);
    })
    .expect("runtime");
    (runtime, events, demo)
}

/// Feeds events to the runtime until `done` holds and nothing is in flight.
fn pump_until(runtime: &mut kassa::runtime::Runtime, events: &mpsc::Receiver<Event>, done: &dyn Fn(&kassa::core::state::AppState) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(8);
    while !(done(&runtime.state) && runtime.is_idle()) {
        assert!(
            Instant::now() < deadline,
            "stuck: dialog {:?}, notice {:?}, unprinted {}",
            runtime.state.dialog,
            runtime.state.notice,
            runtime.state.durable.unprinted.len()
        );
        if let Ok(event) = events.recv_timeout(Duration::from_millis(20)) {
            runtime.deliver(event);
        }
    }
}

/// A sale the registrar could not register: its print job failed and nothing is in flight.
fn failed_to_register(s: &kassa::core::state::AppState) -> bool {
    s.durable.last_receipt.is_some() && !s.durable.unprinted.is_empty() && s.printing.is_empty()
}

/// Opens the shift (registered), takes the registrar's paper away, then
/// scans one item and pays it in cash.
fn sell_with_paper_out(runtime: &mut kassa::runtime::Runtime, events: &mpsc::Receiver<Event>, emulator: &ShtrihEmulator) {
    use kassa::core::command::Command;
    runtime.dispatch(Event::Command(Command::OpenShift));
    "Иванова".chars().for_each(|c| runtime.dispatch(Event::Char(c)));
    runtime.dispatch(Event::Command(Command::Confirm));
    pump_until(runtime, events, &|s| s.shift().is_some() && s.durable.unprinted.is_empty());
    emulator.registrar().paper = false;
    runtime.dispatch(Event::Scan("4600972223306".into()));
    pump_until(runtime, events, &|s| s.receipt().is_some_and(|r| r.positions.len() == 1));
    runtime.dispatch(Event::Command(Command::Pay));
    runtime.dispatch(Event::Command(Command::Confirm));
}

/// Issue 20.2: with the registrar out of paper a paid sale is journaled but
/// not registered. The screen stays on it: no next receipt, no return and no
/// shift close while it waits, also after a restart; paper back and «Повтор
/// печати» register it once, and the till goes on.
#[test]
fn a_receipt_the_registrar_could_not_register_holds_the_till_until_reprinted() {
    use kassa::core::command::Command;
    let dir = tempfile::tempdir().expect("tempdir");
    let emulator = ShtrihEmulator::start(None, Registrar::default(), false).expect("registrar pty");
    // No polling: only «Повтор печати» sends the job again.
    let (mut runtime, events, _demo) = fiscal_workstation(emulator.path(), dir.path(), Duration::from_secs(600));
    sell_with_paper_out(&mut runtime, &events, &emulator);
    pump_until(&mut runtime, &events, &failed_to_register);
    assert_eq!(emulator.registrar().receipts.len(), 0);
    let waiting = |runtime: &kassa::runtime::Runtime| {
        let s = &runtime.state;
        assert!(s.receipt().is_none(), "no next receipt while one waits");
        assert!(s.shift().is_some(), "the shift stays open while a receipt waits");
        assert_eq!(s.durable.unprinted.len(), 1, "the receipt still waits");
        assert!(
            format!("{:?}", s.dialog).starts_with("Some(Registration"),
            "the screen stays on the receipt: {:?}",
            s.dialog
        );
    };
    waiting(&runtime);
    // The next customer's item, a return, closing the shift: all refused.
    runtime.dispatch(Event::Scan("4600972223306".into()));
    pump_until(&mut runtime, &events, &|_| true);
    waiting(&runtime);
    runtime.dispatch(Event::Command(Command::Cancel));
    runtime.dispatch(Event::Scan("4600972223306".into()));
    runtime.dispatch(Event::Command(Command::ReturnReceipt));
    runtime.dispatch(Event::Command(Command::CloseShift));
    runtime.dispatch(Event::Command(Command::Confirm));
    pump_until(&mut runtime, &events, &|_| true);
    waiting(&runtime);
    // A restart keeps it so: the job is sent again at once, and fails again.
    runtime.shutdown();
    let (mut runtime, events, _demo) = fiscal_workstation(emulator.path(), dir.path(), Duration::from_secs(600));
    pump_until(&mut runtime, &events, &failed_to_register);
    runtime.dispatch(Event::Scan("4600972223306".into()));
    runtime.dispatch(Event::Command(Command::CloseShift));
    runtime.dispatch(Event::Command(Command::Confirm));
    pump_until(&mut runtime, &events, &|_| true);
    waiting(&runtime);
    // Paper back, «Повтор печати»: registered once, the window goes.
    emulator.registrar().paper = true;
    runtime.dispatch(Event::Command(Command::Reprint));
    pump_until(&mut runtime, &events, &|s| s.durable.unprinted.is_empty());
    assert_eq!(emulator.registrar().receipts.len(), 1, "registered once");
    assert!(runtime.state.dialog.is_none(), "{:?}", runtime.state.dialog);
    runtime.dispatch(Event::Scan("4600972223306".into()));
    pump_until(&mut runtime, &events, &|s| s.receipt().is_some());
    runtime.shutdown();
}

/// A registrar that comes back by itself (paper put in, noticed by the idle
/// check) registers the waiting receipt and lets the till go on, untouched.
#[test]
fn a_registrar_back_with_paper_registers_the_waiting_receipt_by_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let emulator = ShtrihEmulator::start(None, Registrar::default(), false).expect("registrar pty");
    let (mut runtime, events, _demo) = fiscal_workstation(emulator.path(), dir.path(), Duration::from_millis(100));
    sell_with_paper_out(&mut runtime, &events, &emulator);
    pump_until(&mut runtime, &events, &failed_to_register);
    runtime.dispatch(Event::Scan("4600972223306".into()));
    pump_until(&mut runtime, &events, &|_| true);
    assert!(runtime.state.receipt().is_none(), "no next receipt while one waits");
    emulator.registrar().paper = true;
    pump_until(&mut runtime, &events, &|s| s.durable.unprinted.is_empty());
    assert_eq!(emulator.registrar().receipts.len(), 1);
    assert!(runtime.state.dialog.is_none(), "{:?}", runtime.state.dialog);
    runtime.dispatch(Event::Scan("4600972223306".into()));
    pump_until(&mut runtime, &events, &|s| s.receipt().is_some());
    runtime.shutdown();
}

/// The 24-hour case through the whole workstation: the registrar's shift
/// expired refuses the receipt before anything is sent, so the held till
/// lets the shift close; the Z-report goes first, then the receipt is
/// registered in the registrar's new shift.
#[test]
fn a_receipt_refused_for_an_expired_registrar_shift_lets_the_shift_close_first() {
    use kassa::core::command::Command;
    use kassa::devices::shtrih::command::{MODE_SHIFT_EXPIRED, MODE_SHIFT_OPEN};
    let dir = tempfile::tempdir().expect("tempdir");
    let emulator = ShtrihEmulator::start(None, Registrar::default(), false).expect("registrar pty");
    let (mut runtime, events, _demo) = fiscal_workstation(emulator.path(), dir.path(), Duration::from_millis(100));
    runtime.dispatch(Event::Command(Command::OpenShift));
    "Иванова".chars().for_each(|c| runtime.dispatch(Event::Char(c)));
    runtime.dispatch(Event::Command(Command::Confirm));
    pump_until(&mut runtime, &events, &|s| s.shift().is_some() && s.durable.unprinted.is_empty());
    emulator.registrar().shift_mode = MODE_SHIFT_EXPIRED;
    runtime.dispatch(Event::Scan("4600972223306".into()));
    runtime.dispatch(Event::Command(Command::Pay));
    runtime.dispatch(Event::Command(Command::Confirm));
    pump_until(&mut runtime, &events, &failed_to_register);
    assert!(
        format!("{:?}", runtime.state.dialog).starts_with("Some(Registration"),
        "{:?}",
        runtime.state.dialog
    );
    runtime.dispatch(Event::Scan("4600972223306".into()));
    pump_until(&mut runtime, &events, &|_| true);
    assert!(runtime.state.receipt().is_none(), "no next receipt");
    runtime.dispatch(Event::Command(Command::CloseShift));
    runtime.dispatch(Event::Command(Command::Confirm));
    pump_until(&mut runtime, &events, &|s| s.shift().is_none() && s.durable.unprinted.is_empty());
    let r = emulator.registrar();
    assert_eq!(r.receipts.len(), 1, "registered once");
    assert_eq!(r.shift_mode, MODE_SHIFT_OPEN, "in the registrar's new shift");
    drop(r);
    runtime.shutdown();
}
