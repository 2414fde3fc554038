//! Text for the cashier from the loyalty system: blocks with alignment,
//! size and weight. A terminal has one font size, so a larger size shows as
//! emphasis: bold from medium up, reverse video from large up.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::super::{Theme, dialog_area, dialog_frame};
use crate::loyalty::TextBlock;
use crate::loyalty::slip::{Align, Size};
use crate::text;

fn style(block: &TextBlock) -> Style {
    let mut style = Style::new();
    if block.bold || !matches!(block.size, Size::Default | Size::Small) {
        style = style.add_modifier(Modifier::BOLD);
    }
    if block.size.is_large() {
        style = style.add_modifier(Modifier::REVERSED);
    }
    style
}

fn alignment(align: Align) -> Alignment {
    match align {
        Align::Left => Alignment::Left,
        Align::Center => Alignment::Center,
        Align::Right => Alignment::Right,
    }
}

/// The dialog's width; its height follows the wrapped text.
const WIDTH: u16 = 70;

fn lines(blocks: &[TextBlock], keys: text::KeyOf) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = Vec::new();
    for block in blocks {
        for part in block.text.trim_end_matches('\n').split('\n') {
            lines.push(Line::styled(text::with_keys(part, keys), style(block)).alignment(alignment(block.align)));
        }
    }
    lines
}

/// Rows the lines take, wrapped to `width` (the frame's inside).
fn rows(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width).max(1);
    lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum::<usize>() as u16
}

pub(super) fn draw(frame: &mut Frame, area: Rect, blocks: &[TextBlock], keys: text::KeyOf, theme: Theme) {
    let mut lines = lines(blocks, keys);
    lines.push(Line::styled(text::keyed_hint(text::MESSAGE_HINT, keys), theme.dim()));
    let rows = rows(&lines, WIDTH.min(area.width).saturating_sub(2));
    let inner = dialog_frame(frame, dialog_area(area, WIDTH, rows + 2), text::MESSAGE_TITLE, theme);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The height the loyalty server's note takes at the bottom of `area`
/// (at most half of it), 0 without one.
pub(in crate::tui::view) fn note_height(area: Rect, blocks: &[TextBlock], keys: text::KeyOf) -> u16 {
    if blocks.is_empty() {
        return 0;
    }
    (rows(&lines(blocks, keys), area.width.saturating_sub(2)) + 2).min(area.height / 2)
}

/// The loyalty server's note under the receipt: the message window's text,
/// with no key to press (see `core::update::loyalty::answers::show`).
pub(in crate::tui::view) fn draw_note(frame: &mut Frame, area: Rect, blocks: &[TextBlock], keys: text::KeyOf, theme: Theme) {
    let inner = dialog_frame(frame, area, text::MESSAGE_TITLE, theme);
    frame.render_widget(Paragraph::new(lines(blocks, keys)).wrap(Wrap { trim: false }), inner);
}
