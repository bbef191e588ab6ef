//! Figures of an evaluation (`zoorank eval --plot DIR`), each written as SVG and PNG with
//! plotters:
//!
//! - `scatter-<method>.svg|png`: one panel per target, the method's score (x) against the
//!   true fine-tuning accuracy (y) of every model it scored, with the target's Pearson r and
//!   weighted τ in the panel title. A good ranker draws a rising cloud; the top-right point
//!   is what Rel@1 rewards.
//! - `rel-at-k.svg|png`: weighted-average Rel@k for k = 1..5, one line per method.
//! - `correlations.svg|png`: weighted-average Pearson, Spearman, Kendall τ and weighted τ,
//!   grouped bars per method.
//! - `per-target-<metric>.svg|png` for Pearson, weighted τ and Rel@1: one group of bars per
//!   target, one bar per method.
//!
//! SVG is written before PNG: PNG needs a system font for its text (found through
//! fontconfig), SVG does not, so a machine without fonts still gets the SVG files and an error
//! naming the PNG that failed.

use crate::harness::{EvalReport, MethodReport};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Errors while writing figures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The output directory could not be created.
    #[error("cannot create the plot directory {path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Drawing or encoding one figure failed.
    #[error("cannot draw {path}: {message}")]
    Draw {
        /// The file being written.
        path: PathBuf,
        /// What plotters reported.
        message: String,
    },
    /// Nothing to plot.
    #[error("the evaluation has no method with results: nothing to plot")]
    Empty,
}

const SIZE: (u32, u32) = (1200, 800);

/// The two backends behind one drawing API (plotters' chart types are generic over the
/// backend, so each figure is written once as a generic function and called for both).
enum Canvas<'a> {
    Svg(Area<SVGBackend<'a>>),
    Png(Area<BitMapBackend<'a>>),
}

/// `$figure(area, $args...)` on the drawing area of either backend of `$canvas`.
macro_rules! draw_on {
    ($canvas:expr, $figure:ident($($arg:expr),*)) => {
        match $canvas {
            Canvas::Svg(a) => $figure(a, $($arg),*),
            Canvas::Png(a) => $figure(a, $($arg),*),
        }
    };
}

/// A drawing area without a coordinate system, as every figure starts from.
type Area<DB> = DrawingArea<DB, Shift>;

/// What a per-target grid figure draws: one method of a report, on `rows` × `cols` panels.
#[derive(Clone, Copy)]
struct MethodGrid<'r> {
    report: &'r EvalReport,
    method: &'r str,
    rows: usize,
    cols: usize,
}

/// Writes every figure of `report` into `dir` (created if missing); returns the files written.
pub fn write_plots(report: &EvalReport, dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    if report.methods.is_empty() {
        return Err(PlotError::Empty);
    }
    std::fs::create_dir_all(dir).map_err(|source| PlotError::Dir {
        path: dir.to_path_buf(),
        source,
    })?;
    type Draw<'r> = Box<dyn Fn(&mut Canvas) -> DrawResult + 'r>;
    let mut figures: Vec<(String, (u32, u32), Draw)> = Vec::new();
    // Each per-target grid figure: its file prefix, its number of panels for a method, and
    // how it draws.
    type Panels = fn(&MethodReport) -> usize;
    type GridFigure = fn(&mut Canvas, MethodGrid) -> DrawResult;
    let grids: [(&str, Panels, GridFigure); 2] = [
        (
            "scatter",
            |mr| mr.predictions.len(),
            |c, g| draw_on!(c, scatter(g)),
        ),
        (
            "calibration",
            |mr| mr.calibration.len(),
            |c, g| draw_on!(c, calibration(g)),
        ),
    ];
    for (kind, panels, figure) in grids {
        for (method, mr) in &report.methods {
            if panels(mr) == 0 {
                continue;
            }
            let (g, size) = MethodGrid::of(report, method, panels(mr));
            figures.push((
                format!("{kind}-{}", file_safe(method)),
                size,
                Box::new(move |c| figure(c, g)),
            ));
        }
    }
    for method in report.reveal.keys() {
        figures.push((
            format!("reveal-{}", file_safe(method)),
            (1140, 380),
            Box::new(move |c| draw_on!(c, reveal(report, method))),
        ));
    }
    figures.push((
        "rel-at-k".into(),
        SIZE,
        Box::new(|c| draw_on!(c, rel_at_k(report))),
    ));
    figures.push((
        "correlations".into(),
        SIZE,
        Box::new(|c| draw_on!(c, correlations(report))),
    ));
    for metric in ["pearson", "w-kendall", "rel@1"] {
        figures.push((
            format!("per-target-{}", file_safe(metric)),
            SIZE,
            Box::new(move |c| draw_on!(c, per_target(report, metric))),
        ));
    }
    // Every SVG first: they need no font, so they exist even where PNG text cannot render.
    let mut written = Vec::new();
    for ext in ["svg", "png"] {
        for (stem, size, draw) in &figures {
            let path = dir.join(format!("{stem}.{ext}"));
            let res = if ext == "svg" {
                let root = SVGBackend::new(&path, *size).into_drawing_area();
                draw(&mut Canvas::Svg(root.clone())).and_then(|()| root.present().map_err(err))
            } else {
                let root = BitMapBackend::new(&path, *size).into_drawing_area();
                draw(&mut Canvas::Png(root.clone())).and_then(|()| root.present().map_err(err))
            };
            res.map_err(|message| PlotError::Draw {
                path: path.clone(),
                message,
            })?;
            written.push(path);
        }
    }
    Ok(written)
}

