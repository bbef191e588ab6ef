//! The [`Store`]: one SQLite file, or one PostgreSQL database, holding a zoo.

use crate::pg::{is_url, redact, Pg};
use crate::schema;
use crate::sql::{params, Lite, Row, Sql, Value};
use crate::StoreError;
use rusqlite::{Connection, TransactionBehavior};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::path::PathBuf;
use zoorank_core::{Dataset, Distance, Modality, Model, Record, ScoreRecord, Zoo};

/// A model to upsert: typed metadata plus every other column as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRow {
    /// Typed metadata. `None` fields keep what the store already has.
    pub model: Model,
    /// Columns without a typed field (kept as a JSON object; merged key by key).
    pub extra: serde_json::Value,
    /// Whether this row comes from a model-metadata source (counted by
    /// [`Stats::models_with_metadata`]); `false` for models only named by results files.
    pub metadata: bool,
}

impl ModelRow {
    /// A model known only by name (e.g. from a results file): no metadata.
    pub fn named(name: impl Into<String>, modality: Option<Modality>) -> ModelRow {
        ModelRow {
            model: Model {
                modality,
                ..Model::named(name)
            },
            extra: serde_json::json!({}),
            metadata: false,
        }
    }
}

/// A dataset to upsert (natural key: the name). `None` fields keep what the store already has.
pub type DatasetRow = Dataset;

/// A fine-tuning record to upsert. Natural key: (model, dataset, `run_key`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordRow {
    /// The run, its model and dataset by name (created if unknown); the accuracy must be
    /// finite.
    pub run: Record<String>,
    /// Identifies the run among the model's runs on the dataset (the hyper-parameters, see
    /// [`run_key`]).
    pub run_key: String,
    /// Where the row came from (file name).
    pub source: String,
}

impl RecordRow {
    /// A full fine-tuning run from `source` with only the accuracy known, and an empty run key.
    pub fn new(
        model: impl Into<String>,
        dataset: impl Into<String>,
        accuracy: f64,
        source: impl Into<String>,
    ) -> RecordRow {
        RecordRow {
            run: Record::new(model.into(), dataset.into(), accuracy),
            run_key: String::new(),
            source: source.into(),
        }
    }
}

/// Builds a record's run key from its hyper-parameters: `name=value` pairs of the present
/// values, sorted by name, joined by `;`. Two rows with the same model, dataset and run key
/// describe the same run.
pub fn run_key(params: &[(&str, Option<String>)]) -> String {
    let mut kv: Vec<(&str, &String)> = params
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (*k, v)))
        .collect();
    kv.sort();
    kv.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(";")
}

/// A feature-based score to upsert, model and dataset by name (created if unknown). Natural
/// key: (model, dataset, method); the value must be finite.
pub type ScoreRow = ScoreRecord<String>;

/// A dataset distance to upsert, datasets by name (created if unknown). Natural key:
/// (unordered pair, method); the value must be finite and ≥ 0.
pub type DistanceRow = Distance<String>;

/// How many rows an upsert added, changed and left as they were.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UpsertCounts {
    /// Rows that did not exist.
    pub new: usize,
    /// Rows that existed with other values.
    pub updated: usize,
    /// Rows that existed with the same values.
    pub unchanged: usize,
}

impl UpsertCounts {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::New => self.new += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

impl std::fmt::Display for UpsertCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} new, {} updated, {} unchanged",
            self.new, self.updated, self.unchanged
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    New,
    Updated,
    Unchanged,
}

/// Everything one import writes, applied in a single transaction by [`Store::apply`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// Models with metadata.
    pub models: Vec<ModelRow>,
    /// Datasets with metadata.
    pub datasets: Vec<DatasetRow>,
    /// Fine-tuning records.
    pub records: Vec<RecordRow>,
    /// Scores.
    pub scores: Vec<ScoreRow>,
    /// Distances.
    pub distances: Vec<DistanceRow>,
    /// How records are told apart.
    pub runs: RunIdentity,
}

/// How [`Store::apply`] tells fine-tuning records apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunIdentity {
    /// (model, dataset, run key) names one run: a record with a stored key replaces the stored
    /// values.
    #[default]
    RunKey,
    /// Every distinct run is kept. A record whose measured values (accuracy, hyper-parameters,
    /// runtime, PEFT method, curve) equal those of a stored run of the same model, dataset and
    /// run key is that run, left unchanged; any other is a further run, stored under the run key
    /// with `#2`, `#3`, ... appended. Re-applying the same records therefore changes nothing,
    /// and a re-run is never overwritten.
    EveryRun,
}

/// Per-table counts of an applied [`Batch`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BatchCounts {
    /// Models.
    pub models: UpsertCounts,
    /// Datasets.
    pub datasets: UpsertCounts,
    /// Records.
    pub records: UpsertCounts,
    /// Scores.
    pub scores: UpsertCounts,
    /// Distances.
    pub distances: UpsertCounts,
}

/// Counts of what a store holds (`zoorank zoo stats`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    /// All models.
    pub models: usize,
    /// Models imported from a metadata file.
    pub models_with_metadata: usize,
    /// Models with at least one fine-tuning record.
    pub models_with_records: usize,
    /// All datasets (targets, source datasets, datasets known only by distances).
    pub datasets: usize,
    /// Datasets with at least one fine-tuning record.
    pub datasets_with_records: usize,
    /// Datasets whose number of samples or classes is known.
    pub datasets_with_features: usize,
    /// Fine-tuning records.
    pub records: usize,
    /// Records of parameter-efficient fine-tuning (e.g. LoRA).
    pub records_peft: usize,
    /// Feature-based scores.
    pub scores: usize,
    /// Scores per method id.
    pub scores_by_method: BTreeMap<String, usize>,
    /// Dataset distances (unordered pairs).
    pub distances: usize,
    /// Distances per method id.
    pub distances_by_method: BTreeMap<String, usize>,
    /// Stored embeddings.
    pub embeddings: usize,
    /// Per modality (`image`, `text`, `unknown`): models, datasets and records.
    pub by_modality: BTreeMap<String, ModalityStats>,
    /// Schema version of the file.
    pub schema_version: i64,
}

/// Counts for one modality.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ModalityStats {
    /// Models.
    pub models: usize,
    /// Datasets.
    pub datasets: usize,
    /// Records (by the dataset's modality).
    pub records: usize,
}

