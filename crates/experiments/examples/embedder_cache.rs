//! What keeping a trained graph embedder saves `recommend` on new datasets: the real
//! TransferGraph image zoo with the 8 published targets' records and scores removed, so they
//! arrive as new datasets (distances only; those some model names as its source stay tied to
//! the zoo and are left out). The first `rank_inductive_cached` call trains the embedder on
//! the zoo without them and stores it (in memory here, in the zoo store's blob table for the
//! CLI); the others reuse it.
//! Prints, per learner, the mean seconds of the first call, of the reusing calls, their ratio,
//! the stored size, and checks that the rankings are identical to training afresh.
//!
//! `cargo run --release -p zoorank-experiments --example embedder_cache [graph id ...]`
//! (default: lr+node2vec lr+node2vec+ lr+graphsage lr+gat). Data from `$ZOORANK_DATA`.

use std::time::Instant;
use zoorank_core::MemoryCache;
use zoorank_predict::rank::graph::{EmbedderSource, GraphRanker};
use zoorank_predict::rank::TargetView;

use zoorank_experiments::common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut ids: Vec<String> = std::env::args().skip(1).collect();
    if ids.is_empty() {
        ids = ["lr+node2vec", "lr+node2vec+", "lr+graphsage", "lr+gat"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    }
    let zoo = common::image_zoo()?;
    let new: Vec<usize> = common::PUBLISHED
        .iter()
        .filter_map(|n| zoo.dataset_index(n))
        .collect();
    let mut base = zoo.clone();
    base.records.retain(|r| !new.contains(&r.dataset));
    base.scores.retain(|s| !new.contains(&s.dataset));
    // A target that some model names as its source is tied to the zoo by that link, so the
    // trained graph keeps it unless it is the target itself: it cannot share an embedder.
    let inert = base.inert_datasets();
    let targets: Vec<usize> = new.into_iter().filter(|d| inert.contains(d)).collect();
    println!(
        "new datasets sharing one embedder: {}\n",
        targets
            .iter()
            .map(|&d| zoo.datasets[d].name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "| method | first call (trains, stores) s | later calls (reuse) s | ratio | stored KiB |"
    );
    println!("|---|---|---|---|---|");
    for id in &ids {
        let r = GraphRanker::new(id.parse()?);
        let mut cache = MemoryCache::default();
        let (mut first, mut later, mut n_later) = (0.0, 0.0, 0);
        for (i, &t) in targets.iter().enumerate() {
            let name = &zoo.datasets[t].name;
            let view = TargetView {
                zoo: base.clone(),
                target: t,
                candidates: zoo
                    .ground_truth(t, false)
                    .into_iter()
                    .map(|x| x.0)
                    .collect(),
                seed: 0,
            };
            let t0 = Instant::now();
            let out = r.rank_inductive_cached(&view, Some(&mut cache))?;
            let (scores, src) = (out.scores, out.source);
            let secs = t0.elapsed().as_secs_f64();
            if i == 0 {
                assert_eq!(src, EmbedderSource::Trained);
                first = secs;
            } else {
                assert_eq!(src, EmbedderSource::Reused, "{id} on {name}");
                later += secs;
                n_later += 1;
            }
            assert_eq!(scores, r.rank_inductive(&view)?, "{id} on {name}");
        }
        let kib = cache.entries.values().map(|v| v.1.len()).sum::<usize>() as f64 / 1024.0;
        let l = later / n_later.max(1) as f64;
        println!(
            "| `{id}` | {first:.3} | {l:.3} | {:.1}× | {kib:.0} |",
            first / l
        );
    }
    Ok(())
}
