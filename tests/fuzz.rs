//! Mutation fuzzing of every parser that reads what kassa does not control:
//! scanner and card reader bytes, registrar and printer answers, loyalty
//! servers' answers, config, keymap, catalog and journal files, the support
//! and watch sockets.
//!
//! Self-contained: a xorshift generator with a fixed seed per parser, a few
//! valid inputs per parser (from the fixtures, the specs' examples and the
//! unit tests), and mutations of them: bit flips, interesting bytes (NUL,
//! 0xFF, STX, GS, quotes, braces, cut UTF-8), inserted and deleted bytes,
//! duplicated runs, long repeats, splices of two seeds, truncation, and
//! extreme numbers (`-9223372036854775808`, `1e999`, …). Every call runs
//! under `catch_unwind`; a panic is recorded with the parser's name and the
//! input in hex, and the parser's test fails listing them. A call slower than
//! [`SLOW`] fails too; a call that never returns is caught by a watchdog that
//! prints the input and aborts.
//!
//! A normal `cargo test` runs [`DEFAULT_ITERATIONS`] mutated inputs per
//! parser; `KASSA_FUZZ=N` runs N (a long run:
//! `KASSA_FUZZ=1000000 cargo test --release --test fuzz -- --nocapture`),
//! `KASSA_FUZZ_SEED=N` other inputs than the default run's.

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use kassa::core::barcode::{self, WeightLayout};
use kassa::core::catalog::Catalog;
use kassa::core::journal::ReceiptId;
use kassa::core::money::{Money, Quantity};
use kassa::devices::codepage::{self, IBM866, WINDOWS_1251};
use kassa::devices::escpos;
use kassa::devices::framing::{self, Framer, Framing};
use kassa::devices::magstripe::{self, CardRule};
use kassa::devices::shtrih::command::{self, Code, Operation, Status};
use kassa::devices::shtrih::frame::{self, ACK, NAK, Receiver};
use kassa::devices::shtrih::link::{Link, Timing, Wire};
use kassa::emulators::escpos::Decoder;
use kassa::loyalty::{self, ClientId, Document, DocumentKind, Request};
use kassa::print::document as print;

/// Mutated inputs per parser in a normal test run (a debug build).
const DEFAULT_ITERATIONS: usize = 300;
/// No parser may take longer than this on one input.
const SLOW: Duration = Duration::from_secs(1);
/// A call this long is taken as hung: the input is printed and the run aborted.
const HUNG: Duration = Duration::from_secs(20);
/// Mutated inputs grow no longer than this.
const MAX_LEN: usize = 32 * 1024;
/// Findings listed per parser (the first of each distinct panic message).
const MAX_FINDINGS: usize = 8;

