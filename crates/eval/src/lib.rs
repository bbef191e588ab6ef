//! # zoorank-eval
//!
//! The evaluation stage of zoorank's pipeline (`store → features → scores → graph → predict →
//! evaluate`). [`metrics`] holds the per-target ranking metrics of the evaluation protocol
//! (Pearson, Spearman, Kendall τ-b, weighted Kendall τ, Rel@k, Top@k) and the weighted
//! average over targets, all on plain slices.
//!
//! ```
//! use zoorank_eval::metrics::{rel_at_k, weighted_tau};
//! let scores = [0.1, 0.9, 0.5, 0.3];
//! let truth = [0.60, 0.80, 0.85, 0.70];
//! assert!((rel_at_k(&scores, &truth, 1).unwrap() - 0.80 / 0.85).abs() < 1e-12);
//! let tau = weighted_tau(&scores, &truth).unwrap();
//! assert!(tau > 0.0 && tau < 1.0);
//! ```
#![warn(missing_docs)]

mod accuracy;
pub mod harness;
/// The ranking metrics (defined in `zoorank-core`, where the learners' cross-validation
/// uses them too).
pub use zoorank_core::metrics;
pub mod plot;
pub mod reveal;

pub use harness::{
    accuracy_metric_names, accuracy_metrics, evaluate, evaluate_with_progress, leave_one_out,
    EvalError, EvalOptions, EvalReport, MethodReport, Protocol, TargetInfo, METRICS,
};
pub use reveal::{RevealCurve, RevealOptions, REVEAL_METRICS};