/// An open zoo store: an SQLite file, or a PostgreSQL database when the location is a
/// `postgres://` URL.
pub struct Store {
    db: Db,
}

enum Db {
    Sqlite(Connection),
    // A RefCell because reads take `&self` and a PostgreSQL client needs `&mut` for every
    // statement; a Store is used from one thread at a time (it is Send, not Sync).
    Postgres(Box<RefCell<Pg>>),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.location())
            .finish()
    }
}

impl Store {
    /// Opens the store at `location`, creating it when there is none, and migrates it to the
    /// current schema. For commands that write.
    ///
    /// `location` is an SQLite file path, or a `postgres://user@host[:port]/database` URL for
    /// a shared store on PostgreSQL. On SQLite, WAL journaling and foreign keys are on, and a
    /// file with tables that are not a zoorank store's is refused before anything is written
    /// to it ([`StoreError::NotAStore`]).
    pub fn open(location: impl AsRef<Path>) -> Result<Store, StoreError> {
        Self::open_at_version(location, schema::SCHEMA_VERSION)
    }

    /// Opens an existing store and migrates it to the current schema; never creates one. For
    /// commands that only read: a missing or empty file (or a database without the store's
    /// tables) is [`StoreError::NoStore`] and a foreign SQLite file [`StoreError::NotAStore`],
    /// and neither is written to.
    pub fn open_existing(location: impl AsRef<Path>) -> Result<Store, StoreError> {
        let location = location.as_ref();
        if let Some(url) = pg_url(location) {
            let mut pg = Pg::connect(url)?;
            if pg.read(schema::version)? == 0 {
                return Err(StoreError::NoStore {
                    path: PathBuf::from(redact(url)),
                });
            }
            return Self::migrated(
                Db::Postgres(Box::new(RefCell::new(pg))),
                schema::SCHEMA_VERSION,
            );
        }
        match inspect(location)? {
            Found::Store => Self::open(location),
            Found::Nothing => Err(StoreError::NoStore {
                path: location.to_path_buf(),
            }),
        }
    }

    /// Opens and migrates only up to `version` (for migration tests).
    #[doc(hidden)]
    pub fn open_at_version(location: impl AsRef<Path>, version: i64) -> Result<Store, StoreError> {
        let location = location.as_ref();
        if let Some(url) = pg_url(location) {
            return Self::migrated(
                Db::Postgres(Box::new(RefCell::new(Pg::connect(url)?))),
                version,
            );
        }
        inspect(location)?;
        let conn = Connection::open(location)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Self::migrated(Db::Sqlite(conn), version)
    }

