//! Choosing positions and quantities to return.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field, fit, window_start};
use crate::core::journal::ReturnSource;
use crate::core::money::Quantity;
use crate::text;

pub(super) fn draw(
    frame: &mut Frame,
    area: Rect,
    source: &ReturnSource,
    quantities: &[Quantity],
    (selected, input): (usize, &str),
    keys: text::KeyOf,
    theme: Theme,
) {
    let outer = dialog_area(area, area.width, area.height);
    let title = format!("{} {}", text::RETURN_PICK_TITLE, source.sale.id);
    let inner = dialog_frame(frame, outer, &title, theme);
    let width = inner.width as usize;
    let name_width = width.saturating_sub(30).max(8);
    let header = format!(
        "{:<name_width$}{:>10}{:>10}{:>10}",
        text::COL_NAME,
        text::COL_SOLD,
        text::COL_RETURNED,
        text::COL_TO_RETURN
    );
    let mut lines = vec![
        Line::styled(text::keyed_hint(text::RETURN_PICK_HINT, keys), theme.dim()),
        Line::styled(fit(&header, width), theme.dim()),
    ];
    let rows = (inner.height as usize).saturating_sub(3);
    let positions = &source.sale.receipt.positions;
    let start = window_start(selected, positions.len(), rows);
    for (i, p) in positions.iter().enumerate().skip(start).take(rows) {
        let returned = source.returned.quantity(i);
        let chosen = quantities.get(i).copied().unwrap_or(Quantity::ZERO);
        let row = format!(
            "{:<name_width$}{:>10}{:>10}{:>10}",
            fit(&p.name, name_width - 1),
            p.quantity.on_screen().to_string(),
            returned.on_screen().to_string(),
            chosen.on_screen().to_string()
        );
        let style = if i == selected {
            theme.selected()
        } else if chosen > Quantity::ZERO {
            theme.strong()
        } else {
            Style::new()
        };
        lines.push(Line::styled(row, style));
    }
    lines.push(field(text::QUANTITY_TITLE, input, theme));
    frame.render_widget(Paragraph::new(lines), inner);
}
