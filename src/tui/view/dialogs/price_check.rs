//! The price check: an item's price, minimum price and kind by a code
//! scanned or typed, without touching the receipt.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::super::{Theme, dialog_area, dialog_frame, field};
use crate::core::catalog::Item;
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, input: &str, found: Option<&Item>, keys: text::KeyOf, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 64, 14), text::PRICE_CHECK_TITLE, theme);
    let mut lines = vec![
        Line::styled(text::PRICE_CHECK_PROMPT, theme.dim()),
        field(text::PRICE_CHECK_TITLE, input, theme),
    ];
    if let Some(item) = found {
        lines.push(Line::raw(""));
        lines.push(Line::styled(item.name.to_string(), theme.strong()));
        lines.extend(text::price_check_lines(item).into_iter().map(Line::raw));
    }
    lines.push(Line::raw(""));
    lines.push(Line::raw(text::keyed_hint(text::PRICE_CHECK_HINT, keys)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}
