//! Support on a running workstation: the whole live loop on a headless
//! terminal, with `kassa watch`'s mirror and `kassa status` on its sockets.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kassa::app;
use kassa::config::Config;
use kassa::tui::keymap::Keymap;
use kassa::tui::terminal;
use kassa::tui::view::Theme;
use kassa::watch::{self, Frame};

type Keys = tokio::sync::mpsc::UnboundedSender<std::io::Result<TermEvent>>;

/// Starts the workstation's loop on an 80x24 headless terminal; the thread
/// returns the terminal's last screen when the input ends.
fn workstation(data: &Path) -> (Keys, std::thread::JoinHandle<Buffer>) {
    let config = Config {
        loyalty: None,
        ..Config::default()
    };
    workstation_with(data, config)
}

fn workstation_with(data: &Path, config: Config) -> (Keys, std::thread::JoinHandle<Buffer>) {
    let catalog = Arc::new(app::load_catalog(&config).expect("demo catalog"));
    let assembled = app::assemble(&config, catalog, data, kassa::tui::terminal::local_now()).expect("assembled");
    let (keys, mut input) = tokio::sync::mpsc::unbounded_channel();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio");
        let mut screen = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
        let input = futures_util::stream::poll_fn(move |cx| input.poll_recv(cx));
        runtime
            .block_on(terminal::event_loop(
                &mut screen,
                input,
                assembled,
                &Keymap::default_keymap(),
                Theme::MONO,
            ))
            .expect("the loop ends cleanly");
        screen.backend().buffer().clone()
    });
    (keys, thread)
}

fn key(keys: &Keys, code: KeyCode, modifiers: KeyModifiers) {
    keys.send(Ok(TermEvent::Key(KeyEvent::new(code, modifiers))))
        .expect("the loop listens");
}

/// Types at a quick hand's pace: characters sent all at once would be a
/// keyboard-wedge scanner's burst (`tui::wedge`), taken as a scan.
fn type_text(keys: &Keys, text: &str) {
    for c in text.chars() {
        key(keys, KeyCode::Char(c), KeyModifiers::NONE);
        std::thread::sleep(kassa::tui::wedge::GAP * 2);
    }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text_of(buffer: &Buffer) -> String {
    buffer.content.iter().map(|cell| cell.symbol()).collect()
}

/// Reads frames off the watch socket into a shared list.
fn watcher(data: &Path) -> (UnixStream, Arc<std::sync::Mutex<Vec<Buffer>>>) {
    let stream = UnixStream::connect(watch::socket_path(data)).expect("the watch socket");
    let frames = Arc::new(std::sync::Mutex::new(Vec::new()));
    let reader = stream.try_clone().expect("clone");
    let seen = frames.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            let frame: Frame = serde_json::from_str(&line).expect("a frame");
            seen.lock().expect("frames").push(frame.to_buffer());
        }
        // The end of the stream: an empty buffer marks it.
        seen.lock().expect("frames").push(Buffer::default());
    });
    (stream, frames)
}

fn last(frames: &std::sync::Mutex<Vec<Buffer>>) -> Option<Buffer> {
    frames.lock().expect("frames").iter().rfind(|f| !f.content.is_empty()).cloned()
}

fn ended(frames: &std::sync::Mutex<Vec<Buffer>>) -> bool {
    frames.lock().expect("frames").last().is_some_and(|f| f.content.is_empty())
}

