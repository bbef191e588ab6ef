//! `zoorank import ...`: fill the store from files. Each import is one transaction.

use crate::global::Global;
use crate::output;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use zoorank_core::Modality;
use zoorank_store::import::{self, ModelsCsvSpec, RecordsCsvSpec};
use zoorank_store::{ImportOptions, ImportReport, Store};

/// Options every importer takes.
#[derive(Debug, Args)]
pub struct CommonImportArgs {
    /// Import the good rows and list the bad ones, instead of refusing the whole import.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// Parse and validate only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the import report as JSON.
    #[arg(long)]
    pub json: bool,
}

impl CommonImportArgs {
    fn options(&self) -> ImportOptions {
        ImportOptions {
            skip_bad_rows: self.skip_bad_rows,
            dry_run: self.dry_run,
        }
    }
}

/// What to import.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a TransferGraph zoo directory (image or text layout, detected from the headers).
    ///
    /// Reads records.csv and, when present, model_config_dataset.csv,
    /// target_dataset_features.csv, transferability_score_records.csv and
    /// dataset_distances*.csv. Bad rows (wrong number of fields, malformed numbers, unknown
    /// models) refuse the import and are listed with file, line and column; --skip-bad-rows
    /// imports the rest. Repeated keys keep the last row in the file and are counted.
    ///
    /// Example: zoorank import transfergraph ../shared/data/transfergraph-image --skip-bad-rows
    Transfergraph {
        /// The directory.
        dir: PathBuf,
        #[command(flatten)]
        common: CommonImportArgs,
    },
    /// Import the two-phase benchmark: <p>_performance_matrix.tsv + <p>_benchmark_datasets.txt
    /// (as fine-tuning records) and <p>_leep_<target>.tsv (as `leep` scores); p = nlp (text) or
    /// cv (image). Model ids written with `--` get their `/` back.
    ///
    /// Example: zoorank import two-phase ../shared/data/two-phase
    TwoPhase {
        /// The directory.
        dir: PathBuf,
        #[command(flatten)]
        common: CommonImportArgs,
    },
    /// Import any CSV of fine-tuning results; you name the columns.
    ///
    /// A record is identified by (model, dataset, the hyper-parameter columns you name). Rows
    /// that share those but differ in their results (re-runs, or a hyper-parameter column you
    /// did not name) are kept as separate runs, and the summary counts them; identical rows are
    /// one run, so re-importing the same file changes nothing. --keep-last keeps only the last
    /// row of each instead.
    ///
    /// Example: zoorank import records runs.csv --model-col model --dataset-col task --accuracy-col acc --lr-col lr
    Records(Box<RecordsArgs>),
    /// Import any CSV of model metadata; you name the id column, usual column names
    /// (architectures, model_type, number_of_parameters, memory_consumption, input_shape,
    /// dataset, accuracy, #labels) are recognised, everything else is kept as JSON.
    ///
    /// Example: zoorank import models models.csv --id-col model
    Models(ModelsArgs),
}

/// `import records` arguments.
#[derive(Debug, Args)]
pub struct RecordsArgs {
    /// The CSV file.
    pub file: PathBuf,
    /// Column with the model id.
    #[arg(long)]
    pub model_col: String,
    /// Column with the dataset name.
    #[arg(long)]
    pub dataset_col: String,
    /// Column with the accuracy (any higher-is-better metric).
    #[arg(long)]
    pub accuracy_col: String,
    /// Column with the learning rate.
    #[arg(long)]
    pub lr_col: Option<String>,
    /// Column with the number of epochs.
    #[arg(long)]
    pub epochs_col: Option<String>,
    /// Column with the batch size.
    #[arg(long)]
    pub batch_size_col: Option<String>,
    /// Column with the training time in seconds.
    #[arg(long)]
    pub runtime_col: Option<String>,
    /// Column with the PEFT method (empty = full fine-tuning).
    #[arg(long)]
    pub peft_col: Option<String>,
    /// Column with the seed (distinguishes repeated runs).
    #[arg(long)]
    pub seed_col: Option<String>,
    /// Column with a per-epoch validation curve (`[0.5, 0.6]` or `0.5;0.6`).
    #[arg(long)]
    pub curve_col: Option<String>,
    /// Modality of the models and datasets (image or text).
    #[arg(long, value_parser = parse_modality)]
    pub modality: Option<Modality>,
    /// Field delimiter (one character; `tab` for TSV).
    #[arg(long, default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,
    /// Keep only the last row of each (model, dataset, named hyper-parameters), replacing a
    /// stored run with the same key, instead of keeping every distinct row as its own run.
    #[arg(long)]
    pub keep_last: bool,
    #[command(flatten)]
    pub common: CommonImportArgs,
}

/// `import models` arguments.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// The CSV file.
    pub file: PathBuf,
    /// Column with the model id.
    #[arg(long)]
    pub id_col: String,
    /// Modality of the models (image or text).
    #[arg(long, value_parser = parse_modality)]
    pub modality: Option<Modality>,
    /// Field delimiter (one character; `tab` for TSV).
    #[arg(long, default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,
    #[command(flatten)]
    pub common: CommonImportArgs,
}

