//! `update(state, event) -> effects`: all behaviour of the workstation.
//!
//! Input goes to the open dialog or, with none open, to the sale screen.
//! After every event the durable part of the state is compared with what was
//! last handed to the store, and a save is asked for when it differs — so no
//! handler can forget to persist a change.

mod age;
mod close;
mod dialogs;
pub use dialogs::menu_entries;
mod limits;
mod loyalty;
mod mark_answer;
mod marking;
pub use loyalty::wait_can_stop as can_stop_waiting;
mod payment;
mod printing;
mod queue;
mod registration;
mod replies;
mod returns;
mod sale;
mod shift;

use super::command::Command;
use super::effect::Effect;
use super::event::Event;
use super::notice::Notice;
use super::state::{AppState, Busy, Dialog};

pub fn update(state: &mut AppState, event: Event) -> Vec<Effect> {
    let mut effects = Vec::new();
    let notice_before = state.notice.clone();
    handle(state, event, &mut effects);
    replies::answer_unsent(state, &mut effects);
    while !holds_input(state) {
        let Some(deferred) = state.deferred.pop_front() else { break };
        handle(state, deferred, &mut effects);
        replies::answer_unsent(state, &mut effects);
    }
    registration::keep_on_screen(state);
    if state.notice != notice_before {
        remember_problem(state);
    }
    loyalty::background(state, &mut effects);
    replies::answer_unsent(state, &mut effects);
    // First: what the cashier just did is on disk before anything it leads
    // to (a close, a print, a request) can fail or be cut short. Entries put
    // in the loyalty queue go in the same transaction as that state.
    // All of them, however many handlers queued, in one transaction.
    let mut queued = Vec::new();
    effects.retain_mut(|effect| match effect {
        Effect::Enqueue { entries, .. } => {
            queued.append(entries);
            false
        }
        _ => true,
    });
    if !queued.is_empty() {
        state.saved = state.durable.clone();
        effects.insert(
            0,
            Effect::Enqueue {
                entries: queued,
                state: Box::new(state.durable.clone()),
            },
        );
    } else if state.durable != state.saved {
        state.saved = state.durable.clone();
        effects.insert(0, Effect::SaveState(Box::new(state.durable.clone())));
    }
    effects
}

/// Warnings and errors the cashier was shown, newest last, for `kassa status`.
fn remember_problem(state: &mut AppState) {
    let Some(notice) = &state.notice else { return };
    if notice.level() == super::notice::Level::Info {
        return;
    }
    if state.recent_problems.len() == super::state::RECENT_PROBLEMS {
        state.recent_problems.pop_front();
    }
    state.recent_problems.push_back((state.now, notice.clone()));
}

fn handle(state: &mut AppState, event: Event, effects: &mut Vec<Effect>) {
    match event {
        Event::Watchers(count) => state.watchers = count,
        Event::RestartedAfterCrash => state.notice = Some(Notice::RestartedAfterCrash),
        Event::Tick(now) => {
            state.now = now;
            if state.save_error.is_some() {
                // What failed to save is tried again each second until it goes.
                state.saved = Default::default();
            }
            loyalty::requeue(state, effects);
            loyalty::drain(state, effects);
            loyalty::probe_while_down(state, effects);
        }
        Event::Started => resume(state, effects),
        Event::StoreWarning(warning) => state.notice = Some(Notice::StoreWarning(warning)),
        Event::StartedOnFullDisk(reason) => {
            // Known before any save is tried: nothing more is sold until one goes.
            state.save_error = Some(reason);
            state.notice = Some(Notice::StartedOnReserve);
        }
        Event::Saved(Ok(())) => state.save_error = None,
        Event::Saved(Err(e)) => {
            // Told once (the retries each second would hide every other notice).
            if state.save_error.as_ref() != Some(&e) {
                state.notice = Some(Notice::SaveFailed(e.clone()));
            }
            state.save_error = Some(e);
            // Not again at once (a full disk would spin): at the next change
            // or the next tick, whichever comes first.
            state.saved = state.durable.clone();
        }
        Event::ReceiptClosed(result) => close::on_closed(state, result, effects),
        Event::ShiftClosed(result) => shift::on_closed(state, result, effects),
        Event::Printed { job, result, refused } => printing::on_printed(state, job, result, refused),
        Event::Device {
            device,
            state: device_state,
        } => printing::on_device(state, device, device_state, effects),
        Event::DeviceTrouble(message) => state.notice = Some(Notice::DeviceTrouble(message)),
        Event::ReceiptsFound(result) => returns::on_found(state, result),
        Event::LoyaltyReplied { id, result } => replies::on_replied(state, id, result, effects),
        Event::QueueChanged(change) => {
            loyalty::on_queue_changed(state, change);
            queue::refresh(state, effects);
            loyalty::drain(state, effects);
        }
        Event::QueueListed(result) => queue::on_listed(state, result),
        Event::MarkChecked { id, result } => mark_answer::on_checked(state, id, result, effects),
        Event::MarkDecided { accept, result } => mark_answer::on_decided(state, accept, result),
        Event::SendQueueNow => loyalty::send_now(state, effects),
        Event::StorageStuck => state.notice = Some(Notice::StorageStuck),
        Event::EnqueueFailed { entries, error } => loyalty::enqueue_failed(state, entries, error),
        input @ (Event::Command(_) | Event::Char(_) | Event::Scan(_) | Event::Swipe(_)) => {
            if state.busy == Some(Busy::Loyalty) && input == Event::Command(Command::Cancel) {
                // Esc ends a wait on the loyalty server, where the money allows.
                replies::abandon(state, effects);
                return;
            }
            if defers(state, &input) {
                // Nothing typed or scanned is lost while the disk or the server works.
                state.deferred.push_back(input);
                return;
            }
            state.notice = None;
            match state.dialog.take() {
                Some(dialog) => dialogs::handle(state, dialog, input, effects),
                None => sale::handle(state, input, effects),
            }
        }
    }
}

