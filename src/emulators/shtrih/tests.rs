//! The registrar's marking commands, driven by messages assembled byte by
//! byte from the spec (not through the client's driver).

use super::*;

const PASSWORD: [u8; 4] = [30, 0, 0, 0];
const GS: char = '\u{1D}';
const NOT_GIVEN: u64 = 0xFF_FFFF_FFFF;

/// A message: the code (one or two bytes), the password, the parameters.
fn message(code: u16, params: &[u8]) -> Vec<u8> {
    let mut m = if code > 0xFF { vec![0xFF, code as u8] } else { vec![code as u8] };
    m.extend(PASSWORD);
    m.extend_from_slice(params);
    m
}

fn send(r: &mut Registrar, code: u16, params: &[u8]) -> Vec<u8> {
    r.execute(&message(code, params))
}

fn bytes(value: u64, n: usize) -> Vec<u8> {
    value.to_le_bytes()[..n].to_vec()
}

/// FF46h after the password: type, quantity (6), price, sum, tax amount (not
/// given), tax byte, department 1, method 4 (полный расчёт), subject, name.
fn v2(kind: u8, quantity: u64, price: u64, sum: u64, subject: u8, name: &str) -> Vec<u8> {
    let mut p = vec![kind];
    p.extend(bytes(quantity, 6));
    p.extend(bytes(price, 5));
    p.extend(bytes(sum, 5));
    p.extend(bytes(NOT_GIVEN, 5));
    p.extend([0, 1, 4, subject]);
    p.extend(codepage::encode(WINDOWS_1251, name));
    p
}

/// 85h after the password: cash, three more payment types, discount, taxes, text.
fn close(cash: u64) -> Vec<u8> {
    let mut p = bytes(cash, 5);
    p.extend([0; 15 + 2 + 4 + 40]);
    p
}

/// FF61h after the password: planned status, mode 0, X, Y, the code, the TLVs.
fn check(status: u8, code: &str, tlv: &[u8]) -> Vec<u8> {
    let mut p = vec![status, 0, code.len() as u8, tlv.len() as u8];
    p.extend(code.as_bytes());
    p.extend_from_slice(tlv);
    p
}

fn bind(code: &str) -> Vec<u8> {
    let mut p = vec![code.len() as u8];
    p.extend(code.as_bytes());
    p
}

/// A GS1 code of a marked good with AI 91 (4) and AI 92 of `crypto` characters.
fn gs1(serial: &str, crypto: usize) -> String {
    format!("010460123456789321{serial}{GS}91EE07{GS}92{}", "Z".repeat(crypto))
}

fn sale_receipt() -> Registrar {
    let mut r = Registrar::with_open_shift(1);
    assert_eq!(send(&mut r, 0x8D, &[0]), [0x8D, 0, 30]);
    r
}

/// A marked position (subject 33, one unit) with `code` checked, accepted and bound.
fn sell_marked(r: &mut Registrar, code: &str, price: u64) {
    assert_eq!(send(r, 0xFF46, &v2(1, 1_000_000, price, NOT_GIVEN, 33, "Молоко")), [0xFF, 0x46, 0]);
    assert_eq!(send(r, 0xFF61, &check(1, code, &[]))[2], 0);
    assert_eq!(send(r, 0xFF69, &[1]), [0xFF, 0x69, 0, 0x0F]);
    assert_eq!(&send(r, 0xFF67, &bind(code))[..6], [0xFF, 0x67, 0, 0x44, 0x4D, 0]);
}

