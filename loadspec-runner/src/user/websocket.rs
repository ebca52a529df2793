//! WebSocket for scenarios: `user.websocket("/path").connect()` upgrades a connection of the
//! user's own (TCP, or TLS for `wss://` and `https://` targets, verified as HTTPS is) and
//! returns a handle that sends and receives messages. The upgrade is recorded under the
//! socket's label with its phases; each `receive` and `exchange` under the label it is given,
//! timed from the call (or the message sent) to the answer's arrival, so criteria judge
//! message latencies like request latencies. tungstenite does the framing, masking, pings and
//! the close handshake.

use std::rc::Rc;
use std::time::Instant;

use futures::{SinkExt as _, StreamExt as _};
use reqwest::Url;
use reqwest::header::HeaderMap;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::ClientRequestBuilder;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};

use super::connection::{self, Route, Stream, WireError};
use super::failure::{ErrorKind, Failure};
use super::request::{Exchange, Who};
use super::{User, UserContext};
use crate::metrics::phases::PhaseTimes;
use crate::metrics::recorder::LabelId;
use crate::metrics::stats::LabelKind;

/// A WebSocket about to be opened; nothing happens until [`connect`](Self::connect).
#[must_use = "a WebSocket is opened by connect()"]
pub struct WebSocketBuilder<'u> {
    user: &'u mut User,
    path: String,
    label: Option<String>,
    headers: Vec<(String, String)>,
    protocols: Vec<String>,
}

impl<'u> WebSocketBuilder<'u> {
    pub(super) fn new(user: &'u mut User, path: &str) -> Self {
        Self {
            user,
            path: path.to_owned(),
            label: None,
            headers: Vec::new(),
            protocols: Vec::new(),
        }
    }

    /// Records the upgrade under `label` (default `WS <path>`).
    pub fn label(mut self, label: &str) -> Self {
        self.label = Some(label.to_owned());
        self
    }

    /// Adds a header to the upgrade request (the session's headers and cookies go too).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Asks for a subprotocol (`Sec-WebSocket-Protocol`).
    pub fn protocol(mut self, protocol: &str) -> Self {
        self.protocols.push(protocol.to_owned());
        self
    }

    /// Opens the connection and upgrades it, within the connect timeout and the request
    /// timeout; recorded as one sample (status 101) with its phases. A refused upgrade (any
    /// status but 101) fails with the status's kind.
    pub async fn connect(self) -> Result<WebSocket, Failure> {
        let Self {
            user,
            path,
            label,
            headers,
            protocols,
        } = self;
        let ctx = Rc::clone(&user.ctx);
        let label_name = label.unwrap_or_else(|| format!("WS {path}"));
        let label = ctx
            .recorder
            .borrow_mut()
            .label(ctx.scenario, LabelKind::Request, &label_name);
        let started = Instant::now();
        let who = user.who();
        let mut exchange = Exchange {
            label,
            started,
            headers_micros: 0,
            micros: 0,
            url: None,
            sent_bytes: 0,
            phases: None,
        };
        let outcome = open(user, &path, &headers, &protocols).await;
        exchange.micros = micros_since(started);
        match outcome {
            Ok((stream, phases)) => {
                exchange.headers_micros = exchange.micros;
                exchange.phases = Some(phases);
                exchange.record(who, Some(101), None, 0, None, &[]);
                Ok(WebSocket {
                    who: Recipient::of(&who),
                    ctx,
                    label_name,
                    stream,
                })
            }
            Err((error, status, phases)) => {
                let failure = failure(error, status, &label_name);
                exchange.phases = phases;
                exchange.record(who, status, Some(&failure), 0, None, &[]);
                Err(failure)
            }
        }
    }
}

/// What a WebSocket keeps of its user to record samples.
#[derive(Clone, Copy)]
struct Recipient {
    step: u32,
    index: u64,
    schedule_delay: Option<u64>,
}

impl Recipient {
    fn of(who: &Who<'_>) -> Self {
        Self {
            step: who.step,
            index: who.index,
            schedule_delay: who.schedule_delay,
        }
    }
}

