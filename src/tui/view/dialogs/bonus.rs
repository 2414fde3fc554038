//! The bonus-payment dialog: client, balance, available amount, the amount.
//! Sums are shown as they are, with no rounding discounts (the spec asks so).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field};
use crate::core::loyalty::{Stage, bonus_limit};
use crate::core::state::AppState;
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, input: &str, state: &AppState, keys: text::KeyOf, theme: Theme) {
    let Some(receipt) = state.receipt() else { return };
    let Some(loyalty) = receipt.loyalty.as_ref() else { return };
    let server = match loyalty.stage {
        Stage::Calculated { available } => Some(available),
        _ => None,
    };
    let inner = dialog_frame(frame, dialog_area(area, 60, 8), text::BONUS_TITLE, theme);
    let who = loyalty.name.clone().unwrap_or_else(|| loyalty.client.masked());
    let mut lines = vec![Line::styled(format!("{}: {who}", text::CLIENT), theme.strong())];
    if let Some(balance) = loyalty.balance {
        lines.push(Line::raw(format!(
            "{}: {balance}",
            text::BONUS_BALANCE,
            balance = balance.on_screen()
        )));
    }
    lines.push(Line::raw(format!("{} {}", text::TO_PAY, (receipt.totals().total).on_screen())));
    lines.push(Line::styled(
        format!("{}: {}", text::BONUS_AVAILABLE, (bonus_limit(receipt, server)).on_screen()),
        theme.strong(),
    ));
    lines.push(Line::styled(text::keyed_hint(text::BONUS_HINT, keys), theme.dim()));
    lines.push(field(text::AMOUNT, input, theme));
    frame.render_widget(Paragraph::new(lines), inner);
}
