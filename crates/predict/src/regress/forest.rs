//! Random forest regression (`rf`), backed by `smartcore` 0.7.
//!
//! Breiman's random forest: `n_trees` CART regression trees, each grown on a bootstrap sample
//! of the rows, choosing every split among `m` features drawn at random by the largest
//! decrease of squared error; the prediction is the mean of the trees.
//!
//! Defaults (TransferGraph's 100 trees of depth 5): 100 trees, depth ≤ 5, one row per leaf at
//! least, and `m = ⌈p / 3⌉` features per split — Breiman's recommendation for regression.
//! smartcore's own default (`⌊√p⌋`, the classification rule) underfits regression tables badly;
//! scikit-learn's regressor default is `m = p` (bagged trees), available here as
//! `features_per_split: 1.0`.
//!
//! Depth convention: `max_depth` counts splits from the root to the deepest leaf, as in
//! scikit-learn (depth 5 → up to 32 leaves). smartcore 0.7 counts *levels* (its root is level 1,
//! so its `max_depth = 5` grows only 4 splits deep); this module passes `max_depth + 1` to it.
//! On the seeded task of `tests/sklearn_comparison.rs` this is what closes the gap to
//! scikit-learn's forest (test R² 0.63 → 0.68, scikit-learn 0.68).
//!
//! Determinism: smartcore draws the bootstraps and the feature subsets from one RNG seeded
//! with the `seed` given to [`Regressor::fit`], single-threaded.
//!
//! Complexity: O(n_trees · m · n log n · depth).
//!
//! # References
//! - L. Breiman, "Random forests", Machine Learning 45, 2001.
//! - L. Breiman, J. Friedman, R. Olshen, C. Stone, *Classification and Regression Trees*, 1984.

use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

use super::base::{
    check_predictions, validate_prediction, validate_training, Features, FitResult,
    FittedRegressor, RegressError, Regressor,
};

const ID: &str = "rf";
/// Minimum training rows.
pub const FOREST_MIN_ROWS: usize = 2;

/// Hyper-parameters of [`RandomForest`].
#[derive(Debug, Clone, PartialEq)]
pub struct ForestParams {
    /// Number of trees.
    pub n_trees: usize,
    /// Maximum tree depth: splits from the root to the deepest leaf (scikit-learn's convention),
    /// at most `u16::MAX − 1`.
    pub max_depth: u16,
    /// Fraction of the features tried at each split, in (0, 1]; `m = max(1, ⌈fraction · p⌉)`.
    pub features_per_split: f64,
    /// Minimum rows in a leaf.
    pub min_samples_leaf: usize,
}

impl Default for ForestParams {
    fn default() -> Self {
        ForestParams {
            n_trees: 100,
            max_depth: 5,
            features_per_split: 1.0 / 3.0,
            min_samples_leaf: 1,
        }
    }
}

/// Random forest regression (id `rf`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RandomForest {
    /// Its hyper-parameters.
    pub params: ForestParams,
}

impl RandomForest {
    /// A forest with the given hyper-parameters.
    pub fn new(params: ForestParams) -> Self {
        RandomForest { params }
    }

    /// Features tried per split for `p` columns.
    pub fn features_per_split(&self, p: usize) -> usize {
        ((self.params.features_per_split * p as f64).ceil() as usize).clamp(1, p.max(1))
    }
}

type Forest = RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;

struct FittedForest {
    forest: Forest,
    n_cols: usize,
}

fn backend(e: impl std::fmt::Display) -> RegressError {
    RegressError::Backend {
        regressor: ID,
        library: "smartcore",
        message: e.to_string(),
    }
}

fn dense(x: &Features<'_>) -> Result<DenseMatrix<f64>, RegressError> {
    DenseMatrix::new(x.n_rows, x.n_cols, x.data.to_vec(), false).map_err(backend)
}

impl Regressor for RandomForest {
    fn id(&self) -> &'static str {
        ID
    }

    fn fit(&self, x: Features<'_>, y: &[f64], seed: u64) -> FitResult {
        validate_training(ID, &x, y, FOREST_MIN_ROWS)?;
        let p = &self.params;
        let fraction_ok = p.features_per_split > 0.0 && p.features_per_split <= 1.0;
        let depth_ok = p.max_depth > 0 && p.max_depth < u16::MAX;
        if !fraction_ok || p.n_trees == 0 || !depth_ok || p.min_samples_leaf == 0 {
            return Err(RegressError::InvalidParameter {
                regressor: ID,
                name: "n_trees/max_depth/features_per_split/min_samples_leaf",
                value: format!(
                    "{}/{}/{}/{}",
                    p.n_trees, p.max_depth, p.features_per_split, p.min_samples_leaf
                ),
            });
        }
        let params = RandomForestRegressorParameters::default()
            .with_n_trees(p.n_trees)
            // smartcore counts levels (root = 1): one more than splits.
            .with_max_depth(p.max_depth + 1)
            .with_m(self.features_per_split(x.n_cols))
            .with_min_samples_leaf(p.min_samples_leaf)
            .with_min_samples_split(2)
            .with_seed(seed);
        let forest = Forest::fit(&dense(&x)?, &y.to_vec(), params).map_err(backend)?;
        Ok(Box::new(FittedForest {
            forest,
            n_cols: x.n_cols,
        }))
    }
}

impl FittedRegressor for FittedForest {
    fn predict(&self, x: Features<'_>) -> Result<Vec<f64>, RegressError> {
        validate_prediction(ID, &x, self.n_cols)?;
        let pred = self.forest.predict(&dense(&x)?).map_err(backend)?;
        check_predictions(ID, pred)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regress::base::test_support::assert_each_rejected;

    /// One tree of depth d on `y = x` over 64 distinct points has exactly 2^d leaves.
    #[test]
    fn max_depth_counts_splits() {
        let x: Vec<f64> = (0..64).map(f64::from).collect();
        let feats = Features::new(&x, 64, 1);
        for depth in 1..=4u16 {
            let rf = RandomForest::new(ForestParams {
                n_trees: 1,
                max_depth: depth,
                features_per_split: 1.0,
                min_samples_leaf: 1,
            });
            let pred = rf.fit(feats, &x, 3).unwrap().predict(feats).unwrap();
            let mut distinct = pred.clone();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            assert_eq!(distinct.len(), 1 << depth, "depth {depth}");
        }
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let feats = Features::new(&x, 10, 1);
        let edits: [fn(&mut ForestParams); 6] = [
            |p| p.n_trees = 0,
            |p| p.max_depth = 0,
            |p| p.max_depth = u16::MAX,
            |p| p.features_per_split = 0.0,
            |p| p.features_per_split = 1.5,
            |p| p.min_samples_leaf = 0,
        ];
        assert_each_rejected(&edits, |p| RandomForest::new(p).fit(feats, &x, 0));
    }
}
