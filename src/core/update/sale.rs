//! The sale screen: typing and scanning codes, quantities, storno, and the
//! commands that open dialogs.

use super::super::age::AgeWaiting;
use super::super::barcode::{Symbology, has_valid_check_digit};
use super::super::catalog::Item;
use super::super::command::Command;
use super::super::effect::Effect;
use super::super::event::Event;
use super::super::journal::ReceiptId;
use super::super::marking;
use super::super::money::{Money, Quantity};
use super::super::notice::Notice;
use super::super::receipt::{Position, Receipt, ReceiptKind};
use super::super::state::{AppState, CashDirection, Dialog, DiscountTarget, QuantityTarget, Question};
use super::limits::{check_quantity, check_sum};
use super::marking::{QuantityTyped, Scanned};
use super::{PAGE, age, edit, loyalty, navigate, printing, shift};

pub(super) fn handle(state: &mut AppState, event: Event, effects: &mut Vec<Effect>) {
    let mut input = std::mem::take(&mut state.input);
    let typed = edit(state, &mut input, &event);
    state.input = input;
    if typed {
        return;
    }
    match event {
        Event::Scan(code) => enter_code(state, code.trim_end_matches(['\r', '\n']), effects),
        Event::Swipe(card) => loyalty::swiped(state, card, effects),
        Event::Command(command) => command_on_sale_screen(state, command, effects),
        _ => {}
    }
}

fn command_on_sale_screen(state: &mut AppState, command: Command, effects: &mut Vec<Effect>) {
    let positions = state.receipt().map_or(0, |r| r.positions.len());
    if let Some(selected) = navigate(state.selected, positions, command, PAGE) {
        state.selected = selected;
        return;
    }
    match command {
        Command::Confirm => {
            let code = std::mem::take(&mut state.input);
            if !code.trim().is_empty() {
                enter_code(state, code.trim(), effects);
            }
        }
        Command::Cancel => {
            if !state.input.is_empty() {
                state.input.clear();
            } else {
                state.pending_quantity = None;
            }
        }
        Command::Multiply => multiply(state),
        Command::PriceCheck => {
            state.dialog = Some(Dialog::PriceCheck {
                input: std::mem::take(&mut state.input),
                found: None,
            })
        }
        Command::Quantity => change_quantity(state),
        Command::Storno => storno(state),
        Command::CancelReceipt => {
            if state.receipt().is_some_and(|r| !r.payments.is_empty()) {
                state.notice = Some(Notice::PaymentsLockReceipt);
            } else if state.receipt().is_some() {
                state.dialog = Some(Dialog::Confirm(Question::CancelReceipt));
            } else {
                state.notice = Some(Notice::ReceiptEmpty);
            }
        }
        Command::Search => {
            if let Err(notice) = can_add(state) {
                state.notice = Some(notice);
            } else {
                state.dialog = Some(Dialog::Search {
                    query: String::new(),
                    results: Vec::new(),
                    selected: 0,
                });
            }
        }
        Command::Discount => open_discount(state),
        Command::Pay => {
            if positions == 0 {
                state.notice = Some(Notice::ReceiptEmpty);
            } else if !loyalty::subtotal(state, false, effects) {
                state.dialog = Some(Dialog::Payment {
                    input: std::mem::take(&mut state.input),
                });
            }
        }
        Command::Client
        | Command::BonusPayment
        | Command::CancelBonusPayment
        | Command::Balance
        | Command::PromoCode
        | Command::RegisterClient
        | Command::ChatBotLink => loyalty::command(state, command, effects),
        Command::Queue => super::queue::open(state, effects),
        Command::SendNow => loyalty::send_now(state, effects),
        Command::OpenShift => shift::open_dialog(state),
        Command::CloseShift => shift::ask_close(state, effects),
        Command::CashIn => shift::open_cash_move(state, CashDirection::In),
        Command::CashOut => shift::open_cash_move(state, CashDirection::Out),
        Command::XReport => shift::x_report(state, effects),
        Command::ReturnReceipt => super::returns::open_find(state),
        Command::Reprint => printing::reprint(state, effects),
        Command::Menu => {
            state.dialog = Some(Dialog::Menu {
                selected: 0,
                typed: String::new(),
            })
        }
        Command::Help => state.dialog = Some(Dialog::Help { scroll: 0 }),
        Command::Quit => state.dialog = Some(Dialog::Confirm(Question::Quit)),
        // A certificate pays in the payment window, after the subtotal calculated the receipt.
        Command::PayCard | Command::NextField | Command::Backspace | Command::Certificate | Command::EReceipt => {
            state.notice = Some(Notice::NotHere(command))
        }
        Command::Up | Command::Down | Command::PageUp | Command::PageDown | Command::Home | Command::End => {}
    }
}

