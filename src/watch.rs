//! `kassa watch`: a read-only mirror of the cashier's screen for support.
//!
//! The workstation serves `<data dir>/kassa-watch.sock`, readable and
//! writable by its owner and group only (0660: add support engineers to
//! kassa's group). After every redraw the frame is sent, as one JSON line
//! of styled runs, to each watcher whose last frame differs. The workstation
//! never reads what a watcher sends: the connection carries frames one way,
//! and the watcher's keys stay in its own terminal. While anyone watches,
//! the cashier's status line says so.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("kassa-watch.sock")
}

/// One screen: its size and, row by row, runs of text in one style.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub width: u16,
    pub height: u16,
    pub rows: Vec<Vec<Run>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    #[serde(rename = "t")]
    pub text: String,
    #[serde(rename = "s", with = "look")]
    pub style: Style,
}

/// A cell's style on the wire: `[fg, bg, modifier bits]`.
mod look {
    use ratatui::style::{Color, Modifier, Style};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(style: &Style, to: S) -> Result<S::Ok, S::Error> {
        let colors = (style.fg.unwrap_or(Color::Reset), style.bg.unwrap_or(Color::Reset));
        (colors.0, colors.1, style.add_modifier.bits()).serialize(to)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Style, D::Error> {
        let (fg, bg, bits) = <(Color, Color, u16)>::deserialize(from)?;
        Ok(Style::new().fg(fg).bg(bg).add_modifier(Modifier::from_bits_truncate(bits)))
    }
}

impl Frame {
    pub fn from_buffer(buffer: &Buffer) -> Frame {
        let area = buffer.area;
        let rows = (area.top()..area.bottom())
            .map(|y| {
                let mut runs: Vec<Run> = Vec::new();
                for x in area.left()..area.right() {
                    let cell = &buffer[(x, y)];
                    let style = cell.style();
                    match runs.last_mut() {
                        Some(run) if run.style == style => run.text.push_str(cell.symbol()),
                        _ => runs.push(Run {
                            text: cell.symbol().to_string(),
                            style,
                        }),
                    }
                }
                runs
            })
            .collect();
        Frame {
            width: area.width,
            height: area.height,
            rows,
        }
    }

    /// Draws the frame into `buffer` at its top left, cut to what fits.
    pub fn draw_into(&self, buffer: &mut Buffer) {
        let area = buffer.area;
        for (y, runs) in self.rows.iter().enumerate() {
            let Some(y) = u16::try_from(y).ok().map(|y| area.y + y).filter(|y| *y < area.bottom()) else {
                break;
            };
            let mut x = area.x;
            for run in runs {
                let room = area.right().saturating_sub(x) as usize;
                (x, _) = buffer.set_stringn(x, y, &run.text, room, run.style);
            }
        }
    }

    pub fn to_buffer(&self) -> Buffer {
        let mut buffer = Buffer::empty(Rect::new(0, 0, self.width, self.height));
        self.draw_into(&mut buffer);
        buffer
    }
}

/// Binds the watch socket for the owner and group.
pub fn bind(data_dir: &Path) -> std::io::Result<tokio::net::UnixListener> {
    crate::control::bind_for_group(&socket_path(data_dir))
}

/// The frames the loop publishes: encoded only while someone watches.
pub struct Mirror {
    frames: watch::Sender<Arc<String>>,
}

impl Default for Mirror {
    fn default() -> Self {
        Mirror {
            frames: watch::Sender::new(Arc::new(String::new())),
        }
    }
}

impl Mirror {
    /// Called after each redraw with the screen as drawn.
    pub fn publish(&self, buffer: &Buffer) {
        if !self.watched() {
            return;
        }
        match serde_json::to_string(&Frame::from_buffer(buffer)) {
            Ok(line) => {
                self.frames.send_if_modified(|last| {
                    let changed = **last != line;
                    if changed {
                        *last = Arc::new(line);
                    }
                    changed
                });
            }
            Err(e) => tracing::warn!(target: "kassa::watch", "a frame could not be encoded: {e}"),
        }
    }

    /// Serves watchers until the listener is dropped; `watchers` gets their
    /// number each time it changes.
    pub fn serve(
        &self,
        listener: tokio::net::UnixListener,
        watchers: mpsc::UnboundedSender<usize>,
    ) -> impl Future<Output = ()> + Send + 'static {
        serve(listener, self.frames.subscribe(), watchers)
    }

