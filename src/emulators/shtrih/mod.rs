//! A Shtrih-M fiscal registrar on a pty, keeping a registrar's state: its
//! shift (closed, open, past 24 hours), the receipt being registered, every
//! registered document with its number, the cash in the drawer, the paper.
//! It enforces the protocol: frames and LRC, the ENQ/ACK/NAK exchange,
//! message lengths, the password, which command is allowed in which mode,
//! and sums. It can be told to fail: NAK frames, fall silent, lose answers,
//! run out of paper, let its shift expire.
//!
//! It referees marked goods (Честный ЗНАК, `marking.rs`): «Операция V2»
//! (FF46h), the check of a code (FF61h) and its decision (FF69h), binding it
//! to a position (FF67h), the marking status (FF70h), with a ledger of the
//! codes it sold. What the marking server (ОИСМ) answers is steered:
//! `mark_answer`, and one-shot answers queued by `mark_next`.
//!
//! Readings of the spec kept here: the document number («сквозной номер»)
//! moves on when a document is closed (receipt, cash in/out, reports, shift
//! opening); a cancelled receipt does not move it. The answer to «Открыть
//! смену» (E0h) carries the error code like every other answer.
//!
//! Marked goods, where the spec is silent or loose:
//! - FF46h «Длина сообщения: 160 байт» is the longest message: the name is
//!   «0-128 байт», so 32..160 bytes are taken (01h otherwise); a short name
//!   may come as it is or padded with zeros, a zero ends it. Names are
//!   WIN1251 like every other text of the registrar (the spec says ASCII).
//! - FF46h's sum may differ by ±1 kopeck from price × quantity (6 decimals)
//!   rounded half up to the kopeck; more is 33h; a product past 5 bytes is
//!   60h «Переполнение при умножении». 0xFFFFFFFFFF: the registrar computes it.
//! - FF46h's «Налоговая ставка» is a bit set over FF45h's six taxes (bit 0 tax
//!   1 … bit 5 tax 6): exactly one bit, or 0 for none; else 33h. The tax
//!   amount 0xFFFFFFFFFF is «not given»; for taxes 3 and 4 it is never kept
//!   (the spec: «всегда считается равной нулю и в ОФД не передаётся»); an
//!   amount above the position's sum is 33h.
//! - FF46h's type is 1..4 (33h otherwise) and must be the receipt's: sale (8Dh
//!   type 0) takes 1, return of sale (2) takes 2; else 49h «Операция
//!   невозможна в открытом чеке данного типа». Department 0..16 or 255, else
//!   63h «Переполнение диапазона отдела». Tag 1214 1..7, tag 1212 1..33, a
//!   quantity above 0, else 33h. Outside a receipt: 73h, as for FF0Dh.
//! - FF0Dh and FF46h positions are counted together: a position's index is its
//!   place among all of them, which `BoundMark::position` names.
//! - FF61h: the message must be exactly 10+X+Y bytes and its TLV list must fill
//!   Y exactly (01h); status 1, 2, 3, 4 or 255, mode 0 and X > 0 (33h); a
//!   partial status (2, 4) needs tags 2108 and 1023 in the list, else A4h «В
//!   блоке TLV отсутствуют необходимые реквизиты». The shift must be open (73h,
//!   4Eh past 24 hours); a receipt may or may not be open.
//! - FF61h and FF69h are the FN's B1h…B2h exchange: a second FF61h before
//!   FF69h, FF69h with no check waiting, FF67h or 85h while a check waits, all
//!   answer A1h «Неверная последовательность команд группы BXh» («Команду
//!   [FF69h] необходимо подавать после проверки каждого КМ!»); FF46h may come
//!   while a check waits. 128 accepted codes fill the table: A3h.
//! - The code's type (tag 2100, ФФД 1.2): GS1 AI 01 (14 digits), AI 21 (serial
//!   up to 20, ended by GS), then AI 91 (4) and AI 92 of 88 characters: type 2,
//!   of 44: type 4, both checked in the FN (tag 2004 = 03h: bit 0 checked, bit
//!   1 positive; reason 0); AI 93 (4) alone: type 5, reason 1; a 29-character
//!   pack code (14 digits, 7 + 4 + 4 characters): type 1, reason 1; anything
//!   else: type 0, reason 3. Type 3 is never found. A leading GS (FNC1) is skipped.
//! - The answer's «длина дополнительных параметров» counts the bytes after
//!   it: 2 (FN answer code 0, tag 2106) with the server's TLV list empty, or 1
//!   (0xFF) when the server did not answer. Tag 2106 (ФФД 1.2) = bits 0-1 of
//!   tag 2004 | bit 2 (status checked by the ОИСМ) | bit 3 (confirmed): 0Fh and
//!   07h for a code checked in the FN, 0Ch and 04h for one it cannot check.
//! - The ОИСМ of the emulator also keeps its ledger: planned status 1 for a
//!   code sold here and not returned since, or 3 for a code not sold here (or
//!   returned already), is refused (bit 3 clear) even when steered Ok; a
//!   timeout stays a timeout. Statuses 2, 4 and 255 leave the ledger alone.
//! - FF69h answers tag 2106, or bits 0-1 of 2004 when the server did not
//!   answer; decision 2+ is 33h. The cashier's decision stands: a refused code
//!   may be accepted (`mark_checks` keeps both for the tests to judge).
//! - FF67h: in an open receipt (73h); the last position must be an FF46h one
//!   with tag 1212 = 31 or 33 and no code yet, other commands (FF0Ch, status)
//!   may come between (A1h otherwise). One code twice in a receipt: 33h. A code
//!   whose latest check was rejected: A5h «КМ, который ранее не проверялся в
//!   ФН» (rejecting drops the result from the FN's table; the ККТ does not
//!   check again a code the cashier refused). The check's status must fit the
//!   receipt (sale 1 or 2, return 3 or 4; 49h), and statuses 1 and 3 (one code
//!   per unit) need the quantity 1.000000 exactly (33h).
//! - FF67h with a code never checked: the registrar checks it (status 1 in a
//!   sale, 3 in a return) and appends the result (6+N) to its answer. That
//!   check stands for an acceptance only when positive (tag 2106 bit 3, and
//!   the FN's own check not negative; a server timeout is not positive);
//!   otherwise the code counts as rejected and the answer is A5h alone.
//! - FF67h's answer: «код товара» begins 44h 4Dh («DM», goods marked with a
//!   Data Matrix means of identification); «Тип Data Matrix»: type 2 → 0 (КМ
//!   88), types 3 and 4 → 3 (КМ 44), the pack code → 2 (табачный), anything
//!   else → 1 («симметричный»).
//! - The table of checked codes lives until its receipt ends: checks made
//!   before 8Dh carry into the receipt; closing (85h) or cancelling (88h) it
//!   empties the table, a check still waiting for FF69h included.
//! - 85h with a marked position (1212 = 31, 33) and no code bound: A4h (the
//!   position lacks the КМ requisite), the receipt stays open. Closed, its
//!   codes of status 1 join `sold_marks`, those of status 3 leave it.
//! - FF70h: check state 1 (nothing waits), 4 (answered, FF69h awaited), 3
//!   (the server did not answer, FF69h awaited), 0 (table full); notification
//!   state 1 while the open receipt has codes bound; flags: bit 0 (B1h, a new
//!   FF61h possible) or bit 1 (B2h, FF69h awaited); codes accepted in the
//!   table; codes bound in the open receipt; warning 0 and queue 0 (the
//!   emulator's ОИСМ takes every notification at once).
//! - The tape shows a bound code under its position as ФФД 1.2 marks it: [М+]
//!   confirmed, [М-] refused, [М] not checked by the server; GS as `<GS>`. A
//!   name starting with `//` is not printed (FF46h's note).