    /// An in-memory SQLite store (tests, scratch work).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Self::migrated(Db::Sqlite(conn), schema::SCHEMA_VERSION)
    }

    /// Applies the migration steps after the database's version, up to `target`, each in its
    /// own write transaction that first re-reads the version: two processes opening one store
    /// at once apply each step once.
    fn migrated(db: Db, target: i64) -> Result<Store, StoreError> {
        let mut store = Store { db };
        loop {
            let stepped = store.write(|db| {
                let found = schema::version(db)?;
                schema::check_not_newer(found)?;
                if found >= target {
                    return Ok(false);
                }
                schema::apply_step(db, found + 1)?;
                Ok(true)
            })?;
            if !stepped {
                return Ok(store);
            }
        }
    }

    /// Where the store is: the SQLite file, or the PostgreSQL URL with its password hidden.
    pub fn location(&self) -> String {
        match &self.db {
            Db::Sqlite(c) => c.path().unwrap_or(":memory:").to_string(),
            Db::Postgres(p) => redact(p.borrow().url()),
        }
    }

    /// Whether the store is on PostgreSQL (shared) rather than in an SQLite file.
    pub fn is_shared(&self) -> bool {
        matches!(self.db, Db::Postgres(_))
    }

    /// Runs `f` over one consistent snapshot: a write committed by another connection
    /// meanwhile is either wholly seen or not at all.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &self.db {
            Db::Sqlite(c) => {
                // WAL gives each reader the snapshot of its transaction's start.
                let _snapshot = if c.is_autocommit() {
                    Some(c.unchecked_transaction()?)
                } else {
                    None
                };
                f(&mut Lite(c))
            }
            Db::Postgres(p) => p.borrow_mut().read(f),
        }
    }

    /// Runs `f` in one write transaction and commits it: all of it or nothing. Writers take
    /// turns (SQLite's IMMEDIATE transaction; an advisory lock on PostgreSQL).
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.write_with(true, f)
    }

    /// [`Store::write`]; on PostgreSQL without the store-wide lock when `lock` is false (row
    /// locks only). SQLite has one writer at a time either way.
    pub(crate) fn write_with<T>(
        &mut self,
        lock: bool,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &mut self.db {
            Db::Sqlite(c) => {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let v = f(&mut Lite(&tx))?;
                tx.commit()?;
                Ok(v)
            }
            Db::Postgres(p) => p.get_mut().write(lock, f),
        }
    }

    /// Schema version of the open store.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.read(schema::version)
    }

    /// Writes a whole batch in one transaction: all of it or nothing.
    pub fn apply(&mut self, batch: &Batch) -> Result<BatchCounts, StoreError> {
        self.write(|db| apply_tx(db, batch))
    }

    /// Upserts models (one transaction).
    pub fn upsert_models(&mut self, rows: &[ModelRow]) -> Result<UpsertCounts, StoreError> {
        self.apply_one(|b| b.models = rows.to_vec(), |c| c.models)
    }

    /// Upserts datasets (one transaction).
    pub fn upsert_datasets(&mut self, rows: &[DatasetRow]) -> Result<UpsertCounts, StoreError> {
        self.apply_one(|b| b.datasets = rows.to_vec(), |c| c.datasets)
    }

    /// Upserts fine-tuning records by run key (one transaction).
    pub fn upsert_records(&mut self, rows: &[RecordRow]) -> Result<UpsertCounts, StoreError> {
        self.apply_one(|b| b.records = rows.to_vec(), |c| c.records)
    }

    /// Upserts scores (one transaction).
    pub fn upsert_scores(&mut self, rows: &[ScoreRow]) -> Result<UpsertCounts, StoreError> {
        self.apply_one(|b| b.scores = rows.to_vec(), |c| c.scores)
    }

    /// Upserts distances (one transaction).
    pub fn upsert_distances(&mut self, rows: &[DistanceRow]) -> Result<UpsertCounts, StoreError> {
        self.apply_one(|b| b.distances = rows.to_vec(), |c| c.distances)
    }

    /// Applies a batch of one kind of row and returns that kind's counts.
    fn apply_one(
        &mut self,
        fill: impl FnOnce(&mut Batch),
        counts: impl FnOnce(BatchCounts) -> UpsertCounts,
    ) -> Result<UpsertCounts, StoreError> {
        let mut batch = Batch::default();
        fill(&mut batch);
        Ok(counts(self.apply(&batch)?))
    }

    /// Stores (replacing) an embedding vector of `owner` (a model or dataset name) computed by
    /// `method`.
    pub fn put_embedding(
        &mut self,
        owner: &str,
        method: &str,
        vector: &[f32],
    ) -> Result<(), StoreError> {
        check_embedding(owner, method, vector)?;
        self.write(|db| put_embedding_tx(db, owner, method, vector))
    }

    /// The embedding of `owner` by `method`, if stored.
    pub fn get_embedding(&self, owner: &str, method: &str) -> Result<Option<Vec<f32>>, StoreError> {
        let bytes = self.read(|db| {
            db.query_opt(
                "SELECT vector FROM embeddings WHERE owner = ?1 AND method = ?2",
                params![owner, method],
            )?
            .map(|r| r.opt_blob(0))
            .transpose()
        })?;
        bytes
            .flatten()
            .map(|b| decode_embedding(owner, method, &b))
            .transpose()
    }

    /// Registers a dataset by its embedding, all in one transaction: the dataset's row, its
    /// embedding by `dataset.method`, and its distance (by `distance`) to every other owner of
    /// an embedding by the same method. Because the other embeddings are read inside the
    /// writing transaction, two datasets registered at the same time (by two workers) still
    /// get the distance between them. Returns the distances, nearest first.
    ///
    /// # Errors
    /// A non-finite embedding, a failing `distance` (as [`StoreError::Invalid`]), or the
    /// store's errors; nothing is written then.
    pub fn add_embedded_dataset(
        &mut self,
        dataset: &EmbeddedDataset,
        distance: &EmbeddingDistance,
    ) -> Result<NamedDistances, StoreError> {
        check_embedding(&dataset.row.name, &dataset.method, &dataset.embedding)?;
        self.write(|db| add_embedded_dataset_tx(db, dataset, distance))
    }

    /// Owners that have an embedding by `method`, sorted.
    pub fn embedding_owners(&self, method: &str) -> Result<Vec<String>, StoreError> {
        self.read(|db| {
            db.query(
                "SELECT owner FROM embeddings WHERE method = ?1 ORDER BY owner",
                params![method],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect()
        })
    }

    /// Stores (replacing) a cached blob. A replaced blob counts as newly written for
    /// [`Store::keep_newest_blobs`].
    pub fn put_blob(&mut self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.write(|db| {
            db.execute(
                "INSERT INTO blobs(key, value, written)
                 VALUES (?1, ?2, (SELECT COALESCE(MAX(written), 0) + 1 FROM blobs))
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, written = excluded.written",
                params![key, bytes],
            )
        })?;
        Ok(())
    }

    /// Keeps only the `keep` most recently written cached blobs whose key starts with
    /// `prefix`, deleting the older ones; returns how many went. For caches that would
    /// otherwise grow with every version of the zoo (kept graph embedders).
    pub fn keep_newest_blobs(&mut self, prefix: &str, keep: usize) -> Result<usize, StoreError> {
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        let n = self.write(|db| {
            db.execute(
                "DELETE FROM blobs WHERE substr(key, 1, length(CAST(?1 AS TEXT))) = CAST(?1 AS TEXT)
                   AND key NOT IN (
                     SELECT key FROM blobs
                     WHERE substr(key, 1, length(CAST(?1 AS TEXT))) = CAST(?1 AS TEXT)
                     ORDER BY written DESC, key DESC LIMIT ?2)",
                params![prefix, keep],
            )
        })?;
        Ok(n as usize)
    }

    /// A cached blob, if stored.
    pub fn get_blob(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let v = self.read(|db| {
            db.query_opt("SELECT value FROM blobs WHERE key = ?1", params![key])?
                .map(|r| r.opt_blob(0))
                .transpose()
        })?;
        Ok(v.flatten())
    }

    /// Number and total size in bytes of the cached blobs whose key starts with `prefix` (""
    /// for all of them).
    pub fn blob_usage(&self, prefix: &str) -> Result<(usize, u64), StoreError> {
        let r = self.read(|db| {
            db.query_one(
                "SELECT COUNT(*), CAST(COALESCE(SUM(length(value)), 0) AS BIGINT) FROM blobs
                 WHERE substr(key, 1, length(CAST(?1 AS TEXT))) = CAST(?1 AS TEXT)",
                params![prefix],
            )
        })?;
        Ok((r.int(0)?.max(0) as usize, r.int(1)?.max(0) as u64))
    }

    /// Deletes the cached blobs whose key starts with `prefix` ("" for all of them) and
    /// returns how many went. Only caches live there: everything is recomputed on demand.
    pub fn delete_blobs(&mut self, prefix: &str) -> Result<usize, StoreError> {
        let n = self.write(|db| {
            db.execute(
                "DELETE FROM blobs WHERE substr(key, 1, length(CAST(?1 AS TEXT))) = CAST(?1 AS TEXT)",
                params![prefix],
            )
        })?;
        Ok(n as usize)
    }

    /// Reads the whole zoo as plain data. Models and datasets are ordered by name, so indices
    /// are stable for a given content.
    ///
    /// The tables are read inside one read transaction, so a write committed by another
    /// connection meanwhile is either wholly seen or not at all.
    pub fn load_zoo(&self) -> Result<Zoo, StoreError> {
        self.read(load_zoo)
    }

    /// Counts of what the store holds (read in one transaction, like [`Store::load_zoo`]).
    pub fn stats(&self) -> Result<Stats, StoreError> {
        self.read(stats)
    }
}

/// The URL when `location` names a PostgreSQL database.
fn pg_url(location: &Path) -> Option<&str> {
    location.to_str().filter(|s| is_url(s))
}

