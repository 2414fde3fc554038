//! The fiscal printer driver. A receipt is registered once and only once:
//! before opening it the driver writes down (durably, by print job) the
//! registrar's document number; after any failure it asks the registrar
//! where it stands — a receipt left open is cancelled and registered anew,
//! a document number that moved on means the receipt went through and only
//! its notes are printed again. Until a failed fiscal job is resolved no
//! other fiscal job runs, so the number cannot move on for another one.

use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::command::{self, Code, Operation, OperationV2, ReceiptType, Status};
use super::errors;
use super::link::{Link, LinkError, Timing};
use super::taxes::TaxGroups;
use crate::core::device::DeviceProblem;
use crate::core::marking::{MarkCheck, MarkCode, MarkFailure, PlannedStatus};
use crate::core::storage::StorageFailure;
use crate::devices::DeviceState;
use crate::devices::port::PortSettings;
use crate::print::document::{Document, Fiscal, FiscalKind, FiscalPosition, FiscalReceipt, Line};
use crate::print::printer::{PrintError, Printer};
use crate::print::text::render_line;

/// How far a fiscal job got, kept across crashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// The fiscal command(s) may have gone; the registrar's document number before them.
    Started { document: u16 },
    /// The registrar registered it; what follows is plain printing.
    Registered,
    /// Printed whole.
    Done,
    /// Refused before anything was sent (the registrar's shift past 24
    /// hours): not registered, and not in doubt. A `Started` mark it
    /// replaces must not count as registered once the Z-report moves the
    /// document number on.
    Refused,
}

/// A print job as the fiscal marks know it: its number and a digest of its
/// document. Numbers come from kassa's saved state; should a crash lose the
/// save that counted one, the number comes again for another document, and
/// the digest keeps that document from passing for the one already printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobKey {
    pub id: u64,
    pub digest: String,
}

impl JobKey {
    pub fn of(id: u64, document: &Document) -> JobKey {
        use md5::{Digest, Md5};
        // A document always serializes (plain data); were it ever not to, all such
        // documents would share the empty digest, as marks did before digests.
        let bytes = serde_json::to_vec(document).unwrap_or_default();
        let digest: String = Md5::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        JobKey { id, digest }
    }
}

/// Durable marks by print job (the store's `fiscal` tree).
pub trait FiscalMarks: Send {
    /// The job's mark, if it is this job's (the same number and document).
    fn get(&self, job: &JobKey) -> Option<Mark>;
    /// Must be on disk when it returns.
    fn set(&self, job: &JobKey, mark: Mark) -> Result<(), StorageFailure>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShtrihSettings {
    pub port: PortSettings,
    /// The operator's (or system administrator's) password; 30 is the factory administrator's.
    pub password: u32,
    pub timing: Timing,
    /// Department (0…16) each position is registered in.
    pub department: u8,
    /// The tax group of each VAT rate.
    pub taxes: TaxGroups,
    /// Characters in a line of font 1.
    pub width: usize,
}

/// How long a command may run: reports print for a while.
const ANSWER: Duration = Duration::from_secs(10);
const REPORT_ANSWER: Duration = Duration::from_secs(90);
/// Payload of one «Загрузка данных» (DDh) block.
const DATA_BLOCK: usize = 64;

pub struct ShtrihPrinter {
    settings: ShtrihSettings,
    link: Option<Link<serialport::TTYPort>>,
    marks: Box<dyn FiscalMarks>,
    /// A fiscal job that failed and must be settled before any other.
    blocked_by: Option<u64>,
    /// A marking code was checked (FF61h) and its decision (FF69h) is owed:
    /// the registrar takes no other check before it. True at start: a run
    /// that ended between a check and its decision left the registrar waiting.
    decision_owed: bool,
    /// The code last sent to be checked, and the codes this run saw the
    /// registrar accept since its table of checks was last emptied (a
    /// receipt closed or cancelled). A code a receipt binds that is not
    /// among them — checked in an earlier run, or its decision lost — is
    /// checked again when registering, with the cashier's decision.
    last_checked: Option<String>,
    accepted: std::collections::HashSet<String>,
}

impl ShtrihPrinter {
    pub fn new(settings: ShtrihSettings, marks: Box<dyn FiscalMarks>) -> ShtrihPrinter {
        ShtrihPrinter {
            settings,
            link: None,
            marks,
            blocked_by: None,
            decision_owed: true,
            last_checked: None,
            accepted: Default::default(),
        }
    }

