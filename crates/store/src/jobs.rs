//! The job queue: work that workers on many machines claim from a shared store.
//!
//! A job is claimed with a lease: the claiming worker owns it until the lease runs out, and
//! renews the lease while it works. A worker that dies simply stops renewing; once the lease
//! has expired another worker claims the job again (up to the job's bounded number of
//! attempts). A job's results are written in the same transaction that marks it done, and only
//! while the finishing worker still owns it (same worker, same attempt): a worker that lost
//! its lease writes nothing, so no result is written twice.
//!
//! On PostgreSQL a claim takes the oldest claimable row with `FOR UPDATE SKIP LOCKED`, so
//! workers never wait on each other; SQLite serialises writers anyway. Times are the database
//! server's clock, so workers on machines with skewed clocks agree on when a lease expires.

use crate::sql::{params, Dialect, Sql};
use crate::store::{add_embedded_dataset_tx, apply_tx, Batch, BatchCounts, EmbeddedDataset, Store};
use crate::StoreError;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// A job to submit.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// What kind of work (e.g. `score`): tells a worker how to read the spec.
    pub kind: String,
    /// Names the work; a job whose key is already queued, running, done or failed is not
    /// added again.
    pub key: String,
    /// The work itself, as JSON the worker understands.
    pub spec: String,
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Id in the queue.
    pub id: i64,
    /// Kind of work.
    pub kind: String,
    /// Its key.
    pub key: String,
    /// Its spec (JSON).
    pub spec: String,
    /// Which attempt this is (1 for the first).
    pub attempt: i64,
    /// The worker that holds it.
    pub worker: String,
}

/// A failed job as `jobs status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobFailure {
    /// Id.
    pub id: i64,
    /// Key.
    pub key: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last attempt's error.
    pub error: String,
}

/// A running job as `jobs status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRunning {
    /// Id.
    pub id: i64,
    /// Key.
    pub key: String,
    /// The worker holding it.
    pub worker: String,
    /// Which attempt.
    pub attempt: i64,
    /// Seconds until its lease expires (negative: expired, another worker may take it).
    pub lease_left: f64,
}

/// Progress of the queue.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JobStatus {
    /// Jobs per state (`queued`, `running`, `done`, `failed`).
    pub counts: BTreeMap<String, usize>,
    /// Every job.
    pub total: usize,
    /// Failed jobs, with their errors.
    pub failed: Vec<JobFailure>,
    /// Running jobs.
    pub running: Vec<JobRunning>,
    /// Queued jobs that failed before and wait for another attempt.
    pub retrying: Vec<JobFailure>,
}

/// The database server's clock, in seconds since the epoch.
fn now(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "((julianday('now') - 2440587.5) * 86400.0)",
        Dialect::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)",
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

impl Store {
    /// Adds jobs to the queue in one transaction; returns (added, already there). `max_attempts`
    /// bounds how often a failing or abandoned job is tried.
    pub fn submit_jobs(
        &mut self,
        jobs: &[NewJob],
        max_attempts: u32,
    ) -> Result<(usize, usize), StoreError> {
        if max_attempts == 0 {
            return Err(StoreError::Invalid {
                what: "job",
                message: "max attempts must be at least 1".into(),
            });
        }
        self.write_with(false, |db| {
            let sql = format!(
                "INSERT INTO jobs (kind, key, spec, max_attempts, submitted)
                 VALUES (?1, ?2, ?3, ?4, {}) ON CONFLICT (key) DO NOTHING",
                now(db.dialect())
            );
            let mut added = 0;
            for j in jobs {
                added += db.execute(
                    &sql,
                    params![&j.kind, &j.key, &j.spec, i64::from(max_attempts)],
                )? as usize;
            }
            Ok((added, jobs.len() - added))
        })
    }

    /// Claims the oldest job that is queued or whose lease has expired, for `worker`, with a
    /// lease of `lease`. Jobs whose lease expired on their last attempt are marked failed.
    pub fn claim_job(&mut self, worker: &str, lease: Duration) -> Result<Option<Job>, StoreError> {
        self.write_with(false, |db| {
            let d = db.dialect();
            let now = now(d);
            db.execute(
                &format!(
                    "UPDATE jobs SET state = 'failed', worker = NULL, lease_until = NULL,
                         error = 'its worker stopped (lease expired) on each of '
                                 || CAST(attempts AS TEXT) || ' attempts'
                     WHERE state = 'running' AND lease_until < {now} AND attempts >= max_attempts"
                ),
                &[],
            )?;
            let skip_locked = match d {
                Dialect::Sqlite => "",
                Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
            };
            let row = db.query_opt(
                &format!(
                    "UPDATE jobs SET state = 'running', worker = ?1, attempts = attempts + 1,
                         lease_until = {now} + ?2
                     WHERE id = (SELECT id FROM jobs
                                 WHERE state = 'queued'
                                    OR (state = 'running' AND lease_until < {now})
                                 ORDER BY id LIMIT 1 {skip_locked})
                     RETURNING id, kind, key, spec, attempts"
                ),
                params![worker, secs(lease)],
            )?;
            row.map(|r| {
                Ok(Job {
                    id: r.int(0)?,
                    kind: r.text(1)?,
                    key: r.text(2)?,
                    spec: r.text(3)?,
                    attempt: r.int(4)?,
                    worker: worker.to_string(),
                })
            })
            .transpose()
        })
    }

