//! Ridge regression (`lr`) with its penalty chosen by exact leave-one-out error, from one SVD.
//!
//! Features are standardised inside (column mean 0, population standard deviation 1; constant
//! columns are left at 0), the intercept is not penalised:
//!
//! `min_{b, β} ‖y − b·1 − Zβ‖² + α‖β‖²`, `Z` the standardised `(n_samples, n_features)` table.
//!
//! With the thin SVD `Z = U S Vᵀ` (the columns of `Z` are centred, so `U ⟂ 1`), for each α:
//! - `β(α) = V diag(sₖ / (sₖ² + α)) Uᵀ(y − ȳ)`, `b = ȳ`;
//! - hat matrix `H = 11ᵀ/n + U diag(sₖ² / (sₖ² + α)) Uᵀ`, so
//!   `Hᵢᵢ = 1/n + Σₖ Uᵢₖ² sₖ² / (sₖ² + α) < 1` for `α > 0`;
//! - leave-one-out residual `eᵢ / (1 − Hᵢᵢ)` (exact for any penalised least squares with a fixed
//!   design; here the standardisation uses all training rows).
//!
//! α is the grid value with the smallest mean squared leave-one-out residual (the first one on
//! ties). Default grid: 41 values `10^(−3 + 0.2 j)`, from 1e-3 to 1e5 (on the standardised scale
//! the data term grows like `n`, so this spans "almost least squares" to "almost the mean").
//!
//! [`Ridge::fit_grouped`] instead picks α by leave-one-group-out cross-validation (one SVD per
//! group), for tables whose rows come in correlated groups such as the training targets of a
//! leave-one-target-out evaluation.
//!
//! Complexity: one thin SVD, O(n p min(n, p)), then O(n · min(n, p)) per grid value.
//! The seed is ignored (the method is deterministic).
//!
//! # References
//! - A. E. Hoerl, R. W. Kennard, "Ridge regression: biased estimation for nonorthogonal
//!   problems", Technometrics, 1970.
//! - G. H. Golub, M. Heath, G. Wahba, "Generalized cross-validation as a method for choosing a
//!   good ridge parameter", Technometrics, 1979 (the SVD route to leave-one-out errors).
//! - T. Hastie, R. Tibshirani, J. Friedman, *The Elements of Statistical Learning*, 2nd ed.,
//!   §7.10 (the `eᵢ / (1 − Hᵢᵢ)` identity).

use super::base::{
    check_predictions, validate_prediction, validate_training, Features, FitResult,
    FittedRegressor, RegressError, Regressor, Standardizer,
};

const ID: &str = "lr";
/// Minimum training rows.
pub const RIDGE_MIN_ROWS: usize = 3;

/// Hyper-parameters of [`Ridge`].
#[derive(Debug, Clone, PartialEq)]
pub struct RidgeParams {
    /// Candidate penalties α (each finite and > 0), searched by leave-one-out error.
    pub alphas: Vec<f64>,
}

impl Default for RidgeParams {
    fn default() -> Self {
        RidgeParams {
            alphas: (0..=40)
                .map(|j| 10f64.powf(-3.0 + 0.2 * j as f64))
                .collect(),
        }
    }
}

/// Ridge regression with α chosen by exact leave-one-out error (id `lr`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ridge {
    /// Its hyper-parameters.
    pub params: RidgeParams,
}

/// A fitted [`Ridge`]: `ŷ = intercept + Σⱼ coef[j] · x[j]` on the original feature scale.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedRidge {
    /// The chosen penalty (on the standardised scale).
    pub alpha: f64,
    /// Coefficients on the original feature scale.
    pub coef: Vec<f64>,
    /// Intercept on the original scale.
    pub intercept: f64,
    /// Mean squared cross-validation error of every candidate α, in grid order: leave-one-out
    /// for [`Ridge::fit_ridge`], leave-one-group-out for [`Ridge::fit_grouped`].
    pub cv_mse: Vec<f64>,
}

