//! `zoorank score`: feature-based transferability scores of one model on one labelled data
//! set, in one of two exclusive modes.
//!
//! * **Extraction mode** (`--model DIR --dataset PATH`): runs the Hugging Face model directory
//!   over the local dataset (image class folders, a text CSV/JSON-lines table, `.npy`/`.npz`
//!   arrays) through the store's feature cache (a second run with the same model files, dataset
//!   file and sampling does no forward pass), takes the penultimate features and, when the
//!   checkpoint has a classifier head, its class probabilities (what LEEP and NCE read), then
//!   runs the requested methods. `--store` records the scores under the model directory's name
//!   and the dataset's name (file or directory name without extension, or `--name`).
//! * **Array mode** (`--labels` with `--features` and/or `--source-probs`): reads features
//!   `(n_samples, n_features)`, labels `(n_samples,)` and optionally the source model's class
//!   probabilities `(n_samples, n_source_classes)` from `.npy` (float32, float64 or integers),
//!   `.npz` (`FILE.npz` or `FILE.npz:NAME`) or CSV; here `--model`/`--dataset` are only the
//!   names `--store` records the scores under.
//!
//! Both print one value per method (or JSON) and with `--store` write them into the zoo store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use serde::Serialize;
use zoorank_features::{best_layer, CacheOutcome, Layers};
use zoorank_scores::io::{read_labels, read_matrix, Array2};
use zoorank_scores::{
    by_id, canonical_id, LogMe, Matrix, Needs, ScoreInput, TransferabilityScore, IDS,
};
use zoorank_store::ScoreRow;

use crate::cmd::dataset::default_name;
use crate::cmd::embed::{features_for, open_dataset, ScoredFeatureArgs};
use crate::cmd::import::open_store;
use crate::global::Global;
use crate::output;

/// `zoorank score` arguments.
///
/// Extraction mode: zoorank score --model models/all-MiniLM-L6-v2 --dataset reviews.csv --method logme --store
///
/// Array mode: zoorank score --features X.npy --labels y.npy --source-probs P.npy --method logme,hscore,leep,nce --json
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Extraction mode: the model directory (Hugging Face layout). Array mode (with --labels):
    /// the model name under which --store records the scores.
    #[arg(long, value_name = "DIR|NAME", required_unless_present = "labels")]
    pub model: Option<String>,
    /// Extraction mode: the dataset (image class folders, .csv/.tsv/.jsonl texts with a label
    /// column, .npy/.npz arrays). Array mode (with --labels): the dataset name under which
    /// --store records the scores.
    #[arg(long, value_name = "PATH|NAME", required_unless_present = "labels")]
    pub dataset: Option<String>,
    /// Array mode: target features of the model, (n_samples, n_features): .npy, .npz[:NAME] or .csv.
    #[arg(long, requires = "labels")]
    pub features: Option<PathBuf>,
    /// Array mode: target labels, (n_samples,) integers: .npy, .npz[:NAME] or .csv. Selects
    /// array mode; the extraction options (--max-samples, --batch-size, --name, ...) do not apply.
    #[arg(long, conflicts_with_all = [
        "name", "batch_size", "max_samples", "seed", "label_column", "text_column",
        "text_pair_column",
        "tokenizer", "pooling", "no_cache", "layers",
    ])]
    pub labels: Option<PathBuf>,
    /// Array mode: the model's source-class probabilities on the target samples,
    /// (n_samples, n_source_classes), rows summing to 1 (needed by leep and nce).
    #[arg(long, requires = "labels")]
    pub source_probs: Option<PathBuf>,
    /// Comma-separated method ids (case-insensitive, hyphens optional, e.g. logme,hscore,leep),
    /// or `all` for every method whose inputs are given. Ids: logme, h-score, reg-h-score, leep,
    /// nleep, nce, parc, gbc, transrate, sfda, lfc, knn, logistic, and logme-published (alias
    /// logme-11: LogME by the authors' 11-step fixed point; not part of `all`). In extraction
    /// mode leep and nce read the classifier head's probabilities, so the checkpoint must have
    /// a head.
    #[arg(long, default_value = "all")]
    pub method: String,
    /// Compute logme by the published fixed point (at most 11 steps, the authors' 1e-5
    /// guards), for parity with published tables: reported and stored as logme-published.
    /// By default LogME is the maximum of its evidence, which the fixed point has not reached
    /// after 11 steps when n < d.
    #[arg(long)]
    pub logme_published: bool,
    /// Print JSON. Array mode: an object keyed by method id, each value {"value": …, "seconds": …}.
    /// Extraction mode: {"model", "dataset", "samples", "feature_dim", "head_classes", "cache",
    /// "extract_seconds", "scores": <the same object>}.
    #[arg(long)]
    pub json: bool,
    /// Write the scores into the zoo store (array mode needs --model and --dataset as names).
    #[arg(long, requires_all = ["model", "dataset"])]
    pub store: bool,
    /// Extraction mode: the dataset's name for --store, the hidden layers and the extraction
    /// options.
    #[command(flatten)]
    pub extraction: ScoredFeatureArgs,
}

