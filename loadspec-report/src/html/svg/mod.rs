//! Hand-written SVG charts: a multi-series line chart (time, category or percentile x axis,
//! optional areas, steps, markers, shaded bands and vertical markers), a stacked column
//! chart and a stacked horizontal bar chart. Everything here is markup, so every text and attribute value goes through
//! [`escape`]; coordinates are rounded to one decimal to keep long runs small.
//!
//! Hover values work without JavaScript: transparent hover columns carry a `<title>` that the
//! browser shows as a tooltip; the report's small script only restyles it.

mod bar;
mod hbar;
mod line;

pub(crate) use self::bar::{BarChart, Stack};
pub(crate) use self::hbar::HBarChart;
pub(crate) use self::line::{Band, LineChart, Series, Style, VLine, XAxis};

use std::fmt::Write as _;

use super::escape::escape;
use super::format;

/// Series colours, in order: distinguishable, colour-blind friendly, readable on white.
pub(crate) const PALETTE: [&str; 8] = [
    "#2563eb", "#ea580c", "#059669", "#9333ea", "#0891b2", "#c026d3", "#ca8a04", "#475569",
];
/// Failures, errors, 5xx.
pub(crate) const RED: &str = "#dc2626";

/// The colour of series `i`.
pub(crate) fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// `n` colours from light to dark blue, for series ordered by load (low load light).
pub(crate) fn load_ramp(n: usize) -> Vec<String> {
    let (light, dark) = ([147.0, 197.0, 253.0], [30.0, 58.0, 138.0]);
    (0..n)
        .map(|i| {
            let t = if n <= 1 {
                1.0
            } else {
                i as f64 / (n - 1) as f64
            };
            let c: Vec<u8> = (0..3)
                .map(|k| (light[k] + (dark[k] - light[k]) * t).round() as u8)
                .collect();
            format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
        })
        .collect()
}

/// How the values of a y axis read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Milliseconds (ticks switch to seconds above 2 s).
    Millis,
    /// Per second.
    PerSecond,
    /// Plain counts.
    Count,
    /// Users.
    Users,
    /// Percent (0–100).
    Percent,
    /// Bytes.
    Bytes,
    /// Bytes per second.
    BytesPerSecond,
}

impl Unit {
    /// A value in a tooltip: `420 ms`, `12.5/s`, `1,204`, `50 users`.
    pub(crate) fn value(self, v: f64) -> String {
        match self {
            Self::Millis => format::time(v),
            Self::PerSecond => format!("{}/s", format::per_s(v)),
            Self::Count => format::count(v.round().max(0.0) as u64),
            Self::Users => format!("{} users", format::count(v.round().max(0.0) as u64)),
            Self::Percent => format!("{}%", format::trim(v, 1)),
            Self::Bytes => format::bytes(v.max(0.0) as u64),
            Self::BytesPerSecond => format!("{}/s", format::bytes(v.max(0.0) as u64)),
        }
    }

    /// Y axis ticks from 0 to at least `max`: round numbers in the unit shown (`1.5 s`,
    /// `200 MiB/s`), one unit for the whole axis. Returns the tick values and their labels.
    pub(crate) fn axis(self, max: f64) -> (Vec<f64>, Vec<String>) {
        let max = if max.is_finite() && max > 0.0 {
            max
        } else {
            1.0
        };
        // Shares stop at 100% unless a value really exceeds it (the callers add headroom).
        let max = if self == Self::Percent && max <= 105.0 {
            max.min(100.0)
        } else {
            max
        };
        let binary = |per: &'static str| {
            [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
                .into_iter()
                .find(|(d, _)| max >= *d as f64)
                .map_or((1.0, format!(" B{per}")), |(d, unit)| {
                    (d as f64, format!(" {unit}{per}"))
                })
        };
        let (divisor, suffix) = match self {
            Self::Millis if max >= 2000.0 => (1000.0, " s".to_owned()),
            Self::Millis => (1.0, " ms".to_owned()),
            Self::PerSecond if max >= 10_000.0 => (1000.0, "k/s".to_owned()),
            Self::PerSecond => (1.0, "/s".to_owned()),
            Self::Count | Self::Users if max >= 2_000_000.0 => (1_000_000.0, "M".to_owned()),
            Self::Count | Self::Users if max >= 10_000.0 => (1000.0, "k".to_owned()),
            Self::Count | Self::Users => (1.0, String::new()),
            Self::Percent => (1.0, "%".to_owned()),
            Self::Bytes => binary(""),
            Self::BytesPerSecond => binary("/s"),
        };
        let (scaled, step) = nice_ticks(max / divisor, 5);
        let decimals = decimals_for(step);
        let labels = scaled
            .iter()
            .map(|t| format!("{}{suffix}", format::trim(*t, decimals)))
            .collect();
        (scaled.iter().map(|t| t * divisor).collect(), labels)
    }
}

