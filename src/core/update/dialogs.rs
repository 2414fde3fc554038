//! Input to modal dialogs. Each handler gets the dialog by value and puts
//! it back into the state when it stays open.

use super::super::age::AgeWaiting;
use super::super::catalog::Item;
use super::super::command::Command;
use super::super::effect::Effect;
use super::super::event::Event;
use super::super::marking;
use super::super::money::{Money, Quantity};
use super::super::notice::Notice;
use super::super::receipt::DiscountRule;
use super::super::state::{AppState, CashDirection, Dialog, DiscountTarget, Found, PreviewTitle, QuantityTarget, Question};
use super::{PAGE, age, edit, loyalty, navigate, payment, returns, sale, shift};

/// Search shows at most this many matches; typing more narrows them.
const SEARCH_LIMIT: usize = 200;

/// Every operation the sale screen offers, in the menu's order: the sale,
/// the loyalty client, the shift, the program. Their numbers pick them.
const MENU: &[Command] = &[
    Command::Pay,
    Command::Search,
    Command::Quantity,
    Command::Discount,
    Command::Storno,
    Command::CancelReceipt,
    Command::ReturnReceipt,
    Command::Client,
    Command::BonusPayment,
    Command::CancelBonusPayment,
    Command::Balance,
    Command::PromoCode,
    Command::RegisterClient,
    Command::ChatBotLink,
    Command::Queue,
    Command::SendNow,
    Command::OpenShift,
    Command::CashIn,
    Command::CashOut,
    Command::XReport,
    Command::CloseShift,
    Command::Reprint,
    Command::Help,
    Command::Quit,
    // Last, so the numbers the cashiers know stay as they were.
    Command::PriceCheck,
];

/// The menu as this store has it: the loyalty client's operations only
/// where loyalty is on.
pub fn menu_entries(state: &AppState) -> Vec<Command> {
    use Command::*;
    let loyalty = |c: &Command| {
        matches!(
            c,
            Client | BonusPayment | CancelBonusPayment | Balance | PromoCode | RegisterClient | ChatBotLink | Queue | SendNow
        )
    };
    MENU.iter().copied().filter(|c| state.settings.loyalty || !loyalty(c)).collect()
}

/// Dialogs that read a scan themselves, or give way to it.
fn takes_scans(dialog: &Dialog) -> bool {
    matches!(
        dialog,
        Dialog::Client { .. }
            | Dialog::Balance { .. }
            | Dialog::ReturnFind { .. }
            | Dialog::ReturnPick { .. }
            | Dialog::PriceCheck { .. }
            | Dialog::Preview { .. }
            | Dialog::Message { .. }
    )
}

/// The window of a receipt the registrar has not registered: what it lets
/// through goes to the sale screen.
fn registration_window(state: &mut AppState, event: Event, effects: &mut Vec<Effect>) {
    if let Some(command) = super::registration::handle(state, event, effects) {
        super::sale::handle(state, Event::Command(command), effects);
    }
}

