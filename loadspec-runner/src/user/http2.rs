//! HTTP/2 for the direct client: each user's one connection carries its requests as streams,
//! several at once when the scenario sends them together ([`super::User::batch`]). h2 does the
//! framing, HPACK, settings and flow control; this module maps requests and responses, applies
//! the read timeout, and says which side ended a stream or the connection and why.

use std::future::poll_fn;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures::FutureExt as _;
use reqwest::Url;
use reqwest::header::{
    CONNECTION, CONTENT_LENGTH, HOST, HeaderMap, HeaderName, TE, TRANSFER_ENCODING, UPGRADE,
};
use tokio::io::{AsyncRead, AsyncWrite};

use super::connection::{self, Answer, DirectSettings, Progress, WireError};
use super::failure::ErrorKind;

/// Which HTTP version the direct client speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HttpVersion {
    /// HTTPS: HTTP/2 when the server chooses it by ALPN, else HTTP/1.1 (as browsers and k6
    /// do); cleartext: HTTP/1.1.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// HTTP/1.1 only (ALPN offers `http/1.1` alone).
    #[serde(rename = "1.1")]
    Http1,
    /// HTTP/2 only: required by ALPN on HTTPS, prior knowledge (h2c) on cleartext.
    #[serde(rename = "2")]
    Http2,
}

impl HttpVersion {
    /// The name on the command line, in the environment and in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Http1 => "1.1",
            Self::Http2 => "2",
        }
    }

    /// Parses `auto`, `1.1` or `2`.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        match text.trim() {
            "auto" => Ok(Self::Auto),
            "1.1" | "1" | "http/1.1" => Ok(Self::Http1),
            "2" | "h2" | "http/2" => Ok(Self::Http2),
            _ => Err("auto, 1.1 or 2"),
        }
    }
}

/// The windows the client grants the server: 64 KiB (HTTP/2's default) would cost a round
/// trip per 64 KiB of a large body; browsers and hyper grant megabytes.
const STREAM_WINDOW: u32 = 1024 * 1024;
const CONNECTION_WINDOW: u32 = 4 * 1024 * 1024;

/// Headers HTTP/2 forbids (RFC 9113 §8.2.2); `host` becomes `:authority`.
const CONNECTION_SPECIFIC: [HeaderName; 5] = [CONNECTION, TRANSFER_ENCODING, UPGRADE, HOST, TE];

/// One user's HTTP/2 connection to one origin. Its frames are read and written by a task of
/// its own (h2's connection future), which ends when every handle and stream is gone; a clone
/// is another handle to the same connection (a batch's lanes share it).
#[derive(Clone)]
pub(crate) struct Http2 {
    streams: Streams,
    https: bool,
    host: Box<str>,
    port: u16,
}

impl Http2 {
    /// Starts HTTP/2 over an open byte stream: the preface and settings go out, the driver
    /// task starts.
    pub(crate) async fn start<T>(
        io: T,
        https: bool,
        host: &str,
        port: u16,
    ) -> Result<Self, WireError>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (send, connection) = h2::client::Builder::new()
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .enable_push(false)
            .handshake::<_, Bytes>(io)
            .await
            .map_err(|e| h2_error(e, &format!("starting HTTP/2 with {host}:{port}")))?;
        let ended = Arc::new(OnceLock::new());
        let noted = Arc::clone(&ended);
        tokio::spawn(connection.map(move |outcome| {
            // Set as the connection ends, before the streams it failed wake up: they report
            // this rather than the bare "broken pipe" h2 gives them.
            if let Err(error) = outcome {
                let _first = noted.set(describe(error));
            }
        }));
        Ok(Self {
            streams: Streams { send, ended },
            https,
            host: host.into(),
            port,
        })
    }

    pub(crate) fn serves(&self, url: &Url, port: u16) -> bool {
        self.port == port
            && self.https == (url.scheme() == "https")
            && url.host_str() == Some(&*self.host)
    }

    /// Whether the connection can open another stream: not closed by the server (GOAWAY, or
    /// the socket), nor failed. A connection at its stream limit is still usable: the next
    /// request waits for a stream.
    pub(crate) fn is_reusable(&mut self) -> bool {
        self.streams.ended.get().is_none()
            && !matches!(
                poll_fn(|cx| self.streams.send.poll_ready(cx)).now_or_never(),
                Some(Err(_))
            )
    }

    /// A handle for one more concurrent stream on this connection.
    pub(crate) fn streams(&self) -> Streams {
        self.streams.clone()
    }
}

