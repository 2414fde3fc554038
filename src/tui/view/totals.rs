//! The totals line (sum, discount, to pay) and the loyalty client slot.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::core::state::AppState;
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: Theme) {
    let Some(receipt) = state.receipt() else {
        frame.render_widget(Paragraph::default(), area);
        return;
    };
    let totals = receipt.totals();
    let to_pay = if receipt.is_return() { text::TO_REFUND } else { text::TO_PAY };
    let mut spans = vec![Span::raw(format!("{} {}   ", text::SUM, totals.sum))];
    if !totals.discount.is_zero() {
        spans.push(Span::raw(format!("{} {}   ", text::DISCOUNT, totals.discount)));
    }
    spans.push(Span::styled(format!("{to_pay} {} ", totals.total), theme.strong()));
    frame.render_widget(Paragraph::new(Line::from(spans)).alignment(Alignment::Right), area);
}

/// The slot where the loyalty client (card, name, balance) will show.
pub(super) fn draw_client(frame: &mut Frame, area: Rect, theme: Theme) {
    let line = Line::from(vec![
        Span::styled(format!("{}: ", text::CLIENT), theme.dim()),
        Span::styled(text::NO_CLIENT, theme.dim()),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}
