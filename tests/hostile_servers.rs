//! Loyalty servers that misbehave at the transport: an answer that never
//! ends, an answer far too long. Each is a few lines of raw HTTP on loopback.

use std::net::SocketAddr;
use std::time::Duration;

use kassa::loyalty::{ClientId, LoyaltyError, Request, frontol, kilbil, maxbonus, probonus};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TIMEOUT: Duration = Duration::from_secs(3);

/// How the server answers every request.
#[derive(Clone, Copy)]
enum Answer {
    /// 200, no length, and a JSON array that never ends (64 KiB a millisecond).
    Endless,
    /// 200 with a valid JSON body of 2 MiB, its length announced.
    Huge,
}

async fn serve(answer: Answer) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                // The request is small: one read takes its head (and body).
                let mut request = vec![0u8; 64 * 1024];
                let _ = stream.read(&mut request).await;
                let _ = match answer {
                    Answer::Endless => endless(&mut stream).await,
                    Answer::Huge => huge(&mut stream).await,
                };
            });
        }
    });
    addr
}

async fn endless(stream: &mut tokio::net::TcpStream) -> std::io::Result<()> {
    stream
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[")
        .await?;
    let chunk = "1,".repeat(32 * 1024);
    loop {
        stream.write_all(chunk.as_bytes()).await?;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn huge(stream: &mut tokio::net::TcpStream) -> std::io::Result<()> {
    let body = format!(r#"{{"message":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await
}

/// The balance enquiry of every protocol against the server at `addr`.
async fn ask_all(addr: SocketAddr) -> Vec<(&'static str, Result<kassa::loyalty::Reply, LoyaltyError>)> {
    let url = format!("http://{addr}");
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("date");
    let request = Request::ClientInfo {
        client: ClientId::Phone("+79161234567".into()),
        history: false,
    };
    let frontol = frontol::Frontol::new(frontol::Settings {
        url: url.clone(),
        key: None,
        organization: "ООО Ромашка".into(),
        business_unit: "0001".into(),
        work_place: "01".into(),
        timeout: TIMEOUT,
        deadline: Default::default(),
    })
    .expect("client");
    let kilbil = kilbil::KilBil::new(kilbil::Settings {
        url: url.clone(),
        key: "k".into(),
        store_code: "0001".into(),
        register_code: "01".into(),
        timeout: TIMEOUT,
        deadline: Default::default(),
    })
    .expect("client");
    let maxbonus = maxbonus::MaxBonus::new(maxbonus::Settings {
        url: url.clone(),
        token: "t".into(),
        timeout: TIMEOUT,
        deadline: Default::default(),
    })
    .expect("client");
    let probonus = probonus::ProBonus::new(probonus::Settings {
        url,
        auth: probonus::Auth::Token("t".into()),
        rest_code: 1,
        rk_unit: 999,
        account_group: Some(3),
        rules: probonus::Rules::default(),
        timeout: TIMEOUT,
        deadline: Default::default(),
    })
    .expect("client");
    vec![
        ("frontol", frontol.call(&request, now).await),
        ("kilbil", kilbil.call(&request, now).await),
        ("maxbonus", maxbonus.call(&request, now).await),
        ("probonus", probonus.call(&request, now).await),
    ]
}

/// Too long is "we do not know", given before the timeout, on every protocol.
async fn each_answer_is_unreadable(answer: Answer) {
    let addr = serve(answer).await;
    for (protocol, result) in ask_all(addr).await {
        assert!(
            matches!(&result, Err(LoyaltyError::Unreadable(text)) if text.contains("longer than 1048576 bytes")),
            "{protocol}: {result:?}"
        );
    }
}

#[tokio::test]
async fn an_endless_answer_is_cut_at_a_mebibyte_and_unreadable() {
    each_answer_is_unreadable(Answer::Endless).await;
}

#[tokio::test]
async fn an_answer_announced_too_long_is_not_read() {
    each_answer_is_unreadable(Answer::Huge).await;
}

/// A TLS server on loopback presenting the self-signed certificate of
/// `fixtures/tls`, which no system trusts; it serves handshakes until the test ends.
fn untrusted_tls_server() -> SocketAddr {
    let fixture = |name: &str| std::fs::read(format!("{}/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture");
    let cert = rustls::pki_types::CertificateDer::from(fixture("localhost.cert.der"));
    let key = rustls::pki_types::PrivateKeyDer::try_from(fixture("localhost.key.der")).expect("PKCS#8 key");
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("certificate");
    let config = std::sync::Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let Ok(connection) = rustls::ServerConnection::new(config.clone()) else {
                return;
            };
            let mut tls = rustls::StreamOwned::new(connection, stream);
            // The client gives up in the handshake: this read fails then.
            let mut request = [0u8; 1024];
            let _ = std::io::Read::read(&mut tls, &mut request);
        }
    });
    addr
}

#[tokio::test]
async fn an_untrusted_certificate_is_said_so_not_no_link() {
    let addr = untrusted_tls_server();
    let frontol = frontol::Frontol::new(frontol::Settings {
        url: format!("https://localhost:{}", addr.port()),
        key: None,
        organization: "ООО Ромашка".into(),
        business_unit: "0001".into(),
        work_place: "01".into(),
        timeout: TIMEOUT,
        deadline: Default::default(),
    })
    .expect("client");
    let request = Request::ClientInfo {
        client: ClientId::Phone("+79161234567".into()),
        history: false,
    };
    let result = frontol.call(&request, chrono::NaiveDateTime::default()).await;
    let Err(error @ LoyaltyError::Certificate(_)) = &result else {
        panic!("{result:?}");
    };
    // Nothing reached the server: the flow takes it as no link.
    assert!(error.is_link() && error.unanswered());
    let said = kassa::text::loyalty_error(error);
    assert!(said.contains("сертификат") && said.contains("не доверенный"), "{said}");
}
