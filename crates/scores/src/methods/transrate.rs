//! TransRate: the coding-rate gain of the features from knowing the labels.
//!
//! With `Z` the globally centred features and `R(Z, ε) = ½ log det(I_d + ZᵀZ / (n_Z ε))` the
//! coding rate of a set of `n_Z` rows,
//!
//! ```text
//! TransRate = R(Z, ε) − 1/c Σ_k R(Z_k, ε)
//! ```
//!
//! where `Z_k` are the rows of class `k` (still centred by the global mean), `ε = 10⁻⁴`, and
//! the class term is averaged over classes, as in the authors' published code. Higher is
//! better.
//!
//! Speed-up that keeps the value exact: by Sylvester's identity
//! `det(I_d + a ZᵀZ) = det(I_{n_Z} + a ZZᵀ)`, so each class uses the smaller of its `d × d`
//! and `n_k × n_k` Gram matrices, and the log-determinant comes from a Cholesky factor
//! (the matrix is symmetric positive definite).
//!
//! Inputs: features `(n_samples, n_features)`, labels.
//! Complexity: `O(n·d² + d³ + Σ_k min(n_k, d)³)`.
//!
//! Reference: L.-K. Huang, J. Huang, Y. Rong, Q. Yang, Y. Wei, "Frustratingly Easy
//! Transferability Estimation", ICML 2022.

use crate::error::{finite, ScoreError};
use crate::input::{features_and_labels, ScoreInput};
use crate::linalg::{centered, gram_cols, gram_rows};
use crate::TransferabilityScore;
use faer::{Mat, MatRef, Side};

const ID: &str = "transrate";

/// TransRate (Huang et al., ICML 2022). See the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct TransRate {
    /// Distortion ε of the coding rate (reference: 1e-4).
    pub eps: f64,
}

impl Default for TransRate {
    fn default() -> Self {
        Self { eps: 1e-4 }
    }
}

/// `½ log det(I + ZᵀZ / (n ε))` for `z` of shape `(n, d)`.
fn coding_rate(z: MatRef<'_, f64>, eps: f64) -> Result<f64, ScoreError> {
    let (n, d) = (z.nrows(), z.ncols());
    let g = if n < d { gram_rows(z) } else { gram_cols(z) };
    let a = 1.0 / (n as f64 * eps);
    let m = Mat::from_fn(g.nrows(), g.ncols(), |i, j| {
        a * g[(i, j)] + if i == j { 1.0 } else { 0.0 }
    });
    let llt = m.llt(Side::Lower).map_err(|e| ScoreError::Numerical {
        method: ID,
        reason: format!("Cholesky of I + ZᵀZ/(nε) failed: {e:?}"),
    })?;
    let l = llt.L();
    Ok((0..l.nrows()).map(|i| l[(i, i)].ln()).sum())
}

impl TransferabilityScore for TransRate {
    id_and_needs!(Features);

    fn score(&self, input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
        if !(self.eps > 0.0) {
            return Err(ScoreError::InvalidParameter {
                method: ID,
                param: "eps",
                reason: format!("must be > 0, got {}", self.eps),
            });
        }
        let (f, labels) = features_and_labels(ID, input)?;
        let (d, c) = (f.cols(), labels.n_classes());
        let (z, _) = centered(&f);
        let rz = coding_rate(z.as_ref(), self.eps)?;
        // Gather each class's rows into its own matrix.
        let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); c];
        for (i, &k) in labels.idx.iter().enumerate() {
            rows_of[k].push(i);
        }
        let mut rzy = 0.0;
        for rows in &rows_of {
            let zk = Mat::from_fn(rows.len(), d, |r, j| z[(rows[r], j)]);
            rzy += coding_rate(zk.as_ref(), self.eps)?;
        }
        finite(ID, rz - rzy / c as f64)
    }
}
