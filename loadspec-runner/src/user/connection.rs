//! The direct HTTP/1.1 client: every user owns one keep-alive connection and drives it from its
//! own task.
//!
//! reqwest's pooled hyper client gives each connection a task, a dispatch channel (one 32-slot
//! block of about 9.5 KiB, two once the connection has carried 32 requests) and 8 KiB read and
//! write buffers: about 29 KiB per connection, most of what a user costs at 10,000 users. Here a
//! connection is a socket and one buffer, which carries the request out and then the response
//! in. `super::http1` does the protocol (request heads, response heads, chunked and
//! close-delimited bodies, 1xx answers, keep-alive rules) on that buffer; this module does the
//! I/O and the connect and read timeouts, over TCP or TLS (`super::tls`). Streamed bodies go
//! through reqwest.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::failure::ErrorKind;
use super::headers::ResponseHeaders;
use super::http1::{self, BodyReader, RequestHead, ResponseHead};
use super::http2::{self, Http2, HttpVersion};
use super::tls::TlsClient;
use crate::metrics::phases::PhaseTimes;
use bytes::Bytes;
use futures::future::Either;
use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, HOST, HeaderMap, HeaderValue};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// What a fresh connection's buffer holds: the request and response heads of a typical API call.
const INITIAL_BUFFER: usize = 2 * 1024;
/// A buffer grown past this by a large exchange is given back before the connection idles.
const KEPT_BUFFER: usize = 16 * 1024;
/// The largest read while receiving a long body.
const BODY_READ: usize = 64 * 1024;
/// The largest response head accepted (hyper allows about 400 KiB, nginx sends at most 8 KiB).
const MAX_HEAD: usize = 256 * 1024;
/// Bodies announce their length; more than this is not reserved up front.
const MAX_RESERVE: u64 = 16 * 1024 * 1024;

/// How a scenario's users connect: the connect and read timeouts (the request timeout wraps
/// the whole exchange), the HTTP version and the largest response body read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DirectSettings {
    pub(crate) connect: Duration,
    pub(crate) read: Option<Duration>,
    pub(crate) version: HttpVersion,
    /// Bytes (`--max-response-body`); also the largest WebSocket message.
    pub(crate) max_body: u64,
}

/// A response body past `limit`: an `io` failure (the target answered, this side refused to
/// hold it) whose connection is closed, since the rest of the body is still on its way.
pub(crate) fn body_too_large(limit: u64, announced: Option<u64>) -> WireError {
    let limit = loadspec_units::format_size(limit);
    let message = match announced {
        Some(length) => format!(
            "response body larger than {limit} (--max-response-body): its content-length is {length} bytes"
        ),
        None => format!("response body larger than {limit} (--max-response-body)"),
    };
    WireError::new(ErrorKind::Io, message)
}

/// A response, read to its end.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: ResponseHeaders,
    pub(crate) body: Bytes,
}

/// Why an exchange failed, classified as the results count it.
#[derive(Debug)]
pub(crate) struct WireError {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
}

impl WireError {
    pub(super) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    fn protocol(error: http1::ProtocolError) -> Self {
        Self::new(ErrorKind::Io, format!("invalid HTTP/1.1 exchange: {error}"))
    }

    pub(super) fn io(error: io::Error, while_doing: &str) -> Self {
        Self::new(io_kind(&error), format!("{while_doing}: {error}"))
    }
}

/// How an I/O error counts in the results.
pub(super) fn io_kind(error: &io::Error) -> ErrorKind {
    use io::ErrorKind as Io;
    match error.kind() {
        Io::TimedOut => ErrorKind::Timeout,
        Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof => {
            ErrorKind::Reset
        }
        _ => ErrorKind::Io,
    }
}

/// What the exchange has learnt so far, kept by the caller so that a request timeout can still
/// tell whether the response head had arrived.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    pub(crate) status: Option<u16>,
    pub(crate) head_at: Option<Instant>,
    /// Where the time went so far, over all hops of a redirect chain.
    pub(crate) phases: PhaseTimes,
    /// A hop went through reqwest's pooled client, which does not tell its phases.
    pub(crate) pooled: bool,
}

