//! The direct client against a scripted server that sends exact bytes: framing, keep-alive
//! and failures, one case each.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// What the server sends for one request: `pieces` written one by one with `gap` between
/// them, then the connection closed if `close`.
#[derive(Clone)]
struct Reply {
    pieces: Vec<Vec<u8>>,
    gap: Duration,
    close: bool,
}

fn reply(text: &str) -> Reply {
    Reply {
        pieces: vec![text.as_bytes().to_vec()],
        gap: Duration::ZERO,
        close: false,
    }
}

impl Reply {
    fn in_pieces(text: &str, size: usize, gap: Duration) -> Self {
        Self {
            pieces: text.as_bytes().chunks(size).map(<[u8]>::to_vec).collect(),
            gap,
            close: false,
        }
    }

    fn then_close(mut self) -> Self {
        self.close = true;
        self
    }
}

/// Answers requests with the script's replies in order, over however many connections the
/// client opens; records every request and counts connections.
struct Scripted {
    url: Url,
    requests: Arc<Mutex<Vec<Vec<u8>>>>,
    connections: Arc<AtomicUsize>,
}

impl Scripted {
    async fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let replies = Arc::new(Mutex::new(replies.into_iter()));
        let (log, count) = (Arc::clone(&requests), Arc::clone(&connections));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(answer(stream, Arc::clone(&replies), Arc::clone(&log)));
            }
        });
        Self {
            url,
            requests,
            connections,
        }
    }

    fn url(&self, path: &str) -> Url {
        self.url.join(path).unwrap()
    }

    fn requests(&self) -> Vec<String> {
        let log = self.requests.lock().unwrap();
        log.iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect()
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

async fn answer(
    mut stream: TcpStream,
    replies: Arc<Mutex<std::vec::IntoIter<Reply>>>,
    log: Arc<Mutex<Vec<Vec<u8>>>>,
) {
    let mut pending = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut pending).await else {
            return;
        };
        log.lock().unwrap().push(request);
        let Some(reply) = replies.lock().unwrap().next() else {
            return;
        };
        for (i, piece) in reply.pieces.iter().enumerate() {
            if i > 0 && !reply.gap.is_zero() {
                tokio::time::sleep(reply.gap).await;
            }
            if stream.write_all(piece).await.is_err() {
                return;
            }
        }
        if reply.close {
            return;
        }
    }
}

/// One whole request (head and `content-length` body), or `None` at the end of the stream.
async fn read_request(stream: &mut TcpStream, pending: &mut Vec<u8>) -> Option<Vec<u8>> {
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            let total = end + 4 + length;
            if pending.len() >= total {
                return Some(pending.drain(..total).collect());
            }
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        pending.extend_from_slice(&chunk[..n]);
    }
}

const TIMEOUTS: DirectSettings = DirectSettings {
    connect: Duration::from_secs(2),
    read: Some(Duration::from_secs(2)),
    version: HttpVersion::Auto,
    max_body: 64 << 20,
};

static TLS: std::sync::LazyLock<TlsClient> =
    std::sync::LazyLock::new(|| TlsClient::new(&super::super::TlsOptions::default()).unwrap());

fn route(settings: DirectSettings) -> Route<'static> {
    Route {
        settings,
        tls: &TLS,
        source: None,
    }
}

async fn send(
    slot: &mut Option<Link>,
    method: http::Method,
    url: &Url,
    body: &[u8],
) -> Result<Answer, WireError> {
    exchange(
        slot,
        &method,
        url,
        &HeaderMap::new(),
        body,
        route(TIMEOUTS),
        &mut Progress::default(),
    )
    .await
}

async fn get(slot: &mut Option<Link>, url: &Url) -> Result<Answer, WireError> {
    send(slot, http::Method::GET, url, b"").await
}

/// A GET that must fail: why, and how far the exchange got.
async fn failing_get(
    slot: &mut Option<Link>,
    url: &Url,
    timeouts: DirectSettings,
) -> (WireError, Progress) {
    let mut progress = Progress::default();
    let outcome = exchange(
        slot,
        &http::Method::GET,
        url,
        &HeaderMap::new(),
        b"",
        route(timeouts),
        &mut progress,
    )
    .await;
    (outcome.err().unwrap(), progress)
}

