//! Reg-H-Score: H-Score with a Ledoit–Wolf shrunk feature covariance.
//!
//! ```text
//! Σ_α = (1 − α) S + α μ I,   S = XᵀX / n,  μ = tr(S) / d
//! RegH = tr( Σ_α⁻¹ · (1 − α) cov(E[f | y]) )
//! ```
//!
//! with `X` the centred features, `α` the Ledoit–Wolf shrinkage exactly as scikit-learn's
//! `LedoitWolf` computes it, and `cov(E[f|y]) = Σ_k n_k m_k m_kᵀ / (n − 1)` the covariance of
//! the class-mean features (`n − 1` as `np.cov` in the authors' code). Higher is better.
//!
//! Speed-ups that keep the value exact: the Ledoit–Wolf statistic
//! `Σ_{ij} ((X∘X)ᵀ(X∘X))_{ij} = Σ_s ‖x_s‖⁴` is a sum over samples (`O(nd)` instead of a second
//! `n·d²` product); `Σ_α` is positive definite when `α > 0`, so one Cholesky factorisation and
//! a triangular solve with the `c` class means replace the pseudo-inverse and the `d × d`
//! between-class covariance. When `α = 0` and `S` is singular the pseudo-inverse is used
//! (eigen cut-off `max(n,d)·ε·λ_max`).
//!
//! Inputs: features `(n_samples, n_features)` with `n ≥ 2`, labels.
//! Degenerate input: all-constant features are [`ScoreError::ZeroVariance`]; a single
//! feature gets `α = 0` (as scikit-learn).
//! Complexity: `O(n·d² + d³/3 + c·d²)`.
//!
//! References: D. Ibrahim, B. Ghanem, A. Gautam et al., "Newer is not always better:
//! Rethinking transferability metrics, their peculiarities, stability and performance",
//! ECML-PKDD 2022 (arXiv 2110.06893); O. Ledoit, M. Wolf, "A well-conditioned estimator for
//! large-dimensional covariance matrices", J. Multivariate Analysis, 2004.

use crate::error::{finite, ScoreError};
use crate::input::{features_and_labels, ScoreInput};
use crate::linalg::{centered, class_sums_rows_shifted, eigh, gram_cols, gram_rank_tol};
use crate::TransferabilityScore;
use faer::linalg::solvers::Solve;
use faer::{Mat, Side};

const ID: &str = "reg-h-score";

/// Reg-H-Score (shrinkage H-Score, Ibrahim et al.). See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct RegHScore;

/// Ledoit–Wolf shrinkage of the centred `x` (`n × d`) with Gram `g = XᵀX`, as scikit-learn's
/// `ledoit_wolf_shrinkage`.
pub(crate) fn ledoit_wolf_shrinkage(x: &Mat<f64>, g: &Mat<f64>) -> f64 {
    let (n, d) = (x.nrows() as f64, x.ncols());
    if d == 1 {
        return 0.0;
    }
    let df = d as f64;
    let trace: f64 = (0..d).map(|j| g[(j, j)]).sum::<f64>() / n;
    let mu = trace / df;
    let mut row_sq = vec![0.0; x.nrows()];
    for j in 0..d {
        for (r, v) in row_sq.iter_mut().zip(x.col(j).iter()) {
            *r += v * v;
        }
    }
    let beta_sum: f64 = row_sq.iter().map(|r| r * r).sum();
    let mut delta_sum = 0.0;
    for j in 0..d {
        for v in g.col(j).iter() {
            delta_sum += v * v;
        }
    }
    let delta_ = delta_sum / (n * n);
    let beta = (beta_sum / n - delta_) / (df * n);
    let delta = (delta_ - 2.0 * mu * trace + df * mu * mu) / df;
    let beta = beta.min(delta);
    if beta == 0.0 {
        0.0
    } else {
        beta / delta
    }
}

impl TransferabilityScore for RegHScore {
    id_and_needs!(Features);

    fn score(&self, input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
        let (f, labels) = features_and_labels(ID, input)?;
        let (n, d, c) = (f.rows(), f.cols(), labels.n_classes());
        let (x, mean) = centered(&f);
        let g = gram_cols(x.as_ref());
        let trace: f64 = (0..d).map(|j| g[(j, j)]).sum();
        if !(trace > 0.0) {
            return Err(ScoreError::ZeroVariance { method: ID });
        }
        let alpha = ledoit_wolf_shrinkage(&x, &g);
        let nf = n as f64;
        let mu = trace / nf / d as f64;
        let shrunk = Mat::from_fn(d, d, |i, j| {
            (1.0 - alpha) * g[(i, j)] / nf + if i == j { alpha * mu } else { 0.0 }
        });
        let sums = class_sums_rows_shifted(&f, &labels, Some(&mean));
        // Σ_k n_k m_kᵀ Σ_α⁻¹ m_k = Σ_k s_kᵀ Σ_α⁻¹ s_k / n_k, s_k the class sums.
        let quad: f64 = match shrunk.llt(Side::Lower) {
            Ok(llt) if alpha > 0.0 => {
                let sol = llt.solve(sums.as_ref());
                (0..c)
                    .map(|k| {
                        let dot: f64 = sol
                            .col(k)
                            .iter()
                            .zip(sums.col(k).iter())
                            .map(|(a, b)| a * b)
                            .sum();
                        dot / labels.counts[k] as f64
                    })
                    .sum()
            }
            _ => {
                let (vals, v) = eigh(&shrunk, ID)?;
                let tol = gram_rank_tol(vals.last().copied().unwrap_or(0.0), n, d);
                let proj = v.transpose() * &sums;
                let mut q = 0.0;
                for (i, &l) in vals.iter().enumerate() {
                    if l > tol {
                        q += (0..c)
                            .map(|k| proj[(i, k)].powi(2) / labels.counts[k] as f64)
                            .sum::<f64>()
                            / l;
                    }
                }
                q
            }
        };
        finite(ID, (1.0 - alpha) * quad / (nf - 1.0))
    }
}
