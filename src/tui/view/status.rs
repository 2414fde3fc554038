//! The status line: link lamp slot, store/register, shift, receipt, cashier,
//! counters and alarms, clock.
//!
//! When it all does not fit, the least useful parts take a short form or go
//! first (see `STEPS`); the time never goes, nor do the alarms.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, fit};
use crate::core::notice::Level;
use crate::core::state::AppState;
use crate::text;

/// The parts that can shorten or go, by what they say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Place,
    Shift,
    ShiftAlarm,
    Receipt,
    Cashier,
    Watched,
    NotSaved,
    Queue,
    Rejected,
    Device,
    Unprinted,
    Clock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Shorten,
    Drop,
}

/// What gives way first, in order, while the line is too long.
const STEPS: &[(Key, Step)] = &[
    (Key::Place, Step::Shorten),
    (Key::Queue, Step::Shorten),
    (Key::Rejected, Step::Shorten),
    (Key::Unprinted, Step::Shorten),
    (Key::ShiftAlarm, Step::Shorten),
    (Key::Clock, Step::Shorten),
    (Key::Watched, Step::Shorten),
    (Key::Place, Step::Drop),
    (Key::Cashier, Step::Shorten),
    (Key::Shift, Step::Drop),
    (Key::Watched, Step::Drop),
    (Key::Cashier, Step::Drop),
    (Key::Queue, Step::Drop),
    (Key::Receipt, Step::Drop),
    (Key::Rejected, Step::Drop),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Full,
    Short,
    Gone,
}

struct Part {
    key: Key,
    /// Left of the gap (then `sep` before it, unless it comes first) or right.
    left: bool,
    sep: &'static str,
    full: Span<'static>,
    short: Option<Span<'static>>,
    form: Form,
}

impl Part {
    fn new(key: Key, left: bool, full: Span<'static>) -> Part {
        Part {
            key,
            left,
            sep: "",
            full,
            short: None,
            form: Form::Full,
        }
    }

    fn sep(mut self, sep: &'static str) -> Part {
        self.sep = sep;
        self
    }

    fn short(mut self, short: Span<'static>) -> Part {
        self.short = Some(short);
        self
    }

    fn span(&self) -> Option<&Span<'static>> {
        match self.form {
            Form::Full => Some(&self.full),
            Form::Short => self.short.as_ref().or(Some(&self.full)),
            Form::Gone => None,
        }
    }
}

fn chip(content: String, style: Style) -> Span<'static> {
    Span::styled(format!(" {content} "), style)
}

/// Every part the state has to say, in screen order.
fn parts(state: &AppState, theme: Theme) -> Vec<Part> {
    use Key::*;
    let settings = &state.settings;
    let warning = theme.level(Level::Warning);
    let alarm = theme.alarm_in_bar();
    let mut parts = vec![
        Part::new(
            Place,
            true,
            Span::raw(format!(
                "{} {} · {} {}",
                text::STORE,
                settings.store_id,
                text::REGISTER,
                settings.register_id
            )),
        )
        .short(Span::raw(format!("{} {}", text::REGISTER, settings.register_id))),
    ];
    match state.shift() {
        Some(shift) => {
            parts.push(Part::new(Shift, true, Span::raw(format!("{} {}", text::SHIFT, shift.number))).sep(" │ "));
            if shift.is_expired(state.now) {
                parts.push(Part::new(ShiftAlarm, true, Span::styled(text::SHIFT_EXPIRED, alarm)).sep(" "));
            } else if let Some(minutes) = shift.minutes_left_if_near(state.now) {
                parts.push(
                    Part::new(ShiftAlarm, true, Span::styled(text::shift_ends_in(minutes), warning))
                        .short(Span::styled(text::shift_ends_in_short(minutes), warning))
                        .sep(" "),
                );
            }
            parts.push(Part::new(Receipt, true, Span::raw(format!("{} {}", text::RECEIPT, shift.next_receipt))).sep(" │ "));
            let surname = shift.cashier.split_whitespace().next().unwrap_or_default();
            parts.push(
                Part::new(Cashier, true, Span::raw(format!("{} {}", text::CASHIER, shift.cashier)))
                    .short(Span::raw(fit(surname, 20)))
                    .sep(" │ "),
            );
        }
        None => parts.push(Part::new(Shift, true, Span::raw(text::SHIFT_CLOSED)).sep(" │ ")),
    }
    // Support is looking at this screen (`kassa watch`): the cashier should know.
    if state.watchers > 0 {
        parts.push(
            Part::new(Watched, false, chip(text::WATCHED.into(), theme.strong())).short(chip(text::WATCHED_SHORT.into(), theme.strong())),
        );
    }
    if state.save_error.is_some() {
        parts.push(Part::new(NotSaved, false, chip(text::NOT_SAVED.into(), alarm)));
    }
    let (depth, rejected) = (state.queue.depth, state.queue.rejected);
    if depth > 0 {
        parts.push(
            Part::new(Queue, false, chip(format!("{} {depth}", text::QUEUE_STATUS), warning))
                .short(chip(format!("{} {depth}", text::QUEUE_STATUS_SHORT), warning)),
        );
    }
    // Refused requests wait for a person (support settles them by hand).
    if rejected > 0 {
        parts.push(
            Part::new(Rejected, false, chip(format!("{} {rejected}", text::REJECTED_STATUS), alarm))
                .short(chip(format!("{} {rejected}", text::REJECTED_STATUS_SHORT), alarm)),
        );
    }
    // A device that is not working: its name and a mark (the notice said why).
    for (device, device_state) in &state.devices {
        if !device_state.is_ready() {
            parts.push(Part::new(Device, false, chip(format!("{} ✖", text::device_label(device)), alarm)));
        }
    }
    let unprinted = state.durable.unprinted.len();
    if unprinted > 0 {
        parts.push(
            Part::new(Unprinted, false, chip(format!("{unprinted} {}", text::UNPRINTED), alarm))
                .short(chip(format!("{unprinted} {}", text::UNPRINTED_SHORT), alarm)),
        );
    }
    parts.push(
        Part::new(Clock, false, chip(state.now.format("%d.%m.%Y %H:%M").to_string(), Style::new()))
            .short(chip(state.now.format("%H:%M").to_string(), Style::new())),
    );
    parts
}

