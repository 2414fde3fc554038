//! A Shtrih-M fiscal registrar on a pty, keeping a registrar's state: its
//! shift (closed, open, past 24 hours), the receipt being registered, every
//! registered document with its number, the cash in the drawer, the paper.
//! It enforces the protocol: frames and LRC, the ENQ/ACK/NAK exchange,
//! message lengths, the password, which command is allowed in which mode,
//! and sums. It can be told to fail: NAK frames, fall silent, lose answers,
//! run out of paper, let its shift expire.
//!
//! Readings of the spec kept here: the document number («сквозной номер»)
//! moves on when a document is closed (receipt, cash in/out, reports, shift
//! opening); a cancelled receipt does not move it. The answer to «Открыть
//! смену» (E0h) carries the error code like every other answer.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::pty::{DeviceThread, Pty};
use crate::devices::codepage::{self, WINDOWS_1251};
use crate::devices::shtrih::command::{self, Code, Operation, le, read_le};
use crate::devices::shtrih::frame::{self, ACK, ENQ, NAK, Received, Receiver, STX};

/// A registered (closed) receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub document: u16,
    /// 0 sale, 2 return of sale.
    pub kind: u8,
    pub operations: Vec<Operation>,
    /// Cash handed over, type 2 (card), type 3, type 4.
    pub payments: [u64; 4],
    pub change: u64,
    /// Tag 1008, when it came.
    pub contact: Option<String>,
}

impl Registered {
    pub fn total(&self) -> u64 {
        self.operations.iter().map(operation_sum).sum()
    }
}

fn operation_sum(op: &Operation) -> u64 {
    // Price × quantity (in thousandths), rounded half up, less the discount.
    (op.price * op.quantity + 500) / 1000 - op.discount
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// NAK the next command frames without running them.
    Nak,
    /// Answer nothing to the next bytes (ENQ or frames).
    Silent,
    /// Run the next command but never send its answer (an unplug right after).
    LoseAnswer,
    /// Send the next answer with a broken LRC.
    CorruptAnswer,
}

#[derive(Debug)]
pub struct Registrar {
    pub password: u32,
    /// 2 open, 3 open past 24 hours, 4 closed.
    pub shift_mode: u8,
    pub shift: u16,
    pub document: u16,
    pub open: Option<(u8, Vec<Operation>, Option<String>)>,
    pub receipts: Vec<Registered>,
    /// Cash in the drawer, kopecks.
    pub drawer: u64,
    pub paper: bool,
    /// What it printed: non-fiscal lines, receipts, reports, `[CUT]`.
    pub tape: Vec<String>,
    pub faults: VecDeque<Fault>,
    /// Commands run, in order, for tests.
    pub commands: Vec<u16>,
    /// The paper runs out just before this command runs.
    pub paper_runs_out_at: Option<u16>,
    /// After running this command the registrar answers nothing more (the cable is pulled).
    pub dies_after: Option<u16>,
    dead: bool,
    qr_data: Vec<u8>,
}

impl Default for Registrar {
    fn default() -> Registrar {
        Registrar {
            password: 30,
            shift_mode: command::MODE_SHIFT_CLOSED,
            shift: 0,
            document: 1,
            open: None,
            receipts: Vec::new(),
            drawer: 0,
            paper: true,
            tape: Vec::new(),
            faults: VecDeque::new(),
            commands: Vec::new(),
            paper_runs_out_at: None,
            dies_after: None,
            dead: false,
            qr_data: Vec::new(),
        }
    }
}

/// An error answer: the code, then the error.
type Answer = Result<Vec<u8>, u8>;

const E_FORMAT: u8 = 0x01;
const E_BAD_PASSWORD: u8 = 0x4F;
const E_MODE: u8 = 0x73;
const E_RECEIPT_OPEN: u8 = 0x4A;
const E_SHIFT_EXPIRED: u8 = 0x4E;
const E_SHIFT_OPEN: u8 = 0x3C;
const E_NO_PAPER: u8 = 0x6B;
const E_NOT_ENOUGH_PAID: u8 = 0x45;
const E_CASHLESS_OVER: u8 = 0x4D;
const E_NO_CASH: u8 = 0x46;
const E_WRONG_TYPE: u8 = 0x49;
const E_NEGATIVE: u8 = 0x8D;
const E_ZERO_TOTAL: u8 = 0x8E;

/// The device type answer: a Shtrih-M-01F; takes no password.
fn device_type(p: &[u8]) -> Answer {
    if !p.is_empty() {
        return Err(E_FORMAT);
    }
    let mut data = vec![0, 0, 1, 14, 250, 0];
    data.extend(codepage::encode(WINDOWS_1251, "ШТРИХ-М-01Ф"));
    Ok(data)
}

