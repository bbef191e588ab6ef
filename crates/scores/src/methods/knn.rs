//! kNN: leave-one-out k-nearest-neighbour accuracy of the features.
//!
//! Every sample is classified by the majority label of its `k` nearest other samples
//! (Euclidean distance; a tie in the vote goes to the tied class of the nearest neighbour —
//! scikit-learn's `KNeighborsClassifier` picks the smallest label instead, which makes the
//! score depend on label names; ties in distance go to the lower sample index). The score is the
//! fraction classified correctly, in `[0, 1]`; higher is better.
//!
//! Memory stays `O(b² + n·k)`: squared distances `‖a‖² + ‖b‖² − 2aᵀb` are computed one
//! `b × b` block at a time with a matrix product, never as an `n × n` matrix, and only for
//! blocks on or below the diagonal (distances are symmetric, so each product serves both
//! blocks' samples). Each block's neighbour lists are updated in parallel over disjoint
//! samples (rows of the product for one block, its contiguous columns for the other).
//!
//! Inputs: features `(n_samples, n_features)` with `n > k`, labels.
//! Complexity: `O(n²·d/2)` time (blocked GEMM), `O(b² + n·k)` memory.
//!
//! Reference: T. Cover, P. Hart, "Nearest neighbor pattern classification", IEEE Trans.
//! Information Theory, 1967; used as a transferability baseline e.g. by C. Renggli et al.,
//! "Which Model to Transfer? Finding the Needle in the Growing Haystack", CVPR 2022.

use crate::error::{finite, ScoreError};
use crate::input::{features_and_labels, Matrix, ScoreInput};
use crate::linalg::{col_major, par};
use crate::TransferabilityScore;
use faer::{Accum, Mat};
use rayon::prelude::*;

const ID: &str = "knn";
/// Block edge of the distance products: 2048 × 2048 × 8 B = 32 MiB at most. Large blocks
/// matter: at n = 10,000, d = 768 the products ran 2–3× faster than with 512-blocks.
const BLOCK: usize = 2048;
/// Samples per parallel scan task.
const SCAN_ROWS: usize = 32;

/// Offers `cand` to a list of at most `list.len()` nearest `(distance, index)` pairs, kept
/// ascending in lexicographic order; `len` is how many are filled.
#[inline]
fn offer(list: &mut [(f64, usize)], len: &mut usize, cand: (f64, usize)) {
    let less = |a: &(f64, usize), b: &(f64, usize)| a.0 < b.0 || (a.0 == b.0 && a.1 < b.1);
    let k = list.len();
    if *len == k && !less(&cand, &list[k - 1]) {
        return;
    }
    let pos = list[..*len].partition_point(|e| less(e, &cand));
    let end = (*len + 1).min(k);
    list.copy_within(pos..end - 1, pos + 1);
    list[pos] = cand;
    *len = end;
}

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
    id_and_needs!(Features);

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
        let k = self.k;
        let near = nearest(&f, k, BLOCK);
        let mut correct = 0usize;
        let mut votes = vec![0usize; c];
        for (i, near) in near.chunks_exact(k).enumerate() {
            votes.iter_mut().for_each(|v| *v = 0);
            for &(_, j) in near {
                votes[labels.idx[j]] += 1;
            }
            // Ties in the vote go to the tied class of the nearest neighbour, a rule that
            // does not depend on how the labels are named.
            let top = votes.iter().copied().max().unwrap_or(0);
            let pred = near
                .iter()
                .map(|&(_, j)| labels.idx[j])
                .find(|&l| votes[l] == top)
                .unwrap_or(0);
            if pred == labels.idx[i] {
                correct += 1;
            }
        }
        finite(ID, correct as f64 / n as f64)
    }
}

