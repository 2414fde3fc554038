//! Marked goods end to end (issue 22): the workstation on the Shtrih-M
//! emulator over a pseudo-terminal. A scanned code is checked (FF61h) and
//! decided (FF69h) before its unit joins the receipt; the receipt registers
//! each unit (FF46h) with its code bound (FF67h); a return brings units back
//! by their codes; the emulator's books (codes bound, sold and returned)
//! are reconciled with kassa's journal.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use kassa::core::command::Command;
use kassa::core::event::Event;
use kassa::core::money::{Money, Quantity};
use kassa::core::notice::Notice;
use kassa::core::state::AppState;
use kassa::devices::port::PortSettings;
use kassa::devices::shtrih::link::Timing;
use kassa::devices::shtrih::registrar::{ShtrihPrinter, ShtrihSettings};
use kassa::emulators::shtrih::{MarkAnswer, Registrar, ShtrihEmulator};
use kassa::loyalty::demo::Demo;
use kassa::print::document::{Document, Fiscal, FiscalKind, FiscalPosition, FiscalReceipt};
use kassa::print::printer::Printer;
use kassa::runtime::Runtime;
use kassa::store::Store;

/// Two units of the demo's marked water (GTIN 04603934000793) and one of its milk (04607025392149).
const WATER_1: &str = "0104603934000793215Ab1cD\u{1d}93dGVz";
const WATER_2: &str = "0104603934000793215Zz9yX\u{1d}93kLmn";
const MILK: &str = "0104607025392149215Qq7wE\u{1d}93pQrs";

fn fast_timing() -> Timing {
    Timing {
        byte: Duration::from_millis(100),
        ack: Duration::from_millis(150),
        tries: 4,
    }
}

/// A workstation on the registrar at `path`, over the data in `dir`, with the demo catalog.
fn workstation(path: &str, dir: &std::path::Path) -> (Runtime, mpsc::Receiver<Event>, Option<Demo>) {
    use kassa::config::{Config, PrinterConfig};
    let config = Config {
        printer: PrinterConfig::Shtrih {
            port: PortSettings::new(path, 115_200),
            password: 30,
            department: 1,
            taxes: Default::default(),
            timing: fast_timing(),
        },
        ..Config::default()
    };
    let catalog = std::sync::Arc::new(kassa::app::load_catalog(&config).expect("catalog"));
    let now = chrono::NaiveDate::from_ymd_opt(2026, 12, 8)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("now");
    let mut assembled = kassa::app::assemble(&config, catalog, dir, now).expect("assembled");
    assembled.devices.poll = Duration::from_secs(600);
    let (tx, events) = mpsc::channel();
    let (loyalty, demo) = kassa::loyalty::demo::start_if_any(assembled.loyalty, None).expect("demo loyalty");
    let runtime = Runtime::start(assembled.state, assembled.executor, assembled.devices, loyalty, move |e| {
        let _ = tx.send(e);
    })
    .expect("runtime");
    (runtime, events, demo)
}

/// Runs `inputs`, each once the workstation is idle again.
fn run(runtime: &mut Runtime, events: &mpsc::Receiver<Event>, inputs: impl IntoIterator<Item = Event>) {
    for input in inputs {
        runtime.dispatch(input);
        settle(runtime, events);
    }
}