/// The SVD of one standardised training table, from which every α is cheap.
struct SvdSystem {
    standardizer: Standardizer,
    y_mean: f64,
    /// `y − ȳ`.
    yc: Vec<f64>,
    u: faer::Mat<f64>,
    v: faer::Mat<f64>,
    sv: Vec<f64>,
    /// `Uᵀ(y − ȳ)`.
    uty: Vec<f64>,
}

impl SvdSystem {
    fn new(x: &Features<'_>, y: &[f64]) -> Result<Self, RegressError> {
        let (n, p) = (x.n_rows, x.n_cols);
        let standardizer = Standardizer::fit(x);
        let z = standardizer.transform(x);
        let y_mean = y.iter().sum::<f64>() / n as f64;
        let yc: Vec<f64> = y.iter().map(|v| v - y_mean).collect();
        let zm = faer::Mat::<f64>::from_fn(n, p, |i, j| z[i * p + j]);
        let svd = zm.thin_svd().map_err(|e| RegressError::Numerical {
            regressor: ID,
            detail: format!("SVD of the standardised features: {e:?}"),
        })?;
        let s = svd.S().column_vector();
        let r = n.min(p);
        let sv: Vec<f64> = (0..r).map(|k| s[k]).collect();
        let u = svd.U().to_owned();
        let uty: Vec<f64> = (0..r)
            .map(|k| (0..n).map(|i| u[(i, k)] * yc[i]).sum())
            .collect();
        Ok(SvdSystem {
            standardizer,
            y_mean,
            yc,
            u,
            v: svd.V().to_owned(),
            sv,
            uty,
        })
    }

    /// Mean squared leave-one-out residual at `alpha` (infinite if a row is interpolated).
    fn loo_mse(&self, alpha: f64) -> f64 {
        let n = self.yc.len();
        let shrink: Vec<f64> = self.sv.iter().map(|s| s * s / (s * s + alpha)).collect();
        let mut sse = 0.0;
        for i in 0..n {
            let (mut fit, mut h) = (0.0, 1.0 / n as f64);
            for (k, sh) in shrink.iter().enumerate() {
                let uik = self.u[(i, k)];
                fit += uik * sh * self.uty[k];
                h += uik * uik * sh;
            }
            let denom = 1.0 - h;
            if denom <= 1e-12 {
                // The row is interpolated: its LOO residual is unbounded at this α.
                return f64::INFINITY;
            }
            let e = (self.yc[i] - fit) / denom;
            sse += e * e;
        }
        sse / n as f64
    }

    /// Coefficients and intercept on the original feature scale at `alpha`.
    fn coefficients(&self, alpha: f64) -> (Vec<f64>, f64) {
        let p = self.standardizer.mean.len();
        let mut coef = vec![0.0; p];
        for (k, s) in self.sv.iter().enumerate() {
            let g = s / (s * s + alpha) * self.uty[k];
            for (j, c) in coef.iter_mut().enumerate() {
                *c += self.v[(j, k)] * g;
            }
        }
        for (c, sc) in coef.iter_mut().zip(&self.standardizer.scale) {
            *c /= sc;
        }
        let intercept = self.y_mean
            - coef
                .iter()
                .zip(&self.standardizer.mean)
                .map(|(c, m)| c * m)
                .sum::<f64>();
        (coef, intercept)
    }
}

/// Index of the smallest value (the first on ties).
fn argmin(v: &[f64]) -> usize {
    v.iter()
        .enumerate()
        .fold(0, |b, (k, m)| if *m < v[b] { k } else { b })
}

impl Ridge {
    /// A ridge with the given hyper-parameters.
    pub fn new(params: RidgeParams) -> Self {
        Ridge { params }
    }

    fn validate_alphas(&self) -> Result<(), RegressError> {
        if self.params.alphas.is_empty() {
            return Err(RegressError::InvalidParameter {
                regressor: ID,
                name: "alphas",
                value: "[]".into(),
            });
        }
        if let Some(a) = self
            .params
            .alphas
            .iter()
            .find(|a| !(a.is_finite() && **a > 0.0))
        {
            return Err(RegressError::InvalidParameter {
                regressor: ID,
                name: "alphas",
                value: a.to_string(),
            });
        }
        Ok(())
    }

