//! Entering the loyalty client (card, phone, scanned card or QR); also the balance enquiry.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field};
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, title: &str, input: &str, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 64, 5), title, theme);
    let lines = vec![Line::styled(text::CLIENT_PROMPT, theme.dim()), field(text::INPUT, input, theme)];
    frame.render_widget(Paragraph::new(lines), inner);
}
