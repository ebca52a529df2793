//! HTTP/1.1 framing for the direct client, without I/O: request heads written straight into
//! the connection's buffer, response heads parsed by httparse into fields over one copy of the
//! head (`super::headers`, a `HeaderMap` only when asked for), and the body framing of RFC 9112
//! §6.3 (length, chunked, until close). The connection (`super::connection`) reads and writes;
//! this module only decides.
//!
//! It replaced ureq-proto's state machine on this path: that one built an `http::Response`
//! through a builder moved per header, allocated every header value, encoded through
//! `fmt::Write` and moved its states by value — together about 60 % of the CPU a request cost
//! in user space (docs/performance.md). The tests hold the two equal on generated exchanges.

use std::mem::MaybeUninit;

use bytes::Bytes;
use http::Method;
use http::header::TRANSFER_ENCODING;
use http::header::{CONNECTION, CONTENT_LENGTH, HeaderMap, HeaderName, HeaderValue};

use super::headers::{Field, ResponseHeaders};

/// Response headers accepted, as hyper and ureq allow.
pub(crate) const MAX_HEADERS: usize = 100;
/// The longest chunk-size line (with extensions) accepted.
const MAX_CHUNK_LINE: usize = 4 * 1024;
/// The most trailer bytes accepted after a chunked body.
const MAX_TRAILERS: usize = 16 * 1024;
/// `" HTTP/1.1\r\n"` after the request target.
const REQUEST_LINE_END: &[u8] = b" HTTP/1.1\r\n";

/// Why an exchange broke the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ProtocolError {
    #[error("invalid response head: {0}")]
    Head(httparse::Error),
    #[error("the response has more than {MAX_HEADERS} headers")]
    TooManyHeaders,
    #[error("invalid status code {0:03}")]
    Status(u16),
    #[error("invalid content-length {0:?}")]
    ContentLength(String),
    #[error("the response's content-length values disagree")]
    ContentLengths,
    #[error("invalid chunk size")]
    ChunkSize,
    #[error("a chunk is not followed by CRLF")]
    ChunkEnd,
    #[error("the chunked body's trailers are larger than {} KiB", MAX_TRAILERS / 1024)]
    Trailers,
}

/// The request target of `url` (path and query, never the fragment) when it can go on the
/// wire as it is: visible ASCII only, which `Url` guarantees for what it percent-encodes.
pub(crate) fn request_target(url: &url::Url) -> Option<&str> {
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let target = if target.is_empty() { "/" } else { target };
    target
        .bytes()
        .all(|b| b.is_ascii_graphic())
        .then_some(target)
}

/// A request head as it goes on the wire. The map is the scenario's and the session's
/// headers, sent as they are but for `content-length` and `transfer-encoding` (the framing is
/// this client's: a body in memory always has its length); `host` and `accept: */*` are
/// added when the map has none, as reqwest does.
pub(crate) struct RequestHead<'r> {
    pub(crate) method: &'r Method,
    pub(crate) target: &'r str,
    pub(crate) headers: &'r HeaderMap,
    /// Sent first when the map has no `host`.
    pub(crate) host: Option<&'r HeaderValue>,
    /// Send `accept: */*` (the map has no `accept`).
    pub(crate) accept: bool,
    /// The body's `content-length`, when one is sent.
    pub(crate) content_length: Option<usize>,
}

