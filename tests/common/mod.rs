//! What the protocol tests share: the day they sell on, a receipt line, and
//! every log line the test binary writes, kept in memory, with the check
//! that none of them holds a secret: keys, tokens, passwords, SMS codes,
//! whole card and phone numbers. Each test takes a [`Check`] first; when it
//! ends well, the whole log so far is searched.

use std::sync::{Mutex, Once};

use kassa::core::money::{Money, Quantity};
use kassa::loyalty::Line;

/// 2026-11-23 at `hour`:00, the day the protocol tests sell on.
pub fn at(hour: u32) -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(hour, 0, 0))
        .expect("date")
}

/// Receipt line `index`: item `code` ("Товар {code}"), `quantity` in
/// thousandths, `total` after every discount and before the loyalty system
/// too, no minimum price; a test changes what it needs with `..line(…)`.
pub fn line(index: u32, code: &str, price: i64, quantity: i64, total: i64) -> Line {
    Line {
        index,
        code: code.into(),
        name: format!("Товар {code}"),
        price: Money(price),
        min_price: Money::ZERO,
        quantity: Quantity(quantity),
        total: Money(total),
        before_loyalty: Money(total),
        sale_index: None,
    }
}

static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Sink;

impl std::io::Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts capturing (once per binary, every level) and returns the check.
pub fn logs_without(secrets: &'static [&'static str]) -> Check {
    static START: Once = Once::new();
    START.call_once(|| {
        tracing_subscriber::fmt()
            .with_writer(|| Sink)
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .init();
    });
    Check { secrets }
}

pub struct Check {
    secrets: &'static [&'static str],
}

impl Drop for Check {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let log = String::from_utf8_lossy(&LOG.lock().unwrap_or_else(|e| e.into_inner())).to_string();
        assert!(log.contains("kassa::loyalty"), "the protocol's requests are logged");
        for secret in self.secrets {
            if let Some(line) = log.lines().find(|line| line.contains(secret)) {
                panic!("{secret:?} is in the log: {line}");
            }
        }
    }
}
