//! The status line: link lamp slot, store/register, shift, receipt, cashier, clock.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, fit};
use crate::core::notice::Level;
use crate::core::state::AppState;
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: Theme) {
    let settings = &state.settings;
    let clock = state.now.format("%d.%m.%Y %H:%M").to_string();
    // The first two cells are the loyalty link lamp: green while requests
    // get through, red after a link failure; a letter says it without colour.
    let lamp = match (state.settings.loyalty, state.link) {
        (false, _) => Span::raw("  "),
        (true, None) => Span::raw("○ "),
        (true, Some(true)) => Span::styled("● ", theme.lamp(true)),
        (true, Some(false)) => Span::styled("✖ ", theme.lamp(false)),
    };
    let mut left = vec![lamp];
    let place = format!(
        "{} {} · {} {}",
        text::STORE,
        settings.store_id,
        text::REGISTER,
        settings.register_id
    );
    left.push(Span::raw(place));
    match state.shift() {
        Some(shift) => {
            left.push(Span::raw(format!(" │ {} {}", text::SHIFT, shift.number)));
            if shift.is_expired(state.now) {
                left.push(Span::styled(format!(" {}", text::SHIFT_EXPIRED), theme.alarm_in_bar()));
            } else if let Some(minutes) = shift.minutes_left_if_near(state.now) {
                left.push(Span::styled(
                    format!(" {}", text::shift_ends_in(minutes)),
                    theme.level(Level::Warning),
                ));
            }
            left.push(Span::raw(format!(" │ {} {}", text::RECEIPT, shift.next_receipt)));
        }
        None => left.push(Span::raw(format!(" │ {}", text::SHIFT_CLOSED))),
    }
    let mut right = Vec::new();
    // Support is looking at this screen (`kassa watch`): the cashier should know.
    if state.watchers > 0 {
        right.push(Span::styled(format!(" {} ", text::WATCHED), theme.strong()));
    }
    if state.save_error.is_some() {
        right.push(Span::styled(format!(" {} ", text::NOT_SAVED), theme.alarm_in_bar()));
    }
    if state.queue.depth > 0 {
        right.push(Span::styled(
            format!(" {} {} ", text::QUEUE_STATUS, state.queue.depth),
            theme.level(Level::Warning),
        ));
    }
    // Refused requests wait for a person (support settles them by hand).
    if state.queue.rejected > 0 {
        right.push(Span::styled(
            format!(" {} {} ", text::REJECTED_STATUS, state.queue.rejected),
            theme.alarm_in_bar(),
        ));
    }
    // A device that is not working: its name and a mark (the notice said why).
    for (device, device_state) in &state.devices {
        if !device_state.is_ready() {
            right.push(Span::styled(format!(" {} ✖ ", text::device_label(device)), theme.alarm_in_bar()));
        }
    }
    let unprinted = state.durable.unprinted.len();
    if unprinted > 0 {
        right.push(Span::styled(format!(" {unprinted} {} ", text::UNPRINTED), theme.alarm_in_bar()));
    }
    right.push(Span::raw(format!(" {clock} ")));
    let used: usize = left.iter().chain(&right).map(|s| s.content.chars().count()).sum();
    let width = area.width as usize;
    if let Some(shift) = state.shift() {
        let room = width.saturating_sub(used + 3 + text::CASHIER.chars().count() + 1);
        if room >= 4 {
            left.push(Span::raw(format!(" │ {} {}", text::CASHIER, fit(&shift.cashier, room))));
        }
    }
    let used: usize = left.iter().chain(&right).map(|s| s.content.chars().count()).sum();
    left.push(Span::raw(" ".repeat(width.saturating_sub(used))));
    left.extend(right);
    frame.render_widget(Paragraph::new(Line::from(left)).style(theme.bar()), area);
}