use std::collections::{BTreeSet, VecDeque};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::pty::{DeviceThread, Pty};
use crate::devices::codepage::{self, WINDOWS_1251};
use crate::devices::shtrih::command::{self, Code, Operation, le, read_le};
use crate::devices::shtrih::frame::{self, ACK, ENQ, NAK, Received, Receiver, STX};

mod marking;
#[cfg(test)]
mod tests;

use marking::{BIND_MARK, CHECK_MARK, DECIDE_MARK, MARK_STATUS, MarkTable, OPERATION_V2};
pub use marking::{BoundMark, MarkAnswer, MarkCheckRecord, OperationV2};

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
    /// «Операция V2» (FF46h) positions; each knows its index among all positions.
    pub operations_v2: Vec<OperationV2>,
    /// The marking codes bound to positions (FF67h), in the order they came.
    pub marks: Vec<BoundMark>,
}

impl Registered {
    pub fn total(&self) -> u64 {
        self.operations.iter().map(operation_sum).sum::<u64>() + self.operations_v2.iter().map(|op| op.sum).sum::<u64>()
    }

    /// The FF46h position a bound code belongs to.
    pub fn marked_position(&self, mark: &BoundMark) -> Option<&OperationV2> {
        self.operations_v2.iter().find(|op| op.index == mark.position)
    }
}