pub(super) fn handle(state: &mut AppState, dialog: Dialog, event: Event, effects: &mut Vec<Effect>) {
    if dialog == Dialog::Registration {
        // Takes scans and swipes itself: the window cannot be closed to make room for them.
        return registration_window(state, event, effects);
    }
    if let Event::Scan(code) = &event
        && !takes_scans(&dialog)
    {
        // A scan is never dropped silently: the cashier learns it was not taken.
        state.notice = Some(Notice::ScanNotNow(code.clone()));
        state.dialog = Some(dialog);
        return;
    }
    if matches!(event, Event::Swipe(_)) && !matches!(dialog, Dialog::Client { .. } | Dialog::Balance { .. }) {
        state.notice = Some(Notice::SwipeNotNow);
        state.dialog = Some(dialog);
        return;
    }
    match dialog {
        Dialog::OpenShift { name } => open_shift(state, name, event, effects),
        Dialog::CashMove { direction, amount } => cash_move(state, direction, amount, event, effects),
        Dialog::Quantity { target, input } => quantity(state, target, input, event),
        Dialog::Doubt {
            target,
            typed,
            likely,
            selected,
        } => doubt(state, target, (typed, likely), selected, event),
        Dialog::Search { query, results, selected } => search(state, query, results, selected, event),
        Dialog::Discount { target, input } => discount(state, target, input, event),
        Dialog::Payment { input } => payment::handle(state, input, event, effects),
        Dialog::Confirm(question) => match event {
            Event::Command(Command::Confirm) => answer_yes(state, question, effects),
            Event::Command(Command::Cancel) => {}
            _ => state.dialog = Some(Dialog::Confirm(question)),
        },
        Dialog::ReturnFind { input, results, selected } => returns::handle_find(state, input, results, selected, event, effects),
        Dialog::ReturnPick {
            source,
            quantities,
            selected,
            input,
            marks,
        } => returns::handle_pick(state, source, (quantities, marks), selected, input, event, effects),
        Dialog::Preview { title, lines, scroll } => preview(state, title, lines, scroll, event, effects),
        Dialog::Menu { selected, typed } => menu(state, selected, typed, event, effects),
        Dialog::Client { input } => loyalty::client_dialog(state, input, event, effects),
        Dialog::PromoCode { input } => loyalty::promo_dialog(state, input, event),
        Dialog::Register { input } => loyalty::register_dialog(state, input, event, effects),
        Dialog::RegistrationCode { phone, profile, input } => {
            loyalty::registration_code_dialog(state, phone, profile, input, event, effects)
        }
        Dialog::Certificate { input } => loyalty::certificate_dialog(state, input, event, effects),
        Dialog::CertificatePin { code, balance, input } => {
            if loyalty::certificate_pin_dialog(state, code, balance, input, event) {
                super::close::ready_to_close(state, effects);
            }
        }
        Dialog::RegisterName { phone, input } => loyalty::register_name_dialog(state, phone, input, event, effects),
        Dialog::SpendCode { amount, input } => loyalty::spend_code_dialog(state, amount, input, event, effects),
        Dialog::Queue(screen) => super::queue::handle(state, screen, event, effects),
        Dialog::Balance { input } => loyalty::balance_dialog(state, input, event, effects),
        Dialog::ValidationCode { reply, input } => loyalty::validation_dialog(state, reply, input, event, effects),
        Dialog::Bonus { input } => loyalty::bonus_dialog(state, input, event, effects),
        Dialog::LinkLost { retry } => loyalty::link_lost_dialog(state, retry, event, effects),
        Dialog::Contact { options, selected, input } => payment::contact_dialog(state, options, selected, input, event),
        Dialog::Message { blocks, then } => message(state, blocks, then, event, effects),
        Dialog::PriceCheck { input, found } => price_check(state, input, found, event),
        Dialog::MarkCheck { check, under } => super::mark_answer::dialog(state, check, under, event, effects),
        Dialog::Registration => registration_window(state, event, effects),
        Dialog::Help { scroll } => help(state, scroll, event),
        Dialog::Age { waiting } => {
            if let Some(waiting) = age::dialog(state, waiting, event) {
                after_age(state, waiting, effects);
            }
        }
    }
}

/// The buyer's age confirmed: what waited for it goes on, and passes the gate now.
fn after_age(state: &mut AppState, waiting: AgeWaiting, effects: &mut Vec<Effect>) {
    match waiting {
        AgeWaiting::Item {
            item_code,
            quantity,
            barcode,
        } => {
            let catalog = state.catalog.clone();
            match catalog.by_code(&item_code) {
                Some(item) => sale::add_or_ask_weight(state, item, quantity, barcode),
                None => state.notice = Some(Notice::UnknownCode(item_code)),
            }
        }
        AgeWaiting::MarkCode { item_code, code } => super::marking::age_confirmed(state, &item_code, code, effects),
    }
}

/// The cashier's name for a new shift.
fn open_shift(state: &mut AppState, mut name: String, event: Event, effects: &mut Vec<Effect>) {
    if edit(state, &mut name, &event) {
        state.dialog = Some(Dialog::OpenShift { name });
    } else if event == Event::Command(Command::Confirm) {
        shift::open(state, &name, effects);
    } else if event != Event::Command(Command::Cancel) {
        state.dialog = Some(Dialog::OpenShift { name });
    }
}

