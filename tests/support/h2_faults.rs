//! An HTTP/2 server (h2c, prior knowledge) on `127.0.0.1` that misbehaves on purpose, by path:
//!
//! - `/ok`: 200 `ok`;
//! - `/refuse`: resets the stream before answering (RST_STREAM REFUSED_STREAM);
//! - `/reset-mid-body`: 200, three body bytes, then RST_STREAM INTERNAL_ERROR;
//! - `/goaway`: closes the connection with GOAWAY ENHANCE_YOUR_CALM while the request waits;
//! - any request with a body: the server grants no flow-control window (its initial window
//!   is 0), so the body can never be sent.
//!
//! It counts connections and streams as it accepts them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use h2::Reason;
use tokio::net::TcpListener;

/// What the server counted.
#[derive(Debug, Default)]
pub struct H2Counters {
    /// HTTP/2 connections accepted (handshakes completed).
    pub connections: AtomicU64,
    /// Streams (requests) accepted.
    pub streams: AtomicU64,
}

/// The server; stops when dropped.
pub struct H2FaultServer {
    addr: SocketAddr,
    counters: Arc<H2Counters>,
    _runtime: tokio::runtime::Runtime,
}

impl H2FaultServer {
    /// Starts the server on an ephemeral loopback port.
    pub fn start() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(H2Counters::default());
        let shared = Arc::clone(&counters);
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(serve(tcp, Arc::clone(&shared)));
            }
        });
        Ok(Self {
            addr,
            counters,
            _runtime: runtime,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the server counted so far.
    pub fn counters(&self) -> &H2Counters {
        &self.counters
    }
}

async fn serve(tcp: tokio::net::TcpStream, counters: Arc<H2Counters>) {
    let Ok(mut connection) = h2::server::Builder::new()
        .initial_window_size(0)
        .handshake::<_, Bytes>(tcp)
        .await
    else {
        return;
    };
    counters.connections.fetch_add(1, Ordering::Relaxed);
    // Streams kept open (dropping a handle would reset its stream).
    let mut held_bodies = Vec::new();
    let mut held_answers = Vec::new();
    while let Some(accepted) = connection.accept().await {
        let Ok((request, mut respond)) = accepted else {
            return;
        };
        counters.streams.fetch_add(1, Ordering::Relaxed);
        let answer = || http::Response::builder().status(200).body(());
        match request.uri().path() {
            "/ok" => {
                if let Ok(response) = answer()
                    && let Ok(mut body) = respond.send_response(response, false)
                {
                    let _ = body.send_data(Bytes::from_static(b"ok"), true);
                }
            }
            "/refuse" => respond.send_reset(Reason::REFUSED_STREAM),
            "/reset-mid-body" => {
                if let Ok(response) = answer()
                    && let Ok(mut body) = respond.send_response(response, false)
                {
                    let _ = body.send_data(Bytes::from_static(b"abc"), false);
                    body.send_reset(Reason::INTERNAL_ERROR);
                    held_bodies.push(body);
                }
            }
            "/goaway" => {
                connection.abrupt_shutdown(Reason::ENHANCE_YOUR_CALM);
                held_answers.push(respond);
            }
            // A request with a body waits for a window that never opens; it is held open.
            _ => held_answers.push(respond),
        }
    }
}
