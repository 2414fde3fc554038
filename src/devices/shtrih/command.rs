//! The commands kassa sends a Shtrih-M registrar (spec, «Описание команд»),
//! each with its parameters laid out byte by byte, and the answers it reads.
//! Numbers are little-endian binary; money in kopecks (МДЕ); text in WIN1251.

use super::super::codepage::{self, WINDOWS_1251};
use crate::core::device::DeviceProblem;

/// A command code: one byte, or two for the FFxxh family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code(pub u16);

impl Code {
    pub const SHORT_STATUS: Code = Code(0x10);
    pub const STATUS: Code = Code(0x11);
    pub const PRINT_BOLD: Code = Code(0x12);
    pub const PRINT_LINE: Code = Code(0x17);
    pub const CUT: Code = Code(0x25);
    pub const OPEN_DRAWER: Code = Code(0x28);
    pub const X_REPORT: Code = Code(0x40);
    pub const Z_REPORT: Code = Code(0x41);
    pub const CASH_IN: Code = Code(0x50);
    pub const CASH_OUT: Code = Code(0x51);
    pub const CLOSE_RECEIPT: Code = Code(0x85);
    pub const CANCEL_RECEIPT: Code = Code(0x88);
    pub const OPEN_RECEIPT: Code = Code(0x8D);
    pub const CONTINUE_PRINT: Code = Code(0xB0);
    pub const PRINT_EAN13: Code = Code(0xC2);
    pub const LOAD_DATA: Code = Code(0xDD);
    pub const PRINT_2D: Code = Code(0xDE);
    pub const OPEN_SHIFT: Code = Code(0xE0);
    pub const DEVICE_TYPE: Code = Code(0xFC);
    pub const SEND_TLV: Code = Code(0xFF0C);
    pub const OPERATION: Code = Code(0xFF0D);
    pub const OPERATION_V2: Code = Code(0xFF46);
    pub const CHECK_MARK: Code = Code(0xFF61);
    pub const BIND_MARK: Code = Code(0xFF67);
    pub const DECIDE_MARK: Code = Code(0xFF69);

    pub fn bytes(self) -> Vec<u8> {
        if self.0 > 0xFF {
            vec![(self.0 >> 8) as u8, self.0 as u8]
        } else {
            vec![self.0 as u8]
        }
    }

    /// The code a message starts with.
    pub fn of(message: &[u8]) -> Option<(Code, &[u8])> {
        match message {
            [0xFF, low, rest @ ..] => Some((Code(0xFF00 | u16::from(*low)), rest)),
            [code, rest @ ..] => Some((Code(u16::from(*code)), rest)),
            [] => None,
        }
    }
}

/// Little-endian `value` in `n` bytes.
pub fn le(value: u64, n: usize) -> Vec<u8> {
    value.to_le_bytes()[..n].to_vec()
}

pub fn read_le(bytes: &[u8]) -> u64 {
    bytes.iter().rev().fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

/// Text padded with zeros (a `\0` ends the printed string) or cut to `n` bytes.
pub fn text_field(text: &str, n: usize) -> Vec<u8> {
    let mut bytes = codepage::encode(WINDOWS_1251, text);
    bytes.truncate(n);
    bytes.resize(n, 0);
    bytes
}

/// A message: code, the password, then the parameters.
pub fn with_password(code: Code, password: u32, params: &[u8]) -> Vec<u8> {
    let mut message = code.bytes();
    message.extend(le(u64::from(password), 4));
    message.extend_from_slice(params);
    message
}

/// Receipt types of «Открыть чек» (8Dh).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptType {
    Sale = 0,
    ReturnOfSale = 2,
}

/// Operation types of «Операция со скидками и надбавками» (FF0Dh).
pub fn operation_type(receipt: ReceiptType) -> u8 {
    match receipt {
        ReceiptType::Sale => 1,
        ReceiptType::ReturnOfSale => 2,
    }
}

