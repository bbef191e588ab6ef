//! Evaluation jobs: an evaluation can take minutes, so it runs on a worker thread and the
//! client polls `GET /v1/jobs/{id}` for its progress and result instead of holding a
//! connection open.
//!
//! One job runs at a time (on one thread, so rankings keep the other cores); at most
//! [`MAX_QUEUED`] wait. Identical requests on the same zoo version share one job. The last
//! [`KEEP_FINISHED`] finished jobs are kept for their results.

use crate::error::{chain, ApiError};
use axum::http::StatusCode;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use zoorank_engine::{Engine, EvalProgress, EvalRequest};

/// Jobs waiting to run, at most.
pub const MAX_QUEUED: usize = 8;
/// Finished jobs kept.
pub const KEEP_FINISHED: usize = 32;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting for the worker.
    Queued,
    /// Running.
    Running,
    /// Finished with a result.
    Done,
    /// Finished with an error.
    Failed,
}

/// A job as `GET /v1/jobs/{id}` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    /// Id.
    pub id: u64,
    /// Always `eval`.
    pub kind: &'static str,
    /// Where it is.
    pub status: JobStatus,
    /// Zoo version it was asked on.
    pub zoo_version: String,
    /// The evaluation asked for.
    pub request: EvalRequest,
    /// Rankings done / total of the full-size run, and the model-ratio subset being worked on.
    pub progress: Progress,
    /// Seconds since the epoch.
    pub created_at: f64,
    /// Seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<f64>,
    /// Seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<f64>,
    /// The evaluation (what `zoorank eval --json` prints), once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<serde_json::Value>,
}

/// Progress of a job.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Progress {
    /// Rankings done.
    pub done: usize,
    /// Rankings in all (0 until known).
    pub total: usize,
    /// Fraction done in [0, 1] of the full-size run.
    pub fraction: f64,
    /// The model-ratio subset being evaluated, when past the full-size run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subset: Option<String>,
}

struct Inner {
    next: u64,
    jobs: BTreeMap<u64, JobView>,
    finished: VecDeque<u64>,
    queued: usize,
}

/// The job table and its worker.
pub struct Jobs {
    inner: Arc<Mutex<Inner>>,
    tx: Mutex<Option<mpsc::Sender<u64>>>,
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Jobs {
    /// Starts the worker thread, which opens its own engine on `db`.
    pub fn new(db: PathBuf) -> Jobs {
        let inner = Arc::new(Mutex::new(Inner {
            next: 1,
            jobs: BTreeMap::new(),
            finished: VecDeque::new(),
            queued: 0,
        }));
        let (tx, rx) = mpsc::channel::<u64>();
        let shared = inner.clone();
        std::thread::Builder::new()
            .name("zoorank-jobs".into())
            .spawn(move || worker(db, shared, rx))
            .expect("spawning the job worker thread");
        Jobs {
            inner,
            tx: Mutex::new(Some(tx)),
        }
    }

    /// Stops taking jobs; the worker finishes the one it runs (results are only in memory,
    /// so nothing is left half written) and exits.
    pub fn close(&self) {
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The job `id`.
    pub fn get(&self, id: u64) -> Option<JobView> {
        self.lock().jobs.get(&id).cloned()
    }

    /// A job for `request` on `zoo_version`: an existing one asking the same (queued,
    /// running or done), else a new one queued. `Ok((job, created))`.
    ///
    /// # Errors
    /// 429 when [`MAX_QUEUED`] jobs already wait; 503 when the server is shutting down.
    pub fn submit(
        &self,
        zoo_version: &str,
        request: EvalRequest,
    ) -> Result<(JobView, bool), ApiError> {
        let mut g = self.lock();
        if let Some(j) = g.jobs.values().rev().find(|j| {
            j.zoo_version == zoo_version && j.request == request && j.status != JobStatus::Failed
        }) {
            return Ok((j.clone(), false));
        }
        if g.queued >= MAX_QUEUED {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_jobs",
                format!("{MAX_QUEUED} jobs are already waiting; try again when one has finished"),
            ));
        }
        let id = g.next;
        let view = JobView {
            id,
            kind: "eval",
            status: JobStatus::Queued,
            zoo_version: zoo_version.to_string(),
            request,
            progress: Progress::default(),
            created_at: now(),
            started_at: None,
            finished_at: None,
            result: None,
            error: None,
        };
        let sent = self
            .tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|tx| tx.send(id).is_ok())
            .unwrap_or(false);
        if !sent {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "the server is shutting down and takes no new jobs",
            ));
        }
        g.next += 1;
        g.queued += 1;
        g.jobs.insert(id, view.clone());
        Ok((view, true))
    }
}

fn worker(db: PathBuf, inner: Arc<Mutex<Inner>>, rx: mpsc::Receiver<u64>) {
    let lock = || inner.lock().unwrap_or_else(|p| p.into_inner());
    let mut engine: Option<Engine> = None;
    while let Ok(id) = rx.recv() {
        let (request, version) = {
            let mut g = lock();
            g.queued = g.queued.saturating_sub(1);
            let Some(j) = g.jobs.get_mut(&id) else {
                continue;
            };
            j.status = JobStatus::Running;
            j.started_at = Some(now());
            (j.request.clone(), j.zoo_version.clone())
        };
        let progress = |p: EvalProgress| {
            let mut g = lock();
            if let Some(j) = g.jobs.get_mut(&id) {
                match p {
                    EvalProgress::Rankings { done, total } => {
                        j.progress.done = done;
                        j.progress.total = total;
                        j.progress.fraction = if total > 0 {
                            done as f64 / total as f64
                        } else {
                            0.0
                        };
                    }
                    EvalProgress::Subset { ratio, subset } => {
                        j.progress.subset = Some(format!("model ratio {ratio}, subset {subset}"));
                    }
                }
            }
        };
        // A panic inside the evaluation fails the job, not the worker (the engine it may
        // have left half-updated is dropped).
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_job(&db, &mut engine, &request, &version, &progress)
        }));
        let outcome = run.unwrap_or_else(|_| {
            engine = None;
            Err(ApiError::internal("the evaluation panicked"))
        });
        let mut g = lock();
        if let Some(j) = g.jobs.get_mut(&id) {
            j.finished_at = Some(now());
            match outcome {
                Ok(v) => {
                    j.status = JobStatus::Done;
                    j.result = Some(v);
                }
                Err(e) => {
                    j.status = JobStatus::Failed;
                    j.error = Some(e.body()["error"].clone());
                }
            }
        }
        g.finished.push_back(id);
        while g.finished.len() > KEEP_FINISHED {
            if let Some(old) = g.finished.pop_front() {
                g.jobs.remove(&old);
            }
        }
    }
}

fn run_job(
    db: &PathBuf,
    engine: &mut Option<Engine>,
    request: &EvalRequest,
    version: &str,
    progress: &(dyn Fn(EvalProgress) + Sync),
) -> Result<serde_json::Value, ApiError> {
    let e = match engine {
        Some(e) => e,
        None => engine.insert(Engine::open(db).map_err(|e| crate::error::from_engine(&e))?),
    };
    if e.zoo_version() != version {
        e.reload().map_err(|e| crate::error::from_engine(&e))?;
    }
    let ev = e
        .evaluate(request, progress)
        .map_err(|e| crate::error::from_engine(&e))?;
    serde_json::to_value(&ev)
        .map_err(|err| ApiError::internal(format!("serialising the evaluation: {}", chain(&err))))
}
