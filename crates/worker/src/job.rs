//! Scoring jobs: what one job holds, how a zoo directory becomes jobs, and how a job runs.

use crate::WorkerError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;
use zoorank_core::BlobCache;
use zoorank_features::{
    extract_cached, CacheOutcome, Dataset, DatasetOptions, ExtractOptions, FeatureSet,
    FeaturesError, Layers, LoadOptions, ModelDir, Pooling, TextOptions, TokenizerSource,
};
use zoorank_scores::{Matrix, Needs, ScoreInput};
use zoorank_store::{Batch, NewJob, ScoreRow};

/// The kind of a scoring job.
pub const SCORE: &str = "score";

/// How a job reads its dataset and runs its model (the `embed` / `score-zoo` options).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExtractSpec {
    /// Samples per forward pass.
    pub batch_size: usize,
    /// Use at most this many samples (seeded, stratified by label).
    pub max_samples: Option<usize>,
    /// Seed of the sampling.
    pub seed: u64,
    /// Label column of CSV / JSON-lines datasets.
    pub label_column: String,
    /// Text column of CSV / JSON-lines datasets (default: the reader's choice).
    pub text_column: Option<String>,
    /// Second text column of sentence-pair datasets (default: the reader's choice).
    pub text_pair_column: Option<String>,
    /// Tokenizer file of text models: `auto`, `json` or `vocab`.
    pub tokenizer: String,
    /// Pooling of text models (`mean`, `max`, `cls`, `pooler`; default: as the model says).
    pub pooling: Option<String>,
    /// Which hidden layers the features come from: `last`, `mean` or `best` ([`Layers`]).
    pub layers: String,
    /// Read and write the feature cache in the store.
    pub cache: bool,
}

impl Default for ExtractSpec {
    fn default() -> Self {
        // Batch size, sample cap and seed as the features crate's extraction defaults them.
        let extraction = ExtractOptions::default();
        ExtractSpec {
            batch_size: extraction.batch_size,
            max_samples: extraction.max_samples,
            seed: extraction.seed,
            label_column: "label".into(),
            text_column: None,
            text_pair_column: None,
            tokenizer: "auto".into(),
            pooling: None,
            layers: Layers::Last.id().into(),
            cache: true,
        }
    }
}

impl ExtractSpec {
    /// The features crate's extraction options (no progress bar: workers log per job).
    pub fn extract_options(&self) -> ExtractOptions {
        ExtractOptions {
            batch_size: self.batch_size,
            max_samples: self.max_samples,
            seed: self.seed,
            progress: false,
        }
    }

    /// The features crate's model-loading options; an unknown name is an error naming it.
    pub fn load_options(&self) -> Result<LoadOptions, String> {
        let tokenizer = match self.tokenizer.as_str() {
            "auto" => TokenizerSource::Auto,
            "json" => TokenizerSource::TokenizerJson,
            "vocab" => TokenizerSource::VocabTxt,
            t => return Err(format!("unknown tokenizer '{t}' (auto, json or vocab)")),
        };
        let pooling = match self.pooling.as_deref() {
            None => None,
            Some("mean") => Some(Pooling::Mean),
            Some("max") => Some(Pooling::Max),
            Some("cls") => Some(Pooling::Cls),
            Some("pooler") => Some(Pooling::Pooler),
            Some(p) => return Err(format!("unknown pooling '{p}' (mean, max, cls or pooler)")),
        };
        Ok(LoadOptions {
            text: TextOptions {
                tokenizer,
                pooling,
                max_length: None,
            },
            layers: self.layers.parse().map_err(|e| format!("{e}"))?,
        })
    }

    /// The dataset reader's options.
    pub fn dataset_options(&self) -> DatasetOptions {
        DatasetOptions {
            label_column: Some(self.label_column.clone()),
            text_column: self.text_column.clone(),
            text_pair_column: self.text_pair_column.clone(),
        }
    }
}

/// One scoring job: every requested score of one model on one dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreSpec {
    /// The model's name in the store (its directory's name).
    pub model: String,
    /// The model directory (Hugging Face layout), as the workers see it.
    pub model_dir: PathBuf,
    /// The dataset's name in the store.
    pub dataset: String,
    /// The dataset, as the workers see it.
    pub dataset_path: PathBuf,
    /// Canonical score method ids.
    pub methods: Vec<String>,
    /// How to read and run.
    #[serde(default)]
    pub extract: ExtractSpec,
}

impl ScoreSpec {
    /// The job's key: the same work submitted twice is one job. A layer choice other than
    /// `last` is part of it (`last` keeps the key it had before layers could be chosen).
    pub fn key(&self) -> String {
        let layers = match self.extract.layers.as_str() {
            "last" => String::new(),
            other => format!("|layers={other}"),
        };
        format!(
            "score|{}|{}|{}{layers}",
            self.model_dir.display(),
            self.dataset,
            self.methods.join(",")
        )
    }

    /// As a job to submit.
    pub fn to_job(&self) -> NewJob {
        NewJob {
            kind: SCORE.into(),
            key: self.key(),
            spec: serde_json::to_string(self).expect("a ScoreSpec always serialises"),
        }
    }
}

