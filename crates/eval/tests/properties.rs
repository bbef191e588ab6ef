//! Property tests of the ranking metrics (small sizes, integer-valued vectors so that ties
//! occur often and monotone transforms are exact).

use proptest::prelude::*;
use zoorank_eval::metrics::{
    kendall_tau, pearson, rel_at_k, spearman, top_at_k, weighted_tau, MetricError,
};

/// Non-constant integer-valued vectors of length 2..40.
fn int_vec() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-6i32..6, 2..40)
        .prop_filter("not constant", |v| v.iter().any(|&a| a != v[0]))
        .prop_map(|v| v.into_iter().map(f64::from).collect())
}

fn pair() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (2usize..40).prop_flat_map(|n| {
        let side = prop::collection::vec(-6i32..6, n)
            .prop_filter("not constant", |v| v.iter().any(|&a| a != v[0]))
            .prop_map(|v| v.into_iter().map(f64::from).collect::<Vec<f64>>());
        (side.clone(), side)
    })
}

/// A strictly increasing map, exact on small integers.
fn monotone(v: f64) -> f64 {
    v * v * v + 5.0 * v - 7.0
}

type Metric = fn(&[f64], &[f64]) -> Result<f64, MetricError>;
const RANK_METRICS: [(&str, Metric); 3] = [
    ("spearman", spearman),
    ("kendall", kendall_tau),
    ("weighted_tau", weighted_tau),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn tau_of_a_vector_with_itself_is_one(x in int_vec()) {
        prop_assert!((kendall_tau(&x, &x).unwrap() - 1.0).abs() < 1e-12);
        prop_assert!((weighted_tau(&x, &x).unwrap() - 1.0).abs() < 1e-12);
        prop_assert!((spearman(&x, &x).unwrap() - 1.0).abs() < 1e-12);
        prop_assert!((pearson(&x, &x).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn rank_metrics_invariant_to_monotone_transforms((x, y) in pair()) {
        let tx: Vec<f64> = x.iter().map(|&v| monotone(v)).collect();
        let ty: Vec<f64> = y.iter().map(|&v| (v / 3.0).exp()).collect();
        for (name, f) in RANK_METRICS {
            let a = f(&x, &y).unwrap();
            let b = f(&tx, &ty).unwrap();
            prop_assert!((a - b).abs() < 1e-12, "{} {} vs {}", name, a, b);
            prop_assert!((-1.0..=1.0).contains(&a));
        }
    }

    #[test]
    fn metrics_invariant_to_item_order((x, y) in pair(), seed in 0u64..1000) {
        // A deterministic permutation from the seed (Fisher-Yates with an LCG).
        let n = x.len();
        let mut perm: Vec<usize> = (0..n).collect();
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        for i in (1..n).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = (state >> 33) as usize % (i + 1);
            perm.swap(i, j);
        }
        let px: Vec<f64> = perm.iter().map(|&i| x[i]).collect();
        let py: Vec<f64> = perm.iter().map(|&i| y[i]).collect();
        for (name, f) in RANK_METRICS {
            let a = f(&x, &y).unwrap();
            let b = f(&px, &py).unwrap();
            prop_assert!((a - b).abs() < 1e-12, "{} {} vs {}", name, a, b);
        }
        let ty: Vec<f64> = y.iter().map(|v| v + 10.0).collect();
        let pty: Vec<f64> = py.iter().map(|v| v + 10.0).collect();
        for k in 1..=5 {
            prop_assert_eq!(top_at_k(&x, &y, k).unwrap(), top_at_k(&px, &py, k).unwrap());
            prop_assert_eq!(rel_at_k(&x, &ty, k).unwrap(), rel_at_k(&px, &pty, k).unwrap());
        }
    }

    #[test]
    fn rel_at_k_in_unit_interval_and_one_on_truth(
        (s, t) in pair(), k in 1usize..8
    ) {
        // Accuracies are non-negative: shift the truth into [1, 13).
        let t: Vec<f64> = t.iter().map(|v| v + 7.0).collect();
        let r = rel_at_k(&s, &t, k).unwrap();
        prop_assert!((0.0..=1.0).contains(&r));
        prop_assert_eq!(rel_at_k(&t, &t, k).unwrap(), 1.0);
        // More candidates never hurt.
        prop_assert!(rel_at_k(&s, &t, k + 1).unwrap() >= r);
    }
}