/// `KASSA_FUZZ_SEED=N` varies every parser's sequence (a long run with
/// another seed tries other inputs); unset, runs are the same each time.
fn run_seed() -> u64 {
    std::env::var("KASSA_FUZZ_SEED")
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

fn iterations() -> usize {
    std::env::var("KASSA_FUZZ")
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(DEFAULT_ITERATIONS)
}

/// xorshift64*: small, fast, and the same sequence for the same seed.
struct Rng(u64);

impl Rng {
    fn seeded(name: &str) -> Rng {
        // FNV-1a of the parser's name: each parser its own fixed sequence.
        let hash = name
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        Rng((hash ^ run_seed().wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// Bytes that trip parsers: ends of strings, frame starts, separators,
/// pieces of multi-byte UTF-8, deep nesting.
const TOKENS: &[&[u8]] = &[
    b"\x00",
    b"\xff",
    b"\x02",
    b"\x1d",
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b";",
    b"=",
    b"^",
    b"?",
    b"%",
    b"\r\n",
    b"\n",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"\xd0",
    b"\xd0\x96",
    b"\xe2\x82",
    b"\xe2\x82\xbd",
    b"\xf0\x9f\x98\x80",
    b"\xed\xa0\x80",
    b"null",
    b"true",
    b"-",
    b"[[[[[[[[[[[[[[[[",
    b"{\"a\":{\"a\":{\"a\":",
    b"'''",
    b"\"\"\"",
    b"[[x]]",
];

/// Numbers at the edges of their types and of kassa's amounts.
const NUMBERS: &[&[u8]] = &[
    b"0",
    b"-0",
    b"0.001",
    b"0.0001",
    b"99999999999999999999",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"18446744073709551615",
    b"18446744073709551616",
    b"4294967295",
    b"65535",
    b"1e999",
    b"-1e999",
    b"1E-7",
    b"999999999999999.999",
    b"1000000000000",
    b"10000000000.00",
];

/// One mutation of `input`, or a few stacked.
fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        // JSON keeps its shape half the time, so the values reach the code after the parser.
        if rng.chance(2) && mutate_json(rng, &mut data) {
            continue;
        }
        mutate_once(rng, seeds, &mut data);
    }
    data.truncate(MAX_LEN);
    data
}

/// Changes one value of a JSON document (or of one line of JSON lines):
/// an extreme number, a string, null, a repeated array element, a key
/// dropped. `false` when the data is not JSON.
fn mutate_json(rng: &mut Rng, data: &mut Vec<u8>) -> bool {
    if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(data) {
        mutate_value(rng, &mut value);
        *data = serde_json::to_vec(&value).unwrap_or_default();
        return true;
    }
    let mut lines: Vec<Vec<u8>> = data.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    let at = rng.below(lines.len());
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&lines[at]) else {
        return false;
    };
    mutate_value(rng, &mut value);
    lines[at] = serde_json::to_vec(&value).unwrap_or_default();
    *data = lines.join(&b'\n');
    true
}

fn mutate_value(rng: &mut Rng, root: &mut serde_json::Value) {
    use serde_json::Value;
    fn count(value: &Value) -> usize {
        1 + match value {
            Value::Array(items) => items.iter().map(count).sum(),
            Value::Object(map) => map.values().map(count).sum(),
            _ => 0,
        }
    }
    /// Changes the `n`th node in document order.
    fn change_nth(value: &mut Value, n: &mut usize, rng: &mut Rng) -> bool {
        if *n == 0 {
            change(rng, value);
            return true;
        }
        *n -= 1;
        match value {
            Value::Array(items) => items.iter_mut().any(|v| change_nth(v, n, rng)),
            Value::Object(map) => map.values_mut().any(|v| change_nth(v, n, rng)),
            _ => false,
        }
    }
    let mut n = rng.below(count(root));
    change_nth(root, &mut n, rng);
}

fn change(rng: &mut Rng, node: &mut serde_json::Value) {
    use serde_json::Value;
    match rng.below(7) {
        0 | 1 => {
            let number = NUMBERS[rng.below(NUMBERS.len())];
            if let Ok(v) = serde_json::from_slice::<Value>(number) {
                *node = v;
            }
        }
        2 => *node = Value::String(String::from_utf8_lossy(TOKENS[rng.below(TOKENS.len())]).repeat(1 + rng.below(4))),
        3 => *node = Value::Null,
        4 => match node {
            Value::Array(items) if !items.is_empty() => {
                let item = items[rng.below(items.len())].clone();
                let times = 1 + rng.below(64);
                items.extend(std::iter::repeat_n(item, times));
            }
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(rng.below(map.len())).cloned().unwrap_or_default();
                map.remove(&key);
            }
            _ => *node = Value::Array(vec![node.clone(); 2]),
        },
        5 => {
            if let Value::Number(number) = node
                && let Ok(v) = serde_json::from_str::<Value>(&format!("-{number}"))
            {
                *node = v;
            } else {
                *node = Value::Bool(true);
            }
        }
        _ => {
            if let Value::String(text) = node {
                text.push_str(&String::from_utf8_lossy(TOKENS[rng.below(TOKENS.len())]));
            } else {
                *node = Value::String("2026-02-30".into());
            }
        }
    }
}

fn mutate_once(rng: &mut Rng, seeds: &[Vec<u8>], data: &mut Vec<u8>) {
    let len = data.len();
    let at = |rng: &mut Rng| if len == 0 { 0 } else { rng.below(len + 1) };
    match rng.below(11) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = rng.next() as u8;
        }
        2 => {
            let i = at(rng);
            data.insert(i, rng.next() as u8);
        }
        3 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(16)).min(len);
            data.drain(start..end);
        }
        4 if len > 0 => {
            // Duplicate a run in place.
            let start = rng.below(len);
            let end = (start + 1 + rng.below(64)).min(len);
            let run = data[start..end].to_vec();
            let i = at(rng);
            data.splice(i..i, run);
        }
        5 => {
            // A long repeat of one byte or a short run.
            let start = if len == 0 { 0 } else { rng.below(len) };
            let run = if len == 0 || rng.chance(2) {
                vec![TOKENS[rng.below(TOKENS.len())].first().copied().unwrap_or(b'0')]
            } else {
                data[start..(start + 1 + rng.below(8)).min(len)].to_vec()
            };
            let times = 16 << rng.below(8);
            let repeated: Vec<u8> = run.iter().copied().cycle().take(run.len() * times).collect();
            let i = at(rng);
            data.splice(i..i, repeated);
        }
        6 => {
            // Splice: the head of this input and the tail of another seed.
            let other = &seeds[rng.below(seeds.len())];
            let cut = at(rng).min(len);
            let from = if other.is_empty() { 0 } else { rng.below(other.len()) };
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        7 if len > 0 => {
            let keep = rng.below(len);
            data.truncate(keep);
        }
        8 | 9 => {
            let token = if rng.chance(3) {
                NUMBERS[rng.below(NUMBERS.len())]
            } else {
                TOKENS[rng.below(TOKENS.len())]
            };
            let i = at(rng);
            if rng.chance(2) || len == 0 {
                data.splice(i..i, token.iter().copied());
            } else {
                let end = (i + token.len()).min(len);
                data.splice(i..end, token.iter().copied());
            }
        }
        _ => {
            // Replace a run of digits with an extreme number.
            if let Some(start) = (0..len).map(|k| (k + at(rng)) % len.max(1)).find(|&k| data[k].is_ascii_digit()) {
                let end = (start..len).find(|&k| !data[k].is_ascii_digit()).unwrap_or(len);
                data.splice(start..end, NUMBERS[rng.below(NUMBERS.len())].iter().copied());
            }
        }
    }
}

thread_local! {
    /// Set while a parser runs: its panic message goes to `CAUGHT`, not stderr.
    static FUZZING: Cell<bool> = const { Cell::new(false) };
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A panic hook that keeps a fuzzed parser's panic quiet (it is reported
/// with its input instead) and leaves every other panic to the default hook.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if FUZZING.with(Cell::get) {
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let mut place = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
                if !place.starts_with("src/") && !place.starts_with("tests/") {
                    // Inside std (a slice index, say): name kassa's frame that called it.
                    let trace = std::backtrace::Backtrace::force_capture().to_string();
                    if let Some(ours) = trace.lines().map(str::trim).find(|l| l.starts_with("at ./src/")) {
                        place = format!("{} (in {place})", ours.trim_start_matches("at ./"));
                    }
                }
                CAUGHT.with(|c| *c.borrow_mut() = Some(format!("{place}: {message}")));
            } else {
                default(info);
            }
        }));
    });
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Text for parsers that take `&str`: valid UTF-8 as it is, else lossily.
fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// What a run found.
struct Findings {
    tried: usize,
    panics: Vec<(String, Vec<u8>)>,
    slow: Vec<(Duration, Vec<u8>)>,
}

