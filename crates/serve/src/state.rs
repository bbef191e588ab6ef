//! The server's shared state: the zoo snapshot every read sees, a small pool of engines for
//! rankings, the cache of rankings, the writer, and the jobs.
//!
//! Concurrency model. The engine owns an SQLite connection and ranks through `&mut self`, so
//! it is neither shared nor locked across requests: each ranking takes an engine out of a
//! pool (opening one on the same store file when the pool is empty), runs on a blocking
//! thread, and puts it back. At most [`crate::Config::rankers`] rankings run at once. The
//! store is in WAL mode, so these readers never wait for a writer and never see an
//! uncommitted import. Writes are serialised by one async lock; each runs in one SQLite
//! transaction (all of it or nothing) and then publishes a new [`Snapshot`]. Engines in the
//! pool notice the new zoo version when they are next taken and reload.
//!
//! Rankings are cached per question (target, method, seed, explain) with the zoo generation
//! they were computed on, whole, and each `top` asked is cut from them. The same question on
//! the same zoo is answered from memory, and concurrent identical questions wait for one
//! computation instead of each running their own. After a write, a question whose
//! last answer is of an older zoo is answered with that answer for up to
//! [`STALE_WINDOW`] while the ranking on the new zoo is computed once in the background;
//! the answer's `zoo_version` says which zoo it ranks. So an import never makes readers wait
//! for the rankings it invalidates, and no answer ever mixes two zoos.

use crate::error::{chain, from_engine, ApiError, ServeError};
use crate::jobs::Jobs;
use axum::body::Bytes;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Semaphore};
use zoorank_core::Zoo;
use zoorank_engine::catalog::RecordCounts;
use zoorank_engine::{Engine, RecommendRequest, Recommendation};
use zoorank_store::{Stats, Store};

/// Rankings kept in the cache before older ones are dropped (one is a few kB to a few
/// hundred).
const CACHE_ENTRIES: usize = 4096;

/// How long after a write an answer computed on the zoo before it may still be given while
/// the new one is computed.
pub const STALE_WINDOW: Duration = Duration::from_secs(2);

/// What every read sees: the zoo as of the last write, with counts derived once.
#[derive(Debug)]
pub struct Snapshot {
    /// Content version ([`Engine::zoo_version`]).
    pub version: String,
    /// Counts the snapshots published by this server (later ones are newer).
    pub generation: u64,
    /// When it was published.
    pub published_at: Instant,
    /// The zoo.
    pub zoo: Zoo,
    /// Store counts.
    pub stats: Stats,
    /// Records per model and per dataset.
    pub counts: RecordCounts,
}

impl Snapshot {
    /// The snapshot of what `engine` read.
    pub fn of(engine: &Engine) -> Result<Snapshot, ApiError> {
        let zoo = engine.zoo().clone();
        let stats = engine
            .store()
            .stats()
            .map_err(|e| ApiError::internal(format!("reading store counts: {}", chain(&e))))?;
        Ok(Snapshot {
            version: engine.zoo_version().to_string(),
            generation: 0,
            published_at: Instant::now(),
            stats,
            counts: RecordCounts::of(&zoo),
            zoo,
        })
    }
}

type Outcome = Option<Result<Arc<Recommendation>, ApiError>>;

/// The newest whole ranking (every model, `top` unset) of each question, the answers given
/// from them (each `top` its own bytes), and the rankings being computed.
#[derive(Default)]
struct RankCache {
    rankings: HashMap<String, (u64, Arc<Recommendation>)>,
    answers: HashMap<String, (u64, Bytes)>,
    running: HashMap<String, (u64, watch::Receiver<Outcome>)>,
}

/// `rec` cut to its `top` models, as JSON. The engine's `top` only cuts the list, so this
/// equals the engine's answer to the request with that `top`.
fn render(rec: &Recommendation, top: Option<usize>) -> Result<Bytes, ApiError> {
    let bytes = match top {
        Some(k) if k < rec.models.len() => {
            let mut cut = rec.clone();
            cut.models.truncate(k);
            serde_json::to_vec(&cut)
        }
        _ => serde_json::to_vec(rec),
    };
    bytes
        .map(Bytes::from)
        .map_err(|e| ApiError::internal(format!("serialising the recommendation: {e}")))
}

