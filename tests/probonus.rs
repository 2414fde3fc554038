//! The ProBonus client against the emulator, over real HTTP on loopback:
//! both ways of authorisation (token; login with expiry, refresh and a new
//! login), the kopeck sums of register_check as the emulator checks them, a
//! lost answer that is never registered twice, partial and full returns,
//! registration by template and the failure branches.

use std::net::SocketAddr;
use std::time::Duration;

use kassa::core::money::Money;
use kassa::emulators::probonus::{Credentials, Emulator, demo};
use kassa::emulators::{Failure, Misbehaving, Serving};
use kassa::loyalty::probonus::{Auth, ProBonus, Rules, Settings, group_problems, wire};
use kassa::loyalty::{ClientId, Document, DocumentKind, Kept, Line, LoyaltyError, Payment, PaymentType, Profile, Request};

mod common;

/// What must never reach the log.
const SECRETS: &[&str] = &[
    // The bearer and refresh tokens the emulator issues (`access-N-…`), in any spelling of their keys.
    "access-1-",
    "refresh-1-",
    "api-token-secret",
    "p4ssw0rd-secret",
    "Bearer",
    "79161234567",
    "79035550101",
    "7770000000017",
];

const TOKEN: &str = "api-token-secret";
const PASSWORD: &str = "p4ssw0rd-secret";
const REST: u32 = 7;

use common::{at, line};

async fn start(ttl: Duration) -> (Emulator, SocketAddr) {
    let credentials = Credentials {
        token: Some(TOKEN.into()),
        login: Some(("kassa".into(), PASSWORD.into())),
        ttl,
    };
    let emulator = Emulator::new(credentials, REST, demo());
    emulator.set_delay(Duration::from_secs(2));
    let addr = emulator.clone().spawn("127.0.0.1:0".parse().expect("addr")).await.expect("bind");
    (emulator, addr)
}

fn client(addr: SocketAddr, auth: Auth) -> ProBonus {
    ProBonus::new(Settings {
        url: format!("http://{addr}"),
        auth,
        rest_code: REST,
        rk_unit: 999,
        account_group: Some(3),
        rules: Rules::default(),
        timeout: Duration::from_millis(500),
        deadline: Default::default(),
    })
    .expect("client")
}

fn token() -> Auth {
    Auth::Token(TOKEN.into())
}

fn anna() -> ClientId {
    ClientId::Phone("+79161234567".into())
}

/// Two lines, 1000.00 and 300.00; `bonus` paid of the first.
fn sale(uid: &str, bonus: i64) -> Document {
    Document {
        uid: uid.into(),
        kind: DocumentKind::Sale,
        shift: 3,
        number: 12,
        at: at(10),
        lines: vec![line(1, "100", 500_00, 2000, 1000_00 - bonus), line(2, "200", 300_00, 1000, 300_00)],
        promo_code: None,
        closed_at: Some(at(10)),
        certificates: Vec::new(),
    }
}

fn confirm(document: Document, bonus: i64) -> Request {
    let money = document.lines.iter().map(|l| l.total.0).sum();
    let mut payments = vec![Payment {
        kind: PaymentType::Cash,
        amount: Money(money),
    }];
    if bonus > 0 {
        payments.push(Payment {
            kind: PaymentType::Bonus,
            amount: Money(bonus),
        });
    }
    Request::Confirm {
        client: anna(),
        document,
        payments,
    }
}

fn calls(emulator: &Emulator, path: &str) -> usize {
    emulator.log().iter().filter(|l| l.path == path).count()
}

