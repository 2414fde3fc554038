//! Key-replay scripts: drive the real workstation headless, step by step,
//! and check the screen and the state. `cargo test` runs every script under
//! tests/scenarios; `kassa replay FILE` runs one and prints the final screen.
//!
//! One step per line; `#` starts a comment.
//!
//! | step | meaning |
//! |---|---|
//! | `size 100x30` | terminal size (before the first other step; default 80x24) |
//! | `loyalty kilbil` | the demo's loyalty server speaks KilBil (`kilbil spend-code`: with SMS codes before spending; `probonus`: ProBonus); first in the script |
//! | `clock 2026-11-23 09:00` | set the injected clock |
//! | `advance 25h` / `30m` / `15s` | move the clock on |
//! | `press F5 Enter Ctrl+O` | keys by their keymap names, in order |
//! | `command pay` | a command by name, whatever key it is on |
//! | `type 4607001771562` | type text, character by character |
//! | `scan 4607001771562` | a barcode scanner read |
//! | `restart` | stop and start again from the same data directory |
//! | `expect screen "text"` | the screen shows `text` |
//! | `expect no-screen "text"` | the screen does not show `text` |
//! | `expect notice "text"` | the info line contains `text` |
//! | `expect total 123.45` | the open receipt's total to pay (0 with none) |
//! | `expect positions 3` | positions in the open receipt |
//! | `expect receipts 2` | receipts closed in this shift |
//! | `expect shift 4` | the open shift's number (0: none) |
//! | `expect drawer 1500.00` | cash in the drawer |
//! | `expect dialog payment` | the open dialog (`none` when none) |
//! | `expect unprinted 0` | documents still waiting for the printer |
//! | `expect link up` | the loyalty link lamp: `up`, `down` or `unknown` |
//! | `expect outbox 1` | loyalty confirmations waiting to be sent |
//! | `expect server-balance 7770000000017 1450.00` | the demo loyalty server's balance of a card or phone |
//! | `expect journal-age 1/1 "Иванова Мария 2026-12-08 12:00"` | closed receipt 1/1 in the journal carries the buyer's age confirmation: the cashier who gave it and when (`none`: it carries none) |
//! | `expect ledger` | the demo loyalty server's books match kassa's journal to the kopeck: every closed receipt the server should count (not those whose confirmation it refused) is counted once with its client, money and bonus, nothing else is, and no write-off is left open; the outbox must be empty |
//! | `emulator fail drop 2` | the demo loyalty server misbehaves for the next 2 requests: `timeout`, `drop`, `http500`, `error`, `lost` (processed, no answer), `malformed` (processed, a body cut short), `bad_distribution`; `emulator fail timeout 1 after 2` answers 2 requests well first |
//! | `emulator fail hang 1` | the demo loyalty server hangs on the next request: it answers nothing until `emulator release` (or the end of the script) drops it, as a client's timeout would end it; meanwhile the script goes on, so input can be typed during the wait (a script that hangs the server gives the client a long timeout) |
//! | `emulator release` | the hung demo server lets go of what it holds |
//! | `emulator key other` | the demo loyalty server now checks another key (its answers become 403) |
//! | `emulator expire-tokens` | the demo ProBonus server ends its bearer tokens now |
//! | `registrar` | the printer is the Shtrih-M registrar's emulator on a pty (marked goods need one); first in the script |
//! | `registrar mark bad timeout` | the emulated registrar's next answers to marking checks: `ok`, `bad` (the marking system refuses the unit), `timeout` (it does not answer) |
//! | `expect registrar-ledger` | the registrar's books match kassa's journal: each receipt registered once, in order, with its kind and total to the kopeck and every marked unit's code bound with its status (1 sold, 3 returned), nothing else |
//! | `screen` | print the screen at this point (for writing scripts) |
//!
//! After every step the runner waits until no effect is in flight: no sleeps.
//! Nor does a `timeout` cost wall time: once nothing but loyalty is in flight
//! and the demo server holds back a processed answer, the runner tells the
//! client its time is up (it gives up as its timeout would have made it),
//! then lets the server answer into the void.

use anyhow::{Context, bail};
use chrono::{Duration, NaiveDateTime};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

