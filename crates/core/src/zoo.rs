//! The zoo as plain data: models, datasets, fine-tuning records, scores and distances.
//!
//! Indices ([`ModelIdx`], [`DatasetIdx`]) are positions in [`Zoo::models`] and
//! [`Zoo::datasets`]; names are the stable, user-facing identifiers (Hugging Face ids for
//! models, dataset names as the zoo's files spell them).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Position of a model in [`Zoo::models`].
pub type ModelIdx = usize;
/// Position of a dataset in [`Zoo::datasets`].
pub type DatasetIdx = usize;

/// What kind of data a dataset holds or a model consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Modality {
    /// Images (image classification).
    Image,
    /// Text (sequence classification).
    Text,
}

impl Modality {
    /// The stable string id used in the store, the CLI and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Modality::Image => "image",
            Modality::Text => "text",
        }
    }

    /// Parses `image` or `text` (case-insensitive).
    pub fn parse(s: &str) -> Option<Modality> {
        match s.trim().to_ascii_lowercase().as_str() {
            "image" | "images" | "vision" | "cv" => Some(Modality::Image),
            "text" | "nlp" | "language" => Some(Modality::Text),
            _ => None,
        }
    }
}

/// A pre-trained model and its metadata. Every metadata field is optional: a zoo imported
/// from a bare CSV of results knows only the name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Stable id, e.g. `google/vit-base-patch16-224`.
    pub name: String,
    /// Modality the model consumes, when known.
    pub modality: Option<Modality>,
    /// Architecture class, e.g. `ViTForImageClassification`.
    pub architecture: Option<String>,
    /// Model family, e.g. `vit`, `bert`.
    pub model_type: Option<String>,
    /// Number of parameters.
    pub num_parameters: Option<f64>,
    /// Memory consumption in bytes.
    pub memory_bytes: Option<f64>,
    /// Input size (image side in pixels).
    pub input_size: Option<f64>,
    /// Width of the penultimate feature.
    pub feature_dim: Option<f64>,
    /// Dataset the model was pre-trained or last fine-tuned on, as the zoo names it in its
    /// distance files (see the importer for how scraped collections are resolved).
    pub source_dataset: Option<String>,
    /// Accuracy the model reports on its source dataset.
    pub upstream_accuracy: Option<f64>,
    /// Number of output labels of the classifier head.
    pub num_labels: Option<f64>,
}

impl Model {
    /// A model with a name and no metadata.
    pub fn named(name: impl Into<String>) -> Model {
        Model {
            name: name.into(),
            ..Model::default()
        }
    }
}

/// A dataset: a fine-tuning target or a model's source dataset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Stable name, e.g. `cifar100`, `glue/cola`.
    pub name: String,
    /// Image or text, when known.
    pub modality: Option<Modality>,
    /// Number of labelled samples.
    pub num_samples: Option<f64>,
    /// Number of classes.
    pub num_classes: Option<f64>,
}

impl Dataset {
    /// A dataset with a name and no metadata.
    pub fn named(name: impl Into<String>) -> Dataset {
        Dataset::of(name, None)
    }

    /// A dataset with a name and, when known, its modality; nothing else.
    pub fn of(name: impl Into<String>, modality: Option<Modality>) -> Dataset {
        Dataset {
            name: name.into(),
            modality,
            ..Dataset::default()
        }
    }
}

/// One fine-tuning run of a model on a dataset.
///
/// The model and dataset are keys of type `K`: positions in a [`Zoo`] (the default), or names
/// where no zoo has numbered them yet (the store takes records keyed by name).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record<K = ModelIdx> {
    /// The fine-tuned model.
    pub model: K,
    /// The dataset it was fine-tuned on.
    pub dataset: K,
    /// Evaluation accuracy (or the dataset's metric; may be negative, e.g. Matthews
    /// correlation).
    pub accuracy: f64,
    /// Learning rate, when recorded.
    pub learning_rate: Option<f64>,
    /// Epochs, when recorded.
    pub epochs: Option<f64>,
    /// Batch size, when recorded.
    pub batch_size: Option<f64>,
    /// Training time in seconds, when recorded.
    pub train_runtime: Option<f64>,
    /// Parameter-efficient fine-tuning method (e.g. `lora`); `None` for full fine-tuning.
    pub peft_method: Option<String>,
    /// Per-epoch validation accuracy, when recorded.
    pub curve: Option<Vec<f64>>,
}

