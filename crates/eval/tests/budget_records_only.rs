//! The budget loop on a zoo of fine-tuning records alone: the two-phase benchmark's matrices
//! (no metadata, distances or scores), every dataset held out in turn. Five runs should find a
//! model within 3 % of the best (weighted) and order the rest better than running the five
//! most popular models, for every strategy that seeks the best model; the cold ranking stays
//! popularity's. (`survey` spends its runs on placing the predictions instead.)

use zoorank_core::Zoo;
use zoorank_eval::{evaluate, EvalOptions, RevealOptions};
use zoorank_predict::accuracy::strategy::Strategy;
use zoorank_predict::rank::MethodSpec;
use zoorank_store::{import, ImportOptions, Store};
#[path = "../../experiments/src/common.rs"]
mod common;

fn two_phase_zoo() -> Zoo {
    let mut store = Store::open_in_memory().unwrap();
    import::import_two_phase(
        &mut store,
        &common::data_dir().join("two-phase"),
        ImportOptions {
            skip_bad_rows: true,
            dry_run: false,
        },
    )
    .unwrap();
    store.load_zoo().unwrap()
}

#[test]
fn five_runs_on_a_records_only_zoo_find_a_near_best_model_and_reorder_the_rest() {
    let zoo = two_phase_zoo();
    let o = EvalOptions {
        reveal: Some(RevealOptions {
            max_k: 5,
            strategies: Strategy::ALL.to_vec(),
        }),
        ..EvalOptions::default()
    };
    let r = evaluate(&zoo, &[MethodSpec::Popularity], &o).unwrap();
    let cold = &r.methods["popularity"].weighted_average;
    assert_eq!(r.reveal["popularity"].len(), Strategy::ALL.len());
    for (strategy, curve) in &r.reveal["popularity"] {
        let (k0, k5) = (&curve.weighted_average[0], &curve.weighted_average[5]);
        assert!(
            (k0["rel@1"] - cold["rel@1"]).abs() < 1e-12,
            "{strategy}: K = 0"
        );
        if !strategy.parse::<Strategy>().unwrap().seeks_the_best() {
            continue;
        }
        // Running the five most popular models finds cold["rel@5"] and leaves popularity's
        // order (cold["w-kendall"]).
        assert!(k5["rel@1"] >= 0.97, "{strategy}: Rel@1 {}", k5["rel@1"]);
        assert!(k5["rel@1"] > cold["rel@5"], "{strategy}");
        assert!(
            k5["w-kendall"] >= cold["w-kendall"] + 0.10,
            "{strategy}: weighted τ {} against {}",
            k5["w-kendall"],
            cold["w-kendall"]
        );
    }
}
