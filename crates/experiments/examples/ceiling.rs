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
//!   history summaries; `zoorank_predict::rank::table`), built on the leave-one-out view;
//! - `oracle-mix`: the in-sample least squares over the columns and the score of a zoorank
//!   method (`--method`, default `trend+lr`) ranking the leave-one-out view: the family the
//!   budget loop mixes its experts from (`zoorank_predict::accuracy`);
//! - `oracle-all`: `oracle-features` with the method's score as one more column.
//!
//! With `--reveal K` a second table bounds the budget loop (`zoorank eval --reveal K`): the
//! fitted oracles' predictions with K models shown at their recorded accuracy, as the loop
//! shows the runs it made. Either the method's top K (what the `top` strategy runs first) or
//! the K truly best models (a strategy that knew the answer). The budget loop conditions a
//! combination of the method's prediction and the other datasets' results on the runs it
//! saw; the in-sample fit over all of that, on the target's own truth, with the best runs
//! revealed, is what such a loop cannot beat on the metric the fit targets.
//! A third table gives Rel@1 when each ranker's own top K are run and the best of them kept:
//! how far a budget of K runs spent on one ranker's first picks can go, the cheats included.
//!
//! No honest ranker that only weights and combines other datasets' results can beat
//! `oracle-linear` on the metric it fits (Pearson); the other metrics show where even such a
//! cheat stops. `oracle-features` bounds linear rankers over everything `lr` sees; a gain
//! beyond it needs information the zoo does not store, or a nonlinear model that generalises
//! better than an in-sample linear fit.
//!
//! `cargo run --release -p zoorank-experiments --example ceiling [targets,comma,separated]
//! [--method M] [--reveal K] [--logit]` (defaults: the 8 published image targets, `trend+lr`,
//! no reveal; `--logit`: the oracles fit the accuracies' logits). Data from `$ZOORANK_DATA`
//! (default `../shared/data`).

use zoorank_core::metrics::{pearson, rel_at_k, target_weight, weighted_average, weighted_tau};
use zoorank_eval::leave_one_out;
use zoorank_predict::accuracy::experts::logit;
use zoorank_predict::rank::history::History;
use zoorank_predict::rank::table::{FeatureTable, TableSpec};
use zoorank_predict::rank::MethodSpec;
use zoorank_predict::regress::{Features, Ridge, RidgeParams};

use zoorank_experiments::common;

/// The command line: targets, `--method M`, `--reveal K`.
struct Args {
    targets: String,
    method: MethodSpec,
    reveal: usize,
    /// Fit the oracles to the logit of the accuracies (the scale the budget loop conditions
    /// on) rather than to the accuracies.
    logit: bool,
}

