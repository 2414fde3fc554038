//! `[printer]`, `[scanner]` and `[card_reader]`: which printer driver, and
//! the serial ports of the devices. `[[scanner]]` (and `[[card_reader]]`)
//! may repeat for several devices.
//!
//! ```toml
//! [printer]
//! driver = "shtrih"        # text | escpos | shtrih
//! port = "/dev/kassa-printer"
//! baud = 115200            # data_bits = 8, parity = "none", stop_bits = 1, flow_control = "none"
//! password = 30            # shtrih: the operator's password
//! department = 1           # shtrih: the department positions are registered in
//! # shtrih: the registrar's tax group (1…6) of each VAT rate; these are the defaults
//! taxes = { "22" = 1, "10" = 2, "0" = 3, "none" = 4, "20" = 5, "5" = 6, "7" = 6 }
//! width = 42
//! [[scanner]]
//! port = "/dev/kassa-scanner"
//! baud = 9600
//! suffix = "CR"            # CR | LF | CRLF | TAB | ETX | none | 0x03 | text
//! prefix = "none"
//! gap_ms = 100             # a longer pause ends a code (or abandons a partial one)
//! [card_reader]
//! port = "/dev/kassa-msr"
//! track = 2                # 1 | 2 | 3
//! field = 1                # 1-based; split at ^ (track 1) or = (tracks 2, 3)
//! offset = 0
//! length = 13              # optional
//! ```

use std::path::PathBuf;
use std::time::Duration;

use super::Config;
use super::reader::{Checker, Section};
use crate::core::catalog::Vat;
use crate::devices::framing::{self, Framing};
use crate::devices::magstripe::CardRule;
use crate::devices::port::{self, PortSettings};
use crate::devices::reader::{ReaderConfig, ReaderKind};
use crate::devices::shtrih::link::Timing;
use crate::devices::shtrih::taxes::TaxGroups;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterConfig {
    /// Appends a text rendering of each document to `file` (default: receipts.txt in the data dir).
    Text { file: Option<PathBuf> },
    /// A plain receipt printer speaking ESC/POS.
    EscPos { port: PortSettings },
    /// A Shtrih-M fiscal registrar.
    Shtrih {
        port: PortSettings,
        password: u32,
        department: u8,
        taxes: TaxGroups,
        timing: Timing,
    },
}

impl PrinterConfig {
    /// A fiscal registrar: a receipt is done only once it is registered.
    pub fn is_fiscal(&self) -> bool {
        matches!(self, PrinterConfig::Shtrih { .. })
    }
}

/// A device section's keys: the serial port's, then its own.
macro_rules! port_keys {
    ($($own:literal),*) => {
        &["port", "baud", "data_bits", "parity", "stop_bits", "flow_control", $($own),*]
    };
}

/// The port settings of a device section (its `port` is required); `default_baud` when none is given.
fn port_settings(section: &mut Section, checker: &mut Checker, default_baud: u32) -> Option<PortSettings> {
    let path = section.string(checker, "port");
    let baud = section.integer(checker, "baud", 300..=921_600).map_or(default_baud, |b| b as u32);
    let mut settings = PortSettings::new(path.as_ref().map(|p| p.0.clone()).unwrap_or_default(), baud);
    if let Some(bits) = section.integer(checker, "data_bits", 5..=8).and_then(port::parse_data_bits) {
        settings.data_bits = bits;
    }
    if let Some(bits) = section.integer(checker, "stop_bits", 1..=2).and_then(port::parse_stop_bits) {
        settings.stop_bits = bits;
    }
    let name = section.name;
    if let Some((parity, at)) = section.string(checker, "parity") {
        match port::parse_parity(&parity) {
            Some(p) => settings.parity = p,
            None => checker.report(at, format!("[{name}] parity: {parity:?}; known: none, odd, even")),
        }
    }
    if let Some((flow, at)) = section.string(checker, "flow_control") {
        match port::parse_flow_control(&flow) {
            Some(f) => settings.flow_control = f,
            None => checker.report(at, format!("[{name}] flow_control: {flow:?}; known: none, software, hardware")),
        }
    }
    match path {
        Some((p, at)) if p.trim().is_empty() => {
            checker.report(at, format!("[{name}] port: must not be empty"));
            None
        }
        Some(_) => Some(settings),
        None => {
            checker.report(
                section.start,
                format!("[{name}] port: the device's serial port is required (e.g. \"/dev/ttyUSB0\")"),
            );
            None
        }
    }
}

const PRINTER_KEYS: &[&str] = port_keys!("driver", "file", "width", "password", "department", "taxes");

