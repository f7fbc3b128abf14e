//! Charts: the figures of a role-pair report drawn with `plotters`, as SVG
//! for the PDF (and PNG for email). Pure: snapshot data in, bytes out.
//!
//! Every chart uses one colour-blind-safe palette (Okabe–Ito), labelled axes
//! and money as `$173K`. Text is set in Inter, a font embedded in the binary
//! and registered with both plotters (for measuring) and typst (for drawing
//! the SVG), so no system font is ever consulted.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use serde::Serialize;

use crate::fonts;
use crate::stats::{RoleStats, Snapshot};
use crate::text::{self, money_k, pct1};

/// Okabe–Ito blue: the first role.
pub const COLOR_A: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Okabe–Ito orange: the second role.
pub const COLOR_B: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
/// Entry, mid and senior (Okabe–Ito sky blue, bluish green, vermillion).
pub const COLOR_MIX: [RGBColor; 3] =
    [RGBColor(0x56, 0xB4, 0xE9), RGBColor(0x00, 0x9E, 0x73), RGBColor(0xD5, 0x5E, 0x00)];
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 420;
const MIX_HEIGHT: u32 = 320;

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for (style, bytes) in [
            (FontStyle::Normal, fonts::REGULAR),
            (FontStyle::Italic, fonts::ITALIC),
            (FontStyle::Bold, fonts::BOLD),
        ] {
            plotters::style::register_font(fonts::FAMILY, style, bytes)
                .unwrap_or_else(|_| panic!("embedded font {} is valid", fonts::FAMILY));
        }
    });
}

fn font(size: f64) -> TextStyle<'static> {
    (fonts::FAMILY, size).into_font().color(&INK)
}

/// One chart, ready to be written or embedded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// File name, e.g. `salary.svg`.
    pub name: String,
    /// What the chart shows, with its numbers (alt text).
    pub alt: String,
    /// The SVG document.
    pub svg: String,
}

/// The weekly history of one role, oldest first, for the trend charts.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// Week label, e.g. `W47`.
    pub label: String,
    /// Open positions.
    pub open: Option<u64>,
    /// Median salary.
    pub median: Option<f64>,
    /// The median's 95 % interval.
    pub median_ci: Option<(f64, f64)>,
}

/// The history of both roles over the same weeks.
pub fn trend(history: &[Snapshot], slug: &str) -> Vec<TrendPoint> {
    history
        .iter()
        .map(|s| {
            let r = s.roles.iter().find(|r| r.slug == slug);
            let w = s.week.to_string();
            TrendPoint {
                label: w.rsplit('-').next().unwrap_or(&w).to_string(),
                open: r.map(|r| r.open_positions),
                median: r.and_then(|r| r.salary.median),
                median_ci: r.and_then(|r| r.salary.median_ci).map(|c| (c.low, c.high)),
            }
        })
        .collect()
}

/// All the charts of one pair report.
pub fn pair_charts(
    a: &RoleStats,
    b: &RoleStats,
    trend_a: &[TrendPoint],
    trend_b: &[TrendPoint],
) -> Vec<Chart> {
    register_fonts();
    vec![
        salary_chart(a, b),
        mix_chart(a, b),
        skills_chart(a, b),
        trend_chart(
            "trend-open.svg",
            "Open positions",
            trend_a,
            trend_b,
            (&a.name, &b.name),
            Measure {
                value: |p: &TrendPoint| p.open.map(|v| v as f64),
                band: |_: &TrendPoint| None,
                fmt: |v: f64| format!("{v:.0}"),
            },
        ),
        trend_chart(
            "trend-median.svg",
            "Median salary",
            trend_a,
            trend_b,
            (&a.name, &b.name),
            Measure {
                value: |p: &TrendPoint| p.median,
                band: |p: &TrendPoint| p.median_ci,
                fmt: money_k,
            },
        ),
    ]
}

