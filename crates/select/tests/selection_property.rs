//! Property: with exact convergence trends, selection never drops the model that ends best.

use proptest::prelude::*;
use zoorank_select::fine::{select, SelectParams};
use zoorank_select::trainer::{EpochRecord, ReplayTrainer};
use zoorank_select::trends::ConvergenceTrends;

fn records(model: &str, dataset: &str, curve: &[f64]) -> Vec<EpochRecord> {
    EpochRecord::of_curve(model, dataset, curve)
        .map(|r| EpochRecord {
            test_accuracy: Some(r.val_accuracy),
            seconds: Some(1.0),
            ..r
        })
        .collect()
}

fn curves_strategy() -> impl Strategy<Value = (Vec<Vec<f64>>, usize)> {
    (2usize..10, 1usize..7, 1usize..3).prop_flat_map(|(n, epochs, per_round)| {
        (
            prop::collection::vec(prop::collection::vec(0.0f64..1.0, epochs), n),
            Just(per_round),
        )
    })
}

fn check(curves: &[Vec<f64>], per_round: usize, exact_by_benchmarks: bool) {
    let epochs = curves[0].len();
    let names: Vec<String> = (0..curves.len()).map(|i| format!("m{i}")).collect();
    let mut recs = Vec::new();
    for (m, c) in names.iter().zip(curves) {
        recs.extend(records(m, "target", c));
        if exact_by_benchmarks {
            // Benchmarks on which the model converged exactly as it will on the target.
            for b in 0..3 {
                recs.extend(records(m, &format!("bench{b}"), c));
            }
        }
    }
    let mut trainer = ReplayTrainer::from_records(recs).unwrap();
    let finals: Vec<f64> = curves.iter().map(|c| c[epochs - 1]).collect();
    let best = finals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut params = SelectParams::convergence_trends(epochs);
    params.epochs_per_round = per_round;
    let oracle = |m: &str, _e: usize, _v: f64| {
        let i: usize = m[1..].parse().unwrap();
        Some(finals[i])
    };
    let trends = ConvergenceTrends::from_curves(trainer.curves().collect::<Vec<_>>(), "target", 3);
    let out = if exact_by_benchmarks {
        select(&mut trainer, "target", &names, params, Some(&trends)).unwrap()
    } else {
        select(&mut trainer, "target", &names, params, Some(&oracle)).unwrap()
    };
    let chosen: usize = out.selected[1..].parse().unwrap();
    assert_eq!(
        finals[chosen], best,
        "selected {} with {:?}",
        out.selected, out.eliminations
    );
    for e in &out.eliminations {
        let i: usize = e.model[1..].parse().unwrap();
        assert!(finals[i] <= best);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn exact_oracle_never_drops_the_best((curves, per_round) in curves_strategy()) {
        check(&curves, per_round, false);
    }

    #[test]
    fn exact_benchmark_trends_never_drop_the_best((curves, per_round) in curves_strategy()) {
        check(&curves, per_round, true);
    }
}
