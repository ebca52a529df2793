//! Transactions: the recorded requests grouped per page, or per burst of activity between idle
//! gaps, named after the page or the first request, with the user's think time before each.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::call::Call;
use super::model::Page;

/// How requests are grouped into transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Grouping {
    /// By page when the recording has pages (and entries refer to them), else by idle gaps.
    #[default]
    Auto,
    /// One transaction per HAR page.
    Pages,
    /// A new transaction after every pause longer than the idle gap.
    IdleGaps,
}

/// One transaction of the generated scenario.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) name: String,
    /// The user's pause before the transaction, from the recording.
    pub(crate) pause: Option<Duration>,
}

/// Path segments that name no resource.
const NOISE_SEGMENTS: &[&str] = &["api", "rest", "v1", "v2", "v3", "v4", "json", "front"];

/// Orders `calls` into transactions (setting each call's `group`, sorting them by transaction
/// then start time) and returns the transactions.
pub(crate) fn group(
    calls: &mut [Call],
    pagerefs: &[Option<String>],
    pages: &[Page],
    grouping: Grouping,
    idle_gap: Duration,
) -> Vec<Group> {
    // Time order first (stable: entries without a time keep their place).
    sort_by_time(calls);
    let known: HashMap<&str, usize> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let page_of = |call: &Call| {
        pagerefs
            .get(call.entry)
            .and_then(|r| r.as_deref())
            .and_then(|r| known.get(r).copied())
    };
    let by_pages = match grouping {
        Grouping::Pages => true,
        Grouping::IdleGaps => false,
        Grouping::Auto => calls.iter().any(|c| page_of(c).is_some()),
    };
    let mut titles: Vec<Option<String>> = Vec::new();
    if by_pages {
        // One group per page, in order of the page's first request; requests without a page
        // join the group of the request before them.
        let mut group_of_page: HashMap<usize, usize> = HashMap::new();
        let mut current: Option<usize> = None;
        for call in calls.iter_mut() {
            let group = match page_of(call) {
                Some(page) => *group_of_page.entry(page).or_insert_with(|| {
                    titles.push(pages[page].title.clone());
                    titles.len() - 1
                }),
                None => current.unwrap_or_else(|| {
                    titles.push(None);
                    titles.len() - 1
                }),
            };
            call.group = group;
            current = Some(group);
        }
    } else {
        let gap_ms = idle_gap.as_secs_f64() * 1000.0;
        let mut last_end: Option<f64> = None;
        for call in calls.iter_mut() {
            let gap = match (call.start_ms, last_end) {
                (Some(start), Some(end)) => start - end,
                _ => 0.0,
            };
            if titles.is_empty() || gap > gap_ms {
                titles.push(None);
                last_end = None;
            }
            call.group = titles.len() - 1;
            last_end = match (last_end, call.end_ms) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        }
    }
    // Transactions in order, requests in time order within each.
    calls.sort_by_key(|c| c.group);
    names_and_pauses(calls, &titles)
}

fn sort_by_time(calls: &mut [Call]) {
    // Entries without a time take the time of the one before them.
    let mut last = f64::MIN;
    let keys: Vec<f64> = calls
        .iter()
        .map(|c| {
            if let Some(start) = c.start_ms {
                last = start;
            }
            last
        })
        .collect();
    let mut order: Vec<usize> = (0..calls.len()).collect();
    order.sort_by(|a, b| keys[*a].total_cmp(&keys[*b]));
    let mut sorted: Vec<Option<Call>> = calls.iter().cloned().map(Some).collect();
    for (slot, index) in calls.iter_mut().zip(order) {
        if let Some(call) = sorted[index].take() {
            *slot = call;
        }
    }
}

