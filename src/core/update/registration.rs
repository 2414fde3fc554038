//! A fiscal receipt is done only once the registrar has registered it.
//! The receipt is journaled (closed) before it prints, so a crash never
//! loses it; but while the registrar has not registered it — no paper, the
//! cover open, the cable out — the customer has no fiscal receipt. Until
//! then the till stays on that receipt: a window says why and what to do,
//! «Повтор печати» tries again (as does a registrar that comes back by
//! itself), and no new receipt, return or shift close starts. Plain printers
//! (text, ESC/POS) never hold the till.

use super::super::command::Command;
use super::super::effect::Effect;
use super::super::event::Event;
use super::super::notice::Notice;
use super::super::state::{AppState, Dialog};
use super::printing;

/// Why nothing new may start now: a receipt waits for the registrar.
pub(super) fn check_registered(state: &AppState) -> Result<(), Notice> {
    match state.unregistered() {
        None => Ok(()),
        Some(job) => Err(Notice::NotRegistered {
            receipt: job.receipt,
            in_flight: state.printing.contains(&job.id),
        }),
    }
}

/// The shift may close unless a receipt waits — but a receipt the registrar
/// refused before anything was sent (its shift past 24 hours) waits for
/// exactly this: the Z-report goes first, then the receipt in the new shift.
pub(super) fn check_can_close_shift(state: &AppState) -> Result<(), Notice> {
    match state.unregistered() {
        Some(job) if state.print_failures.get(&job.id).is_some_and(|f| f.refused) => Ok(()),
        _ => check_registered(state),
    }
}

/// After every event: with no other window open, the screen shows the receipt that waits.
pub(super) fn keep_on_screen(state: &mut AppState) {
    if state.dialog.is_none() && state.unregistered().is_some() {
        state.dialog = Some(Dialog::Registration);
    }
}

/// Input while the window is up. It cannot be closed: it goes when the
/// receipt is registered. What does not start a document passes through:
/// returned, for the sale screen to handle.
#[must_use]
pub(super) fn handle(state: &mut AppState, event: Event, effects: &mut Vec<Effect>) -> Option<Command> {
    state.dialog = Some(Dialog::Registration);
    match event {
        Event::Command(Command::Reprint) => {
            printing::reprint(state, effects);
            state.notice = Some(Notice::RegistrationRetried);
        }
        Event::Command(command @ (Command::Menu | Command::Help | Command::Quit | Command::CloseShift | Command::Queue)) => {
            state.dialog = None;
            return Some(command);
        }
        Event::Command(Command::Up | Command::Down | Command::PageUp | Command::PageDown | Command::Home | Command::End) => {}
        _ => {
            if let Err(notice) = check_registered(state) {
                state.notice = Some(notice);
            }
        }
    }
    None
}
