//! The support channel: `kassa queue list|show ID|send|export`,
//! `kassa journal list|show` and `kassa status` while the workstation runs.
//!
//! sled lets one process open a database, so the running workstation listens
//! on a Unix socket, `<data dir>/kassa.sock`, created for its owner and group only (0660): a
//! line with a command in, the answer out. Reads come straight from the
//! store (sled is safe to read from another thread); `send` becomes an event
//! in the workstation's loop, so the core decides, as for any other input.
//! With no workstation running, the CLI opens the store itself; `send` then
//! says the queue goes out when the workstation starts. `status` is answered
//! by the loop from the live state (see `crate::status`).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

/// What the support socket asks of the workstation's loop.
#[derive(Debug)]
pub enum Request {
    /// Send the loyalty queue now.
    SendQueue,
    /// The status report of the live state.
    Status(oneshot::Sender<String>),
}

use crate::core::journal::{ClosedReceipt, ReceiptId};
use crate::core::state::Settings;
use crate::store::Store;

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("kassa.sock")
}

/// Answers the read-only commands from the store.
pub fn answer(store: &Store, command: &str) -> Result<String, String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let failed = |e: crate::store::StoreError| e.to_string();
    match words.as_slice() {
        ["list"] => {
            let pending = store.queue_list(usize::MAX).map_err(failed)?;
            let rejected = store.rejected_list(usize::MAX).map_err(failed)?;
            let mut out = format!("pending: {}\n", pending.len());
            for e in &pending {
                let error = e.last_error.as_deref().unwrap_or("");
                out.push_str(&format!(
                    "{:>6}  {}  {:<22} attempts {:<3} {}\n",
                    e.id,
                    e.created.format("%Y-%m-%d %H:%M:%S"),
                    e.request.name(),
                    e.attempts,
                    error
                ));
            }
            out.push_str(&format!("rejected: {}\n", rejected.len()));
            for r in &rejected {
                out.push_str(&format!(
                    "{:>6}  {}  {:<22} {}\n",
                    r.entry.id,
                    r.at.format("%Y-%m-%d %H:%M:%S"),
                    r.entry.request.name(),
                    r.text
                ));
            }
            Ok(out)
        }
        ["show", id] => {
            let id: u64 = id.parse().map_err(|_| format!("{id:?} is not an entry number"))?;
            if let Some(entry) = store.queue_entry(id).map_err(failed)? {
                return shown(&entry).and_then(|v| serde_json::to_string_pretty(&v).map_err(|e| e.to_string()));
            }
            let rejected = store.rejected_list(usize::MAX).map_err(failed)?;
            match rejected.into_iter().find(|r| r.entry.id == id) {
                Some(r) => shown(&r).and_then(|v| serde_json::to_string_pretty(&v).map_err(|e| e.to_string())),
                None => Err(format!("no queue entry {id}")),
            }
        }
        ["export"] => {
            // One JSON object per line: pending entries, then rejected ones.
            let mut out = String::new();
            for e in store.queue_list(usize::MAX).map_err(failed)? {
                out.push_str(&serde_json::json!({"pending": shown(&e)?}).to_string());
                out.push('\n');
            }
            for r in store.rejected_list(usize::MAX).map_err(failed)? {
                out.push_str(&serde_json::json!({"rejected": shown(&r)?}).to_string());
                out.push('\n');
            }
            Ok(out)
        }
        _ => Err(format!(
            "unknown command {command:?}: list, show ID, send, export, status, journal list [SHIFT], journal show SHIFT/NUMBER"
        )),
    }
}

/// `journal list [SHIFT]` and `journal show SHIFT/NUMBER`: the closed
/// receipts, listed, or one as printed (`settings`: the store's header and
/// the paper's width). `masked`: as support may see them, the customer's
/// phone or e-mail and any in the server's lines hidden (through the
/// socket); the kassa user reading the store itself sees them whole.
pub fn journal(store: &Store, settings: &Settings, words: &[&str], masked: bool) -> Result<String, String> {
    match words {
        ["list"] | ["list", _] => {
            let shift = match words.get(1) {
                Some(shift) => Some(shift.parse::<u32>().map_err(|_| format!("{shift:?} is not a shift number"))?),
                None => None,
            };
            let mut out = String::new();
            for receipt in store.journal(shift) {
                match receipt {
                    Ok(r) => {
                        let kind = if r.receipt.is_return() { "return" } else { "sale" };
                        out.push_str(&format!(
                            "{:>10}  {}  {:<6}  {:>12}  {}\n",
                            r.id.to_string(),
                            r.closed_at.format("%Y-%m-%d %H:%M"),
                            kind,
                            r.totals().total.to_string(),
                            r.cashier
                        ));
                    }
                    Err(e) => out.push_str(&format!("unreadable: {e}\n")),
                }
            }
            Ok(out)
        }
        ["show", id] => {
            let parsed = ReceiptId::parse(id)
                .or_else(|| ReceiptId::from_barcode(id))
                .ok_or_else(|| format!("{id:?}: expected shift/number, e.g. 3/15"))?;
            let receipt = store
                .receipt(parsed)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("receipt {parsed} is not in the journal"))?;
            let receipt = if masked { for_support(receipt) } else { receipt };
            let document = crate::print::layout::receipt(&receipt, settings, false);
            let mut out = String::new();
            for line in crate::print::text::render(&document, settings.printer_width) {
                out.push_str(&line);
                out.push('\n');
            }
            Ok(out)
        }
        _ => Err(format!(
            "unknown journal command {:?}: journal list [SHIFT], journal show SHIFT/NUMBER",
            words.join(" ")
        )),
    }
}