/// Opens streams on a connection, and knows why it ended.
#[derive(Clone)]
pub(crate) struct Streams {
    send: h2::client::SendRequest<Bytes>,
    /// Why the connection ended, when it failed (a GOAWAY with an error code, a protocol
    /// error, the socket), set by its task.
    ended: Arc<OnceLock<(ErrorKind, String)>>,
}

impl Streams {
    /// A stream's error, or, when the stream only saw its connection go, what ended it.
    fn error(&self, error: h2::Error, while_doing: &str) -> WireError {
        match self.ended.get() {
            Some((kind, detail)) if error.is_io() => {
                WireError::new(*kind, format!("{while_doing}: {detail}"))
            }
            _ => h2_error(error, while_doing),
        }
    }
}

/// Sends one request as a stream of the connection `send` belongs to and reads the whole
/// response, timing each phase.
pub(crate) async fn round_trip(
    streams: Streams,
    method: &http::Method,
    uri: http::Uri,
    mut headers: HeaderMap,
    body: &[u8],
    settings: DirectSettings,
    progress: &mut Progress,
) -> Result<Answer, WireError> {
    for name in CONNECTION_SPECIFIC {
        headers.remove(name);
    }
    headers.remove("keep-alive");
    headers.remove("proxy-connection");
    connection::body_headers(method, &mut headers, body.len());
    let mut request = http::Request::new(());
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;

    let sending = Instant::now();
    // Waits while the connection is at the server's limit of concurrent streams.
    let mut send = streams
        .send
        .clone()
        .ready()
        .await
        .map_err(|e| streams.error(e, "opening a stream"))?;
    let (response, mut stream) = send
        .send_request(request, body.is_empty())
        .map_err(|e| streams.error(e, "sending the request"))?;
    if !body.is_empty() {
        send_body(&streams, &mut stream, body, settings.read).await?;
    }
    let sent = Instant::now();
    progress.phases.send += micros_between(sending, sent);
    let response = within(settings.read, response, "waiting for the response")
        .await?
        .map_err(|e| streams.error(e, "waiting for the response"))?;
    let first_byte = Instant::now();
    progress.phases.wait += micros_between(sent, first_byte);
    let status = response.status().as_u16();
    progress.status = Some(status);
    progress.head_at = Some(first_byte);
    let (parts, mut recv) = response.into_parts();
    let announced = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    // Past the limit, the stream is cancelled (RST_STREAM): the connection carries the
    // user's other streams, and the server stops sending this one.
    if let Some(length) = announced.filter(|length| *length > settings.max_body) {
        stream.send_reset(h2::Reason::CANCEL);
        return Err(connection::body_too_large(settings.max_body, Some(length)));
    }
    let mut received = 0u64;
    let mut collected: Option<BytesMut> = None;
    let mut single: Option<Bytes> = None;
    loop {
        let next = within(settings.read, recv.data(), "receiving the body").await?;
        match next {
            None => break,
            Some(Ok(chunk)) => {
                received += chunk.len() as u64;
                if received > settings.max_body {
                    stream.send_reset(h2::Reason::CANCEL);
                    return Err(connection::body_too_large(settings.max_body, None));
                }
                // The window reopens as the body is read, so the server keeps sending.
                let _closed = recv.flow_control().release_capacity(chunk.len());
                match (&mut single, &mut collected) {
                    (None, None) => single = Some(chunk),
                    (Some(first), None) => {
                        let mut all = BytesMut::with_capacity(first.len() + chunk.len());
                        all.extend_from_slice(first);
                        all.extend_from_slice(&chunk);
                        single = None;
                        collected = Some(all);
                    }
                    (_, Some(all)) => all.extend_from_slice(&chunk),
                }
            }
            Some(Err(e)) => return Err(streams.error(e, "receiving the body")),
        }
    }
    progress.phases.receive += micros_between(first_byte, Instant::now());
    progress.phases.http2 = true;
    let body = match (single, collected) {
        (_, Some(all)) => all.freeze(),
        (Some(one), None) => one,
        (None, None) => Bytes::new(),
    };
    Ok(Answer {
        status,
        headers: parts.headers.into(),
        body,
    })
}

