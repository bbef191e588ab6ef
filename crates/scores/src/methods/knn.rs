//! kNN: leave-one-out k-nearest-neighbour accuracy of the features.
//!
//! Every sample is classified by the majority label of its `k` nearest other samples
//! (Euclidean distance; a tie in the vote goes to the tied class of the nearest neighbour —
//! scikit-learn's `KNeighborsClassifier` picks the smallest label instead, which makes the
//! score depend on label names; ties in distance go to the lower sample index). The score is the
//! fraction classified correctly, in `[0, 1]`; higher is better.
//!
//! **Search.** Squared distances `‖a‖² + ‖b‖² − 2aᵀb` are computed one `b × b` block at a
//! time with a matrix product, never as an `n × n` matrix, and only for blocks on or below
//! the diagonal (distances are symmetric, so each product serves both blocks' samples). The
//! products run in **single precision** on the centred features scaled to unit largest norm,
//! which doubles the arithmetic rate, and keep `k + SPARE` candidates per sample. They only
//! screen: with `u = 2⁻²⁴`, every computed distance is within `Mᵢ = 2γ‖yᵢ‖·max‖y‖` of the
//! exact one (`γ = (d+3)u/(1−(d+3)u)`, the bound for rounding the inputs and summing `d`
//! products in any order, plus terms for underflow), so every true neighbour of sample `i`
//! has a screened distance at most `Aₖ + 2Mᵢ`, `Aₖ` the `k`-th smallest screened one. The
//! candidates within that bound get their distance again in double precision (`Σ (aₜ − bₜ)²`
//! on the caller's values) and the `k` nearest are taken from them. A sample whose `k +
//! SPARE` candidates do not reach past the bound (near-duplicates, features whose spread is
//! tiny beside their norm) is searched again entirely in double precision. The result is the
//! double-precision search's, at about half its cost.
//!
//! Memory stays `O(b² + n·k)`. Each block's candidate lists are updated in parallel over
//! disjoint samples (rows of the product for one block, its contiguous columns for the other).
//!
//! Inputs: features `(n_samples, n_features)` with `n > k`, labels.
//! Complexity: `O(n²·d/2)` time (blocked single-precision GEMM, plus `O(n·d)` per sample
//! searched again), `O(b² + n·k)` memory.
//!
//! Reference: T. Cover, P. Hart, "Nearest neighbor pattern classification", IEEE Trans.
//! Information Theory, 1967; used as a transferability baseline e.g. by C. Renggli et al.,
//! "Which Model to Transfer? Finding the Needle in the Growing Haystack", CVPR 2022.

use crate::error::{finite, ScoreError};
use crate::input::{features_and_labels, Matrix, ScoreInput};
use crate::linalg::{col_major, col_major_as, column_means, par, squared_distance};
use crate::TransferabilityScore;
use faer::{Accum, Mat, MatRef};
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

/// Candidates kept per sample beyond `k` by the single-precision screen: enough that the
/// double-precision search again is rare on real features (see the module docs).
const SPARE: usize = 8;

/// The `k` nearest other samples of every sample, as `(squared distance, index)` ascending in
/// that lexicographic order: sample `i`'s list is `[i * k..(i + 1) * k]`. Needs `n > k`.
fn nearest(f: &Matrix<'_>, k: usize, block: usize) -> Vec<(f64, usize)> {
    let n = f.rows();
    let mean = column_means(f);
    let centred_norm = |i: usize| -> f64 {
        f.row(i)
            .iter()
            .zip(&mean)
            .map(|(v, m)| (v - m) * (v - m))
            .sum()
    };
    let norms: Vec<f64> = (0..n).into_par_iter().map(centred_norm).collect();
    let max_norm = norms.iter().fold(0.0f64, |a, &b| a.max(b)).sqrt();
    let mut near = vec![(0.0f64, 0usize); n * k];
    let again: Vec<usize> = if max_norm > 0.0 && max_norm.is_finite() {
        let scale = 1.0 / max_norm;
        let y = col_major_as(f, Some(&mean), |v| (v * scale) as f32);
        let scaled: Vec<f64> = norms.iter().map(|v| v * scale * scale).collect();
        let kk = (k + SPARE).min(n - 1);
        let screened = screen_all(y.as_ref(), &scaled, kk, block);
        refine(f, &screened, &scaled, k, &mut near)
    } else {
        // Every sample equal to the mean: nothing to screen.
        (0..n).collect()
    };
    if !again.is_empty() {
        let x = col_major(f, Some(&mean));
        let lists = screen_rows(x.as_ref(), &norms, &again, k, block);
        for (r, &i) in again.iter().enumerate() {
            near[i * k..(i + 1) * k].copy_from_slice(&lists[r * k..(r + 1) * k]);
        }
    }
    near
}

