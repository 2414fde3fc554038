//! Modal dialogs, drawn over the receipt area. One file per dialog.

mod age;
mod bonus;
mod cash_move;
mod certificate;
mod client;
mod confirm;
mod contact;
mod discount;
mod doubt;
mod help;
mod link_lost;
mod mark_check;
mod menu;
mod message;
mod price_check;
pub(super) use message::{draw_note, note_height};
mod open_shift;
mod payment;
mod preview;
mod promo_code;
mod quantity;
mod queue;
mod register;
mod registration;
mod return_find;
mod return_pick;
mod search;
mod spend_code;
mod validation_code;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::Theme;
use crate::core::state::{AppState, Dialog};
use crate::tui::keymap::Keymap;

pub(super) fn draw(frame: &mut Frame, area: Rect, dialog: &Dialog, state: &AppState, keymap: &Keymap, theme: Theme) {
    let key_of = |command| keymap.hint_key(command);
    let keys: crate::text::KeyOf = &key_of;
    match dialog {
        Dialog::OpenShift { name } => open_shift::draw(frame, area, name, theme),
        Dialog::CashMove { direction, amount } => cash_move::draw(frame, area, *direction, amount, state, theme),
        Dialog::Quantity { target, input } => quantity::draw(frame, area, target, input, state, theme),
        Dialog::Search { query, results, selected } => search::draw(frame, area, query, results, *selected, theme),
        Dialog::Discount { target, input } => discount::draw(frame, area, *target, input, state, theme),
        Dialog::Payment { input } => payment::draw(frame, area, input, state, keys, theme),
        Dialog::Confirm(question) => confirm::draw(frame, area, *question, keys, theme),
        Dialog::ReturnFind { input, results, selected } => return_find::draw(frame, area, input, results, *selected, theme),
        Dialog::ReturnPick {
            source,
            quantities,
            selected,
            input,
            ..
        } => return_pick::draw(frame, area, source, quantities, (*selected, input), keys, theme),
        Dialog::Preview { title, lines, scroll } => preview::draw(frame, area, title, lines, *scroll, keys, theme),
        Dialog::Menu { selected, .. } => menu::draw(frame, area, state, *selected, keymap, theme),
        Dialog::Help { scroll } => help::draw(frame, area, *scroll, keymap, theme),
        Dialog::Queue(screen) => queue::draw(frame, area, screen, keys, theme),
        Dialog::Client { input } => client::draw(frame, area, crate::text::CLIENT_TITLE, input, theme),
        Dialog::Balance { input } => client::draw(frame, area, crate::text::BALANCE_TITLE, input, theme),
        Dialog::ValidationCode { input, .. } => validation_code::draw(frame, area, input, theme),
        Dialog::PromoCode { input } => promo_code::draw(frame, area, input, theme),
        Dialog::Register { input } => register::draw_phone(frame, area, input, state.settings.flow.registration.by_code(), theme),
        Dialog::RegistrationCode { phone, input, .. } => register::draw_code(frame, area, phone, input, keys, theme),
        Dialog::Certificate { input } => certificate::draw_code(frame, area, input, theme),
        Dialog::CertificatePin { code, balance, input } => certificate::draw_pin(frame, area, code, *balance, input, theme),
        Dialog::RegisterName { phone, input } => register::draw_name(frame, area, phone, input, theme),
        Dialog::SpendCode { amount, input } => spend_code::draw(frame, area, *amount, input, theme),
        Dialog::Message { blocks, .. } => {
            let blocks: Vec<_> = blocks.iter().map(crate::text::said).collect();
            message::draw(frame, area, &blocks, keys, theme)
        }
        Dialog::Bonus { input } => bonus::draw(frame, area, input, state, keys, theme),
        Dialog::LinkLost { .. } => link_lost::draw(frame, area, keys, theme),
        Dialog::Contact { options, selected, input } => contact::draw(frame, area, options, *selected, input, theme),
        Dialog::Doubt {
            target,
            typed,
            likely,
            selected,
        } => doubt::draw(frame, area, state, (target, *typed, *likely), *selected, theme),
        Dialog::Registration => registration::draw(frame, area, state, keymap, theme),
        Dialog::PriceCheck { input, found } => price_check::draw(frame, area, input, found.as_deref(), keys, theme),
        Dialog::MarkCheck { check, .. } => mark_check::draw(frame, area, check, state, keys, theme),
        Dialog::Age { waiting } => age::draw(frame, area, waiting, state, keys, theme),
    }
}
