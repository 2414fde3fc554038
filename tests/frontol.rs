//! The Frontol Loyalty API client against the emulator, over real HTTP on
//! loopback: every request, the token, idempotency, and each failure branch.

use std::net::SocketAddr;
use std::time::Duration;

use kassa::core::money::Money;
use kassa::emulators::frontol::{Emulator, Failure, Rules, demo_clients};
use kassa::emulators::{Misbehaving, Serving};
use kassa::loyalty::frontol::{Frontol, Settings, token};
use kassa::loyalty::{ClientId, Deadline, Document, DocumentKind, Line, LoyaltyError, Payment, PaymentType, Request};

mod common;

/// What must never reach the log.
const SECRETS: &[&str] = &["secret-key", "FrontolAuth", "7770000000017", "7770000000031"];

const KEY: &str = "secret-key";

fn now() -> chrono::NaiveDateTime {
    common::at(10)
}

async fn start(key: Option<&str>) -> (Emulator, SocketAddr) {
    let emulator = Emulator::new(key.map(str::to_string), demo_clients(), Rules::default());
    emulator.set_delay(Duration::from_secs(2));
    let addr = emulator.clone().spawn("127.0.0.1:0".parse().expect("addr")).await.expect("bind");
    (emulator, addr)
}

fn client_for(addr: SocketAddr, key: Option<&str>) -> Frontol {
    Frontol::new(Settings {
        key: key.map(str::to_string),
        ..settings_for(addr)
    })
    .expect("client")
}

fn settings_for(addr: SocketAddr) -> Settings {
    Settings {
        url: format!("http://{addr}"),
        key: None,
        organization: "ООО Ромашка".into(),
        business_unit: "0001".into(),
        work_place: "01".into(),
        timeout: Duration::from_millis(500),
        deadline: Default::default(),
    }
}

fn line(index: u32, price: i64, min_price: i64, quantity: i64, total: i64) -> Line {
    Line {
        name: format!("Товар {index}"),
        min_price: Money(min_price),
        ..common::line(index, &format!("{index}00"), price, quantity, total)
    }
}

fn sale(uid: &str) -> Document {
    Document {
        uid: uid.into(),
        kind: DocumentKind::Sale,
        shift: 1,
        number: 1,
        at: now(),
        lines: vec![line(1, 2500_00, 1000_00, 2000, 5000_00), line(2, 780_90, 700_00, 732, 571_62)],
        promo_code: None,
        closed_at: None,
        certificates: Vec::new(),
    }
}

fn card() -> ClientId {
    ClientId::Card("7770000000017".into())
}

