//! What every section's reader stands on: the layers parsed and laid one
//! over the other, the places of mistakes ([`Checker`]), and the typed keys
//! of one section ([`Section`]), which reports the keys nobody read.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

use super::{Issue, Issues, Layer};

/// Offsets in the checker run over all layers' texts as if joined by
/// newlines, so each value's place names its file.
pub(crate) struct Checker<'a> {
    layers: &'a [Layer],
    /// Relative paths are taken from here.
    base: &'a Path,
    /// A layer could not be read for want of permission (support reading a
    /// store terminal's config without secrets.toml): `[loyalty]`, which
    /// needs the secrets, is left unchecked and off.
    pub(crate) secrets_withheld: bool,
    starts: Vec<usize>,
    issues: Vec<Issue>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(layers: &'a [Layer], base: &'a Path, secrets_withheld: bool) -> Checker<'a> {
        let mut starts = Vec::new();
        let mut end = 0;
        for layer in layers {
            starts.push(end);
            end += layer.text.len() + 1;
        }
        Checker {
            layers,
            base,
            secrets_withheld,
            starts,
            issues: Vec::new(),
        }
    }

    pub(crate) fn report(&mut self, offset: usize, message: String) {
        let index = self.starts.iter().rposition(|start| *start <= offset).unwrap_or(0);
        let layer = &self.layers[index];
        let offset = offset - self.starts[index];
        let before = &layer.text[..offset.min(layer.text.len())];
        let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.issues.push(Issue {
            file: layer.file.clone(),
            line,
            column,
            message,
        });
    }

    /// A path from the config: relative ones are taken from the base.
    pub(crate) fn path(&self, value: String) -> PathBuf {
        let p = PathBuf::from(value);
        if p.is_absolute() { p } else { self.base.join(p) }
    }

    /// Each layer's text behind blanks as long as the ones before it, so
    /// that its spans, once parsed, are offsets into the joined texts.
    pub(crate) fn padded_texts(&self) -> Vec<String> {
        self.layers
            .iter()
            .zip(&self.starts)
            .map(|(layer, start)| match start {
                0 => layer.text.clone(),
                start => format!("{}\n{}", " ".repeat(start - 1), layer.text),
            })
            .collect()
    }

    /// The layers' tables laid one over the other, secrets checked in each;
    /// `None` when one does not parse (its mistakes reported).
    pub(crate) fn merge<'t>(&mut self, padded: &'t [String]) -> Option<DeTable<'t>> {
        let mut root = DeTable::new();
        for (index, text) in padded.iter().enumerate() {
            match DeTable::parse(text) {
                Ok(document) => {
                    let table = document.into_inner();
                    self.check_secrets(index, &table);
                    overlay(&mut root, table);
                }
                Err(e) => self.report(e.span().map_or(0, |s| s.start), e.message().trim().to_string()),
            }
        }
        self.issues.is_empty().then_some(root)
    }

    /// Refuses secrets in a file others can read, naming the command that fixes it.
    fn check_secrets(&mut self, index: usize, table: &DeTable) {
        let layer = &self.layers[index];
        if !layer.world_readable {
            return;
        }
        let file = layer.file.clone();
        for (section, keys) in SECRET_KEYS {
            for key in *keys {
                let found = table
                    .iter()
                    .find(|(k, _)| k.get_ref() == *section)
                    .and_then(|(_, v)| match v.get_ref() {
                        DeValue::Table(t) => t.iter().find(|(k, _)| k.get_ref() == *key).map(|(k, _)| k.span().start),
                        _ => None,
                    });
                if let Some(at) = found {
                    self.report(
                        at,
                        format!(
                            "[{section}] {key} is a secret, and everyone on this machine can read {file}: run `sudo chmod o-r {file}` (the file stays readable by its owner and group)"
                        ),
                    );
                }
            }
        }
    }

    /// The config read, or every mistake found, in file order.
    pub(crate) fn result<T>(mut self, read: T) -> Result<T, Issues> {
        if self.issues.is_empty() {
            return Ok(read);
        }
        self.issues.sort_by_key(|i| (i.line, i.column));
        Err(Issues(self.issues))
    }

    /// Whatever was reported so far, as the result.
    pub(crate) fn issues(self) -> Issues {
        Issues(self.issues)
    }
}