    fn finish(&self, system: &SvdSystem, cv_mse: Vec<f64>) -> Result<FittedRidge, RegressError> {
        let best = argmin(&cv_mse);
        if !cv_mse[best].is_finite() {
            return Err(RegressError::Numerical {
                regressor: ID,
                detail: "no α in the grid gives a finite cross-validation error".into(),
            });
        }
        let alpha = self.params.alphas[best];
        let (coef, intercept) = system.coefficients(alpha);
        Ok(FittedRidge {
            alpha,
            coef,
            intercept,
            cv_mse,
        })
    }

    /// Fits with α chosen by exact leave-one-out error and returns the concrete model.
    ///
    /// # Errors
    /// Invalid input (see [`RegressError`]), fewer than [`RIDGE_MIN_ROWS`] rows, an empty or
    /// non-positive α grid, or an SVD that fails to converge.
    pub fn fit_ridge(&self, x: Features<'_>, y: &[f64]) -> Result<FittedRidge, RegressError> {
        validate_training(ID, &x, y, RIDGE_MIN_ROWS)?;
        self.validate_alphas()?;
        let system = SvdSystem::new(&x, y)?;
        let cv_mse = self
            .params
            .alphas
            .iter()
            .map(|&a| system.loo_mse(a))
            .collect();
        self.finish(&system, cv_mse)
    }

    /// Fits with α chosen by **leave-one-group-out** cross-validation: for each distinct value
    /// of `groups` (e.g. the training target of each row), the ridge is fitted on the other
    /// groups' rows (standardised with their own statistics, one SVD per fold) and scored on
    /// the group's rows; α minimises the mean squared error over all rows. The final model is
    /// fitted on every row. Use this when rows of one group are correlated (rows of the same
    /// target dataset), where row-wise leave-one-out favours too little shrinkage.
    ///
    /// Complexity: one thin SVD per group plus one for the final fit.
    ///
    /// # Errors
    /// As [`Ridge::fit_ridge`], plus [`RegressError::ShapeMismatch`] when `groups` does not
    /// have one entry per row, and [`RegressError::InvalidParameter`] (`groups`) when there are
    /// fewer than two groups or a fold would train on fewer than two rows.
    pub fn fit_grouped(
        &self,
        x: Features<'_>,
        y: &[f64],
        groups: &[usize],
    ) -> Result<FittedRidge, RegressError> {
        Ok(self.fit_grouped_oof(x, y, groups)?.0)
    }

    /// [`Ridge::fit_grouped`], also returning each row's out-of-group prediction at the chosen
    /// α (the prediction of the fold that left the row's group out), for judging the fit by
    /// another criterion than squared error (e.g. a ranking metric per group).
    ///
    /// # Errors
    /// As [`Ridge::fit_grouped`].
    pub fn fit_grouped_oof(
        &self,
        x: Features<'_>,
        y: &[f64],
        groups: &[usize],
    ) -> Result<(FittedRidge, Vec<f64>), RegressError> {
        validate_training(ID, &x, y, RIDGE_MIN_ROWS)?;
        self.validate_alphas()?;
        x.check_rows("groups length (n_rows)", groups.len())?;
        let mut distinct = groups.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let bad_groups = |value: String| RegressError::InvalidParameter {
            regressor: ID,
            name: "groups",
            value,
        };
        if distinct.len() < 2 {
            return Err(bad_groups(format!("{} distinct group(s)", distinct.len())));
        }
        let p = x.n_cols;
        let mut sse = vec![0.0; self.params.alphas.len()];
        // oof[k][i]: row i's out-of-group prediction at alphas[k].
        let mut oof = vec![vec![0.0; x.n_rows]; self.params.alphas.len()];
        for &g in &distinct {
            let (mut train, mut train_y) = (Vec::new(), Vec::new());
            for i in (0..x.n_rows).filter(|&i| groups[i] != g) {
                train.extend_from_slice(x.row(i));
                train_y.push(y[i]);
            }
            if train_y.len() < 2 {
                return Err(bad_groups(format!(
                    "holding out group {g} leaves {} training row(s)",
                    train_y.len()
                )));
            }
            let fold = Features::new(&train, train_y.len(), p);
            let system = SvdSystem::new(&fold, &train_y)?;
            for (k, &alpha) in self.params.alphas.iter().enumerate() {
                let (coef, intercept) = system.coefficients(alpha);
                for i in (0..x.n_rows).filter(|&i| groups[i] == g) {
                    let pred =
                        intercept + x.row(i).iter().zip(&coef).map(|(a, c)| a * c).sum::<f64>();
                    sse[k] += (y[i] - pred) * (y[i] - pred);
                    oof[k][i] = pred;
                }
            }
        }
        let cv_mse = sse.iter().map(|s| s / x.n_rows as f64).collect();
        let system = SvdSystem::new(&x, y)?;
        let fitted = self.finish(&system, cv_mse)?;
        let best = argmin(&fitted.cv_mse);
        Ok((fitted, oof.swap_remove(best)))
    }
}

