//! LFC: label–feature correlation — how well the feature similarity matches the label
//! similarity.
//!
//! With the linear kernel `K = FFᵀ` and the label similarity `L_ij = +1` if `yᵢ = yⱼ`, else
//! `−1`, both centred by the mean of their entries (`K̃ = K − K̄`, `L̃ = L − L̄`):
//!
//! ```text
//! LFC = ⟨K̃, L̃⟩_F / (‖K̃‖_F ‖L̃‖_F)   ∈ [−1, 1]
//! ```
//!
//! Higher is better. This is the correlation of the paper; the widely copied script divides
//! by spectral norms (`np.linalg.norm(·, ord=2)`), which is not a correlation.
//!
//! zoorank never builds an `n × n` matrix: with `s_k` the class sums of the features and `s`
//! their total, `Σ K_ij L_ij = 2 Σ_k ‖s_k‖² − ‖s‖²`, `Σ K_ij = ‖s‖²`, `Σ K_ij² = ‖FᵀF‖_F²`,
//! `Σ L_ij = 2 Σ_k n_k² − n²`.
//!
//! Inputs: features `(n_samples, n_features)`, labels. All-zero features (`K̃ = 0`) are
//! [`ScoreError::ZeroVariance`]; features whose kernel is constant (e.g. all rows equal) too.
//! Complexity: `O(n·d·min(n,d))`.
//!
//! Reference: A. Deshpande, A. Achille, A. Ravichandran, H. Li, L. Zancato, C. Fowlkes,
//! R. Bhotika, S. Soatto, P. Perona, "A linearized framework and a new benchmark for model
//! selection for fine-tuning", arXiv 2102.00084, 2021.

use crate::error::{finite, ScoreError};
use crate::input::{features_and_labels, ScoreInput};
use crate::linalg::{class_sums_rows, col_major, gram_cols, gram_rows};

unit_score! {
    /// LFC (Deshpande et al., 2021). See the [module docs](self).
    Lfc, "lfc", Features
}

/// The score of `input` (see [`Lfc`]).
fn score(input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
    let (f, labels) = features_and_labels(ID, input)?;
    let (n, d, c) = (f.rows(), f.cols(), labels.n_classes());
    let nf = n as f64;
    let n2 = nf * nf;
    let sums = class_sums_rows(&f, &labels);
    let mut total = vec![0.0; d];
    let mut sum_class_sq = 0.0;
    for k in 0..c {
        for j in 0..d {
            let v = sums[(j, k)];
            total[j] += v;
            sum_class_sq += v * v;
        }
    }
    let s2: f64 = total.iter().map(|v| v * v).sum();
    let x = col_major(&f, None);
    let g = if n < d {
        gram_rows(x.as_ref())
    } else {
        gram_cols(x.as_ref())
    };
    let mut k_sq = 0.0;
    for j in 0..g.ncols() {
        k_sq += g.col(j).iter().map(|v| v * v).sum::<f64>();
    }
    let l_sum = 2.0 * labels.counts.iter().map(|&m| (m * m) as f64).sum::<f64>() - n2;
    let cross = 2.0 * sum_class_sq - s2;
    let k_mean = s2 / n2;
    let l_mean = l_sum / n2;
    let num = cross - n2 * k_mean * l_mean;
    let k_norm2 = k_sq - n2 * k_mean * k_mean;
    let l_norm2 = n2 - n2 * l_mean * l_mean;
    if !(k_norm2 > k_sq * 1e-12) {
        return Err(ScoreError::ZeroVariance { method: ID });
    }
    finite(ID, num / (k_norm2.sqrt() * l_norm2.sqrt()))
}
