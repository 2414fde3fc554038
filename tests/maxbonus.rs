//! The MaxBonus client against the emulator, over real HTTP on loopback:
//! a write whose answer was lost (the hung register) is rolled back and
//! written once; partial and full returns add up; certificates are debited
//! only by the write; the failure classes; no secret reaches the wire log.

use chrono::NaiveDate;
use std::net::SocketAddr;
use std::time::Duration;

use kassa::core::money::Money;
use kassa::emulators::maxbonus::{Emulator, SMS_CODE, demo};
use kassa::emulators::{Failure, Misbehaving, Serving};
use kassa::loyalty::maxbonus::{MaxBonus, Settings, wire};
use kassa::loyalty::{CertificatePayment, ClientId, Document, DocumentKind, Kept, Line, Payment, PaymentType, Profile, Request};

mod common;

/// What must never reach the log.
const SECRETS: &[&str] = &["outlet-token-secret", "79031112233", "79161234567", "\"1234\""];

const TOKEN: &str = "outlet-token-secret";

use common::at;

async fn start() -> (Emulator, SocketAddr) {
    let emulator = Emulator::new(TOKEN, demo());
    emulator.set_delay(Duration::from_secs(2));
    let addr = emulator.clone().spawn("127.0.0.1:0".parse().expect("addr")).await.expect("bind");
    (emulator, addr)
}

fn client(addr: SocketAddr, token: &str) -> MaxBonus {
    MaxBonus::new(Settings {
        url: format!("http://{addr}"),
        token: token.into(),
        timeout: Duration::from_millis(500),
        deadline: Default::default(),
    })
    .expect("client")
}

fn anna() -> ClientId {
    ClientId::Phone("+79161234567".into())
}

fn line(index: u32, code: &str, price: i64, quantity: i64, before: i64, total: i64) -> Line {
    Line {
        before_loyalty: Money(before),
        ..common::line(index, code, price, quantity, total)
    }
}

/// 2 × 500.00 and 1 × 300.00; `bonus` paid of the first line.
fn sale(uid: &str, bonus: i64) -> Document {
    Document {
        uid: uid.into(),
        kind: DocumentKind::Sale,
        shift: 3,
        number: 12,
        at: at(10),
        lines: vec![
            line(1, "100", 500_00, 2000, 1000_00, 1000_00 - bonus),
            line(2, "200", 300_00, 1000, 300_00, 300_00),
        ],
        promo_code: None,
        closed_at: Some(at(10)),
        certificates: Vec::new(),
    }
}

