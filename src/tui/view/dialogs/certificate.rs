//! A gift certificate: its code, then its pin (MaxBonus).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field};
use crate::core::money::Money;
use crate::text;

pub(super) fn draw_code(frame: &mut Frame, area: Rect, input: &str, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 56, 5), text::CERTIFICATE_TITLE, theme);
    let lines = vec![Line::styled(text::CERTIFICATE_PROMPT, theme.dim()), field(text::CODE, input, theme)];
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The pin is shown as stars: the customer may be reading the screen.
pub(super) fn draw_pin(frame: &mut Frame, area: Rect, code: &str, balance: Money, input: &str, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 56, 6), text::CERTIFICATE_TITLE, theme);
    let stars = "*".repeat(input.chars().count());
    let lines = vec![
        Line::raw(text::certificate_balance(code, balance)),
        Line::styled(text::CERTIFICATE_PIN_PROMPT, theme.dim()),
        field(text::CODE, &stars, theme),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}
