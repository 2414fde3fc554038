//! Writing the journal from the runtime, off the cashier's thread (a
//! background writer, as for the logs: a slow disk never stalls the screen).
//!
//! Most clock ticks change nothing but the time: such a tick is held back
//! and written only before the next record, so a quiet hour costs no lines
//! and a replay still sees the time every input had.
//!
//! Typing into a number dialog (characters, Backspace) is held until the
//! next other input and written as one masked `typed` record — a pseudonym
//! is made of the whole number as entered, so a phone typed with a
//! correction still replays as a phone. Answers that come meanwhile (a save,
//! a print) are written after it: typing into a field does not depend on them.

use chrono::{Local, NaiveDate, NaiveDateTime, Utc};
use std::io::Write;
use std::path::Path;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_appender::rolling::{RollingFileAppender, Rotation};

use super::{Line, Masker, Record, Snapshot, SnapshotReason};
use crate::core::command::Command;
use crate::core::event::Event;
use crate::core::state::AppState;
use crate::core::update::update;

pub struct Recorder {
    out: Box<dyn Write + Send>,
    _flush: Option<WorkerGuard>,
    masker: Masker,
    /// Typing into a number dialog not yet written.
    typing: Option<Typing>,
    /// The last tick that changed only the time.
    held_tick: Option<(NaiveDateTime, Event)>,
    /// Input waiting in the busy core, with what came meanwhile.
    waiting: Option<Waiting>,
    /// The UTC day of the file that has its snapshot (files roll at UTC midnight).
    snapshot_day: Option<NaiveDate>,
    broken: bool,
}

/// Typing held back: the field as typed from where it began, and what
/// else came meanwhile.
struct Typing {
    at: NaiveDateTime,
    /// Backspaces that erased what the field held before.
    erased: usize,
    value: String,
    meanwhile: Vec<(NaiveDateTime, Record)>,
}

impl Typing {
    fn edit(&mut self, event: &Event) {
        match event {
            Event::Char(c) => self.value.push(*c),
            _ => {
                if self.value.pop().is_none() {
                    self.erased += 1;
                }
            }
        }
    }
}

/// What `Recorder::after` needs of the event and the state before it.
pub struct Coming {
    event: Event,
    number_dialog: bool,
}

/// Events held while input waits in the busy core, and the state before.
struct Waiting {
    start: Box<AppState>,
    held: Vec<(NaiveDateTime, Event)>,
}

/// For each held event: whether it is typing (or a scan) that the core
/// handled in a dialog asking for a number. Found by running a copy of the
/// core over them the way the core defers input: waiting while busy,
/// handled in order once an answer ends the wait.
fn landed_in_number_dialogs(mut probe: AppState, held: &[(NaiveDateTime, Event)]) -> Vec<bool> {
    let mut masked = vec![false; held.len()];
    let mut queued = std::collections::VecDeque::new();
    let mut feed = |probe: &mut AppState, index: usize| {
        let event = &held[index].1;
        let typing = matches!(event, Event::Char(_) | Event::Scan(_) | Event::Command(Command::Backspace));
        masked[index] = typing && probe.dialog.as_ref().is_some_and(super::asks_for_a_number);
        update(probe, event.clone());
    };
    for (index, (_, event)) in held.iter().enumerate() {
        if !is_input(event) {
            update(&mut probe, event.clone());
        } else if crate::core::update::defers(&probe, event) {
            queued.push_back(index);
            continue;
        } else {
            feed(&mut probe, index);
        }
        while !crate::core::update::holds_input(&probe) {
            let Some(next) = queued.pop_front() else { break };
            feed(&mut probe, next);
        }
    }
    masked
}

/// Whether the cashier (or a device in their hand) made the event.
fn is_input(event: &Event) -> bool {
    matches!(event, Event::Command(_) | Event::Char(_) | Event::Scan(_) | Event::Swipe(_))
}

pub fn dir(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("sessions")
}

impl Recorder {
    /// Journals into `<data dir>/sessions`, a file a day, `keep_days` kept.
    pub fn open(data_dir: &Path, keep_days: usize) -> std::io::Result<Recorder> {
        let dir = dir(data_dir);
        crate::private::dir(&dir, crate::private::DIR)?;
        let files = RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix("session")
            .filename_suffix("jsonl")
            .max_log_files(keep_days.max(1))
            .build(&dir)
            .map_err(std::io::Error::other)?;
        // Written from the cashier's thread: when the disk stops taking lines
        // and the buffer (128k lines) is full, lines are dropped rather than
        // the screen frozen. The journal is for support; the store is what
        // must not lose anything, and its own watchdog tells the cashier.
        let (writer, guard) = NonBlockingBuilder::default().lossy(true).finish(files);
        Ok(Recorder::new(Box::new(writer), Some(guard), Masker::default()))
    }