impl RequestHead<'_> {
    /// Whether the map's header goes out as it is.
    fn sends(name: &HeaderName) -> bool {
        name != CONTENT_LENGTH && name != TRANSFER_ENCODING
    }

    /// How many bytes [`RequestHead::write`] writes.
    pub(crate) fn len(&self) -> usize {
        let fields: usize = self
            .headers
            .iter()
            .filter(|(name, _)| Self::sends(name))
            .map(|(name, value)| field_len(name.as_str(), value.len()))
            .sum();
        let host = self.host.map_or(0, |host| field_len("host", host.len()));
        let accept = if self.accept {
            field_len("accept", 3)
        } else {
            0
        };
        let length = self.content_length.map_or(0, |n| {
            field_len("content-length", Digits::of(n).as_bytes().len())
        });
        self.method.as_str().len()
            + 1
            + self.target.len()
            + REQUEST_LINE_END.len()
            + host
            + fields
            + accept
            + length
            + 2
    }

    /// Writes the head into `out`, which holds at least [`RequestHead::len`] bytes (a
    /// shorter one gets what fits); returns how many bytes the head has. Header names and
    /// values are valid by construction (`HeaderName` and `HeaderValue` refuse CR, LF and
    /// NUL), the target by [`request_target`].
    pub(crate) fn write(&self, out: &mut [u8]) -> usize {
        let mut cursor = Cursor { out, at: 0 };
        cursor.put(self.method.as_str().as_bytes());
        cursor.put(b" ");
        cursor.put(self.target.as_bytes());
        cursor.put(REQUEST_LINE_END);
        if let Some(host) = self.host {
            cursor.field(b"host", host.as_bytes());
        }
        for (name, value) in self.headers {
            if Self::sends(name) {
                cursor.field(name.as_str().as_bytes(), value.as_bytes());
            }
        }
        if self.accept {
            cursor.field(b"accept", b"*/*");
        }
        if let Some(length) = self.content_length {
            cursor.field(b"content-length", Digits::of(length).as_bytes());
        }
        cursor.put(b"\r\n");
        cursor.at
    }
}

/// `name: value\r\n`.
fn field_len(name: &str, value: usize) -> usize {
    name.len() + 2 + value + 2
}

/// Writes into a slice, dropping what does not fit (the caller sized it).
struct Cursor<'o> {
    out: &'o mut [u8],
    at: usize,
}

impl Cursor<'_> {
    fn put(&mut self, bytes: &[u8]) {
        if let Some(room) = self.out.get_mut(self.at..self.at + bytes.len()) {
            room.copy_from_slice(bytes);
        }
        self.at += bytes.len();
    }

    fn field(&mut self, name: &[u8], value: &[u8]) {
        self.put(name);
        self.put(b": ");
        self.put(value);
        self.put(b"\r\n");
    }
}

