//! Registering a new client with the loyalty server: the phone, the name
//! where the protocol wants one (ProBonus creates the account with it,
//! MaxBonus confirms the registration with it), the SMS code — Tab asks for
//! another —, and the new client put on the receipt when one can take them.

use super::client::identified;
use super::link::send;
use super::receipt_offline;
use crate::core::command::Command;
use crate::core::effect::Effect;
use crate::core::event::Event;
use crate::core::loyalty::{ClientId, LoyaltyError, Profile, Reply, Request};
use crate::core::notice::Notice;
use crate::core::state::{AppState, Dialog, LoyaltyPurpose};
use crate::core::update::{edit, registration};

pub(super) fn register_command(state: &mut AppState) {
    if state.receipt().is_none()
        && let Err(notice) = registration::check_registered(state)
    {
        // The new client would start the next receipt.
        state.notice = Some(notice);
    } else if !state.settings.flow.registration.supported() {
        state.notice = Some(Notice::NotInProtocol(Command::RegisterClient));
    } else if receipt_offline(state) {
        state.notice = Some(Notice::LoyaltyOffline);
    } else {
        state.dialog = Some(Dialog::Register { input: String::new() });
    }
}

/// A new client's phone: the server sends the SMS code.
pub(in crate::core::update) fn register_dialog(state: &mut AppState, mut input: String, event: Event, effects: &mut Vec<Effect>) {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::Register { input });
        return;
    }
    match event {
        Event::Command(Command::Confirm) => match ClientId::parse(&input) {
            Some(ClientId::Phone(phone)) if state.settings.flow.registration.asks_name() => {
                state.dialog = Some(Dialog::RegisterName {
                    phone,
                    input: String::new(),
                });
            }
            Some(ClientId::Phone(phone)) => register(state, phone, Profile::default(), effects),
            _ => {
                state.notice = Some(Notice::BadClientId(input.trim().to_string()));
                state.dialog = Some(Dialog::Register { input });
            }
        },
        Event::Command(Command::Cancel) => {}
        _ => state.dialog = Some(Dialog::Register { input }),
    }
}

fn register(state: &mut AppState, phone: String, profile: Profile, effects: &mut Vec<Effect>) {
    let request = Request::Register {
        phone: phone.clone(),
        profile: profile.clone(),
    };
    send(state, LoyaltyPurpose::Register { phone, profile }, request, effects);
}

/// A new guest's name (ProBonus creates the account with it, MaxBonus
/// confirms the registration with it): surname, name and patronymic, in that
/// order, at least the name; then, optionally, the birth date and the sex.
pub(in crate::core::update) fn register_name_dialog(
    state: &mut AppState,
    phone: String,
    mut input: String,
    event: Event,
    effects: &mut Vec<Effect>,
) {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::RegisterName { phone, input });
        return;
    }
    match event {
        Event::Command(Command::Confirm) => match profile_of(&input) {
            Some(profile) => register(state, phone, profile, effects),
            None => {
                state.notice = Some(Notice::NameNeeded);
                state.dialog = Some(Dialog::RegisterName { phone, input });
            }
        },
        Event::Command(Command::Cancel) => state.dialog = Some(Dialog::Register { input: phone }),
        _ => state.dialog = Some(Dialog::RegisterName { phone, input }),
    }
}

/// "Иванова Мария Петровна 01.02.1990 ж" → surname, name, patronymic,
/// birth date, sex; one word is the name. The date (`ДД.ММ.ГГГГ`) and the
/// sex (`м`/`ж`) may come last, in either order.
fn profile_of(text: &str) -> Option<Profile> {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    let mut birth_date = None;
    let mut sex = None;
    while let Some(last) = words.last() {
        if let Ok(date) = chrono::NaiveDate::parse_from_str(last, "%d.%m.%Y") {
            birth_date = birth_date.or(Some(date));
        } else if let Some(s) = sex_of(last) {
            sex = sex.or(Some(s));
        } else {
            break;
        }
        words.pop();
    }
    let word = |i: usize| words.get(i).map_or(String::new(), |w| w.to_string());
    let profile = match words.len() {
        0 => return None,
        1 => Profile {
            name: word(0),
            ..Profile::default()
        },
        _ => Profile {
            surname: word(0),
            name: word(1),
            patronymic: words.get(2..).map_or(String::new(), |rest| rest.join(" ")),
            ..Profile::default()
        },
    };
    Some(Profile {
        birth_date,
        sex,
        ..profile
    })
}

