//! The performance matrix: accuracy of every model fine-tuned on every benchmark dataset.
//!
//! Rows are models, columns benchmark datasets; a cell is `None` when that model was never
//! fine-tuned on that dataset (the image zoo has gaps; the two-phase matrices are full). The
//! matrix is the only input of model clustering and of the recall score's accuracy term.
//!
//! Two ways to build one: [`crate::twophase`] reads the TSV files of Cui et al. directly, and
//! [`PerformanceMatrix::from_zoo`] builds it from any zoo's fine-tuning records, leaving a
//! target dataset out (its records must never inform the recall for that target).

use crate::error::{Result, SelectError};
use std::collections::HashMap;
use zoorank_core::{DatasetIdx, Modality, Zoo};

/// A `(n_models, n_datasets)` matrix of accuracies with possibly missing cells.
#[derive(Debug, Clone, PartialEq)]
pub struct PerformanceMatrix {
    models: Vec<String>,
    datasets: Vec<String>,
    /// Row-major `models × datasets`.
    values: Vec<Option<f64>>,
}

impl PerformanceMatrix {
    /// Builds a matrix from per-model rows (`rows[m][d]`).
    ///
    /// # Errors
    /// [`SelectError::Shape`] when a row's length differs from `datasets.len()` or the number
    /// of rows from `models.len()`; [`SelectError::NonFinite`] for NaN or infinite cells
    /// (use `None` for a missing value).
    pub fn new(
        models: Vec<String>,
        datasets: Vec<String>,
        rows: Vec<Vec<Option<f64>>>,
    ) -> Result<PerformanceMatrix> {
        if rows.len() != models.len() {
            return Err(SelectError::Shape {
                what: "performance matrix rows (models)".into(),
                expected: models.len(),
                got: rows.len(),
            });
        }
        let mut values = Vec::with_capacity(models.len() * datasets.len());
        for (m, row) in rows.into_iter().enumerate() {
            if row.len() != datasets.len() {
                return Err(SelectError::Shape {
                    what: format!("performance matrix row of model {}", models[m]),
                    expected: datasets.len(),
                    got: row.len(),
                });
            }
            for (d, v) in row.iter().enumerate() {
                if let Some(x) = v {
                    if !x.is_finite() {
                        return Err(SelectError::NonFinite {
                            what: "performance matrix".into(),
                            location: format!("model {}, dataset {}", models[m], datasets[d]),
                        });
                    }
                }
            }
            values.extend(row);
        }
        Ok(PerformanceMatrix {
            models,
            datasets,
            values,
        })
    }

    /// Builds a full matrix (no missing cells) from per-model rows.
    ///
    /// # Errors
    /// As [`PerformanceMatrix::new`].
    pub fn from_dense(
        models: Vec<String>,
        datasets: Vec<String>,
        rows: Vec<Vec<f64>>,
    ) -> Result<PerformanceMatrix> {
        let rows = rows
            .into_iter()
            .map(|r| r.into_iter().map(Some).collect())
            .collect();
        PerformanceMatrix::new(models, datasets, rows)
    }

    /// The leave-one-target-out matrix of a zoo: one row per model that has at least one full
    /// fine-tuning record on a dataset other than `exclude`, one column per such dataset; a
    /// cell is the ground truth of the evaluation protocol (the **maximum** accuracy over the
    /// model's records on that dataset, PEFT runs excluded). `modality`, when given, keeps only
    /// datasets of that modality (datasets of unknown modality are kept).
    ///
    /// Nothing about `exclude` reaches the matrix, so recall for that target cannot see its
    /// fine-tuning results.
    pub fn from_zoo(
        zoo: &Zoo,
        exclude: Option<DatasetIdx>,
        modality: Option<Modality>,
    ) -> PerformanceMatrix {
        let keep_dataset = |d: DatasetIdx| {
            Some(d) != exclude
                && match (modality, zoo.datasets[d].modality) {
                    (Some(want), Some(have)) => want == have,
                    _ => true,
                }
        };
        let datasets: Vec<DatasetIdx> = zoo
            .datasets_with_records(false)
            .into_iter()
            .filter(|&d| keep_dataset(d))
            .collect();
        let mut cells: HashMap<(usize, usize), f64> = HashMap::new();
        for (col, &d) in datasets.iter().enumerate() {
            for (m, acc) in zoo.ground_truth(d, false) {
                cells.insert((m, col), acc);
            }
        }
        let mut model_ids: Vec<usize> = cells.keys().map(|&(m, _)| m).collect();
        model_ids.sort_unstable();
        model_ids.dedup();
        let rows = model_ids
            .iter()
            .map(|&m| {
                (0..datasets.len())
                    .map(|c| cells.get(&(m, c)).copied())
                    .collect()
            })
            .collect();
        let models = model_ids
            .iter()
            .map(|&m| zoo.models[m].name.clone())
            .collect();
        let names = datasets
            .iter()
            .map(|&d| zoo.datasets[d].name.clone())
            .collect();
        // Every value comes from `ground_truth`, which skips non-finite accuracies.
        PerformanceMatrix::new(models, names, rows).expect("shapes built consistently")
    }

