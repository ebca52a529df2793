#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on setup errors"
)]

use proptest::prelude::*;

use super::*;

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(*name, HeaderValue::from_static(value));
    }
    map
}

fn head(text: &str, head_request: bool) -> (usize, ResponseHead) {
    match parse_response(text.as_bytes(), head_request).unwrap() {
        Parsed::Final { used, head } => (used, head),
        other => panic!("not a final answer: {other:?}"),
    }
}

/// What reading a whole response gave, or why it failed.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    close: bool,
    /// Bytes after the response (a connection with any is not reused).
    leftover: usize,
}

#[derive(Debug, PartialEq, Eq)]
enum Broken {
    Protocol,
    ClosedInHead,
    ClosedInBody,
}

fn listed(map: &HeaderMap) -> Vec<(String, Vec<u8>)> {
    map.iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect()
}

/// Reads a response arriving in `pieces` (then the end of the connection) with this codec.
fn ours(head_request: bool, pieces: &[Vec<u8>]) -> Result<Outcome, Broken> {
    let mut buf = Vec::new();
    let mut pos = 0;
    let mut body = Vec::new();
    let mut reading: Option<ResponseHead> = None;
    for piece in pieces.iter().map(Some).chain([None]) {
        let Some(piece) = piece else {
            return match reading {
                Some(head) if head.body.until_close() => Ok(Outcome {
                    status: head.status,
                    headers: listed(head.headers.map()),
                    body,
                    close: head.close,
                    leftover: 0,
                }),
                Some(_) => Err(Broken::ClosedInBody),
                None => Err(Broken::ClosedInHead),
            };
        };
        buf.extend_from_slice(piece);
        loop {
            match &mut reading {
                None => match parse_response(&buf[pos..], head_request) {
                    Err(_) => return Err(Broken::Protocol),
                    Ok(Parsed::Partial) => break,
                    Ok(Parsed::Informational(used)) => pos += used,
                    Ok(Parsed::Final { used, head }) => {
                        pos += used;
                        reading = Some(head);
                    }
                },
                Some(head) => {
                    if !head.body.is_done() {
                        let used = head
                            .body
                            .read(&buf[pos..], &mut body)
                            .map_err(|_| Broken::Protocol)?;
                        pos += used;
                    }
                    if head.body.is_done() {
                        return Ok(Outcome {
                            status: head.status,
                            headers: listed(head.headers.map()),
                            body,
                            close: head.close,
                            leftover: buf.len() - pos,
                        });
                    }
                    break;
                }
            }
        }
    }
    unreachable!("the end of the input always returns")
}

/// The same with ureq-proto's client state machine, as the direct client used it before.
fn ureq(head_request: bool, pieces: &[Vec<u8>]) -> Result<Outcome, Broken> {
    use ureq_proto::BodyMode;
    use ureq_proto::client::{Call, RecvBodyResult, RecvResponseResult, SendRequestResult};

    let method = if head_request { "HEAD" } else { "GET" };
    let request = http::Request::builder()
        .method(method)
        .uri("http://example.test/")
        .header("host", "example.test")
        .body(())
        .unwrap();
    let mut call = Call::new(request).unwrap().proceed();
    let mut out = vec![0; 4096];
    while !call.can_proceed() {
        call.write(&mut out).unwrap();
    }
    let Some(SendRequestResult::RecvResponse(call)) = call.proceed().unwrap() else {
        panic!("a GET goes straight to the response");
    };
    let mut head_call = Some(call);
    let mut buf = Vec::new();
    let mut pos = 0;
    let mut body = Vec::new();
    let mut response = None;
    let mut in_body: Option<Call<ureq_proto::client::state::RecvBody>> = None;
    for piece in pieces.iter().map(Some).chain([None]) {
        let Some(piece) = piece else {
            return match (in_body, response) {
                (Some(body_call), Some((status, headers)))
                    if matches!(body_call.body_mode(), BodyMode::CloseDelimited) =>
                {
                    let cleanup = match body_call.proceed() {
                        Some(RecvBodyResult::Cleanup(c)) => c,
                        Some(RecvBodyResult::Redirect(r)) => r.proceed(),
                        None => return Err(Broken::ClosedInBody),
                    };
                    Ok(Outcome {
                        status,
                        headers,
                        body,
                        close: cleanup.must_close_connection(),
                        leftover: 0,
                    })
                }
                (Some(_), _) => Err(Broken::ClosedInBody),
                _ => Err(Broken::ClosedInHead),
            };
        };
        buf.extend_from_slice(piece);
        loop {
            if let Some(mut body_call) = in_body.take() {
                let mut chunk = vec![0; buf.len() - pos + 1];
                let (used, written) = body_call
                    .read(&buf[pos..], &mut chunk)
                    .map_err(|_| Broken::Protocol)?;
                body.extend_from_slice(&chunk[..written]);
                pos += used;
                let until_close = matches!(body_call.body_mode(), BodyMode::CloseDelimited);
                if !until_close && body_call.can_proceed() {
                    let cleanup = match body_call.proceed() {
                        Some(RecvBodyResult::Cleanup(c)) => c,
                        Some(RecvBodyResult::Redirect(r)) => r.proceed(),
                        None => return Err(Broken::Protocol),
                    };
                    let (status, headers) = response.take().unwrap();
                    return Ok(Outcome {
                        status,
                        headers,
                        body,
                        close: cleanup.must_close_connection(),
                        leftover: buf.len() - pos,
                    });
                }
                in_body = Some(body_call);
                break;
            }
            if pos == buf.len() {
                break;
            }
            let Some(call) = head_call.as_mut() else {
                break;
            };
            let (used, parsed) = call
                .try_response(&buf[pos..], false)
                .map_err(|_| Broken::Protocol)?;
            pos += used;
            let Some(parsed) = parsed else {
                if used > 0 {
                    continue;
                }
                break;
            };
            let status = parsed.status().as_u16();
            let headers = listed(parsed.headers());
            response = Some((status, headers));
            let Some(next) = head_call.take().and_then(|call| call.proceed()) else {
                return Err(Broken::Protocol);
            };
            let cleanup = match next {
                RecvResponseResult::RecvBody(body_call) => {
                    in_body = Some(body_call);
                    continue;
                }
                RecvResponseResult::Redirect(r) => r.proceed(),
                RecvResponseResult::Cleanup(c) => c,
            };
            let (status, headers) = response.take().unwrap();
            return Ok(Outcome {
                status,
                headers,
                body,
                close: cleanup.must_close_connection(),
                leftover: buf.len() - pos,
            });
        }
    }
    unreachable!("the end of the input always returns")
}

