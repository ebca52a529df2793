//! A fault-injection target: a minimal HTTP/1.1 server on `127.0.0.1` whose behaviour a test
//! switches at run time — healthy, status storms (502/503/504), resets mid-response, stalls,
//! slow bodies, resets after part of a body, trickled heads, unread request bodies, bodies cut
//! short or longer than announced, endless and huge bodies — and that can die (refusing
//! connections) and come back on the same port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with each request (except `GET /health`, which answers 200 unless
/// the server is down, stalling or ignoring request bodies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 200 `ok`.
    Healthy,
    /// Every request gets this status, with a JSON body naming it.
    Status(u16),
    /// Half of the response headers, then the connection is closed.
    ResetMidResponse,
    /// Never answers.
    Stall,
    /// Headers at once, then one body byte every `Duration`, 10 bytes in all.
    SlowBody(Duration),
    /// 200 with a body holding secrets (to check redaction).
    Secrets,
    /// A 200 announcing 1000 body bytes, this many of them, then a TCP reset (RST, by a zero
    /// linger), as a proxy that drops a connection in the middle of a body does.
    ResetAfterBody(usize),
    /// The status line and then header lines, one byte every `Duration`, never finishing the
    /// head (the server gives up after [`TRICKLE_BYTES`]): each byte comes sooner than a read
    /// timeout, so only the request timeout ends the wait.
    TrickleHead(Duration),
    /// Reads the request's head, never its body, and never answers: a client sending a body
    /// larger than the sockets' buffers stalls with it half sent.
    IgnoreRequestBody,
    /// A 200 announcing 100 body bytes, then the connection closed (FIN) with none of them.
    CloseAfterHeaders,
    /// A 200 announcing 100 body bytes, 10 of them, then silence on the open connection.
    ShortBody,
    /// A 200 announcing 2 bytes, `ok`, and in the same write a complete `500` response the
    /// client never asked for (a wrong `content-length`): a client that reused the connection
    /// would take it for the answer to its next request.
    LongBody,
    /// A 200 with a chunked body of 64 KiB chunks, written as fast as the client takes them
    /// until it goes away (the server stops after [`ENDLESS_BYTES`]).
    EndlessChunked,
    /// A 200 announcing 10 GiB, a few bytes of it, then silence.
    HugeLength,
}

/// The most bytes [`Fault::TrickleHead`] trickles before the server gives up.
pub const TRICKLE_BYTES: usize = 4096;
/// The most body bytes [`Fault::EndlessChunked`] writes to one response.
pub const ENDLESS_BYTES: u64 = 1 << 30;
/// The `content-length` [`Fault::HugeLength`] announces.
pub const HUGE_LENGTH: u64 = 10 << 30;

/// The size of one chunk of [`Fault::EndlessChunked`].
const ENDLESS_CHUNK: usize = 64 * 1024;

struct Shared {
    fault: Mutex<Fault>,
    requests: AtomicU64,
    connections: AtomicU64,
}

