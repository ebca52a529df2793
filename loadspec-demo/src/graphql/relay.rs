//! Relay connections as graphene-django serves them: global ids (`base64("Type:pk")`),
//! array-offset cursors (`base64("arrayconnection:n")`), `first`/`last`/`offset`/`after`/
//! `before` paging capped at 100 records, `totalCount`, `edgeCount` and `pageInfo`.

use async_graphql::SimpleObject;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::GqlResult;

/// openIMIS' `RELAY_CONNECTION_MAX_LIMIT`: the largest page a connection answers.
pub(crate) const MAX_LIMIT: i64 = 100;

/// The relay global id of a row: `base64("<Type>:<pk>")`.
pub(crate) fn global_id(type_name: &str, pk: impl std::fmt::Display) -> String {
    BASE64.encode(format!("{type_name}:{pk}"))
}

/// The primary key inside a global id of `type_name`, if it is one.
pub(crate) fn decode_global_id(type_name: &str, id: &str) -> Option<i64> {
    let text = String::from_utf8(BASE64.decode(id).ok()?).ok()?;
    let (kind, pk) = text.split_once(':')?;
    (kind == type_name).then(|| pk.parse().ok()).flatten()
}

fn cursor(offset: i64) -> String {
    BASE64.encode(format!("arrayconnection:{offset}"))
}

fn cursor_offset(cursor: &str) -> Option<i64> {
    let text = String::from_utf8(BASE64.decode(cursor).ok()?).ok()?;
    text.strip_prefix("arrayconnection:")?.parse().ok()
}

/// The paging arguments every connection field takes.
#[derive(Debug, Clone, Default)]
pub(crate) struct PageArgs {
    pub(crate) first: Option<i64>,
    pub(crate) last: Option<i64>,
    pub(crate) offset: Option<i64>,
    pub(crate) after: Option<String>,
    pub(crate) before: Option<String>,
}

/// Which rows a page covers: `LIMIT limit OFFSET start` (one more row is fetched to know
/// whether another page follows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) start: i64,
    pub(crate) limit: i64,
    backwards: bool,
}

impl PageArgs {
    /// Checks the arguments like graphene's `connection_from_array_slice` with a
    /// `max_limit`, naming the connection in its error messages.
    pub(crate) fn window(&self, connection: &str) -> GqlResult<Window> {
        for (name, value) in [("first", self.first), ("last", self.last)] {
            match value {
                Some(n) if n < 0 => {
                    return Err(
                        format!("Argument \"{name}\" must be a non-negative integer").into(),
                    );
                }
                Some(n) if n > MAX_LIMIT => {
                    return Err(format!(
                        "Requesting {n} records on the `{connection}` connection exceeds the `{name}` limit of {MAX_LIMIT} records."
                    )
                    .into());
                }
                _ => {}
            }
        }
        let after = self
            .after
            .as_deref()
            .map(|c| cursor_offset(c).ok_or_else(|| bad_cursor(c)))
            .transpose()?;
        let before = self
            .before
            .as_deref()
            .map(|c| cursor_offset(c).ok_or_else(|| bad_cursor(c)))
            .transpose()?;
        let mut start = self.offset.unwrap_or(0).max(0) + after.map_or(0, |a| a + 1);
        let mut end = before.map_or(i64::MAX, |b| b.max(start));
        if let Some(first) = self.first {
            end = end.min(start.saturating_add(first));
        }
        let backwards = self.last.is_some();
        if let Some(last) = self.last {
            if end == i64::MAX {
                // graphene slices from the end of the list: without `before`, `last` needs
                // the count, which the caller resolves by paging from `start` as well.
                end = start.saturating_add(last);
            } else {
                start = start.max(end - last);
            }
        }
        let limit = if end == i64::MAX {
            MAX_LIMIT
        } else {
            (end - start).clamp(0, MAX_LIMIT)
        };
        Ok(Window {
            start,
            limit,
            backwards,
        })
    }
}

fn bad_cursor(cursor: &str) -> async_graphql::Error {
    format!("Received an invalid cursor: {cursor:?}").into()
}

/// `pageInfo`.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "PageInfo")]
pub(crate) struct PageInfo {
    has_next_page: bool,
    has_previous_page: bool,
    start_cursor: Option<String>,
    end_cursor: Option<String>,
}

/// A fetched page: up to `window.limit + 1` rows from `window.start`.
pub(crate) struct Page<T> {
    /// The rows of the page (the extra row removed).
    pub(crate) rows: Vec<T>,
    /// The page's position and flags.
    pub(crate) info: PageInfo,
    /// The cursor of each row.
    pub(crate) cursors: Vec<String>,
}

