//! A quantity far beyond what the item sells in: the likely meaning, or the
//! quantity as typed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame};
use crate::core::money::Quantity;
use crate::core::state::{AppState, QuantityTarget};
use crate::text;

pub(super) fn draw(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    doubt: (&QuantityTarget, Quantity, Option<Quantity>),
    selected: usize,
    theme: Theme,
) {
    let (target, typed, likely) = doubt;
    let (name, weighed, price) = match target {
        QuantityTarget::Position(index) => state
            .receipt()
            .and_then(|r| r.positions.get(*index))
            .map(|p| (p.name.to_string(), p.weighed, p.price))
            .unwrap_or_default(),
        QuantityTarget::NewItem { item_code, .. } => state
            .catalog
            .by_code(item_code)
            .map(|i| (i.name.to_string(), i.weighed, i.price))
            .unwrap_or_default(),
    };
    let inner = dialog_frame(frame, dialog_area(area, 60, 7), text::DOUBT_TITLE, theme);
    let sum = price.times(typed).map(|s| s.on_screen().to_string()).unwrap_or_default();
    let rows = [
        match likely {
            Some(q) => text::doubt_likely(q, weighed),
            None => text::DOUBT_KEEP.to_string(),
        },
        text::doubt_as_typed(typed, weighed, &sum),
    ];
    let mut lines = vec![Line::raw(name), Line::raw("")];
    for (i, row) in rows.into_iter().enumerate() {
        lines.push(Line::styled(row, if i == selected { theme.selected() } else { Style::new() }));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