use crate::app;
use crate::config::Config;
use crate::core::catalog::Catalog;
use crate::core::command::Command;
use crate::core::event::Event;
use crate::core::journal::ReceiptId;
use crate::core::money::Money;
use crate::core::state::{AppState, Dialog};
use crate::core::{ledger, loyalty};
use crate::emulators::DemoServer;
use crate::emulators::frontol::Failure;
use crate::emulators::shtrih::{MarkAnswer, Registrar, ShtrihEmulator};
use crate::loyalty::demo::Demo;
use crate::loyalty::{Deadline, Request};
use crate::runtime::Runtime;
use crate::store::Store;
use crate::text;
use crate::tui::keymap::{Chord, Keymap};
use crate::tui::view::{self, Theme};

/// The clock every replay starts from unless the script sets one.
pub const DEFAULT_CLOCK: &str = "2026-11-23 09:00";

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Size(u16, u16),
    /// The demo's loyalty protocol, for the whole script.
    Loyalty(crate::loyalty::LoyaltyConfig, crate::loyalty::FlowOptions),
    Clock(NaiveDateTime),
    Advance(Duration),
    Press(Vec<Event>),
    Type(String),
    Scan(String),
    Restart,
    Expect(Expectation),
    Screen,
    /// Make the demo's loyalty emulator misbehave for the next N requests.
    Fail(Failure, u32, u32),
    /// Change the key the demo's loyalty emulator checks.
    ServerKey(String),
    /// The hung demo server lets go of what it holds.
    Release,
    /// End the bearer tokens the demo's loyalty emulator issued (ProBonus).
    ExpireTokens,
    /// The printer is the Shtrih-M emulator on a pty, for the whole script.
    Registrar,
    /// The emulated registrar's next answers to marking checks.
    RegistrarMark(Vec<MarkAnswer>),
}

#[derive(Debug, Clone, PartialEq)]
enum Expectation {
    Screen(String),
    NoScreen(String),
    Notice(String),
    Total(Money),
    Positions(usize),
    Receipts(u32),
    Shift(u32),
    Drawer(Money),
    Dialog(String),
    Unprinted(usize),
    /// The loyalty link lamp: up, down, or unknown.
    Link(String),
    /// Confirmations waiting in the outbox.
    Outbox(usize),
    /// The demo loyalty server's balance of a card or phone.
    ServerBalance(String, Money),
    /// The demo loyalty server's books against kassa's journal.
    Ledger,
    /// Keys pressed (`press`, `command`; not typed text or scans) since the
    /// script's start or the last `expect keys`: pins a flow's key count.
    Keys(usize),
    /// The emulated registrar's books against kassa's journal.
    RegistrarLedger,
    /// A journaled receipt's age confirmation, "cashier YYYY-MM-DD HH:MM"
    /// (None: it has none).
    JournalAge(ReceiptId, Option<String>),
}

/// A parsed script: steps with their line numbers.
pub struct Script {
    name: String,
    steps: Vec<(usize, Step)>,
}

fn parse_clock(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M").ok()
}

fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.len().checked_sub(1)?);
    let n: i64 = number.parse().ok()?;
    match unit {
        "h" => Some(Duration::hours(n)),
        "m" => Some(Duration::minutes(n)),
        "s" => Some(Duration::seconds(n)),
        _ => None,
    }
}

fn quoted(text: &str) -> Option<String> {
    let text = text.trim();
    text.strip_prefix('"')?.strip_suffix('"').map(str::to_string)
}

/// `emulator fail timeout 2`, `emulator key wrong-key`.
fn parse_emulator(text: &str) -> Option<Step> {
    let mut words = text.split_whitespace();
    match words.next()? {
        "fail" => {
            let failure: Failure = serde_json::from_value(serde_json::Value::String(words.next()?.to_string())).ok()?;
            let times = words.next().map_or(Some(1), |n| n.parse().ok())?;
            let after = match (words.next(), words.next()) {
                (Some("after"), Some(n)) => n.parse().ok()?,
                (None, _) => 0,
                _ => return None,
            };
            Some(Step::Fail(failure, times, after))
        }
        "key" => Some(Step::ServerKey(words.next()?.to_string())),
        "release" => Some(Step::Release),
        "expire-tokens" => Some(Step::ExpireTokens),
        _ => None,
    }
}

