//! Behaviour of `update`, with effects carried out in memory.

use chrono::{NaiveDate, NaiveDateTime};
use std::collections::BTreeMap;
use std::sync::Arc;

use super::update;
use crate::core::barcode::WeightLayout;
use crate::core::catalog::Catalog;
use crate::core::command::Command;
use crate::core::effect::{Effect, ReceiptQuery};
use crate::core::event::Event;
use crate::core::journal::{ClosedReceipt, ReceiptId, ReturnSource, Returned};
use crate::core::marking::{LocalCheck, MarkCheck, MarkFailure, OnlineCheck, PlannedStatus};
use crate::core::money::{Money, Quantity};
use crate::core::notice::Notice;
use crate::core::state::{AppState, Dialog, Durable, Settings};

mod age;

const CATALOG: &str = "code;name;price;min_price;weighed;barcodes;vat\n\
    1001;Молоко;89.90;80.00;0;4607001771562;10\n\
    1002;Хлеб;55.50;;0;4600051000057;10\n\
    2001;Яблоки;149.00;120.00;1;;10\n";

fn start() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("valid")
}

/// The core plus an in-memory stand-in for the store and the printer.
struct Harness {
    state: AppState,
    journal: BTreeMap<ReceiptId, ClosedReceipt>,
    returned: BTreeMap<ReceiptId, Returned>,
    saved: Option<Durable>,
    printed: usize,
    fail_next_close: bool,
    fail_prints: bool,
    /// Failed prints are refusals (a registrar's shift past 24 hours).
    refuse_prints: bool,
    queue: Vec<crate::core::queue::QueueEntry>,
    fail_next_enqueue: bool,
    fail_next_dequeue: bool,
    /// The registrar's next answers to marking checks (a good one when empty).
    mark_answers: std::collections::VecDeque<Result<MarkCheck, MarkFailure>>,
    /// The decisions sent to the registrar, in order.
    decisions: Vec<bool>,
    /// As the store's `marks` tree: units sold and not returned.
    sold: BTreeMap<String, ReceiptId>,
}

impl Harness {
    fn new() -> Harness {
        Harness::with(Settings::default())
    }

    fn with(settings: Settings) -> Harness {
        Harness::with_catalog(settings, CATALOG)
    }

    fn with_catalog(settings: Settings, catalog: &str) -> Harness {
        let catalog = Arc::new(Catalog::from_csv("test", catalog).expect("valid catalog"));
        let state = AppState::restore(Arc::new(settings), catalog, Durable::default(), start());
        Harness {
            state,
            journal: BTreeMap::new(),
            returned: BTreeMap::new(),
            saved: None,
            printed: 0,
            fail_next_close: false,
            fail_prints: false,
            refuse_prints: false,
            queue: Vec::new(),
            fail_next_enqueue: false,
            fail_next_dequeue: false,
            mark_answers: Default::default(),
            decisions: Vec::new(),
            sold: BTreeMap::new(),
        }
    }

    fn send(&mut self, event: Event) {
        let mut pending = update(&mut self.state, event);
        while !pending.is_empty() {
            let effects = std::mem::take(&mut pending);
            for effect in effects {
                if let Some(answer) = self.execute(effect) {
                    pending.extend(update(&mut self.state, answer));
                }
            }
        }
    }

    fn execute(&mut self, effect: Effect) -> Option<Event> {
        Some(match effect {
            Effect::SaveState(durable) => {
                self.saved = Some(*durable);
                Event::Saved(Ok(()))
            }
            Effect::CloseReceipt { receipt, state, .. } => {
                if std::mem::take(&mut self.fail_next_close) {
                    return Some(Event::ReceiptClosed(Err(crate::core::storage::StorageFailure::DiskFull {
                        free_kib: 0,
                    })));
                }
                if let crate::core::receipt::ReceiptKind::Return { original, .. } = receipt.receipt.kind {
                    self.returned.entry(original).or_default().record(&receipt);
                }
                for code in receipt.receipt.positions.iter().flat_map(|p| &p.marks) {
                    if receipt.receipt.is_return() {
                        self.sold.remove(&code.identity());
                    } else {
                        self.sold.insert(code.identity(), receipt.id);
                    }
                }
                self.journal.insert(receipt.id, (*receipt).clone());
                self.saved = Some(*state);
                Event::ReceiptClosed(Ok(*receipt))
            }
            Effect::CloseShift { summary, state } => {
                self.saved = Some(*state);
                Event::ShiftClosed(Ok(*summary))
            }
            Effect::Print(job) => {
                if self.fail_prints {
                    return Some(Event::Printed {
                        job: job.id,
                        result: Err("нет бумаги".into()),
                        refused: self.refuse_prints,
                    });
                }
                self.printed += 1;
                Event::Printed {
                    job: job.id,
                    result: Ok(()),
                    refused: false,
                }
            }
            Effect::FindReceipts(ReceiptQuery::Id(id)) => Event::ReceiptsFound(Ok(self
                .journal
                .get(&id)
                .map(|sale| ReturnSource {
                    sale: sale.clone(),
                    returned: self.returned.get(&id).cloned().unwrap_or_default(),
                })
                .into_iter()
                .collect())),
            Effect::FindReceipts(ReceiptQuery::Date(_)) => Event::ReceiptsFound(Ok(Vec::new())),
            Effect::Enqueue { entries, .. } if self.fail_next_enqueue => {
                self.fail_next_enqueue = false;
                Event::EnqueueFailed {
                    entries,
                    error: crate::core::storage::StorageFailure::DiskFull { free_kib: 0 },
                }
            }
            Effect::Enqueue { entries, state } => {
                self.queue.extend(entries);
                self.saved = Some(*state);
                Event::QueueChanged(crate::core::queue::QueueChange {
                    head: self.queue.first().cloned(),
                    ..Default::default()
                })
            }
            Effect::QueueDone { .. } if self.fail_next_dequeue => {
                self.fail_next_dequeue = false;
                let error = Some(crate::core::storage::StorageFailure::DiskFull { free_kib: 0 });
                Event::QueueChanged(crate::core::queue::QueueChange {
                    head: self.queue.first().cloned(),
                    error,
                    ..Default::default()
                })
            }
            Effect::QueueDone { id, outcome } => self.queue_done(id, outcome),
            Effect::QueueList => Event::QueueListed(Ok((Vec::new(), Vec::new()))),
            Effect::Loyalty { id, .. } => Event::LoyaltyReplied {
                id,
                result: Err(crate::core::loyalty::LoyaltyError::Link("no server here".into())),
            },
            Effect::CheckMark {
                id,
                code,
                status,
                original,
            } => {
                let sold = self.sold.get(&code.identity()).copied();
                let result = match (status, sold) {
                    (PlannedStatus::Sold, Some(receipt)) => Err(MarkFailure::AlreadySold {
                        receipt: receipt.to_string(),
                    }),
                    (PlannedStatus::Returned, sold) if sold.is_none() || sold != original => Err(MarkFailure::NotSold),
                    _ => self.mark_answers.pop_front().unwrap_or(Ok(GOOD)),
                };
                Event::MarkChecked { id, result }
            }
            Effect::DecideMark { accept } => {
                self.decisions.push(accept);
                Event::MarkDecided { accept, result: Ok(()) }
            }
            Effect::Quit => return None,
        })
    }