/// Whether a position may be added now; the reason when not.
pub(super) fn can_add(state: &AppState) -> Result<(), Notice> {
    let shift = state.shift().ok_or(Notice::NoShift)?;
    // Nothing more is sold while what is sold cannot be kept (a full disk);
    // a save is tried again at every event, so this lifts by itself.
    if let Some(error) = &state.save_error {
        return Err(Notice::NothingNewUnsaved(error.clone()));
    }
    match state.receipt() {
        Some(r) if r.is_return() => return Err(Notice::ReturnReceiptLocked),
        Some(r) if !r.payments.is_empty() => return Err(Notice::PaymentsLockReceipt),
        Some(_) if bonus_paid(state) => return Err(Notice::BonusPaidLocksReceipt),
        Some(_) => {}
        // A new receipt may not start in a shift past 24 hours; an open one may finish.
        None if shift.is_expired(state.now) => return Err(Notice::ShiftExpired),
        // Nor before the last one is registered by the fiscal registrar.
        None => super::registration::check_registered(state)?,
    }
    Ok(())
}

/// The open receipt has a bonus payment: it must be cancelled before changes.
fn bonus_paid(state: &AppState) -> bool {
    state
        .receipt()
        .and_then(|r| r.loyalty.as_ref())
        .is_some_and(|l| !l.bonus_paid.is_zero())
}

/// Whether the open receipt's positions may be changed (storno, quantity, discount).
fn can_change(state: &AppState) -> Result<(), Notice> {
    match state.receipt() {
        None => Err(Notice::ReceiptEmpty),
        Some(r) if r.positions.is_empty() => Err(Notice::ReceiptEmpty),
        Some(r) if !r.payments.is_empty() => Err(Notice::PaymentsLockReceipt),
        Some(_) if bonus_paid(state) => Err(Notice::BonusPaidLocksReceipt),
        Some(_) => Ok(()),
    }
}

/// A typed or scanned code: marking code, barcode (with check digit),
/// weight barcode, or item code.
fn enter_code(state: &mut AppState, code: &str, effects: &mut Vec<Effect>) {
    if let Err(notice) = can_add(state) {
        state.notice = Some(notice);
        return;
    }
    if marking::looks_like_mark(code, &state.settings.marking.gs_substitutes) {
        match super::marking::read_scan(state, code) {
            Scanned::Check(item, code) => super::marking::sell(state, &item, code, effects),
            Scanned::Plain(item) => {
                let quantity = state.pending_quantity.take();
                add_or_ask_weight(state, &item, quantity, None);
            }
            Scanned::Refused(notice) => state.notice = Some(notice),
        }
        return;
    }
    let code = code.trim();
    let catalog = state.catalog.clone();
    let digits = !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit());
    let barcode_length = Symbology::of_length(code.len()).is_some();
    if digits && barcode_length && has_valid_check_digit(code) {
        if let Some(item) = catalog.by_barcode(code) {
            let quantity = state.pending_quantity.take();
            return add_or_ask_weight(state, item, quantity, Some(code.to_string()));
        }
        if let Some(weight) = state.settings.weight_layout.decode(code) {
            return match catalog.by_code(&weight.item_code) {
                Some(item) => {
                    state.pending_quantity = None;
                    add_or_ask_weight(state, item, Some(weight.weight), Some(code.to_string()));
                }
                None => state.notice = Some(Notice::UnknownCode(weight.item_code)),
            };
        }
        if ReceiptId::from_barcode(code).is_some() {
            state.notice = Some(Notice::ReceiptBarcodeInSale);
            return;
        }
        if catalog.by_code(code).is_none() {
            state.notice = Some(Notice::UnknownBarcode(code.to_string()));
            return;
        }
    }
    match catalog.by_code(code) {
        Some(item) => {
            let quantity = state.pending_quantity.take();
            add_or_ask_weight(state, item, quantity, None);
        }
        None if digits && barcode_length => state.notice = Some(Notice::BadCheckDigit(code.to_string())),
        None => state.notice = Some(Notice::UnknownCode(code.to_string())),
    }
}