/// Runs `parse` on each seed, then on `iterations()` mutations; fails the
/// test listing each distinct panic (with its input in hex) and each input
/// slower than [`SLOW`].
fn fuzz(name: &str, seeds: Vec<Vec<u8>>, parse: impl Fn(&[u8])) {
    install_hook();
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let mut rng = Rng::seeded(name);
    let mut found = Findings {
        tried: 0,
        panics: Vec::new(),
        slow: Vec::new(),
    };
    // The watchdog: a call that never returns is reported and the run aborted.
    let current: Arc<Mutex<Vec<u8>>> = Arc::default();
    let started = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let epoch = Instant::now();
    let watchdog = {
        let (current, started, done, name) = (current.clone(), started.clone(), done.clone(), name.to_string());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let since = started.load(Ordering::Relaxed);
                let now = epoch.elapsed().as_millis() as u64;
                if since != 0 && now.saturating_sub(since) > HUNG.as_millis() as u64 {
                    let input = current.lock().map(|c| hex(&c)).unwrap_or_default();
                    eprintln!("fuzz {name}: a call ran over {HUNG:?}; input (hex): {input}");
                    std::process::abort();
                }
            }
        })
    };
    let total = iterations();
    let inputs = seeds.clone().into_iter().chain((0..total).map(|_| mutate(&mut rng, &seeds)));
    for input in inputs {
        if let Ok(mut c) = current.lock() {
            c.clone_from(&input);
        }
        started.store(epoch.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
        let begun = Instant::now();
        FUZZING.with(|f| f.set(true));
        let result = catch_unwind(AssertUnwindSafe(|| parse(&input)));
        FUZZING.with(|f| f.set(false));
        let took = begun.elapsed();
        started.store(0, Ordering::Relaxed);
        found.tried += 1;
        if result.is_err() {
            let message = CAUGHT.with(|c| c.borrow_mut().take()).unwrap_or_default();
            let room = found.panics.len() < MAX_FINDINGS;
            match found.panics.iter_mut().find(|(m, _)| *m == message) {
                // Keep the shortest input for each distinct panic.
                Some((_, kept)) if input.len() < kept.len() => *kept = input,
                Some(_) => {}
                None if room => found.panics.push((message, input)),
                None => {}
            }
        } else if took > SLOW && found.slow.len() < MAX_FINDINGS {
            found.slow.push((took, input));
        }
    }
    done.store(true, Ordering::Relaxed);
    let _ = watchdog.join();
    println!(
        "fuzz {name}: {} inputs tried (seed {}), {} panics, {} slow",
        found.tried,
        run_seed(),
        found.panics.len(),
        found.slow.len()
    );
    let mut report = String::new();
    for (message, input) in &found.panics {
        report.push_str(&format!(
            "  panic {message}\n    input ({} bytes, hex): {}\n",
            input.len(),
            hex(input)
        ));
    }
    for (took, input) in &found.slow {
        report.push_str(&format!(
            "  slow {took:?}\n    input ({} bytes, hex): {}\n",
            input.len(),
            hex(input)
        ));
    }
    assert!(report.is_empty(), "fuzz {name} found:\n{report}");
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap_or_else(|e| panic!("seed {path}: {e}"))
}

fn seeds(texts: &[&str]) -> Vec<Vec<u8>> {
    texts.iter().map(|t| t.as_bytes().to_vec()).collect()
}

// ---------------------------------------------------------------- barcodes

#[test]
fn barcodes_and_weight_layouts() {
    let layouts: Vec<WeightLayout> = ["PPCCCCCWWWWWK", "PPWWWWWCCCCCK", "PCCCCCCWWWWWK"]
        .iter()
        .map(|pattern| WeightLayout {
            pattern: pattern.to_string(),
            ..WeightLayout::default()
        })
        .collect();
    for layout in &layouts {
        assert!(layout.validate().is_ok(), "{layout:?}");
    }
    fuzz(
        "barcode",
        seeds(&[
            "4607001771562",
            "2200042012347",
            "96385074",
            "036000291452",
            "9900005000128",
            "2812345678901",
        ]),
        |data| {
            let code = text(data);
            let _ = barcode::has_valid_check_digit(&code);
            let _ = barcode::check_digit(&code);
            let _ = barcode::with_check_digit(&code);
            for layout in &layouts {
                let _ = layout.decode(&code);
            }
            let _ = ReceiptId::from_barcode(&code);
            let _ = ReceiptId::parse(&code);
            let _ = ReceiptId::from_key(data);
            let _ = ClientId::parse(&code);
        },
    );
}

#[test]
fn money_and_quantities() {
    fuzz(
        "money",
        seeds(&["89.90", "0,5", "1000000000000", "123", "1,250", " 7.05 ", ".5", "0.000"]),
        |data| {
            let typed = text(data);
            if let Ok(money) = Money::parse(&typed) {
                let _ = money.to_string();
                let _ = money.percent(1250);
                let _ = money.share(3, 7);
            }
            let _ = Money::parse_positive(&typed);
            if let Ok(quantity) = Quantity::parse(&typed) {
                let _ = quantity.to_string();
                let _ = Money(89_90).times(quantity);
            }
        },
    );
}

// ----------------------------------------------------------------- devices

#[test]
fn magstripe_swipes() {
    let rules = [
        CardRule::default(),
        CardRule {
            track: 1,
            field: 1,
            offset: 0,
            length: None,
        },
        CardRule {
            track: 1,
            field: 2,
            offset: 2,
            length: Some(5),
        },
        CardRule {
            track: 3,
            field: 2,
            offset: 0,
            length: Some(0),
        },
    ];
    fuzz(
        "magstripe",
        seeds(&[
            "%B1234567890123456^IVANOV/IVAN^2512101?;1234567890123456=2512101?",
            ";7770000000017=?",
            "%E?;E?+E?",
            ";7770000000017=2512?+99=1?\r",
            "%BЖ^Ё^?",
        ]),
        |data| {
            let swipe = text(data);
            let _ = magstripe::tracks(&swipe);
            for rule in &rules {
                let _ = rule.card(&swipe);
            }
        },
    );
}