#[test]
fn operation_v2_takes_the_exact_sum_and_one_kopeck_either_side() {
    let mut r = sale_receipt();
    // 1.5 × 89.90 = 134.85.
    for sum in [13485, 13484, 13486, NOT_GIVEN] {
        let answer = send(&mut r, 0xFF46, &v2(1, 1_500_000, 8990, sum, 1, "Сыр"));
        assert_eq!(answer, [0xFF, 0x46, 0], "sum {sum}");
    }
    // The name may be padded with zeros up to 128 bytes: a message of 160 bytes.
    let mut padded = v2(1, 1_000_000, 100, NOT_GIVEN, 1, "Хлеб");
    padded.resize(26 + 128, 0);
    assert_eq!(message(0xFF46, &padded).len(), 160);
    assert_eq!(send(&mut r, 0xFF46, &padded), [0xFF, 0x46, 0]);
    assert_eq!(send(&mut r, 0x85, &close(60000))[..2], [0x85, 0]);
    let receipt = &r.receipts[0];
    assert_eq!(receipt.total(), 13485 + 13484 + 13486 + 13485 + 100);
    let op = &receipt.operations_v2[1];
    assert_eq!((op.kind, op.quantity, op.price, op.sum), (1, 1_500_000, 8990, 13484));
    assert_eq!((op.tax, op.department, op.method, op.subject), (0, 1, 4, 1));
    assert_eq!((op.tax_amount, op.name.as_str(), op.index), (None, "Сыр", 1));
    assert_eq!(receipt.operations_v2[3].sum, 13485, "computed by the registrar");
    assert_eq!(receipt.operations_v2[4].name, "Хлеб");
    assert!(r.tape.iter().any(|l| l == "Сыр 1.5x8990 =13485"), "{:?}", r.tape);
}

#[test]
fn operation_v2_refuses_what_the_spec_forbids() {
    let mut r = Registrar::with_open_shift(1);
    let good = v2(1, 1_000_000, 100, 100, 1, "Хлеб");
    assert_eq!(send(&mut r, 0xFF46, &good), [0xFF, 0x46, 0x73], "outside a receipt");
    assert_eq!(send(&mut r, 0x8D, &[0])[1], 0);
    assert_eq!(
        send(&mut r, 0xFF46, &v2(1, 1_500_000, 8990, 13487, 1, "Сыр")),
        [0xFF, 0x46, 0x33],
        "2 kopecks off"
    );
    let mut long = good.clone();
    long.resize(26 + 129, b'x');
    assert_eq!(send(&mut r, 0xFF46, &long), [0xFF, 0x46, 0x01], "a name of 129 bytes");
    assert_eq!(send(&mut r, 0xFF46, &good[..25]), [0xFF, 0x46, 0x01], "cut short");
    assert_eq!(
        send(&mut r, 0xFF46, &v2(2, 1_000_000, 100, 100, 1, "")),
        [0xFF, 0x46, 0x49],
        "return in a sale"
    );
    assert_eq!(
        send(&mut r, 0xFF46, &v2(5, 1_000_000, 100, 100, 1, "")),
        [0xFF, 0x46, 0x33],
        "no type 5"
    );
    assert_eq!(send(&mut r, 0xFF46, &v2(1, 0, 100, 0, 1, "")), [0xFF, 0x46, 0x33], "no quantity");
    assert_eq!(
        send(&mut r, 0xFF46, &v2(1, 1_000_000, 100, 100, 34, "")),
        [0xFF, 0x46, 0x33],
        "subject 34"
    );
    let mut two_taxes = good.clone();
    two_taxes[22] = 0b11;
    assert_eq!(send(&mut r, 0xFF46, &two_taxes), [0xFF, 0x46, 0x33], "two tax bits");
    let mut department = good.clone();
    department[23] = 17;
    assert_eq!(send(&mut r, 0xFF46, &department), [0xFF, 0x46, 0x63], "department 17");
    let mut method = good.clone();
    method[24] = 8;
    assert_eq!(send(&mut r, 0xFF46, &method), [0xFF, 0x46, 0x33], "method 8");
    assert!(r.open.as_ref().is_some_and(|o| o.operations_v2.is_empty()));
}

#[test]
fn check_answers_byte_by_byte_for_ok_bad_and_timeout() {
    let mut r = Registrar::with_open_shift(1);
    r.mark_next([MarkAnswer::Ok, MarkAnswer::Bad, MarkAnswer::Timeout]);
    let code = gs1("5ZbLQ8mT", 88);
    // Local check done and positive, reason 0, type 2 (КМ 88), 2 bytes follow:
    // the FN's answer code 0, tag 2106; no server TLVs.
    let answers = [
        vec![0xFF, 0x61, 0, 0x03, 0, 2, 2, 0x00, 0x0F],
        vec![0xFF, 0x61, 0, 0x03, 0, 2, 2, 0x00, 0x07],
        vec![0xFF, 0x61, 0, 0x03, 0, 2, 1, 0xFF],
    ];
    for (i, expected) in answers.iter().enumerate() {
        assert_eq!(&send(&mut r, 0xFF61, &check(1, &code, &[])), expected, "check {i}");
        let decision = [0x0F, 0x07, 0x03][i];
        assert_eq!(send(&mut r, 0xFF69, &[0]), [0xFF, 0x69, 0, decision], "check {i}");
    }
    assert_eq!(r.mark_checks.len(), 3);
    assert_eq!(r.mark_checks[2].answer, MarkAnswer::Timeout);
    assert_eq!(r.mark_checks[2].result, None);
    assert_eq!(r.mark_checks[1].decision, Some(false));
}