/// Decimals that show multiples of `step` exactly (2.5 → 1, 0.25 → 2, 200 → 0).
fn decimals_for(step: f64) -> usize {
    (0..6)
        .find(|d| {
            let scaled = step * 10f64.powi(*d as i32);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(6)
}

/// Ticks from 0 to at least `max`, about `target` of them, on 1-2-2.5-5 multiples.
pub(crate) fn nice_ticks(max: f64, target: usize) -> (Vec<f64>, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let n = (max / step - 1e-9).ceil().max(1.0) as usize;
    ((0..=n).map(|i| i as f64 * step).collect(), step)
}

/// A linear map from a domain to pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    /// Maps `d0..d1` onto `r0..r1`.
    pub(crate) fn new(d0: f64, d1: f64, r0: f64, r1: f64) -> Self {
        let d1 = if (d1 - d0).abs() < f64::EPSILON {
            d0 + 1.0
        } else {
            d1
        };
        Self { d0, d1, r0, r1 }
    }

    /// The pixel of `v`.
    pub(crate) fn at(&self, v: f64) -> f64 {
        self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// A coordinate with at most one decimal.
pub(crate) fn n(v: f64) -> String {
    format::trim(v, 1)
}

/// Rough width of `text` at the charts' 12px font, for layout decisions.
pub(crate) fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * 6.8
}

/// An SVG document being written; the only way chart code emits markup.
#[derive(Debug)]
pub(crate) struct Svg {
    out: String,
}

impl Svg {
    /// Opens `<svg class="chart">` of `width`×`height` (scaled to its container by CSS) with
    /// `label` as its accessible name.
    pub(crate) fn new(width: f64, height: f64, label: &str) -> Self {
        let mut svg = Self {
            out: String::with_capacity(16 * 1024),
        };
        let view_box = format!("0 0 {} {}", n(width), n(height));
        svg.open(
            "svg",
            &[
                ("xmlns", "http://www.w3.org/2000/svg"),
                ("class", "chart"),
                ("viewBox", &view_box),
                ("role", "img"),
                ("aria-label", label),
            ],
        );
        svg
    }

    fn tag(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(tag);
        for (name, value) in attrs {
            let _ = write!(self.out, " {name}=\"{}\"", escape(value));
        }
    }

    /// `<tag attrs…>`.
    pub(crate) fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.tag(tag, attrs);
        self.out.push('>');
    }

    /// `</tag>`.
    pub(crate) fn close(&mut self, tag: &str) {
        let _ = write!(self.out, "</{tag}>");
    }

    /// `<tag attrs…/>`.
    pub(crate) fn leaf(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.tag(tag, attrs);
        self.out.push_str("/>");
    }

    /// `<text x y attrs…>text</text>`.
    pub(crate) fn text(&mut self, x: f64, y: f64, attrs: &[(&str, &str)], text: &str) {
        let (x, y) = (n(x), n(y));
        let mut all = vec![("x", x.as_str()), ("y", y.as_str())];
        all.extend_from_slice(attrs);
        self.open("text", &all);
        self.out.push_str(&escape(text));
        self.close("text");
    }

    /// `<title>text</title>`: the hover tooltip of the enclosing element.
    pub(crate) fn title(&mut self, text: &str) {
        let _ = write!(self.out, "<title>{}</title>", escape(text));
    }

    /// A rectangle.
    pub(crate) fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, attrs: &[(&str, &str)]) {
        let (x, y, w, h) = (n(x), n(y), n(w.max(0.0)), n(h.max(0.0)));
        let mut all = vec![
            ("x", x.as_str()),
            ("y", y.as_str()),
            ("width", w.as_str()),
            ("height", h.as_str()),
        ];
        all.extend_from_slice(attrs);
        self.leaf("rect", &all);
    }

    /// A straight line.
    pub(crate) fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, attrs: &[(&str, &str)]) {
        let (a, b, c, d) = (n(x1), n(y1), n(x2), n(y2));
        let mut all = vec![
            ("x1", a.as_str()),
            ("y1", b.as_str()),
            ("x2", c.as_str()),
            ("y2", d.as_str()),
        ];
        all.extend_from_slice(attrs);
        self.leaf("line", &all);
    }

    /// Closes the document.
    pub(crate) fn finish(mut self) -> String {
        self.close("svg");
        self.out
    }
}

/// One legend entry.
#[derive(Debug)]
pub(crate) struct LegendItem<'a> {
    /// Series name.
    pub(crate) name: &'a str,
    /// Colour.
    pub(crate) color: &'a str,
    /// Drawn as a dashed line rather than a solid one.
    pub(crate) dashed: bool,
    /// Drawn as a filled box (bars, areas) rather than a line.
    pub(crate) filled: bool,
}