impl Registrar {
    /// A registrar whose shift `shift` is open (and younger than 24 hours).
    pub fn with_open_shift(shift: u16) -> Registrar {
        Registrar {
            shift_mode: command::MODE_SHIFT_OPEN,
            shift,
            ..Registrar::default()
        }
    }

    fn mode(&self) -> u8 {
        match &self.open {
            Some((kind, ..)) => command::MODE_DOCUMENT_OPEN | (kind << 4),
            None => self.shift_mode,
        }
    }

    fn flags(&self) -> u16 {
        // Receipt roll present, its lever down; bit 7: the sensor sees paper.
        let mut flags = (1 << 1) | (1 << 9);
        if self.paper {
            flags |= 1 << 7;
        }
        flags
    }

    /// Runs one command message; the answer message.
    pub fn execute(&mut self, message: &[u8]) -> Vec<u8> {
        let Some((code, params)) = Code::of(message) else {
            return vec![0, E_FORMAT];
        };
        self.commands.push(code.0);
        if self.paper_runs_out_at == Some(code.0) {
            self.paper_runs_out_at = None;
            self.paper = false;
        }
        if self.dies_after == Some(code.0) {
            self.dead = true;
        }
        let mut answer = code.bytes();
        match self.run(code, params) {
            Ok(data) => {
                answer.push(0);
                answer.extend(data);
            }
            Err(error) => answer.push(error),
        }
        answer
    }

    fn check(&self, params: &[u8], len: usize) -> Result<(), u8> {
        if params.len() != len {
            return Err(E_FORMAT);
        }
        self.check_password(params)
    }

    fn check_password(&self, params: &[u8]) -> Result<(), u8> {
        if params.len() < 4 {
            return Err(E_FORMAT);
        }
        if read_le(&params[..4]) != u64::from(self.password) {
            return Err(E_BAD_PASSWORD);
        }
        Ok(())
    }

    fn needs_paper(&self) -> Result<(), u8> {
        if self.paper { Ok(()) } else { Err(E_NO_PAPER) }
    }

    fn shift_usable(&self) -> Result<(), u8> {
        match self.shift_mode {
            command::MODE_SHIFT_OPEN => Ok(()),
            command::MODE_SHIFT_EXPIRED => Err(E_SHIFT_EXPIRED),
            _ => Err(E_MODE),
        }
    }

    fn no_receipt(&self) -> Result<(), u8> {
        if self.open.is_some() { Err(E_RECEIPT_OPEN) } else { Ok(()) }
    }

    fn operator(&self) -> Vec<u8> {
        vec![30]
    }

    /// Runs one command: its answer's data, or the error code.
    fn run(&mut self, code: Code, p: &[u8]) -> Answer {
        match code {
            Code::SHORT_STATUS => self.short_status(p),
            Code::STATUS => self.status(p),
            Code::DEVICE_TYPE => device_type(p),
            Code::PRINT_LINE | Code::PRINT_BOLD => self.print_line(p),
            Code::CUT => self.cut(p),
            Code::PRINT_EAN13 => self.print_ean13(p),
            Code::LOAD_DATA => self.load_data(p),
            Code::PRINT_2D => self.print_2d(p),
            Code::OPEN_SHIFT => self.open_shift(p),
            Code::X_REPORT | Code::Z_REPORT => self.report(code, p),
            Code::CASH_IN | Code::CASH_OUT => self.cash(code, p),
            Code::OPEN_RECEIPT => self.open_receipt(p),
            Code::OPERATION => self.operation(p),
            Code::SEND_TLV => self.send_tlv(p),
            Code::CLOSE_RECEIPT => self.close_receipt(p),
            Code::CANCEL_RECEIPT => self.cancel_receipt(p),
            Code::CONTINUE_PRINT => {
                self.check(p, 4)?;
                Ok(self.operator())
            }
            _ => Err(0x37),
        }
    }

    fn short_status(&self, p: &[u8]) -> Answer {
        self.check(p, 4)?;
        let mut data = vec![30];
        data.extend(le(u64::from(self.flags()), 2));
        data.extend([self.mode(), self.submode(), 0, 0x9B, 0x9B, 0, 0, 0, 0, 0]);
        Ok(data)
    }

