//! Replay of recorded per-epoch curves.

use super::base::{parse_records, undelivered, EpochRecord, Trainer};
use crate::error::{Result, SelectError};
use std::collections::HashMap;
use std::path::Path;

/// Replays recorded curves: `train_to(m, d, e)` returns the recorded epochs up to `e`.
///
/// Built from JSON-lines epoch records (see [`crate::trainer`]); every `(model, dataset)`
/// curve must hold epochs `1..=n` exactly once. The replay is also the store of *benchmark
/// convergence trends* ([`ReplayTrainer::curves`]), which the convergence-trend predictor
/// reads with the target left out.
#[derive(Debug, Clone, Default)]
pub struct ReplayTrainer {
    curves: HashMap<(String, String), Vec<EpochRecord>>,
    progress: HashMap<(String, String), usize>,
}

impl ReplayTrainer {
    /// Builds a replay from records in any order.
    ///
    /// # Errors
    /// [`SelectError::Parse`] when a curve has a missing or duplicated epoch.
    pub fn from_records(records: Vec<EpochRecord>) -> Result<ReplayTrainer> {
        let mut curves: HashMap<(String, String), Vec<EpochRecord>> = HashMap::new();
        for r in records {
            curves
                .entry((r.model.clone(), r.dataset.clone()))
                .or_default()
                .push(r);
        }
        for ((m, d), c) in curves.iter_mut() {
            c.sort_by_key(|r| r.epoch);
            for (i, r) in c.iter().enumerate() {
                if r.epoch != i + 1 {
                    return Err(SelectError::Parse {
                        what: format!("curve of model {m} on {d}"),
                        line: 0,
                        message: format!("expected epoch {}, found epoch {}", i + 1, r.epoch),
                    });
                }
            }
        }
        Ok(ReplayTrainer {
            curves,
            progress: HashMap::new(),
        })
    }

    /// Parses JSON lines and builds a replay.
    ///
    /// # Errors
    /// As [`parse_records`] and [`ReplayTrainer::from_records`].
    pub fn from_jsonl(what: &str, text: &str) -> Result<ReplayTrainer> {
        ReplayTrainer::from_records(parse_records(what, text)?)
    }

    /// Reads a JSON-lines file.
    ///
    /// # Errors
    /// [`SelectError::Io`] and the errors of [`ReplayTrainer::from_jsonl`].
    pub fn from_path(path: &Path) -> Result<ReplayTrainer> {
        let text = std::fs::read_to_string(path).map_err(|e| SelectError::io(path, e))?;
        ReplayTrainer::from_jsonl(&path.display().to_string(), &text)
    }

    /// The curve of `(model, dataset)`, if recorded.
    pub fn curve(&self, model: &str, dataset: &str) -> Option<&[EpochRecord]> {
        self.curves
            .get(&(model.to_string(), dataset.to_string()))
            .map(Vec::as_slice)
    }

    /// Every recorded curve.
    pub fn curves(&self) -> impl Iterator<Item = &[EpochRecord]> {
        self.curves.values().map(Vec::as_slice)
    }

    /// Models with a curve on `dataset`, sorted.
    pub fn models_on(&self, dataset: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .curves
            .keys()
            .filter(|(_, d)| d == dataset)
            .map(|(m, _)| m.clone())
            .collect();
        v.sort();
        v
    }

    /// Datasets with at least one curve, sorted.
    pub fn datasets(&self) -> Vec<String> {
        let mut v: Vec<String> = self.curves.keys().map(|(_, d)| d.clone()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// Forgets how far each run was replayed.
    pub fn reset(&mut self) {
        self.progress.clear();
    }
}

impl Trainer for ReplayTrainer {
    fn name(&self) -> &'static str {
        "replay"
    }

    fn train_to(&mut self, model: &str, dataset: &str, epochs: usize) -> Result<Vec<EpochRecord>> {
        let key = (model.to_string(), dataset.to_string());
        let curve = self
            .curves
            .get(&key)
            .ok_or_else(|| SelectError::UnknownModel {
                model: model.into(),
                context: format!(" (no recorded curve on {dataset})"),
            })?;
        if epochs > curve.len() {
            return Err(SelectError::CurveTooShort {
                model: model.into(),
                wanted: epochs,
                available: curve.len(),
            });
        }
        Ok(undelivered(
            curve,
            self.progress.entry(key).or_insert(0),
            epochs,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_incrementally_and_checks_curves() {
        let text = r#"{"model":"m","dataset":"d","epoch":2,"val_accuracy":0.6}
{"model":"m","dataset":"d","epoch":1,"val_accuracy":0.5,"test_accuracy":0.4}
"#;
        let mut t = ReplayTrainer::from_jsonl("t", text).unwrap();
        assert_eq!(t.train_to("m", "d", 1).unwrap().len(), 1);
        let r = t.train_to("m", "d", 2).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].val_accuracy, 0.6);
        assert!(t.train_to("m", "d", 2).unwrap().is_empty());
        assert!(matches!(
            t.train_to("m", "d", 3),
            Err(SelectError::CurveTooShort { .. })
        ));
        assert!(matches!(
            t.train_to("x", "d", 1),
            Err(SelectError::UnknownModel { .. })
        ));
        let gap = r#"{"model":"m","dataset":"d","epoch":2,"val_accuracy":0.6}"#;
        assert!(ReplayTrainer::from_jsonl("t", gap).is_err());
        let nan = r#"{"model":"m","dataset":"d","epoch":1,"val_accuracy":NaN}"#;
        assert!(ReplayTrainer::from_jsonl("t", nan).is_err());
    }
}
