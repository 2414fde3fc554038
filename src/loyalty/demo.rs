//! The demo's loyalty server, started at the edge: the provider's emulator
//! with its demo clients serves on a loopback port from a thread of its own,
//! and the till gets an ordinary config pointing at it. The loyalty worker
//! never knows it talks to a demo; the server outlives a restart of the
//! till (as a remote one would), and keeps its books in the data folder
//! when the live workstation runs it.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use super::worker::LoyaltyConfig;
use super::{frontol, kilbil, maxbonus, probonus};
use crate::emulators::{DemoLoyalty, DemoServer, Serving};

/// The demo servers' access key: the demo exercises each protocol's auth too.
pub const DEMO_KEY: &str = "demo-key";

/// The file the demo's loyalty server keeps its books in.
pub const DEMO_BOOKS: &str = "demo-loyalty.json";

/// A running demo server: steer it through [`Demo::server`]; dropped, it stops.
pub struct Demo {
    server: DemoServer,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Demo {
    pub fn server(&self) -> &DemoServer {
        &self.server
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        self.server.release();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// For a demo `config`: starts its server (its books in `data_dir` when
/// given) and returns the config that reaches it. A real server's config
/// comes back as it is, with no demo.
pub fn start(config: LoyaltyConfig, data_dir: Option<&Path>) -> std::io::Result<(LoyaltyConfig, Option<Demo>)> {
    let books = data_dir.map(|dir| dir.join(DEMO_BOOKS));
    let (emulator, answer_delay, connect): (DemoServer, Duration, Box<dyn FnOnce(String) -> LoyaltyConfig>) = match config {
        LoyaltyConfig::DemoFrontol { timeout, answer_delay } => {
            let emulator = keep(frontol::demo::emulator(), books, frontol::emulator::Emulator::kept_in);
            let connect = move |url| LoyaltyConfig::Frontol(frontol::demo::settings(url, timeout));
            (emulator, answer_delay, Box::new(connect))
        }
        LoyaltyConfig::DemoKilBil { timeout, answer_delay } => {
            let emulator = keep(kilbil::demo::emulator(), books, kilbil::emulator::Emulator::kept_in);
            let connect = move |url| LoyaltyConfig::KilBil(kilbil::demo::settings(url, timeout));
            (emulator, answer_delay, Box::new(connect))
        }
        LoyaltyConfig::DemoProBonus { timeout, answer_delay } => {
            let emulator = keep(probonus::demo::emulator(), books, probonus::emulator::Emulator::kept_in);
            let connect = move |url| LoyaltyConfig::ProBonus(probonus::demo::settings(url, timeout));
            (emulator, answer_delay, Box::new(connect))
        }
        LoyaltyConfig::DemoMaxBonus { timeout, answer_delay } => {
            let emulator = keep(maxbonus::demo::emulator(), books, maxbonus::emulator::Emulator::kept_in);
            let connect = move |url| LoyaltyConfig::MaxBonus(maxbonus::demo::settings(url, timeout));
            (emulator, answer_delay, Box::new(connect))
        }
        real => return Ok((real, None)),
    };
    emulator.set_delay(answer_delay);
    let (url, demo) = serve(emulator)?;
    Ok((connect(url), Some(demo)))
}

/// The demo server of `emulator`, its books kept in `books` when given.
fn keep<E: DemoLoyalty + 'static>(emulator: E, books: Option<PathBuf>, kept_in: fn(E, PathBuf) -> E) -> DemoServer {
    match books {
        Some(file) => DemoServer::new(kept_in(emulator, file)),
        None => DemoServer::new(emulator),
    }
}

/// [`start`] for a till that may have no loyalty at all.
pub fn start_if_any(config: Option<LoyaltyConfig>, data_dir: Option<&Path>) -> std::io::Result<(Option<LoyaltyConfig>, Option<Demo>)> {
    match config {
        Some(config) => start(config, data_dir).map(|(config, demo)| (Some(config), demo)),
        None => Ok((None, None)),
    }
}

/// Serves `server` on a loopback port from a thread of its own.
fn serve(server: DemoServer) -> std::io::Result<(String, Demo)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let url = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = server.clone();
    let thread = thread::Builder::new().name("kassa-demo-loyalty".into()).spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            return;
        };
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            tokio::select! {
                _ = served.serve(listener) => {}
                _ = stopped => {}
            }
        });
    })?;
    let demo = Demo {
        server,
        stop: Some(stop),
        thread: Some(thread),
    };
    Ok((url, demo))
}