fn parse_expectation(text: &str) -> Option<Expectation> {
    match text.trim() {
        "ledger" => return Some(Expectation::Ledger),
        "registrar-ledger" => return Some(Expectation::RegistrarLedger),
        _ => {}
    }
    let (what, value) = text.trim().split_once(' ')?;
    Some(match what {
        "screen" => Expectation::Screen(quoted(value)?),
        "no-screen" => Expectation::NoScreen(quoted(value)?),
        "notice" => Expectation::Notice(quoted(value)?),
        "total" => Expectation::Total(Money::parse(value).ok()?),
        "drawer" => Expectation::Drawer(Money::parse(value).ok()?),
        "positions" => Expectation::Positions(value.trim().parse().ok()?),
        "receipts" => Expectation::Receipts(value.trim().parse().ok()?),
        "shift" => Expectation::Shift(value.trim().parse().ok()?),
        "unprinted" => Expectation::Unprinted(value.trim().parse().ok()?),
        "dialog" => Expectation::Dialog(value.trim().to_string()),
        "link" => Expectation::Link(value.trim().to_string()),
        "outbox" => Expectation::Outbox(value.trim().parse().ok()?),
        "keys" => Expectation::Keys(value.trim().parse().ok()?),
        "journal-age" => {
            let (id, confirmed) = value.trim().split_once(' ')?;
            let confirmed = match confirmed.trim() {
                "none" => None,
                other => Some(quoted(other)?),
            };
            Expectation::JournalAge(ReceiptId::parse(id)?, confirmed)
        }
        "server-balance" => {
            let (client, amount) = value.trim().split_once(' ')?;
            Expectation::ServerBalance(client.to_string(), Money::parse(amount).ok()?)
        }
        _ => return None,
    })
}