    /// Extends the lease of a job its worker still holds; `false` when it no longer does.
    pub fn renew_lease(&mut self, job: &Job, lease: Duration) -> Result<bool, StoreError> {
        self.write_with(false, |db| {
            let sql = format!(
                "UPDATE jobs SET lease_until = {} + ?4
                 WHERE id = ?1 AND worker = ?2 AND attempts = ?3 AND state = 'running'",
                now(db.dialect())
            );
            Ok(db.execute(&sql, params![job.id, &job.worker, job.attempt, secs(lease)])? == 1)
        })
    }

    /// Writes a job's results and marks it done, in one transaction, if its worker still
    /// holds it; otherwise writes nothing and returns `None` (another worker has it now).
    pub fn finish_job(
        &mut self,
        job: &Job,
        results: &Batch,
        summary: &str,
    ) -> Result<Option<BatchCounts>, StoreError> {
        self.finish_job_with(job, |db| Ok((apply_tx(db, results)?, summary.to_string())))
    }

    /// [`Store::finish_job`] for a job that registers a dataset by its embedding
    /// ([`Store::add_embedded_dataset`]): the dataset, its embedding and its distances are
    /// written in the transaction that marks the job done, with the result `summary` makes
    /// of the distances. `None` when the job's lease was lost (nothing written).
    pub fn finish_dataset_job(
        &mut self,
        job: &Job,
        dataset: &EmbeddedDataset,
        distance: &dyn Fn(&[f32], &[f32]) -> Result<f64, String>,
        summary: &dyn Fn(&[(String, f64)]) -> String,
    ) -> Result<Option<Vec<(String, f64)>>, StoreError> {
        self.finish_job_with(job, |db| {
            let distances = add_embedded_dataset_tx(db, dataset, distance)?;
            let s = summary(&distances);
            Ok((distances, s))
        })
    }

    /// Runs `write` (which returns its value and the job's result text) and marks the job
    /// done, in one transaction, only while `job`'s worker and attempt still hold it;
    /// otherwise rolls everything back and returns `None`.
    fn finish_job_with<T>(
        &mut self,
        job: &Job,
        write: impl FnOnce(&mut dyn Sql) -> Result<(T, String), StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let r = self.write(|db| {
            let (value, summary) = write(db)?;
            let sql = format!(
                "UPDATE jobs SET state = 'done', result = ?4, error = NULL, lease_until = NULL,
                     finished = {}
                 WHERE id = ?1 AND worker = ?2 AND attempts = ?3 AND state = 'running'",
                now(db.dialect())
            );
            if db.execute(&sql, params![job.id, &job.worker, job.attempt, summary])? == 1 {
                Ok(value)
            } else {
                // Rolls the results back with the transaction.
                Err(StoreError::LeaseLost { job: job.id })
            }
        });
        match r {
            Ok(v) => Ok(Some(v)),
            Err(StoreError::LeaseLost { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Records a failed attempt: the job goes back to the queue, or is failed for good once
    /// its attempts are used up.
    pub fn fail_job(&mut self, job: &Job, error: &str) -> Result<(), StoreError> {
        self.write_with(false, |db| {
            db.execute(
                "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed'
                                              ELSE 'queued' END,
                     error = ?4, worker = NULL, lease_until = NULL
                 WHERE id = ?1 AND worker = ?2 AND attempts = ?3 AND state = 'running'",
                params![job.id, &job.worker, job.attempt, error],
            )?;
            Ok(())
        })
    }

    /// Puts failed jobs back in the queue with fresh attempts; returns how many.
    pub fn retry_failed_jobs(&mut self) -> Result<usize, StoreError> {
        let n = self.write_with(false, |db| {
            db.execute(
                "UPDATE jobs SET state = 'queued', attempts = 0 WHERE state = 'failed'",
                &[],
            )
        })?;
        Ok(n as usize)
    }

    /// Progress of the queue: counts per state, failed jobs with their errors, running jobs
    /// with their workers.
    pub fn job_status(&self) -> Result<JobStatus, StoreError> {
        self.read(|db| {
            let mut st = JobStatus::default();
            for s in ["queued", "running", "done", "failed"] {
                st.counts.insert(s.to_string(), 0);
            }
            for r in db.query("SELECT state, COUNT(*) FROM jobs GROUP BY state", &[])? {
                let n = r.int(1)? as usize;
                st.total += n;
                st.counts.insert(r.text(0)?, n);
            }
            let failure = |r: &crate::sql::Row| -> Result<JobFailure, StoreError> {
                Ok(JobFailure {
                    id: r.int(0)?,
                    key: r.text(1)?,
                    attempts: r.int(2)?,
                    error: r.opt_text(3)?.unwrap_or_default(),
                })
            };
            for r in db.query(
                "SELECT id, key, attempts, error FROM jobs WHERE state = 'failed' ORDER BY id",
                &[],
            )? {
                st.failed.push(failure(&r)?);
            }
            for r in db.query(
                "SELECT id, key, attempts, error FROM jobs
                 WHERE state = 'queued' AND error IS NOT NULL ORDER BY id",
                &[],
            )? {
                st.retrying.push(failure(&r)?);
            }
            let sql = format!(
                "SELECT id, key, worker, attempts, lease_until - {} FROM jobs
                 WHERE state = 'running' ORDER BY id",
                now(db.dialect())
            );
            for r in db.query(&sql, &[])? {
                st.running.push(JobRunning {
                    id: r.int(0)?,
                    key: r.text(1)?,
                    worker: r.opt_text(2)?.unwrap_or_default(),
                    attempt: r.int(3)?,
                    lease_left: r.opt_real(4)?.unwrap_or(0.0),
                });
            }
            Ok(st)
        })
    }
}