#[tokio::test]
async fn calculate_pay_cancel_confirm_and_refund() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start(Some(KEY)).await;
    let frontol = client_for(addr, Some(KEY));
    let document = sale("0a1b2c3d-0000-4000-8000-000000000001");

    let reply = frontol
        .call(
            &Request::Calculate {
                client: card(),
                document: document.clone(),
            },
            now(),
        )
        .await
        .expect("calculate");
    // 5% of each total within the floor: 250.00 on line 1, 28.58 → floor 512.40 allows 59.22, so 28.58.
    assert_eq!(reply.discounts, vec![(1, Money(250_00)), (2, Money(28_58))]);
    let client = reply.client.expect("client");
    assert_eq!(client.email.as_deref(), Some("anna@example.ru"));
    assert!(client.available.is_some_and(|a| a > Money::ZERO));
    assert!(!reply.messages.is_empty() && !reply.slips.is_empty());

    // The wire: token over the exact body, headers, fields.
    let logged = emulator.log();
    let first = &logged[0];
    assert_eq!(first.path, "/document");
    assert_eq!(
        first.authorization.as_deref(),
        Some(format!("FrontolAuth {}", token(KEY, first.body.as_bytes())).as_str())
    );
    let body: serde_json::Value = serde_json::from_str(&first.body).expect("json");
    assert_eq!(body["action"], "calculate");
    assert_eq!(body["type"], "receipt");
    assert_eq!(body["client"]["card"], "7770000000017");
    assert!(body["client"].get("mobilePhone").is_none(), "exactly one client key");
    assert_eq!(body["positions"][1]["quantity"].to_string(), "0.732");
    assert_eq!(body["positions"][0]["minimumPrice"].to_string(), "1000.00");

    // Pay 100.00 by bonus with the discounts applied.
    let mut discounted = document.clone();
    discounted.lines[0].total = Money(4750_00);
    discounted.lines[1].total = Money(543_04);
    let balance = emulator.balance("7770000000017").expect("client");
    let paid = frontol
        .call(
            &Request::PayByBonus {
                client: card(),
                document: discounted.clone(),
                amount: Money(100_00),
            },
            now(),
        )
        .await
        .expect("pay");
    let distribution = paid.distribution.expect("the emulator distributes");
    assert_eq!(distribution.iter().map(|(_, m)| m.0).sum::<i64>(), 100_00);
    assert_eq!(emulator.balance("7770000000017"), Some(Money(balance.0 - 100_00)));

    // Cancel it, then pay 50.00 again.
    frontol
        .call(
            &Request::CancelBonusPayment {
                client: card(),
                document: discounted.clone(),
                amount: Money(100_00),
            },
            now(),
        )
        .await
        .expect("cancel");
    assert_eq!(emulator.balance("7770000000017"), Some(balance));
    frontol
        .call(
            &Request::PayByBonus {
                client: card(),
                document: discounted.clone(),
                amount: Money(50_00),
            },
            now(),
        )
        .await
        .expect("pay again");

    // Confirm: totals net of the bonus equal the fiscal payments. Twice: counted once.
    let mut closed = discounted.clone();
    closed.lines[0].total = Money(4700_00);
    let payments = vec![
        Payment {
            kind: PaymentType::Bonus,
            amount: Money(50_00),
        },
        Payment {
            kind: PaymentType::Cash,
            amount: Money(3000_00),
        },
        Payment {
            kind: PaymentType::Card,
            amount: Money(2243_04),
        },
    ];
    let confirm = Request::Confirm {
        client: card(),
        document: closed.clone(),
        payments: payments.clone(),
    };
    frontol.call(&confirm, now()).await.expect("confirm");
    let after = emulator.balance("7770000000017").expect("client");
    assert_eq!(after, Money(balance.0 - 50_00 + 262_15), "5% of 5243.04 accrued");
    frontol.call(&confirm, now()).await.expect("the same confirm again");
    assert_eq!(emulator.balance("7770000000017"), Some(after), "a repeated confirm counts nothing");

    // Return one line by reference.
    let refund = Document {
        uid: "0a1b2c3d-0000-4000-8000-000000000002".into(),
        kind: DocumentKind::Return {
            reference_uid: closed.uid.clone(),
            sale: None,
            kept: None,
        },
        lines: vec![Line {
            index: 1,
            ..closed.lines[1].clone()
        }],
        ..closed.clone()
    };
    // The spec's refund example carries the bonus payment of the returned
    // line beside the money (the referee refuses a refund without it).
    let refund_payments = vec![
        Payment {
            kind: PaymentType::Bonus,
            amount: Money(5_13),
        },
        Payment {
            kind: PaymentType::Cash,
            amount: Money(543_04),
        },
    ];
    frontol
        .call(
            &Request::Confirm {
                client: card(),
                document: refund,
                payments: refund_payments,
            },
            now(),
        )
        .await
        .expect("refund");
    let last = emulator.log().last().cloned().expect("logged");
    let body: serde_json::Value = serde_json::from_str(&last.body).expect("json");
    assert_eq!(body["type"], "refundReceipt");
    assert_eq!(body["referenceUid"], closed.uid.as_str());
    assert!(
        emulator.balance("7770000000017").expect("client") < after,
        "the accrual is taken back in part"
    );

    // Balance enquiry.
    let info = frontol
        .call(
            &Request::ClientInfo {
                client: card(),
                history: false,
            },
            now(),
        )
        .await
        .expect("client info");
    assert!(info.messages.iter().any(|m| m.text.contains("Смирнова")));
}

#[tokio::test]
async fn a_wrong_key_is_refused_with_403_and_no_key_sends_no_header() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start(Some(KEY)).await;
    let wrong = client_for(addr, Some("other"));
    let error = wrong
        .call(
            &Request::ClientInfo {
                client: card(),
                history: false,
            },
            now(),
        )
        .await
        .expect_err("403");
    assert_eq!(
        error,
        LoyaltyError::Refused {
            text: "Неверный токен доступа".into()
        }
    );
    let none = client_for(addr, None);
    none.call(
        &Request::ClientInfo {
            client: card(),
            history: false,
        },
        now(),
    )
    .await
    .expect_err("no token");
    assert_eq!(emulator.log().last().and_then(|l| l.authorization.clone()), None);
}