/// A number's decimal digits, without allocating.
struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    fn of(mut n: usize) -> Self {
        let mut buf = [0u8; 20];
        let mut start = buf.len();
        loop {
            start -= 1;
            buf[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Self { buf, start }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

/// Whether a header's comma-separated list holds `token` (case-insensitive), as `connection:
/// keep-alive, close` does.
fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|part| part.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Whether the request's own headers ask to close the connection after it.
pub(crate) fn request_closes(headers: &HeaderMap) -> bool {
    headers
        .get_all(CONNECTION)
        .iter()
        .any(|value| has_token(value.as_bytes(), "close"))
}

/// What parsing the buffered input gave.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// The head is not all in yet.
    Partial,
    /// A 1xx answer other than 101 (`100 Continue`, `103 Early Hints`) of this many bytes:
    /// skipped, the real answer follows.
    Informational(usize),
    /// The final answer's head, `used` bytes of the input.
    Final { used: usize, head: ResponseHead },
}

/// A final response head and what it says about the body and the connection.
#[derive(Debug)]
pub(crate) struct ResponseHead {
    pub(crate) status: u16,
    pub(crate) headers: ResponseHeaders,
    pub(crate) body: BodyReader,
    /// The connection cannot carry another request after this response.
    pub(crate) close: bool,
}

/// Parses a response head from the start of `input`, the answer to a `HEAD` request when
/// `head_request` (which never has a body, whatever its headers say).
pub(crate) fn parse_response(input: &[u8], head_request: bool) -> Result<Parsed, ProtocolError> {
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let status = httparse::ParserConfig::default()
        .parse_response_with_uninit_headers(&mut response, input, &mut slots)
        .map_err(|error| match error {
            httparse::Error::TooManyHeaders => ProtocolError::TooManyHeaders,
            other => ProtocolError::Head(other),
        })?;
    let httparse::Status::Complete(used) = status else {
        return Ok(Parsed::Partial);
    };
    let code = response.code.unwrap_or(0);
    if !(100..=999).contains(&code) {
        return Err(ProtocolError::Status(code));
    }
    if (100..200).contains(&code) && code != 101 {
        return Ok(Parsed::Informational(used));
    }
    let http10 = response.version == Some(0);
    // One copy of the head; the fields are where each name and value lie in it.
    let shared = Bytes::copy_from_slice(&input[..used]);
    let base = input.as_ptr() as usize;
    let at = |part: &[u8]| -> (u32, u32) {
        let start = (part.as_ptr() as usize).wrapping_sub(base);
        if part.is_empty() || start.saturating_add(part.len()) > used {
            return (0, 0);
        }
        // A head is at most MAX_HEAD bytes long: the offsets fit.
        (start as u32, part.len() as u32)
    };
    let mut fields = Vec::with_capacity(response.headers.len());
    let mut framing = Framing::default();
    for header in response.headers.iter() {
        framing.note(header.name.as_bytes(), header.value)?;
        fields.push(Field {
            name: at(header.name.as_bytes()),
            value: at(header.value),
        });
    }
    let headers = ResponseHeaders::raw(shared, fields);
    let body = framing.body(http10, head_request, code);
    let close = framing.close
        || (http10 && !framing.keep_alive)
        || code == 101
        || matches!(body, BodyReader::UntilClose);
    Ok(Parsed::Final {
        used,
        head: ResponseHead {
            status: code,
            headers,
            body,
            close,
        },
    })
}

/// What the headers say about the body and the connection.
#[derive(Debug, Default)]
struct Framing {
    content_length: Option<u64>,
    transfer_encoding: bool,
    /// The last transfer coding listed is `chunked`.
    chunked: bool,
    close: bool,
    keep_alive: bool,
}

impl Framing {
    fn note(&mut self, name: &[u8], value: &[u8]) -> Result<(), ProtocolError> {
        if name.eq_ignore_ascii_case(b"content-length") {
            // RFC 9110 §8.6, as ureq and libcurl read it: each element digits only, repeated
            // lines and list elements all the same number.
            for element in value.split(|&b| b == b',') {
                let digits = element.trim_ascii();
                let length = (!digits.is_empty() && digits.iter().all(u8::is_ascii_digit))
                    .then(|| std::str::from_utf8(digits).ok()?.parse::<u64>().ok())
                    .flatten()
                    .ok_or_else(|| {
                        ProtocolError::ContentLength(String::from_utf8_lossy(value).into_owned())
                    })?;
                if self.content_length.is_some_and(|known| known != length) {
                    return Err(ProtocolError::ContentLengths);
                }
                self.content_length = Some(length);
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            self.transfer_encoding = true;
            if let Some(last) = value
                .split(|&b| b == b',')
                .map(<[u8]>::trim_ascii)
                .next_back()
                && !last.is_empty()
            {
                self.chunked = last.eq_ignore_ascii_case(b"chunked");
            }
        } else if name.eq_ignore_ascii_case(b"connection") {
            self.close |= has_token(value, "close");
            self.keep_alive |= has_token(value, "keep-alive");
        }
        Ok(())
    }

    /// RFC 9112 §6.3: no body for HEAD, 1xx, 204 and 304; chunked when the last transfer
    /// coding is; until close for any other transfer coding (HTTP/1.0 has none); else the
    /// content-length; else until close.
    fn body(&self, http10: bool, head_request: bool, status: u16) -> BodyReader {
        if head_request || (100..200).contains(&status) || status == 204 || status == 304 {
            return BodyReader::Empty;
        }
        if self.transfer_encoding && !http10 {
            return if self.chunked {
                BodyReader::Chunked(Chunked::Size)
            } else {
                BodyReader::UntilClose
            };
        }
        match self.content_length {
            Some(0) => BodyReader::Empty,
            Some(length) => BodyReader::Length(length),
            None => BodyReader::UntilClose,
        }
    }
}

/// Where reading a body stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyReader {
    /// No body, or all of it read.
    Empty,
    /// This many bytes still to come.
    Length(u64),
    Chunked(Chunked),
    /// Everything until the server closes the connection.
    UntilClose,
}

/// Where a chunked body stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chunked {
    /// A chunk-size line comes next.
    Size,
    /// This many bytes of chunk data still to come.
    Data(u64),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// Trailer lines until an empty one; this many trailer bytes so far.
    Trailers(usize),
}

impl BodyReader {
    /// Whether the body is complete.
    pub(crate) fn is_done(&self) -> bool {
        matches!(self, Self::Empty)
    }

    /// Whether the body ends only when the connection does.
    pub(crate) fn until_close(&self) -> bool {
        matches!(self, Self::UntilClose)
    }

    /// Moves the body bytes at the start of `input` onto `body`; returns how much of `input`
    /// it consumed (less than all of it only when the body ended, or a chunked body needs
    /// more input to go on).
    pub(crate) fn read(
        &mut self,
        input: &[u8],
        body: &mut Vec<u8>,
    ) -> Result<usize, ProtocolError> {
        let mut used = 0;
        loop {
            let rest = &input[used..];
            match *self {
                Self::Empty => return Ok(used),
                Self::UntilClose => {
                    body.extend_from_slice(rest);
                    return Ok(input.len());
                }
                Self::Length(left) => {
                    let take = rest.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    body.extend_from_slice(&rest[..take]);
                    let left = left - take as u64;
                    *self = if left == 0 {
                        Self::Empty
                    } else {
                        Self::Length(left)
                    };
                    return Ok(used + take);
                }
                Self::Chunked(state) => {
                    let Some((consumed, next)) = chunked_step(state, rest, body)? else {
                        return Ok(used);
                    };
                    used += consumed;
                    *self = next;
                }
            }
        }
    }
}

/// One step of a chunked body over `rest`: the bytes consumed and the state after, or `None`
/// when `rest` holds too little to go on.
fn chunked_step(
    state: Chunked,
    rest: &[u8],
    body: &mut Vec<u8>,
) -> Result<Option<(usize, BodyReader)>, ProtocolError> {
    Ok(Some(match state {
        Chunked::Size => match httparse::parse_chunk_size(rest) {
            Ok(httparse::Status::Complete((used, 0))) => {
                (used, BodyReader::Chunked(Chunked::Trailers(0)))
            }
            Ok(httparse::Status::Complete((used, size))) => {
                (used, BodyReader::Chunked(Chunked::Data(size)))
            }
            Ok(httparse::Status::Partial) if rest.len() < MAX_CHUNK_LINE => return Ok(None),
            Ok(httparse::Status::Partial) | Err(_) => return Err(ProtocolError::ChunkSize),
        },
        Chunked::Data(left) => {
            if rest.is_empty() {
                return Ok(None);
            }
            let take = rest.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            body.extend_from_slice(&rest[..take]);
            let left = left - take as u64;
            let next = if left == 0 {
                Chunked::DataEnd
            } else {
                Chunked::Data(left)
            };
            (take, BodyReader::Chunked(next))
        }
        Chunked::DataEnd => match rest {
            [b'\r', b'\n', ..] => (2, BodyReader::Chunked(Chunked::Size)),
            [] | [b'\r'] => return Ok(None),
            _ => return Err(ProtocolError::ChunkEnd),
        },
        Chunked::Trailers(seen) => {
            let Some(end) = rest.windows(2).position(|pair| pair == b"\r\n") else {
                if seen + rest.len() > MAX_TRAILERS {
                    return Err(ProtocolError::Trailers);
                }
                return Ok(None);
            };
            if seen + end > MAX_TRAILERS {
                return Err(ProtocolError::Trailers);
            }
            let next = if end == 0 {
                BodyReader::Empty
            } else {
                BodyReader::Chunked(Chunked::Trailers(seen + end + 2))
            };
            (end + 2, next)
        }
    }))
}

#[cfg(test)]
mod tests;