#[test]
fn request_heads_are_written_whole_with_the_clients_own_fields() {
    let method = Method::POST;
    let map = headers(&[
        ("x-trace", "a b"),
        ("content-length", "999"),
        ("transfer-encoding", "chunked"),
        ("authorization", "Bearer t"),
    ]);
    let host = HeaderValue::from_static("127.0.0.1:8080");
    let head = RequestHead {
        method: &method,
        target: "/api/graphql?x=1",
        headers: &map,
        host: Some(&host),
        accept: true,
        content_length: Some(1234),
    };
    let mut out = vec![0; head.len() + 8];
    let written = head.write(&mut out);
    assert_eq!(written, head.len());
    assert_eq!(
        std::str::from_utf8(&out[..written]).unwrap(),
        "POST /api/graphql?x=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nx-trace: a b\r\n\
         authorization: Bearer t\r\naccept: */*\r\ncontent-length: 1234\r\n\r\n"
    );
    let get = Method::GET;
    let bare = RequestHead {
        method: &get,
        target: "/",
        headers: &HeaderMap::new(),
        host: None,
        accept: false,
        content_length: Some(0),
    };
    let mut out = vec![0; bare.len()];
    assert_eq!(bare.write(&mut out), bare.len());
    assert_eq!(&out[..], b"GET / HTTP/1.1\r\ncontent-length: 0\r\n\r\n");
    // Too small a buffer gets what fits and never panics; the length says it did not fit.
    let mut small = vec![0; 10];
    assert_eq!(head.write(&mut small), head.len());
    for n in [0, 9, 10, 12_345, usize::MAX] {
        assert_eq!(Digits::of(n).as_bytes(), n.to_string().as_bytes());
    }
}

#[test]
fn request_targets_are_the_path_and_query_without_the_fragment() {
    let url = url::Url::parse("http://h:1/a%20b/c?q=%7B1%7D#frag").unwrap();
    assert_eq!(request_target(&url), Some("/a%20b/c?q=%7B1%7D"));
    let url = url::Url::parse("http://h").unwrap();
    assert_eq!(request_target(&url), Some("/"));
    let url = url::Url::parse("http://h/ä?x=ü").unwrap();
    assert_eq!(request_target(&url), Some("/%C3%A4?x=%C3%BC"));
}

#[test]
fn a_head_is_parsed_once_complete_and_its_values_share_one_copy() {
    let text = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\nX-Empty:\r\n\r\nhello";
    for cut in 0..text.len() - 5 {
        assert!(matches!(
            parse_response(&text.as_bytes()[..cut], false),
            Ok(Parsed::Partial)
        ));
    }
    let (used, head) = head(text, false);
    assert_eq!(used, text.len() - 5);
    assert_eq!(head.status, 200);
    assert_eq!(head.headers.map()["server"], "nginx");
    assert_eq!(head.headers.map()["x-empty"], "");
    assert_eq!(head.body, BodyReader::Length(5));
    assert!(!head.close);
}