    fn status(&self, p: &[u8]) -> Answer {
        self.check(p, 4)?;
        let mut data = vec![30, b'1', b'7', 25, 0, 24, 6, 21, 1];
        data.extend(le(u64::from(self.document), 2));
        data.extend(le(u64::from(self.flags()), 2));
        data.extend([self.mode(), self.submode(), 0, 23, 11, 26, 12, 0, 0]);
        data.extend(le(12_345_678, 4));
        data.extend(le(u64::from(self.shift.saturating_sub(u16::from(self.shift_mode != 4))), 2));
        data.extend([1, 19]);
        data.extend(le(7_701_234_567, 6));
        data.extend([0; 2 + 8]);
        Ok(data)
    }

    /// A line of text (plain or bold) onto the tape.
    fn print_line(&mut self, p: &[u8]) -> Answer {
        if p.len() < 6 {
            return Err(E_FORMAT);
        }
        self.check_password(p)?;
        self.needs_paper()?;
        let text = &p[5..];
        let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
        self.tape.push(codepage::decode(WINDOWS_1251, &text[..end]).trim_end().to_string());
        Ok(self.operator())
    }

    fn cut(&mut self, p: &[u8]) -> Answer {
        self.check(p, 5)?;
        self.needs_paper()?;
        self.tape.push("[CUT]".into());
        Ok(self.operator())
    }

    fn print_ean13(&mut self, p: &[u8]) -> Answer {
        self.check(p, 9)?;
        self.needs_paper()?;
        self.tape.push(format!("[EAN-13 {:012}]", read_le(&p[4..9])));
        Ok(self.operator())
    }

    /// A 64-byte block of the data a 2D code is printed from.
    fn load_data(&mut self, p: &[u8]) -> Answer {
        self.check(p, 70)?;
        if p[4] != 0 {
            return Err(E_FORMAT);
        }
        let block = usize::from(p[5]);
        self.qr_data.resize(block * 64, 0);
        self.qr_data.truncate(block * 64);
        self.qr_data.extend_from_slice(&p[6..]);
        Ok(self.operator())
    }

    fn print_2d(&mut self, p: &[u8]) -> Answer {
        self.check(p, 14)?;
        self.needs_paper()?;
        let len = read_le(&p[5..7]) as usize;
        if len > self.qr_data.len() {
            return Err(0x33);
        }
        self.tape.push(format!("[QR {}]", String::from_utf8_lossy(&self.qr_data[..len])));
        Ok(self.operator())
    }

    fn open_shift(&mut self, p: &[u8]) -> Answer {
        self.check(p, 4)?;
        if self.shift_mode != command::MODE_SHIFT_CLOSED {
            return Err(E_SHIFT_OPEN);
        }
        self.needs_paper()?;
        self.shift += 1;
        self.shift_mode = command::MODE_SHIFT_OPEN;
        self.close_document(format!("ОТКРЫТИЕ СМЕНЫ {}", self.shift));
        Ok(Vec::new())
    }

    /// An X-report, or a Z-report that closes the shift.
    fn report(&mut self, code: Code, p: &[u8]) -> Answer {
        self.check(p, 4)?;
        self.no_receipt()?;
        if self.shift_mode == command::MODE_SHIFT_CLOSED {
            return Err(E_MODE);
        }
        self.needs_paper()?;
        if code == Code::Z_REPORT {
            self.shift_mode = command::MODE_SHIFT_CLOSED;
            self.close_document(format!("Z-ОТЧЕТ СМЕНА {} НАЛИЧНЫХ {}", self.shift, self.drawer));
        } else {
            self.tape.push(format!("X-ОТЧЕТ СМЕНА {} НАЛИЧНЫХ {}", self.shift, self.drawer));
        }
        Ok(self.operator())
    }

    /// Cash into the drawer or out of it, as a document of its own.
    fn cash(&mut self, code: Code, p: &[u8]) -> Answer {
        self.check(p, 9)?;
        self.no_receipt()?;
        self.shift_usable()?;
        self.needs_paper()?;
        let amount = read_le(&p[4..9]);
        if code == Code::CASH_OUT {
            self.drawer = self.drawer.checked_sub(amount).ok_or(E_NO_CASH)?;
        } else {
            self.drawer += amount;
        }
        let what = if code == Code::CASH_IN {
            "ВНЕСЕНИЕ"
        } else {
            "ВЫПЛАТА"
        };
        self.close_document(format!("{what} {amount}"));
        let mut data = self.operator();
        data.extend(le(u64::from(self.document - 1), 2));
        Ok(data)
    }

    fn open_receipt(&mut self, p: &[u8]) -> Answer {
        self.check(p, 5)?;
        self.no_receipt()?;
        self.shift_usable()?;
        if !matches!(p[4], 0 | 2) {
            return Err(E_FORMAT);
        }
        self.open = Some((p[4], Vec::new(), None));
        Ok(self.operator())
    }

