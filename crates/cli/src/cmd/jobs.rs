//! `zoorank jobs` and `zoorank worker`: scoring spread over many processes and machines
//! through the store's job queue (see `zoorank-worker`).
//!
//! `jobs submit score-zoo` writes one job per (model, dataset); any number of `zoorank worker`
//! processes, on any machine that sees the same model and dataset paths and reaches the same
//! store (a `postgres://` URL), claim and run them; `jobs status` shows progress.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use zoorank_store::NewJob;
use zoorank_worker::{
    embed_zoo_jobs, score_zoo_jobs, DatasetAddSpec, Event, ExtractSpec, Worker, WorkerOptions,
};

use crate::cmd::dataset::default_name;
use crate::cmd::embed::ExtractArgs;
use crate::cmd::import::{open_existing_store, open_store};
use crate::cmd::score_zoo::ZooScoringArgs;
use crate::global::Global;
use crate::output;

/// `zoorank jobs` subcommands.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Queue work for workers.
    #[command(subcommand)]
    Submit(Box<SubmitCommand>),
    /// Progress of the queue: jobs queued, running, done and failed, with each failure's error.
    Status {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Put every failed job back in the queue with fresh attempts.
    Retry,
}

/// What to queue.
#[derive(Debug, Subcommand)]
pub enum SubmitCommand {
    /// One job per model directory of a zoo: its forward pass over the dataset and the scores.
    ///
    /// Example: zoorank --db postgres://zoo@db/zoo jobs submit score-zoo --models /shared/zoo --dataset /shared/reviews.csv --methods logme,leep
    ScoreZoo(ScoreZooJobArgs),
    /// One job per model directory of a zoo: its forward pass over the dataset, kept in the
    /// store's feature cache, so that later scoring (`score-zoo` jobs, `zoorank score-zoo`)
    /// reads the features instead of running the model again.
    ///
    /// Example: zoorank --db postgres://zoo@db/zoo jobs submit embed --models /shared/zoo --dataset /shared/reviews.csv
    Embed(EmbedJobArgs),
    /// One job per dataset: register it by a probe model's mean feature, with its distances to
    /// every dataset the same probe embedded before (what `zoorank dataset add` does). Each
    /// job writes its dataset, embedding and distances with its done mark, so datasets added
    /// at the same time by different workers still get the distances between them.
    ///
    /// Example: zoorank --db postgres://zoo@db/zoo jobs submit dataset-add /shared/a.csv /shared/b.csv --probe /shared/zoo/all-MiniLM-L6-v2
    DatasetAdd(DatasetAddJobArgs),
}

/// `zoorank jobs submit embed` arguments.
#[derive(Debug, Args)]
pub struct EmbedJobArgs {
    /// Directory whose sub-directories are model directories (Hugging Face layout), at a path
    /// every worker sees.
    #[arg(long)]
    pub models: PathBuf,
    /// The dataset, at a path every worker sees.
    #[arg(long)]
    pub dataset: PathBuf,
    /// Dataset name in the jobs' keys (default: the file or directory name without extension).
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub queue: QueueArgs,
    #[command(flatten)]
    pub extract: ExtractArgs,
}

/// `zoorank jobs submit dataset-add` arguments.
#[derive(Debug, Args)]
pub struct DatasetAddJobArgs {
    /// The datasets (image class folders, .csv/.tsv/.jsonl texts, .npy/.npz arrays), at paths
    /// every worker sees; each is named after its file or directory name without extension.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Probe model directory (Hugging Face layout) whose mean feature embeds the datasets.
    #[arg(long)]
    pub probe: PathBuf,
    /// Probe name in the distance method id (default: the probe directory's name).
    #[arg(long)]
    pub probe_name: Option<String>,
    #[command(flatten)]
    pub queue: QueueArgs,
    #[command(flatten)]
    pub extract: ExtractArgs,
}

/// How jobs are queued.
#[derive(Debug, Args)]
pub struct QueueArgs {
    /// Attempts per job before it is failed for good.
    #[arg(long, default_value_t = 3)]
    pub max_attempts: u32,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// `zoorank jobs submit score-zoo` arguments.
#[derive(Debug, Args)]
pub struct ScoreZooJobArgs {
    #[command(flatten)]
    pub zoo: ZooScoringArgs,
    #[command(flatten)]
    pub queue: QueueArgs,
}

/// `zoorank worker` arguments.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Jobs run at once (a thread and a store connection each).
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Seconds a claim lasts without renewal (renewed every third of it while a job runs); a
    /// worker that dies gives its job up after this long.
    #[arg(long, default_value_t = 120.0)]
    pub lease: f64,
    /// Seconds between looks at an empty queue.
    #[arg(long, default_value_t = 2.0)]
    pub poll: f64,
    /// Stop when no job is queued or running; otherwise wait for more work until killed.
    #[arg(long)]
    pub exit_when_idle: bool,
    /// Name in the queue (default: host:pid).
    #[arg(long)]
    pub name: Option<String>,
    /// One JSON object per event (claimed, done, failed, lost) on stdout.
    #[arg(long)]
    pub json: bool,
}

