//! A keyboard-wedge scanner types its code into the terminal faster than
//! any hand: a run of characters each within [`GAP`] of the last, ended by
//! Enter, is a scan. It reaches the core as `Event::Scan`, like a serial
//! scanner's, so a window that has no use for typing (an information
//! window, a weight field) gives way to it or refuses it with the code
//! named, instead of taking its digits and closing on its Enter.
//!
//! Typed characters are held at most [`GAP`] (a person cannot tell) while
//! it is not yet known whether they are a scan.

use std::time::{Duration, Instant};

use crate::core::command::Command;
use crate::core::event::Event;

/// The longest pause between two characters of a scan. Scanners send a
/// character every few milliseconds; the fastest typists need 50 ms or more.
pub const GAP: Duration = Duration::from_millis(30);
/// The shortest scan (UPC-E); shorter fast runs are typing.
const MIN_LEN: usize = 6;

#[derive(Default)]
pub struct Wedge {
    held: String,
    last: Option<Instant>,
}

impl Wedge {
    /// Takes one event from the keyboard at `at`; gives back what goes to the core now.
    pub fn feed(&mut self, event: Event, at: Instant) -> Vec<Event> {
        let fast = self.last.is_some_and(|last| at.saturating_duration_since(last) <= GAP);
        let mut out = Vec::new();
        match event {
            Event::Char(c) if !c.is_control() => {
                if !fast {
                    out.extend(self.release());
                }
                self.held.push(c);
                self.last = Some(at);
            }
            Event::Command(Command::Confirm) if fast && self.held.chars().count() >= MIN_LEN => {
                out.push(Event::Scan(std::mem::take(&mut self.held)));
                self.last = None;
            }
            other => {
                out.extend(self.release());
                out.push(other);
            }
        }
        out
    }

    /// When held characters are due to go as typing, if any are held.
    pub fn due(&self) -> Option<Instant> {
        self.last.filter(|_| !self.held.is_empty()).map(|last| last + GAP)
    }

    /// The held characters, as typed.
    pub fn release(&mut self) -> Vec<Event> {
        self.last = None;
        std::mem::take(&mut self.held).chars().map(Event::Char).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(wedge: &mut Wedge, text: &str, start: Instant, step: Duration) -> Vec<Event> {
        let mut out = Vec::new();
        for (i, c) in text.chars().enumerate() {
            let event = if c == '\r' {
                Event::Command(Command::Confirm)
            } else {
                Event::Char(c)
            };
            out.extend(wedge.feed(event, start + step * i as u32));
        }
        out
    }

    #[test]
    fn a_fast_run_ended_by_enter_is_a_scan() {
        let mut wedge = Wedge::default();
        let out = feed(&mut wedge, "4600972223306\r", Instant::now(), Duration::from_millis(2));
        assert_eq!(out, vec![Event::Scan("4600972223306".into())]);
    }

    #[test]
    fn typing_stays_typing() {
        let mut wedge = Wedge::default();
        let start = Instant::now();
        let mut out = feed(&mut wedge, "1255\r", start, Duration::from_millis(120));
        assert_eq!(out.len(), 5);
        assert_eq!(out.pop(), Some(Event::Command(Command::Confirm)));
        assert!(out.iter().all(|e| matches!(e, Event::Char(_))));
    }

    #[test]
    fn a_short_fast_run_is_typing_and_held_characters_go_when_due() {
        let mut wedge = Wedge::default();
        let start = Instant::now();
        let out = feed(&mut wedge, "12", start, Duration::from_millis(5));
        assert!(out.is_empty(), "held while it may be a scan");
        assert!(wedge.due().is_some_and(|due| due > start));
        assert_eq!(wedge.release(), vec![Event::Char('1'), Event::Char('2')]);
        let out = feed(&mut wedge, "12\r", start, Duration::from_millis(5));
        assert_eq!(out, vec![Event::Char('1'), Event::Char('2'), Event::Command(Command::Confirm)]);
    }

    #[test]
    fn a_key_after_a_pause_releases_what_was_held_first() {
        let mut wedge = Wedge::default();
        let start = Instant::now();
        feed(&mut wedge, "460097", start, Duration::from_millis(2));
        let out = wedge.feed(Event::Char('7'), start + Duration::from_millis(500));
        assert_eq!(out.len(), 6, "the held run goes as typing");
        assert_eq!(wedge.release(), vec![Event::Char('7')]);
    }
}
