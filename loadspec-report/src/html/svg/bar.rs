//! The stacked column chart: one column per category (a step), one stacked segment per series
//! (a status code), each segment with its own tooltip.

use super::{LegendItem, Scale, Svg, Unit, legend, legend_height, text_width};
use crate::html::format;

/// One stacked series.
#[derive(Debug, Clone)]
pub(crate) struct Stack {
    /// Legend and tooltip name.
    pub(crate) name: String,
    /// Fill colour.
    pub(crate) color: String,
    /// One value per category.
    pub(crate) values: Vec<f64>,
}

/// A stacked column chart.
#[derive(Debug, Clone)]
pub(crate) struct BarChart {
    /// Accessible name.
    pub(crate) label: String,
    /// Width in viewBox pixels.
    pub(crate) width: f64,
    /// Height of the plot and axes (the legend adds to it).
    pub(crate) height: f64,
    /// Column labels.
    pub(crate) categories: Vec<String>,
    /// Tooltip heading of each column.
    pub(crate) headings: Vec<String>,
    /// X axis title.
    pub(crate) x_title: String,
    /// Y unit.
    pub(crate) unit: Unit,
    /// Stacks, bottom first.
    pub(crate) stacks: Vec<Stack>,
}

const LEFT: f64 = 62.0;
const RIGHT: f64 = 18.0;
const BOTTOM: f64 = 40.0;

impl BarChart {
    /// The SVG markup.
    pub(crate) fn render(&self) -> String {
        let names: Vec<&str> = self.stacks.iter().map(|s| s.name.as_str()).collect();
        let legend_h = legend_height(&names, self.width - LEFT - RIGHT);
        let total_h = self.height + legend_h;
        let (x0, x1, y0, y1) = (LEFT, self.width - RIGHT, legend_h + 18.0, total_h - BOTTOM);
        let totals: Vec<f64> = (0..self.categories.len())
            .map(|c| self.stacks.iter().filter_map(|s| s.values.get(c)).sum())
            .collect();
        let (ticks, labels) = self
            .unit
            .axis(totals.iter().copied().fold(0.0, f64::max) * 1.08);
        let ys = Scale::new(0.0, ticks.last().copied().unwrap_or(1.0), y1, y0);
        let slots = self.categories.len().max(1) as f64;
        let xs = Scale::new(0.0, slots, x0, x1);
        let bar = ((x1 - x0) / slots * 0.6).min(64.0);

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
        svg.open("g", &[("class", "axis axis-y")]);
        for (value, text) in ticks.iter().zip(labels) {
            let y = ys.at(*value);
            svg.line(x0, y, x1, y, &[("class", "grid")]);
            svg.text(x0 - 8.0, y + 4.0, &[("text-anchor", "end")], &text);
        }
        svg.close("g");
        svg.open("g", &[("class", "axis axis-x")]);
        svg.line(x0, y1, x1, y1, &[("class", "baseline")]);
        let slot_px = (x1 - x0) / slots;
        let widest = self
            .categories
            .iter()
            .map(|c| text_width(c))
            .fold(0.0, f64::max);
        let every = ((widest + 10.0) / slot_px).ceil().max(1.0) as usize;
        for (i, category) in self.categories.iter().enumerate().step_by(every) {
            let x = xs.at(i as f64 + 0.5);
            svg.text(x, y1 + 18.0, &[("text-anchor", "middle")], category);
        }
        svg.text(
            x1,
            y1 + 34.0,
            &[("text-anchor", "end"), ("class", "axis-title")],
            &self.x_title,
        );
        svg.close("g");

        for (s, stack) in self.stacks.iter().enumerate() {
            let index = s.to_string();
            svg.open("g", &[("class", "series"), ("data-series", &index)]);
            for (c, value) in stack.values.iter().enumerate() {
                if *value <= 0.0 {
                    continue;
                }
                let below: f64 = self.stacks[..s]
                    .iter()
                    .filter_map(|o| o.values.get(c))
                    .sum();
                let (top, bottom) = (ys.at(below + value), ys.at(below));
                let x = xs.at(c as f64 + 0.5) - bar / 2.0;
                let share = value / totals[c].max(1.0);
                let heading = self.headings.get(c).unwrap_or(&self.categories[c]);
                let tip = format!(
                    "{heading}\n{}: {} ({})",
                    stack.name,
                    self.unit.value(*value),
                    format::percent(share)
                );
                let (xa, ya, w, h) = (
                    super::n(x),
                    super::n(top),
                    super::n(bar),
                    super::n((bottom - top).max(0.5)),
                );
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
            }
            svg.close("g");
        }
        svg.open("g", &[("class", "bar-totals")]);
        for (c, total) in totals.iter().enumerate() {
            if *total > 0.0 {
                svg.text(
                    xs.at(c as f64 + 0.5),
                    ys.at(*total) - 5.0,
                    &[("text-anchor", "middle"), ("class", "bar-total")],
                    &format::compact(*total),
                );
            }
        }
        svg.close("g");
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_segments_with_their_share_in_the_tooltip() {
        let svg = BarChart {
            label: "codes".into(),
            width: 480.0,
            height: 260.0,
            categories: vec!["1".into(), "4".into()],
            headings: vec!["Step 1 · 1 thread".into(), "Step 2 · 4 threads".into()],
            x_title: "threads".into(),
            unit: Unit::Count,
            stacks: vec![
                Stack {
                    name: "200".into(),
                    color: "#0a0".into(),
                    values: vec![90.0, 300.0],
                },
                Stack {
                    name: "<503>".into(),
                    color: "#a00".into(),
                    values: vec![10.0, 0.0],
                },
            ],
        }
        .render();
        assert_eq!(
            svg.matches("<rect").count(),
            2 + 3,
            "two legend boxes, three segments"
        );
        assert!(
            svg.contains("<title>Step 1 · 1 thread\n&lt;503&gt;: 10 (10.0%)</title>"),
            "{svg}"
        );
        assert!(svg.contains(">100</text>"), "column total");
    }
}