/// A connection's byte stream: TCP, or TLS over it (boxed: rustls' state is large, and a
/// user holds its connection while it thinks).
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(tcp) => tcp.read(buf).await,
            Self::Tls(tls) => tls.read(buf).await,
        }
    }

    async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Self::Plain(tcp) => tcp.write_all(buf).await,
            Self::Tls(tls) => {
                tls.write_all(buf).await?;
                // rustls holds records until flushed.
                tls.flush().await
            }
        }
    }

    /// Whether the idle stream is still open with nothing unread: the server may have closed
    /// it (keep-alive timeout, restart) since the last exchange. Plain TCP answers from
    /// tokio's readiness state or one non-blocking read; TLS polls one read without waiting,
    /// which also consumes what a TLS 1.3 server sends after the handshake (session tickets).
    fn is_reusable(&mut self) -> bool {
        let mut probe = [0u8; 1];
        match self {
            Self::Plain(tcp) => {
                matches!(tcp.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
            }
            Self::Tls(tls) => {
                use futures::FutureExt as _;
                tls.read(&mut probe).now_or_never().is_none()
            }
        }
    }
}

impl tokio::io::AsyncRead for Stream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => std::pin::Pin::new(tcp).poll_read(cx, buf),
            Self::Tls(tls) => std::pin::Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl tokio::io::AsyncWrite for Stream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(tcp) => std::pin::Pin::new(tcp).poll_write(cx, buf),
            Self::Tls(tls) => std::pin::Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => std::pin::Pin::new(tcp).poll_flush(cx),
            Self::Tls(tls) => std::pin::Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => std::pin::Pin::new(tcp).poll_shutdown(cx),
            Self::Tls(tls) => std::pin::Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A byte stream to `url`'s origin for a protocol of its own (WebSocket): TCP, or TLS with
/// ALPN offering `http/1.1` (the upgrade is an HTTP/1.1 request), timed like a connection.
pub(crate) async fn open_stream(
    url: &Url,
    route: Route<'_>,
    phases: &mut PhaseTimes,
) -> Result<Stream, WireError> {
    let port = url.port_or_known_default().unwrap_or(80);
    let http1 = Route {
        settings: DirectSettings {
            version: HttpVersion::Http1,
            ..route.settings
        },
        tls: route.tls,
        source: route.source,
    };
    match Link::open(url, port, http1, phases).await? {
        Link::Http1(connection) => Ok(connection.stream),
        Link::Http2(_) => Err(WireError::new(
            ErrorKind::Io,
            format!("{url}: HTTP/2 was negotiated though only HTTP/1.1 was offered"),
        )),
    }
}

/// How an exchange reaches a connection: the scenario's settings, the TLS client for
/// `https://`, and the local address to connect from (the system's choice if `None`).
#[derive(Clone, Copy)]
pub(crate) struct Route<'c> {
    pub(crate) settings: DirectSettings,
    pub(crate) tls: &'c TlsClient,
    pub(crate) source: Option<IpAddr>,
}

/// One user's keep-alive connection to one origin.
pub(crate) struct Connection {
    stream: Stream,
    https: bool,
    host: Box<str>,
    port: u16,
    /// `host[:port]`, sent with every request.
    host_header: HeaderValue,
    /// Carries the request out, then the response in; fully initialised, except while a slow
    /// target is awaited (see `slow_answers`), when it is empty.
    buf: Vec<u8>,
    /// The last answer took longer than [`SLOW_ANSWER`] to start: the next wait for one gives
    /// the buffer back until the socket is readable, so users waiting on a slow target hold
    /// no buffer (2 KiB each, 200 MiB for 100,000 users). Fast targets keep it: reallocating it
    /// per request would cost CPU for memory nobody lacks.
    slow_answers: bool,
}

/// A wait for an answer's first byte longer than this marks the target slow.
const SLOW_ANSWER: Duration = Duration::from_millis(20);

/// A user's connection: HTTP/1.1 (one exchange at a time) or HTTP/2 (streams multiplexed).
pub(crate) enum Link {
    Http1(Connection),
    Http2(Http2),
}

