//! kNN: leave-one-out k-nearest-neighbour accuracy of the features.
//!
//! Every sample is classified by the majority label of its `k` nearest other samples
//! (Euclidean distance; a tie in the vote goes to the tied class of the nearest neighbour —
//! scikit-learn's `KNeighborsClassifier` picks the smallest label instead, which makes the
//! score depend on label names; ties in distance go to the lower sample index). The score is the
//! fraction classified correctly, in `[0, 1]`; higher is better.
//!
//! Memory stays `O(b·n)`: squared distances `‖a‖² + ‖b‖² − 2aᵀb` are computed for a block of
//! `b` query rows at a time with one matrix product, never as an `n × n` matrix.
//!
//! Inputs: features `(n_samples, n_features)` with `n > k`, labels.
//! Complexity: `O(n²·d)` time (blocked GEMM), `O(b·n)` memory.
//!
//! Reference: T. Cover, P. Hart, "Nearest neighbor pattern classification", IEEE Trans.
//! Information Theory, 1967; used as a transferability baseline e.g. by C. Renggli et al.,
//! "Which Model to Transfer? Finding the Needle in the Growing Haystack", CVPR 2022.

use crate::error::{finite, ScoreError};
use crate::input::{features_and_labels, Needs, ScoreInput};
use crate::linalg::par;
use crate::TransferabilityScore;
use faer::{Accum, Mat};

const ID: &str = "knn";
const BLOCK: usize = 512;

/// Leave-one-out k-NN accuracy. See the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct Knn {
    /// Neighbours that vote (default 5).
    pub k: usize,
}

impl Default for Knn {
    fn default() -> Self {
        Self { k: 5 }
    }
}

impl TransferabilityScore for Knn {
    fn id(&self) -> &'static str {
        ID
    }

    fn needs(&self) -> Needs {
        Needs::Features
    }

    fn score(&self, input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
        if self.k == 0 {
            return Err(ScoreError::InvalidParameter {
                method: ID,
                param: "k",
                reason: "must be ≥ 1".into(),
            });
        }
        let (f, labels) = features_and_labels(ID, input)?;
        let (n, c) = (f.rows(), labels.n_classes());
        if n <= self.k {
            return Err(ScoreError::TooFewSamples {
                method: ID,
                needed: self.k + 1,
                got: n,
            });
        }
        let x = f.as_faer();
        let norms: Vec<f64> = (0..n)
            .map(|i| f.row(i).iter().map(|v| v * v).sum())
            .collect();
        let k = self.k;
        let mut correct = 0usize;
        let mut prod = Mat::<f64>::zeros(BLOCK.min(n), n);
        let mut best: Vec<(f64, usize)> = Vec::with_capacity(k + 1);
        let mut votes = vec![0usize; c];
        for start in (0..n).step_by(BLOCK) {
            let b = BLOCK.min(n - start);
            let mut p = prod.as_mut().subrows_mut(0, b);
            faer::linalg::matmul::matmul(
                p.as_mut(),
                Accum::Replace,
                x.subrows(start, b),
                x.transpose(),
                1.0,
                par(),
            );
            for r in 0..b {
                let i = start + r;
                best.clear();
                for j in 0..n {
                    if j == i {
                        continue;
                    }
                    let dist = norms[i] + norms[j] - 2.0 * p[(r, j)];
                    if best.len() < k || dist < best[best.len() - 1].0 {
                        // Insert keeping (distance, index) order; equal distances keep the
                        // lower index first because j increases.
                        let pos = best.partition_point(|&(bd, _)| bd <= dist);
                        best.insert(pos, (dist, j));
                        best.truncate(k);
                    }
                }
                votes.iter_mut().for_each(|v| *v = 0);
                for &(_, j) in &best {
                    votes[labels.idx[j]] += 1;
                }
                // Ties in the vote go to the tied class of the nearest neighbour, a rule
                // that does not depend on how the labels are named.
                let top = votes.iter().copied().max().unwrap_or(0);
                let pred = best
                    .iter()
                    .map(|&(_, j)| labels.idx[j])
                    .find(|&l| votes[l] == top)
                    .unwrap_or(0);
                if pred == labels.idx[i] {
                    correct += 1;
                }
            }
        }
        finite(ID, correct as f64 / n as f64)
    }
}
