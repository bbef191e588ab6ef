//! What every regressor shares: the feature table type, the two traits, the errors and
//! input validation.

/// A row-major feature table: value `(i, j)` is `data[i * n_cols + j]`.
#[derive(Debug, Clone, Copy)]
pub struct Features<'a> {
    /// The values, row after row.
    pub data: &'a [f64],
    /// Number of rows (samples).
    pub n_rows: usize,
    /// Number of columns (features).
    pub n_cols: usize,
}

impl<'a> Features<'a> {
    /// The table of `n_rows` × `n_cols` values `data`, row after row (checked by
    /// [`Features::validate`], not here).
    pub fn new(data: &'a [f64], n_rows: usize, n_cols: usize) -> Features<'a> {
        Features {
            data,
            n_rows,
            n_cols,
        }
    }

    /// Row `i` as a slice (`i < n_rows`; call [`Features::validate`] first).
    pub fn row(&self, i: usize) -> &'a [f64] {
        &self.data[i * self.n_cols..(i + 1) * self.n_cols]
    }

    /// Checks that `data.len() == n_rows · n_cols`, that there is at least one column and that
    /// every value is finite.
    pub fn validate(&self) -> Result<(), RegressError> {
        let expected = self.n_rows.checked_mul(self.n_cols);
        if expected != Some(self.data.len()) {
            return Err(RegressError::ShapeMismatch {
                what: "feature data length (n_rows · n_cols)",
                expected: expected.unwrap_or(usize::MAX),
                got: self.data.len(),
            });
        }
        if self.n_cols == 0 {
            return Err(RegressError::NoFeatures);
        }
        if let Some(k) = self.data.iter().position(|v| !v.is_finite()) {
            return Err(RegressError::NonFiniteFeature {
                row: k / self.n_cols,
                col: k % self.n_cols,
                value: self.data[k],
            });
        }
        Ok(())
    }

    /// Checks that a per-row vector (`what`, of length `len`) has one entry per row.
    pub(crate) fn check_rows(&self, what: &'static str, len: usize) -> Result<(), RegressError> {
        if len != self.n_rows {
            return Err(RegressError::ShapeMismatch {
                what,
                expected: self.n_rows,
                got: len,
            });
        }
        Ok(())
    }
}

