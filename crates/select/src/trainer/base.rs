//! What every trainer shares: the per-epoch record, its parser and the [`Trainer`] trait.

use crate::error::{Result, SelectError};
use serde::{Deserialize, Serialize};

/// One completed epoch of a training run (one JSON line; see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Model name.
    #[serde(default)]
    pub model: String,
    /// Dataset name.
    #[serde(default)]
    pub dataset: String,
    /// 1-based number of completed epochs.
    pub epoch: usize,
    /// Validation accuracy after this epoch.
    pub val_accuracy: f64,
    /// Test accuracy after this epoch, when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_accuracy: Option<f64>,
    /// Seconds the epoch took, when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

impl EpochRecord {
    /// The records of a learning curve of `model` on `dataset`: epoch `i + 1` reached the
    /// validation accuracy `val[i]`; no test accuracy or time is known.
    pub fn of_curve<'a>(
        model: &'a str,
        dataset: &'a str,
        val: &'a [f64],
    ) -> impl Iterator<Item = EpochRecord> + 'a {
        val.iter().enumerate().map(|(i, &v)| EpochRecord {
            model: model.into(),
            dataset: dataset.into(),
            epoch: i + 1,
            val_accuracy: v,
            test_accuracy: None,
            seconds: None,
        })
    }

    /// Parses one JSON line; `what` and `line` locate it in errors.
    ///
    /// # Errors
    /// [`SelectError::Parse`] for invalid JSON or a missing field, [`SelectError::NonFinite`]
    /// for a NaN/infinite accuracy, and an epoch of 0.
    pub fn parse_line(what: &str, line: usize, text: &str) -> Result<EpochRecord> {
        let r: EpochRecord = serde_json::from_str(text).map_err(|e| SelectError::Parse {
            what: what.into(),
            line,
            message: e.to_string(),
        })?;
        if r.epoch == 0 {
            return Err(SelectError::Parse {
                what: what.into(),
                line,
                message: "epoch numbers start at 1".into(),
            });
        }
        let finite = |v: Option<f64>| v.is_none_or(f64::is_finite);
        if !r.val_accuracy.is_finite() || !finite(r.test_accuracy) || !finite(r.seconds) {
            return Err(SelectError::NonFinite {
                what: what.into(),
                location: format!("line {line}"),
            });
        }
        Ok(r)
    }

    /// This record as one JSON line (no trailing newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("plain data serialises")
    }
}

/// Parses a JSON-lines text of epoch records (blank lines skipped).
///
/// # Errors
/// As [`EpochRecord::parse_line`].
pub fn parse_records(what: &str, text: &str) -> Result<Vec<EpochRecord>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| EpochRecord::parse_line(what, i + 1, l))
        .collect()
}

/// Advances training runs epoch by epoch.
///
/// A trainer keeps, per `(model, dataset)`, how many epochs it has completed; `train_to`
/// continues from there. Implementations must be deterministic given their seed, so that a
/// selection can be replayed.
pub trait Trainer {
    /// Stable id (`replay`, `command`, `linear-probe`).
    fn name(&self) -> &'static str;

    /// Continues training `model` on `dataset` until `epochs` epochs are completed in total;
    /// returns the records of the epochs completed by this call, in order (empty when the run
    /// is already that far).
    ///
    /// # Errors
    /// Implementation specific: unknown model, curve too short, failed command, bad data.
    fn train_to(&mut self, model: &str, dataset: &str, epochs: usize) -> Result<Vec<EpochRecord>>;
}

/// The records of `run` after the first `*delivered` up to epoch `epochs` (none when they were
/// all handed out already), counting them as delivered: trainers that hold a whole run (read
/// back or replayed) return from `train_to` only the epochs that the caller has not yet seen.
pub(super) fn undelivered(
    run: &[EpochRecord],
    delivered: &mut usize,
    epochs: usize,
) -> Vec<EpochRecord> {
    let out = if epochs > *delivered {
        run[*delivered..epochs].to_vec()
    } else {
        Vec::new()
    };
    *delivered = (*delivered).max(epochs);
    out
}
