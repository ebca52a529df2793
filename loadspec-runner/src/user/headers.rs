//! A response's headers as the direct HTTP/1.1 client read them: one copy of the head and
//! where each field lies in it. The `HeaderMap` a scenario sees is built the first time it asks
//! for it; what the client itself reads from every response (cookies, `location`,
//! `server-timing`, `content-type`) is looked up in place. Building the map for every response
//! cost more than parsing the head (about 3,500 instructions a response, docs/performance.md),
//! and most responses are never asked.

use std::cell::OnceCell;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};

/// Where one field lies in the head: name and value as start and length.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub(crate) name: (u32, u32),
    pub(crate) value: (u32, u32),
}

/// A response's headers: raw fields over one copy of the head (HTTP/1.1), or a map already
/// (HTTP/2, reqwest).
pub(crate) struct ResponseHeaders {
    raw: Option<(Bytes, Vec<Field>)>,
    map: OnceCell<HeaderMap>,
}

impl std::fmt::Debug for ResponseHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.map().fmt(f)
    }
}

impl Default for ResponseHeaders {
    fn default() -> Self {
        Self::from(HeaderMap::new())
    }
}

impl From<HeaderMap> for ResponseHeaders {
    fn from(map: HeaderMap) -> Self {
        Self {
            raw: None,
            map: OnceCell::from(map),
        }
    }
}

impl ResponseHeaders {
    /// Fields over `head`; each name is a valid token and each value valid field content
    /// (httparse checked both), so the map built from them loses none.
    pub(crate) fn raw(head: Bytes, fields: Vec<Field>) -> Self {
        Self {
            raw: Some((head, fields)),
            map: OnceCell::new(),
        }
    }

    fn slice(head: &[u8], (start, len): (u32, u32)) -> &[u8] {
        let start = start as usize;
        head.get(start..start + len as usize).unwrap_or_default()
    }

    /// The values of the header `name` (any case), in the order they came.
    pub(crate) fn get_all<'s>(&'s self, name: &str) -> impl Iterator<Item = &'s [u8]> {
        let (raw, map) = match (&self.raw, self.map.get()) {
            (_, Some(map)) => (None, Some(map.get_all(name).into_iter())),
            (Some((head, fields)), None) => (Some((head, fields.iter())), None),
            (None, None) => (None, None),
        };
        let raw = raw.into_iter().flat_map(move |(head, fields)| {
            fields
                .filter(move |field| {
                    Self::slice(head, field.name).eq_ignore_ascii_case(name.as_bytes())
                })
                .map(move |field| Self::slice(head, field.value))
        });
        let mapped = map.into_iter().flatten().map(HeaderValue::as_bytes);
        raw.chain(mapped)
    }

    /// The first value of the header `name` (any case).
    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.get_all(name).next()
    }

    /// The first value of `name` when it is text.
    pub(crate) fn get_str(&self, name: &str) -> Option<&str> {
        std::str::from_utf8(self.get(name)?).ok()
    }

    /// The headers as a map, built on first use.
    pub(crate) fn map(&self) -> &HeaderMap {
        self.map.get_or_init(|| match &self.raw {
            Some((head, fields)) => Self::build(head, fields),
            None => HeaderMap::new(),
        })
    }

    fn build(head: &Bytes, fields: &[Field]) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(fields.len());
        for field in fields {
            let Ok(name) = HeaderName::from_bytes(Self::slice(head, field.name)) else {
                continue;
            };
            let (start, len) = (field.value.0 as usize, field.value.1 as usize);
            // The values share the head's one copy.
            let value = match head.get(start..start + len) {
                Some(_) if len > 0 => {
                    HeaderValue::from_maybe_shared(head.slice(start..start + len))
                }
                _ => Ok(HeaderValue::from_static("")),
            };
            if let Ok(value) = value {
                map.append(name, value);
            }
        }
        map
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn sample() -> ResponseHeaders {
        let head =
            Bytes::from_static(b"Set-Cookie: a=1\r\nServer: x\r\nset-cookie: b=2\r\nX-E: \r\n");
        let field = |name: (u32, u32), value: (u32, u32)| Field { name, value };
        ResponseHeaders::raw(
            head,
            vec![
                field((0, 10), (12, 3)),
                field((17, 6), (25, 1)),
                field((28, 10), (40, 3)),
                field((45, 3), (50, 0)),
            ],
        )
    }

    #[test]
    fn raw_lookups_and_the_built_map_agree() {
        let headers = sample();
        let raw: Vec<&[u8]> = headers.get_all("set-cookie").collect();
        assert_eq!(raw, [b"a=1", b"b=2"]);
        assert_eq!(headers.get_str("SERVER"), Some("x"));
        assert_eq!(headers.get("x-e"), Some(&b""[..]));
        assert_eq!(headers.get("missing"), None);
        let map = headers.map();
        assert_eq!(map.len(), 4);
        assert_eq!(map.get_all("set-cookie").iter().count(), 2);
        assert_eq!(map["server"], "x");
        // Once built, lookups go through the map and still agree.
        let after: Vec<&[u8]> = headers.get_all("Set-Cookie").collect();
        assert_eq!(after, [b"a=1", b"b=2"]);
        assert_eq!(sample().map(), map);
        assert_eq!(
            ResponseHeaders::from(map.clone()).get_str("server"),
            Some("x")
        );
    }
}