    /// A position of the open receipt, of the receipt's kind.
    fn operation(&mut self, p: &[u8]) -> Answer {
        self.check_password(p)?;
        let op = Operation::parse(&p[4..]).ok_or(E_FORMAT)?;
        let Some((kind, ops, _)) = self.open.as_mut() else {
            return Err(E_MODE);
        };
        if op.kind
            != command::operation_type(if *kind == 0 {
                command::ReceiptType::Sale
            } else {
                command::ReceiptType::ReturnOfSale
            })
        {
            return Err(E_WRONG_TYPE);
        }
        if op.quantity == 0 || op.department > 16 {
            return Err(0x33);
        }
        if op.discount > (op.price * op.quantity + 500) / 1000 {
            return Err(E_NEGATIVE);
        }
        ops.push(op);
        Ok(Vec::new())
    }

    /// A TLV for the open receipt; the customer's contact (tag 1008) is kept.
    fn send_tlv(&mut self, p: &[u8]) -> Answer {
        self.check_password(p)?;
        let tlv = &p[4..];
        if tlv.len() < 4 || tlv.len() > 250 || read_le(&tlv[2..4]) as usize != tlv.len() - 4 {
            return Err(E_FORMAT);
        }
        let Some((_, _, contact)) = self.open.as_mut() else {
            return Err(E_MODE);
        };
        if read_le(&tlv[..2]) == u64::from(command::TAG_CUSTOMER_CONTACT) {
            *contact = Some(String::from_utf8_lossy(&tlv[4..]).into_owned());
        }
        Ok(Vec::new())
    }

    fn cancel_receipt(&mut self, p: &[u8]) -> Answer {
        self.check(p, 4)?;
        if self.open.take().is_none() {
            return Err(E_MODE);
        }
        self.tape.push("ЧЕК АННУЛИРОВАН".into());
        Ok(self.operator())
    }

    fn submode(&self) -> u8 {
        if self.paper { 0 } else { 1 }
    }

    fn close_document(&mut self, title: String) {
        self.tape.push(format!("{title} ДОК {}", self.document));
        self.document = self.document.wrapping_add(1);
    }

    fn close_receipt(&mut self, p: &[u8]) -> Answer {
        if p.len() < 70 {
            return Err(E_FORMAT);
        }
        self.check_password(p)?;
        let Some((kind, ops, contact)) = self.open.clone() else {
            return Err(E_MODE);
        };
        self.needs_paper()?;
        let payments: [u64; 4] = std::array::from_fn(|i| read_le(&p[4 + 5 * i..9 + 5 * i]));
        let total: u64 = ops.iter().map(operation_sum).sum();
        if ops.is_empty() || total == 0 {
            return Err(E_ZERO_TOTAL);
        }
        let cashless = payments[1] + payments[2] + payments[3];
        if cashless > total {
            return Err(E_CASHLESS_OVER);
        }
        let paid = payments[0] + cashless;
        if paid < total {
            return Err(E_NOT_ENOUGH_PAID);
        }
        let change = paid - total;
        let cash_net = payments[0] - change;
        if kind == 2 {
            self.drawer = self.drawer.checked_sub(cash_net).ok_or(E_NO_CASH)?;
        } else {
            self.drawer += cash_net;
        }
        self.open = None;
        let title = if kind == 0 {
            "КАССОВЫЙ ЧЕК ПРИХОД"
        } else {
            "КАССОВЫЙ ЧЕК ВОЗВРАТ ПРИХОДА"
        };
        for op in &ops {
            self.tape
                .push(format!("{} {}x{} ={}", op.name, op.quantity, op.price, operation_sum(op)));
        }
        self.tape.push(format!("ИТОГ ={total}"));
        self.receipts.push(Registered {
            document: self.document,
            kind,
            operations: ops,
            payments,
            change,
            contact,
        });
        self.close_document(title.into());
        let mut data = self.operator();
        data.extend(le(change, 5));
        Ok(data)
    }
}

pub struct ShtrihEmulator {
    registrar: Arc<Mutex<Registrar>>,
    path: String,
    thread: DeviceThread,
}

/// The registrar's byte timeout (spec: 50 ms by default).
const BYTE_TIMEOUT: Duration = Duration::from_millis(50);

