//! Cash in or out of the drawer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field};
use crate::core::money::Money;
use crate::core::state::{AppState, CashDirection};
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, direction: CashDirection, amount: &str, state: &AppState, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 50, 5), text::cash_direction_title(direction), theme);
    let drawer = state.shift().map_or(Money::ZERO, |s| s.drawer_cash());
    let lines = vec![
        Line::raw(format!("{}: {drawer}", text::IN_DRAWER, drawer = drawer.on_screen())),
        field(text::AMOUNT, amount, theme),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}
