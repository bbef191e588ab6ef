//! Versioned schema migrations, applied in order on open.
//!
//! The version lives in SQLite's `PRAGMA user_version`. Each step runs in its own transaction
//! together with the version bump, so a crash mid-migration leaves the previous version intact.
//! Steps are append-only: never edit a released step, add a new one.

use crate::StoreError;
use rusqlite::Connection;

/// The numbered migration steps; step `i` moves the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the zoo.
    r#"
    CREATE TABLE models (
        id                INTEGER PRIMARY KEY,
        name              TEXT NOT NULL UNIQUE,
        modality          TEXT CHECK (modality IN ('image', 'text')),
        architecture      TEXT,
        model_type        TEXT,
        num_parameters    REAL,
        memory_bytes      REAL,
        input_size        REAL,
        feature_dim       REAL,
        source_dataset    TEXT,
        upstream_accuracy REAL,
        num_labels        REAL,
        has_metadata      INTEGER NOT NULL DEFAULT 0,
        extra             TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE datasets (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        modality    TEXT CHECK (modality IN ('image', 'text')),
        num_samples REAL,
        num_classes REAL
    );
    CREATE TABLE records (
        id            INTEGER PRIMARY KEY,
        model_id      INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        dataset_id    INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        run_key       TEXT NOT NULL,
        accuracy      REAL NOT NULL,
        learning_rate REAL,
        epochs        REAL,
        batch_size    REAL,
        train_runtime REAL,
        peft_method   TEXT,
        curve         TEXT,
        source        TEXT NOT NULL,
        UNIQUE (model_id, dataset_id, run_key)
    );
    CREATE TABLE scores (
        id         INTEGER PRIMARY KEY,
        model_id   INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        method     TEXT NOT NULL,
        value      REAL NOT NULL,
        runtime    REAL,
        UNIQUE (model_id, dataset_id, method)
    );
    CREATE TABLE distances (
        id     INTEGER PRIMARY KEY,
        a_id   INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        b_id   INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        method TEXT NOT NULL,
        value  REAL NOT NULL,
        CHECK (a_id < b_id),
        UNIQUE (a_id, b_id, method)
    );
    CREATE INDEX records_dataset ON records(dataset_id);
    CREATE INDEX scores_dataset ON scores(dataset_id);
    "#,
    // 2: embeddings (dataset and model vectors) and a generic cache of computed blobs
    // (e.g. extracted features), keyed by a content hash.
    r#"
    CREATE TABLE embeddings (
        id     INTEGER PRIMARY KEY,
        owner  TEXT NOT NULL,
        method TEXT NOT NULL,
        dim    INTEGER NOT NULL,
        vector BLOB NOT NULL,
        UNIQUE (owner, method)
    );
    CREATE TABLE blobs (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
    );
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Current schema version of an open connection.
pub(crate) fn version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Applies the steps after the file's version, up to `target` (normally [`SCHEMA_VERSION`]).
pub(crate) fn migrate_to(conn: &mut Connection, target: i64) -> Result<(), StoreError> {
    let found = version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, step) in MIGRATIONS.iter().enumerate() {
        let to = i as i64 + 1;
        if to <= found || to > target {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", to)?;
        tx.commit()?;
    }
    Ok(())
}
