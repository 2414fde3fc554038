//! Every command with its keys, from the live keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame};
use crate::core::command::Command;
use crate::text;
use crate::tui::keymap::Keymap;

pub(super) fn draw(frame: &mut Frame, area: Rect, scroll: usize, keymap: &Keymap, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 60, area.height), text::HELP_TITLE, theme);
    let rows = inner.height as usize;
    let start = scroll.min(Command::ALL.len().saturating_sub(rows));
    let lines: Vec<Line> = Command::ALL
        .iter()
        .skip(start)
        .take(rows)
        .map(|&command| {
            let keys: Vec<String> = keymap.keys_for(command).iter().map(ToString::to_string).collect();
            Line::from(vec![
                Span::styled(format!("{:<16}", keys.join(", ")), theme.key()),
                Span::raw(text::command_label(command)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
