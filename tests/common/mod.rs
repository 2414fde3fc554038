//! Every log line a protocol test binary writes, kept in memory, and the
//! check that none of them holds a secret: keys, tokens, passwords, SMS
//! codes, whole card and phone numbers. Each test takes a [`Check`] first;
//! when it ends well, the whole log so far is searched.

use std::sync::{Mutex, Once};

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