/// Parses `image` / `text` for clap.
pub fn parse_modality(s: &str) -> Result<Modality, String> {
    Modality::parse(s).ok_or_else(|| format!("unknown modality '{s}' (expected image or text)"))
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "delimiter must be one ASCII character or 'tab', got '{s}'"
        )),
    }
}

/// Opens the store named by `--db` for a command that writes, creating it if there is none.
pub fn open_store(db: &Path) -> anyhow::Result<Store> {
    Store::open(db).with_context(|| format!("opening the zoo store {}", db_label(db)))
}

/// The store's location for messages: the path, or the PostgreSQL URL without its password.
pub fn db_label(db: &Path) -> String {
    zoorank_store::redact_url(&db.to_string_lossy())
}

/// Opens the existing store named by `--db` for a command that only reads: a missing file or
/// one that is not a zoorank store is an error, and nothing is written to it.
pub fn open_existing_store(db: &Path) -> anyhow::Result<Store> {
    Store::open_existing(db).with_context(|| format!("opening the zoo store {}", db_label(db)))
}

/// Runs an import command.
pub fn run(cmd: ImportCommand, global: &Global) -> anyhow::Result<()> {
    let mut store = open_store(&global.db)?;
    let (what, common, result) = match &cmd {
        ImportCommand::Transfergraph { dir, common } => {
            let pb = output::spinner(format!("importing {}", dir.display()));
            let r = import::import_transfergraph(&mut store, dir, common.options());
            pb.finish_and_clear();
            (dir.display().to_string(), common, r)
        }
        ImportCommand::TwoPhase { dir, common } => (
            dir.display().to_string(),
            common,
            import::import_two_phase(&mut store, dir, common.options()),
        ),
        ImportCommand::Records(a) => {
            let spec = RecordsCsvSpec {
                model_col: a.model_col.clone(),
                dataset_col: a.dataset_col.clone(),
                accuracy_col: a.accuracy_col.clone(),
                lr_col: a.lr_col.clone(),
                epochs_col: a.epochs_col.clone(),
                batch_size_col: a.batch_size_col.clone(),
                runtime_col: a.runtime_col.clone(),
                peft_col: a.peft_col.clone(),
                seed_col: a.seed_col.clone(),
                curve_col: a.curve_col.clone(),
                modality: a.modality,
                delimiter: Some(a.delimiter),
                keep_last: a.keep_last,
            };
            (
                a.file.display().to_string(),
                &a.common,
                import::import_records(&mut store, &a.file, &spec, a.common.options()),
            )
        }
        ImportCommand::Models(a) => {
            let spec = ModelsCsvSpec {
                id_col: a.id_col.clone(),
                modality: a.modality,
                delimiter: Some(a.delimiter),
            };
            (
                a.file.display().to_string(),
                &a.common,
                import::import_models(&mut store, &a.file, &spec, a.common.options()),
            )
        }
    };
    let report = result.with_context(|| format!("importing {what} (nothing was written)"))?;
    if common.json {
        output::print_json(&report)
    } else {
        print_report(&what, &report, common.dry_run)
    }
}

/// Prints an import report for people.
pub fn print_report(what: &str, r: &ImportReport, dry_run: bool) -> anyhow::Result<()> {
    let verb = if dry_run {
        "checked (dry run, nothing written)"
    } else {
        "imported"
    };
    output::println(format!("{verb} {what} (layout: {})", r.layout))?;
    let header = [
        "file",
        "rows read",
        "repeats dropped",
        "repeats kept as runs",
    ];
    output::print_table(&header, &r.rows_read, |(f, n)| {
        vec![
            f.clone(),
            n.to_string(),
            r.duplicates.get(f).copied().unwrap_or(0).to_string(),
            r.repeats_kept.get(f).copied().unwrap_or(0).to_string(),
        ]
    })?;
    if let Some(c) = &r.counts {
        let rows = [
            ("models", c.models),
            ("datasets", c.datasets),
            ("records", c.records),
            ("scores", c.scores),
            ("distances", c.distances),
        ]
        .into_iter()
        .map(|(name, u)| {
            vec![
                name.to_string(),
                u.new.to_string(),
                u.updated.to_string(),
                u.unchanged.to_string(),
            ]
        })
        .collect();
        output::println(output::table(
            &["table", "new", "updated", "unchanged"],
            rows,
        ))?;
    }
    for n in &r.notes {
        output::println(format!("note: {n}"))?;
    }
    for w in &r.warnings {
        output::println(format!("warning: {w}"))?;
    }
    if !r.skipped.is_empty() {
        output::println(format!("skipped {} bad row(s):", r.skipped.len()))?;
        for p in &r.skipped {
            output::println(format!("  {p}"))?;
        }
    }
    Ok(())
}