/// The amount of a cash deposit or withdrawal.
fn cash_move(state: &mut AppState, direction: CashDirection, mut amount: String, event: Event, effects: &mut Vec<Effect>) {
    if edit(state, &mut amount, &event) {
        state.dialog = Some(Dialog::CashMove { direction, amount });
    } else if event == Event::Command(Command::Confirm) {
        shift::move_cash(state, direction, &amount, effects);
    } else if event != Event::Command(Command::Cancel) {
        state.dialog = Some(Dialog::CashMove { direction, amount });
    }
}

/// A typed quantity for a position or the next item.
fn quantity(state: &mut AppState, target: QuantityTarget, mut input: String, event: Event) {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::Quantity { target, input });
    } else if event == Event::Command(Command::Confirm) {
        apply_quantity(state, target, &input);
    } else if event != Event::Command(Command::Cancel) {
        state.dialog = Some(Dialog::Quantity { target, input });
    }
}

/// A document on screen (a receipt, a report): scrolled, closed, or given
/// way to what comes next.
fn preview(state: &mut AppState, title: PreviewTitle, lines: Vec<String>, scroll: usize, event: Event, effects: &mut Vec<Effect>) {
    match event {
        Event::Command(Command::Cancel | Command::Confirm) => {}
        Event::Command(command @ (Command::Up | Command::Down | Command::PageUp | Command::PageDown | Command::Home | Command::End)) => {
            let scroll = navigate(scroll, lines.len(), command, PAGE).unwrap_or(scroll);
            state.dialog = Some(Dialog::Preview { title, lines, scroll });
        }
        // Anything else (the next scan, typing) closes the preview and goes on as usual.
        other => sale::handle(state, other, effects),
    }
}

/// A message: read, then `then`.
fn message(
    state: &mut AppState,
    blocks: Vec<crate::core::notice::Said>,
    then: Option<Box<Dialog>>,
    event: Event,
    effects: &mut Vec<Effect>,
) {
    match event {
        Event::Command(Command::Confirm | Command::Cancel) => state.dialog = then.map(|d| *d),
        // The next customer's first item: the message has been seen.
        scan @ Event::Scan(_) => sale::handle(state, scan, effects),
        _ => state.dialog = Some(Dialog::Message { blocks, then }),
    }
}

/// The price check: a code scanned, or typed and confirmed, shows its item;
/// nothing reaches the receipt.
fn price_check(state: &mut AppState, mut input: String, found: Option<Box<Item>>, event: Event) {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::PriceCheck { input, found });
        return;
    }
    let code = match event {
        Event::Command(Command::Cancel) => return,
        Event::Scan(code) => code,
        Event::Command(Command::Confirm) if !input.trim().is_empty() => std::mem::take(&mut input),
        _ => {
            state.dialog = Some(Dialog::PriceCheck { input, found });
            return;
        }
    };
    let code = code.trim();
    let item = if marking::looks_like_mark(code, &state.settings.marking.gs_substitutes) {
        super::marking::read_code(state, code).map(|mark| state.catalog.by_gtin(&mark.gtin).cloned())
    } else {
        Ok(state.catalog.by_barcode(code).or_else(|| state.catalog.by_code(code)).cloned())
    };
    let found = match item {
        Ok(Some(item)) => Some(Box::new(item)),
        Ok(None) => {
            state.notice = Some(Notice::UnknownCode(code.to_string()));
            None
        }
        Err(notice) => {
            state.notice = Some(notice);
            None
        }
    };
    state.dialog = Some(Dialog::PriceCheck { input, found });
}

/// The keys' help: scrolled, closed by any other command.
fn help(state: &mut AppState, scroll: usize, event: Event) {
    match event {
        Event::Command(command @ (Command::Up | Command::Down | Command::PageUp | Command::PageDown | Command::Home | Command::End)) => {
            let scroll = navigate(scroll, Command::ALL.len(), command, PAGE).unwrap_or(scroll);
            state.dialog = Some(Dialog::Help { scroll });
        }
        Event::Command(_) => {}
        _ => state.dialog = Some(Dialog::Help { scroll }),
    }
}

