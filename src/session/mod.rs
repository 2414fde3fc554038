//! The session journal: every input (keys, scans, swipes) and every answer
//! (disk, printer, devices, loyalty servers) the core was given, with the
//! time, one JSON line each, in `<data dir>/sessions/session.<date>.jsonl`
//! (a file a day, the oldest removed past `[log] keep_days`).
//!
//! The core is a pure `update(state, event)`, so folding the recorded events
//! over the recorded starting state reproduces every screen the cashier saw,
//! on any machine, with the servers' recorded answers in place of the
//! servers: `kassa replay --journal FILE`.
//!
//! Phone and card numbers, SMS codes and PINs never reach the file: they are
//! replaced by pseudonyms (`mask`) that keep their shape and last four
//! digits, the same value always the same pseudonym within a run, so a
//! replay takes the same path. The key that makes them is never written.
//!
//! Records: a `snapshot` (the state a run starts from, and again at the first
//! quiet moment of each day, so each daily file replays on its own), an
//! `event`, `typed` (text typed into a dialog that asks for a number, masked
//! as a whole), and `size` (the terminal's).

mod mask;
mod recorder;
mod replay;

pub use mask::Masker;
pub use recorder::{Recorder, dir as recorder_dir};
pub use replay::{ReplayError, Replayed, replay, timeline};

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::core::event::Event;
use crate::core::queue::QueueView;
use crate::core::state::{AppState, Dialog, Durable, Settings};
use crate::devices::DeviceState;

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// The wall clock when it was recorded.
    pub at: NaiveDateTime,
    #[serde(flatten)]
    pub record: Record,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Record {
    Snapshot(Box<Snapshot>),
    Event(Box<Event>),
    /// Characters typed into a number dialog, masked together.
    Typed(String),
    /// The terminal's size.
    Size(u16, u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotReason {
    /// The workstation started: `Started` follows.
    Start,
    /// The first quiet moment of a new day's file.
    NewDay,
}

/// What the core's state is rebuilt from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub reason: SnapshotReason,
    pub settings: Settings,
    /// The catalog is not recorded: the replay loads the store's, and warns
    /// when its size differs.
    pub catalog_items: usize,
    pub now: NaiveDateTime,
    pub durable: Durable,
    pub queue: QueueView,
    pub link: Option<bool>,
    pub devices: BTreeMap<String, DeviceState>,
    pub watchers: usize,
}

impl Snapshot {
    pub fn of(state: &AppState, reason: SnapshotReason) -> Snapshot {
        Snapshot {
            reason,
            settings: state.settings.as_ref().clone(),
            catalog_items: state.catalog.len(),
            now: state.now,
            durable: state.durable.clone(),
            queue: state.queue.clone(),
            link: state.link,
            devices: state.devices.clone(),
            watchers: state.watchers,
        }
    }

    pub fn restore(self, catalog: std::sync::Arc<crate::core::catalog::Catalog>) -> AppState {
        let mut state = AppState::restore(std::sync::Arc::new(self.settings), catalog, self.durable, self.now);
        state.queue = self.queue;
        state.link = self.link;
        state.devices = self.devices;
        state.watchers = self.watchers;
        state
    }
}

impl Line {
    /// One line for a timeline: when, and what in a few words (`command pay`,
    /// `scan 4600972223306`, `loyalty_replied 3 Ok`, `typed +7•••4567`).
    pub fn summary(&self) -> String {
        let what = match &self.record {
            Record::Snapshot(snapshot) => format!("snapshot ({:?})", snapshot.reason).to_lowercase(),
            Record::Typed(text) => format!("typed {text}"),
            Record::Size(width, height) => format!("size {width}x{height}"),
            Record::Event(event) => summarize(&serde_json::to_value(event).unwrap_or_default()),
        };
        format!("{}  {what}", self.at.format("%Y-%m-%d %H:%M:%S%.3f"))
    }
}

/// An event's name and its plain value or its short fields (ids, Ok/Err).
fn summarize(event: &serde_json::Value) -> String {
    use serde_json::Value;
    let Some((name, value)) = event.as_object().and_then(|map| map.iter().next()) else {
        return event.as_str().unwrap_or("?").to_string();
    };
    let details: Vec<String> = match value {
        Value::String(text) => vec![text.clone()],
        Value::Object(fields) => fields
            .iter()
            .filter_map(|(key, value)| match value {
                Value::Number(n) => Some(format!("{key} {n}")),
                Value::String(s) if s.len() <= 40 => Some(format!("{key} {s}")),
                Value::Object(inner) if inner.contains_key("Ok") => Some(format!("{key} ok")),
                Value::Object(inner) if inner.contains_key("Err") => Some(format!("{key} error")),
                _ => None,
            })
            .collect(),
        Value::Number(n) => vec![n.to_string()],
        Value::Bool(b) => vec![b.to_string()],
        Value::Array(_) | Value::Null => Vec::new(),
    };
    let outcome = match value.as_object() {
        Some(map) if map.contains_key("Ok") => " ok",
        Some(map) if map.contains_key("Err") => " error",
        _ => "",
    };
    format!("{name}{outcome} {}", details.join(", ")).trim_end().to_string()
}

/// Dialogs that ask for a phone, a card, a code or a PIN: what is typed
/// into them is masked.
pub fn asks_for_a_number(dialog: &Dialog) -> bool {
    matches!(
        dialog,
        Dialog::Client { .. }
            | Dialog::Balance { .. }
            | Dialog::Contact { .. }
            | Dialog::Register { .. }
            | Dialog::RegistrationCode { .. }
            | Dialog::ValidationCode { .. }
            | Dialog::SpendCode { .. }
            | Dialog::Certificate { .. }
            | Dialog::CertificatePin { .. }
    )
}

/// Whether nothing is under way that a snapshot would not carry: no dialog,
/// no typing, no request or close in flight.
pub fn is_quiet(state: &AppState) -> bool {
    state.dialog.is_none()
        && state.busy.is_none()
        && state.input.is_empty()
        && state.pending_quantity.is_none()
        && state.loyalty_requests.is_empty()
        && state.printing.is_empty()
}