fn sex_of(word: &str) -> Option<char> {
    match word.to_lowercase().as_str() {
        "м" | "муж" | "мужской" => Some('м'),
        "ж" | "жен" | "женский" => Some('ж'),
        _ => None,
    }
}

/// The SMS code of a registration; Tab asks for it again.
pub(in crate::core::update) fn registration_code_dialog(
    state: &mut AppState,
    phone: String,
    profile: Profile,
    mut input: String,
    event: Event,
    effects: &mut Vec<Effect>,
) {
    if edit(state, &mut input, &event) {
        state.dialog = Some(Dialog::RegistrationCode { phone, profile, input });
        return;
    }
    match event {
        Event::Command(Command::Confirm) => {
            let request = Request::ConfirmRegistration {
                phone: phone.clone(),
                code: input.trim().to_string(),
                profile: profile.clone(),
            };
            send(state, LoyaltyPurpose::ConfirmRegistration { phone, profile }, request, effects);
        }
        Event::Command(Command::NextField) => {
            let request = Request::ResendRegistrationCode { phone: phone.clone() };
            send(state, LoyaltyPurpose::ResendCode { phone, profile }, request, effects);
        }
        Event::Command(Command::Cancel) => {}
        _ => state.dialog = Some(Dialog::RegistrationCode { phone, profile, input }),
    }
}

pub(in crate::core::update) fn register_answer(state: &mut AppState, phone: String, profile: Profile, result: Result<Reply, LoyaltyError>) {
    match result {
        // No code to confirm (ProBonus): the guest exists now.
        Ok(reply) if !state.settings.flow.registration.by_code() => registered(state, phone, &reply),
        Ok(_) => code_sent(state, phone, profile),
        Err(error) => {
            state.notice = Some(Notice::LoyaltyAnswer(error));
            state.dialog = Some(Dialog::Register { input: phone });
        }
    }
}

/// The registration's SMS code checked: the client exists, or the code is typed again.
pub(in crate::core::update) fn confirm_answer(state: &mut AppState, phone: String, profile: Profile, result: Result<Reply, LoyaltyError>) {
    match result {
        Ok(reply) => registered(state, phone, &reply),
        Err(error) => code_refused(state, phone, profile, error),
    }
}

/// Another SMS code asked for (Tab).
pub(in crate::core::update) fn resend_answer(state: &mut AppState, phone: String, profile: Profile, result: Result<Reply, LoyaltyError>) {
    match result {
        Ok(_) => code_sent(state, phone, profile),
        Err(error) => code_refused(state, phone, profile, error),
    }
}

/// The code was wrong or stale: typed again, or a new one asked with Tab.
fn code_refused(state: &mut AppState, phone: String, profile: Profile, error: LoyaltyError) {
    state.notice = Some(Notice::LoyaltyAnswer(error));
    state.dialog = Some(Dialog::RegistrationCode {
        phone,
        profile,
        input: String::new(),
    });
}

/// The registration's SMS code went out: the cashier types it next.
fn code_sent(state: &mut AppState, phone: String, profile: Profile) {
    state.notice = Some(Notice::CodeSent);
    state.dialog = Some(Dialog::RegistrationCode {
        phone,
        profile,
        input: String::new(),
    });
}

/// A new client exists: on the receipt, if one can take them now.
fn registered(state: &mut AppState, phone: String, reply: &Reply) {
    let can_take = state.shift().is_some()
        && !receipt_offline(state)
        && state
            .receipt()
            .is_none_or(|r| r.loyalty.is_none() && !r.is_return() && r.payments.is_empty());
    if can_take {
        identified(state, ClientId::Phone(phone), reply);
    }
    state.notice = Some(Notice::ClientRegistered);
}
