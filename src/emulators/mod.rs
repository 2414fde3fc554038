//! Spec-faithful fake servers and devices: the demo runs them in-process,
//! tests drive them, and `kassa emulate` serves them for manual checks.

pub mod console;
pub mod escpos;
pub mod pty;
pub mod scanner;
pub mod shtrih;

// The loyalty servers live with their providers (`src/loyalty/<name>/emulator.rs`).
pub use crate::loyalty::{frontol::emulator as frontol, kilbil::emulator as kilbil};
pub use crate::loyalty::{maxbonus::emulator as maxbonus, probonus::emulator as probonus};

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::VecDeque;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::core::money::Money;

/// How an emulator misbehaves on command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// Process the request, then answer only after the client has given up:
    /// the answer is held back until let go ([`Misbehaving::release_late`],
    /// which a replay does once it has ended the client's wait) or until the
    /// emulator's `delay` passes.
    Timeout,
    /// Send the headers, then drop the connection.
    Drop,
    Http500,
    /// A refusal with an error text (Frontol `code` 1, KilBil `result_code` 99).
    Error,
    /// Process the request, then drop the connection before the answer:
    /// the server counted it, the client never hears.
    Lost,
    /// Process the request, then answer 200 with a body cut short: the
    /// server counted it, the client cannot read what it said.
    Malformed,
    /// A bonus distribution that puts a position below its minimum price.
    BadDistribution,
    /// A hung server: the request is not processed and nothing is answered
    /// until the client gives up or the emulator is told to let go
    /// ([`Misbehaving::release`]: the connection is then dropped).
    Hang,
}

/// Requests an emulator holds (a hung one's, or the late answers of a
/// `timeout`), and the signal that lets them go.
#[derive(Debug)]
pub struct Hold {
    releases: tokio::sync::watch::Sender<u64>,
    state: Mutex<Holding>,
}

/// What a [`Hold`] holds: counted from the last release on.
#[derive(Debug, Default)]
struct Holding {
    /// Releases so far.
    generation: u64,
    /// Requests held and not let go.
    held: usize,
}

impl Default for Hold {
    fn default() -> Self {
        Hold {
            releases: tokio::sync::watch::Sender::new(0),
            state: Mutex::new(Holding::default()),
        }
    }
}

impl Hold {
    /// Lets go of every request held now: from here on they are no longer
    /// counted as held, whenever their tasks get round to answering.
    pub fn release(&self) {
        {
            let mut state = lock(&self.state);
            state.generation += 1;
            state.held = 0;
        }
        self.releases.send_modify(|generation| *generation += 1);
    }

    /// Requests held now.
    pub fn held(&self) -> usize {
        lock(&self.state).held
    }

    /// Holds one request until released or `longest` passes; `released`
    /// was subscribed when its fate was taken, so a release since then ends
    /// it. A client that hangs up meanwhile ends it too: the server drops
    /// the request's task, and with it the hold.
    async fn wait(&self, mut released: tokio::sync::watch::Receiver<u64>, longest: Duration) {
        let _held = Held::new(self);
        let _ = tokio::time::timeout(longest, released.changed()).await;
    }
}

/// One request counted as held while this lives.
struct Held<'a> {
    hold: &'a Hold,
    /// The releases before it was held.
    generation: u64,
}

impl Held<'_> {
    fn new(hold: &Hold) -> Held<'_> {
        let mut state = lock(&hold.state);
        state.held += 1;
        Held {
            hold,
            generation: state.generation,
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.hold.state);
        // Released: the release has stopped counting it already.
        if state.generation == self.generation {
            state.held -= 1;
        }
    }
}

/// How long a hung emulator holds a request at most (a client gives up sooner).
const HANG_AT_MOST: Duration = Duration::from_secs(120);

/// What every emulator does besides its protocol: misbehave on command,
/// answer late, and echo what it gets for a person watching.
#[derive(Debug)]
pub struct Misbehaviour {
    /// Per coming request: how it misbehaves (`None`: it does not).
    failures: VecDeque<Option<Failure>>,
    /// How long a `timeout` failure waits before answering.
    pub delay: Duration,
    /// Print each request (redacted) to stdout: the `kassa emulate` command.
    pub echo: bool,
    /// What a `hang` holds.
    pub hold: std::sync::Arc<Hold>,
    /// The processed answers a `timeout` holds back.
    pub late: std::sync::Arc<Hold>,
}

