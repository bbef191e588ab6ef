//! H-Score: how much of the feature covariance is explained by the class means.
//!
//! ```text
//! H(f) = tr( cov(f)⁺ · cov(E[f | y]) )
//! ```
//!
//! where `cov(f)` is the `d × d` feature covariance, `E[f | y]` replaces every sample by the
//! mean feature of its class, and `⁺` is the Moore–Penrose pseudo-inverse. Higher is better;
//! the value lies in `[0, c − 1]`.
//!
//! zoorank never forms the between-class covariance: with `X` the centred features,
//! `m_k` the centred class means and `n_k` the class sizes,
//! `H = Σ_k n_k m_kᵀ (XᵀX)⁺ m_k` (the `1/(n−1)` factors cancel). With `XᵀX = V Λ Vᵀ` this is
//! `Σᵢ λᵢ⁻¹ Σ_k n_k (vᵢᵀ m_k)²` over the eigenvalues above the cut-off. When `n < d` the
//! `n × n` matrix `XXᵀ = U Λ Uᵀ` is decomposed instead and `H = Σᵢ Σ_k (uᵢᵀ y_k)² / n_k`.
//!
//! Pseudo-inverse cut-off: eigenvalues below `max(n, d) · ε · λ_max` count as zero (numpy's
//! `matrix_rank` convention), so collinear and constant features are legal and simply do not
//! contribute. All-constant features are [`ScoreError::ZeroVariance`].
//!
//! **Without eigenvectors when the pseudo-inverse is the inverse** (`n ≥ d`): the eigenvalues
//! alone (a third of the cost of the full decomposition) show whether every one of them lies
//! above the cut-off with a wide margin (`λ_min > 10⁴ ·` cut-off, a condition number below
//! about `10⁸`). Then `(XᵀX)⁺ = (XᵀX)⁻¹ = (LLᵀ)⁻¹` and `H = Σ_k ‖L⁻¹ s_k‖² / n_k` (`s_k` the
//! centred class sums) from one Cholesky factorisation and one triangular solve with `c`
//! right-hand sides. Otherwise, and if the factorisation fails, the eigenvector route above.
//!
//! Inputs: features `(n_samples, n_features)`, labels.
//! Complexity: `O(n·d·min(n,d) + min(n,d)³)`.
//!
//! Reference: Y. Bao, Y. Li, S.-L. Huang, L. Zhang, L. Zheng, A. Zamir, L. Guibas,
//! "An Information-Theoretic Approach to Transferability in Task Transfer Learning", ICIP 2019.

use crate::error::{finite, ScoreError};
use crate::input::Labels;
use crate::input::{features_and_labels, ScoreInput};
use crate::linalg::{
    centered, class_sums_rows_shifted, eigh, gram_cols, gram_rank_tol, gram_rows, product,
};
use crate::TransferabilityScore;
use faer::{Mat, Par, Side};

const ID: &str = "h-score";
/// How far above the pseudo-inverse cut-off the smallest eigenvalue must lie for the
/// Cholesky route (see the module docs).
const CHOLESKY_MARGIN: f64 = 1e4;

/// H-Score (Bao et al., ICIP 2019). See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct HScore;

impl TransferabilityScore for HScore {
    id_and_needs!(Features);

    fn score(&self, input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
        let (f, labels) = features_and_labels(ID, input)?;
        let (n, d, c) = (f.rows(), f.cols(), labels.n_classes());
        let (x, mean) = centered(&f);
        let mut h = 0.0;
        if n >= d {
            let g = gram_cols(x.as_ref());
            let sums = class_sums_rows_shifted(&f, &labels, Some(&mean));
            if let Some(h) = by_cholesky(&g, &sums, &labels, n, d)? {
                return finite(ID, h);
            }
            let (vals, v) = eigh(&g, ID)?;
            let lmax = vals.last().copied().unwrap_or(0.0);
            if lmax <= 0.0 {
                return Err(ScoreError::ZeroVariance { method: ID });
            }
            let tol = gram_rank_tol(lmax, n, d);
            let proj = product(v.transpose(), sums.as_ref());
            for (i, &l) in vals.iter().enumerate() {
                if l > tol {
                    // n_k (vᵢᵀ m_k)² = (vᵢᵀ s_k)² / n_k with s_k the class sum.
                    let s: f64 = (0..c)
                        .map(|k| proj[(i, k)].powi(2) / labels.counts[k] as f64)
                        .sum();
                    h += s / l;
                }
            }
        } else {
            let (vals, u) = eigh(&gram_rows(x.as_ref()), ID)?;
            let lmax = vals.last().copied().unwrap_or(0.0);
            if lmax <= 0.0 {
                return Err(ScoreError::ZeroVariance { method: ID });
            }
            let tol = gram_rank_tol(lmax, n, d);
            let mut sums = vec![0.0; c];
            for (i, &l) in vals.iter().enumerate() {
                if l > tol {
                    sums.iter_mut().for_each(|s| *s = 0.0);
                    let col = u.col(i);
                    for s in 0..n {
                        sums[labels.idx[s]] += col[s];
                    }
                    h += (0..c)
                        .map(|k| sums[k] * sums[k] / labels.counts[k] as f64)
                        .sum::<f64>();
                }
            }
        }
        finite(ID, h)
    }
}

/// `Σ_k ‖L⁻¹ s_k‖² / n_k` with `g = LLᵀ`, when every eigenvalue of `g` lies at least
/// [`CHOLESKY_MARGIN`] times above the pseudo-inverse cut-off; `None` when not (or when the
/// factorisation fails), for the eigenvector route.
fn by_cholesky(
    g: &Mat<f64>,
    sums: &Mat<f64>,
    labels: &Labels,
    n: usize,
    d: usize,
) -> Result<Option<f64>, ScoreError> {
    let vals = g
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|e| ScoreError::Numerical {
            method: ID,
            reason: format!("symmetric eigenvalues failed: {e:?}"),
        })?;
    let (Some(&lmin), Some(&lmax)) = (vals.first(), vals.last()) else {
        return Ok(None);
    };
    if lmax <= 0.0 {
        return Err(ScoreError::ZeroVariance { method: ID });
    }
    if !(lmin > CHOLESKY_MARGIN * gram_rank_tol(lmax, n, d)) {
        return Ok(None);
    }
    let Ok(llt) = g.llt(Side::Lower) else {
        return Ok(None);
    };
    let mut z = sums.clone();
    faer::linalg::triangular_solve::solve_lower_triangular_in_place(llt.L(), z.as_mut(), Par::Seq);
    let h = (0..labels.n_classes())
        .map(|k| z.col(k).iter().map(|v| v * v).sum::<f64>() / labels.counts[k] as f64)
        .sum();
    Ok(Some(h))
}