/// Adds `item`; a weighed item with no weight given asks for it first.
/// Every item a sale adds comes through here (the quantity and doubt
/// dialogs only finish what began here), so the age gate sits here once.
pub(super) fn add_or_ask_weight(state: &mut AppState, item: &Item, quantity: Option<Quantity>, barcode: Option<String>) {
    // Every way in (scan, code, search, weight label) passes here: a marked
    // good is sold only by its marking code.
    if super::marking::code_needed(state, item) {
        return;
    }
    if !age::gate(state, item, AgeWaiting::item(item, quantity, barcode.as_deref())) {
        return;
    }
    match quantity {
        Some(q) => add_item(state, item, q, barcode),
        None if item.weighed => {
            state.dialog = Some(Dialog::Quantity {
                target: QuantityTarget::NewItem {
                    item_code: item.code.to_string(),
                    barcode,
                },
                input: String::new(),
            });
        }
        None => add_item(state, item, Quantity::ONE, barcode),
    }
}

/// What a doubtful quantity probably meant: a weight typed in grams. None
/// when the quantity is plausible; Some(None) when it is doubtful with no
/// likely reading.
fn doubt(state: &AppState, weighed: bool, price: Money, quantity: Quantity) -> Option<Option<Quantity>> {
    let limits = &state.settings.limits;
    let too_much = if weighed {
        quantity > limits.ask_weight_over
    } else {
        quantity > limits.ask_pieces_over
    };
    let too_dear = price.times(quantity).is_none_or(|sum| sum > limits.ask_position_sum_over);
    if !too_much && !too_dear {
        return None;
    }
    let grams = Quantity(quantity.0 / 1000);
    let likely = (weighed && quantity.is_whole() && grams.0 > 0 && doubt(state, weighed, price, grams).is_none()).then_some(grams);
    Some(likely)
}

/// Asks about a doubtful quantity (see [`doubt`]) before it is taken.
fn asked(state: &mut AppState, target: QuantityTarget, weighed: bool, price: Money, quantity: Quantity) -> bool {
    let Some(likely) = doubt(state, weighed, price, quantity) else {
        return false;
    };
    state.dialog = Some(Dialog::Doubt {
        target,
        typed: quantity,
        likely,
        selected: 0,
    });
    true
}

/// Adds `item`, asking first about a quantity far beyond what it sells in.
pub(super) fn add_item(state: &mut AppState, item: &Item, quantity: Quantity, barcode: Option<String>) {
    let target = QuantityTarget::NewItem {
        item_code: item.code.to_string(),
        barcode: barcode.clone(),
    };
    if !asked(state, target, item.weighed, item.price, quantity) {
        add_item_as_given(state, item, quantity, barcode);
    }
}

/// Adds `item` in `quantity` (checked against the limits, not asked about).
pub(super) fn add_item_as_given(state: &mut AppState, item: &Item, quantity: Quantity, barcode: Option<String>) {
    if let Err(notice) = check_quantity(state, &item.name, item.weighed, quantity) {
        state.notice = Some(notice);
        return;
    }
    // Same piece item as the last position: add to it instead of a new line.
    let merge_into = state.receipt().and_then(|r| {
        let last = r.positions.len().checked_sub(1)?;
        let p = &r.positions[last];
        let same = state.settings.merge_same_items && !item.weighed && *p.item_code == *item.code && p.price == item.price;
        same.then_some(last)
    });
    if let Some(index) = merge_into {
        let current = state.receipt().map_or(Quantity::ZERO, |r| r.positions[index].quantity);
        let Some(total) = current.checked_add(quantity) else {
            state.notice = Some(Notice::QuantityTooLarge(state.settings.limits.max_quantity));
            return;
        };
        set_quantity_as_given(state, index, total);
        return;
    }
    if let Err(notice) = check_sum(state, item.price, quantity, None) {
        state.notice = Some(notice);
        return;
    }
    let max_positions = state.settings.limits.max_positions;
    if state.receipt().is_some_and(|r| r.positions.len() >= max_positions) {
        state.notice = Some(Notice::TooManyPositions(max_positions));
        return;
    }
    let now = state.now;
    loyalty::invalidate(state);
    if state.durable.receipt.is_none() {
        // A new customer: the last one's loyalty message is done with.
        state.loyalty_note.clear();
    }
    let receipt = state.durable.receipt.get_or_insert_with(|| Receipt::new(ReceiptKind::Sale, now));
    receipt.positions.push(Position::from_item(item, quantity, barcode));
    let capped = receipt.recalculate();
    state.selected = receipt.positions.len() - 1;
    if capped {
        state.notice = Some(Notice::DiscountCapped);
    }
}