impl Default for Misbehaviour {
    fn default() -> Self {
        Misbehaviour {
            failures: VecDeque::new(),
            delay: Duration::from_secs(10),
            echo: false,
            hold: Default::default(),
            late: Default::default(),
        }
    }
}

impl Misbehaviour {
    /// After `after` well-behaved requests, the next `times` fail with `failure`.
    pub fn queue(&mut self, failure: Failure, times: u32, after: u32) {
        self.failures.extend(std::iter::repeat_n(None, after as usize));
        self.failures.extend(std::iter::repeat_n(Some(failure), times as usize));
    }

    /// What becomes of the request being answered: taken off the queue.
    pub fn take(&mut self) -> Fate {
        let failure = self.failures.pop_front().flatten();
        // Subscribed here, under the emulator's lock: a release from now on is seen.
        let hold = match failure {
            Some(Failure::Hang) => Some(&self.hold),
            Some(Failure::Timeout) => Some(&self.late),
            _ => None,
        };
        let hold = hold.map(|hold| (hold.clone(), hold.releases.subscribe()));
        Fate {
            failure,
            delay: self.delay,
            hold,
        }
    }

    /// A line for the person watching; secrets and card or phone numbers redacted.
    pub fn say(&self, what: &str, body: &[u8]) {
        if self.echo {
            // A closed terminal must not stop the server.
            let _ = writeln!(std::io::stdout(), "{what} {}", crate::loyalty::redact(body));
        }
    }
}

/// What becomes of one request: how it misbehaves, if at all, and how
/// late a `timeout` answers at the latest.
#[derive(Debug, Clone)]
pub struct Fate {
    pub failure: Option<Failure>,
    pub delay: Duration,
    /// A `hang` or a `timeout`: where it is held, and the release it waits for.
    pub hold: Option<(std::sync::Arc<Hold>, tokio::sync::watch::Receiver<u64>)>,
}

/// An answer as it goes out: its HTTP status and its JSON text.
pub type JsonAnswer = (StatusCode, String);

/// `answer` as an `application/json` response.
pub fn json_response((status, text): JsonAnswer) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

/// Answers one request as its [`Fate`] says (the [`Failure`] variants'
/// words), the same on every HTTP emulator. `injected` is the protocol's own
/// refusal for [`Failure::Error`]; `process` handles the request (balances
/// and books change) and gives the answer due.
pub async fn answer_as_fated(fate: Fate, injected: impl FnOnce() -> JsonAnswer, process: impl FnOnce() -> JsonAnswer) -> Response {
    match fate.failure {
        // Not processed: the server failed before looking at the request.
        Some(Failure::Http500) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
        Some(Failure::Error) => return json_response(injected()),
        Some(Failure::Drop) => return dropped(),
        Some(Failure::Hang) => {
            if let Some((hold, released)) = fate.hold {
                hold.wait(released, HANG_AT_MOST).await;
            }
            return dropped();
        }
        _ => {}
    }
    let answer = process();
    // Processed in full from here on: what the client hears differs.
    match fate.failure {
        Some(Failure::Timeout) => {
            match fate.hold {
                Some((late, released)) => late.wait(released, fate.delay).await,
                None => tokio::time::sleep(fate.delay).await,
            }
            json_response(answer)
        }
        Some(Failure::Lost) => dropped(),
        Some(Failure::Malformed) => cut_short(&answer.1),
        _ => json_response(answer),
    }
}

/// What every emulator offers of its [`Misbehaviour`]; each only says
/// where its own is kept.
pub trait Misbehaving {
    /// Runs `f` on the emulator's misbehaviour, under the emulator's lock.
    fn misbehaviour<R>(&self, f: impl FnOnce(&mut Misbehaviour) -> R) -> R;

    /// After `after` well-behaved requests, the next `times` fail with `failure`.
    fn fail(&self, failure: Failure, times: u32, after: u32) {
        self.misbehaviour(|m| m.queue(failure, times, after));
    }