impl<'r> MethodGrid<'r> {
    /// A near-square grid of `n` per-target panels for `method`, and its pixel size.
    fn of(report: &'r EvalReport, method: &'r str, n: usize) -> (MethodGrid<'r>, (u32, u32)) {
        let cols = (n as f64).sqrt().ceil() as usize;
        let rows = n.div_ceil(cols);
        let size = (380 * cols as u32, 300 * rows as u32 + 40);
        let g = MethodGrid {
            report,
            method,
            rows,
            cols,
        };
        (g, size)
    }

    /// `area` cleared, titled, and split into the grid's panels (one per target).
    fn panels<DB: DrawingBackend>(
        &self,
        area: &Area<DB>,
        title: &str,
    ) -> Result<Vec<Area<DB>>, String> {
        area.fill(&WHITE).map_err(err)?;
        let area = area.titled(title, ("sans-serif", 22)).map_err(err)?;
        Ok(area.split_evenly((self.rows, self.cols)))
    }
}

/// Method ids may hold `+` and `@`; keep file names to letters, digits, `-`, `_` and `.`.
fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| match c {
            '+' => 'p',
            '@' => '-',
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' => c,
            _ => '_',
        })
        .collect()
}

type DrawResult = Result<(), String>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

fn color(i: usize) -> RGBColor {
    // Tableau-10: distinguishable, colour-blind-friendlier than the default palette.
    const C: [(u8, u8, u8); 10] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ];
    let (r, g, b) = C[i % C.len()];
    RGBColor(r, g, b)
}

/// `[lo, hi]` widened by 5 % (and to a unit interval around a constant).
fn padded(vals: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = vals
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = 0.05 * (hi - lo);
    (lo - pad, hi + pad)
}

/// A chart over two `f64` axes, the only kind these figures draw.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A whole-figure chart: `title` above, the x labels given `x_label_area` pixels.
fn figure_chart<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    title: &str,
    x_label_area: u32,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<Chart<'a, DB>, String> {
    ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(x_label_area)
        .y_label_area_size(52)
        .build_cartesian_2d(x, y)
        .map_err(err)
}

/// The legend of `chart`'s labelled series, framed, at `position`, over a white background
/// of opacity `opacity`.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    position: SeriesLabelPosition,
    opacity: f64,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(opacity))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}

/// How a panel labels its axes: how many labels on x and on y, with how many decimals.
#[derive(Debug, Clone, Copy)]
struct Axes {
    x_labels: usize,
    x_decimals: usize,
    y_labels: usize,
    y_decimals: usize,
}

/// The axes of the per-target grids: accuracies and scores on both.
const TARGET_AXES: Axes = Axes {
    x_labels: 4,
    x_decimals: 2,
    y_labels: 5,
    y_decimals: 2,
};

/// One panel of a grid: a captioned chart over `x` × `y` with its mesh drawn.
fn panel_chart<'a, DB: DrawingBackend>(
    panel: &'a Area<DB>,
    caption: String,
    x: (f64, f64),
    y: (f64, f64),
    axes: Axes,
) -> Result<Chart<'a, DB>, String> {
    let mut chart = ChartBuilder::on(panel)
        .caption(caption, ("sans-serif", 15))
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(44)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(axes.x_labels)
        .y_labels(axes.y_labels)
        .x_label_formatter(&|v| format!("{v:.p$}", p = axes.x_decimals))
        .y_label_formatter(&|v| format!("{v:.p$}", p = axes.y_decimals))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