/// Keys whose values are secrets (see `reader::SECRET_KEYS`).
pub(super) const PRINTER_SECRET_KEYS: &[&str] = &["password"];

/// `[printer]`: the driver and its port; the width goes to the settings.
pub(super) fn printer(mut section: Section, checker: &mut Checker, config: &mut Config) {
    if let Some(width) = section.integer(checker, "width", 24..=80) {
        config.settings.printer_width = width as usize;
    }
    let file = section.string(checker, "file").map(|(f, _)| PathBuf::from(f));
    let driver = section.string(checker, "driver");
    let password = section.integer(checker, "password", 0..=99_999_999).map_or(30, |p| p as u32);
    let department = section.integer(checker, "department", 0..=16).map_or(1, |d| d as u8);
    let taxes = taxes(&mut section, checker);
    config.printer = match driver.as_ref().map(|(d, at)| (d.as_str(), *at)) {
        None | Some(("text", _)) => PrinterConfig::Text { file },
        Some(("escpos", _)) => match port_settings(&mut section, checker, 19_200) {
            Some(port) => PrinterConfig::EscPos { port },
            None => PrinterConfig::Text { file },
        },
        Some(("shtrih", _)) => match port_settings(&mut section, checker, 115_200) {
            Some(port) => PrinterConfig::Shtrih {
                port,
                password,
                department,
                taxes,
                timing: Timing::default(),
            },
            None => PrinterConfig::Text { file },
        },
        Some((other, at)) => {
            checker.report(
                at,
                format!("[printer] driver: unknown driver {other:?}; known: text, escpos, shtrih"),
            );
            PrinterConfig::Text { file }
        }
    };
    for (key, at) in section.unread(PRINTER_KEYS) {
        if key == "tax" {
            // One group for every rate would register some goods at a wrong rate.
            checker.report(
                at,
                r#"[printer] tax: no longer read; give each VAT rate its tax group with taxes = { "22" = 1, "10" = 2, … }"#.into(),
            );
        } else {
            section.unknown(checker, &key, at, PRINTER_KEYS);
        }
    }
}

/// `taxes`: the registrar's tax group per VAT rate; the rates left out keep
/// their default group.
fn taxes(section: &mut Section, checker: &mut Checker) -> TaxGroups {
    let mut taxes = TaxGroups::default();
    let example = r#"{ "22" = 1, "10" = 2 }"#;
    for entry in section.integer_table(checker, "taxes", example).unwrap_or_default() {
        let Some(vat) = Vat::ALL.into_iter().find(|v| v.key() == entry.name) else {
            let known: Vec<&str> = Vat::ALL.iter().map(|v| v.key()).collect();
            checker.report(
                entry.at,
                format!("[printer] taxes: {:?} is not a VAT rate; known: {}", entry.name, known.join(", ")),
            );
            continue;
        };
        if let Err(e) = taxes.set(vat, entry.number) {
            checker.report(entry.number_at, format!("[printer] taxes: {:?}: {e}", entry.name));
        }
    }
    taxes
}

fn framing(section: &mut Section, checker: &mut Checker) -> Framing {
    let mut framing = Framing::carriage_return();
    let name = section.name;
    for key in ["prefix", "suffix"] {
        if let Some((text, at)) = section.string(checker, key) {
            match framing::parse_delimiter(&text) {
                Some(bytes) if key == "prefix" => framing.prefix = bytes,
                Some(bytes) => framing.suffix = bytes,
                None => checker.report(
                    at,
                    format!(
                        "[{name}] {key}: {text:?}; use CR, LF, CRLF, TAB, STX, ETX, none, a byte like 0x03, or up to 8 ASCII characters"
                    ),
                ),
            }
        }
    }
    if let Some(gap) = section.integer(checker, "gap_ms", 5..=2000) {
        framing.gap = Duration::from_millis(gap as u64);
    }
    if let Some(max) = section.integer(checker, "max_length", 1..=4096) {
        framing.max_len = max as usize;
    }
    framing
}

const SCANNER_KEYS: &[&str] = port_keys!("prefix", "suffix", "gap_ms", "max_length");

/// One `[scanner]` (or `[[scanner]]`), named `scanner`, `scanner-2`, ….
pub(super) fn scanner(mut section: Section, checker: &mut Checker, config: &mut Config) {
    let port = port_settings(&mut section, checker, 9600);
    let framing = framing(&mut section, checker);
    let name = numbered("scanner", section.index);
    section.finish(checker, SCANNER_KEYS);
    if let Some(port) = port {
        config.readers.push(ReaderConfig {
            name,
            port,
            framing,
            kind: ReaderKind::Scanner,
        });
    }
}

