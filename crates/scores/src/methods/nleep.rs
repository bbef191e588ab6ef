//! NLEEP: LEEP with a Gaussian mixture on the features in place of a source classifier.
//!
//! 1. PCA of the features, keeping the fewest components that explain more than 80 % of the
//!    variance (scikit-learn's `PCA(n_components=0.8)` rule).
//! 2. Fit a Gaussian mixture with `5·c` components and **diagonal** covariances by EM
//!    (initialised from seeded k-means++ followed by at most 20 Lloyd iterations, as
//!    scikit-learn's `init_params="kmeans"`; `reg_covar = 10⁻⁶`), until the mean
//!    log-likelihood per sample changes by less than [`NLeep::tol`] = `10⁻⁵` (at most
//!    [`NLeep::max_iter`] = 1000 iterations).
//! 3. The component posteriors `p(z | xᵢ)` play the role of the source-model probabilities:
//!    `NLEEP = LEEP(posteriors, labels)` (see [`crate::Leep`]). Higher is better.
//!
//! Diagonal rather than full covariances (the paper's choice is full): with `5·c` components
//! in the PCA space a full covariance has `O(c·k²)` parameters, which is both slow and
//! ill-conditioned for small classes; the diagonal mixture keeps the method's idea — a
//! soft clustering in feature space — at `O(n·c·k)` per EM step, computed as two matrix
//! products. Deterministic for a given `seed`.
//!
//! **A converged mixture, not scikit-learn's stopping point.** scikit-learn (and so the
//! reference implementation) stops EM at a change of `10⁻³` in the mean log-likelihood, or
//! after 100 iterations. EM crawls on overlapping clusters, and on the test fixtures the
//! score at that point is up to 7 % (relative) away from the one of the mixture run to
//! `10⁻¹⁰`; at `10⁻⁵` it is within 2.2·10⁻⁴ (`tests/nleep.rs` holds it to 5·10⁻⁴). On
//! well-separated high-dimensional data EM converges in a few iterations either way (at
//! `n = 10,000, d = 768, c = 100`: the same value to 16 digits and the same time for `10⁻³`
//! and `10⁻⁵`). The Lloyd iterations only initialise EM, so their cap of 20 does not limit
//! what EM converges to, only which local optimum it starts towards.
//!
//! Checked against references (`tests/nleep.rs`): the PCA dimension count against
//! scikit-learn/numpy on seven data sets, and the whole pipeline on data whose mixture is
//! determined (far-apart clusters, one-hot posteriors: NLEEP = LEEP of the true clusters).
//! On general data the value is not comparable with scikit-learn's, whose k-means starts from
//! numpy's RNG.
//!
//! Inputs: features `(n_samples, n_features)` with `n ≥ 5·c`, labels.
//! Complexity: `O(n·d·min(n,d) + iterations · n·c·k)`.
//!
//! Reference: Y. Li, X. Jia, R. Sang, Y. Zhu, B. Green, L. Wang, B. Gong, "Ranking Neural
//! Checkpoints", CVPR 2021.

use crate::error::ScoreError;
use crate::input::{features_and_labels, Matrix, ScoreInput};
use crate::linalg::{par, pca, Keep};
use crate::methods::leep::leep_value;
use crate::TransferabilityScore;
use faer::{Accum, Mat};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ID: &str = "nleep";

/// NLEEP (Li et al., CVPR 2021). See the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct NLeep {
    /// Fraction of variance the PCA keeps (reference: 0.8).
    pub variance: f64,
    /// Mixture components per class (reference: 5).
    pub components_per_class: usize,
    /// Seed of the k-means++ initialisation.
    pub seed: u64,
    /// Maximum EM iterations (default 1000; scikit-learn's: 100).
    pub max_iter: usize,
    /// EM stops when the mean log-likelihood per sample changes by less than this between
    /// two iterations (default 10⁻⁵; scikit-learn's `tol`: 10⁻³, see the module docs).
    pub tol: f64,
}

impl Default for NLeep {
    fn default() -> Self {
        Self {
            variance: 0.8,
            components_per_class: 5,
            seed: 0,
            max_iter: 1000,
            tol: 1e-5,
        }
    }
}

const REG_COVAR: f64 = 1e-6;
/// Samples per parallel task of the k-means++ distance updates.
const KMEANS_ROWS: usize = 256;