    fn link(&mut self) -> Result<&mut Link<serialport::TTYPort>, PrintError> {
        if self.link.is_none() {
            let port = self
                .settings
                .port
                .open(self.settings.timing.byte)
                .map_err(|e| PrintError::Offline(e.problem()))?;
            self.link = Some(Link::new(port, self.settings.timing));
        }
        // Just set above when it was missing.
        self.link.as_mut().ok_or(PrintError::Offline(DeviceProblem::NotAnswering))
    }

    /// Sends a command with the password; the data after the error code.
    fn call(&mut self, code: Code, params: &[u8], answer: Duration) -> Result<Vec<u8>, PrintError> {
        let message = command::with_password(code, self.settings.password, params);
        self.call_raw(code, &message, answer)
    }

    fn call_raw(&mut self, code: Code, message: &[u8], answer: Duration) -> Result<Vec<u8>, PrintError> {
        let reply = match self.link()?.exchange(message, answer) {
            Ok(reply) => reply,
            Err(e) => {
                // Reopened next time: a replugged adapter comes back under the same name.
                self.link = None;
                return Err(match e {
                    LinkError::TooLong => PrintError::Fault(e.problem()),
                    other => PrintError::Offline(other.problem()),
                });
            }
        };
        let (error, data) = command::split_answer(code, &reply).map_err(PrintError::Fault)?;
        if error != 0 {
            tracing::warn!(target: "kassa::shtrih", "{:X}h: error {error:02X}h {}", code.0, errors::describe(error));
            return Err(PrintError::Fault(DeviceProblem::RegistrarError {
                code: error,
                name: errors::describe(error).into(),
            }));
        }
        Ok(data.to_vec())
    }

    fn status(&mut self) -> Result<Status, PrintError> {
        let data = self.call(Code::STATUS, &[], ANSWER)?;
        Status::parse(&data).ok_or_else(|| PrintError::Fault(DeviceProblem::BadAnswer { command: "11h".into() }))
    }

    /// Gets the registrar ready for a new document: printing resumed after
    /// paper was put back, a receipt left open (by a failed job) cancelled.
    /// True in the second place when a receipt was cancelled.
    fn settle(&mut self) -> Result<(Status, bool), PrintError> {
        let mut status = self.status()?;
        if status.submode == command::SUBMODE_AFTER_PAPER_OUT {
            self.call(Code::CONTINUE_PRINT, &[], ANSWER)?;
            status = self.status()?;
        }
        if status.submode == command::SUBMODE_PAPER_OUT || !status.has_paper() {
            return Err(PrintError::Fault(DeviceProblem::NoPaper));
        }
        if !status.document_open() {
            return Ok((status, false));
        }
        tracing::warn!(target: "kassa::shtrih", "cancelling a receipt left open in the registrar");
        self.call(Code::CANCEL_RECEIPT, &[], ANSWER)?;
        // A cancelled receipt takes the registrar's table of checked codes with it.
        self.decision_owed = false;
        self.accepted.clear();
        Ok((self.status()?, true))
    }

    /// Opens the registrar's shift when it is closed; refuses one past 24
    /// hours. The registrar's status after it.
    fn ensure_shift(&mut self, status: Status) -> Result<Status, PrintError> {
        match status.mode_number() {
            command::MODE_SHIFT_CLOSED => {
                self.call(Code::OPEN_SHIFT, &[], REPORT_ANSWER)?;
                self.status()
            }
            command::MODE_SHIFT_EXPIRED => Err(PrintError::Refused(DeviceProblem::ShiftExpired)),
            _ => Ok(status),
        }
    }

    fn set_mark(&self, job: &JobKey, mark: Mark) -> Result<(), PrintError> {
        self.marks
            .set(job, mark)
            .map_err(|e| PrintError::Fault(DeviceProblem::FiscalMarkNotSaved(e)))
    }

