//! LEEP: log expected empirical prediction of a source classifier on the target labels.
//!
//! With `θ(x) ∈ Δ^{C_s}` the source model's class probabilities on target sample `x`:
//!
//! ```text
//! P̂(y, z) = 1/n Σ_{i: yᵢ = y} θ_z(xᵢ),   P̂(y | z) = P̂(y, z) / P̂(z)
//! LEEP = 1/n Σᵢ log Σ_z P̂(yᵢ | z) θ_z(xᵢ)
//! ```
//!
//! Higher (closer to 0) is better. Source classes that never receive probability mass
//! (`P̂(z) = 0`) drop out of the sum (their `θ_z` is zero on every sample).
//!
//! Inputs: source-model probabilities `(n_samples, n_source_classes)` (rows sum to 1 within
//! 1e-3; they are used as given, not renormalised), labels.
//! Complexity: `O(n · C_s)` time, a `c × C_s` table.
//!
//! Reference: C. V. Nguyen, T. Hassner, M. Seeger, C. Archambeau, "LEEP: A New Measure to
//! Evaluate Transferability of Learned Representations", ICML 2020.

use crate::error::{finite, ScoreError};
use crate::input::{check_prob_row, probs_and_labels, Labels, Matrix, ScoreInput};
use crate::TransferabilityScore;

const ID: &str = "leep";

/// LEEP (Nguyen et al., ICML 2020). See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct Leep;

/// LEEP of probabilities `p` (validated here, row by row) against `labels`; shared with NLEEP.
pub(crate) fn leep_value(
    method: &'static str,
    p: &Matrix<'_>,
    labels: &Labels,
) -> Result<f64, ScoreError> {
    let (n, cs, c) = (p.rows(), p.cols(), labels.n_classes());
    // Joint table, class-major: joint[k * cs + z].
    let mut joint = vec![0.0; c * cs];
    // One pass: accumulate the joint table and validate each row on the way.
    for i in 0..n {
        let k = labels.idx[i];
        let row = p.row(i);
        let (mut sum, mut min) = (0.0, f64::INFINITY);
        for (a, &v) in joint[k * cs..(k + 1) * cs].iter_mut().zip(row) {
            *a += v;
            sum += v;
            min = if v < min { v } else { min };
        }
        check_prob_row(i, row, sum, min)?;
    }
    let mut pz = vec![0.0; cs];
    for k in 0..c {
        for (z, v) in pz.iter_mut().zip(&joint[k * cs..(k + 1) * cs]) {
            *z += v;
        }
    }
    // Conditional P(y | z) (the 1/n factors cancel).
    for k in 0..c {
        for (z, v) in joint[k * cs..(k + 1) * cs].iter_mut().enumerate() {
            *v = if pz[z] > 0.0 { *v / pz[z] } else { 0.0 };
        }
    }
    use rayon::prelude::*;
    let total: f64 = p
        .data()
        .par_chunks(cs)
        .zip(labels.idx.par_iter())
        .map(|(row, &k)| {
            let eep: f64 = row
                .iter()
                .zip(&joint[k * cs..(k + 1) * cs])
                .map(|(a, b)| a * b)
                .sum();
            eep.ln()
        })
        .sum();
    finite(method, total / n as f64)
}

impl TransferabilityScore for Leep {
    id_and_needs!(SourceProbs);

    fn score(&self, input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
        let (p, labels) = probs_and_labels(ID, input)?;
        leep_value(ID, &p, &labels)
    }
}