#[tokio::test]
async fn keep_alive_carries_requests_over_one_connection() {
    let server = Scripted::start(vec![
        reply("HTTP/1.1 200 OK\r\ncontent-length: 3\r\nx-n: 1\r\n\r\none"),
        reply("HTTP/1.1 201 Created\r\ncontent-length: 3\r\n\r\ntwo"),
    ])
    .await;
    let mut slot = None;
    let first = get(&mut slot, &server.url("/a?b=1#section")).await.unwrap();
    assert_eq!((first.status, &first.body[..]), (200, &b"one"[..]));
    assert_eq!(first.headers.map()["x-n"], "1");
    let second = send(
        &mut slot,
        http::Method::POST,
        &server.url("/c"),
        b"{\"k\":1}",
    )
    .await
    .unwrap();
    assert_eq!((second.status, &second.body[..]), (201, &b"two"[..]));
    assert!(slot.is_some(), "the connection is kept");
    assert_eq!(server.connections(), 1);
    let requests = server.requests();
    let port = server.url.port().unwrap();
    assert!(
        requests[0].starts_with("GET /a?b=1 HTTP/1.1\r\n"),
        "{}",
        requests[0]
    );
    assert!(requests[0].contains(&format!("host: 127.0.0.1:{port}\r\n")));
    assert!(requests[0].contains("accept: */*\r\n"));
    assert!(!requests[0].contains("content-length"), "{}", requests[0]);
    assert!(requests[1].starts_with("POST /c HTTP/1.1\r\n"));
    assert!(requests[1].contains("content-length: 7\r\n"));
    assert!(
        requests[1].ends_with("\r\n\r\n{\"k\":1}"),
        "{}",
        requests[1]
    );
}

#[tokio::test]
async fn chunked_bodies_split_anywhere_are_reassembled() {
    let body = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
                5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nx-trailer: 1\r\n\r\n";
    let server = Scripted::start(vec![
        Reply::in_pieces(body, 3, Duration::from_millis(1)),
        reply(body),
    ])
    .await;
    let mut slot = None;
    for _ in 0..2 {
        let answer = get(&mut slot, &server.url("/")).await.unwrap();
        assert_eq!(&answer.body[..], b"hello world!");
    }
    assert_eq!(
        server.connections(),
        1,
        "chunked responses keep the connection"
    );
}

