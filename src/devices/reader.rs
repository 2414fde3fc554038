//! A scanner's or card reader's own thread: it opens the port (again and
//! again while it is unplugged), cuts what arrives into codes, and sends
//! each as an event — a scan the sale screen takes like a typed barcode, or
//! a card number for client identification.

use std::io::{ErrorKind, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::DeviceState;
use super::framing::{Frame, Framer, Framing};
use super::magstripe::CardRule;
use super::port::PortSettings;
use super::printer::Reporter;
use crate::core::device::DeviceProblem;
use crate::core::event::Event;
use crate::text;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderKind {
    Scanner,
    CardReader(CardRule),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderConfig {
    /// `scanner`, `scanner-2`, `card-reader`: how events and the status line name it.
    pub name: String,
    pub port: PortSettings,
    pub framing: Framing,
    pub kind: ReaderKind,
}

impl ReaderConfig {
    /// The event for one frame off the wire.
    fn event(&self, frame: Frame) -> Event {
        match (frame, &self.kind) {
            (Frame::Code(code), ReaderKind::Scanner) => Event::Scan(code),
            (Frame::Code(swipe), ReaderKind::CardReader(rule)) => match rule.card(&swipe) {
                Ok(card) => Event::Swipe(card),
                Err(e) => Event::DeviceTrouble(text::swipe_failed(&e)),
            },
            (Frame::Junk(junk), _) => {
                tracing::warn!(target: "kassa::devices", "{}: junk {junk:?}", self.name);
                Event::DeviceTrouble(text::device_junk(text::device_label(&self.name), &junk))
            }
        }
    }
}

pub struct ReaderHandle {
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
}

impl ReaderHandle {
    pub fn shutdown(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// How often a missing port is looked for again.
pub const RETRY: Duration = Duration::from_millis(500);

pub fn start(config: ReaderConfig, deliver: impl Fn(Event) + Send + 'static) -> std::io::Result<ReaderHandle> {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let handle = thread::Builder::new()
        .name(format!("kassa-{}", config.name))
        .spawn(move || run(&config, &stopped, Reporter::new(config.name.clone(), deliver)))?;
    Ok(ReaderHandle {
        stop,
        handle: Some(handle),
    })
}

fn run(config: &ReaderConfig, stop: &AtomicBool, mut reporter: Reporter<impl Fn(Event)>) {
    // Reads wake up often enough to end a burst on time and to notice `stop`.
    let tick = (config.framing.gap / 2).clamp(Duration::from_millis(5), Duration::from_millis(50));
    while !stop.load(Ordering::Relaxed) {
        let mut port = match config.port.open(tick) {
            Ok(port) => port,
            Err(e) => {
                reporter.state(DeviceState::Offline(e.problem()));
                sleep_unless_stopped(RETRY, stop);
                continue;
            }
        };
        reporter.state(DeviceState::Ready);
        let reason = read_until_gone(config, &mut port, stop, &reporter);
        if let Some(reason) = reason {
            tracing::warn!(target: "kassa::devices", "{}: {}", config.name, text::device_problem(&reason));
            reporter.state(DeviceState::Offline(reason));
        }
    }
}

/// Reads codes until the port fails (the reason) or `stop` is set (`None`).
fn read_until_gone(
    config: &ReaderConfig,
    port: &mut impl Read,
    stop: &AtomicBool,
    reporter: &Reporter<impl Fn(Event)>,
) -> Option<DeviceProblem> {
    let mut framer = Framer::new(config.framing.clone());
    let mut buf = [0u8; 512];
    while !stop.load(Ordering::Relaxed) {
        let frames = match port.read(&mut buf) {
            Ok(0) => return Some(DeviceProblem::Disconnected),
            Ok(n) => framer.feed(&buf[..n], Instant::now()),
            Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                framer.idle(Instant::now()).into_iter().collect()
            }
            Err(e) => {
                tracing::warn!(target: "kassa::devices", "{}: {e}", config.name);
                return Some(DeviceProblem::PortLost(super::port::failure_of(e.kind())));
            }
        };
        for frame in frames {
            reporter.event(config.event(frame));
        }
    }
    None
}

fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let step = Duration::from_millis(20);
    let mut slept = Duration::ZERO;
    while slept < total && !stop.load(Ordering::Relaxed) {
        thread::sleep(step);
        slept += step;
    }
}
