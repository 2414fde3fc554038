//! Returns: find the sale in the journal, pick positions and quantities,
//! and open a return receipt refunded by the sale's payment types.

use chrono::NaiveDate;

use super::super::command::Command;
use super::super::effect::{Effect, ReceiptQuery};
use super::super::event::Event;
use super::super::journal::{ReceiptId, ReturnSource};
use super::super::loyalty as rl;
use super::super::marking::{self, MarkCode};
use super::super::money::{Money, Quantity};
use super::super::notice::Notice;
use super::super::receipt::{Discount, DiscountSource, Receipt, ReceiptKind};
use super::super::state::{AppState, Busy, Dialog, MarkPurpose};
use super::limits::check_quantity;
use super::{PAGE, edit, navigate};

pub(super) fn open_find(state: &mut AppState) {
    let check = match state.shift() {
        None => Err(Notice::NoShift),
        Some(s) if s.is_expired(state.now) => Err(Notice::ShiftExpired),
        Some(_) if state.receipt().is_some() => Err(Notice::FinishReceiptFirst),
        Some(_) if let Some(error) = &state.save_error => Err(Notice::NothingNewUnsaved(error.clone())),
        Some(_) => super::registration::check_registered(state),
    };
    match check {
        Ok(()) => {
            state.dialog = Some(Dialog::ReturnFind {
                input: String::new(),
                results: Vec::new(),
                selected: 0,
            })
        }
        Err(notice) => state.notice = Some(notice),
    }
}

/// Understands "3/15" (shift/number), "15" (this shift), "23.11.2026" (a date).
fn parse_query(state: &AppState, text: &str) -> Option<ReceiptQuery> {
    let text = text.trim();
    if let Some(id) = ReceiptId::from_barcode(text).or_else(|| ReceiptId::parse(text)) {
        return Some(ReceiptQuery::Id(id));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%d.%m.%Y") {
        return Some(ReceiptQuery::Date(date));
    }
    let number: u32 = text.parse().ok()?;
    let shift = state.shift()?.number;
    Some(ReceiptQuery::Id(ReceiptId { shift, number }))
}

pub(super) fn handle_find(
    state: &mut AppState,
    mut input: String,
    results: Vec<ReturnSource>,
    selected: usize,
    event: Event,
    effects: &mut Vec<Effect>,
) {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::ReturnFind { input, results, selected });
        return;
    }
    let query = match event {
        Event::Scan(code) => code,
        Event::Command(Command::Cancel) => return,
        Event::Command(Command::Confirm) if input.trim().is_empty() && !results.is_empty() => {
            let source = results.into_iter().nth(selected);
            if let Some(source) = source {
                pick(state, source);
            }
            return;
        }
        Event::Command(Command::Confirm) => input.clone(),
        Event::Command(command) => {
            let selected = navigate(selected, results.len(), command, PAGE).unwrap_or(selected);
            state.dialog = Some(Dialog::ReturnFind { input, results, selected });
            return;
        }
        _ => {
            state.dialog = Some(Dialog::ReturnFind { input, results, selected });
            return;
        }
    };
    match parse_query(state, &query) {
        Some(query) => {
            state.busy = Some(Busy::FindingReceipts);
            effects.push(Effect::FindReceipts(query));
            state.dialog = Some(Dialog::ReturnFind {
                input: String::new(),
                results: Vec::new(),
                selected: 0,
            });
        }
        None => {
            state.notice = Some(Notice::ReturnQueryNotUnderstood(query.trim().to_string()));
            state.dialog = Some(Dialog::ReturnFind { input, results, selected });
        }
    }
}

pub(super) fn on_found(state: &mut AppState, result: Result<Vec<ReturnSource>, crate::core::storage::StorageFailure>) {
    if state.busy != Some(Busy::FindingReceipts) {
        return;
    }
    state.busy = None;
    let found = match result {
        Ok(found) => found,
        Err(e) => {
            state.notice = Some(Notice::LookupFailed(e));
            return;
        }
    };
    let (sales, others): (Vec<ReturnSource>, Vec<ReturnSource>) = found.into_iter().partition(|s| !s.sale.receipt.is_return());
    match (sales.len(), others.first()) {
        (0, Some(other)) => state.notice = Some(Notice::NotASale(other.sale.id)),
        (0, None) => state.notice = Some(Notice::NothingFound),
        (1, _) => {
            if let Some(source) = sales.into_iter().next() {
                pick(state, source);
            }
        }
        _ => {
            state.dialog = Some(Dialog::ReturnFind {
                input: String::new(),
                results: sales,
                selected: 0,
            })
        }
    }
}

fn pick(state: &mut AppState, source: ReturnSource) {
    let count = source.sale.receipt.positions.len();
    if (0..count).all(|i| source.available(i) == Quantity::ZERO) {
        state.notice = Some(Notice::NothingLeftToReturn(source.sale.id));
        return;
    }
    state.dialog = Some(Dialog::ReturnPick {
        source: Box::new(source),
        quantities: vec![Quantity::ZERO; count],
        selected: 0,
        input: String::new(),
        marks: vec![Vec::new(); count],
    });
}