/// Lays the legend out in rows across `width` from (`x`, `y`); returns the height used. Items
/// carry `data-series` so the report's script can toggle the matching series.
pub(crate) fn legend(svg: &mut Svg, items: &[LegendItem<'_>], x: f64, y: f64, width: f64) -> f64 {
    const ROW: f64 = 18.0;
    if items.is_empty() {
        return 0.0;
    }
    let (mut cx, mut cy) = (x, y);
    svg.open("g", &[("class", "legend")]);
    for (i, item) in items.iter().enumerate() {
        let w = 22.0 + text_width(item.name) + 16.0;
        if cx > x && cx + w > x + width {
            cx = x;
            cy += ROW;
        }
        let index = i.to_string();
        svg.open("g", &[("class", "legend-item"), ("data-series", &index)]);
        if item.filled {
            svg.rect(
                cx,
                cy + 4.0,
                14.0,
                10.0,
                &[("fill", item.color), ("rx", "2")],
            );
        } else {
            let mut attrs = vec![("stroke", item.color), ("stroke-width", "2.5")];
            if item.dashed {
                attrs.push(("stroke-dasharray", "5 3"));
            }
            svg.line(cx, cy + 9.0, cx + 16.0, cy + 9.0, &attrs);
        }
        svg.text(cx + 21.0, cy + 13.0, &[("class", "legend-text")], item.name);
        svg.close("g");
        cx += w;
    }
    svg.close("g");
    cy - y + ROW + 6.0
}

/// Legend height without drawing it (to size a chart before drawing).
pub(crate) fn legend_height(names: &[&str], width: f64) -> f64 {
    if names.is_empty() {
        return 0.0;
    }
    let (mut cx, mut rows) = (0.0, 1.0);
    for name in names {
        let w = 22.0 + text_width(name) + 16.0;
        if cx > 0.0 && cx + w > width {
            cx = 0.0;
            rows += 1.0;
        }
        cx += w;
    }
    rows * 18.0 + 6.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_cover_the_maximum_on_round_steps() {
        assert_eq!(
            nice_ticks(87.0, 5).0,
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(nice_ticks(1.0, 4).0, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(nice_ticks(0.0, 5).0.last(), Some(&1.0));
        assert_eq!(
            Unit::Millis.axis(4321.0).1,
            ["0 s", "1 s", "2 s", "3 s", "4 s", "5 s"]
        );
        assert_eq!(
            Unit::Millis.axis(4.8).1,
            ["0 ms", "1 ms", "2 ms", "3 ms", "4 ms", "5 ms"]
        );
        assert_eq!(
            Unit::Millis.axis(11.0).1,
            ["0 ms", "2.5 ms", "5 ms", "7.5 ms", "10 ms", "12.5 ms"]
        );
        assert_eq!(
            Unit::PerSecond.axis(18_000.0).1,
            ["0k/s", "5k/s", "10k/s", "15k/s", "20k/s"]
        );
        let (values, labels) = Unit::BytesPerSecond.axis(150_000.0);
        assert_eq!(labels, ["0 KiB/s", "50 KiB/s", "100 KiB/s", "150 KiB/s"]);
        assert_eq!(values[1], 50.0 * 1024.0);
        assert_eq!(
            Unit::Bytes.axis(2.6 * 1_073_741_824.0).1,
            ["0 GiB", "1 GiB", "2 GiB", "3 GiB"]
        );
        assert_eq!(
            Unit::Percent.axis(105.0).1,
            ["0%", "20%", "40%", "60%", "80%", "100%"]
        );
    }

    #[test]
    fn every_text_and_attribute_is_escaped() {
        let mut svg = Svg::new(100.0, 50.0, "a \"label\" <b>");
        svg.open("g", &[("data-series", "x\" onload=\"alert(1)")]);
        svg.text(1.0, 2.0, &[], "<script>alert(1)</script>");
        svg.title("Tom & 'Jerry'");
        svg.close("g");
        let text = svg.finish();
        assert!(!text.contains("<script"), "{text}");
        assert!(!text.contains("\" onload"), "{text}");
        assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(text.contains("aria-label=\"a &quot;label&quot; &lt;b&gt;\""));
        assert!(text.contains("<title>Tom &amp; &#39;Jerry&#39;</title>"));
    }

    #[test]
    fn load_ramp_goes_from_light_to_dark() {
        assert_eq!(load_ramp(1), ["#1e3a8a"]);
        assert_eq!(load_ramp(2), ["#93c5fd", "#1e3a8a"]);
    }
}