/// One position of FF0Dh: 254 bytes with the code. The quantity is in
/// thousandths (the registrar's three decimals, as kassa keeps it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub kind: u8,
    pub quantity: u64,
    pub price: u64,
    pub discount: u64,
    pub department: u8,
    /// The tax group as one bit: group n is bit n-1 (the spec's «Бит 1» is the
    /// lowest); registrars of ФФД 1.05 and later take groups 5–6 too.
    pub tax: u8,
    pub name: String,
}

pub const OPERATION_TEXT: usize = 220;

impl Operation {
    pub fn params(&self) -> Vec<u8> {
        let mut p = vec![self.kind];
        p.extend(le(self.quantity, 5));
        p.extend(le(self.price, 5));
        p.extend(le(self.discount, 5));
        p.extend(le(0, 5)); // no surcharge
        p.push(self.department);
        p.push(self.tax);
        p.extend(le(0, 5)); // the barcode field holds 12 digits: EAN-13 does not fit, none sent
        p.extend(text_field(&self.name, OPERATION_TEXT));
        p
    }

    pub fn parse(params: &[u8]) -> Option<Operation> {
        if params.len() != 1 + 5 * 4 + 2 + 5 + OPERATION_TEXT {
            return None;
        }
        let text = &params[28..];
        let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
        Some(Operation {
            kind: params[0],
            quantity: read_le(&params[1..6]),
            price: read_le(&params[6..11]),
            discount: read_le(&params[11..16]),
            department: params[21],
            tax: params[22],
            name: codepage::decode(WINDOWS_1251, &text[..end]),
        })
    }
}

/// One position of «Операция V2» (FF46h), as kassa sends a marked unit:
/// 160 bytes with the code. Quantity in millionths; the sum is given, so
/// the registrar takes it as it is (it may differ from price × quantity by
/// a kopeck at most: kassa sends price = sum for one unit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationV2 {
    /// 1 приход, 2 возврат прихода.
    pub kind: u8,
    pub quantity: u64,
    pub price: u64,
    pub sum: u64,
    pub tax: u8,
    pub department: u8,
    /// Tag 1214, «способ расчёта»: 4 is «полный расчёт».
    pub method: u8,
    /// Tag 1212, «предмет расчёта».
    pub subject: u8,
    pub name: String,
}

pub const OPERATION_V2_TEXT: usize = 128;
/// Tag 1214 «полный расчёт».
pub const METHOD_FULL: u8 = 4;
/// Tag 1212: an excise good with its marking code; any other good with its code.
pub const SUBJECT_EXCISE_MARKED: u8 = 31;
pub const SUBJECT_MARKED: u8 = 33;
/// «Налог» 0xFFFFFFFFFF: not given, the registrar counts it.
const TAX_NOT_GIVEN: u64 = 0xFF_FFFF_FFFF;

impl OperationV2 {
    pub fn params(&self) -> Vec<u8> {
        let mut p = vec![self.kind];
        p.extend(le(self.quantity, 6));
        p.extend(le(self.price, 5));
        p.extend(le(self.sum, 5));
        p.extend(le(TAX_NOT_GIVEN, 5));
        p.extend([self.tax, self.department, self.method, self.subject]);
        p.extend(text_field(&self.name, OPERATION_V2_TEXT));
        p
    }
}

/// «Проверка маркированного товара» (FF61h): planned status (tag 2003),
/// mode 0 (tag 2102), the code's length, no TLV, the code as scanned.
pub fn check_mark_params(status: u8, code: &[u8]) -> Vec<u8> {
    let mut p = vec![status, 0, code.len() as u8, 0];
    p.extend_from_slice(code);
    p
}

/// «Привязка маркированного товара к позиции» (FF67h).
pub fn bind_mark_params(code: &[u8]) -> Vec<u8> {
    let mut p = vec![code.len() as u8];
    p.extend_from_slice(code);
    p
}