/// Hard k-means labels: seeded k-means++ then Lloyd iterations.
fn kmeans_labels(x: &Mat<f64>, k: usize, seed: u64) -> Vec<usize> {
    let (n, d) = (x.nrows(), x.ncols());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut centers = Mat::<f64>::zeros(k, d);
    let first = rng.gen_range(0..n);
    for j in 0..d {
        centers[(0, j)] = x[(first, j)];
    }
    // Each sample's squared distance to its nearest centre so far, and that centre (the
    // first on ties): the first Lloyd assignment, without a product.
    let mut mind = vec![f64::INFINITY; n];
    let mut assign = vec![0usize; n];
    let tiles = Tiles::new(x);
    let row_of =
        |centers: &Mat<f64>, r: usize| -> Vec<f64> { (0..d).map(|j| centers[(r, j)]).collect() };
    tiles.nearer(&mut mind, &mut assign, &row_of(&centers, 0), 0);
    for r in 1..k {
        let total: f64 = mind.iter().sum();
        let pick = if total > 0.0 {
            let mut u = rng.gen::<f64>() * total;
            let mut pick = n - 1;
            for (i, &m) in mind.iter().enumerate() {
                if u < m {
                    pick = i;
                    break;
                }
                u -= m;
            }
            pick
        } else {
            rng.gen_range(0..n)
        };
        for j in 0..d {
            centers[(r, j)] = x[(pick, j)];
        }
        tiles.nearer(&mut mind, &mut assign, &row_of(&centers, r), r);
    }
    // Lloyd iterations. The samples row-major, for the norms and the new centres; the
    // products as centres × samples, so that each sample's distances are contiguous and the
    // samples are assigned in parallel.
    use rayon::prelude::*;
    let rows: Vec<f64> = (0..n)
        .flat_map(|i| (0..d).map(move |j| x[(i, j)]))
        .collect();
    let norms: Vec<f64> = rows
        .chunks_exact(d)
        .map(|r| r.iter().map(|v| v.powi(2)).sum())
        .collect();
    let mut prod = Mat::<f64>::zeros(k, n);
    let mut next = vec![0.0; k * d];
    for round in 0..20 {
        // Each centre the mean of its samples, summed in sample order; centres in parallel.
        let mut members = vec![Vec::new(); k];
        for (i, &a) in assign.iter().enumerate() {
            members[a].push(i);
        }
        next.par_chunks_mut(d)
            .zip(&members)
            .for_each(|(c, members)| {
                c.iter_mut().for_each(|v| *v = 0.0);
                for &i in members {
                    for (v, &xv) in c.iter_mut().zip(&rows[i * d..(i + 1) * d]) {
                        *v += xv;
                    }
                }
            });
        for (r, members) in members.iter().enumerate() {
            if !members.is_empty() {
                for j in 0..d {
                    centers[(r, j)] = next[r * d + j] / members.len() as f64;
                }
            }
        }
        if round == 19 {
            break;
        }
        faer::linalg::matmul::matmul(
            prod.as_mut(),
            Accum::Replace,
            centers.as_ref(),
            x.transpose(),
            1.0,
            par(),
        );
        let cn: Vec<f64> = (0..k)
            .map(|r| (0..d).map(|j| centers[(r, j)].powi(2)).sum())
            .collect();
        let prod = &prod;
        let nearest: Vec<usize> = (0..n)
            .into_par_iter()
            .map(|i| {
                let mut best = 0;
                let mut bd = f64::INFINITY;
                for (r, &p) in prod.col_as_slice(i).iter().enumerate() {
                    let dd = norms[i] + cn[r] - 2.0 * p;
                    if dd < bd {
                        bd = dd;
                        best = r;
                    }
                }
                best
            })
            .collect();
        if nearest == assign {
            break;
        }
        assign = nearest;
    }
    assign
}

/// The samples in tiles of [`KMEANS_ROWS`]: tile `t` holds samples `t·KMEANS_ROWS..` column
/// after column, contiguous. One pass over a tile streams from memory; over the column-major
/// matrix the same pass reads hundreds of 2 KiB pieces 80 KiB apart (at `n = 10,000`), which
/// the hardware prefetchers do not follow, and ran at half the speed.
struct Tiles {
    data: Vec<f64>,
    n: usize,
    d: usize,
}

impl Tiles {
    fn new(x: &Mat<f64>) -> Self {
        let (n, d) = (x.nrows(), x.ncols());
        let mut data = Vec::with_capacity(n * d);
        for i0 in (0..n).step_by(KMEANS_ROWS) {
            let rows = KMEANS_ROWS.min(n - i0);
            for j in 0..d {
                data.extend_from_slice(&x.col_as_slice(j)[i0..i0 + rows]);
            }
        }
        Self { data, n, d }
    }