impl Script {
    pub fn parse(name: &str, text: &str, keymap: &Keymap) -> anyhow::Result<Script> {
        let mut steps = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let content = raw.trim();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let (verb, rest) = content.split_once(' ').unwrap_or((content, ""));
            let bad = |why: &str| anyhow::anyhow!("{name}:{line}: {why}: {content}");
            let step = match verb {
                "size" => {
                    let (w, h) = rest.split_once('x').ok_or_else(|| bad("expected WIDTHxHEIGHT"))?;
                    let size = (w.trim().parse::<u16>(), h.trim().parse::<u16>());
                    match size {
                        (Ok(w), Ok(h)) if w >= 20 && h >= 10 => Step::Size(w, h),
                        _ => return Err(bad("expected WIDTHxHEIGHT, at least 20x10")),
                    }
                }
                "registrar" if rest.trim().is_empty() => {
                    if steps.iter().any(|(_, s)| !matches!(s, Step::Size(..) | Step::Loyalty(..))) {
                        return Err(bad("registrar must come first"));
                    }
                    Step::Registrar
                }
                "registrar" => {
                    let answers = rest.strip_prefix("mark ").map(|words| {
                        words
                            .split_whitespace()
                            .map(|w| match w {
                                "ok" => Some(MarkAnswer::Ok),
                                "bad" => Some(MarkAnswer::Bad),
                                "timeout" => Some(MarkAnswer::Timeout),
                                _ => None,
                            })
                            .collect::<Option<Vec<_>>>()
                    });
                    match answers.flatten() {
                        Some(answers) if !answers.is_empty() => Step::RegistrarMark(answers),
                        _ => return Err(bad("expected: registrar, or registrar mark ok|bad|timeout …")),
                    }
                }
                "loyalty" => {
                    if steps.iter().any(|(_, s)| !matches!(s, Step::Size(..) | Step::Registrar)) {
                        return Err(bad("loyalty must come first"));
                    }
                    use crate::loyalty::{FlowOptions, LoyaltyConfig};
                    let words: Vec<&str> = rest.split_whitespace().collect();
                    let protocol = crate::loyalty::PROTOCOLS.into_iter().find(|p| words.first() == Some(&p.name()));
                    let Some(protocol) = protocol else {
                        return Err(bad(LOYALTY_USAGE));
                    };
                    // Timings are the replay's own (see `with_demo`).
                    let config = LoyaltyConfig::Demo {
                        protocol,
                        timeout: std::time::Duration::ZERO,
                        answer_delay: std::time::Duration::ZERO,
                    };
                    let mut options = FlowOptions::default();
                    for word in words.iter().skip(1) {
                        match *word {
                            "spend-code" => options.spend_code = true,
                            "no-anonymous" => options.anonymous = false,
                            "footer-slip" => options.footer_on_slip = true,
                            _ => return Err(bad(LOYALTY_USAGE)),
                        }
                    }
                    Step::Loyalty(config, options)
                }
                "clock" => Step::Clock(parse_clock(rest).ok_or_else(|| bad("expected YYYY-MM-DD HH:MM"))?),
                "advance" => Step::Advance(parse_duration(rest).ok_or_else(|| bad("expected a duration like 25h, 30m, 15s"))?),
                "press" => {
                    let mut events = Vec::new();
                    for name in rest.split_whitespace() {
                        let chord = Chord::parse(name).ok_or_else(|| bad(&format!("unknown key {name:?}")))?;
                        events.push(
                            keymap
                                .event(&chord)
                                .ok_or_else(|| bad(&format!("key {name} is not bound and types nothing")))?,
                        );
                    }
                    if events.is_empty() {
                        return Err(bad("press needs at least one key"));
                    }
                    Step::Press(events)
                }
                "command" => {
                    let command = Command::from_name(rest.trim()).ok_or_else(|| bad("unknown command"))?;
                    Step::Press(vec![Event::Command(command)])
                }
                "type" => Step::Type(rest.to_string()),
                "scan" => Step::Scan(rest.trim().to_string()),
                "restart" => Step::Restart,
                "screen" => Step::Screen,
                "expect" => Step::Expect(parse_expectation(rest).ok_or_else(|| bad("unknown expectation"))?),
                "emulator" => parse_emulator(rest).ok_or_else(|| {
                    bad("expected: emulator fail MODE [N [after M]], emulator release, emulator key KEY, or emulator expire-tokens")
                })?,
                _ => return Err(bad("unknown step")),
            };
            steps.push((line, step));
        }
        Ok(Script {
            name: name.to_string(),
            steps,
        })
    }
}

/// What a replay needs besides the script.
#[derive(Clone)]
pub struct ReplaySetup {
    pub config: Config,
    pub catalog: Arc<Catalog>,
    pub keymap: Keymap,
    pub data_dir: PathBuf,
    pub theme: Theme,
}

struct Live {
    runtime: Runtime,
    results: mpsc::Receiver<Event>,
    /// A reading handle on the store the runtime's worker owns (`expect ledger`).
    store: Store,
    /// The demo's loyalty server, steered by the script (it outlives a restart).
    server: Option<DemoServer>,
    /// Ends the loyalty client's wait for an answer the server holds back.
    deadline: Deadline,
}

impl Live {
    /// `setup`'s loyalty config is a real one: the demo's server is started
    /// apart ([`with_demo`]).
    fn start(setup: &ReplaySetup, now: NaiveDateTime, server: Option<DemoServer>, deadline: Deadline) -> anyhow::Result<Live> {
        let assembled = app::assemble(&setup.config, setup.catalog.clone(), &setup.data_dir, now)?;
        let store = assembled.executor.store();
        let (tx, results) = mpsc::channel();
        let mut runtime = Runtime::start_with(
            assembled.state,
            assembled.executor,
            assembled.devices,
            assembled.loyalty,
            None,
            move |event| {
                let _ = tx.send(event);
            },
        )?;
        if let Some(warning) = assembled.warning {
            runtime.dispatch(Event::StoreWarning(warning.0));
        }
        if let Some(reason) = assembled.full_disk {
            runtime.dispatch(Event::StartedOnFullDisk(reason));
        }
        let mut live = Live {
            runtime,
            results,
            store,
            server,
            deadline,
        };
        live.settle()?;
        Ok(live)
    }