fn scatter<DB: DrawingBackend>(area: &Area<DB>, g: MethodGrid) -> DrawResult {
    let (mr, method) = (&g.report.methods[g.method], g.method);
    let title = format!("{method}: score (x) vs true fine-tuning accuracy (y), per target");
    let panels = g.panels(area, &title)?;
    for ((target, pairs), panel) in mr.predictions.iter().zip(panels.iter()) {
        let m = &mr.per_target[target];
        let caption = format!(
            "{target}  r={:.2} wτ={:.2} rel@1={:.2}",
            m["pearson"], m["w-kendall"], m["rel@1"]
        );
        let x = padded(pairs.iter().map(|p| p.1));
        let y = padded(pairs.iter().map(|p| p.2));
        let mut chart = panel_chart(panel, caption, x, y, TARGET_AXES)?;
        chart
            .draw_series(
                pairs
                    .iter()
                    .map(|p| Circle::new((p.1, p.2), 3, color(0).mix(0.6).filled())),
            )
            .map_err(err)?;
        // The method's top pick, so Rel@1 can be read off the figure.
        if let Some(best) = pairs.iter().max_by(|a, b| a.1.total_cmp(&b.1)) {
            chart
                .draw_series(std::iter::once(Circle::new(
                    (best.1, best.2),
                    6,
                    color(3).stroke_width(2),
                )))
                .map_err(err)?;
        }
    }
    Ok(())
}

/// Per target: predicted accuracy (x) against the recorded one (y), each model's interval as a
/// vertical bar through its recorded point's x, and the diagonal: points on the diagonal are
/// exact, bars crossing it cover.
fn calibration<DB: DrawingBackend>(area: &Area<DB>, g: MethodGrid) -> DrawResult {
    let (mr, method) = (&g.report.methods[g.method], g.method);
    let title = format!("{method}: predicted (x) vs recorded accuracy (y), with intervals");
    let panels = g.panels(area, &title)?;
    for ((target, pts), panel) in mr.calibration.iter().zip(panels.iter()) {
        let m = &mr.per_target[target];
        let cov = m
            .iter()
            .find(|(k, _)| k.starts_with("coverage@"))
            .map_or(f64::NAN, |(_, v)| *v);
        let (lo, hi) = padded(pts.iter().flat_map(|p| [p[0], p[1], p[2], p[3]]));
        let (lo, hi) = (lo.max(0.0), hi.min(1.0));
        let caption = format!(
            "{target}  MAE={:.3} cover={cov:.2}",
            m.get("mae").copied().unwrap_or(f64::NAN)
        );
        let mut chart = panel_chart(panel, caption, (lo, hi), (lo, hi), TARGET_AXES)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(lo, lo), (hi, hi)],
                BLACK.mix(0.5),
            )))
            .map_err(err)?;
        chart
            .draw_series(
                pts.iter().map(|p| {
                    PathElement::new(vec![(p[0], p[1]), (p[0], p[2])], color(0).mix(0.25))
                }),
            )
            .map_err(err)?;
        chart
            .draw_series(pts.iter().map(|p| {
                let inside = p[1] <= p[3] && p[3] <= p[2];
                let c = if inside { color(0) } else { color(3) };
                Circle::new((p[0], p[3]), 3, c.mix(0.7).filled())
            }))
            .map_err(err)?;
    }
    Ok(())
}

