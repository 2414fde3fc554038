//! Marked goods (Честный ЗНАК) in the registrar: «Операция V2» (FF46h),
//! «Проверка маркированного товара» (FF61h), «Принять или отвергнуть
//! введенный код маркировки» (FF69h), «Привязка маркированного товара к
//! позиции» (FF67h) and «Запрос статуса по работе с кодами маркировки»
//! (FF70h). The bytes are read here from the spec, not through the client's
//! driver. The readings of the spec are listed in the module doc of `shtrih`.

use super::{Answer, E_FORMAT, E_MODE, E_WRONG_TYPE, OpenReceipt, Registrar};
use crate::devices::codepage::{self, WINDOWS_1251};
use crate::devices::shtrih::command::{Code, read_le};

pub(super) const OPERATION_V2: Code = Code(0xFF46);
pub(super) const CHECK_MARK: Code = Code(0xFF61);
pub(super) const BIND_MARK: Code = Code(0xFF67);
pub(super) const DECIDE_MARK: Code = Code(0xFF69);
pub(super) const MARK_STATUS: Code = Code(0xFF70);

/// 33h «Некорректные параметры в команде».
pub(super) const E_PARAMS: u8 = 0x33;
/// 60h «Переполнение при умножении».
const E_MULTIPLY: u8 = 0x60;
/// 63h «Переполнение диапазона отдела».
const E_DEPARTMENT: u8 = 0x63;
/// A1h «Неверная последовательность команд группы BXh» (marking commands out of order).
pub(super) const E_MARK_SEQUENCE: u8 = 0xA1;
/// A3h «Переполнена таблица проверки кодов маркировки» (more than 128 codes).
const E_MARK_TABLE_FULL: u8 = 0xA3;
/// A4h «В блоке TLV отсутствуют необходимые реквизиты».
pub(super) const E_TLV_MISSING: u8 = 0xA4;
/// A5h «В реквизите 2007 содержится КМ, который ранее не проверялся в ФН».
const E_MARK_UNCHECKED: u8 = 0xA5;

/// «ФН допускает включение в чек не более 128 штук КМ».
const MARK_TABLE: usize = 128;
/// Price × quantity (in millionths) must stay within the 5-byte sum.
const MAX_SUM: u64 = 0xFF_FFFF_FFFE;
const NOT_GIVEN: u64 = 0xFF_FFFF_FFFF;
/// One unit in FF46h's quantity (6 decimals).
const ONE: u64 = 1_000_000;
/// «Первые 2 байта значения реквизита «код товара»»: 444Dh («DM»), goods marked
/// with a Data Matrix means of identification.
const PRODUCT_CODE_DM: [u8; 2] = [0x44, 0x4D];
const GS: u8 = 0x1D;

/// What the marking server (ОИСМ) answers to a code's check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MarkAnswer {
    /// The planned status is confirmed: tag 2106 = 0x0F for a code checked in the FN.
    #[default]
    Ok,
    /// The planned status is refused (sold already, withdrawn…): 2106 bit 3 clear, 0x07.
    Bad,
    /// No answer within the timeout: the FN's answer code 0xFF and no 2106.
    Timeout,
}

/// A position of «Операция V2» (FF46h).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationV2 {
    /// 1 приход, 2 возврат прихода, 3 расход, 4 возврат расхода.
    pub kind: u8,
    /// Millionths (6 decimals).
    pub quantity: u64,
    pub price: u64,
    /// As sent, or price × quantity when 0xFFFFFFFFFF came.
    pub sum: u64,
    /// The position's tax as sent; `None` when not given (0xFFFFFFFFFF) or for taxes 3 and 4.
    pub tax_amount: Option<u64>,
    /// «Налоговая ставка»: bit n = tax n+1 (bits 0..5), or 0.
    pub tax: u8,
    pub department: u8,
    /// Tag 1214, «признак способа расчёта» (4 полный расчёт).
    pub method: u8,
    /// Tag 1212, «признак предмета расчёта» (31, 33: a marked good with its code).
    pub subject: u8,
    pub name: String,
    /// Index among the receipt's positions (FF0Dh and FF46h together), in the order they came.
    pub index: usize,
}

