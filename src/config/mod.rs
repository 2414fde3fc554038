//! Configuration: a TOML file turned once into validated settings.
//! `kassa config check` reports every mistake with its file, line and column,
//! not just the first one.
//!
//! ```toml
//! [store]
//! id = "0001"
//! name = "Магазин №1"
//! address = "г. Москва, ул. Ленина, 1"
//! [register]
//! id = "01"
//! [data]
//! dir = "/var/lib/kassa"
//! [catalog]
//! file = "/etc/kassa/catalog.csv"
//! [printer]
//! driver = "text"          # the demo printer: a text file
//! file = "receipts.txt"    # relative to the data dir
//! width = 42
//! [keymap]
//! file = "/etc/kassa/keymap.toml"
//! [sale]
//! merge_same_items = true
//! max_quantity = "99999"
//! max_position_sum = "10000000"
//! max_receipt_sum = "100000000"
//! max_positions = 1000
//! ask_weight_over = "30"          # kg: more is asked about (grams typed?)
//! ask_pieces_over = "100"
//! ask_position_sum_over = "100000"
//! [weight_barcode]
//! pattern = "PPCCCCCWWWWWK"
//! prefixes = ["20", "21", "22", "23", "24", "25", "26", "27", "28", "29"]
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

use crate::core::barcode::WeightLayout;
use crate::core::money::{Money, Quantity};
use crate::core::state::Settings;
use crate::loyalty::worker::{FlowOptions, LoyaltyConfig};
use crate::loyalty::{frontol, kilbil, maxbonus, probonus};
use std::time::Duration;

mod devices;

pub use devices::PrinterConfig;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub settings: Settings,
    pub data_dir: Option<PathBuf>,
    pub catalog: Option<PathBuf>,
    pub printer: PrinterConfig,
    /// Barcode scanners and card readers on serial ports.
    pub readers: Vec<crate::devices::reader::ReaderConfig>,
    pub keymap: Option<PathBuf>,
    /// The store's loyalty server; `None` sells without loyalty.
    pub loyalty: Option<LoyaltyConfig>,
    pub log: crate::logging::LogSettings,
}

/// The demo's loyalty: the Frontol emulator in-process.
pub fn demo_loyalty() -> LoyaltyConfig {
    LoyaltyConfig::DemoFrontol {
        timeout: Duration::from_secs(3),
        answer_delay: Duration::from_secs(10),
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            settings: Settings {
                loyalty: true,
                ..Settings::default()
            },
            data_dir: None,
            catalog: None,
            printer: PrinterConfig::Text { file: None },
            readers: Vec::new(),
            keymap: None,
            loyalty: Some(demo_loyalty()),
            log: Default::default(),
        }
    }
}

/// One mistake, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

/// All the mistakes of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issues(pub Vec<Issue>);

impl fmt::Display for Issues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for issue in &self.0 {
            writeln!(f, "{issue}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Issues {}

/// One config file. Layers are read in order, each over the ones before.
#[derive(Debug, Clone)]
pub struct Layer {
    pub file: String,
    pub text: String,
    /// Others (not owner, not group) can read the file: it must hold no secret.
    pub world_readable: bool,
}

/// Offsets in the checker run over all layers' texts as if joined by
/// newlines, so each value's place names its file.
struct Checker<'a> {
    layers: &'a [Layer],
    /// A layer could not be read for want of permission (support reading a
    /// store terminal's config without secrets.toml): `[loyalty]`, which
    /// needs the secrets, is left unchecked and off.
    secrets_withheld: bool,
    starts: Vec<usize>,
    issues: Vec<Issue>,
}

impl Checker<'_> {
    fn report(&mut self, offset: usize, message: String) {
        let index = self.starts.iter().rposition(|start| *start <= offset).unwrap_or(0);
        let layer = &self.layers[index];
        let offset = offset - self.starts[index];
        let before = &layer.text[..offset.min(layer.text.len())];
        let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.issues.push(Issue {
            file: layer.file.clone(),
            line,
            column,
            message,
        });
    }
}

/// Keys whose values are secrets: a file holding one must not be world-readable.
const SECRET_KEYS: &[(&str, &str)] = &[
    ("loyalty", "key"),
    ("loyalty", "token"),
    ("loyalty", "password"),
    ("printer", "password"),
];

/// Lays `later` over `merged`: a section's keys replace the same keys,
/// anything else replaces whole.
fn overlay<'a>(merged: &mut DeTable<'a>, later: DeTable<'a>) {
    for (name, value) in later {
        let existing = merged.get_mut(&name);
        match (existing.map(|e| e.get_mut()), value.get_ref()) {
            (Some(DeValue::Table(table)), DeValue::Table(_)) => {
                if let DeValue::Table(keys) = value.into_inner() {
                    for (key, value) in keys {
                        table.insert(key, value);
                    }
                }
            }
            _ => {
                merged.insert(name, value);
            }
        }
    }
}