/// Sets the quantity of position `index`, asking first about one far
/// beyond what the item sells in.
pub(super) fn set_quantity(state: &mut AppState, index: usize, quantity: Quantity) {
    match super::marking::quantity_typed(state, index, quantity) {
        QuantityTyped::NotMarked => {}
        QuantityTyped::Refused(notice) => return state.notice = Some(notice),
        QuantityTyped::Keep(units) => {
            set_quantity_as_given(state, index, quantity);
            if let Some(position) = state.durable.receipt.as_mut().and_then(|r| r.positions.get_mut(index))
                && position.quantity == quantity
            {
                position.marks.truncate(units);
            }
            return;
        }
    }
    let Some(p) = state.receipt().and_then(|r| r.positions.get(index)) else {
        return;
    };
    let (weighed, price) = (p.weighed, p.price);
    if !asked(state, QuantityTarget::Position(index), weighed, price, quantity) {
        set_quantity_as_given(state, index, quantity);
    }
}

/// Sets the quantity of position `index` after checking unit and limits.
pub(super) fn set_quantity_as_given(state: &mut AppState, index: usize, quantity: Quantity) {
    let Some(p) = state.receipt().and_then(|r| r.positions.get(index)) else {
        return;
    };
    let (name, weighed, price) = (p.name.clone(), p.weighed, p.price);
    let checked = check_quantity(state, &name, weighed, quantity)
        .and_then(|()| check_sum(state, price, quantity, Some(index)))
        .and_then(|()| age::check_more(state, index, quantity));
    if let Err(notice) = checked {
        state.notice = Some(notice);
        return;
    }
    loyalty::invalidate(state);
    if let Some(receipt) = state.durable.receipt.as_mut() {
        receipt.positions[index].quantity = quantity;
        if receipt.recalculate() {
            state.notice = Some(Notice::DiscountCapped);
        }
        state.selected = index;
    }
}

fn multiply(state: &mut AppState) {
    let typed = std::mem::take(&mut state.input);
    if typed.trim().is_empty() {
        state.notice = Some(Notice::TypeQuantityFirst);
        return;
    }
    match Quantity::parse(&typed) {
        Ok(q) if q > state.settings.limits.max_quantity => {
            state.notice = Some(Notice::QuantityTooLarge(state.settings.limits.max_quantity))
        }
        Ok(q) => state.pending_quantity = Some(q),
        Err(e) => state.notice = Some(Notice::BadAmount(e)),
    }
}

/// With a number typed, sets it as the selected position's quantity;
/// otherwise opens the quantity dialog.
fn change_quantity(state: &mut AppState) {
    if let Err(notice) = can_change(state) {
        state.notice = Some(notice);
        return;
    }
    if state.receipt().is_some_and(Receipt::is_return) {
        state.notice = Some(Notice::ReturnReceiptLocked);
        return;
    }
    let typed = std::mem::take(&mut state.input);
    if typed.trim().is_empty() {
        state.dialog = Some(Dialog::Quantity {
            target: QuantityTarget::Position(state.selected),
            input: String::new(),
        });
        return;
    }
    match Quantity::parse(&typed) {
        Ok(q) => set_quantity(state, state.selected, q),
        Err(e) => state.notice = Some(Notice::BadAmount(e)),
    }
}

fn storno(state: &mut AppState) {
    if let Err(notice) = can_change(state) {
        state.notice = Some(notice);
        return;
    }
    loyalty::invalidate(state);
    let Some(receipt) = state.durable.receipt.as_mut() else { return };
    let index = state.selected.min(receipt.positions.len() - 1);
    let removed = receipt.positions.remove(index);
    receipt.recalculate();
    state.selected = index.min(receipt.positions.len().saturating_sub(1));
    state.notice = Some(Notice::Removed(removed.name));
}

fn open_discount(state: &mut AppState) {
    if let Err(notice) = can_change(state) {
        state.notice = Some(notice);
        return;
    }
    if state.receipt().is_some_and(Receipt::is_return) {
        state.notice = Some(Notice::DiscountOnReturn);
        return;
    }
    state.dialog = Some(Dialog::Discount {
        target: DiscountTarget::Position(state.selected),
        input: String::new(),
    });
}