impl<K> Record<K> {
    /// A full fine-tuning record with only the accuracy known.
    pub fn new(model: K, dataset: K, accuracy: f64) -> Record<K> {
        Record {
            model,
            dataset,
            accuracy,
            learning_rate: None,
            epochs: None,
            batch_size: None,
            train_runtime: None,
            peft_method: None,
            curve: None,
        }
    }
}

/// A feature-based transferability score of a model on a dataset, keyed like [`Record`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRecord<K = ModelIdx> {
    /// The scored model.
    pub model: K,
    /// The target dataset.
    pub dataset: K,
    /// Stable method id, e.g. `logme`, `reg-h-score`, `leep`.
    pub method: String,
    /// Score value; higher means better expected transfer.
    pub value: f64,
    /// Seconds it took to compute (forward pass + score), when known.
    pub runtime: Option<f64>,
}

/// A distance between two datasets' embeddings (smaller = more similar), keyed like
/// [`Record`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distance<K = DatasetIdx> {
    /// First dataset.
    pub a: K,
    /// Second dataset.
    pub b: K,
    /// How the distance was computed, e.g. `domain-similarity:google/vit-base-patch16-224`.
    pub method: String,
    /// The distance.
    pub value: f64,
}

/// A read-only snapshot of a zoo.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Zoo {
    /// All models; [`ModelIdx`] indexes this.
    pub models: Vec<Model>,
    /// All datasets; [`DatasetIdx`] indexes this.
    pub datasets: Vec<Dataset>,
    /// Fine-tuning records.
    pub records: Vec<Record>,
    /// Feature-based scores.
    pub scores: Vec<ScoreRecord>,
    /// Dataset distances (each unordered pair stored once or twice; use
    /// [`Zoo::distance_matrix`] for a symmetric view).
    pub distances: Vec<Distance>,
}

impl Zoo {
    /// A zoo of the models and datasets named (in that order, nothing else known about them)
    /// and no results yet: the start of a zoo built by hand.
    ///
    /// ```
    /// let zoo = zoorank_core::Zoo::from_names(["vit", "resnet"], ["cifar10"]);
    /// assert_eq!((zoo.models.len(), zoo.datasets[0].name.as_str()), (2, "cifar10"));
    /// ```
    pub fn from_names<M: Into<String>, D: Into<String>>(
        models: impl IntoIterator<Item = M>,
        datasets: impl IntoIterator<Item = D>,
    ) -> Zoo {
        Zoo {
            models: models.into_iter().map(Model::named).collect(),
            datasets: datasets.into_iter().map(Dataset::named).collect(),
            ..Zoo::default()
        }
    }

    /// Appends a model and returns its index.
    pub fn add_model(&mut self, model: Model) -> ModelIdx {
        self.models.push(model);
        self.models.len() - 1
    }

    /// Appends a dataset and returns its index.
    pub fn add_dataset(&mut self, dataset: Dataset) -> DatasetIdx {
        self.datasets.push(dataset);
        self.datasets.len() - 1
    }

    /// Index of the model called `name`.
    pub fn model_index(&self, name: &str) -> Option<ModelIdx> {
        self.models.iter().position(|m| m.name == name)
    }

    /// Index of the dataset called `name`.
    pub fn dataset_index(&self, name: &str) -> Option<DatasetIdx> {
        self.datasets.iter().position(|d| d.name == name)
    }

