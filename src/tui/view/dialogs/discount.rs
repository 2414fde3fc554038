//! A discount on the selected position or the whole receipt.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field, fit};
use crate::core::state::{AppState, DiscountTarget};
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, target: DiscountTarget, input: &str, state: &AppState, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 60, 6), text::DISCOUNT_TITLE, theme);
    let what = match target {
        DiscountTarget::Position(i) => {
            let name = state
                .receipt()
                .and_then(|r| r.positions.get(i))
                .map_or(String::new(), |p| p.name.clone());
            format!("{}: {name}", text::DISCOUNT_ON_POSITION)
        }
        DiscountTarget::Receipt => text::DISCOUNT_ON_RECEIPT.to_string(),
    };
    let lines = vec![
        Line::styled(fit(&what, inner.width as usize), theme.strong()),
        Line::styled(text::DISCOUNT_PROMPT, theme.dim()),
        field(text::AMOUNT, input, theme),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}