    /// As the store does: a retry updates the entry, anything else removes it.
    fn queue_done(&mut self, id: u64, outcome: crate::core::queue::Outcome) -> Event {
        use crate::core::queue::Outcome;
        let before = self.queue.len();
        match outcome {
            Outcome::Retry {
                attempts,
                error,
                next_attempt,
            } => {
                if let Some(entry) = self.queue.iter_mut().find(|e| e.id == id) {
                    entry.attempts = attempts;
                    entry.last_error = Some(error);
                    entry.next_attempt = Some(next_attempt);
                }
            }
            Outcome::Sent | Outcome::Rejected { .. } => self.queue.retain(|e| e.id != id),
        }
        let gone = before - self.queue.len();
        Event::QueueChanged(crate::core::queue::QueueChange {
            head: self.queue.first().cloned(),
            gone,
            ..Default::default()
        })
    }

    fn press(&mut self, command: Command) {
        self.send(Event::Command(command));
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(Event::Char(c));
        }
    }

    fn open_shift(&mut self) {
        self.press(Command::OpenShift);
        self.type_text("Иванова");
        self.press(Command::Confirm);
    }

    fn total(&self) -> Money {
        self.state.receipt().map_or(Money::ZERO, |r| r.totals().total)
    }

    fn close_dialog(&mut self) {
        if self.state.dialog.is_some() {
            self.press(Command::Cancel);
        }
    }
}

#[test]
fn selling_needs_an_open_shift() {
    let mut h = Harness::new();
    h.send(Event::Scan("4607001771562".into()));
    assert_eq!(h.state.notice, Some(Notice::NoShift));
    assert!(h.state.receipt().is_none());
}

#[test]
fn scan_typed_code_and_multiply() {
    let mut h = Harness::new();
    h.open_shift();
    h.send(Event::Scan("4607001771562".into()));
    h.type_text("1002");
    h.press(Command::Confirm);
    h.type_text("3");
    h.press(Command::Multiply);
    h.send(Event::Scan("4600051000057".into()));
    let receipt = h.state.receipt().expect("open receipt");
    let names: Vec<&str> = receipt.positions.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        receipt.positions.len(),
        2,
        "the second bread merges into the last line: {names:?} {:?}",
        h.state.notice
    );
    assert_eq!(receipt.positions[1].quantity, Quantity::pieces(4));
    assert_eq!(h.total(), Money(89_90 + 4 * 55_50));
    assert_eq!(
        h.saved.as_ref().and_then(|d| d.receipt.as_ref()),
        Some(receipt),
        "every change is saved"
    );
}

#[test]
fn bad_barcodes_are_explained() {
    let mut h = Harness::new();
    h.open_shift();
    h.send(Event::Scan("4607001771563".into()));
    assert_eq!(h.state.notice, Some(Notice::BadCheckDigit("4607001771563".into())));
    h.send(Event::Scan("4006381333931".into()));
    assert_eq!(h.state.notice, Some(Notice::UnknownBarcode("4006381333931".into())));
    h.type_text("абв");
    h.press(Command::Confirm);
    assert_eq!(h.state.notice, Some(Notice::UnknownCode("абв".into())));
    h.type_text(&"9".repeat(60));
    assert_eq!(h.state.notice, Some(Notice::InputTooLong(48)));
    assert_eq!(h.state.input.chars().count(), 48);
    assert!(h.state.receipt().is_none());
}

#[test]
fn weight_barcode_and_weighed_items() {
    let mut h = Harness::new();
    h.open_shift();
    let code = WeightLayout::default().encode("22", 2001, 1255).expect("fits");
    h.send(Event::Scan(code));
    assert_eq!(h.state.receipt().map(|r| r.positions[0].quantity), Some(Quantity(1255)));
    assert_eq!(h.total(), Money(187_00)); // 149.00 × 1.255 = 186.995, rounded half-up
    // A weighed item typed by code asks for its weight.
    h.type_text("2001");
    h.press(Command::Confirm);
    assert!(matches!(h.state.dialog, Some(Dialog::Quantity { .. })));
    h.type_text("0,5");
    h.press(Command::Confirm);
    assert_eq!(h.state.receipt().map(|r| r.positions.len()), Some(2));
    // Pieces must be whole.
    h.type_text("1.5");
    h.press(Command::Multiply);
    h.send(Event::Scan("4607001771562".into()));
    assert_eq!(h.state.notice, Some(Notice::WholePiecesOnly("Молоко".into())));
}

#[test]
fn limits_stop_overflow() {
    let mut settings = Settings::default();
    settings.limits.max_position_sum = Money(1000_00);
    settings.limits.max_receipt_sum = Money(1500_00);
    let mut h = Harness::with(settings);
    h.open_shift();
    h.type_text("12");
    h.press(Command::Multiply);
    h.send(Event::Scan("4607001771562".into()));
    assert_eq!(h.state.notice, Some(Notice::PositionSumTooLarge(Money(1000_00))));
    h.type_text("11");
    h.press(Command::Multiply);
    h.send(Event::Scan("4607001771562".into()));
    assert_eq!(h.total(), Money(11 * 89_90));
    h.type_text("10");
    h.press(Command::Multiply);
    h.send(Event::Scan("4600051000057".into()));
    assert_eq!(h.state.notice, Some(Notice::ReceiptSumTooLarge(Money(1500_00))));
    h.type_text("100000");
    h.press(Command::Multiply);
    assert!(matches!(h.state.notice, Some(Notice::QuantityTooLarge(_))));
    h.type_text("99999999999999999999");
    h.press(Command::Multiply);
    assert!(matches!(h.state.notice, Some(Notice::BadAmount(_))));
}

