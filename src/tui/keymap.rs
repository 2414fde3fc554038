//! Keymaps: key names ↔ commands, loaded from TOML.
//!
//! A keymap file has one table, `[keys]`, of `"<key>" = "<command>"`:
//! `F5 = "pay"`, `"Ctrl+O" = "open_shift"`, `"*" = "multiply"`.
//! `"none"` as the command unbinds a default key. The default keymap is
//! embedded; a user's file is merged over it.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use thiserror::Error;
use toml::de::{DeTable, DeValue};

use crate::core::command::Command;

pub const DEFAULT_KEYMAP: &str = include_str!("../../keymaps/default.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Backspace,
    Delete,
    Insert,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
}

/// A key with its modifiers. Character keys carry their case in the
/// character itself, so Shift is only kept for non-character keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Chord {
    pub key: Key,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

const NAMED: &[(&str, Key)] = &[
    ("Enter", Key::Enter),
    ("Esc", Key::Esc),
    ("Backspace", Key::Backspace),
    ("Delete", Key::Delete),
    ("Insert", Key::Insert),
    ("Tab", Key::Tab),
    ("BackTab", Key::BackTab),
    ("Up", Key::Up),
    ("Down", Key::Down),
    ("Left", Key::Left),
    ("Right", Key::Right),
    ("Home", Key::Home),
    ("End", Key::End),
    ("PageUp", Key::PageUp),
    ("PageDown", Key::PageDown),
    ("Space", Key::Char(' ')),
    // Aliases, accepted when reading; the names above are shown.
    ("Del", Key::Delete),
    ("Ins", Key::Insert),
    ("PgUp", Key::PageUp),
    ("PgDn", Key::PageDown),
    ("Escape", Key::Esc),
    ("Return", Key::Enter),
];

impl Chord {
    pub fn plain(key: Key) -> Chord {
        Chord {
            key,
            ctrl: false,
            alt: false,
            shift: false,
        }
        .normalized()
    }

    /// Ctrl/Alt + letter ignore case; Shift on a character is in the character.
    pub fn normalized(mut self) -> Chord {
        if let Key::Char(c) = self.key {
            self.shift = false;
            if self.ctrl || self.alt {
                self.key = Key::Char(c.to_ascii_lowercase());
            }
        }
        self
    }

    /// Parses "F5", "Ctrl+O", "Alt+1", "Shift+F1", "Enter", "*", "Space".
    pub fn parse(text: &str) -> Option<Chord> {
        let mut chord = Chord {
            key: Key::Esc,
            ctrl: false,
            alt: false,
            shift: false,
        };
        let mut rest = text;
        while let Some((modifier, tail)) = rest.split_once('+').filter(|(m, t)| !m.is_empty() && !t.is_empty()) {
            match modifier.to_ascii_lowercase().as_str() {
                "ctrl" => chord.ctrl = true,
                "alt" => chord.alt = true,
                "shift" => chord.shift = true,
                _ => break,
            }
            rest = tail;
        }
        chord.key = parse_key(rest)?;
        Some(chord.normalized())
    }
}