/// Per-sample candidate lists of at most `kk` `(distance, index)` pairs, ascending in that
/// lexicographic order, flat so that disjoint samples can be updated in parallel: list `i`
/// is `near[i * kk..][..len[i]]`.
struct Lists {
    near: Vec<(f64, usize)>,
    len: Vec<usize>,
    kk: usize,
}

impl Lists {
    fn new(samples: usize, kk: usize) -> Self {
        Self {
            near: vec![(0.0, 0); samples * kk],
            len: vec![0; samples],
            kk,
        }
    }

    fn get(&self, i: usize) -> &[(f64, usize)] {
        &self.near[i * self.kk..][..self.len[i]]
    }
}

/// Offers row `r` of `prod` (columns: samples `j0..`) to the lists of `rows` consecutive
/// samples whose lists start at `lists`/`lens`, in parallel over samples; `sample(r)` is the
/// sample of product row `r` (skipped against itself).
#[allow(clippy::too_many_arguments)]
fn scan_rows<T: Copy + Into<f64> + Sync>(
    prod: MatRef<'_, T>,
    lists: &mut [(f64, usize)],
    lens: &mut [usize],
    kk: usize,
    norms: &[f64],
    j0: usize,
    sample: &(dyn Fn(usize) -> usize + Sync),
) {
    lists
        .par_chunks_mut(SCAN_ROWS * kk)
        .zip(lens.par_chunks_mut(SCAN_ROWS))
        .enumerate()
        .for_each(|(t, (lists, lens))| {
            let r0 = t * SCAN_ROWS;
            let ids: Vec<usize> = (0..lens.len()).map(|r| sample(r0 + r)).collect();
            let base: Vec<f64> = ids.iter().map(|&i| norms[i]).collect();
            let mut worst: Vec<f64> = (0..lens.len())
                .map(|r| worst_kept(&lists[r * kk..(r + 1) * kk], lens[r]))
                .collect();
            for s in 0..prod.ncols() {
                let j = j0 + s;
                let nj = norms[j];
                let col = prod
                    .col(s)
                    .try_as_col_major()
                    .expect("column-major product");
                let col = &col.as_slice()[r0..r0 + lens.len()];
                for (r, &dot) in col.iter().enumerate() {
                    let dist = base[r] + nj - 2.0 * dot.into();
                    if dist <= worst[r] && ids[r] != j {
                        let list = &mut lists[r * kk..(r + 1) * kk];
                        offer(list, &mut lens[r], (dist, j));
                        worst[r] = worst_kept(list, lens[r]);
                    }
                }
            }
        });
}

/// The largest distance a full list keeps (a candidate farther than it is not taken), or
/// +∞ while the list is not full.
#[inline]
fn worst_kept(list: &[(f64, usize)], len: usize) -> f64 {
    if len == list.len() {
        list[len - 1].0
    } else {
        f64::INFINITY
    }
}