/// The check result of FF61h (after the error code), byte by byte:
/// tag 2004 (bit 0 checked by the fiscal storage, bit 1 positive), the
/// reason it was not, tag 2100, the length of what follows, the fiscal
/// storage's answer code to the online check (0 answered, 20h with a reason,
/// FFh no answer in time), tag 2106, the server's TLV.
pub fn parse_mark_check(data: &[u8]) -> Option<crate::core::marking::MarkCheck> {
    use crate::core::marking::{LocalCheck, MarkCheck, OnlineCheck};
    let [local, reason, _kind, following, rest @ ..] = data else {
        return None;
    };
    let local = match local & 0b11 {
        0b11 => LocalCheck::Passed,
        0b01 => LocalCheck::Failed,
        _ => LocalCheck::NotDone(*reason),
    };
    let online = match (following, rest) {
        (0, _) => OnlineCheck::Offline,
        (_, [0xFF, ..]) => OnlineCheck::Unanswered,
        (_, [0x20, why, ..]) => OnlineCheck::Unreadable(*why),
        (_, [0, result, ..]) => OnlineCheck::Answered {
            // Bit 2: the marking system checked it; bits 0–1: the storage's own check failed.
            code_valid: result & 0b100 != 0 && result & 0b11 != 0b01,
            status_valid: result & 0b1000 != 0,
        },
        (_, [code, ..]) => OnlineCheck::Unreadable(*code),
        (_, []) => return None,
    };
    Some(MarkCheck { local, online })
}

/// «Закрытие чека» (85h): cash handed over and three more payment types.
pub fn close_params(payments: [u64; 4], text: &str) -> Vec<u8> {
    let mut p = Vec::new();
    for amount in payments {
        p.extend(le(amount, 5));
    }
    p.extend([0, 0]); // no discount on the receipt
    p.extend([0, 0, 0, 0]); // taxes as the registrar's tables say
    p.extend(text_field(text, 40));
    p
}

/// Tag 1008, «адрес электронной почты или телефон покупателя», as a TLV for FF0Ch.
pub const TAG_CUSTOMER_CONTACT: u16 = 1008;

pub fn tlv(tag: u16, value: &[u8]) -> Vec<u8> {
    let mut out = le(u64::from(tag), 2);
    out.extend(le(value.len() as u64, 2));
    out.extend_from_slice(value);
    out
}

/// What the full status (11h) tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// «Сквозной номер текущего документа»: moves on with every document.
    pub document: u16,
    pub flags: u16,
    pub mode: u8,
    pub submode: u8,
}

/// The fields the spec lists take 38 bytes after the error code (models send up to 46).
pub const STATUS_ANSWER: usize = 38;

impl Status {
    /// Parses 11h's data after the error code.
    pub fn parse(data: &[u8]) -> Option<Status> {
        if data.len() < STATUS_ANSWER {
            return None;
        }
        Some(Status {
            document: read_le(&data[9..11]) as u16,
            flags: read_le(&data[11..13]) as u16,
            mode: data[13],
            submode: data[14],
        })
    }

    /// The mode's number (the low nibble; the high one is a status for some modes).
    pub fn mode_number(&self) -> u8 {
        self.mode & 0x0F
    }

    pub fn document_open(&self) -> bool {
        self.mode_number() == MODE_DOCUMENT_OPEN
    }

    /// Flag bit 7: the receipt tape's optical sensor sees paper.
    pub fn has_paper(&self) -> bool {
        self.flags & (1 << 7) != 0
    }
}

/// Modes (spec, Приложение 1).
pub const MODE_SHIFT_OPEN: u8 = 2;
pub const MODE_SHIFT_EXPIRED: u8 = 3;
pub const MODE_SHIFT_CLOSED: u8 = 4;
pub const MODE_DOCUMENT_OPEN: u8 = 8;
/// Submodes: paper ran out during printing; paper back, waiting for «Продолжение печати».
pub const SUBMODE_PAPER_OUT: u8 = 2;
pub const SUBMODE_AFTER_PAPER_OUT: u8 = 3;

