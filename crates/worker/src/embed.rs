//! Jobs that run a model without scoring: `embed` fills the store's feature cache ahead of
//! scoring (one job per model and dataset), and `dataset-add` registers a dataset by its
//! probe embedding with its distances to the datasets already embedded by that probe (what
//! `zoorank dataset add` does, one job per dataset).

use crate::job::{cache_name, extract, per_model_dir, ExtractSpec};
use crate::WorkerError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use zoorank_core::{BlobCache, Modality};
use zoorank_features::{domain, Dataset};
use zoorank_store::{DatasetRow, EmbeddedDataset, NewJob};

/// The kind of a feature-extraction job.
pub const EMBED: &str = "embed";
/// The kind of a dataset-registration job.
pub const DATASET_ADD: &str = "dataset-add";

/// One `embed` job: the forward pass of one model over one dataset, kept in the store's
/// feature cache for later scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbedSpec {
    /// The model's name (its directory's name).
    pub model: String,
    /// The model directory, as the workers see it.
    pub model_dir: PathBuf,
    /// The dataset's name.
    pub dataset: String,
    /// The dataset, as the workers see it.
    pub dataset_path: PathBuf,
    /// How to read and run.
    #[serde(default)]
    pub extract: ExtractSpec,
}

/// What a finished `embed` job reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbedSummary {
    /// Model.
    pub model: String,
    /// Dataset.
    pub dataset: String,
    /// `hit` (already cached), `miss` (computed and cached) or `skipped` (the model cannot
    /// read the dataset's modality).
    pub cache: &'static str,
    /// Samples embedded.
    pub samples: usize,
    /// Feature dimension.
    pub feature_dim: usize,
    /// Seconds of the forward pass (or cache read).
    pub seconds: f64,
}

impl EmbedSpec {
    /// The job's key: the same work submitted twice is one job.
    pub fn key(&self) -> String {
        format!("embed|{}|{}", self.model_dir.display(), self.dataset)
    }

    /// As a job to submit.
    pub fn to_job(&self) -> NewJob {
        to_job(EMBED, self.key(), self)
    }
}

/// One `dataset-add` job: the probe's mean feature over the dataset, then the dataset's row,
/// embedding and distances, written with the job's done mark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetAddSpec {
    /// The dataset's name in the store.
    pub dataset: String,
    /// The dataset, as the workers see it.
    pub dataset_path: PathBuf,
    /// The probe model directory, as the workers see it.
    pub probe_dir: PathBuf,
    /// The probe's name in the distance method id (`domain-similarity:<probe>`).
    pub probe: String,
    /// How to read and run.
    #[serde(default)]
    pub extract: ExtractSpec,
}

/// What a finished `dataset-add` job reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetAddSummary {
    /// Dataset.
    pub dataset: String,
    /// The embedding's and the distances' method id.
    pub method: String,
    /// Samples.
    pub num_samples: usize,
    /// Classes.
    pub num_classes: usize,
    /// Feature cache outcome of the probe's forward pass.
    pub cache: &'static str,
    /// Distances to the other datasets embedded by the probe, nearest first.
    pub distances: Vec<(String, f64)>,
}

impl DatasetAddSpec {
    /// The job's key: one registration per dataset and probe.
    pub fn key(&self) -> String {
        format!("dataset-add|{}|{}", self.dataset, self.probe)
    }

    /// As a job to submit.
    pub fn to_job(&self) -> NewJob {
        to_job(DATASET_ADD, self.key(), self)
    }
}

fn to_job<T: Serialize>(kind: &str, key: String, spec: &T) -> NewJob {
    NewJob {
        kind: kind.into(),
        key,
        spec: serde_json::to_string(spec).expect("a job spec always serialises"),
    }
}

/// The `embed` jobs of every model directory under `models` on one dataset. They exist to
/// fill the feature cache, so a spec without the cache is refused.
pub fn embed_zoo_jobs(
    models: &Path,
    dataset: &str,
    dataset_path: &Path,
    extract: &ExtractSpec,
) -> Result<Vec<EmbedSpec>, WorkerError> {
    if !extract.cache {
        return Err(WorkerError::Zoo(
            "embed jobs only fill the store's feature cache: they cannot run without it".into(),
        ));
    }
    per_model_dir(
        models,
        dataset_path,
        extract,
        |model, model_dir, dataset_path| EmbedSpec {
            model,
            model_dir,
            dataset: dataset.to_string(),
            dataset_path,
            extract: extract.clone(),
        },
    )
}

/// Runs one `embed` job: the forward pass, through the feature cache.
pub fn run_embed_job(
    spec: &EmbedSpec,
    cache: &mut dyn BlobCache,
) -> Result<EmbedSummary, WorkerError> {
    let dataset = Dataset::open(&spec.dataset_path, &spec.extract.dataset_options())?;
    let ran = extract(
        &spec.model_dir,
        &dataset,
        &spec.extract,
        Some(cache),
        || spec.key(),
        EMBED,
    )?;
    let (cache, samples, feature_dim, seconds) = match &ran {
        Some((fs, outcome, secs)) => (
            cache_name(*outcome),
            fs.extracted.n,
            fs.extracted.dim,
            *secs,
        ),
        None => ("skipped", 0, 0, 0.0),
    };
    Ok(EmbedSummary {
        model: spec.model.clone(),
        dataset: spec.dataset.clone(),
        cache,
        samples,
        feature_dim,
        seconds,
    })
}

/// Runs the forward pass of one `dataset-add` job and returns what to register (written by
/// the worker with the job's done mark, [`zoorank_store::Store::finish_dataset_job`]) and the
/// summary without its distances.
pub fn run_dataset_add_job(
    spec: &DatasetAddSpec,
    cache: Option<&mut dyn BlobCache>,
) -> Result<(EmbeddedDataset, DatasetAddSummary), WorkerError> {
    let dataset = Dataset::open(&spec.dataset_path, &spec.extract.dataset_options())?;
    let modality = match dataset.input_kind() {
        "image" => Some(Modality::Image),
        "text" => Some(Modality::Text),
        _ => None,
    };
    let (fs, outcome, _) = extract(
        &spec.probe_dir,
        &dataset,
        &spec.extract,
        cache,
        || spec.key(),
        DATASET_ADD,
    )?
    .ok_or_else(|| WorkerError::BadSpec {
        key: spec.key(),
        kind: DATASET_ADD.into(),
        message: format!(
            "the probe {} cannot read {} (another modality)",
            spec.probe_dir.display(),
            spec.dataset_path.display()
        ),
    })?;
    let embedding = domain::dataset_embedding(&fs.extracted)?;
    let method = domain::method_id(&spec.probe);
    let row = DatasetRow {
        name: spec.dataset.clone(),
        modality,
        num_samples: Some(dataset.len() as f64),
        num_classes: Some(dataset.num_classes() as f64),
    };
    let summary = DatasetAddSummary {
        dataset: spec.dataset.clone(),
        method: method.clone(),
        num_samples: dataset.len(),
        num_classes: dataset.num_classes(),
        cache: cache_name(outcome),
        distances: Vec::new(),
    };
    Ok((
        EmbeddedDataset {
            row,
            method,
            embedding,
        },
        summary,
    ))
}

/// The distance of two dataset embeddings, as the store's registration takes it.
pub fn embedding_distance(a: &[f32], b: &[f32]) -> Result<f64, String> {
    domain::distance(a, b).map_err(|e| e.to_string())
}
