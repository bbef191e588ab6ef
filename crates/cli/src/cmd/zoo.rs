//! `zoorank zoo ...`: look at what the store holds.

use crate::cmd::import::{open_existing_store, parse_modality};
use crate::global::Global;
use crate::output::{self, opt_num};
use clap::{Args, Subcommand};
use serde::Serialize;
use zoorank_core::{Modality, Zoo};
use zoorank_engine::catalog::{CatalogFilter, RecordCounts};

/// What to show.
#[derive(Debug, Subcommand)]
pub enum ZooCommand {
    /// Counts of models, datasets, records, scores and distances, overall and per modality.
    ///
    /// Example: zoorank zoo stats --json
    Stats {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// List models with their metadata and number of records.
    ///
    /// Example: zoorank zoo models --with-records --name vit
    Models(ListArgs),
    /// List datasets with their metadata and number of records.
    ///
    /// Example: zoorank zoo datasets --with-records
    Datasets(ListArgs),
    /// List fine-tuning records.
    ///
    /// Example: zoorank zoo records --dataset cifar100 --limit 10
    Records(RecordArgs),
    /// Delete cached computations kept in the store: extracted features (`zoorank embed`),
    /// trained graph embedders (`zoorank recommend` on a new dataset with a graph method) and
    /// the intervals' calibration rankings (`zoorank recommend`).
    /// Nothing of the zoo itself is touched; whatever is needed again is recomputed.
    ///
    /// Example: zoorank zoo clear-cache --what embedders
    ClearCache {
        /// Which cache.
        #[arg(long, value_enum, default_value_t = CacheKind::All)]
        what: CacheKind,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// The caches `zoo clear-cache` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CacheKind {
    /// Every cached blob.
    All,
    /// Extracted features.
    Features,
    /// Trained graph embedders.
    Embedders,
    /// The interval calibration's fold rankings (`zoorank recommend` with intervals).
    Calibration,
}

impl CacheKind {
    /// The key prefix of the cache's entries in the store's blob table.
    fn prefix(self) -> &'static str {
        match self {
            CacheKind::All => "",
            CacheKind::Features => "features/",
            CacheKind::Embedders => zoorank_predict::rank::graph::EMBEDDER_KEY_PREFIX,
            CacheKind::Calibration => zoorank_engine::CALIBRATION_KEY_PREFIX,
        }
    }
}

/// Filters for `zoo models` / `zoo datasets`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    /// Only this modality (image or text).
    #[arg(long, value_parser = parse_modality)]
    pub modality: Option<Modality>,
    /// Only those with at least one fine-tuning record.
    #[arg(long)]
    pub with_records: bool,
    /// Only names containing this text (case-insensitive).
    #[arg(long)]
    pub name: Option<String>,
    /// At most this many rows.
    #[arg(long)]
    pub limit: Option<usize>,
}

/// Filters for `zoo records`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    /// Only this model (exact id).
    #[arg(long)]
    pub model: Option<String>,
    /// Only this dataset (exact name).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Only parameter-efficient (e.g. LoRA) runs, or only full fine-tuning with `--peft false`.
    #[arg(long)]
    pub peft: Option<bool>,
    /// At most this many rows.
    #[arg(long)]
    pub limit: Option<usize>,
}

/// Runs a `zoo` command.
pub fn run(cmd: ZooCommand, global: &Global) -> anyhow::Result<()> {
    let mut store = open_existing_store(&global.db)?;
    match cmd {
        ZooCommand::ClearCache { what, json } => {
            let (_, bytes) = store.blob_usage(what.prefix())?;
            let deleted = store.delete_blobs(what.prefix())?;
            if json {
                return output::print_json(&serde_json::json!({
                    "deleted": deleted,
                    "bytes": bytes,
                }));
            }
            output::println(format!(
                "deleted {deleted} cached entr{} ({:.1} KiB) from {}",
                if deleted == 1 { "y" } else { "ies" },
                bytes as f64 / 1024.0,
                store.location()
            ))
        }
        ZooCommand::Stats { json } => {
            let s = store.stats()?;
            if json {
                return output::print_json(&s);
            }
            let mut rows = vec![
                vec!["models".into(), s.models.to_string()],
                vec!["  with metadata".into(), s.models_with_metadata.to_string()],
                vec!["  with records".into(), s.models_with_records.to_string()],
                vec!["datasets".into(), s.datasets.to_string()],
                vec!["  with records".into(), s.datasets_with_records.to_string()],
                vec![
                    "  with #samples/#classes".into(),
                    s.datasets_with_features.to_string(),
                ],
                vec!["fine-tuning records".into(), s.records.to_string()],
                vec![
                    "  of which PEFT (LoRA, ...)".into(),
                    s.records_peft.to_string(),
                ],
                vec!["scores".into(), s.scores.to_string()],
            ];
            for (m, n) in &s.scores_by_method {
                rows.push(vec![format!("  {m}"), n.to_string()]);
            }
            rows.push(vec!["dataset distances".into(), s.distances.to_string()]);
            for (m, n) in &s.distances_by_method {
                rows.push(vec![format!("  {m}"), n.to_string()]);
            }
            rows.push(vec!["embeddings".into(), s.embeddings.to_string()]);
            output::println(format!("zoo store {}", store.location()))?;
            output::println(output::table(&["what", "count"], rows))?;
            let rows: Vec<Vec<String>> = s
                .by_modality
                .iter()
                .map(|(k, v)| {
                    vec![
                        k.clone(),
                        v.models.to_string(),
                        v.datasets.to_string(),
                        v.records.to_string(),
                    ]
                })
                .collect();
            output::println(output::table(
                &["modality", "models", "datasets", "records"],
                rows,
            ))
        }
        ZooCommand::Models(a) => list_models(&store.load_zoo()?, &a),
        ZooCommand::Datasets(a) => list_datasets(&store.load_zoo()?, &a),
        ZooCommand::Records(a) => list_records(&store.load_zoo()?, &a),
    }
}

