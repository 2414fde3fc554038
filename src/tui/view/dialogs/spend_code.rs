//! The SMS code that allows spending bonuses (when the store asks for it).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field};
use crate::core::money::Money;
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, amount: Money, input: &str, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 50, 6), text::SPEND_CODE_TITLE, theme);
    let lines = vec![
        Line::raw(format!("{}: {amount}", text::BONUS_TITLE, amount = amount.on_screen())),
        Line::styled(text::VALIDATION_PROMPT, theme.dim()),
        field(text::CODE, input, theme),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}
