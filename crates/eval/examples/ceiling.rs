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
//!   truth** (in-sample — it cheats on purpose).
//!
//! No honest ranker that only weights and combines other datasets' results can beat
//! `oracle-linear` on the metric it fits (Pearson); the other metrics show where even such a
//! cheat stops. Any gain beyond it must come from information outside the accuracy matrix
//! (model metadata, scores on the target).
//!
//! `cargo run --release -p zoorank-eval --example ceiling [targets,comma,separated]`
//! (default: the 8 published image targets). Data from `$ZOORANK_DATA` (default
//! `../shared/data`).

use zoorank_core::metrics::{pearson, rel_at_k, target_weight, weighted_average, weighted_tau};
use zoorank_predict::regress::{Features, Ridge, RidgeParams};

mod common;

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
    let names = ["popularity", "oracle-column", "oracle-linear"];
    let mut rows: Vec<[Vec<f64>; 3]> = vec![Default::default(); 3];
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
        let features = Features {
            data: &x,
            n_rows: n,
            n_cols: cols.len(),
        };
        // A vanishing penalty: ordinary least squares, kept numerically safe.
        let fitted = Ridge::new(RidgeParams { alphas: vec![1e-8] }).fit_ridge(features, &truth)?;
        let linear: Vec<f64> = (0..n)
            .map(|i| {
                fitted.intercept
                    + features
                        .row(i)
                        .iter()
                        .zip(&fitted.coef)
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
            })
            .collect();
        weights.push(target_weight(&truth)?);
        for (k, pred) in [pop, column, linear].iter().enumerate() {
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