    /// `mind[i] = min(mind[i], ‖xᵢ − c‖²)`, and `owner[i] = r` where `c` (centre `r`) is
    /// nearer: the O(n·k·d) part of the k-means++ initialisation, tiles in parallel; the AVX2
    /// build of the loop where the CPU has it (the crate is compiled for baseline x86-64,
    /// SSE2): twice the values per instruction and the same arithmetic, so the same bits.
    fn nearer(&self, mind: &mut [f64], owner: &mut [usize], c: &[f64], r: usize) {
        use rayon::prelude::*;
        mind.par_chunks_mut(KMEANS_ROWS)
            .zip(owner.par_chunks_mut(KMEANS_ROWS))
            .zip(self.data.par_chunks(KMEANS_ROWS * self.d))
            .for_each(|((m, o), tile)| {
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2, checked on the line above.
                    return unsafe { nearer_tile_avx2(tile, m, o, c, r) };
                }
                nearer_tile(tile, m, o, c, r)
            });
        debug_assert_eq!(mind.len(), self.n);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn nearer_tile_avx2(tile: &[f64], m: &mut [f64], o: &mut [usize], c: &[f64], r: usize) {
    nearer_tile(tile, m, o, c, r)
}

/// [`Tiles::nearer`] for one tile of `m.len()` samples.
#[inline(always)]
fn nearer_tile(tile: &[f64], m: &mut [f64], o: &mut [usize], c: &[f64], r: usize) {
    let mut acc = vec![0.0; m.len()];
    for (col, &cj) in tile.chunks_exact(m.len()).zip(c) {
        for (a, &v) in acc.iter_mut().zip(col) {
            *a += (v - cj) * (v - cj);
        }
    }
    for ((mi, oi), a) in m.iter_mut().zip(o).zip(acc) {
        if a < *mi {
            *mi = a;
            *oi = r;
        }
    }
}

/// `(k, d)`: row `r` the sum of the samples (rows of `x`) assigned to `r`, in sample order;
/// columns in parallel.
fn component_sums(x: &Mat<f64>, assign: &[usize], k: usize) -> Mat<f64> {
    use rayon::prelude::*;
    let mut out = vec![0.0; k * x.ncols()];
    out.par_chunks_mut(k).enumerate().for_each(|(j, col)| {
        for (&a, &v) in assign.iter().zip(x.col_as_slice(j)) {
            col[a] += v;
        }
    });
    Mat::from_fn(k, x.ncols(), |r, j| out[j * k + r])
}

/// Diagonal-covariance EM; returns the posteriors `(n, k)` row-major.
fn gmm_posteriors(x: &Mat<f64>, k: usize, seed: u64, max_iter: usize, tol: f64) -> Vec<f64> {
    use rayon::prelude::*;
    let (n, d) = (x.nrows(), x.ncols());
    let nf = n as f64;
    let x2 = Mat::from_fn(n, d, |i, j| x[(i, j)] * x[(i, j)]);
    // The posteriors (the responsibilities), sample-major: row i is sample i's, so the
    // E-step writes each sample's contiguously, and as a column-major `(k, n)` matrix they
    // are the transposed responsibilities the M-step multiplies by. Initialised one-hot from
    // k-means.
    let mut post = vec![0.0; n * k];
    let assign = kmeans_labels(x, k, seed);
    for (i, &a) in assign.iter().enumerate() {
        post[i * k + a] = 1.0;
    }
    let mut lower = f64::NEG_INFINITY;
    // The E-step's products as components × samples: sample i's column is contiguous.
    let mut a = Mat::<f64>::zeros(k, n);
    let mut b = Mat::<f64>::zeros(k, n);
    let mut sx = Mat::<f64>::zeros(k, d);
    let mut sx2 = Mat::<f64>::zeros(k, d);
    let log2pi = (2.0 * std::f64::consts::PI).ln();
    let mut lse = vec![0.0; n];
    for it in 0..=max_iter {
        // M-step from the current responsibilities; their column sums in sample order.
        let resp_t = faer::MatRef::from_column_major_slice(&post, k, n);
        let mut nk = vec![0.0; k];
        for row in post.chunks_exact(k) {
            nk.iter_mut().zip(row).for_each(|(s, v)| *s += v);
        }
        nk.iter_mut().for_each(|s| *s += 10.0 * f64::EPSILON);
        if it == 0 {
            // One-hot responsibilities: the products are each component's sums of its
            // samples, O(n·d) instead of O(n·k·d).
            sx = component_sums(x, &assign, k);
            sx2 = component_sums(&x2, &assign, k);
        } else {
            faer::linalg::matmul::matmul(
                sx.as_mut(),
                Accum::Replace,
                resp_t,
                x.as_ref(),
                1.0,
                par(),
            );
            faer::linalg::matmul::matmul(
                sx2.as_mut(),
                Accum::Replace,
                resp_t,
                x2.as_ref(),
                1.0,
                par(),
            );
        }
        let means = Mat::from_fn(k, d, |r, j| sx[(r, j)] / nk[r]);
        let prec = Mat::from_fn(k, d, |r, j| {
            let var = sx2[(r, j)] / nk[r] - means[(r, j)].powi(2) + REG_COVAR;
            1.0 / var.max(REG_COVAR)
        });
        let mp = Mat::from_fn(k, d, |r, j| means[(r, j)] * prec[(r, j)]);
        let consts: Vec<f64> = (0..k)
            .map(|r| {
                let mut s = (nk[r] / nf).ln() - 0.5 * d as f64 * log2pi;
                for j in 0..d {
                    s += 0.5 * prec[(r, j)].ln() - 0.5 * means[(r, j)] * mp[(r, j)];
                }
                s
            })
            .collect();
        // E-step: log p(x, z) = const_z − ½ x²·prec_z + x·(μ_z prec_z); per sample the
        // log-sum-exp and the posteriors, samples in parallel.
        faer::linalg::matmul::matmul(
            a.as_mut(),
            Accum::Replace,
            prec.as_ref(),
            x2.transpose(),
            1.0,
            par(),
        );
        faer::linalg::matmul::matmul(
            b.as_mut(),
            Accum::Replace,
            mp.as_ref(),
            x.transpose(),
            1.0,
            par(),
        );
        let (a, b, consts) = (&a, &b, &consts);
        post.par_chunks_mut(k)
            .zip(lse.par_iter_mut())
            .enumerate()
            .for_each(|(i, (out, l))| {
                let (ac, bc) = (a.col_as_slice(i), b.col_as_slice(i));
                for (o, ((&c, &av), &bv)) in out.iter_mut().zip(consts.iter().zip(ac).zip(bc)) {
                    *o = c - 0.5 * av + bv;
                }
                *l = crate::linalg::log_sum_exp(out);
                out.iter_mut().for_each(|o| *o = (*o - *l).exp());
            });
        // Summed in sample order, so the stopping test (and the result) is the same on any
        // number of threads.
        let ll = lse.iter().sum::<f64>() / nf;
        if it > 0 && (ll - lower).abs() < tol {
            break;
        }
        lower = ll;
    }
    post
}

impl NLeep {
    fn check_params(&self) -> Result<(), ScoreError> {
        if !(self.variance > 0.0 && self.variance <= 1.0)
            || self.components_per_class == 0
            || self.max_iter == 0
            || !(self.tol > 0.0)
        {
            return Err(ScoreError::InvalidParameter {
                method: ID,
                param: "variance/components_per_class/max_iter/tol",
                reason: "variance must lie in (0, 1], tol > 0, the others be ≥ 1".into(),
            });
        }
        Ok(())
    }