/// Refuses secrets in a file others can read, naming the command that fixes it.
fn check_secrets(checker: &mut Checker, index: usize, table: &DeTable) {
    let layer = &checker.layers[index];
    if !layer.world_readable {
        return;
    }
    let file = layer.file.clone();
    for (section, key) in SECRET_KEYS {
        let found = table
            .iter()
            .find(|(k, _)| k.get_ref() == *section)
            .and_then(|(_, v)| match v.get_ref() {
                DeValue::Table(t) => t.iter().find(|(k, _)| k.get_ref() == *key).map(|(k, _)| k.span().start),
                _ => None,
            });
        if let Some(at) = found {
            checker.report(
                at,
                format!(
                    "[{section}] {key} is a secret, and everyone on this machine can read {file}: run `sudo chmod o-r {file}` (the file stays readable by its owner and group)"
                ),
            );
        }
    }
}

type Spanned<T> = toml::Spanned<T>;

/// Reads the keys of one section, remembering which were used.
struct Section<'a, 't> {
    name: &'static str,
    table: Option<&'t DeTable<'a>>,
    used: BTreeSet<&'static str>,
    /// Where the section's name is, for what is missing from it.
    start: usize,
}

impl<'a, 't> Section<'a, 't> {
    fn value(&mut self, key: &'static str) -> Option<&'t Spanned<DeValue<'a>>> {
        self.used.insert(key);
        self.table?.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v)
    }

    fn string(&mut self, checker: &mut Checker, key: &'static str) -> Option<(String, usize)> {
        let value = self.value(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some((s.to_string(), value.span().start)),
            _ => {
                checker.report(value.span().start, format!("[{}] {key}: expected a string in quotes", self.name));
                None
            }
        }
    }

    fn integer(&mut self, checker: &mut Checker, key: &'static str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
        let value = self.value(key)?;
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i.as_str().replace('_', "").parse::<i64>().ok(),
            _ => None,
        };
        match parsed {
            Some(n) if range.contains(&n) => Some(n),
            _ => {
                let (low, high) = (range.start(), range.end());
                checker.report(
                    value.span().start,
                    format!("[{}] {key}: expected a whole number from {low} to {high}", self.name),
                );
                None
            }
        }
    }

    fn boolean(&mut self, checker: &mut Checker, key: &'static str) -> Option<bool> {
        let value = self.value(key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                checker.report(value.span().start, format!("[{}] {key}: expected true or false", self.name));
                None
            }
        }
    }

    fn strings(&mut self, checker: &mut Checker, key: &'static str) -> Option<Vec<(String, usize)>> {
        let value = self.value(key)?;
        let DeValue::Array(items) = value.get_ref() else {
            checker.report(value.span().start, format!("[{}] {key}: expected a list of strings", self.name));
            return None;
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => out.push((s.to_string(), item.span().start)),
                _ => checker.report(item.span().start, format!("[{}] {key}: expected a string in quotes", self.name)),
            }
        }
        Some(out)
    }

    /// Reports keys nobody asked for (typos, misplaced settings).
    fn finish(self, checker: &mut Checker, known: &[&str]) {
        let Some(table) = self.table else { return };
        for (key, _) in table.iter() {
            if !self.used.contains(key.get_ref().as_ref()) {
                let hint = if known.is_empty() {
                    String::new()
                } else {
                    format!("; known: {}", known.join(", "))
                };
                checker.report(key.span().start, format!("[{}] unknown key {:?}{hint}", self.name, key.get_ref()));
            }
        }
    }
}

const SECTIONS: &[(&str, &[&str])] = &[
    ("store", &["id", "name", "address"]),
    ("register", &["id"]),
    ("data", &["dir"]),
    ("catalog", &["file"]),
    ("printer", devices::PRINTER_KEYS),
    ("keymap", &["file"]),
    (
        "sale",
        &[
            "merge_same_items",
            "max_quantity",
            "max_position_sum",
            "max_receipt_sum",
            "max_change",
            "max_positions",
            "ask_weight_over",
            "ask_pieces_over",
            "ask_position_sum_over",
        ],
    ),
    ("weight_barcode", &["pattern", "prefixes"]),
    (
        "loyalty",
        &[
            "provider",
            "url",
            "key",
            "timeout_ms",
            "organization",
            "business_unit",
            "work_place",
            "store_code",
            "register_code",
            "spend_code",
            "token",
            "login",
            "password",
            "rest_code",
            "rk_unit",
            "account_group",
            "accrual_percent",
            "max_spend_percent",
            "anonymous",
            "footer",
        ],
    ),
    ("scanner", devices::SCANNER_KEYS),
    ("card_reader", devices::CARD_READER_KEYS),
    ("log", &["level", "keep_days"]),
];