#[test]
fn scanner_framing() {
    let framings = [
        Framing::carriage_return(),
        Framing {
            prefix: vec![0x02],
            suffix: vec![0x03],
            gap: Duration::from_millis(50),
            max_len: 64,
        },
        Framing {
            prefix: Vec::new(),
            suffix: b"\r\n".to_vec(),
            gap: Duration::from_millis(100),
            max_len: 16,
        },
        Framing {
            prefix: b"]C1".to_vec(),
            suffix: Vec::new(),
            gap: Duration::from_millis(30),
            max_len: 256,
        },
    ];
    fuzz(
        "scanner_framing",
        seeds(&[
            "4607001771562\r",
            "\x024607001771562\x03\x0296385074\x03",
            "0104607001771562215abc\x1d93dGVz\r\n",
            "]C10104607001771562",
            "CRLF",
            "0x03",
        ]),
        |data| {
            let epoch = Instant::now();
            for framing in &framings {
                let mut framer = Framer::new(framing.clone());
                let mut at = epoch;
                // The input's own bytes choose the chunk sizes and pauses.
                let mut rest = data;
                while !rest.is_empty() {
                    let take = 1 + usize::from(rest[0] % 7);
                    let (chunk, tail) = rest.split_at(take.min(rest.len()));
                    at += Duration::from_millis(u64::from(rest[0] % 4) * 40);
                    let _ = framer.feed(chunk, at);
                    rest = tail;
                }
                let _ = framer.idle(at + Duration::from_secs(1));
            }
            let _ = framing::parse_delimiter(&text(data));
        },
    );
}

#[test]
fn shtrih_frames_and_answers() {
    let status_answer: Vec<u8> = [0x11, 0x00]
        .into_iter()
        .chain((0..command::STATUS_ANSWER as u8).map(|b| b.wrapping_mul(37)))
        .collect();
    let operation = Operation {
        kind: 1,
        quantity: 1_000,
        price: 89_90,
        discount: 0,
        department: 1,
        tax: 2,
        name: "Молоко 3,2%".into(),
    }
    .params();
    let mut seeds = vec![
        frame::frame(&status_answer).unwrap_or_default()[1..].to_vec(),
        frame::frame(&[0x10, 0x1e, 0, 0, 0]).unwrap_or_default()[1..].to_vec(),
        frame::frame(&[0xFF, 0x0D, 0x00]).unwrap_or_default()[1..].to_vec(),
        status_answer.clone(),
        operation.clone(),
    ];
    seeds.push([vec![0xFF, 0x0D], command::le(30, 4), operation].concat());
    fuzz("shtrih_frame", seeds, |data| {
        let mut receiver = Receiver::default();
        for &byte in data {
            let _ = receiver.feed(byte);
        }
        let _ = Code::of(data);
        for sent in [Code::STATUS, Code::OPERATION, Code::SHORT_STATUS] {
            if let Ok((_, rest)) = command::split_answer(sent, data) {
                let _ = Status::parse(rest);
            }
        }
        let _ = Status::parse(data);
        let _ = Operation::parse(data);
        let _ = Operation::parse(data.get(6..).unwrap_or_default());
        let _ = command::read_le(data);
        let _ = kassa::devices::shtrih::errors::describe(data.first().copied().unwrap_or(0));
    });
}

/// A registrar's side of the line, played from a script: each read takes
/// the next byte; past the end every read times out. What kassa writes is
/// dropped; discarding input is a no-op (the script is all there is).
struct Scripted {
    bytes: Vec<u8>,
    at: usize,
}

impl Read for Scripted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.bytes.get(self.at), buf.first_mut()) {
            (Some(&byte), Some(slot)) => {
                *slot = byte;
                self.at += 1;
                Ok(1)
            }
            _ => Err(std::io::ErrorKind::TimedOut.into()),
        }
    }
}

impl Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Wire for Scripted {
    fn set_read_timeout(&mut self, _: Duration) -> std::io::Result<()> {
        Ok(())
    }
    fn discard_input(&mut self) {}
}

#[test]
fn shtrih_link() {
    let answer = |message: &[u8]| frame::frame(message).unwrap_or_default();
    let status = [vec![0x11, 0x00], vec![0; command::STATUS_ANSWER]].concat();
    let seeds = vec![
        // Idle (NAK), the command taken (ACK), the answer.
        [vec![NAK, ACK], answer(&status)].concat(),
        // A stale answer first, a broken one, then ENQ brings it again.
        [
            vec![ACK],
            answer(&[0x10, 0x00, 0x02]),
            vec![NAK, ACK, 0x02, 0x03, 0x10, 0x00, 0x00, 0x99, ACK],
            answer(&[0x10, 0, 2, 3]),
        ]
        .concat(),
        [vec![NAK, ACK, ACK, ACK], answer(&[0xFF, 0x0D, 0x00])].concat(),
        vec![NAK, 0x15, 0x15],
    ];
    fuzz("shtrih_link", seeds, |data| {
        let timing = Timing {
            byte: Duration::ZERO,
            ack: Duration::ZERO,
            tries: 10,
        };
        let mut link = Link::new(
            Scripted {
                bytes: data.to_vec(),
                at: 0,
            },
            timing,
        );
        if let Ok(reply) = link.exchange(&[0x11, 0x1e, 0, 0, 0], Duration::ZERO) {
            let _ = command::split_answer(Code::STATUS, &reply).map(|(_, rest)| Status::parse(rest));
        }
    });
}

#[test]
fn codepages() {
    let mut seeds = seeds(&["Молоко «Простоквашино» 3,2% — 89.90 ₽", "ЁЖЩ №5 × 2 …", "plain"]);
    seeds.push(codepage::encode(IBM866, "Итого: 1 234,50 р."));
    seeds.push(codepage::encode(WINDOWS_1251, "Хлеб Бородинский"));
    seeds.push((0..=255).collect());
    fuzz("codepage", seeds, |data| {
        for page in [IBM866, WINDOWS_1251] {
            let decoded = codepage::decode(page, data);
            let again = codepage::encode(page, &decoded);
            // What one page decoded, it encodes back to the same bytes.
            assert_eq!(codepage::decode(page, &again), decoded, "round trip");
            let _ = codepage::encode(page, &text(data));
        }
        let _ = command::text_field(&text(data), 40);
    });
}