fn seconds(what: &str, v: f64) -> anyhow::Result<Duration> {
    anyhow::ensure!(
        v.is_finite() && v > 0.0,
        "--{what} must be a positive number of seconds, got {v}"
    );
    Ok(Duration::from_secs_f64(v))
}

/// Runs a `jobs` command.
pub fn run(cmd: JobsCommand, global: &Global) -> anyhow::Result<()> {
    match cmd {
        JobsCommand::Submit(submit) => match *submit {
            SubmitCommand::ScoreZoo(a) => submit_score_zoo(a, global),
            SubmitCommand::Embed(a) => submit_embed(a, global),
            SubmitCommand::DatasetAdd(a) => submit_dataset_add(a, global),
        },
        JobsCommand::Status { json } => {
            let st = open_existing_store(&global.db)?.job_status()?;
            if json {
                return output::print_json(&st);
            }
            let c = |k: &str| st.counts.get(k).copied().unwrap_or(0);
            output::println(format!(
                "{} jobs: {} done, {} running, {} queued, {} failed",
                st.total,
                c("done"),
                c("running"),
                c("queued"),
                c("failed")
            ))?;
            if !st.running.is_empty() {
                output::println(output::table(
                    &["running", "worker", "attempt", "lease left (s)"],
                    st.running
                        .iter()
                        .map(|r| {
                            vec![
                                r.key.clone(),
                                r.worker.clone(),
                                r.attempt.to_string(),
                                format!("{:.0}", r.lease_left),
                            ]
                        })
                        .collect(),
                ))?;
            }
            for (title, list) in [("failed", &st.failed), ("to retry", &st.retrying)] {
                if !list.is_empty() {
                    output::println(output::table(
                        &[title, "attempts", "error"],
                        list.iter()
                            .map(|f| vec![f.key.clone(), f.attempts.to_string(), f.error.clone()])
                            .collect(),
                    ))?;
                }
            }
            Ok(())
        }
        JobsCommand::Retry => {
            let n = open_existing_store(&global.db)?.retry_failed_jobs()?;
            output::println(format!("{n} failed job(s) queued again"))
        }
    }
}

fn submit_score_zoo(a: ScoreZooJobArgs, global: &Global) -> anyhow::Result<()> {
    let z = &a.zoo;
    let name = dataset_name(&z.dataset, z.extraction.name.as_deref())?;
    let extract = ExtractSpec {
        layers: z.extraction.layers.id().into(),
        ..extract_spec(&z.extraction.extract)
    };
    let specs = score_zoo_jobs(&z.models, &name, &z.dataset, &z.methods, &extract)?;
    let jobs: Vec<_> = specs.iter().map(|s| s.to_job()).collect();
    let what = format!("score {} model(s) on {name}", specs.len());
    let json = serde_json::json!({"dataset": name, "models": specs.len()});
    submit(global, &jobs, &a.queue, &what, json)
}

fn submit_embed(a: EmbedJobArgs, global: &Global) -> anyhow::Result<()> {
    let name = dataset_name(&a.dataset, a.name.as_deref())?;
    let specs = embed_zoo_jobs(&a.models, &name, &a.dataset, &extract_spec(&a.extract))?;
    let jobs: Vec<_> = specs.iter().map(|s| s.to_job()).collect();
    let what = format!("embed {name} with {} model(s)", specs.len());
    let json = serde_json::json!({"dataset": name, "models": specs.len()});
    submit(global, &jobs, &a.queue, &what, json)
}

fn submit_dataset_add(a: DatasetAddJobArgs, global: &Global) -> anyhow::Result<()> {
    anyhow::ensure!(
        a.probe.join("config.json").is_file(),
        "probe {} is not a model directory (no config.json)",
        a.probe.display()
    );
    let extract = extract_spec(&a.extract);
    extract.load_options().map_err(anyhow::Error::msg)?;
    let probe_dir = std::path::absolute(&a.probe).unwrap_or_else(|_| a.probe.clone());
    let probe = a
        .probe_name
        .clone()
        .unwrap_or_else(|| default_name(&a.probe));
    let mut specs = Vec::new();
    for path in &a.paths {
        let dataset = dataset_name(path, None)?;
        anyhow::ensure!(
            specs.iter().all(|s: &DatasetAddSpec| s.dataset != dataset),
            "two datasets would be named {dataset}: register one of them with `zoorank dataset add --name`"
        );
        specs.push(DatasetAddSpec {
            dataset,
            dataset_path: std::path::absolute(path).unwrap_or_else(|_| path.clone()),
            probe_dir: probe_dir.clone(),
            probe: probe.clone(),
            extract: extract.clone(),
        });
    }
    let jobs: Vec<_> = specs.iter().map(|s| s.to_job()).collect();
    let names: Vec<&str> = specs.iter().map(|s| s.dataset.as_str()).collect();
    let what = format!("register {} dataset(s) with probe {probe}", specs.len());
    let json = serde_json::json!({"datasets": names, "probe": probe});
    submit(global, &jobs, &a.queue, &what, json)
}