/// State shared by every handler.
pub struct AppState {
    /// The store file.
    pub db: PathBuf,
    /// The bearer token writes need (`None`: writes are refused).
    pub token: Option<Vec<u8>>,
    snapshot: RwLock<Arc<Snapshot>>,
    engines: Mutex<Vec<Engine>>,
    rankers: Semaphore,
    cache: Mutex<RankCache>,
    /// The engine writes go through; the async lock serialises writers.
    writer: tokio::sync::Mutex<Option<Engine>>,
    /// Evaluation jobs.
    pub jobs: Jobs,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.db)
            .field("version", &self.snapshot().version)
            .finish()
    }
}

impl AppState {
    /// Opens the store at `db` (which must exist) and reads its first snapshot.
    pub fn open(
        db: PathBuf,
        token: Option<Vec<u8>>,
        rankers: usize,
    ) -> Result<AppState, ServeError> {
        let engine = Engine::open(&db).map_err(ServeError::Open)?;
        let snap = Snapshot::of(&engine).map_err(|e| ServeError::Read(e.message))?;
        let jobs = Jobs::new(db.clone());
        Ok(AppState {
            db,
            token,
            snapshot: RwLock::new(Arc::new(snap)),
            engines: Mutex::new(vec![engine]),
            rankers: Semaphore::new(rankers.max(1)),
            cache: Mutex::new(RankCache::default()),
            writer: tokio::sync::Mutex::new(None),
            jobs,
        })
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn publish(&self, mut snap: Snapshot) {
        let mut cur = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        snap.generation = cur.generation + 1;
        snap.published_at = Instant::now();
        *cur = Arc::new(snap);
    }

    /// The ranking for `req` as JSON bytes: from the cache when it is of the current zoo (or
    /// of the one before, within [`STALE_WINDOW`] of a write, while the new one is
    /// computed); else computed once on an engine of the pool while concurrent requests
    /// for it wait. Requests differing only in `top` share one computation.
    pub async fn recommend(self: &Arc<Self>, req: RecommendRequest) -> Result<Bytes, ApiError> {
        let snap = self.snapshot();
        let top = req.top;
        let answer_key = serde_json::to_string(&req)
            .map_err(|e| ApiError::internal(format!("serialising the request: {e}")))?;
        let whole = RecommendRequest { top: None, ..req };
        let key = serde_json::to_string(&whole)
            .map_err(|e| ApiError::internal(format!("serialising the request: {e}")))?;
        let (stale, mut rx) = {
            let mut c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            let answer = c.answers.get(&answer_key).cloned();
            if let Some((g, bytes)) = &answer {
                if *g >= snap.generation {
                    return Ok(bytes.clone());
                }
            }
            let stale = match c.rankings.get(&key).cloned() {
                Some((g, rec)) => {
                    let bytes = match answer {
                        Some((ga, bytes)) if ga == g => bytes,
                        _ => {
                            let bytes = render(&rec, top)?;
                            if c.answers.len() >= CACHE_ENTRIES {
                                c.answers.clear();
                            }
                            c.answers.insert(answer_key.clone(), (g, bytes.clone()));
                            bytes
                        }
                    };
                    if g >= snap.generation {
                        return Ok(bytes);
                    }
                    Some(bytes)
                }
                None => None,
            };
            let rx = match c.running.get(&key) {
                // Already computed on this zoo, or on an older one while an answer exists:
                // one computation per question at a time.
                Some((g, rx)) if *g >= snap.generation || stale.is_some() => rx.clone(),
                _ => {
                    let (tx, rx) = watch::channel(None);
                    c.running.insert(key.clone(), (snap.generation, rx.clone()));
                    self.clone().spawn_ranking(key, snap.clone(), whole, tx);
                    rx
                }
            };
            (stale, rx)
        };
        if let Some(bytes) = stale {
            if snap.published_at.elapsed() < STALE_WINDOW {
                return Ok(bytes);
            }
        }
        let rec = {
            let out = rx
                .wait_for(Option::is_some)
                .await
                .map_err(|_| ApiError::internal("the ranking task ended without an answer"))?;
            out.clone()
                .unwrap_or_else(|| Err(ApiError::internal("no ranking")))?
        };
        render(&rec, top)
    }

    /// Computes `req` on `snap`'s zoo in the background (it finishes even when every
    /// client waiting for it has gone) and files the ranking.
    fn spawn_ranking(
        self: Arc<Self>,
        key: String,
        snap: Arc<Snapshot>,
        req: RecommendRequest,
        tx: watch::Sender<Outcome>,
    ) {
        tokio::spawn(async move {
            let out = match self.rankers.acquire().await {
                Err(_) => Err(ApiError::internal("the server is shutting down")),
                Ok(_permit) => {
                    let st = self.clone();
                    let version = snap.version.clone();
                    tokio::task::spawn_blocking(move || st.rank_blocking(&version, &req))
                        .await
                        .unwrap_or_else(|e| {
                            Err(ApiError::internal(format!("the ranking task failed: {e}")))
                        })
                }
            };
            {
                let mut c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
                if let Ok(rec) = &out {
                    if c.rankings.len() >= CACHE_ENTRIES {
                        let current = self.snapshot().generation;
                        c.rankings.retain(|_, (g, _)| *g >= current);
                        if c.rankings.len() >= CACHE_ENTRIES {
                            c.rankings.clear();
                        }
                    }
                    let newer = c
                        .rankings
                        .get(&key)
                        .is_some_and(|(g, _)| *g > snap.generation);
                    if !newer {
                        c.rankings
                            .insert(key.clone(), (snap.generation, rec.clone()));
                    }
                }
                if c.running
                    .get(&key)
                    .is_some_and(|(g, _)| *g == snap.generation)
                {
                    c.running.remove(&key);
                }
            }
            let _ = tx.send(Some(out));
        });
    }

    fn rank_blocking(
        &self,
        version: &str,
        req: &RecommendRequest,
    ) -> Result<Arc<Recommendation>, ApiError> {
        let pooled = self.engines.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut engine = match pooled {
            Some(e) => e,
            None => Engine::open(&self.db).map_err(|e| from_engine(&e))?,
        };
        if engine.zoo_version() != version {
            engine.reload().map_err(|e| from_engine(&e))?;
        }
        let out = engine.recommend(req);
        self.engines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(engine);
        out.map(Arc::new).map_err(|e| from_engine(&e))
    }

    /// Runs `f` on the writer engine's store, alone among writers, on a blocking thread; then
    /// reloads and publishes the new snapshot. `f` must write in one transaction (every
    /// importer and [`Store::apply`] does), so a failure — or the process being killed —
    /// leaves the store as it was.
    pub async fn write<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    {
        let mut guard = self.writer.lock().await;
        let mut writer = match guard.take() {
            Some(e) => e,
            None => {
                let db = self.db.clone();
                tokio::task::spawn_blocking(move || Engine::open(&db))
                    .await
                    .map_err(|e| ApiError::internal(format!("opening the writer: {e}")))?
                    .map_err(|e| from_engine(&e))?
            }
        };
        let state = self.clone();
        let (writer, out) = tokio::task::spawn_blocking(move || {
            let out = f(writer.store_mut());
            // Reload after a failure too: the store may have been changed by another process.
            let reloaded = writer
                .reload()
                .map_err(|e| from_engine(&e))
                .and_then(|()| Snapshot::of(&writer));
            match reloaded {
                Ok(snap) => {
                    if snap.version != state.snapshot().version {
                        state.publish(snap);
                    }
                    (Some(writer), out)
                }
                Err(e) => (None, out.and(Err(e))),
            }
        })
        .await
        .map_err(|e| ApiError::internal(format!("the write task failed: {e}")))?;
        *guard = writer;
        out
    }
}
