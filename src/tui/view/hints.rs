//! The key-hint line, built from the live keymap so remapped keys show right.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::core::command::Command;
use crate::core::state::{AppState, Dialog};
use crate::text;
use crate::tui::keymap::Keymap;

/// The commands worth a hint in the current situation, most useful first.
fn relevant(state: &AppState) -> &'static [Command] {
    use Command::*;
    match &state.dialog {
        None if state.shift().is_none() => &[OpenShift, ReturnReceipt, Menu, Help, Quit],
        None if state.receipt().is_none() => &[Search, Multiply, ReturnReceipt, Menu, Help, XReport, CashIn, CashOut, CloseShift],
        None => &[Pay, Search, Multiply, Quantity, Storno, Discount, CancelReceipt, Menu, Help],
        Some(Dialog::Payment { .. }) if state.receipt().is_some_and(|r| r.is_return()) => &[Confirm, Cancel],
        Some(Dialog::Payment { .. }) => &[Confirm, PayCard, EReceipt, Storno, Cancel],
        Some(Dialog::Discount { .. }) => &[Confirm, NextField, Cancel],
        Some(Dialog::ReturnPick { .. }) => &[Confirm, Pay, Up, Down, Cancel],
        Some(Dialog::Search { .. } | Dialog::ReturnFind { .. } | Dialog::Menu { .. } | Dialog::Doubt { .. }) => {
            &[Confirm, Up, Down, Cancel]
        }
        Some(Dialog::Preview { .. } | Dialog::Help { .. }) => &[Cancel, Up, Down, PageDown],
        // A registrar's shift past 24 hours: the shift close is the cure.
        Some(Dialog::Registration)
            if state
                .unregistered()
                .and_then(|job| state.print_failures.get(&job.id))
                .is_some_and(|f| f.refused) =>
        {
            &[CloseShift, Reprint, Menu, Help]
        }
        Some(Dialog::Registration) => &[Reprint, Menu, Help],
        Some(_) => &[Confirm, Cancel],
    }
}

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &AppState, keymap: &Keymap, theme: Theme) {
    let mut spans = Vec::new();
    let mut used = 0;
    for &command in relevant(state) {
        let Some(key) = keymap.hint_key(command) else { continue };
        let label = text::command_label(command);
        let width = key.chars().count() + label.chars().count() + 2;
        if used + width > area.width as usize {
            break;
        }
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(format!(" {label} ")));
        used += width;
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
