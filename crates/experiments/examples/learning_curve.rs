//! Does a ranker get better with more fine-tuning history? A learning curve on the real
//! TransferGraph image zoo.
//!
//! For each of the 8 published targets t and each size k, `draws` random subsets of k of the
//! other usable datasets (those with ≥ 2 models' records, not collapsed) are kept as history;
//! every other dataset's records and scores are removed, then the method ranks t under the
//! protocol (t's records held out). A draw's figure is the weighted average over the 8 targets
//! (weight = max − mean truth, as the published tables); a row is the mean over draws, with the
//! spread (standard deviation) of Pearson across draws.
//!
//! This answers whether the ranking bar (Pearson 0.85 on the 8 published targets) is a question of method or of data: a
//! curve still rising at the full history says more datasets would lift it; a flat one says
//! the information is not in more of the same.
//!
//! `cargo run --release -p zoorank-experiments --example learning_curve [draws] [method ...]`
//! (default 10 draws; methods popularity, lr, guard+pop+lr). Data from `$ZOORANK_DATA`.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::collections::{BTreeMap, BTreeSet};
use zoorank_core::metrics::target_weight;
use zoorank_eval::harness::target_metrics;
use zoorank_eval::leave_one_out;
use zoorank_predict::rank::MethodSpec;

use zoorank_experiments::common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let draws: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10);
    let mut methods: Vec<String> = args.iter().skip(1).cloned().collect();
    if methods.is_empty() {
        methods = ["popularity", "lr", "guard+pop+lr"]
            .map(String::from)
            .to_vec();
    }
    let zoo = common::image_zoo()?;
    let collapsed: BTreeSet<usize> = zoo.collapsed_datasets().iter().map(|c| c.dataset).collect();
    let usable: Vec<usize> = zoo
        .datasets_with_records(false)
        .into_iter()
        .filter(|d| !collapsed.contains(d) && zoo.ground_truth(*d, false).len() >= 2)
        .collect();
    let targets: Vec<usize> = common::PUBLISHED
        .iter()
        .map(|n| zoo.dataset_index(n).ok_or(format!("no dataset {n}")))
        .collect::<Result<_, _>>()?;
    let max_k = usable.len() - 1;
    let sizes: Vec<usize> = [2, 4, 6, 8, 10]
        .into_iter()
        .filter(|&k| k < max_k)
        .chain([max_k])
        .collect();
    println!(
        "image zoo: {} usable datasets; {} targets; {draws} draws per size (the full size has one subset)",
        usable.len(),
        targets.len()
    );
    println!("| method | k datasets | Pearson (± sd) | w-τ | Rel@1 |\n|---|---|---|---|---|");
    for method in &methods {
        let ranker = method.parse::<MethodSpec>()?.ranker(&zoo.score_methods())?;
        for &k in &sizes {
            let n_draws = if k == max_k { 1 } else { draws };
            let mut per_draw: Vec<[f64; 3]> = Vec::new();
            for draw in 0..n_draws {
                let mut sums = [0.0; 3];
                let mut wsum = 0.0;
                for (ti, &t) in targets.iter().enumerate() {
                    // Same subsets for every method: the seed depends on (k, draw, target).
                    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(
                        (k as u64) << 32 | (draw as u64) << 8 | ti as u64,
                    );
                    let mut others: Vec<usize> =
                        usable.iter().copied().filter(|&d| d != t).collect();
                    others.shuffle(&mut rng);
                    let keep: BTreeSet<usize> = others.into_iter().take(k).chain([t]).collect();
                    let mut sub = zoo.clone();
                    sub.records.retain(|r| keep.contains(&r.dataset));
                    sub.scores.retain(|s| keep.contains(&s.dataset));
                    let view = leave_one_out(&sub, t, false, 0);
                    let truth: BTreeMap<usize, f64> =
                        zoo.ground_truth(t, false).into_iter().collect();
                    let scores = ranker.rank(&view)?;
                    let Some(m) = target_metrics(&scores, &truth)? else {
                        continue;
                    };
                    let w = target_weight(&truth.values().copied().collect::<Vec<_>>())?;
                    for (i, key) in ["pearson", "w-kendall", "rel@1"].iter().enumerate() {
                        sums[i] += w * m[*key];
                    }
                    wsum += w;
                }
                per_draw.push(sums.map(|s| s / wsum));
            }
            let n = per_draw.len() as f64;
            let mean = |i: usize| per_draw.iter().map(|r| r[i]).sum::<f64>() / n;
            let p = mean(0);
            let sd = (per_draw.iter().map(|r| (r[0] - p).powi(2)).sum::<f64>() / n).sqrt();
            println!(
                "| `{method}` | {k} | {p:.3} ± {sd:.3} | {:.3} | {:.3} |",
                mean(1),
                mean(2)
            );
        }
    }
    Ok(())
}
