//! Inductive embedding of a new target on the real TransferGraph image zoo: for each held-out
//! target (no records), (a) the graph rankers' full retraining of the embedding on the graph
//! that contains the target, against (b) training once on the graph **without** the target
//! and embedding the target afterwards with `FittedEmbedder::extend` from its dataset–dataset
//! edges. Prints the seconds of (a)'s embedding, (b)'s one-off fit and (b)'s extend step per
//! learner, and the ranking quality of both through the graph rankers' regressors
//! (weighted-average Pearson, weighted Kendall τ, Rel@1 as in `zoorank eval`).
//!
//! `CARGO_TARGET_DIR=/work/target-gnn cargo run --release -p zoorank-experiments --example inductive [regressor ...]`
//!
//! Regressors default to `lr`; `INDUCTIVE_SEEDS=0,1,2` repeats everything for each seed (default
//! `0`) and averages. Data from `$ZOORANK_DATA` (default `../shared/data` next to the
//! workspace). Targets: the validation ones (eurosat, kitti, diabetic_retinopathy_detection,
//! smallnorb_label_azimuth) and, for reporting only, the 8 published ones. Each target is moved
//! to the last dataset index first, so the graph without it has the same node ids for every
//! other node; both (a) and (b) rank on that reordered view (the row "as evaluated" is the
//! unmodified `GraphRanker::rank` for comparison; `GraphRanker::inductive(true)` ranks like
//! (b), fitting and extending in one call).

use std::collections::BTreeMap;
use std::time::Instant;
use zoorank_eval::harness::target_metrics;
use zoorank_eval::{leave_one_out, metrics};
use zoorank_graph::{build_graph, GraphParams, NodeFeatures};
use zoorank_predict::rank::graph::GraphRanker;
use zoorank_predict::rank::{GraphSpec, Learner};
use zoorank_predict::rank::{ModelScore, Ranker, TargetView};
use zoorank_predict::regress::RegressorKind;

use zoorank_experiments::common;

const VALIDATION: [&str; 4] = [
    "eurosat",
    "kitti",
    "diabetic_retinopathy_detection",
    "smallnorb_label_azimuth",
];
/// Weighted sums of the three headline metrics and their weight, per (row, group).
#[derive(Default)]
struct Acc {
    sums: [f64; 3],
    weight: f64,
}