/// The jobs that score every model directory under `models` (sub-directories with a
/// `config.json`, by name) on one dataset. Method ids are checked and made canonical here,
/// so a typo fails at submission, not on every worker.
pub fn score_zoo_jobs(
    models: &Path,
    dataset: &str,
    dataset_path: &Path,
    methods: &[String],
    extract: &ExtractSpec,
) -> Result<Vec<ScoreSpec>, WorkerError> {
    let methods: Vec<String> = methods
        .iter()
        .map(|m| zoorank_scores::canonical_id(m).map(str::to_string))
        .collect::<Result<_, _>>()?;
    per_model_dir(
        models,
        dataset_path,
        extract,
        |model, model_dir, dataset_path| ScoreSpec {
            model,
            model_dir,
            dataset: dataset.to_string(),
            dataset_path,
            methods: methods.clone(),
            extract: extract.clone(),
        },
    )
}

/// One job spec per model directory under `models` ([`model_dirs`]), made by `spec` from the
/// model's name, its directory and the dataset's absolute path. `extract` is checked first, so
/// options that cannot load fail at submission, not on every worker.
pub(crate) fn per_model_dir<T>(
    models: &Path,
    dataset_path: &Path,
    extract: &ExtractSpec,
    spec: impl Fn(String, PathBuf, PathBuf) -> T,
) -> Result<Vec<T>, WorkerError> {
    extract.load_options().map_err(WorkerError::Zoo)?;
    let dataset_path =
        std::path::absolute(dataset_path).unwrap_or_else(|_| dataset_path.to_path_buf());
    Ok(model_dirs(models)?
        .into_iter()
        .map(|(model, model_dir)| spec(model, model_dir, dataset_path.clone()))
        .collect())
}

/// The model directories under `models` (sub-directories with a `config.json`) as (name,
/// absolute path), by name; an error when there are none.
fn model_dirs(models: &Path) -> Result<Vec<(String, PathBuf)>, WorkerError> {
    let list = std::fs::read_dir(models)
        .map_err(|e| WorkerError::Zoo(format!("cannot list {}: {e}", models.display())))?;
    let mut out = Vec::new();
    for e in list {
        let p = e
            .map_err(|e| WorkerError::Zoo(format!("cannot list {}: {e}", models.display())))?
            .path();
        if !p.join("config.json").is_file() {
            continue;
        }
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((name, std::path::absolute(&p).unwrap_or(p)));
    }
    if out.is_empty() {
        return Err(WorkerError::Zoo(format!(
            "{} has no model directories (sub-directories with a config.json)",
            models.display()
        )));
    }
    out.sort();
    Ok(out)
}

/// One method's outcome on one feature set: the score, or why it could not be computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodOutcome {
    /// Method id.
    pub method: String,
    /// The score, or why there is none.
    pub value: Result<f64, String>,
    /// Seconds the score took (over every layer when layers were compared).
    pub seconds: f64,
    /// When the feature set holds every layer's features ([`Layers::Best`]): the layer,
    /// counted from 1, whose features scored best.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
}

/// The method name scores are stored under: the method id for the last layer's features,
/// `<id>@mean` or `<id>@best` for the other layer choices, so they never overwrite each other.
pub fn stored_method(id: &str, layers: Layers) -> String {
    match layers {
        Layers::Last => id.to_string(),
        other => format!("{id}@{other}"),
    }
}

/// Computes the requested scores on one feature set. A method that needs the model's
/// classifier probabilities is not computed for a model without a head. When the set holds
/// every layer's features (extracted with [`Layers::Best`]) each feature method scores every
/// layer and keeps the best ([`zoorank_features::best_layer`]), reporting which; methods that
/// read only the head's probabilities score once.
pub fn score_features(
    fs: &FeatureSet,
    methods: &[String],
) -> Result<Vec<MethodOutcome>, WorkerError> {
    let e = &fs.extracted;
    let p: Vec<f64> = e.probabilities.iter().map(|&v| v as f64).collect();
    let y: Vec<i64> = fs.labels.iter().map(|&l| l as i64).collect();
    let to_f64 = |v: &[f32]| -> Vec<f64> { v.iter().map(|&v| v as f64).collect() };
    // The feature matrices to score: the features alone, or every layer's.
    let layers: Vec<Vec<f64>> = if e.layers.is_empty() {
        vec![to_f64(&e.features)]
    } else {
        e.layers.iter().map(|l| to_f64(l)).collect()
    };
    let mut out = Vec::new();
    for m in methods {
        let method = zoorank_scores::by_id(m)?;
        let started = Instant::now();
        let per_layer = if method.needs() == Needs::SourceProbs {
            1
        } else {
            layers.len()
        };
        let mut values = Vec::with_capacity(per_layer);
        for x in &layers[layers.len() - per_layer..] {
            let feats = Matrix::new(x, e.n, e.dim)?;
            let input = if e.num_classes > 0 {
                ScoreInput::features(feats, &y).with_source_probs(Matrix::new(
                    &p,
                    e.n,
                    e.num_classes,
                )?)
            } else {
                ScoreInput::features(feats, &y)
            };
            values.push(
                if method.needs() == Needs::SourceProbs && e.num_classes == 0 {
                    Err("the model has no classifier head".to_string())
                } else {
                    method.score(&input).map_err(|err| err.to_string())
                },
            );
        }
        let (value, layer) = if e.layers.is_empty() || per_layer == 1 {
            (
                values.pop().unwrap_or_else(|| Err("no features".into())),
                None,
            )
        } else {
            pick_best(values)
        };
        out.push(MethodOutcome {
            method: method.id().to_string(),
            value,
            seconds: started.elapsed().as_secs_f64(),
            layer,
        });
    }
    Ok(out)
}