/// One method's result.
#[derive(Debug, Serialize)]
struct Scored {
    value: f64,
    seconds: f64,
    /// With `--layers best`: the layer (counted from 1) whose features scored best.
    #[serde(skip_serializing_if = "Option::is_none")]
    layer: Option<usize>,
}

/// The methods asked for, in the order of [`IDS`] for `all`, else as given (deduplicated);
/// `missing` says what a method lacks when its input is absent.
fn methods(
    spec: &str,
    logme_published: bool,
    have: impl Fn(Needs) -> bool,
    missing: impl Fn(&str, Needs) -> String,
) -> anyhow::Result<Vec<Box<dyn TransferabilityScore>>> {
    let by_id = |id: &str| -> Result<Box<dyn TransferabilityScore>, zoorank_scores::ScoreError> {
        if logme_published && canonical_id(id)? == "logme" {
            Ok(Box::new(LogMe::published()))
        } else {
            by_id(id)
        }
    };
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("all") {
        let chosen: Vec<_> = IDS
            .iter()
            .map(|id| by_id(id).expect("known id"))
            .filter(|m| have(m.needs()))
            .collect();
        if chosen.is_empty() {
            bail!("no method can run: give --features and/or --source-probs");
        }
        return Ok(chosen);
    }
    let mut seen = Vec::new();
    let mut chosen = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id = canonical_id(part)?;
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        let m = by_id(id)?;
        if !have(m.needs()) {
            bail!("{}", missing(id, m.needs()));
        }
        chosen.push(m);
    }
    if chosen.is_empty() {
        bail!("--method is empty");
    }
    Ok(chosen)
}

fn read_opt(path: &Option<PathBuf>, what: &str) -> anyhow::Result<Option<Array2>> {
    path.as_ref()
        .map(|p| read_matrix(p).with_context(|| format!("reading {what}")))
        .transpose()
}

/// Runs each method on `input`, timing it.
fn compute(
    chosen: &[Box<dyn TransferabilityScore>],
    input: &ScoreInput<'_>,
) -> anyhow::Result<Vec<(&'static str, Scored)>> {
    let mut results = Vec::new();
    for m in chosen {
        let t = Instant::now();
        let value = m
            .score(input)
            .with_context(|| format!("computing {}", m.id()))?;
        results.push((
            m.id(),
            Scored {
                value,
                seconds: t.elapsed().as_secs_f64(),
                layer: None,
            },
        ));
    }
    Ok(results)
}

/// Runs each method on every layer's features (`layers`, each `n × dim`) and keeps its best
/// layer; methods that read only the source probabilities run once. A method failing on a
/// layer fails the whole command, as it would on the last layer alone.
fn compute_best(
    chosen: &[Box<dyn TransferabilityScore>],
    layers: &[Vec<f64>],
    (n, dim): (usize, usize),
    probs: Option<Matrix<'_>>,
    labels: &[i64],
) -> anyhow::Result<Vec<(&'static str, Scored)>> {
    let mut results = Vec::new();
    for m in chosen {
        let t = Instant::now();
        let scored = if m.needs() == Needs::SourceProbs {
            &layers[layers.len() - 1..]
        } else {
            layers
        };
        let mut values = Vec::with_capacity(scored.len());
        for (k, x) in scored.iter().enumerate() {
            let mut input = ScoreInput::features(Matrix::new(x, n, dim)?, labels);
            if let Some(p) = probs {
                input = input.with_source_probs(p);
            }
            values.push(
                m.score(&input)
                    .with_context(|| format!("computing {} on layer {}", m.id(), k + 1))?,
            );
        }
        let best = best_layer(&values)
            .with_context(|| format!("{} gave no number on any layer", m.id()))?;
        results.push((
            m.id(),
            Scored {
                value: values[best],
                seconds: t.elapsed().as_secs_f64(),
                layer: (scored.len() > 1).then_some(best + 1),
            },
        ));
    }
    Ok(results)
}

