//! `[loyalty]`: the store's loyalty server. Which keys the section takes
//! depends on its `provider` (wherever in the file it is written): the
//! shared ones, and those of the provider's protocol — a `demo-…` emulator
//! takes its protocol's keys too, so a store may switch to it and back. A
//! key of another protocol is a mistake that names the protocol it belongs to.
//!
//! ```toml
//! [loyalty]
//! provider = "kilbil"      # frontol | kilbil | probonus | maxbonus | demo | demo-kilbil | demo-probonus | demo-maxbonus
//! url = "https://bonus.example.ru"
//! timeout_ms = 5000
//! key = "…"                # and KilBil's own: store_code, register_code, spend_code
//! ```

use std::time::Duration;

use super::Config;
use super::reader::{Checker, Section};
use crate::core::money::Money;
use crate::core::state::Settings;
use crate::loyalty::{FlowOptions, LoyaltyConfig};
use crate::loyalty::{PROTOCOLS, Protocol, frontol, kilbil, maxbonus, probonus};

/// Keys every provider takes.
const SHARED_KEYS: &[&str] = &["provider", "url", "timeout_ms"];

/// Keys whose values are secrets (see `reader::SECRET_KEYS`).
pub(super) const SECRET_KEYS: &[&str] = &["key", "token", "password"];

/// The keys of each protocol beyond the shared ones, each list beside its reader.
trait ProtocolKeys {
    fn keys(self) -> &'static [&'static str];
}

impl ProtocolKeys for Protocol {
    fn keys(self) -> &'static [&'static str] {
        match self {
            Protocol::Frontol => FRONTOL_KEYS,
            Protocol::KilBil => KILBIL_KEYS,
            Protocol::ProBonus => PROBONUS_KEYS,
            Protocol::MaxBonus => MAXBONUS_KEYS,
        }
    }
}

/// Every `provider`: each protocol's server, then each one's emulator, in
/// the order the messages list them.
fn providers() -> impl Iterator<Item = (&'static str, Protocol, Kind)> {
    let servers = PROTOCOLS.into_iter().map(|p| (p.name(), p, Kind::Server));
    servers.chain(PROTOCOLS.into_iter().map(|p| (p.demo_name(), p, Kind::Demo)))
}

/// A real server, or the emulator in-process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Server,
    Demo,
}

fn provider_names() -> String {
    providers().map(|(name, _, _)| name).collect::<Vec<_>>().join(", ")
}

/// The emulators answer this late when told to.
const DEMO_DELAY: Duration = Duration::from_secs(10);

/// The provider the section names, with the shared keys: what each
/// protocol's reader builds on.
struct Provider {
    name: String,
    protocol: Protocol,
    kind: Kind,
    /// Where `provider` is, for the keys a server needs and lacks.
    at: usize,
    url: Option<(String, usize)>,
    timeout: Duration,
}

impl Provider {
    /// The server's url, required and checked.
    fn url(&self, checker: &mut Checker) -> Option<String> {
        match &self.url {
            Some((url, url_at)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    checker.report(*url_at, format!("[loyalty] url: {url:?} must start with http:// or https://"));
                }
                Some(url.clone())
            }
            None => {
                let name = &self.name;
                checker.report(self.at, format!("[loyalty] url: the {name} provider needs the server's url"));
                None
            }
        }
    }

    /// The emulator of the protocol, for a `demo-…` provider.
    fn demo(&self) -> Option<LoyaltyConfig> {
        let (timeout, answer_delay) = (self.timeout, DEMO_DELAY);
        (self.kind == Kind::Demo).then_some(LoyaltyConfig::Demo {
            protocol: self.protocol,
            timeout,
            answer_delay,
        })
    }
}

/// `[loyalty]`: the shared keys, then the provider's protocol's; the flow
/// follows the provider. Left off when the secrets could not be read.
pub(super) fn loyalty(mut section: Section, checker: &mut Checker, config: &mut Config) {
    if section.table.is_none() || checker.secrets_withheld {
        return;
    }
    let provider = read_provider(&mut section, checker);
    let mut options = FlowOptions::default();
    let settings = &config.settings;
    config.loyalty = provider.as_ref().and_then(|p| match p.protocol {
        Protocol::Frontol => read_frontol(&mut section, checker, p, settings),
        Protocol::KilBil => read_kilbil(&mut section, checker, p, settings, &mut options),
        Protocol::ProBonus => read_probonus(&mut section, checker, p),
        Protocol::MaxBonus => read_maxbonus(&mut section, checker, p, &mut options),
    });
    finish(section, checker, provider.as_ref());
    config.settings.flow = config.loyalty.as_ref().map_or_else(Default::default, |l| l.flow(options));
    config.settings.loyalty = config.loyalty.is_some();
}