fn load_zoo(db: &mut dyn Sql) -> Result<Zoo, StoreError> {
    let mut zoo = Zoo::default();
    let mut model_ix: HashMap<i64, usize> = HashMap::new();
    for r in db.query(
        "SELECT id, name, modality, architecture, model_type, num_parameters, memory_bytes,
                input_size, feature_dim, source_dataset, upstream_accuracy, num_labels
         FROM models ORDER BY name",
        &[],
    )? {
        let m = Model {
            name: r.text(1)?,
            modality: r.opt_text(2)?.as_deref().and_then(Modality::parse),
            architecture: r.opt_text(3)?,
            model_type: r.opt_text(4)?,
            num_parameters: r.opt_real(5)?,
            memory_bytes: r.opt_real(6)?,
            input_size: r.opt_real(7)?,
            feature_dim: r.opt_real(8)?,
            source_dataset: r.opt_text(9)?,
            upstream_accuracy: r.opt_real(10)?,
            num_labels: r.opt_real(11)?,
        };
        model_ix.insert(r.int(0)?, zoo.add_model(m));
    }
    let mut ds_ix: HashMap<i64, usize> = HashMap::new();
    for r in db.query(
        "SELECT id, name, modality, num_samples, num_classes FROM datasets ORDER BY name",
        &[],
    )? {
        let d = Dataset {
            name: r.text(1)?,
            modality: r.opt_text(2)?.as_deref().and_then(Modality::parse),
            num_samples: r.opt_real(3)?,
            num_classes: r.opt_real(4)?,
        };
        ds_ix.insert(r.int(0)?, zoo.add_dataset(d));
    }
    let model = |id: i64| -> Result<usize, StoreError> {
        model_ix
            .get(&id)
            .copied()
            .ok_or_else(|| dangling("model_id", id))
    };
    let dataset = |id: i64| -> Result<usize, StoreError> {
        ds_ix
            .get(&id)
            .copied()
            .ok_or_else(|| dangling("dataset_id", id))
    };
    for r in db.query(
        "SELECT model_id, dataset_id, accuracy, learning_rate, epochs, batch_size,
                train_runtime, peft_method, curve
         FROM records ORDER BY id",
        &[],
    )? {
        let curve = match r.opt_text(8)? {
            None => None,
            Some(s) => {
                Some(
                    serde_json::from_str::<Vec<f64>>(&s).map_err(|e| StoreError::Corrupt {
                        table: "records",
                        column: "curve",
                        message: e.to_string(),
                    })?,
                )
            }
        };
        zoo.records.push(Record {
            model: model(r.int(0)?)?,
            dataset: dataset(r.int(1)?)?,
            accuracy: r.real(2)?,
            learning_rate: r.opt_real(3)?,
            epochs: r.opt_real(4)?,
            batch_size: r.opt_real(5)?,
            train_runtime: r.opt_real(6)?,
            peft_method: r.opt_text(7)?,
            curve,
        });
    }
    for r in db.query(
        "SELECT model_id, dataset_id, method, value, runtime FROM scores ORDER BY id",
        &[],
    )? {
        zoo.scores.push(ScoreRecord {
            model: model(r.int(0)?)?,
            dataset: dataset(r.int(1)?)?,
            method: r.text(2)?,
            value: r.real(3)?,
            runtime: r.opt_real(4)?,
        });
    }
    for r in db.query(
        "SELECT a_id, b_id, method, value FROM distances ORDER BY id",
        &[],
    )? {
        zoo.distances.push(Distance {
            a: dataset(r.int(0)?)?,
            b: dataset(r.int(1)?)?,
            method: r.text(2)?,
            value: r.real(3)?,
        });
    }
    Ok(zoo)
}

fn dangling(column: &'static str, id: i64) -> StoreError {
    StoreError::Corrupt {
        table: "records",
        column,
        message: format!("id {id} names no row"),
    }
}

fn stats(db: &mut dyn Sql) -> Result<Stats, StoreError> {
    let mut count =
        |sql: &str| -> Result<usize, StoreError> { Ok(db.query_one(sql, &[])?.int(0)? as usize) };
    let models = count("SELECT COUNT(*) FROM models")?;
    let models_with_metadata = count("SELECT COUNT(*) FROM models WHERE has_metadata = 1")?;
    let models_with_records = count("SELECT COUNT(DISTINCT model_id) FROM records")?;
    let datasets = count("SELECT COUNT(*) FROM datasets")?;
    let datasets_with_records = count("SELECT COUNT(DISTINCT dataset_id) FROM records")?;
    let datasets_with_features = count(
        "SELECT COUNT(*) FROM datasets WHERE num_samples IS NOT NULL OR num_classes IS NOT NULL",
    )?;
    let records = count("SELECT COUNT(*) FROM records")?;
    let records_peft = count("SELECT COUNT(*) FROM records WHERE peft_method IS NOT NULL")?;
    let scores = count("SELECT COUNT(*) FROM scores")?;
    let distances = count("SELECT COUNT(*) FROM distances")?;
    let embeddings = count("SELECT COUNT(*) FROM embeddings")?;
    let mut grouped = |sql: &str| -> Result<BTreeMap<String, usize>, StoreError> {
        db.query(sql, &[])?
            .iter()
            .map(|r| Ok((r.text(0)?, r.int(1)? as usize)))
            .collect()
    };
    let scores_by_method = grouped("SELECT method, COUNT(*) FROM scores GROUP BY method")?;
    let distances_by_method = grouped("SELECT method, COUNT(*) FROM distances GROUP BY method")?;
    let mut by_modality: BTreeMap<String, ModalityStats> = BTreeMap::new();
    for (k, v) in grouped("SELECT COALESCE(modality, 'unknown'), COUNT(*) FROM models GROUP BY 1")?
    {
        by_modality.entry(k).or_default().models = v;
    }
    for (k, v) in
        grouped("SELECT COALESCE(modality, 'unknown'), COUNT(*) FROM datasets GROUP BY 1")?
    {
        by_modality.entry(k).or_default().datasets = v;
    }
    for (k, v) in grouped(
        "SELECT COALESCE(d.modality, 'unknown'), COUNT(*) FROM records r
         JOIN datasets d ON d.id = r.dataset_id GROUP BY 1",
    )? {
        by_modality.entry(k).or_default().records = v;
    }
    Ok(Stats {
        models,
        models_with_metadata,
        models_with_records,
        datasets,
        datasets_with_records,
        datasets_with_features,
        records,
        records_peft,
        scores,
        scores_by_method,
        distances,
        distances_by_method,
        embeddings,
        by_modality,
        schema_version: schema::version(db)?,
    })
}

