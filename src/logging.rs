//! Logs: tracing to a file under the data directory, rotated daily.
//! `KASSA_LOG` sets the filter (default `info`). Nothing secret is written:
//! loyalty bodies go through `loyalty::redact`, keys and tokens never.

use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Starts logging into `<data_dir>/logs/kassa.log.<date>`. Keep the guard
/// alive: dropping it flushes the log.
pub fn init(data_dir: &Path) -> anyhow::Result<WorkerGuard> {
    let dir = data_dir.join("logs");
    std::fs::create_dir_all(&dir)?;
    let (writer, guard) = tracing_appender::non_blocking(tracing_appender::rolling::daily(dir, "kassa.log"));
    let filter = EnvFilter::try_from_env("KASSA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(guard)
}
