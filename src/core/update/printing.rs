//! Print jobs: durable until the printer confirms, reprinted on request.

use super::super::effect::Effect;
use super::super::journal::ReceiptId;
use super::super::notice::Notice;
use super::super::state::{AppState, Dialog, Durable, PreviewTitle, PrintFailure, PrintJob, Settings};
use crate::core::device::PRINTER;
use crate::core::device::{DeviceProblem, DeviceState};
use crate::core::print::document::Document;
use crate::core::print::{layout, text};

/// Adds a job to the durable list of documents waiting for the printer;
/// `receipt`: the receipt it is the original of.
pub(super) fn queue_job(durable: &mut Durable, document: Document, receipt: Option<ReceiptId>) -> PrintJob {
    let job = PrintJob {
        id: durable.next_print_job,
        document,
        receipt,
    };
    durable.next_print_job += 1;
    durable.unprinted.push(job.clone());
    job
}

/// Queues `document` in the state and asks the printer for it.
pub(super) fn print(state: &mut AppState, document: Document, effects: &mut Vec<Effect>) {
    let job = queue_job(&mut state.durable, document, None);
    send(state, job, effects);
}

/// Asks the printer for `job` unless it has it already.
fn send(state: &mut AppState, job: PrintJob, effects: &mut Vec<Effect>) {
    if state.printing.insert(job.id) {
        effects.push(Effect::Print(Box::new(job)));
    }
}

/// Asks the printer for every document still waiting, oldest first.
pub(super) fn send_unprinted(state: &mut AppState, effects: &mut Vec<Effect>) {
    for job in state.durable.unprinted.clone() {
        send(state, job, effects);
    }
}

pub(super) fn preview(title: PreviewTitle, document: &Document, settings: &Settings) -> Dialog {
    Dialog::Preview {
        title,
        lines: text::render(document, settings.printer_width),
        scroll: 0,
    }
}

/// After a close is on disk: its state becomes the current one, and the
/// documents it queued are printed, the first (the receipt or the report) shown.
pub(super) fn adopt_closed(state: &mut AppState, next: Durable, title: PreviewTitle, effects: &mut Vec<Effect>) {
    let first_new = state.durable.next_print_job;
    state.durable = next;
    state.saved = state.durable.clone();
    let new: Vec<PrintJob> = state.durable.unprinted.iter().filter(|j| j.id >= first_new).cloned().collect();
    if let Some(job) = new.first() {
        state.dialog = Some(preview(title, &job.document, &state.settings));
    }
    for job in new {
        send(state, job, effects);
    }
}

/// The printer's answer. A fiscal receipt it failed to register takes the
/// screen over from its preview; the last one registered gives it back.
pub(super) fn on_printed(state: &mut AppState, job: u64, result: Result<(), DeviceProblem>, refused: bool) {
    state.printing.remove(&job);
    let waiting = state.unregistered().map(|j| (j.id, j.receipt));
    match result {
        Ok(()) => {
            state.durable.unprinted.retain(|j| j.id != job);
            state.print_failures.remove(&job);
            if let Some((_, receipt)) = waiting.filter(|&(id, _)| id == job) {
                state.notice = Some(Notice::Registered(receipt));
                if state.unregistered().is_none() && state.dialog == Some(Dialog::Registration) {
                    state.dialog = None;
                }
            }
        }
        Err(reason) => {
            state.notice = Some(Notice::PrintFailed(reason.clone()));
            state.print_failures.insert(job, PrintFailure { reason, refused });
            if waiting.is_some() && matches!(state.dialog, None | Some(Dialog::Preview { .. })) {
                state.dialog = Some(Dialog::Registration);
            }
        }
    }
}

/// Prints again what the printer failed to print, or else a copy of the last receipt.
pub(super) fn reprint(state: &mut AppState, effects: &mut Vec<Effect>) {
    if !state.durable.unprinted.is_empty() {
        send_unprinted(state, effects);
        return;
    }
    let Some(last) = state.durable.last_receipt.clone() else {
        state.notice = Some(Notice::NothingToPrint);
        return;
    };
    let document = layout::receipt(&last, &state.settings, true);
    state.dialog = Some(preview(PreviewTitle::Document, &document, &state.settings));
    print(state, document, effects);
}

/// A device reported its state. A printer that comes back (plugged in,
/// paper loaded) prints what waited for it.
pub(super) fn on_device(state: &mut AppState, device: String, device_state: DeviceState, effects: &mut Vec<Effect>) {
    let was_ready = state.devices.get(&device).is_none_or(DeviceState::is_ready);
    if device == PRINTER && device_state.is_ready() && !was_ready {
        send_unprinted(state, effects);
    }
    if !device_state.is_ready() && was_ready {
        state.notice = Some(Notice::DeviceDown(device.clone(), device_state.clone()));
    }
    // The cashier is not left reading that a device is down once it is back.
    if device_state.is_ready() && matches!(&state.notice, Some(Notice::DeviceDown(down, _)) if *down == device) {
        state.notice = Some(Notice::DeviceBack(device.clone()));
    }
    state.devices.insert(device, device_state);
}