const PROVIDERS: &str = "frontol, kilbil, probonus, maxbonus, demo, demo-kilbil, demo-probonus, demo-maxbonus";

/// The `[loyalty]` keys of a ProBonus store, as read (each checked on its own).
struct ProBonusKeys {
    token: Option<(String, usize)>,
    login: Option<(String, usize)>,
    password: Option<(String, usize)>,
    rest_code: Option<i64>,
    rk_unit: i64,
    account_group: Option<i64>,
    rules: probonus::Rules,
}

impl ProBonusKeys {
    fn read(loyalty: &mut Section, checker: &mut Checker) -> ProBonusKeys {
        let mut percent = |key: &'static str| {
            let (text, at) = loyalty.string(checker, key)?;
            match Money::parse(&text) {
                Ok(hundredths) if hundredths.0 <= 100_00 => Some(hundredths.0),
                _ => {
                    checker.report(
                        at,
                        format!("[loyalty] {key}: {text:?} is not a percent from 0 to 100 (e.g. \"5\" or \"2.5\")"),
                    );
                    None
                }
            }
        };
        let rules = probonus::Rules {
            accrual: percent("accrual_percent").unwrap_or(0),
            max_spend: percent("max_spend_percent").unwrap_or(0),
        };
        ProBonusKeys {
            token: loyalty.string(checker, "token"),
            login: loyalty.string(checker, "login"),
            password: loyalty.string(checker, "password"),
            rest_code: loyalty.integer(checker, "rest_code", 0..=i64::from(u32::MAX)),
            rk_unit: loyalty.integer(checker, "rk_unit", 100..=999).unwrap_or(999),
            account_group: loyalty.integer(checker, "account_group", 1..=i64::from(u32::MAX)),
            rules,
        }
    }

    /// The settings, when the keys make a whole: a token or a login with its
    /// password (not both), and the restaurant code.
    fn settings(self, checker: &mut Checker, at: usize, url: Option<String>, timeout: Duration) -> Option<probonus::Settings> {
        let auth = match (self.token, self.login, self.password) {
            (Some((token, _)), None, None) => Some(probonus::Auth::Token(token)),
            (None, Some((login, _)), Some((password, _))) => Some(probonus::Auth::Login { login, password }),
            (Some((_, token_at)), Some(_), _) | (Some((_, token_at)), _, Some(_)) => {
                checker.report(
                    token_at,
                    "[loyalty] token: give either the API token or login and password, not both".into(),
                );
                None
            }
            (None, Some((_, login_at)), None) => {
                checker.report(login_at, "[loyalty] password: the login needs its password".into());
                None
            }
            (None, None, Some((_, password_at))) => {
                checker.report(password_at, "[loyalty] login: the password needs its login".into());
                None
            }
            (None, None, None) => {
                checker.report(
                    at,
                    "[loyalty] token: the probonus provider needs the API token, or login and password".into(),
                );
                None
            }
        };
        if self.rest_code.is_none() {
            checker.report(
                at,
                "[loyalty] rest_code: the probonus provider needs the restaurant code (restCode)".into(),
            );
        }
        Some(probonus::Settings {
            url: url?,
            auth: auth?,
            rest_code: u32::try_from(self.rest_code?).ok()?,
            rk_unit: u32::try_from(self.rk_unit).ok()?,
            account_group: self.account_group.and_then(|g| u64::try_from(g).ok()),
            rules: self.rules,
            timeout,
        })
    }
}

/// Parses and validates a config text. Relative paths are taken from `base`.
pub fn parse(file: &str, text: &str, base: &Path) -> Result<Config, Issues> {
    let layer = Layer {
        file: file.to_string(),
        text: text.to_string(),
        world_readable: false,
    };
    parse_layers(std::slice::from_ref(&layer), base)
}

/// Parses and validates config files laid one over the other (the system
/// file, its secrets, a user's override). Relative paths are taken from `base`.
pub fn parse_layers(layers: &[Layer], base: &Path) -> Result<Config, Issues> {
    parse_checked(layers, base, false)
}