impl Acc {
    fn add(&mut self, m: &BTreeMap<String, f64>, w: f64) {
        for (s, k) in self.sums.iter_mut().zip(["pearson", "w-kendall", "rel@1"]) {
            *s += w * m[k];
        }
        self.weight += w;
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut regressors: Vec<RegressorKind> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    if regressors.is_empty() {
        regressors.push(RegressorKind::Ridge);
    }
    let zoo = common::image_zoo()?;
    let seeds: Vec<u64> = match std::env::var("INDUCTIVE_SEEDS") {
        Ok(v) => v
            .split(',')
            .map(|s| s.trim().parse())
            .collect::<Result<_, _>>()?,
        Err(_) => vec![0],
    };
    // (group, learner, row) → accumulated metrics; row: "as evaluated", "(a) retrain",
    // "(b) extend" per regressor.
    let mut acc: BTreeMap<(&str, &str, String), Acc> = BTreeMap::new();
    // (learner, step) → seconds over all targets.
    let mut secs: BTreeMap<(&str, &str), (f64, usize)> = BTreeMap::new();
    let mut time = |l: &'static str, step: &'static str, s: f64| {
        let e = secs.entry((l, step)).or_default();
        e.0 += s;
        e.1 += 1;
    };
    for &seed in &seeds {
        for (group, names) in [
            ("validation", &VALIDATION[..]),
            ("published", &common::PUBLISHED[..]),
        ] {
            for name in names {
                let t = zoo
                    .dataset_index(name)
                    .ok_or_else(|| format!("no dataset {name}"))?;
                let view = leave_one_out(&zoo, t, false, seed);
                let truth: BTreeMap<usize, f64> = zoo.ground_truth(t, false).into_iter().collect();
                let weight = metrics::target_weight(&truth.values().copied().collect::<Vec<_>>())?;
                let zoo1 = view.zoo.with_target_last(t);
                let last = zoo1.datasets.len() - 1;
                let view1 = TargetView {
                    zoo: zoo1,
                    target: last,
                    candidates: view.candidates.clone(),
                    seed,
                };
                let zoo0 = view1.zoo.without_last_dataset();
                let target_node = view1.zoo.models.len() + last;
                for learner in Learner::ALL {
                    let lid = learner.id();
                    let base = GraphRanker::new(GraphSpec::new(RegressorKind::Ridge, learner));
                    let g1 = build_graph(
                        &view1.zoo,
                        &GraphParams {
                            hold_out: Some(last),
                            ..base.graph_params()
                        },
                    )?;
                    let g0 = build_graph(&zoo0, &base.graph_params())?;
                    assert_eq!(g0.n_nodes() + 1, g1.n_nodes());
                    // (a) full retraining on the graph with the target.
                    let t0 = Instant::now();
                    let emb_a = base.embedder(&view1.zoo, &g1)?.embed(&g1, seed)?;
                    time(lid, "(a) retrain", t0.elapsed().as_secs_f64());
                    // (b) train once without the target, then extend.
                    let t0 = Instant::now();
                    let fitted = base.embedder(&zoo0, &g0)?.fit(&g0, seed)?;
                    time(lid, "(b) fit once", t0.elapsed().as_secs_f64());
                    let t0 = Instant::now();
                    let gnn = matches!(learner, Learner::GraphSage | Learner::Gat);
                    let f1 = if gnn {
                        Some(NodeFeatures::from_zoo(&view1.zoo, &g1)?)
                    } else {
                        None
                    };
                    let emb_b = fitted.extend(&g1, f1.as_ref(), &[target_node], seed)?;
                    time(lid, "(b) extend", t0.elapsed().as_secs_f64());
                    for reg in &regressors {
                        let ranker = GraphRanker::new(GraphSpec::new(*reg, learner));
                        let mut rows: Vec<(String, Vec<ModelScore>)> = Vec::new();
                        if *reg == RegressorKind::Ridge {
                            let t0 = Instant::now();
                            rows.push(("as evaluated".into(), ranker.rank(&view)?));
                            time(lid, "as evaluated (embed+lr)", t0.elapsed().as_secs_f64());
                        }
                        rows.push((
                            format!("{reg} (a) retrain"),
                            ranker.rank_with_embeddings(&view1, &emb_a)?,
                        ));
                        let b = ranker.rank_with_embeddings(&view1, &emb_b)?;
                        // The ranker's own inductive path is (b) in one call.
                        if *reg == RegressorKind::Ridge {
                            let own = ranker.clone().inductive(true).rank(&view)?;
                            assert_eq!(own, b, "{name} {lid}: inductive(true) differs from (b)");
                        }
                        rows.push((format!("{reg} (b) extend"), b));
                        for (row, scores) in rows {
                            let m = target_metrics(&scores, &truth)?.ok_or("too few models")?;
                            eprintln!(
                            "seed {seed} {group:>10} {name:>32} {lid:>9} {row:>18}: pearson {:.3} w-tau {:.3} rel@1 {:.3}",
                            m["pearson"], m["w-kendall"], m["rel@1"]
                        );
                            acc.entry((group, lid, row)).or_default().add(&m, weight);
                        }
                    }
                }
            }
        }
    }
    println!(
        "image zoo: {} models, {} datasets; seeds {seeds:?} (averaged)",
        zoo.models.len(),
        zoo.datasets.len()
    );
    println!("\n| learner | step | mean s / target |");
    println!("|---|---|---|");
    for ((l, step), (s, n)) in &secs {
        println!("| {l} | {step} | {:.3} |", s / *n as f64);
    }
    for group in ["validation", "published"] {
        println!("\n{group} targets (weighted averages)\n");
        println!("| learner | embedding | Pearson | w-Kendall τ | Rel@1 |");
        println!("|---|---|---|---|---|");
        for ((g, l, row), a) in &acc {
            if *g != group {
                continue;
            }
            println!(
                "| {l} | {row} | {:.3} | {:.3} | {:.3} |",
                a.sums[0] / a.weight,
                a.sums[1] / a.weight,
                a.sums[2] / a.weight
            );
        }
    }
    Ok(())
}