/// Keys whose values are secrets, by section: a file holding one must not
/// be world-readable.
const SECRET_KEYS: &[(&str, &[&str])] = &[
    ("loyalty", super::loyalty::SECRET_KEYS),
    ("printer", super::devices::PRINTER_SECRET_KEYS),
];

/// Lays `later` over `merged`: a section's keys replace the same keys,
/// anything else replaces whole.
fn overlay<'a>(merged: &mut DeTable<'a>, later: DeTable<'a>) {
    for (name, value) in later {
        let existing = merged.get_mut(&name);
        match (existing.map(|e| e.get_mut()), value.get_ref()) {
            (Some(DeValue::Table(table)), DeValue::Table(_)) => {
                if let DeValue::Table(keys) = value.into_inner() {
                    for (key, value) in keys {
                        table.insert(key, value);
                    }
                }
            }
            _ => {
                merged.insert(name, value);
            }
        }
    }
}

/// Reports the top-level names that are no section of `known`.
pub(crate) fn check_section_names(root: &DeTable, checker: &mut Checker, known: &[&str]) {
    for (name, _) in root.iter() {
        if !known.contains(&name.get_ref().as_ref()) {
            checker.report(
                name.span().start,
                format!("unknown section [{}]; known: {}", name.get_ref(), known.join(", ")),
            );
        }
    }
}

/// The section `[name]`, as one to read even when absent (its reader then
/// finds no keys).
pub(crate) fn section<'a, 't>(root: &'t DeTable<'a>, checker: &mut Checker, name: &'static str) -> Section<'a, 't> {
    let entry = root.iter().find(|(k, _)| k.get_ref() == name);
    let table = entry.and_then(|(key, value)| match value.get_ref() {
        DeValue::Table(t) => Some(t),
        _ => {
            checker.report(key.span().start, format!("{name} must be a [section]"));
            None
        }
    });
    Section::new(name, table, entry.map_or(0, |(k, _)| k.span().start), 0)
}

/// The tables of `[name]` or `[[name]]`, once per device; none when absent.
pub(crate) fn repeated<'a, 't>(root: &'t DeTable<'a>, checker: &mut Checker, name: &'static str) -> Vec<Section<'a, 't>> {
    let Some((key, value)) = root.iter().find(|(k, _)| k.get_ref() == name) else {
        return Vec::new();
    };
    let start = key.span().start;
    match value.get_ref() {
        DeValue::Table(table) => vec![Section::new(name, Some(table), start, 0)],
        DeValue::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| match item.get_ref() {
                DeValue::Table(table) => Some(Section::new(name, Some(table), start, index)),
                _ => {
                    checker.report(item.span().start, format!("[[{name}]] must be a table of settings"));
                    None
                }
            })
            .collect(),
        _ => {
            checker.report(start, format!("{name} must be a [section] or [[section]]"));
            Vec::new()
        }
    }
}

type Spanned<T> = toml::Spanned<T>;

/// One entry of a table of numbers, with the places of its name and number.
pub(crate) struct TableEntry {
    pub(crate) name: String,
    pub(crate) at: usize,
    pub(crate) number: i64,
    pub(crate) number_at: usize,
}

/// Reads the keys of one section, remembering which were used.
pub(crate) struct Section<'a, 't> {
    pub(crate) name: &'static str,
    pub(crate) table: Option<&'t DeTable<'a>>,
    used: BTreeSet<&'static str>,
    /// Where the section's name is, for what is missing from it.
    pub(crate) start: usize,
    /// Which of the `[[name]]` tables this is, from 0.
    pub(crate) index: usize,
}

impl<'a, 't> Section<'a, 't> {
    fn new(name: &'static str, table: Option<&'t DeTable<'a>>, start: usize, index: usize) -> Section<'a, 't> {
        Section {
            name,
            table,
            used: BTreeSet::new(),
            start,
            index,
        }
    }

