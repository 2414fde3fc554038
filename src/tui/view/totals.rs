//! The totals line (sum, discount, to pay) and the loyalty client slot.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::core::loyalty::{LinkCheck, Stage, bonus_limit};
use crate::core::notice::Level;
use crate::core::state::AppState;
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: Theme) {
    let Some(receipt) = state.receipt() else {
        frame.render_widget(Paragraph::default(), area);
        return;
    };
    let totals = receipt.totals();
    let to_pay = if receipt.is_return() { text::TO_REFUND } else { text::TO_PAY };
    // The sum before discounts only when there are any: otherwise it is the
    // figure to pay, and repeating it costs a redraw of both on every scan.
    let mut spans = Vec::new();
    if !totals.discount.is_zero() {
        spans.push(Span::raw(format!("{} {}   ", text::SUM, totals.sum)));
        spans.push(Span::raw(format!("{} {}   ", text::DISCOUNT, totals.discount)));
    }
    spans.push(Span::styled(format!("{to_pay} {} ", totals.total), theme.strong()));
    frame.render_widget(Paragraph::new(Line::from(spans)).alignment(Alignment::Right), area);
}

/// The loyalty client: who, what the server allows, what bonuses paid.
pub(super) fn draw_client(frame: &mut Frame, area: Rect, state: &AppState, theme: Theme) {
    let mut spans = vec![Span::styled(format!("{}: ", text::CLIENT), theme.dim())];
    match state.receipt().and_then(|r| r.loyalty.as_ref()) {
        None => spans.push(Span::styled(text::NO_CLIENT, theme.dim())),
        Some(loyalty) => {
            spans.push(Span::styled(
                loyalty.name.clone().unwrap_or_else(|| loyalty.client.masked()),
                theme.strong(),
            ));
            if loyalty.is_anonymous() {
                spans.push(Span::styled(format!("  {}", text::ANONYMOUS_SHORT), theme.dim()));
            }
            if let Some(balance) = loyalty.balance.filter(|_| !loyalty.is_anonymous()) {
                spans.push(Span::raw(format!("  {} {balance}", text::BONUS_BALANCE)));
            }
            // The nearest burning: the cashier can suggest spending it now.
            if let Some(first) = loyalty.burning.iter().min_by_key(|b| b.on) {
                spans.push(Span::styled(format!("  {}", text::burning(first)), theme.level(Level::Warning)));
            }
            let offline = state.receipt().is_some_and(|r| r.link == LinkCheck::Down);
            match &loyalty.stage {
                _ if offline => spans.push(Span::styled(format!("  {}", text::LOYALTY_NO_LINK), theme.level(Level::Warning))),
                Stage::Calculated { .. } if loyalty.is_anonymous() => {}
                // What the cashier can take now (the bonus dialog's figure:
                // the server's within the minimum prices), not the server's raw one.
                Stage::Calculated { available } => {
                    if let Some(receipt) = state.receipt().filter(|_| !loyalty.bonus_blocked && loyalty.bonus_paid.is_zero()) {
                        let can = bonus_limit(receipt, Some(*available));
                        spans.push(Span::raw(format!("  {} {can}", text::BONUS_AVAILABLE)));
                    }
                }
                Stage::Offline => spans.push(Span::styled(format!("  {}", text::LOYALTY_OFFLINE), theme.level(Level::Warning))),
                Stage::Refused { .. } => spans.push(Span::styled(format!("  {}", text::LOYALTY_BLOCKED), theme.level(Level::Error))),
                Stage::Pending | Stage::Return => {}
            }
            if let Some(code) = &loyalty.promo_code {
                spans.push(Span::raw(format!("  {} {code}", text::PROMO_TITLE)));
            }
            if !loyalty.bonus_paid.is_zero() {
                spans.push(Span::styled(
                    format!("  {} {}", text::BONUS_PAID, loyalty.bonus_paid),
                    theme.strong(),
                ));
            }
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