/// The shared keys; `None` (reported) when the provider is missing or unknown.
fn read_provider(section: &mut Section, checker: &mut Checker) -> Option<Provider> {
    let timeout = Duration::from_millis(section.integer(checker, "timeout_ms", 100..=120_000).unwrap_or(5000) as u64);
    let url = section.string(checker, "url");
    let Some((name, at)) = section.string(checker, "provider") else {
        let at = section.table.map_or(0, |t| t.iter().next().map_or(0, |(k, _)| k.span().start));
        checker.report(at, format!("[loyalty] provider: missing ({})", provider_names()));
        return None;
    };
    let Some((_, protocol, kind)) = providers().find(|(known, _, _)| *known == name) else {
        checker.report(
            at,
            format!("[loyalty] provider: unknown provider {name:?}; known: {}", provider_names()),
        );
        return None;
    };
    Some(Provider {
        name,
        protocol,
        kind,
        at,
        url,
        timeout,
    })
}

/// Reports the keys the provider did not read: another protocol's, named
/// with it, or nobody's. With no provider known, only nobody's.
fn finish(section: Section, checker: &mut Checker, provider: Option<&Provider>) {
    let own = provider.map_or_else(
        || PROTOCOLS.iter().flat_map(|p| p.keys()).collect(),
        |p| p.protocol.keys().iter().collect::<Vec<_>>(),
    );
    let mut known: Vec<&str> = SHARED_KEYS.to_vec();
    for key in own {
        if !known.contains(key) {
            known.push(key);
        }
    }
    for (key, at) in section.unread(&known) {
        let owners: Vec<&str> = PROTOCOLS
            .iter()
            .filter(|p| p.keys().contains(&key.as_str()))
            .map(|p| p.title())
            .collect();
        match provider {
            _ if owners.is_empty() => section.unknown(checker, &key, at, &known),
            Some(p) => checker.report(
                at,
                format!(
                    "[loyalty] {key} belongs to {}; this store's provider is {:?}",
                    owners.join(" and "),
                    p.name
                ),
            ),
            // The provider's mistake is reported; whose key this is cannot be told.
            None => {}
        }
    }
}

/// A text key, or its default.
fn text_or(section: &mut Section, checker: &mut Checker, key: &'static str, default: &str) -> String {
    section.string(checker, key).map_or(default.to_string(), |(v, _)| v)
}

const FRONTOL_KEYS: &[&str] = &["key", "organization", "business_unit", "work_place"];

/// Frontol: the access key (none sends no Authorization), and the names a
/// document carries (the store's, by default).
fn read_frontol(section: &mut Section, checker: &mut Checker, p: &Provider, settings: &Settings) -> Option<LoyaltyConfig> {
    let key = section.string(checker, "key").map(|(k, _)| k);
    let organization = text_or(section, checker, "organization", &settings.store_name);
    let business_unit = text_or(section, checker, "business_unit", &settings.store_id);
    let work_place = text_or(section, checker, "work_place", &settings.register_id);
    if let Some(demo) = p.demo() {
        return Some(demo);
    }
    let url = p.url(checker)?;
    Some(LoyaltyConfig::Frontol(frontol::Settings {
        url,
        key,
        organization,
        business_unit,
        work_place,
        timeout: p.timeout,
        deadline: Default::default(),
    }))
}

const KILBIL_KEYS: &[&str] = &["key", "store_code", "register_code", "spend_code"];

