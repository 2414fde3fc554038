//! The menu of all operations, numbered, with their keys; two columns when
//! they do not fit one at 80x24.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame};
use crate::core::state::AppState;
use crate::core::update::menu_entries;
use crate::text;
use crate::tui::keymap::Keymap;

/// Rows the menu may take before it goes to two columns.
const ROWS: usize = 16;
/// One entry: "24. Отмена бонусов      Ctrl+R".
const CELL: usize = 37;

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &AppState, selected: usize, keymap: &Keymap, theme: Theme) {
    let entries = menu_entries(state);
    let rows = if entries.len() <= ROWS {
        entries.len()
    } else {
        entries.len().div_ceil(2)
    };
    let columns = entries.len().div_ceil(rows.max(1));
    let width = (CELL * columns + 2 * columns) as u16;
    let inner = dialog_frame(frame, dialog_area(area, width, rows as u16 + 2), text::MENU_TITLE, theme);
    let cell = |i: usize| -> Span {
        let Some(&command) = entries.get(i) else {
            return Span::raw(" ".repeat(CELL));
        };
        let key = keymap.hint_key(command).unwrap_or_default();
        let label: String = text::command_label(command).chars().take(CELL - 13).collect();
        let number = format!("{}.", i + 1);
        let row = format!("{number:>3} {label:<20}{key:>12}");
        Span::styled(row, if i == selected { theme.selected() } else { Style::new() })
    };
    let lines: Vec<Line> = (0..rows)
        .map(|row| {
            let mut spans = Vec::new();
            for column in 0..columns {
                if column > 0 {
                    spans.push(Span::raw("  "));
                }
                spans.push(cell(column * rows + row));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
