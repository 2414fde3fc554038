//! The precheck's validation code: nothing applies until it is right.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field};
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, input: &str, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 50, 5), text::VALIDATION_TITLE, theme);
    let lines = vec![Line::styled(text::VALIDATION_PROMPT, theme.dim()), field(text::CODE, input, theme)];
    frame.render_widget(Paragraph::new(lines), inner);
}
