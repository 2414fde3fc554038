//! The queue screen: pending entries and the rejected archive.

use super::super::command::Command;
use super::super::effect::Effect;
use super::super::event::Event;
use super::super::queue::{QueueEntry, Rejected};
use super::super::state::{AppState, Dialog, QueueScreen};

pub(super) fn on_listed(state: &mut AppState, result: Result<(Vec<QueueEntry>, Vec<Rejected>), crate::core::storage::StorageFailure>) {
    match result {
        Ok((pending, rejected)) => {
            if let Some(Dialog::Queue(screen)) = state.dialog.as_mut() {
                screen.pending = pending;
                screen.rejected = rejected;
            }
        }
        Err(e) => state.notice = Some(super::super::notice::Notice::LookupFailed(e)),
    }
}

pub(super) fn open(state: &mut AppState, effects: &mut Vec<Effect>) {
    state.dialog = Some(Dialog::Queue(QueueScreen::default()));
    effects.push(Effect::QueueList);
}

/// Asks for a fresh list when the queue screen is open.
pub(super) fn refresh(state: &AppState, effects: &mut Vec<Effect>) {
    if matches!(state.dialog, Some(Dialog::Queue(_))) {
        effects.push(Effect::QueueList);
    }
}

pub(super) fn handle(state: &mut AppState, mut screen: QueueScreen, event: Event, effects: &mut Vec<Effect>) {
    let rows = if screen.show_rejected {
        screen.rejected.len()
    } else {
        screen.pending.len()
    };
    match event {
        Event::Command(Command::Cancel) if screen.details => screen.details = false,
        Event::Command(Command::Cancel | Command::Queue) => return,
        Event::Command(Command::Confirm) => screen.details = !screen.details && rows > 0,
        Event::Command(Command::NextField) => {
            screen.show_rejected = !screen.show_rejected;
            screen.selected = 0;
            screen.details = false;
        }
        Event::Command(Command::SendNow) => super::loyalty::send_now(state, effects),
        Event::Command(command) => {
            screen.selected = super::navigate(screen.selected, rows, command, super::PAGE).unwrap_or(screen.selected)
        }
        _ => {}
    }
    state.dialog = Some(Dialog::Queue(screen));
}
