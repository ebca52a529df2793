//! The line chart: several series over a shared x axis (elapsed time, steps or percentiles),
//! with shaded bands (steps, ramp-ups, warm-ups), vertical markers (the knee) and hover columns.

use std::fmt::Write as _;

use super::{LegendItem, Scale, Svg, Unit, legend, legend_height, n, text_width};
use crate::html::downsample::Point;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// A solid line.
    Line,
    /// A dashed line (a secondary statistic of the series before it, e.g. the median).
    Dashed,
    /// A line over a light fill down to zero.
    Area,
    /// A staircase over a light fill: values that hold until the next point (active users).
    Steps,
}

/// One series.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    /// Legend and tooltip name.
    pub(crate) name: String,
    /// Stroke colour.
    pub(crate) color: String,
    /// How it is drawn.
    pub(crate) style: Style,
    /// Points in x order; `None` breaks the line.
    pub(crate) points: Vec<Point>,
    /// Draws a dot at every point (few points: steps on the x axis).
    pub(crate) markers: bool,
}

/// A shaded x range behind the series (a step, a ramp-up).
#[derive(Debug, Clone)]
pub(crate) struct Band {
    /// Start.
    pub(crate) x0: f64,
    /// End.
    pub(crate) x1: f64,
    /// Written at the top of the band when it fits.
    pub(crate) label: Option<String>,
    /// Writes the label just inside the plot's top edge rather than above it (a band within
    /// a labelled step band, whose label is above).
    pub(crate) label_inside: bool,
    /// CSS class: `band-step`, `band-alt`, `band-ramp` or `band-warmup`.
    pub(crate) class: &'static str,
}

/// A labelled vertical marker (the knee).
#[derive(Debug, Clone)]
pub(crate) struct VLine {
    /// Position.
    pub(crate) x: f64,
    /// Label.
    pub(crate) label: String,
}

/// The x axis: domain, labelled ticks and a title.
#[derive(Debug, Clone)]
pub(crate) struct XAxis {
    /// Domain start.
    pub(crate) min: f64,
    /// Domain end.
    pub(crate) max: f64,
    /// Tick positions and labels.
    pub(crate) ticks: Vec<(f64, String)>,
    /// Axis title, drawn at the right end.
    pub(crate) title: String,
}

impl XAxis {
    /// Categories at 0, 1, 2… with half a slot of margin on both sides.
    pub(crate) fn categories(labels: &[String], title: &str) -> Self {
        Self {
            min: -0.5,
            max: labels.len() as f64 - 0.5,
            ticks: labels
                .iter()
                .enumerate()
                .map(|(i, l)| (i as f64, l.clone()))
                .collect(),
            title: title.to_owned(),
        }
    }
}

/// A line chart.
#[derive(Debug, Clone)]
pub(crate) struct LineChart {
    /// Accessible name.
    pub(crate) label: String,
    /// Width in viewBox pixels.
    pub(crate) width: f64,
    /// Height of the plot and axes (the legend adds to it).
    pub(crate) height: f64,
    /// X axis.
    pub(crate) x: XAxis,
    /// Y unit.
    pub(crate) unit: Unit,
    /// Series, drawn in order.
    pub(crate) series: Vec<Series>,
    /// Bands behind the series.
    pub(crate) bands: Vec<Band>,
    /// Vertical markers.
    pub(crate) markers: Vec<VLine>,
    /// Hover columns: centre and heading of each; the tooltip lists every series there.
    pub(crate) hover: Vec<(f64, String)>,
}

const LEFT: f64 = 62.0;
const RIGHT: f64 = 18.0;
const BOTTOM: f64 = 40.0;

impl LineChart {
    /// The SVG markup.
    pub(crate) fn render(&self) -> String {
        let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
        let legend_h = legend_height(&names, self.width - LEFT - RIGHT);
        let top = legend_h + 14.0;
        let total_h = self.height + legend_h;
        let (x0, x1, y0, y1) = (LEFT, self.width - RIGHT, top, total_h - BOTTOM);
        let xs = Scale::new(self.x.min, self.x.max, x0, x1);
        let max = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().filter_map(|p| p.1))
            .fold(0.0, f64::max);
        let (ticks, labels) = self.unit.axis(max * 1.05);
        let top_value = ticks.last().copied().unwrap_or(1.0);
        let ys = Scale::new(0.0, top_value, y1, y0);

        let mut svg = Svg::new(self.width, total_h, &self.label);
        let items: Vec<LegendItem<'_>> = self
            .series
            .iter()
            .map(|s| LegendItem {
                name: &s.name,
                color: &s.color,
                dashed: s.style == Style::Dashed,
                filled: false,
            })
            .collect();
        legend(&mut svg, &items, x0, 4.0, x1 - x0);