    /// How long a `timeout` failure waits before answering.
    fn set_delay(&self, delay: Duration) {
        self.misbehaviour(|m| m.delay = delay);
    }

    /// Lets go of the requests a `hang` holds (their connections drop).
    fn release(&self) {
        self.misbehaviour(|m| m.hold.release());
    }

    /// Requests a `hang` holds now.
    fn held(&self) -> usize {
        self.misbehaviour(|m| m.hold.held())
    }

    /// Sends the answers a `timeout` holds back now (the client should
    /// have given up on them first).
    fn release_late(&self) {
        self.misbehaviour(|m| m.late.release());
    }

    /// Answers a `timeout` holds back now: processed, their clients waiting.
    fn held_late(&self) -> usize {
        self.misbehaviour(|m| m.late.held())
    }

    /// Print each request (redacted) to stdout: the `kassa emulate` command.
    fn echo(self, on: bool) -> Self
    where
        Self: Sized,
    {
        self.misbehaviour(|m| m.echo = on);
        self
    }
}

/// `POST /control` of every emulator: misbehave as told.
pub async fn control<E: Misbehaving>(
    axum::extract::State(emulator): axum::extract::State<E>,
    axum::Json(control): axum::Json<Control>,
) -> StatusCode {
    emulator.fail(control.fail, control.times, control.after);
    StatusCode::OK
}

/// The body of `POST /control`: `{"fail": MODE, "times": N, "after": M}` (M requests answered well first).
#[derive(Debug, Clone, Deserialize)]
pub struct Control {
    pub fail: Failure,
    #[serde(default = "one")]
    pub times: u32,
    #[serde(default)]
    pub after: u32,
}

fn one() -> u32 {
    1
}

/// An emulator's state, locked. A poisoned lock only means a handler
/// panicked mid-request; the data is still usable.
pub fn lock<T>(shared: &Mutex<T>) -> MutexGuard<'_, T> {
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An emulator as an HTTP server: each gives its routes, serving is shared.
pub trait Serving {
    fn router(&self) -> axum::Router;

    /// Serves on `listener` until the task is dropped.
    fn serve(&self, listener: tokio::net::TcpListener) -> impl std::future::Future<Output = std::io::Result<()>> + Send + 'static {
        let router = self.router();
        async move { axum::serve(listener, router).await }
    }

    /// Binds `addr` (port 0 for any) and serves in the background of the current runtime.
    fn spawn(&self, addr: SocketAddr) -> impl std::future::Future<Output = std::io::Result<SocketAddr>> + Send + 'static {
        let router = self.router();
        async move {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            let bound = listener.local_addr()?;
            tokio::spawn(async move { axum::serve(listener, router).await });
            Ok(bound)
        }
    }
}

/// An answer whose headers go out and whose body breaks off: a dropped connection.
pub fn dropped() -> Response {
    let broken =
        futures_util::stream::once(async { Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("dropped by the emulator")) });
    Response::new(axum::body::Body::from_stream(broken))
}

/// A 200 answer whose JSON body breaks off halfway: the request was
/// processed, and the client cannot read what the server said.
fn cut_short(json: &str) -> Response {
    let mut end = json.len() / 2;
    while !json.is_char_boundary(end) {
        end -= 1;
    }
    json_response((StatusCode::OK, json[..end].to_string()))
}

/// The sum of some amounts.
pub fn sum(amounts: impl IntoIterator<Item = Money>) -> Money {
    Money(amounts.into_iter().map(|m| m.0).sum())
}

/// A decimal's exact text as a JSON number (`arbitrary_precision`: no
/// floating point on the way); `null` if the text is no number.
pub fn exact_number(text: &str) -> Value {
    text.parse::<serde_json::Number>().map(Value::Number).unwrap_or(Value::Null)
}

/// Money as a JSON number with two decimals, exactly (`1500.00`).
pub fn money_number(money: Money) -> Value {
    exact_number(&money.to_string())
}

/// A Russian mobile number as KilBil, MaxBonus and ProBonus want it: 11 digits, the first a 7.
pub fn is_russian_mobile(phone: &str) -> bool {
    phone.len() == 11 && phone.starts_with('7') && phone.bytes().all(|b| b.is_ascii_digit())
}