impl Link {
    /// Opens a connection to `url`'s origin within the connect timeout (which covers the
    /// lookup, the TCP connect and the TLS handshake, as reqwest's does), timing each phase.
    /// The protocol is the one ALPN chose on HTTPS; on cleartext, HTTP/2 only by prior
    /// knowledge (`--http-version 2`).
    async fn open(
        url: &Url,
        port: u16,
        route: Route<'_>,
        phases: &mut PhaseTimes,
    ) -> Result<Self, WireError> {
        // Boxed: with the TLS and HTTP/2 handshakes this is the largest future of an exchange
        // (about 5.4 KiB), and it runs once per connection. Inline, every user waiting for a
        // response would hold room for it all the same.
        Box::pin(Self::establish(url, port, route, phases)).await
    }

    async fn establish(
        url: &Url,
        port: u16,
        route: Route<'_>,
        phases: &mut PhaseTimes,
    ) -> Result<Self, WireError> {
        let host = url.host_str().unwrap_or_default();
        let https = url.scheme() == "https";
        let version = route.settings.version;
        let timeout = route.settings.connect;
        let started = Instant::now();
        let connect = async {
            let addrs: Vec<SocketAddr> = match url.host() {
                Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
                Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
                Some(url::Host::Domain(name)) => {
                    let addrs = tokio::net::lookup_host((name, port))
                        .await
                        .map_err(|e| {
                            WireError::new(ErrorKind::Dns, format!("dns error for {name}: {e}"))
                        })?
                        .collect();
                    phases.dns = Some(micros_since(started));
                    addrs
                }
                None => return Err(WireError::new(ErrorKind::Scenario, "the URL has no host")),
            };
            let connecting = Instant::now();
            let tcp = Connection::connect(addrs, host, route.source).await?;
            phases.connect = Some(micros_since(connecting));
            // Requests are small and written whole: Nagle would only delay them.
            tcp.set_nodelay(true)
                .map_err(|e| WireError::io(e, "cannot set TCP_NODELAY"))?;
            if !https {
                if version == HttpVersion::Http2 {
                    return Box::pin(Http2::start(tcp, false, host, port))
                        .await
                        .map(Link::Http2);
                }
                return Ok(Link::Http1(Connection::new(Stream::Plain(tcp), url, port)?));
            }
            let handshaking = Instant::now();
            // The handshakes are boxed too, so a plain HTTP/1.1 connect never holds room for
            // them while it waits.
            let tls = Box::pin(handshake(route.tls.config(version), host, port, tcp)).await?;
            phases.tls = Some(micros_since(handshaking));
            let session = tls.get_ref().1;
            phases.tls_resumed = session.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
            let h2 = session.alpn_protocol() == Some(b"h2");
            if h2 {
                return Box::pin(Http2::start(tls, true, host, port))
                    .await
                    .map(Link::Http2);
            }
            if version == HttpVersion::Http2 {
                let chosen = match session.alpn_protocol() {
                    Some(protocol) => String::from_utf8_lossy(protocol).into_owned(),
                    None => "none".to_owned(),
                };
                return Err(WireError::new(
                    ErrorKind::Tls,
                    format!(
                        "{host}:{port} does not speak HTTP/2: ALPN offered h2, the server chose \
                         {chosen} (--http-version 2 requires it)"
                    ),
                ));
            }
            Ok(Link::Http1(Connection::new(
                Stream::Tls(Box::new(tls)),
                url,
                port,
            )?))
        };
        tokio::time::timeout(timeout, connect).await.map_err(|_| {
            WireError::new(
                ErrorKind::Timeout,
                format!(
                    "connecting to {host}:{port} timed out after {}",
                    humantime::format_duration(timeout)
                ),
            )
        })?
    }

    fn serves(&self, url: &Url, port: u16) -> bool {
        match self {
            Self::Http1(connection) => connection.serves(url, port),
            Self::Http2(connection) => connection.serves(url, port),
        }
    }

    fn is_reusable(&mut self) -> bool {
        match self {
            Self::Http1(connection) => connection.is_reusable(),
            Self::Http2(connection) => connection.is_reusable(),
        }
    }
}

impl Connection {
    fn new(stream: Stream, url: &Url, port: u16) -> Result<Self, WireError> {
        let host = url.host_str().unwrap_or_default();
        let host_header = match url.port() {
            Some(port) => HeaderValue::try_from(format!("{host}:{port}")),
            None => HeaderValue::try_from(host),
        }
        .map_err(|_| WireError::new(ErrorKind::Scenario, format!("invalid host {host:?}")))?;
        Ok(Self {
            https: matches!(stream, Stream::Tls(_)),
            stream,
            host: host.into(),
            port,
            host_header,
            buf: vec![0; INITIAL_BUFFER],
            slow_answers: false,
        })
    }