/// Sends the body as the server's windows allow; a window that stays shut for the read
/// timeout is a flow-control stall, not a slow response.
async fn send_body(
    streams: &Streams,
    stream: &mut h2::SendStream<Bytes>,
    body: &[u8],
    read_timeout: Option<Duration>,
) -> Result<(), WireError> {
    let mut offset = 0;
    stream.reserve_capacity(body.len());
    while offset < body.len() {
        let granted = match read_timeout {
            None => poll_fn(|cx| stream.poll_capacity(cx)).await,
            Some(limit) => tokio::time::timeout(limit, poll_fn(|cx| stream.poll_capacity(cx)))
                .await
                .map_err(|_| {
                    WireError::new(
                        ErrorKind::Timeout,
                        format!(
                            "HTTP/2 flow control stalled: the server opened no window for the \
                             request body for {} ({offset} of {} bytes sent)",
                            humantime::format_duration(limit),
                            body.len()
                        ),
                    )
                })?,
        };
        let granted = match granted {
            Some(Ok(n)) => n,
            Some(Err(e)) => return Err(streams.error(e, "sending the request body")),
            None => {
                return Err(WireError::new(
                    ErrorKind::Reset,
                    format!(
                        "HTTP/2 stream closed while sending the request body ({offset} of {} \
                         bytes sent)",
                        body.len()
                    ),
                ));
            }
        };
        let end = (offset + granted).min(body.len());
        stream
            .send_data(
                Bytes::copy_from_slice(&body[offset..end]),
                end == body.len(),
            )
            .map_err(|e| streams.error(e, "sending the request body"))?;
        offset = end;
    }
    Ok(())
}

/// `future` within the read timeout, if there is one.
async fn within<F: Future>(
    limit: Option<Duration>,
    future: F,
    while_doing: &str,
) -> Result<F::Output, WireError> {
    match limit {
        None => Ok(future.await),
        Some(limit) => tokio::time::timeout(limit, future).await.map_err(|_| {
            WireError::new(
                ErrorKind::Timeout,
                format!(
                    "{while_doing}: nothing received for {}",
                    humantime::format_duration(limit)
                ),
            )
        }),
    }
}

/// Classifies an h2 error: the server resetting the stream (RST_STREAM) or closing the
/// connection (GOAWAY) is a `reset`, naming the error code; I/O errors as HTTP/1.1's; the rest
/// (a malformed frame, a protocol violation either side detected) is `io`.
pub(crate) fn h2_error(error: h2::Error, while_doing: &str) -> WireError {
    let (kind, detail) = describe(error);
    WireError::new(kind, format!("{while_doing}: {detail}"))
}

/// An h2 error's kind, and what happened, in words.
fn describe(error: h2::Error) -> (ErrorKind, String) {
    if error.is_io() {
        return match error.into_io() {
            Some(io) => (connection::io_kind(&io), io.to_string()),
            None => (ErrorKind::Io, "HTTP/2 I/O error".to_owned()),
        };
    }
    let reason = error
        .reason()
        .map(|r| format!("{r:?} ({r})"))
        .unwrap_or_else(|| error.to_string());
    let by = if error.is_remote() {
        "the server"
    } else {
        "loadspec"
    };
    if error.is_go_away() {
        (
            ErrorKind::Reset,
            format!("{by} closed the HTTP/2 connection (GOAWAY {reason})"),
        )
    } else if error.is_reset() {
        (
            ErrorKind::Reset,
            format!("{by} reset the HTTP/2 stream (RST_STREAM {reason})"),
        )
    } else {
        (ErrorKind::Io, format!("HTTP/2 protocol error: {error}"))
    }
}

fn micros_between(start: Instant, end: Instant) -> u64 {
    end.saturating_duration_since(start).as_micros() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_print() {
        for version in [HttpVersion::Auto, HttpVersion::Http1, HttpVersion::Http2] {
            assert_eq!(HttpVersion::parse(version.as_str()), Ok(version));
            assert_eq!(
                serde_json::to_string(&version).unwrap(),
                format!("\"{}\"", version.as_str())
            );
        }
        assert_eq!(HttpVersion::parse("3"), Err("auto, 1.1 or 2"));
    }
}