fn args() -> Result<Args, Box<dyn std::error::Error>> {
    let mut out = Args {
        targets: common::PUBLISHED.join(","),
        method: "trend+lr".parse()?,
        reveal: 0,
        logit: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--method" => out.method = it.next().ok_or("--method needs a value")?.parse()?,
            "--reveal" => out.reveal = it.next().ok_or("--reveal needs a value")?.parse()?,
            "--logit" => out.logit = true,
            _ => out.targets = a,
        }
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let zoo = common::image_zoo()?;
    let ranker = args.method.ranker(&zoo.score_methods())?;
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
        "oracle-mix",
        "oracle-all",
    ];
    let mut rows: Vec<[Vec<f64>; 3]> = vec![Default::default(); names.len()];
    // Per fitted oracle: w-τ with the method's top K revealed, w-τ with the true top K
    // revealed, Rel@1 with the method's top K revealed.
    const FITTED: usize = 2;
    let mut revealed: Vec<[Vec<f64>; 3]> = vec![Default::default(); names.len() - FITTED];
    // Per ranker, then the method: Rel@1 of the best of its own top K, run.
    let mut own_top: Vec<Vec<f64>> = vec![Vec::new(); names.len() + 1];
    let mut weights = Vec::new();
    println!("| target | ranker | Pearson | w-τ | Rel@1 |\n|---|---|---|---|---|");
    for name in args.targets.split(',') {
        let t = zoo
            .dataset_index(name)
            .ok_or_else(|| format!("no dataset {name}"))?;
        let models: Vec<usize> = (0..zoo.models.len())
            .filter(|&m| best[t][m].is_some())
            .collect();
        let truth: Vec<f64> = models.iter().map(|&m| best[t][m].unwrap_or(0.0)).collect();
        // What the fitted oracles fit and what a revealed run shows (same order as `truth`).
        let fit_to: Vec<f64> = if args.logit {
            truth.iter().map(|&a| logit(a)).collect()
        } else {
            truth.clone()
        };
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
        let linear = in_sample_fit(&x, n, cols.len(), &fit_to)?;
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
        let featured = in_sample_fit(&xf, n, width, &fit_to)?;
        // The method's score of each model (its worst score where it ranks none).
        let scored: std::collections::BTreeMap<usize, f64> = ranker
            .rank(&view)?
            .into_iter()
            .map(|s| (s.model, s.score))
            .collect();
        let worst = scored.values().copied().fold(f64::INFINITY, f64::min);
        let method: Vec<f64> = models
            .iter()
            .map(|m| scored.get(m).copied().unwrap_or(worst))
            .collect();
        let mix = in_sample_fit(&with_column(&x, &method), n, cols.len() + 1, &fit_to)?;
        let all = in_sample_fit(&with_column(&xf, &method), n, width + 1, &fit_to)?;
        weights.push(target_weight(&truth)?);
        if args.reveal > 0 {
            let top_of = |s: &[f64]| {
                let mut order: Vec<usize> = (0..n).collect();
                order.sort_by(|&a, &b| s[b].total_cmp(&s[a]));
                order.truncate(args.reveal);
                order
            };
            let (by_method, by_truth) = (top_of(&method), top_of(&truth));
            let seen = by_method
                .iter()
                .map(|&i| truth[i])
                .fold(f64::NEG_INFINITY, f64::max);
            let best = truth.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for (k, pred) in [&linear, &featured, &mix, &all].into_iter().enumerate() {
                let show = |picks: &[usize]| {
                    let mut p = pred.clone();
                    for &i in picks {
                        p[i] = fit_to[i];
                    }
                    p
                };
                let p = show(&by_method);
                let top = truth[top_of(&p)[0]];
                let r = &mut revealed[k];
                r[0].push(weighted_tau(&p, &truth)?);
                r[1].push(weighted_tau(&show(&by_truth), &truth)?);
                r[2].push(top.max(seen) / best);
            }
            for (k, pred) in [&pop, &column, &linear, &featured, &mix, &all, &method]
                .into_iter()
                .enumerate()
            {
                own_top[k].push(rel_at_k(pred, &truth, args.reveal)?);
            }
        }
        for (k, pred) in [pop, column, linear, featured, mix, all].iter().enumerate() {
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
    if args.reveal > 0 {
        let k = args.reveal;
        println!(
            "\nwith {k} runs revealed (`{}` ranks for oracle-mix and oracle-all and picks the method's top {k}):\n",
            args.method
        );
        println!(
            "| ranker | w-τ, method's top {k} shown | w-τ, true top {k} shown | Rel@1, method's top {k} run |\n|---|---|---|---|"
        );
        for (j, r) in revealed.iter().enumerate() {
            println!(
                "| {} | {:.3} | {:.3} | {:.3} |",
                names[j + FITTED],
                weighted_average(&r[0], &weights)?,
                weighted_average(&r[1], &weights)?,
                weighted_average(&r[2], &weights)?
            );
        }
        println!(
            "\nRel@1 when each ranker's own top {k} are run (the best of them is picked; a strategy that runs what the ranker ranks first):\n"
        );
        println!("| ranker | Rel@1 of its top {k} |\n|---|---|");
        let method = args.method.to_string();
        for (j, r) in own_top.iter().enumerate() {
            println!(
                "| {} | {:.4} |",
                names.get(j).copied().unwrap_or(method.as_str()),
                weighted_average(r, &weights)?
            );
        }
    }
    Ok(())
}

/// The row-major `x` (one row per entry of `column`) with `column` appended to every row.
fn with_column(x: &[f64], column: &[f64]) -> Vec<f64> {
    let width = x.len() / column.len().max(1);
    let mut out = Vec::with_capacity(x.len() + column.len());
    for (row, &c) in x.chunks(width.max(1)).zip(column) {
        out.extend_from_slice(row);
        out.push(c);
    }
    out
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
