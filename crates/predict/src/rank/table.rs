//! The feature table of (model, dataset) pairs that history regressors learn from.
//!
//! A row for (model m, dataset d) holds, with **d's own records left out** of every history
//! feature (so training rows look exactly like the held-out target's row, which has none):
//! - *history*: m's mean normalised accuracy on other datasets (popularity), its mean z-score,
//!   how many datasets that averages, its similarity-weighted mean normalised accuracy
//!   (weights = softmax of −distance/σ over the datasets with a distance to d), its normalised
//!   accuracy on the most similar dataset it was fine-tuned on;
//! - *source*: distance from d to m's source dataset, standardised within d's distances;
//! - *model metadata*: log₁₀ #parameters, log₁₀ memory, input size, upstream accuracy,
//!   log #labels, one-hot model type; a missing-value indicator for each numeric one;
//! - *dataset metadata*: log₁₀ #samples, log₁₀ #classes;
//! - *scores*: every stored score method's percentile among d's models (0.5 and an indicator
//!   when absent).
//!
//! The regression target is m's accuracy on d as a z-score within d: rankings only depend on
//! the order within a target, so learning per-dataset offsets would be wasted capacity.

use super::history::{mean, History};
use std::collections::BTreeMap;
use zoorank_core::{DatasetIdx, ModelIdx, Zoo};

/// Which groups of columns a table has.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    /// History features (popularity, similarity-weighted accuracy, nearest dataset).
    pub history: bool,
    /// One-hot model id and dataset id (guided recommendation).
    pub one_hot_ids: bool,
}

/// A built feature table: column names and a row builder.
#[derive(Debug, Clone)]
pub struct FeatureTable {
    /// Column names.
    pub columns: Vec<String>,
    model_types: Vec<String>,
    score_methods: Vec<String>,
    n_models: usize,
    n_datasets: usize,
    spec: TableSpec,
    score_pct: BTreeMap<(usize, usize, usize), f64>,
}

fn log10_or(v: Option<f64>) -> (f64, f64) {
    match v {
        Some(x) if x > 0.0 => (x.log10(), 0.0),
        _ => (0.0, 1.0),
    }
}

impl FeatureTable {
    /// Prepares the columns for `zoo`.
    pub fn new(zoo: &Zoo, spec: TableSpec) -> FeatureTable {
        let mut type_counts: BTreeMap<String, usize> = BTreeMap::new();
        for m in &zoo.models {
            if let Some(t) = &m.model_type {
                *type_counts.entry(t.clone()).or_default() += 1;
            }
        }
        let mut model_types: Vec<(String, usize)> =
            type_counts.into_iter().filter(|(_, c)| *c >= 2).collect();
        model_types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        model_types.truncate(16);
        let model_types: Vec<String> = model_types.into_iter().map(|x| x.0).collect();
        let score_methods = zoo.score_methods();
        // Percentile of each score within its (dataset, method).
        let mut groups: BTreeMap<(usize, usize), Vec<(usize, f64)>> = BTreeMap::new();
        for s in &zoo.scores {
            let k = score_methods.iter().position(|x| x == &s.method).unwrap();
            groups
                .entry((s.dataset, k))
                .or_default()
                .push((s.model, s.value));
        }
        let mut score_pct = BTreeMap::new();
        for ((d, k), mut v) in groups {
            v.sort_by(|a, b| a.1.total_cmp(&b.1));
            let n = v.len();
            for (i, (m, _)) in v.into_iter().enumerate() {
                let p = if n > 1 {
                    i as f64 / (n - 1) as f64
                } else {
                    0.5
                };
                score_pct.insert((d, m, k), p);
            }
        }
        let mut columns: Vec<String> = Vec::new();
        if spec.history {
            for c in ["pop", "pop_z", "pop_count", "knn", "nearest", "has_history"] {
                columns.push(c.into());
            }
        }
        for c in [
            "src_dist",
            "src_dist_missing",
            "log_params",
            "params_missing",
            "log_memory",
            "memory_missing",
            "input_size",
            "input_missing",
            "upstream_acc",
            "upstream_missing",
            "log_labels",
            "labels_missing",
            "log_samples",
            "samples_missing",
            "log_classes",
            "classes_missing",
        ] {
            columns.push(c.into());
        }
        for t in &model_types {
            columns.push(format!("type={t}"));
        }
        for m in &score_methods {
            columns.push(format!("score_pct={m}"));
            columns.push(format!("score_missing={m}"));
        }
        if spec.one_hot_ids {
            for m in &zoo.models {
                columns.push(format!("model={}", m.name));
            }
            for d in &zoo.datasets {
                columns.push(format!("dataset={}", d.name));
            }
        }
        FeatureTable {
            columns,
            model_types,
            score_methods,
            n_models: zoo.models.len(),
            n_datasets: zoo.datasets.len(),
            spec,
            score_pct,
        }
    }

