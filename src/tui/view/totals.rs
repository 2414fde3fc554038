//! The totals line (sum, discount, to pay) and the loyalty client slot.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, fit};
use crate::core::loyalty::{LinkCheck, ReceiptLoyalty, Stage, bonus_limit};
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
        spans.push(Span::raw(format!("{} {}   ", text::SUM, totals.sum.on_screen())));
        spans.push(Span::raw(format!("{} {}   ", text::DISCOUNT, totals.discount.on_screen())));
    }
    spans.push(Span::styled(format!("{to_pay} {} ", totals.total.on_screen()), theme.strong()));
    frame.render_widget(Paragraph::new(Line::from(spans)).alignment(Alignment::Right), area);
}

/// What the client line says, by what gives way first (see `draw_client`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Name,
    Anonymous,
    Balance,
    Burning,
    Stage,
    Promo,
    Paid,
}

/// Dropped in this order while the client line is too long (`Name`: the
/// name takes its short form); the name, the stage and the bonus payment stay.
const DROP_ORDER: [Part; 5] = [Part::Promo, Part::Burning, Part::Name, Part::Balance, Part::Anonymous];

/// «Константинопольская А. В.» for «Константинопольская Александра Викторовна».
fn initials(name: &str) -> String {
    let mut words = name.split_whitespace();
    let mut short = words.next().unwrap_or_default().to_string();
    for word in words {
        if let Some(first) = word.chars().next() {
            short.push_str(&format!(" {first}."));
        }
    }
    short
}

/// The loyalty client: who, what the server allows, what bonuses paid —
/// whole parts only: at 80 columns the least useful go first.
pub(super) fn draw_client(frame: &mut Frame, area: Rect, state: &AppState, theme: Theme) {
    let label = Span::styled(format!("{}: ", text::CLIENT), theme.dim());
    let Some(loyalty) = state.receipt().and_then(|r| r.loyalty.as_ref()) else {
        frame.render_widget(
            Paragraph::new(Line::from(vec![label, Span::styled(text::NO_CLIENT, theme.dim())])),
            area,
        );
        return;
    };
    let mut parts = client_parts(state, loyalty, theme);
    let width = (area.width as usize).saturating_sub(label.content.chars().count());
    let used = |parts: &[(Part, Span<'static>)]| parts.iter().map(|(_, s)| s.content.chars().count()).sum::<usize>();
    for step in DROP_ORDER {
        if used(&parts) <= width {
            break;
        }
        match step {
            Part::Name => {
                if let Some((_, name)) = parts.iter_mut().find(|(p, _)| *p == Part::Name) {
                    name.content = initials(&name.content).into();
                }
            }
            drop => parts.retain(|(p, _)| *p != drop),
        }
    }
    let over = used(&parts).saturating_sub(width);
    if let Some((_, name)) = parts.iter_mut().find(|(p, _)| *p == Part::Name).filter(|_| over > 0) {
        let room = name.content.chars().count().saturating_sub(over);
        name.content = fit(&name.content, room.max(8)).into();
    }
    let mut spans = vec![label];
    spans.extend(parts.into_iter().map(|(_, span)| span));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Every part of the client line, in screen order.
fn client_parts(state: &AppState, loyalty: &ReceiptLoyalty, theme: Theme) -> Vec<(Part, Span<'static>)> {
    let warning = theme.level(Level::Warning);
    // The name when the server gave one: the cashier can greet the client.
    let name = loyalty.name.clone().filter(|n| !n.trim().is_empty());
    let mut parts = vec![(
        Part::Name,
        Span::styled(name.unwrap_or_else(|| loyalty.client.masked()), theme.strong()),
    )];
    if loyalty.is_anonymous() {
        parts.push((Part::Anonymous, Span::styled(format!("  {}", text::ANONYMOUS_SHORT), theme.dim())));
    }
    if let Some(balance) = loyalty.balance.filter(|_| !loyalty.is_anonymous()) {
        parts.push((
            Part::Balance,
            Span::raw(format!("  {} {balance}", text::BONUS_BALANCE, balance = balance.on_screen())),
        ));
    }
    // The nearest burning: the cashier can suggest spending it now.
    if let Some(first) = loyalty.burning.iter().min_by_key(|b| b.on) {
        parts.push((Part::Burning, Span::styled(format!("  {}", text::burning(first)), warning)));
    }
    let offline = state.receipt().is_some_and(|r| r.link == LinkCheck::Down);
    let stage = match &loyalty.stage {
        _ if offline => Some(Span::styled(format!("  {}", text::LOYALTY_NO_LINK), warning)),
        Stage::Calculated { .. } if loyalty.is_anonymous() => None,
        // What the cashier can take now (the bonus dialog's figure:
        // the server's within the minimum prices), not the server's raw one.
        Stage::Calculated { available } => state
            .receipt()
            .filter(|_| !loyalty.bonus_blocked && loyalty.bonus_paid.is_zero())
            .map(|receipt| {
                Span::raw(format!(
                    "  {} {}",
                    text::BONUS_AVAILABLE,
                    (bonus_limit(receipt, Some(*available))).on_screen()
                ))
            }),
        Stage::Offline => Some(Span::styled(format!("  {}", text::LOYALTY_OFFLINE), warning)),
        Stage::Refused { .. } => Some(Span::styled(format!("  {}", text::LOYALTY_BLOCKED), theme.level(Level::Error))),
        Stage::Pending | Stage::Return => None,
    };
    parts.extend(stage.map(|span| (Part::Stage, span)));
    if let Some(code) = &loyalty.promo_code {
        parts.push((Part::Promo, Span::raw(format!("  {} {code}", text::PROMO_TITLE))));
    }
    if !loyalty.bonus_paid.is_zero() {
        parts.push((
            Part::Paid,
            Span::styled(format!("  {} {}", text::BONUS_PAID, loyalty.bonus_paid.on_screen()), theme.strong()),
        ));
    }
    parts
}
