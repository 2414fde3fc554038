//! The receipt table: №, name, quantity × price, discount, total; the
//! selected row highlighted (see [`Mark`]); only the visible rows are built.

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
const DISCOUNT: usize = 10;
const TOTAL: usize = 12;

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
    let newest = receipt.positions.len().saturating_sub(1);
    for index in visible(state.selected, receipt.positions.len(), rows) {
        let mark = match index == state.selected {
            false => Mark::None,
            true if index == newest => Mark::Number,
            true => Mark::WholeRow,
        };
        lines.push(row(index, &receipt.positions[index], mark, name_width, theme));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The positions on the table's `rows` rows, top to bottom.
///
/// While the selection is among the last `rows` positions (as it is while
/// scanning), position `i` keeps row `i % rows`: a new position takes the
/// row of the oldest one shown, the rest stay put. A scan then rewrites one
/// row, not the page (a few hundred bytes on a slow SSH link, not kilobytes);
/// the last `rows` positions stay in sight, the newest marked by the
/// selection, its number telling the order. Further back the table is an
/// ordinary window in order.
fn visible(selected: usize, count: usize, rows: usize) -> Vec<usize> {
    if count <= rows || rows == 0 {
        return (0..count).collect();
    }
    let first = count - rows;
    if selected < first {
        let start = window_start(selected, count, rows);
        return (start..start + rows).collect();
    }
    (0..rows).map(|row| first + (row + rows - first % rows) % rows).collect()
}

/// How a row shows that it is selected.
///
/// The newest position — the selection while scanning — is marked by its
/// number only: each scan then takes the mark off one number cell instead of
/// redrawing the previous row whole (~100 bytes a scan on a slow SSH link).
/// A position the cashier moved to with the arrows is lit whole, so the eye
/// finds the row a storno or a quantity will touch.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    None,
    Number,
    WholeRow,
}

fn row(index: usize, p: &Position, mark: Mark, name_width: usize, theme: Theme) -> Line<'static> {
    let number = format!("{:>3} ", index + 1);
    let qty_price = format!("{} × {}", p.quantity.on_screen(), p.price.on_screen());
    let discount = p.discount();
    let discount = if discount.is_zero() {
        String::new()
    } else {
        format!("-{discount}", discount = discount.on_screen())
    };
    // A marked position says so: its quantity is its codes.
    let name = if p.marks.is_empty() {
        p.name.clone()
    } else {
        format!("{}{}", crate::text::MARKED_ON_SCREEN, p.name)
    };
    let rest = format!(
        "{:<name_width$}{:>QTY_PRICE$}{:>DISCOUNT$}{:>TOTAL$}",
        fit(&name, name_width),
        fit(&qty_price, QTY_PRICE - 1),
        discount,
        p.total().max(Money::ZERO).on_screen().to_string()
    );
    match mark {
        Mark::None => Line::from(vec![Span::raw(number), Span::raw(rest)]),
        Mark::Number => Line::from(vec![Span::styled(number, theme.selected()), Span::raw(rest)]),
        Mark::WholeRow => Line::styled(number + &rest, theme.selected()),
    }
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn a_short_receipt_is_in_order() {
        assert_eq!(visible(2, 3, 5), [0, 1, 2]);
        assert_eq!(visible(4, 5, 5), [0, 1, 2, 3, 4]);
    }

    /// Each new position takes the row of the oldest shown; the others stay.
    #[test]
    fn the_last_positions_keep_their_rows_while_scanning() {
        assert_eq!(visible(5, 6, 5), [5, 1, 2, 3, 4]);
        assert_eq!(visible(6, 7, 5), [5, 6, 2, 3, 4]);
        assert_eq!(visible(9, 10, 5), [5, 6, 7, 8, 9]);
        assert_eq!(visible(7, 10, 5), [5, 6, 7, 8, 9], "moving within the last ones");
        for count in 6..40 {
            let before = visible(count - 2, count - 1, 5);
            let after = visible(count - 1, count, 5);
            let changed = before.iter().zip(&after).filter(|(a, b)| a != b).count();
            assert_eq!(changed, 1, "one row per scan at {count}");
            let mut sorted = after.clone();
            sorted.sort();
            assert_eq!(sorted, (count - 5..count).collect::<Vec<_>>(), "the last five in sight");
        }
    }

    #[test]
    fn further_back_the_window_is_in_order() {
        let shown = visible(3, 40, 5);
        assert!(shown.contains(&3));
        assert!(shown.windows(2).all(|w| w[1] == w[0] + 1), "{shown:?}");
    }
}