#[test]
fn escpos() {
    let document = print::Document {
        lines: vec![
            print::Line::Text {
                text: "ООО «Ромашка» Очень длинное название магазина у дома".into(),
                align: print::Align::Center,
                bold: true,
                double: true,
                wrap: print::Wrap::Words,
            },
            print::Line::Pair {
                left: "Молоко 3,2%".into(),
                right: "89.90".into(),
                bold: false,
                fill: '.',
            },
            print::Line::Rule('='),
            print::Line::Ean13 {
                digits: "4607001771562".into(),
                text: print::DigitsAt::Below,
                size: print::CodeSize::Normal,
            },
            print::Line::Qr {
                data: "t=20261123T0900&s=89.90&fn=1".into(),
                size: print::CodeSize::Large,
                correction: print::Correction::High,
            },
            print::Line::Blank,
        ],
        customer_contact: Some("+79211022546".into()),
        fiscal: None,
        open_drawer: true,
    };
    let json = serde_json::to_vec(&document).unwrap_or_default();
    let bytes = escpos::encode(&document, 48);
    fuzz(
        "escpos",
        vec![json, bytes, vec![0x10, 0x04, 0x02, 0x1b, 0x74, 17, 0x8f, 0x0a]],
        |data| {
            // As printer bytes: the decoder, fed in two pieces.
            let mut decoder = Decoder::default();
            let (head, tail) = data.split_at(data.len() / 2);
            let _ = decoder.feed(head);
            let _ = decoder.feed(tail);
            // As a document (what a loyalty slip or a receipt becomes): encoded and decoded back.
            if let Ok(document) = serde_json::from_slice::<print::Document>(data) {
                for width in [1, 32, 48] {
                    let _ = Decoder::default().feed(&escpos::encode(&document, width));
                }
            }
            let _ = escpos::state_of(data.first().copied().unwrap_or(0), data.last().copied().unwrap_or(0));
        },
    );
}

// ----------------------------------------------------------------- loyalty

fn document(kind: DocumentKind) -> Document {
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default();
    let line = |index: u32, code: &str, quantity: i64, total: i64| loyalty::Line {
        index,
        code: code.into(),
        name: format!("Товар {code}"),
        price: Money(100_00),
        min_price: Money(10_00),
        quantity: Quantity(quantity),
        total: Money(total),
        before_loyalty: Money(total),
        sale_index: None,
    };
    Document {
        uid: "5c3f2a4e-0000-4000-8000-000000000001".into(),
        kind,
        shift: 5,
        number: 7,
        at,
        lines: vec![
            line(1, "42", 2_000, 200_00),
            line(2, "70259", 732, 73_20),
            line(3, "42", 1_000, 100_00),
        ],
        promo_code: Some("SALE10".into()),
        closed_at: Some(at),
        certificates: Vec::new(),
    }
}

/// The statuses each answer is read under: success, a refusal, server trouble.
const STATUSES: [u16; 5] = [200, 400, 403, 422, 503];

#[test]
fn frontol_answers() {
    let client = ClientId::Card("7770000000017".into());
    let requests = [
        Request::ClientInfo {
            client: client.clone(),
            history: true,
        },
        Request::Calculate {
            client: client.clone(),
            document: document(DocumentKind::Sale),
        },
        Request::PayByBonus {
            client: client.clone(),
            document: document(DocumentKind::Sale),
            amount: Money(50_00),
        },
        Request::CancelBonusPayment {
            client,
            document: document(DocumentKind::Sale),
            amount: Money(50_00),
        },
    ];
    let seeds = seeds(&[
        r#"{"code":0,"client":{"mobilePhone":"+79211022546","email":"sobaka@gmail.com","validationCode":"8956","availableAmount":832.44},
            "document":{"positions":[{"index":1,"discountAmount":500.00,"paidAmount":10.00},{"index":2,"discountAmount":0}]},
            "cashierInformation":[{"text":"Клиент Пупкин\n","alignment":"center","weight":"bold","size":"large"}],
            "printingInformation":[[{"type":"text","text":"Ранг 1"},{"type":"line","symbol":"*"},{"type":"qrcode","data":"http://x","size":"large","correction":"h"},
            {"type":"pair","left":"27.01.2015","right":"16:45"},{"type":"br"},{"type":"barcode","data":"123456789012","printText":"below"}]]}"#,
        r#"{"code":5,"error":"Оплата не найдена"}"#,
        r#"{"code":0,"printingInformation":[{"text":"Я текст на слипе","alignment":"right","size":"small"}]}"#,
        r#"{"code":0}"#,
    ]);
    fuzz("frontol", seeds, |body| {
        for (n, request) in requests.iter().enumerate() {
            let status = if n == 0 { STATUSES[body.len() % STATUSES.len()] } else { 200 };
            let _ = loyalty::frontol::classify(request, status, "OK", body);
        }
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
            let _ = loyalty::frontol::slips(&value);
            let _ = loyalty::redacted(value);
        }
    });
}

#[test]
fn kilbil_answers() {
    use loyalty::kilbil::{self, Known, wire};
    let sale = document(DocumentKind::Sale);
    let giving_back = document(DocumentKind::Return {
        reference_uid: "x".into(),
        sale: None,
        kept: None,
    });
    let known = Known {
        client_id: serde_json::json!(17),
        phone: Some("79211022546".into()),
        name: Some("Иван".into()),
        balance: Money(1_000_00),
        max_bill_bonus_out: Money(500_00),
    };
    let seeds = seeds(&[
        r#"{"result_code":0,"client_id":17,"bonus_balance":1000.00,"card_code":"777","phone":"79211022546","first_name":"Иван","last_name":"Петров","max_bill_bonus_out":500.00}"#,
        r#"{"result_code":0,"bill_data":{"items":[{"code":"42","price":100.00,"discounted_price":90.00,"bonus_out":10.00,"total":200.00,"discounted_total":180.00},{"code":"70259","price":100.00,"discounted_price":95.00}],"bonus_out":10.00}}"#,
        r#"{"result_code":0,"move_info":{"oper_type":0},"move_detail":[{"code":"42","price":100.00,"total":300.00,"quantity":3.000},{"code":"70259","price":100.00,"total":73.20,"quantity":0.732}]}"#,
        r#"{"result_code":0,"move_info":{"oper_type":0},"move_detail":[{"code":"42","price":0.01,"total":0.01,"quantity":999999999999999.999}]}"#,
        r#"{"result_code":3,"message":"No such card"}"#,
        r#"{"result_code":0,"success":1}"#,
    ]);
    fuzz("kilbil", seeds, |body| {
        let status = if body.len() % 7 == 0 { 500 } else { 200 };
        let _ = kilbil::classify::<wire::ClientAnswer>(status, "OK", body);
        let _ = kilbil::classify::<wire::Done>(status, "OK", body);
        if let Ok(answer) = kilbil::classify::<wire::SaleAnswer>(status, "OK", body) {
            let _ = kilbil::sale_reply(&sale, &answer, Some(&known), true);
            let _ = kilbil::sale_reply(&giving_back, &answer, None, false);
        }
        if let Ok(answer) = kilbil::classify::<wire::MoveAnswer>(status, "OK", body) {
            let _ = kilbil::check_return(&giving_back, &answer);
        }
    });
}