/// KilBil: the key (h) from the company card, required; the codes of a
/// move (the store's, by default); an SMS code before spending.
fn read_kilbil(
    section: &mut Section,
    checker: &mut Checker,
    p: &Provider,
    settings: &Settings,
    options: &mut FlowOptions,
) -> Option<LoyaltyConfig> {
    let key = section.string(checker, "key").map(|(k, _)| k);
    let store_code = text_or(section, checker, "store_code", &settings.store_id);
    let register_code = text_or(section, checker, "register_code", &settings.register_id);
    options.spend_code = section.boolean(checker, "spend_code").unwrap_or(false);
    if let Some(demo) = p.demo() {
        return Some(demo);
    }
    let url = p.url(checker);
    if key.as_deref().is_none_or(|k| k.trim().is_empty()) {
        checker.report(
            p.at,
            "[loyalty] key: the kilbil provider needs the key (h) from the company card".into(),
        );
    }
    Some(LoyaltyConfig::KilBil(kilbil::Settings {
        url: url?,
        key: key?,
        store_code,
        register_code,
        timeout: p.timeout,
        deadline: Default::default(),
    }))
}

const MAXBONUS_KEYS: &[&str] = &["token", "anonymous", "footer"];

/// MaxBonus: the outlet's token, required; where receipts with no client
/// go, and where the write's text is printed.
fn read_maxbonus(section: &mut Section, checker: &mut Checker, p: &Provider, options: &mut FlowOptions) -> Option<LoyaltyConfig> {
    let token = section.string(checker, "token").map(|(t, _)| t);
    options.anonymous = section.boolean(checker, "anonymous").unwrap_or(true);
    options.footer_on_slip = match section.string(checker, "footer") {
        None => false,
        Some((place, _)) if place == "receipt" => false,
        Some((place, _)) if place == "slip" => true,
        Some((place, at)) => {
            checker.report(at, format!("[loyalty] footer: {place:?} is neither \"receipt\" nor \"slip\""));
            false
        }
    };
    if let Some(demo) = p.demo() {
        return Some(demo);
    }
    let url = p.url(checker);
    let token = token.filter(|t| !t.trim().is_empty());
    if token.is_none() {
        checker.report(p.at, "[loyalty] token: the maxbonus provider needs the outlet's token".into());
    }
    Some(LoyaltyConfig::MaxBonus(maxbonus::Settings {
        url: url?,
        token: token?,
        timeout: p.timeout,
        deadline: Default::default(),
    }))
}

const PROBONUS_KEYS: &[&str] = &[
    "token",
    "login",
    "password",
    "rest_code",
    "rk_unit",
    "account_group",
    "accrual_percent",
    "max_spend_percent",
];

/// ProBonus: see [`ProBonusKeys`].
fn read_probonus(section: &mut Section, checker: &mut Checker, p: &Provider) -> Option<LoyaltyConfig> {
    let keys = ProBonusKeys::read(section, checker);
    if let Some(demo) = p.demo() {
        return Some(demo);
    }
    let url = p.url(checker);
    keys.settings(checker, p.at, url, p.timeout).map(LoyaltyConfig::ProBonus)
}

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
            deadline: Default::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Issues, Layer, parse_layers};
    use std::path::Path;

    fn layer(file: &str, text: &str) -> Layer {
        Layer {
            file: file.into(),
            text: text.into(),
            world_readable: false,
        }
    }

    #[test]
    fn a_key_of_another_provider_is_named_in_the_layer_that_holds_it() {
        let system = layer(
            "/etc/kassa/config.toml",
            "[loyalty]\nprovider = \"kilbil\"\nurl = \"https://kb.example\"\n",
        );
        let secrets = layer("/etc/kassa/secrets.toml", "[loyalty]\nkey = \"h\"\npassword = \"p\"\n");
        let Err(Issues(found)) = parse_layers(&[system.clone(), secrets], Path::new("/")) else {
            panic!("a ProBonus key in a KilBil store is refused");
        };
        let found: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            ["/etc/kassa/secrets.toml:3:1: [loyalty] password belongs to ProBonus; this store's provider is \"kilbil\""]
        );
        // The same key is the store's own once the provider is ProBonus's emulator.
        let user = layer("/home/a/.config/kassa/config.toml", "[loyalty]\nprovider = \"demo-probonus\"\n");
        let secrets = layer("/etc/kassa/secrets.toml", "[loyalty]\npassword = \"p\"\n");
        assert!(parse_layers(&[system, secrets, user], Path::new("/")).is_ok());
    }
}