/// A registrar's answer: the error code, and the data after it.
pub fn split_answer(sent: Code, answer: &[u8]) -> Result<(u8, &[u8]), DeviceProblem> {
    let (code, rest) = Code::of(answer).ok_or(DeviceProblem::EmptyAnswer)?;
    if code != sent {
        return Err(DeviceProblem::AnswerMismatch { sent: sent.0, got: code.0 });
    }
    let (&error, data) = rest.split_first().ok_or(DeviceProblem::NoErrorCode { command: sent.0 })?;
    Ok((error, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_is_254_bytes_and_round_trips() {
        let op = Operation {
            kind: 1,
            quantity: 1500,
            price: 8990,
            discount: 1349,
            department: 1,
            tax: 0,
            name: "Молоко 3,2% 1 л".into(),
        };
        let message = with_password(Code::OPERATION, 30, &op.params());
        assert_eq!(message.len(), 254, "the spec: «Длина сообщения: 254 байт»");
        assert_eq!(&message[..2], &[0xFF, 0x0D]);
        assert_eq!(Operation::parse(&message[6..]), Some(op));
    }

    #[test]
    fn operation_v2_is_160_bytes() {
        let op = OperationV2 {
            kind: 1,
            quantity: 1_000_000,
            price: 8990,
            sum: 8990,
            tax: 2,
            department: 1,
            method: METHOD_FULL,
            subject: SUBJECT_MARKED,
            name: "Молоко".into(),
        };
        let message = with_password(Code::OPERATION_V2, 30, &op.params());
        assert_eq!(message.len(), 160, "the spec: «Длина сообщения: 160 байт»");
        assert_eq!(&message[..2], &[0xFF, 0x46]);
        assert_eq!(&message[7..13], &[0x40, 0x42, 0x0F, 0, 0, 0], "1.000000");
        assert_eq!(&message[28..32], &[2, 1, 4, 33]);
    }

    #[test]
    fn mark_checks_read_every_answer() {
        use crate::core::marking::{LocalCheck, OnlineCheck};
        let good = parse_mark_check(&[3, 0, 2, 2, 0, 0x0F]).expect("answered");
        assert_eq!(good.local, LocalCheck::Passed);
        assert_eq!(
            good.online,
            OnlineCheck::Answered {
                code_valid: true,
                status_valid: true
            }
        );
        let sold = parse_mark_check(&[3, 0, 2, 2, 0, 0x07]).expect("answered");
        assert_eq!(
            sold.online,
            OnlineCheck::Answered {
                code_valid: true,
                status_valid: false
            }
        );
        let late = parse_mark_check(&[3, 0, 2, 1, 0xFF]).expect("timeout");
        assert_eq!(late.online, OnlineCheck::Unanswered);
        assert_eq!(
            parse_mark_check(&[0, 1, 5, 0]).map(|c| (c.local, c.online)),
            Some((LocalCheck::NotDone(1), OnlineCheck::Offline))
        );
        assert_eq!(
            parse_mark_check(&[3, 0, 2, 2, 0x20, 4]).map(|c| c.online),
            Some(OnlineCheck::Unreadable(4))
        );
        assert_eq!(parse_mark_check(&[3, 0, 2]), None);
        assert_eq!(parse_mark_check(&[3, 0, 2, 2]), None);
    }

    #[test]
    fn close_is_71_bytes_with_the_code() {
        let message = with_password(Code::CLOSE_RECEIPT, 30, &close_params([10000, 0, 0, 0], ""));
        assert_eq!(message.len(), 71);
    }

    #[test]
    fn tlv_1008() {
        assert_eq!(tlv(TAG_CUSTOMER_CONTACT, b"+79161234567")[..4], [0xF0, 0x03, 12, 0]);
    }

    #[test]
    fn answers_are_checked_against_the_command() {
        assert_eq!(split_answer(Code::CUT, &[0x25, 0x00, 30]), Ok((0, &[30u8][..])));
        assert_eq!(split_answer(Code::SEND_TLV, &[0xFF, 0x0C, 0x02]), Ok((2, &[][..])));
        assert!(split_answer(Code::CUT, &[0x17, 0x00]).is_err());
    }
}