impl OperationV2 {
    /// Payment subject 31 (excise good with a code) or 33 (other good with a code).
    pub fn is_marked(&self) -> bool {
        matches!(self.subject, 31 | 33)
    }
}

/// A marking code bound (FF67h) to a position of a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundMark {
    /// The code as the scanner read it (GS separators kept).
    pub code: String,
    /// The position's index (`OperationV2::index`).
    pub position: usize,
    /// Tag 2003 of the check the binding rests on.
    pub planned_status: u8,
    /// Tag 2106 of that check; `None` when the server did not answer.
    pub result: Option<u8>,
}

/// One check of a code, in the order they came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkCheckRecord {
    pub code: String,
    /// Tag 2003.
    pub planned_status: u8,
    /// What the server answered (a code the ledger refuses is `Bad` whatever was steered).
    pub answer: MarkAnswer,
    /// Tag 2106, when the server answered.
    pub result: Option<u8>,
    /// FF69h's decision (true: accepted); `None` while pending, or dropped with its receipt.
    pub decision: Option<bool>,
    /// Checked by the registrar itself at FF67h (the code came unchecked).
    pub by_registrar: bool,
}

/// What the FN finds in a code by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Recognised {
    /// Tag 2100.
    km_type: u8,
    /// Tag 2004: bit 0 checked in the FN, bit 1 the check positive.
    local: u8,
    /// Why the FN did not check it (0 checked).
    reason: u8,
}

/// Tag 2100: КМ types (ФФД 1.2).
const KM_UNKNOWN: u8 = 0;
const KM_SHORT: u8 = 1;
const KM_88: u8 = 2;
const KM_44_CHECKABLE: u8 = 4;
const KM_4: u8 = 5;

/// Tag 2003: planned statuses.
const SOLD: u8 = 1;
const MEASURED_SOLD: u8 = 2;
const RETURNED: u8 = 3;
const PART_RETURNED: u8 = 4;
const UNCHANGED: u8 = 255;

/// A code's check.
#[derive(Debug, Clone)]
struct Check {
    code: Vec<u8>,
    planned_status: u8,
    km: Recognised,
    answer: MarkAnswer,
    /// Its entry in `Registrar::mark_checks`.
    record: usize,
}

impl Check {
    /// Tag 2106: the FN's bits, bit 2 the status checked by the ОИСМ, bit 3 confirmed.
    fn result(&self) -> Option<u8> {
        let local = self.km.local & 0x03;
        match self.answer {
            MarkAnswer::Ok => Some(local | 0x0C),
            MarkAnswer::Bad => Some(local | 0x04),
            MarkAnswer::Timeout => None,
        }
    }

    /// FF69h's byte: 2106, or only the FN's bits when the server did not answer.
    fn decision_byte(&self) -> u8 {
        self.result().unwrap_or(self.km.local & 0x03)
    }

    /// The ОИСМ confirmed the status and the FN's own check (if any) passed.
    fn positive(&self) -> bool {
        let local_failed = self.km.local & 0x01 != 0 && self.km.local & 0x02 == 0;
        !local_failed && self.result().is_some_and(|r| r & 0x08 != 0)
    }

    /// «Результат проверки» (6+N bytes) as FF61h and FF67h answer it; no server TLVs.
    fn answer_bytes(&self) -> Vec<u8> {
        let mut data = vec![self.km.local, self.km.reason, self.km.km_type];
        match self.result() {
            Some(result) => data.extend([2, 0x00, result]),
            None => data.extend([1, 0xFF]),
        }
        data
    }
}

/// The FN's table of checked codes, from a check until its receipt ends.
#[derive(Debug, Default)]
pub(super) struct MarkTable {
    /// The check FF69h must decide.
    pending: Option<Check>,
    /// Decided checks (with the decision); the latest for a code counts.
    decided: Vec<(Check, bool)>,
}