type Failed = (WireError, Option<u16>, Option<PhaseTimes>);

/// The largest WebSocket frame accepted (tungstenite's default).
const MAX_FRAME: usize = 16 << 20;

/// Connects and upgrades: the socket and the phases (connection, then the upgrade's wait).
async fn open(
    user: &User,
    path: &str,
    headers: &[(String, String)],
    protocols: &[String],
) -> Result<(WebSocketStream<Stream>, PhaseTimes), Failed> {
    let ctx = &*user.ctx;
    let invalid = |message: String| (WireError::new(ErrorKind::Scenario, message), None, None);
    let text = if path.contains("://") {
        path.to_owned()
    } else {
        format!(
            "{}{}{path}",
            ctx.base_url,
            if path.starts_with('/') { "" } else { "/" }
        )
    };
    let mut url = Url::parse(&text).map_err(|e| invalid(format!("invalid URL {text}: {e}")))?;
    // Connect as HTTP(S), upgrade as WS(S).
    let (http_scheme, ws_scheme) = match url.scheme() {
        "http" | "ws" => ("http", "ws"),
        "https" | "wss" => ("https", "wss"),
        other => {
            return Err(invalid(format!(
                "{text}: {other} is not a WebSocket scheme"
            )));
        }
    };
    let _same_kind = url.set_scheme(http_scheme);
    let Some(settings) = ctx.direct else {
        return Err(invalid(
            "WebSockets need the direct client (not --http-client reqwest)".to_owned(),
        ));
    };
    let route = Route {
        settings,
        tls: &ctx.tls,
        source: user.source,
    };
    let mut phases = PhaseTimes::default();
    let stream = match connection::open_stream(&url, route, &mut phases).await {
        Ok(stream) => stream,
        Err(error) => return Err((error, None, Some(phases))),
    };
    let mut ws_url = url.clone();
    let _same_kind = ws_url.set_scheme(ws_scheme);
    let uri: http::Uri = ws_url[..url::Position::AfterQuery]
        .parse()
        .map_err(|e| invalid(format!("invalid URL {ws_url}: {e}")))?;
    let mut request = ClientRequestBuilder::new(uri);
    let mut session = HeaderMap::new();
    user.session.apply(&url, &mut session);
    for (name, value) in &session {
        if let Ok(value) = value.to_str() {
            request = request.with_header(name.as_str(), value);
        }
    }
    for (name, value) in headers {
        request = request.with_header(name, value);
    }
    for protocol in protocols {
        request = request.with_sub_protocol(protocol);
    }
    // A message is held to the run's body limit; a frame to it as well, and never to more
    // than tungstenite's 16 MiB, since it reserves room for a whole frame once its header is in.
    let max_message = usize::try_from(settings.max_body).unwrap_or(usize::MAX);
    let config = tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message.min(MAX_FRAME)));
    let upgrading = Instant::now();
    let upgrade = tokio::time::timeout(
        ctx.request_timeout,
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)),
    )
    .await;
    phases.wait = micros_since(upgrading);
    match upgrade {
        Ok(Ok((socket, _response))) => Ok((socket, phases)),
        Ok(Err(tungstenite::Error::Http(response))) => {
            let status = response.status().as_u16();
            let error = WireError::new(
                if status >= 400 {
                    ErrorKind::of_status(status)
                } else {
                    ErrorKind::CheckFailed
                },
                format!(
                    "{ws_url}: the server answered {status} instead of switching protocols (101)"
                ),
            );
            Err((error, Some(status), Some(phases)))
        }
        Ok(Err(error)) => Err((ws_error(error, "upgrading"), None, Some(phases))),
        Err(_) => Err((
            WireError::new(
                ErrorKind::Timeout,
                format!(
                    "{ws_url}: no answer to the upgrade within {}",
                    humantime::format_duration(ctx.request_timeout)
                ),
            ),
            None,
            Some(phases),
        )),
    }
}

/// A message received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsMessage {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
}

