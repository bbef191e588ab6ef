//! Errors of rankers.

use crate::regress::RegressError;

/// Errors of rankers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PredictError {
    /// The regressor failed.
    #[error("regressor: {0}")]
    Regress(#[from] RegressError),
    /// Graph construction or embedding failed.
    #[error("graph: {0}")]
    Graph(#[from] zoorank_graph::GraphError),
    /// Nothing to learn from (no other dataset has records).
    #[error("no training data for target '{target}': no other dataset has fine-tuning records")]
    NoTrainingData {
        /// The target's name.
        target: String,
    },
    /// A score baseline was asked for a target without that score.
    #[error("no '{method}' scores stored for target '{target}'")]
    NoScores {
        /// Method id.
        method: String,
        /// Target name.
        target: String,
    },
    /// A method reads a stored score the zoo does not have (a typo, or a score not yet
    /// imported).
    #[error("unknown method '{id}': the store has no such score method (stored: {stored}); other valid forms: {forms}", stored = if stored.is_empty() { "none".to_string() } else { stored.join(", ") }, forms = super::spec::VALID_FORMS)]
    UnknownScoreMethod {
        /// What was asked for.
        id: String,
        /// The zoo's stored score methods.
        stored: Vec<String>,
    },
}