    /// Stops the workstation and lets go of the store, so that it can start again.
    fn stop(self) {
        if let Some(server) = &self.server {
            server.release();
        }
        drop(self.runtime.shutdown());
    }

    fn dispatch(&mut self, event: Event) -> anyhow::Result<()> {
        self.runtime.dispatch(event);
        self.settle()
    }

    /// Waits until every effect has finished and its event was handled.
    /// A request the hung demo server holds is not waited for: the script
    /// goes on during the wait. An answer the server holds back (`timeout`)
    /// is not waited for either: the client's time is up at once.
    fn settle(&mut self) -> anyhow::Result<()> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !self.runtime.is_idle() {
            if let Some(server) = self.server.as_ref().filter(|_| self.runtime.only_loyalty_in_flight()) {
                if server.held() > 0 {
                    return Ok(());
                }
                if server.held_late() > 0 {
                    // The request is processed and the client waits for it
                    // (one at a time): it gives up first, then the answer
                    // goes out, too late. Let go, it is no longer counted.
                    self.deadline.expire();
                    server.release_late();
                }
            }
            match self.results.recv_timeout(std::time::Duration::from_millis(10)) {
                Ok(event) => self.runtime.deliver(event),
                Err(mpsc::RecvTimeoutError::Timeout) if std::time::Instant::now() < deadline => {}
                Err(_) => bail!("an effect never finished"),
            }
        }
        Ok(())
    }
}

/// `setup` with its demo loyalty server started, the config reaching it,
/// and the deadline that ends its client's waits. No wait ends by the
/// clock: the runner ends a `timeout`'s (see [`Live::settle`]), the script
/// a `hang`'s (`emulator release`, Esc).
fn with_demo(setup: &ReplaySetup) -> anyhow::Result<(ReplaySetup, Option<Demo>, Deadline)> {
    let timed = setup.config.loyalty.clone().map(|c| c.with_timing(CLIENT_TIMEOUT, ANSWER_DELAY));
    let mut setup = setup.clone();
    let (real, demo) = crate::loyalty::demo::start_if_any(timed, None)?;
    let deadline = Deadline::injected();
    setup.config.loyalty = real.map(|c| c.with_deadline(deadline.clone()));
    Ok((setup, demo, deadline))
}

/// The client's timeout in replays: long enough that only the runner or the
/// script ends a wait (a wait that lasts this long is a runner's bug).
const CLIENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// How long a `timeout` answer is held back at most, should nobody let it
/// go: past the client's timeout, as its name says.
const ANSWER_DELAY: std::time::Duration = std::time::Duration::from_secs(25);

const LOYALTY_USAGE: &str = "expected: loyalty frontol | kilbil | probonus | maxbonus, then any of spend-code, no-anonymous, footer-slip";