/// What a path holds, as far as opening a store is concerned.
enum Found {
    /// No file, an empty file, or an SQLite file without tables: a store may be created there.
    Nothing,
    /// A zoorank store (of any schema version).
    Store,
}

/// Looks at `path` through a read-only connection, so that a file that is not ours is refused
/// with its bytes untouched (opening it for writing would already switch it to WAL).
fn inspect(path: &Path) -> Result<Found, StoreError> {
    use rusqlite::OpenFlags;
    let not_a_store = |found: String| StoreError::NotAStore {
        path: path.to_path_buf(),
        found,
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Ok(m) if m.is_dir() => return Err(not_a_store("a directory".into())),
        Ok(m) if m.len() == 0 => return Ok(Found::Nothing),
        _ => {}
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let tables: Vec<String> = match conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
    {
        Ok(t) => t,
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Err(not_a_store("a file that is not an SQLite database".into()))
        }
        Err(e) => return Err(e.into()),
    };
    if tables.is_empty() {
        return Ok(Found::Nothing);
    }
    let ours = ["datasets", "models", "records"]
        .iter()
        .all(|t| tables.iter().any(|x| x == t));
    if ours {
        Ok(Found::Store)
    } else {
        const SHOW: usize = 8;
        let mut names: Vec<&str> = tables.iter().take(SHOW).map(String::as_str).collect();
        let more = tables.len().saturating_sub(SHOW);
        let more = if more > 0 {
            format!(", ... {more} more")
        } else {
            String::new()
        };
        names.sort();
        Err(not_a_store(format!(
            "an SQLite database with other tables ({}{more})",
            names.join(", ")
        )))
    }
}

/// Name → id caches for one transaction.
struct Ids {
    models: HashMap<String, i64>,
    datasets: HashMap<String, i64>,
}

impl Ids {
    fn load(db: &mut dyn Sql) -> Result<Ids, StoreError> {
        let mut load = |sql: &str| -> Result<HashMap<String, i64>, StoreError> {
            db.query(sql, &[])?
                .iter()
                .map(|r| Ok((r.text(1)?, r.int(0)?)))
                .collect()
        };
        Ok(Ids {
            models: load("SELECT id, name FROM models")?,
            datasets: load("SELECT id, name FROM datasets")?,
        })
    }

    fn model(&mut self, db: &mut dyn Sql, name: &str) -> Result<(i64, bool), StoreError> {
        Self::get(
            &mut self.models,
            db,
            "INSERT INTO models(name) VALUES (?1) RETURNING id",
            name,
        )
    }

    fn dataset(&mut self, db: &mut dyn Sql, name: &str) -> Result<(i64, bool), StoreError> {
        Self::get(
            &mut self.datasets,
            db,
            "INSERT INTO datasets(name) VALUES (?1) RETURNING id",
            name,
        )
    }

    /// The id of `name`, inserting the row if it is new (`true`).
    fn get(
        known: &mut HashMap<String, i64>,
        db: &mut dyn Sql,
        insert: &str,
        name: &str,
    ) -> Result<(i64, bool), StoreError> {
        if let Some(&id) = known.get(name) {
            return Ok((id, false));
        }
        let id = db.query_one(insert, params![name])?.int(0)?;
        known.insert(name.to_string(), id);
        Ok((id, true))
    }
}

fn finite(what: &'static str, who: impl FnOnce() -> String, v: f64) -> Result<(), StoreError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            what,
            message: format!("{}: value {v} is not finite", who()),
        })
    }
}

fn same_f(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
        _ => false,
    }
}

fn outcome(created: bool, changed: bool) -> Outcome {
    if created {
        Outcome::New
    } else if changed {
        Outcome::Updated
    } else {
        Outcome::Unchanged
    }
}

/// How two embeddings' distance is computed when a dataset is registered
/// ([`Store::add_embedded_dataset`]); an error names what is wrong.
pub type EmbeddingDistance = dyn Fn(&[f32], &[f32]) -> Result<f64, String> + Sync;

/// A dataset's distances to other datasets, by name, nearest first.
pub type NamedDistances = Vec<(String, f64)>;

/// A dataset to register by its embedding ([`Store::add_embedded_dataset`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedDataset {
    /// The dataset's row (name and metadata).
    pub row: DatasetRow,
    /// The embedding's method id (e.g. `domain-similarity:<probe>`); distances are stored
    /// under it too.
    pub method: String,
    /// The embedding.
    pub embedding: Vec<f32>,
}

fn check_embedding(owner: &str, method: &str, vector: &[f32]) -> Result<(), StoreError> {
    match vector.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(StoreError::Invalid {
            what: "embedding",
            message: format!("{owner} ({method}): element {i} is not finite"),
        }),
        None => Ok(()),
    }
}

fn put_embedding_tx(
    db: &mut dyn Sql,
    owner: &str,
    method: &str,
    vector: &[f32],
) -> Result<(), StoreError> {
    let bytes: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
    db.execute(
        "INSERT INTO embeddings(owner, method, dim, vector) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(owner, method) DO UPDATE SET dim = excluded.dim, vector = excluded.vector",
        params![owner, method, vector.len() as i64, bytes],
    )?;
    Ok(())
}

