//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong in recall and selection. Variants carry what failed and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A text file does not have the expected layout.
    #[error("{what}:{line}: {message}")]
    Parse {
        /// File or source being parsed.
        what: String,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// Shapes do not agree (rows, columns, names).
    #[error("shape mismatch in {what}: expected {expected}, got {got}")]
    Shape {
        /// Which input.
        what: String,
        /// Expected size.
        expected: usize,
        /// Actual size.
        got: usize,
    },
    /// A numeric input is NaN or infinite.
    #[error("non-finite value in {what} at {location}")]
    NonFinite {
        /// Which input.
        what: String,
        /// Where (row/column or model/dataset).
        location: String,
    },
    /// A parameter is outside its valid range.
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Its value, as text.
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// Not enough data to do the requested work.
    #[error("not enough data: {0}")]
    NotEnoughData(String),
    /// A model is unknown to the trainer or the matrix.
    #[error("unknown model {model}{context}")]
    UnknownModel {
        /// The model name.
        model: String,
        /// Extra context (e.g. " in the replay file").
        context: String,
    },
    /// The trainer has no more epochs for a model (e.g. a replayed curve is shorter).
    #[error("trainer cannot reach epoch {wanted} for model {model}: only {available} epoch(s) available")]
    CurveTooShort {
        /// The model.
        model: String,
        /// The epoch asked for.
        wanted: usize,
        /// The epochs available.
        available: usize,
    },
    /// The external training command failed.
    #[error("training command for model {model} failed: {message}")]
    Command {
        /// The model.
        model: String,
        /// What went wrong (exit status, stderr tail, bad output line).
        message: String,
    },
    /// A proxy score provider failed.
    #[error("proxy score for model {model} failed: {message}")]
    Proxy {
        /// The model.
        model: String,
        /// What went wrong.
        message: String,
    },
}

impl SelectError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> SelectError {
        SelectError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = SelectError> = std::result::Result<T, E>;

/// `Ok(())` when `valid`, else [`SelectError::InvalidParameter`] naming the parameter, its value
/// (formatted only then) and why it is invalid: parameter checks read as a list of conditions.
pub(crate) fn ensure_param(
    valid: bool,
    name: &'static str,
    value: impl ToString,
    reason: &'static str,
) -> Result<()> {
    if valid {
        Ok(())
    } else {
        Err(SelectError::InvalidParameter {
            name,
            value: value.to_string(),
            reason,
        })
    }
}