    /// Whether anyone watches (the loop encodes frames only then). The
    /// server's own receiver, kept to subscribe watchers, is not one.
    pub fn watched(&self) -> bool {
        self.frames.receiver_count() > 1
    }
}

async fn serve(listener: tokio::net::UnixListener, template: watch::Receiver<Arc<String>>, watchers: mpsc::UnboundedSender<usize>) {
    let count = Arc::new(AtomicUsize::new(0));
    while let Ok((stream, _)) = listener.accept().await {
        let frames = template.clone();
        let now = count.fetch_add(1, Ordering::SeqCst) + 1;
        tracing::info!(target: "kassa::watch", "a support engineer watches the screen ({now} now)");
        let _ = watchers.send(now);
        let (count, watchers) = (count.clone(), watchers.clone());
        tokio::spawn(async move {
            send_frames(stream, frames).await;
            let now = count.fetch_sub(1, Ordering::SeqCst) - 1;
            tracing::info!(target: "kassa::watch", "a support engineer stopped watching ({now} now)");
            let _ = watchers.send(now);
        });
    }
}

/// Sends each new frame until the watcher leaves. What it sends is read and
/// dropped, unlooked-at: only to notice that it left.
async fn send_frames(stream: tokio::net::UnixStream, mut frames: watch::Receiver<Arc<String>>) {
    let (mut from_watcher, mut to_watcher) = stream.into_split();
    let mut ignored = [0u8; 256];
    frames.mark_changed();
    loop {
        tokio::select! {
            changed = frames.changed() => {
                if changed.is_err() {
                    return;
                }
                let line = frames.borrow_and_update().clone();
                if line.is_empty() {
                    continue;
                }
                let sent = async {
                    to_watcher.write_all(line.as_bytes()).await?;
                    to_watcher.write_all(b"\n").await
                };
                if sent.await.is_err() {
                    return;
                }
            }
            read = from_watcher.read(&mut ignored) => {
                if matches!(read, Ok(0) | Err(_)) {
                    return;
                }
            }
        }
    }
}

/// `kassa watch`: shows the frames in this terminal until q, Esc or Ctrl+C.
pub fn view(data_dir: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    let path = socket_path(data_dir);
    let stream = std::os::unix::net::UnixStream::connect(&path).with_context(|| {
        format!(
            "cannot connect to {} (is the workstation running, and are you in its group?)",
            path.display()
        )
    })?;
    let (frames_tx, frames) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut stream = Some(stream);
        loop {
            if let Some(stream) = stream.take() {
                read_frames(stream, &frames_tx);
                // The workstation stopped (restarting after a crash, say): say so, and wait for it.
                if frames_tx.send(None).is_err() {
                    return;
                }
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
            stream = std::os::unix::net::UnixStream::connect(&path).ok();
        }
    });
    let mut terminal = ratatui::init();
    let result = show(&mut terminal, &frames);
    ratatui::restore();
    result
}

/// Passes on each frame until the connection ends (or the viewer left).
fn read_frames(stream: std::os::unix::net::UnixStream, frames: &std::sync::mpsc::Sender<Option<Frame>>) {
    use std::io::BufRead;
    for line in std::io::BufReader::new(stream).lines() {
        let Ok(line) = line else { return };
        // A line that is not a frame is skipped: the next one redraws the whole screen.
        if let Ok(frame) = serde_json::from_str::<Frame>(&line)
            && frames.send(Some(frame)).is_err()
        {
            return;
        }
    }
}

fn show(terminal: &mut ratatui::DefaultTerminal, frames: &std::sync::mpsc::Receiver<Option<Frame>>) -> anyhow::Result<()> {
    use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
    let mut current: Option<Frame> = None;
    let mut ended = false;
    loop {
        terminal.draw(|f| draw_viewer(f, current.as_ref(), ended))?;
        if event::poll(std::time::Duration::from_millis(50))? {
            match event::read()? {
                Event::Key(key) if key.kind != KeyEventKind::Release => {
                    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
                    if ctrl_c || matches!(key.code, KeyCode::Char('q') | KeyCode::Esc) {
                        return Ok(());
                    }
                }
                Event::Resize(..) => terminal.autoresize()?,
                _ => {}
            }
        }
        // Only the newest frame matters.
        while let Ok(frame) = frames.try_recv() {
            match frame {
                Some(frame) => {
                    current = Some(frame);
                    ended = false;
                }
                None => ended = true,
            }
        }
    }
}

