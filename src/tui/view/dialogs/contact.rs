//! The electronic receipt's contact: remembered ones, another, or none.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field};
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, options: &[String], selected: usize, input: &str, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 56, options.len() as u16 + 5), text::CONTACT_TITLE, theme);
    let mut lines: Vec<Line> = options
        .iter()
        .map(String::as_str)
        .chain(std::iter::once(text::CONTACT_NONE))
        .enumerate()
        .map(|(i, option)| Line::styled(option.to_string(), if i == selected { theme.selected() } else { Style::new() }))
        .collect();
    lines.push(field(text::CONTACT_PROMPT, input, theme));
    frame.render_widget(Paragraph::new(lines), inner);
}
