//! The `kassa` command line.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use kassa::emulators::shtrih::{Registrar, ShtrihEmulator};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use kassa::app;
use kassa::config::{self, Config};
use kassa::core::command::Command;
use kassa::core::journal::ReceiptId;
use kassa::core::money::Money;
use kassa::emulators::console::Device;
use kassa::emulators::frontol::{Emulator, Rules, demo_clients};
use kassa::emulators::{Misbehaving, Serving};
use kassa::replay::{self, ReplaySetup};
use kassa::store::Store;
use kassa::tui::keymap::Keymap;
use kassa::tui::view::Theme;
use kassa::{bench, catalog_gen, tui};

/// Keyboard-driven terminal cashier workstation.
///
/// With no config it runs the demo: demo catalog, text printer, data under
/// the user's data directory.
#[derive(Parser)]
#[command(name = "kassa", version)]
struct Cli {
    #[command(flatten)]
    common: Common,
    /// Print on a Shtrih-M fiscal registrar's emulator started inside kassa
    /// (its tape goes to registrar-tape.txt in the data directory): the
    /// demo with a registrar, which marked goods need.
    #[arg(long)]
    emulated_registrar: bool,
    #[command(subcommand)]
    command: Option<Sub>,
}

#[derive(Args, Clone)]
struct Common {
    /// Config file (default: $KASSA_CONFIG, else /etc/kassa/config.toml with
    /// /etc/kassa/secrets.toml and ~/.config/kassa/config.toml over it, else the demo).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory (overrides the config's [data] dir).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Keymap file merged over the default keymap.
    #[arg(long, global = true)]
    keymap: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Sub {
    /// Run a key-replay script headless and print the final screen; or, with
    /// --journal, replay a session journal and print what the cashier saw.
    Replay {
        #[arg(required_unless_present = "journal", conflicts_with = "journal")]
        script: Option<PathBuf>,
        /// A session journal (`<data dir>/sessions/session.<date>.jsonl`).
        #[arg(long)]
        journal: Option<PathBuf>,
        /// Stop at this time of the journal ("2026-11-23 10:15:00"): the screen then.
        #[arg(long, requires = "journal")]
        until: Option<String>,
        /// List the journal's records (time and what), up to --until, instead of the screen.
        #[arg(long, requires = "journal")]
        timeline: bool,
        /// Terminal without colours (as with NO_COLOR).
        #[arg(long)]
        no_color: bool,
    },
    /// What the workstation is doing: shift, open receipt, loyalty link,
    /// queue, devices, last problems (also while it runs).
    Status,
    /// Mirror the cashier's screen, read-only (q or Ctrl+C leaves).
    Watch,
    /// Show the logs: the last lines, or follow them.
    Logs {
        /// How many lines.
        #[arg(long, short = 'n', default_value_t = 50)]
        lines: usize,
        /// Keep printing lines as they are written.
        #[arg(long, short)]
        follow: bool,
        /// Only warnings and errors.
        #[arg(long)]
        problems: bool,
    },
    /// Check the config and report every mistake with its file and line.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Read the journal of closed receipts.
    Journal {
        #[command(subcommand)]
        action: JournalAction,
    },
    /// List every command and its keys in the active keymap.
    Keys,
    /// Generate a large catalog for benchmarks.
    Catalog {
        #[command(subcommand)]
        action: CatalogAction,
    },
    /// Measure start-up, scan-to-frame time, bytes per scan and memory.
    Bench(bench::BenchArgs),
    /// The loyalty queue: list, show one entry, send now, export (works while the workstation runs).
    Queue {
        #[command(subcommand)]
        action: QueueAction,
    },
    /// Serve a loyalty server emulator (for manual checks and support).
    Emulate {
        #[command(subcommand)]
        server: EmulateServer,
    },
    /// ProBonus helpers for installers.
    Probonus {
        #[command(subcommand)]
        action: ProbonusAction,
    },
    /// MaxBonus helpers for scheduled runs.
    Maxbonus {
        #[command(subcommand)]
        action: MaxbonusAction,
    },
}

#[derive(Subcommand)]
enum MaxbonusAction {
    /// Send the catalog's goods to MaxBonus (`import/json`), e.g. nightly
    /// from a systemd timer; exits non-zero when anything was not taken.
    Import,
}

#[derive(Subcommand)]
enum ProbonusAction {
    /// List the account groups (`account_groups/list`) and check the
    /// configured `account_group` can take new guests (`haveTemplate`).
    Groups,
}

#[derive(Subcommand)]
enum QueueAction {
    /// Pending and rejected entries.
    List,
    /// One entry in full.
    Show { id: u64 },
    /// Send the queue now (through the running workstation).
    Send,
    /// Every entry as JSON lines.
    Export,
}

#[derive(Subcommand)]
enum EmulateServer {
    /// A barcode scanner on a pseudo-terminal: typed lines are scanned.
    Scanner {
        /// A stable path to link to the pty (as a udev rule names real devices).
        #[arg(long)]
        link: Option<PathBuf>,
    },
    /// A magnetic-stripe card reader on a pseudo-terminal: typed card numbers are swiped.
    Cardreader {
        #[arg(long)]
        link: Option<PathBuf>,
    },
    /// An ESC/POS receipt printer on a pseudo-terminal: prints what it gets as text.
    Escpos {
        #[arg(long)]
        link: Option<PathBuf>,
    },
    /// A Shtrih-M fiscal registrar on a pseudo-terminal, with its shift, receipts and drawer.
    Shtrih {
        #[arg(long)]
        link: Option<PathBuf>,
    },
    /// The Frontol Loyalty API, with the demo clients; prints each request.
    Frontol {
        #[arg(long, default_value = "127.0.0.1:8088")]
        listen: std::net::SocketAddr,
        /// The access key: requests must carry its FrontolAuth token.
        #[arg(long)]
        key: Option<String>,
        /// Discount on every position, percent (within minimum prices).
        #[arg(long, default_value = "5")]
        discount: String,
        /// The share of a receipt bonuses may pay, percent.
        #[arg(long, default_value = "50")]
        max_bonus_share: String,
        /// Bonuses accrued on fiscal payments, percent.
        #[arg(long, default_value = "5")]
        accrual: String,
    },
    /// KilBil (`/load/<function>?h=KEY`), with the demo clients; prints each
    /// request and each SMS code (the last four digits of the phone).
    Kilbil {
        #[arg(long, default_value = "127.0.0.1:8089")]
        listen: std::net::SocketAddr,
        /// The key `h` requests must carry.
        #[arg(long)]
        key: String,
        /// Off every price for an identified client, percent (within minimum prices).
        #[arg(long, default_value = "3")]
        discount: String,
        /// Bonuses accrued on what was paid in money, percent.
        #[arg(long, default_value = "5")]
        accrual: String,
    },
    /// ProBonus (`/api/v0/…`), with the demo guests, levels and groups;
    /// prints each request. Give a token, or a login and password, or both.
    Probonus {
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: std::net::SocketAddr,
        /// The permanent API token (header X-Api-Token).
        #[arg(long)]
        token: Option<String>,
        #[arg(long, requires = "password")]
        login: Option<String>,
        #[arg(long, requires = "login")]
        password: Option<String>,
        /// The restaurant code (restCode) checks must carry.
        #[arg(long, default_value_t = 1)]
        rest_code: u32,
        /// Seconds a bearer token lives.
        #[arg(long, default_value_t = 3600)]
        token_ttl: u64,
    },
    /// MaxBonus (`/api/cashbox/…`), with the demo customers and certificates;
    /// prints each request. Its SMS code is always 1234.
    Maxbonus {
        #[arg(long, default_value = "127.0.0.1:8091")]
        listen: std::net::SocketAddr,
        /// The outlet's token (header Token).
        #[arg(long)]
        token: String,
    },
}

/// A percentage argument in hundredths of a percent.
fn percent(name: &str, text: &str) -> anyhow::Result<i64> {
    let value = Money::parse(text).map_err(|e| anyhow::anyhow!("--{name}: {e}"))?.kopecks();
    anyhow::ensure!((0..=100_00).contains(&value), "--{name}: {text} is not between 0 and 100%");
    Ok(value)
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Check FILE (default: the config kassa would use).
    Check { file: Option<PathBuf> },
}

#[derive(Subcommand)]
enum JournalAction {
    /// List closed receipts, optionally of one shift.
    List {
        #[arg(long)]
        shift: Option<u32>,
    },
    /// Show one receipt as printed, by shift/number (e.g. 3/15).
    Show { id: String },
}

#[derive(Subcommand)]
enum CatalogAction {
    /// Write a catalog of N items (CSV) to stdout or --out.
    Generate {
        #[arg(long, default_value_t = 100_000)]
        items: usize,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// The config files in use, each over the ones before; none: the demo.
fn config_layers(common: &Common) -> Vec<PathBuf> {
    if let Some(file) = common
        .config
        .clone()
        .or_else(|| std::env::var_os("KASSA_CONFIG").map(PathBuf::from))
    {
        return vec![file];
    }
    let user = directories::ProjectDirs::from("", "", "kassa").map(|dirs| dirs.config_dir().to_path_buf());
    config::default_layers(std::path::Path::new("/etc/kassa"), user.as_deref())
}

fn load_config(common: &Common) -> anyhow::Result<Config> {
    let layers = config_layers(common);
    if layers.is_empty() {
        return Ok(Config::default());
    }
    config::load_layers(&layers).map_err(|issues| anyhow::anyhow!("the config has mistakes:\n{issues}"))
}

/// The config for support's commands, which read and never sell: a layer
/// this user may not read (secrets.toml, the kassa group's) is left out.
fn support_config(common: &Common) -> anyhow::Result<Config> {
    let layers = config_layers(common);
    if layers.is_empty() {
        return Ok(Config::default());
    }
    config::load_layers_without_secrets(&layers).map_err(|issues| anyhow::anyhow!("the config has mistakes:\n{issues}"))
}

fn data_dir(common: &Common, config: &Config) -> PathBuf {
    common
        .data_dir
        .clone()
        .or_else(|| config.data_dir.clone())
        .unwrap_or_else(app::default_data_dir)
}

fn keymap(common: &Common, config: &Config) -> anyhow::Result<Keymap> {
    app::load_keymap(common.keymap.as_deref().or(config.keymap.as_deref()))
}

/// A line of command output. A reader that has gone (`kassa keys | head`)
/// fails it with `BrokenPipe`, which `main` takes as a quiet end.
macro_rules! outln {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*)?
    };
}

/// Command output without a newline, as [`outln`].
macro_rules! out {
    ($($arg:tt)*) => {
        write!(std::io::stdout().lock(), $($arg)*)?
    };
}

/// Whether the error is stdout's reader having gone away.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Whether the error is this user lacking permission.
fn is_permission_denied(error: &anyhow::Error) -> bool {
    let denied = |e: &std::io::Error| e.kind() == std::io::ErrorKind::PermissionDenied;
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(denied)
            || matches!(cause.downcast_ref::<sled::Error>(), Some(sled::Error::Io(e)) if denied(e))
    })
}

