//! The worker loop: claim a job, keep its lease alive, run it, write its results with the
//! done mark; on any failure put it back for another attempt.

use crate::embed::{
    embedding_distance, run_dataset_add_job, run_embed_job, DatasetAddSpec, DatasetAddSummary,
    EmbedSpec, DATASET_ADD, EMBED,
};
use crate::job::{run_score_job, ScoreSpec, SCORE};
use crate::WorkerError;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zoorank_store::{Batch, EmbeddedDataset, Job, Store};

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Its name in the queue (default: host and process id); each thread adds `/n`.
    pub name: String,
    /// Jobs run at once (one thread and one store connection each).
    pub concurrency: usize,
    /// How long a claim lasts without renewal; renewed every third of it while a job runs.
    pub lease: Duration,
    /// Wait between looks at an empty queue.
    pub poll: Duration,
    /// Stop once no job is queued or running anywhere (for batch runs and tests); otherwise
    /// wait for more work until stopped.
    pub exit_when_idle: bool,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            name: default_name(),
            concurrency: 1,
            lease: Duration::from_secs(120),
            poll: Duration::from_secs(2),
            exit_when_idle: false,
        }
    }
}

/// `host:pid`, from `$HOSTNAME` or `/etc/hostname`.
pub fn default_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into());
    format!("{host}:{}", std::process::id())
}

/// What happened to one job, as the worker reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A job was claimed.
    Claimed {
        /// Job id.
        id: i64,
        /// Its key.
        key: String,
        /// Which attempt.
        attempt: i64,
        /// The claiming thread.
        worker: String,
    },
    /// A job's results were written and it is done.
    Done {
        /// Job id.
        id: i64,
        /// Scores written.
        scores: usize,
        /// What the job wrote, in words.
        wrote: String,
        /// Seconds it took.
        seconds: f64,
    },
    /// A job failed this attempt (it is retried while attempts remain).
    Failed {
        /// Job id.
        id: i64,
        /// The error.
        error: String,
    },
    /// The job's lease was lost (another worker has it); nothing of it was written.
    Lost {
        /// Job id.
        id: i64,
    },
}

/// What a worker did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WorkerReport {
    /// Jobs finished.
    pub done: usize,
    /// Failed attempts.
    pub failed: usize,
    /// Jobs whose lease was lost.
    pub lost: usize,
}

/// A worker over one store.
#[derive(Debug, Clone)]
pub struct Worker {
    location: PathBuf,
    options: WorkerOptions,
}

impl Worker {
    /// A worker for the store at `location` (an SQLite path or a `postgres://` URL).
    pub fn new(location: impl AsRef<Path>, options: WorkerOptions) -> Worker {
        Worker {
            location: location.as_ref().to_path_buf(),
            options,
        }
    }

    /// Runs until the queue is empty (with `exit_when_idle`) or `stop` is set; `on_event`
    /// hears every job's progress (from several threads).
    pub fn run(
        &self,
        stop: &AtomicBool,
        on_event: &(dyn Fn(&Event) + Sync),
    ) -> Result<WorkerReport, WorkerError> {
        // Opening once up front migrates the store and reports a bad location at once.
        drop(Store::open(&self.location)?);
        let report = Mutex::new(WorkerReport::default());
        let n = self.options.concurrency.max(1);
        let errors: Vec<WorkerError> = std::thread::scope(|s| {
            let handles: Vec<_> = (1..=n)
                .map(|i| {
                    let name = format!("{}/{i}", self.options.name);
                    let report = &report;
                    s.spawn(move || self.thread_loop(&name, stop, on_event, report))
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|h| match h.join() {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e),
                    Err(_) => Some(WorkerError::Zoo("a worker thread panicked".into())),
                })
                .collect()
        });
        match errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(report.into_inner().unwrap_or_else(|p| p.into_inner())),
        }
    }

    fn thread_loop(
        &self,
        name: &str,
        stop: &AtomicBool,
        on_event: &(dyn Fn(&Event) + Sync),
        report: &Mutex<WorkerReport>,
    ) -> Result<(), WorkerError> {
        let mut store = Store::open(&self.location)?;
        let count =
            |f: fn(&mut WorkerReport)| f(&mut report.lock().unwrap_or_else(|p| p.into_inner()));
        while !stop.load(Ordering::Relaxed) {
            let Some(job) = store.claim_job(name, self.options.lease)? else {
                if self.options.exit_when_idle {
                    let st = store.job_status()?;
                    if st.counts.get("queued").copied().unwrap_or(0) == 0
                        && st.counts.get("running").copied().unwrap_or(0) == 0
                    {
                        return Ok(());
                    }
                }
                sleep_unless_stopped(self.options.poll, stop);
                continue;
            };
            on_event(&Event::Claimed {
                id: job.id,
                key: job.key.clone(),
                attempt: job.attempt,
                worker: name.to_string(),
            });
            let started = Instant::now();
            let outcome = self.with_lease(&job, || run_job(&job, &mut store));
            match outcome.and_then(|work| work.finish(&job, &mut store)) {
                Ok(Some((scores, wrote))) => {
                    count(|r| r.done += 1);
                    on_event(&Event::Done {
                        id: job.id,
                        scores,
                        wrote,
                        seconds: started.elapsed().as_secs_f64(),
                    });
                }
                Ok(None) => {
                    count(|r| r.lost += 1);
                    on_event(&Event::Lost { id: job.id });
                }
                Err(e) => {
                    let error = e.to_string();
                    store.fail_job(&job, &error)?;
                    count(|r| r.failed += 1);
                    on_event(&Event::Failed { id: job.id, error });
                }
            }
        }
        Ok(())
    }

    /// Runs `work` while a helper thread renews the job's lease every third of its length.
    fn with_lease<T>(&self, job: &Job, work: impl FnOnce() -> T) -> T {
        let (done, rx) = mpsc::channel::<()>();
        let lease = self.options.lease;
        std::thread::scope(|s| {
            s.spawn(move || {
                // A store of its own: the job's own connection is busy with the work.
                let Ok(mut store) = Store::open(&self.location) else {
                    return;
                };
                while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(lease / 3) {
                    match store.renew_lease(job, lease) {
                        Ok(true) => {}
                        // Lost or failing: the finish will find out and write nothing.
                        Ok(false) | Err(_) => return,
                    }
                }
            });
            let v = work();
            let _ = done.send(());
            v
        })
    }
}

fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) {
    let until = Instant::now() + d;
    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50).min(d));
    }
}

/// A job's work, done and waiting to be written with its done mark.
enum Finished {
    /// Rows to apply (a scoring job's scores; nothing for an `embed` job, whose features are
    /// already in the cache) and the job's result (JSON).
    Rows(zoorank_store::Batch, String, String),
    /// A dataset to register (a `dataset-add` job) and its summary, completed with the
    /// distances when it is written.
    Dataset(EmbeddedDataset, DatasetAddSummary),
}

impl Finished {
    /// Writes the job's results and marks it done, in one transaction; `None` when the
    /// lease was lost (nothing written). Returns the scores written and a line saying what
    /// was written.
    fn finish(self, job: &Job, store: &mut Store) -> Result<Option<(usize, String)>, WorkerError> {
        match self {
            Finished::Rows(batch, summary, wrote) => Ok(store
                .finish_job(job, &batch, &summary)?
                .map(|_| (batch.scores.len(), wrote))),
            Finished::Dataset(dataset, summary) => {
                let with = |distances: &[(String, f64)]| {
                    let mut s = summary.clone();
                    s.distances = distances.to_vec();
                    json(&s)
                };
                let written =
                    store.finish_dataset_job(job, &dataset, &embedding_distance, &with)?;
                Ok(written.map(|d| {
                    (
                        0,
                        format!("dataset {} with {} distance(s)", dataset.row.name, d.len()),
                    )
                }))
            }
        }
    }
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("a summary always serialises")
}

fn spec<T: serde::de::DeserializeOwned>(job: &Job) -> Result<T, WorkerError> {
    serde_json::from_str(&job.spec).map_err(|e| WorkerError::BadSpec {
        key: job.key.clone(),
        kind: job.kind.clone(),
        message: e.to_string(),
    })
}

/// Does a claimed job's work.
fn run_job(job: &Job, store: &mut Store) -> Result<Finished, WorkerError> {
    let cache = store as &mut dyn zoorank_core::BlobCache;
    match job.kind.as_str() {
        SCORE => {
            let (batch, summary) = run_score_job(&spec::<ScoreSpec>(job)?, Some(cache))?;
            let wrote = format!("{} score(s)", batch.scores.len());
            Ok(Finished::Rows(batch, json(&summary), wrote))
        }
        EMBED => {
            let summary = run_embed_job(&spec::<EmbedSpec>(job)?, cache)?;
            let wrote = format!(
                "features of {} on {} (cache {})",
                summary.model, summary.dataset, summary.cache
            );
            Ok(Finished::Rows(Batch::default(), json(&summary), wrote))
        }
        DATASET_ADD => {
            let (dataset, summary) =
                run_dataset_add_job(&spec::<DatasetAddSpec>(job)?, Some(cache))?;
            Ok(Finished::Dataset(dataset, summary))
        }
        _ => Err(WorkerError::UnknownKind {
            key: job.key.clone(),
            kind: job.kind.clone(),
        }),
    }
}