/// Writes the results into the store under (model, dataset), with `extra_seconds` (the
/// feature extraction) added to each method's runtime; scores of features other than the last
/// layer's go under `<method>@mean` / `<method>@best`.
fn store_results(
    global: &Global,
    model: &str,
    dataset: &str,
    results: &[(&'static str, Scored)],
    extra_seconds: f64,
    layers: Layers,
) -> anyhow::Result<()> {
    let rows: Vec<ScoreRow> = results
        .iter()
        .map(|(id, s)| ScoreRow {
            model: model.to_string(),
            dataset: dataset.to_string(),
            method: zoorank_worker::stored_method(id, layers),
            value: s.value,
            runtime: Some(s.seconds + extra_seconds),
        })
        .collect();
    let mut store = open_store(&global.db)?;
    let counts = store
        .upsert_scores(&rows)
        .with_context(|| format!("storing scores of {model} on {dataset}"))?;
    eprintln!(
        "stored {} score(s) for {model} on {dataset}: {} new, {} updated, {} unchanged",
        rows.len(),
        counts.new,
        counts.updated,
        counts.unchanged
    );
    Ok(())
}

fn results_table(results: &[(&'static str, Scored)]) -> String {
    let with_layer = results.iter().any(|(_, s)| s.layer.is_some());
    let rows = results
        .iter()
        .map(|(id, s)| {
            let mut row = vec![
                id.to_string(),
                format!("{}", s.value),
                format!("{:.4}", s.seconds),
            ];
            if with_layer {
                row.push(s.layer.map(|l| l.to_string()).unwrap_or_else(|| "-".into()));
            }
            row
        })
        .collect();
    if with_layer {
        output::table(&["method", "value", "seconds", "layer"], rows)
    } else {
        output::table(&["method", "value", "seconds"], rows)
    }
}

/// Runs `zoorank score`.
pub fn run(args: ScoreArgs, global: &Global) -> anyhow::Result<()> {
    match args.labels.clone() {
        Some(labels) => run_arrays(args, &labels, global),
        None => run_extraction(args, global),
    }
}

/// Array mode: features / probabilities / labels from files.
fn run_arrays(args: ScoreArgs, labels_path: &Path, global: &Global) -> anyhow::Result<()> {
    let features = read_opt(&args.features, "features")?;
    let probs = read_opt(&args.source_probs, "source-model probabilities")?;
    let labels = read_labels(labels_path).context("reading labels")?;
    let chosen = methods(
        &args.method,
        args.logme_published,
        |needs| match needs {
            Needs::Features => features.is_some(),
            Needs::SourceProbs => probs.is_some(),
        },
        |id, needs| {
            let flag = match needs {
                Needs::Features => "--features",
                Needs::SourceProbs => "--source-probs",
            };
            format!("method {id} needs {flag}")
        },
    )?;
    let input = ScoreInput {
        features: features.as_ref().map(Array2::view).transpose()?,
        source_probs: probs.as_ref().map(Array2::view).transpose()?,
        labels: &labels,
    };
    let results = compute(&chosen, &input)?;
    if args.store {
        // clap's `requires_all` guarantees both names.
        let (model, dataset) = (
            args.model.clone().unwrap_or_default(),
            args.dataset.clone().unwrap_or_default(),
        );
        store_results(global, &model, &dataset, &results, 0.0, Layers::Last)?;
    }
    if args.json {
        let map: BTreeMap<&str, &Scored> = results.iter().map(|(id, s)| (*id, s)).collect();
        return output::print_json(&map);
    }
    output::println(results_table(&results))
}

/// The JSON of extraction mode.
#[derive(Serialize)]
struct ExtractionReport<'a> {
    model: String,
    model_dir: String,
    dataset: String,
    dataset_path: String,
    samples: usize,
    feature_dim: usize,
    head_classes: usize,
    layers: &'static str,
    cache: &'static str,
    extract_seconds: f64,
    scores: BTreeMap<&'static str, &'a Scored>,
}

/// Extraction mode: model directory and dataset, features through the cache.
fn run_extraction(args: ScoreArgs, global: &Global) -> anyhow::Result<()> {
    // clap's `required_unless_present = "labels"` guarantees both.
    let (Some(model_dir), Some(dataset_path)) = (&args.model, &args.dataset) else {
        bail!("extraction mode needs --model DIR and --dataset PATH");
    };
    let (model_dir, dataset_path) = (PathBuf::from(model_dir), PathBuf::from(dataset_path));
    // Refuse unknown ids before the (possibly long) forward pass.
    if !args.method.trim().eq_ignore_ascii_case("all") {
        for part in args
            .method
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            canonical_id(part)?;
        }
    }
    let model_name = default_name(&model_dir);
    let dataset_name = args
        .extraction
        .name
        .clone()
        .unwrap_or_else(|| default_name(&dataset_path));
    let started = Instant::now();
    let dataset = open_dataset(&dataset_path, &args.extraction.extract)?;
    let mut store = if args.extraction.extract.no_cache {
        None
    } else {
        Some(open_store(&global.db)?)
    };
    let (fs, outcome) = features_for(
        &model_dir,
        &dataset,
        &args.extraction.extract,
        args.extraction.layers,
        store.as_mut(),
    )?;
    drop(store);
    let extract_seconds = started.elapsed().as_secs_f64();
    let e = &fs.extracted;
    let chosen = methods(
        &args.method,
        args.logme_published,
        |needs| match needs {
            Needs::Features => true,
            Needs::SourceProbs => e.num_classes > 0,
        },
        |id, _| {
            format!(
                "method {id} needs the model's class probabilities, and {} has no classifier head",
                model_dir.display()
            )
        },
    )?;
    let to_f64 = |v: &[f32]| -> Vec<f64> { v.iter().map(|&v| f64::from(v)).collect() };
    let p = to_f64(&e.probabilities);
    let y: Vec<i64> = fs.labels.iter().map(|&l| l as i64).collect();
    let probs = if e.num_classes > 0 {
        Some(Matrix::new(&p, e.n, e.num_classes)?)
    } else {
        None
    };
    let results = if e.layers.is_empty() {
        let x = to_f64(&e.features);
        let mut input = ScoreInput::features(Matrix::new(&x, e.n, e.dim)?, &y);
        if let Some(p) = probs {
            input = input.with_source_probs(p);
        }
        compute(&chosen, &input)
    } else {
        let layers: Vec<Vec<f64>> = e.layers.iter().map(|l| to_f64(l)).collect();
        compute_best(&chosen, &layers, (e.n, e.dim), probs, &y)
    }
    .with_context(|| format!("scoring {model_name} on {dataset_name}"))?;
    if args.store {
        store_results(
            global,
            &model_name,
            &dataset_name,
            &results,
            extract_seconds,
            args.extraction.layers,
        )?;
    }
    let cache = match outcome {
        CacheOutcome::Hit => "hit",
        CacheOutcome::Miss => "miss",
    };
    if args.json {
        return output::print_json(&ExtractionReport {
            model: model_name,
            model_dir: model_dir.display().to_string(),
            dataset: dataset_name,
            dataset_path: dataset_path.display().to_string(),
            samples: e.n,
            feature_dim: e.dim,
            head_classes: e.num_classes,
            layers: args.extraction.layers.id(),
            cache,
            extract_seconds,
            scores: results.iter().map(|(id, s)| (*id, s)).collect(),
        });
    }
    output::println(format!(
        "{model_name} on {dataset_name}: {} samples × {} features{} in {extract_seconds:.2} s (feature cache {cache}{})",
        e.n,
        e.dim,
        output::head_note(e.num_classes),
        if outcome == CacheOutcome::Hit {
            ": no forward pass"
        } else {
            ""
        }
    ))?;
    output::println(results_table(&results))
}