    /// Runs `register` once for `job`, unless the registrar did it before a
    /// failure: its document number moved on since the job's mark. A receipt
    /// found open (and cancelled) was not registered, whatever the number says.
    /// A job that `needs_shift` gets the registrar's shift opened first, or is
    /// refused (marked so) when that shift is past 24 hours.
    fn once(
        &mut self,
        job: &JobKey,
        needs_shift: bool,
        register: impl FnOnce(&mut Self) -> Result<(), PrintError>,
    ) -> Result<(), PrintError> {
        let (mut status, cancelled) = self.settle()?;
        if let Some(Mark::Started { document }) = self.marks.get(job)
            && status.document != document
            && !cancelled
        {
            tracing::info!(target: "kassa::shtrih", "job {} was registered before the failure: not again", job.id);
            return self.set_mark(job, Mark::Registered);
        }
        if needs_shift {
            status = match self.ensure_shift(status) {
                Err(refused @ PrintError::Refused(_)) => {
                    self.set_mark(job, Mark::Refused)?;
                    return Err(refused);
                }
                other => other?,
            };
        }
        self.set_mark(job, Mark::Started { document: status.document })?;
        register(self)?;
        self.set_mark(job, Mark::Registered)
    }

    fn receipt(&mut self, receipt: &FiscalReceipt, contact: Option<&str>) -> Result<(), PrintError> {
        let kind = match receipt.kind {
            FiscalKind::Sale => ReceiptType::Sale,
            FiscalKind::Return => ReceiptType::ReturnOfSale,
        };
        self.call(Code::OPEN_RECEIPT, &[kind as u8], ANSWER)?;
        for position in &receipt.positions {
            if !position.marks.is_empty() {
                self.marked_units(kind, position)?;
                continue;
            }
            let operation = Operation {
                kind: command::operation_type(kind),
                quantity: position.quantity.0.max(0) as u64,
                price: position.price.0.max(0) as u64,
                discount: position.discount.0.max(0) as u64,
                department: self.settings.department,
                // A job saved before rates were sent has none: no group bits, the old
                // default (the registrar's own tables decide).
                tax: position.vat.map_or(0, |vat| self.settings.taxes.bits(vat)),
                name: position.name.clone(),
            };
            self.call(Code::OPERATION, &operation.params(), ANSWER)?;
        }
        if let Some(contact) = contact {
            let tlv = command::tlv(command::TAG_CUSTOMER_CONTACT, contact.as_bytes());
            self.call(Code::SEND_TLV, &tlv, ANSWER)?;
        }
        let payments = [receipt.cash, receipt.card, receipt.certificate, Default::default()].map(|m| m.0.max(0) as u64);
        self.call(Code::CLOSE_RECEIPT, &command::close_params(payments, ""), REPORT_ANSWER)?;
        // The close empties the registrar's table of checks.
        self.accepted.clear();
        Ok(())
    }

    /// A marked position: each unit apart («Операция V2», FF46h, one piece
    /// at its share of the total, with its payment subject), its code bound
    /// right after it (FF67h). A code not checked since (a receipt registered
    /// anew after a failure) the registrar checks itself at FF67h.
    fn marked_units(&mut self, kind: ReceiptType, position: &FiscalPosition) -> Result<(), PrintError> {
        let subject = match position.mark {
            Some(group) if group.excisable() => command::SUBJECT_EXCISE_MARKED,
            _ => command::SUBJECT_MARKED,
        };
        if position.marks.len() as i64 * 1000 != position.quantity.0 {
            // Never a marked position with a unit short of its code.
            return Err(PrintError::Fault(DeviceProblem::MarkedUnitsWithoutCodes {
                name: position.name.to_string(),
            }));
        }
        let status = match kind {
            ReceiptType::Sale => PlannedStatus::Sold,
            ReceiptType::ReturnOfSale => PlannedStatus::Returned,
        };
        for (code, total) in position.marks.iter().zip(position.unit_totals()) {
            if !self.accepted.contains(code) {
                // The cashier took this unit: the decision stands whatever the check says now.
                let code = MarkCode {
                    raw: code.clone(),
                    gtin: String::new(),
                    serial: String::new(),
                };
                self.check_code(&code, status)?;
                self.decide(true)?;
            }
            let sum = total.0.max(0) as u64;
            let unit = OperationV2 {
                kind: command::operation_type(kind),
                quantity: 1_000_000,
                price: sum,
                sum,
                tax: position.vat.map_or(0, |vat| self.settings.taxes.bits(vat)),
                department: self.settings.department,
                method: command::METHOD_FULL,
                subject,
                name: position.name.clone(),
            };
            self.call(Code::OPERATION_V2, &unit.params(), ANSWER)?;
            self.call(Code::BIND_MARK, &command::bind_mark_params(code.as_bytes()), ANSWER)?;
        }
        Ok(())
    }