    fn value(&mut self, key: &'static str) -> Option<&'t Spanned<DeValue<'a>>> {
        self.used.insert(key);
        self.table?.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v)
    }

    pub(crate) fn string(&mut self, checker: &mut Checker, key: &'static str) -> Option<(String, usize)> {
        let value = self.value(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some((s.to_string(), value.span().start)),
            _ => {
                checker.report(value.span().start, format!("[{}] {key}: expected a string in quotes", self.name));
                None
            }
        }
    }

    pub(crate) fn integer(&mut self, checker: &mut Checker, key: &'static str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
        let value = self.value(key)?;
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i.as_str().replace('_', "").parse::<i64>().ok(),
            _ => None,
        };
        match parsed {
            Some(n) if range.contains(&n) => Some(n),
            _ => {
                let (low, high) = (range.start(), range.end());
                checker.report(
                    value.span().start,
                    format!("[{}] {key}: expected a whole number from {low} to {high}", self.name),
                );
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, checker: &mut Checker, key: &'static str) -> Option<bool> {
        let value = self.value(key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                checker.report(value.span().start, format!("[{}] {key}: expected true or false", self.name));
                None
            }
        }
    }

    pub(crate) fn strings(&mut self, checker: &mut Checker, key: &'static str) -> Option<Vec<(String, usize)>> {
        let value = self.value(key)?;
        let DeValue::Array(items) = value.get_ref() else {
            checker.report(value.span().start, format!("[{}] {key}: expected a list of strings", self.name));
            return None;
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => out.push((s.to_string(), item.span().start)),
                _ => checker.report(item.span().start, format!("[{}] {key}: expected a string in quotes", self.name)),
            }
        }
        Some(out)
    }

    /// A table of whole numbers, `key = { "a" = 1, … }`: each entry's name
    /// and place, its number and the number's place. An entry that is no
    /// whole number is reported and left out; `example` shows one that is.
    pub(crate) fn integer_table(&mut self, checker: &mut Checker, key: &'static str, example: &str) -> Option<Vec<TableEntry>> {
        let value = self.value(key)?;
        let DeValue::Table(table) = value.get_ref() else {
            checker.report(
                value.span().start,
                format!("[{}] {key}: expected a table like {example}", self.name),
            );
            return None;
        };
        let mut out = Vec::new();
        for (name, item) in table.iter() {
            let number = match item.get_ref() {
                DeValue::Integer(i) => i.as_str().replace('_', "").parse::<i64>().ok(),
                _ => None,
            };
            match number {
                Some(number) => out.push(TableEntry {
                    name: name.get_ref().to_string(),
                    at: name.span().start,
                    number,
                    number_at: item.span().start,
                }),
                None => checker.report(
                    item.span().start,
                    format!("[{}] {key}: {:?}: expected a whole number", self.name, name.get_ref()),
                ),
            }
        }
        Some(out)
    }

    /// The keys nobody asked for (typos, misplaced settings), with their places.
    /// Every key asked for must be one of `known` (the section's list, kept
    /// beside its reader).
    pub(crate) fn unread(&self, known: &[&str]) -> Vec<(String, usize)> {
        debug_assert!(
            self.used.iter().all(|key| known.contains(key)),
            "[{}] reads keys it does not list: {:?} beyond {known:?}",
            self.name,
            self.used
        );
        let Some(table) = self.table else { return Vec::new() };
        table
            .iter()
            .filter(|(key, _)| !self.used.contains(key.get_ref().as_ref()))
            .map(|(key, _)| (key.get_ref().to_string(), key.span().start))
            .collect()
    }

    /// Reports the keys nobody asked for, naming the `known` ones.
    pub(crate) fn finish(self, checker: &mut Checker, known: &[&str]) {
        for (key, at) in self.unread(known) {
            self.unknown(checker, &key, at, known);
        }
    }

    pub(crate) fn unknown(&self, checker: &mut Checker, key: &str, at: usize, known: &[&str]) {
        let hint = if known.is_empty() {
            String::new()
        } else {
            format!("; known: {}", known.join(", "))
        };
        checker.report(at, format!("[{}] unknown key {key:?}{hint}", self.name));
    }
}