#[test]
fn discounts_respect_the_floor() {
    let mut h = Harness::new();
    h.open_shift();
    h.send(Event::Scan("4607001771562".into()));
    h.press(Command::Discount);
    h.type_text("50%");
    h.press(Command::Confirm);
    assert_eq!(h.state.notice, Some(Notice::DiscountCapped));
    assert_eq!(h.total(), Money(80_00));
    h.press(Command::Discount);
    h.type_text("0");
    h.press(Command::Confirm);
    assert_eq!(h.total(), Money(89_90));
}

#[test]
fn mixed_payment_closes_prints_and_counts() {
    let mut h = Harness::new();
    h.open_shift();
    h.send(Event::Scan("4607001771562".into()));
    h.send(Event::Scan("4600051000057".into()));
    h.press(Command::Pay);
    h.type_text("45.40");
    h.press(Command::PayCard);
    assert!(h.state.receipt().is_some(), "not closed before fully paid");
    h.type_text("200");
    h.press(Command::Confirm);
    assert!(h.state.receipt().is_none());
    assert_eq!(
        h.state.notice,
        Some(Notice::ReceiptClosed {
            id: ReceiptId { shift: 1, number: 1 },
            change: Money(100_00)
        })
    );
    let shift = h.state.shift().expect("shift");
    assert_eq!(shift.counters.sales.card, Money(45_40));
    assert_eq!(shift.counters.sales.cash, Money(100_00));
    assert_eq!(shift.next_receipt, 2);
    assert!(h.state.durable.unprinted.is_empty());
    assert_eq!(h.printed, 2, "shift opening and the receipt");
}

#[test]
fn card_cannot_overpay() {
    let mut h = Harness::new();
    h.open_shift();
    h.send(Event::Scan("4607001771562".into()));
    h.press(Command::Pay);
    h.type_text("100");
    h.press(Command::PayCard);
    assert_eq!(h.state.notice, Some(Notice::CardOverpay { remaining: Money(89_90) }));
}

/// A barcode scanned (or a long number typed) into the cash field is not
/// taken for the customer's cash: the change would be absurd.
#[test]
fn cash_giving_more_change_than_allowed_is_refused() {
    let mut h = Harness::new();
    h.open_shift();
    h.send(Event::Scan("4607001771562".into()));
    h.press(Command::Pay);
    // An EAN-8 code: short enough to read as an amount (46 million).
    h.type_text("46076183");
    h.press(Command::Confirm);
    assert_eq!(
        h.state.notice,
        Some(Notice::ChangeTooLarge {
            change: Money(46_076_183_00 - 89_90),
            max: Money(10_000_00)
        })
    );
    assert!(h.state.receipt().is_some_and(|r| r.payments.is_empty()), "nothing paid");
    assert!(matches!(h.state.dialog, Some(Dialog::Payment { .. })), "the cashier corrects it");
    h.press(Command::Cancel);
    h.press(Command::Pay);
    h.type_text("10089.90");
    h.press(Command::Confirm);
    assert!(h.state.receipt().is_none(), "10000.00 of change is still fine");
}

#[test]
fn a_failed_close_keeps_the_receipt_and_retries() {
    let mut h = Harness::new();
    h.open_shift();
    h.send(Event::Scan("4607001771562".into()));
    h.press(Command::Pay);
    h.fail_next_close = true;
    h.press(Command::Confirm);
    assert!(matches!(h.state.notice, Some(Notice::CloseFailed(_))));
    assert!(h.state.receipt().is_some_and(|r| r.is_fully_paid()));
    h.press(Command::Confirm);
    assert!(h.state.receipt().is_none());
    assert_eq!(h.journal.len(), 1);
}

#[test]
fn input_while_closing_is_kept_for_later() {
    let mut h = Harness::new();
    h.open_shift();
    h.send(Event::Scan("4607001771562".into()));
    h.press(Command::Pay);
    // Drive by hand so the close stays in flight while a scan arrives.
    let effects = update(&mut h.state, Event::Command(Command::Confirm));
    let close = effects
        .into_iter()
        .find(|e| matches!(e, Effect::CloseReceipt { .. }))
        .expect("close asked");
    update(&mut h.state, Event::Scan("4600051000057".into()));
    assert_eq!(
        h.state.receipt().map(|r| r.positions.len()),
        Some(1),
        "not applied to the closing receipt"
    );
    let answer = h.execute(close).expect("answer");
    h.send(answer);
    let receipt = h.state.receipt().expect("the deferred scan opened the next receipt");
    assert_eq!(receipt.positions[0].name, "Хлеб");
}

#[test]
fn printer_failure_keeps_the_document() {
    let mut h = Harness::new();
    h.fail_prints = true;
    h.open_shift();
    assert_eq!(h.state.durable.unprinted.len(), 1);
    assert!(matches!(h.state.notice, Some(Notice::PrintFailed(_))));
    h.fail_prints = false;
    h.press(Command::Reprint);
    assert!(h.state.durable.unprinted.is_empty());
}

#[test]
fn partial_returns_never_exceed_what_was_sold() {
    let mut h = Harness::new();
    h.open_shift();
    h.type_text("3");
    h.press(Command::Multiply);
    h.send(Event::Scan("4607001771562".into()));
    h.press(Command::Pay);
    h.type_text("100");
    h.press(Command::PayCard);
    h.press(Command::Confirm);
    h.close_dialog();
    // Return 2 of 3.
    h.press(Command::ReturnReceipt);
    h.type_text("1/1");
    h.press(Command::Confirm);
    assert!(matches!(h.state.dialog, Some(Dialog::ReturnPick { .. })));
    h.type_text("2");
    h.press(Command::Confirm);
    h.press(Command::Pay);
    assert_eq!(h.total(), Money(179_80));
    assert_eq!(h.state.receipt().map(|r| r.refund_split()), Some((Money(79_80), Money(100_00))));
    h.press(Command::Confirm);
    assert!(h.state.receipt().is_none());
    // Asking for 2 more is refused; the last one is allowed.
    h.close_dialog();
    h.press(Command::ReturnReceipt);
    h.type_text("1/1");
    h.press(Command::Confirm);
    h.type_text("2");
    h.press(Command::Confirm);
    assert_eq!(h.state.notice, Some(Notice::ReturnMoreThanAvailable { available: Quantity::ONE }));
    h.press(Command::Confirm);
    h.press(Command::Pay);
    h.press(Command::Confirm);
    let shift = h.state.shift().expect("shift");
    assert_eq!(shift.counters.returns.count, 2);
    assert_eq!(
        Money(shift.counters.returns.card.0 + shift.counters.returns.cash.0),
        Money(3 * 89_90)
    );
    h.close_dialog();
    h.press(Command::ReturnReceipt);
    h.type_text("1/1");
    h.press(Command::Confirm);
    assert_eq!(h.state.notice, Some(Notice::NothingLeftToReturn(ReceiptId { shift: 1, number: 1 })));
}