#[test]
fn check_recognises_the_code_types() {
    let mut r = Registrar::with_open_shift(1);
    let codes = [
        (gs1("5ZbLQ8mT", 44), [0x03, 0, 4]),
        (format!("0104601234567893215ZbLQ8mT{GS}93Ab1C"), [0, 1, 5]),
        ("04601234567893AbC1234MRP1cr4Y".to_string(), [0, 1, 1]),
        ("4601234567893".to_string(), [0, 3, 0]),
        (format!("0104601234567893215ZbLQ8mT{GS}92{}", "Z".repeat(88)), [0, 3, 0]),
    ];
    for (code, expected) in codes {
        let answer = send(&mut r, 0xFF61, &check(1, &code, &[]));
        assert_eq!(answer[3..6], expected, "{code:?}");
        let result = if expected[0] == 0x03 { 0x0F } else { 0x0C };
        assert_eq!(answer[6..], [2, 0, result], "{code:?}");
        assert_eq!(send(&mut r, 0xFF69, &[1])[2], 0);
    }
}

#[test]
fn check_is_refused_out_of_turn_or_malformed() {
    let mut r = Registrar::default();
    let code = gs1("5ZbLQ8mT", 88);
    assert_eq!(send(&mut r, 0xFF61, &check(1, &code, &[])), [0xFF, 0x61, 0x73], "shift closed");
    let mut r = Registrar::with_open_shift(1);
    assert_eq!(send(&mut r, 0xFF69, &[1]), [0xFF, 0x69, 0xA1], "FF69h with no check");
    let mut short = check(1, &code, &[]);
    short.pop();
    assert_eq!(send(&mut r, 0xFF61, &short), [0xFF, 0x61, 0x01], "X longer than the code");
    assert_eq!(send(&mut r, 0xFF61, &check(7, &code, &[])), [0xFF, 0x61, 0x33], "status 7");
    assert_eq!(
        send(&mut r, 0xFF61, &check(2, &code, &[])),
        [0xFF, 0x61, 0xA4],
        "status 2 without 2108/1023"
    );
    assert_eq!(send(&mut r, 0xFF61, &check(1, &code, &[])).len(), 9);
    assert_eq!(
        send(&mut r, 0xFF61, &check(1, &code, &[])),
        [0xFF, 0x61, 0xA1],
        "the first is undecided"
    );
    assert_eq!(send(&mut r, 0xFF69, &[2]), [0xFF, 0x69, 0x33], "decision 2");
    assert_eq!(send(&mut r, 0xFF69, &[1]), [0xFF, 0x69, 0, 0x0F]);
    assert_eq!(send(&mut r, 0xFF69, &[1]), [0xFF, 0x69, 0xA1], "decided already");
    // A measured good with its measure (2108) and quantity (1023).
    let mut tlv = vec![0x3C, 0x08, 1, 0, 11];
    tlv.extend([0xFF, 0x03, 3, 0, 3, 0xF4, 0x01]);
    assert_eq!(send(&mut r, 0xFF61, &check(2, &code, &tlv))[2], 0);
    assert_eq!(r.mark_checks.len(), 2);
}