#[test]
fn watch_mirrors_the_cashiers_frames_and_nothing_typed_there_reaches_the_till() {
    let data = tempfile::tempdir().expect("temp dir");
    let (keys, thread) = workstation(data.path());
    wait_for("the watch socket", || watch::socket_path(data.path()).exists());
    let mode = std::fs::metadata(watch::socket_path(data.path()))
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o660, "owner and group only");

    let (mut stream, frames) = watcher(data.path());
    wait_for("the cashier's status line to say someone watches", || {
        last(&frames).is_some_and(|f| text_of(&f).contains(kassa::text::WATCHED))
    });
    // The watcher types the keys that would open a shift and quit: nothing happens.
    stream.write_all(b"\x0f\x1b[21~q\r\nF10\nopen_shift\n").expect("junk sent");
    std::thread::sleep(Duration::from_millis(300));
    assert!(text_of(&last(&frames).expect("a frame")).contains("смена закрыта"));

    // The cashier opens a shift and sells a litre of milk.
    key(&keys, KeyCode::Char('o'), KeyModifiers::CONTROL);
    type_text(&keys, "Иванова");
    key(&keys, KeyCode::Enter, KeyModifiers::NONE);
    type_text(&keys, "4600972223306");
    key(&keys, KeyCode::Enter, KeyModifiers::NONE);
    wait_for("the sale on the mirror", || {
        last(&frames).is_some_and(|f| text_of(&f).contains("Простоквашино"))
    });

    // `kassa status` while it runs: the live state, through the support socket.
    let report = kassa::control::ask(data.path(), "status")
        .expect("io")
        .expect("running")
        .expect("ok");
    assert!(
        report.contains("workstation: running") && report.contains("cashier Иванова"),
        "{report}"
    );
    assert!(report.contains("1 positions") && report.contains("watching: 1"), "{report}");

    // The reader thread holds a clone of the socket: shut it down for real.
    stream.shutdown(std::net::Shutdown::Both).expect("shutdown");
    wait_for("the watcher to be gone", || {
        let report = kassa::control::ask(data.path(), "status")
            .expect("io")
            .expect("running")
            .expect("ok");
        report.contains("watching: 0")
    });
    let (_again, frames) = watcher(data.path());
    wait_for("a frame for the second watcher", || {
        last(&frames).is_some_and(|f| text_of(&f).contains(kassa::text::WATCHED))
    });
    drop(keys);
    let cashier = thread.join().expect("the loop thread");
    wait_for("the mirror to end with the workstation", || ended(&frames));
    let mirrored = last(&frames).expect("frames");
    assert_eq!(mirrored, cashier, "the mirror shows the cashier's last screen cell for cell");
    assert!(!watch::socket_path(data.path()).exists(), "the socket is removed on exit");
}

fn status(data: &Path) -> String {
    kassa::control::ask(data, "status").expect("io").expect("running").expect("ok")
}

fn lines_of(buffer: &Buffer) -> String {
    let width = buffer.area.width as usize;
    let rows: Vec<String> = buffer
        .content
        .chunks(width)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>().trim_end().to_string())
        .collect();
    rows.join("\n")
}