#[test]
fn bodiless_answers_have_no_body_whatever_their_headers_say() {
    for (status, head_request) in [(204, false), (304, false), (200, true), (101, false)] {
        let text = format!("HTTP/1.1 {status} X\r\ncontent-length: 10\r\n\r\n");
        let (_, parsed) = head(&text, head_request);
        assert_eq!(parsed.body, BodyReader::Empty, "{status} {head_request}");
    }
    // 101 hands the connection to another protocol: never reused.
    assert!(head("HTTP/1.1 101 Switching\r\n\r\n", false).1.close);
    assert!(matches!(
        parse_response(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", false),
        Ok(Parsed::Informational(25))
    ));
}

#[test]
fn keep_alive_follows_the_version_and_the_connection_header() {
    assert!(
        head("HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n", false)
            .1
            .close
    );
    assert!(
        !head(
            "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\ncontent-length: 0\r\n\r\n",
            false
        )
        .1
        .close
    );
    assert!(
        head(
            "HTTP/1.1 200 OK\r\nconnection: upgrade, CLOSE\r\ncontent-length: 0\r\n\r\n",
            false
        )
        .1
        .close
    );
    // No length: the body lasts until the server closes.
    let (_, until_close) = head("HTTP/1.1 200 OK\r\n\r\n", false);
    assert!(until_close.body.until_close() && until_close.close);
    assert!(request_closes(&headers(&[("connection", "Close")])));
    assert!(!request_closes(&headers(&[("connection", "keep-alive")])));
}

#[test]
fn framing_follows_rfc_9112() {
    let body = |text: &str| head(text, false).1.body;
    assert_eq!(
        body("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\ncontent-length: 3\r\n\r\n"),
        BodyReader::Chunked(Chunked::Size)
    );
    assert_eq!(
        body("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked, gzip\r\n\r\n"),
        BodyReader::UntilClose
    );
    // HTTP/1.0 has no transfer codings.
    assert_eq!(
        body("HTTP/1.0 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n"),
        BodyReader::Length(3)
    );
    assert_eq!(
        body("HTTP/1.1 200 OK\r\ncontent-length: 7, 7\r\ncontent-length: 007\r\n\r\n"),
        BodyReader::Length(7)
    );
    for bad in ["7, 8", "-1", "", "1e3", "99999999999999999999999"] {
        let text = format!("HTTP/1.1 200 OK\r\ncontent-length: {bad}\r\n\r\n");
        assert!(parse_response(text.as_bytes(), false).is_err(), "{bad:?}");
    }
}

#[test]
fn broken_heads_are_errors_not_panics() {
    assert_eq!(
        parse_response(b"HTTP/1.1 099 Low\r\n\r\n", false).unwrap_err(),
        ProtocolError::Status(99)
    );
    assert!(matches!(
        parse_response(b"HTTP/2 200 OK\r\n\r\n", false),
        Err(ProtocolError::Head(_))
    ));
    let many: String = (0..=MAX_HEADERS).map(|i| format!("x-{i}: v\r\n")).collect();
    let text = format!("HTTP/1.1 200 OK\r\n{many}\r\n");
    assert_eq!(
        parse_response(text.as_bytes(), false).unwrap_err(),
        ProtocolError::TooManyHeaders
    );
}

#[test]
fn chunked_bodies_with_extensions_and_trailers_split_anywhere() {
    let wire =
        b"5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nx-trailer: 1\r\n\r\nNEXT";
    for cut in 0..wire.len() {
        let mut reader = BodyReader::Chunked(Chunked::Size);
        let mut body = Vec::new();
        let first = reader.read(&wire[..cut], &mut body).unwrap();
        let mut rest = wire[first..].to_vec();
        let mut used = 0;
        while !reader.is_done() {
            let n = reader.read(&rest[used..], &mut body).unwrap();
            assert!(n > 0, "no progress at cut {cut}");
            used += n;
        }
        rest.drain(..used);
        assert_eq!(body, b"hello 0123456789", "cut {cut}");
        assert_eq!(rest, b"NEXT", "cut {cut}");
    }
}

#[test]
fn broken_chunks_are_errors_and_endless_lines_are_bounded() {
    let mut body = Vec::new();
    let mut reader = BodyReader::Chunked(Chunked::Size);
    assert_eq!(
        reader.read(b"zz\r\n", &mut body),
        Err(ProtocolError::ChunkSize)
    );
    let mut reader = BodyReader::Chunked(Chunked::Size);
    assert_eq!(
        reader.read(b"2\r\nabX", &mut body),
        Err(ProtocolError::ChunkEnd)
    );
    let mut reader = BodyReader::Chunked(Chunked::Size);
    let line = vec![b'1'; MAX_CHUNK_LINE + 1];
    assert!(reader.read(&line, &mut body).is_err());
    let mut reader = BodyReader::Chunked(Chunked::Trailers(0));
    let trailer = vec![b'x'; MAX_TRAILERS + 1];
    assert_eq!(
        reader.read(&trailer, &mut body),
        Err(ProtocolError::Trailers)
    );
}

/// A response as a server might send it: its head, its body as framed, and where the reads
/// split it.
#[derive(Debug, Clone)]
struct Generated {
    head_request: bool,
    wire: Vec<u8>,
    cuts: Vec<usize>,
}

fn generated() -> impl Strategy<Value = Generated> {
    let status = prop::sample::select(vec![200u16, 201, 204, 206, 301, 304, 404, 500, 503]);
    let framing = prop::sample::select(vec!["length", "chunked", "close", "wrong-length", "both"]);
    let connection = prop::sample::select(vec!["", "close", "keep-alive", "Keep-Alive, Upgrade"]);
    let extra = prop::collection::vec(("[a-z][a-z0-9-]{0,12}", "[ -~]{0,40}"), 0..6);
    (
        any::<bool>(),
        any::<bool>(),
        status,
        framing,
        connection,
        extra,
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(1usize..64, 1..8),
        any::<bool>(),
        prop::collection::vec(0usize..400, 0..6),
    )
        .prop_map(
            |(
                head_request,
                http10,
                status,
                framing,
                connection,
                extra,
                body,
                chunks,
                early,
                cuts,
            )| {
                let version = if http10 { "HTTP/1.0" } else { "HTTP/1.1" };
                let mut wire = Vec::new();
                if early {
                    wire.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                }
                wire.extend_from_slice(format!("{version} {status} Reason\r\n").as_bytes());
                for (name, value) in &extra {
                    let value = value.trim();
                    wire.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
                }
                if !connection.is_empty() {
                    wire.extend_from_slice(format!("Connection: {connection}\r\n").as_bytes());
                }
                let chunked = matches!(framing, "chunked" | "both");
                match framing {
                    "length" => wire.extend_from_slice(
                        format!("Content-Length: {}\r\n", body.len()).as_bytes(),
                    ),
                    "wrong-length" => wire.extend_from_slice(
                        format!("Content-Length: {}\r\n", body.len() / 2).as_bytes(),
                    ),
                    "both" => wire.extend_from_slice(b"content-length: 3\r\n"),
                    _ => {}
                }
                if chunked {
                    wire.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
                }
                wire.extend_from_slice(b"\r\n");
                if chunked && !http10 {
                    let mut rest = &body[..];
                    let mut sizes = chunks.iter().cycle();
                    while !rest.is_empty() {
                        let size = (*sizes.next().unwrap_or(&1)).min(rest.len());
                        wire.extend_from_slice(format!("{size:x}\r\n").as_bytes());
                        wire.extend_from_slice(&rest[..size]);
                        wire.extend_from_slice(b"\r\n");
                        rest = &rest[size..];
                    }
                    wire.extend_from_slice(b"0\r\n\r\n");
                } else {
                    wire.extend_from_slice(&body);
                }
                let mut cuts: Vec<usize> = cuts.into_iter().filter(|&c| c < wire.len()).collect();
                cuts.sort_unstable();
                cuts.dedup();
                Generated {
                    head_request,
                    wire,
                    cuts,
                }
            },
        )
}

fn pieces(generated: &Generated) -> Vec<Vec<u8>> {
    let mut pieces = Vec::new();
    let mut from = 0;
    for &cut in generated.cuts.iter().chain([&generated.wire.len()]) {
        pieces.push(generated.wire[from..cut].to_vec());
        from = cut;
    }
    pieces
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The codec reads what ureq-proto (the direct client's protocol before it) read: the same
    /// status, headers in order, body, keep-alive verdict and leftover bytes, or both fail.
    #[test]
    fn the_codec_reads_responses_as_ureq_proto_did(generated in generated()) {
        let pieces = pieces(&generated);
        prop_assert_eq!(
            ours(generated.head_request, &pieces),
            ureq(generated.head_request, &pieces),
            "{:?}",
            String::from_utf8_lossy(&generated.wire)
        );
    }

    /// Whatever bytes arrive, the codec returns: no panic, no endless loop.
    #[test]
    fn arbitrary_input_never_panics(wire in prop::collection::vec(any::<u8>(), 0..600), head_request in any::<bool>()) {
        let mut prefix = b"HTTP/1.1 200 OK\r\n".to_vec();
        prefix.extend_from_slice(&wire);
        let _ = ours(head_request, &[prefix]);
        let _ = ours(head_request, &[wire]);
    }
}