    /// Connects to the first of `addrs` that accepts, from `source` where it is of the
    /// address's family.
    async fn connect(
        addrs: Vec<SocketAddr>,
        host: &str,
        source: Option<IpAddr>,
    ) -> Result<TcpStream, WireError> {
        let mut last = None;
        for addr in addrs {
            let connected = match source.filter(|s| s.is_ipv4() == addr.is_ipv4()) {
                None => TcpStream::connect(addr).await,
                Some(source) => Self::bound(source)?.connect(addr).await,
            };
            match connected {
                Ok(stream) => return Ok(stream),
                Err(error) => last = Some((addr, error)),
            }
        }
        Err(match last {
            // This machine's limits are not the target's fault: an `io` failure, which
            // neither counts as unreachable nor trips `abort_after_consecutive_errors`.
            Some((addr, error)) => match crate::monitor::limits::local_exhaustion(&error) {
                Some(reason) => WireError::new(
                    ErrorKind::Io,
                    format!("cannot connect to {addr}: {reason} ({error})"),
                ),
                None => {
                    let kind = if error.kind() == io::ErrorKind::TimedOut {
                        ErrorKind::Timeout
                    } else {
                        ErrorKind::Connect
                    };
                    WireError::new(kind, format!("cannot connect to {addr}: {error}"))
                }
            },
            None => WireError::new(ErrorKind::Dns, format!("{host} has no address")),
        })
    }

    /// A socket bound to `source` and a port the system picks. Failing here is this machine's
    /// side: an address it does not have, or no port left on it.
    fn bound(source: IpAddr) -> Result<tokio::net::TcpSocket, WireError> {
        let socket = if source.is_ipv4() {
            tokio::net::TcpSocket::new_v4()
        } else {
            tokio::net::TcpSocket::new_v6()
        };
        let socket =
            socket.map_err(
                |error| match crate::monitor::limits::local_exhaustion(&error) {
                    Some(reason) => WireError::new(
                        ErrorKind::Io,
                        format!("cannot open a socket: {reason} ({error})"),
                    ),
                    None => WireError::io(error, "cannot open a socket"),
                },
            )?;
        socket
            .bind(SocketAddr::new(source, 0))
            .map_err(|error| {
                let reason = match error.kind() {
                    io::ErrorKind::AddrNotAvailable => {
                        "it is not an address of this machine (--source-addresses): "
                    }
                    io::ErrorKind::AddrInUse => {
                        "loadspec ran out of local ports on it, give more source addresses or open fewer connections: "
                    }
                    _ => "",
                };
                WireError::new(
                    ErrorKind::Io,
                    format!("cannot connect from source address {source}: {reason}{error}"),
                )
            })?;
        Ok(socket)
    }

    fn serves(&self, url: &Url, port: u16) -> bool {
        self.port == port
            && self.https == (url.scheme() == "https")
            && url.host_str() == Some(&*self.host)
    }

    fn is_reusable(&mut self) -> bool {
        self.stream.is_reusable()
    }