impl MarkTable {
    fn accepted(&self) -> usize {
        self.decided.iter().filter(|(_, accepted)| *accepted).count()
    }

    fn latest(&self, code: &[u8]) -> Option<&(Check, bool)> {
        self.decided.iter().rev().find(|(check, _)| check.code == code)
    }
}

/// FF46h's fields after the password; the message is 32..160 bytes.
fn parse_v2(p: &[u8]) -> Result<OperationV2, u8> {
    if !(30..=30 + 128).contains(&p.len()) {
        return Err(E_FORMAT);
    }
    let text = &p[30..];
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    let tax = p[26];
    let tax_amount = read_le(&p[21..26]);
    Ok(OperationV2 {
        kind: p[4],
        quantity: read_le(&p[5..11]),
        price: read_le(&p[11..16]),
        sum: read_le(&p[16..21]),
        // «Для налогов 3 и 4 сумма налога всегда считается равной нулю и в ОФД не передаётся».
        tax_amount: (tax_amount != NOT_GIVEN && tax & 0b1100 == 0).then_some(tax_amount),
        tax,
        department: p[27],
        method: p[28],
        subject: p[29],
        name: codepage::decode(WINDOWS_1251, &text[..end]),
        index: 0,
    })
}

/// Checks the fields of FF46h alone; computes the sum when it was not given.
fn validate_v2(op: &mut OperationV2) -> Result<(), u8> {
    if !(1..=4).contains(&op.kind) || op.quantity == 0 {
        return Err(E_PARAMS);
    }
    if op.department > 16 && op.department != 255 {
        return Err(E_DEPARTMENT);
    }
    if op.tax != 0 && (op.tax > 0b11_1111 || !op.tax.is_power_of_two()) {
        return Err(E_PARAMS);
    }
    if !(1..=7).contains(&op.method) || !(1..=33).contains(&op.subject) {
        return Err(E_PARAMS);
    }
    let exact = u128::from(op.price) * u128::from(op.quantity);
    let computed = u64::try_from((exact + u128::from(ONE / 2)) / u128::from(ONE)).unwrap_or(u64::MAX);
    if computed > MAX_SUM {
        return Err(E_MULTIPLY);
    }
    if op.sum == NOT_GIVEN {
        op.sum = computed;
    } else if op.sum.abs_diff(computed) > 1 {
        return Err(E_PARAMS);
    }
    if op.tax_amount.is_some_and(|tax| tax > op.sum) {
        return Err(E_PARAMS);
    }
    Ok(())
}

/// The tags of a TLV list; `None` when the list does not fill its length exactly.
fn tlv_tags(mut tlv: &[u8]) -> Option<Vec<u16>> {
    let mut tags = Vec::new();
    while !tlv.is_empty() {
        if tlv.len() < 4 {
            return None;
        }
        let len = read_le(&tlv[2..4]) as usize;
        if tlv.len() < 4 + len {
            return None;
        }
        tags.push(read_le(&tlv[..2]) as u16);
        tlv = &tlv[4 + len..];
    }
    Some(tags)
}

/// The GS1 fields of a Data Matrix code after AI 01 (14 digits) and AI 21
/// (the serial, ended by GS): each field starts with its AI.
fn gs1_fields(code: &[u8]) -> Option<Vec<&[u8]>> {
    let code = code.strip_prefix(&[GS]).unwrap_or(code);
    let rest = code.strip_prefix(b"01")?;
    if rest.len() < 14 || !rest[..14].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let rest = rest[14..].strip_prefix(b"21")?;
    let mut fields = rest.split(|&b| b == GS);
    let serial = fields.next()?;
    if serial.is_empty() || serial.len() > 20 {
        return None;
    }
    Some(fields.collect())
}