        self.draw_bands(&mut svg, &xs, y0, y1);
        // Grid and y labels.
        svg.open("g", &[("class", "axis axis-y")]);
        for (value, text) in ticks.iter().zip(labels) {
            let y = ys.at(*value);
            svg.line(x0, y, x1, y, &[("class", "grid")]);
            svg.text(x0 - 8.0, y + 4.0, &[("text-anchor", "end")], &text);
        }
        svg.close("g");
        // X axis.
        svg.open("g", &[("class", "axis axis-x")]);
        svg.line(x0, y1, x1, y1, &[("class", "baseline")]);
        let every = thin_out(&self.x.ticks, &xs);
        for (value, text) in self.x.ticks.iter().step_by(every) {
            let x = xs.at(*value);
            svg.line(x, y1, x, y1 + 5.0, &[("class", "tick")]);
            svg.text(x, y1 + 18.0, &[("text-anchor", "middle")], text);
        }
        svg.text(
            x1,
            y1 + 34.0,
            &[("text-anchor", "end"), ("class", "axis-title")],
            &self.x.title,
        );
        svg.close("g");

        for (i, series) in self.series.iter().enumerate() {
            draw_series(&mut svg, i, series, &xs, &ys);
        }
        for marker in &self.markers {
            let x = xs.at(marker.x);
            svg.open("g", &[("class", "marker")]);
            svg.line(x, y0, x, y1, &[("class", "marker-line")]);
            let anchor = if x > (x0 + x1) / 2.0 { "end" } else { "start" };
            let dx = if anchor == "end" { -6.0 } else { 6.0 };
            svg.text(
                x + dx,
                y0 + 12.0,
                &[("text-anchor", anchor), ("class", "marker-label")],
                &marker.label,
            );
            svg.close("g");
        }
        self.draw_hover(&mut svg, &xs, y0, y1);
        svg.finish()
    }

    fn draw_bands(&self, svg: &mut Svg, xs: &Scale, y0: f64, y1: f64) {
        if self.bands.is_empty() {
            return;
        }
        svg.open("g", &[("class", "bands")]);
        for band in &self.bands {
            let (a, b) = (xs.at(band.x0), xs.at(band.x1));
            svg.rect(a, y0, b - a, y1 - y0, &[("class", band.class)]);
            if let Some(label) = &band.label
                && text_width(label) + 8.0 < b - a
            {
                svg.text(
                    (a + b) / 2.0,
                    if band.label_inside {
                        y0 + 11.0
                    } else {
                        y0 - 3.0
                    },
                    &[("text-anchor", "middle"), ("class", "band-label")],
                    label,
                );
            }
        }
        svg.close("g");
    }

    fn draw_hover(&self, svg: &mut Svg, xs: &Scale, y0: f64, y1: f64) {
        if self.hover.is_empty() {
            return;
        }
        svg.open("g", &[("class", "hover")]);
        for (i, (center, heading)) in self.hover.iter().enumerate() {
            // A column reaches halfway to its neighbours (or the domain's ends).
            let lo = if i == 0 {
                self.x.min
            } else {
                (self.hover[i - 1].0 + center) / 2.0
            };
            let hi = self
                .hover
                .get(i + 1)
                .map_or(self.x.max, |next| (next.0 + center) / 2.0);
            let mut tip = heading.clone();
            for series in &self.series {
                if let Some(v) = nearest(&series.points, *center, lo, hi) {
                    let _ = write!(tip, "\n{}: {}", series.name, self.unit.value(v));
                }
            }
            if tip.len() == heading.len() {
                continue;
            }
            let (a, b) = (xs.at(lo), xs.at(hi));
            svg.open(
                "rect",
                &[
                    ("x", &n(a)),
                    ("y", &n(y0)),
                    ("width", &n((b - a).max(0.5))),
                    ("height", &n(y1 - y0)),
                ],
            );
            svg.title(&tip);
            svg.close("rect");
        }
        svg.close("g");
    }
}

/// Shows every `k`-th x tick so labels do not overlap.
fn thin_out(ticks: &[(f64, String)], xs: &Scale) -> usize {
    if ticks.len() < 2 {
        return 1;
    }
    let widest = ticks.iter().map(|t| text_width(&t.1)).fold(0.0, f64::max) + 10.0;
    let spacing = (xs.at(ticks[1].0) - xs.at(ticks[0].0)).abs().max(1.0);
    (widest / spacing).ceil().max(1.0) as usize
}

/// The value of the point nearest `center` within `lo..hi`.
fn nearest(points: &[Point], center: f64, lo: f64, hi: f64) -> Option<f64> {
    let start = points.partition_point(|p| p.0 < lo);
    points[start..]
        .iter()
        .take_while(|p| p.0 < hi || (p.0 == hi && hi == lo))
        .filter_map(|&(x, y)| y.map(|y| ((x - center).abs(), y)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, y)| y)
}