    /// FF61h for a code about to be sold or returned, after settling a
    /// decision still owed for the last one (refused: nobody took it).
    fn check_code(&mut self, code: &MarkCode, status: PlannedStatus) -> Result<MarkCheck, PrintError> {
        if self.decision_owed {
            // Whatever it answers, the new check is what matters; an
            // unplugged registrar fails the check itself.
            let _ = self.decide(false);
        }
        let planned = match status {
            PlannedStatus::Sold => 1,
            PlannedStatus::Returned => 3,
        };
        let params = command::check_mark_params(planned, code.raw.as_bytes());
        // Owed from the moment it is sent: an answer lost still left a check waiting.
        self.decision_owed = true;
        self.last_checked = Some(code.raw.clone());
        let data = self.call(Code::CHECK_MARK, &params, ANSWER)?;
        command::parse_mark_check(&data).ok_or_else(|| PrintError::Fault(DeviceProblem::BadAnswer { command: "FF61h".into() }))
    }

    fn decide(&mut self, accept: bool) -> Result<(), PrintError> {
        if !self.decision_owed {
            return Ok(());
        }
        let result = self.call(Code::DECIDE_MARK, &[u8::from(accept)], ANSWER);
        // Answered or refused, the registrar is done with that check.
        if !matches!(result, Err(PrintError::Offline(_))) {
            self.decision_owed = false;
        }
        let code = self.last_checked.take();
        if let (Ok(_), true, Some(code)) = (&result, accept, code) {
            self.accepted.insert(code);
        }
        result.map(drop)
    }

