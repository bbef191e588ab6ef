//! The [`Store`]: one SQLite file holding a zoo.

use crate::schema;
use crate::StoreError;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
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

/// A dataset to upsert. `None` fields keep what the store already has.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetRow {
    /// Name (natural key).
    pub name: String,
    /// Image or text.
    pub modality: Option<Modality>,
    /// Number of samples.
    pub num_samples: Option<f64>,
    /// Number of classes.
    pub num_classes: Option<f64>,
}

impl DatasetRow {
    /// A dataset known only by name and modality.
    pub fn named(name: impl Into<String>, modality: Option<Modality>) -> DatasetRow {
        DatasetRow {
            name: name.into(),
            modality,
            num_samples: None,
            num_classes: None,
        }
    }
}

/// A fine-tuning record to upsert. Natural key: (model, dataset, `run_key`).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    /// Model name (created if unknown).
    pub model: String,
    /// Dataset name (created if unknown).
    pub dataset: String,
    /// Identifies the run among the model's runs on the dataset (the hyper-parameters, see
    /// [`run_key`]).
    pub run_key: String,
    /// Accuracy (finite).
    pub accuracy: f64,
    /// Learning rate.
    pub learning_rate: Option<f64>,
    /// Epochs.
    pub epochs: Option<f64>,
    /// Batch size.
    pub batch_size: Option<f64>,
    /// Training seconds.
    pub train_runtime: Option<f64>,
    /// PEFT method (`None` = full fine-tuning).
    pub peft_method: Option<String>,
    /// Per-epoch validation accuracy.
    pub curve: Option<Vec<f64>>,
    /// Where the row came from (file name).
    pub source: String,
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

/// A feature-based score to upsert. Natural key: (model, dataset, method).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    /// Model name (created if unknown).
    pub model: String,
    /// Dataset name (created if unknown).
    pub dataset: String,
    /// Method id, e.g. `logme`.
    pub method: String,
    /// Value (finite).
    pub value: f64,
    /// Seconds to compute.
    pub runtime: Option<f64>,
}

/// A dataset distance to upsert. Natural key: (unordered pair, method).
#[derive(Debug, Clone, PartialEq)]
pub struct DistanceRow {
    /// One dataset (created if unknown).
    pub a: String,
    /// The other dataset (created if unknown).
    pub b: String,
    /// Method id, e.g. `domain-similarity:vit_base_patch16_224`.
    pub method: String,
    /// Distance (finite, ≥ 0).
    pub value: f64,
}

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

/// An open zoo store.
pub struct Store {
    conn: Connection,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.conn.path())
            .finish()
    }
}