#[test]
fn maxbonus_answers() {
    use loyalty::maxbonus::{self, wire};
    let seeds = seeds(&[
        r#"{"first_name":"Иван","middle_name":"","last_name":"Петров","total_bonus":150.50,"token":"t0k","phone":"79211022546","exists_chatbot":true,"n_checkpin":0,"register_request":"r"}"#,
        r#"{"calc_id":"c1","name":"Иван","total_bonus":150.50,"max_bonus":100.00,"bonus_add":5.00,"items":[{"position":1,"max_bonus_can_pay":50.00,"discount":10.00,"bonus_pay":20.00}],"certificate":[{"code":"C1","summ":"500.00"}],"message":"ok"}"#,
        r#"{"text":"Спасибо","bonus_add":5.00,"bonus_pay":20.00,"total_bonus":135.50}"#,
        r#"{"success":true,"message":"отправлено"}"#,
        r#"{"error": {"code": 409, "message": "Такой чек уже проведен"}}"#,
        r#"{"code": 422, "message": "Покупатель не найден"}"#,
        r#"{"code":"C1","summ":500}"#,
    ]);
    fuzz("maxbonus", seeds, |body| {
        for status in [200, STATUSES[body.len() % STATUSES.len()]] {
            let _ = maxbonus::answer::<wire::CustomerAuth>(status, body);
            let _ = maxbonus::answer::<wire::CalcAnswer>(status, body);
            let _ = maxbonus::answer::<wire::WriteAnswer>(status, body);
            let _ = maxbonus::answer::<wire::Done>(status, body);
            let _ = maxbonus::answer::<wire::CertificateAnswer>(status, body);
            let _ = maxbonus::answer::<wire::ErrorAnswer>(status, body).map(|a| a.map(|e| e.parts()));
        }
    });
}

#[test]
fn probonus_answers() {
    use loyalty::probonus::{self, wire};
    let seeds = seeds(&[
        r#"{"accessToken":"a","refreshToken":"r","expiresIn":3600}"#,
        r#"{"access_token":"a","refresh_token":"r","expires_in":3600}"#,
        r#"{"id":5,"accountGroupId":1,"phone":"79211022546","surname":"Петров","name":"Иван","balance":150000,"level":{"id":1,"name":"Золото","bonusPercent":2.5,"maxPaymentPercent":50},"coupons":[{"id":1,"code":"C","name":"Купон"}]}"#,
        r#"[{"id":1,"name":"Гости","haveTemplate":true},{"id":2,"name":"Сотрудники"}]"#,
        r#"{"balance":150000,"burnings":[{"amount":500,"date":"2026-12-01"}]}"#,
        r#"[{"date":"2026-11-23T09:00:00","amount":-5000,"description":"списание","checkGuid":"g-1"}]"#,
        r#"{"balance": 100}"#,
        r#"{"error": {"message": "мало бонусов"}}"#,
        r#"{"detail":"Гость заблокирован"}"#,
    ]);
    fuzz("probonus", seeds, |body| {
        for status in [200, STATUSES[body.len() % STATUSES.len()]] {
            let _ = probonus::classify::<wire::Tokens>(status, body);
            let _ = probonus::classify::<wire::Account>(status, body);
            if let Ok(groups) = probonus::classify::<Vec<wire::AccountGroup>>(status, body) {
                let _ = probonus::group_problems(&groups, Some(1));
                let _ = probonus::group_problems(&groups, None);
            }
            let _ = probonus::classify::<wire::BalanceExtended>(status, body);
            let _ = probonus::classify::<Vec<wire::Transaction>>(status, body);
            let _ = probonus::classify::<wire::CheckAnswer>(status, body);
        }
    });
}

// ------------------------------------------------------------------- files

#[test]
fn keymaps() {
    let seeds = [
        "keymaps/default.toml",
        "keymaps/pos-keyboard.toml",
        "tests/keymaps/duplicate_key.toml",
        "tests/keymaps/syntax.toml",
        "tests/keymaps/unknown_key.toml",
        "tests/keymaps/not_a_string.toml",
    ]
    .map(read)
    .to_vec();
    fuzz("keymap", seeds, |data| {
        let text = text(data);
        let _ = kassa::tui::keymap::parse("keymap.toml", &text);
        for line in text.lines().take(64) {
            let _ = kassa::tui::keymap::Chord::parse(line);
        }
    });
}

#[test]
fn configs() {
    let seeds = [
        "fixtures/config.example.toml",
        "dist/config.toml",
        "dist/secrets.toml",
        "tests/configs/broken.toml",
    ]
    .map(read)
    .to_vec();
    let system = text(&read("dist/config.toml"));
    fuzz("config", seeds, |data| {
        let text = text(data);
        let _ = kassa::config::parse("config.toml", &text, Path::new("/etc/kassa"));
        // As the secrets layer over the shipped config.
        let layers = [
            kassa::config::Layer {
                file: "/etc/kassa/config.toml".into(),
                text: system.clone(),
                world_readable: true,
            },
            kassa::config::Layer {
                file: "/etc/kassa/secrets.toml".into(),
                text,
                world_readable: false,
            },
        ];
        let _ = kassa::config::parse_layers(&layers, Path::new("/etc/kassa"));
    });
}