pub(super) fn handle_pick(
    state: &mut AppState,
    source: Box<ReturnSource>,
    (mut quantities, marks): (Vec<Quantity>, Vec<Vec<MarkCode>>),
    mut selected: usize,
    mut input: String,
    event: Event,
    effects: &mut Vec<Effect>,
) {
    if !edit(state, &mut input, &event) {
        match event {
            Event::Command(Command::Cancel) => return,
            Event::Command(Command::Confirm) => {
                set_pick_quantity(state, &source, &mut quantities, selected, &input);
                input.clear();
            }
            Event::Command(Command::Pay) if open_return_receipt(state, &source, &quantities, &marks) => return,
            Event::Command(command) => selected = navigate(selected, quantities.len(), command, PAGE).unwrap_or(selected),
            Event::Scan(code) => scan_mark(state, &source, &marks, &code, effects),
            _ => {}
        }
    }
    // A scan's check keeps the window: it stays under the wait.
    state.dialog = Some(Dialog::ReturnPick {
        source,
        quantities,
        selected,
        input,
        marks,
    });
}

/// A marking code scanned in the return window: the unit must be one the
/// sale sold; the registrar checks it may come back.
fn scan_mark(state: &mut AppState, source: &ReturnSource, marks: &[Vec<MarkCode>], text: &str, effects: &mut Vec<Effect>) {
    if !marking::looks_like_mark(text, &state.settings.marking.gs_substitutes) {
        state.notice = Some(Notice::ScanNotNow(text.to_string()));
        return;
    }
    let code = match super::marking::read_code(state, text) {
        Ok(code) => code,
        Err(notice) => {
            state.notice = Some(notice);
            return;
        }
    };
    let identity = code.identity();
    let positions = &source.sale.receipt.positions;
    let Some(index) = positions.iter().position(|p| p.marks.iter().any(|m| m.identity() == identity)) else {
        state.notice = Some(Notice::MarkNotInSale(code.shown()));
        return;
    };
    if marks.iter().flatten().any(|m| m.identity() == identity) {
        state.notice = Some(Notice::MarkTwice(code.shown()));
        return;
    }
    let picked = marks.get(index).map_or(0, Vec::len);
    if Quantity::pieces(picked as i64 + 1) > source.available(index) {
        state.notice = Some(Notice::ReturnMoreThanAvailable {
            available: source.available(index),
        });
        return;
    }
    let position = &positions[index];
    let (item_code, name) = (position.item_code.clone(), position.name.clone());
    let purpose = MarkPurpose::Return {
        original: source.sale.id,
        index,
    };
    super::marking::start(state, (&item_code, &name), code, purpose, effects);
}

/// Empty input toggles between all that is left and nothing; a number sets it.
fn set_pick_quantity(state: &mut AppState, source: &ReturnSource, quantities: &mut [Quantity], index: usize, typed: &str) {
    let available = source.available(index);
    let Some(position) = source.sale.receipt.positions.get(index) else {
        return;
    };
    if !position.marks.is_empty() {
        // Each unit comes back by its code, scanned here.
        state.notice = Some(Notice::MarkOneCodeEach(position.name.clone()));
        return;
    }
    let wanted = if typed.trim().is_empty() {
        if quantities[index] == Quantity::ZERO {
            available
        } else {
            Quantity::ZERO
        }
    } else {
        match Quantity::parse(typed) {
            Ok(q) => q,
            Err(e) => {
                state.notice = Some(Notice::BadAmount(e));
                return;
            }
        }
    };
    if wanted > available {
        state.notice = Some(Notice::ReturnMoreThanAvailable { available });
        return;
    }
    if let Err(notice) = check_quantity(state, &position.name, position.weighed, wanted) {
        state.notice = Some(notice);
        return;
    }
    quantities[index] = wanted;
}

/// Makes the return receipt the open receipt. True when it was opened.
fn open_return_receipt(state: &mut AppState, source: &ReturnSource, quantities: &[Quantity], marks: &[Vec<MarkCode>]) -> bool {
    let kind = ReceiptKind::Return {
        original: source.sale.id,
        card_refundable: source.card_refundable(),
    };
    let mut receipt = Receipt::new(kind, state.now);
    for (index, (sold, &quantity)) in source.sale.receipt.positions.iter().zip(quantities).enumerate() {
        if quantity == Quantity::ZERO {
            continue;
        }
        let mut position = sold.clone();
        position.quantity = quantity;
        position.rule = None;
        position.original_index = Some(index);
        position.marks = marks.get(index).cloned().unwrap_or_default();
        // The refund is the sold total's share, so the discount is what makes
        // it so; a marked unit's is exactly what it was registered at.
        let refund = if position.marks.is_empty() {
            source.refund_for(index, quantity)
        } else {
            sold.refund_of(&position.marks)
        };
        let sum = position.sum().unwrap_or_default();
        position.discounts = vec![Discount {
            source: DiscountSource::Original,
            amount: Money(sum.0 - refund.0),
        }];
        receipt.positions.push(position);
    }
    if receipt.positions.is_empty() {
        state.notice = Some(Notice::NothingChosen);
        return false;
    }
    // A return by reference goes to the loyalty system only if its sale had loyalty.
    if state.settings.loyalty && source.sale.receipt.loyalty.is_some() {
        let (shift, number) = state.current_receipt_id().map_or((0, 0), |id| (id.shift, id.number));
        let uid = rl::receipt_uid(&state.settings.store_id, &state.settings.register_id, shift, number, state.now);
        let sale_ref = crate::core::loyalty::SaleRef {
            shift: source.sale.id.shift,
            number: source.sale.id.number,
            opened_at: source.sale.receipt.opened_at,
        };
        let returned = (rl::kept(source, quantities), rl::bonus_returned(source, quantities));
        receipt.loyalty = rl::for_return(&source.sale.receipt, &state.settings.flow, uid, sale_ref, returned);
    }
    state.durable.receipt = Some(receipt);
    state.loyalty_note.clear();
    state.selected = 0;
    state.dialog = Some(Dialog::Payment { input: String::new() });
    true
}