    async fn read(&mut self, from: usize, timeout: Option<Duration>) -> io::Result<usize> {
        let (stream, buf) = (&mut self.stream, &mut self.buf);
        let release = from == 0 && self.slow_answers;
        let read = async move {
            if release && let Stream::Plain(tcp) = stream {
                let capacity = buf.len().max(INITIAL_BUFFER);
                *buf = Vec::new();
                tcp.readable().await?;
                *buf = vec![0; capacity.min(KEPT_BUFFER)];
            }
            stream.read(&mut buf[from..]).await
        };
        match timeout {
            None => read.await,
            Some(limit) => tokio::time::timeout(limit, read).await.unwrap_or_else(|_| {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("nothing received for {}", humantime::format_duration(limit)),
                ))
            }),
        }
    }

    fn grow(&mut self, to: usize) {
        grow(&mut self.buf, to);
    }

    /// Sends the request with `body` and reads the whole response; whether the connection can
    /// carry another request comes back with it.
    //
    // Not an `async fn`: one keeps its arguments twice (as arguments and as locals), in a future
    // every waiting user holds and every level above copies. The request is encoded before
    // the future exists, so the future holds none of its parts either.
    fn round_trip<'s>(
        &'s mut self,
        request: Outgoing<'_>,
        body: &'s [u8],
        timeouts: DirectSettings,
        progress: &'s mut Progress,
    ) -> impl Future<Output = Result<(Answer, bool), WireError>> + use<'s> {
        let sending = Instant::now();
        let head_request = *request.method == http::Method::HEAD;
        let close_requested = http1::request_closes(request.headers);
        let encoded = self.encode(request, body);
        async move {
            let (filled, body_after) = encoded?;
            self.send(filled, body_after, body).await?;
            let sent = Instant::now();
            progress.phases.send += micros_between(sending, sent);
            let mut first_byte = None;
            let outcome = self
                .receive(
                    head_request,
                    timeouts.read,
                    timeouts.max_body,
                    progress,
                    &mut first_byte,
                )
                .await;
            let done = Instant::now();
            let first_byte = first_byte.unwrap_or(done);
            self.slow_answers = first_byte.saturating_duration_since(sent) > SLOW_ANSWER;
            progress.phases.wait += micros_between(sent, first_byte);
            progress.phases.receive += micros_between(first_byte, done);
            progress.phases.http2 = false;
            outcome.map(|(answer, reusable)| (answer, reusable && !close_requested))
        }
    }

    /// Writes the encoded head (and the body with it when it fits), then a body that did not.
    async fn send(
        &mut self,
        filled: usize,
        body_after: bool,
        body: &[u8],
    ) -> Result<(), WireError> {
        self.stream
            .write_all(&self.buf[..filled])
            .await
            .map_err(|e| WireError::io(e, "sending the request"))?;
        if body_after {
            self.stream
                .write_all(body)
                .await
                .map_err(|e| WireError::io(e, "sending the request body"))?;
        }
        Ok(())
    }

    /// Encodes the request into the buffer (grown to fit the head): how much of the buffer to
    /// send, and whether the body follows on its own because it does not fit. A body goes out
    /// at once, `Expect: 100-continue` or not, which servers must accept (RFC 9110 §10.1.1).
    /// `host`, `accept` and `content-length` are the ones `body_headers` gives HTTP/2, written
    /// without changing the map.
    fn encode(&mut self, request: Outgoing<'_>, body: &[u8]) -> Result<(usize, bool), WireError> {
        let Outgoing {
            method,
            target,
            headers,
        } = request;
        let head = RequestHead {
            method,
            target,
            headers,
            host: (!headers.contains_key(HOST)).then_some(&self.host_header),
            accept: !headers.contains_key(ACCEPT),
            content_length: (!body.is_empty()
                || matches!(
                    *method,
                    http::Method::POST | http::Method::PUT | http::Method::PATCH
                ))
            .then_some(body.len()),
        };
        let len = head.len();
        if len > MAX_HEAD {
            return Err(WireError::new(
                ErrorKind::Scenario,
                format!("the request head is larger than {} KiB", MAX_HEAD / 1024),
            ));
        }
        grow(&mut self.buf, len);
        let mut filled = head.write(&mut self.buf);
        let body_after = body.len() > self.buf.len() - filled;
        if !body_after {
            self.buf[filled..filled + body.len()].copy_from_slice(body);
            filled += body.len();
        }
        Ok((filled, body_after))
    }

    /// Reads the response: the protocol advances in [`Connection::advance`], which is not
    /// async, so only the read in progress and one [`Reading`] live in the future a waiting
    /// user holds. A body past `max_body` bytes fails the exchange.
    async fn receive(
        &mut self,
        head_request: bool,
        read_timeout: Option<Duration>,
        max_body: u64,
        progress: &mut Progress,
        first_byte: &mut Option<Instant>,
    ) -> Result<(Answer, bool), WireError> {
        let mut reading = Reading::Head;
        let mut input = Input::default();
        let mut body = Vec::new();
        let mut body_reads = 0u32;
        loop {
            reading = self.advance(
                reading,
                head_request,
                &mut input,
                &mut body,
                max_body,
                progress,
            )?;
            let in_body = match &reading {
                Reading::Done(_) => break,
                Reading::Head => false,
                Reading::Body { .. } => true,
            };
            input = self.compact(input);
            if in_body {
                body_reads += 1;
            }
            // A long body: read it in larger pieces, as hyper's adaptive buffer does.
            if body_reads > 2 && self.buf.len() < BODY_READ {
                self.grow((self.buf.len() * 4).min(BODY_READ));
            } else if input.filled == self.buf.len() {
                if self.buf.len() >= MAX_HEAD {
                    // In a body the buffer only fills with a chunk-size line or trailers the
                    // codec has already bounded: this is a head.
                    return Err(WireError::new(
                        ErrorKind::Io,
                        format!("the response head is larger than {} KiB", MAX_HEAD / 1024),
                    ));
                }
                self.grow(self.buf.len() * 2);
            }
            let part = if in_body { "body" } else { "head" };
            let n = self
                .read(input.filled, read_timeout)
                .await
                .map_err(|e| WireError::io(e, &format!("receiving the response {part}")))?;
            if n == 0 {
                reading = ended(reading, body.len())?;
                break;
            }
            if first_byte.is_none() {
                *first_byte = Some(Instant::now());
            }
            input.filled += n;
        }
        let Reading::Done(head) = reading else {
            return Err(WireError::new(ErrorKind::Io, "the response is incomplete"));
        };
        // Anything after the response (a server pipelining ahead) would be mistaken for the
        // next answer: such a connection is closed.
        let reusable = !head.close && input.pos == input.filled;
        let answer = Answer {
            status: head.status,
            headers: head.headers,
            body: Bytes::from(body),
        };
        Ok((answer, reusable))
    }

    /// Takes the response as far as the buffered input allows; a body past `max_body` bytes
    /// (or announced so by its `content-length`) is an error.
    fn advance(
        &self,
        mut reading: Reading,
        head_request: bool,
        input: &mut Input,
        body: &mut Vec<u8>,
        max_body: u64,
        progress: &mut Progress,
    ) -> Result<Reading, WireError> {
        loop {
            reading = match reading {
                Reading::Head => {
                    if input.pos == input.filled {
                        return Ok(Reading::Head);
                    }
                    let parsed =
                        http1::parse_response(&self.buf[input.pos..input.filled], head_request)
                            .map_err(WireError::protocol)?;
                    match parsed {
                        http1::Parsed::Partial => return Ok(Reading::Head),
                        // A 1xx answer was consumed: the real one may follow in the buffer.
                        http1::Parsed::Informational(used) => {
                            input.pos += used;
                            Reading::Head
                        }
                        http1::Parsed::Final { used, head } => {
                            input.pos += used;
                            progress.status = Some(head.status);
                            progress.head_at = Some(Instant::now());
                            if let BodyReader::Length(length) = head.body {
                                // Refused before a byte of it is read: waiting for 10 GiB to
                                // arrive would only hold the user until its timeout.
                                if length > max_body {
                                    return Err(body_too_large(max_body, Some(length)));
                                }
                                body.reserve_exact(length.min(MAX_RESERVE) as usize);
                            }
                            if head.body.is_done() {
                                Reading::Done(head)
                            } else {
                                Reading::Body(head)
                            }
                        }
                    }
                }
                Reading::Body(mut head) => {
                    let used = head
                        .body
                        .read(&self.buf[input.pos..input.filled], body)
                        .map_err(WireError::protocol)?;
                    // Reads are at most a buffer long: the body never grows much past the
                    // limit before it is refused.
                    if body.len() as u64 > max_body {
                        return Err(body_too_large(max_body, None));
                    }
                    input.pos += used;
                    if head.body.is_done() {
                        return Ok(Reading::Done(head));
                    }
                    return Ok(Reading::Body(head));
                }
                done @ Reading::Done(_) => return Ok(done),
            };
        }
    }

    /// Moves unread input to the front of the buffer.
    fn compact(&mut self, input: Input) -> Input {
        if input.pos > 0 {
            self.buf.copy_within(input.pos..input.filled, 0);
        }
        Input {
            pos: 0,
            filled: input.filled - input.pos,
        }
    }

    /// Gives back what a large exchange made the buffer grow to.
    fn trim(&mut self) {
        if self.buf.len() > KEPT_BUFFER {
            self.buf = vec![0; INITIAL_BUFFER];
        }
    }
}

