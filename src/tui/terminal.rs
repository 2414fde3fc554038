//! The live loop: terminal keys, the clock, I/O results and support
//! requests become events; the screen is redrawn after each batch of events
//! (ratatui sends only the cells that changed, which keeps SSH traffic
//! small) and mirrored to `kassa watch`.

use chrono::{Local, NaiveDateTime, Timelike};
use futures_util::{FutureExt, Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::{Event as TermEvent, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

use crate::app::Assembled;
use crate::control::{self, Request};
use crate::core::event::Event;
use crate::runtime::Runtime;
use crate::tui::keymap::{Chord, Key, Keymap};
use crate::tui::view::{self, Theme};
use crate::tui::wedge::Wedge;
use crate::watch::{self, Mirror};

/// Turns a terminal key into a core event: a bound command, or typed text.
pub fn key_event(key: &KeyEvent, keymap: &Keymap) -> Option<Event> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    // A wedge scanner's GS (0x1D) inside a marking code arrives as Ctrl+]
    // (or Ctrl+5): it is text, not a key.
    if key.modifiers == KeyModifiers::CONTROL && matches!(key.code, KeyCode::Char(']' | '5')) {
        return Some(Event::Char(crate::core::marking::TYPED_GS));
    }
    keymap.event(&chord_of(key)?)
}

fn chord_of(key: &KeyEvent) -> Option<Chord> {
    let code = match key.code {
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::F(n) => Key::F(n),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Delete => Key::Delete,
        KeyCode::Insert => Key::Insert,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        _ => return None,
    };
    let m = key.modifiers;
    Some(
        Chord {
            key: code,
            ctrl: m.contains(KeyModifiers::CONTROL),
            alt: m.contains(KeyModifiers::ALT),
            shift: m.contains(KeyModifiers::SHIFT),
        }
        .normalized(),
    )
}

pub fn local_now() -> NaiveDateTime {
    Local::now()
        .naive_local()
        .with_nanosecond(0)
        .unwrap_or_else(|| Local::now().naive_local())
}

/// Runs the workstation in the terminal until the cashier quits.
pub fn run(assembled: Assembled, keymap: &Keymap) -> anyhow::Result<()> {
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // Ours first: ratatui's hook restores the terminal, then calls it.
    crate::tui::crash::install(crate::logging::dir(&assembled.data_dir));
    let mut terminal = ratatui::init();
    let result = tokio.block_on(event_loop(&mut terminal, EventStream::new(), assembled, keymap, Theme::from_env()));
    ratatui::restore();
    result
}

/// The whole workstation on `terminal`, fed by `input`, until the cashier
/// quits or the input ends (stdin closed, SSH dropped). Generic so tests run
/// it on a headless terminal.
pub async fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    mut input: impl Stream<Item = std::io::Result<TermEvent>> + Unpin,
    assembled: Assembled,
    keymap: &Keymap,
    theme: Theme,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let Assembled {
        state,
        executor,
        devices,
        warning,
        full_disk,
        loyalty,
        data_dir,
        journal_days,
    } = assembled;
    let (requests_tx, mut requests) = mpsc::unbounded_channel();
    let (watchers_tx, mut watchers) = mpsc::unbounded_channel();
    let mirror = Mirror::default();
    open_support(&data_dir, &executor, state.settings.clone(), &mirror, requests_tx, watchers_tx);
    let (results_tx, mut results) = mpsc::unbounded_channel();
    let journal = crate::session::Recorder::open(&data_dir, journal_days)
        .inspect_err(|e| tracing::error!(target: "kassa::session", "no session journal in {}: {e}", data_dir.display()))
        .ok();
    // The demo's loyalty server keeps its books in the data folder; it stops with this function.
    let (loyalty, _demo) = crate::loyalty::demo::start_if_any(loyalty, Some(&data_dir))?;
    let mut runtime = Runtime::start_with(state, executor, devices, loyalty, journal, move |event| {
        let _ = results_tx.send(event);
    })?;
    let size = terminal.size()?;
    runtime.resized(size.width, size.height);
    if let Some(warning) = warning {
        runtime.dispatch(Event::StoreWarning(warning.0));
    }
    if let Some(reason) = full_disk {
        runtime.dispatch(Event::StartedOnFullDisk(reason));
    }
    if let Some(report) = crate::tui::crash::take_marker(&crate::logging::dir(&data_dir)) {
        tracing::warn!(target: "kassa", "started again after a crash (report {report})");
        runtime.dispatch(Event::RestartedAfterCrash);
    }
    let mut channels = Channels {
        results: &mut results,
        requests: &mut requests,
        watchers: &mut watchers,
    };
    let served = AssertUnwindSafe(serve(terminal, &mut input, &mut runtime, &mut channels, keymap, theme, &mirror))
        .catch_unwind()
        .await;
    // Whatever ended the loop (quit, a lost terminal, a panic), finish the
    // queued writes before the store closes.
    runtime.shutdown();
    let _ = std::fs::remove_file(control::socket_path(&data_dir));
    let _ = std::fs::remove_file(watch::socket_path(&data_dir));
    match &served {
        Ok(Ok(())) => tracing::info!(target: "kassa", "stopped"),
        Ok(Err(e)) => tracing::error!(target: "kassa", "stopped: {e:#}"),
        // The crash hook has written its report; the log says so too.
        Err(_) => tracing::error!(target: "kassa", "stopped by a panic"),
    }
    match served {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// The support sockets: `kassa queue`/`kassa status`, and `kassa watch`.
/// Without them the workstation still sells; the log says why.
fn open_support(
    data_dir: &Path,
    executor: &crate::io::Executor,
    settings: std::sync::Arc<crate::core::state::Settings>,
    mirror: &Mirror,
    requests: mpsc::UnboundedSender<Request>,
    watchers: mpsc::UnboundedSender<usize>,
) {
    match control::bind(data_dir) {
        Ok(listener) => {
            tokio::spawn(control::serve(listener, executor.store(), settings, requests));
        }
        Err(e) => tracing::warn!(target: "kassa::control", "no support socket in {}: {e}", data_dir.display()),
    }
    match watch::bind(data_dir) {
        Ok(listener) => {
            tokio::spawn(mirror.serve(listener, watchers));
        }
        Err(e) => tracing::warn!(target: "kassa::watch", "no watch socket in {}: {e}", data_dir.display()),
    }
}

/// What the loop hears besides the terminal and the clock.
struct Channels<'a> {
    results: &'a mut mpsc::UnboundedReceiver<Event>,
    requests: &'a mut mpsc::UnboundedReceiver<Request>,
    watchers: &'a mut mpsc::UnboundedReceiver<usize>,
}

async fn serve<B: Backend>(
    terminal: &mut Terminal<B>,
    input: &mut (impl Stream<Item = std::io::Result<TermEvent>> + Unpin),
    runtime: &mut Runtime,
    channels: &mut Channels<'_>,
    keymap: &Keymap,
    theme: Theme,
    mirror: &Mirror,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    let mut shown_minute = None;
    let mut faults = crate::faults::Faults::from_env();
    let mut wedge = Wedge::default();
    draw(terminal, runtime, keymap, theme, mirror)?;
    while !runtime.state.quit {
        let wedge_due = wedge.due();
        tokio::select! {
            key = input.next() => match key {
                None => return Ok(()),
                Some(key) => match key? {
                    TermEvent::Key(key) => {
                        faults.crash_if(crate::faults::FaultPoint::PanicOnKey);
                        if let Some(event) = key_event(&key, keymap) {
                            wedge.feed(event, std::time::Instant::now()).into_iter().for_each(|e| runtime.dispatch(e));
                        }
                    }
                    TermEvent::Resize(width, height) => {
                        terminal.autoresize()?;
                        runtime.resized(width, height);
                    }
                    TermEvent::Paste(text) => {
                        wedge.release().into_iter().for_each(|e| runtime.dispatch(e));
                        text.chars().for_each(|c| runtime.dispatch(Event::Char(c)));
                    }
                    _ => continue,
                },
            },
            // Held characters that turned out to be typing, not a scan.
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(wedge_due.unwrap_or_else(std::time::Instant::now))), if wedge_due.is_some() => {
                wedge.release().into_iter().for_each(|e| runtime.dispatch(e));
            }
            Some(result) = channels.results.recv() => runtime.deliver(result),
            Some(request) = channels.requests.recv() => match request {
                Request::SendQueue => runtime.dispatch(Event::SendQueueNow),
                Request::Status(reply) => {
                    let _ = reply.send(crate::status::running(&runtime.state));
                    continue;
                }
            },
            // The status line changes, so the new watcher gets the screen at once.
            Some(count) = channels.watchers.recv() => runtime.dispatch(Event::Watchers(count)),
            _ = clock.tick() => {
                let now = local_now();
                runtime.watch();
                runtime.dispatch(Event::Tick(now));
                // The clock shows minutes: redraw only when the minute changes.
                if shown_minute == Some(now.minute()) {
                    continue;
                }
                shown_minute = Some(now.minute());
            }
        }
        draw(terminal, runtime, keymap, theme, mirror)?;
    }
    Ok(())
}

fn draw<B: Backend>(terminal: &mut Terminal<B>, runtime: &Runtime, keymap: &Keymap, theme: Theme, mirror: &Mirror) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let frame = terminal.draw(|frame| view::draw(frame, &runtime.state, keymap, theme))?;
    mirror.publish(frame.buffer);
    Ok(())
}
