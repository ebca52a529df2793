//! How a prepared request reaches the target, and the redirects it follows on the way. Each
//! hop goes over the user's own connection (the direct client, HTTP or HTTPS) when it can — a
//! body in memory — and through reqwest's pooled client otherwise (`--http-client reqwest`),
//! whose own redirect handling is off, so both clients follow one policy and keep the cookies
//! every hop sets.

use std::borrow::Cow;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{
    AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HeaderMap, LOCATION,
    PROXY_AUTHORIZATION, TRANSFER_ENCODING, WWW_AUTHENTICATE,
};
use reqwest::{Method, Url};

use super::connection::{self, Answer, Progress, Route, WireError};
use super::failure::ErrorKind;
use super::headers::ResponseHeaders;
use super::request::{chain, classify};
use super::{User, UserContext};
use crate::metrics::phases::PhaseTimes;

/// Redirects followed before giving up, as reqwest's default policy.
const MAX_REDIRECTS: usize = 10;

/// A response read to its end.
pub(crate) struct Received {
    pub(crate) status: u16,
    pub(crate) headers: ResponseHeaders,
    pub(crate) body: Bytes,
    /// From the request's start until the (last) response head was in.
    pub(crate) head_micros: u64,
    /// Where the time went, when every hop went over the direct client.
    pub(crate) phases: Option<PhaseTimes>,
}

/// Why a request failed, and how far it got.
pub(crate) struct Fault {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
    pub(crate) status: Option<u16>,
    pub(crate) head_micros: u64,
    pub(crate) phases: Option<PhaseTimes>,
}