/// Whether the core holds `input` back (in `state.deferred`) instead of
/// handling it now: while busy — except the `cancel` that ends a loyalty wait.
pub fn defers(state: &AppState, input: &Event) -> bool {
    match &state.busy {
        Some(Busy::Loyalty) => *input != Event::Command(Command::Cancel),
        Some(_) => true,
        None => registering(state),
    }
}

/// A fiscal receipt on its way to the registrar with no failure heard yet:
/// the next customer's first scan waits the second or two it takes, rather
/// than being refused (a failure then opens the registration window).
fn registering(state: &AppState) -> bool {
    state
        .unregistered()
        .is_some_and(|job| state.printing.contains(&job.id) && !state.print_failures.contains_key(&job.id))
}

/// Whether input typed during a wait stays held: while busy, and while a
/// question the wait ended in is open (no link: retry or go on; a message;
/// a validation code; the bonus amount and its SMS code, which the
/// precheck now opens at once) — typed ahead, it never answers a question
/// it did not see. The cashier answers it; then the held input goes, in order.
pub fn holds_input(state: &AppState) -> bool {
    state.busy.is_some()
        || registering(state)
        || matches!(
            state.dialog,
            Some(
                Dialog::LinkLost { .. }
                    | Dialog::MarkCheck { .. }
                    | Dialog::Age { .. }
                    | Dialog::Message { .. }
                    | Dialog::ValidationCode { .. }
                    | Dialog::Bonus { .. }
                    | Dialog::SpendCode { .. }
            )
        )
}

/// After a restart: finish what was interrupted, so the cashier is where they were.
fn resume(state: &mut AppState, effects: &mut Vec<Effect>) {
    printing::send_unprinted(state, effects);
    loyalty::drain(state, effects);
    loyalty::recover(state, effects);
    if let Some(receipt) = state.receipt() {
        let (paid, in_payment) = (
            receipt.is_fully_paid() && !receipt.is_return(),
            !receipt.payments.is_empty() || receipt.is_return(),
        );
        if in_payment {
            state.dialog = Some(Dialog::Payment { input: String::new() });
        }
        if paid {
            state.notice = Some(Notice::ResumedClosing);
            close::ready_to_close(state, effects);
            return;
        }
        state.notice = Some(Notice::Resumed);
    }
    if state.shift().is_some_and(|s| s.is_expired(state.now)) {
        state.notice = Some(Notice::ShiftExpired);
    }
}

/// Applies a typing event to a text field. True when the event was typing.
fn edit(state: &mut AppState, field: &mut String, event: &Event) -> bool {
    match event {
        Event::Char(c) => {
            if field.chars().count() >= state.settings.limits.max_input_chars {
                state.notice = Some(Notice::InputTooLong(state.settings.limits.max_input_chars));
            } else if !c.is_control() {
                field.push(*c);
            }
            true
        }
        Event::Command(Command::Backspace) => {
            field.pop();
            true
        }
        _ => false,
    }
}

/// Moves a selection within `len` rows by a navigation command.
fn navigate(selected: usize, len: usize, command: Command, page: usize) -> Option<usize> {
    let last = len.saturating_sub(1);
    let moved = match command {
        Command::Up => selected.saturating_sub(1),
        Command::Down => (selected + 1).min(last),
        Command::PageUp => selected.saturating_sub(page),
        Command::PageDown => (selected + page).min(last),
        Command::Home => 0,
        Command::End => last,
        _ => return None,
    };
    Some(moved)
}

/// Rows a page key moves by; the view shows about this many at 80x24.
const PAGE: usize = 10;

#[cfg(test)]
mod tests;
