//! `zoorank score`: feature-based transferability scores of one model on one labelled data
//! set, from arrays on disk.
//!
//! Reads features `(n_samples, n_features)`, labels `(n_samples,)` and optionally the source
//! model's class probabilities `(n_samples, n_source_classes)` from `.npy` (float32, float64
//! or integers), `.npz` (`FILE.npz` or `FILE.npz:NAME`) or CSV, runs the requested methods of
//! `zoorank-scores`, prints one value per method (or JSON) and with `--store` writes them into
//! the zoo store.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use serde::Serialize;
use zoorank_scores::io::{read_labels, read_matrix, Array2};
use zoorank_scores::{by_id, canonical_id, Needs, ScoreInput, TransferabilityScore, IDS};
use zoorank_store::ScoreRow;

use crate::cmd::import::open_store;
use crate::output;
use crate::Global;

/// `zoorank score` arguments.
///
/// Example: zoorank score --features X.npy --labels y.npy --source-probs P.npy --method logme,hscore,leep,nce --json
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Target features of the model, (n_samples, n_features): .npy, .npz[:NAME] or .csv.
    #[arg(long)]
    pub features: Option<PathBuf>,
    /// Target labels, (n_samples,) integers: .npy, .npz[:NAME] or .csv.
    #[arg(long)]
    pub labels: PathBuf,
    /// The model's source-class probabilities on the target samples, (n_samples, n_source_classes),
    /// rows summing to 1 (needed by leep and nce).
    #[arg(long)]
    pub source_probs: Option<PathBuf>,
    /// Comma-separated method ids (case-insensitive, hyphens optional, e.g. logme,hscore,leep),
    /// or `all` for every method whose inputs are given. Ids: logme, h-score, reg-h-score, leep,
    /// nleep, nce, parc, gbc, transrate, sfda, lfc, knn, logistic.
    #[arg(long, default_value = "all")]
    pub method: String,
    /// Print JSON: an object keyed by method id, each value {"value": …, "seconds": …}.
    #[arg(long)]
    pub json: bool,
    /// Write the scores into the zoo store (needs --model and --dataset).
    #[arg(long, requires_all = ["model", "dataset"])]
    pub store: bool,
    /// Model name under which --store records the scores.
    #[arg(long)]
    pub model: Option<String>,
    /// Dataset name under which --store records the scores.
    #[arg(long)]
    pub dataset: Option<String>,
}

/// One method's result.
#[derive(Debug, Serialize)]
struct Scored {
    value: f64,
    seconds: f64,
}

/// The methods asked for, in the order of [`IDS`] for `all`, else as given (deduplicated).
fn methods(
    spec: &str,
    have: impl Fn(Needs) -> bool,
) -> anyhow::Result<Vec<Box<dyn TransferabilityScore>>> {
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
            let flag = match m.needs() {
                Needs::Features => "--features",
                Needs::SourceProbs => "--source-probs",
            };
            bail!("method {id} needs {flag}");
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
        .map(|p| read_matrix(p).with_context(|| format!("reading {what} {}", p.display())))
        .transpose()
}

/// Runs `zoorank score`.
pub fn run(args: ScoreArgs, global: &Global) -> anyhow::Result<()> {
    let features = read_opt(&args.features, "features")?;
    let probs = read_opt(&args.source_probs, "source-model probabilities")?;
    let labels = read_labels(&args.labels)
        .with_context(|| format!("reading labels {}", args.labels.display()))?;
    let chosen = methods(&args.method, |needs| match needs {
        Needs::Features => features.is_some(),
        Needs::SourceProbs => probs.is_some(),
    })?;
    let input = ScoreInput {
        features: features.as_ref().map(Array2::view).transpose()?,
        source_probs: probs.as_ref().map(Array2::view).transpose()?,
        labels: &labels,
    };
    let mut results: Vec<(&'static str, Scored)> = Vec::new();
    for m in &chosen {
        let t = Instant::now();
        let value = m
            .score(&input)
            .with_context(|| format!("computing {}", m.id()))?;
        results.push((
            m.id(),
            Scored {
                value,
                seconds: t.elapsed().as_secs_f64(),
            },
        ));
    }
    if args.store {
        // clap's `requires_all` guarantees both names.
        let (model, dataset) = (
            args.model.clone().unwrap_or_default(),
            args.dataset.clone().unwrap_or_default(),
        );
        let rows: Vec<ScoreRow> = results
            .iter()
            .map(|(id, s)| ScoreRow {
                model: model.clone(),
                dataset: dataset.clone(),
                method: id.to_string(),
                value: s.value,
                runtime: Some(s.seconds),
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
    }
    if args.json {
        let map: BTreeMap<&str, &Scored> = results.iter().map(|(id, s)| (*id, s)).collect();
        return output::print_json(&map);
    }
    let rows = results
        .iter()
        .map(|(id, s)| {
            vec![
                id.to_string(),
                format!("{}", s.value),
                format!("{:.4}", s.seconds),
            ]
        })
        .collect();
    output::println(output::table(&["method", "value", "seconds"], rows))
}