/// The `k` nearest other samples of every sample, as `(squared distance, index)` ascending in
/// that lexicographic order: sample `i`'s list is `[i * k..(i + 1) * k]`. Needs `n > k`.
fn nearest(f: &Matrix<'_>, k: usize, block: usize) -> Vec<(f64, usize)> {
    let n = f.rows();
    // Column-major copy: the blocked products run markedly faster on it than on the
    // caller's row-major buffer.
    let xc = col_major(f, None);
    let x = xc.as_ref();
    let norms: Vec<f64> = (0..n)
        .map(|i| f.row(i).iter().map(|v| v * v).sum())
        .collect();
    // Per-sample k nearest (distance, index), ascending in that lexicographic order, so the
    // result does not depend on the order in which candidates arrive: sample i's list is
    // `near[i * k..][..len[i]]`, flat so disjoint samples can be updated in parallel.
    let mut near = vec![(0.0f64, 0usize); n * k];
    let mut len = vec![0usize; n];
    let mut prod = Mat::<f64>::zeros(block.min(n), block.min(n));
    // Distances are symmetric: only blocks (I, J) with J ≤ I are multiplied, and each
    // product updates the lists of both blocks' samples (half the floating-point work).
    // The scans run in parallel over disjoint samples: block I's samples read rows of the
    // product, block J's samples its (contiguous) columns.
    for bi in (0..n).step_by(block) {
        let hi = block.min(n - bi);
        for bj in (0..=bi).step_by(block) {
            let hj = block.min(n - bj);
            faer::linalg::matmul::matmul(
                prod.as_mut().submatrix_mut(0, 0, hi, hj),
                Accum::Replace,
                x.subrows(bi, hi),
                x.subrows(bj, hj).transpose(),
                1.0,
                par(),
            );
            let prod = &prod;
            let norms = &norms;
            // Block I's samples against every sample of block J (on the diagonal block:
            // every other sample of the block).
            near[bi * k..(bi + hi) * k]
                .par_chunks_mut(SCAN_ROWS * k)
                .zip(len[bi..bi + hi].par_chunks_mut(SCAN_ROWS))
                .enumerate()
                .for_each(|(t, (lists, lens))| {
                    let r0 = t * SCAN_ROWS;
                    for s in 0..hj {
                        let j = bj + s;
                        let col = &prod.col_as_slice(s)[r0..r0 + lens.len()];
                        for (r, &dot) in col.iter().enumerate() {
                            let i = bi + r0 + r;
                            if i == j {
                                continue;
                            }
                            let dist = norms[i] + norms[j] - 2.0 * dot;
                            offer(&mut lists[r * k..(r + 1) * k], &mut lens[r], (dist, j));
                        }
                    }
                });
            if bi == bj {
                continue;
            }
            // Block J's samples against every sample of block I.
            near[bj * k..(bj + hj) * k]
                .par_chunks_mut(SCAN_ROWS * k)
                .zip(len[bj..bj + hj].par_chunks_mut(SCAN_ROWS))
                .enumerate()
                .for_each(|(t, (lists, lens))| {
                    let s0 = t * SCAN_ROWS;
                    for (q, lq) in lens.iter_mut().enumerate() {
                        let j = bj + s0 + q;
                        let col = &prod.col_as_slice(s0 + q)[..hi];
                        let list = &mut lists[q * k..(q + 1) * k];
                        for (r, &dot) in col.iter().enumerate() {
                            let i = bi + r;
                            let dist = norms[i] + norms[j] - 2.0 * dot;
                            offer(list, lq, (dist, i));
                        }
                    }
                });
        }
    }
    near
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The blocked, parallel, symmetric search against brute force, for block sizes that
    /// split the samples into many blocks (the default block is larger than the fixtures).
    #[test]
    fn blocked_search_equals_brute_force_for_any_block_size() {
        let (n, d, k) = (157, 5, 4);
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let x: Vec<f64> = (0..n * d).map(|_| uniform()).collect();
        let f = Matrix::new(&x, n, d).unwrap();
        let mut brute = Vec::new();
        for i in 0..n {
            let mut cand: Vec<(f64, usize)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| {
                    let d2 = (0..d).map(|t| (x[i * d + t] - x[j * d + t]).powi(2)).sum();
                    (d2, j)
                })
                .collect();
            cand.sort_by(|a, b| a.partial_cmp(b).unwrap());
            brute.extend(cand[..k].iter().map(|&(_, j)| j));
        }
        for block in [1, 3, 16, 50, 156, 157, 2048] {
            let got: Vec<usize> = nearest(&f, k, block).iter().map(|&(_, j)| j).collect();
            assert_eq!(got, brute, "block {block}");
        }
    }
}