const CARD_READER_KEYS: &[&str] = port_keys!("prefix", "suffix", "gap_ms", "max_length", "track", "field", "offset", "length");

/// One `[card_reader]` (or `[[card_reader]]`), named `card-reader`,
/// `card-reader-2`, …: a scanner's keys, and where the card number is.
pub(super) fn card_reader(mut section: Section, checker: &mut Checker, config: &mut Config) {
    let port = port_settings(&mut section, checker, 9600);
    let framing = framing(&mut section, checker);
    let rule = CardRule {
        track: section.integer(checker, "track", 1..=3).map_or(2, |t| t as u8),
        field: section.integer(checker, "field", 1..=16).map_or(1, |f| f as usize),
        offset: section.integer(checker, "offset", 0..=127).map_or(0, |o| o as usize),
        length: section.integer(checker, "length", 1..=127).map(|l| l as usize),
    };
    let name = numbered("card-reader", section.index);
    section.finish(checker, CARD_READER_KEYS);
    if let Some(port) = port {
        config.readers.push(ReaderConfig {
            name,
            port,
            framing,
            kind: ReaderKind::CardReader(rule),
        });
    }
}

fn numbered(name: &str, index: usize) -> String {
    if index == 0 {
        name.to_string()
    } else {
        format!("{name}-{}", index + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Issues, parse};
    use std::path::Path;

    fn config(text: &str) -> Result<crate::config::Config, Vec<String>> {
        parse("k.toml", text, Path::new("/")).map_err(|Issues(list)| list.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn printers_scanners_and_readers_are_read_with_their_ports() {
        let text = "[printer]\ndriver = \"shtrih\"\nport = \"/dev/kkt\"\nparity = \"even\"\npassword = 1\ntaxes = { \"10\" = 3, \"7\" = 5 }\n\
                    [[scanner]]\nport = \"/dev/s1\"\nsuffix = \"CRLF\"\n[[scanner]]\nport = \"/dev/s2\"\nbaud = 115200\ngap_ms = 30\n\
                    [card_reader]\nport = \"/dev/msr\"\ntrack = 1\nlength = 13\n";
        let config = config(text).expect("valid");
        let PrinterConfig::Shtrih { port, password, taxes, .. } = &config.printer else {
            panic!("shtrih expected: {:?}", config.printer)
        };
        assert_eq!(
            (port.path.as_str(), port.baud, port.parity, *password),
            ("/dev/kkt", 115_200, port::Parity::Even, 1)
        );
        let groups: Vec<u8> = Vat::ALL.iter().map(|v| taxes.group(*v)).collect();
        // 22, 20, 10, 7, 5, 0, none: the two given, the defaults for the rest.
        assert_eq!(groups, [1, 5, 3, 5, 6, 3, 4]);
        let names: Vec<&str> = config.readers.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["scanner", "scanner-2", "card-reader"]);
        assert_eq!(config.readers[0].framing.suffix, b"\r\n");
        assert_eq!(
            (config.readers[1].port.baud, config.readers[1].framing.gap),
            (115_200, Duration::from_millis(30))
        );
        assert_eq!(
            config.readers[2].kind,
            ReaderKind::CardReader(CardRule {
                track: 1,
                field: 1,
                offset: 0,
                length: Some(13)
            })
        );
    }

    #[test]
    fn device_mistakes_are_named_with_their_place() {
        let text = "[printer]\ndriver = \"escpos\"\nbaud = 7\n[scanner]\nsuffix = \"конец\"\nparity = \"mark\"\n[card_reader]\nport = \"/dev/msr\"\ntrack = 4\n";
        let issues = config(text).expect_err("broken");
        assert_eq!(
            issues,
            [
                "k.toml:1:2: [printer] port: the device's serial port is required (e.g. \"/dev/ttyUSB0\")",
                "k.toml:3:8: [printer] baud: expected a whole number from 300 to 921600",
                "k.toml:4:2: [scanner] port: the device's serial port is required (e.g. \"/dev/ttyUSB0\")",
                "k.toml:5:10: [scanner] suffix: \"конец\"; use CR, LF, CRLF, TAB, STX, ETX, none, a byte like 0x03, or up to 8 ASCII characters",
                "k.toml:6:10: [scanner] parity: \"mark\"; known: none, odd, even",
                "k.toml:9:9: [card_reader] track: expected a whole number from 1 to 3",
            ]
        );
    }
}