fn parse_checked(layers: &[Layer], base: &Path, secrets_withheld: bool) -> Result<Config, Issues> {
    let mut starts = Vec::new();
    let mut end = 0;
    for layer in layers {
        starts.push(end);
        end += layer.text.len() + 1;
    }
    // Each text is parsed behind blanks as long as the ones before it, so
    // its spans are offsets into the joined texts.
    let padded: Vec<String> = layers
        .iter()
        .zip(&starts)
        .map(|(layer, start)| match start {
            0 => layer.text.clone(),
            start => format!("{}\n{}", " ".repeat(start - 1), layer.text),
        })
        .collect();
    let mut checker = Checker {
        layers,
        secrets_withheld,
        starts,
        issues: Vec::new(),
    };
    let mut root = DeTable::new();
    for (index, text) in padded.iter().enumerate() {
        match DeTable::parse(text) {
            Ok(document) => {
                let table = document.into_inner();
                check_secrets(&mut checker, index, &table);
                overlay(&mut root, table);
            }
            Err(e) => checker.report(e.span().map_or(0, |s| s.start), e.message().trim().to_string()),
        }
    }
    if !checker.issues.is_empty() {
        return Err(Issues(checker.issues));
    }
    let root = &root;
    for (name, value) in root.iter() {
        let known = SECTIONS.iter().any(|(section, _)| *section == name.get_ref().as_ref());
        if !known {
            let names: Vec<&str> = SECTIONS.iter().map(|(s, _)| *s).collect();
            checker.report(
                name.span().start,
                format!("unknown section [{}]; known: {}", name.get_ref(), names.join(", ")),
            );
        } else if devices::REPEATABLE.contains(&name.get_ref().as_ref()) {
            // [scanner] or [[scanner]]: one device or several; read with the devices.
        } else if !matches!(value.get_ref(), DeValue::Table(_)) {
            checker.report(name.span().start, format!("{} must be a [section]", name.get_ref()));
        }
    }
    let section = |name: &'static str| -> Section {
        let entry = root.iter().find(|(k, _)| k.get_ref() == name);
        let table = entry.and_then(|(_, v)| match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        });
        Section {
            name,
            table,
            used: BTreeSet::new(),
            start: entry.map_or(0, |(k, _)| k.span().start),
        }
    };
    let path = |value: String| -> PathBuf {
        let p = PathBuf::from(value);
        if p.is_absolute() { p } else { base.join(p) }
    };
    // A config file without [loyalty] sells without loyalty; only the demo has the emulator.
    let mut config = Config {
        settings: Settings::default(),
        loyalty: None,
        ..Config::default()
    };
    let settings = &mut config.settings;

    let mut store = section("store");
    if let Some((id, at)) = store.string(&mut checker, "id") {
        if id.trim().is_empty() {
            checker.report(at, "[store] id: must not be empty".into());
        }
        settings.store_id = id;
    }
    if let Some((name, _)) = store.string(&mut checker, "name") {
        settings.store_name = name;
    }
    if let Some((address, _)) = store.string(&mut checker, "address") {
        settings.store_address = address;
    }
    store.finish(&mut checker, SECTIONS[0].1);

    let mut register = section("register");
    if let Some((id, at)) = register.string(&mut checker, "id") {
        if id.trim().is_empty() {
            checker.report(at, "[register] id: must not be empty".into());
        }
        settings.register_id = id;
    }
    register.finish(&mut checker, SECTIONS[1].1);

    let mut data = section("data");
    config.data_dir = data.string(&mut checker, "dir").map(|(d, _)| path(d));
    data.finish(&mut checker, SECTIONS[2].1);

    let mut catalog = section("catalog");
    if let Some((file, at)) = catalog.string(&mut checker, "file") {
        let file = path(file);
        if !file.is_file() {
            checker.report(at, format!("[catalog] file: {} does not exist or is not a file", file.display()));
        }
        config.catalog = Some(file);
    }
    catalog.finish(&mut checker, SECTIONS[3].1);

    let mut printer = section("printer");
    config.printer = devices::printer(&mut printer, &mut checker, settings);
    printer.finish(&mut checker, devices::PRINTER_KEYS);
    config.readers = devices::readers(root, &mut checker);

    let mut keymap = section("keymap");
    if let Some((file, at)) = keymap.string(&mut checker, "file") {
        let file = path(file);
        if !file.is_file() {
            checker.report(at, format!("[keymap] file: {} does not exist or is not a file", file.display()));
        }
        config.keymap = Some(file);
    }
    keymap.finish(&mut checker, SECTIONS[5].1);

    let mut sale = section("sale");
    if let Some(merge) = sale.boolean(&mut checker, "merge_same_items") {
        settings.merge_same_items = merge;
    }
    let limits = &mut settings.limits;
    for (key, slot) in [
        ("max_quantity", &mut limits.max_quantity),
        ("ask_weight_over", &mut limits.ask_weight_over),
        ("ask_pieces_over", &mut limits.ask_pieces_over),
    ] {
        if let Some((text, at)) = sale.string(&mut checker, key) {
            match Quantity::parse(&text) {
                Ok(q) => *slot = q,
                Err(e) => checker.report(at, format!("[sale] {key}: {e}")),
            }
        }
    }
    for (key, slot) in [
        ("ask_position_sum_over", &mut limits.ask_position_sum_over),
        ("max_position_sum", &mut limits.max_position_sum),
        ("max_receipt_sum", &mut limits.max_receipt_sum),
        ("max_change", &mut limits.max_change),
    ] {
        if let Some((text, at)) = sale.string(&mut checker, key) {
            match Money::parse_positive(&text) {
                Ok(m) => *slot = m,
                Err(e) => checker.report(at, format!("[sale] {key}: {e} (write roubles in quotes, e.g. \"100000\")")),
            }
        }
    }
    if let Some(n) = sale.integer(&mut checker, "max_positions", 1..=10_000) {
        limits.max_positions = n as usize;
    }
    sale.finish(&mut checker, SECTIONS[6].1);

    let mut weight = section("weight_barcode");
    let mut layout = WeightLayout::default();
    let pattern_at = weight.string(&mut checker, "pattern").map(|(p, at)| {
        layout.pattern = p;
        at
    });
    let prefixes = weight.strings(&mut checker, "prefixes");
    if let Some(prefixes) = &prefixes {
        layout.prefixes = prefixes.iter().map(|(p, _)| p.clone()).collect();
    }
    if let Err(e) = layout.validate() {
        let at = match &e {
            crate::core::barcode::LayoutError::BadPrefix(bad) => prefixes.iter().flatten().find(|(p, _)| p == bad).map(|(_, at)| *at),
            _ => pattern_at,
        };
        checker.report(at.unwrap_or(0), format!("[weight_barcode] {e}"));
    }
    settings.weight_layout = layout;
    weight.finish(&mut checker, SECTIONS[7].1);

    let mut loyalty = section("loyalty");
    if loyalty.table.is_some() && !checker.secrets_withheld {
        let timeout = Duration::from_millis(loyalty.integer(&mut checker, "timeout_ms", 100..=120_000).unwrap_or(5000) as u64);
        let provider = loyalty.string(&mut checker, "provider");
        let url = loyalty.string(&mut checker, "url");
        let key = loyalty.string(&mut checker, "key").map(|(k, _)| k);
        let mut text = |name: &'static str, default: &str| loyalty.string(&mut checker, name).map_or(default.to_string(), |(v, _)| v);
        let organization = text("organization", &settings.store_name);
        let business_unit = text("business_unit", &settings.store_id);
        let work_place = text("work_place", &settings.register_id);
        let store_code = text("store_code", &settings.store_id);
        let register_code = text("register_code", &settings.register_id);
        let spend_code = loyalty.boolean(&mut checker, "spend_code").unwrap_or(false);
        let anonymous = loyalty.boolean(&mut checker, "anonymous").unwrap_or(true);
        let footer_on_slip = match loyalty.string(&mut checker, "footer") {
            None => false,
            Some((place, _)) if place == "receipt" => false,
            Some((place, _)) if place == "slip" => true,
            Some((place, at)) => {
                checker.report(at, format!("[loyalty] footer: {place:?} is neither \"receipt\" nor \"slip\""));
                false
            }
        };
        let options = FlowOptions {
            spend_code,
            anonymous,
            footer_on_slip,
        };
        let probonus_keys = ProBonusKeys::read(&mut loyalty, &mut checker);
        let demo_delay = Duration::from_secs(10);
        let mut checked_url = |name: &str, url: Option<(String, usize)>, at: usize| match url {
            Some((url, url_at)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    checker.report(url_at, format!("[loyalty] url: {url:?} must start with http:// or https://"));
                }
                Some(url)
            }
            None => {
                checker.report(at, format!("[loyalty] url: the {name} provider needs the server's url"));
                None
            }
        };
        config.loyalty = match provider {
            Some((p, _)) if p == "demo" => Some(LoyaltyConfig::DemoFrontol {
                timeout,
                answer_delay: demo_delay,
            }),
            Some((p, _)) if p == "demo-kilbil" => Some(LoyaltyConfig::DemoKilBil {
                timeout,
                answer_delay: demo_delay,
            }),
            Some((p, _)) if p == "demo-probonus" => Some(LoyaltyConfig::DemoProBonus {
                timeout,
                answer_delay: demo_delay,
            }),
            Some((p, _)) if p == "demo-maxbonus" => Some(LoyaltyConfig::DemoMaxBonus {
                timeout,
                answer_delay: demo_delay,
            }),
            Some((p, at)) if p == "maxbonus" => {
                let url = checked_url("maxbonus", url, at);
                let token = probonus_keys.token.clone().map(|(t, _)| t).filter(|t| !t.trim().is_empty());
                if token.is_none() {
                    checker.report(at, "[loyalty] token: the maxbonus provider needs the outlet's token".into());
                }
                url.zip(token)
                    .map(|(url, token)| LoyaltyConfig::MaxBonus(maxbonus::Settings { url, token, timeout }))
            }
            Some((p, at)) if p == "probonus" => {
                let url = checked_url("probonus", url, at);
                probonus_keys.settings(&mut checker, at, url, timeout).map(LoyaltyConfig::ProBonus)
            }
            Some((p, at)) if p == "frontol" => checked_url("frontol", url, at).map(|url| {
                LoyaltyConfig::Frontol(frontol::Settings {
                    url,
                    key,
                    organization,
                    business_unit,
                    work_place,
                    timeout,
                })
            }),
            Some((p, at)) if p == "kilbil" => {
                let url = checked_url("kilbil", url, at);
                if key.as_deref().is_none_or(|k| k.trim().is_empty()) {
                    checker.report(
                        at,
                        "[loyalty] key: the kilbil provider needs the key (h) from the company card".into(),
                    );
                }
                url.zip(key).map(|(url, key)| {
                    LoyaltyConfig::KilBil(kilbil::Settings {
                        url,
                        key,
                        store_code,
                        register_code,
                        timeout,
                    })
                })
            }
            Some((p, at)) => {
                checker.report(at, format!("[loyalty] provider: unknown provider {p:?}; known: {PROVIDERS}"));
                None
            }
            None => {
                let at = loyalty.table.map_or(0, |t| t.iter().next().map_or(0, |(k, _)| k.span().start));
                checker.report(at, format!("[loyalty] provider: missing ({PROVIDERS})"));
                None
            }
        };
        settings.flow = config.loyalty.as_ref().map_or_else(Default::default, |l| l.flow(options));
        settings.loyalty = config.loyalty.is_some();
    }
    if !checker.secrets_withheld {
        loyalty.finish(&mut checker, SECTIONS[8].1);
    }

    let mut log = section("log");
    if let Some((level, at)) = log.string(&mut checker, "level") {
        match crate::logging::check_level(&level) {
            Ok(()) => config.log.level = level,
            Err(e) => checker.report(
                at,
                format!("[log] level: {level:?} is not a log filter (e.g. \"info\" or \"warn,kassa::loyalty=debug\"): {e}"),
            ),
        }
    }
    if let Some(days) = log.integer(&mut checker, "keep_days", 1..=3650) {
        config.log.keep_days = days as usize;
    }
    log.finish(&mut checker, SECTIONS[11].1);

    if checker.issues.is_empty() {
        return Ok(config);
    }
    checker.issues.sort_by_key(|i| (i.line, i.column));
    Err(Issues(checker.issues))
}

