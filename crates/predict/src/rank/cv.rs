//! Choosing a ranker by cross-validation over the training datasets only.
//!
//! [`CvChoice`] holds candidate rankers (the same method with different hyper-parameters, or
//! different methods). For a held-out view it scores each candidate by **leave-one-dataset-out
//! over the view's own training datasets**: for every fold dataset k (a dataset of the view
//! with fine-tuning records of at least [`MIN_FOLD_MODELS`] models, not collapsed, never the
//! target), the candidate ranks k on `view.zoo` without k's records, and is scored against
//! k's ground truth with the protocol's metrics. The criterion is
//!
//! ```text
//! C(c) = Σ_k w_k (Pearson_k + wτ_k + Rel@1_k) / Σ_k w_k,     w_k = max − mean accuracy on k
//! ```
//!
//! — the three headline numbers of the published tables, with the evaluation's target weights. The
//! candidate with the largest C ranks the target (ties: the first, which should be the
//! default). Nothing of the target's records is used: the view has none, and every fold view
//! is a sub-view of it.
//!
//! Cost: `candidates × folds` fits on top of the final one. With more usable datasets than
//! `max_folds`, the folds are the `max_folds` with the largest weight (ties by index), so
//! the choice stays deterministic.
//!
//! Ids: `auto` (popularity, `lr`, `pop+lr`) and `<graph id>@cv` (the graph ranker with its
//! model–dataset link quantile 0.5 — the default —, 0.25 or 0.75).

use super::error::PredictError;
use super::view::{ModelScore, Ranker, TargetView};
use std::collections::BTreeMap;
use zoorank_core::metrics::{pearson, rel_at_k, target_weight, weighted_tau};
use zoorank_core::DatasetIdx;

/// Fewest models with a result on a dataset for it to be a fold.
pub const MIN_FOLD_MODELS: usize = 3;

/// A ranker chosen among candidates by leave-one-dataset-out over the training datasets.
pub struct CvChoice {
    id: String,
    candidates: Vec<(String, Box<dyn Ranker>)>,
    max_folds: usize,
}

/// What [`CvChoice::choose`] found for one view.
#[derive(Debug, Clone, PartialEq)]
pub struct CvOutcome {
    /// Index of the chosen candidate.
    pub chosen: usize,
    /// Every candidate's label and criterion C (NaN when it could rank no fold).
    pub criteria: Vec<(String, f64)>,
    /// The fold datasets used.
    pub folds: Vec<DatasetIdx>,
}

impl CvChoice {
    /// A choice among `candidates` (label, ranker), the default first; at most `max_folds`
    /// fold datasets (≥ 1).
    pub fn new(
        id: impl Into<String>,
        candidates: Vec<(String, Box<dyn Ranker>)>,
        max_folds: usize,
    ) -> CvChoice {
        CvChoice {
            id: id.into(),
            candidates,
            max_folds: max_folds.max(1),
        }
    }

    /// Scores every candidate on the folds of `view` and picks one (see the module docs).
    ///
    /// # Errors
    /// [`PredictError::NoTrainingData`] when there are no candidates or no fold dataset;
    /// any candidate error other than a fold without training data.
    pub fn choose(&self, view: &TargetView) -> Result<CvOutcome, PredictError> {
        let no_data = || PredictError::NoTrainingData {
            target: view.zoo.datasets[view.target].name.clone(),
        };
        if self.candidates.is_empty() {
            return Err(no_data());
        }
        let best = view.zoo.best_accuracies();
        let folds = fold_datasets(view, &best, MIN_FOLD_MODELS, self.max_folds);
        if folds.is_empty() {
            return Err(no_data());
        }
        let mut criteria = Vec::with_capacity(self.candidates.len());
        for (label, ranker) in &self.candidates {
            let (mut sum, mut wsum) = (0.0, 0.0);
            for &(k, w) in &folds {
                let inner = fold_view(view, k, &best);
                let Some(scores) = rank_fold(ranker.as_ref(), &inner)? else {
                    continue;
                };
                if let Some(c) = fold_criterion(&scores, &best[k]) {
                    sum += w * c;
                    wsum += w;
                }
            }
            criteria.push((
                label.clone(),
                if wsum > 0.0 { sum / wsum } else { f64::NAN },
            ));
        }
        let mut chosen = 0;
        for (i, c) in criteria.iter().enumerate() {
            if c.1 > criteria[chosen].1 || (criteria[chosen].1.is_nan() && !c.1.is_nan()) {
                chosen = i;
            }
        }
        Ok(CvOutcome {
            chosen,
            criteria,
            folds: folds.into_iter().map(|f| f.0).collect(),
        })
    }
}