impl ShtrihEmulator {
    pub fn start(link: Option<&Path>, registrar: Registrar, echo: bool) -> std::io::Result<ShtrihEmulator> {
        let pty = Pty::open(link)?;
        let path = pty.path();
        let registrar = Arc::new(Mutex::new(registrar));
        let shared = registrar.clone();
        let thread = DeviceThread::spawn("shtrih-emulator", move |stopped| serve(pty, &shared, stopped, echo))?;
        Ok(ShtrihEmulator { registrar, path, thread })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn registrar(&self) -> MutexGuard<'_, Registrar> {
        lock(&self.registrar)
    }

    /// The registrar taken off the cable, with its state (to plug it in again).
    pub fn unplug(mut self) -> Registrar {
        self.thread.stop();
        let mut registrar = std::mem::take(&mut *lock(&self.registrar));
        // Powered up again: it answers.
        registrar.dead = false;
        registrar.dies_after = None;
        registrar
    }
}

fn lock(registrar: &Mutex<Registrar>) -> MutexGuard<'_, Registrar> {
    registrar.lock().unwrap_or_else(|e| e.into_inner())
}

fn read_byte(pty: &mut Pty, timeout: Duration) -> Option<u8> {
    let _ = serialport::SerialPort::set_timeout(&mut pty.master, timeout);
    let mut byte = [0u8; 1];
    match pty.master.read(&mut byte) {
        Ok(1) => Some(byte[0]),
        _ => None,
    }
}

/// The registrar's side of the exchange (spec, Приложение 2).
fn serve(mut pty: Pty, registrar: &Mutex<Registrar>, stop: &AtomicBool, echo: bool) {
    // The answer not yet acknowledged by the host: sent again on ENQ.
    let mut pending: Option<Vec<u8>> = None;
    while !stop.load(Ordering::Relaxed) {
        let Some(byte) = read_byte(&mut pty, Duration::from_millis(50)) else {
            continue;
        };
        let fault = {
            let mut r = lock(registrar);
            if r.dead {
                continue;
            }
            match r.faults.front() {
                Some(Fault::Silent) => r.faults.pop_front(),
                Some(Fault::Nak) if byte == STX => r.faults.pop_front(),
                _ => None,
            }
        };
        if fault == Some(Fault::Silent) {
            continue;
        }
        match byte {
            ENQ => match &pending {
                Some(answer) => {
                    let framed = frame::frame(answer).unwrap_or_default();
                    let _ = pty.master.write_all(&[ACK]);
                    let _ = pty.master.write_all(&framed);
                    pending = wait_ack(&mut pty, answer.clone());
                }
                None => {
                    let _ = pty.master.write_all(&[NAK]);
                }
            },
            STX => {
                let Some(message) = read_message(&mut pty) else {
                    let _ = pty.master.write_all(&[NAK]);
                    continue;
                };
                if fault == Some(Fault::Nak) {
                    let _ = pty.master.write_all(&[NAK]);
                    continue;
                }
                let _ = pty.master.write_all(&[ACK]);
                let (answer, fault) = {
                    let mut r = lock(registrar);
                    let answer = r.execute(&message);
                    if r.dead {
                        continue;
                    }
                    let fault = match r.faults.front() {
                        Some(Fault::LoseAnswer | Fault::CorruptAnswer) => r.faults.pop_front(),
                        _ => None,
                    };
                    (answer, fault)
                };
                if echo {
                    println!("{:02X?} → {:02X?}", &message[..message.len().min(8)], answer);
                }
                let mut framed = frame::frame(&answer).unwrap_or_default();
                match fault {
                    Some(Fault::LoseAnswer) => {
                        pending = Some(answer);
                        continue;
                    }
                    Some(Fault::CorruptAnswer) => {
                        if let Some(last) = framed.last_mut() {
                            *last ^= 0xFF;
                        }
                    }
                    _ => {}
                }
                let _ = pty.master.write_all(&framed);
                pending = wait_ack(&mut pty, answer);
            }
            // Anything else while waiting for a command is noise.
            _ => {}
        }
    }
}

/// A command frame after its STX; `None` when broken or cut short.
fn read_message(pty: &mut Pty) -> Option<Vec<u8>> {
    let mut receiver = Receiver::default();
    let started = Instant::now();
    loop {
        let byte = read_byte(pty, BYTE_TIMEOUT)?;
        match receiver.feed(byte) {
            Received::More if started.elapsed() < Duration::from_secs(2) => {}
            Received::More => return None,
            Received::Message(message) => return Some(message),
            Received::Corrupt => return None,
        }
    }
}

/// Waits for the host's ACK of an answer; the answer stays pending otherwise.
fn wait_ack(pty: &mut Pty, answer: Vec<u8>) -> Option<Vec<u8>> {
    match read_byte(pty, Duration::from_millis(500)) {
        Some(ACK) => None,
        _ => Some(answer),
    }
}