/// Reads and checks a config file.
pub fn load(path: &Path) -> Result<Config, Issues> {
    load_layers(&[path.to_path_buf()])
}

/// Reads and checks config files laid one over the other. Relative paths
/// are taken from the first file's directory.
pub fn load_layers(paths: &[PathBuf]) -> Result<Config, Issues> {
    load_checked(paths, false)
}

/// As [`load_layers`], for support's commands (status, watch, logs, queue,
/// journal): a layer this user may not read (secrets.toml, the kassa
/// group's alone) is left out and the loyalty settings with it — these
/// commands need the data folder, not the keys. A layer others could change
/// is still refused.
pub fn load_layers_without_secrets(paths: &[PathBuf]) -> Result<Config, Issues> {
    load_checked(paths, true)
}

fn load_checked(paths: &[PathBuf], may_withhold: bool) -> Result<Config, Issues> {
    use std::os::unix::fs::PermissionsExt;
    let mut withheld = false;
    let mut layers = Vec::new();
    let mut unreadable = Vec::new();
    for path in paths {
        let file = path.display().to_string();
        if let Some(message) = open_to_others(path) {
            unreadable.push(Issue {
                file,
                line: 0,
                column: 0,
                message,
            });
            continue;
        }
        let read = std::fs::read_to_string(path).and_then(|text| Ok((text, std::fs::metadata(path)?)));
        match read {
            Ok((text, metadata)) => layers.push(Layer {
                file,
                text,
                world_readable: metadata.permissions().mode() & 0o004 != 0,
            }),
            Err(e) if may_withhold && e.kind() == std::io::ErrorKind::PermissionDenied => withheld = true,
            Err(e) => unreadable.push(Issue {
                file,
                line: 0,
                column: 0,
                message: format!("cannot read: {e}"),
            }),
        }
    }
    if !unreadable.is_empty() {
        return Err(Issues(unreadable));
    }
    let base = paths.first().and_then(|p| p.parent()).unwrap_or(Path::new("."));
    parse_checked(&layers, base, withheld)
}

