//! A WebSocket server on `127.0.0.1` (plain or TLS) that behaves by path:
//!
//! - `/echo`: echoes every text and binary message; the text `bye` gets a close frame
//!   (1011, `going away`) instead;
//! - `/ticks`: sends `tick 0` … `tick 4`, 20 ms apart, then waits;
//! - `/reject`: refuses the upgrade with 403;
//! - `/garbage`: after the upgrade, sends bytes that are no WebSocket frame;
//! - `/silent`: upgrades, then never sends.
//!
//! It counts upgrades and the messages it received.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::tls::ServerCert;

/// What the server counted.
#[derive(Debug, Default)]
pub struct WsCounters {
    /// Upgrades completed.
    pub upgrades: AtomicU64,
    /// Text and binary messages received.
    pub received: AtomicU64,
}

/// The server; stops when dropped.
pub struct WsServer {
    addr: SocketAddr,
    tls: bool,
    counters: Arc<WsCounters>,
    _runtime: tokio::runtime::Runtime,
}

impl WsServer {
    /// Starts the server, over TLS with `cert` when given.
    pub fn start(cert: Option<ServerCert>) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let tls = cert.is_some();
        let acceptor = cert.map(|cert| cert.acceptor(&[b"http/1.1"])).transpose()?;
        let counters = Arc::new(WsCounters::default());
        let shared = Arc::clone(&counters);
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let counters = Arc::clone(&shared);
                match &acceptor {
                    None => {
                        tokio::spawn(serve(tcp, counters));
                    }
                    Some(acceptor) => {
                        let acceptor = acceptor.clone();
                        tokio::spawn(async move {
                            if let Ok(tls) = acceptor.accept(tcp).await {
                                serve(tls, counters).await;
                            }
                        });
                    }
                }
            }
        });
        Ok(Self {
            addr,
            tls,
            counters,
            _runtime: runtime,
        })
    }

    /// `http://127.0.0.1:<port>` (`https://` over TLS): the target of a run.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// What the server counted so far.
    pub fn counters(&self) -> &WsCounters {
        &self.counters
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(stream: S, counters: Arc<WsCounters>) {
    let mut path = String::new();
    #[allow(
        clippy::result_large_err,
        reason = "the signature tungstenite's accept callback takes"
    )]
    let callback = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        path = request.uri().path().to_owned();
        if path == "/reject" {
            let mut refusal = ErrorResponse::new(Some("no".to_owned()));
            *refusal.status_mut() = http::StatusCode::FORBIDDEN;
            return Err(refusal);
        }
        Ok(response)
    };
    let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    counters.upgrades.fetch_add(1, Ordering::Relaxed);
    match path.as_str() {
        "/ticks" => {
            for n in 0..5 {
                if socket
                    .send(Message::text(format!("tick {n}")))
                    .await
                    .is_err()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            while let Some(Ok(_)) = socket.next().await {}
        }
        "/garbage" => {
            // A frame with all reserved bits set: a protocol error for any client.
            let _ = socket.get_mut().write_all(&[0xF1, 0x01, b'x']).await;
            let _ = socket.get_mut().flush().await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        "/silent" => while let Some(Ok(_)) = socket.next().await {},
        _ => {
            while let Some(Ok(message)) = socket.next().await {
                match message {
                    Message::Text(text) if text.as_str() == "bye" => {
                        counters.received.fetch_add(1, Ordering::Relaxed);
                        let frame = CloseFrame {
                            code: CloseCode::Error,
                            reason: "going away".into(),
                        };
                        let _ = socket.close(Some(frame)).await;
                        return;
                    }
                    Message::Text(_) | Message::Binary(_) => {
                        counters.received.fetch_add(1, Ordering::Relaxed);
                        if socket.send(message).await.is_err() {
                            return;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