fn decode_embedding(owner: &str, method: &str, b: &[u8]) -> Result<Vec<f32>, StoreError> {
    if !b.len().is_multiple_of(4) {
        return Err(StoreError::Corrupt {
            table: "embeddings",
            column: "vector",
            message: format!(
                "{owner} ({method}): {} bytes is not a whole number of f32",
                b.len()
            ),
        });
    }
    Ok(b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// [`Store::add_embedded_dataset`] inside a writing transaction.
pub(crate) fn add_embedded_dataset_tx(
    db: &mut dyn Sql,
    dataset: &EmbeddedDataset,
    distance: &EmbeddingDistance,
) -> Result<NamedDistances, StoreError> {
    let (name, method) = (&dataset.row.name, &dataset.method);
    put_embedding_tx(db, name, method, &dataset.embedding)?;
    let others = db.query(
        "SELECT owner, vector FROM embeddings WHERE method = ?1 AND owner <> ?2 ORDER BY owner",
        params![method, name],
    )?;
    let mut distances = Vec::with_capacity(others.len());
    for r in &others {
        let other = r.text(0)?;
        let vector = decode_embedding(&other, method, &r.opt_blob(1)?.unwrap_or_default())?;
        let d = distance(&dataset.embedding, &vector).map_err(|m| StoreError::Invalid {
            what: "distance",
            message: format!("between {name} and {other}: {m}"),
        })?;
        distances.push((other, d));
    }
    distances.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    let batch = Batch {
        datasets: vec![dataset.row.clone()],
        distances: distances
            .iter()
            .map(|(other, d)| DistanceRow {
                a: name.clone(),
                b: other.clone(),
                method: method.clone(),
                value: *d,
            })
            .collect(),
        ..Batch::default()
    };
    apply_tx(db, &batch)?;
    Ok(distances)
}

pub(crate) fn apply_tx(db: &mut dyn Sql, batch: &Batch) -> Result<BatchCounts, StoreError> {
    let mut ids = Ids::load(db)?;
    let mut counts = BatchCounts::default();
    // Datasets first (models' metadata may mention them; records need them).
    for d in &batch.datasets {
        counts.datasets.add(apply_dataset(db, &mut ids, d)?);
    }
    for row in &batch.models {
        counts.models.add(apply_model(db, &mut ids, row)?);
    }
    counts.records = apply_records(db, &mut ids, &batch.records, batch.runs)?;
    counts.scores = apply_scores(db, &mut ids, &batch.scores)?;
    counts.distances = apply_distances(db, &mut ids, &batch.distances)?;
    Ok(counts)
}

fn apply_dataset(db: &mut dyn Sql, ids: &mut Ids, d: &DatasetRow) -> Result<Outcome, StoreError> {
    let (id, created) = ids.dataset(db, &d.name)?;
    let old = db.query_one(
        "SELECT modality, num_samples, num_classes FROM datasets WHERE id = ?1",
        params![id],
    )?;
    let (old_modality, old_ns, old_nc) = (old.opt_text(0)?, old.opt_real(1)?, old.opt_real(2)?);
    let modality = d
        .modality
        .map(|m| m.as_str().to_string())
        .or(old_modality.clone());
    let ns = d.num_samples.or(old_ns);
    let nc = d.num_classes.or(old_nc);
    let changed = modality != old_modality || !same_f(ns, old_ns) || !same_f(nc, old_nc);
    if changed {
        db.execute(
            "UPDATE datasets SET modality = ?2, num_samples = ?3, num_classes = ?4 WHERE id = ?1",
            params![id, modality, ns, nc],
        )?;
    }
    Ok(outcome(created, changed))
}

fn apply_model(db: &mut dyn Sql, ids: &mut Ids, row: &ModelRow) -> Result<Outcome, StoreError> {
    let m = &row.model;
    let (id, created) = ids.model(db, &m.name)?;
    let old = db.query_one(
        "SELECT modality, architecture, model_type, num_parameters, memory_bytes, input_size,
                feature_dim, source_dataset, upstream_accuracy, num_labels, has_metadata, extra
         FROM models WHERE id = ?1",
        params![id],
    )?;
    let text = |new: Option<String>, i: usize| -> Result<(Option<String>, bool), StoreError> {
        let old = old.opt_text(i)?;
        let v = new.or(old.clone());
        let changed = v != old;
        Ok((v, changed))
    };
    let real = |new: Option<f64>, i: usize| -> Result<(Option<f64>, bool), StoreError> {
        let old = old.opt_real(i)?;
        let v = new.or(old);
        Ok((v, !same_f(v, old)))
    };
    let (modality, c0) = text(m.modality.map(|x| x.as_str().to_string()), 0)?;
    let (arch, c1) = text(m.architecture.clone(), 1)?;
    let (mtype, c2) = text(m.model_type.clone(), 2)?;
    let (np, c3) = real(m.num_parameters, 3)?;
    let (mem, c4) = real(m.memory_bytes, 4)?;
    let (inp, c5) = real(m.input_size, 5)?;
    let (fd, c6) = real(m.feature_dim, 6)?;
    let (src, c7) = text(m.source_dataset.clone(), 7)?;
    let (up, c8) = real(m.upstream_accuracy, 8)?;
    let (nl, c9) = real(m.num_labels, 9)?;
    let old_meta = old.int(10)?;
    let old_extra = old.text(11)?;
    let mut extra: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&old_extra)
        .map_err(|e| StoreError::Corrupt {
            table: "models",
            column: "extra",
            message: e.to_string(),
        })?;
    if let serde_json::Value::Object(new_extra) = &row.extra {
        for (k, v) in new_extra {
            extra.insert(k.clone(), v.clone());
        }
    }
    let extra_s = serde_json::Value::Object(extra).to_string();
    let changed = [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9].contains(&true)
        || (row.metadata && old_meta != 1)
        || extra_s != old_extra;
    let has_metadata = i64::from(row.metadata).max(old_meta);
    if changed {
        db.execute(
            "UPDATE models SET modality = ?2, architecture = ?3, model_type = ?4,
                num_parameters = ?5, memory_bytes = ?6, input_size = ?7, feature_dim = ?8,
                source_dataset = ?9, upstream_accuracy = ?10, num_labels = ?11,
                has_metadata = ?13, extra = ?12
             WHERE id = ?1",
            params![
                id,
                modality,
                arch,
                mtype,
                np,
                mem,
                inp,
                fd,
                src,
                up,
                nl,
                extra_s,
                has_metadata
            ],
        )?;
    }
    Ok(outcome(created, changed))
}

/// Ids of the datasets `rows` touch, each once.
fn touched<'a>(
    db: &mut dyn Sql,
    ids: &mut Ids,
    names: impl Iterator<Item = &'a str>,
) -> Result<Vec<i64>, StoreError> {
    let mut out: Vec<i64> = Vec::new();
    for n in names {
        out.push(ids.dataset(db, n)?.0);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

const RECORD_COLUMNS: &[&str] = &[
    "model_id",
    "dataset_id",
    "run_key",
    "accuracy",
    "learning_rate",
    "epochs",
    "batch_size",
    "train_runtime",
    "peft_method",
    "curve",
    "source",
];

/// A run as stored, or as about to be inserted (`pending`: its row in the insert list).
struct Run {
    stored: StoredRun,
    pending: Option<usize>,
}

/// Records are decided in memory against every stored run of the datasets they touch (read
/// once), and new ones are inserted in a few multi-row statements: a few round trips for a
/// whole import rather than two per record.
fn apply_records(
    db: &mut dyn Sql,
    ids: &mut Ids,
    rows: &[RecordRow],
    identity: RunIdentity,
) -> Result<UpsertCounts, StoreError> {
    let mut counts = UpsertCounts::default();
    if rows.is_empty() {
        return Ok(counts);
    }
    for r in rows {
        finite(
            "record accuracy",
            || format!("{} on {}", r.run.model, r.run.dataset),
            r.run.accuracy,
        )?;
    }
    let mut runs: HashMap<(i64, i64), Vec<Run>> = HashMap::new();
    for d in touched(db, ids, rows.iter().map(|r| r.run.dataset.as_str()))? {
        for x in db.query(
            "SELECT model_id, id, run_key, accuracy, learning_rate, epochs, batch_size,
                    train_runtime, peft_method, curve, source
             FROM records WHERE dataset_id = ?1",
            params![d],
        )? {
            runs.entry((x.int(0)?, d)).or_default().push(Run {
                stored: StoredRun::read(&x)?,
                pending: None,
            });
        }
    }
    let mut inserts: Vec<Vec<Value>> = Vec::new();
    for r in rows {
        let (m, _) = ids.model(db, &r.run.model)?;
        let (d, _) = ids.dataset(db, &r.run.dataset)?;
        let new = StoredRun::of(r);
        let pair = runs.entry((m, d)).or_default();
        let family = |o: &&mut Run| o.stored.in_family(&r.run_key);
        let outcome = match identity {
            RunIdentity::RunKey => match pair.iter_mut().find(|o| o.stored.key == r.run_key) {
                None => {
                    inserts.push(new.row(m, d, &r.run_key));
                    pair.push(Run {
                        stored: new,
                        pending: Some(inserts.len() - 1),
                    });
                    Outcome::New
                }
                Some(o) if o.stored.same_measure(&new) && o.stored.source == new.source => {
                    Outcome::Unchanged
                }
                Some(o) => {
                    match o.pending {
                        Some(i) => inserts[i] = new.row(m, d, &r.run_key),
                        None => new.update(db, o.stored.id)?,
                    }
                    o.stored = StoredRun {
                        id: o.stored.id,
                        ..new
                    };
                    Outcome::Updated
                }
            },
            RunIdentity::EveryRun => {
                let mut stored = pair.iter_mut().filter(family).peekable();
                if stored.peek().is_none() {
                    inserts.push(new.row(m, d, &r.run_key));
                    pair.push(Run {
                        stored: new,
                        pending: Some(inserts.len() - 1),
                    });
                    Outcome::New
                } else {
                    let mut last = 1;
                    let mut same = false;
                    for o in stored {
                        same |= o.stored.same_measure(&new);
                        last = last.max(o.stored.ordinal(&r.run_key));
                    }
                    if same {
                        Outcome::Unchanged
                    } else {
                        let key = format!("{}#{}", r.run_key, last + 1);
                        inserts.push(new.row(m, d, &key));
                        pair.push(Run {
                            stored: StoredRun { key, ..new },
                            pending: Some(inserts.len() - 1),
                        });
                        Outcome::New
                    }
                }
            }
        };
        counts.add(outcome);
    }
    db.insert_many("records", RECORD_COLUMNS, &inserts)?;
    Ok(counts)
}

/// A stored (or pending) value of a keyed row: its id (0 while pending), its values, and its
/// place in the insert list while pending.
struct Keyed {
    id: i64,
    values: Vec<Value>,
    pending: Option<usize>,
}

/// Upserts rows keyed by (a, b, method) with values: `scores` (model, dataset; value,
/// runtime) and `distances` (dataset pair; value). Reads the stored rows of the touched
/// datasets once, inserts the new rows in multi-row statements and updates changed ones.
struct KeyedTable {
    table: &'static str,
    columns: &'static [&'static str],
    select: &'static str,
    update: &'static str,
}

impl KeyedTable {
    /// `rows`: (a, b, method, values).
    fn apply(
        &self,
        db: &mut dyn Sql,
        datasets: &[i64],
        rows: Vec<(i64, i64, String, Vec<Value>)>,
    ) -> Result<UpsertCounts, StoreError> {
        let mut counts = UpsertCounts::default();
        let mut known: HashMap<(i64, i64, String), Keyed> = HashMap::new();
        for &d in datasets {
            for x in db.query(self.select, params![d])? {
                let values = x.0[4..].to_vec();
                known.insert(
                    (x.int(1)?, x.int(2)?, x.text(3)?),
                    Keyed {
                        id: x.int(0)?,
                        values,
                        pending: None,
                    },
                );
            }
        }
        let mut inserts: Vec<Vec<Value>> = Vec::new();
        for (a, b, method, values) in rows {
            let row = |values: &[Value]| {
                let mut v = vec![Value::Int(a), Value::Int(b), Value::Text(method.clone())];
                v.extend_from_slice(values);
                v
            };
            match known.get_mut(&(a, b, method.clone())) {
                None => {
                    inserts.push(row(&values));
                    known.insert(
                        (a, b, method.clone()),
                        Keyed {
                            id: 0,
                            values,
                            pending: Some(inserts.len() - 1),
                        },
                    );
                    counts.add(Outcome::New);
                }
                Some(k) if same_values(&k.values, &values) => counts.add(Outcome::Unchanged),
                Some(k) => {
                    match k.pending {
                        Some(i) => inserts[i] = row(&values),
                        None => {
                            let mut p = vec![Value::Int(k.id)];
                            p.extend_from_slice(&values);
                            db.execute(self.update, &p)?;
                        }
                    }
                    k.values = values;
                    counts.add(Outcome::Updated);
                }
            }
        }
        db.insert_many(self.table, self.columns, &inserts)?;
        Ok(counts)
    }
}

fn same_values(a: &[Value], b: &[Value]) -> bool {
    let num = |v: &Value| match v {
        Value::Real(x) => Some(*x),
        Value::Int(x) => Some(*x as f64),
        _ => None,
    };
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Value::Null, Value::Null) => true,
            _ => num(x).is_some() && num(y).is_some() && same_f(num(x), num(y)),
        })
}

