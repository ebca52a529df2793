//! A fault-injection target: a minimal HTTP/1.1 server on `127.0.0.1` whose behaviour a test
//! switches at run time — healthy, status storms (502/503/504), resets mid-response, stalls,
//! slow bodies — and that can die (refusing connections) and come back on the same port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with each request (except `GET /health`, which answers 200 unless
/// the server is down or stalling).
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
}

struct Shared {
    fault: Mutex<Fault>,
    requests: AtomicU64,
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

    /// Requests received so far.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
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
        let Some(path) = read_request(&mut stream, &mut buffer).await else {
            return;
        };
        shared.requests.fetch_add(1, Ordering::SeqCst);
        let fault = shared.fault.lock().map(|f| *f).unwrap_or(Fault::Healthy);
        let keep_going = match (path.as_str(), fault) {
            (_, Fault::Stall) => {
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
        };
        if !keep_going {
            return;
        }
    }
}

/// Reads one request's head; returns its path (the body, if any, is ignored: the tests send
/// none).
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<String> {
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
            return Some(path);
        }
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

async fn respond(stream: &mut TcpStream, status: u16, body: &str) -> bool {
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await.is_ok()
}