fn draw_series(svg: &mut Svg, index: usize, series: &Series, xs: &Scale, ys: &Scale) {
    let index = index.to_string();
    svg.open("g", &[("class", "series"), ("data-series", &index)]);
    let segments: Vec<Vec<(f64, f64)>> = series
        .points
        .split(|p| p.1.is_none())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.iter()
                .filter_map(|&(x, y)| y.map(|y| (xs.at(x), ys.at(y))))
                .collect()
        })
        .collect();
    let stairs = series.style == Style::Steps;
    let mut line = String::new();
    let mut area = String::new();
    let base = ys.at(0.0);
    for segment in &segments {
        let Some(&(fx, fy)) = segment.first() else {
            continue;
        };
        let _ = write!(line, "M{} {}", n(fx), n(fy));
        let _ = write!(area, "M{} {}V{}", n(fx), n(base), n(fy));
        for &(x, y) in &segment[1..] {
            if stairs {
                let _ = write!(line, "H{}V{}", n(x), n(y));
                let _ = write!(area, "H{}V{}", n(x), n(y));
            } else {
                let _ = write!(line, "L{} {}", n(x), n(y));
                let _ = write!(area, "L{} {}", n(x), n(y));
            }
        }
        let last_x = segment.last().map_or(fx, |p| p.0);
        let _ = write!(area, "V{}H{}Z", n(base), n(last_x));
    }
    if matches!(series.style, Style::Area | Style::Steps) && !area.is_empty() {
        svg.leaf(
            "path",
            &[("class", "area"), ("d", &area), ("fill", &series.color)],
        );
    }
    if !line.is_empty() {
        let mut attrs = vec![
            ("class", "line"),
            ("d", line.as_str()),
            ("stroke", &series.color),
        ];
        if series.style == Style::Dashed {
            attrs.push(("stroke-dasharray", "6 4"));
        }
        svg.leaf("path", &attrs);
    }
    // Every point gets a dot with markers on; without, only isolated points do (a line of
    // one point would draw nothing).
    let dots = segments
        .iter()
        .filter(|segment| series.markers || segment.len() == 1)
        .flatten();
    {
        for &(x, y) in dots {
            let (cx, cy) = (n(x), n(y));
            svg.leaf(
                "circle",
                &[
                    ("cx", &cx),
                    ("cy", &cy),
                    ("r", "3.5"),
                    ("fill", &series.color),
                    ("class", "dot"),
                ],
            );
        }
    }
    svg.close("g");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(series: Vec<Series>) -> LineChart {
        LineChart {
            label: "test".into(),
            width: 600.0,
            height: 240.0,
            x: XAxis::categories(&["1".into(), "5".into(), "10".into()], "threads"),
            unit: Unit::Millis,
            series,
            bands: vec![],
            markers: vec![VLine {
                x: 1.0,
                label: "knee".into(),
            }],
            hover: vec![
                (0.0, "1 thread".into()),
                (1.0, "5".into()),
                (2.0, "10".into()),
            ],
        }
    }

    #[test]
    fn draws_one_group_per_series_with_paths_dots_and_hover_values() {
        let svg = chart(vec![
            Series {
                name: "p95".into(),
                color: "#000".into(),
                style: Style::Line,
                points: vec![(0.0, Some(10.0)), (1.0, Some(20.0)), (2.0, Some(400.0))],
                markers: true,
            },
            Series {
                name: "p50 <i>".into(),
                color: "#111".into(),
                style: Style::Dashed,
                points: vec![(0.0, Some(5.0)), (1.0, None), (2.0, Some(7.0))],
                markers: false,
            },
        ])
        .render();
        assert_eq!(svg.matches("class=\"series\"").count(), 2);
        // Three markers, and the dashed series' two isolated points get a dot each.
        assert_eq!(svg.matches("<circle").count(), 3 + 2);
        assert!(svg.contains("stroke-dasharray=\"6 4\""));
        assert!(
            svg.contains("<title>10\np95: 400 ms\np50 &lt;i&gt;: 7.00 ms</title>"),
            "{svg}"
        );
        assert!(svg.contains(">knee</text>"));
        assert!(!svg.contains("<i>"));
    }

    #[test]
    fn gaps_start_a_new_sub_path() {
        let svg = chart(vec![Series {
            name: "a".into(),
            color: "#000".into(),
            style: Style::Steps,
            points: vec![
                (0.0, Some(1.0)),
                (0.5, Some(2.0)),
                (1.0, None),
                (1.5, Some(3.0)),
                (2.0, Some(1.0)),
            ],
            markers: false,
        }])
        .render();
        let line = svg.split("class=\"line\" d=\"").nth(1).unwrap();
        let d = &line[..line.find('"').unwrap()];
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert!(svg.contains("class=\"area\""));
    }

    #[test]
    fn nearest_stays_within_its_column() {
        let points = vec![
            (0.0, Some(1.0)),
            (10.0, Some(2.0)),
            (20.0, None),
            (21.0, Some(3.0)),
        ];
        assert_eq!(nearest(&points, 9.0, 5.0, 15.0), Some(2.0));
        assert_eq!(nearest(&points, 17.0, 15.0, 20.5), None);
    }
}