    /// Non-fiscal lines: font 1 (17h), bold double lines in font 2 (12h),
    /// EAN-13 (C2h), QR codes (DDh blocks, then DEh).
    fn print_lines(&mut self, lines: &[Line]) -> Result<(), PrintError> {
        const RECEIPT_TAPE: u8 = 0b10;
        for line in lines {
            match line {
                Line::Ean13 { digits, .. } => {
                    // 12 digits: the registrar adds the check digit.
                    let value: u64 = digits.get(..12).and_then(|d| d.parse().ok()).unwrap_or(0);
                    self.call(Code::PRINT_EAN13, &command::le(value, 5), ANSWER)?;
                }
                Line::Qr { data, .. } => self.print_qr(data.as_bytes())?,
                Line::Text { bold: true, .. } | Line::Text { double: true, .. } => {
                    let font2 = self.settings.width / 2;
                    for part in render_line(&plain(line), font2) {
                        let mut params = vec![RECEIPT_TAPE];
                        params.extend(command::text_field(&part, font2.max(20)));
                        self.call(Code::PRINT_BOLD, &params, ANSWER)?;
                    }
                }
                _ => {
                    for part in render_line(line, self.settings.width) {
                        let mut params = vec![RECEIPT_TAPE];
                        params.extend(command::text_field(&part, self.settings.width.max(40)));
                        self.call(Code::PRINT_LINE, &params, ANSWER)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn print_qr(&mut self, data: &[u8]) -> Result<(), PrintError> {
        for (block, chunk) in data.chunks(DATA_BLOCK).enumerate() {
            let mut params = vec![0, block as u8];
            params.extend_from_slice(chunk);
            params.resize(2 + DATA_BLOCK, 0);
            self.call(Code::LOAD_DATA, &params, ANSWER)?;
        }
        // QR (type 3), its length, from block 0; version auto, mask auto, dot 4, level M; centred.
        let mut params = vec![3];
        params.extend(command::le(data.len() as u64, 2));
        params.extend([0, 0, 0, 4, 0, 1, 1]);
        self.call(Code::PRINT_2D, &params, ANSWER).map(drop)
    }

    fn cut(&mut self) -> Result<(), PrintError> {
        self.call(Code::CUT, &[1], ANSWER).map(drop)
    }

    fn run(&mut self, job: &JobKey, document: &Document) -> Result<(), PrintError> {
        match &document.fiscal {
            Some(Fiscal::Receipt(receipt)) => {
                if self.marks.get(job) != Some(Mark::Registered) {
                    let contact = document.customer_contact.clone();
                    self.once(job, true, |me| me.receipt(receipt, contact.as_deref()))?;
                }
                self.print_lines(&receipt.notes)?;
            }
            Some(Fiscal::OpenShift { opening_cash }) => {
                let (status, _) = self.settle()?;
                self.ensure_shift(status)?;
                if !opening_cash.is_zero() && self.marks.get(job) != Some(Mark::Registered) {
                    self.once(job, true, |me| me.operation(&Fiscal::CashIn(*opening_cash)))?;
                }
                self.print_lines(&document.lines)?;
            }
            Some(op @ (Fiscal::XReport | Fiscal::ZReport | Fiscal::CashIn(_) | Fiscal::CashOut(_))) => {
                if self.marks.get(job) != Some(Mark::Registered) {
                    self.settle()?;
                    self.print_lines(&document.lines)?;
                    // Reports are what closes a shift past 24 hours: they need none.
                    let needs_shift = matches!(op, Fiscal::CashIn(_) | Fiscal::CashOut(_));
                    self.once(job, needs_shift, |me| me.operation(op))?;
                }
            }
            None => {
                self.settle()?;
                self.print_lines(&document.lines)?;
            }
        }
        self.cut()?;
        if document.open_drawer {
            // The money is counted already: a drawer that does not open is
            // told in the log, not a reason to print the document again.
            if let Err(e) = self.call(Code::OPEN_DRAWER, &[0], ANSWER) {
                tracing::warn!(target: "kassa::shtrih", "the cash drawer did not open: {e}");
            }
        }
        self.set_mark(job, Mark::Done)
    }

    fn operation(&mut self, op: &Fiscal) -> Result<(), PrintError> {
        match op {
            Fiscal::XReport | Fiscal::ZReport => {
                let status = self.status()?;
                // A registrar whose shift is already closed has nothing to report.
                if status.mode_number() == command::MODE_SHIFT_CLOSED {
                    return Ok(());
                }
                let code = if matches!(op, Fiscal::XReport) {
                    Code::X_REPORT
                } else {
                    Code::Z_REPORT
                };
                self.call(code, &[], REPORT_ANSWER).map(drop)
            }
            Fiscal::CashIn(amount) | Fiscal::CashOut(amount) => {
                let code = if matches!(op, Fiscal::CashIn(_)) {
                    Code::CASH_IN
                } else {
                    Code::CASH_OUT
                };
                self.call(code, &command::le(amount.0.max(0) as u64, 5), ANSWER).map(drop)
            }
            Fiscal::Receipt(_) | Fiscal::OpenShift { .. } => Ok(()),
        }
    }
}

/// The line as plain text for font 2 (the registrar's bold font is its double font).
fn plain(line: &Line) -> Line {
    match line {
        Line::Text { text, align, wrap, .. } => Line::Text {
            text: text.clone(),
            align: *align,
            bold: false,
            double: false,
            wrap: *wrap,
        },
        other => other.clone(),
    }
}

impl Printer for ShtrihPrinter {
    fn print(&mut self, job: u64, document: &Document) -> Result<(), PrintError> {
        let key = JobKey::of(job, document);
        if self.marks.get(&key) == Some(Mark::Done) {
            return Ok(());
        }
        if let Some(blocker) = self.blocked_by.filter(|&b| b != job) {
            return Err(PrintError::Fault(DeviceProblem::WaitsFor { job: blocker }));
        }
        let result = self.run(&key, document);
        // Only a job the registrar may have half done holds the others back
        // (an X-report registers nothing: printing it again is harmless; a
        // refused job did nothing, and the Z-report that cures it must pass).
        let in_doubt = document.fiscal.as_ref().is_some_and(|f| !matches!(f, Fiscal::XReport));
        self.blocked_by = match (&result, in_doubt) {
            (Err(PrintError::Refused(_)), _) if self.blocked_by == Some(job) => None,
            (Err(PrintError::Refused(_)), _) => self.blocked_by,
            (Err(_), true) => Some(job),
            (Ok(()), _) if self.blocked_by == Some(job) => None,
            _ => self.blocked_by,
        };
        result
    }

    fn check_mark(&mut self, code: &MarkCode, status: PlannedStatus) -> Result<MarkCheck, MarkFailure> {
        self.check_code(code, status).map_err(|e| MarkFailure::Registrar(e.into_problem()))
    }

    fn decide_mark(&mut self, accept: bool) -> Result<(), MarkFailure> {
        self.decide(accept).map_err(|e| MarkFailure::Registrar(e.into_problem()))
    }

    fn check(&mut self) -> DeviceState {
        match self.status() {
            Ok(status) if status.submode == command::SUBMODE_PAPER_OUT || !status.has_paper() => DeviceState::Fault(DeviceProblem::NoPaper),
            Ok(status) if status.mode_number() == command::MODE_SHIFT_EXPIRED => DeviceState::Fault(DeviceProblem::ShiftExpired),
            Ok(_) => DeviceState::Ready,
            Err(e) => e.state(),
        }
    }
}
