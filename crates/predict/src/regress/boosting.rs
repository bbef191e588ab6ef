//! Gradient-boosted regression trees (`xgb`), backed by `forust-ml` 0.8.
//!
//! Squared-error boosting (Friedman 2001) with XGBoost's second-order leaf values and split
//! gain (Chen & Guestrin 2016): starting from the mean, tree `m` fits the residuals of the
//! current ensemble `F_{m−1}` and `F_m = F_{m−1} + η · tree_m`. Each leaf's value is
//! `−Σg / (Σh + λ)`, with `g = F − y`, `h = 1` for squared loss.
//!
//! Defaults (TransferGraph's 500 trees of depth 5): 500 trees, depth ≤ 5, η = 0.05, λ (L2) = 1,
//! minimum hessian per leaf 1 (= one row), **64 histogram bins** (forust's default is 256),
//! no row or column subsampling. Fit time grows with the bins: on a 1500 × 60 table forust
//! took 7.6 s with 256 bins and 1.9 s with 64 on this project's 2-core machine under load
//! (`examples/regressor_timing.rs` measures the current setting).
//! **The objective is set to `SquaredLoss` explicitly**: forust's default is `LogLoss` with 10
//! iterations, which gives NaN for regression targets outside [0, 1].
//!
//! Determinism: without subsampling forust draws no random numbers, and it runs single-threaded
//! here (`parallel = false`) so histogram sums are added in a fixed order; the seed is still
//! passed to forust. Callers parallelise over targets instead.
//!
//! Complexity: O(iterations · n · p) for histogram building (binned features).
//!
//! # References
//! - J. H. Friedman, "Greedy function approximation: a gradient boosting machine", Annals of
//!   Statistics, 2001.
//! - T. Chen, C. Guestrin, "XGBoost: a scalable tree boosting system", KDD 2016.

use forust_ml::objective::ObjectiveType;
use forust_ml::{GradientBooster, Matrix};

use super::base::{
    check_predictions, validate_prediction, validate_training, Features, FitResult,
    FittedRegressor, RegressError, Regressor,
};

const ID: &str = "xgb";
/// Minimum training rows.
pub const BOOSTING_MIN_ROWS: usize = 2;

/// Hyper-parameters of [`GradientBoosting`].
#[derive(Debug, Clone, PartialEq)]
pub struct BoostingParams {
    /// Number of trees.
    pub iterations: usize,
    /// Shrinkage η applied to every tree.
    pub learning_rate: f32,
    /// Maximum tree depth.
    pub max_depth: usize,
    /// L2 penalty λ on leaf values.
    pub l2: f32,
    /// Minimum hessian sum (rows, for squared loss) per leaf.
    pub min_leaf_weight: f32,
    /// Histogram bins per feature (columns with fewer distinct values use those values).
    pub nbins: u16,
}

impl Default for BoostingParams {
    fn default() -> Self {
        BoostingParams {
            iterations: 500,
            learning_rate: 0.05,
            max_depth: 5,
            l2: 1.0,
            min_leaf_weight: 1.0,
            nbins: 64,
        }
    }
}

/// Gradient-boosted trees with squared loss (id `xgb`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GradientBoosting {
    /// Its hyper-parameters.
    pub params: BoostingParams,
}

impl GradientBoosting {
    /// Boosting with the given hyper-parameters.
    pub fn new(params: BoostingParams) -> Self {
        GradientBoosting { params }
    }
}

/// Column-major copy of a row-major table (forust's `Matrix` layout).
fn column_major(x: &Features<'_>) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.data.len());
    for j in 0..x.n_cols {
        out.extend((0..x.n_rows).map(|i| x.data[i * x.n_cols + j]));
    }
    out
}

fn backend(e: impl std::fmt::Display) -> RegressError {
    RegressError::Backend {
        regressor: ID,
        library: "forust-ml",
        message: e.to_string(),
    }
}

struct FittedBoosting {
    booster: GradientBooster,
    n_cols: usize,
}

impl Regressor for GradientBoosting {
    fn id(&self) -> &'static str {
        ID
    }

    fn fit(&self, x: Features<'_>, y: &[f64], seed: u64) -> FitResult {
        validate_training(ID, &x, y, BOOSTING_MIN_ROWS)?;
        let p = &self.params;
        if p.iterations == 0 || p.max_depth == 0 || p.nbins < 2 {
            return Err(RegressError::InvalidParameter {
                regressor: ID,
                name: "iterations/max_depth/nbins",
                value: format!("{}/{}/{}", p.iterations, p.max_depth, p.nbins),
            });
        }
        let mut booster = GradientBooster::default()
            .set_objective_type(ObjectiveType::SquaredLoss)
            .set_iterations(p.iterations)
            .set_learning_rate(p.learning_rate)
            .set_max_depth(p.max_depth)
            .set_l2(p.l2)
            .set_min_leaf_weight(p.min_leaf_weight)
            .set_nbins(p.nbins)
            .set_subsample(1.0)
            .set_parallel(false)
            .set_seed(seed);
        let data = column_major(&x);
        let matrix = Matrix::new(&data, x.n_rows, x.n_cols);
        let weights = vec![1.0; x.n_rows];
        booster.fit(&matrix, y, &weights, None).map_err(backend)?;
        Ok(Box::new(FittedBoosting {
            booster,
            n_cols: x.n_cols,
        }))
    }
}

impl FittedRegressor for FittedBoosting {
    fn predict(&self, x: Features<'_>) -> Result<Vec<f64>, RegressError> {
        validate_prediction(ID, &x, self.n_cols)?;
        let data = column_major(&x);
        let matrix = Matrix::new(&data, x.n_rows, x.n_cols);
        check_predictions(ID, self.booster.predict(&matrix, false))
    }
}