impl Regressor for Ridge {
    fn id(&self) -> &'static str {
        ID
    }

    fn fit(&self, x: Features<'_>, y: &[f64], _seed: u64) -> FitResult {
        Ok(Box::new(self.fit_ridge(x, y)?))
    }
}

impl FittedRegressor for FittedRidge {
    fn predict(&self, x: Features<'_>) -> Result<Vec<f64>, RegressError> {
        validate_prediction(ID, &x, self.coef.len())?;
        let pred = (0..x.n_rows)
            .map(|i| {
                self.intercept
                    + x.row(i)
                        .iter()
                        .zip(&self.coef)
                        .map(|(a, c)| a * c)
                        .sum::<f64>()
            })
            .collect();
        check_predictions(ID, pred)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_alpha_grid() {
        let data = [0.0, 1.0, 2.0, 3.0];
        let x = Features::new(&data, 4, 1);
        let y = [0.0, 1.0, 2.0, 3.5];
        for alphas in [vec![], vec![1.0, 0.0], vec![f64::NAN]] {
            let r = Ridge::new(RidgeParams { alphas });
            assert!(matches!(
                r.fit_ridge(x, &y),
                Err(RegressError::InvalidParameter { name: "alphas", .. })
            ));
        }
    }

    #[test]
    fn wide_tables_work() {
        // p > n: the SVD has n components, LOO stays finite for α > 0.
        let (n, p) = (6, 15);
        let data: Vec<f64> = (0..n * p).map(|k| ((k * 37 % 11) as f64).sin()).collect();
        let y: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let x = Features::new(&data, n, p);
        let f = Ridge::default().fit_ridge(x, &y).unwrap();
        assert!(f.cv_mse.iter().all(|m| m.is_finite()));
        assert!(f.predict(x).unwrap().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn out_of_group_predictions_are_the_left_out_folds_fits() {
        let (n, p) = (24, 3);
        let data: Vec<f64> = (0..n * p)
            .map(|k| ((k * 13 % 17) as f64 * 0.7).cos())
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|i| data[i * p] - 2.0 * data[i * p + 2] + 0.1 * ((i * 5 % 7) as f64))
            .collect();
        let groups: Vec<usize> = (0..n).map(|i| i % 4).collect();
        let x = Features::new(&data, n, p);
        let (fit, oof) = Ridge::default().fit_grouped_oof(x, &y, &groups).unwrap();
        assert_eq!(fit, Ridge::default().fit_grouped(x, &y, &groups).unwrap());
        let at = Ridge::new(RidgeParams {
            alphas: vec![fit.alpha],
        });
        for g in 0..4 {
            let rows: Vec<usize> = (0..n).filter(|&i| groups[i] != g).collect();
            let sub: Vec<f64> = rows.iter().flat_map(|&i| x.row(i).to_vec()).collect();
            let sub_y: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
            let f = at
                .fit_ridge(Features::new(&sub, rows.len(), p), &sub_y)
                .unwrap();
            for i in (0..n).filter(|&i| groups[i] == g) {
                let want = f.intercept
                    + x.row(i)
                        .iter()
                        .zip(&f.coef)
                        .map(|(a, c)| a * c)
                        .sum::<f64>();
                assert!(
                    (oof[i] - want).abs() < 1e-9,
                    "row {i}: {} vs {want}",
                    oof[i]
                );
            }
        }
    }
}
