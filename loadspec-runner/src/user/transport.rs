//! How a prepared request reaches the target — over the user's own connection (the direct
//! client) or through reqwest's pooled client — and the redirects it follows on the way.

use std::borrow::Cow;
use std::time::Instant;

use bytes::Bytes;
use reqwest::header::{
    AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HeaderMap, LOCATION,
    PROXY_AUTHORIZATION, TRANSFER_ENCODING, WWW_AUTHENTICATE,
};
use reqwest::{Method, Url};

use super::connection::{self, Progress, WireError};
use super::failure::ErrorKind;
use super::{User, UserContext};

/// Redirects followed before giving up, as reqwest's default policy.
const MAX_REDIRECTS: usize = 10;

/// A request on its way.
// Held once per request in flight, inside the scenario's future: boxing the request would
// cost an allocation per request to save 250 bytes per user.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Transport<P> {
    /// Handed to reqwest, which is already driving it.
    Pooled(P),
    /// Sent over the user's own connection when awaited.
    Direct(reqwest::Request),
}

/// A response read to its end.
pub(crate) struct Received {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// From the request's start until the response head was in.
    pub(crate) head_micros: u64,
}

/// Why a request failed, and how far it got.
pub(crate) struct Fault {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
    pub(crate) status: Option<u16>,
    pub(crate) head_micros: u64,
}

/// The direct client takes plain-HTTP requests whose body is in memory; the rest (HTTPS,
/// streamed bodies, `--http-client reqwest`) goes to reqwest.
pub(crate) fn choose<P>(
    ctx: &UserContext,
    request: reqwest::Request,
    pooled: impl FnOnce(reqwest::Request) -> P,
) -> Transport<P> {
    let direct = ctx.direct.is_some()
        && request.url().scheme() == "http"
        && request.body().is_none_or(|body| body.as_bytes().is_some());
    if direct {
        Transport::Direct(request)
    } else {
        Transport::Pooled(pooled(request))
    }
}

impl<P> Transport<P>
where
    P: Future<Output = reqwest::Result<reqwest::Response>>,
{
    /// Waits for the whole response, storing the cookies it sets in the user's session.
    pub(crate) async fn receive(
        self,
        user: &mut User,
        started: Instant,
    ) -> Result<Received, Fault> {
        match self {
            Transport::Pooled(pending) => pooled(pending, user, started).await,
            Transport::Direct(request) => direct(request, user, started).await,
        }
    }
}

fn micros_since(started: Instant, at: Instant) -> u64 {
    at.saturating_duration_since(started).as_micros() as u64
}

async fn pooled<P>(pending: P, user: &mut User, started: Instant) -> Result<Received, Fault>
where
    P: Future<Output = reqwest::Result<reqwest::Response>>,
{
    let mut response = pending.await.map_err(|error| Fault {
        kind: super::request::classify(&error),
        message: super::request::chain(&error),
        status: None,
        head_micros: 0,
    })?;
    let head_micros = micros_since(started, Instant::now());
    let status = response.status().as_u16();
    user.session
        .store_cookies(response.url(), response.headers());
    let body = read_body(&mut response).await.map_err(|error| {
        let error = error.with_url(response.url().clone());
        Fault {
            kind: super::request::classify(&error),
            message: super::request::chain(&error),
            status: Some(status),
            head_micros,
        }
    })?;
    // Taken once the body is read, so the future does not hold them besides the response.
    let headers = std::mem::take(response.headers_mut());
    Ok(Received {
        status,
        headers,
        body,
        head_micros,
    })
}

/// Reads the whole body, without copying when it arrives in one piece.
async fn read_body(response: &mut reqwest::Response) -> reqwest::Result<Bytes> {
    let Some(first) = response.chunk().await? else {
        return Ok(Bytes::new());
    };
    let Some(second) = response.chunk().await? else {
        return Ok(first);
    };
    let mut all = bytes::BytesMut::with_capacity(first.len() + second.len());
    all.extend_from_slice(&first);
    all.extend_from_slice(&second);
    drop((first, second));
    while let Some(chunk) = response.chunk().await? {
        all.extend_from_slice(&chunk);
    }
    Ok(all.freeze())
}

