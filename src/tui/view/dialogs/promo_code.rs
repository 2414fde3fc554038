//! The receipt's promo code (one per receipt; empty removes it).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field};
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, input: &str, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 50, 5), text::PROMO_TITLE, theme);
    let lines = vec![
        Line::styled(text::PROMO_PROMPT, theme.dim()),
        field(text::PROMO_TITLE, input, theme),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}