/// What the FN makes of a code (tag 2100, 2004 and the reason it did not check it).
fn recognise(code: &[u8]) -> Recognised {
    let checked = |km_type| Recognised {
        km_type,
        local: 0x03,
        reason: 0,
    };
    let unchecked = |km_type, reason| Recognised { km_type, local: 0, reason };
    if let Some(fields) = gs1_fields(code) {
        let field = |ai: &[u8]| fields.iter().find_map(|f| f.strip_prefix(ai));
        let key = field(b"91").is_some_and(|k| k.len() == 4);
        return match (key, field(b"92").map(<[u8]>::len), field(b"93").map(<[u8]>::len)) {
            (true, Some(88), _) => checked(KM_88),
            (true, Some(44), _) => checked(KM_44_CHECKABLE),
            (_, None, Some(4)) => unchecked(KM_4, 1),
            _ => unchecked(KM_UNKNOWN, 3),
        };
    }
    let tobacco = code.len() == 29 && code[..14].iter().all(u8::is_ascii_digit) && code[14..].iter().all(|b| b.is_ascii_graphic());
    if tobacco {
        unchecked(KM_SHORT, 1)
    } else {
        unchecked(KM_UNKNOWN, 3)
    }
}

/// FF67h's «Тип Data Matrix»: 0 КМ 88, 1 КМ симметричный, 2 КМ табачный, 3 КМ 44.
fn data_matrix_type(km_type: u8) -> u8 {
    match km_type {
        KM_88 => 0,
        KM_SHORT => 2,
        3 | KM_44_CHECKABLE => 3,
        _ => 1,
    }
}

/// The planned statuses a receipt of this kind may carry (8Dh: 0 sale, 2 return).
fn fits_receipt(kind: u8, planned_status: u8) -> bool {
    match kind {
        0 => matches!(planned_status, SOLD | MEASURED_SOLD),
        _ => matches!(planned_status, RETURNED | PART_RETURNED),
    }
}

/// A code as text: for the records and the tape.
fn text(code: &[u8]) -> String {
    String::from_utf8_lossy(code).into_owned()
}

impl Registrar {
    /// The server's answers from now on: one-shot, before the standing `mark_answer`.
    pub fn mark_next(&mut self, answers: impl IntoIterator<Item = MarkAnswer>) {
        self.mark_queue.extend(answers);
    }

    /// «Операция V2»: a position of the open receipt, of the receipt's kind.
    pub(super) fn operation_v2(&mut self, p: &[u8]) -> Answer {
        self.check_password(p)?;
        let mut op = parse_v2(p)?;
        let Some(receipt) = self.open.as_mut() else {
            return Err(E_MODE);
        };
        validate_v2(&mut op)?;
        let kind = if receipt.kind == 0 { 1 } else { 2 };
        if op.kind != kind {
            return Err(E_WRONG_TYPE);
        }
        op.index = receipt.next_index();
        receipt.operations_v2.push(op);
        Ok(Vec::new())
    }

    /// Runs one check of a code: the FN's look at it, then the server's answer.
    fn run_check(&mut self, code: &[u8], planned_status: u8, by_registrar: bool) -> Check {
        let km = recognise(code);
        let mut answer = self.mark_queue.pop_front().unwrap_or(self.mark_answer);
        let sold = self.sold_marks.contains(&text(code));
        let refused = match planned_status {
            SOLD => sold,
            RETURNED => !sold,
            _ => false,
        };
        if refused && answer == MarkAnswer::Ok {
            answer = MarkAnswer::Bad;
        }
        let check = Check {
            code: code.to_vec(),
            planned_status,
            km,
            answer,
            record: self.mark_checks.len(),
        };
        self.mark_checks.push(MarkCheckRecord {
            code: text(code),
            planned_status,
            answer,
            result: check.result(),
            decision: None,
            by_registrar,
        });
        check
    }

