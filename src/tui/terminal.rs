//! The live loop: terminal keys, the clock and I/O results become events;
//! the screen is redrawn after each batch of events (ratatui sends only the
//! cells that changed, which keeps SSH traffic small).

use chrono::{Local, NaiveDateTime, Timelike};
use futures_util::StreamExt;
use ratatui::crossterm::event::{Event as TermEvent, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::{DefaultTerminal, Terminal};
use std::time::Duration;
use tokio::sync::mpsc;

use crate::app::Assembled;
use crate::control;
use crate::core::event::Event;
use crate::core::state::AppState;
use crate::runtime::Runtime;
use crate::tui::keymap::{Chord, Key, Keymap};

use crate::tui::view::{self, Theme};

/// Turns a terminal key into a core event: a bound command, or typed text.
pub fn key_event(key: &KeyEvent, keymap: &Keymap) -> Option<Event> {
    if key.kind == KeyEventKind::Release {
        return None;
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
    let mut terminal = ratatui::init();
    let result = tokio.block_on(event_loop(&mut terminal, assembled, keymap));
    ratatui::restore();
    result
}

async fn event_loop(terminal: &mut DefaultTerminal, assembled: Assembled, keymap: &Keymap) -> anyhow::Result<()> {
    let Assembled {
        state,
        executor,
        devices,
        warning,
        loyalty,
        data_dir,
    } = assembled;
    // The support socket reads the store directly and asks the loop to send the queue.
    let (send_tx, mut send_rx) = mpsc::unbounded_channel();
    match control::bind(&data_dir) {
        Ok(listener) => {
            tokio::spawn(control::serve(listener, executor.store(), send_tx));
        }
        Err(e) => tracing::warn!(target: "kassa::control", "no support socket in {}: {e}", data_dir.display()),
    }
    let (results_tx, mut results) = mpsc::unbounded_channel();
    let mut runtime = Runtime::start(state, executor, devices, loyalty, move |event| {
        let _ = results_tx.send(event);
    })?;
    if let Some(warning) = warning {
        runtime.dispatch(Event::StoreWarning(warning.0));
    }
    let result = serve(terminal, &mut runtime, &mut results, &mut send_rx, keymap).await;
    // Whatever ended the loop (quit, a lost terminal), finish the queued
    // writes before the store closes.
    runtime.shutdown();
    let _ = std::fs::remove_file(control::socket_path(&data_dir));
    result
}

async fn serve(
    terminal: &mut DefaultTerminal,
    runtime: &mut Runtime,
    results: &mut mpsc::UnboundedReceiver<Event>,
    send_now: &mut mpsc::UnboundedReceiver<()>,
    keymap: &Keymap,
) -> anyhow::Result<()> {
    let theme = Theme::from_env();
    let mut keys = EventStream::new();
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    let mut shown_minute = None;
    draw(terminal, &runtime.state, keymap, theme)?;
    while !runtime.state.quit {
        tokio::select! {
            input = keys.next() => match input {
                // The terminal is gone (stdin closed, SSH dropped): stop cleanly.
                None => return Ok(()),
                Some(input) => match input? {
                    TermEvent::Key(key) => {
                        if let Some(event) = key_event(&key, keymap) {
                            runtime.dispatch(event);
                        }
                    }
                    TermEvent::Resize(..) => terminal.autoresize()?,
                    TermEvent::Paste(text) => text.chars().for_each(|c| runtime.dispatch(Event::Char(c))),
                    _ => continue,
                },
            },
            Some(result) = results.recv() => runtime.deliver(result),
            Some(()) = send_now.recv() => runtime.dispatch(Event::SendQueueNow),
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
        draw(terminal, &runtime.state, keymap, theme)?;
    }
    Ok(())
}

fn draw<B: ratatui::backend::Backend>(terminal: &mut Terminal<B>, state: &AppState, keymap: &Keymap, theme: Theme) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    terminal.draw(|frame| view::draw(frame, state, keymap, theme))?;
    Ok(())
}