/// The cashier's screen, then a line saying this is a mirror (or that the
/// workstation stopped), and a warning when the window cuts the screen.
fn draw_viewer(f: &mut ratatui::Frame, frame: Option<&Frame>, ended: bool) {
    use ratatui::style::Modifier;
    let area = f.area();
    if let Some(frame) = frame {
        frame.draw_into(f.buffer_mut());
    }
    let (width, height) = frame.map_or((0, 0), |fr| (fr.width, fr.height));
    let mut note = if ended {
        crate::text::WATCH_ENDED.to_string()
    } else if frame.is_none() {
        crate::text::WATCH_WAITING.to_string()
    } else {
        crate::text::WATCH_MIRROR.to_string()
    };
    if width > area.width || height > area.height {
        note = crate::text::watch_cut(note, width, height);
    }
    let y = if height < area.height {
        height
    } else {
        area.bottom().saturating_sub(1)
    };
    // The whole row, in a style of its own (not mixed with the cashier's cells
    // under it: over the key hints when the window is no taller than the till's).
    let row = format!("{note:<width$}", width = area.width as usize);
    f.buffer_mut()
        .set_stringn(0, y, &row, area.width as usize, Style::reset().add_modifier(Modifier::REVERSED));
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier};

    #[test]
    fn a_frame_round_trips_cell_for_cell() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 20, 3));
        buffer.set_string(0, 0, "● Смена 5 │ Чек 12", Style::new().fg(Color::Green));
        buffer.set_string(2, 1, "Итого: 89.90", Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED));
        buffer.set_string(0, 2, "┌──┐ x", Style::new().bg(Color::Blue));
        let frame = Frame::from_buffer(&buffer);
        let line = serde_json::to_string(&frame).expect("encode");
        let back: Frame = serde_json::from_str(&line).expect("decode");
        assert_eq!(back.to_buffer(), buffer);
        assert!(line.len() < 400, "runs keep a frame small: {} bytes", line.len());
    }

    fn viewer(width: u16, height: u16, frame: Option<&Frame>, ended: bool) -> String {
        let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).expect("terminal");
        terminal.draw(|f| draw_viewer(f, frame, ended)).expect("draw");
        crate::replay::screen_text(terminal.backend())
    }

    #[test]
    fn the_viewer_shows_the_screen_and_says_it_is_a_mirror() {
        let mut cashier = Buffer::empty(Rect::new(0, 0, 30, 2));
        cashier.set_string(0, 0, "Смена 1 │ Чек 2", Style::new());
        cashier.set_string(0, 1, "К ОПЛАТЕ 89.90", Style::new());
        let frame = Frame::from_buffer(&cashier);
        let bigger = viewer(60, 4, Some(&frame), false);
        let rows: Vec<&str> = bigger.lines().collect();
        assert_eq!(rows[0], "Смена 1 │ Чек 2");
        assert_eq!(rows[1], "К ОПЛАТЕ 89.90");
        assert!(rows[2].starts_with("kassa watch: экран кассира"), "{bigger}");
        let smaller = viewer(20, 2, Some(&frame), false);
        assert!(
            smaller.lines().nth(1).is_some_and(|l| l.starts_with("kassa watch")),
            "the note stays in sight: {smaller}"
        );
        assert!(viewer(60, 4, None, false).contains("ждём экран"));
        assert!(viewer(60, 4, Some(&frame), true).contains("касса остановлена"));
    }

    #[test]
    fn a_frame_is_cut_to_a_smaller_window() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 10, 2));
        buffer.set_string(0, 0, "0123456789", Style::new());
        buffer.set_string(0, 1, "abcdefghij", Style::new());
        let mut small = Buffer::empty(Rect::new(0, 0, 4, 1));
        Frame::from_buffer(&buffer).draw_into(&mut small);
        assert_eq!(small, Buffer::with_lines(["0123"]));
    }
}
