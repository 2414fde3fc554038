//! A yes/no question.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame};
use crate::core::state::Question;
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, question: Question, keys: text::KeyOf, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 56, 4), text::CONFIRM_TITLE, theme);
    let lines = vec![
        Line::styled(text::question(question), theme.strong()),
        Line::styled(text::keyed_hint(text::YES_NO, keys), theme.dim()),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}
