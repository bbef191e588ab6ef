//! Regressors behind one small, object-safe interface.
//!
//! A [`Regressor`] is a configuration; [`Regressor::fit`] learns from a feature table
//! `x` of shape `(n_rows, n_cols)` (row-major [`Features`]) and targets `y` of length `n_rows`,
//! and returns a [`FittedRegressor`] that predicts new rows with the same columns. The stable
//! ids used by the CLI, JSON and the database:
//!
//! | id | method | module |
//! |---|---|---|
//! | `lr` | ridge regression, α by exact leave-one-out over a grid (one SVD) | [`ridge`] |
//! | `rf` | random forest, 100 trees, depth ≤ 5, ⌈p/3⌉ features per split | [`forest`] |
//! | `xgb` | gradient-boosted trees, 500 trees, depth ≤ 5, learning rate 0.05 | [`boosting`] |
//! | `fm` | second-order factorization machine, Adam, early stopping | [`fm`] |
//!
//! Every regressor is deterministic for a given `seed` (the ridge ignores it).
//!
//! # Errors
//! All inputs are validated before any work ([`RegressError`]): the data length must equal
//! `n_rows · n_cols`, `y` must have `n_rows` values, every value must be finite, there must be at
//! least one column and enough rows for the method, and prediction needs the training column
//! count. A non-finite prediction is reported as [`RegressError::Numerical`], never returned.

mod base;
pub mod boosting;
pub mod fm;
pub mod forest;
mod kind;
pub mod ridge;

pub use base::{Features, FitResult, FittedRegressor, RegressError, Regressor};
pub use boosting::{BoostingParams, GradientBoosting};
pub use fm::{FactorizationMachine, FmParams};
pub use forest::{ForestParams, RandomForest};
pub use kind::{RegressorKind, UnknownRegressor};
pub use ridge::{FittedRidge, Ridge, RidgeParams};
