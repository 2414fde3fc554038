//! Preview of a printed document (the demo printer's paper).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame};
use crate::core::state::PreviewTitle;
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, title: &PreviewTitle, lines: &[String], scroll: usize, keys: text::KeyOf, theme: Theme) {
    let paper = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u16;
    let outer = dialog_area(area, paper + 2, area.height);
    let inner = dialog_frame(frame, outer, text::PREVIEW_TITLE, theme);
    let mut shown = Vec::with_capacity(inner.height as usize);
    if let PreviewTitle::Receipt { change, .. } = title
        && !change.is_zero()
    {
        shown.push(Line::styled(
            format!("{} {change}", text::CHANGE, change = change.on_screen()),
            theme.alarm(),
        ));
    }
    let rows = (inner.height as usize).saturating_sub(shown.len() + 1);
    let start = scroll.min(lines.len().saturating_sub(rows));
    shown.extend(lines.iter().skip(start).take(rows).map(|l| Line::raw(l.as_str())));
    shown.push(Line::styled(text::keyed_hint(text::PREVIEW_HINT, keys), theme.dim()));
    frame.render_widget(Paragraph::new(shown), inner);
}
