//! Search by name, filtering as the cashier types.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field, fit, window_start};
use crate::core::state::Found;
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, query: &str, results: &[Found], selected: usize, theme: Theme) {
    let outer = dialog_area(area, area.width.saturating_sub(4).max(40), area.height);
    let inner = dialog_frame(frame, outer, text::SEARCH_TITLE, theme);
    let width = inner.width as usize;
    let mut lines = vec![field(text::SEARCH_PROMPT, query, theme)];
    if results.is_empty() {
        let hint = if query.trim().is_empty() {
            text::SEARCH_HINT
        } else {
            text::SEARCH_EMPTY
        };
        lines.push(Line::styled(hint, theme.dim()));
    }
    let rows = (inner.height as usize).saturating_sub(1);
    let start = window_start(selected, results.len(), rows);
    for (i, found) in results.iter().enumerate().skip(start).take(rows) {
        let price = format!("{:>10}", found.price.on_screen());
        let name = fit(&format!("{} {}", found.code, found.name), width.saturating_sub(11));
        let style = if i == selected {
            theme.selected()
        } else {
            ratatui::style::Style::new()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{name:<w$}", w = width.saturating_sub(11)), style),
            Span::raw(format!(" {price}")),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