fn apply_scores(
    db: &mut dyn Sql,
    ids: &mut Ids,
    rows: &[ScoreRow],
) -> Result<UpsertCounts, StoreError> {
    if rows.is_empty() {
        return Ok(UpsertCounts::default());
    }
    let mut keyed = Vec::with_capacity(rows.len());
    for s in rows {
        finite(
            "score",
            || format!("{} of {} on {}", s.method, s.model, s.dataset),
            s.value,
        )?;
        let (m, _) = ids.model(db, &s.model)?;
        let (d, _) = ids.dataset(db, &s.dataset)?;
        keyed.push((
            m,
            d,
            s.method.clone(),
            vec![Value::Real(s.value), s.runtime.into()],
        ));
    }
    let datasets = touched(db, ids, rows.iter().map(|s| s.dataset.as_str()))?;
    KeyedTable {
        table: "scores",
        columns: &["model_id", "dataset_id", "method", "value", "runtime"],
        select: "SELECT id, model_id, dataset_id, method, value, runtime FROM scores
                 WHERE dataset_id = ?1",
        update: "UPDATE scores SET value = ?2, runtime = ?3 WHERE id = ?1",
    }
    .apply(db, &datasets, keyed)
}

fn apply_distances(
    db: &mut dyn Sql,
    ids: &mut Ids,
    rows: &[DistanceRow],
) -> Result<UpsertCounts, StoreError> {
    let mut keyed = Vec::with_capacity(rows.len());
    for dr in rows {
        finite(
            "distance",
            || format!("{} between {} and {}", dr.method, dr.a, dr.b),
            dr.value,
        )?;
        if dr.a == dr.b {
            continue;
        }
        let (a, _) = ids.dataset(db, &dr.a)?;
        let (b, _) = ids.dataset(db, &dr.b)?;
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        keyed.push((a, b, dr.method.clone(), vec![Value::Real(dr.value)]));
    }
    if keyed.is_empty() {
        return Ok(UpsertCounts::default());
    }
    // A pair is stored under its smaller id, so the stored rows of those ids are all it needs.
    let mut firsts: Vec<i64> = keyed.iter().map(|k| k.0).collect();
    firsts.sort_unstable();
    firsts.dedup();
    KeyedTable {
        table: "distances",
        columns: &["a_id", "b_id", "method", "value"],
        select: "SELECT id, a_id, b_id, method, value FROM distances WHERE a_id = ?1",
        update: "UPDATE distances SET value = ?2 WHERE id = ?1",
    }
    .apply(db, &firsts, keyed)
}

