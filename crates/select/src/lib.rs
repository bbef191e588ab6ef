//! # zoorank-select
//!
//! The **two-phase recall-and-select** approach of Cui et al. (ICDE 2024), in the `predict`
//! stage of zoorank's pipeline: when a user can afford to fine-tune a few models, pick which,
//! and stop the losers early. Plain matrices in (no database handle); the CLI builds them from
//! the store.
//!
//! 1. **Model clustering** ([`similarity`], [`cluster`]): the performance matrix
//!    ([`PerformanceMatrix`], models × benchmark datasets) gives
//!    `sim(a, b) = 1 − mean of the k largest |acc_a − acc_b|`; average-linkage hierarchical
//!    clustering (kodama) cut at a distance threshold, k-means for comparison, silhouettes.
//! 2. **Coarse recall** ([`recall`]): a proxy score (LEEP, LogME, ...) only on each
//!    non-singleton cluster's representative; recall score
//!    `ā(m) · mean_r sim(m, r) · p̃(r)`; top K.
//! 3. **Fine selection** ([`fine`], [`trends`]): successive halving over the recalled models,
//!    with convergence-trend filtering; cost in epochs and seconds.
//! 4. **Trainers** ([`trainer`]): one small trait, [`trainer::Trainer`], implemented by a
//!    replay of recorded curves (the JSON-lines format is documented in [`trainer`]), the
//!    user's own training command, and a built-in linear probe on `.npy` features.
//!
//! Inputs: the two-phase TSVs ([`twophase`]) or any zoo ([`PerformanceMatrix::from_zoo`],
//! leave-one-target-out). The evaluations behind `docs/benchmarks/select.md` are in the
//! `zoorank-experiments` crate.
//!
//! ```
//! use zoorank_select::{PerformanceMatrix, cluster, recall, similarity};
//! let m = PerformanceMatrix::from_dense(
//!     vec!["a".into(), "b".into(), "c".into()],
//!     vec!["x".into(), "y".into()],
//!     vec![vec![0.90, 0.80], vec![0.89, 0.81], vec![0.40, 0.30]],
//! )?;
//! let d = similarity::model_distances(&m, similarity::DEFAULT_K)?;
//! let c = cluster::hierarchical(&d, 0.05)?;
//! assert_eq!(c.labels, vec![0, 0, 1]);
//! // LEEP of the representative only ("a": best mean accuracy of its cluster).
//! let out = recall::recall(&m, &d, &c, recall::RecallParams { top: 2, ..Default::default() },
//!     |i| Ok(Some([-0.5, -0.6, -2.0][i])))?;
//! assert_eq!(out.proxy_computations, 1);
//! assert_eq!(out.recalled().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
//! # Ok::<(), zoorank_select::SelectError>(())
//! ```
//!
//! Reference: J. Cui, W. Shi, H. Tao, W. Lu, X. Du, "A Two-Phase Recall-and-Select Framework
//! for Fast Model Selection", ICDE 2024.
#![warn(missing_docs)]

pub mod cluster;
pub mod error;
pub mod fine;
pub mod matrix;
pub mod recall;
pub mod similarity;
pub mod trainer;
pub mod trends;
pub mod twophase;

pub use error::{Result, SelectError};
pub use matrix::PerformanceMatrix;