/// Runs `script`; on success returns the final screen.
pub fn run(script: &Script, setup: &ReplaySetup) -> anyhow::Result<String> {
    let mut now = parse_clock(DEFAULT_CLOCK).context("default clock")?;
    let mut size = (80, 24);
    let chosen = script.steps.iter().find_map(|(_, step)| match step {
        Step::Loyalty(config, options) => Some(ReplaySetup {
            config: Config {
                settings: crate::core::state::Settings {
                    loyalty: true,
                    flow: config.flow(*options),
                    ..setup.config.settings.clone()
                },
                loyalty: Some(config.clone()),
                ..setup.config.clone()
            },
            catalog: setup.catalog.clone(),
            keymap: setup.keymap.clone(),
            data_dir: setup.data_dir.clone(),
            theme: setup.theme,
        }),
        _ => None,
    });
    let setup = chosen.as_ref().unwrap_or(setup);
    let registrar = script
        .steps
        .iter()
        .any(|(_, s)| *s == Step::Registrar)
        .then(|| ShtrihEmulator::start(None, Registrar::default(), false))
        .transpose()?;
    let on_registrar = registrar.as_ref().map(|emulator| on_emulated_registrar(setup, emulator.path()));
    let setup = on_registrar.as_ref().unwrap_or(setup);
    let (setup, demo, deadline) = with_demo(setup)?;
    let setup = &setup;
    let server = demo.as_ref().map(|d| d.server().clone());
    let mut live = Live::start(setup, now, server.clone(), deadline.clone())?;
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1))?;
    let mut keys = 0;
    for (line, step) in &script.steps {
        let at = |why: String| anyhow::anyhow!("{}:{line}: {why}", script.name);
        match step {
            Step::Loyalty(..) | Step::Registrar => {}
            Step::RegistrarMark(answers) => match registrar.as_ref() {
                Some(emulator) => emulator.registrar().mark_next(answers.iter().copied()),
                None => return Err(at("no registrar in this setup: `registrar` first".into())),
            },
            Step::Size(w, h) => {
                size = (*w, *h);
                terminal = Terminal::new(TestBackend::new(size.0, size.1))?;
            }
            Step::Clock(t) => {
                now = *t;
                live.dispatch(Event::Tick(now))?;
            }
            Step::Advance(d) => {
                now += *d;
                live.dispatch(Event::Tick(now))?;
            }
            Step::Press(events) => {
                keys += events.len();
                for event in events {
                    live.dispatch(event.clone())?;
                }
            }
            Step::Type(text) => {
                for c in text.chars() {
                    live.dispatch(Event::Char(c))?;
                }
            }
            Step::Scan(code) => live.dispatch(Event::Scan(code.clone()))?,
            Step::Restart => {
                // The loyalty server is remote: it keeps its state over the workstation's restart.
                live.stop();
                live = Live::start(setup, now, server.clone(), deadline.clone())?;
            }
            Step::Screen => println!("{}", render(&mut terminal, &live.runtime.state, setup)?),
            Step::Fail(failure, times, after) => match live.server.as_ref() {
                Some(emulator) => emulator.fail(*failure, *times, *after),
                None => return Err(at("no loyalty emulator in this setup".into())),
            },
            Step::Release => match live.server.as_ref() {
                Some(emulator) => {
                    // No longer held: settling waits for the dropped answer.
                    emulator.release();
                    live.settle()?;
                }
                None => return Err(at("no loyalty emulator in this setup".into())),
            },
            Step::ServerKey(key) => match live.server.as_ref() {
                Some(emulator) => emulator.set_key(key),
                None => return Err(at("no loyalty emulator in this setup".into())),
            },
            Step::ExpireTokens => match live.server.as_ref() {
                Some(emulator) => emulator.expire_tokens(),
                None => return Err(at("no loyalty emulator in this setup".into())),
            },
            Step::Expect(expectation) => {
                let screen = render(&mut terminal, &live.runtime.state, setup)?;
                let checked = match expectation {
                    Expectation::ServerBalance(client, expected) => {
                        let balance = live.server.as_ref().and_then(|e| e.balance(client));
                        if balance == Some(*expected) {
                            Ok(())
                        } else {
                            Err(format!("expected the server balance of {client} {expected}, got {balance:?}"))
                        }
                    }
                    Expectation::Ledger => check_ledger(&live),
                    Expectation::RegistrarLedger => match registrar.as_ref() {
                        Some(emulator) => check_registrar(&live, emulator),
                        None => Err("no registrar in this setup: `registrar` first".into()),
                    },
                    Expectation::JournalAge(id, expected) => check_journal_age(&live.store, *id, expected.as_deref()),
                    Expectation::Keys(expected) => match std::mem::take(&mut keys) {
                        pressed if pressed == *expected => Ok(()),
                        pressed => Err(format!("expected {expected} keys pressed, got {pressed}")),
                    },
                    other => check(other, &live.runtime.state, &screen, &setup.keymap),
                };
                if let Err(why) = checked {
                    return Err(at(format!("{why}\n--- screen ---\n{screen}")));
                }
            }
        }
    }
    let screen = render(&mut terminal, &live.runtime.state, setup)?;
    live.stop();
    Ok(screen)
}

/// Draws the state on the headless terminal and returns its text.
pub fn render(terminal: &mut Terminal<TestBackend>, state: &AppState, setup: &ReplaySetup) -> anyhow::Result<String> {
    terminal.draw(|frame| view::draw(frame, state, &setup.keymap, setup.theme))?;
    Ok(screen_text(terminal.backend()))
}