/// The question about a doubtful quantity: row 0 (or `1`) takes the likely
/// meaning — or nothing when there is none —, row 1 (or `2`) the quantity as typed.
fn doubt(state: &mut AppState, target: QuantityTarget, (typed, likely): (Quantity, Option<Quantity>), selected: usize, event: Event) {
    let chosen = match event {
        Event::Char('1') => 0,
        Event::Char('2') => 1,
        Event::Command(Command::Confirm) => selected,
        Event::Command(Command::Cancel) => return,
        other => {
            let selected = match other {
                Event::Command(command) => navigate(selected, 2, command, 1).unwrap_or(selected),
                _ => selected,
            };
            state.dialog = Some(Dialog::Doubt {
                target,
                typed,
                likely,
                selected,
            });
            return;
        }
    };
    if let Some(quantity) = if chosen == 0 { likely } else { Some(typed) } {
        set_target(state, target, quantity, false);
    }
}

/// Gives `target` its quantity: asked about first when doubtful (`ask`),
/// or as given (the cashier has just answered that question).
fn set_target(state: &mut AppState, target: QuantityTarget, quantity: Quantity, ask: bool) {
    match target {
        QuantityTarget::Position(index) if ask => sale::set_quantity(state, index, quantity),
        QuantityTarget::Position(index) => sale::set_quantity_as_given(state, index, quantity),
        QuantityTarget::NewItem { item_code, barcode } => {
            let catalog = state.catalog.clone();
            match catalog.by_code(&item_code) {
                Some(item) if ask => sale::add_item(state, item, quantity, barcode),
                Some(item) => sale::add_item_as_given(state, item, quantity, barcode),
                None => state.notice = Some(Notice::UnknownCode(item_code)),
            }
        }
    }
}

fn apply_quantity(state: &mut AppState, target: QuantityTarget, typed: &str) {
    let quantity = match Quantity::parse(typed) {
        Ok(q) => q,
        Err(e) => {
            state.notice = Some(Notice::BadAmount(e));
            state.dialog = Some(Dialog::Quantity {
                target,
                input: typed.to_string(),
            });
            return;
        }
    };
    set_target(state, target, quantity, true);
}

fn search(state: &mut AppState, mut query: String, results: Vec<Found>, selected: usize, event: Event) {
    if edit(state, &mut query, &event) {
        let results = state
            .catalog
            .search(&query, SEARCH_LIMIT)
            .into_iter()
            .map(|item| Found {
                code: item.code.to_string(),
                name: item.name.to_string(),
                price: item.price,
            })
            .collect();
        state.dialog = Some(Dialog::Search {
            query,
            results,
            selected: 0,
        });
        return;
    }
    match event {
        Event::Command(Command::Cancel) => {}
        Event::Command(Command::Confirm) => {
            let catalog = state.catalog.clone();
            match results.get(selected).and_then(|found| catalog.by_code(&found.code)) {
                Some(item) => {
                    let quantity = state.pending_quantity.take();
                    sale::add_or_ask_weight(state, item, quantity, None);
                }
                None => state.dialog = Some(Dialog::Search { query, results, selected }),
            }
        }
        Event::Command(command) => {
            let selected = navigate(selected, results.len(), command, PAGE).unwrap_or(selected);
            state.dialog = Some(Dialog::Search { query, results, selected });
        }
        _ => state.dialog = Some(Dialog::Search { query, results, selected }),
    }
}

/// "10%" or "12.5 %" is a percentage, "50" or "50.00" an amount, "0" removes.
fn parse_discount(typed: &str) -> Result<Option<DiscountRule>, Notice> {
    let typed = typed.trim();
    if let Some(percent) = typed.strip_suffix('%') {
        let bad = || Notice::BadPercent(typed.to_string());
        let hundredths = Money::parse(percent.trim()).map_err(|_| bad())?.0;
        if hundredths > 100_00 {
            return Err(bad());
        }
        return Ok((hundredths > 0).then_some(DiscountRule::Percent(hundredths)));
    }
    let amount = Money::parse(typed).map_err(Notice::BadAmount)?;
    Ok((!amount.is_zero()).then_some(DiscountRule::Amount(amount)))
}

