//! Registering a new loyalty client: the phone, then the SMS code sent to
//! it (KilBil) or the guest's name (ProBonus).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::{Theme, dialog_area, dialog_frame, field};
use crate::text;

/// `by_sms`: the protocol confirms the phone with an SMS code.
pub(super) fn draw_phone(frame: &mut Frame, area: Rect, input: &str, by_sms: bool, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 60, 5), text::REGISTER_TITLE, theme);
    let prompt = if by_sms {
        text::REGISTER_PROMPT
    } else {
        text::REGISTER_PHONE_PROMPT
    };
    let lines = vec![Line::styled(prompt, theme.dim()), field(text::PHONE, input, theme)];
    frame.render_widget(Paragraph::new(lines), inner);
}

pub(super) fn draw_name(frame: &mut Frame, area: Rect, phone: &str, input: &str, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 60, 6), text::REGISTER_TITLE, theme);
    let lines = vec![
        Line::raw(format!("{}: {phone}", text::PHONE)),
        Line::styled(text::REGISTER_NAME_PROMPT, theme.dim()),
        field(text::GUEST_NAME, input, theme),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}

pub(super) fn draw_code(frame: &mut Frame, area: Rect, phone: &str, input: &str, keys: text::KeyOf, theme: Theme) {
    let inner = dialog_frame(frame, dialog_area(area, 60, 7), text::REGISTER_TITLE, theme);
    let lines = vec![
        Line::raw(format!("{}: {phone}", text::PHONE)),
        Line::styled(text::VALIDATION_PROMPT, theme.dim()),
        field(text::CODE, input, theme),
        Line::styled(text::keyed_hint(text::RESEND_CODE_HINT, keys), theme.dim()),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}
