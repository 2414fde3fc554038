//! The KilBil client against the emulator, over real HTTP on loopback:
//! every function, the key, idempotency of confirmsale, returns against the
//! sale, SMS codes, and each failure branch of the spec's table.

use std::net::SocketAddr;
use std::time::Duration;

use kassa::core::ledger::Kind;
use kassa::core::money::{Money, Quantity};
use kassa::emulators::kilbil::{Emulator, Rules, demo_clients, sms_code};
use kassa::emulators::{Failure, Misbehaving, Serving};
use kassa::loyalty::kilbil::{KilBil, Settings, move_id};
use kassa::loyalty::{ClientId, Document, DocumentKind, Line, LoyaltyError, Profile, Request, SaleRef};

mod common;

/// What must never reach the log.
const SECRETS: &[&str] = &["h-secret", "h=h-", "7770000000017", "7770000000024", "79035550101"];

const KEY: &str = "h-secret";

use common::at;

async fn start() -> (Emulator, SocketAddr) {
    let emulator = Emulator::new(KEY, demo_clients(), Rules::default());
    emulator.set_delay(Duration::from_secs(2));
    let addr = emulator.clone().spawn("127.0.0.1:0".parse().expect("addr")).await.expect("bind");
    (emulator, addr)
}

fn settings(addr: SocketAddr, key: &str) -> Settings {
    Settings {
        url: format!("http://{addr}"),
        key: key.into(),
        store_code: "0001".into(),
        register_code: "01".into(),
        timeout: Duration::from_millis(500),
        deadline: Default::default(),
    }
}

fn client_for(addr: SocketAddr, key: &str) -> KilBil {
    KilBil::new(settings(addr, key)).expect("client")
}

fn line(index: u32, code: &str, price: i64, min_price: i64, quantity: i64) -> Line {
    let total = Money(price).times(Quantity(quantity)).expect("small");
    Line {
        min_price: Money(min_price),
        ..common::line(index, code, price, quantity, total.0)
    }
}

fn sale(number: u32) -> Document {
    Document {
        uid: format!("u{number}"),
        kind: DocumentKind::Sale,
        shift: 3,
        number,
        at: at(10),
        lines: vec![line(1, "100", 1000_00, 500_00, 2000), line(2, "200", 300_00, 300_00, 1000)],
        promo_code: None,
        closed_at: None,
        certificates: Vec::new(),
    }
}

fn confirm(document: &Document) -> Request {
    Request::Confirm {
        client: card(),
        document: Document {
            closed_at: Some(document.at + chrono::Duration::minutes(5)),
            certificates: Vec::new(),
            ..document.clone()
        },
        payments: Vec::new(),
    }
}

fn card() -> ClientId {
    ClientId::Card("7770000000017".into())
}