/// The screen `state` shows on a terminal of `size`.
pub fn render_state(state: &AppState, size: (u16, u16), keymap: &Keymap, theme: Theme) -> anyhow::Result<String> {
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1))?;
    terminal.draw(|frame| view::draw(frame, state, keymap, theme))?;
    Ok(screen_text(terminal.backend()))
}

pub fn screen_text(backend: &TestBackend) -> String {
    let buffer = backend.buffer();
    let width = buffer.area.width as usize;
    let mut lines = Vec::new();
    for row in buffer.content.chunks(width) {
        // The screen's no-break spaces (between thousands) read as spaces.
        let line: String = row.iter().map(|cell| cell.symbol()).collect::<String>().replace('\u{a0}', " ");
        lines.push(line.trim_end().to_string());
    }
    lines.join("\n")
}

fn dialog_name(dialog: Option<&Dialog>) -> &'static str {
    dialog.map_or("none", Dialog::name)
}

fn check(expectation: &Expectation, state: &AppState, screen: &str, keymap: &Keymap) -> Result<(), String> {
    let equal = |what: &str, expected: String, actual: String| {
        if expected == actual {
            Ok(())
        } else {
            Err(format!("expected {what} {expected}, got {actual}"))
        }
    };
    match expectation {
        Expectation::Screen(text) if screen.contains(text.as_str()) => Ok(()),
        Expectation::Screen(text) => Err(format!("the screen does not show {text:?}")),
        Expectation::NoScreen(text) if !screen.contains(text.as_str()) => Ok(()),
        Expectation::NoScreen(text) => Err(format!("the screen shows {text:?}")),
        Expectation::Notice(text) => {
            // As the info line shows it: keys from the live keymap.
            let notice = state
                .notice
                .as_ref()
                .map(|n| text::notice_keyed(n, &|command| keymap.hint_key(command)))
                .unwrap_or_default()
                .replace('\u{a0}', " ");
            if notice.contains(text.as_str()) {
                Ok(())
            } else {
                Err(format!("the notice is {notice:?}, expected it to contain {text:?}"))
            }
        }
        Expectation::Total(m) => equal(
            "total",
            m.to_string(),
            state.receipt().map_or(Money::ZERO, |r| r.totals().total).to_string(),
        ),
        Expectation::Positions(n) => equal(
            "positions",
            n.to_string(),
            state.receipt().map_or(0, |r| r.positions.len()).to_string(),
        ),
        Expectation::Receipts(n) => {
            let closed = state.shift().map_or(0, |s| s.counters.sales.count + s.counters.returns.count);
            equal("receipts", n.to_string(), closed.to_string())
        }
        Expectation::Shift(n) => equal("shift", n.to_string(), state.shift().map_or(0, |s| s.number).to_string()),
        Expectation::Drawer(m) => {
            let drawer = state.shift().map_or(state.durable.drawer_cash, |s| s.drawer_cash());
            equal("drawer", m.to_string(), drawer.to_string())
        }
        Expectation::Dialog(name) => equal("dialog", name.clone(), dialog_name(state.dialog.as_ref()).to_string()),
        Expectation::Unprinted(n) => equal("unprinted", n.to_string(), state.durable.unprinted.len().to_string()),
        Expectation::Link(expected) => {
            let link = match state.link {
                None => "unknown",
                Some(true) => "up",
                Some(false) => "down",
            };
            equal("link", expected.clone(), link.to_string())
        }
        Expectation::Outbox(n) => equal("outbox", n.to_string(), state.queue.depth.to_string()),
        Expectation::ServerBalance(..)
        | Expectation::Ledger
        | Expectation::RegistrarLedger
        | Expectation::Keys(_)
        | Expectation::JournalAge(..) => Ok(()),
    }
}