/// The best of per-layer outcomes with its layer counted from 1; when every layer failed,
/// the last layer's error.
fn pick_best(mut values: Vec<Result<f64, String>>) -> (Result<f64, String>, Option<usize>) {
    let scores: Vec<f64> = values
        .iter()
        .map(|v| v.as_ref().copied().unwrap_or(f64::NAN))
        .collect();
    match zoorank_features::best_layer(&scores) {
        Some(i) => (Ok(scores[i]), Some(i + 1)),
        None => (
            values.pop().unwrap_or_else(|| Err("no features".into())),
            None,
        ),
    }
}

/// What a finished scoring job reports (stored as the job's result).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreSummary {
    /// Model.
    pub model: String,
    /// Dataset.
    pub dataset: String,
    /// Feature cache: `hit`, `miss`, or `skipped` when the model cannot read the dataset.
    pub cache: &'static str,
    /// Seconds of the forward pass (or cache read).
    pub forward_seconds: f64,
    /// Each method's outcome.
    pub methods: Vec<MethodOutcome>,
}

/// Runs one scoring job: the forward pass (through `cache` when given), then each score.
/// Returns the scores to store and the job's summary. A model that cannot read the
/// dataset's modality (a text model on images) scores nothing and is not an error: a mixed
/// zoo is normal.
pub fn run_score_job(
    spec: &ScoreSpec,
    cache: Option<&mut dyn BlobCache>,
) -> Result<(Batch, ScoreSummary), WorkerError> {
    let dataset = Dataset::open(&spec.dataset_path, &spec.extract.dataset_options())?;
    let Some((fs, outcome, forward_seconds)) = extract(
        &spec.model_dir,
        &dataset,
        &spec.extract,
        cache,
        || spec.key(),
        SCORE,
    )?
    else {
        let summary = ScoreSummary {
            model: spec.model.clone(),
            dataset: spec.dataset.clone(),
            cache: "skipped",
            forward_seconds: 0.0,
            methods: Vec::new(),
        };
        return Ok((Batch::default(), summary));
    };
    let methods = score_features(&fs, &spec.methods)?;
    // `extract` has parsed the spec's options already.
    let layers = spec
        .extract
        .load_options()
        .map(|l| l.layers)
        .unwrap_or_default();
    let scores = methods
        .iter()
        .filter_map(|m| {
            m.value.as_ref().ok().map(|&value| ScoreRow {
                model: spec.model.clone(),
                dataset: spec.dataset.clone(),
                method: stored_method(&m.method, layers),
                value,
                runtime: Some(forward_seconds + m.seconds),
            })
        })
        .collect();
    let summary = ScoreSummary {
        model: spec.model.clone(),
        dataset: spec.dataset.clone(),
        cache: cache_name(outcome),
        forward_seconds,
        methods,
    };
    Ok((
        Batch {
            scores,
            ..Batch::default()
        },
        summary,
    ))
}

/// `hit` or `miss`, as summaries report a feature-cache outcome.
pub(crate) fn cache_name(outcome: CacheOutcome) -> &'static str {
    match outcome {
        CacheOutcome::Hit => "hit",
        CacheOutcome::Miss => "miss",
    }
}

/// The forward pass of a job: the model in `model_dir` over `dataset` (through `cache` when given and the spec allows), with the seconds it took. `None` when the
/// model cannot read the dataset's modality (a text model on images): a mixed zoo is normal.
/// `key` and `kind` name the job in a bad-spec error.
pub(crate) fn extract(
    model_dir: &Path,
    dataset: &Dataset,
    spec: &ExtractSpec,
    cache: Option<&mut dyn BlobCache>,
    key: impl Fn() -> String,
    kind: &str,
) -> Result<Option<(FeatureSet, CacheOutcome, f64)>, WorkerError> {
    let load = spec.load_options().map_err(|m| WorkerError::BadSpec {
        key: key(),
        kind: kind.into(),
        message: m,
    })?;
    let dir = ModelDir::open(model_dir)?;
    let started = Instant::now();
    let cache = cache.filter(|_| spec.cache);
    match extract_cached(&dir, &load, dataset, &spec.extract_options(), cache) {
        Ok((fs, outcome)) => Ok(Some((fs, outcome, started.elapsed().as_secs_f64()))),
        Err(FeaturesError::ModalityMismatch { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
