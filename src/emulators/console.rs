//! `kassa emulate scanner|cardreader|escpos|shtrih`: a device emulator on a
//! pty for manual checks and the demo; typed lines drive it.

use std::io::BufRead;
use std::path::Path;

use super::escpos::EscPosEmulator;
use super::scanner::SerialKeyboard;
use super::shtrih::{Fault, MarkAnswer, Registrar, ShtrihEmulator};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Scanner,
    CardReader,
    EscPos,
    Shtrih,
}

const HELP_SCANNER: &str = "type a code and Enter to scan it; `!text` sends text without the CR (a code cut short)";
const HELP_CARD: &str = "type a card number and Enter to swipe it";
const HELP_ESCPOS: &str = "commands: paper on|off, cover open|close, silent on|off";
const HELP_SHTRIH: &str = "commands: paper on|off, nak N, silent N, lose, corrupt, expire (the shift passes 24 hours), \
    mark ok|bad|timeout (what the marking server answers from now on), mark next bad|ok|timeout… (the next checks' answers, once each)";

/// A marking server's answer as typed.
fn mark_answer(word: &str) -> Option<MarkAnswer> {
    match word {
        "ok" => Some(MarkAnswer::Ok),
        "bad" => Some(MarkAnswer::Bad),
        "timeout" => Some(MarkAnswer::Timeout),
        _ => None,
    }
}

/// `mark ok|bad|timeout` or `mark next ANSWER…`; false when the words are not one of them.
fn steer_marking(registrar: &mut Registrar, words: &[&str]) -> bool {
    let answers = |words: &[&str]| words.iter().map(|w| mark_answer(w)).collect::<Option<Vec<_>>>();
    match words {
        [word] => match mark_answer(word) {
            Some(answer) => registrar.mark_answer = answer,
            None => return false,
        },
        ["next", rest @ ..] if !rest.is_empty() => match answers(rest) {
            Some(answers) => registrar.mark_next(answers),
            None => return false,
        },
        _ => return false,
    }
    true
}

/// Runs `device` until stdin ends, printing where kassa should connect.
pub fn run(device: Device, link: Option<&Path>) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    match device {
        Device::Scanner | Device::CardReader => {
            let mut port = SerialKeyboard::open(link, b"", b"\r")?;
            let help = if device == Device::Scanner { HELP_SCANNER } else { HELP_CARD };
            println!("port {} (9600 8N1, suffix CR); {help}", port.path());
            for line in stdin.lock().lines() {
                let line = line?;
                match (device, line.strip_prefix('!')) {
                    (_, Some(raw)) => port.send_raw(raw.as_bytes())?,
                    (Device::Scanner, None) => port.scan(line.trim())?,
                    _ => port.swipe(line.trim(), "KASSA/DEMO")?,
                }
            }
        }
        Device::EscPos => {
            let printer = EscPosEmulator::start(link, true)?;
            println!("port {}; {HELP_ESCPOS}", printer.path());
            for line in stdin.lock().lines() {
                let line = line?;
                let mut state = printer.state();
                match line.trim() {
                    "paper off" => state.no_paper = true,
                    "paper on" => state.no_paper = false,
                    "cover open" => state.cover_open = true,
                    "cover close" => state.cover_open = false,
                    "silent on" => state.silent = true,
                    "silent off" => state.silent = false,
                    _ => println!("{HELP_ESCPOS}"),
                }
            }
        }
        Device::Shtrih => {
            let registrar = ShtrihEmulator::start(link, Registrar::default(), true)?;
            println!("port {} (password 30); {HELP_SHTRIH}", registrar.path());
            for line in stdin.lock().lines() {
                let line = line?;
                let mut r = registrar.registrar();
                let words: Vec<&str> = line.split_whitespace().collect();
                let times = |i: usize| words.get(i).and_then(|n| n.parse().ok()).unwrap_or(1);
                match words.as_slice() {
                    ["paper", "off"] => r.paper = false,
                    ["paper", "on"] => r.paper = true,
                    ["nak", ..] => r.faults.extend(std::iter::repeat_n(Fault::Nak, times(1))),
                    ["silent", ..] => r.faults.extend(std::iter::repeat_n(Fault::Silent, times(1))),
                    ["lose"] => r.faults.push_back(Fault::LoseAnswer),
                    ["corrupt"] => r.faults.push_back(Fault::CorruptAnswer),
                    ["expire"] => r.shift_mode = crate::devices::shtrih::command::MODE_SHIFT_EXPIRED,
                    ["mark", rest @ ..] if steer_marking(&mut r, rest) => {}
                    _ => println!("{HELP_SHTRIH}"),
                }
            }
        }
    }
    Ok(())
}