#[test]
fn a_shift_past_24_hours_blocks_new_receipts() {
    let mut h = Harness::new();
    h.open_shift();
    h.send(Event::Tick(start() + chrono::Duration::hours(24)));
    h.send(Event::Scan("4607001771562".into()));
    assert_eq!(h.state.notice, Some(Notice::ShiftExpired));
    h.press(Command::CloseShift);
    h.press(Command::Confirm);
    assert!(h.state.shift().is_none());
    h.open_shift();
    assert_eq!(h.state.shift().map(|s| s.number), Some(2));
}

#[test]
fn cash_out_cannot_exceed_the_drawer() {
    let mut h = Harness::new();
    h.open_shift();
    h.press(Command::CashIn);
    h.type_text("1000");
    h.press(Command::Confirm);
    h.press(Command::CashOut);
    h.type_text("1000.01");
    h.press(Command::Confirm);
    assert_eq!(
        h.state.notice,
        Some(Notice::NotEnoughCash {
            needed: Money(1000_01),
            drawer: Money(1000_00)
        })
    );
    h.press(Command::Cancel);
    h.press(Command::CashOut);
    h.type_text("400");
    h.press(Command::Confirm);
    assert_eq!(h.state.shift().map(|s| s.drawer_cash()), Some(Money(600_00)));
}

#[test]
fn restart_resumes_payment_and_finishes_a_paid_receipt() {
    let mut h = Harness::new();
    h.open_shift();
    h.send(Event::Scan("4607001771562".into()));
    h.press(Command::Pay);
    h.type_text("50");
    h.press(Command::PayCard);
    // "Crash" and start again from what was saved.
    let saved = h.saved.clone().expect("saved");
    let mut after = Harness::new();
    after.state = AppState::restore(h.state.settings.clone(), h.state.catalog.clone(), saved, start());
    after.send(Event::Started);
    assert!(matches!(after.state.dialog, Some(Dialog::Payment { .. })));
    assert_eq!(after.state.receipt().map(|r| r.remaining()), Some(Money(39_90)));
    // Fully paid but not journaled: finished on start.
    let mut paid = after.state.durable.clone();
    if let Some(r) = paid.receipt.as_mut() {
        r.payments.push(crate::core::receipt::Payment {
            kind: crate::core::receipt::PaymentKind::Cash,
            amount: Money(39_90),
            tendered: Money(39_90),
        });
    }
    let mut last = Harness::new();
    last.state = AppState::restore(h.state.settings.clone(), h.state.catalog.clone(), paid, start());
    last.send(Event::Started);
    assert!(last.state.receipt().is_none());
    assert_eq!(last.journal.len(), 1);
}

#[test]
fn storno_and_cancel() {
    let mut h = Harness::new();
    h.open_shift();
    h.send(Event::Scan("4607001771562".into()));
    h.send(Event::Scan("4600051000057".into()));
    h.press(Command::Up);
    h.press(Command::Storno);
    assert_eq!(h.state.notice, Some(Notice::Removed("Молоко".into())));
    h.press(Command::CancelReceipt);
    h.press(Command::Confirm);
    assert!(h.state.receipt().is_none());
    assert_eq!(h.state.shift().map(|s| s.counters.cancelled_count), Some(1));
}

/// A loyalty workstation with an open receipt of one item whose loyalty
/// `with` adjusts (a bonus paid, a payment in doubt…).
fn loyalty_receipt(with: impl FnOnce(&mut crate::core::loyalty::ReceiptLoyalty)) -> Harness {
    use crate::core::loyalty::ClientId;
    use crate::core::loyalty::ReceiptLoyalty;
    let mut h = Harness::with(Settings {
        loyalty: true,
        ..Settings::default()
    });
    h.open_shift();
    h.send(Event::Scan("4607001771562".into()));
    let mut loyalty = ReceiptLoyalty::new(ClientId::Card("7770000000017".into()), "uid-1".into());
    with(&mut loyalty);
    if let Some(receipt) = h.state.durable.receipt.as_mut() {
        receipt.loyalty = Some(loyalty);
    }
    h
}

#[test]
fn a_bonus_payment_lost_in_a_crash_is_cancelled_on_start() {
    use crate::core::loyalty::Request;
    // The program stopped while a payment of 30.00 was on its way to the server.
    let h = loyalty_receipt(|l| l.bonus_in_flight = Some(Money(30_00)));
    let mut state = AppState::restore(h.state.settings.clone(), h.state.catalog.clone(), h.state.durable.clone(), start());
    let effects = update(&mut state, Event::Started);
    let cancels = effects
        .iter()
        .filter(|e| matches!(e, Effect::Loyalty { request, .. } if matches!(**request, Request::CancelBonusPayment { amount, .. } if amount == Money(30_00))))
        .count();
    assert_eq!(cancels, 1, "{effects:?}");
    assert_eq!(
        state.busy,
        Some(crate::core::state::Busy::Loyalty),
        "nothing else happens until it is settled"
    );
}

#[test]
fn a_queued_cancellation_and_the_cancelled_receipt_are_one_write() {
    use crate::core::loyalty::Request;
    let mut h = loyalty_receipt(|l| l.bonus_paid = Money(20_00));
    update(&mut h.state, Event::Command(Command::CancelReceipt));
    let effects = update(&mut h.state, Event::Command(Command::Confirm));
    match effects.first() {
        Some(Effect::Enqueue { entries, state }) => {
            assert!(matches!(entries[0].request, Request::CancelBonusPayment { amount, .. } if amount == Money(20_00)));
            assert!(state.receipt.is_none(), "the state written with the entry is the final one");
        }
        other => panic!("the queue entry goes first, with the state: {other:?}"),
    }
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::SaveState(_))),
        "no second, competing write of the state"
    );
}