fn settle(runtime: &mut Runtime, events: &mpsc::Receiver<Event>) {
    let deadline = Instant::now() + Duration::from_secs(8);
    while !runtime.is_idle() {
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
}

fn typed(text: &str) -> Vec<Event> {
    text.chars().map(Event::Char).collect()
}

fn open_shift(runtime: &mut Runtime, events: &mpsc::Receiver<Event>) {
    let mut inputs = vec![Event::Command(Command::OpenShift)];
    inputs.extend(typed("Иванова"));
    inputs.push(Event::Command(Command::Confirm));
    run(runtime, events, inputs);
    assert!(runtime.state.shift().is_some(), "{:?}", runtime.state.notice);
}

fn serials(state: &AppState) -> Vec<Vec<String>> {
    state.receipt().map_or(Vec::new(), |r| {
        r.positions
            .iter()
            .map(|p| p.marks.iter().map(|m| m.serial.clone()).collect())
            .collect()
    })
}

/// Pays the open receipt in cash, as much as it is, and waits for the registrar.
fn pay_cash(runtime: &mut Runtime, events: &mpsc::Receiver<Event>) {
    run(runtime, events, [Event::Command(Command::Pay), Event::Command(Command::Confirm)]);
    run(runtime, events, [Event::Command(Command::Cancel)]);
    assert!(runtime.state.receipt().is_none(), "closed: {:?}", runtime.state.notice);
    assert!(runtime.state.durable.unprinted.is_empty(), "registered: {:?}", runtime.state.notice);
}

/// Issue 22, «Done when»: a marked sale and its return registered end to
/// end on the Shtrih emulator over a pty, reconciled with the journal.
#[test]
fn a_marked_sale_and_its_return_are_registered_code_by_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let emulator = ShtrihEmulator::start(None, Registrar::default(), false).expect("registrar pty");
    let (mut runtime, events, _demo) = workstation(emulator.path(), dir.path());
    open_shift(&mut runtime, &events);
    run(
        &mut runtime,
        &events,
        [Event::Scan(WATER_1.into()), Event::Scan(MILK.into()), Event::Scan(WATER_2.into())],
    );
    assert_eq!(serials(&runtime.state), [vec!["5Ab1cD", "5Zz9yX"], vec!["5Qq7wE"]]);
    let total = runtime.state.receipt().map(|r| r.totals().total).expect("receipt");
    assert_eq!(total, Money(2 * 59_90 + 119_90));
    // The same unit again: refused before the registrar is asked.
    run(&mut runtime, &events, [Event::Scan(WATER_1.into())]);
    assert!(
        matches!(runtime.state.notice, Some(Notice::MarkTwice(_))),
        "{:?}",
        runtime.state.notice
    );
    pay_cash(&mut runtime, &events);
    {
        let r = emulator.registrar();
        assert_eq!(r.mark_checks.len(), 3, "one check per unit");
        assert!(r.mark_checks.iter().all(|c| c.decision == Some(true) && !c.by_registrar));
        let sale = r.receipts.last().expect("registered");
        assert_eq!(sale.operations_v2.len(), 3, "each unit a position of its own");
        assert!(
            sale.operations_v2
                .iter()
                .all(|op| op.quantity == 1_000_000 && op.subject == 33 && op.method == 4)
        );
        let bound: Vec<&str> = sale.marks.iter().map(|m| m.code.as_str()).collect();
        assert_eq!(bound, [WATER_1, WATER_2, MILK]);
        assert!(sale.marks.iter().all(|m| m.planned_status == 1));
        assert_eq!(sale.total(), total.0 as u64);
        assert_eq!(r.sold_marks.len(), 3);
        assert_eq!(r.drawer_opened, 1, "issue 23.9: cash taken, the drawer opens (28h)");
    }
    // A unit sold is refused by the journal, before the registrar.
    let checks = emulator.registrar().mark_checks.len();
    run(&mut runtime, &events, [Event::Scan(WATER_2.into())]);
    assert!(
        matches!(runtime.state.notice, Some(Notice::MarkRefused { .. })),
        "{:?}",
        runtime.state.notice
    );
    assert_eq!(emulator.registrar().mark_checks.len(), checks);
    // The return: one water unit, brought back by its code.
    let mut inputs = vec![Event::Command(Command::ReturnReceipt)];
    inputs.extend(typed("1"));
    inputs.push(Event::Command(Command::Confirm));
    inputs.push(Event::Scan(WATER_2.into()));
    run(&mut runtime, &events, inputs);
    run(&mut runtime, &events, [Event::Command(Command::Pay)]);
    let receipt = runtime.state.receipt().expect("the return receipt");
    assert!(receipt.is_return());
    assert_eq!(receipt.positions.len(), 1);
    assert_eq!(receipt.positions[0].quantity, Quantity::ONE);
    run(
        &mut runtime,
        &events,
        [Event::Command(Command::Confirm), Event::Command(Command::Cancel)],
    );
    assert!(runtime.state.durable.unprinted.is_empty(), "{:?}", runtime.state.notice);
    let r = emulator.registrar();
    let ret = r.receipts.last().expect("the return registered");
    assert_eq!(ret.kind, 2);
    assert_eq!(
        ret.marks.iter().map(|m| (m.code.as_str(), m.planned_status)).collect::<Vec<_>>(),
        [(WATER_2, 3)]
    );
    assert_eq!(ret.total(), 59_90);
    assert_eq!(r.sold_marks.len(), 2, "the returned unit is back in circulation");
    assert_eq!(r.drawer_opened, 2, "cash given back: the drawer opens again");
    drop(r);
    runtime.shutdown();
    // kassa's journal says the same: two units out, one back.
    let store = Store::open(dir.path()).expect("store");
    assert!(store.sold_mark("046039340007935Ab1cD").expect("read").is_some());
    assert!(store.sold_mark("046039340007935Zz9yX").expect("read").is_none());
}