/// The `kk` nearest other samples of every sample by `‖xᵢ‖² + ‖xⱼ‖² − 2·xᵢᵀxⱼ` (`norms` the
/// squared norms of `x`'s rows), the products computed in `T` and only for blocks on or
/// below the diagonal; each product updates the lists of both blocks' samples (half the
/// floating-point work). The scans run in parallel over disjoint samples: block I's samples
/// read rows of the product, block J's samples its (contiguous) columns.
fn screen_all<T>(x: MatRef<'_, T>, norms: &[f64], kk: usize, block: usize) -> Lists
where
    T: faer::traits::ComplexField + Copy + Into<f64> + Send + Sync,
{
    let n = x.nrows();
    let mut out = Lists::new(n, kk);
    let mut prod = Mat::<T>::zeros(block.min(n), block.min(n));
    for bi in (0..n).step_by(block) {
        let hi = block.min(n - bi);
        for bj in (0..=bi).step_by(block) {
            let hj = block.min(n - bj);
            faer::linalg::matmul::matmul(
                prod.as_mut().submatrix_mut(0, 0, hi, hj),
                Accum::Replace,
                x.subrows(bi, hi),
                x.subrows(bj, hj).transpose(),
                T::one_impl(),
                par(),
            );
            crate::linalg::clear_upper_vector_state();
            let p = prod.as_ref().submatrix(0, 0, hi, hj);
            // Block I's samples against every sample of block J (on the diagonal block:
            // every other sample of the block).
            scan_rows(
                p,
                &mut out.near[bi * kk..(bi + hi) * kk],
                &mut out.len[bi..bi + hi],
                kk,
                norms,
                bj,
                &|r| bi + r,
            );
            if bi == bj {
                continue;
            }
            // Block J's samples against every sample of block I.
            out.near[bj * kk..(bj + hj) * kk]
                .par_chunks_mut(SCAN_ROWS * kk)
                .zip(out.len[bj..bj + hj].par_chunks_mut(SCAN_ROWS))
                .enumerate()
                .for_each(|(t, (lists, lens))| {
                    let s0 = t * SCAN_ROWS;
                    for (q, lq) in lens.iter_mut().enumerate() {
                        let j = bj + s0 + q;
                        let col = p.col(s0 + q).try_as_col_major().expect("column-major");
                        let list = &mut lists[q * kk..(q + 1) * kk];
                        let mut worst = worst_kept(list, *lq);
                        let rows = &norms[bi..bi + hi];
                        for (r, (&dot, &ni)) in col.as_slice().iter().zip(rows).enumerate() {
                            let dist = ni + norms[j] - 2.0 * dot.into();
                            if dist <= worst {
                                offer(list, lq, (dist, bi + r));
                                worst = worst_kept(list, *lq);
                            }
                        }
                    }
                });
        }
    }
    out
}

/// The `k` nearest other samples of each sample in `rows`, by the products of those rows with
/// every sample in double precision: row `r`'s list is `[r * k..(r + 1) * k]`.
fn screen_rows(
    x: MatRef<'_, f64>,
    norms: &[f64],
    rows: &[usize],
    k: usize,
    block: usize,
) -> Vec<(f64, usize)> {
    let (n, d) = (x.nrows(), x.ncols());
    let mut out = Lists::new(rows.len(), k);
    let mut prod = Mat::<f64>::zeros(block.min(rows.len()), block.min(n));
    for (c, chunk) in rows.chunks(block).enumerate() {
        let q = Mat::<f64>::from_fn(chunk.len(), d, |r, t| x[(chunk[r], t)]);
        let r0 = c * block;
        for bj in (0..n).step_by(block) {
            let hj = block.min(n - bj);
            faer::linalg::matmul::matmul(
                prod.as_mut().submatrix_mut(0, 0, chunk.len(), hj),
                Accum::Replace,
                q.as_ref(),
                x.subrows(bj, hj).transpose(),
                1.0,
                par(),
            );
            crate::linalg::clear_upper_vector_state();
            scan_rows(
                prod.as_ref().submatrix(0, 0, chunk.len(), hj),
                &mut out.near[r0 * k..(r0 + chunk.len()) * k],
                &mut out.len[r0..r0 + chunk.len()],
                k,
                norms,
                bj,
                &|r| chunk[r],
            );
        }
    }
    out.near
}

/// Takes each sample's `k` nearest from its screened candidates (`screened`, computed on the
/// features centred and scaled so that the largest `scaled` squared norm is 1), by distances
/// recomputed in double precision on `f`, into `near`. Returns the samples whose candidates
/// may miss a neighbour, to be searched again (module docs).
fn refine(
    f: &Matrix<'_>,
    screened: &Lists,
    scaled: &[f64],
    k: usize,
    near: &mut [(f64, usize)],
) -> Vec<usize> {
    let d = f.cols() as f64;
    let u = f64::from(f32::EPSILON) / 2.0;
    // γ for d products plus the rounding of both factors to f32, with 0.1 % on top for the
    // second-order terms; the absolute terms cover f32 underflow (2⁻¹⁴⁹ per product and
    // factor) and the f64 rounding of the norms and of the screened distances.
    let m = (d + 3.0) * u;
    let gamma = m / (1.0 - m) * 1.001;
    let tiny = 8.0 * d * (f64::EPSILON + 2f64.powi(-149));
    let again: Vec<Option<usize>> = near
        .par_chunks_mut(k)
        .enumerate()
        .map(|(i, out)| {
            let list = screened.get(i);
            let bound = 2.0 * gamma * scaled[i].sqrt() + tiny * (scaled[i] + 1.0);
            let reach = list[k - 1].0 + 2.0 * bound;
            if list.len() == screened.kk
                && list.len() < f.rows() - 1
                && list[list.len() - 1].0 <= reach
            {
                return Some(i);
            }
            let a = f.row(i);
            let mut cand: Vec<(f64, usize)> = list
                .iter()
                .take_while(|&&(dist, _)| dist <= reach)
                .map(|&(_, j)| (squared_distance(a, f.row(j)), j))
                .collect();
            cand.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1)));
            out.copy_from_slice(&cand[..k]);
            None
        })
        .collect();
    again.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uniform values in `[0, 1)` from a fixed xorshift stream.
    fn uniform(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Every sample's `k` nearest others by `Σ (aₜ − bₜ)²`, ties to the lower index.
    fn brute_force(x: &[f64], d: usize, k: usize) -> Vec<(f64, usize)> {
        let n = x.len() / d;
        let mut out = Vec::new();
        for i in 0..n {
            let mut cand: Vec<(f64, usize)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| {
                    let d2 = (0..d).map(|t| (x[i * d + t] - x[j * d + t]).powi(2)).sum();
                    (d2, j)
                })
                .collect();
            cand.sort_by(|a, b| a.partial_cmp(b).unwrap());
            out.extend_from_slice(&cand[..k]);
        }
        out
    }

    /// The single-precision screen and its refinement as `nearest` runs them: the lists and
    /// the samples left to search again.
    fn screened(f: &Matrix<'_>, k: usize, block: usize) -> (Vec<(f64, usize)>, Vec<usize>) {
        let n = f.rows();
        let mean = column_means(f);
        let norms: Vec<f64> = (0..n)
            .map(|i| {
                f.row(i)
                    .iter()
                    .zip(&mean)
                    .map(|(v, m)| (v - m).powi(2))
                    .sum()
            })
            .collect();
        let top = norms.iter().cloned().fold(0.0, f64::max);
        let scaled: Vec<f64> = norms.iter().map(|v| v / top).collect();
        let y = col_major_as(f, Some(&mean), |v| (v / top.sqrt()) as f32);
        let lists = screen_all(y.as_ref(), &scaled, (k + SPARE).min(n - 1), block);
        let mut near = vec![(0.0, 0); n * k];
        let again = refine(f, &lists, &scaled, k, &mut near);
        (near, again)
    }

    fn neighbours(list: &[(f64, usize)]) -> Vec<usize> {
        list.iter().map(|&(_, j)| j).collect()
    }

    /// The blocked, parallel, symmetric search against brute force, for block sizes that
    /// split the samples into many blocks (the default block is larger than the fixtures).
    #[test]
    fn blocked_search_equals_brute_force_for_any_block_size() {
        let (n, d, k) = (157, 5, 4);
        let x: Vec<f64> = (0..n * d)
            .map({
                let mut u = uniform(0x2545_f491_4f6c_dd1d);
                move |_| u()
            })
            .collect();
        let f = Matrix::new(&x, n, d).unwrap();
        let brute = neighbours(&brute_force(&x, d, k));
        for block in [1, 3, 16, 50, 156, 157, 2048] {
            assert_eq!(neighbours(&nearest(&f, k, block)), brute, "block {block}");
        }
    }

    /// On features without near-ties the single-precision screen settles every sample: none
    /// is searched again, and the bound that decides it is not so loose that it never holds.
    #[test]
    fn the_screen_settles_generic_features_and_matches_brute_force() {
        let (n, d, k) = (300, 64, 5);
        let mut u = uniform(0x9e37_79b9_7f4a_7c15);
        // A large common offset and uneven column scales: the screen centres and scales.
        let x: Vec<f64> = (0..n * d)
            .map(|t| 1e4 + (1.0 + (t % d) as f64) * (u() - 0.5))
            .collect();
        let f = Matrix::new(&x, n, d).unwrap();
        let (near, again) = screened(&f, k, 64);
        assert!(again.is_empty());
        let brute = brute_force(&x, d, k);
        assert_eq!(neighbours(&near), neighbours(&brute));
        for (a, b) in near.iter().zip(&brute) {
            assert!((a.0 - b.0).abs() <= 1e-9 * b.0, "{a:?} vs {b:?}");
        }
        assert_eq!(neighbours(&nearest(&f, k, 64)), neighbours(&brute));
    }

    /// Exact duplicates and many equal distances (integer grid points): the screen cannot
    /// separate the candidates, so samples are searched again in double precision, and every
    /// sample still gets neighbours at the true `k` smallest distances.
    #[test]
    fn duplicates_and_ties_fall_back_and_stay_exact() {
        let (n, d, k) = (240, 3, 5);
        let mut u = uniform(7);
        let x: Vec<f64> = (0..n * d).map(|_| (u() * 4.0).floor()).collect();
        let f = Matrix::new(&x, n, d).unwrap();
        let brute = brute_force(&x, d, k);
        assert!(!screened(&f, k, 64).1.is_empty());
        for block in [7, 64, 2048] {
            let got = nearest(&f, k, block);
            for i in 0..n {
                let exact: Vec<f64> = got[i * k..(i + 1) * k]
                    .iter()
                    .map(|&(_, j)| {
                        assert_ne!(i, j);
                        (0..d).map(|t| (x[i * d + t] - x[j * d + t]).powi(2)).sum()
                    })
                    .collect();
                let want: Vec<f64> = brute[i * k..(i + 1) * k].iter().map(|p| p.0).collect();
                assert_eq!(exact, want, "sample {i}, block {block}");
            }
        }
        // Every sample equal: the neighbours are the lowest other indices.
        let same = vec![0.25; 20 * 4];
        let f = Matrix::new(&same, 20, 4).unwrap();
        let got = nearest(&f, 3, 8);
        assert_eq!(neighbours(&got[..3]), vec![1, 2, 3]);
        assert_eq!(neighbours(&got[3..6]), vec![0, 2, 3]);
    }
}