fn svg(draw: impl FnOnce(DrawingArea<SVGBackend<'_>, Shift>)) -> String {
    svg_sized(HEIGHT, draw)
}

fn svg_sized(height: u32, draw: impl FnOnce(DrawingArea<SVGBackend<'_>, Shift>)) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).expect("drawing into a string cannot fail");
        draw(root.clone());
        root.present().expect("drawing into a string cannot fail");
    }
    out
}

/// Salary percentiles of both roles side by side: p25, median, mean, p75.
fn salary_chart(a: &RoleStats, b: &RoleStats) -> Chart {
    let figures = |r: &RoleStats| [r.salary.p25, r.salary.median, r.salary.mean, r.salary.p75];
    let (fa, fb) = (figures(a), figures(b));
    let labels = ["25th percentile", "Median", "Average", "75th percentile"];
    let max = fa.iter().chain(&fb).flatten().fold(0.0f64, |m, v| m.max(*v));
    let top = ((max * 1.15) / 50_000.0).ceil().max(1.0) * 50_000.0;
    let mut alt = String::from("Salary percentiles:");
    for (r, f) in [(a, fa), (b, fb)] {
        if r.salary.suppressed() {
            alt.push_str(&format!(" {} {};", r.name, text::not_enough_salaries(r.salary.n)));
        } else {
            let parts: Vec<String> = labels
                .iter()
                .zip(f)
                .map(|(l, v)| format!("{l} {}", v.map(money_k).unwrap_or_default()))
                .collect();
            let name = format!("{} {}", r.name, parts.join(", "));
            alt.push_str(&format!(" {};", text::with_n(&name, r.salary.n)));
        }
    }
    let svg = svg(|root| {
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .margin_bottom(44)
            .x_label_area_size(44)
            .y_label_area_size(104)
            .caption("Salary by percentile (annual USD)", font(30.8))
            .build_cartesian_2d(0.0..4.0, 0.0..top)
            .expect("valid ranges");
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_labels(9)
            .y_label_formatter(&|v| money_k(*v))
            .x_label_formatter(&|x: &f64| {
                // Labels sit at the centre of each group (0.5, 1.5, …).
                let i = *x - 0.5;
                if (i - i.round()).abs() < 1e-6 && (0.0..4.0).contains(&i) {
                    labels[i.round() as usize].to_string()
                } else {
                    String::new()
                }
            })
            .label_style(font(21.0))
            .axis_desc_style(font(21.0))
            .y_desc("Annual salary")
            .draw()
            .expect("mesh");
        for (k, (fig, color)) in [(fa, COLOR_A), (fb, COLOR_B)].into_iter().enumerate() {
            for (i, v) in fig.iter().enumerate() {
                let Some(v) = *v else { continue };
                let x0 = i as f64 + 0.12 + k as f64 * 0.39;
                let bar = Rectangle::new([(x0, 0.0), (x0 + 0.37, v)], color.filled());
                chart.plotting_area().draw(&bar).expect("bar");
                let label = Text::new(money_k(v), (x0 + 0.03, v + top * 0.06), font(19.6));
                chart.plotting_area().draw(&label).expect("label");
            }
        }
        for (k, (r, color)) in [(a, COLOR_A), (b, COLOR_B)].into_iter().enumerate() {
            let label = if r.salary.suppressed() {
                format!("{}: {}", r.name, text::not_enough_salaries(r.salary.n))
            } else {
                text::with_n(&r.name, r.salary.n)
            };
            legend(&root, k, &label, color);
        }
    });
    Chart { name: "salary.svg".into(), alt, svg }
}

fn legend(root: &DrawingArea<SVGBackend<'_>, Shift>, k: usize, label: &str, color: RGBColor) {
    let x = 110 + k as i32 * 440;
    let y = HEIGHT as i32 - 22;
    root.draw(&Rectangle::new([(x, y - 12), (x + 18, y + 4)], color.filled())).expect("legend");
    root.draw(&Text::new(label.to_string(), (x + 26, y - 12), font(21.0))).expect("legend");
}

/// Experience mix of both roles as stacked horizontal bars.
fn mix_chart(a: &RoleStats, b: &RoleStats) -> Chart {
    let shares = |r: &RoleStats| {
        [r.experience_mix.entry, r.experience_mix.mid, r.experience_mix.senior]
            .map(|v| v.unwrap_or(0.0))
    };
    let names = ["Entry", "Mid", "Senior"];
    let mut alt = String::from("Experience mix:");
    for r in [a, b] {
        let s = shares(r);
        alt.push_str(&format!(
            " {}: entry {}, mid {}, senior {};",
            r.name,
            pct1(s[0]),
            pct1(s[1]),
            pct1(s[2])
        ));
    }
    let svg = svg_sized(MIX_HEIGHT, |root| {
        let root =
            root.titled("Experience mix (share of open positions)", font(30.8)).expect("title");
        let (w, h) = (WIDTH as i32, MIX_HEIGHT as i32 - 40);
        let left = 230;
        let right = w - 30;
        for (k, r) in [a, b].into_iter().enumerate() {
            let y0 = 30 + k as i32 * 100;
            root.draw(&Text::new(r.name.clone(), (20, y0 + 28), font(22.4))).expect("name");
            let mut x = left as f64;
            let s = shares(r);
            let tenths = crate::text::largest_remainder_tenths(&s);
            for i in 0..3 {
                let wpx = s[i] * (right - left) as f64;
                let x1 = x + wpx;
                root.draw(&Rectangle::new(
                    [(x as i32, y0), (x1 as i32, y0 + 64)],
                    COLOR_MIX[i].filled(),
                ))
                .expect("bar");
                if wpx > 60.0 {
                    let label = format!("{:.1}%", f64::from(tenths[i]) / 10.0);
                    root.draw(&Text::new(label, (x as i32 + 8, y0 + 26), font(22.4).color(&WHITE)))
                        .expect("label");
                }
                x = x1;
            }
        }
        for (i, n) in names.iter().enumerate() {
            let x = left + i as i32 * 170;
            let y = h - 20;
            root.draw(&Rectangle::new([(x, y), (x + 18, y + 16)], COLOR_MIX[i].filled()))
                .expect("key");
            root.draw(&Text::new(n.to_string(), (x + 26, y), font(21.0))).expect("key");
        }
    });
    Chart { name: "mix.svg".into(), alt, svg }
}

/// The skills of both top lists: share of each role's jobs that ask for it.
fn skills_chart(a: &RoleStats, b: &RoleStats) -> Chart {
    let mut names: Vec<&str> = a.top_skills.iter().map(|s| s.name.as_str()).collect();
    for s in &b.top_skills {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    let share = |r: &RoleStats, n: &str| {
        r.top_skills.iter().find(|s| s.name == n).map(|s| {
            if r.open_positions == 0 { 0.0 } else { s.count as f64 / r.open_positions as f64 }
        })
    };
    let mut alt = String::from("Share of jobs asking for each skill:");
    for n in &names {
        let fa = share(a, n).map(pct1).unwrap_or_else(|| "not in top 8".into());
        let fb = share(b, n).map(pct1).unwrap_or_else(|| "not in top 8".into());
        alt.push_str(&format!(" {n}: {} {fa}, {} {fb};", a.name, b.name));
    }
    let rows = names.len().max(1);
    let svg = svg(|root| {
        let root =
            root.titled("Top skills (share of jobs that ask for each)", font(30.8)).expect("title");
        let left = 240.0;
        let right = WIDTH as f64 - 80.0;
        let top = 20.0;
        let bottom = HEIGHT as f64 - 80.0;
        let row_h = (bottom - top) / rows as f64;
        let max = names
            .iter()
            .flat_map(|n| [share(a, n), share(b, n)])
            .flatten()
            .fold(0.0f64, f64::max)
            .max(0.01);
        for (i, n) in names.iter().enumerate() {
            let y = top + i as f64 * row_h;
            root.draw(&Text::new(n.to_string(), (20, (y + row_h * 0.15) as i32), font(19.6)))
                .expect("name");
            for (k, (r, color)) in [(a, COLOR_A), (b, COLOR_B)].into_iter().enumerate() {
                let Some(v) = share(r, n) else { continue };
                let y0 = y + row_h * (0.08 + 0.42 * k as f64);
                let y1 = y0 + row_h * 0.38;
                let x1 = left + (right - left) * v / max;
                root.draw(&Rectangle::new(
                    [(left as i32, y0 as i32), (x1 as i32, y1 as i32)],
                    color.filled(),
                ))
                .expect("bar");
                root.draw(&Text::new(pct1(v), (x1 as i32 + 6, y0 as i32 - 2), font(16.8)))
                    .expect("value");
            }
        }
        for (k, (r, color)) in [(a, COLOR_A), (b, COLOR_B)].into_iter().enumerate() {
            legend_at(&root, k, &r.name, color, HEIGHT as i32 - 60);
        }
    });
    Chart { name: "skills.svg".into(), alt, svg }
}

fn legend_at(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    k: usize,
    label: &str,
    color: RGBColor,
    y: i32,
) {
    let x = 240 + k as i32 * 380;
    root.draw(&Rectangle::new([(x, y), (x + 18, y + 16)], color.filled())).expect("legend");
    root.draw(&Text::new(label.to_string(), (x + 26, y), font(21.0))).expect("legend");
}

/// A 12-week line chart of one figure for both roles.
/// What a trend chart plots of each week: a value, the band around it (if
/// any), and how a value reads.
struct Measure<V, B, F> {
    value: V,
    band: B,
    fmt: F,
}

fn trend_chart<V, B, F>(
    name: &str,
    title: &str,
    ta: &[TrendPoint],
    tb: &[TrendPoint],
    names: (&str, &str),
    measure: Measure<V, B, F>,
) -> Chart
where
    V: Fn(&TrendPoint) -> Option<f64>,
    B: Fn(&TrendPoint) -> Option<(f64, f64)>,
    F: Fn(f64) -> String,
{
    let Measure { value, band, fmt } = measure;
    let n = ta.len().max(tb.len()).max(1);
    let labels: Vec<String> = ta.iter().map(|p| p.label.clone()).collect();
    let vals: Vec<f64> = ta
        .iter()
        .chain(tb)
        .flat_map(|p| [value(p), band(p).map(|b| b.0), band(p).map(|b| b.1)])
        .flatten()
        .collect();
    let hi = vals.iter().copied().fold(f64::MIN, f64::max);
    let lo = vals.iter().copied().fold(f64::MAX, f64::min);
    let (lo, hi) = if vals.is_empty() { (0.0, 1.0) } else { (lo, hi) };
    let pad = ((hi - lo) * 0.15).max(hi.abs() * 0.05).max(1.0);
    let (y0, y1) = ((lo - pad).max(0.0), hi + pad);
    let mut alt = format!("{title}, weekly:");
    for (r, t) in [(names.0, ta), (names.1, tb)] {
        let series: Vec<String> = t
            .iter()
            .map(|p| format!("{} {}", p.label, value(p).map(&fmt).unwrap_or_else(|| "n/a".into())))
            .collect();
        alt.push_str(&format!(" {r}: {};", series.join(", ")));
    }
    if ta.iter().chain(tb).any(|p| band(p).is_some()) {
        alt.push_str(" shaded bands: each median's 95 % interval.");
    }
    let svg = svg(|root| {
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(56)
            .y_label_area_size(104)
            .caption(
                if n == 1 {
                    format!("{title}, this week")
                } else {
                    format!("{title}, last {n} weeks")
                },
                font(30.8),
            )
            .build_cartesian_2d(0.0..(n as f64 - 1.0).max(1.0), y0..y1)
            .expect("valid ranges");
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .x_labels(n)
            .x_label_formatter(&|x| labels.get(x.round() as usize).cloned().unwrap_or_default())
            .y_label_formatter(&|v| fmt(*v))
            .label_style(font(19.6))
            .axis_desc_style(font(21.0))
            .x_desc("ISO week")
            .y_desc(title)
            .draw()
            .expect("mesh");
        // Each role's interval as a band behind its line, week by week.
        for (t, color) in [(ta, COLOR_A), (tb, COLOR_B)] {
            let upper: Vec<(f64, f64)> = t
                .iter()
                .enumerate()
                .filter_map(|(i, p)| band(p).map(|b| (i as f64, b.1)))
                .collect();
            let lower: Vec<(f64, f64)> = t
                .iter()
                .enumerate()
                .filter_map(|(i, p)| band(p).map(|b| (i as f64, b.0)))
                .collect();
            if upper.len() >= 2 {
                let outline: Vec<(f64, f64)> =
                    upper.into_iter().chain(lower.into_iter().rev()).collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(outline, color.mix(0.18).filled())))
                    .expect("band");
            }
        }
        for (t, color, label) in [(ta, COLOR_A, names.0), (tb, COLOR_B, names.1)] {
            let pts: Vec<(f64, f64)> =
                t.iter().enumerate().filter_map(|(i, p)| value(p).map(|v| (i as f64, v))).collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(3)))
                .expect("line")
                .label(label.to_string())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 18, y + 6)], color.filled())
                });
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .expect("points");
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(GRID)
            .label_font(font(21.0))
            .draw()
            .expect("legend");
    });
    Chart { name: name.into(), alt, svg }
}

