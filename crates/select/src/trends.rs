//! Convergence trends: predicting a model's final accuracy on the target from its validation
//! accuracy after a few epochs, using how the same model converged on benchmark datasets.
//!
//! For model `m` at stage (epoch) `e` with validation accuracy `v` on the target: take `m`'s
//! benchmark runs (its curves on other datasets, the target left out), with `x_d` = its
//! validation accuracy after epoch `e` on dataset `d` and `f_d` = its final test accuracy
//! there (the last epoch's test accuracy, else its validation accuracy). Cluster the values
//! `x_d` in one dimension (k-means, `k = 3` as in the reference code, fewer when there are
//! fewer distinct values; initial centres at evenly spaced quantiles, so no RNG is needed),
//! match `v` to the nearest centre, and predict the mean `f_d` over that cluster:
//!
//! ```text
//! pred(m, e, v) = mean { f_d : d in the cluster whose centre is nearest to v }
//! ```
//!
//! A model whose validation accuracy at an early epoch falls among the datasets where it
//! later did well is predicted to do well. Models without benchmark curves reaching epoch
//! `e` get no prediction (`None`) and are never dropped by the trend filter.
//!
//! Reference: Cui et al., ICDE 2024, Sec. IV-B ("convergence trend").

use crate::trainer::EpochRecord;
use std::collections::HashMap;

/// Predicts a model's final accuracy from its validation accuracy at an epoch.
pub trait FinalPredictor {
    /// Predicted final accuracy of `model` after validation accuracy `val` at `epoch`.
    fn predict(&self, model: &str, epoch: usize, val: f64) -> Option<f64>;
}

/// Any closure `(model, epoch, val) -> Option<f64>` is a predictor (e.g. an oracle in tests).
impl<F: Fn(&str, usize, f64) -> Option<f64>> FinalPredictor for F {
    fn predict(&self, model: &str, epoch: usize, val: f64) -> Option<f64> {
        self(model, epoch, val)
    }
}

/// One benchmark run of a model: validation curve and final accuracy.
#[derive(Debug, Clone, PartialEq)]
struct BenchmarkRun {
    val: Vec<f64>,
    final_accuracy: f64,
}

/// The convergence-trend predictor (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct ConvergenceTrends {
    runs: HashMap<String, Vec<BenchmarkRun>>,
    k: usize,
}

impl ConvergenceTrends {
    /// Builds the trends from benchmark curves, skipping every curve on `target` (and every
    /// empty one). `k` is the number of 1-D clusters (3 in the reference code; at least 1).
    pub fn from_curves<'a>(
        curves: impl IntoIterator<Item = &'a [EpochRecord]>,
        target: &str,
        k: usize,
    ) -> ConvergenceTrends {
        let mut runs: HashMap<String, Vec<BenchmarkRun>> = HashMap::new();
        for c in curves {
            let Some(last) = c.last() else { continue };
            if last.dataset == target {
                continue;
            }
            runs.entry(last.model.clone())
                .or_default()
                .push(BenchmarkRun {
                    val: c.iter().map(|r| r.val_accuracy).collect(),
                    final_accuracy: last.test_accuracy.unwrap_or(last.val_accuracy),
                });
        }
        ConvergenceTrends { runs, k: k.max(1) }
    }

    /// Number of benchmark runs of a model.
    pub fn n_runs(&self, model: &str) -> usize {
        self.runs.get(model).map_or(0, Vec::len)
    }
}

/// 1-D k-means (Lloyd) with quantile initialisation; returns the centres and each point's
/// cluster.
pub fn kmeans_1d(x: &[f64], k: usize) -> (Vec<f64>, Vec<usize>) {
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let k = k.min(sorted.len()).max(1);
    let mut centres: Vec<f64> = (0..k)
        .map(|i| {
            let q = if k == 1 {
                0.5
            } else {
                i as f64 / (k - 1) as f64
            };
            sorted[((sorted.len() - 1) as f64 * q).round() as usize]
        })
        .collect();
    let nearest = |c: &[f64], v: f64| {
        (0..c.len())
            .min_by(|&a, &b| (c[a] - v).abs().total_cmp(&(c[b] - v).abs()))
            .unwrap_or(0)
    };
    let mut labels: Vec<usize> = x.iter().map(|&v| nearest(&centres, v)).collect();
    for _ in 0..100 {
        for (j, c) in centres.iter_mut().enumerate() {
            let (s, n) = x
                .iter()
                .zip(&labels)
                .filter(|(_, &l)| l == j)
                .fold((0.0, 0usize), |(s, n), (v, _)| (s + v, n + 1));
            if n > 0 {
                *c = s / n as f64;
            }
        }
        let new: Vec<usize> = x.iter().map(|&v| nearest(&centres, v)).collect();
        if new == labels {
            break;
        }
        labels = new;
    }
    (centres, labels)
}

impl FinalPredictor for ConvergenceTrends {
    fn predict(&self, model: &str, epoch: usize, val: f64) -> Option<f64> {
        let runs: Vec<&BenchmarkRun> = self
            .runs
            .get(model)?
            .iter()
            .filter(|r| r.val.len() >= epoch && epoch > 0)
            .collect();
        if runs.is_empty() {
            return None;
        }
        let x: Vec<f64> = runs.iter().map(|r| r.val[epoch - 1]).collect();
        let (centres, labels) = kmeans_1d(&x, self.k);
        let matched = (0..centres.len())
            .filter(|&c| labels.contains(&c))
            .min_by(|&a, &b| {
                (centres[a] - val)
                    .abs()
                    .total_cmp(&(centres[b] - val).abs())
            })?;
        let finals: Vec<f64> = runs
            .iter()
            .zip(&labels)
            .filter(|(_, &l)| l == matched)
            .map(|(r, _)| r.final_accuracy)
            .collect();
        Some(finals.iter().sum::<f64>() / finals.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(model: &str, dataset: &str, val: &[f64], fin: f64) -> Vec<EpochRecord> {
        EpochRecord::of_curve(model, dataset, val)
            .map(|r| EpochRecord {
                test_accuracy: Some(if r.epoch == val.len() {
                    fin
                } else {
                    r.val_accuracy
                }),
                ..r
            })
            .collect()
    }

    #[test]
    fn predicts_the_mean_final_of_the_matched_cluster_and_leaves_the_target_out() {
        let curves = [
            curve("m", "a", &[0.2, 0.3], 0.35),
            curve("m", "b", &[0.21, 0.3], 0.45),
            curve("m", "c", &[0.8, 0.9], 0.95),
            curve("m", "t", &[0.5, 0.5], 0.0),
        ];
        let t = ConvergenceTrends::from_curves(curves.iter().map(Vec::as_slice), "t", 3);
        assert_eq!(t.n_runs("m"), 3);
        // 0.22 at epoch 1 matches {a, b} (k = 3 but 3 points: each its own cluster -> nearest b).
        let p = t.predict("m", 1, 0.79).unwrap();
        assert!((p - 0.95).abs() < 1e-12);
        let t2 = ConvergenceTrends::from_curves(curves.iter().map(Vec::as_slice), "t", 2);
        let p = t2.predict("m", 1, 0.3).unwrap();
        assert!((p - 0.40).abs() < 1e-12);
        assert_eq!(t.predict("m", 3, 0.5), None);
        assert_eq!(t.predict("other", 1, 0.5), None);
    }

    #[test]
    fn kmeans_1d_handles_duplicates() {
        let (c, l) = kmeans_1d(&[0.5, 0.5, 0.5], 3);
        assert_eq!(c.len(), 1);
        assert_eq!(l, vec![0, 0, 0]);
    }
}
