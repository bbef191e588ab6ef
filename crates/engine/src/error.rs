//! Errors of the engine: each variant names what was asked and keeps its cause.

use std::path::PathBuf;
use zoorank_predict::rank::{MethodIdError, PredictError};

/// Errors of [`crate::Engine`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The store could not be opened or read.
    #[error("opening the zoo store {path}")]
    Open {
        /// The store's path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: zoorank_store::StoreError,
    },
    /// The store failed while the engine read it.
    #[error(transparent)]
    Store(#[from] zoorank_store::StoreError),
    /// A method id does not parse.
    #[error(transparent)]
    MethodId(#[from] MethodIdError),
    /// The target is not a dataset of the zoo.
    #[error("no dataset '{target}' in the zoo (list them with `zoorank zoo datasets`)")]
    UnknownTarget {
        /// The name asked for.
        target: String,
    },
    /// Nothing to rank for the target.
    #[error("no model to rank for '{target}': the store has no fine-tuning records or scores besides the target's")]
    NoCandidates {
        /// The target.
        target: String,
    },
    /// The method failed on the target.
    #[error("ranking models for '{target}' with {method}")]
    Rank {
        /// The target.
        target: String,
        /// The method id.
        method: String,
        /// Cause.
        #[source]
        source: PredictError,
    },
    /// An observed run names a model the zoo does not have.
    #[error(
        "observed run #{row}: no model '{model}' in the zoo (list them with `zoorank zoo models`)"
    )]
    UnknownObservedModel {
        /// 1-based position among the observed runs.
        row: usize,
        /// The name given.
        model: String,
    },
    /// A model to exclude from the proposals is not in the zoo.
    #[error(
        "excluded model #{position}: no model '{model}' in the zoo (list them with `zoorank zoo models`)"
    )]
    UnknownExcludedModel {
        /// 1-based position among the excluded models.
        position: usize,
        /// The name given.
        model: String,
    },
    /// An observed run's accuracy is not in [0, 1].
    #[error("observed run #{row} of '{model}': accuracy {accuracy} is not in [0, 1]")]
    ObservedAccuracy {
        /// 1-based position among the observed runs.
        row: usize,
        /// The model.
        model: String,
        /// The value given.
        accuracy: f64,
    },
    /// The budget loop could not append a run to its runs file.
    #[error("writing the runs made to {path}")]
    RunsOut {
        /// The runs file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: zoorank_store::ImportError,
    },
    /// An interval coverage outside (0, 1).
    #[error("interval coverage {0}: must be strictly between 0 and 1 (e.g. 0.8)")]
    Coverage(f64),
    /// Building the graph that `explain` reads failed.
    #[error("building the graph for the explanation")]
    Explain(#[source] zoorank_graph::GraphError),
    /// The zoo has no fine-tuning record to evaluate on.
    #[error("the zoo has no fine-tuning records: import a zoo first (zoorank import --help)")]
    NothingToEvaluate,
    /// A model ratio is outside (0, 1].
    #[error("model ratio {0}: must be in (0, 1]")]
    ModelRatio(f64),
    /// The evaluation failed.
    #[error("evaluating")]
    Eval(#[from] zoorank_eval::EvalError),
    /// The evaluation at a model ratio failed.
    #[error("evaluating at model ratio {ratio}")]
    EvalAtRatio {
        /// The ratio.
        ratio: f64,
        /// Cause.
        #[source]
        source: zoorank_eval::EvalError,
    },
}