    /// «Проверка маркированного товара»: the check waits for FF69h's decision.
    pub(super) fn check_mark(&mut self, p: &[u8]) -> Answer {
        if p.len() < 8 {
            return Err(E_FORMAT);
        }
        self.check_password(p)?;
        let (status, mode, x, y) = (p[4], p[5], usize::from(p[6]), usize::from(p[7]));
        if p.len() != 8 + x + y {
            return Err(E_FORMAT);
        }
        let (code, tlv) = p[8..].split_at(x);
        if !matches!(status, SOLD | MEASURED_SOLD | RETURNED | PART_RETURNED | UNCHANGED) || mode != 0 || x == 0 {
            return Err(E_PARAMS);
        }
        let tags = tlv_tags(tlv).ok_or(E_FORMAT)?;
        // «Если планируется частичное выбытие … буфер из тегов 2108 (мера) и 1023 (количество)».
        if matches!(status, MEASURED_SOLD | PART_RETURNED) && !(tags.contains(&2108) && tags.contains(&1023)) {
            return Err(E_TLV_MISSING);
        }
        self.shift_usable()?;
        if self.marking.pending.is_some() {
            return Err(E_MARK_SEQUENCE);
        }
        if self.marking.accepted() >= MARK_TABLE {
            return Err(E_MARK_TABLE_FULL);
        }
        let check = self.run_check(code, status, false);
        let answer = check.answer_bytes();
        self.marking.pending = Some(check);
        Ok(answer)
    }

    /// «Принять или отвергнуть введенный код маркировки»: decides the pending check.
    pub(super) fn decide_mark(&mut self, p: &[u8]) -> Answer {
        self.check(p, 5)?;
        if p[4] > 1 {
            return Err(E_PARAMS);
        }
        let check = self.marking.pending.take().ok_or(E_MARK_SEQUENCE)?;
        let accepted = p[4] == 1;
        self.mark_checks[check.record].decision = Some(accepted);
        let byte = check.decision_byte();
        self.marking.decided.push((check, accepted));
        Ok(vec![byte])
    }

    /// The last position of the open receipt, when it is an FF46h one for a
    /// marked good with no code bound yet.
    fn position_to_mark(receipt: &OpenReceipt) -> Option<&OperationV2> {
        let op = receipt.operations_v2.last()?;
        let last = op.index + 1 == receipt.next_index();
        let bound = receipt.marks.iter().any(|m| m.position == op.index);
        (last && op.is_marked() && !bound).then_some(op)
    }

    /// «Привязка маркированного товара к позиции».
    pub(super) fn bind_mark(&mut self, p: &[u8]) -> Answer {
        if p.len() < 5 {
            return Err(E_FORMAT);
        }
        self.check_password(p)?;
        if p.len() != 5 + usize::from(p[4]) {
            return Err(E_FORMAT);
        }
        let code = &p[5..];
        if code.is_empty() {
            return Err(E_PARAMS);
        }
        let receipt = self.open.as_ref().ok_or(E_MODE)?;
        if self.marking.pending.is_some() {
            return Err(E_MARK_SEQUENCE);
        }
        let op = Self::position_to_mark(receipt).ok_or(E_MARK_SEQUENCE)?;
        if receipt.marks.iter().any(|m| m.code.as_bytes() == code) {
            return Err(E_PARAMS);
        }
        let earlier = self.marking.latest(code).cloned();
        let planned_status = match &earlier {
            Some((_, false)) => return Err(E_MARK_UNCHECKED),
            Some((check, true)) => check.planned_status,
            None if receipt.kind == 0 => SOLD,
            None => RETURNED,
        };
        if !fits_receipt(receipt.kind, planned_status) {
            return Err(E_WRONG_TYPE);
        }
        if matches!(planned_status, SOLD | RETURNED) && op.quantity != ONE {
            return Err(E_PARAMS);
        }
        let position = op.index;
        let (check, checked_here) = match earlier {
            Some((check, _)) => (check, false),
            None => (self.check_here(code, planned_status)?, true),
        };
        let mut data = PRODUCT_CODE_DM.to_vec();
        data.push(data_matrix_type(check.km.km_type));
        if checked_here {
            data.extend(check.answer_bytes());
        }
        let mark = BoundMark {
            code: text(code),
            position,
            planned_status,
            result: check.result(),
        };
        if let Some(receipt) = self.open.as_mut() {
            receipt.marks.push(mark);
        }
        Ok(data)
    }

