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

pub(super) fn draw(frame: &mut Frame, area: Rect, blocks: &[TextBlock], keys: text::KeyOf, theme: Theme) {
    let mut lines: Vec<Line> = Vec::new();
    for block in blocks {
        for part in block.text.trim_end_matches('\n').split('\n') {
            lines.push(Line::styled(text::with_keys(part, keys), style(block)).alignment(alignment(block.align)));
        }
    }
    lines.push(Line::styled(text::keyed_hint(text::MESSAGE_HINT, keys), theme.dim()));
    let inner_width = usize::from(WIDTH.min(area.width).saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner_width).max(1)).sum();
    let inner = dialog_frame(frame, dialog_area(area, WIDTH, rows as u16 + 2), text::MESSAGE_TITLE, theme);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
