//! Fine selection on real learning curves (linear probes on scikit-learn's real datasets,
//! recorded once into `crates/select/tests/reference/probe_curves.jsonl`; see
//! `crates/select/tests/reference/make_probe_features.py` for
//! what the "models" are), replayed leave-one-target-out.

#[path = "../../select/tests/common/mod.rs"]
mod common;

use zoorank_experiments::select_bench::compare_on_replay;
use zoorank_select::trainer::ReplayTrainer;

#[test]
fn trends_match_brute_force_quality_at_a_fraction_of_the_epochs() {
    let replay = ReplayTrainer::from_path(&common::reference("probe_curves.jsonl")).unwrap();
    assert_eq!(replay.datasets().len(), 8);
    let rows = compare_on_replay(&replay, 20, 0.0).unwrap();
    let mut trends_epochs = 0;
    let mut sh_epochs = 0;
    for r in &rows {
        let bf = r.brute_force.selected_test_accuracy.unwrap();
        let tr = r.trends.selected_test_accuracy.unwrap();
        // Within 1 accuracy point of brute force's pick, at most half its epochs.
        assert!(
            tr >= bf - 0.01,
            "{}: trends {tr} vs brute force {bf}",
            r.target
        );
        assert!(2 * r.trends.epochs <= r.brute_force.epochs, "{}", r.target);
        assert!(
            r.trends.epochs <= r.successive_halving.epochs,
            "{}",
            r.target
        );
        assert_eq!(r.brute_force.epochs, 12 * 20);
        trends_epochs += r.trends.epochs;
        sh_epochs += r.successive_halving.epochs;
    }
    assert!(trends_epochs < sh_epochs);
}