/// A horizontal bar per role as a PNG for email: opaque white background,
/// the embedded font, 2× pixels for sharp display at 552 px. Each role's name
/// sits above its bar, so the text can be large enough to read when a phone
/// shrinks the image to a third of its pixels.
fn bars_png(title: &str, rows: &[(String, f64, String)]) -> Vec<u8> {
    register_fonts();
    const ROW: i32 = 112;
    const TOP: i32 = 96;
    let (w, h) = (1104u32, TOP as u32 + 24 + ROW as u32 * rows.len().max(1) as u32);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).expect("drawing into memory cannot fail");
        root.draw(&Text::new(title.to_string(), (24, 22), font(46.0))).expect("title");
        let max = rows.iter().map(|r| r.1).fold(0.0f64, f64::max).max(1.0);
        let (left, right) = (24.0, f64::from(w) - 260.0);
        for (i, (name, v, label)) in rows.iter().enumerate() {
            let y = TOP + i as i32 * ROW;
            root.draw(&Text::new(name.clone(), (24, y), font(40.0))).expect("name");
            let x1 = (left + (right - left) * v / max).max(left + 4.0);
            let bar = y + 48;
            root.draw(&Rectangle::new(
                [(left as i32, bar), (x1 as i32, bar + 36)],
                COLOR_A.filled(),
            ))
            .expect("bar");
            root.draw(&Text::new(label.clone(), (x1 as i32 + 14, bar + 4), font(40.0)))
                .expect("label");
        }
        root.present().expect("drawing into memory cannot fail");
    }
    encode_png(&buf, w, h)
}