/// A regression method with its hyper-parameters: fits a [`FittedRegressor`].
pub trait Regressor: Send + Sync {
    /// The stable id (`lr`, `rf`, `xgb`, `fm`).
    fn id(&self) -> &'static str;
    /// Learns from `x` (`n_rows × n_cols`) and `y` (`n_rows`); `seed` fixes all randomness.
    fn fit(&self, x: Features<'_>, y: &[f64], seed: u64) -> FitResult;
}

/// What [`Regressor::fit`] returns: the trained regressor, or why it could not be trained.
pub type FitResult = Result<Box<dyn FittedRegressor>, RegressError>;

/// A trained regressor.
pub trait FittedRegressor: Send + Sync {
    /// Predicts one value per row of `x`, which must have the training column count.
    fn predict(&self, x: Features<'_>) -> Result<Vec<f64>, RegressError>;
}

/// Errors of fitting and prediction.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RegressError {
    /// A length does not match the declared shape.
    #[error("{what}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// Which length.
        what: &'static str,
        /// The length the shape implies.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// The feature table has no columns.
    #[error("the feature table has no columns")]
    NoFeatures,
    /// A feature value is NaN or infinite.
    #[error("feature ({row}, {col}) = {value} is not finite")]
    NonFiniteFeature {
        /// Row of the value.
        row: usize,
        /// Column of the value.
        col: usize,
        /// The value.
        value: f64,
    },
    /// A target value is NaN or infinite.
    #[error("target y[{index}] = {value} is not finite")]
    NonFiniteTarget {
        /// Position of the value.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Too few training rows for the method.
    #[error("{regressor}: needs at least {min} training rows, got {got}")]
    TooFewRows {
        /// The regressor id.
        regressor: &'static str,
        /// Rows given.
        got: usize,
        /// Minimum.
        min: usize,
    },
    /// Prediction got a different number of columns than training.
    #[error("{regressor}: trained on {expected} feature columns, asked to predict with {got}")]
    ColumnCountMismatch {
        /// The regressor id.
        regressor: &'static str,
        /// Training column count.
        expected: usize,
        /// Column count given.
        got: usize,
    },
    /// A hyper-parameter is out of range.
    #[error("{regressor}: invalid parameter {name} = {value}")]
    InvalidParameter {
        /// The regressor id.
        regressor: &'static str,
        /// Parameter name.
        name: &'static str,
        /// The value, printed.
        value: String,
    },
    /// The numeric core failed (a decomposition did not converge, a prediction is not finite).
    #[error("{regressor}: numerical failure: {detail}")]
    Numerical {
        /// The regressor id.
        regressor: &'static str,
        /// What failed.
        detail: String,
    },
    /// The backing library reported an error.
    #[error("{regressor}: {library} failed: {message}")]
    Backend {
        /// The regressor id.
        regressor: &'static str,
        /// The library (`forust-ml`, `smartcore`).
        library: &'static str,
        /// Its message.
        message: String,
    },
}

/// Validates a training set: the table, `y`'s length and finiteness, and `min_rows`.
pub(crate) fn validate_training(
    regressor: &'static str,
    x: &Features<'_>,
    y: &[f64],
    min_rows: usize,
) -> Result<(), RegressError> {
    x.validate()?;
    x.check_rows("target length (n_rows)", y.len())?;
    if let Some(index) = y.iter().position(|v| !v.is_finite()) {
        return Err(RegressError::NonFiniteTarget {
            index,
            value: y[index],
        });
    }
    if x.n_rows < min_rows {
        return Err(RegressError::TooFewRows {
            regressor,
            got: x.n_rows,
            min: min_rows,
        });
    }
    Ok(())
}

/// Validates a prediction table against the training column count.
pub(crate) fn validate_prediction(
    regressor: &'static str,
    x: &Features<'_>,
    n_cols: usize,
) -> Result<(), RegressError> {
    x.validate()?;
    if x.n_cols != n_cols {
        return Err(RegressError::ColumnCountMismatch {
            regressor,
            expected: n_cols,
            got: x.n_cols,
        });
    }
    Ok(())
}

/// Turns non-finite predictions into [`RegressError::Numerical`].
pub(crate) fn check_predictions(
    regressor: &'static str,
    pred: Vec<f64>,
) -> Result<Vec<f64>, RegressError> {
    match pred.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(RegressError::Numerical {
            regressor,
            detail: format!("prediction {i} is {}", pred[i]),
        }),
        None => Ok(pred),
    }
}

/// Per-column standardisation `z = (x − mean) / scale`, with `scale` the population standard
/// deviation, or 1 for a (numerically) constant column so it maps to 0 rather than NaN.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Standardizer {
    pub(crate) mean: Vec<f64>,
    pub(crate) scale: Vec<f64>,
}

impl Standardizer {
    pub(crate) fn fit(x: &Features<'_>) -> Self {
        let (n, p) = (x.n_rows, x.n_cols);
        let mut mean = vec![0.0; p];
        for i in 0..n {
            for (m, v) in mean.iter_mut().zip(x.row(i)) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut var = vec![0.0; p];
        for i in 0..n {
            for ((s, v), m) in var.iter_mut().zip(x.row(i)).zip(&mean) {
                *s += (v - m) * (v - m);
            }
        }
        let scale = var
            .iter()
            .zip(&mean)
            .map(|(s, m)| {
                let sd = (s / n as f64).sqrt();
                // Below this the column is constant up to rounding of its mean.
                if sd <= 1e-12 * m.abs().max(1.0) {
                    1.0
                } else {
                    sd
                }
            })
            .collect();
        Standardizer { mean, scale }
    }

    /// The standardised table, row-major.
    pub(crate) fn transform(&self, x: &Features<'_>) -> Vec<f64> {
        let mut out = Vec::with_capacity(x.data.len());
        for i in 0..x.n_rows {
            for ((v, m), s) in x.row(i).iter().zip(&self.mean).zip(&self.scale) {
                out.push((v - m) / s);
            }
        }
        out
    }
}

/// Helpers the regressors' unit tests share.
#[cfg(test)]
pub(crate) mod test_support {
    use super::RegressError;

    /// Asserts that each edit of the default parameters makes `fit` refuse them with
    /// [`RegressError::InvalidParameter`].
    pub(crate) fn assert_each_rejected<P: Default + Clone + std::fmt::Debug>(
        edits: &[fn(&mut P)],
        fit: impl Fn(P) -> super::FitResult,
    ) {
        for edit in edits {
            let mut params = P::default();
            edit(&mut params);
            let got = fit(params.clone());
            assert!(
                matches!(got, Err(RegressError::InvalidParameter { .. })),
                "{params:?}"
            );
        }
    }
}
