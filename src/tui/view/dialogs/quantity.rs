//! The quantity (or weight) of a position.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field, fit};
use crate::core::state::{AppState, QuantityTarget};
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, target: &QuantityTarget, input: &str, state: &AppState, theme: Theme) {
    let (name, weighed) = match target {
        QuantityTarget::Position(i) => state
            .receipt()
            .and_then(|r| r.positions.get(*i))
            .map_or((String::new(), false), |p| (p.name.clone(), p.weighed)),
        QuantityTarget::NewItem { item_code, .. } => state
            .catalog
            .by_code(item_code)
            .map_or((String::new(), true), |i| (i.name.to_string(), i.weighed)),
    };
    let title = if weighed { text::WEIGHT_TITLE } else { text::QUANTITY_TITLE };
    let inner = dialog_frame(frame, dialog_area(area, 56, 5), title, theme);
    let lines = vec![Line::raw(fit(&name, inner.width as usize)), field(title, input, theme)];
    frame.render_widget(Paragraph::new(lines), inner);
}