/// The line's spans, left group then right group, and their width.
fn layout(parts: &[Part]) -> (Vec<Span<'static>>, Vec<Span<'static>>, usize) {
    let mut left = Vec::new();
    let mut right = Vec::new();
    for part in parts {
        let Some(span) = part.span() else { continue };
        if !part.left {
            right.push(span.clone());
            continue;
        }
        if !left.is_empty() && !part.sep.is_empty() {
            left.push(Span::raw(part.sep));
        }
        left.push(span.clone());
    }
    let width = left.iter().chain(&right).map(|s| s.content.chars().count()).sum();
    (left, right, width)
}

/// Shortens and drops parts along `STEPS` until the line fits `width`.
fn fit_parts(parts: &mut [Part], width: usize) {
    for &(key, step) in STEPS {
        let (_, _, used) = layout(parts);
        if used <= width {
            return;
        }
        if key == Key::Cashier && step == Step::Drop {
            // Before the cashier goes: as much of the surname as there is room for.
            if let Some(cashier) = parts.iter_mut().find(|p| p.key == key && p.form != Form::Gone) {
                let shown = cashier.span().map_or(0, |s| s.content.chars().count());
                let room = (width + shown).saturating_sub(used);
                if room >= 6 {
                    let surname = cashier.short.as_ref().map(|s| s.content.to_string()).unwrap_or_default();
                    cashier.short = Some(Span::raw(fit(&surname, room)));
                    cashier.form = Form::Short;
                    continue;
                }
            }
        }
        for part in parts.iter_mut().filter(|p| p.key == key) {
            part.form = match step {
                Step::Shorten if part.form == Form::Full => Form::Short,
                Step::Shorten => part.form,
                Step::Drop => Form::Gone,
            };
        }
    }
}

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: Theme) {
    // The first two cells are the loyalty link lamp: green while requests
    // get through, red after a link failure; a letter says it without colour.
    let lamp = match (state.settings.loyalty, state.link) {
        (false, _) => Span::raw("  "),
        (true, None) => Span::raw("○ "),
        (true, Some(true)) => Span::styled("● ", theme.lamp(true)),
        (true, Some(false)) => Span::styled("✖ ", theme.lamp(false)),
    };
    let width = area.width as usize;
    let mut parts = parts(state, theme);
    fit_parts(&mut parts, width.saturating_sub(2));
    let (left, right, used) = layout(&parts);
    let mut line = vec![lamp];
    line.extend(left);
    line.push(Span::raw(" ".repeat(width.saturating_sub(used + 2))));
    let right_width = right.iter().map(|s| s.content.chars().count()).sum::<usize>().min(width) as u16;
    frame.render_widget(Paragraph::new(Line::from(line)).style(theme.bar()), area);
    // The right group last: if the line is still too long, the time stays.
    let right_area = Rect {
        x: area.x + area.width - right_width,
        width: right_width,
        ..area
    };
    frame.render_widget(
        Paragraph::new(Line::from(right)).alignment(Alignment::Right).style(theme.bar()),
        right_area,
    );
}
