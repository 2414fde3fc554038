//! Putting the workstation together from config: catalog, store, printer,
//! keymap, and the restored state. Shared by the live app and replays.

use anyhow::Context;
use chrono::NaiveDateTime;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Config, PrinterConfig};
use crate::core::catalog::Catalog;
use crate::core::state::AppState;
use crate::core::storage::StorageFailure;
use crate::devices::Devices;
use crate::devices::escpos::EscPosPrinter;
use crate::devices::shtrih::registrar::{ShtrihPrinter, ShtrihSettings};
use crate::io::Executor;
use crate::print::once::PrintedOnce;
use crate::print::printer::{Printer, TextFilePrinter};
use crate::store::{LoadWarning, Store, StoreError, reserve};
use crate::tui::keymap::Keymap;

/// The demo catalog, built into the binary so the demo needs no files.
pub const DEMO_CATALOG: &str = include_str!("../fixtures/demo-catalog.csv");

/// The directory for data when neither `--data-dir` nor the config names one.
pub fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "kassa").map_or_else(|| PathBuf::from(".kassa"), |dirs| dirs.data_dir().to_path_buf())
}

pub fn load_catalog(config: &Config) -> anyhow::Result<Catalog> {
    match &config.catalog {
        Some(path) => {
            // Streamed: a 100k-item file is never held in memory whole.
            let file = std::fs::File::open(path).with_context(|| format!("cannot read the catalog {}", path.display()))?;
            Ok(Catalog::from_reader(&path.display().to_string(), file)?)
        }
        None => Ok(Catalog::from_csv("demo catalog", DEMO_CATALOG)?),
    }
}

pub fn load_keymap(path: Option<&Path>) -> anyhow::Result<Keymap> {
    match path {
        Some(path) => Ok(Keymap::load(path)?),
        None => Ok(Keymap::default_keymap()),
    }
}

/// A workstation ready to run: its state restored from disk and the executor
/// that owns the store and the printer.
pub struct Assembled {
    pub state: AppState,
    pub executor: Executor,
    pub devices: Devices,
    pub warning: Option<LoadWarning>,
    /// Why saves will fail, when the store opened on a full disk.
    pub full_disk: Option<StorageFailure>,
    pub loyalty: Option<crate::loyalty::LoyaltyConfig>,
    pub data_dir: PathBuf,
    /// Days of session journal kept (as of logs).
    pub journal_days: usize,
}

pub fn assemble(config: &Config, catalog: Arc<Catalog>, data_dir: &Path, now: NaiveDateTime) -> anyhow::Result<Assembled> {
    crate::private::data_dir(data_dir).with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let (store, released) = open_store(data_dir)?;
    let (durable, warning) = store.load_state()?;
    let (queue, queue_warnings) = store.queue_view()?;
    // Everything set aside while loading is told to the cashier (and support) at once.
    let warnings: Vec<String> = warning.into_iter().map(|w| w.0).chain(queue_warnings).collect();
    let warning = (!warnings.is_empty()).then(|| LoadWarning(warnings.join("; ")));
    let printer = printer(config, data_dir, &store);
    let settings = crate::core::state::Settings {
        fiscal: config.printer.is_fiscal(),
        ..config.settings.clone()
    };
    let open_shift = durable.shift.as_ref().map(|s| s.number);
    let mut state = AppState::restore(Arc::new(settings), catalog, durable, now);
    state.queue = queue;
    Ok(Assembled {
        state,
        executor: Executor::new(store).with_open_shift(open_shift),
        devices: Devices {
            printer,
            readers: config.readers.clone(),
            poll: PRINTER_POLL,
        },
        warning,
        full_disk: released.then(|| full_disk_reason(data_dir)),
        loyalty: config.loyalty.clone(),
        data_dir: data_dir.to_path_buf(),
        journal_days: config.log.keep_days,
    })
}

/// Opens the store. On a disk full to the last byte it gives the reserve
/// back first, so the till starts, shows what it holds and says what to
/// free (saves then fail cleanly and nothing new is sold until they work).
/// True when the reserve was given back.
fn open_store(data_dir: &Path) -> Result<(Store, bool), StoreError> {
    match Store::open(data_dir) {
        Err(e) if e.is_disk_full() && reserve::release(data_dir) => {
            tracing::error!(target: "kassa::store", "the disk holding {} is full: the reserve was given back to open the store ({e})", data_dir.display());
            Ok((Store::open(data_dir)?, true))
        }
        Err(e) if e.is_disk_full() => Err(StoreError::DiskFull {
            path: data_dir.to_path_buf(),
            free_kib: fs2::available_space(data_dir).unwrap_or(0) / 1024,
        }),
        Err(e) => Err(e),
        Ok(store) => {
            if let Err(e) = reserve::keep(data_dir) {
                tracing::warn!(target: "kassa::store", "no reserve file in {}: {e}", data_dir.display());
            }
            Ok((store, false))
        }
    }
}

/// Why saves will fail on this full disk.
fn full_disk_reason(data_dir: &Path) -> StorageFailure {
    StorageFailure::DiskFull {
        free_kib: fs2::available_space(data_dir).unwrap_or(0) / 1024,
    }
}

/// How often an idle printer is asked how it is (paper, connection).
const PRINTER_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// The configured printer driver.
fn printer(config: &Config, data_dir: &Path, store: &Store) -> Box<dyn Printer> {
    let width = config.settings.printer_width;
    match &config.printer {
        PrinterConfig::Text { file } => {
            let paper = match file {
                Some(file) if file.is_absolute() => file.clone(),
                Some(file) => data_dir.join(file),
                None => data_dir.join("receipts.txt"),
            };
            Box::new(PrintedOnce::new(TextFilePrinter::new(paper, width), Box::new(store.clone())))
        }
        PrinterConfig::EscPos { port } => Box::new(PrintedOnce::new(EscPosPrinter::new(port.clone(), width), Box::new(store.clone()))),
        PrinterConfig::Shtrih {
            port,
            password,
            department,
            taxes,
            timing,
        } => Box::new(ShtrihPrinter::new(
            ShtrihSettings {
                port: port.clone(),
                password: *password,
                timing: *timing,
                department: *department,
                taxes: *taxes,
                width,
            },
            Box::new(store.clone()),
        )),
    }
}

/// Points `config`'s printer at a Shtrih-M registrar's emulator on `path`
/// (the demo with a registrar, and replays that need one).
pub fn print_on_emulated_registrar(config: &mut Config, path: &str) {
    let timing = crate::devices::shtrih::link::Timing {
        byte: std::time::Duration::from_millis(100),
        ack: std::time::Duration::from_millis(150),
        tries: 4,
    };
    config.printer = crate::config::PrinterConfig::Shtrih {
        port: crate::devices::port::PortSettings::new(path, 115_200),
        password: crate::emulators::shtrih::Registrar::default().password,
        department: 1,
        taxes: Default::default(),
        timing,
    };
    config.settings.fiscal = true;
}