/// The receipt being registered (opened by 8Dh).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReceipt {
    /// 0 sale, 2 return of sale.
    pub kind: u8,
    /// FF0Dh positions.
    pub operations: Vec<Operation>,
    /// FF46h positions.
    pub operations_v2: Vec<OperationV2>,
    pub marks: Vec<BoundMark>,
    /// Tag 1008, when it came.
    pub contact: Option<String>,
}

impl OpenReceipt {
    fn new(kind: u8) -> OpenReceipt {
        OpenReceipt {
            kind,
            operations: Vec::new(),
            operations_v2: Vec::new(),
            marks: Vec::new(),
            contact: None,
        }
    }

    /// The index the next position gets (FF0Dh and FF46h positions counted together).
    fn next_index(&self) -> usize {
        self.operations.len() + self.operations_v2.len()
    }

    fn total(&self) -> u64 {
        self.operations.iter().map(operation_sum).sum::<u64>() + self.operations_v2.iter().map(|op| op.sum).sum::<u64>()
    }

    fn is_empty(&self) -> bool {
        self.next_index() == 0
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
    pub open: Option<OpenReceipt>,
    pub receipts: Vec<Registered>,
    /// Cash in the drawer, kopecks.
    pub drawer: u64,
    pub paper: bool,
    /// What it printed: non-fiscal lines, receipts, reports, `[CUT]`.
    pub tape: Vec<String>,
    /// How many times the cash drawer was opened (28h).
    pub drawer_opened: u32,
    pub faults: VecDeque<Fault>,
    /// Commands run, in order, for tests.
    pub commands: Vec<u16>,
    /// The paper runs out just before this command runs.
    pub paper_runs_out_at: Option<u16>,
    /// After running this command the registrar answers nothing more (the cable is pulled).
    pub dies_after: Option<u16>,
    /// What the marking server (ОИСМ) answers to a code's check, unless `mark_queue` has an answer.
    pub mark_answer: MarkAnswer,
    /// One-shot answers of the marking server, taken before `mark_answer`.
    pub mark_queue: VecDeque<MarkAnswer>,
    /// Every code checked (FF61h, or FF67h checking it itself), with its answer and decision.
    pub mark_checks: Vec<MarkCheckRecord>,
    /// Codes sold (planned status 1) in a closed receipt and not returned (status 3) since.
    pub sold_marks: BTreeSet<String>,
    marking: MarkTable,
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
            drawer_opened: 0,
            faults: VecDeque::new(),
            commands: Vec::new(),
            paper_runs_out_at: None,
            dies_after: None,
            mark_answer: MarkAnswer::Ok,
            mark_queue: VecDeque::new(),
            mark_checks: Vec::new(),
            sold_marks: BTreeSet::new(),
            marking: MarkTable::default(),
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
            Some(receipt) => command::MODE_DOCUMENT_OPEN | (receipt.kind << 4),
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
            Code(0x28) => self.open_drawer(p),
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
            OPERATION_V2 => self.operation_v2(p),
            CHECK_MARK => self.check_mark(p),
            BIND_MARK => self.bind_mark(p),
            DECIDE_MARK => self.decide_mark(p),
            MARK_STATUS => self.mark_status(p),
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

    /// «Открыть денежный ящик» (28h): the drawer's number, 0 or 1.
    fn open_drawer(&mut self, p: &[u8]) -> Answer {
        self.check(p, 5)?;
        if p[4] > 1 {
            return Err(0x33);
        }
        self.drawer_opened += 1;
        self.tape.push("[ДЕНЕЖНЫЙ ЯЩИК]".into());
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
        self.open = Some(OpenReceipt::new(p[4]));
        Ok(self.operator())
    }

    /// A position of the open receipt, of the receipt's kind.
    fn operation(&mut self, p: &[u8]) -> Answer {
        self.check_password(p)?;
        let op = Operation::parse(&p[4..]).ok_or(E_FORMAT)?;
        let Some(receipt) = self.open.as_mut() else {
            return Err(E_MODE);
        };
        if op.kind
            != command::operation_type(if receipt.kind == 0 {
                command::ReceiptType::Sale
            } else {
                command::ReceiptType::ReturnOfSale
            })
        {
            return Err(E_WRONG_TYPE);
        }
        // The tax byte read as FF46h's: no bit, or one of the six groups
        // (the spec's «Бит 1…4» numbers bits from 1 and predates groups 5–6).
        let tax_ok = op.tax == 0 || (op.tax.count_ones() == 1 && op.tax < 1 << 6);
        if op.quantity == 0 || op.department > 16 || !tax_ok {
            return Err(0x33);
        }
        if op.discount > (op.price * op.quantity + 500) / 1000 {
            return Err(E_NEGATIVE);
        }
        receipt.operations.push(op);
        Ok(Vec::new())
    }

    /// A TLV for the open receipt; the customer's contact (tag 1008) is kept.
    fn send_tlv(&mut self, p: &[u8]) -> Answer {
        self.check_password(p)?;
        let tlv = &p[4..];
        if tlv.len() < 4 || tlv.len() > 250 || read_le(&tlv[2..4]) as usize != tlv.len() - 4 {
            return Err(E_FORMAT);
        }
        let Some(receipt) = self.open.as_mut() else {
            return Err(E_MODE);
        };
        if read_le(&tlv[..2]) == u64::from(command::TAG_CUSTOMER_CONTACT) {
            receipt.contact = Some(String::from_utf8_lossy(&tlv[4..]).into_owned());
        }
        Ok(Vec::new())
    }

    fn cancel_receipt(&mut self, p: &[u8]) -> Answer {
        self.check(p, 4)?;
        if self.open.take().is_none() {
            return Err(E_MODE);
        }
        self.end_marking();
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
        let Some(receipt) = self.open.clone() else {
            return Err(E_MODE);
        };
        self.needs_paper()?;
        self.marks_complete(&receipt)?;
        let payments: [u64; 4] = std::array::from_fn(|i| read_le(&p[4 + 5 * i..9 + 5 * i]));
        let total = receipt.total();
        if receipt.is_empty() || total == 0 {
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
        if receipt.kind == 2 {
            self.drawer = self.drawer.checked_sub(cash_net).ok_or(E_NO_CASH)?;
        } else {
            self.drawer += cash_net;
        }
        self.open = None;
        let title = if receipt.kind == 0 {
            "КАССОВЫЙ ЧЕК ПРИХОД"
        } else {
            "КАССОВЫЙ ЧЕК ВОЗВРАТ ПРИХОДА"
        };
        self.print_receipt(&receipt, total);
        self.register_marks(&receipt);
        self.receipts.push(Registered {
            document: self.document,
            kind: receipt.kind,
            operations: receipt.operations,
            payments,
            change,
            contact: receipt.contact,
            operations_v2: receipt.operations_v2,
            marks: receipt.marks,
        });
        self.close_document(title.into());
        let mut data = self.operator();
        data.extend(le(change, 5));
        Ok(data)
    }

    /// The receipt's positions in the order they came, then its total.
    fn print_receipt(&mut self, receipt: &OpenReceipt, total: u64) {
        let mut classic = receipt.operations.iter();
        for index in 0..receipt.next_index() {
            match receipt.operations_v2.iter().find(|op| op.index == index) {
                Some(op) => self.print_v2(op, receipt),
                None => {
                    if let Some(op) = classic.next() {
                        let line = format!("{} {}x{} ={}", op.name, op.quantity, op.price, operation_sum(op));
                        self.tape.push(line);
                    }
                }
            }
        }
        self.tape.push(format!("ИТОГ ={total}"));
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
