//! The graph rankers against `xgb` and `popularity` on the real TransferGraph image zoo, the 8
//! published targets, leave-one-target-out: weighted-average Pearson, weighted Kendall τ, Rel@1
//! and mean ranking seconds per target.
//!
//! `CARGO_TARGET_DIR=/work/target-graph cargo run --release -p zoorank-experiments --example graph_variants [threads] [method ...]`
//!
//! Data from `$ZOORANK_DATA` (default `../shared/data` next to the workspace). With
//! `GRAPH_VARIANTS_TARGETS=a,b,…` other targets replace the 8 published ones (for choosing
//! settings on validation targets: eurosat, kitti, diabetic_retinopathy_detection,
//! smallnorb_label_azimuth). `GRAPH_VARIANTS_SEED=s` sets the learners' seed (default 0).

use std::time::Instant;
use zoorank_eval::{evaluate, EvalOptions};

use zoorank_experiments::common;
use zoorank_predict::rank::MethodSpec;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let threads: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut methods: Vec<MethodSpec> = args
        .iter()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    if methods.is_empty() {
        methods = vec![MethodSpec::Popularity, "xgb".parse()?];
        methods.extend(
            zoorank_predict::rank::spec::graph_specs()
                .into_iter()
                .map(MethodSpec::graph_method),
        );
    }
    let zoo = common::image_zoo()?;
    let targets: Vec<String> = match std::env::var("GRAPH_VARIANTS_TARGETS") {
        Ok(t) => t.split(',').map(|s| s.trim().to_string()).collect(),
        Err(_) => common::PUBLISHED.iter().map(|s| s.to_string()).collect(),
    };
    let n_targets = targets.len();
    let seed: u64 = match std::env::var("GRAPH_VARIANTS_SEED") {
        Ok(s) => s
            .parse()
            .map_err(|_| format!("GRAPH_VARIANTS_SEED={s}: not a number"))?,
        Err(_) => 0,
    };
    let opts = EvalOptions {
        targets: Some(targets),
        threads,
        seed,
        ..EvalOptions::default()
    };
    let t0 = Instant::now();
    let rep = evaluate(&zoo, &methods, &opts)?;
    println!(
        "image zoo: {} models, {} datasets, {} records; {} targets, {threads} thread(s), {:.1} s total",
        zoo.models.len(),
        zoo.datasets.len(),
        zoo.records.len(),
        n_targets,
        t0.elapsed().as_secs_f64()
    );
    println!("| method | Pearson | w-Kendall τ | Rel@1 | s / target |");
    println!("|---|---|---|---|---|");
    for m in &methods {
        let r = &rep.methods[&m.to_string()];
        let w = &r.weighted_average;
        let secs =
            r.seconds_per_target.values().sum::<f64>() / r.seconds_per_target.len().max(1) as f64;
        println!(
            "| `{m}` | {:.3} | {:.3} | {:.3} | {secs:.2} |",
            w["pearson"], w["w-kendall"], w["rel@1"]
        );
    }
    Ok(())
}