fn main() -> ExitCode {
    // Before anything is written: logs, journals and the store are never for others.
    kassa::private::restrict_umask();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader took what it wanted (`| head`): nothing went wrong.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kassa: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let common = cli.common;
    match cli.command {
        None => run_workstation(&common, cli.emulated_registrar),
        Some(Sub::Replay {
            journal: Some(journal),
            until,
            timeline: true,
            ..
        }) => journal_timeline(&journal, until.as_deref()),
        Some(Sub::Replay {
            journal: Some(journal),
            until,
            no_color,
            ..
        }) => replay_journal(&common, &journal, until.as_deref(), no_color),
        Some(Sub::Replay { script, no_color, .. }) => replay_script(&common, script, no_color),
        Some(Sub::Config {
            action: ConfigAction::Check { file },
        }) => config_check(&common, file),
        Some(Sub::Journal { action }) => journal(&common, action),
        Some(Sub::Status) => status(&common),
        Some(Sub::Watch) => {
            let config = support_config(&common)?;
            kassa::watch::view(&data_dir(&common, &config))?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Sub::Logs { lines, follow, problems }) => {
            let config = support_config(&common)?;
            let dir = kassa::logging::dir(&data_dir(&common, &config));
            kassa::logging::show(&dir, lines, problems, follow)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Sub::Keys) => keys(&common),
        Some(Sub::Catalog {
            action: CatalogAction::Generate { items, out },
        }) => catalog_generate(items, out),
        Some(Sub::Emulate { server }) => emulate(server),
        Some(Sub::Probonus {
            action: ProbonusAction::Groups,
        }) => probonus_groups(&common),
        Some(Sub::Maxbonus {
            action: MaxbonusAction::Import,
        }) => maxbonus_import(&common),
        Some(Sub::Queue { action }) => queue(&common, action),
        Some(Sub::Bench(args)) => {
            bench::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `kassa replay SCRIPT`: runs a key-replay script and prints its last screen.
fn replay_script(common: &Common, script: Option<PathBuf>, no_color: bool) -> anyhow::Result<ExitCode> {
    let script = script.context("a script or --journal")?;
    let config = load_config(common)?;
    // Without --data-dir a replay starts from nothing and leaves nothing behind.
    let temp = if common.data_dir.is_none() { Some(tempdir()?) } else { None };
    let data_dir = common.data_dir.clone().or_else(|| temp.clone()).context("data directory")?;
    let _log = kassa::logging::init(&data_dir, &config.log)?;
    let setup = ReplaySetup {
        catalog: Arc::new(app::load_catalog(&config)?),
        keymap: keymap(common, &config)?,
        config,
        data_dir,
        theme: if no_color { Theme::MONO } else { Theme::from_env() },
    };
    let result = replay::run_file(&script, &setup);
    if let Some(temp) = temp {
        std::fs::remove_dir_all(temp).ok();
    }
    outln!("{}", result?);
    Ok(ExitCode::SUCCESS)
}

/// `kassa config check [FILE]`: the config (`FILE`, or the layers in use)
/// with its keymap and catalog; every mistake on stderr.
fn config_check(common: &Common, file: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let layers = file.map_or_else(|| config_layers(common), |file| vec![file]);
    if layers.is_empty() {
        outln!("no config file: kassa runs the demo");
        return Ok(ExitCode::SUCCESS);
    }
    match config::load_layers(&layers) {
        Ok(config) => {
            if let Some(keymap) = &config.keymap {
                Keymap::load(keymap)?;
            }
            app::load_catalog(&config)?;
            for path in &layers {
                outln!("{}: OK", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(issues) => {
            eprint!("{issues}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `kassa keys`: every command, its keys in the keymap in use, what it does.
fn keys(common: &Common) -> anyhow::Result<ExitCode> {
    let config = load_config(common)?;
    let keymap = keymap(common, &config)?;
    for &command in Command::ALL {
        let keys: Vec<String> = keymap.keys_for(command).iter().map(ToString::to_string).collect();
        outln!("{:<16} {:<18} {}", command.name(), keys.join(", "), command.doc());
    }
    Ok(ExitCode::SUCCESS)
}

/// `kassa catalog generate`: a large catalog for benchmarks, to `out` or stdout.
fn catalog_generate(items: usize, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let csv = catalog_gen::generate(items);
    match out {
        Some(path) => std::fs::write(&path, csv).with_context(|| format!("cannot write {}", path.display()))?,
        None => out!("{csv}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `kassa emulate …`: a device on a pseudo-terminal or a loyalty server.
fn emulate(server: EmulateServer) -> anyhow::Result<ExitCode> {
    match server {
        EmulateServer::Scanner { link } => emulate_device(Device::Scanner, link),
        EmulateServer::Cardreader { link } => emulate_device(Device::CardReader, link),
        EmulateServer::Escpos { link } => emulate_device(Device::EscPos, link),
        EmulateServer::Shtrih { link } => emulate_device(Device::Shtrih, link),
        EmulateServer::Frontol {
            listen,
            key,
            discount,
            max_bonus_share,
            accrual,
        } => emulate_frontol(listen, key, &discount, &max_bonus_share, &accrual),
        EmulateServer::Kilbil {
            listen,
            key,
            discount,
            accrual,
        } => emulate_kilbil(listen, &key, &discount, &accrual),
        EmulateServer::Probonus {
            listen,
            token,
            login,
            password,
            rest_code,
            token_ttl,
        } => emulate_probonus(listen, token, login, password, rest_code, token_ttl),
        EmulateServer::Maxbonus { listen, token } => emulate_maxbonus(listen, &token),
    }
}

/// `kassa emulate frontol`.
fn emulate_frontol(
    listen: std::net::SocketAddr,
    key: Option<String>,
    discount: &str,
    max_bonus_share: &str,
    accrual: &str,
) -> anyhow::Result<ExitCode> {
    let rules = Rules {
        discount: percent("discount", discount)?,
        max_bonus_share: percent("max-bonus-share", max_bonus_share)?,
        accrual: percent("accrual", accrual)?,
    };
    let emulator = Emulator::new(key, demo_clients(), rules).echo(true);
    serve_emulator(emulator, listen, |bound| {
        format!("Frontol Loyalty API emulator on http://{bound} (cards 7770000000017, 7770000000024, 7770000000031)")
    })
}

/// `kassa emulate kilbil`.
fn emulate_kilbil(listen: std::net::SocketAddr, key: &str, discount: &str, accrual: &str) -> anyhow::Result<ExitCode> {
    use kassa::emulators::kilbil;
    let rules = kilbil::Rules {
        discount: percent("discount", discount)?,
        accrual: percent("accrual", accrual)?,
        ..kilbil::Rules::default()
    };
    let emulator = kilbil::Emulator::new(key, kilbil::demo_clients(), rules).echo(true);
    serve_emulator(emulator, listen, |bound| {
        format!(
            "KilBil emulator on http://{bound}/load/<function>?h=… (cards 7770000000017, 7770000000024; promo code {})",
            kilbil::PROMO
        )
    })
}

/// `kassa emulate probonus`: with a token, or a login and password, or both.
fn emulate_probonus(
    listen: std::net::SocketAddr,
    token: Option<String>,
    login: Option<String>,
    password: Option<String>,
    rest_code: u32,
    token_ttl: u64,
) -> anyhow::Result<ExitCode> {
    use kassa::emulators::probonus;
    anyhow::ensure!(token.is_some() || login.is_some(), "give --token, or --login and --password");
    let credentials = probonus::Credentials {
        token,
        login: login.zip(password),
        ttl: std::time::Duration::from_secs(token_ttl),
    };
    let emulator = probonus::Emulator::new(credentials, rest_code, probonus::demo()).echo(true);
    serve_emulator(emulator, listen, |bound| {
        format!("ProBonus emulator on http://{bound}/api/v0/… (guests +79161234567, +79211022546; template group 3)")
    })
}

/// `kassa emulate maxbonus`.
fn emulate_maxbonus(listen: std::net::SocketAddr, token: &str) -> anyhow::Result<ExitCode> {
    use kassa::emulators::maxbonus;
    let emulator = maxbonus::Emulator::new(token, maxbonus::demo()).echo(true);
    serve_emulator(emulator, listen, |bound| {
        format!(
            "MaxBonus emulator on http://{bound}/api/cashbox/… (customers +79161234567, card 7000000000011, short code 482913; certificates CERT-1000/1111, CERT-500/3333; SMS code {})",
            maxbonus::SMS_CODE
        )
    })
}

/// `kassa probonus groups`: the groups, and whether the configured one takes new guests.
fn probonus_groups(common: &Common) -> anyhow::Result<ExitCode> {
    use kassa::loyalty::probonus::{self, ProBonus};
    let config = load_config(common)?;
    let Some(kassa::loyalty::LoyaltyConfig::ProBonus(settings)) = config.loyalty else {
        anyhow::bail!("the config's [loyalty] provider is not probonus");
    };
    let configured = settings.account_group;
    let client = ProBonus::new(settings)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let groups = runtime.block_on(client.groups())?;
    for group in &groups {
        let template = if group.have_template { "haveTemplate" } else { "" };
        outln!("{:>6}  {:<40} {template}", group.id, group.name);
    }
    let problems = probonus::group_problems(&groups, configured);
    for problem in &problems {
        eprintln!("warning: {problem}");
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Goods per `import/json` request: a large catalog goes in parts.
const IMPORT_BATCH: usize = 1000;

/// `kassa maxbonus import`: the catalog's goods to MaxBonus, in batches.
fn maxbonus_import(common: &Common) -> anyhow::Result<ExitCode> {
    use kassa::loyalty::maxbonus::{MaxBonus, wire};
    let config = load_config(common)?;
    let Some(kassa::loyalty::LoyaltyConfig::MaxBonus(settings)) = config.loyalty.clone() else {
        anyhow::bail!("the config's [loyalty] provider is not maxbonus");
    };
    let catalog = app::load_catalog(&config)?;
    let goods: Vec<wire::Good> = catalog
        .items()
        .iter()
        .map(|item| wire::Good {
            code: item.code.to_string(),
            name: item.name.to_string(),
            price: wire::Amount(item.price),
            unit: if item.weighed { "kg" } else { "pcs" }.into(),
        })
        .collect();
    let client = MaxBonus::new(settings)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut imported = 0;
    for batch in goods.chunks(IMPORT_BATCH) {
        imported += runtime
            .block_on(client.import(batch.to_vec()))
            .map_err(|e| anyhow::anyhow!("import stopped after {imported} of {} goods: {e}", goods.len()))?;
    }
    outln!("{imported} of {} goods imported", goods.len());
    Ok(if imported == goods.len() as u64 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn emulate_device(device: Device, link: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    kassa::emulators::console::run(device, link.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

/// `kassa emulate …`: serves `emulator` on `listen` until stopped; `about`
/// says where and with what.
fn serve_emulator(
    emulator: impl Serving,
    listen: std::net::SocketAddr,
    about: impl Fn(std::net::SocketAddr) -> String,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        outln!("{}", about(listener.local_addr()?));
        emulator.serve(listener).await.context("server")
    })?;
    Ok(ExitCode::SUCCESS)
}

fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("kassa-replay-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    kassa::private::dir(&dir, kassa::private::DIR)?;
    Ok(dir)
}

fn run_workstation(common: &Common, emulated_registrar: bool) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    let mut config = load_config(common)?;
    // Without a terminal (ssh without -t, a pipe, </dev/null) the screen
    // cannot start: say so before anything is written, not with a crash report.
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        eprintln!("kassa: {}", kassa::text::NO_TERMINAL);
        return Ok(ExitCode::FAILURE);
    }
    let keymap = keymap(common, &config)?;
    let catalog = Arc::new(app::load_catalog(&config)?);
    let dir = data_dir(common, &config);
    kassa::private::data_dir(&dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    let _log = kassa::logging::init(&dir, &config.log)?;
    log_start(common, &dir);
    let registrar = emulated_registrar
        .then(|| ShtrihEmulator::start(None, Registrar::default(), false))
        .transpose()
        .context("cannot start the registrar's emulator")?;
    if let Some(emulator) = &registrar {
        app::print_on_emulated_registrar(&mut config, emulator.path());
    }
    let assembled = app::assemble(&config, catalog, &dir, tui::terminal::local_now())?;
    let result = tui::terminal::run(assembled, &keymap);
    if let Some(emulator) = registrar {
        let tape = emulator.unplug().tape.join("\n");
        std::fs::write(dir.join("registrar-tape.txt"), tape + "\n").context("cannot write the registrar's tape")?;
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

/// The log's first line of a run: which kassa, where its data is, which config.
fn log_start(common: &Common, dir: &std::path::Path) {
    let layers = config_layers(common);
    let config = if layers.is_empty() {
        "none, the demo".to_string()
    } else {
        layers.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    };
    tracing::info!(
        target: "kassa",
        "kassa {} started (pid {}): data {}, config loaded: {config}",
        env!("CARGO_PKG_VERSION"),
        std::process::id(),
        dir.display()
    );
}

/// Asks the running workstation through its socket; with none running,
/// reads the store itself.
fn queue(common: &Common, action: QueueAction) -> anyhow::Result<ExitCode> {
    let config = support_config(common)?;
    let dir = data_dir(common, &config);
    let command = match action {
        QueueAction::List => "list".to_string(),
        QueueAction::Show { id } => format!("show {id}"),
        QueueAction::Send => "send".to_string(),
        QueueAction::Export => "export".to_string(),
    };
    let answer = match kassa::control::ask(&dir, &command)? {
        Some(answer) => answer,
        None if command == "send" => {
            eprintln!(
                "kassa: no workstation is running on {}: the queue is sent when it starts",
                dir.display()
            );
            return Ok(ExitCode::FAILURE);
        }
        None => kassa::control::answer(&open_store(common)?, &command),
    };
    match answer {
        Ok(text) => {
            out!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("kassa: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `--until`: a moment of the journal.
fn until_time(until: Option<&str>) -> anyhow::Result<Option<chrono::NaiveDateTime>> {
    until
        .map(|text| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
                .with_context(|| format!("--until {text:?}: expected YYYY-MM-DD HH:MM[:SS]"))
        })
        .transpose()
}

/// `kassa replay --journal FILE --timeline`: each record, when and what.
fn journal_timeline(journal: &std::path::Path, until: Option<&str>) -> anyhow::Result<ExitCode> {
    let until = until_time(until)?;
    let file = std::fs::File::open(journal).with_context(|| format!("cannot read {}", journal.display()))?;
    for line in kassa::session::timeline(&journal.display().to_string(), std::io::BufReader::new(file), until)? {
        outln!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `kassa replay --journal FILE`: the screen the cashier saw at the end (or at --until).
fn replay_journal(common: &Common, journal: &std::path::Path, until: Option<&str>, no_color: bool) -> anyhow::Result<ExitCode> {
    let until = until_time(until)?;
    let config = support_config(common)?;
    let catalog = Arc::new(app::load_catalog(&config)?);
    let file = std::fs::File::open(journal).with_context(|| format!("cannot read {}", journal.display()))?;
    let name = journal.display().to_string();
    let replayed = kassa::session::replay(&name, std::io::BufReader::new(file), catalog, until)?;
    let theme = if no_color { Theme::MONO } else { Theme::from_env() };
    let screen = replay::render_state(&replayed.state, replayed.size, &keymap(common, &config)?, theme)?;
    outln!("{screen}");
    let span = match (replayed.from, replayed.to) {
        (Some(from), Some(to)) => format!(" from {from} to {to}"),
        _ => String::new(),
    };
    eprintln!("kassa: {} events replayed{span}", replayed.events);
    if replayed.skipped > 0 {
        eprintln!("kassa: {} records before the first snapshot were skipped", replayed.skipped);
    }
    for note in &replayed.notes {
        eprintln!("kassa: {note}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `kassa status`: the running workstation answers; with none, the store and the logs do.
fn status(common: &Common) -> anyhow::Result<ExitCode> {
    let config = support_config(common)?;
    let dir = data_dir(common, &config);
    let report = match kassa::control::ask(&dir, "status")? {
        Some(Ok(report)) => report,
        Some(Err(error)) => anyhow::bail!("{error}"),
        None => match open_store(common) {
            Ok(store) => {
                let (durable, _) = store.load_state()?;
                let (queue, _) = store.queue_view()?;
                kassa::status::stopped(&durable, &queue, &config.settings)
            }
            // Support may not open the store (the kassa user's): the logs still tell.
            Err(e) if is_permission_denied(&e) => format!("{}\n", kassa::text::store_denied(&dir)),
            Err(e) => return Err(e),
        },
    };
    out!("{report}");
    outln!("data: {}", dir.display());
    outln!("last problems in the logs:");
    match kassa::logging::problems(&kassa::logging::dir(&dir), 5) {
        Ok(problems) if problems.is_empty() => outln!("  none"),
        Ok(problems) => {
            for line in &problems {
                outln!("  {line}");
            }
        }
        Err(e) => outln!("  the logs cannot be read: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn open_store(common: &Common) -> anyhow::Result<Store> {
    let config = support_config(common)?;
    let dir = data_dir(common, &config);
    if !dir.join("kassa.sled").exists() {
        anyhow::bail!("no journal in {} (use --data-dir)", dir.display());
    }
    Ok(Store::open(&dir)?)
}

/// `kassa journal`: the running workstation answers (masked, as support
/// may see it); with none running, the store is read here (the kassa
/// user's, who sees it whole).
fn journal(common: &Common, action: JournalAction) -> anyhow::Result<ExitCode> {
    let config = support_config(common)?;
    let dir = data_dir(common, &config);
    let words: Vec<String> = match action {
        JournalAction::List { shift: None } => vec!["list".into()],
        JournalAction::List { shift: Some(shift) } => vec!["list".into(), shift.to_string()],
        JournalAction::Show { id } => {
            let parsed = ReceiptId::parse(&id)
                .or_else(|| ReceiptId::from_barcode(&id))
                .with_context(|| format!("{id:?}: expected shift/number, e.g. 3/15"))?;
            vec!["show".into(), parsed.to_string()]
        }
    };
    let answer = match kassa::control::ask(&dir, &format!("journal {}", words.join(" ")))? {
        Some(answer) => answer,
        None => {
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            kassa::control::journal(&open_store(common)?, &config.settings, &words, false)
        }
    };
    match answer {
        Ok(text) => {
            out!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("kassa: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}
