//! `zoorank dataset add`: register a local dataset with its metadata and its
//! Domain-Similarity distances to the datasets already embedded by the same probe model.
//!
//! The embedding is the mean penultimate feature of the probe over the dataset (Cui et al.,
//! CVPR 2018); distances are Euclidean between embeddings of the same probe, stored with method
//! `domain-similarity:<probe name>` so the graph and the regressors can use them.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use serde::Serialize;
use zoorank_core::Modality;
use zoorank_features::domain;
use zoorank_store::{DatasetRow, EmbeddedDataset};

use crate::cmd::embed::{features_for, open_dataset, ExtractArgs};
use crate::cmd::import::open_store;
use crate::global::Global;
use crate::output;

/// `zoorank dataset ...`
#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Register a local dataset: metadata (modality, #samples, #classes), its probe embedding,
    /// and its distances to every stored dataset embedded by the same probe.
    ///
    /// Example: zoorank dataset add data/reviews.csv --probe models/all-MiniLM-L6-v2
    Add(AddArgs),
}

/// `zoorank dataset add` arguments.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The dataset (image class folders, .csv/.tsv/.jsonl texts, .npy/.npz arrays).
    pub path: PathBuf,
    /// Probe model directory (Hugging Face layout) whose mean feature embeds the dataset.
    #[arg(long)]
    pub probe: PathBuf,
    /// Dataset name in the store (default: the file or directory name without extension).
    #[arg(long)]
    pub name: Option<String>,
    /// Probe name in the distance method id (default: the probe directory's name).
    #[arg(long)]
    pub probe_name: Option<String>,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub extract: ExtractArgs,
}

#[derive(Serialize)]
struct Added {
    dataset: String,
    modality: Option<&'static str>,
    num_samples: usize,
    num_classes: usize,
    method: String,
    cache: &'static str,
    distances: Vec<(String, f64)>,
}

/// The name a path gets by default: a directory's name, a file's name without extension.
pub fn default_name(path: &Path) -> String {
    let n = if path.is_dir() {
        path.file_name()
    } else {
        path.file_stem()
    };
    n.map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Runs a `dataset` subcommand.
pub fn run(cmd: DatasetCommand, global: &Global) -> anyhow::Result<()> {
    match cmd {
        DatasetCommand::Add(a) => add(a, global),
    }
}

fn add(args: AddArgs, global: &Global) -> anyhow::Result<()> {
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| default_name(&args.path));
    let probe = args
        .probe_name
        .clone()
        .unwrap_or_else(|| default_name(&args.probe));
    let method = domain::method_id(&probe);
    let dataset = open_dataset(&args.path, &args.extract)?;
    let modality = match dataset.input_kind() {
        "image" => Some(Modality::Image),
        "text" => Some(Modality::Text),
        _ => None,
    };
    let mut store = open_store(&global.db)?;
    let (fs, outcome) = features_for(
        &args.probe,
        &dataset,
        &args.extract,
        zoorank_features::Layers::Last,
        Some(&mut store),
    )?;
    let embedding =
        domain::dataset_embedding(&fs.extracted).with_context(|| format!("embedding {name}"))?;
    let dim = embedding.len();
    // The row, the embedding and the distances in one transaction (as a worker's
    // `dataset-add` job writes them).
    let distances = store
        .add_embedded_dataset(
            &EmbeddedDataset {
                row: DatasetRow {
                    name: name.clone(),
                    modality,
                    num_samples: Some(dataset.len() as f64),
                    num_classes: Some(dataset.num_classes() as f64),
                },
                method: method.clone(),
                embedding,
            },
            &zoorank_worker::embedding_distance,
        )
        .with_context(|| format!("registering dataset {name}"))?;
    let added = Added {
        dataset: name,
        modality: modality.map(|m| match m {
            Modality::Image => "image",
            Modality::Text => "text",
        }),
        num_samples: dataset.len(),
        num_classes: dataset.num_classes(),
        method,
        cache: match outcome {
            zoorank_features::CacheOutcome::Hit => "hit",
            zoorank_features::CacheOutcome::Miss => "miss",
        },
        distances,
    };
    if args.json {
        return output::print_json(&added);
    }
    output::println(format!(
        "registered {} ({}, {} samples, {} classes); embedding {} ({} dims, cache {})",
        added.dataset,
        added.modality.unwrap_or("features"),
        added.num_samples,
        added.num_classes,
        added.method,
        dim,
        added.cache
    ))?;
    if added.distances.is_empty() {
        return output::println(
            "no other dataset has an embedding from this probe yet: no distances stored",
        );
    }
    let table = output::table(
        &["dataset", "distance"],
        added
            .distances
            .iter()
            .map(|(n, d)| vec![n.clone(), format!("{d:.6}")])
            .collect(),
    );
    output::println(table)
}
