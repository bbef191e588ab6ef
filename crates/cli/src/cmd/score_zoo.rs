//! `zoorank score-zoo`: every model of a local zoo (a directory of Hugging Face model
//! directories) scored on a local dataset with feature-based transferability scores.
//!
//! Per model: a forward pass over the dataset (cached in the store, so reruns skip it), then
//! each requested score from `zoorank-scores`. With `--store` the scores are written per model
//! as soon as they are computed, and models whose requested scores are all stored already are
//! skipped, so an interrupted run resumes where it stopped.
//!
//! One model that cannot be scored (a corrupt checkpoint, an unsupported architecture, a
//! forward pass that fails or even panics) never stops the run: its lines carry the error
//! (`cache: "failed"`, `error`), the other models are scored and stored, and the command then
//! exits with code 3 ([`SomeModelsFailed`]), naming the failed models on standard error.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use zoorank_features::{CacheOutcome, FeaturesError};
use zoorank_store::ScoreRow;

use crate::cmd::dataset::default_name;
use crate::cmd::embed::{features_for, open_dataset, ScoredFeatureArgs};
use crate::cmd::import::open_store;
use crate::global::Global;
use crate::output;

/// What to score, shared by `score-zoo` and `jobs submit score-zoo`: the models of a local zoo
/// on one dataset, with which methods, under which name, and how to extract the features.
#[derive(Debug, Args)]
pub struct ZooScoringArgs {
    /// Directory whose sub-directories are model directories (Hugging Face layout); for jobs,
    /// at a path every worker sees.
    #[arg(long)]
    pub models: PathBuf,
    /// The target dataset; for jobs, at a path every worker sees.
    #[arg(long)]
    pub dataset: PathBuf,
    /// Score methods (comma-separated ids of zoorank-scores: logme, h-score, reg-h-score, leep,
    /// nleep, nce, parc, gbc, transrate, sfda, lfc, knn, logistic; logme-published for LogME by
    /// the authors' 11-step fixed point). Methods that need the model's classifier
    /// probabilities (leep, nce) are skipped for models without a head.
    #[arg(long, value_delimiter = ',', default_value = "logme")]
    pub methods: Vec<String>,
    #[command(flatten)]
    pub extraction: ScoredFeatureArgs,
}

impl ZooScoringArgs {
    /// The dataset's name in the store: `--name`, or the dataset path's default name.
    pub fn dataset_name(&self) -> String {
        self.extraction
            .name
            .clone()
            .unwrap_or_else(|| default_name(&self.dataset))
    }
}

