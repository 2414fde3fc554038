//! Opening a shift: the cashier's name.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field};
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, name: &str, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 60, 4), text::OPEN_SHIFT_TITLE, theme);
    frame.render_widget(Paragraph::new(vec![field(text::CASHIER_NAME, name, theme)]), inner);
}
