//! A closed receipt the fiscal registrar has not registered yet: which,
//! why, and what to do (the keys named from the live keymap).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::super::{Theme, dialog_area, dialog_frame};
use crate::core::command::Command;
use crate::core::state::AppState;
use crate::text;
use crate::tui::keymap::Keymap;

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &AppState, keymap: &Keymap, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 70, 14), text::REGISTRATION_TITLE, theme);
    frame.render_widget(Paragraph::new(lines(state, keymap, theme)).wrap(Wrap { trim: true }), inner);
}

fn lines<'a>(state: &AppState, keymap: &Keymap, theme: Theme) -> Vec<Line<'a>> {
    let Some(job) = state.unregistered() else {
        return Vec::new();
    };
    // The waiting receipt is the last one closed (nothing closes after it).
    let closed = state.durable.last_receipt.as_ref().filter(|r| Some(r.id) == job.receipt);
    let total = closed.map(|r| r.receipt.totals().total);
    let mut lines = vec![Line::styled(text::registration_headline(job.receipt, total), theme.alarm())];
    if let Some(change) = closed.map(|r| r.receipt.change()).filter(|c| !c.is_zero()) {
        lines.push(Line::styled(
            format!("{} {change}", text::CHANGE, change = change.on_screen()),
            theme.strong(),
        ));
    }
    let failure = state.print_failures.get(&job.id);
    if state.printing.contains(&job.id) {
        lines.push(Line::styled(text::REGISTRATION_IN_FLIGHT, theme.strong()));
    }
    if let Some(failure) = failure {
        let reason = text::with_keys(&text::device_problem(&failure.reason), &|command| keymap.hint_key(command));
        lines.push(Line::raw(text::registration_reason(&reason)));
    }
    lines.push(Line::raw(""));
    let todo = match failure {
        Some(f) if f.refused => text::registration_todo_z(keymap.hint_key(Command::CloseShift).as_deref()),
        _ => text::registration_todo(keymap.hint_key(Command::Reprint).as_deref()),
    };
    lines.push(Line::raw(todo));
    lines.push(Line::styled(text::REGISTRATION_HOLD, theme.dim()));
    let more = state.durable.unprinted.iter().filter(|j| j.is_fiscal_receipt()).count() - 1;
    if more > 0 {
        lines.push(Line::raw(text::registration_more(more)));
    }
    lines
}
