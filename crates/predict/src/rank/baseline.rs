//! Baselines: random, zoo popularity, and stored feature-based scores used as they are.

use super::table::History;
use super::{ModelScore, PredictError, Ranker, TargetView};

/// Picking at random: every model gets the same score. The harness reports the expected
/// metrics of a random pick for it (Rel@k = mean/max accuracy, correlations 0).
#[derive(Debug, Clone, Copy)]
pub struct Random;

impl Ranker for Random {
    fn id(&self) -> String {
        "random".into()
    }
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        Ok(view
            .candidates
            .iter()
            .map(|&m| ModelScore {
                model: m,
                score: 0.0,
                predicted_accuracy: None,
            })
            .collect())
    }
}

/// Zoo popularity: for every other dataset, min-max normalise its models' ground truths; score
/// a model by the mean of its normalised values. Models with no history get the mean score.
#[derive(Debug, Clone, Copy)]
pub struct Popularity;

impl Ranker for Popularity {
    fn id(&self) -> String {
        "popularity".into()
    }
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        let h = History::new(&view.zoo);
        let pops: Vec<Option<f64>> = view
            .candidates
            .iter()
            .map(|&m| h.popularity(m, None))
            .collect();
        let known: Vec<f64> = pops.iter().flatten().copied().collect();
        let fill = if known.is_empty() {
            0.0
        } else {
            known.iter().sum::<f64>() / known.len() as f64
        };
        Ok(view
            .candidates
            .iter()
            .zip(pops)
            .map(|(&m, p)| ModelScore {
                model: m,
                score: p.unwrap_or(fill),
                predicted_accuracy: None,
            })
            .collect())
    }
}

/// A stored feature-based score (e.g. `logme`) on the target, used directly. Models without the
/// score are left out (the harness reports coverage).
#[derive(Debug, Clone)]
pub struct StoredScore {
    /// Method id.
    pub method: String,
}

impl Ranker for StoredScore {
    fn id(&self) -> String {
        self.method.clone()
    }
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        let mut by_model = std::collections::HashMap::new();
        for s in &view.zoo.scores {
            if s.dataset == view.target && s.method == self.method {
                by_model.insert(s.model, s.value);
            }
        }
        if by_model.is_empty() {
            return Err(PredictError::NoScores {
                method: self.method.clone(),
                target: view.zoo.datasets[view.target].name.clone(),
            });
        }
        Ok(view
            .candidates
            .iter()
            .filter_map(|&m| {
                by_model.get(&m).map(|&v| ModelScore {
                    model: m,
                    score: v,
                    predicted_accuracy: None,
                })
            })
            .collect())
    }
}

/// Shrinks a learned ranker toward the zoo's popularity prior: both score vectors are
/// standardised over the candidates and averaged with equal weight (fixed a priori, not tuned).
/// The learned part brings target-specific evidence (distances, metadata, scores); the prior
/// keeps the top of the ranking where a model that is good everywhere usually is.
/// Ids `pop+<learned>`, e.g. `pop+xgb`.
pub struct Blend {
    /// The learned ranker.
    pub learned: Box<dyn Ranker>,
}

fn standardise(v: &[f64]) -> Vec<f64> {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt();
    v.iter()
        .map(|x| if sd > 0.0 { (x - m) / sd } else { 0.0 })
        .collect()
}

impl Ranker for Blend {
    fn id(&self) -> String {
        format!("pop+{}", self.learned.id())
    }
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        let learned = self.learned.rank(view)?;
        let pop = Popularity.rank(view)?;
        let by_model: std::collections::HashMap<usize, f64> =
            pop.iter().map(|s| (s.model, s.score)).collect();
        let a = standardise(&learned.iter().map(|s| s.score).collect::<Vec<_>>());
        let b = standardise(
            &learned
                .iter()
                .map(|s| by_model.get(&s.model).copied().unwrap_or(0.0))
                .collect::<Vec<_>>(),
        );
        Ok(learned
            .iter()
            .zip(a.iter().zip(&b))
            .map(|(s, (x, y))| ModelScore {
                model: s.model,
                score: 0.5 * x + 0.5 * y,
                predicted_accuracy: s.predicted_accuracy,
            })
            .collect())
    }
}