#[test]
fn binding_needs_a_marked_position_just_registered() {
    let mut r = sale_receipt();
    let code = gs1("5ZbLQ8mT", 88);
    assert_eq!(send(&mut r, 0xFF61, &check(1, &code, &[]))[2], 0);
    assert_eq!(send(&mut r, 0xFF69, &[1])[2], 0);
    assert_eq!(send(&mut r, 0xFF67, &bind(&code)), [0xFF, 0x67, 0xA1], "no position yet");
    assert_eq!(send(&mut r, 0xFF46, &v2(1, 1_000_000, 100, NOT_GIVEN, 1, "Хлеб"))[2], 0);
    assert_eq!(send(&mut r, 0xFF67, &bind(&code)), [0xFF, 0x67, 0xA1], "subject 1 is not marked");
    assert_eq!(send(&mut r, 0xFF46, &v2(1, 2_000_000, 100, NOT_GIVEN, 33, "Молоко"))[2], 0);
    assert_eq!(send(&mut r, 0xFF67, &bind(&code)), [0xFF, 0x67, 0x33], "two units for one code");
    let mut wrong_length = bind(&code);
    wrong_length[0] += 1;
    assert_eq!(send(&mut r, 0xFF67, &wrong_length), [0xFF, 0x67, 0x01]);
    assert_eq!(send(&mut r, 0xFF46, &v2(1, 1_000_000, 100, NOT_GIVEN, 33, "Молоко"))[2], 0);
    assert_eq!(send(&mut r, 0xFF67, &bind(&code)), [0xFF, 0x67, 0, 0x44, 0x4D, 0]);
    assert_eq!(send(&mut r, 0xFF67, &bind(&code)), [0xFF, 0x67, 0xA1], "bound already");
    assert_eq!(send(&mut r, 0xFF46, &v2(1, 1_000_000, 100, NOT_GIVEN, 31, "Сигареты"))[2], 0);
    assert_eq!(
        send(&mut r, 0xFF67, &bind(&code)),
        [0xFF, 0x67, 0x33],
        "one code twice in a receipt"
    );
}

#[test]
fn a_rejected_code_is_not_bound() {
    let mut r = sale_receipt();
    let code = gs1("5ZbLQ8mT", 88);
    r.mark_answer = MarkAnswer::Bad;
    assert_eq!(send(&mut r, 0xFF46, &v2(1, 1_000_000, 100, NOT_GIVEN, 33, "Молоко"))[2], 0);
    assert_eq!(send(&mut r, 0xFF61, &check(1, &code, &[]))[8], 0x07);
    assert_eq!(send(&mut r, 0xFF69, &[0]), [0xFF, 0x69, 0, 0x07]);
    assert_eq!(send(&mut r, 0xFF67, &bind(&code)), [0xFF, 0x67, 0xA5]);
    assert!(r.open.as_ref().is_some_and(|o| o.marks.is_empty()));
}

#[test]
fn an_unchecked_code_is_checked_by_the_registrar() {
    let mut r = sale_receipt();
    let code = gs1("5ZbLQ8mT", 44);
    assert_eq!(send(&mut r, 0xFF46, &v2(1, 1_000_000, 100, NOT_GIVEN, 33, "Вода"))[2], 0);
    // «Код товара» DM, type 3 (КМ 44), then the check's result (6+N bytes).
    let answer = send(&mut r, 0xFF67, &bind(&code));
    assert_eq!(answer, [0xFF, 0x67, 0, 0x44, 0x4D, 3, 0x03, 0, 4, 2, 0, 0x0F]);
    let record = r.mark_checks.last().cloned().expect("a check");
    assert!(record.by_registrar);
    assert_eq!((record.planned_status, record.decision), (1, Some(true)));
    // A negative check of its own: the code counts as rejected.
    let other = gs1("7QWErty", 88);
    r.mark_next([MarkAnswer::Bad]);
    assert_eq!(send(&mut r, 0xFF46, &v2(1, 1_000_000, 100, NOT_GIVEN, 33, "Вода"))[2], 0);
    assert_eq!(send(&mut r, 0xFF67, &bind(&other)), [0xFF, 0x67, 0xA5]);
    assert_eq!(r.mark_checks.last().map(|c| c.decision), Some(Some(false)));
    assert_eq!(
        send(&mut r, 0xFF67, &bind(&other)),
        [0xFF, 0x67, 0xA5],
        "no second check of its own"
    );
}

