//! The interval calibration's fold rankings, kept in the store's blob cache.
//!
//! Calibrating a recommendation's intervals hides each of up to a dozen training datasets in
//! turn and ranks it with the method: most of the time of `recommend --observed`. A fold's
//! ranking depends on the zoo's content, the method, the request's view (target, candidates,
//! seed) and the fold, not on the runs the user observed, so in the budget loop (a run added,
//! the question asked again) each fold is ranked once and read back afterwards.

use std::sync::Mutex;
use zoorank_core::{BlobCache, StableHash};
use zoorank_predict::rank::{ModelScore, PredictError, Ranker, TargetView};

/// Key prefix of the cached fold rankings.
pub const PREFIX: &str = "calibration-fold|";
/// Fold rankings kept at most (about 40 requests' worth); older ones are dropped.
pub(crate) const KEEP: usize = 512;

/// A ranker that answers from the cache when it can and fills it when it ranks. A cache that
/// fails (a read-only store, a database error) only costs the time of ranking again.
pub(crate) struct CachedFolds<'a> {
    inner: &'a dyn Ranker,
    /// The request's part of every key: zoo version, method, target and seed.
    request: String,
    cache: Mutex<&'a mut (dyn BlobCache + Send)>,
}

impl<'a> CachedFolds<'a> {
    /// Fold rankings of `inner` for a request on the zoo at `zoo_version`.
    pub(crate) fn new(
        inner: &'a dyn Ranker,
        zoo_version: &str,
        method: &str,
        cache: &'a mut (dyn BlobCache + Send),
    ) -> Self {
        CachedFolds {
            inner,
            request: format!("{zoo_version}|{method}"),
            cache: Mutex::new(cache),
        }
    }

    /// Drops all but the newest [`KEEP`] fold rankings.
    pub(crate) fn trim(self) {
        let cache = self.cache.into_inner().unwrap_or_else(|p| p.into_inner());
        let _ = cache.keep_newest(PREFIX, KEEP);
    }

    fn key(&self, view: &TargetView) -> String {
        let mut h = StableHash::new();
        h.str(&self.request)
            .str(&view.zoo.datasets[view.target].name)
            .u64(view.seed)
            .u64(view.zoo.records.len() as u64)
            .u64(view.candidates.len() as u64);
        for &m in &view.candidates {
            h.u64(m as u64);
        }
        format!("{PREFIX}{}", h.hex())
    }

    fn with_cache<T>(&self, f: impl FnOnce(&mut (dyn BlobCache + Send)) -> T) -> T {
        f(&mut **self.cache.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Ranker for CachedFolds<'_> {
    fn id(&self) -> String {
        self.inner.id()
    }

    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        let key = self.key(view);
        let hit = self.with_cache(|c| c.get(&key)).ok().flatten();
        if let Some(scores) = hit.and_then(|b| decode(&b, view.zoo.models.len())) {
            return Ok(scores);
        }
        let scores = self.inner.rank(view)?;
        let _ = self.with_cache(|c| c.put(&key, &encode(&scores)));
        Ok(scores)
    }
}

/// Bytes per model score: model (u64), score (f64), predicted accuracy (f64, NaN for none).
const ENTRY: usize = 24;

fn encode(scores: &[ModelScore]) -> Vec<u8> {
    let mut out = Vec::with_capacity(scores.len() * ENTRY);
    for s in scores {
        out.extend((s.model as u64).to_le_bytes());
        out.extend(s.score.to_le_bytes());
        out.extend(s.predicted_accuracy.unwrap_or(f64::NAN).to_le_bytes());
    }
    out
}

/// The scores in `bytes`, or `None` when they are not what [`encode`] writes for a zoo of
/// `models` models (then the fold is ranked again).
fn decode(bytes: &[u8], models: usize) -> Option<Vec<ModelScore>> {
    if !bytes.len().is_multiple_of(ENTRY) {
        return None;
    }
    let word = |c: &[u8]| <[u8; 8]>::try_from(c).ok();
    bytes
        .chunks_exact(ENTRY)
        .map(|c| {
            let model = u64::from_le_bytes(word(&c[..8])?) as usize;
            let score = f64::from_le_bytes(word(&c[8..16])?);
            let predicted = f64::from_le_bytes(word(&c[16..])?);
            (model < models && !score.is_nan()).then_some(ModelScore {
                model,
                score,
                predicted_accuracy: (!predicted.is_nan()).then_some(predicted),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use zoorank_core::{Dataset, MemoryCache, Model, Zoo};

    /// Scores model m with `m + target`, counting its calls.
    struct Counting(AtomicUsize);

    impl Ranker for Counting {
        fn id(&self) -> String {
            "counting".into()
        }
        fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
            self.0.fetch_add(1, Ordering::Relaxed);
            Ok(view
                .candidates
                .iter()
                .map(|&m| ModelScore {
                    model: m,
                    score: (m + view.target) as f64,
                    predicted_accuracy: (m % 2 == 0).then_some(0.5),
                })
                .collect())
        }
    }

    fn view(target: usize, seed: u64) -> TargetView {
        let mut zoo = Zoo::default();
        for i in 0..3 {
            zoo.add_model(Model {
                name: format!("m{i}"),
                ..Model::default()
            });
            zoo.add_dataset(Dataset {
                name: format!("d{i}"),
                ..Dataset::default()
            });
        }
        TargetView {
            zoo,
            target,
            candidates: vec![0, 1, 2],
            seed,
        }
    }

    #[test]
    fn each_fold_is_ranked_once_and_read_back_the_same() {
        let inner = Counting(AtomicUsize::new(0));
        let mut cache = MemoryCache::default();
        let folds = [view(0, 1), view(1, 1), view(1, 2)];
        let first: Vec<_> = {
            let cached = CachedFolds::new(&inner, "v1", "lr", &mut cache);
            folds.iter().map(|v| cached.rank(v).unwrap()).collect()
        };
        assert_eq!(inner.0.load(Ordering::Relaxed), 3);
        let cached = CachedFolds::new(&inner, "v1", "lr", &mut cache);
        let again: Vec<_> = folds.iter().map(|v| cached.rank(v).unwrap()).collect();
        assert_eq!(again, first);
        assert_eq!(inner.0.load(Ordering::Relaxed), 3, "all read back");
        // Another zoo version or method is another ranking.
        let other = CachedFolds::new(&inner, "v2", "lr", &mut cache);
        other.rank(&folds[0]).unwrap();
        other.trim();
        let other = CachedFolds::new(&inner, "v1", "trend+lr", &mut cache);
        other.rank(&folds[0]).unwrap();
        assert_eq!(inner.0.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn scores_round_trip_and_foreign_bytes_are_refused() {
        let scores = vec![
            ModelScore {
                model: 3,
                score: -0.25,
                predicted_accuracy: Some(0.81),
            },
            ModelScore {
                model: 0,
                score: 1e300,
                predicted_accuracy: None,
            },
        ];
        let bytes = encode(&scores);
        assert_eq!(decode(&bytes, 4), Some(scores));
        assert_eq!(decode(&bytes, 3), None, "a model the zoo does not have");
        assert_eq!(decode(&bytes[1..], 4), None, "a torn entry");
        assert_eq!(decode(&[], 4), Some(Vec::new()));
    }
}