fn parse_key(text: &str) -> Option<Key> {
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return (!c.is_control()).then_some(Key::Char(c));
    }
    if let Some(number) = text.strip_prefix(['F', 'f']).and_then(|n| n.parse::<u8>().ok()) {
        return (1..=24).contains(&number).then_some(Key::F(number));
    }
    NAMED.iter().find(|(name, _)| name.eq_ignore_ascii_case(text)).map(|(_, key)| *key)
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl+")?;
        }
        if self.alt {
            f.write_str("Alt+")?;
        }
        if self.shift {
            f.write_str("Shift+")?;
        }
        match self.key {
            Key::Char(' ') => f.write_str("Space"),
            Key::Char(c) if self.ctrl || self.alt => write!(f, "{}", c.to_ascii_uppercase()),
            Key::Char(c) => write!(f, "{c}"),
            Key::F(n) => write!(f, "F{n}"),
            Key::Delete => f.write_str("Del"),
            Key::Insert => f.write_str("Ins"),
            Key::PageUp => f.write_str("PgUp"),
            Key::PageDown => f.write_str("PgDn"),
            other => {
                let name = NAMED.iter().find(|(_, k)| *k == other).map_or("?", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeymapError {
    #[error("{file}:{line}: {message}")]
    Syntax { file: String, line: usize, message: String },
    #[error("{file}:{line}: unknown key {key:?} (use names like F5, Ctrl+O, Enter, Esc, Delete, PageUp, or one character)")]
    UnknownKey { file: String, line: usize, key: String },
    #[error("{file}:{line}: unknown command {command:?} for key {key:?} (see `kassa keys` for the list)")]
    UnknownCommand {
        file: String,
        line: usize,
        key: String,
        command: String,
    },
    #[error("{file}:{line}: key {key} is bound twice (first on line {first_line})")]
    DuplicateKey {
        file: String,
        line: usize,
        key: String,
        first_line: usize,
    },
    #[error("{file}:{line}: {message}")]
    Shape { file: String, line: usize, message: String },
    #[error("{file}: cannot read: {message}")]
    Read { file: String, message: String },
}

/// One binding as written in a file: `None` unbinds.
type Bindings = Vec<(Chord, Option<Command>)>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: HashMap<Chord, Command>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

/// Parses one keymap file, checking every key and command.
pub fn parse(file: &str, text: &str) -> Result<Bindings, KeymapError> {
    let document = DeTable::parse(text).map_err(|e| KeymapError::Syntax {
        file: file.to_string(),
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        message: e.message().trim().to_string(),
    })?;
    let shape = |line: usize, message: &str| KeymapError::Shape {
        file: file.to_string(),
        line,
        message: message.to_string(),
    };
    let mut bindings = Vec::new();
    let mut first_line: HashMap<Chord, usize> = HashMap::new();
    for (name, value) in document.get_ref() {
        let line = line_of(text, name.span().start);
        if name.get_ref() != "keys" {
            return Err(shape(
                line,
                &format!("unknown table {:?}: a keymap has only [keys]", name.get_ref()),
            ));
        }
        let DeValue::Table(keys) = value.get_ref() else {
            return Err(shape(line, "[keys] must be a table of \"key\" = \"command\""));
        };
        for (key, command) in keys {
            let line = line_of(text, key.span().start);
            let key_text = key.get_ref().to_string();
            let chord = Chord::parse(&key_text).ok_or_else(|| KeymapError::UnknownKey {
                file: file.to_string(),
                line,
                key: key_text.clone(),
            })?;
            let DeValue::String(command_text) = command.get_ref() else {
                return Err(shape(line, &format!("the command for {key_text:?} must be a string")));
            };
            let command = match command_text.as_ref() {
                "none" => None,
                name => Some(Command::from_name(name).ok_or_else(|| KeymapError::UnknownCommand {
                    file: file.to_string(),
                    line,
                    key: key_text.clone(),
                    command: name.to_string(),
                })?),
            };
            if let Some(&first) = first_line.get(&chord) {
                return Err(KeymapError::DuplicateKey {
                    file: file.to_string(),
                    line,
                    key: chord.to_string(),
                    first_line: first,
                });
            }
            first_line.insert(chord, line);
            bindings.push((chord, command));
        }
    }
    Ok(bindings)
}

impl Keymap {
    /// The embedded default keymap.
    pub fn default_keymap() -> Keymap {
        let mut keymap = Keymap { bindings: HashMap::new() };
        // The embedded file is checked by a unit test, so it always parses.
        if let Ok(bindings) = parse("keymaps/default.toml", DEFAULT_KEYMAP) {
            keymap.merge(bindings);
        }
        keymap
    }

    /// The defaults with `path` merged over them.
    pub fn load(path: &Path) -> Result<Keymap, KeymapError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| KeymapError::Read {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let mut keymap = Keymap::default_keymap();
        keymap.merge(parse(&file, &text)?);
        Ok(keymap)
    }

    fn merge(&mut self, bindings: Bindings) {
        for (chord, command) in bindings {
            match command {
                Some(command) => self.bindings.insert(chord, command),
                None => self.bindings.remove(&chord),
            };
        }
    }

    pub fn command(&self, chord: &Chord) -> Option<Command> {
        self.bindings.get(chord).copied()
    }

    /// The keys bound to `command`, shortest name first (for hints).
    pub fn keys_for(&self, command: Command) -> Vec<Chord> {
        let mut keys: Vec<Chord> = self.bindings.iter().filter(|(_, c)| **c == command).map(|(k, _)| *k).collect();
        keys.sort_by_key(|k| {
            let name = k.to_string();
            (name.chars().count(), name)
        });
        keys
    }

    /// What a key does: its bound command, or typing its character.
    pub fn event(&self, chord: &Chord) -> Option<crate::core::event::Event> {
        use crate::core::event::Event;
        if let Some(command) = self.command(chord) {
            return Some(Event::Command(command));
        }
        match chord {
            Chord {
                key: Key::Char(c),
                ctrl: false,
                alt: false,
                ..
            } => Some(Event::Char(*c)),
            _ => None,
        }
    }

    /// The name to show in hints for `command`, if it has a key.
    pub fn hint_key(&self, command: Command) -> Option<String> {
        self.keys_for(command).first().map(Chord::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_key_names() {
        for name in ["F5", "Ctrl+O", "Alt+1", "Shift+F1", "Enter", "*", "Del", "PgDn", "Space", "+"] {
            let chord = Chord::parse(name).unwrap_or_else(|| panic!("{name} parses"));
            assert_eq!(Chord::parse(&chord.to_string()), Some(chord), "{name}");
        }
        assert_eq!(Chord::parse("ctrl+o"), Chord::parse("Ctrl+O"));
        assert_eq!(Chord::parse("F25"), None);
        assert_eq!(Chord::parse("Hyper+X"), None);
    }

    #[test]
    fn default_keymap_parses_has_no_duplicates_and_binds_every_command() {
        let bindings = parse("default.toml", DEFAULT_KEYMAP).expect("the embedded keymap is valid");
        let keymap = Keymap::default_keymap();
        assert_eq!(keymap.bindings.len(), bindings.len(), "a key is bound twice");
        for &command in Command::ALL {
            assert!(keymap.hint_key(command).is_some(), "{} has no key", command.name());
        }
        for chord in keymap.bindings.keys() {
            let modifiers = [chord.ctrl, chord.alt, chord.shift].iter().filter(|m| **m).count();
            assert!(modifiers <= 1, "{chord} uses more than one modifier");
        }
    }

    #[test]
    fn user_file_overrides_and_unbinds() {
        let mut keymap = Keymap::default_keymap();
        keymap.merge(parse("user.toml", "[keys]\nF5 = \"search\"\nF12 = \"none\"\n").expect("valid"));
        assert_eq!(keymap.command(&Chord::plain(Key::F(5))), Some(Command::Search));
        assert_eq!(keymap.command(&Chord::plain(Key::F(12))), None);
    }
}