#[test]
fn a_marked_position_without_its_code_does_not_close() {
    let mut r = sale_receipt();
    let code = gs1("5ZbLQ8mT", 88);
    assert_eq!(send(&mut r, 0xFF46, &v2(1, 1_000_000, 100, NOT_GIVEN, 33, "Молоко"))[2], 0);
    assert_eq!(send(&mut r, 0x85, &close(100)), [0x85, 0xA4]);
    assert!(r.open.is_some(), "the receipt stays open");
    assert_eq!(send(&mut r, 0xFF61, &check(1, &code, &[]))[2], 0);
    assert_eq!(send(&mut r, 0x85, &close(100)), [0x85, 0xA1], "a check undecided");
    assert_eq!(send(&mut r, 0xFF69, &[1])[2], 0);
    assert_eq!(send(&mut r, 0xFF67, &bind(&code))[2], 0);
    assert_eq!(send(&mut r, 0x85, &close(100))[..2], [0x85, 0]);
    let receipt = &r.receipts[0];
    let mark = BoundMark {
        code: code.clone(),
        position: 0,
        planned_status: 1,
        result: Some(0x0F),
    };
    assert_eq!(receipt.marks, [mark]);
    assert_eq!(receipt.marked_position(&receipt.marks[0]).map(|op| op.subject), Some(33));
    assert!(r.sold_marks.contains(&code));
    let printed = format!("[М+] 0104601234567893215ZbLQ8mT<GS>91EE07<GS>92{}", "Z".repeat(88));
    assert!(r.tape.contains(&"Молоко 1x100 =100".to_string()), "{:?}", r.tape);
    assert!(r.tape.contains(&printed), "{:?}", r.tape);
}

#[test]
fn a_sold_code_is_refused_for_sale_and_taken_back_by_a_return() {
    let mut r = sale_receipt();
    let code = gs1("5ZbLQ8mT", 88);
    sell_marked(&mut r, &code, 8990);
    assert_eq!(send(&mut r, 0x85, &close(8990))[..2], [0x85, 0]);
    // Sold once: the ОИСМ knows it left circulation, whatever was steered.
    assert_eq!(send(&mut r, 0xFF61, &check(1, &code, &[])), [0xFF, 0x61, 0, 0x03, 0, 2, 2, 0, 0x07]);
    assert_eq!(send(&mut r, 0xFF69, &[0])[3], 0x07);
    assert_eq!(r.mark_checks[1].answer, MarkAnswer::Bad);
    // The return: receipt type 2, FF46h type 2, planned status 3.
    assert_eq!(send(&mut r, 0x8D, &[2]), [0x8D, 0, 30]);
    assert_eq!(send(&mut r, 0xFF46, &v2(2, 1_000_000, 8990, NOT_GIVEN, 33, "Молоко"))[2], 0);
    assert_eq!(send(&mut r, 0xFF61, &check(3, &code, &[]))[8], 0x0F);
    assert_eq!(send(&mut r, 0xFF69, &[1])[3], 0x0F);
    assert_eq!(send(&mut r, 0xFF67, &bind(&code))[..6], [0xFF, 0x67, 0, 0x44, 0x4D, 0]);
    assert_eq!(send(&mut r, 0x85, &close(8990))[..2], [0x85, 0]);
    assert_eq!(r.receipts[1].marks[0].planned_status, 3);
    assert!(r.sold_marks.is_empty(), "returned: back in circulation");
    // Returned already: a second return is refused, a sale goes through.
    assert_eq!(send(&mut r, 0xFF61, &check(3, &code, &[]))[8], 0x07);
    assert_eq!(send(&mut r, 0xFF69, &[0])[2], 0);
    assert_eq!(send(&mut r, 0xFF61, &check(1, &code, &[]))[8], 0x0F);
}

#[test]
fn a_code_never_sold_here_is_refused_for_return() {
    let mut r = Registrar::with_open_shift(1);
    let code = gs1("5ZbLQ8mT", 88);
    assert_eq!(send(&mut r, 0xFF61, &check(3, &code, &[])), [0xFF, 0x61, 0, 0x03, 0, 2, 2, 0, 0x07]);
}

#[test]
fn a_code_checked_for_sale_is_not_bound_in_a_return() {
    let mut r = Registrar::with_open_shift(1);
    r.drawer = 10_000;
    let code = gs1("5ZbLQ8mT", 88);
    assert_eq!(send(&mut r, 0x8D, &[2])[1], 0);
    assert_eq!(send(&mut r, 0xFF46, &v2(2, 1_000_000, 100, NOT_GIVEN, 33, "Молоко"))[2], 0);
    assert_eq!(send(&mut r, 0xFF61, &check(1, &code, &[]))[2], 0);
    assert_eq!(send(&mut r, 0xFF69, &[1])[2], 0);
    assert_eq!(send(&mut r, 0xFF67, &bind(&code)), [0xFF, 0x67, 0x49]);
}