impl WsMessage {
    /// The text of a text message.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            Self::Binary(_) => None,
        }
    }

    /// The message's bytes (a text's UTF-8).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Self::Text(text) => text.as_bytes(),
            Self::Binary(bytes) => bytes,
        }
    }

    /// The message parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Failure> {
        serde_json::from_slice(self.bytes())
            .map_err(|e| Failure::check(format!("the message is not the JSON expected: {e}")))
    }
}

/// An open WebSocket (k6's `ws`, Gatling's `ws`). Each receive waits at most the scenario's
/// request timeout, so a silent server fails a message, never hangs the user. Dropping the
/// handle ends the connection without the close handshake (as a closed browser tab does);
/// [`close`](Self::close) closes it in order.
pub struct WebSocket {
    ctx: Rc<UserContext>,
    who: Recipient,
    label_name: String,
    stream: WebSocketStream<Stream>,
}

impl WebSocket {
    /// Sends a text message.
    pub async fn send_text(&mut self, text: &str) -> Result<(), Failure> {
        self.send(Message::text(text)).await
    }

    /// Sends a binary message.
    pub async fn send_binary(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.send(Message::binary(bytes.to_vec())).await
    }

    async fn send(&mut self, message: Message) -> Result<(), Failure> {
        let limit = self.ctx.request_timeout;
        match tokio::time::timeout(limit, self.stream.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(failure(ws_error(error, "sending"), None, &self.label_name)),
            Err(_) => Err(failure(
                WireError::new(
                    ErrorKind::Timeout,
                    format!(
                        "sending: the server took no data for {}",
                        humantime::format_duration(limit)
                    ),
                ),
                None,
                &self.label_name,
            )),
        }
    }

    /// Waits for the next message, recorded under `label` with the time it took to come.
    pub async fn receive(&mut self, label: &str) -> Result<WsMessage, Failure> {
        let started = Instant::now();
        let outcome = self.next_message().await;
        self.record(label, started, outcome)
    }

    /// Sends `text` and waits for the next message: one exchange, recorded under `label` with
    /// the time from sending to the answer (a request–reply over the socket, e.g. a chat
    /// echo or a subscription's acknowledgement).
    pub async fn exchange(&mut self, label: &str, text: &str) -> Result<WsMessage, Failure> {
        let started = Instant::now();
        let outcome = match self.send(Message::text(text)).await {
            Ok(()) => self.next_message().await,
            Err(failure) => Err(WireError::new(failure.kind(), failure.message().to_owned())),
        };
        self.record(label, started, outcome)
    }

    /// Closes the socket with the close handshake (code 1000), waiting for the server's close
    /// within the request timeout.
    pub async fn close(mut self) -> Result<(), Failure> {
        let limit = self.ctx.request_timeout;
        let closing = async {
            self.stream.close(None).await?;
            // The server's close frame, then the end of the stream. Servers often end a TLS
            // connection without close_notify once the WebSocket is closed: harmless here.
            while let Some(message) = self.stream.next().await {
                match message {
                    Err(tungstenite::Error::Io(e))
                        if e.kind() == std::io::ErrorKind::UnexpectedEof =>
                    {
                        break;
                    }
                    other => {
                        other?;
                    }
                }
            }
            Ok::<(), tungstenite::Error>(())
        };
        match tokio::time::timeout(limit, closing).await {
            Ok(Ok(())) | Ok(Err(tungstenite::Error::ConnectionClosed)) => Ok(()),
            Ok(Err(error)) => Err(failure(ws_error(error, "closing"), None, &self.label_name)),
            Err(_) => Err(failure(
                WireError::new(
                    ErrorKind::Timeout,
                    format!(
                        "closing: the server did not answer the close within {}",
                        humantime::format_duration(limit)
                    ),
                ),
                None,
                &self.label_name,
            )),
        }
    }