#[test]
fn a_cancellation_the_disk_refused_is_kept_and_queued_again() {
    use crate::core::loyalty::Request;
    let mut h = loyalty_receipt(|l| l.bonus_paid = Money(20_00));
    h.fail_next_enqueue = true;
    h.press(Command::CancelReceipt);
    h.press(Command::Confirm);
    assert!(h.state.receipt().is_none());
    assert!(matches!(h.state.notice, Some(Notice::SaveFailed(_))));
    assert_eq!(h.state.durable.unqueued.len(), 1, "kept in the state");
    assert_eq!(
        h.saved.as_ref().map(|d| d.unqueued.len()),
        Some(1),
        "and the state with it was saved"
    );
    assert!(h.queue.is_empty());
    h.send(Event::Tick(start() + chrono::Duration::seconds(1)));
    assert!(h.state.durable.unqueued.is_empty());
    assert!(matches!(h.queue[0].request, Request::CancelBonusPayment { amount, .. } if amount == Money(20_00)));
    assert_eq!(
        h.saved.as_ref().map(|d| d.unqueued.len()),
        Some(0),
        "queued together with the state that no longer holds it"
    );
}

#[test]
fn a_queue_write_that_fails_keeps_the_entry_and_backs_off() {
    let mut h = loyalty_receipt(|l| l.bonus_paid = Money(20_00));
    h.fail_next_dequeue = true;
    // Cancelling queues a cancellation; sending it finds no link (this harness
    // has no server), and recording that attempt fails.
    h.press(Command::CancelReceipt);
    h.press(Command::Confirm);
    assert!(matches!(h.state.notice, Some(Notice::SaveFailed(_))), "{:?}", h.state.notice);
    let head = h.state.queue.head.clone().expect("the entry is still known");
    assert!(head.next_attempt.is_some_and(|t| t > start()), "waits before sending again");
    assert_eq!(h.state.queue.depth, 1);
}

#[test]
fn a_written_check_whose_receipt_goes_away_is_rolled_back() {
    use crate::core::loyalty::Request;
    use crate::core::loyalty::Written;
    // MaxBonus took the write; the close after it failed and the cashier cancels the receipt.
    for written in [Written::InDoubt, Written::Done] {
        let mut h = loyalty_receipt(|l| l.written = written);
        update(&mut h.state, Event::Command(Command::CancelReceipt));
        let effects = update(&mut h.state, Event::Command(Command::Confirm));
        let rollbacks = effects
            .iter()
            .filter(|e| matches!(e, Effect::Enqueue { entries, .. } if matches!(entries[0].request, Request::CancelBonusPayment { .. })))
            .count();
        assert_eq!(rollbacks, 1, "{written:?}: {effects:?}");
    }
    // Never written: nothing to undo.
    let mut h = loyalty_receipt(|_| {});
    update(&mut h.state, Event::Command(Command::CancelReceipt));
    let effects = update(&mut h.state, Event::Command(Command::Confirm));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Enqueue { .. })), "{effects:?}");
}

#[test]
fn a_certificate_is_taken_in_the_payment_window_only() {
    let mut h = loyalty_receipt(|_| {});
    h.press(Command::Certificate);
    assert_eq!(h.state.notice, Some(Notice::NotHere(Command::Certificate)));
    assert_eq!(h.state.dialog, None, "the sale screen stays");
}

#[test]
fn a_printer_that_comes_back_prints_what_waited_and_nothing_twice() {
    use crate::core::device::DeviceState;
    let mut h = Harness::new();
    h.fail_prints = true;
    h.open_shift();
    assert_eq!(h.state.durable.unprinted.len(), 1);
    h.send(Event::Device {
        device: "printer".into(),
        state: DeviceState::Fault("нет бумаги — вставьте рулон".into()),
    });
    assert!(matches!(h.state.notice, Some(Notice::DeviceDown(..))));
    h.fail_prints = false;
    h.send(Event::Device {
        device: "printer".into(),
        state: DeviceState::Ready,
    });
    assert!(h.state.durable.unprinted.is_empty(), "printed when the printer came back");
    // A job the printer has not answered yet is not sent again by a reprint.
    h.fail_prints = true;
    h.press(Command::XReport);
    let waiting = h.state.durable.unprinted[0].id;
    h.state.printing.insert(waiting);
    let effects = update(&mut h.state, Event::Command(Command::Reprint));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Print(_))), "{effects:?}");
}

#[test]
fn a_swiped_card_identifies_the_client_only_where_one_is_asked_for() {
    let mut h = Harness::with(Settings {
        loyalty: true,
        ..Settings::default()
    });
    h.open_shift();
    h.send(Event::Scan("4607001771562".into()));
    h.press(Command::Pay);
    h.send(Event::Swipe("7000000000011".into()));
    assert_eq!(h.state.notice, Some(Notice::SwipeNotNow));
    assert!(matches!(h.state.dialog, Some(Dialog::Payment { .. })), "the dialog stays");
    h.press(Command::Cancel);
    // On the sale screen: the client command, answered by the card at once —
    // a card even when its digits look like a phone.
    h.send(Event::Swipe("79161234567".into()));
    let client = h.state.receipt().and_then(|r| r.loyalty.as_ref()).map(|l| l.client.clone());
    assert_eq!(client, Some(crate::core::loyalty::ClientId::Card("79161234567".into())));
}