/// Grows `buf` to at least `to` bytes, never less than the first size: doubling an empty
/// buffer must still grow it.
fn grow(buf: &mut Vec<u8>, to: usize) {
    let to = to.max(INITIAL_BUFFER);
    if to > buf.len() {
        buf.resize(to, 0);
    }
}

/// A request's parts as the scenario made them.
#[derive(Clone, Copy)]
struct Outgoing<'r> {
    method: &'r http::Method,
    target: &'r str,
    headers: &'r HeaderMap,
}

/// The part of the buffer that holds input: `pos..filled` is not consumed yet.
#[derive(Debug, Default, Clone, Copy)]
struct Input {
    pos: usize,
    filled: usize,
}

/// Where reading a response stands.
enum Reading {
    Head,
    Body(ResponseHead),
    Done(ResponseHead),
}

/// The server closed the connection: the end of a body that lasts until then, else a failure.
fn ended(reading: Reading, received: usize) -> Result<Reading, WireError> {
    match reading {
        Reading::Body(head) if head.body.until_close() => Ok(Reading::Done(head)),
        Reading::Body(_) => Err(WireError::new(
            ErrorKind::Reset,
            format!(
                "connection closed before the body was complete: incomplete after {received} bytes"
            ),
        )),
        Reading::Head => Err(WireError::new(
            ErrorKind::Reset,
            "connection closed before message completed",
        )),
        done @ Reading::Done(_) => Ok(done),
    }
}

