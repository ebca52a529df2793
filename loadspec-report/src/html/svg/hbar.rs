//! The stacked horizontal bar chart: one bar per row (a request label), one segment per
//! series (a phase of the request), each segment with its own tooltip and, when it is wide
//! enough, its value written on it.

use super::{LegendItem, Scale, Stack, Svg, Unit, legend, legend_height, text_width};
use crate::html::format;

/// A stacked horizontal bar chart.
#[derive(Debug, Clone)]
pub(crate) struct HBarChart {
    /// Accessible name.
    pub(crate) label: String,
    /// Width in viewBox pixels.
    pub(crate) width: f64,
    /// Row names, written above their bars.
    pub(crate) rows: Vec<String>,
    /// The value written at the end of each bar (e.g. "23.4 ms per request").
    pub(crate) totals: Vec<String>,
    /// Unit of the x axis.
    pub(crate) unit: Unit,
    /// Segments, left first; one value per row.
    pub(crate) stacks: Vec<Stack>,
}

const LEFT: f64 = 12.0;
const RIGHT: f64 = 130.0;
const ROW: f64 = 46.0;
const BAR: f64 = 20.0;
const AXIS: f64 = 30.0;

impl HBarChart {
    /// The SVG markup.
    pub(crate) fn render(&self) -> String {
        let names: Vec<&str> = self.stacks.iter().map(|s| s.name.as_str()).collect();
        let legend_h = legend_height(&names, self.width - LEFT - RIGHT);
        let top = legend_h + 8.0;
        let plot_h = ROW * self.rows.len().max(1) as f64;
        let total_h = top + plot_h + AXIS;
        let (x0, x1) = (LEFT, self.width - RIGHT);
        let sums: Vec<f64> = (0..self.rows.len())
            .map(|r| self.stacks.iter().filter_map(|s| s.values.get(r)).sum())
            .collect();
        let (ticks, labels) = self
            .unit
            .axis(sums.iter().copied().fold(0.0, f64::max) * 1.05);
        let xs = Scale::new(0.0, ticks.last().copied().unwrap_or(1.0), x0, x1);

        let mut svg = Svg::new(self.width, total_h, &self.label);
        let items: Vec<LegendItem<'_>> = self
            .stacks
            .iter()
            .map(|s| LegendItem {
                name: &s.name,
                color: &s.color,
                dashed: false,
                filled: true,
            })
            .collect();
        legend(&mut svg, &items, x0, 4.0, x1 - x0);
        let y_axis = top + plot_h;
        svg.open("g", &[("class", "axis axis-x")]);
        for (value, text) in ticks.iter().zip(labels) {
            let x = xs.at(*value);
            svg.line(x, top, x, y_axis, &[("class", "grid")]);
            svg.text(x, y_axis + 16.0, &[("text-anchor", "middle")], &text);
        }
        svg.line(x0, top, x0, y_axis, &[("class", "baseline")]);
        svg.close("g");

        svg.open("g", &[("class", "bar-rows")]);
        for (r, name) in self.rows.iter().enumerate() {
            let y = top + ROW * r as f64;
            svg.text(x0 + 4.0, y + 14.0, &[("class", "row-label")], name);
            if let Some(total) = self.totals.get(r) {
                svg.text(
                    xs.at(sums[r]) + 6.0,
                    y + 20.0 + BAR / 2.0 + 4.0,
                    &[("class", "bar-total")],
                    total,
                );
            }
        }
        svg.close("g");

        for (s, stack) in self.stacks.iter().enumerate() {
            let index = s.to_string();
            svg.open("g", &[("class", "series"), ("data-series", &index)]);
            for (r, value) in stack.values.iter().enumerate() {
                if *value <= 0.0 {
                    continue;
                }
                let before: f64 = self.stacks[..s]
                    .iter()
                    .filter_map(|o| o.values.get(r))
                    .sum();
                let (left, right) = (xs.at(before), xs.at(before + value));
                let y = top + ROW * r as f64 + 20.0;
                let width = (right - left).max(0.5);
                let share = value / sums[r].max(f64::MIN_POSITIVE);
                let row = self.rows.get(r).map_or("", String::as_str);
                let tip = format!(
                    "{row}\n{}: {} ({})",
                    stack.name,
                    self.unit.value(*value),
                    format::percent(share)
                );
                let (xa, ya, w, h) = (super::n(left), super::n(y), super::n(width), super::n(BAR));
                svg.open(
                    "rect",
                    &[
                        ("x", &xa),
                        ("y", &ya),
                        ("width", &w),
                        ("height", &h),
                        ("fill", &stack.color),
                    ],
                );
                svg.title(&tip);
                svg.close("rect");
                // The value on the segment only where it fits; the tooltip and the table
                // carry every value.
                let text = format::ms(*value);
                if text_width(&text) + 8.0 <= width {
                    svg.text(
                        left + width / 2.0,
                        y + BAR / 2.0 + 4.0,
                        &[("text-anchor", "middle"), ("class", "seg-value")],
                        &text,
                    );
                }
            }
            svg.close("g");
        }
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_follow_each_other_and_carry_their_values() {
        let chart = HBarChart {
            label: "phases".into(),
            width: 800.0,
            rows: vec!["GET /a".into(), "GET <b>".into()],
            totals: vec!["30 ms".into(), "4 ms".into()],
            unit: Unit::Millis,
            stacks: vec![
                Stack {
                    name: "connect".into(),
                    color: "#111111".into(),
                    values: vec![10.0, 0.0],
                },
                Stack {
                    name: "wait".into(),
                    color: "#222222".into(),
                    values: vec![20.0, 4.0],
                },
            ],
        };
        let svg = chart.render();
        assert_eq!(
            svg.matches("<title>").count(),
            3,
            "one segment per phase gone through"
        );
        assert!(
            svg.contains("<title>GET /a\nwait: 20.0 ms (66.7%)</title>"),
            "{svg}"
        );
        assert!(svg.contains("GET &lt;b&gt;"), "escaped row names");
        assert!(!svg.contains("GET <b>"));
        assert!(svg.contains(">30 ms</text>") && svg.contains(">4 ms</text>"));
        // No segment for a phase a row did not go through.
        assert!(!svg.contains("GET &lt;b&gt;\nconnect"));
    }
}
