//! Ridge (`lr`) against brute-force NumPy leave-one-out refits.
//!
//! Fixtures: `tests/reference/ridge_fixtures.json`, made by `tests/reference/make_fixtures.py`
//! (Python 3.11.7, NumPy 2.4.6; versions also inside the JSON).

use serde::Deserialize;
use zoorank_predict::regress::{
    Features, FittedRegressor, FittedRidge, RegressError, Ridge, RidgeParams,
};

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
    #[serde(flatten)]
    fit: RefFit,
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
    #[serde(flatten)]
    fit: RefFit,
}

/// What the reference fit chose: α, the coefficients and the intercept.
#[derive(Deserialize)]
struct RefFit {
    alpha: f64,
    coef: Vec<f64>,
    intercept: f64,
}

impl RefFit {
    /// Asserts that `fit` of the case `name` has the cross-validation errors `cv` (labelled
    /// `label` in messages) and this fit's α, coefficients and intercept.
    fn check(&self, name: &str, fit: &FittedRidge, label: &str, cv: &[f64]) {
        for (k, (got, want)) in fit.cv_mse.iter().zip(cv).enumerate() {
            assert!(
                close(*got, *want, 1e-8),
                "{name}: {label}[{k}] {got} vs {want}"
            );
        }
        assert_eq!(fit.alpha, self.alpha, "{name}: chosen alpha");
        for (got, want) in fit.coef.iter().zip(&self.coef) {
            assert!(close(*got, *want, 1e-8), "{name}: coef {got} vs {want}");
        }
        assert!(close(fit.intercept, self.intercept, 1e-8), "{name}");
    }
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
        let x = Features::new(&c.x, c.n_rows, c.n_cols);
        let fit = ridge.fit_ridge(x, &c.y).unwrap();
        c.fit.check(&c.name, &fit, "loo", &c.loo_mse);
        let test = Features::new(&c.x_test, c.predictions.len(), c.n_cols);
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
        let x = Features::new(&c.x, c.n_rows, c.n_cols);
        let fit = ridge.fit_grouped(x, &c.y, &c.groups).unwrap();
        c.fit.check(&c.name, &fit, "cv", &c.cv_mse);
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
    let x = Features::new(&c.x, c.n_rows, c.n_cols);
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