#[test]
fn a_copy_of_a_receipt_is_never_registered_again() {
    let mut h = Harness::new();
    h.open_shift();
    h.send(Event::Scan("4600051000057".into()));
    h.press(Command::Pay);
    h.type_text("100");
    h.press(Command::Confirm);
    assert!(h.state.receipt().is_none());
    let last = h.state.durable.last_receipt.clone().expect("closed");
    let original = crate::core::print::layout::receipt(&last, &h.state.settings, false);
    assert!(matches!(original.fiscal, Some(crate::core::print::document::Fiscal::Receipt(_))));
    h.close_dialog();
    let effects = update(&mut h.state, Event::Command(Command::Reprint));
    let copies: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Print(job) => Some(job.document.fiscal.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(copies, vec![None], "the copy prints as plain text");
}

#[test]
fn a_maxbonus_code_whose_discount_the_floors_would_cut_is_dropped_before_payment() {
    use crate::core::loyalty::{Reply, Request};
    use crate::core::state::LoyaltyPurpose;
    let mut h = loyalty_receipt(|l| l.promo_code = Some("GIFT100".into()));
    let mut settings = (*h.state.settings).clone();
    settings.flow = crate::core::loyalty::Flow::maxbonus(true, false);
    h.state.settings = Arc::new(settings);
    // The calculation gives 20.00 off the 89.90 milk; its floor (80.00) allows 9.90.
    h.state.loyalty_requests.push((77, LoyaltyPurpose::Calculate));
    let reply = Reply {
        discounts: vec![(1, Money(20_00))],
        ..Reply::default()
    };
    let effects = update(&mut h.state, Event::LoyaltyReplied { id: 77, result: Ok(reply) });
    let loyalty = h.state.receipt().and_then(|r| r.loyalty.clone()).expect("loyalty");
    assert_eq!(loyalty.promo_code, None, "the code is not used");
    assert_eq!(h.total(), Money(89_90), "nothing of its calculation applies");
    assert_eq!(h.state.notice, Some(Notice::PromoOverFloors("GIFT100".into())));
    let again = effects.iter().any(|e| {
        matches!(e, Effect::Loyalty { request, .. } if matches!(&**request, Request::Calculate { document, .. } if document.promo_code.is_none()))
    });
    assert!(again, "calculated again without the code, before payment: {effects:?}");
}

/// Issue 19.2: a failed save is not asked again at once (a full disk
/// would spin), but at the next tick; meanwhile nothing more is sold, and
/// once a save goes through selling goes on.
#[test]
fn a_failed_save_is_retried_on_the_clock_and_blocks_selling_until_it_goes() {
    let mut h = Harness::new();
    h.open_shift();
    h.send(Event::Scan("4607001771562".into()));
    let effects = update(
        &mut h.state,
        Event::Saved(Err(crate::core::storage::StorageFailure::DiskFull { free_kib: 0 })),
    );
    assert!(effects.is_empty(), "no save straight after a failed one: {effects:?}");
    h.send(Event::Scan("4607001771562".into()));
    assert!(matches!(h.state.notice, Some(Notice::NothingNewUnsaved(_))));
    assert_eq!(h.state.receipt().map(|r| r.positions.len()), Some(1));
    let effects = update(&mut h.state, Event::Tick(start()));
    assert!(
        matches!(effects.first(), Some(Effect::SaveState(_))),
        "the clock asks again: {effects:?}"
    );
    update(
        &mut h.state,
        Event::Saved(Err(crate::core::storage::StorageFailure::DiskFull { free_kib: 0 })),
    );
    assert!(
        matches!(h.state.notice, Some(Notice::NothingNewUnsaved(_))),
        "the same failure again does not hide what the cashier was told"
    );
    h.send(Event::Saved(Ok(())));
    h.send(Event::Scan("4607001771562".into()));
    assert_eq!(h.state.receipt().map(|r| r.positions[0].quantity.to_string()), Some("2".into()));
}

/// A till started on a full disk sells nothing until a save goes through.
#[test]
fn started_on_a_full_disk_nothing_is_sold_until_a_save_goes() {
    let mut h = Harness::new();
    h.open_shift();
    h.send(Event::StartedOnFullDisk(crate::core::storage::StorageFailure::DiskFull {
        free_kib: 0,
    }));
    assert_eq!(h.state.notice, Some(Notice::StartedOnReserve));
    h.send(Event::Scan("4607001771562".into()));
    assert!(h.state.receipt().is_none());
    h.send(Event::Tick(start()));
    h.send(Event::Scan("4607001771562".into()));
    assert!(h.state.receipt().is_some(), "the harness's store saved on the tick");
}

/// Issue 20.9: what a failed send leaves in the queue is the cashier's
/// Russian, not the transport's English («no server here» below).
#[test]
fn the_queue_keeps_a_failure_in_russian() {
    let mut h = loyalty_receipt(|l| l.bonus_paid = Money(20_00));
    h.press(Command::CancelReceipt);
    h.press(Command::Confirm);
    let error = h.queue.first().and_then(|e| e.last_error.clone()).expect("a failed attempt");
    assert_eq!(
        error,
        crate::text::loyalty_error(&crate::core::loyalty::LoyaltyError::Link(String::new()))
    );
    assert!(!error.contains("no server"), "{error}");
}

fn fiscal() -> Settings {
    Settings {
        fiscal: true,
        ..Settings::default()
    }
}

/// A shift opened and printed, then a sale paid in cash while the printer fails.
fn sale_not_printed(settings: Settings) -> Harness {
    let mut h = Harness::with(settings);
    h.open_shift();
    h.fail_prints = true;
    h.send(Event::Scan("4607001771562".into()));
    h.press(Command::Pay);
    h.press(Command::Confirm);
    assert!(h.state.receipt().is_none(), "closed");
    assert_eq!(h.state.durable.unprinted.len(), 1);
    h
}

/// Nothing new starts while the receipt waits for the registrar.
fn assert_held(h: &mut Harness) {
    let id = ReceiptId { shift: 1, number: 1 };
    assert_eq!(h.state.dialog, Some(Dialog::Registration));
    h.send(Event::Scan("4600051000057".into()));
    assert!(h.state.receipt().is_none(), "no next receipt");
    assert!(
        matches!(h.state.notice, Some(Notice::NotRegistered { receipt: Some(r), .. }) if r == id),
        "{:?}",
        h.state.notice
    );
    for command in [Command::Cancel, Command::Confirm, Command::ReturnReceipt, Command::Client] {
        h.press(command);
        assert_eq!(h.state.dialog, Some(Dialog::Registration), "after {command:?}");
    }
    h.press(Command::CloseShift);
    assert_eq!(h.state.dialog, Some(Dialog::Registration), "no shift close");
    assert!(h.state.shift().is_some());
    // Through the menu: the same answers.
    h.press(Command::Menu);
    h.send(Event::Char('7'));
    assert_eq!(h.state.dialog, Some(Dialog::Registration), "no return from the menu");
    assert!(matches!(h.state.notice, Some(Notice::NotRegistered { .. })));
}

#[test]
fn a_fiscal_receipt_not_registered_holds_the_till_until_it_is() {
    let mut h = sale_not_printed(fiscal());
    assert_held(&mut h);
    // A restart keeps it so: the job goes again at start and fails again.
    let saved = h.saved.clone().expect("saved");
    let mut after = Harness::with(fiscal());
    after.fail_prints = true;
    after.state = AppState::restore(h.state.settings.clone(), h.state.catalog.clone(), saved, start());
    after.send(Event::Started);
    assert_held(&mut after);
    // Registered at the retry: the window goes by itself, the till goes on.
    after.fail_prints = false;
    after.press(Command::Reprint);
    assert!(after.state.durable.unprinted.is_empty());
    assert_eq!(after.state.dialog, None);
    assert_eq!(
        after.state.notice,
        Some(Notice::Registered(Some(ReceiptId { shift: 1, number: 1 })))
    );
    after.send(Event::Scan("4600051000057".into()));
    assert_eq!(after.state.receipt().map(|r| r.positions.len()), Some(1));
}

#[test]
fn a_plain_printer_that_fails_holds_nothing() {
    let mut h = sale_not_printed(Settings::default());
    assert!(matches!(h.state.notice, Some(Notice::PrintFailed(_))));
    assert_ne!(h.state.dialog, Some(Dialog::Registration));
    h.send(Event::Scan("4600051000057".into()));
    assert_eq!(h.state.receipt().map(|r| r.positions.len()), Some(1), "the next receipt starts");
}

/// A registrar whose shift is past 24 hours refused the receipt before
/// anything was sent: the shift close is what cures it, so it is allowed.
#[test]
fn a_receipt_the_registrar_refused_lets_the_shift_close_first() {
    let mut h = Harness::with(fiscal());
    h.open_shift();
    h.fail_prints = true;
    h.refuse_prints = true;
    h.send(Event::Scan("4607001771562".into()));
    h.press(Command::Pay);
    h.press(Command::Confirm);
    assert_eq!(h.state.dialog, Some(Dialog::Registration));
    h.send(Event::Scan("4600051000057".into()));
    assert!(h.state.receipt().is_none(), "still no next receipt");
    h.fail_prints = false;
    h.press(Command::CloseShift);
    assert_eq!(h.state.dialog, Some(Dialog::Confirm(crate::core::state::Question::CloseShift)));
    h.press(Command::Confirm);
    assert!(h.state.shift().is_none(), "the shift closed");
    assert_eq!(h.state.durable.unprinted.len(), 1, "the Z-report went first; the receipt waits");
    // The registrar, its shift closed, is ready: what waited goes.
    for state in [
        crate::core::device::DeviceState::Fault("смена".into()),
        crate::core::device::DeviceState::Ready,
    ] {
        h.send(Event::Device {
            device: "printer".into(),
            state,
        });
    }
    assert!(h.state.durable.unprinted.is_empty(), "then the receipt");
    assert_eq!(h.state.notice, Some(Notice::Registered(Some(ReceiptId { shift: 1, number: 1 }))));
}

/// Issue 20.9: a device's "down" notice does not stay once it is back.
#[test]
fn a_device_back_replaces_its_down_notice() {
    use crate::core::device::DeviceState;
    let mut h = Harness::new();
    for state in [DeviceState::Ready, DeviceState::Offline("отключён".into())] {
        h.send(Event::Device {
            device: "scanner".into(),
            state,
        });
    }
    assert!(matches!(h.state.notice, Some(Notice::DeviceDown(..))));
    h.send(Event::Device {
        device: "scanner".into(),
        state: DeviceState::Ready,
    });
    assert_eq!(h.state.notice, Some(Notice::DeviceBack("scanner".into())));
}

/// The next customer's first scan during a normal registration (the job on
/// its way to the registrar, no failure heard) waits the second it takes
/// and then starts the new receipt, instead of being refused.
#[test]
fn a_scan_during_a_normal_registration_waits_for_it() {
    let mut h = Harness::with(fiscal());
    h.open_shift();
    h.send(Event::Scan("4607001771562".into()));
    h.press(Command::Pay);
    // Pay, carrying out every effect but the print job: it is on its way.
    let mut pending = update(&mut h.state, Event::Command(Command::Confirm));
    let mut printing = Vec::new();
    while !pending.is_empty() {
        for effect in std::mem::take(&mut pending) {
            match effect {
                Effect::Print(job) => printing.push(job.id),
                other => pending.extend(h.execute(other).map(|answer| update(&mut h.state, answer)).unwrap_or_default()),
            }
        }
    }
    assert!(h.state.receipt().is_none() && !printing.is_empty(), "closed, printing");
    h.send(Event::Scan("4600051000057".into()));
    assert!(h.state.receipt().is_none(), "held while it registers");
    assert!(
        !matches!(h.state.notice, Some(Notice::NotRegistered { .. })),
        "not refused: {:?}",
        h.state.notice
    );
    for job in printing {
        h.send(Event::Printed {
            job,
            result: Ok(()),
            refused: false,
        });
    }
    assert_eq!(
        h.state.receipt().map(|r| r.positions.len()),
        Some(1),
        "the held scan started the next receipt"
    );
}

// Marked goods (issue 22, items 1–4)

const MARKED: &str = "code;name;price;min_price;weighed;barcodes;vat;mark\n\
    1001;Молоко;89.90;80.00;0;4600972223306;10;milk\n\
    1002;Хлеб;55.50;;0;4600051000057;10;\n";

/// Two milk units: the same GTIN, two serials.
const MILK_1: &str = "0104600972223306215Ab1cD\u{1d}93dGVz";
const MILK_2: &str = "0104600972223306215Zz9yX\u{1d}93kLmn";

const GOOD: MarkCheck = MarkCheck {
    local: LocalCheck::Passed,
    online: OnlineCheck::Answered {
        code_valid: true,
        status_valid: true,
    },
};

fn marked_till() -> Harness {
    let mut h = Harness::with_catalog(fiscal(), MARKED);
    h.open_shift();
    h
}

fn marks_of(h: &Harness, index: usize) -> Vec<String> {
    h.state
        .receipt()
        .map_or(Vec::new(), |r| r.positions[index].marks.iter().map(|m| m.serial.clone()).collect())
}

#[test]
fn a_checked_code_adds_its_unit_and_the_quantity_is_the_codes() {
    let mut h = marked_till();
    h.send(Event::Scan(MILK_1.into()));
    h.send(Event::Scan(MILK_2.into()));
    let receipt = h.state.receipt().expect("a receipt");
    assert_eq!(receipt.positions.len(), 1);
    assert_eq!(receipt.positions[0].quantity, Quantity::pieces(2));
    assert_eq!(marks_of(&h, 0), ["5Ab1cD", "5Zz9yX"]);
    assert_eq!(h.decisions, [true, true], "every check is followed by its decision");
    h.send(Event::Scan(MILK_1.into()));
    assert_eq!(h.state.notice, Some(Notice::MarkTwice("0104600972223306215Ab1cD␝93dGVz".into())));
    assert_eq!(h.decisions.len(), 2, "a unit already in the receipt is not checked again");
}

#[test]
fn a_marked_good_is_not_sold_by_its_barcode_nor_without_a_registrar() {
    let mut h = marked_till();
    h.send(Event::Scan("4600972223306".into()));
    assert_eq!(h.state.notice, Some(Notice::MarkCodeNeeded("Молоко".into())));
    h.type_text("1001");
    h.press(Command::Confirm);
    assert_eq!(h.state.notice, Some(Notice::MarkCodeNeeded("Молоко".into())));
    assert!(h.state.receipt().is_none());
    let mut plain = Harness::with_catalog(Settings::default(), MARKED);
    plain.open_shift();
    plain.send(Event::Scan(MILK_1.into()));
    assert_eq!(plain.state.notice, Some(Notice::MarkNeedsRegistrar("Молоко".into())));
    assert!(plain.decisions.is_empty() && plain.state.receipt().is_none());
}

#[test]
fn a_refused_check_follows_the_rule_and_an_unanswered_one_asks() {
    let mut h = marked_till();
    let sold_elsewhere = MarkCheck {
        local: LocalCheck::Passed,
        online: OnlineCheck::Answered {
            code_valid: true,
            status_valid: false,
        },
    };
    h.mark_answers.push_back(Ok(sold_elsewhere));
    h.send(Event::Scan(MILK_1.into()));
    assert!(matches!(h.state.notice, Some(Notice::MarkRefused { .. })), "{:?}", h.state.notice);
    assert_eq!(h.decisions, [false]);
    assert!(h.state.receipt().is_none());
    let unanswered = MarkCheck {
        local: LocalCheck::Passed,
        online: OnlineCheck::Unanswered,
    };
    h.mark_answers.push_back(Ok(unanswered));
    h.send(Event::Scan(MILK_1.into()));
    assert_eq!(h.state.dialog.as_ref().map(Dialog::name), Some("mark_check"));
    h.type_text("1002");
    assert!(h.state.receipt().is_none(), "typing does not answer the question");
    h.press(Command::Confirm);
    assert_eq!(h.decisions, [false, true]);
    let names: Vec<String> = h
        .state
        .receipt()
        .map_or(Vec::new(), |r| r.positions.iter().map(|p| p.name.clone()).collect());
    assert_eq!(names, ["Молоко"]);
    assert_eq!(
        h.state.notice,
        Some(Notice::MarkTaken {
            name: "Молоко".into(),
            verdict: crate::core::marking::Verdict::Unknown
        })
    );
}

#[test]
fn a_code_sold_before_is_refused_and_comes_back_by_its_code() {
    let mut h = marked_till();
    h.send(Event::Scan(MILK_1.into()));
    h.send(Event::Scan(MILK_2.into()));
    h.press(Command::Pay);
    h.press(Command::Confirm);
    h.close_dialog();
    assert_eq!(h.journal.len(), 1, "{:?}", h.state.notice);
    h.send(Event::Scan(MILK_1.into()));
    assert!(
        matches!(
            &h.state.notice,
            Some(Notice::MarkRefused {
                reason: crate::core::notice::MarkReason::Failure(MarkFailure::AlreadySold { .. }),
                ..
            })
        ),
        "{:?}",
        h.state.notice
    );
    // The return: the window takes the codes scanned, not a typed quantity.
    h.press(Command::ReturnReceipt);
    h.type_text("1");
    h.press(Command::Confirm);
    assert_eq!(h.state.dialog.as_ref().map(Dialog::name), Some("return_pick"));
    h.press(Command::Confirm);
    assert_eq!(h.state.notice, Some(Notice::MarkOneCodeEach("Молоко".into())));
    h.send(Event::Scan("0104600972223306215Qq0qQ\u{1d}93abcd".into()));
    assert!(matches!(h.state.notice, Some(Notice::MarkNotInSale(_))));
    h.send(Event::Scan(MILK_2.into()));
    h.press(Command::Pay);
    let receipt = h.state.receipt().expect("the return receipt");
    assert!(receipt.is_return());
    assert_eq!(receipt.positions[0].quantity, Quantity::ONE);
    assert_eq!(marks_of(&h, 0), ["5Zz9yX"]);
    h.press(Command::Confirm);
    h.close_dialog();
    assert_eq!(h.journal.len(), 2);
    assert!(h.sold.contains_key("046009722233065Ab1cD") && !h.sold.contains_key("046009722233065Zz9yX"));
}

#[test]
fn a_typed_quantity_drops_codes_or_asks_for_more() {
    let mut h = marked_till();
    h.send(Event::Scan(MILK_1.into()));
    h.send(Event::Scan(MILK_2.into()));
    h.type_text("3");
    h.press(Command::Quantity);
    assert_eq!(
        h.state.notice,
        Some(Notice::MarkScanMore {
            name: "Молоко".into(),
            more: 1
        })
    );
    assert_eq!(marks_of(&h, 0).len(), 2);
    h.press(Command::Quantity);
    h.type_text("1");
    h.press(Command::Confirm);
    assert_eq!(marks_of(&h, 0), ["5Ab1cD"]);
    assert_eq!(h.state.receipt().map(|r| r.positions[0].quantity), Some(Quantity::ONE));
}

/// A marked good sold from 18 (beer): the buyer's age first, then the
/// registrar's check; a unit refused at the age question is never checked.
#[test]
fn a_marked_good_sold_from_18_asks_the_age_before_the_check() {
    let catalog = "code;name;price;min_price;weighed;barcodes;vat;mark;age\n\
        3003;Пиво;89.90;;0;4600682000815;22;beer;alcohol\n";
    let mut h = Harness::with_catalog(fiscal(), catalog);
    h.state.now = start() + chrono::Duration::hours(3);
    h.open_shift();
    let beer = "0104600682000815215Bb1bB\u{1d}93aaaa";
    h.send(Event::Scan(beer.into()));
    assert_eq!(h.state.dialog.as_ref().map(Dialog::name), Some("age"));
    h.press(Command::Cancel);
    assert!(h.decisions.is_empty(), "not checked");
    h.send(Event::Scan(beer.into()));
    h.press(Command::Confirm);
    assert_eq!(h.decisions, [true]);
    assert_eq!(marks_of(&h, 0), ["5Bb1bB"]);
    h.send(Event::Scan("0104600682000815215Cc2cC\u{1d}93bbbb".into()));
    assert_eq!(marks_of(&h, 0).len(), 2, "asked once per receipt");
}