/// A dataset's name in the store (`name`, or its file or directory name), after checking the
/// path exists.
fn dataset_name(path: &Path, name: Option<&str>) -> anyhow::Result<String> {
    anyhow::ensure!(path.exists(), "dataset {} does not exist", path.display());
    Ok(name.map_or_else(|| default_name(path), str::to_string))
}

/// Queues `jobs` and says how many were added: `what` says what they do, `json` is the JSON
/// answer's object, to which the counts are added.
fn submit(
    global: &Global,
    jobs: &[NewJob],
    queue: &QueueArgs,
    what: &str,
    mut json: serde_json::Value,
) -> anyhow::Result<()> {
    let mut store = open_store(&global.db)?;
    let (added, existing) = store
        .submit_jobs(jobs, queue.max_attempts)
        .context("queueing the jobs")?;
    if queue.json {
        json["added"] = added.into();
        json["already_queued"] = existing.into();
        return output::print_json(&json);
    }
    output::println(format!(
        "{added} job(s) queued ({existing} already there) to {what}; \
         start workers with: zoorank --db {} worker",
        store.location()
    ))
}

/// A value's command-line name (`json`, `mean`, ...).
fn name<T: ValueEnum>(v: &T) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}

/// The worker-side form of the extraction options (a job carries them to its worker).
fn extract_spec(e: &ExtractArgs) -> ExtractSpec {
    ExtractSpec {
        batch_size: e.batch_size,
        max_samples: e.max_samples,
        seed: e.seed,
        label_column: e.label_column.clone(),
        text_column: e.text_column.clone(),
        text_pair_column: e.text_pair_column.clone(),
        tokenizer: name(&e.tokenizer),
        pooling: e.pooling.as_ref().map(name),
        layers: zoorank_features::Layers::Last.id().into(),
        cache: !e.no_cache,
    }
}

/// Runs `zoorank worker`.
pub fn run_worker(a: WorkerArgs, global: &Global) -> anyhow::Result<()> {
    anyhow::ensure!(a.concurrency >= 1, "--concurrency must be at least 1");
    let options = WorkerOptions {
        name: a.name.clone().unwrap_or_else(zoorank_worker::default_name),
        concurrency: a.concurrency,
        lease: seconds("lease", a.lease)?,
        poll: seconds("poll", a.poll)?,
        exit_when_idle: a.exit_when_idle,
    };
    let worker = Worker::new(&global.db, options);
    // SIGTERM or Ctrl-C: claim nothing more, finish and write the jobs in hand, then exit; a
    // second one exits at once (the jobs in hand go back to the queue when their leases end).
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [SIGTERM, SIGINT] {
        flag::register_conditional_shutdown(sig, 130, Arc::clone(&stop))
            .and_then(|_| flag::register(sig, Arc::clone(&stop)))
            .context("installing the signal handlers")?;
    }
    let json = a.json;
    let report = worker
        .run(&stop, &|e: &Event| {
            let line = if json {
                serde_json::to_string(e).unwrap_or_default()
            } else {
                match e {
                    Event::Claimed {
                        id, key, attempt, ..
                    } => format!("job {id} claimed (attempt {attempt}): {key}"),
                    Event::Done {
                        id, wrote, seconds, ..
                    } => format!("job {id} done: {wrote} in {seconds:.2} s"),
                    Event::Failed { id, error } => format!("job {id} failed: {error}"),
                    Event::Lost { id } => {
                        format!("job {id}: lease lost to another worker, nothing written")
                    }
                }
            };
            let _ = output::println(line);
        })
        .with_context(|| {
            format!(
                "working on the jobs of {}",
                crate::cmd::import::db_label(&global.db)
            )
        })?;
    if !json {
        let why = if stop.load(Ordering::Relaxed) {
            " (signalled; the jobs in hand were finished)"
        } else {
            ""
        };
        output::println(format!(
            "worker stopped{why}: {} done, {} failed attempt(s), {} lost",
            report.done, report.failed, report.lost
        ))?;
    }
    Ok(())
}
