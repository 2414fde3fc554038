//! The loyalty queue: unsent requests (with attempts, last error, next try)
//! or the rejected archive (with the server's text); Enter shows one whole.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::super::{Theme, dialog_area, dialog_frame, fit, window_start};
use crate::core::queue::QueueEntry;
use crate::core::state::QueueScreen;
use crate::loyalty::redact;
use crate::text;

fn summary(entry: &QueueEntry) -> String {
    let next = entry
        .next_attempt
        .map(|t| format!(", {} {}", text::QUEUE_NEXT, t.format("%H:%M:%S")))
        .unwrap_or_default();
    format!(
        "#{} {} {} · {}{next}",
        entry.id,
        entry.created.format("%d.%m %H:%M"),
        entry.request.name(),
        text::attempts(entry.attempts),
    )
}

pub(super) fn draw(frame: &mut Frame, area: Rect, screen: &QueueScreen, keys: text::KeyOf, theme: Theme) {
    let QueueScreen {
        pending,
        rejected,
        show_rejected,
        selected,
        details,
    } = screen;
    let (show_rejected, selected, details) = (*show_rejected, *selected, *details);
    let title = if show_rejected { text::REJECTED_TITLE } else { text::QUEUE_TITLE };
    let inner = dialog_frame(frame, dialog_area(area, area.width, area.height), title, theme);
    let width = inner.width as usize;
    let mut lines = vec![Line::styled(text::keyed_hint(text::QUEUE_HINT, keys), theme.dim())];
    let rows: Vec<(String, String, &QueueEntry)> = if show_rejected {
        rejected
            .iter()
            .map(|r| (summary(&r.entry), format!("{} {}", r.at.format("%d.%m %H:%M"), r.text), &r.entry))
            .collect()
    } else {
        pending
            .iter()
            .map(|e| (summary(e), e.last_error.clone().unwrap_or_default(), e))
            .collect()
    };
    if rows.is_empty() {
        lines.push(Line::raw(text::QUEUE_EMPTY));
    } else if details {
        let (head, note, entry) = &rows[selected.min(rows.len() - 1)];
        lines.push(Line::styled(head.clone(), theme.strong()));
        lines.push(Line::raw(note.clone()));
        // Requests are shown as they are logged: without secrets.
        let body = serde_json::to_vec(&entry.request).map(|b| redact(&b)).unwrap_or_default();
        lines.push(Line::raw(body));
    } else {
        let visible = (inner.height as usize).saturating_sub(1) / 2;
        let start = window_start(selected, rows.len(), visible);
        for (i, (head, note, _)) in rows.iter().enumerate().skip(start).take(visible) {
            let style = if i == selected { theme.selected() } else { Style::new() };
            lines.push(Line::styled(fit(head, width), style));
            lines.push(Line::styled(fit(&format!("   {note}"), width), theme.dim()));
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