/// A refused check follows the config's rule (refuse); an unanswered one asks
/// the cashier, who may take the unit; the registrar hears every decision.
#[test]
fn a_refused_code_is_not_sold_and_an_unanswered_one_is_the_cashiers_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let emulator = ShtrihEmulator::start(None, Registrar::default(), false).expect("registrar pty");
    let (mut runtime, events, _demo) = workstation(emulator.path(), dir.path());
    open_shift(&mut runtime, &events);
    emulator
        .registrar()
        .mark_next([MarkAnswer::Bad, MarkAnswer::Timeout, MarkAnswer::Timeout]);
    run(&mut runtime, &events, [Event::Scan(WATER_1.into())]);
    assert!(
        matches!(runtime.state.notice, Some(Notice::MarkRefused { .. })),
        "{:?}",
        runtime.state.notice
    );
    assert!(runtime.state.receipt().is_none());
    run(&mut runtime, &events, [Event::Scan(WATER_1.into())]);
    assert_eq!(runtime.state.dialog.as_ref().map(|d| d.name()), Some("mark_check"));
    run(&mut runtime, &events, [Event::Command(Command::Cancel)]);
    assert!(runtime.state.receipt().is_none(), "refused by the cashier");
    run(
        &mut runtime,
        &events,
        [Event::Scan(WATER_1.into()), Event::Command(Command::Confirm)],
    );
    assert_eq!(serials(&runtime.state), [vec!["5Ab1cD"]]);
    let decisions: Vec<Option<bool>> = emulator.registrar().mark_checks.iter().map(|c| c.decision).collect();
    assert_eq!(decisions, [Some(false), Some(false), Some(true)]);
    pay_cash(&mut runtime, &events);
    let r = emulator.registrar();
    assert_eq!(r.receipts.last().map(|s| s.marks.len()), Some(1));
    drop(r);
    runtime.shutdown();
}

/// An excise good (beer, tobacco) is registered with its own payment
/// subject (31); the position's discount is shared over its units to the kopeck.
#[test]
fn an_excise_unit_has_its_subject_and_a_discount_is_shared_to_the_kopeck() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let emulator = ShtrihEmulator::start(None, Registrar::with_open_shift(3), false).expect("registrar pty");
    let settings = ShtrihSettings {
        port: PortSettings::new(emulator.path(), 115_200),
        password: 30,
        timing: fast_timing(),
        department: 1,
        taxes: Default::default(),
        width: 36,
    };
    let mut printer = ShtrihPrinter::new(settings, Box::new(store.clone()));
    let beer = [
        "0104600682000815215Bb1bB\u{1d}93aaaa",
        "0104600682000815215Cc2cC\u{1d}93bbbb",
        "0104600682000815215Dd3dD\u{1d}93cccc",
    ];
    for code in beer {
        let code = kassa::core::marking::parse(code, &[]).expect("a code");
        let check = printer
            .check_mark(&code, kassa::core::marking::PlannedStatus::Sold)
            .expect("checked");
        assert_eq!(check.verdict(), kassa::core::marking::Verdict::Good);
        printer.decide_mark(true).expect("decided");
    }
    let document = Document {
        fiscal: Some(Fiscal::Receipt(FiscalReceipt {
            kind: FiscalKind::Sale,
            positions: vec![FiscalPosition {
                name: "Пиво Жигулёвское 0,5л".into(),
                quantity: Quantity::pieces(3),
                price: Money(89_90),
                discount: Money(10_00),
                vat: Some(kassa::core::catalog::Vat::Vat22),
                mark: Some(kassa::core::catalog::MarkGroup::Beer),
                marks: beer.iter().map(|c| c.to_string()).collect(),
            }],
            cash: Money(300_00),
            card: Money::ZERO,
            certificate: Money::ZERO,
            notes: Vec::new(),
        })),
        ..Document::default()
    };
    printer.print(1, &document).expect("registered");
    let r = emulator.registrar();
    let sale = r.receipts.last().expect("registered");
    let sums: Vec<u64> = sale.operations_v2.iter().map(|op| op.sum).collect();
    assert_eq!(sums, [86_57, 86_57, 86_56], "259.70 over three units");
    assert!(sale.operations_v2.iter().all(|op| op.subject == 31), "excise with a code");
    assert!(sale.operations_v2.iter().all(|op| op.tax == 0b1), "22 %: the default tax group 1");
    assert_eq!(sale.marks.len(), 3);
    assert_eq!(sale.total(), 259_70);
}