#[tokio::test]
async fn failures_are_links_or_refusals() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start(None).await;
    let frontol = client_for(addr, None);
    let calculate = Request::Calculate {
        client: card(),
        document: sale("0a1b2c3d-0000-4000-8000-000000000003"),
    };
    let cases = [
        (Failure::Timeout, true, "within the timeout"),
        (Failure::Drop, true, ""),
        (Failure::Http500, false, "HTTP 500 Internal Server Error"),
        (Failure::Error, false, "Ошибка сервера лояльности"),
    ];
    for (failure, link, text) in cases {
        emulator.fail(failure, 1, 0);
        let error = frontol.call(&calculate, now()).await.expect_err("fails");
        assert_eq!(error.is_link(), link, "{failure:?}: {error}");
        assert!(error.to_string().contains(text), "{failure:?}: {error}");
    }
    // Processed, then the answer lost or cut short: "we do not know", never a refusal.
    for failure in [Failure::Lost, Failure::Malformed] {
        emulator.fail(failure, 1, 0);
        let error = frontol.call(&calculate, now()).await.expect_err("fails");
        assert!(error.unanswered(), "{failure:?}: {error}");
    }
    frontol.call(&calculate, now()).await.expect("works again");
    // Nobody listening at all.
    let dead = client_for("127.0.0.1:9".parse().expect("addr"), None);
    assert!(dead.call(&calculate, now()).await.is_err_and(|e| e.is_link()));
}

#[tokio::test]
async fn an_injected_deadline_ends_a_wait_as_the_timeout_does() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start(None).await;
    let calculate = Request::Calculate {
        client: card(),
        document: sale("0a1b2c3d-0000-4000-8000-000000000005"),
    };
    emulator.fail(Failure::Timeout, 1, 0);
    let timed_out = client_for(addr, None).call(&calculate, now()).await.expect_err("the timeout");
    // Its answer may still be held back (up to the delay): let it go.
    emulator.release_late();
    // A long timeout, and a deadline whose end the test says.
    let deadline = Deadline::injected();
    let frontol = Frontol::new(Settings {
        timeout: Duration::from_secs(20),
        deadline: deadline.clone(),
        ..settings_for(addr)
    })
    .expect("client");
    // Time's up said while nothing waits touches no later exchange.
    deadline.expire();
    frontol.call(&calculate, now()).await.expect("answered");
    emulator.fail(Failure::Timeout, 1, 0);
    let started = std::time::Instant::now();
    let (error, ()) = tokio::join!(frontol.call(&calculate, now()), async {
        // Processed and held back: the client waits for it.
        while emulator.held_late() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        deadline.expire();
        emulator.release_late();
        assert_eq!(emulator.held_late(), 0, "let go");
    });
    assert_eq!(error.expect_err("given up"), timed_out, "the same error as the timeout's");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "sooner than the answer: {:?}",
        started.elapsed()
    );
    frontol.call(&calculate, now()).await.expect("works again");
}

#[tokio::test]
async fn the_emulator_validates_what_it_reads() {
    let _logs = common::logs_without(SECRETS);
    let (_emulator, addr) = start(None).await;
    let frontol = client_for(addr, None);
    let mut document = sale("0a1b2c3d-0000-4000-8000-000000000004");
    document.lines[1].index = 5;
    let error = frontol
        .call(&Request::Calculate { client: card(), document }, now())
        .await
        .expect_err("bad index");
    assert!(error.to_string().contains("positions[1].index = 5"), "{error}");
    let blocked = ClientId::Card("7770000000031".into());
    let error = frontol
        .call(
            &Request::ClientInfo {
                client: blocked,
                history: false,
            },
            now(),
        )
        .await
        .expect_err("blocked");
    assert!(error.to_string().contains("заблокирована"));
    let unknown = ClientId::Card("1".into());
    assert!(
        frontol
            .call(
                &Request::ClientInfo {
                    client: unknown,
                    history: false
                },
                now()
            )
            .await
            .is_err_and(|e| e.to_string().starts_with("Клиент не найден"))
    );
    // More bonus than available is refused.
    let huge = Request::PayByBonus {
        client: card(),
        document: sale("0a1b2c3d-0000-4000-8000-000000000005"),
        amount: Money(100_000_00),
    };
    assert!(
        frontol
            .call(&huge, now())
            .await
            .is_err_and(|e| e.to_string().starts_with("Доступно к оплате бонусами"))
    );
    // A confirm whose totals do not match its payments.
    let wrong = Request::Confirm {
        client: card(),
        document: sale("0a1b2c3d-0000-4000-8000-000000000006"),
        payments: vec![],
    };
    assert!(
        frontol
            .call(&wrong, now())
            .await
            .is_err_and(|e| e.to_string().contains("не равна сумме фискальных оплат"))
    );
}

#[tokio::test]
async fn a_bad_distribution_is_returned_when_asked() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start(None).await;
    let frontol = client_for(addr, None);
    emulator.fail(Failure::BadDistribution, 1, 0);
    let pay = Request::PayByBonus {
        client: card(),
        document: sale("0a1b2c3d-0000-4000-8000-000000000007"),
        amount: Money(300_00),
    };
    let reply = frontol.call(&pay, now()).await.expect("answers");
    // Line 1 (floor 2000.00) is paid in full: far below its minimum price.
    assert_eq!(reply.distribution, Some(vec![(1, Money(5000_00))]));
}