fn names_and_pauses(calls: &[Call], titles: &[Option<String>]) -> Vec<Group> {
    let count = titles.len();
    let mut first: Vec<Option<&Call>> = vec![None; count];
    let mut start: Vec<Option<f64>> = vec![None; count];
    let mut end: Vec<Option<f64>> = vec![None; count];
    for call in calls {
        let g = call.group;
        first[g].get_or_insert(call);
        if let Some(s) = call.start_ms {
            start[g] = Some(start[g].map_or(s, |v: f64| v.min(s)));
        }
        if let Some(e) = call.end_ms {
            end[g] = Some(end[g].map_or(e, |v: f64| v.max(e)));
        }
    }
    let mut names: Vec<String> = (0..count)
        .map(|g| {
            titles[g]
                .as_deref()
                .map(title_name)
                .filter(|n| !n.is_empty())
                .or_else(|| first[g].map(path_name))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("action_{}", g + 1))
        })
        .collect();
    // Pages with the same title (single-page apps) are named after their first request.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for name in &names {
        *seen.entry(name.clone()).or_default() += 1;
    }
    for (g, name) in names.iter_mut().enumerate() {
        if seen.get(name.as_str()).copied().unwrap_or(0) > 1
            && titles[g].is_some()
            && let Some(call) = first[g]
        {
            let by_path = path_name(call);
            if !by_path.is_empty() {
                *name = by_path;
            }
        }
    }
    let mut taken: HashSet<String> = HashSet::new();
    let mut groups = Vec::with_capacity(count);
    for g in 0..count {
        let mut name = names[g].clone();
        let mut n = 2;
        while !taken.insert(name.clone()) {
            name = format!("{}_{n}", names[g]);
            n += 1;
        }
        let pause = match (g.checked_sub(1).and_then(|p| end[p]), start[g]) {
            (Some(previous_end), Some(this_start)) if this_start > previous_end => {
                let ms = (this_start - previous_end).round();
                (ms >= 1.0).then(|| Duration::from_millis(ms as u64))
            }
            _ => None,
        };
        groups.push(Group { name, pause });
    }
    groups
}

/// `snake_case` of free text, at most 40 characters.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            // camelCase -> camel_case
            let camel = c.is_ascii_uppercase() && previous_lower;
            if (camel || gap) && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            gap = true;
            previous_lower = false;
        }
        if out.len() >= 40 {
            break;
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// The name of a page from its title: a URL's path, or the title's words.
fn title_name(title: &str) -> String {
    let title = title.trim();
    if let Ok(url) = url::Url::parse(title)
        && matches!(url.scheme(), "http" | "https")
    {
        return segments_name(url.path().split('/'));
    }
    slug(title)
}

/// The name of a transaction from its first request: the last meaningful path segments.
fn path_name(call: &Call) -> String {
    segments_name(call.segments.iter().map(|s| s.raw.as_str()))
}

fn segments_name<'a>(segments: impl Iterator<Item = &'a str>) -> String {
    let words: Vec<&str> = segments
        .filter(|s| !s.is_empty())
        .filter(|s| !NOISE_SEGMENTS.contains(&s.to_ascii_lowercase().as_str()))
        .filter(|s| !looks_like_id(s))
        .collect();
    let tail = &words[words.len().saturating_sub(2)..];
    slug(&tail.join("_"))
}

/// Whether a path segment is an identifier (a number, a UUID, a long token with digits).
pub(crate) fn looks_like_id(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    if digits == bytes.len() {
        return true;
    }
    let uuid = bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    if uuid || (bytes.len() >= 16 && digits > 0 && bytes.iter().all(u8::is_ascii_hexdigit)) {
        return true;
    }
    let token = bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_');
    token && bytes.len() >= 6 && digits >= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_snake_case() {
        assert_eq!(slug("New insuree"), "new_insuree");
        assert_eq!(slug("openIMIS - Insurees"), "open_imis_insurees");
        assert_eq!(slug("chfId"), "chf_id");
        assert_eq!(slug("  --  "), "");
        assert_eq!(
            title_name("https://imis.example.org/front/insuree/new"),
            "insuree_new"
        );
        assert_eq!(
            segments_name("/api/families/42/members".split('/')),
            "families_members"
        );
        assert!(looks_like_id("500000012"));
        assert!(looks_like_id("3f2c1d9e-8a7b-4c6d-9e0f-112233445566"));
        assert!(!looks_like_id("insurees"));
    }
}