/// `expect ledger`: what kassa's journal says the loyalty server counted,
/// reconciled with what the demo server's books say it did.
fn check_ledger(live: &Live) -> Result<(), String> {
    let server = live.server.as_ref().ok_or("no loyalty emulator in this setup")?;
    let store_error = |e: crate::store::StoreError| format!("cannot read the store: {e}");
    let queued = live.store.queue_list(usize::MAX).map_err(store_error)?.len();
    let depth = live.runtime.state.queue.depth.max(queued);
    if depth > 0 {
        return Err(format!(
            "{depth} loyalty request(s) still in the outbox: the queue must be drained first (send it with the link up)"
        ));
    }
    let refused = refused_receipts(&live.store).map_err(store_error)?;
    let mut journal = Vec::new();
    for closed in live.store.journal(None) {
        let closed = closed.map_err(store_error)?;
        if !refused.contains(&closed.id) {
            journal.extend(loyalty::journaled(&closed, &live.runtime.state.settings.flow));
        }
    }
    ledger::reconcile(&server.ledger(), &journal)
}

/// A receipt as the registrar's books and kassa's journal both tell it:
/// its kind (0 sale, 2 return), total, and codes bound with their status.
type Registered = (u8, u64, Vec<(String, u8)>);

/// `setup` printing on the emulated registrar at `path`.
fn on_emulated_registrar(setup: &ReplaySetup, path: &str) -> ReplaySetup {
    let mut setup = setup.clone();
    app::print_on_emulated_registrar(&mut setup.config, path);
    setup
}

/// The registrar registered what kassa journaled, receipt by receipt and
/// to the kopeck: the same kind and total, each marked unit's code bound
/// with the status its receipt gives it (1 sold, 3 returned), nothing else.
fn check_registrar(live: &Live, emulator: &ShtrihEmulator) -> Result<(), String> {
    if !live.runtime.state.durable.unprinted.is_empty() {
        return Err("receipts still wait for the registrar".into());
    }
    let mut journal = Vec::new();
    for closed in live.store.journal(None) {
        let closed = closed.map_err(|e| format!("cannot read the store: {e}"))?;
        let status = if closed.receipt.is_return() { 3 } else { 1 };
        let codes: Vec<(String, u8)> = closed
            .receipt
            .positions
            .iter()
            .flat_map(|p| &p.marks)
            .map(|m| (m.raw.clone(), status))
            .collect();
        let kind = if closed.receipt.is_return() { 2 } else { 0 };
        journal.push((kind, closed.totals().total.0 as u64, codes));
    }
    let registrar = emulator.registrar();
    let registered: Vec<Registered> = registrar
        .receipts
        .iter()
        .map(|r| {
            (
                r.kind,
                r.total(),
                r.marks.iter().map(|m| (m.code.clone(), m.planned_status)).collect(),
            )
        })
        .collect();
    if journal == registered {
        Ok(())
    } else {
        Err(format!(
            "the registrar's books differ from the journal:
 journal   {journal:?}
 registrar {registered:?}"
        ))
    }
}

/// `expect journal-age`: the age confirmation a journaled receipt carries.
fn check_journal_age(store: &Store, id: ReceiptId, expected: Option<&str>) -> Result<(), String> {
    let closed = store
        .receipt(id)
        .map_err(|e| format!("cannot read the store: {e}"))?
        .ok_or_else(|| format!("receipt {id} is not in the journal"))?;
    let actual = closed
        .receipt
        .age_confirmed
        .map(|a| format!("{} {}", a.cashier, a.at.format("%Y-%m-%d %H:%M")));
    if actual.as_deref() == expected {
        Ok(())
    } else {
        Err(format!("expected receipt {id}'s age confirmation {expected:?}, got {actual:?}"))
    }
}

/// Receipts whose confirmation the server refused (the queue's rejected
/// archive): it did not count them, so the journal leaves them out.
fn refused_receipts(store: &Store) -> Result<Vec<ReceiptId>, crate::store::StoreError> {
    let rejected = store.rejected_list(usize::MAX)?;
    Ok(rejected
        .into_iter()
        .filter_map(|r| match r.entry.request {
            Request::Confirm { document, .. } => Some(ReceiptId {
                shift: document.shift,
                number: document.number,
            }),
            _ => None,
        })
        .collect())
}

/// Loads a script file and runs it; used by `kassa replay` and the tests.
pub fn run_file(path: &Path, setup: &ReplaySetup) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let script = Script::parse(&path.display().to_string(), &text, &setup.keymap)?;
    if script.steps.is_empty() {
        bail!("{}: the script has no steps", path.display());
    }
    run(&script, setup)
}
