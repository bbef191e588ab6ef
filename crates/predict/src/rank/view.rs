//! What a ranker sees and returns: the held-out [`TargetView`], a [`ModelScore`] per
//! candidate, and the [`Ranker`] trait the evaluation harness and the engine call.

use super::error::PredictError;
use zoorank_core::{DatasetIdx, ModelIdx, Zoo};

/// What a ranker may see for one target: the zoo **without any fine-tuning record of the
/// target** (its metadata, distances and feature-based scores stay), the target, and the models
/// to score. Built by the evaluation harness (`zoorank_eval::leave_one_out`) or, for a new
/// target, by `recommend`.
#[derive(Debug, Clone)]
pub struct TargetView {
    /// The zoo minus the target's records.
    pub zoo: Zoo,
    /// The target dataset.
    pub target: DatasetIdx,
    /// Models to score.
    pub candidates: Vec<ModelIdx>,
    /// Seed for anything random (forests, boosting subsampling, FM initialisation).
    pub seed: u64,
}

/// A model's score for the target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelScore {
    /// The model.
    pub model: ModelIdx,
    /// Ranking score, higher = better.
    pub score: f64,
    /// Predicted fine-tuning accuracy on the target, for rankers that predict one.
    pub predicted_accuracy: Option<f64>,
}

/// A ranker: scores the candidate models of a [`TargetView`].
pub trait Ranker: Send + Sync {
    /// Stable id (CLI, JSON).
    fn id(&self) -> String;
    /// Scores candidates. May leave out candidates it cannot score (e.g. a stored-score
    /// baseline for models without that score); the harness reports coverage.
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError>;
}