/// The budget loop of one method: Rel@1, weighted τ and MAE (weighted averages) against the
/// number of runs revealed, one line per strategy.
fn reveal<DB: DrawingBackend>(area: &Area<DB>, report: &EvalReport, method: &str) -> DrawResult {
    let curves = &report.reveal[method];
    area.fill(&WHITE).map_err(err)?;
    let area = area
        .titled(
            &format!("{method}: after K runs revealed (weighted averages)"),
            ("sans-serif", 20),
        )
        .map_err(err)?;
    let panels = area.split_evenly((1, 3));
    for (metric, panel) in ["rel@1", "w-kendall", "mae"].into_iter().zip(panels.iter()) {
        let vals = curves.values().flat_map(|c| {
            c.weighted_average
                .iter()
                .filter_map(|m| m.get(metric).copied())
        });
        let (y0, y1) = padded(vals);
        let kmax = curves
            .values()
            .map(|c| c.weighted_average.len())
            .max()
            .unwrap_or(1)
            .max(2) as f64
            - 1.0;
        let axes = Axes {
            x_labels: 6,
            x_decimals: 0,
            y_labels: 5,
            y_decimals: 3,
        };
        let mut chart = panel_chart(panel, metric.to_string(), (0.0, kmax), (y0, y1), axes)?;
        for (i, (strategy, c)) in curves.iter().enumerate() {
            let pts: Vec<(f64, f64)> = c
                .weighted_average
                .iter()
                .enumerate()
                .filter_map(|(k, m)| Some((k as f64, *m.get(metric)?)))
                .collect();
            chart
                .draw_series(LineSeries::new(pts, color(i).stroke_width(2)))
                .map_err(err)?
                .label(strategy.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color(i)));
        }
        // plotters' default place for the legend.
        draw_legend(&mut chart, SeriesLabelPosition::MiddleRight, 0.8)?;
    }
    Ok(())
}

fn rel_at_k<DB: DrawingBackend>(area: &Area<DB>, report: &EvalReport) -> DrawResult {
    area.fill(&WHITE).map_err(err)?;
    let vals = report.methods.values().flat_map(|mr| {
        (1..=5).filter_map(|k| mr.weighted_average.get(&format!("rel@{k}")).copied())
    });
    let (lo, _) = padded(vals);
    let title =
        "Rel@k (weighted average over targets): best true accuracy among the top k / best overall";
    let mut chart = figure_chart(
        area,
        title,
        36,
        0.8f64..5.2f64,
        lo.min(1.0)..1.0f64.max(lo + 0.01),
    )?;
    chart
        .configure_mesh()
        .x_desc("k")
        .y_desc("Rel@k")
        .x_labels(5)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.3}"))
        .draw()
        .map_err(err)?;
    for (i, (method, mr)) in report.methods.iter().enumerate() {
        let pts: Vec<(f64, f64)> = (1..=5)
            .filter_map(|k| Some((k as f64, *mr.weighted_average.get(&format!("rel@{k}"))?)))
            .collect();
        let c = color(i);
        chart
            .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
            .map_err(err)?
            .label(method.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        chart
            .draw_series(pts.into_iter().map(|p| Circle::new(p, 4, c.filled())))
            .map_err(err)?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight, 0.85)
}

/// Grouped bars: `groups` along x, one bar per series in each group, heights `value(g, s)`.
fn grouped_bars<DB: DrawingBackend>(
    area: &Area<DB>,
    title: &str,
    groups: &[String],
    series: &[String],
    value: &dyn Fn(usize, usize) -> Option<f64>,
) -> DrawResult {
    area.fill(&WHITE).map_err(err)?;
    let all = (0..groups.len()).flat_map(|g| (0..series.len()).filter_map(move |s| value(g, s)));
    let (lo, hi) = padded(all.chain([0.0]));
    // Head room for the legend in the upper right.
    let hi = hi + 0.2 * (hi - lo);
    let x = -0.5f64..groups.len() as f64 - 0.5;
    let mut chart = figure_chart(area, title, 70, x, lo..hi.max(1e-9))?;
    let names = groups.to_vec();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(groups.len().max(1))
        .x_label_formatter(&move |v| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                names[i as usize].clone()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| format!("{v:.2}"))
        .draw()
        .map_err(err)?;
    let width = 0.8 / series.len().max(1) as f64;
    for (s, name) in series.iter().enumerate() {
        let c = color(s);
        let bars: Vec<Rectangle<(f64, f64)>> = (0..groups.len())
            .filter_map(|g| {
                let v = value(g, s)?;
                let x0 = g as f64 - 0.4 + s as f64 * width;
                Some(Rectangle::new(
                    [(x0, 0.0), (x0 + width * 0.9, v)],
                    c.filled(),
                ))
            })
            .collect();
        chart
            .draw_series(bars)
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 0.85)
}