/// Why a config layer must not be trusted, if it must not: whoever can
/// change it can point `url` at their own server and collect the loyalty key.
///
/// Our reading, strict as ssh's StrictModes: the file and its folder are
/// owned by root or the user running kassa, and neither is writable by the
/// group or by others — any group, the service group too (config files are
/// 0644 or 0640, secrets.toml 0640 root:kassa; nobody but root edits them).
/// A path that cannot be examined is left to the read, which reports it.
fn open_to_others(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let me = rustix::process::geteuid().as_raw();
    let folder = match path.parent() {
        Some(parent) if parent.as_os_str().is_empty() => Path::new("."),
        Some(parent) => parent,
        None => Path::new("/"),
    };
    for (what, target) in [(Examined::File, path), (Examined::Folder, folder)] {
        let Ok(metadata) = std::fs::metadata(target) else {
            continue;
        };
        let shown = target.display().to_string();
        if metadata.mode() & 0o022 != 0 {
            return Some(crate::text::config_writable(what, &shown, metadata.mode() & 0o7777, path));
        }
        if metadata.uid() != 0 && metadata.uid() != me {
            return Some(crate::text::config_foreign_owner(what, &shown, metadata.uid(), path));
        }
    }
    None
}

/// What of a config layer is examined: the file, or the folder it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Examined {
    File,
    Folder,
}