    /// Appends the row of (m, d) to `out`; d's own records are left out of history features.
    pub fn push_row(&self, zoo: &Zoo, h: &History, m: ModelIdx, d: DatasetIdx, out: &mut Vec<f64>) {
        let model = &zoo.models[m];
        let ds = &zoo.datasets[d];
        if self.spec.history {
            let others: Vec<DatasetIdx> = h
                .train_datasets
                .iter()
                .copied()
                .filter(|&e| e != d && h.norm[e][m].is_some())
                .collect();
            let pop = mean(others.iter().map(|&e| h.norm[e][m].unwrap()));
            let pop_z = mean(others.iter().map(|&e| h.z[e][m].unwrap()));
            let w = h.weights(d);
            let (knn, nearest) = match &w {
                Some(w) => {
                    let (mut sw, mut s) = (0.0, 0.0);
                    let mut best: Option<(f64, f64)> = None;
                    for &e in &others {
                        let we = *w.get(&e).unwrap_or(&0.0);
                        let v = h.norm[e][m].unwrap();
                        sw += we;
                        s += we * v;
                        if best.is_none_or(|(bw, _)| we > bw) {
                            best = Some((we, v));
                        }
                    }
                    (
                        if sw > 0.0 { Some(s / sw) } else { pop },
                        best.map(|b| b.1).or(pop),
                    )
                }
                None => (pop, pop),
            };
            let has = pop.is_some();
            out.push(pop.unwrap_or(0.5));
            out.push(pop_z.unwrap_or(0.0));
            out.push((others.len() as f64).ln_1p());
            out.push(knn.unwrap_or(0.5));
            out.push(nearest.unwrap_or(0.5));
            out.push(if has { 1.0 } else { 0.0 });
        }
        // Distance from d to the model's source dataset, standardised within d's row.
        let src = model
            .source_dataset
            .as_ref()
            .and_then(|s| zoo.dataset_index(s))
            .and_then(|s| h.distance[d][s].map(|x| (s, x)));
        match src {
            Some((s, x)) => {
                let row: Vec<f64> = (0..self.n_datasets)
                    .filter(|&e| e != d)
                    .filter_map(|e| h.distance[d][e])
                    .collect();
                let mu = row.iter().sum::<f64>() / row.len().max(1) as f64;
                let sd = (row.iter().map(|v| (v - mu).powi(2)).sum::<f64>()
                    / row.len().max(1) as f64)
                    .sqrt();
                let zx = if s == d {
                    -3.0
                } else if sd > 0.0 {
                    (x - mu) / sd
                } else {
                    0.0
                };
                out.push(zx);
                out.push(0.0);
            }
            None => {
                out.push(0.0);
                out.push(1.0);
            }
        }
        for v in [model.num_parameters, model.memory_bytes] {
            let (a, b) = log10_or(v);
            out.push(a);
            out.push(b);
        }
        match model.input_size {
            Some(x) => {
                out.push(x / 100.0);
                out.push(0.0);
            }
            None => {
                out.push(0.0);
                out.push(1.0);
            }
        }
        match model.upstream_accuracy {
            Some(x) => {
                out.push(x);
                out.push(0.0);
            }
            None => {
                out.push(0.0);
                out.push(1.0);
            }
        }
        for v in [model.num_labels, ds.num_samples, ds.num_classes] {
            let (a, b) = log10_or(v);
            out.push(a);
            out.push(b);
        }
        for t in &self.model_types {
            out.push(if model.model_type.as_ref() == Some(t) {
                1.0
            } else {
                0.0
            });
        }
        for k in 0..self.score_methods.len() {
            match self.score_pct.get(&(d, m, k)) {
                Some(&p) => {
                    out.push(p);
                    out.push(0.0);
                }
                None => {
                    out.push(0.5);
                    out.push(1.0);
                }
            }
        }
        if self.spec.one_hot_ids {
            let base = out.len();
            out.resize(base + self.n_models + self.n_datasets, 0.0);
            out[base + m] = 1.0;
            out[base + self.n_models + d] = 1.0;
        }
    }
}

/// Training rows (every visible (model, dataset) record pair, y = z-score within the dataset)
/// and the target's rows for `candidates`.
pub struct Design {
    /// Row-major training features.
    pub x_train: Vec<f64>,
    /// Training targets.
    pub y_train: Vec<f64>,
    /// The training dataset of each training row (for cross-validation over datasets).
    pub groups: Vec<DatasetIdx>,
    /// Row-major features of the candidates on the target.
    pub x_target: Vec<f64>,
    /// Number of columns.
    pub n_cols: usize,
}

/// Extra columns appended to every row of a design: `(n_columns, push)` where
/// `push(model, dataset, row)` appends exactly `n_columns` values (e.g. graph embeddings).
pub type ExtraColumns<'a> = (usize, &'a dyn Fn(ModelIdx, DatasetIdx, &mut Vec<f64>));

/// Builds the [`Design`] for `target`: one training row per visible (model, training dataset)
/// record, one target row per candidate; with `extra = Some((n, push))`, `push(m, d, row)`
/// appends `n` more columns to every row (e.g. graph embeddings).
pub fn design(
    zoo: &Zoo,
    h: &History,
    table: &FeatureTable,
    target: DatasetIdx,
    candidates: &[ModelIdx],
    extra: Option<ExtraColumns<'_>>,
) -> Design {
    let mut x_train = Vec::new();
    let mut y_train = Vec::new();
    let mut groups = Vec::new();
    let row = |m: ModelIdx, d: DatasetIdx, out: &mut Vec<f64>| {
        table.push_row(zoo, h, m, d, out);
        if let Some((_, push)) = extra {
            push(m, d, out);
        }
    };
    for &d in &h.train_datasets {
        if d == target {
            continue;
        }
        for m in 0..zoo.models.len() {
            if let Some(zv) = h.y[d][m] {
                row(m, d, &mut x_train);
                y_train.push(zv);
                groups.push(d);
            }
        }
    }
    let mut x_target = Vec::new();
    for &m in candidates {
        row(m, target, &mut x_target);
    }
    let n_cols = table.columns.len() + extra.map_or(0, |(n, _)| n);
    debug_assert_eq!(x_train.len(), y_train.len() * n_cols);
    Design {
        x_train,
        y_train,
        groups,
        x_target,
        n_cols,
    }
}