impl ListArgs {
    /// The engine's catalog filter for these flags.
    fn filter(&self) -> CatalogFilter {
        CatalogFilter {
            name: self.name.clone(),
            modality: self.modality,
            with_records: self.with_records,
        }
    }
}

/// Prints a listing: the `items` as JSON, or as a table (`header`, one `row` per item) and
/// their count (`N noun(s)`).
fn print_listing<T: Serialize>(
    items: &[T],
    json: bool,
    header: &[&str],
    noun: &str,
    row: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<()> {
    if json {
        return output::print_json(&items);
    }
    output::print_table(header, items, row)?;
    output::println(format!("{} {noun}(s)", items.len()))
}

#[derive(Serialize)]
struct ModelOut<'a> {
    #[serde(flatten)]
    model: &'a zoorank_core::Model,
    records: usize,
}

fn list_models(zoo: &Zoo, a: &ListArgs) -> anyhow::Result<()> {
    let (counts, filter) = (RecordCounts::of(zoo), a.filter());
    let sel: Vec<ModelOut> = zoo
        .models
        .iter()
        .zip(counts.per_model)
        .filter(|(m, records)| filter.keeps(&m.name, m.modality, *records))
        .map(|(model, records)| ModelOut { model, records })
        .take(a.limit.unwrap_or(usize::MAX))
        .collect();
    let header = [
        "model",
        "type",
        "params (M)",
        "input",
        "source dataset",
        "upstream acc",
        "records",
    ];
    print_listing(&sel, a.json, &header, "model", |o| {
        let m = o.model;
        vec![
            m.name.clone(),
            m.model_type.clone().unwrap_or("-".into()),
            opt_num(m.num_parameters.map(|p| (p / 1e6).round())),
            opt_num(m.input_size),
            m.source_dataset.clone().unwrap_or("-".into()),
            opt_num(m.upstream_accuracy),
            o.records.to_string(),
        ]
    })
}

#[derive(Serialize)]
struct DatasetOut<'a> {
    #[serde(flatten)]
    dataset: &'a zoorank_core::Dataset,
    records: usize,
    models: usize,
}

fn list_datasets(zoo: &Zoo, a: &ListArgs) -> anyhow::Result<()> {
    let (counts, filter) = (RecordCounts::of(zoo), a.filter());
    let sel: Vec<DatasetOut> = zoo
        .datasets
        .iter()
        .enumerate()
        .filter(|(i, d)| filter.keeps(&d.name, d.modality, counts.per_dataset[*i]))
        .map(|(i, dataset)| DatasetOut {
            dataset,
            records: counts.per_dataset[i],
            models: counts.models_per_dataset[i],
        })
        .take(a.limit.unwrap_or(usize::MAX))
        .collect();
    let header = [
        "dataset", "modality", "samples", "classes", "records", "models",
    ];
    print_listing(&sel, a.json, &header, "dataset", |o| {
        vec![
            o.dataset.name.clone(),
            o.dataset.modality.map(|m| m.as_str()).unwrap_or("-").into(),
            opt_num(o.dataset.num_samples),
            opt_num(o.dataset.num_classes),
            o.records.to_string(),
            o.models.to_string(),
        ]
    })
}

#[derive(Serialize)]
struct RecordOut<'a> {
    model: &'a str,
    dataset: &'a str,
    accuracy: f64,
    learning_rate: Option<f64>,
    epochs: Option<f64>,
    batch_size: Option<f64>,
    train_runtime: Option<f64>,
    peft_method: Option<&'a str>,
}

fn list_records(zoo: &Zoo, a: &RecordArgs) -> anyhow::Result<()> {
    if let Some(m) = &a.model {
        anyhow::ensure!(zoo.model_index(m).is_some(), "no model '{m}' in the store");
    }
    if let Some(d) = &a.dataset {
        anyhow::ensure!(
            zoo.dataset_index(d).is_some(),
            "no dataset '{d}' in the store"
        );
    }
    let sel: Vec<RecordOut> = zoo
        .records
        .iter()
        .filter(|r| {
            a.model
                .as_ref()
                .is_none_or(|m| &zoo.models[r.model].name == m)
                && a.dataset
                    .as_ref()
                    .is_none_or(|d| &zoo.datasets[r.dataset].name == d)
                && a.peft.is_none_or(|p| p == r.peft_method.is_some())
        })
        .map(|r| RecordOut {
            model: &zoo.models[r.model].name,
            dataset: &zoo.datasets[r.dataset].name,
            accuracy: r.accuracy,
            learning_rate: r.learning_rate,
            epochs: r.epochs,
            batch_size: r.batch_size,
            train_runtime: r.train_runtime,
            peft_method: r.peft_method.as_deref(),
        })
        .take(a.limit.unwrap_or(usize::MAX))
        .collect();
    let header = [
        "model", "dataset", "accuracy", "lr", "epochs", "batch", "peft",
    ];
    print_listing(&sel, a.json, &header, "record", |r| {
        vec![
            r.model.to_string(),
            r.dataset.to_string(),
            format!("{:.4}", r.accuracy),
            opt_num(r.learning_rate),
            opt_num(r.epochs),
            opt_num(r.batch_size),
            r.peft_method.unwrap_or("-").to_string(),
        ]
    })
}
