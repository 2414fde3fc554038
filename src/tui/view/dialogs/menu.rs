//! The menu of all operations, with their keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame};
use crate::core::update::MENU;
use crate::text;
use crate::tui::keymap::Keymap;

pub(super) fn draw(frame: &mut Frame, area: Rect, selected: usize, keymap: &Keymap, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 40, MENU.len() as u16 + 2), text::MENU_TITLE, theme);
    let lines: Vec<Line> = MENU
        .iter()
        .enumerate()
        .map(|(i, &command)| {
            let key = keymap.hint_key(command).unwrap_or_default();
            let row = format!("{}. {:<22}{key:>8}", i + 1, text::command_label(command));
            Line::styled(row, if i == selected { theme.selected() } else { Style::new() })
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