    /// Ground truth of a target: for every model with at least one record on `dataset`, the
    /// **maximum** accuracy over its records (PEFT records only when `include_peft`), sorted by
    /// model index. This is the evaluation protocol's T(m, t).
    pub fn ground_truth(&self, dataset: DatasetIdx, include_peft: bool) -> Vec<(ModelIdx, f64)> {
        let mut best: HashMap<ModelIdx, f64> = HashMap::new();
        for r in &self.records {
            if r.dataset != dataset || (!include_peft && r.peft_method.is_some()) {
                continue;
            }
            if !r.accuracy.is_finite() {
                continue;
            }
            best.entry(r.model)
                .and_modify(|v| *v = v.max(r.accuracy))
                .or_insert(r.accuracy);
        }
        let mut out: Vec<(ModelIdx, f64)> = best.into_iter().collect();
        out.sort_by_key(|&(m, _)| m);
        out
    }

    /// Datasets that have at least one record (full fine-tuning unless `include_peft`), in
    /// index order.
    pub fn datasets_with_records(&self, include_peft: bool) -> Vec<DatasetIdx> {
        let mut seen = vec![false; self.datasets.len()];
        for r in &self.records {
            if include_peft || r.peft_method.is_none() {
                seen[r.dataset] = true;
            }
        }
        (0..self.datasets.len()).filter(|&d| seen[d]).collect()
    }

    /// Stored score `method` of (model, dataset), if any.
    pub fn score(&self, model: ModelIdx, dataset: DatasetIdx, method: &str) -> Option<f64> {
        self.scores
            .iter()
            .find(|s| s.model == model && s.dataset == dataset && s.method == method)
            .map(|s| s.value)
    }

