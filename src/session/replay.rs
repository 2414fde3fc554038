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

/// The journal's records with their 0-based line numbers, up to `until`
/// (the wall clock of the records); blank lines skipped, a broken one named.
fn records(name: &str, journal: impl BufRead, until: Option<NaiveDateTime>) -> impl Iterator<Item = Result<(usize, Line), ReplayError>> {
    journal
        .lines()
        .enumerate()
        .filter(|(_, text)| text.as_ref().map_or(true, |t| !t.trim().is_empty()))
        .map(move |(index, text)| {
            let text = text.map_err(|error| ReplayError::Read {
                name: name.to_string(),
                error,
            })?;
            let line: Line = serde_json::from_str(&text).map_err(|e| ReplayError::BadLine {
                name: name.to_string(),
                line: index + 1,
                error: e.to_string(),
            })?;
            Ok((index, line))
        })
        .take_while(move |record| !matches!((record, until), (Ok((_, line)), Some(until)) if line.at > until))
}

/// `kassa replay --journal FILE --timeline`: each record up to `until`, when and what.
pub fn timeline(name: &str, journal: impl BufRead, until: Option<NaiveDateTime>) -> Result<Vec<String>, ReplayError> {
    records(name, journal, until)
        .map(|record| record.map(|(_, line)| line.summary()))
        .collect()
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
    for record in records(name, journal, until) {
        let (index, line) = record?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::command::Command;
    use crate::core::state::{Durable, Settings};
    use crate::session::{Line, Snapshot, SnapshotReason};

    fn catalog() -> Arc<Catalog> {
        Arc::new(Catalog::from_csv("t", "code;name;price\n1;Молоко;89.90\n").expect("catalog"))
    }

    /// Journals written before the printer's problems were typed hold
    /// them as words: they still read, and show the same words.
    #[test]
    fn an_old_journal_s_printer_words_still_read() {
        use crate::core::device::{DeviceProblem, DeviceState};
        let event = |text: &str| match serde_json::from_str::<Line>(text).expect("an old line").record {
            Record::Event(event) => *event,
            other => panic!("not an event: {other:?}"),
        };
        let printed = event(
            r#"{"at":"2026-12-01T10:00:00","event":{"printed":{"job":3,"result":{"Err":"ККТ ждёт, пока допечатается документ №2 — {key:reprint}"},"refused":false}}}"#,
        );
        let words = "ККТ ждёт, пока допечатается документ №2 — {key:reprint}";
        assert_eq!(
            printed,
            Event::Printed {
                job: 3,
                result: Err(DeviceProblem::Text(words.into())),
                refused: false,
            }
        );
        // Shown as it was, its key filled in like a typed problem's.
        let problem = DeviceProblem::Text(words.into());
        assert_eq!(
            crate::text::device_problem(&problem),
            crate::text::device_problem(&DeviceProblem::WaitsFor { job: 2 })
        );
        let notice = crate::core::notice::Notice::PrintFailed(problem);
        assert!(crate::text::notice_keyed(&notice, &|_| Some("F9".into())).contains("документ №2 — F9"));
        // An old line without `refused` too.
        let printed = event(r#"{"at":"2026-12-01T10:00:00","event":{"printed":{"job":4,"result":{"Err":"нет бумаги"}}}}"#);
        assert!(matches!(printed, Event::Printed { job: 4, result: Err(DeviceProblem::Text(ref t)), refused: false } if t == "нет бумаги"));
        let device = event(
            r#"{"at":"2026-12-01T10:00:00","event":{"device":{"device":"printer","state":{"fault":"нет бумаги — вставьте рулон"}}}}"#,
        );
        assert_eq!(
            device,
            Event::Device {
                device: "printer".into(),
                state: DeviceState::Fault(DeviceProblem::Text("нет бумаги — вставьте рулон".into())),
            }
        );
        let Event::Device { state, .. } = device else { unreachable!() };
        assert_eq!(
            crate::text::device_state(&state),
            crate::text::device_state(&DeviceState::Fault(DeviceProblem::NoPaper))
        );
        let device = event(
            r#"{"at":"2026-12-01T10:00:00","event":{"device":{"device":"scanner","state":{"offline":"порт /dev/ttyUSB1: порт не найден — проверьте кабель"}}}}"#,
        );
        let Event::Device { state, .. } = device else {
            panic!("{device:?}")
        };
        assert_eq!(
            crate::text::device_state(&state),
            "нет связи (порт /dev/ttyUSB1: порт не найден — проверьте кабель)"
        );
        let ready = event(r#"{"at":"2026-12-01T10:00:00","event":{"device":{"device":"printer","state":"ready"}}}"#);
        assert!(matches!(
            ready,
            Event::Device {
                state: DeviceState::Ready,
                ..
            }
        ));
    }

    /// Typed problems go into a journal and come back as they were; one
    /// with words only is written as the words, as before.
    #[test]
    fn printer_problems_go_through_a_journal() {
        use crate::core::device::{DeviceProblem, DeviceState, PortFailure};
        use crate::core::storage::StorageFailure;
        let problems = [
            DeviceProblem::NoPaper,
            DeviceProblem::ShiftExpired,
            DeviceProblem::WaitsFor { job: 7 },
            DeviceProblem::RegistrarError {
                code: 0x6B,
                name: "Нет чековой ленты".into(),
            },
            DeviceProblem::Port {
                path: "/dev/ttyUSB0".into(),
                failure: PortFailure::NotFound,
            },
            DeviceProblem::NotSaved(StorageFailure::DiskFull { free_kib: 12 }),
            DeviceProblem::PrinterStopped,
            DeviceProblem::Text("no_paper как слова".into()),
        ];
        for problem in problems {
            for event in [
                Event::Printed {
                    job: 1,
                    result: Err(problem.clone()),
                    refused: true,
                },
                Event::Device {
                    device: "printer".into(),
                    state: DeviceState::Offline(problem.clone()),
                },
            ] {
                let text = line(Record::Event(Box::new(event.clone())));
                let back: Line = serde_json::from_str(&text).expect(&text);
                assert_eq!(back.record, Record::Event(Box::new(event)), "{text}");
            }
        }
        let text = line(Record::Event(Box::new(Event::Printed {
            job: 1,
            result: Err(DeviceProblem::Text("нет бумаги".into())),
            refused: false,
        })));
        assert!(text.contains(r#"{"Err":"нет бумаги"}"#), "{text}");
    }

    fn line(record: Record) -> String {
        serde_json::to_string(&Line {
            at: NaiveDateTime::default(),
            record,
        })
        .expect("encode")
    }

    #[test]
    fn events_after_a_snapshot_rebuild_the_state() {
        let start = AppState::restore(
            Arc::new(Settings::default()),
            catalog(),
            Durable::default(),
            NaiveDateTime::default(),
        );
        let mut journal = vec![
            line(Record::Event(Box::new(Event::Char('x')))),
            line(Record::Snapshot(Box::new(Snapshot::of(&start, SnapshotReason::Start)))),
            line(Record::Event(Box::new(Event::Command(Command::OpenShift)))),
            line(Record::Typed("Иванова".into())),
            line(Record::Event(Box::new(Event::Command(Command::Confirm)))),
            line(Record::Size(100, 30)),
        ];
        journal.push(String::new());
        let replayed = replay("j", journal.join("\n").as_bytes(), catalog(), None).expect("replayed");
        assert_eq!(replayed.skipped, 1, "the record before the snapshot");
        assert_eq!(replayed.events, 3);
        assert_eq!(replayed.size, (100, 30));
        assert_eq!(replayed.state.shift().map(|s| s.cashier.as_str()), Some("Иванова"));
    }

    #[test]
    fn a_timeline_says_when_and_what_in_a_few_words() {
        let at = |record: Record| {
            Line {
                at: NaiveDateTime::default(),
                record,
            }
            .summary()
        };
        assert_eq!(
            at(Record::Event(Box::new(Event::Command(Command::Pay)))),
            "1970-01-01 00:00:00.000  command pay"
        );
        assert_eq!(at(Record::Event(Box::new(Event::Started))), "1970-01-01 00:00:00.000  started");
        assert_eq!(
            at(Record::Event(Box::new(Event::Watchers(1)))),
            "1970-01-01 00:00:00.000  watchers 1"
        );
        let printed = Event::Printed {
            job: 3,
            result: Err("нет бумаги".into()),
            refused: false,
        };
        assert_eq!(
            at(Record::Event(Box::new(printed))),
            "1970-01-01 00:00:00.000  printed job 3, result error"
        );
        assert_eq!(
            at(Record::Event(Box::new(Event::Saved(Ok(()))))),
            "1970-01-01 00:00:00.000  saved ok"
        );
        assert_eq!(
            at(Record::Typed("+70254694567".into())),
            "1970-01-01 00:00:00.000  typed +70254694567"
        );
    }

    #[test]
    fn a_broken_line_or_no_snapshot_is_named() {
        let broken = format!("{}\nnot json\n", line(Record::Size(80, 24)));
        let error = replay("day.jsonl", broken.as_bytes(), catalog(), None).err().expect("an error");
        assert!(error.to_string().starts_with("day.jsonl:2: not a journal record"), "{error}");
        let headless = line(Record::Event(Box::new(Event::Char('1'))));
        let error = replay("day.jsonl", headless.as_bytes(), catalog(), None).err().expect("an error");
        assert!(error.to_string().contains("no snapshot"), "{error}");
    }
}
