//! Test R² of `lr`, `rf` and `xgb` on a seeded nonlinear task, next to scikit-learn's R² for the
//! same model families and hyper-parameters on the same rows.
//!
//! Fixture: `tests/reference/synthetic_task.json`, made by `tests/reference/make_fixtures.py`
//! (Python 3.11.7, NumPy 2.4.6, scikit-learn 1.9.1). The libraries differ in bootstrap draws,
//! feature sampling and (forust) histogram binning, so the check is statistical: R² no worse
//! than scikit-learn's minus a margin.

use serde::Deserialize;
use std::collections::BTreeMap;
use zoorank_predict::regress::{Features, RegressorKind};

#[derive(Deserialize)]
struct Task {
    n_cols: usize,
    x_train: Vec<f64>,
    y_train: Vec<f64>,
    x_test: Vec<f64>,
    y_test: Vec<f64>,
    sklearn_test_r2: BTreeMap<String, f64>,
}

fn r2(pred: &[f64], y: &[f64]) -> f64 {
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let sse: f64 = pred.iter().zip(y).map(|(p, t)| (p - t) * (p - t)).sum();
    let sst: f64 = y.iter().map(|t| (t - mean) * (t - mean)).sum();
    1.0 - sse / sst
}

#[test]
fn test_r2_close_to_scikit_learn() {
    let t: Task = serde_json::from_str(include_str!("reference/synthetic_task.json")).unwrap();
    let p = t.n_cols;
    let train = Features::new(&t.x_train, t.y_train.len(), p);
    let test = Features::new(&t.x_test, t.y_test.len(), p);
    for (id, margin) in [("lr", 0.01), ("rf", 0.03), ("xgb", 0.03), ("fm", f64::NAN)] {
        let fitted = id
            .parse::<RegressorKind>()
            .unwrap()
            .build()
            .fit(train, &t.y_train, 0)
            .unwrap();
        let ours = r2(&fitted.predict(test).unwrap(), &t.y_test);
        match t.sklearn_test_r2.get(id) {
            Some(&reference) => {
                println!("{id}: zoorank R² {ours:.3}, scikit-learn {reference:.3}");
                assert!(ours >= reference - margin, "{id}: {ours} vs {reference}");
            }
            None => println!("{id}: zoorank R² {ours:.3} (no scikit-learn counterpart)"),
        }
    }
}