/// A closed receipt with the customer's contacts hidden, as the logs would.
fn for_support(mut receipt: ClosedReceipt) -> ClosedReceipt {
    receipt.contact = receipt.contact.as_deref().map(crate::loyalty::masked_contact);
    if let Some(loyalty) = receipt.receipt.loyalty.as_mut() {
        loyalty.contacts = loyalty.contacts.iter().map(|c| crate::loyalty::masked_contact(c)).collect();
        loyalty.footer = loyalty.footer.iter().map(|line| crate::loyalty::scrubbed(line)).collect();
        loyalty.name = loyalty.name.as_ref().map(|_| "***".to_string());
    }
    receipt
}

/// A queue entry as support may see it, as the logs show it: card and
/// phone numbers masked, certificate pins and other secrets hidden.
fn shown<T: serde::Serialize>(entry: &T) -> Result<serde_json::Value, String> {
    serde_json::to_value(entry).map(crate::loyalty::redacted).map_err(|e| e.to_string())
}

/// Binds the socket for the owner and group. A socket file left by a crash is replaced.
pub fn bind(data_dir: &Path) -> std::io::Result<tokio::net::UnixListener> {
    bind_for_group(&socket_path(data_dir))
}

/// Binds a support socket at `path`, for its owner and group only (0660).
/// A socket file left by a crash (nobody answers on it) is replaced.
pub(crate) fn bind_for_group(path: &Path) -> std::io::Result<tokio::net::UnixListener> {
    if path.exists() && UnixStream::connect(path).is_err() {
        std::fs::remove_file(path)?;
    }
    let listener = tokio::net::UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    Ok(listener)
}

/// Serves support commands until the listener is dropped; `send` is passed
/// to the loop. This runs on the cashier's (single-threaded) runtime, so each
/// connection is its own task and the store is read on the blocking pool: a
/// long listing or a client that never sends its line never stalls the screen.
pub async fn serve(listener: tokio::net::UnixListener, store: Store, settings: Arc<Settings>, requests: mpsc::UnboundedSender<Request>) {
    let open = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    while let Ok((stream, _)) = listener.accept().await {
        // Past the limit a connection is closed at once: idle clients cannot pile up.
        let Ok(permit) = open.clone().try_acquire_owned() else { continue };
        let (store, settings, requests) = (store.clone(), settings.clone(), requests.clone());
        tokio::spawn(async move {
            let _ = tokio::time::timeout(REQUEST_TIME, one_request(stream, store, settings, requests)).await;
            drop(permit);
        });
    }
}

/// Support connections served at once; more are closed unanswered.
pub const MAX_CONNECTIONS: usize = 16;
/// How long one connection may take from connecting to its answer (a
/// status is instant; a journal search reads the disk).
const REQUEST_TIME: std::time::Duration = std::time::Duration::from_secs(30);

/// The longest request line, its newline included. Commands are a few
/// words; reading stops past this, so a client cannot fill the memory.
pub const MAX_REQUEST: usize = 1024;

async fn one_request(stream: tokio::net::UnixStream, store: Store, settings: Arc<Settings>, requests: mpsc::UnboundedSender<Request>) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let limit = u64::try_from(MAX_REQUEST).unwrap_or(u64::MAX).saturating_add(1);
    if tokio::io::BufReader::new(read.take(limit)).read_line(&mut line).await.is_err() {
        return;
    }
    if line.len() > MAX_REQUEST {
        // The rest is left unread; the connection closes after the answer.
        let refusal = format!("error\nthe request is longer than {MAX_REQUEST} bytes\n");
        let _ = write.write_all(refusal.as_bytes()).await;
        return;
    }
    let reply = match line.trim() {
        "send" => match requests.send(Request::SendQueue) {
            Ok(()) => Ok("sending the queue now\n".to_string()),
            Err(_) => Err(STOPPING.to_string()),
        },
        "status" => {
            let (reply, report) = oneshot::channel();
            match requests.send(Request::Status(reply)) {
                Ok(()) => report.await.map_err(|_| STOPPING.to_string()),
                Err(_) => Err(STOPPING.to_string()),
            }
        }
        command => {
            let command = command.to_string();
            tokio::task::spawn_blocking(move || match command.split_whitespace().collect::<Vec<_>>().as_slice() {
                ["journal", rest @ ..] => journal(&store, &settings, rest, true),
                _ => answer(&store, &command),
            })
            .await
            .unwrap_or_else(|e| Err(format!("the request failed: {e}")))
        }
    };
    let text = match reply {
        Ok(text) => format!("ok\n{text}"),
        Err(error) => format!("error\n{error}\n"),
    };
    let _ = write.write_all(text.as_bytes()).await;
}

const STOPPING: &str = "the workstation is stopping";

/// Asks the running workstation. `Ok(None)` when none is running.
pub fn ask(data_dir: &Path, command: &str) -> std::io::Result<Option<Result<String, String>>> {
    let path = socket_path(data_dir);
    let mut stream = match UnixStream::connect(&path) {
        Ok(stream) => stream,
        // Running, but not for this user: say whose group the socket is, not "not running".
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(std::io::Error::new(e.kind(), crate::text::socket_denied(&path)));
        }
        Err(_) => return Ok(None),
    };
    stream.write_all(format!("{command}\n").as_bytes())?;
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status)?;
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest)?;
    Ok(Some(if status.trim() == "ok" {
        Ok(rest)
    } else {
        Err(rest.trim().to_string())
    }))
}
