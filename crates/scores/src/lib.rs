//! # zoorank-scores
//!
//! The `scores` stage of zoorank's pipeline (`store → features → scores → graph → predict →
//! evaluate`): feature-based transferability scores. Plain matrices in, a number or a typed
//! [`ScoreError`] out — no database handle, no model loading.
//!
//! A score looks at what a candidate pre-trained model does on the target data (its
//! penultimate features, or its source-class probabilities) together with the target labels
//! and returns one number: higher = the model is expected to transfer better.
//!
//! Every method implements the object-safe [`TransferabilityScore`] trait; [`by_id`] and
//! [`all`] pick implementations by their stable ids (the ids the store, CLI and JSON use).
//! [`IDS`] lists one id per method; [`VARIANT_IDS`] the variants [`by_id`] also resolves but
//! [`all`] leaves out (a second solver of the same method):
//!
//! | id | method | needs |
//! |---|---|---|
//! | `logme` | [`LogMe`] — You et al., ICML 2021 | features |
//! | `logme-published` | [`LogMe::published`]: the authors' 11-step fixed point | features |
//! | `h-score` | [`HScore`] — Bao et al., ICIP 2019 | features |
//! | `reg-h-score` | [`RegHScore`] — Ibrahim et al., 2022 | features |
//! | `leep` | [`Leep`] — Nguyen et al., ICML 2020 | source probabilities |
//! | `nleep` | [`NLeep`] — Li et al., CVPR 2021 | features |
//! | `nce` | [`Nce`] — Tran et al., ICCV 2019 | source probabilities |
//! | `parc` | [`Parc`] — Bolya et al., NeurIPS 2021 | features |
//! | `gbc` | [`Gbc`] — Pándy et al., CVPR 2022 | features |
//! | `transrate` | [`TransRate`] — Huang et al., ICML 2022 | features |
//! | `sfda` | [`Sfda`] — Shao et al., ECCV 2022 | features |
//! | `lfc` | [`Lfc`] — Deshpande et al., 2021 | features |
//! | `knn` | [`Knn`] — leave-one-out k-NN accuracy | features |
//! | `logistic` | [`Logistic`] — cross-validated linear probe | features |
//!
//! Inputs: features `(n_samples, n_features)` as a row-major [`Matrix`] of `f64`, labels as
//! any `i64` values (remapped to `0..c` in sorted order), source probabilities
//! `(n_samples, n_source_classes)`. Every method rejects NaN/∞, mismatched lengths, empty
//! input and fewer than two classes with a typed error, and never returns NaN.
//!
//! ```
//! use zoorank_scores::{by_id, Matrix, ScoreInput};
//! // 6 samples, 2 features, two well separated classes.
//! let x = [0.0, 0.1, 0.2, 0.0, 0.1, 0.2, 5.0, 5.1, 5.2, 5.0, 5.1, 4.9];
//! let y = [7, 7, 7, 9, 9, 9];
//! let input = ScoreInput::features(Matrix::new(&x, 6, 2)?, &y);
//! let h = by_id("hscore")?.score(&input)?;
//! assert!(h > 0.9 && h <= 1.0 + 1e-12); // H-Score lies in [0, c − 1]
//! # Ok::<(), zoorank_scores::ScoreError>(())
//! ```
#![warn(missing_docs)]
// `!(x > 0.0)` is deliberate throughout: it is true for NaN as well, which is what a guard
// against degenerate numbers needs.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod error;
mod input;
pub mod io;
mod linalg;
mod methods;

/// The dense kernels under LogME and the H-Scores, for `examples/bench_scores` to time the
/// floor those scores cannot go under (docs/benchmarks/scores.md); not part of the API.
#[doc(hidden)]
pub mod floor {
    use crate::input::Matrix;
    use crate::linalg::{eigh, gram_rows, transposed_view};
    use crate::ScoreError;

    /// `FᵀF` of row-major features, as LogME computes it (H-Score's Gram of the centred
    /// features is the same product on centred copies of the row parts); returns its trace.
    pub fn gram(f: &Matrix<'_>) -> f64 {
        let g = gram_rows(transposed_view(f));
        (0..g.nrows()).map(|i| g[(i, i)]).sum()
    }

    /// `FᵀF` and its symmetric eigendecomposition, as LogME computes them at `n ≥ d`;
    /// returns the largest eigenvalue.
    ///
    /// # Errors
    /// When the eigendecomposition fails.
    pub fn gram_eigh(f: &Matrix<'_>) -> Result<f64, ScoreError> {
        let (vals, _) = eigh(&gram_rows(transposed_view(f)), "floor")?;
        Ok(vals.last().copied().unwrap_or(0.0))
    }
}