    /// Model names (rows).
    pub fn models(&self) -> &[String] {
        &self.models
    }

    /// Benchmark dataset names (columns).
    pub fn datasets(&self) -> &[String] {
        &self.datasets
    }

    /// Number of models.
    pub fn n_models(&self) -> usize {
        self.models.len()
    }

    /// Number of benchmark datasets.
    pub fn n_datasets(&self) -> usize {
        self.datasets.len()
    }

    /// The accuracy of model `m` on dataset `d`, if known.
    pub fn get(&self, m: usize, d: usize) -> Option<f64> {
        self.values[m * self.datasets.len() + d]
    }

    /// The row of model `m`.
    pub fn row(&self, m: usize) -> &[Option<f64>] {
        let n = self.datasets.len();
        &self.values[m * n..(m + 1) * n]
    }

    /// Index of a model by name.
    pub fn model_index(&self, name: &str) -> Option<usize> {
        self.models.iter().position(|m| m == name)
    }

    /// Index of a dataset by name.
    pub fn dataset_index(&self, name: &str) -> Option<usize> {
        self.datasets.iter().position(|d| d == name)
    }

    /// Mean accuracy of model `m` over the datasets where it is known (`None` if none is).
    pub fn mean_accuracy(&self, m: usize) -> Option<f64> {
        let (s, n) = self
            .row(m)
            .iter()
            .flatten()
            .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
        (n > 0).then(|| s / n as f64)
    }

    /// A copy with only the given models (in the given order).
    pub fn select_models(&self, keep: &[usize]) -> PerformanceMatrix {
        let rows = keep.iter().map(|&m| self.row(m).to_vec()).collect();
        let models = keep.iter().map(|&m| self.models[m].clone()).collect();
        PerformanceMatrix::new(models, self.datasets.clone(), rows).expect("subset of valid")
    }

    /// A copy without dataset column `d`.
    pub fn without_dataset(&self, d: usize) -> PerformanceMatrix {
        let rows = (0..self.n_models())
            .map(|m| {
                let mut r = self.row(m).to_vec();
                r.remove(d);
                r
            })
            .collect();
        let mut datasets = self.datasets.clone();
        datasets.remove(d);
        PerformanceMatrix::new(self.models.clone(), datasets, rows).expect("subset of valid")
    }

    /// A copy where every cell `<= 0` is missing: what the reference code of Cui et al. does
    /// when it compares two models (it skips datasets where either accuracy is not positive,
    /// which drops negative Matthews correlations on CoLA and failed runs reported as 0).
    pub fn positive_only(&self) -> PerformanceMatrix {
        PerformanceMatrix {
            models: self.models.clone(),
            datasets: self.datasets.clone(),
            values: self.values.iter().map(|v| v.filter(|&x| x > 0.0)).collect(),
        }
    }

    /// Dense `(n_models, n_datasets)` rows with each missing cell replaced by its column's
    /// mean (0 for an empty column): the points k-means clusters.
    pub fn imputed_rows(&self) -> Vec<Vec<f64>> {
        let nd = self.n_datasets();
        let means: Vec<f64> = (0..nd)
            .map(|d| {
                let (s, n) = (0..self.n_models())
                    .filter_map(|m| self.get(m, d))
                    .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
                if n == 0 {
                    0.0
                } else {
                    s / n as f64
                }
            })
            .collect();
        (0..self.n_models())
            .map(|m| {
                (0..nd)
                    .map(|d| self.get(m, d).unwrap_or(means[d]))
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoorank_core::{Dataset, Model, Record};

    #[test]
    fn rejects_ragged_rows_and_nan() {
        let e = PerformanceMatrix::from_dense(
            vec!["a".into()],
            vec!["x".into(), "y".into()],
            vec![vec![0.1]],
        );
        assert!(matches!(e, Err(SelectError::Shape { .. })));
        let e =
            PerformanceMatrix::from_dense(vec!["a".into()], vec!["x".into()], vec![vec![f64::NAN]]);
        assert!(matches!(e, Err(SelectError::NonFinite { .. })));
    }

    #[test]
    fn from_zoo_leaves_the_target_out_and_takes_the_max() {
        let mut zoo = Zoo::default();
        let a = zoo.add_model(Model::named("a"));
        let b = zoo.add_model(Model::named("b"));
        let t = zoo.add_dataset(Dataset::named("t"));
        let x = zoo.add_dataset(Dataset::named("x"));
        zoo.records.push(Record::new(a, t, 0.9));
        zoo.records.push(Record::new(a, x, 0.5));
        zoo.records.push(Record::new(a, x, 0.7));
        zoo.records.push(Record::new(b, t, 0.3));
        let m = PerformanceMatrix::from_zoo(&zoo, Some(t), None);
        assert_eq!(m.datasets(), &["x".to_string()]);
        assert_eq!(m.models(), &["a".to_string()]);
        assert_eq!(m.get(0, 0), Some(0.7));
    }
}
