//! # zoorank-worker
//!
//! Scoring that scales out: the expensive step of model selection — a forward pass of every
//! candidate model over a dataset, then feature-based scores — cut into one job per (model,
//! dataset), queued in a shared zoo store (PostgreSQL, or SQLite on one machine), and run by
//! any number of worker processes on any number of machines.
//!
//! - [`score_zoo_jobs`] makes the jobs of `zoorank jobs submit score-zoo`: one per model
//!   directory of a zoo directory; [`run_score_job`] does one such job's work with
//!   `zoorank-features` and `zoorank-scores`.
//! - [`embed_zoo_jobs`] makes `embed` jobs (the forward passes alone, kept in the store's
//!   feature cache for later scoring), and [`DatasetAddSpec`] a `dataset-add` job (a dataset
//!   registered by a probe model's embedding, with its distances to the datasets that probe
//!   embedded before, as `zoorank dataset add` does).
//! - [`Worker`] claims jobs, keeps their leases alive while it works, and writes each job's
//!   scores in the same transaction that marks it done (see `zoorank_store`'s job queue).
//!
//! Workers read model directories and datasets from paths they can see (a shared filesystem)
//! and write only to the store.
#![warn(missing_docs)]

mod embed;
mod job;
mod worker;

pub use embed::{
    embed_zoo_jobs, embedding_distance, run_dataset_add_job, run_embed_job, DatasetAddSpec,
    DatasetAddSummary, EmbedSpec, EmbedSummary, DATASET_ADD, EMBED,
};
pub use job::{
    run_score_job, score_features, score_zoo_jobs, stored_method, ExtractSpec, MethodOutcome,
    ScoreSpec, ScoreSummary, SCORE,
};
pub use worker::{default_name, Event, Worker, WorkerOptions, WorkerReport};

/// Errors of a job or a worker.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] zoorank_store::StoreError),
    /// Feature extraction failed.
    #[error(transparent)]
    Features(#[from] zoorank_features::FeaturesError),
    /// A score failed in a way that is not about the data (an unknown method id, ...).
    #[error(transparent)]
    Scores(#[from] zoorank_scores::ScoreError),
    /// A job's spec could not be read.
    #[error("job {key}: its spec is not a {kind} job: {message}")]
    BadSpec {
        /// The job's key.
        key: String,
        /// Its kind.
        kind: String,
        /// Why.
        message: String,
    },
    /// A job of a kind this worker does not run.
    #[error(
        "job {key}: unknown kind '{kind}' (this worker runs: {SCORE}, {EMBED}, {DATASET_ADD})"
    )]
    UnknownKind {
        /// The job's key.
        key: String,
        /// Its kind.
        kind: String,
    },
    /// A zoo directory could not be listed or has no models.
    #[error("{0}")]
    Zoo(String),
}