    /// The next text or binary message; pings are answered (by tungstenite) and skipped, a
    /// close from the server is a failure that gives its code and reason.
    async fn next_message(&mut self) -> Result<WsMessage, WireError> {
        let limit = self.ctx.request_timeout;
        let waiting = async {
            loop {
                match self.stream.next().await {
                    None => {
                        return Err(WireError::new(
                            ErrorKind::Reset,
                            "the server ended the WebSocket's connection without a close frame",
                        ));
                    }
                    Some(Err(error)) => return Err(ws_error(error, "receiving")),
                    Some(Ok(Message::Text(text))) => {
                        return Ok(WsMessage::Text(text.as_str().to_owned()));
                    }
                    Some(Ok(Message::Binary(bytes))) => {
                        return Ok(WsMessage::Binary(bytes.to_vec()));
                    }
                    Some(Ok(Message::Close(frame))) => {
                        return Err(WireError::new(ErrorKind::Reset, closed_by_server(frame)));
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                }
            }
        };
        tokio::time::timeout(limit, waiting)
            .await
            .unwrap_or_else(|_| {
                Err(WireError::new(
                    ErrorKind::Timeout,
                    format!(
                        "receiving: no message within {}",
                        humantime::format_duration(limit)
                    ),
                ))
            })
    }

    fn record(
        &mut self,
        label: &str,
        started: Instant,
        outcome: Result<WsMessage, WireError>,
    ) -> Result<WsMessage, Failure> {
        let label: LabelId =
            self.ctx
                .recorder
                .borrow_mut()
                .label(self.ctx.scenario, LabelKind::Request, label);
        let mut exchange = Exchange {
            label,
            started,
            headers_micros: 0,
            micros: micros_since(started),
            url: None,
            sent_bytes: 0,
            phases: None,
        };
        let who = Who {
            ctx: &self.ctx,
            step: self.who.step,
            index: self.who.index,
            schedule_delay: self.who.schedule_delay,
        };
        match outcome {
            Ok(message) => {
                exchange.record(who, None, None, message.bytes().len() as u64, None, &[]);
                Ok(message)
            }
            Err(error) => {
                let failure = failure(error, None, &self.label_name);
                exchange.record(who, None, Some(&failure), 0, None, &[]);
                Err(failure)
            }
        }
    }
}

/// `the server closed the WebSocket (1011 internal error: …)`.
fn closed_by_server(frame: Option<CloseFrame>) -> String {
    match frame {
        Some(frame) => {
            let code = u16::from(frame.code);
            let reason = frame.reason.as_str();
            if reason.is_empty() {
                format!("the server closed the WebSocket ({code} {:?})", frame.code)
            } else {
                format!(
                    "the server closed the WebSocket ({code} {:?}: {reason})",
                    frame.code
                )
            }
        }
        None => "the server closed the WebSocket (no code)".to_owned(),
    }
}

/// Classifies a tungstenite error: I/O as the HTTP clients do, a closed connection as
/// `reset`, a protocol violation or an oversized message as `io`.
fn ws_error(error: tungstenite::Error, while_doing: &str) -> WireError {
    use tungstenite::Error as E;
    match error {
        E::Io(io) => WireError::io(io, while_doing),
        E::ConnectionClosed | E::AlreadyClosed => WireError::new(
            ErrorKind::Reset,
            format!("{while_doing}: the WebSocket is closed"),
        ),
        E::Protocol(protocol) => WireError::new(
            ErrorKind::Io,
            format!("{while_doing}: WebSocket protocol error: {protocol}"),
        ),
        E::Capacity(tungstenite::error::CapacityError::MessageTooLong { size, max_size }) => {
            WireError::new(
                ErrorKind::Io,
                format!(
                    "{while_doing}: a WebSocket message or frame of {size} bytes is larger than {} (--max-response-body; a frame at most {})",
                    loadspec_units::format_size(max_size as u64),
                    loadspec_units::format_size(MAX_FRAME as u64)
                ),
            )
        }
        other => WireError::new(ErrorKind::Io, format!("{while_doing}: {other}")),
    }
}

fn failure(error: WireError, status: Option<u16>, socket: &str) -> Failure {
    let failure = Failure::new(error.kind, error.message).in_request(socket.into());
    match status {
        Some(status) => failure.with_status(status),
        None => failure,
    }
}

fn micros_since(start: Instant) -> u64 {
    start.elapsed().as_micros() as u64
}
