//! `zoorank`: rank a zoo of pre-trained models for a target dataset.
//!
//! A thin `main` over [`run`]: every command lives in its own module under `cmd/`, returns
//! `anyhow::Result`, and errors are printed as a chain (`{:#}`) with a documented exit code.

mod cmd;
mod global;
mod output;

use global::Global;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  error (bad input, failed import, unknown model or dataset, ...)
  2  wrong command-line usage
  3  score-zoo: some models could not be scored (the others were; the output names them)";

/// zoorank — which of these models should I fine-tune on my data, and how well will it do?
///
/// zoorank keeps a zoo (models, datasets, past fine-tuning results, transferability scores,
/// dataset distances) in one SQLite file, or in a PostgreSQL database a team shares, and ranks
/// every model for a target dataset.
#[derive(Debug, Parser)]
#[command(name = "zoorank", version, after_long_help = EXIT_CODES)]
pub struct Cli {
    /// The zoo store: an SQLite file (created on first use), or a shared PostgreSQL database
    /// as postgres://user[:password]@host[:port]/database (its tables are created on first use).
    #[arg(long, global = true, env = "ZOORANK_DB", default_value = "zoorank.db")]
    pub db: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Features of a local dataset from a local Hugging Face model directory (cached in the store).
    ///
    /// Example: zoorank embed --model models/all-MiniLM-L6-v2 --dataset reviews.csv --out f.npy
    Embed(cmd::embed::EmbedArgs),
    /// Register local datasets (metadata, probe embedding, Domain-Similarity distances).
    #[command(subcommand)]
    Dataset(cmd::dataset::DatasetCommand),
    /// Score every model of a local zoo (a directory of model directories) on a local dataset;
    /// resumable, results into the store with --store. A model that fails is reported with its
    /// error and the others are still scored; the exit code is then 3.
    ///
    /// Example: zoorank score-zoo --models zoo/ --dataset reviews.csv --methods logme,leep --store
    ScoreZoo(cmd::score_zoo::ScoreZooArgs),
    /// Import zoo data (TransferGraph layouts, two-phase matrices, any CSV of results).
    #[command(subcommand)]
    Import(cmd::import::ImportCommand),
    /// Inspect the zoo: counts, models, datasets, records.
    #[command(subcommand)]
    Zoo(cmd::zoo::ZooCommand),
    /// Import the shipped image zoo into the store and show what zoorank knows about it.
    Quickstart(cmd::quickstart::QuickstartArgs),
    /// Evaluate ranking methods leave-one-dataset-out on the zoo's real fine-tuning results.
    Eval(cmd::eval::EvalArgs),
    /// Rank every model of the zoo for a target dataset by predicted fine-tuning accuracy.
    Recommend(cmd::recommend::RecommendArgs),
    /// Which models to fine-tune next on a target (a budget of runs), and why.
    Next(cmd::next::NextArgs),
    /// Cluster models by benchmark performance (two-phase recall, step 1): clusters,
    /// representatives, silhouettes.
    ///
    /// Example: zoorank cluster --from two-phase --json
    Cluster(cmd::cluster::ClusterArgs),
    /// Two-phase coarse recall: a proxy score on cluster representatives only, top K models.
    ///
    /// Example: zoorank recall --target multirc --top 10
    Recall(cmd::recall::RecallArgs),
    /// Fine selection: successive halving with convergence trends over the recalled models.
    ///
    /// Example: zoorank select --target iris --trainer replay --curves curves.jsonl
    Select(cmd::select::SelectArgs),
    /// Feature-based transferability scores (LogME, H-Score, LEEP, …) of one model on a labelled
    /// target: extracted from a local model directory and dataset (through the feature cache), or
    /// read from .npy/.npz/CSV files of features, source-class probabilities and labels.
    ///
    /// Example: zoorank score --model models/all-MiniLM-L6-v2 --dataset reviews.csv --method logme --store
    ///
    /// Example: zoorank score --features X.npy --labels y.npy --method logme,hscore --json
    Score(cmd::score::ScoreArgs),
    /// Serve the zoo over HTTP: a JSON API (GET /openapi.json lists it) and a web page at /
    /// where anyone can pick a target and see the ranked models. Writes (adding runs,
    /// imports) need the token of --token-file. Stops cleanly on SIGTERM or Ctrl-C.
    ///
    /// Example: zoorank serve --bind 127.0.0.1:8080 --token-file token.txt
    Serve(cmd::serve::ServeArgs),
    /// The store's job queue: submit scoring work for workers, watch its progress.
    ///
    /// Example: zoorank --db postgres://zoo@db/zoo jobs submit score-zoo --models /shared/zoo --dataset /shared/reviews.csv --methods logme
    #[command(subcommand)]
    Jobs(cmd::jobs::JobsCommand),
    /// Run queued jobs (any number of workers, on any machines that reach the store and see
    /// the same paths). A worker killed mid-job loses nothing: its lease expires and another
    /// worker does the job; no result is written twice.
    ///
    /// Example: zoorank --db postgres://zoo@db/zoo worker --concurrency 2
    Worker(cmd::jobs::WorkerArgs),
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let global = Global { db: cli.db };
    match cli.command {
        Command::Embed(a) => cmd::embed::run(a, &global),
        Command::Dataset(c) => cmd::dataset::run(c, &global),
        Command::ScoreZoo(a) => cmd::score_zoo::run(a, &global),
        Command::Import(c) => cmd::import::run(c, &global),
        Command::Zoo(c) => cmd::zoo::run(c, &global),
        Command::Quickstart(a) => cmd::quickstart::run(a, &global),
        Command::Eval(a) => cmd::eval::run(a, &global),
        Command::Recommend(a) => cmd::recommend::run(a, &global),
        Command::Next(a) => cmd::next::run(a, &global),
        Command::Cluster(a) => cmd::cluster::run(a, &global),
        Command::Recall(a) => cmd::recall::run(a, &global),
        Command::Select(a) if a.budget.is_some() => cmd::select_loop::run(a, &global),
        Command::Select(a) => cmd::select::run(a, &global),
        Command::Score(a) => cmd::score::run(a, &global),
        Command::Serve(a) => cmd::serve::run(a, &global),
        Command::Jobs(c) => cmd::jobs::run(c, &global),
        Command::Worker(a) => cmd::jobs::run_worker(a, &global),
    }
}