fn confirm(client: ClientId, document: Document, bonus: i64) -> Request {
    let mut payments = vec![Payment {
        kind: PaymentType::Cash,
        amount: Money(document.lines.iter().map(|l| l.total.0).sum()),
    }];
    if bonus > 0 {
        payments.push(Payment {
            kind: PaymentType::Bonus,
            amount: Money(bonus),
        });
    }
    Request::Confirm {
        client,
        document,
        payments,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_whose_answer_was_lost_is_rolled_back_and_counted_once() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start().await;
    let maxbonus = client(addr, TOKEN);
    let uid = "9a1b3c5d-0000-8000-8000-000000000001";
    let pay = Request::PayByBonus {
        client: anna(),
        document: sale(uid, 0),
        amount: Money(200_00),
    };
    let reply = maxbonus.call(&pay, at(10)).await.expect("the write-off calculated");
    assert_eq!(
        reply.distribution,
        Some(vec![(1, Money(200_00))]),
        "the server's split, where it fits above the minimum prices"
    );
    // The write is taken, its answer comes too late: the register hangs.
    emulator.fail(Failure::Timeout, 1, 0);
    let write = confirm(anna(), sale(uid, 200_00), 200_00);
    let lost = maxbonus.call(&write, at(10)).await.expect_err("no answer");
    assert!(lost.is_link(), "{lost}");
    assert!(emulator.written(uid));
    // 1500.00 − 200.00 + 5 % of 1100.00.
    assert_eq!(emulator.balance("+79161234567"), Some(Money(1355_00)));
    // Closing again: "already processed" → rollback → written once, as closed.
    let reply = maxbonus.call(&write, at(10)).await.expect("written again");
    assert_eq!(emulator.calls(wire::ROLLBACK), 1);
    assert_eq!(emulator.written_count(), 1);
    assert_eq!(emulator.balance("+79161234567"), Some(Money(1355_00)), "not spent or accrued twice");
    assert!(reply.footer.iter().any(|l| l == "Начислено бонусов: 55.00"), "{:?}", reply.footer);
    // A third send (a queue resend) changes nothing either.
    maxbonus.call(&write, at(10)).await.expect("idempotent");
    assert_eq!(emulator.balance("+79161234567"), Some(Money(1355_00)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_and_full_returns_give_back_exactly_the_sale() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start().await;
    let maxbonus = client(addr, TOKEN);
    let sale_uid = "9a1b3c5d-0000-8000-8000-000000000002";
    maxbonus
        .call(&confirm(anna(), sale(sale_uid, 200_00), 200_00), at(10))
        .await
        .expect("sale");
    assert_eq!(emulator.balance("+79161234567"), Some(Money(1355_00)));
    let returning = |uid: &str, lines: Vec<Line>, kept: Vec<Line>| Document {
        uid: uid.into(),
        kind: DocumentKind::Return {
            reference_uid: sale_uid.into(),
            sale: None,
            kept: Some(Kept {
                lines: kept,
                ..Kept::default()
            }),
        },
        lines,
        ..sale(uid, 0)
    };
    // One of the two 500.00 pieces (the return's line 1 is the sale's line 1).
    let mut piece = line(1, "100", 500_00, 1000, 400_00, 400_00);
    piece.sale_index = Some(1);
    let first = returning("r1", vec![piece], vec![line(1, "100", 500_00, 1000, 400_00, 400_00)]);
    maxbonus
        .call(&confirm(anna(), first.clone(), 0), at(11))
        .await
        .expect("partial return");
    // Half the write-off back (100.00), half the first line's accrual (40.00 of 80.00... 5 % of 800.00) taken.
    assert_eq!(emulator.balance("+79161234567"), Some(Money(1355_00 + 100_00 - 20_00)));
    // The same return again (a queue resend) is taken as done.
    maxbonus.call(&confirm(anna(), first, 0), at(11)).await.expect("repeat");
    assert_eq!(emulator.balance("+79161234567"), Some(Money(1435_00)));
    // The rest: sent with no positions, the balance is where it started.
    let rest = returning("r2", vec![line(1, "100", 500_00, 1000, 400_00, 400_00)], Vec::new());
    maxbonus.call(&confirm(anna(), rest, 0), at(12)).await.expect("full return");
    assert_eq!(emulator.balance("+79161234567"), Some(Money(1500_00)));
    let full = emulator
        .log()
        .into_iter()
        .rfind(|l| l.path.ends_with(wire::RETURN))
        .expect("logged");
    assert!(full.body.contains(r#""items":[]"#), "{}", full.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_pay_through_the_write_only() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start().await;
    let maxbonus = client(addr, TOKEN);
    let info = maxbonus
        .call(&Request::CertificateInfo { code: "CERT-USED".into() }, at(10))
        .await
        .expect("info");
    assert!(info.certificate.is_some_and(|c| !c.usable));
    let info = maxbonus
        .call(&Request::CertificateInfo { code: "CERT-500".into() }, at(10))
        .await
        .expect("info");
    assert_eq!(info.certificate.map(|c| (c.usable, c.balance)), Some((true, Money(500_00))));
    let mut paid = sale("9a1b3c5d-0000-8000-8000-000000000003", 0);
    paid.certificates = vec![CertificatePayment {
        code: "CERT-500".into(),
        pin: "0000".into(),
        amount: Money(500_00),
    }];
    let wrong = maxbonus.call(&confirm(ClientId::Anonymous, paid.clone(), 0), at(10)).await;
    assert!(wrong.is_err_and(|e| e.to_string().contains("Неверный пин сертификата")));
    assert_eq!(emulator.certificate_balance("CERT-500"), Some(Money(500_00)));
    paid.certificates[0].pin = "3333".into();
    maxbonus
        .call(&confirm(ClientId::Anonymous, paid, 0), at(10))
        .await
        .expect("anonymous with a certificate");
    assert_eq!(emulator.certificate_balance("CERT-500"), Some(Money::ZERO));
    // The anonymous customer can neither spend nor gain.
    let spend = Request::PayByBonus {
        client: ClientId::Anonymous,
        document: sale("9a1b3c5d-0000-8000-8000-000000000004", 0),
        amount: Money(1_00),
    };
    assert!(maxbonus.call(&spend, at(10)).await.is_err_and(|e| !e.is_link()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_read_as_the_cashier_and_the_queue_need() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start().await;
    let maxbonus = client(addr, TOKEN);
    let info = |client: ClientId| Request::ClientInfo { client, history: false };
    let unknown = maxbonus.call(&info(ClientId::Phone("+79990000000".into())), at(10)).await;
    assert!(unknown.is_err_and(|e| e.to_string().contains("Покупатель не найден")));
    // A wrong outlet token: the cashier reads it; a queued write waits for support.
    let wrong = client(addr, "wrong");
    let refused = wrong.call(&info(anna()), at(10)).await.expect_err("401");
    assert!(!refused.is_link() && refused.to_string().contains("401"), "{refused}");
    let queued = wrong
        .call(&confirm(anna(), sale("9a1b3c5d-0000-8000-8000-000000000005", 0), 0), at(10))
        .await;
    assert!(queued.is_err_and(|e| e.is_link()));
    emulator.fail(Failure::Http500, 1, 0);
    assert!(maxbonus.call(&info(anna()), at(10)).await.is_err_and(|e| e.is_link()));
    // An answer cut short is "we do not know", never a refusal.
    emulator.fail(Failure::Malformed, 1, 0);
    assert!(maxbonus.call(&info(anna()), at(10)).await.is_err_and(|e| e.unanswered()));
    // Pins: asked, a wrong one refused, the right one lets the customer spend.
    let ivan = ClientId::Card("482913".into());
    let found = maxbonus.call(&info(ivan.clone()), at(10)).await.expect("short code");
    let known = found.client.and_then(|c| c.spend_code.then_some(c.known_as)).flatten();
    assert_eq!(known, Some(ClientId::Phone("+79211022546".into())));
    let ivan = known.unwrap_or(ivan);
    maxbonus
        .call(&Request::SendSpendCode { client: ivan.clone() }, at(10))
        .await
        .expect("askpin");
    let check = |code: &str| Request::CheckSpendCode {
        client: ivan.clone(),
        code: code.into(),
    };
    assert!(
        maxbonus
            .call(&check("0000"), at(10))
            .await
            // The server's own text of its 422, not "customer not found".
            .is_err_and(|e| e.to_string().contains("Неверный ПИН"))
    );
    maxbonus.call(&check(SMS_CODE), at(10)).await.expect("checkpin");
    maxbonus
        .call(&confirm(ivan, sale("9a1b3c5d-0000-8000-8000-000000000006", 100_00), 100_00), at(10))
        .await
        .expect("spent with the pin");
    assert_eq!(emulator.sms("+79211022546"), ["pin"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_and_no_secret_on_the_wire_log() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start().await;
    let maxbonus = client(addr, TOKEN);
    let phone = "+79031112233".to_string();
    let profile = Profile {
        surname: "Петров".into(),
        name: "Пётр".into(),
        patronymic: String::new(),
        birth_date: NaiveDate::from_ymd_opt(1990, 2, 1),
        sex: Some('м'),
    };
    let register = Request::Register {
        phone: phone.clone(),
        profile: profile.clone(),
    };
    maxbonus.call(&register, at(10)).await.expect("SMS sent");
    maxbonus
        .call(&Request::ResendRegistrationCode { phone: phone.clone() }, at(10))
        .await
        .expect("again");
    let confirm_with = |code: &str| Request::ConfirmRegistration {
        phone: phone.clone(),
        code: code.into(),
        profile: profile.clone(),
    };
    assert!(maxbonus.call(&confirm_with("0000"), at(10)).await.is_err());
    let reply = maxbonus.call(&confirm_with(SMS_CODE), at(10)).await.expect("registered");
    assert_eq!(reply.client.and_then(|c| c.balance), Some(Money(100_00)));
    assert_eq!(emulator.sms(&phone), ["registration", "registration"]);
    maxbonus
        .call(&Request::SendChatBotLink { client: anna() }, at(10))
        .await
        .expect("chat bot");
    let logged: String = emulator.log().iter().map(|l| l.body.clone()).collect();
    for secret in [SMS_CODE, "79031112233", "79161234567", "ct-"] {
        assert!(!logged.contains(secret), "{secret} in the wire log: {logged}");
    }
    let goods = vec![wire::Good {
        code: "1001".into(),
        name: "Молоко".into(),
        price: wire::Amount(Money(149_50)),
        unit: "pcs".into(),
    }];
    assert_eq!(maxbonus.import(goods).await, Ok(1));
    assert_eq!(emulator.goods(), 1);
}
