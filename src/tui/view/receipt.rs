//! The receipt table: №, name, quantity × price, discount, total; the
//! selected row highlighted; only the visible rows are built.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, fit, window_start};
use crate::core::money::Money;
use crate::core::receipt::{Position, ReceiptKind};
use crate::core::state::AppState;
use crate::text;

/// Column widths besides the name: №, quantity × price, discount, total.
const NO: usize = 4;
const QTY_PRICE: usize = 20;
const DISCOUNT: usize = 9;
const TOTAL: usize = 11;

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: Theme) {
    let width = area.width as usize;
    let name_width = width.saturating_sub(NO + QTY_PRICE + DISCOUNT + TOTAL).max(8);
    let mut lines = Vec::with_capacity(area.height as usize);
    let mut title = format!("{:>3} {:<name_width$}", text::COL_NO, text::COL_NAME);
    title.push_str(&format!(
        "{:>QTY_PRICE$}{:>DISCOUNT$}{:>TOTAL$}",
        text::COL_QTY_PRICE,
        text::COL_DISCOUNT,
        text::COL_TOTAL
    ));
    lines.push(Line::styled(title, theme.dim()));
    let Some(receipt) = state.receipt() else {
        let hint = if state.shift().is_some() {
            text::EMPTY_RECEIPT_HINT
        } else {
            text::NO_SHIFT_HINT
        };
        lines.push(Line::styled(fit(hint, width), theme.dim()));
        frame.render_widget(Paragraph::new(lines), area);
        return;
    };
    let mut rows = area.height as usize - 1;
    if let ReceiptKind::Return { original, .. } = receipt.kind {
        lines.push(Line::styled(format!("{} {original}", text::RETURN_BANNER), theme.alarm()));
        rows = rows.saturating_sub(1);
    }
    let count = receipt.positions.len();
    let start = window_start(state.selected, count, rows);
    for (index, position) in receipt.positions.iter().enumerate().skip(start).take(rows) {
        lines.push(row(index, position, index == state.selected, name_width, theme));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn row(index: usize, p: &Position, selected: bool, name_width: usize, theme: Theme) -> Line<'static> {
    let number = format!("{:>3} ", index + 1);
    let qty_price = format!("{} × {}", p.quantity, p.price);
    let discount = p.discount();
    let discount = if discount.is_zero() {
        String::new()
    } else {
        format!("-{discount}")
    };
    let rest = format!(
        "{:<name_width$}{:>QTY_PRICE$}{:>DISCOUNT$}{:>TOTAL$}",
        fit(&p.name, name_width),
        fit(&qty_price, QTY_PRICE - 1),
        discount,
        p.total().max(Money::ZERO).to_string()
    );
    // Only the number cell is highlighted: moving the selection then redraws
    // a few cells instead of two whole rows — it matters on slow SSH links.
    let number_style = if selected { theme.selected() } else { theme.dim() };
    Line::from(vec![Span::styled(number, number_style), Span::raw(rest)])
}