#[test]
fn catalogs() {
    let seeds = vec![
        read("fixtures/demo-catalog.csv").into_iter().take(2_000).collect(),
        b"code;name;price;min_price;weighed;barcodes;vat\n1001;\xd0\x9c\xd0\xbe\xd0\xbb\xd0\xbe\xd0\xba\xd0\xbe;89.90;80.00;0;4607001771562;10\n2001;\"A;b\";149.00;120.00;1;;none\n".to_vec(),
        b"code;name;price;;;barcodes;\n1;M;4;;;12346,12346;\n".to_vec(),
        b"code;name;price\n1;Bread;1\n".to_vec(),
    ];
    fuzz("catalog", seeds, |data| {
        if let Ok(catalog) = Catalog::from_reader("catalog.csv", data) {
            let _ = catalog.by_barcode("4607001771562");
            let _ = catalog.by_code("1001");
            let _ = catalog.search("мол ок", 10);
            let _ = catalog.search(&text(data.get(..8).unwrap_or_default()), 10);
        }
    });
}

/// A short journal as the recorder writes it: a snapshot, typing, a scan,
/// a command, ticks.
fn journal() -> Vec<u8> {
    use kassa::core::command::Command;
    use kassa::core::event::Event;
    use kassa::core::state::{AppState, Durable, Settings};
    use kassa::session::{Masker, Recorder};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut out) = self.0.lock() {
                out.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let out = Shared::default();
    let mut recorder = Recorder::to_writer(Box::new(out.clone()), Masker::with_key([7; 16]));
    let mut state = AppState::restore(
        Arc::new(Settings::default()),
        journal_catalog(),
        Durable::default(),
        Default::default(),
    );
    recorder.start(&state);
    let at = |minute| {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(9, minute, 0))
            .unwrap_or_default()
    };
    let events = [
        Event::Tick(at(1)),
        Event::Command(Command::OpenShift),
        Event::Command(Command::Confirm),
        Event::Char('2'),
        Event::Command(Command::Multiply),
        Event::Scan("4607001771562".into()),
        Event::Scan("1".into()),
        Event::Command(Command::Storno),
        Event::Tick(at(2)),
        Event::Command(Command::Pay),
        Event::Command(Command::Cancel),
    ];
    for event in events {
        let coming = recorder.before(&state, &event);
        let effects = kassa::core::update::update(&mut state, event);
        recorder.after(coming, &state, !effects.is_empty());
    }
    recorder.finish();
    out.0.lock().map(|o| o.clone()).unwrap_or_default()
}

fn journal_catalog() -> Arc<Catalog> {
    Arc::new(
        Catalog::from_csv(
            "t",
            "code;name;price;min_price;weighed;barcodes\n1;Молоко;89.90;;0;4607001771562\n2;Яблоки;149.00;;1;\n",
        )
        .unwrap_or_default(),
    )
}

#[test]
fn session_journals() {
    let recorded = journal();
    assert!(recorded.len() > 100, "the journal seed: {}", text(&recorded));
    let first_line = recorded.split(|b| *b == b'\n').next().unwrap_or_default().to_vec();
    let catalog = journal_catalog();
    fuzz("journal", vec![recorded, first_line], |data| {
        let _ = kassa::session::timeline("session.jsonl", data, None);
        let _ = kassa::session::replay("session.jsonl", data, catalog.clone(), None);
    });
}

#[test]
fn key_replay_scripts() {
    let keymap = kassa::tui::keymap::Keymap::default_keymap();
    let seeds = [
        "tests/scenarios/01_sale_cash.replay",
        "tests/scenarios/16_bad_input.replay",
        "tests/scenarios/21_loyalty_bonus_payment.replay",
        "tests/scenarios/48_maxbonus_registration_qr_pin.replay",
    ]
    .map(read)
    .to_vec();
    fuzz("replay_script", seeds, |data| {
        let _ = kassa::replay::Script::parse("script.replay", &text(data), &keymap);
    });
}

// ----------------------------------------------------------------- sockets

#[test]
fn watch_frames() {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Modifier, Style};
    let mut screen = Buffer::empty(Rect::new(0, 0, 40, 3));
    screen.set_string(0, 0, "● Смена 5 │ Чек 12", Style::new().fg(Color::Green));
    screen.set_string(2, 1, "Итого: 89.90", Style::new().add_modifier(Modifier::BOLD));
    screen.set_string(0, 2, "┌──┐ x 漢字", Style::new().bg(Color::Rgb(1, 2, 3)));
    let line = serde_json::to_vec(&kassa::watch::Frame::from_buffer(&screen)).unwrap_or_default();
    fuzz("watch_frame", vec![line], |data| {
        // What `kassa watch` does with each line it reads.
        if let Ok(frame) = serde_json::from_slice::<kassa::watch::Frame>(data) {
            for area in [Rect::new(0, 0, 80, 24), Rect::new(0, 0, 10, 2), Rect::new(3, 1, 20, 5)] {
                let mut buffer = Buffer::empty(area);
                frame.draw_into(&mut buffer);
            }
        }
    });
}

#[test]
fn control_requests() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let store = kassa::store::Store::open(dir.path()).unwrap_or_else(|e| panic!("store: {e}"));
    fuzz(
        "control",
        seeds(&[
            "list",
            "show 1",
            "export",
            "status",
            "send",
            "show 99999999999999999999",
            "show -1",
            " list \r",
        ]),
        |data| {
            let _ = kassa::control::answer(&store, &text(data));
        },
    );
}

// ------------------------------------------------------------ the cashier

/// The core with the store and the printer carried out in memory, as the
/// core's own tests do: saves succeed, receipts go to a journal that
/// returns can find, prints come out.
struct Till {
    state: kassa::core::state::AppState,
    journal: std::collections::BTreeMap<ReceiptId, kassa::core::journal::ClosedReceipt>,
    returned: std::collections::BTreeMap<ReceiptId, kassa::core::journal::Returned>,
}