#[tokio::test]
async fn a_sale_counts_once_even_when_its_answer_is_lost() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start(Duration::from_secs(3600)).await;
    let probonus = client(addr, token());
    let info = probonus
        .call(
            &Request::ClientInfo {
                client: anna(),
                history: true,
            },
            at(9),
        )
        .await
        .expect("found");
    let guest = info.client.expect("client info");
    assert_eq!(guest.balance, Some(Money(1500_00)));
    assert_eq!(guest.burning.len(), 1, "{guest:?}");
    assert_eq!(guest.burning[0].amount, Money(200_00));

    // The limit: Серебро lets bonuses pay 50 % of the receipt, within the balance.
    let calculated = probonus
        .call(
            &Request::Calculate {
                client: anna(),
                document: sale("x", 0),
            },
            at(10),
        )
        .await
        .expect("calculated");
    assert_eq!(calculated.client.and_then(|c| c.available), Some(Money(650_00)));
    let too_much = probonus
        .call(
            &Request::PayByBonus {
                client: anna(),
                document: sale("x", 0),
                amount: Money(650_01),
            },
            at(10),
        )
        .await
        .expect_err("above the limit");
    assert!(!too_much.is_link(), "{too_much}");

    // find_by_phone and the lookup answer; register_check is taken and answered too late.
    let uid = "5b0c5a52-6f43-4b8e-9f0e-0a6cbb0f4a11";
    emulator.fail(Failure::Timeout, 1, 2);
    let lost = probonus
        .call(&confirm(sale(uid, 200_00), 200_00), at(10))
        .await
        .expect_err("timed out");
    assert!(lost.is_link(), "{lost}");
    // 1500.00 − 200.00 + 5 % of the 1100.00 paid in money.
    assert_eq!(emulator.balance("+79161234567"), Some(Money(1355_00)));
    // The resend finds the check among the transactions and does not repeat it.
    probonus.call(&confirm(sale(uid, 200_00), 200_00), at(11)).await.expect("done");
    assert_eq!(emulator.balance("+79161234567"), Some(Money(1355_00)));
    assert_eq!(emulator.repeats(), 0, "kassa never sends a checkGuid twice");
    assert_eq!(calls(&emulator, wire::REGISTER_CHECK), 1);
    assert!(emulator.registered(uid));
}

#[tokio::test]
async fn partial_then_full_return_leaves_the_balance_where_it_started() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start(Duration::from_secs(3600)).await;
    let probonus = client(addr, token());
    let sale_uid = "0d8f3c1e-2b7a-4c55-8e1d-93f0b6f1c201";
    probonus.call(&confirm(sale(sale_uid, 200_00), 200_00), at(10)).await.expect("sale");
    assert_eq!(emulator.balance("+79161234567"), Some(Money(1355_00)));
    let returning = |uid: &str, lines: Vec<Line>, kept: Kept| Document {
        uid: uid.into(),
        kind: DocumentKind::Return {
            reference_uid: sale_uid.into(),
            sale: None,
            kept: Some(kept),
        },
        shift: 3,
        number: 13,
        at: at(12),
        lines,
        promo_code: None,
        closed_at: Some(at(12)),
        certificates: Vec::new(),
    };
    // The 300.00 line comes back; the guest keeps the first with its 200.00 of bonuses.
    let first = returning(
        "r1",
        vec![line(1, "200", 300_00, 1000, 300_00)],
        Kept {
            lines: vec![line(1, "100", 500_00, 2000, 800_00)],
            bonus: Money(200_00),
            earlier_returns: 0,
        },
    );
    probonus.call(&confirm(first, 0), at(12)).await.expect("partial return");
    // Rolled back to 1500.00; then −200.00 + 5 % of 800.00.
    assert_eq!(emulator.balance("+79161234567"), Some(Money(1340_00)));
    assert!(!emulator.registered(sale_uid));
    let second = returning(
        "r2",
        vec![line(1, "100", 500_00, 2000, 800_00)],
        Kept {
            lines: Vec::new(),
            bonus: Money::ZERO,
            earlier_returns: 1,
        },
    );
    // find_by_phone answers; return_check is processed and its answer lost.
    emulator.fail(Failure::Lost, 1, 1);
    let lost = probonus.call(&confirm(second.clone(), 0), at(13)).await;
    assert!(lost.as_ref().is_err_and(LoyaltyError::unanswered), "{lost:?}");
    assert_eq!(emulator.balance("+79161234567"), Some(Money(1500_00)));
    // The resend is refused («Чек уже возвращён»); the check's transactions
    // add up to nothing, so the return is done, not a refusal to archive.
    probonus.call(&confirm(second, 0), at(13)).await.expect("full return, already done");
    assert_eq!(emulator.balance("+79161234567"), Some(Money(1500_00)));
    assert_eq!(emulator.repeats(), 1, "the one refused second return_check, nothing counted twice");
}