async fn direct(
    mut request: reqwest::Request,
    user: &mut User,
    started: Instant,
) -> Result<Received, Fault> {
    let ctx = std::rc::Rc::clone(&user.ctx);
    let Some(timeouts) = ctx.direct else {
        return Err(Fault {
            kind: ErrorKind::Scenario,
            message: "the direct client is off".to_owned(),
            status: None,
            head_micros: 0,
        });
    };
    let limit = request.timeout().copied().unwrap_or(ctx.request_timeout);
    let headers = std::mem::take(request.headers_mut());
    let body = request.body_mut().take();
    let body = body.as_ref().and_then(|b| b.as_bytes()).unwrap_or_default();
    let mut progress = Progress::default();
    let outcome = tokio::time::timeout(
        limit,
        follow(
            request.method(),
            request.url(),
            headers,
            body,
            user,
            timeouts,
            &mut progress,
        ),
    )
    .await;
    let head_micros = progress.head_at.map_or(0, |at| micros_since(started, at));
    let fault = |error: WireError| Fault {
        kind: error.kind,
        message: error.message,
        status: progress.status,
        head_micros,
    };
    match outcome {
        Ok(Ok((status, headers, body))) => Ok(Received {
            status,
            headers,
            body,
            head_micros,
        }),
        Ok(Err(error)) => Err(fault(error)),
        Err(_) => Err(fault(WireError {
            kind: ErrorKind::Timeout,
            message: format!(
                "request to {} timed out after {}",
                request.url(),
                humantime::format_duration(limit)
            ),
        })),
    }
}

/// Sends the request and follows redirects the way reqwest's default policy does (up to 10;
/// 301, 302 and 303 turn into a GET without body; credentials are not sent to another host),
/// storing every hop's cookies, which reqwest would drop, and sending the jar's cookies on.
async fn follow(
    method: &Method,
    url: &Url,
    mut headers: HeaderMap,
    body: &[u8],
    user: &mut User,
    timeouts: connection::Timeouts,
    progress: &mut Progress,
) -> Result<(u16, HeaderMap, Bytes), WireError> {
    let mut method = Cow::Borrowed(method);
    let mut url = Cow::Borrowed(url);
    let mut body = body;
    for hop in 0..=MAX_REDIRECTS {
        let answer = connection::exchange(
            &mut user.connection,
            &method,
            &url,
            // Kept for a redirect; cloning a few headers is cheap next to a round trip.
            headers.clone(),
            body,
            timeouts,
            progress,
        )
        .await?;
        user.session.store_cookies(&url, &answer.headers);
        let status = answer.status;
        let next = match status {
            301 | 302 | 303 | 307 | 308 => answer
                .headers
                .get(LOCATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|location| url.join(location).ok()),
            _ => None,
        };
        let Some(next) = next else {
            return Ok((status, answer.headers, answer.body));
        };
        if hop == MAX_REDIRECTS {
            return Err(WireError {
                kind: ErrorKind::Io,
                message: format!("too many redirects ({MAX_REDIRECTS}) starting at {url}"),
            });
        }
        if next.scheme() != "http" {
            return Err(WireError {
                kind: ErrorKind::Tls,
                message: format!(
                    "{url} redirects to {next}: the direct client speaks plain HTTP; use \
                     `--http-client reqwest` (with loadspec's `tls` feature for HTTPS)"
                ),
            });
        }
        if matches!(status, 301..=303) {
            body = &[];
            for name in [
                TRANSFER_ENCODING,
                CONTENT_ENCODING,
                CONTENT_TYPE,
                CONTENT_LENGTH,
            ] {
                headers.remove(name);
            }
            if !matches!(*method, Method::GET | Method::HEAD) {
                method = Cow::Owned(Method::GET);
            }
        }
        if next.host_str() != url.host_str()
            || next.port_or_known_default() != url.port_or_known_default()
        {
            for name in [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, WWW_AUTHENTICATE] {
                headers.remove(name);
            }
        }
        if let Some(cookie) = user.session.cookie_header(&next) {
            headers.insert(COOKIE, cookie);
        }
        url = Cow::Owned(next);
    }
    Err(WireError {
        kind: ErrorKind::Io,
        message: format!("too many redirects ({MAX_REDIRECTS})"),
    })
}