/// Where the config comes from when no file is named: the system file, its
/// secrets (a separate file readable by kassa's group only), and the user's
/// override — those that exist, in that order. None: the demo.
pub fn default_layers(system_dir: &Path, user_dir: Option<&Path>) -> Vec<PathBuf> {
    let user = user_dir.map(|dir| dir.join("config.toml"));
    [Some(system_dir.join("config.toml")), Some(system_dir.join("secrets.toml")), user]
        .into_iter()
        .flatten()
        .filter(|path| path.is_file())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issues(text: &str) -> Vec<String> {
        match parse("k.toml", text, Path::new("/")) {
            Ok(_) => Vec::new(),
            Err(Issues(list)) => list.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn empty_config_is_the_demo() {
        let config = parse("k.toml", "", Path::new("/")).expect("empty is fine");
        assert_eq!(config.loyalty, None, "a config file without [loyalty] has none");
        assert!(!config.settings.loyalty);
        assert_eq!(Config::default().loyalty, Some(demo_loyalty()), "the demo has the emulator");
    }

    #[test]
    fn reads_every_setting() {
        let text = "[store]\nid = \"0042\"\nname = \"Ромашка\"\n[register]\nid = \"3\"\n[printer]\nwidth = 32\n\
                    [sale]\nmerge_same_items = false\nmax_quantity = \"50\"\nmax_receipt_sum = \"1000\"\n\
                    [weight_barcode]\npattern = \"PPCCCCCCWWWWK\"\nprefixes = [\"27\"]\n";
        let config = parse("k.toml", text, Path::new("/")).expect("valid");
        assert_eq!(config.settings.store_id, "0042");
        assert_eq!(config.settings.register_id, "3");
        assert_eq!(config.settings.printer_width, 32);
        assert!(!config.settings.merge_same_items);
        assert_eq!(config.settings.limits.max_quantity, Quantity(50_000));
        assert_eq!(config.settings.limits.max_receipt_sum, Money(1000_00));
        assert_eq!(config.settings.weight_layout.prefixes, ["27"]);
    }

    #[test]
    fn reads_a_kilbil_store() {
        let text = "[store]\nid = \"0042\"\n[loyalty]\nprovider = \"kilbil\"\nurl = \"https://bonus.kilbil.ru\"\nkey = \"h1\"\nspend_code = true\n";
        let config = parse("k.toml", text, Path::new("/")).expect("valid");
        let Some(LoyaltyConfig::KilBil(kilbil)) = &config.loyalty else {
            panic!("a KilBil store: {:?}", config.loyalty);
        };
        assert_eq!((kilbil.store_code.as_str(), kilbil.register_code.as_str()), ("0042", "01"));
        assert_eq!(config.settings.flow, crate::core::loyalty::Flow::kilbil(true));
        let found = issues("[loyalty]\nprovider = \"kilbil\"\nurl = \"https://bonus.kilbil.ru\"\n");
        assert!(found.iter().any(|i| i.contains("key (h)")), "{found:#?}");
    }

    #[test]
    fn reads_a_probonus_store() {
        let text = "[loyalty]\nprovider = \"probonus\"\nurl = \"https://probonus.example\"\nlogin = \"kassa\"\npassword = \"p\"\nrest_code = 12\naccount_group = 3\nmax_spend_percent = \"30\"\n";
        let config = parse("p.toml", text, Path::new("/")).expect("valid");
        let Some(LoyaltyConfig::ProBonus(probonus)) = &config.loyalty else {
            panic!("a ProBonus store: {:?}", config.loyalty);
        };
        assert_eq!((probonus.rest_code, probonus.rk_unit, probonus.account_group), (12, 999, Some(3)));
        assert_eq!(
            probonus.rules,
            probonus::Rules {
                accrual: 0,
                max_spend: 30_00
            }
        );
        assert!(matches!(probonus.auth, probonus::Auth::Login { .. }));
        assert_eq!(config.settings.flow, crate::core::loyalty::Flow::probonus());
        let base = "[loyalty]\nprovider = \"probonus\"\nurl = \"https://probonus.example\"\n";
        let found = issues(base);
        assert!(found.iter().any(|i| i.contains("API token, or login and password")), "{found:#?}");
        assert!(found.iter().any(|i| i.contains("rest_code")), "{found:#?}");
        let both = issues(&format!("{base}token = \"t\"\nlogin = \"l\"\npassword = \"p\"\nrest_code = 1\n"));
        assert!(both.iter().any(|i| i.contains("not both")), "{both:#?}");
        let percent = issues(&format!(
            "{base}token = \"t\"\nrest_code = 1\naccrual_percent = \"150\"\nrk_unit = 12\n"
        ));
        assert_eq!(percent.len(), 2, "{percent:#?}");
    }

    #[test]
    fn reports_every_mistake_with_its_place() {
        let text = "[store]\nid = 42\nnmae = \"x\"\n[printer]\nwidth = 500\n[sale]\nmax_receipt_sum = \"-1\"\n[weight_barcode]\nprefixes = [\"46\"]\n[extra]\n";
        let found = issues(text);
        assert_eq!(found.len(), 6, "{found:#?}");
        assert!(found[5].starts_with("k.toml:10:2: unknown section [extra]"), "{found:#?}");
        assert!(
            found.iter().any(|i| i.starts_with("k.toml:2:6: [store] id: expected a string")),
            "{found:#?}"
        );
        assert!(
            found.iter().any(|i| i.starts_with("k.toml:3:1: [store] unknown key \"nmae\"")),
            "{found:#?}"
        );
        assert!(found.iter().any(|i| i.starts_with("k.toml:5:9: [printer] width")), "{found:#?}");
        assert!(
            found.iter().any(|i| i.starts_with("k.toml:7:19: [sale] max_receipt_sum")),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|i| i.starts_with("k.toml:9:13: [weight_barcode] weight barcode prefix")),
            "{found:#?}"
        );
    }

    #[test]
    fn syntax_errors_have_a_place() {
        let found = issues("[store]\nid = \"unterminated\n");
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("k.toml:2:"), "{found:?}");
    }

    fn layer(file: &str, text: &str, world_readable: bool) -> Layer {
        Layer {
            file: file.into(),
            text: text.into(),
            world_readable,
        }
    }

    #[test]
    fn layers_lay_key_by_key_and_mistakes_name_their_file() {
        let system = layer(
            "/etc/kassa/config.toml",
            "[store]\nid = \"0042\"\nname = \"Ромашка\"\n[loyalty]\nprovider = \"kilbil\"\nurl = \"https://kb.example\"\n",
            true,
        );
        let secrets = layer("/etc/kassa/secrets.toml", "[loyalty]\nkey = \"h-key\"\n", false);
        let user = layer(
            "/home/a/.config/kassa/config.toml",
            "[store]\nname = \"Ромашка-2\"\n[log]\nlevel = \"debug\"\n",
            false,
        );
        let config = parse_layers(&[system.clone(), secrets.clone(), user], Path::new("/etc/kassa")).expect("valid");
        assert_eq!(config.settings.store_id, "0042", "kept from the system file");
        assert_eq!(config.settings.store_name, "Ромашка-2", "the user's override wins");
        assert_eq!(config.log.level, "debug");
        assert!(matches!(config.loyalty, Some(LoyaltyConfig::KilBil(ref k)) if k.key == "h-key" && k.url == "https://kb.example"));

        let broken = layer("/home/a/.config/kassa/config.toml", "[store]\nnmae = 1\n", false);
        let Err(Issues(found)) = parse_layers(&[system.clone(), secrets, broken], Path::new("/")) else {
            panic!("the override's mistake is found");
        };
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .to_string()
                .starts_with("/home/a/.config/kassa/config.toml:2:1: [store] unknown key"),
            "{found:?}"
        );

        let leaked = layer("/etc/kassa/secrets.toml", "\n[loyalty]\nkey = \"h-key\"\n", true);
        let Err(Issues(found)) = parse_layers(&[system, leaked], Path::new("/")) else {
            panic!("a readable secret is refused");
        };
        assert_eq!(
            found[0].to_string(),
            "/etc/kassa/secrets.toml:3:1: [loyalty] key is a secret, and everyone on this machine can read /etc/kassa/secrets.toml: run `sudo chmod o-r /etc/kassa/secrets.toml` (the file stays readable by its owner and group)"
        );
    }

    #[test]
    fn default_layers_are_those_that_exist_in_order() {
        let system = tempfile::tempdir().expect("temp");
        let user = tempfile::tempdir().expect("temp");
        assert!(default_layers(system.path(), Some(user.path())).is_empty(), "none: the demo");
        std::fs::write(system.path().join("config.toml"), "").expect("write");
        std::fs::write(user.path().join("config.toml"), "").expect("write");
        let found = default_layers(system.path(), Some(user.path()));
        assert_eq!(found, [system.path().join("config.toml"), user.path().join("config.toml")]);
        std::fs::write(system.path().join("secrets.toml"), "").expect("write");
        assert_eq!(default_layers(system.path(), None)[1], system.path().join("secrets.toml"));
    }
}
