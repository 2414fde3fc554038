//! `[loyalty]`: the store's loyalty server. Which keys the section takes
//! depends on its `provider` (wherever in the file it is written): the
//! shared ones, and those of the provider's protocol — a `demo-…` emulator
//! takes its protocol's keys too, so a store may switch to it and back. A
//! key of another protocol is a mistake that names the protocol it belongs to.
//! The shared keys are read here; each protocol's own, with their reader,
//! live in its folder (`loyalty/<name>/config.rs`).
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
            Protocol::Frontol => frontol::config::KEYS,
            Protocol::KilBil => kilbil::config::KEYS,
            Protocol::ProBonus => probonus::config::KEYS,
            Protocol::MaxBonus => maxbonus::config::KEYS,
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
pub(crate) struct ProviderSection {
    pub(crate) name: String,
    protocol: Protocol,
    kind: Kind,
    /// Where `provider` is, for the keys a server needs and lacks.
    pub(crate) at: usize,
    url: Option<(String, usize)>,
    pub(crate) timeout: Duration,
}

impl ProviderSection {
    /// The server's url, required and checked.
    pub(crate) fn url(&self, checker: &mut Checker) -> Option<String> {
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
    pub(crate) fn demo(&self) -> Option<LoyaltyConfig> {
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
        Protocol::Frontol => frontol::config::read(&mut section, checker, p, settings, &mut options),
        Protocol::KilBil => kilbil::config::read(&mut section, checker, p, settings, &mut options),
        Protocol::ProBonus => probonus::config::read(&mut section, checker, p, settings, &mut options),
        Protocol::MaxBonus => maxbonus::config::read(&mut section, checker, p, settings, &mut options),
    });
    finish(section, checker, provider.as_ref());
    config.settings.flow = config.loyalty.as_ref().map_or_else(Default::default, |l| l.flow(options));
    config.settings.loyalty = config.loyalty.is_some();
}

/// The shared keys; `None` (reported) when the provider is missing or unknown.
fn read_provider(section: &mut Section, checker: &mut Checker) -> Option<ProviderSection> {
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
    Some(ProviderSection {
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
fn finish(section: Section, checker: &mut Checker, provider: Option<&ProviderSection>) {
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
pub(crate) fn text_or(section: &mut Section, checker: &mut Checker, key: &'static str, default: &str) -> String {
    section.string(checker, key).map_or(default.to_string(), |(v, _)| v)
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
