//! Goods sold from 18: the cashier confirms the buyer's age, or refuses.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::super::{Theme, dialog_area, dialog_frame};
use crate::core::age::AgeWaiting;
use crate::core::state::AppState;
use crate::text;

pub(super) fn draw(frame: &mut Frame, area: Rect, waiting: &AgeWaiting, state: &AppState, keys: text::KeyOf, theme: Theme) {
    let name = state.catalog.by_code(waiting.item_code()).map_or("", |item| &*item.name);
    let inner = dialog_frame(frame, dialog_area(area, 60, 5), text::AGE_TITLE, theme);
    let lines = vec![
        Line::raw(name),
        Line::styled(text::AGE_QUESTION, theme.strong()),
        Line::styled(text::keyed_hint(text::AGE_HINT, keys), theme.dim()),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}