#[tokio::test]
async fn a_blocked_guest_is_a_refusal_with_the_servers_text_not_a_lost_link() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start(Duration::from_secs(3600)).await;
    assert!(emulator.block("+79161234567", "Гость заблокирован"));
    let probonus = client(addr, token());
    let info = Request::ClientInfo {
        client: anna(),
        history: false,
    };
    let refused = probonus.call(&info, at(10)).await.expect_err("403");
    assert!(
        !refused.unanswered() && refused.to_string().contains("Гость заблокирован"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn login_refreshes_an_expired_token_and_a_wrong_password_is_no_link() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start(Duration::from_secs(3600)).await;
    let login = || Auth::Login {
        login: "kassa".into(),
        password: PASSWORD.into(),
    };
    let probonus = client(addr, login());
    let info = Request::ClientInfo {
        client: anna(),
        history: false,
    };
    probonus.call(&info, at(9)).await.expect("logged in");
    assert_eq!(calls(&emulator, wire::LOGIN), 1);
    emulator.expire_tokens();
    probonus.call(&info, at(9)).await.expect("refreshed after the 401");
    assert_eq!(calls(&emulator, wire::REFRESH_TOKEN), 1);
    assert_eq!(calls(&emulator, wire::LOGIN), 1, "the refresh token sufficed");

    // The server's password changes: refresh and login refused — a link
    // failure, so that queued checks wait instead of being archived.
    emulator.set_key("new-password");
    let refused = probonus.call(&info, at(9)).await.expect_err("no way in");
    assert!(refused.is_link(), "{refused}");

    // A wrong permanent token likewise.
    let wrong = client(addr, Auth::Token("wrong".into()));
    assert!(wrong.call(&info, at(9)).await.is_err_and(|e| e.is_link()));
    // Every request the emulator logged went without a secret in its body.
    for logged in emulator.log() {
        assert!(!logged.body.contains(PASSWORD) && !logged.body.contains("access-"), "{logged:?}");
    }
}

#[tokio::test]
async fn registration_by_template_and_failures() {
    let _logs = common::logs_without(SECRETS);
    let (emulator, addr) = start(Duration::from_secs(3600)).await;
    let probonus = client(addr, token());
    let groups = probonus.groups().await.expect("groups");
    assert!(group_problems(&groups, Some(3)).is_empty());
    assert_eq!(group_problems(&groups, Some(1)).len(), 1, "group 1 has no template");
    assert_eq!(group_problems(&groups, Some(99)).len(), 1);

    let profile = Profile {
        surname: "Петров".into(),
        name: "Пётр".into(),
        ..Profile::default()
    };
    let register = |phone: &str| Request::Register {
        phone: phone.into(),
        profile: profile.clone(),
    };
    let taken = probonus.call(&register("+79161234567"), at(9)).await.expect_err("taken");
    assert!(!taken.is_link());
    let reply = probonus.call(&register("+79035550101"), at(9)).await.expect("registered");
    let guest = reply.client.expect("the new guest");
    assert_eq!((guest.name.as_deref(), guest.balance), (Some("Петров Пётр"), Some(Money(100_00))));

    // A card is not a ProBonus identifier; an unknown phone is not found.
    let card = Request::ClientInfo {
        client: ClientId::Card("7770000000017".into()),
        history: false,
    };
    assert!(matches!(probonus.call(&card, at(9)).await, Err(LoyaltyError::Refused { .. })));
    let unknown = Request::ClientInfo {
        client: ClientId::Phone("+79990000000".into()),
        history: false,
    };
    assert!(matches!(probonus.call(&unknown, at(9)).await, Err(LoyaltyError::Refused { .. })));

    let info = Request::ClientInfo {
        client: anna(),
        history: false,
    };
    for (failure, link) in [
        (Failure::Http500, true),
        (Failure::Drop, true),
        (Failure::Timeout, true),
        (Failure::Malformed, false),
        (Failure::Error, false),
    ] {
        emulator.fail(failure, 1, 0);
        let error = probonus.call(&info, at(9)).await.expect_err("fails");
        assert_eq!(error.is_link(), link, "{failure:?}: {error}");
    }
    // A check whose sums break the level's rules is refused by the server.
    let mut document = sale("7c3e1f00-1d2b-4e6a-8b9c-0d1e2f3a4b5c", 0);
    document.lines[0].total = Money(1000_00);
    let greedy = Request::Confirm {
        client: anna(),
        document,
        payments: vec![Payment {
            kind: PaymentType::Bonus,
            amount: Money(1400_00),
        }],
    };
    assert!(matches!(probonus.call(&greedy, at(10)).await, Err(LoyaltyError::Refused { .. })));
}