    /// Distinct score method ids present, sorted.
    pub fn score_methods(&self) -> Vec<String> {
        let mut v: Vec<String> = self.scores.iter().map(|s| s.method.clone()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// Distinct distance method ids present, sorted.
    pub fn distance_methods(&self) -> Vec<String> {
        let mut v: Vec<String> = self.distances.iter().map(|s| s.method.clone()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// Symmetric `datasets × datasets` matrix of distances of one method (`None` where
    /// unknown; `Some(0.0)` on the diagonal of datasets that have any distance).
    pub fn distance_matrix(&self, method: &str) -> Vec<Vec<Option<f64>>> {
        let n = self.datasets.len();
        let mut m = vec![vec![None; n]; n];
        for d in self.distances.iter().filter(|d| d.method == method) {
            m[d.a][d.b] = Some(d.value);
            m[d.b][d.a] = Some(d.value);
            m[d.a][d.a] = Some(0.0);
            m[d.b][d.b] = Some(0.0);
        }
        m
    }

    /// Best full fine-tuning (non-PEFT, finite) accuracy per dataset and model:
    /// `best[d][m]`, `None` where `m` has no such record on `d`. The protocol's ground truth of
    /// every dataset at once, and the history every learned ranker starts from.
    pub fn best_accuracies(&self) -> Vec<Vec<Option<f64>>> {
        let (nd, nm) = (self.datasets.len(), self.models.len());
        let mut best = vec![vec![None; nm]; nd];
        for r in &self.records {
            if r.peft_method.is_some()
                || !r.accuracy.is_finite()
                || r.model >= nm
                || r.dataset >= nd
            {
                continue;
            }
            let b: &mut Option<f64> = &mut best[r.dataset][r.model];
            *b = Some(b.map_or(r.accuracy, |v: f64| v.max(r.accuracy)));
        }
        best
    }

    /// Datasets whose fine-tuning history collapsed (see [`collapse`]), from
    /// [`Zoo::best_accuracies`].
    pub fn collapsed_datasets(&self) -> Vec<Collapse> {
        self.best_accuracies()
            .iter()
            .enumerate()
            .filter_map(|(d, row)| {
                let vals: Vec<f64> = row.iter().flatten().copied().collect();
                collapse(&vals).map(|mut c| {
                    c.dataset = d;
                    c
                })
            })
            .collect()
    }

    /// A copy of this zoo without any fine-tuning record on `dataset`: what a predictor may
    /// see when `dataset` is the held-out target. Metadata, distances and feature-based scores
    /// of `dataset` stay: they are computed from the target's data, not from fine-tuning on it,
    /// and the protocol allows them.
    pub fn without_target_history(&self, dataset: DatasetIdx) -> Zoo {
        let mut z = self.clone();
        z.records.retain(|r| r.dataset != dataset);
        z
    }

    /// This zoo with only the datasets `keep`, in that order (dataset `keep[i]` becomes `i`);
    /// records, scores and distances of other datasets are dropped, the rest re-indexed.
    /// Models keep their indices, so graph node ids of models do not move.
    pub fn with_datasets(&self, keep: &[DatasetIdx]) -> Zoo {
        let mut map = vec![None; self.datasets.len()];
        for (i, &d) in keep.iter().enumerate() {
            map[d] = Some(i);
        }
        let mut z = self.clone();
        z.datasets = keep.iter().map(|&d| self.datasets[d].clone()).collect();
        z.records = reindexed(&self.records, |r| {
            r.dataset = map[r.dataset]?;
            Some(())
        });
        z.scores = reindexed(&self.scores, |s| {
            s.dataset = map[s.dataset]?;
            Some(())
        });
        z.distances = reindexed(&self.distances, |x| {
            (x.a, x.b) = (map[x.a]?, map[x.b]?);
            Some(())
        });
        z
    }

    /// This zoo with dataset `t` moved to the last index (records, scores and distances
    /// re-indexed; models keep their indices), so that the zoo without it keeps every other
    /// index. Unchanged when `t` is out of range.
    pub fn with_target_last(&self, t: DatasetIdx) -> Zoo {
        if t >= self.datasets.len() {
            return self.clone();
        }
        let order: Vec<DatasetIdx> = (0..self.datasets.len())
            .filter(|&d| d != t)
            .chain([t])
            .collect();
        self.with_datasets(&order)
    }

    /// This zoo without its last dataset and the records, scores and distances that refer to
    /// it.
    pub fn without_last_dataset(&self) -> Zoo {
        let keep: Vec<DatasetIdx> = (0..self.datasets.len().saturating_sub(1)).collect();
        self.with_datasets(&keep)
    }

    /// Datasets that nothing but distances ties to the models: no fine-tuning record, no
    /// stored score, and no model names them as its source dataset. They carry no evidence
    /// about any model; leaving them out of the graph an embedder is trained on makes that
    /// graph the same for every new dataset added to a zoo (each one is inert until it gets
    /// records).
    pub fn inert_datasets(&self) -> Vec<DatasetIdx> {
        let mut tied = vec![false; self.datasets.len()];
        for r in &self.records {
            tied[r.dataset] = true;
        }
        for s in &self.scores {
            tied[s.dataset] = true;
        }
        for m in &self.models {
            if let Some(d) = m
                .source_dataset
                .as_deref()
                .and_then(|n| self.dataset_index(n))
            {
                tied[d] = true;
            }
        }
        (0..self.datasets.len()).filter(|&d| !tied[d]).collect()
    }
}

/// A dataset whose runs mostly ended at one identical lowest accuracy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Collapse {
    /// The dataset ([`Zoo::collapsed_datasets`] fills it in; [`collapse`] leaves 0).
    pub dataset: DatasetIdx,
    /// Models with a result on it.
    pub runs: usize,
    /// Models whose best result is the shared lowest value.
    pub collapsed: usize,
    /// That value (typically the frequency of the majority class: chance).
    pub value: f64,
}

/// Whether one dataset's best accuracies (one per model) **collapsed**: at least
/// [`COLLAPSE_MIN_RUNS`] values and at least three quarters of them equal to the minimum (within
/// 10⁻⁶ + 10⁻⁴ · range). A fine-tuning run that diverges, or never leaves predicting one
/// class, ends at the same chance-level accuracy whatever the model; when most of a dataset's
/// runs did, the dataset says nothing about which model transfers better (in the image zoo,
/// 110 of food101's 112 models sit at 0.0099 = 1/101), and treating its ties as a ranking
/// would drag every model's history toward the few runs that worked. The rule is fixed a
/// priori (three quarters of the runs), not fitted on any target; half is too few: a dataset
/// where half of the models share the bottom score and the rest are ranked still ranks.
pub fn collapse(values: &[f64]) -> Option<Collapse> {
    if values.len() < COLLAPSE_MIN_RUNS {
        return None;
    }
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let tol = 1e-6 + 1e-4 * (hi - lo);
    let at_min = values.iter().filter(|&&v| v - lo <= tol).count();
    (4 * at_min >= 3 * values.len()).then_some(Collapse {
        dataset: 0,
        runs: values.len(),
        collapsed: at_min,
        value: lo,
    })
}

/// Copies of the `items` that `reindex` can move to their new indices (it returns `None` for
/// an item that refers to something dropped), in order.
fn reindexed<T: Clone>(items: &[T], reindex: impl Fn(&mut T) -> Option<()>) -> Vec<T> {
    items
        .iter()
        .filter_map(|x| {
            let mut x = x.clone();
            reindex(&mut x)?;
            Some(x)
        })
        .collect()
}

/// Fewest results on a dataset for [`collapse`] to judge it.
pub const COLLAPSE_MIN_RUNS: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    /// Datasets a, b, c, n (n: distances only); 3 models with records on a..c, model 2's
    /// source is c, a score on b.
    fn small() -> Zoo {
        let mut z = Zoo::from_names(["m0", "m1", "m2"], ["a", "b", "c", "n"]);
        z.models[2].source_dataset = Some("c".into());
        for d in 0..2 {
            for m in 0..3 {
                z.records
                    .push(Record::new(m, d, 0.5 + 0.1 * m as f64 + 0.01 * d as f64));
            }
        }
        z.scores.push(ScoreRecord {
            model: 0,
            dataset: 1,
            method: "logme".into(),
            value: 1.5,
            runtime: None,
        });
        for (a, b) in [(0, 1), (1, 2), (2, 3), (0, 3)] {
            z.distances.push(Distance {
                a,
                b,
                method: "ds".into(),
                value: (a + b) as f64,
            });
        }
        z
    }

    #[test]
    fn with_datasets_reindexes_and_drops() {
        let z = small();
        let w = z.with_datasets(&[3, 1]);
        assert_eq!(w.datasets.len(), 2);
        assert_eq!(w.datasets[0].name, "n");
        assert_eq!(w.ground_truth(1, false), z.ground_truth(1, false));
        assert!(w.records.iter().all(|r| r.dataset == 1));
        assert_eq!(w.scores.len(), 1);
        assert_eq!(w.scores[0].dataset, 1);
        // No distance links n and b: nothing survives.
        assert!(w.distances.is_empty());
        let w = z.with_datasets(&[3, 0]);
        assert_eq!(w.distances.len(), 1);
        assert_eq!(
            (w.distances[0].a, w.distances[0].b, w.distances[0].value),
            (1, 0, 3.0)
        );
        assert_eq!(w.models.len(), 3);
    }

    #[test]
    fn moving_the_target_last_keeps_the_zoo_and_dropping_it_removes_it() {
        let z = small();
        let moved = z.with_target_last(1);
        assert_eq!(moved.datasets.len(), 4);
        assert_eq!(moved.datasets[3].name, "b");
        assert_eq!(moved.datasets[1].name, "c");
        assert_eq!(moved.ground_truth(3, false), z.ground_truth(1, false));
        assert_eq!(moved.ground_truth(0, false), z.ground_truth(0, false));
        let d = |z: &Zoo, a: &str, b: &str| {
            let (a, b) = (z.dataset_index(a).unwrap(), z.dataset_index(b).unwrap());
            z.distances
                .iter()
                .find(|x| (x.a, x.b) == (a, b) || (x.a, x.b) == (b, a))
                .map(|x| x.value)
        };
        assert_eq!(d(&moved, "b", "c"), d(&z, "b", "c"));
        let dropped = moved.without_last_dataset();
        assert_eq!(dropped.datasets.len(), 3);
        assert!(dropped.dataset_index("b").is_none());
        assert!(dropped.records.iter().all(|r| r.dataset < 3));
        assert!(dropped.scores.is_empty());
        assert!(dropped.distances.iter().all(|x| x.a < 3 && x.b < 3));
        assert_eq!(z.with_target_last(99), z);
        assert_eq!(Zoo::default().without_last_dataset(), Zoo::default());
    }

    #[test]
    fn inert_datasets_have_no_record_score_or_source_link() {
        let mut z = small();
        assert_eq!(z.inert_datasets(), [3], "c is model 2's source");
        z.models[2].source_dataset = None;
        assert_eq!(z.inert_datasets(), [2, 3]);
    }

    #[test]
    fn collapse_needs_three_quarters_of_the_runs_at_one_lowest_value() {
        assert_eq!(
            collapse(&[0.01, 0.01, 0.01, 0.6]).map(|c| c.collapsed),
            Some(3)
        );
        assert!(
            collapse(&[0.01, 0.01, 0.5, 0.6]).is_none(),
            "half is not enough"
        );
        assert!(collapse(&[0.01, 0.01, 0.01, 0.6, 0.7]).is_none());
        assert!(
            collapse(&[0.01, 0.01, 0.01]).is_none(),
            "too few runs to judge"
        );
        let c = collapse(&[0.0099, 0.0099, 0.00990001, 0.65, 0.0099]).unwrap();
        assert_eq!((c.runs, c.collapsed, c.value), (5, 4, 0.0099));
        // Every run equal (a constant column) is a collapse too: no ranking in it.
        assert!(collapse(&[0.3; 6]).is_some());
    }

    #[test]
    fn collapsed_datasets_reads_best_non_peft_accuracies() {
        let mut zoo = Zoo::default();
        let a = zoo.add_dataset(Dataset::named("a"));
        let b = zoo.add_dataset(Dataset::named("b"));
        for i in 0..6 {
            let m = zoo.add_model(Model::named(format!("m{i}")));
            zoo.records.push(Record::new(m, a, 0.1 * i as f64));
            // b: a failed run and a good one per model; the best counts.
            zoo.records.push(Record::new(m, b, 0.01));
            let mut lora = Record::new(m, b, 0.9);
            lora.peft_method = Some("lora".into());
            zoo.records.push(lora);
            if i < 1 {
                zoo.records.push(Record::new(m, b, 0.5 + 0.1 * i as f64));
            }
        }
        let c = zoo.collapsed_datasets();
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].dataset, c[0].runs, c[0].collapsed), (b, 6, 5));
        assert_eq!(zoo.best_accuracies()[b][0], Some(0.5));
    }

    #[test]
    fn ground_truth_takes_the_maximum_and_skips_peft() {
        let mut zoo = Zoo::default();
        let m = zoo.add_model(Model::named("m"));
        let d = zoo.add_dataset(Dataset::named("d"));
        zoo.records.push(Record::new(m, d, 0.5));
        zoo.records.push(Record::new(m, d, 0.7));
        let mut lora = Record::new(m, d, 0.9);
        lora.peft_method = Some("lora".into());
        zoo.records.push(lora);
        assert_eq!(zoo.ground_truth(d, false), vec![(m, 0.7)]);
        assert_eq!(zoo.ground_truth(d, true), vec![(m, 0.9)]);
    }

    #[test]
    fn without_target_history_removes_only_that_target() {
        let mut zoo = Zoo::default();
        let m = zoo.add_model(Model::named("m"));
        let a = zoo.add_dataset(Dataset::named("a"));
        let b = zoo.add_dataset(Dataset::named("b"));
        zoo.records.push(Record::new(m, a, 0.5));
        zoo.records.push(Record::new(m, b, 0.6));
        let held = zoo.without_target_history(a);
        assert_eq!(held.records.len(), 1);
        assert_eq!(held.records[0].dataset, b);
        assert_eq!(held.datasets.len(), 2);
    }
}
