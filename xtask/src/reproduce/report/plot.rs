//! SVG figures with plotters: a grid of panels, each holding line series,
//! scatter series (with the diagonal) or grouped bars (optionally on a log
//! scale). Panels share nothing but the legend's colours.

use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

const COLORS: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
];

/// One named series of (x, y) points.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

pub enum Kind {
    /// Lines through the points, with markers.
    Lines,
    /// Markers only, and the diagonal y = x.
    Scatter,
    /// Grouped bars: x is a category index (0, 1, ...), named by `categories`.
    Bars { categories: Vec<String>, log: bool },
}

pub struct Panel {
    pub title: String,
    pub series: Vec<Series>,
}

pub struct Figure<'a> {
    pub title: &'a str,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    /// Label only integer x ticks (epochs).
    pub x_integer: bool,
    pub kind: Kind,
    pub panels: Vec<Panel>,
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing a figure: {e:?}")
}

/// The padded range of `values` (0..1 when there are none).
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(1e-3 * hi.abs().max(1.0));
    (lo - pad, hi + pad)
}

pub fn draw(path: &Path, fig: &Figure) -> Result<()> {
    let n = fig.panels.len().max(1);
    let cols = n.min(if matches!(fig.kind, Kind::Bars { .. }) {
        2
    } else {
        4
    });
    let rows = n.div_ceil(cols);
    let (pw, ph) = match fig.kind {
        Kind::Bars { .. } => (560, 340),
        _ => (320, 280),
    };
    let root = SVGBackend::new(path, (pw * cols as u32, ph * rows as u32 + 64)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let root = root.titled(fig.title, ("sans-serif", 18)).map_err(err)?;
    let (strip, root) = root.split_vertically(24);
    legend(&strip, fig)?;
    for (area, panel) in root.split_evenly((rows, cols)).iter().zip(&fig.panels) {
        match &fig.kind {
            Kind::Bars { categories, log } => bars(area, fig, panel, categories, *log)?,
            _ => lines(area, fig, panel)?,
        }
    }
    root.present().map_err(err)
}

/// One legend for all panels, in a strip under the title: the series names of
/// the first panel (every panel has the same series).
fn legend(strip: &DrawingArea<SVGBackend, Shift>, fig: &Figure) -> Result<()> {
    let Some(first) = fig.panels.first() else {
        return Ok(());
    };
    let mut x = 60;
    for (i, s) in first.series.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        strip
            .draw(&Rectangle::new([(x, 7), (x + 12, 17)], c.filled()))
            .map_err(err)?;
        strip
            .draw(&Text::new(s.name.clone(), (x + 18, 6), ("sans-serif", 13)))
            .map_err(err)?;
        x += 30 + 8 * s.name.len() as i32;
    }
    Ok(())
}

/// A tick label: integers plainly, others with at most three decimals.
fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round())
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').to_string()
    }
}

fn lines(area: &DrawingArea<SVGBackend, Shift>, fig: &Figure, p: &Panel) -> Result<()> {
    let scatter = matches!(fig.kind, Kind::Scatter);
    let pts = || p.series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1) = range(pts().map(|q| q.0));
    let (mut y0, mut y1) = range(pts().map(|q| q.1));
    if scatter {
        (x0, x1) = (x0.min(y0), x1.max(y1));
        (y0, y1) = (x0, x1);
    }
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, ("sans-serif", 14))
        .margin(8)
        .x_label_area_size(32)
        .y_label_area_size(44)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(fig.x_desc)
        .y_desc(fig.y_desc)
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|v| {
            if fig.x_integer && (v - v.round()).abs() > 1e-9 {
                String::new()
            } else {
                num(*v)
            }
        })
        .y_label_formatter(&|v| num(*v))
        .light_line_style(WHITE)
        .label_style(("sans-serif", 10))
        .draw()
        .map_err(err)?;
    if scatter {
        chart
            .draw_series(LineSeries::new([(x0, x0), (x1, x1)], BLACK.mix(0.4)))
            .map_err(err)?;
    }
    for (i, s) in p.series.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        if !scatter {
            chart
                .draw_series(LineSeries::new(s.points.clone(), c.stroke_width(2)))
                .map_err(err)?;
        }
        chart
            .draw_series(s.points.iter().map(|&q| Circle::new(q, 3, c.filled())))
            .map_err(err)?;
    }
    Ok(())
}

fn bars(
    area: &DrawingArea<SVGBackend, Shift>,
    fig: &Figure,
    p: &Panel,
    categories: &[String],
    log: bool,
) -> Result<()> {
    let values = || p.series.iter().flat_map(|s| s.points.iter().map(|q| q.1));
    let n = categories.len().max(1) as f64;
    let width = 0.8 / p.series.len().max(1) as f64;
    let label = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 {
            categories.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let mut b = ChartBuilder::on(area);
    b.caption(&p.title, ("sans-serif", 14))
        .margin(8)
        .x_label_area_size(32)
        .y_label_area_size(52);
    macro_rules! body {
        ($chart:expr, $base:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_desc(fig.x_desc)
                .y_desc(fig.y_desc)
                .x_labels(categories.len() + 1)
                .x_label_formatter(&label)
                .y_label_formatter(&|v| num(*v))
                .light_line_style(WHITE)
                .label_style(("sans-serif", 10))
                .draw()
                .map_err(err)?;
            for (i, s) in p.series.iter().enumerate() {
                let c = COLORS[i % COLORS.len()];
                let left = -0.4 + i as f64 * width;
                chart
                    .draw_series(s.points.iter().filter(|q| q.1.is_finite()).map(|&(x, y)| {
                        Rectangle::new([(x + left, $base), (x + left + width, y)], c.filled())
                    }))
                    .map_err(err)?;
            }
        }};
    }
    if log {
        let positive = || values().filter(|v| *v > 0.0);
        let lo = positive().fold(f64::INFINITY, f64::min);
        let hi = positive().fold(0.0, f64::max);
        let (lo, hi) = if lo.is_finite() {
            (lo / 2.0, hi * 2.0)
        } else {
            (0.01, 1.0)
        };
        let chart = b
            .build_cartesian_2d(-0.5..n - 0.5, (lo..hi).log_scale())
            .map_err(err)?;
        body!(chart, lo);
    } else {
        let (_, hi) = range(values());
        let chart = b.build_cartesian_2d(-0.5..n - 0.5, 0.0..hi).map_err(err)?;
        body!(chart, 0.0);
    }
    Ok(())
}