/// A live session with the demo's Frontol server — a phone, a wrong and a
/// right SMS code, the contacts for the e-receipt — is replayed from its
/// journal alone to the same final screen; no number reaches the journal.
#[test]
fn a_journal_replay_reaches_the_live_sessions_final_screen() {
    let data = tempfile::tempdir().expect("temp dir");
    let (keys, thread) = workstation_with(data.path(), Config::default());
    wait_for("the support socket", || kassa::control::socket_path(data.path()).exists());
    let press = |code: KeyCode| key(&keys, code, KeyModifiers::NONE);
    key(&keys, KeyCode::Char('o'), KeyModifiers::CONTROL);
    type_text(&keys, "Иванова");
    press(KeyCode::Enter);
    type_text(&keys, "4674770958500");
    press(KeyCode::Enter);
    key(&keys, KeyCode::Char('k'), KeyModifiers::CONTROL);
    type_text(&keys, "8 921 102-25-46");
    press(KeyCode::Enter);
    wait_for("the client", || status(data.path()).contains("client ********2546"));
    press(KeyCode::F(5));
    wait_for("the code window", || status(data.path()).contains("window: validation_code"));
    type_text(&keys, "1111");
    press(KeyCode::Enter);
    press(KeyCode::Esc);
    press(KeyCode::F(5));
    // Typed before the code window opens, the code would be held until the
    // window is answered and land on the sale line (in clear): wait for it.
    wait_for("the code window again", || status(data.path()).contains("window: validation_code"));
    type_text(&keys, "8956");
    press(KeyCode::Enter);
    wait_for("the answer applied", || status(data.path()).contains("total 189.90"));
    for code in [KeyCode::Enter, KeyCode::Esc, KeyCode::Enter, KeyCode::Enter] {
        press(code);
    }
    wait_for("the receipt closed", || status(data.path()).contains("1 sales"));
    press(KeyCode::Esc);
    std::thread::sleep(Duration::from_millis(200));
    drop(keys);
    let cashier = lines_of(&thread.join().expect("the loop thread"));
    assert!(cashier.contains("Чек 2"), "{cashier}");

    let dir = kassa::session::recorder_dir(data.path());
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("sessions")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "one file a day: {files:?}");
    let journal = std::fs::read_to_string(&files[0]).expect("journal");
    // Each record without its timestamp: "8956" may well be nanoseconds.
    let untimed: Vec<String> = journal
        .lines()
        .map(|l| {
            let mut record: serde_json::Value = serde_json::from_str(l).expect("a record");
            record.as_object_mut().map(|r| r.remove("at"));
            record.to_string()
        })
        .collect();
    for number in ["9211022546", "921 102-25-46", "89211022546", "8956", "sobaka@"] {
        let leak = untimed.iter().find(|l| l.contains(number));
        assert!(leak.is_none(), "{number} is in the journal: {leak:?}");
    }
    assert!(journal.contains("2546"), "the last four digits stay");
    // Typed one key at a time, a code would hide from a plain search: join all typing.
    let typed: String = journal
        .lines()
        .map(|l| serde_json::from_str::<kassa::session::Line>(l).expect("a record"))
        .filter_map(|line| match line.record {
            kassa::session::Record::Event(event) => match *event {
                kassa::core::event::Event::Char(c) => Some(c.to_string()),
                _ => None,
            },
            kassa::session::Record::Typed(text) => Some(text),
            _ => None,
        })
        .collect();
    assert!(
        typed.contains("Иванова") && typed.contains("4674770958500"),
        "the rest is in clear: {typed}"
    );
    for code in ["8956", "1111", "9211022546"] {
        assert!(!typed.contains(code), "{code} typed in clear: {typed}");
    }

    let catalog = Arc::new(app::load_catalog(&Config::default()).expect("demo catalog"));
    let replayed = kassa::session::replay("journal", journal.as_bytes(), catalog, None).expect("replayed");
    assert_eq!(replayed.skipped, 0);
    assert!(replayed.events > 30, "{} events", replayed.events);
    let screen = kassa::replay::render_state(&replayed.state, replayed.size, &Keymap::default_keymap(), Theme::MONO).expect("screen");
    assert_eq!(screen, cashier, "the replay ends on the cashier's screen");
    // The same from the command line, on a support engineer's machine: no data directory needed.
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(["replay", "--no-color", "--journal"])
        .arg(&files[0])
        .env_remove("KASSA_CONFIG")
        .output()
        .expect("kassa runs");
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    assert_eq!(String::from_utf8_lossy(&cli.stdout).trim_end_matches('\n'), cashier);
    assert!(String::from_utf8_lossy(&cli.stderr).contains("events replayed from"));
    let timeline = std::process::Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(["replay", "--timeline", "--journal"])
        .arg(&files[0])
        .output()
        .expect("kassa runs");
    let timeline = String::from_utf8_lossy(&timeline.stdout);
    for what in [
        "snapshot (start)",
        "command pay",
        "typed 8 ",
        "loyalty_replied id 0, result ok",
        "receipt_closed ok",
    ] {
        assert!(timeline.contains(what), "{what:?} in the timeline:\n{timeline}");
    }
    assert_eq!(replayed.state.durable.shift.as_ref().map(|s| s.counters.sales.count), Some(1));
}

/// `kassa journal list` and `show` while the workstation holds the store:
/// it answers them, as it does `kassa status`.
#[test]
fn the_journal_is_read_while_the_workstation_runs() {
    let data = tempfile::tempdir().expect("temp dir");
    let (keys, thread) = workstation(data.path());
    wait_for("the support socket", || kassa::control::socket_path(data.path()).exists());
    let press = |code: KeyCode| key(&keys, code, KeyModifiers::NONE);
    key(&keys, KeyCode::Char('o'), KeyModifiers::CONTROL);
    type_text(&keys, "Иванова");
    press(KeyCode::Enter);
    type_text(&keys, "4600972223306");
    press(KeyCode::Enter);
    press(KeyCode::F(5));
    type_text(&keys, "500");
    press(KeyCode::Enter);
    wait_for("the receipt closed", || status(data.path()).contains("1 sales"));
    let kassa = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kassa"))
            .arg("--data-dir")
            .arg(data.path())
            .args(args)
            .env_remove("KASSA_CONFIG")
            .output()
            .expect("runs")
    };
    let list = kassa(&["journal", "list"]);
    let listed = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(list.status.success(), "{}", String::from_utf8_lossy(&list.stderr));
    assert!(listed.contains("1/1") && listed.contains("sale"), "{listed}");
    let show = kassa(&["journal", "show", "1/1"]);
    assert!(show.status.success(), "{}", String::from_utf8_lossy(&show.stderr));
    assert!(String::from_utf8_lossy(&show.stdout).contains("Простоквашино"));
    drop(keys);
    thread.join().expect("the loop thread");
}