#[test]
fn mark_status_is_eight_bytes_that_follow_the_state() {
    let mut r = sale_receipt();
    let code = gs1("5ZbLQ8mT", 88);
    let status = send(&mut r, 0xFF70, &[]);
    assert_eq!(status.len(), 11, "«Длина сообщения: 11 байт»");
    assert_eq!(status, [0xFF, 0x70, 0, 1, 0, 0x01, 0, 0, 0, 0, 0]);
    assert_eq!(send(&mut r, 0xFF46, &v2(1, 1_000_000, 100, NOT_GIVEN, 33, "Молоко"))[2], 0);
    assert_eq!(send(&mut r, 0xFF61, &check(1, &code, &[]))[2], 0);
    assert_eq!(send(&mut r, 0xFF70, &[])[3..], [4, 0, 0x02, 0, 0, 0, 0, 0], "waiting for FF69h");
    assert_eq!(send(&mut r, 0xFF69, &[1])[2], 0);
    assert_eq!(send(&mut r, 0xFF67, &bind(&code))[2], 0);
    assert_eq!(
        send(&mut r, 0xFF70, &[])[3..],
        [1, 1, 0x01, 1, 1, 0, 0, 0],
        "one code accepted and bound"
    );
    assert_eq!(send(&mut r, 0xFF70, &[0]), [0xFF, 0x70, 0x01]);
}

#[test]
fn cancelling_a_receipt_empties_the_check_table() {
    let mut r = sale_receipt();
    let code = gs1("5ZbLQ8mT", 88);
    assert_eq!(send(&mut r, 0xFF61, &check(1, &code, &[]))[2], 0);
    assert_eq!(send(&mut r, 0x88, &[]), [0x88, 0, 30]);
    assert_eq!(send(&mut r, 0xFF69, &[1]), [0xFF, 0x69, 0xA1], "the check went with the receipt");
    assert_eq!(r.mark_checks[0].decision, None);
}

/// FF0Dh after the password: 254 bytes with the code; quantity in thousandths.
fn classic(quantity: u64, price: u64, name: &str) -> Vec<u8> {
    let mut p = vec![1];
    p.extend(bytes(quantity, 5));
    p.extend(bytes(price, 5));
    p.extend([0; 10]); // no discount, no surcharge
    p.extend([1, 0]); // department 1, the registrar's tax tables
    p.extend([0; 5]); // no barcode
    let mut text = codepage::encode(WINDOWS_1251, name);
    text.resize(220, 0);
    p.extend(text);
    p
}

#[test]
fn classic_and_v2_positions_share_one_order_and_one_total() {
    let mut r = sale_receipt();
    let code = gs1("5ZbLQ8mT", 88);
    assert_eq!(message(0xFF0D, &classic(2000, 4550, "Батон")).len(), 254);
    assert_eq!(send(&mut r, 0xFF0D, &classic(2000, 4550, "Батон")), [0xFF, 0x0D, 0]);
    sell_marked(&mut r, &code, 8990);
    assert_eq!(send(&mut r, 0xFF0D, &classic(1000, 1000, "Пакет")), [0xFF, 0x0D, 0]);
    assert_eq!(send(&mut r, 0x85, &close(20000)), [0x85, 0, 30, 0x8E, 0x03, 0, 0, 0], "change 9.10");
    let receipt = &r.receipts[0];
    assert_eq!(receipt.total(), 9100 + 8990 + 1000);
    assert_eq!(receipt.operations.len(), 2);
    assert_eq!(receipt.operations_v2[0].index, 1);
    assert_eq!(receipt.marks[0].position, 1);
    let printed: Vec<&str> = r.tape.iter().map(String::as_str).take(5).collect();
    assert_eq!(printed[0], "Батон 2000x4550 =9100");
    assert_eq!(printed[1], "Молоко 1x8990 =8990");
    assert!(printed[2].starts_with("[М+] 01046"));
    assert_eq!(printed[3..], ["Пакет 1000x1000 =1000", "ИТОГ =19090"]);
    assert_eq!(r.drawer, 19090);
}
