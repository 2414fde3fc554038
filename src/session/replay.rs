//! `kassa replay --journal FILE`: the core's state rebuilt from a session
//! journal — the recorded snapshot, then every recorded event through
//! `update`, their effects not run (the answers they got are in the file).

use chrono::NaiveDateTime;
use std::io::BufRead;
use std::sync::Arc;

use super::{Line, Record};
use crate::core::catalog::Catalog;
use crate::core::event::Event;
use crate::core::state::AppState;
use crate::core::update::update;

/// Where a replay ended.
pub struct Replayed {
    pub state: AppState,
    /// The terminal's size last recorded (80x24 when none was).
    pub size: (u16, u16),
    /// Events replayed, and the times of the first and last record replayed.
    pub events: usize,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// Records before the first snapshot, which cannot be replayed.
    pub skipped: usize,
    /// What support should know (a different catalog, a restart).
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("{name}:{line}: not a journal record ({error})")]
    BadLine { name: String, line: usize, error: String },
    #[error("{name}: cannot read it: {error}")]
    Read { name: String, error: std::io::Error },
    #[error("{name}: no snapshot to start from ({skipped} records, none a snapshot): give the file of the day before too")]
    NoSnapshot { name: String, skipped: usize },
}

/// Replays `journal` (named `name` in messages) up to `until` (the wall
/// clock of the records), with `catalog` for the goods.
pub fn replay(name: &str, journal: impl BufRead, catalog: Arc<Catalog>, until: Option<NaiveDateTime>) -> Result<Replayed, ReplayError> {
    let mut state: Option<AppState> = None;
    let mut replayed = Replayed {
        state: AppState::restore(Default::default(), catalog.clone(), Default::default(), NaiveDateTime::default()),
        size: (80, 24),
        events: 0,
        from: None,
        to: None,
        skipped: 0,
        notes: Vec::new(),
    };
    for (index, text) in journal.lines().enumerate() {
        let text = text.map_err(|error| ReplayError::Read {
            name: name.to_string(),
            error,
        })?;
        if text.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(&text).map_err(|e| ReplayError::BadLine {
            name: name.to_string(),
            line: index + 1,
            error: e.to_string(),
        })?;
        if until.is_some_and(|until| line.at > until) {
            break;
        }
        match (line.record, state.as_mut()) {
            (Record::Snapshot(snapshot), current) => {
                if snapshot.catalog_items != catalog.len() {
                    replayed.notes.push(format!(
                        "line {}: the till's catalog had {} items, this one has {}: scans may differ",
                        index + 1,
                        snapshot.catalog_items,
                        catalog.len()
                    ));
                }
                if current.is_some() && snapshot.reason == super::SnapshotReason::Start {
                    replayed
                        .notes
                        .push(format!("line {}: the workstation started again at {}", index + 1, line.at));
                }
                state = Some(snapshot.restore(catalog.clone()));
            }
            (Record::Size(width, height), _) => replayed.size = (width, height),
            (_, None) => {
                replayed.skipped += 1;
                continue;
            }
            (Record::Event(event), Some(state)) => {
                update(state, *event);
                replayed.events += 1;
            }
            (Record::Typed(text), Some(state)) => {
                for c in text.chars() {
                    update(state, Event::Char(c));
                }
                replayed.events += 1;
            }
        }
        replayed.from.get_or_insert(line.at);
        replayed.to = Some(line.at);
    }
    match state {
        Some(state) => {
            replayed.state = state;
            Ok(replayed)
        }
        None => Err(ReplayError::NoSnapshot {
            name: name.to_string(),
            skipped: replayed.skipped,
        }),
    }
}
