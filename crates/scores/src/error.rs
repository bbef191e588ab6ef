//! The crate's error type.

/// Why a score could not be computed.
///
/// Every variant says what was wrong and where (which input, row, column, class), so a caller
/// can report it without re-inspecting the data. Scores never return NaN: a numerical
/// breakdown is [`ScoreError::Numerical`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScoreError {
    /// The method needs an input (features or source-model probabilities) that was not given.
    #[error("{method}: needs {input}, which was not given")]
    MissingInput {
        /// Method id.
        method: &'static str,
        /// `"features"` or `"source-model probabilities"`.
        input: &'static str,
    },
    /// An input has no rows, no columns or no labels.
    #[error("{what} is empty ({rows} x {cols})")]
    Empty {
        /// Which input.
        what: &'static str,
        /// Rows given.
        rows: usize,
        /// Columns given.
        cols: usize,
    },
    /// A buffer's length does not match the declared shape.
    #[error("{what} has {len} values, which is not {rows} x {cols}")]
    Shape {
        /// Which input.
        what: &'static str,
        /// Values in the buffer.
        len: usize,
        /// Declared rows.
        rows: usize,
        /// Declared columns.
        cols: usize,
    },
    /// A value is NaN or infinite.
    #[error("{what}: value {value} at row {row}, column {col} is not finite")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// Row (sample) index.
        row: usize,
        /// Column index.
        col: usize,
        /// The offending value.
        value: f64,
    },
    /// An input's number of rows differs from the number of labels.
    #[error("{what} has {got} rows but there are {expected} labels")]
    LengthMismatch {
        /// Which input.
        what: &'static str,
        /// Number of labels.
        expected: usize,
        /// Rows of the input.
        got: usize,
    },
    /// Fewer distinct labels than the method needs.
    #[error("{method}: needs at least {needed} classes, got {got}")]
    TooFewClasses {
        /// Method id.
        method: &'static str,
        /// Classes needed.
        needed: usize,
        /// Distinct labels given.
        got: usize,
    },
    /// A class has fewer samples than the method needs.
    #[error("{method}: class {label} has {count} sample(s), needs at least {needed}")]
    ClassTooSmall {
        /// Method id.
        method: &'static str,
        /// The label as given (before remapping).
        label: i64,
        /// Samples of that class.
        count: usize,
        /// Samples needed.
        needed: usize,
    },
    /// Every feature is constant, so the score is undefined.
    #[error("{method}: every feature is constant (zero variance); the score is undefined")]
    ZeroVariance {
        /// Method id.
        method: &'static str,
    },
    /// Fewer samples than the method needs.
    #[error("{method}: needs at least {needed} samples, got {got}")]
    TooFewSamples {
        /// Method id.
        method: &'static str,
        /// Samples needed.
        needed: usize,
        /// Samples given.
        got: usize,
    },
    /// A row of source-model probabilities is not a probability distribution.
    #[error("source-model probabilities: row {row} is not a probability distribution ({reason})")]
    NotProbabilities {
        /// Row index.
        row: usize,
        /// What is wrong (negative entry, sum far from 1).
        reason: String,
    },
    /// A method parameter is out of range.
    #[error("{method}: invalid parameter {param}: {reason}")]
    InvalidParameter {
        /// Method id.
        method: &'static str,
        /// Parameter name.
        param: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A decomposition failed or the result would not be finite.
    #[error("{method}: numerical failure: {reason}")]
    Numerical {
        /// Method id.
        method: &'static str,
        /// What failed.
        reason: String,
    },
    /// A method id that no method answers to.
    #[error("unknown score method `{id}` (known: {known})")]
    UnknownMethod {
        /// The id asked for.
        id: String,
        /// The known ids, comma-separated.
        known: String,
    },
}

/// Returns `value` if finite, otherwise a [`ScoreError::Numerical`] for `method`.
pub(crate) fn finite(method: &'static str, value: f64) -> Result<f64, ScoreError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ScoreError::Numerical {
            method,
            reason: format!("the score evaluated to {value}"),
        })
    }
}