    /// FF67h's own check of a code that came unchecked: it stands for an
    /// acceptance only when positive; otherwise the code counts as rejected.
    fn check_here(&mut self, code: &[u8], planned_status: u8) -> Result<Check, u8> {
        let check = self.run_check(code, planned_status, true);
        let accepted = check.positive();
        self.mark_checks[check.record].decision = Some(accepted);
        self.marking.decided.push((check.clone(), accepted));
        if accepted { Ok(check) } else { Err(E_MARK_UNCHECKED) }
    }

    /// «Запрос статуса по работе с кодами маркировки»: 8 bytes.
    pub(super) fn mark_status(&self, p: &[u8]) -> Answer {
        self.check(p, 4)?;
        let accepted = self.marking.accepted();
        let bound = self.open.as_ref().map_or(0, |r| r.marks.len());
        let state = match &self.marking.pending {
            _ if accepted >= MARK_TABLE => 0,
            None => 1,
            Some(check) if check.answer == MarkAnswer::Timeout => 3,
            Some(_) => 4,
        };
        // Bit 0: B1h (a new check, FF61h); bit 1: B2h (the decision, FF69h).
        let flags = match state {
            3 | 4 => 0x02,
            1 if self.shift_usable().is_ok() => 0x01,
            _ => 0,
        };
        let mut data = vec![state, u8::from(bound > 0), flags];
        data.push(accepted.min(255) as u8);
        data.push(bound.min(255) as u8);
        // The emulator's ОИСМ takes each notification at once: nothing queued.
        data.extend([0, 0, 0]);
        Ok(data)
    }

    /// 85h refuses a receipt with a check undecided or a marked position without its code.
    pub(super) fn marks_complete(&self, receipt: &OpenReceipt) -> Result<(), u8> {
        if self.marking.pending.is_some() {
            return Err(E_MARK_SEQUENCE);
        }
        let unbound = receipt
            .operations_v2
            .iter()
            .any(|op| op.is_marked() && !receipt.marks.iter().any(|m| m.position == op.index));
        if unbound { Err(E_TLV_MISSING) } else { Ok(()) }
    }

    /// A closed receipt's codes into the ledger; the check table ends with it.
    pub(super) fn register_marks(&mut self, receipt: &OpenReceipt) {
        for mark in &receipt.marks {
            match mark.planned_status {
                SOLD => {
                    self.sold_marks.insert(mark.code.clone());
                }
                RETURNED => {
                    self.sold_marks.remove(&mark.code);
                }
                _ => {}
            }
        }
        self.end_marking();
    }

    /// The receipt ended (closed or cancelled): the FN's check table is emptied.
    pub(super) fn end_marking(&mut self) {
        self.marking = MarkTable::default();
    }

    /// An FF46h position on the tape; a bound code under it, marked as ФФД 1.2
    /// prints it: [М+] confirmed, [М-] refused, [М] not checked by the server.
    pub(super) fn print_v2(&mut self, op: &OperationV2, receipt: &OpenReceipt) {
        // «Если строка c названием товара начинается символами //, то название товара,
        // количество и сумма не печатаются на чеке».
        if op.name.starts_with("//") {
            return;
        }
        self.tape
            .push(format!("{} {}x{} ={}", op.name, quantity_text(op.quantity), op.price, op.sum));
        for mark in receipt.marks.iter().filter(|m| m.position == op.index) {
            let sign = match mark.result {
                Some(r) if r & 0x08 != 0 => "[М+]",
                Some(_) => "[М-]",
                None => "[М]",
            };
            self.tape.push(format!("{sign} {}", mark.code.replace(GS as char, "<GS>")));
        }
    }
}

/// Millionths as a decimal without trailing zeros: 1500000 → "1.5".
fn quantity_text(quantity: u64) -> String {
    let whole = quantity / ONE;
    let fraction = quantity % ONE;
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = format!("{fraction:06}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}