    /// Journals into any writer (tests, benchmarks).
    pub fn to_writer(out: Box<dyn Write + Send>, masker: Masker) -> Recorder {
        Recorder::new(out, None, masker)
    }

    fn new(out: Box<dyn Write + Send>, flush: Option<WorkerGuard>, masker: Masker) -> Recorder {
        Recorder {
            out,
            _flush: flush,
            masker,
            typing: None,
            held_tick: None,
            waiting: None,
            snapshot_day: None,
            broken: false,
        }
    }

    /// The state a run starts from, before `Started`.
    pub fn start(&mut self, state: &AppState) {
        self.snapshot(state, SnapshotReason::Start);
    }

    pub fn size(&mut self, width: u16, height: u16) {
        self.write(Local::now().naive_local(), Record::Size(width, height));
    }

    /// Called before the core handles `event`: what `after` needs.
    pub fn before(&mut self, state: &AppState, event: &Event) -> Coming {
        // Input while the core is busy waits in the core; where it lands
        // (a code dialog, the sale screen) is known only once it is handled.
        if self.waiting.is_none() && state.busy.is_some() && is_input(event) {
            self.waiting = Some(Waiting {
                start: Box::new(state.clone()),
                held: Vec::new(),
            });
        }
        Coming {
            event: event.clone(),
            number_dialog: state.dialog.as_ref().is_some_and(super::asks_for_a_number),
        }
    }

    /// Called after the core handled the event; `changed_more`: it led to effects.
    pub fn after(&mut self, coming: Coming, state: &AppState, changed_more: bool) {
        let now = Local::now().naive_local();
        let Some(waiting) = self.waiting.as_mut() else {
            self.take(now, coming.event, coming.number_dialog, changed_more);
            return;
        };
        waiting.held.push((now, coming.event));
        if state.busy.is_none() && state.deferred.is_empty() {
            self.settle_waiting();
        }
    }

    /// Writes what waited, each input masked by where the core put it.
    fn settle_waiting(&mut self) {
        let Some(waiting) = self.waiting.take() else { return };
        let masked = landed_in_number_dialogs(*waiting.start, &waiting.held);
        for ((at, event), masked) in waiting.held.into_iter().zip(masked) {
            self.take(at, event, masked, true);
        }
    }

    fn take(&mut self, now: NaiveDateTime, event: Event, number_dialog: bool, changed_more: bool) {
        match event {
            Event::Tick(_) if !changed_more => {
                self.held_tick = Some((now, event));
            }
            Event::Char(_) | Event::Command(Command::Backspace) if number_dialog => {
                if self.typing.is_none() {
                    self.release_tick();
                }
                let typing = self.typing.get_or_insert_with(|| Typing {
                    at: now,
                    erased: 0,
                    value: String::new(),
                    meanwhile: Vec::new(),
                });
                typing.edit(&event);
            }
            Event::Scan(code) if number_dialog => {
                let masked = self.masker.pseudonym(&code);
                self.write(now, Record::Event(Box::new(Event::Scan(masked))));
            }
            event if !is_input(&event) && self.typing.is_some() => {
                if let Some(typing) = self.typing.as_mut() {
                    typing.meanwhile.push((now, Record::Event(Box::new(event))));
                }
            }
            event => self.write(now, Record::Event(Box::new(event))),
        }
    }

    /// At a quiet moment: the first one of a new UTC day writes a snapshot,
    /// so that day's file replays on its own.
    pub fn quiet(&mut self, state: &AppState) {
        if self.waiting.is_none() && self.snapshot_day != Some(Utc::now().date_naive()) {
            self.snapshot(state, SnapshotReason::NewDay);
        }
    }

    /// Writes what is held (at shutdown).
    pub fn finish(&mut self) {
        self.settle_waiting();
        self.release_typed();
        self.release_tick();
        let _ = self.out.flush();
    }

    fn snapshot(&mut self, state: &AppState, reason: SnapshotReason) {
        self.snapshot_day = Some(Utc::now().date_naive());
        self.write(Local::now().naive_local(), Record::Snapshot(Box::new(Snapshot::of(state, reason))));
    }

    fn release_typed(&mut self) {
        let Some(typing) = self.typing.take() else { return };
        for _ in 0..typing.erased {
            self.put(typing.at, Record::Event(Box::new(Event::Command(Command::Backspace))));
        }
        if !typing.value.is_empty() {
            let masked = self.masker.pseudonym(&typing.value);
            self.put(typing.at, Record::Typed(masked));
        }
        for (at, record) in typing.meanwhile {
            self.put(at, record);
        }
    }

