//! # zoorank-engine
//!
//! The engine stage of zoorank's pipeline (`store → features → scores → graph → predict →
//! evaluate → engine → interfaces`): one small library API that every interface — the CLI,
//! the Python package, the HTTP service, the scoring workers — calls and prints. None of them
//! holds ranking logic.
//!
//! - [`Engine::open`] a zoo store (or [`Engine::from_store`]);
//! - [`Engine::recommend`] a [`RecommendRequest`] → a [`Recommendation`]: every candidate
//!   model ranked for the target by predicted fine-tuning accuracy, with the evidence, and
//!   optionally each model's explanation. New datasets (no record of their own) take the
//!   inductive graph path with the embedder kept in the store, behind the same call;
//! - [`Engine::next`] a [`NextRequest`] → a [`NextPlan`]: which models to run next on the
//!   target given the runs made (fine-tunes or linear probes), and
//!   [`Engine::run_budget`] the loop that runs them with a trainer ([`BudgetRequest`] →
//!   [`BudgetOutcome`]);
//! - [`Engine::evaluate`] an [`EvalRequest`] → an [`Evaluation`]: the leave-one-dataset-out
//!   protocol's figures per method and target.
//!
//! Requests and results are plain serde values; methods are [`MethodSpec`]s, parsed once
//! from their ids.
//!
//! ```
//! use zoorank_engine::{Engine, RecommendRequest};
//! use zoorank_store::{import, ImportOptions, Store};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The shipped TransferGraph image zoo (`$ZOORANK_DATA`, else ../shared/data).
//! let data = std::env::var("ZOORANK_DATA").unwrap_or_else(|_| "../../../shared/data".into());
//! let mut store = Store::open_in_memory()?;
//! let opts = ImportOptions { skip_bad_rows: true, dry_run: false };
//! import::import_transfergraph(&mut store, format!("{data}/transfergraph-image").as_ref(), opts)?;
//!
//! let mut engine = Engine::from_store(store)?;
//! let req = RecommendRequest { top: Some(3), ..RecommendRequest::new("dtd") };
//! let rec = engine.recommend(&req)?;
//! assert_eq!(rec.method.to_string(), "trend+lr");
//! assert_eq!(rec.models.len(), 3);
//! for m in &rec.models {
//!     println!("{} {} predicted {:?}", m.rank, m.model, m.predicted_accuracy);
//! }
//! # Ok(())
//! # }
//! //! ```
#![warn(missing_docs)]

mod budget;
pub mod catalog;
mod engine;
mod error;
mod evaluate;
mod fold_cache;
mod next;
mod recommend;

pub use budget::{BudgetOutcome, BudgetRequest, LoopRun};
pub use engine::Engine;
pub use error::EngineError;
pub use evaluate::{EvalProgress, EvalRequest, Evaluation};
pub use fold_cache::PREFIX as CALIBRATION_KEY_PREFIX;
pub use next::{observed_runs, NextPlan, NextRequest, ProposedRun};
pub use recommend::{
    Explanation, Nearest, ObservedRun, Path, RecommendRequest, Recommendation, RecommendedModel,
    DEFAULT_METHOD, GRAPH_CALIBRATION_FOLDS,
};
pub use zoorank_eval::Protocol;
pub use zoorank_predict::accuracy::strategy::Strategy;
pub use zoorank_predict::accuracy::DEFAULT_COVERAGE;
pub use zoorank_predict::rank::{MethodIdError, MethodSpec};
pub use zoorank_store::import::RunKind;

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
