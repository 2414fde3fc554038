//! Finding the sale receipt for a return.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field, fit, window_start};
use crate::core::journal::ReturnSource;
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, input: &str, results: &[ReturnSource], selected: usize, theme: Theme) {
    let height = if results.is_empty() { 5 } else { area.height };
    let inner = dialog_frame(frame, dialog_area(area, 64, height), text::RETURN_FIND_TITLE, theme);
    let mut lines = vec![
        Line::styled(text::RETURN_FIND_PROMPT, theme.dim()),
        field(text::INPUT, input, theme),
    ];
    let rows = (inner.height as usize).saturating_sub(2);
    let start = window_start(selected, results.len(), rows);
    for (i, source) in results.iter().enumerate().skip(start).take(rows) {
        let sale = &source.sale;
        let row = format!(
            "{:>9}  {}  {:>12}",
            sale.id.to_string(),
            sale.closed_at.format("%d.%m.%Y %H:%M"),
            sale.totals().total.on_screen().to_string()
        );
        let style = if i == selected { theme.selected() } else { Style::new() };
        lines.push(Line::styled(fit(&row, inner.width as usize), style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