impl Till {
    fn new() -> Till {
        use kassa::core::state::{AppState, Durable, Settings};
        Till {
            state: AppState::restore(
                Arc::new(Settings::default()),
                journal_catalog(),
                Durable::default(),
                Default::default(),
            ),
            journal: Default::default(),
            returned: Default::default(),
        }
    }

    fn send(&mut self, event: kassa::core::event::Event) {
        let mut pending = kassa::core::update::update(&mut self.state, event);
        // A bound on answers to answers: the core must settle long before.
        for _ in 0..1_000 {
            let Some(effect) = pending.pop() else { return };
            if let Some(answer) = self.execute(effect) {
                pending.extend(kassa::core::update::update(&mut self.state, answer));
            }
        }
        panic!("the core did not settle after 1000 effects");
    }

    fn execute(&mut self, effect: kassa::core::effect::Effect) -> Option<kassa::core::event::Event> {
        use kassa::core::effect::{Effect, ReceiptQuery};
        use kassa::core::event::Event;
        use kassa::core::journal::ReturnSource;
        Some(match effect {
            Effect::SaveState(_) => Event::Saved(Ok(())),
            Effect::CloseReceipt { receipt, .. } => {
                if let kassa::core::receipt::ReceiptKind::Return { original, .. } = receipt.receipt.kind {
                    self.returned.entry(original).or_default().record(&receipt);
                }
                self.journal.insert(receipt.id, (*receipt).clone());
                Event::ReceiptClosed(Ok(*receipt))
            }
            Effect::CloseShift { summary, .. } => Event::ShiftClosed(Ok(*summary)),
            Effect::Print(job) => Event::Printed {
                job: job.id,
                result: Ok(()),
                refused: false,
            },
            Effect::FindReceipts(ReceiptQuery::Id(id)) => Event::ReceiptsFound(Ok(self
                .journal
                .get(&id)
                .map(|sale| ReturnSource {
                    sale: sale.clone(),
                    returned: self.returned.get(&id).cloned().unwrap_or_default(),
                })
                .into_iter()
                .collect())),
            Effect::FindReceipts(ReceiptQuery::Date(_)) => Event::ReceiptsFound(Ok(self
                .journal
                .values()
                .map(|sale| ReturnSource {
                    sale: sale.clone(),
                    returned: Default::default(),
                })
                .collect())),
            _ => return None,
        })
    }
}

/// Cashier input as bytes: `01 n` the n-th command, `02 n` the clock
/// n×10 minutes on, `00 code 00` a scan, anything else typed text.
fn cashier_events(data: &[u8]) -> Vec<kassa::core::event::Event> {
    use kassa::core::command::Command;
    use kassa::core::event::Event;
    let mut events = Vec::new();
    let mut clock = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default();
    events.push(Event::Tick(clock));
    let mut at = 0;
    while at < data.len() && events.len() < 400 {
        match data[at] {
            0x01 => {
                if let Some(&n) = data.get(at + 1) {
                    events.push(Event::Command(Command::ALL[usize::from(n) % Command::ALL.len()]));
                }
                at += 2;
            }
            0x02 => {
                clock += chrono::Duration::minutes(10 * i64::from(data.get(at + 1).copied().unwrap_or(1)));
                events.push(Event::Tick(clock));
                at += 2;
            }
            0x00 => {
                let end = data[at + 1..].iter().position(|b| *b == 0).map_or(data.len(), |e| at + 1 + e);
                events.push(Event::Scan(text(&data[at + 1..end])));
                at = end + 1;
            }
            _ => {
                let end = data[at..].iter().position(|b| *b <= 0x02).map_or(data.len(), |e| at + e);
                events.extend(text(&data[at..end]).chars().map(Event::Char));
                at = end;
            }
        }
    }
    events
}

#[test]
fn cashier_input() {
    use kassa::core::command::Command;
    let command = |c: Command| [0x01, Command::ALL.iter().position(|x| *x == c).unwrap_or(0) as u8];
    let scan = |code: &str| [&[0x00][..], code.as_bytes(), &[0x00]].concat();
    let typed = |text: &str| text.as_bytes().to_vec();
    let open = [
        command(Command::OpenShift).to_vec(),
        typed("1000"),
        command(Command::Confirm).to_vec(),
    ]
    .concat();
    let sale = [
        open.clone(),
        scan("4607001771562"),
        typed("3"),
        command(Command::Multiply).to_vec(),
        scan("1"),
        command(Command::Quantity).to_vec(),
        typed("0,5"),
        command(Command::Confirm).to_vec(),
        command(Command::Discount).to_vec(),
        typed("10%"),
        command(Command::Confirm).to_vec(),
        command(Command::Pay).to_vec(),
        typed("2000"),
        command(Command::Confirm).to_vec(),
    ]
    .concat();
    let giving_back = [
        sale.clone(),
        command(Command::ReturnReceipt).to_vec(),
        typed("1/1"),
        command(Command::Confirm).to_vec(),
        command(Command::Confirm).to_vec(),
        typed("1"),
        command(Command::Confirm).to_vec(),
        command(Command::Pay).to_vec(),
        command(Command::Confirm).to_vec(),
    ]
    .concat();
    let weighed = [
        open.clone(),
        scan("2200002015004"),
        command(Command::Storno).to_vec(),
        command(Command::CashIn).to_vec(),
        typed("99999999999999"),
        command(Command::Confirm).to_vec(),
        vec![0x02, 0xff, 0x02, 0xff],
        command(Command::CloseShift).to_vec(),
        command(Command::Confirm).to_vec(),
    ]
    .concat();
    // The seeds do what they say: a sale is closed, then returned.
    let mut till = Till::new();
    cashier_events(&giving_back).into_iter().for_each(|e| till.send(e));
    assert_eq!(till.journal.len(), 2, "a sale and its return: {:?}", till.state.notice);
    fuzz("cashier_input", vec![sale, giving_back, weighed, open], |data| {
        let mut till = Till::new();
        for event in cashier_events(data) {
            till.send(event);
        }
    });
}