/// Writes `bytes` to `file` whole or not at all: a temporary file beside
/// it, synced, renamed over it, the folder synced.
pub fn write_atomically(file: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let temp = file.with_extension("tmp");
    let mut out = std::fs::File::create(&temp)?;
    out.write_all(bytes)?;
    out.sync_all()?;
    std::fs::rename(&temp, file)?;
    if let Some(dir) = file.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Where a demo server keeps its books across restarts of the till, and
/// what was written there last (so an unchanged answer writes nothing).
#[derive(Debug)]
pub struct Kept {
    file: std::path::PathBuf,
    written: String,
}

impl Kept {
    /// The books in `file`, `None` when there are none yet; an unreadable
    /// file is logged and left for a fresh start.
    pub fn read<T: serde::de::DeserializeOwned>(file: &std::path::Path) -> Option<T> {
        match std::fs::read(file).map(|bytes| serde_json::from_slice::<T>(&bytes)) {
            Ok(Ok(books)) => Some(books),
            Ok(Err(e)) => {
                tracing::warn!(target: "kassa::loyalty", "the demo server's books {} are unreadable, starting afresh: {e}", file.display());
                None
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                tracing::warn!(target: "kassa::loyalty", "the demo server's books {} cannot be read: {e}", file.display());
                None
            }
        }
    }

    /// Books in `file`, `books` being what is in it (or will be, at the first change).
    pub fn new<T: Serialize>(file: std::path::PathBuf, books: &T) -> Kept {
        Kept {
            file,
            written: serde_json::to_string(books).unwrap_or_default(),
        }
    }

    /// Writes the books when they changed since the last write.
    pub fn keep<T: Serialize>(&mut self, books: &T) {
        let books = match serde_json::to_string(books) {
            Ok(books) if books == self.written => return,
            Ok(books) => books,
            Err(e) => return tracing::warn!(target: "kassa::loyalty", "the demo server's books cannot be written: {e}"),
        };
        match write_atomically(&self.file, books.as_bytes()) {
            Ok(()) => self.written = books,
            Err(e) => tracing::warn!(target: "kassa::loyalty", "the demo server's books cannot be written to {}: {e}", self.file.display()),
        }
    }
}

/// An emulator's state whose books the demo's server keeps across restarts
/// of the till: what they are, how they come back, where they are kept.
pub trait KeptBooks {
    type Books: Serialize + serde::de::DeserializeOwned;

    fn books(&self) -> Self::Books;
    fn restore(&mut self, books: Self::Books);
    fn kept(&mut self) -> &mut Option<Kept>;

    /// Starts from the books in `file` when there are some, and keeps them there.
    fn keep_in(&mut self, file: std::path::PathBuf) {
        if let Some(books) = Kept::read::<Self::Books>(&file) {
            self.restore(books);
        }
        let kept = Kept::new(file, &self.books());
        *self.kept() = Some(kept);
    }

    /// Writes the books when they changed since the last write.
    fn keep(&mut self) {
        if self.kept().is_none() {
            return;
        }
        let books = self.books();
        if let Some(kept) = self.kept() {
            kept.keep(&books);
        }
    }
}

/// What a loyalty emulator tells of its books, beside its misbehaviour:
/// what the demo and the replays ask of whichever protocol the store speaks.
pub trait Books {
    /// Changes the key the server checks (tests of a wrong key).
    fn set_key(&self, key: &str);
    /// A client's balance by card or phone (`+7…`).
    fn balance(&self, card_or_phone: &str) -> Option<Money>;
    /// What the server counted, in the one shape of all protocols (`expect ledger`).
    fn ledger(&self) -> crate::core::ledger::Ledger;
    /// Ends the bearer tokens issued so far (ProBonus; others have none).
    fn expire_tokens(&self) {}
}

/// A loyalty emulator, whichever protocol: served, steered and read.
pub trait DemoLoyalty: Send + Sync {
    fn router(&self) -> axum::Router;
    fn set_delay(&self, delay: Duration);
    fn fail(&self, failure: Failure, times: u32, after: u32);
    fn release(&self);
    fn held(&self) -> usize;
    fn release_late(&self);
    fn held_late(&self) -> usize;
    fn books(&self) -> &dyn Books;
}

impl<E: Serving + Misbehaving + Books + Send + Sync> DemoLoyalty for E {
    fn router(&self) -> axum::Router {
        Serving::router(self)
    }

    fn set_delay(&self, delay: Duration) {
        Misbehaving::set_delay(self, delay)
    }

    fn fail(&self, failure: Failure, times: u32, after: u32) {
        Misbehaving::fail(self, failure, times, after)
    }

    fn release(&self) {
        Misbehaving::release(self)
    }

    fn held(&self) -> usize {
        Misbehaving::held(self)
    }

    fn release_late(&self) {
        Misbehaving::release_late(self)
    }

    fn held_late(&self) -> usize {
        Misbehaving::held_late(self)
    }

    fn books(&self) -> &dyn Books {
        self
    }
}

/// The demo's loyalty server, whichever protocol the store speaks (a
/// handle: clones steer the same server).
#[derive(Clone)]
pub struct DemoServer(std::sync::Arc<dyn DemoLoyalty>);

impl DemoServer {
    pub fn new(emulator: impl DemoLoyalty + 'static) -> DemoServer {
        DemoServer(std::sync::Arc::new(emulator))
    }

    /// How long a `timeout` failure waits before answering.
    pub fn set_delay(&self, delay: Duration) {
        self.0.set_delay(delay)
    }

    /// After `after` well-behaved requests, the next `times` fail with `failure`.
    pub fn fail(&self, failure: Failure, times: u32, after: u32) {
        self.0.fail(failure, times, after)
    }

    /// Lets go of the requests a `hang` holds.
    pub fn release(&self) {
        self.0.release()
    }

    /// Requests a `hang` holds now.
    pub fn held(&self) -> usize {
        self.0.held()
    }

    /// Sends the answers a `timeout` holds back now.
    pub fn release_late(&self) {
        self.0.release_late()
    }

    /// Answers a `timeout` holds back now.
    pub fn held_late(&self) -> usize {
        self.0.held_late()
    }

    pub fn set_key(&self, key: &str) {
        self.0.books().set_key(key)
    }

    pub fn balance(&self, card_or_phone: &str) -> Option<Money> {
        self.0.books().balance(card_or_phone)
    }

    pub fn ledger(&self) -> crate::core::ledger::Ledger {
        self.0.books().ledger()
    }

    pub fn expire_tokens(&self) {
        self.0.books().expire_tokens()
    }
}

impl Serving for DemoServer {
    fn router(&self) -> axum::Router {
        self.0.router()
    }
}

/// What the HTTP emulators' tests share.
#[cfg(test)]
pub(crate) mod testing {
    use super::Serving;
    use axum::http::StatusCode;
    use std::net::SocketAddr;
    use std::time::Duration;

    /// Serves `emulator` on a free local port.
    pub async fn serve_locally(emulator: &impl Serving) -> SocketAddr {
        emulator.spawn(([127, 0, 0, 1], 0).into()).await.expect("bound")
    }

    /// A POST to `url` by kassa's own HTTP client.
    pub fn post(url: &str) -> reqwest::RequestBuilder {
        crate::loyalty::http_client(Duration::from_secs(10)).expect("http client").post(url)
    }

    /// POSTs `body` as JSON to `url` with one header: the emulator's credential.
    pub async fn send_json(url: &str, (name, value): (&str, &str), body: &serde_json::Value) -> reqwest::Result<reqwest::Response> {
        post(url).header(name, value).json(body).send().await
    }

    /// Whether a request went unheard: no answer, or a body that broke off.
    pub async fn unanswered(sent: reqwest::Result<reqwest::Response>) -> bool {
        match sent {
            Ok(response) => response.bytes().await.is_err(),
            Err(_) => true,
        }
    }

    /// The body of a `malformed` answer: HTTP 200 that no JSON reader accepts.
    pub async fn cut_short_body(sent: reqwest::Result<reqwest::Response>) -> String {
        let response = sent.expect("answered");
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.text().await.expect("a body");
        assert!(serde_json::from_str::<serde_json::Value>(&body).is_err(), "cut short: {body}");
        body
    }
}