#[tokio::test]
async fn informational_answers_are_skipped_and_bodiless_ones_have_no_body() {
    let server = Scripted::start(vec![
        reply("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"),
        reply("HTTP/1.1 204 No Content\r\n\r\n"),
        reply("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"),
        reply("HTTP/1.1 304 Not Modified\r\ncontent-length: 9\r\n\r\n"),
        reply("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
    ])
    .await;
    let mut slot = None;
    let answer = get(&mut slot, &server.url("/")).await.unwrap();
    assert_eq!((answer.status, &answer.body[..]), (200, &b"ok"[..]));
    let answer = get(&mut slot, &server.url("/")).await.unwrap();
    assert_eq!((answer.status, answer.body.len()), (204, 0));
    let answer = send(&mut slot, http::Method::HEAD, &server.url("/"), b"")
        .await
        .unwrap();
    assert_eq!((answer.status, answer.body.len()), (200, 0));
    let answer = get(&mut slot, &server.url("/")).await.unwrap();
    assert_eq!((answer.status, answer.body.len()), (304, 0));
    let answer = get(&mut slot, &server.url("/")).await.unwrap();
    assert_eq!((answer.status, answer.body.len()), (200, 0));
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn connection_close_and_close_delimited_bodies_end_the_connection() {
    let server = Scripted::start(vec![
        reply("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\na").then_close(),
        reply("HTTP/1.0 200 OK\r\n\r\nuntil the end").then_close(),
        reply("HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nbEXTRA"),
        reply("HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nc"),
    ])
    .await;
    let mut slot = None;
    let answer = get(&mut slot, &server.url("/")).await.unwrap();
    assert_eq!(&answer.body[..], b"a");
    assert!(slot.is_none(), "`connection: close` is honoured");
    let answer = get(&mut slot, &server.url("/")).await.unwrap();
    assert_eq!(&answer.body[..], b"until the end");
    assert!(slot.is_none());
    let answer = get(&mut slot, &server.url("/")).await.unwrap();
    assert_eq!(&answer.body[..], b"b");
    assert!(
        slot.is_none(),
        "bytes after the response make the connection unusable"
    );
    let answer = get(&mut slot, &server.url("/")).await.unwrap();
    assert_eq!(&answer.body[..], b"c");
    assert_eq!(server.connections(), 4);
}

#[tokio::test]
async fn a_connection_the_server_closed_while_idle_is_replaced() {
    let server = Scripted::start(vec![
        reply("HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\na").then_close(),
        reply("HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nb"),
    ])
    .await;
    let mut slot = None;
    get(&mut slot, &server.url("/")).await.unwrap();
    // The server closed without saying so; give the FIN time to arrive.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(slot.is_some());
    let answer = get(&mut slot, &server.url("/")).await.unwrap();
    assert_eq!(&answer.body[..], b"b");
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn large_heads_and_bodies_grow_the_buffer_which_shrinks_afterwards() {
    let big_header = "v".repeat(20_000);
    let big_body = "0123456789".repeat(200_000);
    let server = Scripted::start(vec![
        reply(&format!(
            "HTTP/1.1 200 OK\r\nx-big: {big_header}\r\ncontent-length: {}\r\n\r\n{big_body}",
            big_body.len()
        )),
        reply("HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\na"),
    ])
    .await;
    let mut slot = None;
    let long_value = "q".repeat(5_000);
    let mut headers = HeaderMap::new();
    headers.insert("x-long", HeaderValue::from_str(&long_value).unwrap());
    let answer = exchange(
        &mut slot,
        &http::Method::GET,
        &server.url("/"),
        &headers,
        b"",
        route(TIMEOUTS),
        &mut Progress::default(),
    )
    .await
    .unwrap();
    assert_eq!(answer.headers.map()["x-big"].len(), 20_000);
    assert!(
        answer.body == big_body.as_bytes(),
        "the 2 MB body is intact"
    );
    let Some(Link::Http1(connection)) = slot.as_ref() else {
        panic!("an HTTP/1.1 connection is kept");
    };
    let kept = connection.buf.len();
    assert!(kept <= KEPT_BUFFER, "the buffer went back to {kept} bytes");
    assert!(server.requests()[0].contains(&long_value));
    get(&mut slot, &server.url("/")).await.unwrap();
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn oversized_heads_and_broken_framing_are_errors_not_panics() {
    let endless_head = format!("HTTP/1.1 200 OK\r\nx: {}", "v".repeat(MAX_HEAD + 10));
    let server = Scripted::start(vec![
        reply(&endless_head),
        reply("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"),
        reply("NOT HTTP AT ALL\r\n\r\n"),
    ])
    .await;
    let mut slot = None;
    let error = get(&mut slot, &server.url("/")).await.err().unwrap();
    assert_eq!(error.kind, ErrorKind::Io);
    assert!(
        error.message.contains("larger than 256 KiB"),
        "{}",
        error.message
    );
    assert!(slot.is_none());
    let error = get(&mut slot, &server.url("/")).await.err().unwrap();
    assert_eq!(error.kind, ErrorKind::Io, "{}", error.message);
    let error = get(&mut slot, &server.url("/")).await.err().unwrap();
    assert_eq!(error.kind, ErrorKind::Io, "{}", error.message);
}

#[tokio::test]
async fn truncated_stalled_and_refused_exchanges_are_classified() {
    let server = Scripted::start(vec![
        reply("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc").then_close(),
        reply("HTTP/1.1 200 OK\r\ncont").then_close(),
        Reply::in_pieces(
            // The head (38 bytes) at once, the body 5 s later.
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nab",
            38,
            Duration::from_secs(5),
        ),
    ])
    .await;
    let mut slot = None;
    let (error, progress) = failing_get(&mut slot, &server.url("/"), TIMEOUTS).await;
    assert_eq!(error.kind, ErrorKind::Reset);
    assert!(error.message.contains("after 3 bytes"), "{}", error.message);
    assert_eq!(progress.status, Some(200), "the head had arrived");
    let error = get(&mut slot, &server.url("/")).await.err().unwrap();
    assert_eq!(error.kind, ErrorKind::Reset, "{}", error.message);
    let quick = DirectSettings {
        read: Some(Duration::from_millis(100)),
        ..TIMEOUTS
    };
    let (error, progress) = failing_get(&mut slot, &server.url("/"), quick).await;
    assert_eq!(error.kind, ErrorKind::Timeout, "{}", error.message);
    assert_eq!(progress.status, Some(200));

    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/", closed.local_addr().unwrap())).unwrap();
    drop(closed);
    let error = get(&mut None, &url).await.err().unwrap();
    assert_eq!(error.kind, ErrorKind::Connect, "{}", error.message);
    let unresolvable = Url::parse("http://no-such-host.invalid:9/").unwrap();
    let error = get(&mut None, &unresolvable).await.err().unwrap();
    assert_eq!(error.kind, ErrorKind::Dns, "{}", error.message);
}

#[tokio::test]
async fn bodies_past_the_limit_fail_at_once_and_close_the_connection() {
    let ten = "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n0123456789";
    let server = Scripted::start(vec![
        reply(ten),
        reply(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
             4\r\n0123\r\n6\r\n456789\r\n0\r\n\r\n",
        ),
        // Announced too large, and no body follows: waiting for it would take the read timeout.
        reply("HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n"),
        reply(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
             4\r\n0123\r\n7\r\n456789a\r\n0\r\n\r\n",
        ),
        reply("HTTP/1.1 200 OK\r\n\r\n0123456789ab").then_close(),
        reply(ten),
    ])
    .await;
    let limited = DirectSettings {
        max_body: 10,
        ..TIMEOUTS
    };
    let mut slot = None;
    let get_limited = async |slot: &mut Option<Link>| {
        exchange(
            slot,
            &http::Method::GET,
            &server.url("/"),
            &HeaderMap::new(),
            b"",
            route(limited),
            &mut Progress::default(),
        )
        .await
    };
    for _ in 0..2 {
        let answer = get_limited(&mut slot).await.unwrap();
        assert_eq!(
            &answer.body[..],
            b"0123456789",
            "a body of exactly the limit"
        );
    }
    assert_eq!(server.connections(), 1);
    let started = Instant::now();
    let error = get_limited(&mut slot).await.err().unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "not read");
    assert_eq!(error.kind, ErrorKind::Io);
    assert_eq!(
        error.message,
        "response body larger than 10 B (--max-response-body): its content-length is 11 bytes"
    );
    assert!(slot.is_none(), "the connection is closed");
    for connections in [2, 3] {
        let error = get_limited(&mut slot).await.err().unwrap();
        assert_eq!(
            (error.kind, error.message.as_str()),
            (
                ErrorKind::Io,
                "response body larger than 10 B (--max-response-body)"
            )
        );
        assert!(slot.is_none());
        assert_eq!(server.connections(), connections);
    }
    let answer = get_limited(&mut slot).await.unwrap();
    assert_eq!(&answer.body[..], b"0123456789");
    assert_eq!(server.connections(), 4);
}

#[tokio::test]
async fn another_origin_gets_its_own_connection() {
    let first = Scripted::start(vec![reply("HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\na")]).await;
    let second =
        Scripted::start(vec![reply("HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nb")]).await;
    let mut slot = None;
    assert_eq!(
        &get(&mut slot, &first.url("/")).await.unwrap().body[..],
        b"a"
    );
    assert_eq!(
        &get(&mut slot, &second.url("/")).await.unwrap().body[..],
        b"b"
    );
    assert_eq!((first.connections(), second.connections()), (1, 1));
    assert!(
        second.requests()[0].contains(&format!("host: 127.0.0.1:{}", second.url.port().unwrap()))
    );
}

#[tokio::test]
async fn large_and_expect_continue_bodies_are_written_whole() {
    let server = Scripted::start(vec![
        reply("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"),
        reply("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n"),
    ])
    .await;
    let body = vec![b'x'; 300_000];
    let mut slot = None;
    let answer = send(&mut slot, http::Method::PUT, &server.url("/upload"), &body)
        .await
        .unwrap();
    assert_eq!((answer.status, &answer.body[..]), (200, &b"ok"[..]));
    let mut headers = HeaderMap::new();
    headers.insert("expect", HeaderValue::from_static("100-continue"));
    let answer = exchange(
        &mut slot,
        &http::Method::POST,
        &server.url("/upload"),
        &headers,
        b"small",
        route(TIMEOUTS),
        &mut Progress::default(),
    )
    .await
    .unwrap();
    assert_eq!(answer.status, 201);
    let requests = server.requests();
    assert!(requests[0].contains("content-length: 300000\r\n"));
    assert!(requests[0].ends_with(&"x".repeat(300_000)));
    assert!(requests[1].contains("expect: 100-continue\r\n"));
    assert!(requests[1].ends_with("\r\n\r\nsmall"), "{}", requests[1]);
    assert_eq!(server.connections(), 1);
}