/// A record's values as stored (the curve as its JSON text).
struct StoredRun {
    id: i64,
    key: String,
    accuracy: f64,
    learning_rate: Option<f64>,
    epochs: Option<f64>,
    batch_size: Option<f64>,
    train_runtime: Option<f64>,
    peft_method: Option<String>,
    curve: Option<String>,
    source: String,
}

impl StoredRun {
    fn of(row: &RecordRow) -> StoredRun {
        let r = &row.run;
        StoredRun {
            id: 0,
            key: row.run_key.clone(),
            accuracy: r.accuracy,
            learning_rate: r.learning_rate,
            epochs: r.epochs,
            batch_size: r.batch_size,
            train_runtime: r.train_runtime,
            peft_method: r.peft_method.clone(),
            curve: r
                .curve
                .as_ref()
                .map(|c| serde_json::to_string(c).expect("a Vec<f64> always serialises")),
            source: row.source.clone(),
        }
    }

    /// From `SELECT model_id, id, run_key, accuracy, ..., source`.
    fn read(x: &Row) -> Result<StoredRun, StoreError> {
        Ok(StoredRun {
            id: x.int(1)?,
            key: x.text(2)?,
            accuracy: x.real(3)?,
            learning_rate: x.opt_real(4)?,
            epochs: x.opt_real(5)?,
            batch_size: x.opt_real(6)?,
            train_runtime: x.opt_real(7)?,
            peft_method: x.opt_text(8)?,
            curve: x.opt_text(9)?,
            source: x.text(10)?,
        })
    }

    /// Same measured values (where the row came from aside): the same run.
    fn same_measure(&self, o: &StoredRun) -> bool {
        same_f(Some(self.accuracy), Some(o.accuracy))
            && same_f(self.learning_rate, o.learning_rate)
            && same_f(self.epochs, o.epochs)
            && same_f(self.batch_size, o.batch_size)
            && same_f(self.train_runtime, o.train_runtime)
            && self.peft_method == o.peft_method
            && self.curve == o.curve
    }

    /// Whether this run's key is `base` or `base#n`.
    fn in_family(&self, base: &str) -> bool {
        self.key == base
            || self
                .key
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('#'))
    }

    /// Which run of `base` this is: 1 for `base` itself, `n` for `base#n`.
    fn ordinal(&self, base: &str) -> u64 {
        self.key
            .strip_prefix(base)
            .and_then(|rest| rest.strip_prefix('#'))
            .and_then(|n| n.parse().ok())
            .unwrap_or(1)
    }

    /// Its row for [`RECORD_COLUMNS`].
    fn row(&self, model: i64, dataset: i64, key: &str) -> Vec<Value> {
        vec![
            Value::Int(model),
            Value::Int(dataset),
            key.into(),
            Value::Real(self.accuracy),
            self.learning_rate.into(),
            self.epochs.into(),
            self.batch_size.into(),
            self.train_runtime.into(),
            (&self.peft_method).into(),
            (&self.curve).into(),
            (&self.source).into(),
        ]
    }

    /// Writes its values over the stored run `id`.
    fn update(&self, db: &mut dyn Sql, id: i64) -> Result<(), StoreError> {
        db.execute(
            "UPDATE records SET accuracy = ?2, learning_rate = ?3, epochs = ?4, batch_size = ?5,
                    train_runtime = ?6, peft_method = ?7, curve = ?8, source = ?9
             WHERE id = ?1",
            params![
                id,
                self.accuracy,
                self.learning_rate,
                self.epochs,
                self.batch_size,
                self.train_runtime,
                &self.peft_method,
                &self.curve,
                &self.source
            ],
        )?;
        Ok(())
    }
}
