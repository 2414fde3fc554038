//! Payment of a sale (cash, card, mixed) or the refund of a return.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field};
use crate::core::state::AppState;
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, input: &str, state: &AppState, keys: text::KeyOf, theme: Theme) {
    let Some(receipt) = state.receipt() else { return };
    let total = receipt.totals().total;
    if receipt.is_return() {
        let inner = dialog_frame(frame, dialog_area(area, 50, 7), text::REFUND_TITLE, theme);
        let (cash, card) = receipt.refund_split();
        let lines = vec![
            Line::styled(format!("{} {total}", text::TO_REFUND, total = total.on_screen()), theme.strong()),
            Line::raw(format!("{}: {cash}", text::CASH, cash = cash.on_screen())),
            Line::raw(format!("{}: {card}", text::CARD, card = card.on_screen())),
            Line::styled(text::keyed_hint(text::REFUND_CONFIRM, keys), theme.dim()),
        ];
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let height = 7 + receipt.payments.len() as u16 + u16::from(receipt.e_receipt.is_some());
    let inner = dialog_frame(frame, dialog_area(area, 50, height), text::PAYMENT_TITLE, theme);
    let mut lines = vec![Line::styled(
        format!("{} {total}", text::TO_PAY, total = total.on_screen()),
        theme.strong(),
    )];
    for p in &receipt.payments {
        lines.push(Line::raw(format!("  {}: {}", text::payment_kind(p.kind), p.tendered.on_screen())));
    }
    lines.push(Line::raw(format!("{}: {}", text::PAID, receipt.paid().on_screen())));
    lines.push(Line::styled(
        format!("{}: {}", text::REMAINING, receipt.remaining().on_screen()),
        theme.strong(),
    ));
    let change = receipt.change();
    if !change.is_zero() {
        lines.push(Line::styled(
            format!("{}: {change}", text::CHANGE, change = change.on_screen()),
            theme.strong(),
        ));
    }
    if let Some(contact) = &receipt.e_receipt {
        lines.push(Line::raw(format!("{}: {contact}", text::CONTACT_TITLE)));
    }
    lines.push(Line::styled(text::PAYMENT_PROMPT, theme.dim()));
    lines.push(field(text::AMOUNT, input, theme));
    frame.render_widget(Paragraph::new(lines), inner);
}