/// The server; stops when dropped.
pub struct FaultServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: tokio::runtime::Runtime,
    accept: Option<tokio::task::JoinHandle<()>>,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl FaultServer {
    /// Starts a healthy server on an ephemeral loopback port.
    pub fn start() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let mut server = Self {
            addr,
            shared: Arc::new(Shared {
                fault: Mutex::new(Fault::Healthy),
                requests: AtomicU64::new(0),
                connections: AtomicU64::new(0),
            }),
            runtime,
            accept: None,
            connections: Arc::default(),
        };
        server.serve(listener);
        Ok(server)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Switches what the server does from the next request on.
    pub fn set(&self, fault: Fault) {
        if let Ok(mut current) = self.shared.fault.lock() {
            *current = fault;
        }
    }

    /// Requests received so far (counted once their head is in).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Dies: stops listening (new connections are refused) and drops every open connection.
    pub fn kill(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
        }
        if let Ok(mut connections) = self.connections.lock() {
            for connection in connections.drain(..) {
                connection.abort();
            }
        }
        // Wait until the listening socket is really closed.
        self.runtime
            .block_on(async { tokio::time::sleep(Duration::from_millis(50)).await });
    }

    /// Comes back on the same port.
    pub fn revive(&mut self) -> std::io::Result<()> {
        let listener = self.runtime.block_on(TcpListener::bind(self.addr))?;
        self.serve(listener);
        Ok(())
    }

    fn serve(&mut self, listener: TcpListener) {
        let shared = Arc::clone(&self.shared);
        let connections = Arc::clone(&self.connections);
        self.accept = Some(self.runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let task = tokio::spawn(connection(stream, Arc::clone(&shared)));
                if let Ok(mut open) = connections.lock() {
                    open.retain(|c| !c.is_finished());
                    open.push(task.abort_handle());
                }
            }
        }));
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut buffer = Vec::with_capacity(1024);
    loop {
        let Some(request) = read_request(&mut stream, &mut buffer).await else {
            return;
        };
        shared.requests.fetch_add(1, Ordering::SeqCst);
        let fault = shared.fault.lock().map(|f| *f).unwrap_or(Fault::Healthy);
        if fault != Fault::IgnoreRequestBody
            && !skip_body(&mut stream, &mut buffer, request.content_length).await
        {
            return;
        }
        let keep_going = match (request.path.as_str(), fault) {
            (_, Fault::Stall | Fault::IgnoreRequestBody) => {
                std::future::pending::<()>().await;
                false
            }
            ("/health", _) | (_, Fault::Healthy) => respond(&mut stream, 200, "ok").await,
            (_, Fault::Status(code)) => {
                respond(
                    &mut stream,
                    code,
                    &format!("{{\"error\":\"injected {code}\"}}"),
                )
                .await
            }
            (_, Fault::Secrets) => {
                let body = r#"{"error":"nope","password":"hunter2","access":"tok-123"}"#;
                respond(&mut stream, 500, body).await
            }
            (_, Fault::ResetMidResponse) => {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Len").await;
                false
            }
            (_, Fault::SlowBody(every)) => {
                let head = "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for _ in 0..10 {
                    tokio::time::sleep(every).await;
                    if stream.write_all(b"x").await.is_err() {
                        return;
                    }
                }
                true
            }
            (_, Fault::ResetAfterBody(sent)) => {
                let mut response = b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n".to_vec();
                response.resize(response.len() + sent.min(999), b'x');
                let _ = stream.write_all(&response).await;
                // Dropped with a zero linger, the socket is reset (RST) instead of closed (FIN).
                let _ = stream.set_zero_linger();
                false
            }
            (_, Fault::TrickleHead(every)) => {
                trickle_head(&mut stream, every).await;
                false
            }
            (_, Fault::CloseAfterHeaders) => {
                let head = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n";
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.shutdown().await;
                false
            }
            (_, Fault::ShortBody) => {
                let response = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789";
                if stream.write_all(response.as_bytes()).await.is_ok() {
                    std::future::pending::<()>().await;
                }
                false
            }
            (_, Fault::LongBody) => {
                let response = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok\
                                HTTP/1.1 500 Not Asked For\r\ncontent-length: 0\r\n\r\n";
                stream.write_all(response.as_bytes()).await.is_ok()
            }
            (_, Fault::EndlessChunked) => {
                endless_chunked(&mut stream).await;
                false
            }
            (_, Fault::HugeLength) => {
                let response =
                    format!("HTTP/1.1 200 OK\r\ncontent-length: {HUGE_LENGTH}\r\n\r\nabc");
                if stream.write_all(response.as_bytes()).await.is_ok() {
                    std::future::pending::<()>().await;
                }
                false
            }
        };
        if !keep_going {
            return;
        }
    }
}

/// A request's head, as far as the server cares.
struct Request {
    path: String,
    content_length: u64,
}

/// Reads one request's head: its path and its body's length (`content-length`; the tests
/// send no chunked bodies).
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Request> {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            buffer.drain(..end + 4);
            let path = head
                .split_whitespace()
                .nth(1)?
                .split('?')
                .next()?
                .to_owned();
            let content_length = head
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
                .map_or(Some(0), |(_, value)| value.trim().parse().ok())?;
            return Some(Request {
                path,
                content_length,
            });
        }
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// Reads and drops a request body of `length` bytes, part of which may be in `buffer`
/// already; false when the client went away first.
async fn skip_body(stream: &mut TcpStream, buffer: &mut Vec<u8>, length: u64) -> bool {
    let buffered = usize::try_from(length).map_or(buffer.len(), |l| l.min(buffer.len()));
    buffer.drain(..buffered);
    let mut left = length - buffered as u64;
    let mut chunk = vec![0u8; 64 * 1024];
    // Every pass reads at least one byte of a finite body, or ends.
    while left > 0 {
        let want = usize::try_from(left).map_or(chunk.len(), |l| l.min(chunk.len()));
        match stream.read(&mut chunk[..want]).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => left -= n as u64,
        }
    }
    true
}

/// [`Fault::TrickleHead`]: a status line, then header lines without end, a byte at a time.
async fn trickle_head(stream: &mut TcpStream, every: Duration) {
    let status = b"HTTP/1.1 200 OK\r\n".iter();
    let headers = b"x-trickle: one byte at a time\r\n".iter().cycle();
    for byte in status.chain(headers).take(TRICKLE_BYTES) {
        tokio::time::sleep(every).await;
        if stream.write_all(&[*byte]).await.is_err() {
            return;
        }
    }
}

/// [`Fault::EndlessChunked`]: 64 KiB chunks until the client goes away or
/// [`ENDLESS_BYTES`] are written.
async fn endless_chunked(stream: &mut TcpStream) {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n";
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let mut chunk = format!("{ENDLESS_CHUNK:x}\r\n").into_bytes();
    chunk.resize(chunk.len() + ENDLESS_CHUNK, b'x');
    chunk.extend_from_slice(b"\r\n");
    for _ in 0..ENDLESS_BYTES / ENDLESS_CHUNK as u64 {
        if stream.write_all(&chunk).await.is_err() {
            return;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
}

async fn respond(stream: &mut TcpStream, status: u16, body: &str) -> bool {
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await.is_ok()
}