/// kassa stopped between a check and its decision: the registrar still
/// waits for the decision and refuses any other check until it comes. The
/// next run settles it (refused) before its first check.
#[test]
fn a_decision_left_owed_by_a_crash_is_settled_by_the_next_run() {
    use kassa::core::marking::{self, PlannedStatus, Verdict};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let emulator = ShtrihEmulator::start(None, Registrar::with_open_shift(3), false).expect("registrar pty");
    let printer = |store: &Store| {
        let settings = ShtrihSettings {
            port: PortSettings::new(emulator.path(), 115_200),
            password: 30,
            timing: fast_timing(),
            department: 1,
            taxes: Default::default(),
            width: 36,
        };
        ShtrihPrinter::new(settings, Box::new(store.clone()))
    };
    let mut first = printer(&store);
    let code = marking::parse(WATER_1, &[]).expect("a code");
    first.check_mark(&code, PlannedStatus::Sold).expect("checked");
    drop(first);
    let mut next = printer(&store);
    let code = marking::parse(MILK, &[]).expect("a code");
    let check = next
        .check_mark(&code, PlannedStatus::Sold)
        .expect("the owed decision is settled first");
    assert_eq!(check.verdict(), Verdict::Good);
    next.decide_mark(true).expect("decided");
    let decisions: Vec<Option<bool>> = emulator.registrar().mark_checks.iter().map(|c| c.decision).collect();
    assert_eq!(decisions, [Some(false), Some(true)]);
}

/// The registrar ran out of paper while binding: the receipt it cancels
/// takes its table of checked codes with it. Registered again, each code is
/// checked anew and the cashier's decision given before it is bound — also
/// when the marking system does not answer now — and the receipt goes through once.
#[test]
fn a_marked_receipt_cancelled_by_a_failure_is_registered_again_with_its_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let emulator = ShtrihEmulator::start(None, Registrar::default(), false).expect("registrar pty");
    let (mut runtime, events, _demo) = workstation(emulator.path(), dir.path());
    open_shift(&mut runtime, &events);
    run(&mut runtime, &events, [Event::Scan(WATER_1.into()), Event::Scan(WATER_2.into())]);
    emulator.registrar().paper_runs_out_at = Some(0xFF67);
    run(
        &mut runtime,
        &events,
        [Event::Command(Command::Pay), Event::Command(Command::Confirm)],
    );
    assert_eq!(
        runtime.state.durable.unprinted.len(),
        1,
        "not registered: {:?}",
        runtime.state.notice
    );
    assert!(emulator.registrar().receipts.len() <= 1, "only the shift's documents");
    {
        let mut r = emulator.registrar();
        r.paper = true;
        r.mark_answer = MarkAnswer::Timeout;
    }
    run(&mut runtime, &events, [Event::Command(Command::Reprint)]);
    assert!(runtime.state.durable.unprinted.is_empty(), "{:?}", runtime.state.notice);
    let r = emulator.registrar();
    let sale = r.receipts.last().expect("registered");
    assert_eq!(sale.marks.iter().map(|m| m.code.as_str()).collect::<Vec<_>>(), [WATER_1, WATER_2]);
    assert_eq!(r.mark_checks.len(), 4, "two at the scan, two again at the second registration");
    assert!(r.mark_checks.iter().all(|c| c.decision == Some(true)));
    drop(r);
    runtime.shutdown();
}
