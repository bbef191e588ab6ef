//! Recall on the TransferGraph image zoo (leave-one-target-out matrix from records.csv,
//! stored LogME as proxy; CSVs read directly). Pins the figures reported in
//! docs/benchmarks/select.md.

#[path = "../../select/tests/common/mod.rs"]
mod common;

use zoorank_experiments::select_bench::recall_on_zoo;
use zoorank_select::recall::{ProxyScale, RecallParams, RecallVariant};

#[test]
fn best_model_survives_recall_on_most_targets_with_a_fifth_of_the_proxies() {
    let zoo = common::image_zoo();
    let mut targets: Vec<usize> = zoo.scores.iter().map(|s| s.dataset).collect();
    targets.sort_unstable();
    targets.dedup();
    assert_eq!(targets.len(), 8);
    let params = RecallParams {
        top: 15,
        variant: RecallVariant::Paper,
        scale: ProxyScale::MinMax,
    };
    let (mut k5, mut k10, mut k15, mut calls, mut pairs) = (0, 0, 0, 0, 0);
    for t in targets {
        let r = recall_on_zoo(&zoo, t, "logme", 0.05, params).unwrap();
        assert_eq!(r.benchmark_datasets, 12, "{}", r.target);
        k5 += usize::from(r.survives(5));
        k10 += usize::from(r.survives(10));
        k15 += usize::from(r.survives(15));
        calls += r.proxy_computations;
        pairs += r.models;
    }
    assert_eq!((k5, k10, k15), (3, 5, 7));
    assert_eq!(calls, 241);
    assert!(calls * 5 < pairs);
}