fn correlations<DB: DrawingBackend>(area: &Area<DB>, report: &EvalReport) -> DrawResult {
    let methods: Vec<String> = report.methods.keys().cloned().collect();
    let metrics: Vec<String> = ["pearson", "spearman", "kendall", "w-kendall"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    grouped_bars(
        area,
        "Correlation with the true accuracies (weighted average over targets)",
        &methods,
        &metrics,
        &|g, s| {
            report.methods[&methods[g]]
                .weighted_average
                .get(&metrics[s])
                .copied()
        },
    )
}

fn per_target<DB: DrawingBackend>(
    area: &Area<DB>,
    report: &EvalReport,
    metric: &str,
) -> DrawResult {
    let targets: Vec<String> = report.targets.keys().cloned().collect();
    let methods: Vec<String> = report.methods.keys().cloned().collect();
    grouped_bars(
        area,
        &format!("{metric} per target"),
        &targets,
        &methods,
        &|g, s| {
            report.methods[&methods[s]]
                .per_target
                .get(&targets[g])
                .and_then(|m| m.get(metric))
                .copied()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{MethodReport, TargetInfo};
    use std::collections::BTreeMap;

    fn report() -> EvalReport {
        let mut r = EvalReport::default();
        for (t, w) in [("a", 0.1), ("b", 0.2)] {
            r.targets.insert(
                t.into(),
                TargetInfo {
                    models: 3,
                    weight: w,
                    max_accuracy: 0.9,
                    scored: BTreeMap::new(),
                },
            );
        }
        for (m, q) in [("popularity", 0.8), ("lr+node2vec", 0.6)] {
            let mut mr = MethodReport::default();
            for t in ["a", "b"] {
                let mut metrics = BTreeMap::new();
                for k in crate::METRICS {
                    metrics.insert(k.to_string(), q);
                }
                mr.per_target.insert(t.into(), metrics);
                mr.predictions.insert(
                    t.into(),
                    vec![
                        ("m1".into(), 0.1, 0.5),
                        ("m2".into(), 0.4, 0.7),
                        ("m3".into(), 0.9, 0.9),
                    ],
                );
                mr.seconds_per_target.insert(t.into(), 0.01);
                if m == "popularity" {
                    mr.per_target.get_mut(t).unwrap().insert("mae".into(), 0.05);
                    mr.calibration
                        .insert(t.into(), vec![[0.6, 0.5, 0.7, 0.65], [0.8, 0.7, 0.9, 0.95]]);
                }
            }
            for k in crate::METRICS {
                mr.weighted_average.insert(k.to_string(), q);
            }
            r.methods.insert(m.into(), mr);
        }
        let step = |rel: f64| BTreeMap::from([("rel@1".to_string(), rel)]);
        r.reveal.entry("popularity".into()).or_default().insert(
            "top".into(),
            crate::RevealCurve {
                per_target: BTreeMap::new(),
                weighted_average: vec![step(0.9), step(0.95), step(1.0)],
            },
        );
        r
    }

    #[test]
    fn writes_every_figure_as_svg_with_the_data_in_it() {
        let dir = std::env::temp_dir().join(format!("zoorank-plot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        // PNG needs a system font: accept a PNG failure only when every SVG was written.
        let res = write_plots(&report(), &dir);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        for stem in [
            "scatter-popularity",
            "scatter-lrpnode2vec",
            "rel-at-k",
            "correlations",
            "per-target-pearson",
            "per-target-w-kendall",
            "per-target-rel-1",
            "calibration-popularity",
            "reveal-popularity",
        ] {
            assert!(
                names.contains(&format!("{stem}.svg")),
                "{stem}.svg in {names:?}"
            );
        }
        let cal = std::fs::read_to_string(dir.join("calibration-popularity.svg")).unwrap();
        assert!(
            cal.contains("MAE=0.050"),
            "panel title with the target's MAE"
        );
        let svg = std::fs::read_to_string(dir.join("rel-at-k.svg")).unwrap();
        assert!(svg.contains("popularity") && svg.contains("lr+node2vec"));
        let scatter = std::fs::read_to_string(dir.join("scatter-popularity.svg")).unwrap();
        assert!(
            scatter.contains("r=0.80"),
            "panel title with the target's metrics"
        );
        if let Ok(files) = res {
            assert_eq!(files.len(), 18);
            let png = std::fs::read(dir.join("correlations.png")).unwrap();
            assert_eq!(&png[..4], b"\x89PNG");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn empty_report_is_an_error() {
        let dir = std::env::temp_dir().join("zoorank-plot-empty");
        assert!(matches!(
            write_plots(&EvalReport::default(), &dir),
            Err(PlotError::Empty)
        ));
    }
}
