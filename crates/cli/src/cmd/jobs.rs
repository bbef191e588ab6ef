//! `zoorank jobs` and `zoorank worker`: scoring spread over many processes and machines
//! through the store's job queue (see `zoorank-worker`).
//!
//! `jobs submit score-zoo` writes one job per (model, dataset); any number of `zoorank worker`
//! processes, on any machine that sees the same model and dataset paths and reaches the same
//! store (a `postgres://` URL), claim and run them; `jobs status` shows progress.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use zoorank_worker::{score_zoo_jobs, Event, ExtractSpec, Worker, WorkerOptions};

use crate::cmd::dataset::default_name;
use crate::cmd::embed::ExtractArgs;
use crate::cmd::import::{open_existing_store, open_store};
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
}

/// `zoorank jobs submit score-zoo` arguments.
#[derive(Debug, Args)]
pub struct ScoreZooJobArgs {
    /// Directory whose sub-directories are model directories (Hugging Face layout), at a path
    /// every worker sees.
    #[arg(long)]
    pub models: PathBuf,
    /// The target dataset, at a path every worker sees.
    #[arg(long)]
    pub dataset: PathBuf,
    /// Score methods (comma-separated ids: logme, h-score, leep, nce, ...).
    #[arg(long, value_delimiter = ',', default_value = "logme")]
    pub methods: Vec<String>,
    /// Dataset name in the store (default: the file or directory name without extension).
    #[arg(long)]
    pub name: Option<String>,
    /// Attempts per job before it is failed for good.
    #[arg(long, default_value_t = 3)]
    pub max_attempts: u32,
    #[command(flatten)]
    pub extract: ExtractArgs,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
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
    anyhow::ensure!(
        a.dataset.exists(),
        "dataset {} does not exist",
        a.dataset.display()
    );
    let name = a.name.clone().unwrap_or_else(|| default_name(&a.dataset));
    let extract = extract_spec(&a.extract);
    let specs = score_zoo_jobs(&a.models, &name, &a.dataset, &a.methods, &extract)?;
    let jobs: Vec<_> = specs.iter().map(|s| s.to_job()).collect();
    let mut store = open_store(&global.db)?;
    let (added, existing) = store
        .submit_jobs(&jobs, a.max_attempts)
        .context("queueing the jobs")?;
    if a.json {
        return output::print_json(&serde_json::json!({
            "added": added,
            "already_queued": existing,
            "dataset": name,
            "models": specs.len(),
        }));
    }
    output::println(format!(
        "{added} job(s) queued ({existing} already there) to score {} model(s) on {name}; \
         start workers with: zoorank --db {} worker",
        specs.len(),
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
    let stop = AtomicBool::new(false);
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
                        id,
                        scores,
                        seconds,
                    } => {
                        format!("job {id} done: {scores} score(s) in {seconds:.2} s")
                    }
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
        output::println(format!(
            "worker stopped: {} done, {} failed attempt(s), {} lost",
            report.done, report.failed, report.lost
        ))?;
    }
    Ok(())
}