/// PNG with a palette when the image has at most 256 colours (charts drawn
/// with a few colours and anti-aliased text usually do), else RGB.
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut palette: Vec<[u8; 3]> = Vec::new();
    let mut index = rustc_hash::FxHashMap::default();
    let mut indexed = Vec::with_capacity(rgb.len() / 3);
    for px in rgb.chunks_exact(3) {
        let c = [px[0], px[1], px[2]];
        let i = *index.entry(c).or_insert_with(|| {
            palette.push(c);
            palette.len() - 1
        });
        if palette.len() > 256 {
            break;
        }
        indexed.push(i as u8);
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Best);
        let paletted = palette.len() <= 256;
        if paletted {
            enc.set_color(png::ColorType::Indexed);
            enc.set_palette(palette.concat());
        } else {
            enc.set_color(png::ColorType::Rgb);
        }
        let mut writer = enc.write_header().expect("PNG header into memory");
        writer
            .write_image_data(if paletted { &indexed } else { rgb })
            .expect("PNG data into memory");
    }
    out
}

/// The newsletter's charts: open positions and median salary by role.
/// Returns (file name, alt text, PNG).
pub fn newsletter_charts(s: &Snapshot) -> Vec<(String, String, Vec<u8>)> {
    let mut by_open: Vec<&RoleStats> = s.roles.iter().collect();
    by_open
        .sort_by(|a, b| b.open_positions.cmp(&a.open_positions).then_with(|| a.name.cmp(&b.name)));
    by_open.truncate(10);
    let open_rows: Vec<(String, f64, String)> = by_open
        .iter()
        .map(|r| (r.name.clone(), r.open_positions as f64, crate::text::count(r.open_positions)))
        .collect();
    let open_alt = format!(
        "Open positions by role in {}: {}.",
        s.week,
        open_rows.iter().map(|r| format!("{} {}", r.0, r.2)).collect::<Vec<_>>().join(", ")
    );
    let mut by_median: Vec<&RoleStats> =
        s.roles.iter().filter(|r| r.salary.median.is_some()).collect();
    by_median.sort_by(|a, b| {
        b.salary
            .median
            .unwrap_or(0.0)
            .total_cmp(&a.salary.median.unwrap_or(0.0))
            .then_with(|| a.name.cmp(&b.name))
    });
    by_median.truncate(10);
    let median_rows: Vec<(String, f64, String)> = by_median
        .iter()
        .filter_map(|r| r.salary.median.map(|m| (r.name.clone(), m, money_k(m))))
        .collect();
    let median_alt = format!(
        "Median annual salary by role in {}: {}.",
        s.week,
        median_rows.iter().map(|r| format!("{} {}", r.0, r.2)).collect::<Vec<_>>().join(", ")
    );
    vec![
        ("open.png".into(), open_alt, bars_png("Open positions by role", &open_rows)),
        (
            "median.png".into(),
            median_alt,
            bars_png("Median salary by role (annual USD)", &median_rows),
        ),
    ]
}
