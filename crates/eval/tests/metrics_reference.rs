//! zoorank-eval's metrics against SciPy/NumPy reference values.
//!
//! Fixtures: `tests/reference/metrics_fixtures.json`, made by `tests/reference/make_fixtures.py`
//! (Python 3.11.7, NumPy 2.4.6, SciPy 1.17.1; the versions are also inside the JSON).

use serde::Deserialize;
use zoorank_eval::metrics::{
    kendall_tau, pearson, rel_at_k, spearman, target_weight, top_at_k, weighted_tau, MetricError,
};

#[derive(Deserialize)]
struct Case {
    name: String,
    x: Vec<f64>,
    y: Vec<f64>,
    pearson: Option<f64>,
    spearman: Option<f64>,
    kendall: Option<f64>,
    weighted_tau: Option<f64>,
    top_at_k: Vec<f64>,
    rel_at_k: Vec<Option<f64>>,
    target_weight: f64,
}

#[derive(Deserialize)]
struct Fixtures {
    cases: Vec<Case>,
}

fn fixtures() -> Fixtures {
    let text = include_str!("reference/metrics_fixtures.json");
    serde_json::from_str(text).expect("fixture JSON parses")
}

type Metric = fn(&[f64], &[f64]) -> Result<f64, MetricError>;

fn check(name: &str, metric: &str, f: Metric, c: &Case, want: Option<f64>, tol: f64) {
    match (f(&c.x, &c.y), want) {
        (Ok(got), Some(want)) => assert!(
            (got - want).abs() <= tol,
            "{name}: {metric} = {got}, scipy {want}, diff {}",
            (got - want).abs()
        ),
        (Err(MetricError::Constant { .. }), None) => {}
        (got, want) => panic!("{name}: {metric} gave {got:?}, scipy {want:?}"),
    }
}

#[test]
fn correlations_match_scipy() {
    let f = fixtures();
    assert!(f.cases.len() > 50);
    for c in &f.cases {
        let n = &c.name;
        check(n, "pearson", pearson, c, c.pearson, 1e-12);
        check(n, "spearman", spearman, c, c.spearman, 1e-12);
        check(n, "kendall", kendall_tau, c, c.kendall, 1e-12);
        check(n, "weighted_tau", weighted_tau, c, c.weighted_tau, 1e-12);
    }
}

#[test]
fn top_and_rel_at_k_match_numpy() {
    for c in &fixtures().cases {
        for k in 1..=5 {
            let top = top_at_k(&c.x, &c.y, k).unwrap();
            assert_eq!(top, c.top_at_k[k - 1], "{}: top@{k}", c.name);
            match (rel_at_k(&c.x, &c.y, k), c.rel_at_k[k - 1]) {
                (Ok(got), Some(want)) => {
                    assert!((got - want).abs() <= 1e-15, "{}: rel@{k}", c.name)
                }
                (Err(MetricError::NonPositiveMax { .. }), None) => {}
                (got, want) => panic!("{}: rel@{k} {got:?} vs {want:?}", c.name),
            }
        }
        let w = target_weight(&c.y).unwrap();
        assert!((w - c.target_weight).abs() <= 1e-14, "{}: weight", c.name);
    }
}