/// mimalloc rather than the system allocator. The feature extractors allocate and free
/// tens of megabytes per layer (activations, im2col buffers); glibc's malloc serves blocks that
/// large with fresh `mmap`s and returns them with `munmap`, so the kernel zeroes every page
/// again on first touch: a ResNet-50 `embed` spent about a sixth of its time in
/// `clear_page_erms` and page faults. mimalloc keeps freed memory for reuse.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if output::is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", output::chain_message(&e));
            if e.downcast_ref::<cmd::score_zoo::SomeModelsFailed>()
                .is_some()
            {
                ExitCode::from(3)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::output::chain_message;

    /// An error that prints its source inside its own message and also exposes it, as
    /// `thiserror` variants with `{source}` in their format do.
    #[derive(Debug)]
    struct Wrapping(std::io::Error);

    impl std::fmt::Display for Wrapping {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "cannot read runs: {}", self.0)
        }
    }

    impl std::error::Error for Wrapping {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_already_in_the_message_is_printed_once() {
        let io = std::io::Error::other("database is locked");
        let e = anyhow::Error::new(Wrapping(io)).context("importing runs.csv");
        assert_eq!(format!("{e:#}").matches("database is locked").count(), 2);
        assert_eq!(
            chain_message(&e),
            "importing runs.csv: cannot read runs: database is locked"
        );
        // A cause not yet said is still printed.
        let e = anyhow::anyhow!("disk full").context("writing the store");
        assert_eq!(chain_message(&e), "writing the store: disk full");
    }
}