fn micros_since(start: Instant) -> u64 {
    start.elapsed().as_micros() as u64
}

fn micros_between(start: Instant, end: Instant) -> u64 {
    end.saturating_duration_since(start).as_micros() as u64
}

/// The TLS handshake over `tcp`, with SNI for a host name; a refused certificate or a
/// protocol error is a `tls` failure that says what was wrong.
async fn handshake(
    config: &std::sync::Arc<rustls::ClientConfig>,
    host: &str,
    port: u16,
    tcp: TcpStream,
) -> Result<TlsStream<TcpStream>, WireError> {
    // An IPv6 literal comes bracketed in URLs; certificates name the bare address.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let name = rustls::pki_types::ServerName::try_from(bare.to_owned()).map_err(|e| {
        WireError::new(
            ErrorKind::Scenario,
            format!("{host} is not a TLS server name: {e}"),
        )
    })?;
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::clone(config));
    connector.connect(name, tcp).await.map_err(|error| {
        let rustls_error = error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        let kind = match (rustls_error, error.kind()) {
            (Some(_), _) => ErrorKind::Tls,
            (None, io::ErrorKind::TimedOut) => ErrorKind::Timeout,
            // The server hung up during the handshake: most often it speaks no TLS.
            (None, io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset) => ErrorKind::Tls,
            (None, _) => ErrorKind::Io,
        };
        let refused_alpn = matches!(
            rustls_error,
            Some(rustls::Error::AlertReceived(
                rustls::AlertDescription::NoApplicationProtocol
            ))
        );
        let message = if refused_alpn {
            let offered: Vec<String> = config
                .alpn_protocols
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            format!(
                "TLS handshake with {host}:{port} failed: the server speaks none of the \
                 protocols ALPN offered ({}): {error}",
                offered.join(", ")
            )
        } else {
            format!("TLS handshake with {host}:{port} failed: {error}")
        };
        WireError::new(kind, message)
    })
}