/// `zoorank score-zoo` arguments.
#[derive(Debug, Args)]
pub struct ScoreZooArgs {
    #[command(flatten)]
    pub zoo: ZooScoringArgs,
    /// Write the scores into the store (and skip models already fully scored there).
    #[arg(long)]
    pub store: bool,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// One (model, method) result.
#[derive(Debug, Serialize)]
pub struct ScoreLine {
    /// Model name (its directory name).
    pub model: String,
    /// Method id; `<id>@mean` or `<id>@best` with `--layers mean|best`.
    pub method: String,
    /// With `--layers best`: the layer (counted from 1) whose features scored best.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// The score, or `None` when skipped.
    pub value: Option<f64>,
    /// Why it was skipped, if it was.
    pub note: Option<String>,
    /// Why the model could not be scored at all (it counts as failed), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Feature cache outcome for the model ("hit", "miss", "stored" when skipped as done,
    /// "skipped" for another modality, "failed").
    pub cache: &'static str,
    /// Seconds for the forward pass (or cache read) plus this score.
    pub seconds: f64,
}

/// `score-zoo` scored what it could, but some models failed (exit code 3).
#[derive(Debug)]
pub struct SomeModelsFailed {
    /// Models in the zoo directory.
    pub total: usize,
    /// (model, error) of every model that failed, in zoo order.
    pub failed: Vec<(String, String)>,
}

impl std::fmt::Display for SomeModelsFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} of {} models could not be scored (the others were):",
            self.failed.len(),
            self.total
        )?;
        for (model, err) in &self.failed {
            write!(f, "\n  {model}: {err}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SomeModelsFailed {}

/// The text of a panic payload (`panic!` with a literal or a formatted message).
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// The model directories of a zoo directory: sub-directories with a `config.json`, by name.
pub fn zoo_models(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let p = e?.path();
        if p.join("config.json").is_file() {
            out.push((default_name(&p), p));
        }
    }
    out.sort();
    anyhow::ensure!(
        !out.is_empty(),
        "{} has no model directories (sub-directories with a config.json)",
        dir.display()
    );
    Ok(out)
}

impl ScoreLine {
    /// The line of a (model, method) that has no score: skipped (`note`) or failed (`error`).
    fn without_score(
        model: &str,
        method: &str,
        cache: &'static str,
        note: Option<String>,
        error: Option<String>,
    ) -> Self {
        ScoreLine {
            model: model.to_string(),
            method: method.to_string(),
            layer: None,
            value: None,
            note,
            error,
            cache,
            seconds: 0.0,
        }
    }
}

/// Runs `zoorank score-zoo`.
pub fn run(args: ScoreZooArgs, global: &Global) -> anyhow::Result<()> {
    let zoo = &args.zoo;
    let models = zoo_models(&zoo.models)?;
    let name = zoo.dataset_name();
    let ids: Vec<String> = zoo
        .methods
        .iter()
        .map(|m| zoorank_scores::canonical_id(m).map(str::to_string))
        .collect::<Result<_, _>>()?;
    // The names scores are reported and stored under.
    let methods: Vec<String> = ids
        .iter()
        .map(|m| zoorank_worker::stored_method(m, zoo.extraction.layers))
        .collect();
    let dataset = open_dataset(&zoo.dataset, &zoo.extraction.extract)?;
    let needs_store = args.store || !zoo.extraction.extract.no_cache;
    let mut store = if needs_store {
        Some(open_store(&global.db)?)
    } else {
        None
    };
    // (model, method) pairs already stored for this dataset, for resuming.
    let done: BTreeSet<(String, String)> = match (&store, args.store) {
        (Some(s), true) => {
            let zoo = s.load_zoo()?;
            zoo.scores
                .iter()
                .filter(|r| zoo.datasets[r.dataset].name == name)
                .map(|r| (zoo.models[r.model].name.clone(), r.method.clone()))
                .collect()
        }
        _ => BTreeSet::new(),
    };
    let mut lines = Vec::new();
    let mut failed: Vec<(String, String)> = Vec::new();
    let failure_lines = |model: &str, err: &str| -> Vec<ScoreLine> {
        methods
            .iter()
            .map(|m| ScoreLine::without_score(model, m, "failed", None, Some(err.to_string())))
            .collect()
    };
    for (model, dir) in &models {
        if args.store
            && methods
                .iter()
                .all(|m| done.contains(&(model.clone(), m.clone())))
        {
            lines.extend(methods.iter().map(|m| {
                ScoreLine::without_score(model, m, "stored", Some("already stored".into()), None)
            }));
            continue;
        }
        let started = Instant::now();
        // A panic in one model's loading or forward pass is that model's failure, not the
        // run's (the store is only written after a model's features are complete).
        let extracted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            features_for(
                dir,
                &dataset,
                &zoo.extraction.extract,
                zoo.extraction.layers,
                store.as_mut(),
            )
        }))
        .unwrap_or_else(|p| {
            Err(anyhow::anyhow!(
                "the forward pass panicked: {}",
                panic_text(p.as_ref())
            ))
        });
        let (fs, outcome) = match extracted {
            Ok(r) => r,
            // A mixed zoo (text and image models): skip the models that cannot read this
            // dataset instead of aborting the run.
            Err(e)
                if matches!(
                    e.downcast_ref::<FeaturesError>(),
                    Some(FeaturesError::ModalityMismatch { .. })
                ) =>
            {
                let why = e
                    .downcast_ref::<FeaturesError>()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                lines.extend(methods.iter().map(|m| {
                    ScoreLine::without_score(model, m, "skipped", Some(why.clone()), None)
                }));
                continue;
            }
            Err(e) => {
                let err = crate::output::chain_message(&e);
                lines.extend(failure_lines(model, &err));
                failed.push((model.clone(), err));
                continue;
            }
        };
        let forward = started.elapsed().as_secs_f64();
        let cache = match outcome {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Miss => "miss",
        };
        let scored = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            zoorank_worker::score_features(&fs, &ids).map_err(anyhow::Error::from)
        }))
        .unwrap_or_else(|p| Err(anyhow::anyhow!("panicked: {}", panic_text(p.as_ref()))));
        let scored = match scored {
            Ok(s) => s,
            Err(e) => {
                let err = format!(
                    "scoring {model} on {name}: {}",
                    crate::output::chain_message(&e)
                );
                lines.extend(failure_lines(model, &err));
                failed.push((model.clone(), err));
                continue;
            }
        };
        let mut rows = Vec::new();
        for zoorank_worker::MethodOutcome {
            method,
            value: r,
            seconds: secs,
            layer,
        } in scored
        {
            let method = zoorank_worker::stored_method(&method, zoo.extraction.layers);
            let (value, note) = match r {
                Ok(v) => (Some(v), None),
                Err(e) => (None, Some(e)),
            };
            if let (Some(v), true) = (value, args.store) {
                rows.push(ScoreRow {
                    model: model.clone(),
                    dataset: name.clone(),
                    method: method.clone(),
                    value: v,
                    runtime: Some(forward + secs),
                });
            }
            lines.push(ScoreLine {
                model: model.clone(),
                method,
                layer,
                value,
                note,
                error: None,
                cache,
                seconds: forward + secs,
            });
        }
        if let (Some(s), false) = (store.as_mut(), rows.is_empty()) {
            s.upsert_scores(&rows)
                .with_context(|| format!("storing the scores of {model} on {name}"))?;
        }
    }
    if args.json {
        output::print_json(&lines)?;
    } else {
        print_table(&lines, &args, &name, global)?;
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(SomeModelsFailed {
            total: models.len(),
            failed,
        }
        .into())
    }
}

/// The human-readable output: one row per (model, method), then where the scores went.
fn print_table(
    lines: &[ScoreLine],
    args: &ScoreZooArgs,
    name: &str,
    global: &Global,
) -> anyhow::Result<()> {
    let table = output::table(
        &["model", "method", "score", "cache", "seconds", "note"],
        lines
            .iter()
            .map(|l| {
                vec![
                    l.model.clone(),
                    l.method.clone(),
                    l.value
                        .map(|v| format!("{v:.6}"))
                        .unwrap_or_else(|| "-".into()),
                    l.cache.to_string(),
                    format!("{:.2}", l.seconds),
                    l.error
                        .as_ref()
                        .map(|e| format!("failed: {e}"))
                        .or_else(|| l.note.clone())
                        .unwrap_or_default(),
                ]
            })
            .collect(),
    );
    output::println(table)?;
    if args.store {
        output::println(format!(
            "scores stored for dataset {name} in {}",
            crate::cmd::import::db_label(&global.db)
        ))?;
    }
    Ok(())
}
