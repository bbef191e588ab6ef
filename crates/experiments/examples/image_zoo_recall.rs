//! Recall on the TransferGraph image zoo: leave-one-target-out performance matrix from
//! `records.csv`, stored LogME from `transferability_score_records.csv` as the proxy, read
//! directly from the CSVs. For every target with LogME scores: where the truly best model
//! lands, whether it survives recall at K = 5, 10, 15, and the proxy computations saved.
//!
//! `cargo run --release -p zoorank-experiments --example image_zoo_recall [-- THRESHOLD]`
//! (data from `$ZOORANK_DATA`, default `../shared/data`; threshold default 0.05).

#[path = "../../select/tests/common/mod.rs"]
mod common;

use zoorank_experiments::select_bench::recall_on_zoo;
use zoorank_select::recall::{ProxyScale, RecallParams, RecallVariant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let threshold: f64 = std::env::args().nth(1).map_or(Ok(0.05), |s| s.parse())?;
    let zoo = common::image_zoo();
    let mut targets: Vec<usize> = zoo.scores.iter().map(|s| s.dataset).collect();
    targets.sort_unstable();
    targets.dedup();
    for variant in [RecallVariant::Paper, RecallVariant::MemberProxy] {
        let params = RecallParams {
            top: 15,
            variant,
            scale: ProxyScale::MinMax,
        };
        println!("\nvariant {variant:?}, threshold {threshold}, proxy logme (min-max)");
        println!("| target | models | clusters (non-singleton) | best model (acc; tied) | rank of best | rank by LogME alone | proxy computations / LogME available |");
        println!("|---|---|---|---|---|---|---|");
        let mut survive = [0usize; 3];
        let mut survive_logme = [0usize; 3];
        let (mut calls, mut avail, mut n, mut total) = (0usize, 0usize, 0usize, 0usize);
        for &t in &targets {
            let r = recall_on_zoo(&zoo, t, "logme", threshold, params)?;
            println!(
                "| {} | {} | {} ({}) | {} ({:.4}; {}) | {} | {} | {} / {} |",
                r.target,
                r.models,
                r.clusters,
                r.non_singleton_clusters,
                r.best_model,
                r.best_accuracy,
                r.best_tied,
                r.rank_of_best,
                r.rank_of_best_by_proxy_alone
                    .map_or("-".into(), |x| x.to_string()),
                r.proxy_computations,
                r.proxy_available
            );
            for (i, k) in [5, 10, 15].iter().enumerate() {
                survive[i] += usize::from(r.survives(*k));
                survive_logme[i] +=
                    usize::from(r.rank_of_best_by_proxy_alone.is_some_and(|x| x <= *k));
            }
            calls += r.proxy_computations;
            avail += r.proxy_available;
            total += r.models;
            n += 1;
        }
        println!(
            "\nbest model survives recall: K=5 {}/{n}, K=10 {}/{n}, K=15 {}/{n} (LogME alone: {}/{n}, {}/{n}, {}/{n})",
            survive[0], survive[1], survive[2], survive_logme[0], survive_logme[1], survive_logme[2],
        );
        println!(
            "proxy computations: {calls} for {total} (model, target) pairs, {} saved ({:.1}%); \
             LogME is stored for {avail} of those pairs",
            total - calls.min(total),
            100.0 * (1.0 - calls as f64 / total as f64)
        );
    }
    Ok(())
}
