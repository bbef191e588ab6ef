//! Ridge (`lr`) against brute-force NumPy leave-one-out refits.
//!
//! Fixtures: `tests/reference/ridge_fixtures.json`, made by `tests/reference/make_fixtures.py`
//! (Python 3.11.7, NumPy 2.4.6; versions also inside the JSON).

use serde::Deserialize;
use zoorank_predict::regress::{Features, FittedRegressor, RegressError, Ridge, RidgeParams};

#[derive(Deserialize)]
struct Case {
    name: String,
    n_rows: usize,
    n_cols: usize,
    x: Vec<f64>,
    y: Vec<f64>,
    x_test: Vec<f64>,
    alphas: Vec<f64>,
    loo_mse: Vec<f64>,
    alpha: f64,
    coef: Vec<f64>,
    intercept: f64,
    predictions: Vec<f64>,
}

#[derive(Deserialize)]
struct GroupedCase {
    name: String,
    n_rows: usize,
    n_cols: usize,
    x: Vec<f64>,
    y: Vec<f64>,
    groups: Vec<usize>,
    alphas: Vec<f64>,
    cv_mse: Vec<f64>,
    alpha: f64,
    coef: Vec<f64>,
    intercept: f64,
}

#[derive(Deserialize)]
struct Fixtures {
    cases: Vec<Case>,
    grouped_cases: Vec<GroupedCase>,
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

fn fixtures() -> Fixtures {
    serde_json::from_str(include_str!("reference/ridge_fixtures.json")).unwrap()
}

#[test]
fn ridge_matches_brute_force_leave_one_out() {
    let f: Fixtures = serde_json::from_str(include_str!("reference/ridge_fixtures.json")).unwrap();
    assert_eq!(f.cases.len(), 3);
    for c in &f.cases {
        let ridge = Ridge::new(RidgeParams {
            alphas: c.alphas.clone(),
        });
        assert_eq!(
            ridge.params,
            RidgeParams::default(),
            "{}: default grid",
            c.name
        );
        let x = Features {
            data: &c.x,
            n_rows: c.n_rows,
            n_cols: c.n_cols,
        };
        let fit = ridge.fit_ridge(x, &c.y).unwrap();
        for (k, (got, want)) in fit.cv_mse.iter().zip(&c.loo_mse).enumerate() {
            assert!(
                close(*got, *want, 1e-8),
                "{}: loo[{k}] {got} vs {want}",
                c.name
            );
        }
        assert_eq!(fit.alpha, c.alpha, "{}: chosen alpha", c.name);
        for (got, want) in fit.coef.iter().zip(&c.coef) {
            assert!(close(*got, *want, 1e-8), "{}: coef {got} vs {want}", c.name);
        }
        assert!(close(fit.intercept, c.intercept, 1e-8), "{}", c.name);
        let test = Features {
            data: &c.x_test,
            n_rows: c.predictions.len(),
            n_cols: c.n_cols,
        };
        let pred = fit.predict(test).unwrap();
        for (got, want) in pred.iter().zip(&c.predictions) {
            assert!(close(*got, *want, 1e-8), "{}: pred {got} vs {want}", c.name);
        }
    }
}

#[test]
fn grouped_ridge_matches_brute_force_leave_one_group_out() {
    let f = fixtures();
    assert!(!f.grouped_cases.is_empty());
    for c in &f.grouped_cases {
        let ridge = Ridge::new(RidgeParams {
            alphas: c.alphas.clone(),
        });
        let x = Features {
            data: &c.x,
            n_rows: c.n_rows,
            n_cols: c.n_cols,
        };
        let fit = ridge.fit_grouped(x, &c.y, &c.groups).unwrap();
        for (k, (got, want)) in fit.cv_mse.iter().zip(&c.cv_mse).enumerate() {
            assert!(
                close(*got, *want, 1e-8),
                "{}: cv[{k}] {got} vs {want}",
                c.name
            );
        }
        assert_eq!(fit.alpha, c.alpha, "{}: chosen alpha", c.name);
        for (got, want) in fit.coef.iter().zip(&c.coef) {
            assert!(close(*got, *want, 1e-8), "{}: coef {got} vs {want}", c.name);
        }
        assert!(close(fit.intercept, c.intercept, 1e-8), "{}", c.name);
        // Row-wise LOO on the same data picks its own α; both are valid fits.
        let loo = ridge.fit_ridge(x, &c.y).unwrap();
        println!(
            "{}: grouped α {}, row-wise LOO α {}",
            c.name, fit.alpha, loo.alpha
        );
    }
}

#[test]
fn grouped_ridge_rejects_bad_groups() {
    let f = fixtures();
    let c = &f.grouped_cases[0];
    let x = Features {
        data: &c.x,
        n_rows: c.n_rows,
        n_cols: c.n_cols,
    };
    let ridge = Ridge::default();
    assert!(matches!(
        ridge.fit_grouped(x, &c.y, &c.groups[1..]),
        Err(RegressError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        ridge.fit_grouped(x, &c.y, &vec![3; c.n_rows]),
        Err(RegressError::InvalidParameter { name: "groups", .. })
    ));
}
