//! Configuration: a TOML file turned once into validated settings.
//! `kassa config check` reports every mistake with its file, line and column,
//! not just the first one.
//!
//! Each section is read by its own function, its keys listed beside it:
//! `sections.rs` (store, register, data, catalog, keymap, log), `sale.rs`
//! (sale, weight_barcode), `devices.rs` (printer, scanner, card_reader) and
//! `loyalty.rs` (whose keys depend on the provider); `reader.rs` lays the
//! files over each other and reports a key no reader asked for. `SECTIONS`
//! below names them in order.
//!
//! ```toml
//! [store]
//! id = "0001"
//! name = "Магазин №1"
//! address = "г. Москва, ул. Ленина, д. 1"   # the address and place of settlement
//! organisation = "ООО \"Ромашка\""
//! inn = "7727000006"                       # 10 or 12 digits, check digits verified
//! tax_system = "osn"        # osn | usn_income | usn_income_expense | esn | patent
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
//! alcohol_hours = "08:00-23:00"   # alcohol is sold from, until (10:00-02:00 runs past midnight)
//! [weight_barcode]
//! pattern = "PPCCCCCWWWWWK"
//! prefixes = ["20", "21", "22", "23", "24", "25", "26", "27", "28", "29"]
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::core::state::Settings;
use crate::loyalty::LoyaltyConfig;

mod devices;
pub(crate) mod loyalty;
pub(crate) mod reader;
mod sale;
mod sections;

use reader::{Checker, Section};

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
    LoyaltyConfig::Demo {
        protocol: crate::loyalty::Protocol::Frontol,
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

/// A section's reader: it takes its keys into the config and reports the
/// keys it does not know.
type Reader = fn(Section, &mut Checker, &mut Config);

/// Whether a section is written once, `[name]`, or may repeat, `[[name]]`.
enum Read {
    Once(Reader),
    Each(Reader),
}

/// Every section with its reader, in the order they are read (`[loyalty]`
/// takes its defaults from `[store]` and `[register]`) and listed.
const SECTIONS: &[(&str, Read)] = &[
    ("store", Read::Once(sections::store)),
    ("register", Read::Once(sections::register)),
    ("data", Read::Once(sections::data)),
    ("catalog", Read::Once(sections::catalog)),
    ("printer", Read::Once(devices::printer)),
    ("keymap", Read::Once(sections::keymap)),
    ("sale", Read::Once(sale::sale)),
    ("weight_barcode", Read::Once(sale::weight_barcode)),
    ("marking", Read::Once(sale::marking)),
    ("loyalty", Read::Once(loyalty::loyalty)),
    ("scanner", Read::Each(devices::scanner)),
    ("card_reader", Read::Each(devices::card_reader)),
    ("log", Read::Once(sections::log)),
];

fn parse_checked(layers: &[Layer], base: &Path, secrets_withheld: bool) -> Result<Config, Issues> {
    let mut checker = Checker::new(layers, base, secrets_withheld);
    let padded = checker.padded_texts();
    let Some(root) = checker.merge(&padded) else {
        return Err(checker.issues());
    };
    let names: Vec<&str> = SECTIONS.iter().map(|(name, _)| *name).collect();
    reader::check_section_names(&root, &mut checker, &names);
    // A config file without [loyalty] sells without loyalty; only the demo has the emulator.
    // Nor does a store print the demo seller's address and ИНН: what its
    // config leaves out is left off its receipts.
    let mut config = Config {
        settings: Settings {
            store_address: String::new(),
            requisites: Default::default(),
            ..Settings::default()
        },
        loyalty: None,
        ..Config::default()
    };
    for (name, read) in SECTIONS {
        match read {
            Read::Once(read) => read(reader::section(&root, &mut checker, name), &mut checker, &mut config),
            Read::Each(read) => {
                for section in reader::repeated(&root, &mut checker, name) {
                    read(section, &mut checker, &mut config);
                }
            }
        }
    }
    checker.result(config)
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
    use crate::core::money::{Money, Quantity};
    use crate::loyalty::probonus;

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
    fn reads_what_marking_checks_decide() {
        use crate::core::marking::{MarkRule, MarkingRules};
        let defaults = parse("k.toml", "", Path::new("/")).expect("valid").settings.marking;
        assert_eq!(defaults, MarkingRules::default());
        let text = "[marking]\nwhen_refused = \"ask\"\nwhen_unanswered = \"accept\"\ngs = \"^\"\n";
        let marking = parse("k.toml", text, Path::new("/")).expect("valid").settings.marking;
        assert_eq!(
            (marking.when_refused, marking.when_unanswered, marking.gs_substitutes),
            (MarkRule::Ask, MarkRule::Accept, vec!['^'])
        );
    }

    #[test]
    fn reads_the_sellers_requisites_and_prints_no_demo_ones_for_a_store() {
        use crate::core::requisites::{Requisites, TaxSystem};
        let text = "[store]\naddress = \"г. Тверь, ул. Советская, д. 5\"\norganisation = \"ИП Петров П. П.\"\n\
                    inn = \"500100732259\"\ntax_system = \"usn_income_expense\"\n";
        let config = parse("k.toml", text, Path::new("/")).expect("valid");
        assert_eq!(config.settings.store_address, "г. Тверь, ул. Советская, д. 5");
        assert_eq!(
            config.settings.requisites,
            Requisites {
                organisation: "ИП Петров П. П.".into(),
                inn: "500100732259".into(),
                tax_system: Some(TaxSystem::UsnIncomeExpense),
            }
        );
        let bare = parse("k.toml", "", Path::new("/")).expect("valid");
        assert_eq!(
            (bare.settings.store_address.as_str(), &bare.settings.requisites),
            ("", &Requisites::default())
        );
        assert_eq!(Config::default().settings.requisites, Requisites::demo(), "the demo has its seller");
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