    /// The number of principal components step 1 keeps for these features: the fewest whose
    /// explained variance exceeds [`NLeep::variance`] (scikit-learn's `PCA(n_components=0.8)`
    /// rule), at most the numerical rank.
    ///
    /// # Errors
    /// As [`TransferabilityScore::score`] for invalid parameters and bad features.
    pub fn pca_dims(&self, input: &ScoreInput<'_>) -> Result<usize, ScoreError> {
        self.check_params()?;
        let (f, _) = features_and_labels(ID, input)?;
        Ok(pca(&f, Keep::Variance(self.variance), ID)?.ncols())
    }
}

impl TransferabilityScore for NLeep {
    id_and_needs!(Features);

    fn score(&self, input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
        self.check_params()?;
        let (f, labels) = features_and_labels(ID, input)?;
        let n = f.rows();
        let k = self.components_per_class * labels.n_classes();
        if n < k {
            return Err(ScoreError::TooFewSamples {
                method: ID,
                needed: k,
                got: n,
            });
        }
        let reduced = pca(&f, Keep::Variance(self.variance), ID)?;
        let post = gmm_posteriors(&reduced, k, self.seed, self.max_iter, self.tol);
        let probs = Matrix::new(&post, n, k)?;
        leep_value(ID, &probs, &labels)
    }
}