    fn release_tick(&mut self) {
        if let Some((at, tick)) = self.held_tick.take() {
            self.put(at, Record::Event(Box::new(tick)));
        }
    }

    /// Writes what is held, then `record`, which happened `at`.
    fn write(&mut self, at: NaiveDateTime, record: Record) {
        self.release_typed();
        self.release_tick();
        self.put(at, record);
    }

    fn put(&mut self, at: NaiveDateTime, record: Record) {
        // Typing is masked already, as a whole; masking it again would make
        // a pseudonym of a pseudonym.
        let masked_already = matches!(record, Record::Typed(_) | Record::Size(..));
        let line = Line { at, record };
        let written = serde_json::to_value(&line).map_err(std::io::Error::other).and_then(|mut value| {
            if !masked_already {
                self.masker.mask_json(&mut value);
            }
            let mut text = value.to_string();
            text.push('\n');
            self.out.write_all(text.as_bytes())
        });
        // The journal is for support: a failure is logged once, the till sells on.
        match written {
            Ok(()) => self.broken = false,
            Err(e) if !self.broken => {
                self.broken = true;
                tracing::error!(target: "kassa::session", "the session journal cannot be written: {e}");
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::Catalog;
    use crate::core::state::{Dialog, Durable, Settings};
    use crate::session::Line;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn records(out: &Shared) -> Vec<Record> {
        let text = String::from_utf8(out.0.lock().expect("lock").clone()).expect("utf-8");
        text.lines()
            .map(|l| serde_json::from_str::<Line>(l).expect("a line").record)
            .collect()
    }

    fn state() -> AppState {
        let catalog = Arc::new(Catalog::from_csv("t", "code;name;price\n1;Молоко;89.90\n").expect("catalog"));
        AppState::restore(Arc::new(Settings::default()), catalog, Durable::default(), Default::default())
    }

    fn feed(recorder: &mut Recorder, state: &mut AppState, event: Event) {
        let coming = recorder.before(state, &event);
        let effects = update(state, event);
        recorder.after(coming, state, !effects.is_empty());
    }

    fn tick(minute: u32) -> Event {
        Event::Tick(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
                .and_then(|d| d.and_hms_opt(9, minute, 0))
                .expect("time"),
        )
    }

    #[test]
    fn idle_ticks_wait_for_the_next_record_and_only_the_last_is_written() {
        let out = Shared::default();
        let mut recorder = Recorder::to_writer(Box::new(out.clone()), Masker::with_key([3; 16]));
        let mut state = state();
        recorder.start(&state);
        for minute in 0..30 {
            feed(&mut recorder, &mut state, tick(minute));
        }
        assert_eq!(records(&out).len(), 1, "only the snapshot so far");
        feed(&mut recorder, &mut state, Event::Char('1'));
        let written = records(&out);
        assert_eq!(written.len(), 3);
        assert_eq!(written[1], Record::Event(Box::new(tick(29))));
        assert_eq!(
            written[2],
            Record::Event(Box::new(Event::Char('1'))),
            "typing on the sale screen is in clear"
        );
    }

    #[test]
    fn a_number_typed_with_a_correction_is_one_masked_record_and_answers_follow_it() {
        let out = Shared::default();
        let mut recorder = Recorder::to_writer(Box::new(out.clone()), Masker::with_key([3; 16]));
        let mut state = state();
        recorder.start(&state);
        state.dialog = Some(Dialog::Client { input: String::new() });
        for c in "+7916123X".chars() {
            feed(&mut recorder, &mut state, Event::Char(c));
        }
        feed(&mut recorder, &mut state, Event::Command(Command::Backspace));
        feed(&mut recorder, &mut state, Event::Saved(Ok(())));
        for c in "4567".chars() {
            feed(&mut recorder, &mut state, Event::Char(c));
        }
        feed(&mut recorder, &mut state, Event::Command(Command::Cancel));
        let written = records(&out);
        let expected_typed = Masker::with_key([3; 16]).pseudonym("+79161234567");
        assert_eq!(written[1], Record::Typed(expected_typed.clone()));
        assert!(expected_typed.ends_with("4567") && !expected_typed.contains("916123"));
        assert_eq!(written[2], Record::Event(Box::new(Event::Saved(Ok(())))));
        assert_eq!(written[3], Record::Event(Box::new(Event::Command(Command::Cancel))));
        assert_eq!(written.len(), 4);
    }
}
