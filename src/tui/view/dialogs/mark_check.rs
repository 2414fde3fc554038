//! The registrar's check refused a marking code or could not say: what it
//! said, and the cashier's two keys (take the unit, or not).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::super::{Theme, dialog_area, dialog_frame};
use crate::core::marking::{MarkCheck, Verdict};
use crate::core::state::{AppState, MarkPurpose};
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, check: &MarkCheck, state: &AppState, keys: text::KeyOf, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 64, 9), text::MARK_CHECK_TITLE, theme);
    let (name, code, returning) = state.mark_wait.as_ref().map_or((String::new(), String::new(), false), |w| {
        (w.name.clone(), w.code.shown(), matches!(w.purpose, MarkPurpose::Return { .. }))
    });
    let style = match check.verdict() {
        Verdict::Refused => theme.alarm(),
        _ => theme.level(crate::core::notice::Level::Warning),
    };
    let [local, online] = text::mark_check_lines(check, returning);
    let lines = vec![
        Line::raw(name),
        Line::raw(code),
        Line::styled(online, style),
        Line::raw(local),
        Line::raw(""),
        Line::raw(text::keyed_hint(text::MARK_CHECK_HINT, keys)),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}