/// Sends `request` and follows its redirects within its timeout (the whole exchange), reading
/// the final response's body; the cookies of every hop go into the user's session.
//
// Not an `async fn`: one keeps its arguments twice (as arguments and as locals), in a future
// every waiting user holds and every level above copies.
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn keeps its arguments twice in its future"
)]
pub(crate) fn exchange(
    mut request: reqwest::Request,
    user: &mut User,
    started: Instant,
) -> impl Future<Output = Result<Received, Fault>> {
    async move {
        let limit = request
            .timeout()
            .copied()
            .unwrap_or(user.ctx.request_timeout);
        let headers = std::mem::take(request.headers_mut());
        let body = request.body_mut().take();
        let mut progress = Progress::default();
        if let Some(opened) = user.batch.as_mut().and_then(|batch| batch.take_opened()) {
            progress.phases.add(&opened);
        }
        let outcome = tokio::time::timeout(
            limit,
            follow(
                request.method(),
                request.url(),
                headers,
                body.as_ref(),
                request.timeout().copied(),
                user,
                &mut progress,
            ),
        )
        .await;
        let head_micros = progress.head_at.map_or(0, |at| micros_since(started, at));
        let phases = (!progress.pooled).then_some(progress.phases);
        let fault = |error: WireError| Fault {
            kind: error.kind,
            message: error.message,
            status: progress.status,
            head_micros,
            phases,
        };
        match outcome {
            Ok(Ok(answer)) => Ok(Received {
                status: answer.status,
                headers: answer.headers,
                body: answer.body,
                head_micros,
                phases,
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
}

fn micros_since(started: Instant, at: Instant) -> u64 {
    at.saturating_duration_since(started).as_micros() as u64
}

/// Reads the whole body, without copying when it arrives in one piece, and never more than
/// `limit` bytes of it: a larger body (or a `content-length` announcing one) is an error, and
/// the response dropped unread, which closes its connection instead of pooling it.
async fn read_body(response: &mut reqwest::Response, limit: u64) -> Result<Bytes, WireError> {
    if let Some(length) = response.content_length().filter(|length| *length > limit) {
        return Err(connection::body_too_large(limit, Some(length)));
    }
    let too_large = || connection::body_too_large(limit, None);
    let Some(first) = next_chunk(response).await? else {
        return Ok(Bytes::new());
    };
    if first.len() as u64 > limit {
        return Err(too_large());
    }
    let Some(second) = next_chunk(response).await? else {
        return Ok(first);
    };
    let mut all = bytes::BytesMut::with_capacity(first.len() + second.len());
    all.extend_from_slice(&first);
    if (all.len() + second.len()) as u64 > limit {
        return Err(too_large());
    }
    all.extend_from_slice(&second);
    drop((first, second));
    while let Some(chunk) = next_chunk(response).await? {
        if (all.len() + chunk.len()) as u64 > limit {
            return Err(too_large());
        }
        all.extend_from_slice(&chunk);
    }
    Ok(all.freeze())
}

/// The body's next piece; a failure names the response's URL.
async fn next_chunk(response: &mut reqwest::Response) -> Result<Option<Bytes>, WireError> {
    match response.chunk().await {
        Ok(chunk) => Ok(chunk),
        Err(error) => {
            let error = error.with_url(response.url().clone());
            Err(WireError {
                kind: classify(&error),
                message: chain(&error),
            })
        }
    }
}

/// Sends the request and follows redirects the way reqwest's default policy does (up to 10;
/// 301, 302 and 303 turn into a GET without body; credentials are not sent to another host),
/// storing every hop's cookies — which reqwest's own redirect handling would drop — and
/// sending the jar's cookies on.
//
// Not an `async fn`, for the reason `exchange` gives.
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn keeps its arguments twice in its future"
)]
fn follow<'a>(
    method: &'a Method,
    url: &'a Url,
    mut headers: HeaderMap,
    body: Option<&'a reqwest::Body>,
    timeout: Option<Duration>,
    user: &'a mut User,
    progress: &'a mut Progress,
) -> impl Future<Output = Result<Answer, WireError>> + 'a {
    async move {
        let ctx = Rc::clone(&user.ctx);
        let mut method = Cow::Borrowed(method);
        let mut url = Cow::Borrowed(url);
        let mut body = body;
        for hop in 0..=MAX_REDIRECTS {
            // A failure is reported with the status of its own hop, not of a redirect before it;
            // the phases add up over the hops.
            *progress = Progress {
                phases: progress.phases,
                pooled: progress.pooled,
                ..Progress::default()
            };
            let answer = match direct_hop(&ctx, &url, body) {
                Some((settings, bytes)) => {
                    connection::exchange(
                        &mut user.connection,
                        &method,
                        &url,
                        &headers,
                        bytes,
                        Route {
                            settings,
                            tls: &ctx.tls,
                            source: user.source,
                        },
                        progress,
                    )
                    .await?
                }
                None => {
                    progress.pooled = true;
                    // Kept for a redirect: reqwest takes the headers it sends.
                    pooled_hop(
                        &ctx,
                        &method,
                        &url,
                        headers.clone(),
                        body,
                        timeout,
                        progress,
                    )
                    .await?
                }
            };
            user.session.store_cookies(&url, &answer.headers);
            if let Some(batch) = user.batch.as_mut() {
                batch.saw_cookies(&url, &answer.headers);
            }
            let next = match answer.status {
                301 | 302 | 303 | 307 | 308 => answer
                    .headers
                    .get_str(LOCATION.as_str())
                    .and_then(|location| url.join(location).ok()),
                _ => None,
            };
            let Some(next) = next else {
                return Ok(answer);
            };
            if hop == MAX_REDIRECTS {
                return Err(WireError {
                    kind: ErrorKind::Io,
                    message: format!("too many redirects ({MAX_REDIRECTS}) starting at {url}"),
                });
            }
            if !matches!(next.scheme(), "http" | "https") {
                return Err(WireError {
                    kind: ErrorKind::Io,
                    message: format!("{url} redirects to {next}, which is not HTTP"),
                });
            }
            if matches!(answer.status, 301..=303) {
                body = None;
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
}

/// The direct client's timeouts and the body's bytes, when it can carry this hop: it is on
/// and the body is in memory.
fn direct_hop<'b>(
    ctx: &UserContext,
    url: &Url,
    body: Option<&'b reqwest::Body>,
) -> Option<(connection::DirectSettings, &'b [u8])> {
    let timeouts = ctx.direct?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    match body {
        None => Some((timeouts, &[])),
        Some(body) => Some((timeouts, body.as_bytes()?)),
    }
}

/// One hop through the user's reqwest client (pooled; its redirect policy is `none`).
async fn pooled_hop(
    ctx: &UserContext,
    method: &Method,
    url: &Url,
    headers: HeaderMap,
    body: Option<&reqwest::Body>,
    timeout: Option<Duration>,
    progress: &mut Progress,
) -> Result<Answer, WireError> {
    let mut request = reqwest::Request::new(method.clone(), url.clone());
    *request.headers_mut() = headers;
    *request.timeout_mut() = timeout;
    if let Some(body) = body {
        // Kept for a redirect that repeats the request; every body loadspec builds (bytes,
        // text, JSON, forms) is in memory.
        let bytes = body.as_bytes().ok_or_else(|| WireError {
            kind: ErrorKind::Scenario,
            message: "a streamed request body cannot be sent".to_owned(),
        })?;
        *request.body_mut() = Some(reqwest::Body::from(Bytes::copy_from_slice(bytes)));
    }
    let reqwest_error = |error: reqwest::Error| WireError {
        kind: classify(&error),
        message: chain(&error),
    };
    let mut response = ctx.client.execute(request).await.map_err(reqwest_error)?;
    let status = response.status().as_u16();
    progress.status = Some(status);
    progress.head_at = Some(Instant::now());
    let body = read_body(&mut response, ctx.max_response_body).await?;
    // Taken once the body is read, so the future does not hold them besides the response.
    let headers = std::mem::take(response.headers_mut());
    Ok(Answer {
        status,
        headers: headers.into(),
        body,
    })
}