fn discount(state: &mut AppState, target: DiscountTarget, mut input: String, event: Event) {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::Discount { target, input });
        return;
    }
    match event {
        Event::Command(Command::Cancel) => {}
        Event::Command(Command::NextField) => {
            let target = match target {
                DiscountTarget::Position(_) => DiscountTarget::Receipt,
                DiscountTarget::Receipt => DiscountTarget::Position(state.selected),
            };
            state.dialog = Some(Dialog::Discount { target, input });
        }
        Event::Command(Command::Confirm) => match parse_discount(&input) {
            Ok(rule) => {
                loyalty::invalidate(state);
                let Some(receipt) = state.durable.receipt.as_mut() else { return };
                match target {
                    DiscountTarget::Position(i) => {
                        if let Some(p) = receipt.positions.get_mut(i) {
                            p.rule = rule;
                        }
                    }
                    DiscountTarget::Receipt => receipt.receipt_rule = rule,
                }
                if receipt.recalculate() {
                    state.notice = Some(Notice::DiscountCapped);
                }
            }
            Err(notice) => {
                state.notice = Some(notice);
                state.dialog = Some(Dialog::Discount { target, input });
            }
        },
        _ => state.dialog = Some(Dialog::Discount { target, input }),
    }
}

/// The menu: arrows and Enter, or an entry's number — picked as soon as no
/// longer number starts with the digits typed (with 24 entries `3` picks at
/// once, `1` waits for a second digit or Enter).
fn menu(state: &mut AppState, selected: usize, mut typed: String, event: Event, effects: &mut Vec<Effect>) {
    let entries = menu_entries(state);
    let chosen = match event {
        Event::Char(c) if c.is_ascii_digit() => {
            typed.push(c);
            match typed.parse::<usize>().ok().filter(|n| (1..=entries.len()).contains(n)) {
                Some(n) if n * 10 > entries.len() => entries.get(n - 1).copied(),
                Some(n) => {
                    state.dialog = Some(Dialog::Menu { selected: n - 1, typed });
                    return;
                }
                None => {
                    state.dialog = Some(Dialog::Menu {
                        selected,
                        typed: String::new(),
                    });
                    return;
                }
            }
        }
        Event::Command(Command::Confirm) => entries.get(selected).copied(),
        Event::Command(Command::Cancel | Command::Menu) => return,
        Event::Command(command) => {
            let selected = navigate(selected, entries.len(), command, PAGE).unwrap_or(selected);
            state.dialog = Some(Dialog::Menu {
                selected,
                typed: String::new(),
            });
            return;
        }
        _ => None,
    };
    match chosen {
        Some(command) => sale::handle(state, Event::Command(command), effects),
        None => state.dialog = Some(Dialog::Menu { selected, typed }),
    }
}

fn answer_yes(state: &mut AppState, question: Question, effects: &mut Vec<Effect>) {
    match question {
        Question::CancelReceipt => {
            let sum = state.receipt().map_or(Money::ZERO, |r| r.totals().total);
            let was_sale = state.receipt().is_some_and(|r| !r.is_return());
            let number_sent = state.receipt().is_some_and(|r| r.number_sent);
            loyalty::queue_cancellation(state, effects);
            state.durable.receipt = None;
            if let Some(shift) = state.durable.shift.as_mut() {
                if was_sale {
                    shift.record_cancel(sum);
                }
                // The loyalty server knows this number: the next receipt takes the following one.
                if number_sent {
                    shift.next_receipt += 1;
                }
            }
            state.selected = 0;
            state.pending_quantity = None;
            state.notice = Some(Notice::ReceiptCancelled);
        }
        Question::CloseShift => shift::begin_close(state, effects),
        Question::RemoveClient => loyalty::remove_client(state, effects),
        Question::Quit => {
            state.quit = true;
            effects.push(Effect::Quit);
        }
    }
}
