//! Versioned schema migrations, applied in order on open, the same steps on both backends.
//!
//! The version lives in SQLite's `PRAGMA user_version`, and in PostgreSQL in the one-row table
//! `zoorank_schema`. Each step runs in its own transaction together with the version bump, so
//! a crash mid-migration leaves the previous version intact. Steps are append-only: never edit
//! a released step, add a new one.
//!
//! A step is written in SQLite's words; [`postgres_ddl`] gives PostgreSQL's: 64-bit integers
//! and identity keys, double precision for `REAL` (PostgreSQL's `REAL` is 32-bit), `BYTEA` for
//! `BLOB`.

use crate::sql::{Dialect, Sql, Value};
use crate::StoreError;

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
    // 3: the order in which cached blobs were written, for keeping the newest (PostgreSQL has
    // no rowid to tell it).
    r#"
    ALTER TABLE blobs ADD COLUMN written INTEGER NOT NULL DEFAULT 0;
    "#,
    // 4: the queue of work (e.g. scoring one model on one dataset) that workers on many
    // machines claim; `key` names a job's work, so submitting it again adds nothing.
    r#"
    CREATE TABLE jobs (
        id           INTEGER PRIMARY KEY,
        kind         TEXT NOT NULL,
        key          TEXT NOT NULL UNIQUE,
        spec         TEXT NOT NULL,
        state        TEXT NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'done', 'failed')),
        attempts     INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        worker       TEXT,
        lease_until  REAL,
        error        TEXT,
        result       TEXT,
        submitted    REAL NOT NULL,
        finished     REAL
    );
    CREATE INDEX jobs_state ON jobs(state, id);
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A step's statements for PostgreSQL.
pub(crate) fn postgres_ddl(sqlite: &str) -> String {
    let mut out = String::with_capacity(sqlite.len() + 64);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(match word.as_str() {
            "INTEGER" => "BIGINT",
            "REAL" => "DOUBLE PRECISION",
            "BLOB" => "BYTEA",
            w => w,
        });
        word.clear();
    };
    for c in sqlite.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out.replace(
        "BIGINT PRIMARY KEY",
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    )
}

/// Current schema version (0 for a database without the store's tables).
pub(crate) fn version(db: &mut dyn Sql) -> Result<i64, StoreError> {
    match db.dialect() {
        Dialect::Sqlite => db.query_one("PRAGMA user_version", &[])?.int(0),
        Dialect::Postgres => {
            let exists = db
                .query_one("SELECT to_regclass('zoorank_schema') IS NOT NULL", &[])?
                .int(0)?;
            if exists == 0 {
                return Ok(0);
            }
            Ok(db
                .query_opt("SELECT version FROM zoorank_schema", &[])?
                .map(|r| r.int(0))
                .transpose()?
                .unwrap_or(0))
        }
    }
}

/// Records `v` as the schema version, inside the step's transaction.
fn set_version(db: &mut dyn Sql, v: i64) -> Result<(), StoreError> {
    match db.dialect() {
        // PRAGMA takes no bound parameter; `v` is this build's own step number.
        Dialect::Sqlite => db.batch(&format!("PRAGMA user_version = {v}")),
        Dialect::Postgres => {
            db.batch("CREATE TABLE IF NOT EXISTS zoorank_schema (version BIGINT NOT NULL)")?;
            db.execute("DELETE FROM zoorank_schema", &[])?;
            db.execute(
                "INSERT INTO zoorank_schema (version) VALUES (?1)",
                &[Value::Int(v)],
            )?;
            Ok(())
        }
    }
}

/// Fails when the database was written by a newer build.
pub(crate) fn check_not_newer(found: i64) -> Result<(), StoreError> {
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Applies step `to - 1` (moving the schema to version `to`) inside the caller's transaction.
pub(crate) fn apply_step(db: &mut dyn Sql, to: i64) -> Result<(), StoreError> {
    let step = MIGRATIONS[(to - 1) as usize];
    match db.dialect() {
        Dialect::Sqlite => db.batch(step)?,
        Dialect::Postgres => db.batch(&postgres_ddl(step))?,
    }
    set_version(db, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_steps_widen_types_and_keep_everything_else() {
        let ddl = postgres_ddl(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, x REAL, realm TEXT, b BLOB);",
        );
        assert_eq!(
            ddl,
            "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
             n BIGINT NOT NULL, x DOUBLE PRECISION, realm TEXT, b BYTEA);"
        );
        for step in MIGRATIONS {
            let pg = postgres_ddl(step);
            assert!(!pg.contains(" REAL") && !pg.contains("BLOB") && !pg.contains("INTEGER"));
        }
    }
}