/// Sends one request over the user's connection in `slot` (opened, or replaced when it serves
/// another origin or the server closed it) and reads the whole response. The connection goes
/// back into `slot` only when it can carry another request; a failed HTTP/1.1 exchange
/// closes it, a failed HTTP/2 stream leaves the connection to the others.
//
// Not an `async fn` (see `Connection::round_trip`): the future keeps each argument once.
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn keeps its arguments twice in its future"
)]
pub(crate) fn exchange<'a>(
    slot: &'a mut Option<Link>,
    method: &'a http::Method,
    url: &'a Url,
    headers: &'a HeaderMap,
    body: &'a [u8],
    route: Route<'a>,
    progress: &'a mut Progress,
) -> impl Future<Output = Result<Answer, WireError>> + 'a {
    async move {
        // Checked before a connection is opened. A fragment never goes on the wire.
        let invalid = || WireError::new(ErrorKind::Scenario, format!("invalid URL {url}"));
        let target = http1::request_target(url).ok_or_else(invalid)?;
        let next = {
            let mut opened = PhaseTimes::default();
            let link = usable(slot, url, route, &mut opened).await;
            // Kept though the connection failed: the lookup took its time all the same.
            progress.phases.add(&opened);
            // The link moves into the exchange's future, built before it is awaited, so this
            // future holds no copy of it.
            match link? {
                Link::Http1(connection) => {
                    let request = Outgoing {
                        method,
                        target,
                        headers,
                    };
                    Either::Left(http1_exchange(
                        slot,
                        connection,
                        request,
                        body,
                        route.settings,
                        progress,
                    ))
                }
                Link::Http2(connection) => {
                    // HTTP/2 sends the scheme and authority as `:scheme` and `:authority`.
                    let uri: http::Uri = url[..url::Position::AfterQuery].parse().map_err(|e| {
                        WireError::new(ErrorKind::Scenario, format!("invalid URL {url}: {e}"))
                    })?;
                    let streams = connection.streams();
                    *slot = Some(Link::Http2(connection));
                    // Boxed: an HTTP/1.1 user need not hold room for a stream's future.
                    Either::Right(Box::pin(http2::round_trip(
                        streams,
                        method,
                        uri,
                        headers.clone(),
                        body,
                        route.settings,
                        progress,
                    )))
                }
            }
        };
        next.await
    }
}

/// The user's connection in `slot` when it serves `url`'s origin and can carry a request,
/// else a new one (its phases in `opened`).
async fn usable(
    slot: &mut Option<Link>,
    url: &Url,
    route: Route<'_>,
    opened: &mut PhaseTimes,
) -> Result<Link, WireError> {
    let port = url.port_or_known_default().unwrap_or(80);
    if let Some(mut link) = slot.take()
        && link.serves(url, port)
        && link.is_reusable()
    {
        return Ok(link);
    }
    Link::open(url, port, route, opened).await
}

/// The user's connection to `url`'s origin (opened if it has none that can carry a request)
/// when it speaks HTTP/2, for a batch to share, with the phases of opening it; `None` when it
/// speaks HTTP/1.1 (then left in `slot` for the batch's first lane) or cannot be opened (the
/// batch's requests then say why).
pub(crate) async fn shared(
    slot: &mut Option<Link>,
    url: &Url,
    route: Route<'_>,
) -> (Option<Http2>, Option<PhaseTimes>) {
    let mut opened = PhaseTimes::default();
    let Ok(link) = usable(slot, url, route, &mut opened).await else {
        return (None, None);
    };
    // A reused connection took no connection phases.
    let opened = opened.connect.is_some().then_some(opened);
    let shared = match &link {
        Link::Http2(connection) => Some(connection.clone()),
        Link::Http1(_) => None,
    };
    *slot = Some(link);
    (shared, opened)
}

/// `accept: */*` unless set (what reqwest sends, so both clients look alike to the target) and
/// the body's `content-length` (also `0` for a POST, PUT or PATCH without one), for either
/// HTTP version.
pub(crate) fn body_headers(method: &http::Method, headers: &mut HeaderMap, body_len: usize) {
    if !headers.contains_key(ACCEPT) {
        headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
    }
    if body_len > 0
        || matches!(
            *method,
            http::Method::POST | http::Method::PUT | http::Method::PATCH
        )
    {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body_len));
    } else {
        headers.remove(CONTENT_LENGTH);
    }
}

/// One exchange over the user's HTTP/1.1 connection, which goes back into `slot` when it can
/// carry another request.
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn keeps its arguments twice in its future"
)]
fn http1_exchange<'a>(
    slot: &'a mut Option<Link>,
    mut connection: Connection,
    request: Outgoing<'a>,
    body: &'a [u8],
    settings: DirectSettings,
    progress: &'a mut Progress,
) -> impl Future<Output = Result<Answer, WireError>> + 'a {
    async move {
        let (answer, reusable) = connection
            .round_trip(request, body, settings, progress)
            .await?;
        if reusable {
            connection.trim();
            *slot = Some(Link::Http1(connection));
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests;
