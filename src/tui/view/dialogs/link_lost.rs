//! No link to the loyalty server: retry, or go on without it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::super::{Theme, dialog_area, dialog_frame};
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, keys: text::KeyOf, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 60, 6), text::LINK_LOST_TITLE, theme);
    let lines = vec![
        Line::styled(text::LINK_LOST_TEXT, theme.alarm()),
        Line::raw(text::keyed_hint(text::LINK_LOST_HINT, keys)),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}