impl Store {
    /// Opens the store at `path`, creating it when there is no file (or an empty one), and
    /// migrates it to the current schema. For commands that write.
    ///
    /// WAL journaling and foreign keys are on. An SQLite file with tables that are not a
    /// zoorank store's is refused before anything is written to it ([`StoreError::NotAStore`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        Self::open_at_version(path, schema::SCHEMA_VERSION)
    }

    /// Opens an existing store and migrates it to the current schema; never creates one. For
    /// commands that only read: a missing or empty file is [`StoreError::NoStore`] and a
    /// foreign SQLite file [`StoreError::NotAStore`], and neither is written to.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref();
        match inspect(path)? {
            Found::Store => Self::open(path),
            Found::Nothing => Err(StoreError::NoStore {
                path: path.to_path_buf(),
            }),
        }
    }

    /// Opens and migrates only up to `version` (for migration tests).
    #[doc(hidden)]
    pub fn open_at_version(path: impl AsRef<Path>, version: i64) -> Result<Store, StoreError> {
        let path = path.as_ref();
        inspect(path)?;
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate_to(&mut conn, version)?;
        Ok(Store { conn })
    }

    /// An in-memory store (tests, scratch work).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let mut conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate_to(&mut conn, schema::SCHEMA_VERSION)?;
        Ok(Store { conn })
    }

    /// Schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        schema::version(&self.conn)
    }

    /// Writes a whole batch in one transaction: all of it or nothing.
    pub fn apply(&mut self, batch: &Batch) -> Result<BatchCounts, StoreError> {
        let tx = self.conn.transaction()?;
        let counts = apply_tx(&tx, batch)?;
        tx.commit()?;
        Ok(counts)
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
        if let Some(i) = vector.iter().position(|v| !v.is_finite()) {
            return Err(StoreError::Invalid {
                what: "embedding",
                message: format!("{owner} ({method}): element {i} is not finite"),
            });
        }
        let bytes: Vec<u8> = vector.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.conn.execute(
            "INSERT INTO embeddings(owner, method, dim, vector) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(owner, method) DO UPDATE SET dim = excluded.dim, vector = excluded.vector",
            params![owner, method, vector.len() as i64, bytes],
        )?;
        Ok(())
    }

    /// The embedding of `owner` by `method`, if stored.
    pub fn get_embedding(&self, owner: &str, method: &str) -> Result<Option<Vec<f32>>, StoreError> {
        let bytes: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT vector FROM embeddings WHERE owner = ?1 AND method = ?2",
                params![owner, method],
                |r| r.get(0),
            )
            .optional()?;
        match bytes {
            None => Ok(None),
            Some(b) if b.len() % 4 != 0 => Err(StoreError::Corrupt {
                table: "embeddings",
                column: "vector",
                message: format!(
                    "{owner} ({method}): {} bytes is not a whole number of f32",
                    b.len()
                ),
            }),
            Some(b) => Ok(Some(
                b.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            )),
        }
    }

    /// Owners that have an embedding by `method`, sorted.
    pub fn embedding_owners(&self, method: &str) -> Result<Vec<String>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT owner FROM embeddings WHERE method = ?1 ORDER BY owner")?;
        let v = st
            .query_map([method], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(v)
    }

    /// Stores (replacing) a cached blob. A replaced blob counts as newly written for
    /// [`Store::keep_newest_blobs`] (REPLACE gives the row a new rowid).
    pub fn put_blob(&mut self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO blobs(key, value) VALUES (?1, ?2)",
            params![key, bytes],
        )?;
        Ok(())
    }

    /// Keeps only the `keep` most recently written cached blobs whose key starts with
    /// `prefix`, deleting the older ones; returns how many went. For caches that would
    /// otherwise grow with every version of the zoo (kept graph embedders).
    pub fn keep_newest_blobs(&mut self, prefix: &str, keep: usize) -> Result<usize, StoreError> {
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        Ok(self.conn.execute(
            "DELETE FROM blobs WHERE substr(key, 1, length(?1)) = ?1 AND rowid NOT IN (
                 SELECT rowid FROM blobs WHERE substr(key, 1, length(?1)) = ?1
                 ORDER BY rowid DESC LIMIT ?2)",
            params![prefix, keep],
        )?)
    }

    /// A cached blob, if stored.
    pub fn get_blob(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM blobs WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Number and total size in bytes of the cached blobs whose key starts with `prefix` (""
    /// for all of them).
    pub fn blob_usage(&self, prefix: &str) -> Result<(usize, u64), StoreError> {
        let (n, bytes): (i64, i64) = self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(length(value)), 0) FROM blobs
             WHERE substr(key, 1, length(?1)) = ?1",
            [prefix],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((n.max(0) as usize, bytes.max(0) as u64))
    }

    /// Deletes the cached blobs whose key starts with `prefix` ("" for all of them) and
    /// returns how many went. Only caches live there: everything is recomputed on demand.
    pub fn delete_blobs(&mut self, prefix: &str) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "DELETE FROM blobs WHERE substr(key, 1, length(?1)) = ?1",
            [prefix],
        )?)
    }

    /// Reads the whole zoo as plain data. Models and datasets are ordered by name, so indices
    /// are stable for a given content.
    ///
    /// The tables are read inside one read transaction, so a write committed by another
    /// connection meanwhile is either wholly seen or not at all (WAL gives each reader the
    /// snapshot of its transaction's start).
    pub fn load_zoo(&self) -> Result<Zoo, StoreError> {
        let _snapshot = self.read_snapshot()?;
        let mut zoo = Zoo::default();
        let mut model_ix: HashMap<i64, usize> = HashMap::new();
        let mut st = self.conn.prepare(
            "SELECT id, name, modality, architecture, model_type, num_parameters, memory_bytes,
                    input_size, feature_dim, source_dataset, upstream_accuracy, num_labels
             FROM models ORDER BY name",
        )?;
        let rows = st.query_map([], |r| {
            let modality: Option<String> = r.get(2)?;
            Ok((
                r.get::<_, i64>(0)?,
                Model {
                    name: r.get(1)?,
                    modality: modality.as_deref().and_then(Modality::parse),
                    architecture: r.get(3)?,
                    model_type: r.get(4)?,
                    num_parameters: r.get(5)?,
                    memory_bytes: r.get(6)?,
                    input_size: r.get(7)?,
                    feature_dim: r.get(8)?,
                    source_dataset: r.get(9)?,
                    upstream_accuracy: r.get(10)?,
                    num_labels: r.get(11)?,
                },
            ))
        })?;
        for row in rows {
            let (id, m) = row?;
            model_ix.insert(id, zoo.add_model(m));
        }
        let mut ds_ix: HashMap<i64, usize> = HashMap::new();
        let mut st = self.conn.prepare(
            "SELECT id, name, modality, num_samples, num_classes FROM datasets ORDER BY name",
        )?;
        let rows = st.query_map([], |r| {
            let modality: Option<String> = r.get(2)?;
            Ok((
                r.get::<_, i64>(0)?,
                Dataset {
                    name: r.get(1)?,
                    modality: modality.as_deref().and_then(Modality::parse),
                    num_samples: r.get(3)?,
                    num_classes: r.get(4)?,
                },
            ))
        })?;
        for row in rows {
            let (id, d) = row?;
            ds_ix.insert(id, zoo.add_dataset(d));
        }
        let mut st = self.conn.prepare(
            "SELECT model_id, dataset_id, accuracy, learning_rate, epochs, batch_size,
                    train_runtime, peft_method, curve
             FROM records ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, f64>(2)?,
                r.get::<_, Option<f64>>(3)?,
                r.get::<_, Option<f64>>(4)?,
                r.get::<_, Option<f64>>(5)?,
                r.get::<_, Option<f64>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
            ))
        })?;
        for row in rows {
            let (m, d, acc, lr, ep, bs, rt, peft, curve) = row?;
            let curve =
                match curve {
                    None => None,
                    Some(s) => Some(serde_json::from_str::<Vec<f64>>(&s).map_err(|e| {
                        StoreError::Corrupt {
                            table: "records",
                            column: "curve",
                            message: e.to_string(),
                        }
                    })?),
                };
            zoo.records.push(Record {
                model: model_ix[&m],
                dataset: ds_ix[&d],
                accuracy: acc,
                learning_rate: lr,
                epochs: ep,
                batch_size: bs,
                train_runtime: rt,
                peft_method: peft,
                curve,
            });
        }
        let mut st = self.conn.prepare(
            "SELECT model_id, dataset_id, method, value, runtime FROM scores ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, f64>(3)?,
                r.get::<_, Option<f64>>(4)?,
            ))
        })?;
        for row in rows {
            let (m, d, method, value, runtime) = row?;
            zoo.scores.push(ScoreRecord {
                model: model_ix[&m],
                dataset: ds_ix[&d],
                method,
                value,
                runtime,
            });
        }
        let mut st = self
            .conn
            .prepare("SELECT a_id, b_id, method, value FROM distances ORDER BY id")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, f64>(3)?,
            ))
        })?;
        for row in rows {
            let (a, b, method, value) = row?;
            zoo.distances.push(Distance {
                a: ds_ix[&a],
                b: ds_ix[&b],
                method,
                value,
            });
        }
        Ok(zoo)
    }

    /// A read transaction over several statements, unless one is already open; dropped, it
    /// ends (nothing was written in it).
    fn read_snapshot(&self) -> Result<Option<Transaction<'_>>, StoreError> {
        if self.conn.is_autocommit() {
            Ok(Some(self.conn.unchecked_transaction()?))
        } else {
            Ok(None)
        }
    }

    /// Counts of what the store holds (read in one transaction, like [`Store::load_zoo`]).
    pub fn stats(&self) -> Result<Stats, StoreError> {
        let _snapshot = self.read_snapshot()?;
        let c = &self.conn;
        let count = |sql: &str| -> Result<usize, StoreError> {
            Ok(c.query_row(sql, [], |r| r.get::<_, i64>(0))? as usize)
        };
        let grouped = |sql: &str| -> Result<BTreeMap<String, usize>, StoreError> {
            let mut st = c.prepare(sql)?;
            let v = st
                .query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
                })?
                .collect::<Result<BTreeMap<_, _>, _>>()?;
            Ok(v)
        };
        let mut by_modality: BTreeMap<String, ModalityStats> = BTreeMap::new();
        for (k, v) in
            grouped("SELECT COALESCE(modality, 'unknown'), COUNT(*) FROM models GROUP BY 1")?
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
            models: count("SELECT COUNT(*) FROM models")?,
            models_with_metadata: count("SELECT COUNT(*) FROM models WHERE has_metadata = 1")?,
            models_with_records: count("SELECT COUNT(DISTINCT model_id) FROM records")?,
            datasets: count("SELECT COUNT(*) FROM datasets")?,
            datasets_with_records: count("SELECT COUNT(DISTINCT dataset_id) FROM records")?,
            datasets_with_features: count(
                "SELECT COUNT(*) FROM datasets WHERE num_samples IS NOT NULL OR num_classes IS NOT NULL",
            )?,
            records: count("SELECT COUNT(*) FROM records")?,
            records_peft: count("SELECT COUNT(*) FROM records WHERE peft_method IS NOT NULL")?,
            scores: count("SELECT COUNT(*) FROM scores")?,
            scores_by_method: grouped("SELECT method, COUNT(*) FROM scores GROUP BY method")?,
            distances: count("SELECT COUNT(*) FROM distances")?,
            distances_by_method: grouped(
                "SELECT method, COUNT(*) FROM distances GROUP BY method",
            )?,
            embeddings: count("SELECT COUNT(*) FROM embeddings")?,
            by_modality,
            schema_version: self.schema_version()?,
        })
    }
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
    fn load(tx: &Transaction<'_>) -> Result<Ids, StoreError> {
        let load = |sql: &str| -> Result<HashMap<String, i64>, StoreError> {
            let mut st = tx.prepare(sql)?;
            let m = st
                .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(0)?)))?
                .collect::<Result<HashMap<_, _>, _>>()?;
            Ok(m)
        };
        Ok(Ids {
            models: load("SELECT id, name FROM models")?,
            datasets: load("SELECT id, name FROM datasets")?,
        })
    }

    fn model(&mut self, tx: &Transaction<'_>, name: &str) -> Result<(i64, bool), StoreError> {
        if let Some(&id) = self.models.get(name) {
            return Ok((id, false));
        }
        tx.execute("INSERT INTO models(name) VALUES (?1)", [name])?;
        let id = tx.last_insert_rowid();
        self.models.insert(name.to_string(), id);
        Ok((id, true))
    }

    fn dataset(&mut self, tx: &Transaction<'_>, name: &str) -> Result<(i64, bool), StoreError> {
        if let Some(&id) = self.datasets.get(name) {
            return Ok((id, false));
        }
        tx.execute("INSERT INTO datasets(name) VALUES (?1)", [name])?;
        let id = tx.last_insert_rowid();
        self.datasets.insert(name.to_string(), id);
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

fn apply_tx(tx: &Transaction<'_>, batch: &Batch) -> Result<BatchCounts, StoreError> {
    let mut ids = Ids::load(tx)?;
    let mut counts = BatchCounts::default();

    // Datasets first (models' metadata may mention them; records need them).
    for d in &batch.datasets {
        let (id, created) = ids.dataset(tx, &d.name)?;
        let old: (Option<String>, Option<f64>, Option<f64>) = tx.query_row(
            "SELECT modality, num_samples, num_classes FROM datasets WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let modality = d.modality.map(|m| m.as_str().to_string()).or(old.0.clone());
        let ns = d.num_samples.or(old.1);
        let nc = d.num_classes.or(old.2);
        let changed = modality != old.0 || !same_f(ns, old.1) || !same_f(nc, old.2);
        if changed {
            tx.execute(
                "UPDATE datasets SET modality = ?2, num_samples = ?3, num_classes = ?4 WHERE id = ?1",
                params![id, modality, ns, nc],
            )?;
        }
        counts.datasets.add(if created {
            Outcome::New
        } else if changed {
            Outcome::Updated
        } else {
            Outcome::Unchanged
        });
    }

    for row in &batch.models {
        let m = &row.model;
        let (id, created) = ids.model(tx, &m.name)?;
        type Old = (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<f64>,
            Option<f64>,
            Option<f64>,
            Option<f64>,
            Option<String>,
            Option<f64>,
            Option<f64>,
            i64,
            String,
        );
        let old: Old = tx.query_row(
            "SELECT modality, architecture, model_type, num_parameters, memory_bytes, input_size,
                    feature_dim, source_dataset, upstream_accuracy, num_labels, has_metadata, extra
             FROM models WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                ))
            },
        )?;
        let modality = m.modality.map(|x| x.as_str().to_string()).or(old.0.clone());
        let arch = m.architecture.clone().or(old.1.clone());
        let mtype = m.model_type.clone().or(old.2.clone());
        let np = m.num_parameters.or(old.3);
        let mem = m.memory_bytes.or(old.4);
        let inp = m.input_size.or(old.5);
        let fd = m.feature_dim.or(old.6);
        let src = m.source_dataset.clone().or(old.7.clone());
        let up = m.upstream_accuracy.or(old.8);
        let nl = m.num_labels.or(old.9);
        let mut extra: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&old.11).map_err(|e| StoreError::Corrupt {
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
        let changed = modality != old.0
            || arch != old.1
            || mtype != old.2
            || !same_f(np, old.3)
            || !same_f(mem, old.4)
            || !same_f(inp, old.5)
            || !same_f(fd, old.6)
            || src != old.7
            || !same_f(up, old.8)
            || !same_f(nl, old.9)
            || (row.metadata && old.10 != 1)
            || extra_s != old.11;
        let has_metadata = i64::from(row.metadata).max(old.10);
        if changed {
            tx.execute(
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
        counts.models.add(if created {
            Outcome::New
        } else if changed {
            Outcome::Updated
        } else {
            Outcome::Unchanged
        });
    }

    {
        let mut insert = tx.prepare(
            "INSERT INTO records(model_id, dataset_id, run_key, accuracy, learning_rate, epochs,
                                 batch_size, train_runtime, peft_method, curve, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        // Every stored run of (model, dataset) whose key is `?3` or `?3#n`.
        let mut family = tx.prepare(
            "SELECT id, run_key, accuracy, learning_rate, epochs, batch_size, train_runtime,
                    peft_method, curve, source
             FROM records WHERE model_id = ?1 AND dataset_id = ?2
               AND (run_key = ?3 OR substr(run_key, 1, length(?3) + 1) = ?3 || '#')",
        )?;
        let mut update = tx.prepare(
            "UPDATE records SET accuracy = ?2, learning_rate = ?3, epochs = ?4, batch_size = ?5,
                    train_runtime = ?6, peft_method = ?7, curve = ?8, source = ?9
             WHERE id = ?1",
        )?;
        for r in &batch.records {
            finite(
                "record accuracy",
                || format!("{} on {}", r.model, r.dataset),
                r.accuracy,
            )?;
            let (m, _) = ids.model(tx, &r.model)?;
            let (d, _) = ids.dataset(tx, &r.dataset)?;
            let new = StoredRun::of(r);
            let stored = family
                .query_map(params![m, d, r.run_key], StoredRun::read)?
                .collect::<Result<Vec<_>, _>>()?;
            let outcome = match batch.runs {
                RunIdentity::RunKey => match stored.iter().find(|o| o.key == r.run_key) {
                    None => {
                        new.insert(&mut insert, m, d, &r.run_key)?;
                        Outcome::New
                    }
                    Some(o) if o.same_measure(&new) && o.source == new.source => Outcome::Unchanged,
                    Some(o) => {
                        update.execute(params![
                            o.id,
                            new.accuracy,
                            new.learning_rate,
                            new.epochs,
                            new.batch_size,
                            new.train_runtime,
                            new.peft_method,
                            new.curve,
                            new.source
                        ])?;
                        Outcome::Updated
                    }
                },
                RunIdentity::EveryRun => {
                    if stored.iter().any(|o| o.same_measure(&new)) {
                        Outcome::Unchanged
                    } else {
                        let key = if stored.is_empty() {
                            r.run_key.clone()
                        } else {
                            let last = stored
                                .iter()
                                .map(|o| o.ordinal(&r.run_key))
                                .max()
                                .unwrap_or(1);
                            format!("{}#{}", r.run_key, last + 1)
                        };
                        new.insert(&mut insert, m, d, &key)?;
                        Outcome::New
                    }
                }
            };
            counts.records.add(outcome);
        }
    }
    {
        let mut select = tx.prepare(
            "SELECT id, value, runtime FROM scores WHERE model_id = ?1 AND dataset_id = ?2 AND method = ?3",
        )?;
        let mut insert = tx.prepare(
            "INSERT INTO scores(model_id, dataset_id, method, value, runtime) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut update = tx.prepare("UPDATE scores SET value = ?2, runtime = ?3 WHERE id = ?1")?;
        for s in &batch.scores {
            finite(
                "score",
                || format!("{} of {} on {}", s.method, s.model, s.dataset),
                s.value,
            )?;
            let (m, _) = ids.model(tx, &s.model)?;
            let (d, _) = ids.dataset(tx, &s.dataset)?;
            let old: Option<(i64, f64, Option<f64>)> = select
                .query_row(params![m, d, s.method], |x| {
                    Ok((x.get(0)?, x.get(1)?, x.get(2)?))
                })
                .optional()?;
            match old {
                None => {
                    insert.execute(params![m, d, s.method, s.value, s.runtime])?;
                    counts.scores.add(Outcome::New);
                }
                Some((id, v, rt)) => {
                    if same_f(Some(v), Some(s.value)) && same_f(rt, s.runtime) {
                        counts.scores.add(Outcome::Unchanged);
                    } else {
                        update.execute(params![id, s.value, s.runtime])?;
                        counts.scores.add(Outcome::Updated);
                    }
                }
            }
        }
    }

    {
        let mut select = tx.prepare(
            "SELECT id, value FROM distances WHERE a_id = ?1 AND b_id = ?2 AND method = ?3",
        )?;
        let mut insert =
            tx.prepare("INSERT INTO distances(a_id, b_id, method, value) VALUES (?1, ?2, ?3, ?4)")?;
        let mut update = tx.prepare("UPDATE distances SET value = ?2 WHERE id = ?1")?;
        for dr in &batch.distances {
            finite(
                "distance",
                || format!("{} between {} and {}", dr.method, dr.a, dr.b),
                dr.value,
            )?;
            if dr.a == dr.b {
                continue;
            }
            let (a, _) = ids.dataset(tx, &dr.a)?;
            let (b, _) = ids.dataset(tx, &dr.b)?;
            let (a, b) = if a < b { (a, b) } else { (b, a) };
            let old: Option<(i64, f64)> = select
                .query_row(params![a, b, dr.method], |x| Ok((x.get(0)?, x.get(1)?)))
                .optional()?;
            match old {
                None => {
                    insert.execute(params![a, b, dr.method, dr.value])?;
                    counts.distances.add(Outcome::New);
                }
                Some((id, v)) => {
                    if same_f(Some(v), Some(dr.value)) {
                        counts.distances.add(Outcome::Unchanged);
                    } else {
                        update.execute(params![id, dr.value])?;
                        counts.distances.add(Outcome::Updated);
                    }
                }
            }
        }
    }
    Ok(counts)
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
    fn of(r: &RecordRow) -> StoredRun {
        StoredRun {
            id: 0,
            key: r.run_key.clone(),
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
            source: r.source.clone(),
        }
    }

    fn read(x: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRun> {
        Ok(StoredRun {
            id: x.get(0)?,
            key: x.get(1)?,
            accuracy: x.get(2)?,
            learning_rate: x.get(3)?,
            epochs: x.get(4)?,
            batch_size: x.get(5)?,
            train_runtime: x.get(6)?,
            peft_method: x.get(7)?,
            curve: x.get(8)?,
            source: x.get(9)?,
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

    /// Which run of `base` this is: 1 for `base` itself, `n` for `base#n`.
    fn ordinal(&self, base: &str) -> u64 {
        self.key
            .strip_prefix(base)
            .and_then(|rest| rest.strip_prefix('#'))
            .and_then(|n| n.parse().ok())
            .unwrap_or(1)
    }

    fn insert(
        &self,
        insert: &mut rusqlite::Statement<'_>,
        model: i64,
        dataset: i64,
        key: &str,
    ) -> Result<(), StoreError> {
        insert.execute(params![
            model,
            dataset,
            key,
            self.accuracy,
            self.learning_rate,
            self.epochs,
            self.batch_size,
            self.train_runtime,
            self.peft_method,
            self.curve,
            self.source
        ])?;
        Ok(())
    }
}