/// The datasets of `view` (never its target) that can stand in for it: at least `min_models`
/// models' results (`best`: the view's best accuracies), not collapsed; with their evaluation
/// weight (max − mean accuracy), heaviest first (ties by index), at most `max_folds` (≥ 1).
pub fn fold_datasets(
    view: &TargetView,
    best: &[Vec<Option<f64>>],
    min_models: usize,
    max_folds: usize,
) -> Vec<(DatasetIdx, f64)> {
    let mut folds: Vec<(DatasetIdx, f64)> = (0..view.zoo.datasets.len())
        .filter(|&d| d != view.target)
        .filter_map(|d| {
            let vals: Vec<f64> = best[d].iter().flatten().copied().collect();
            if vals.len() < min_models || zoorank_core::collapse(&vals).is_some() {
                return None;
            }
            target_weight(&vals).ok().map(|w| (d, w))
        })
        .collect();
    folds.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    folds.truncate(max_folds.max(1));
    folds
}

/// `view` with fold dataset `k` as the target: its records hidden, the models with a result
/// on it as candidates.
pub fn fold_view(view: &TargetView, k: DatasetIdx, best: &[Vec<Option<f64>>]) -> TargetView {
    TargetView {
        zoo: view.zoo.without_target_history(k),
        target: k,
        candidates: (0..view.zoo.models.len())
            .filter(|&m| best[k][m].is_some())
            .collect(),
        seed: view.seed,
    }
}

/// `ranker`'s scores on a [`fold_view`]; `None` when the fold leaves it no training data (the
/// fold is then skipped), any other error as it is.
pub fn rank_fold(
    ranker: &dyn Ranker,
    fold: &TargetView,
) -> Result<Option<Vec<ModelScore>>, PredictError> {
    match ranker.rank(fold) {
        Ok(s) => Ok(Some(s)),
        Err(PredictError::NoTrainingData { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Pearson + weighted τ + Rel@1 of `scores` against `truth` (models with both); `None` with
/// fewer than two such models. A constant side counts 0 for the correlations.
fn fold_criterion(scores: &[ModelScore], truth: &[Option<f64>]) -> Option<f64> {
    let pairs: BTreeMap<usize, (f64, f64)> = scores
        .iter()
        .filter_map(|s| Some((s.model, (s.score, truth.get(s.model).copied().flatten()?))))
        .collect();
    if pairs.len() < 2 {
        return None;
    }
    let (s, t): (Vec<f64>, Vec<f64>) = pairs.values().copied().unzip();
    let r = pearson(&s, &t).unwrap_or(0.0);
    let w = weighted_tau(&s, &t).unwrap_or(0.0);
    let rel = rel_at_k(&s, &t, 1).ok()?;
    Some(r + w + rel)
}

impl Ranker for CvChoice {
    fn id(&self) -> String {
        self.id.clone()
    }

    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        let outcome = self.choose(view)?;
        self.candidates[outcome.chosen].1.rank(view)
    }
}

impl std::fmt::Debug for CvChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CvChoice")
            .field("id", &self.id)
            .field(
                "candidates",
                &self.candidates.iter().map(|c| &c.0).collect::<Vec<_>>(),
            )
            .field("max_folds", &self.max_folds)
            .finish()
    }
}