pub use error::ScoreError;
pub use input::{Matrix, Needs, RowBlocks, ScoreInput};
pub use methods::{
    gbc::Gbc,
    h_score::HScore,
    knn::Knn,
    leep::Leep,
    lfc::Lfc,
    logistic::Logistic,
    logme::{LogMe, LogMeSolver, PUBLISHED_ID as LOGME_PUBLISHED_ID},
    nce::Nce,
    nleep::NLeep,
    parc::Parc,
    reg_h_score::RegHScore,
    sfda::Sfda,
    transrate::TransRate,
};

/// A feature-based transferability score: higher = better expected transfer.
///
/// Object safe, so callers can hold a `Vec<Box<dyn TransferabilityScore>>` picked by id.
pub trait TransferabilityScore: Send + Sync {
    /// The stable id (`logme`, `reg-h-score`, …) used by the store, the CLI and JSON.
    fn id(&self) -> &'static str;
    /// Which input besides the labels the method reads.
    fn needs(&self) -> Needs;
    /// Computes the score.
    ///
    /// # Errors
    /// A [`ScoreError`] naming what is wrong with the input, or a numerical failure; never a
    /// NaN value.
    fn score(&self, input: &ScoreInput<'_>) -> Result<f64, ScoreError>;

    /// Whether [`TransferabilityScore::score_row_blocks`] computes the score (rather than
    /// answering `None`).
    fn reads_row_blocks(&self) -> bool {
        false
    }

    /// Computes the score of features read in row blocks from the caller's own layout
    /// ([`RowBlocks`]: float32, Fortran order, strided views) without a float64 copy of them,
    /// or `None` when the method has no such path and needs a [`Matrix`].
    ///
    /// # Errors
    /// As [`TransferabilityScore::score`].
    fn score_row_blocks(
        &self,
        features: &dyn RowBlocks,
        labels: &[i64],
    ) -> Option<Result<f64, ScoreError>> {
        let _ = (features, labels);
        None
    }
}

/// The ids of all methods, in the order of [`all`].
pub const IDS: [&str; 13] = [
    "logme",
    "h-score",
    "reg-h-score",
    "leep",
    "nleep",
    "nce",
    "parc",
    "gbc",
    "transrate",
    "sfda",
    "lfc",
    "knn",
    "logistic",
];

/// Ids [`by_id`] resolves besides [`IDS`]: other solvers of a method, whose values differ
/// from the default's and so carry their own id. `logme-published` is LogME by the authors'
/// 11-step fixed point ([`LogMe::published`]; also accepted as `logme-11`).
pub const VARIANT_IDS: [&str; 1] = [LOGME_PUBLISHED_ID];

/// Other spellings of [`VARIANT_IDS`], normalised as [`canonical_id`] does, with the id each
/// stands for.
const ALIASES: [(&str, &str); 1] = [("logme11", LOGME_PUBLISHED_ID)];

/// Every method with its default parameters, in the order of [`IDS`].
pub fn all() -> Vec<Box<dyn TransferabilityScore>> {
    IDS.iter()
        .map(|id| by_id(id).expect("every listed id resolves"))
        .collect()
}

/// Normalises an id: lower case, without `-`, `_` or spaces (`Reg_H-Score` → `reghscore`).
fn normalise(id: &str) -> String {
    id.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The canonical id for `id`, accepted case-insensitively with or without hyphens
/// (`hscore`, `H-Score`, `RegHScore`); one of [`IDS`] or [`VARIANT_IDS`] (`logme-11` →
/// `logme-published`).
///
/// # Errors
/// [`ScoreError::UnknownMethod`] listing the known ids.
pub fn canonical_id(id: &str) -> Result<&'static str, ScoreError> {
    let key = normalise(id);
    IDS.iter()
        .chain(VARIANT_IDS.iter())
        .copied()
        .find(|known| normalise(known) == key)
        .or_else(|| {
            ALIASES
                .iter()
                .find(|(alias, _)| *alias == key)
                .map(|&(_, id)| id)
        })
        .ok_or_else(|| ScoreError::UnknownMethod {
            id: id.to_string(),
            known: IDS
                .iter()
                .chain(VARIANT_IDS.iter())
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The method for `id` with default parameters (see [`canonical_id`] for accepted spellings).
///
/// # Errors
/// [`ScoreError::UnknownMethod`].
pub fn by_id(id: &str) -> Result<Box<dyn TransferabilityScore>, ScoreError> {
    Ok(match canonical_id(id)? {
        "logme" => Box::new(LogMe::default()),
        LOGME_PUBLISHED_ID => Box::new(LogMe::published()),
        "h-score" => Box::new(HScore),
        "reg-h-score" => Box::new(RegHScore),
        "leep" => Box::new(Leep),
        "nleep" => Box::new(NLeep::default()),
        "nce" => Box::new(Nce),
        "parc" => Box::new(Parc::default()),
        "gbc" => Box::new(Gbc::default()),
        "transrate" => Box::new(TransRate::default()),
        "sfda" => Box::new(Sfda::default()),
        "lfc" => Box::new(Lfc),
        "knn" => Box::new(Knn::default()),
        _ => Box::new(Logistic::default()),
    })
}
