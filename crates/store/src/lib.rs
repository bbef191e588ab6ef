//! # zoorank-store
//!
//! The zoo store: one embedded SQLite file (WAL, foreign keys on, versioned migrations applied
//! on open), or a shared PostgreSQL database when the location is a `postgres://` URL, holding models, datasets, fine-tuning records, feature-based scores, dataset
//! distances, embeddings and a cache of computed blobs; and the importers that fill it.
//!
//! Every write is one transaction, so the file is never half written: an import either lands
//! whole or leaves the store exactly as it was, even when the process is killed.
//!
//! ```
//! use zoorank_store::{Store, RecordRow};
//! let mut store = Store::open_in_memory().unwrap();
//! let mut row = RecordRow::new("google/vit-base-patch16-224", "cifar100", 0.917, "example");
//! row.run.learning_rate = Some(0.01);
//! row.run.epochs = Some(30.0);
//! let counts = store.upsert_records(&[row.clone()]).unwrap();
//! assert_eq!(counts.new, 1);
//! assert_eq!(store.upsert_records(&[row]).unwrap().unchanged, 1);
//! let zoo = store.load_zoo().unwrap();
//! assert_eq!(zoo.records.len(), 1);
//! ```
#![warn(missing_docs)]

mod blob;
mod error;
pub mod import;
mod jobs;
mod pg;
mod schema;
mod sql;
mod store;
#[doc(hidden)]
pub mod testing;

pub use error::{ImportError, Location, RowProblem, StoreError};
pub use import::{ImportOptions, ImportReport};
pub use jobs::{Job, JobFailure, JobRunning, JobStatus, NewJob};
pub use pg::{is_url as is_postgres_url, redact as redact_url};
pub use schema::SCHEMA_VERSION;
pub use store::{
    run_key, Batch, BatchCounts, DatasetRow, DistanceRow, EmbeddedDataset, EmbeddingDistance,
    ModalityStats, ModelRow, NamedDistances, RecordRow, RunIdentity, ScoreRow, Stats, Store,
    UpsertCounts,
};