#[tokio::test]
async fn sale_with_bonus_then_return_against_it() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start().await;
    let kilbil = client_for(addr, KEY);
    kilbil
        .call(&Request::CheckLink, at(9))
        .await
        .expect("the probe: not found is an answer");

    let info = kilbil
        .call(
            &Request::ClientInfo {
                client: card(),
                history: false,
            },
            at(9),
        )
        .await
        .expect("found");
    let client = info.client.expect("client");
    assert_eq!(client.name.as_deref(), Some("Смирнова Анна Сергеевна"));
    assert_eq!(client.balance, Some(Money(1500_00)));
    assert_eq!(client.available, Some(Money(1000_00)), "max_bill_bonus_out below the balance");

    let document = sale(7);
    let calculated = kilbil
        .call(
            &Request::Calculate {
                client: card(),
                document: document.clone(),
            },
            at(10),
        )
        .await
        .expect("processsale");
    // 3% off 1000.00 = 30.00 a piece, two pieces; the second line is at its minimum price.
    assert_eq!(calculated.discounts, vec![(1, Money(60_00))]);
    let paid = kilbil
        .call(
            &Request::PayByBonus {
                client: card(),
                document: document.clone(),
                amount: Money(100_00),
            },
            at(10),
        )
        .await
        .expect("processsale with bonus_out");
    assert_eq!(
        paid.distribution,
        Some(vec![(1, Money(100_00))]),
        "all on the line with room above its floor"
    );
    assert_eq!(
        emulator.balance("7770000000017"),
        Some(Money(1500_00)),
        "nothing spent before confirmsale"
    );

    kilbil.call(&confirm(&document), at(11)).await.expect("confirmsale");
    // Paid in money: 1940.00 + 300.00 − 100.00 = 2140.00; 5% accrued = 107.00.
    let after = Money(1500_00 - 100_00 + 107_00);
    assert_eq!(emulator.balance("7770000000017"), Some(after));
    kilbil.call(&confirm(&document), at(11)).await.expect("confirmsale again");
    assert_eq!(emulator.balance("7770000000017"), Some(after), "a repeated confirmsale counts once");
    let again = kilbil
        .call(
            &Request::Calculate {
                client: card(),
                document: document.clone(),
            },
            at(10),
        )
        .await;
    assert!(
        matches!(again, Err(LoyaltyError::Refused { .. })),
        "a confirmed move is not recalculated: {again:?}"
    );

    // Return one of the two pieces against the sale.
    let sale_ref = SaleRef {
        shift: 3,
        number: 7,
        opened_at: at(10),
    };
    let refund = Document {
        uid: "r1".into(),
        kind: DocumentKind::Return {
            reference_uid: "u7".into(),
            sale: Some(sale_ref.clone()),
            kept: None,
        },
        number: 8,
        at: at(12),
        lines: vec![Line {
            total: Money(970_00),
            ..line(1, "100", 1000_00, 500_00, 1000)
        }],
        ..document.clone()
    };
    kilbil
        .call(
            &Request::Calculate {
                client: card(),
                document: refund.clone(),
            },
            at(12),
        )
        .await
        .expect("return calculated");
    kilbil.call(&confirm(&refund), at(12)).await.expect("return confirmed");
    // Half of line 1's write-off (50.00) comes back; the accrual on the money
    // given back (920.00 of 2140.00: 46.00) goes.
    assert_eq!(emulator.balance("7770000000017"), Some(Money(after.0 + 50_00 - 46_00)));
    let books = emulator.ledger();
    assert_eq!(
        books.counted.iter().map(|c| (c.kind, c.paid, c.bonus)).collect::<Vec<_>>(),
        [
            (Kind::Sale, Money(2140_00), Money(100_00)),
            (Kind::Return, Money(920_00), Money(50_00))
        ]
    );

    // Two more pieces than are left: refused before processsale.
    let too_many = Document {
        lines: vec![line(1, "100", 1000_00, 500_00, 2000)],
        number: 9,
        ..refund.clone()
    };
    let refused = kilbil
        .call(
            &Request::Calculate {
                client: card(),
                document: too_many,
            },
            at(12),
        )
        .await;
    assert!(matches!(refused, Err(LoyaltyError::Refused { .. })), "{refused:?}");
    assert!(emulator.confirmed(&move_id(&settings(addr, KEY), 3, 7, at(10))));
}

