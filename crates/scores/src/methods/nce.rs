//! NCE: negative conditional entropy of the target labels given the source model's hard
//! predictions.
//!
//! With `zᵢ = argmax_z θ_z(xᵢ)` (first maximum on ties) and the empirical joint
//! `P̂(y, z) = #{i: yᵢ = y, zᵢ = z} / n`:
//!
//! ```text
//! NCE = −H(Y | Z) = Σ_{y,z} P̂(y, z) log( P̂(y, z) / P̂(z) )
//! ```
//!
//! Higher (closer to 0) is better; 0 means the source predictions determine the label.
//!
//! Inputs: source-model probabilities `(n_samples, n_source_classes)`, labels.
//! Complexity: `O(n · C_s)`.
//!
//! Reference: A. T. Tran, C. V. Nguyen, T. Hassner, "Transferability and Hardness of
//! Supervised Classification Tasks", ICCV 2019.

use crate::error::{finite, ScoreError};
use crate::input::{check_prob_row, probs_and_labels, row_sum_min, Needs, ScoreInput};
use crate::TransferabilityScore;

const ID: &str = "nce";

/// NCE (Tran et al., ICCV 2019). See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct Nce;

impl TransferabilityScore for Nce {
    fn id(&self) -> &'static str {
        ID
    }

    fn needs(&self) -> Needs {
        Needs::SourceProbs
    }

    fn score(&self, input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
        let (p, labels) = probs_and_labels(ID, input)?;
        let (n, cs, c) = (p.rows(), p.cols(), labels.n_classes());
        // One pass per row, rows in parallel: validation statistics and the hard prediction
        // (first maximum). A bad row is reported as the first bad row in input order.
        use rayon::prelude::*;
        // Each row sits in L1 after the first (vectorised) pass, so the argmax passes are cheap.
        let scan = |row: &[f64]| {
            let (sum, min) = row_sum_min(row);
            let mut lanes = [f64::NEG_INFINITY; 4];
            for ch in row.chunks_exact(4) {
                for l in 0..4 {
                    lanes[l] = if ch[l] > lanes[l] { ch[l] } else { lanes[l] };
                }
            }
            let mut best = lanes[0].max(lanes[1]).max(lanes[2].max(lanes[3]));
            for &v in row.chunks_exact(4).remainder() {
                best = best.max(v);
            }
            // First maximum; NaN rows (no match) are rejected by the validation anyway.
            let arg = row.iter().position(|&v| v == best).unwrap_or(0);
            (sum, min, arg)
        };
        let stats: Vec<(f64, f64, usize)> = p
            .data()
            .par_chunks(cs)
            .with_min_len(256)
            .map(scan)
            .collect();
        let mut z = vec![0usize; n];
        for (i, &(sum, min, arg)) in stats.iter().enumerate() {
            check_prob_row(i, p.row(i), sum, min)?;
            z[i] = arg;
        }
        let mut joint = vec![0usize; c * cs];
        for i in 0..n {
            joint[labels.idx[i] * cs + z[i]] += 1;
        }
        let mut pz = vec![0usize; cs];
        for k in 0..c {
            for z in 0..cs {
                pz[z] += joint[k * cs + z];
            }
        }
        let nf = n as f64;
        let mut total = 0.0;
        for k in 0..c {
            for z in 0..cs {
                let j = joint[k * cs + z];
                if j > 0 {
                    total += j as f64 / nf * (j as f64 / pz[z] as f64).ln();
                }
            }
        }
        finite(ID, total)
    }
}