impl Window {
    /// Splits `fetched` (queried with `LIMIT limit + 1`) into the page and its `pageInfo`.
    pub(crate) fn page<T>(self, mut fetched: Vec<T>) -> Page<T> {
        let more = fetched.len() as i64 > self.limit;
        fetched.truncate(usize::try_from(self.limit).unwrap_or(0));
        let cursors: Vec<String> = (0..fetched.len() as i64)
            .map(|i| cursor(self.start + i))
            .collect();
        let info = PageInfo {
            has_next_page: !self.backwards && more,
            has_previous_page: self.backwards && self.start > 0,
            start_cursor: cursors.first().cloned(),
            end_cursor: cursors.last().cloned(),
        };
        Page {
            rows: fetched,
            info,
            cursors,
        }
    }
}

/// Declares the `<Type>Connection` and `<Type>Edge` objects of a node type, named as
/// graphene names them.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $connection_name:literal, $edge_name:literal) => {
        #[derive(async_graphql::SimpleObject)]
        #[graphql(name = $edge_name)]
        pub(crate) struct $edge {
            node: Option<$node>,
            cursor: String,
        }

        #[derive(async_graphql::SimpleObject)]
        #[graphql(name = $connection_name)]
        pub(crate) struct $connection {
            page_info: $crate::graphql::relay::PageInfo,
            edges: Vec<Option<$edge>>,
            total_count: Option<i64>,
            edge_count: Option<i64>,
        }

        impl $connection {
            /// The connection of a fetched page; `total_count` when it was asked for.
            pub(crate) fn new(
                page: $crate::graphql::relay::Page<$node>,
                total_count: Option<i64>,
            ) -> Self {
                let edge_count = Some(page.rows.len() as i64);
                let edges = page
                    .rows
                    .into_iter()
                    .zip(page.cursors)
                    .map(|(node, cursor)| {
                        Some($edge {
                            node: Some(node),
                            cursor,
                        })
                    })
                    .collect();
                Self {
                    page_info: page.info,
                    edges,
                    total_count,
                    edge_count,
                }
            }
        }
    };
}

pub(crate) use connection;

#[cfg(test)]
mod tests {
    use super::*;

    fn args(first: Option<i64>, offset: Option<i64>, after: Option<i64>) -> PageArgs {
        PageArgs {
            first,
            offset,
            after: after.map(cursor),
            ..PageArgs::default()
        }
    }

    #[test]
    fn ids_and_cursors_are_graphene_s() {
        assert_eq!(global_id("InsureeGQLType", 1), "SW5zdXJlZUdRTFR5cGU6MQ==");
        assert_eq!(
            decode_global_id("InsureeGQLType", "SW5zdXJlZUdRTFR5cGU6MQ=="),
            Some(1)
        );
        assert_eq!(
            decode_global_id("FamilyGQLType", "SW5zdXJlZUdRTFR5cGU6MQ=="),
            None
        );
        assert_eq!(cursor(0), "YXJyYXljb25uZWN0aW9uOjA=");
        assert_eq!(cursor_offset("YXJyYXljb25uZWN0aW9uOjQ="), Some(4));
    }

    #[test]
    fn windows_follow_first_offset_and_after() {
        let w = args(Some(10), None, None)
            .window("insurees")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((w.start, w.limit), (0, 10));
        let w = args(Some(10), Some(20), None)
            .window("x")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((w.start, w.limit), (20, 10));
        let w = args(Some(5), None, Some(9))
            .window("x")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((w.start, w.limit), (10, 5));
        let w = args(None, None, None)
            .window("x")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((w.start, w.limit), (0, MAX_LIMIT));
        let too_many = args(Some(150), None, None).window("insurees");
        let message = too_many.err().map(|e| e.message).unwrap_or_default();
        assert_eq!(
            message,
            "Requesting 150 records on the `insurees` connection exceeds the `first` limit of 100 records."
        );
    }

    #[test]
    fn pages_know_whether_more_follow() {
        let w = args(Some(2), None, None)
            .window("x")
            .unwrap_or_else(|e| panic!("{e:?}"));
        let page = w.page(vec![1, 2, 3]);
        assert_eq!(page.rows, vec![1, 2]);
        assert!(page.info.has_next_page && !page.info.has_previous_page);
        assert_eq!(
            page.info.end_cursor.as_deref(),
            Some("YXJyYXljb25uZWN0aW9uOjE=")
        );
        let last = w.page(vec![1]);
        assert!(!last.info.has_next_page);
    }
}