#[tokio::test]
async fn registration_and_spend_codes() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start().await;
    let kilbil = client_for(addr, KEY);
    let phone = "+79035550101";
    let register = || Request::Register {
        phone: phone.into(),
        profile: Profile::default(),
    };
    let confirm_with = |code: String| Request::ConfirmRegistration {
        phone: phone.into(),
        code,
        profile: Profile::default(),
    };
    // The phone is confirmed first (askconfirmphone, sms_type 0); the client
    // is added only after the code (the referee refuses addclient before it).
    let registered = kilbil.call(&register(), at(9)).await.expect("askconfirmphone");
    assert!(registered.client.is_none(), "nobody exists yet");
    kilbil.call(&register(), at(9)).await.expect("a new code for the same phone");
    let wrong = kilbil.call(&confirm_with("0000".into()), at(9)).await;
    assert!(matches!(wrong, Err(LoyaltyError::Refused { .. })), "{wrong:?}");
    let confirmed = kilbil
        .call(&confirm_with(sms_code("79035550101")), at(9))
        .await
        .expect("the right code, then addclient");
    assert_eq!(confirmed.client.and_then(|c| c.balance), Some(Money::ZERO));
    let again = kilbil.call(&register(), at(9)).await;
    assert!(matches!(again, Err(LoyaltyError::Refused { .. })), "the phone is unique: {again:?}");

    // Spending needs the code sent to the client's phone.
    let client = ClientId::Card("7770000000017".into());
    kilbil
        .call(&Request::SendSpendCode { client: client.clone() }, at(9))
        .await
        .expect("askconfirmphone");
    kilbil
        .call(
            &Request::CheckSpendCode {
                client: client.clone(),
                code: sms_code("79161234567"),
            },
            at(9),
        )
        .await
        .expect("checkconfirmphonecode");
    // A card without a phone cannot get a code.
    let no_phone = kilbil
        .call(
            &Request::SendSpendCode {
                client: ClientId::Card("7770000000024".into()),
            },
            at(9),
        )
        .await;
    assert!(matches!(no_phone, Err(LoyaltyError::Refused { .. })), "{no_phone:?}");
    // The SMS code never reaches the emulator's log unmasked through kassa's log redaction.
    assert!(emulator.log().iter().any(|l| l.function == "checkconfirmphonecode"));
}

#[tokio::test]
async fn failures_follow_the_spec_table() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start().await;
    let kilbil = client_for(addr, KEY);
    let unknown = kilbil
        .call(
            &Request::ClientInfo {
                client: ClientId::Card("0000".into()),
                history: false,
            },
            at(9),
        )
        .await;
    assert!(matches!(unknown, Err(LoyaltyError::Refused { .. })), "not found: {unknown:?}");

    for failure in [Failure::Timeout, Failure::Drop, Failure::Http500] {
        emulator.fail(failure, 1, 0);
        let result = kilbil.call(&Request::CheckLink, at(9)).await;
        assert!(result.as_ref().is_err_and(LoyaltyError::is_link), "{failure:?}: {result:?}");
    }
    emulator.fail(Failure::Error, 1, 0);
    let result = kilbil.call(&Request::CheckLink, at(9)).await;
    assert!(matches!(result, Err(LoyaltyError::Refused { .. })), "{result:?}");
    // An answer cut short or lost is "we do not know", never a refusal.
    for failure in [Failure::Malformed, Failure::Lost] {
        emulator.fail(failure, 1, 0);
        let result = kilbil.call(&Request::CheckLink, at(9)).await;
        assert!(result.as_ref().is_err_and(LoyaltyError::unanswered), "{failure:?}: {result:?}");
    }
    let wrong_key = client_for(addr, "other").call(&Request::CheckLink, at(9)).await;
    assert!(
        wrong_key.is_err_and(|e| e.is_link()),
        "a wrong key is a negative answer (HTTP 401): queued work waits"
    );
    assert!(emulator.log().iter().any(|l| !l.key_ok));

    // confirmsale of a move the server never calculated is refused.
    let never = kilbil.call(&confirm(&sale(42)), at(11)).await;
    assert!(matches!(never, Err(LoyaltyError::Refused { .. })), "{never:?}");
    // A confirmation that timed out was processed: sending it again counts once.
    let document = sale(43);
    kilbil
        .call(
            &Request::Calculate {
                client: card(),
                document: document.clone(),
            },
            at(10),
        )
        .await
        .expect("processsale");
    emulator.fail(Failure::Timeout, 1, 0);
    assert!(kilbil.call(&confirm(&document), at(11)).await.is_err_and(|e| e.is_link()));
    let once = emulator.balance("7770000000017");
    kilbil.call(&confirm(&document), at(11)).await.expect("resent");
    assert_eq!(emulator.balance("7770000000017"), once);
}
