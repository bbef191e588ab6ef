//! How far can a ranker built from the other datasets' fine-tuning results go? An upper bound
//! measured on the real TransferGraph image zoo.
//!
//! For every target t, the columns are the other (non-collapsed) datasets' min-max
//! normalised best accuracies `ã_md` (for the oracles, a model's missing value is filled with the column mean),
//! plus an intercept. Three rankers, scored with the protocol's metrics and weighted average:
//!
//! - `popularity`: the plain mean of the columns (what `zoorank eval --methods popularity`
//!   computes);
//! - `oracle-column`: the single other dataset whose column correlates best with t's truth;
//! - `oracle-linear`: the least-squares combination of all columns fitted **on t's own
//!   truth** (in-sample — it cheats on purpose);
//! - `oracle-features`: the same in-sample least squares over the columns **and** the whole
//!   feature row `lr` learns from (model metadata, dataset metadata, score percentiles,
//!   history summaries; `zoorank_predict::rank::table`), built on the leave-one-out view.
//!
//! No honest ranker that only weights and combines other datasets' results can beat
//! `oracle-linear` on the metric it fits (Pearson); the other metrics show where even such a
//! cheat stops. `oracle-features` bounds linear rankers over everything `lr` sees; a gain
//! beyond it needs information the zoo does not store, or a nonlinear model that generalises
//! better than an in-sample linear fit.
//!
//! `cargo run --release -p zoorank-experiments --example ceiling [targets,comma,separated]`
//! (default: the 8 published image targets). Data from `$ZOORANK_DATA` (default
//! `../shared/data`).

use zoorank_core::metrics::{pearson, rel_at_k, target_weight, weighted_average, weighted_tau};
use zoorank_eval::leave_one_out;
use zoorank_predict::rank::history::History;
use zoorank_predict::rank::table::{FeatureTable, TableSpec};
use zoorank_predict::regress::{Features, Ridge, RidgeParams};

use zoorank_experiments::common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let targets_arg = std::env::args()
        .nth(1)
        .unwrap_or_else(|| common::PUBLISHED.join(","));
    let zoo = common::image_zoo()?;
    let best = zoo.best_accuracies();
    let collapsed: Vec<usize> = zoo.collapsed_datasets().iter().map(|c| c.dataset).collect();
    // Min-max normalised columns of every usable dataset.
    let usable: Vec<usize> = (0..zoo.datasets.len())
        .filter(|d| !collapsed.contains(d) && best[*d].iter().flatten().count() >= 2)
        .collect();
    let norm = |d: usize| -> Vec<Option<f64>> {
        let vals: Vec<f64> = best[d].iter().flatten().copied().collect();
        let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        best[d]
            .iter()
            .map(|v| v.map(|v| if hi > lo { (v - lo) / (hi - lo) } else { 0.5 }))
            .collect()
    };
    let names = [
        "popularity",
        "oracle-column",
        "oracle-linear",
        "oracle-features",
    ];
    let mut rows: Vec<[Vec<f64>; 3]> = vec![Default::default(); names.len()];
    let mut weights = Vec::new();
    println!("| target | ranker | Pearson | w-τ | Rel@1 |\n|---|---|---|---|---|");
    for name in targets_arg.split(',') {
        let t = zoo
            .dataset_index(name)
            .ok_or_else(|| format!("no dataset {name}"))?;
        let models: Vec<usize> = (0..zoo.models.len())
            .filter(|&m| best[t][m].is_some())
            .collect();
        let truth: Vec<f64> = models.iter().map(|&m| best[t][m].unwrap_or(0.0)).collect();
        let cols: Vec<Vec<f64>> = usable
            .iter()
            .filter(|&&d| d != t)
            .map(|&d| {
                let c = norm(d);
                let known: Vec<f64> = models.iter().filter_map(|&m| c[m]).collect();
                let fill = known.iter().sum::<f64>() / known.len().max(1) as f64;
                models.iter().map(|&m| c[m].unwrap_or(fill)).collect()
            })
            .collect();
        let n = models.len();
        // Popularity averages the values a model has (no filling), as the ranker does.
        let raw: Vec<Vec<Option<f64>>> = usable
            .iter()
            .filter(|&&d| d != t)
            .map(|&d| norm(d))
            .collect();
        let pop: Vec<f64> = models
            .iter()
            .map(|&m| {
                let v: Vec<f64> = raw.iter().filter_map(|c| c[m]).collect();
                v.iter().sum::<f64>() / v.len().max(1) as f64
            })
            .collect();
        let column = cols
            .iter()
            .max_by(|a, b| {
                let ra = pearson(a, &truth).unwrap_or(f64::NEG_INFINITY);
                let rb = pearson(b, &truth).unwrap_or(f64::NEG_INFINITY);
                ra.total_cmp(&rb)
            })
            .cloned()
            .unwrap_or_else(|| pop.clone());
        let mut x = Vec::with_capacity(n * cols.len());
        for i in 0..n {
            x.extend(cols.iter().map(|c| c[i]));
        }
        let linear = in_sample_fit(&x, n, cols.len(), &truth)?;
        // lr's feature rows for the target's models, on the view without the target's records.
        let view = leave_one_out(&zoo, t, false, 0);
        let h = History::new(&view.zoo);
        let table = FeatureTable::new(
            &view.zoo,
            TableSpec {
                history: true,
                one_hot_ids: false,
            },
        );
        let width = table.columns.len() + cols.len();
        let mut xf = Vec::with_capacity(n * width);
        for (i, &m) in models.iter().enumerate() {
            table.push_row(&view.zoo, &h, m, t, &mut xf);
            xf.extend(cols.iter().map(|c| c[i]));
        }
        let featured = in_sample_fit(&xf, n, width, &truth)?;
        weights.push(target_weight(&truth)?);
        for (k, pred) in [pop, column, linear, featured].iter().enumerate() {
            let m = [
                pearson(pred, &truth)?,
                weighted_tau(pred, &truth)?,
                rel_at_k(pred, &truth, 1)?,
            ];
            println!(
                "| {name} | {} | {:.3} | {:.3} | {:.3} |",
                names[k], m[0], m[1], m[2]
            );
            for (j, v) in m.iter().enumerate() {
                rows[k][j].push(*v);
            }
        }
    }
    println!("\nweighted averages (weight = max − mean accuracy of the target):\n");
    println!("| ranker | Pearson | w-τ | Rel@1 |\n|---|---|---|---|");
    for (k, r) in rows.iter().enumerate() {
        println!(
            "| {} | {:.3} | {:.3} | {:.3} |",
            names[k],
            weighted_average(&r[0], &weights)?,
            weighted_average(&r[1], &weights)?,
            weighted_average(&r[2], &weights)?
        );
    }
    Ok(())
}

/// Fitted values of a (nearly unpenalised) least-squares fit of `y` on the row-major `x`.
fn in_sample_fit(
    x: &[f64],
    n_rows: usize,
    n_cols: usize,
    y: &[f64],
) -> Result<Vec<f64>, Box<dyn std::error::Error>> {
    let features = Features::new(x, n_rows, n_cols);
    // A vanishing penalty: ordinary least squares, kept numerically safe.
    let fitted = Ridge::new(RidgeParams { alphas: vec![1e-8] }).fit_ridge(features, y)?;
    Ok((0..n_rows)
        .map(|i| {
            fitted.intercept
                + features
                    .row(i)
                    .iter()
                    .zip(&fitted.coef)
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
        })
        .collect())
}
