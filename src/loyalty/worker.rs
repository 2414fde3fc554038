//! The loyalty worker: one thread with its own async runtime sends requests
//! to the configured provider, one at a time and in order, and answers each
//! with `Event::LoyaltyReplied`. The UI never waits on the network: the core
//! shows what it is waiting for, and every request is bounded by the
//! provider's timeout. A demo's server is started apart ([`super::demo`]).

use chrono::NaiveDateTime;
use std::thread;
use tokio::sync::mpsc;

use super::Request;
use super::providers::{Client, LoyaltyConfig};
use crate::core::event::Event;
use crate::faults::FaultPoint;

/// A request to send: its id, what, and when it was asked.
pub type Job = (u64, Box<Request>, NaiveDateTime);
/// A way in for the disk worker, which passes requests on after the saves before them.
pub type JobSender = mpsc::UnboundedSender<Job>;

pub struct LoyaltyWorker {
    requests: mpsc::UnboundedSender<Job>,
    handle: Option<thread::JoinHandle<()>>,
}

impl LoyaltyWorker {
    /// Starts the worker for a real server's `config` (a demo's is turned
    /// into one by [`super::demo::start`] first).
    pub fn start(config: LoyaltyConfig, deliver: impl Fn(Event) + Send + 'static) -> std::io::Result<LoyaltyWorker> {
        let (requests, mut inbox) = mpsc::unbounded_channel::<Job>();
        let provider = Client::connect(config)?;
        let handle = thread::Builder::new().name("kassa-loyalty".into()).spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                let mut faults = crate::faults::Faults::from_env();
                while let Some((id, request, at)) = inbox.recv().await {
                    faults.crash_if(FaultPoint::BeforeSend);
                    let result = provider.call(&request, at).await;
                    faults.crash_if(FaultPoint::AfterSend);
                    deliver(Event::LoyaltyReplied { id, result });
                }
            });
        })?;
        Ok(LoyaltyWorker {
            requests,
            handle: Some(handle),
        })
    }

    /// The way in: the disk worker passes requests on after the saves before them.
    pub fn sender(&self) -> JobSender {
        self.requests.clone()
    }

    pub fn shutdown(mut self) {
        let (dead, _) = mpsc::unbounded_channel();
        drop(std::mem::replace(&mut self.requests, dead));
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}
