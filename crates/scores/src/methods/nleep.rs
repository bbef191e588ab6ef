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
//! The k-means that initialises EM measures its distances through float32 screens with
//! float64 rechecks (see `Tiles` and `Screen`): the k-means++ passes and Lloyd's products run
//! on float32 copies, and every decision the float32 values cannot settle within their proved
//! error bound is made again in float64, so the assignments are the float64 ones.
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
use crate::linalg::{par, pca, squared_distance, Keep};
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

/// The rows of `x` as one row-major buffer, and each row's squared norm.
fn rows_and_norms(x: &Mat<f64>) -> (Vec<f64>, Vec<f64>) {
    let d = x.ncols();
    let rows: Vec<f64> = (0..x.nrows())
        .flat_map(|i| (0..d).map(move |j| x[(i, j)]))
        .collect();
    let norms = rows
        .chunks_exact(d.max(1))
        .map(|r| r.iter().map(|v| v * v).sum())
        .collect();
    (rows, norms)
}

/// Hard k-means labels: seeded k-means++ then Lloyd iterations.
fn kmeans_labels(x: &Mat<f64>, k: usize, seed: u64) -> Vec<usize> {
    let (n, d) = (x.nrows(), x.ncols());
    // The samples row-major, for the exact distances and the new centres, and their squared
    // norms.
    let (rows, norms) = rows_and_norms(x);
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
    tiles.nearer(&mut mind, &mut assign, &rows, &norms, first, 0);
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
        tiles.nearer(&mut mind, &mut assign, &rows, &norms, pick, r);
    }
    drop(tiles);
    // Lloyd iterations.
    use rayon::prelude::*;
    let mut screen = Screen::new(x, k);
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
        let nearest = screen.nearest(&rows, &norms, &centers);
        if nearest == assign {
            break;
        }
        assign = nearest;
    }
    assign
}

/// Lloyd's assignment step: every sample's nearest centre, the first on ties, by the float64
/// distance `‖xᵢ − c‖²`, found through a float32 screen.
///
/// The products centres × samples are computed in float32 (twice the arithmetic rate of
/// float64, half the memory), as `k × n` so that each sample's are contiguous. With the
/// norms in float64, `aᵣ = ‖xᵢ‖² + ‖cᵣ‖² − 2·fl₃₂(cᵣ·xᵢ)` is within `eᵣ = 2γ‖xᵢ‖‖cᵣ‖` of the
/// true distance, `γ = γ_{d+3}` covering the `d` products and sums in any order and the
/// rounding of both factors to float32. Every centre whose interval `aᵣ ± eᵣ` reaches below
/// the smallest upper end `min (aᵣ + eᵣ)` may be the nearest; those candidates (one or a few
/// on general data) are measured again in float64 and the nearest kept. So the assignment is
/// the float64 one, at the float32 product's cost.
struct Screen {
    /// The samples `(n, d)` in float32.
    x32: Mat<f32>,
    /// The products `(k, n)`.
    prod: Mat<f32>,
    /// `γ_{d+3}` for float32 with 0.1 % on top (second-order terms).
    gamma: f64,
    /// Absolute slack: float32 underflow (2⁻¹⁴⁹ per product and factor) and the float64
    /// rounding of the norms and of `aᵣ`, per unit of `‖xᵢ‖² + ‖cᵣ‖² + 1`.
    tiny: f64,
}

impl Screen {
    fn new(x: &Mat<f64>, k: usize) -> Self {
        let (n, d) = (x.nrows(), x.ncols());
        let u = f64::from(f32::EPSILON) / 2.0;
        let m = (d as f64 + 3.0) * u;
        Self {
            x32: Mat::from_fn(n, d, |i, j| x[(i, j)] as f32),
            prod: Mat::zeros(k, n),
            gamma: m / (1.0 - m) * 1.001,
            tiny: 8.0 * d as f64 * (f64::EPSILON + 2f64.powi(-149)),
        }
    }

    /// The nearest of `centers` to every sample; `rows` the samples row-major, `norms` their
    /// squared norms.
    fn nearest(&mut self, rows: &[f64], norms: &[f64], centers: &Mat<f64>) -> Vec<usize> {
        use rayon::prelude::*;
        let (k, d) = (centers.nrows(), centers.ncols());
        let c32 = Mat::from_fn(k, d, |r, j| centers[(r, j)] as f32);
        faer::linalg::matmul::matmul(
            self.prod.as_mut(),
            Accum::Replace,
            c32.as_ref(),
            self.x32.transpose(),
            1.0f32,
            par(),
        );
        // The screen below is scalar code on the threads that ran the product's kernels.
        crate::linalg::clear_upper_vector_state();
        let (crow, cn) = rows_and_norms(centers);
        let cabs: Vec<f64> = cn.iter().map(|v| v.sqrt()).collect();
        let (prod, gamma, tiny) = (&self.prod, self.gamma, self.tiny);
        (0..norms.len())
            .into_par_iter()
            .map(|i| {
                let (xn, xabs) = (norms[i], norms[i].sqrt());
                let col = prod.col_as_slice(i);
                let interval = |r: usize| {
                    let a = xn + cn[r] - 2.0 * f64::from(col[r]);
                    let e = 2.0 * gamma * xabs * cabs[r] + tiny * (xn + cn[r] + 1.0);
                    (a, e)
                };
                // A product that overflowed float32 bounds nothing: its centre stays a
                // candidate.
                let mut upper = f64::INFINITY;
                for r in 0..k {
                    let (a, e) = interval(r);
                    if a.is_finite() {
                        upper = upper.min(a + e);
                    }
                }
                let xi = &rows[i * d..(i + 1) * d];
                let mut best = (f64::INFINITY, 0);
                for r in 0..k {
                    let (a, e) = interval(r);
                    if !a.is_finite() || a - e <= upper {
                        let dd = squared_distance(xi, &crow[r * d..(r + 1) * d]);
                        if dd < best.0 {
                            best = (dd, r);
                        }
                    }
                }
                best.1
            })
            .collect()
    }
}

/// The samples in float32, in tiles of [`KMEANS_ROWS`]: tile `t` holds samples
/// `t·KMEANS_ROWS..` column after column, contiguous. One pass over a tile streams from
/// memory; over a column-major matrix the same pass reads hundreds of short pieces far apart,
/// which the hardware prefetchers do not follow, and ran at half the speed.
///
/// The k-means++ initialisation makes one pass over all samples per centre (`k = 5·c` of
/// them), each bound by memory bandwidth: in float32 the pass reads half the bytes. It is a
/// screen: the float32 distance decides only that a centre is certainly *not* nearer than a
/// sample's nearest so far; the few samples it cannot rule out are measured in float64,
/// summed in the same order as the float64 pass did, so the distances, the picks and the
/// result are the float64 ones.
struct Tiles {
    data: Vec<f32>,
    d: usize,
    /// The screen's error bound per unit of `‖xᵢ‖² + ‖c‖²`: `Σⱼ (x̃ⱼ − c̃ⱼ)²` in float32 (both
    /// factors rounded to float32, `d` differences, squares and sums in any order) is within
    /// `γ_{d+6} Σⱼ (|xⱼ| + |cⱼ|)² ≤ 2γ_{d+6} (‖x‖² + ‖c‖²)` of the exact sum; 0.1 % on top for
    /// the second-order terms.
    rel: f64,
    /// Absolute slack for float32 underflow (2⁻¹⁴⁹ per term and factor).
    abs: f64,
}

impl Tiles {
    fn new(x: &Mat<f64>) -> Self {
        let (n, d) = (x.nrows(), x.ncols());
        let mut data = Vec::with_capacity(n * d);
        for i0 in (0..n).step_by(KMEANS_ROWS) {
            let rows = KMEANS_ROWS.min(n - i0);
            for j in 0..d {
                data.extend(x.col_as_slice(j)[i0..i0 + rows].iter().map(|&v| v as f32));
            }
        }
        let m = (d as f64 + 6.0) * f64::from(f32::EPSILON) / 2.0;
        Self {
            data,
            d,
            rel: 2.0 * m / (1.0 - m) * 1.001,
            abs: 8.0 * d as f64 * 2f64.powi(-149),
        }
    }

    /// `mind[i] = min(mind[i], ‖xᵢ − c‖²)`, and `owner[i] = r` where `c` (centre `r`, sample
    /// `pick`) is nearer: the O(n·k·d) part of the k-means++ initialisation, tiles in
    /// parallel. `rows` holds the samples row-major in float64, `norms` their squared norms.
    fn nearer(
        &self,
        mind: &mut [f64],
        owner: &mut [usize],
        rows: &[f64],
        norms: &[f64],
        pick: usize,
        r: usize,
    ) {
        use rayon::prelude::*;
        let d = self.d;
        let c = &rows[pick * d..(pick + 1) * d];
        let c32: Vec<f32> = c.iter().map(|&v| v as f32).collect();
        mind.par_chunks_mut(KMEANS_ROWS)
            .zip(owner.par_chunks_mut(KMEANS_ROWS))
            .zip(self.data.par_chunks(KMEANS_ROWS * d))
            .enumerate()
            .for_each(|(t, ((m, o), tile))| {
                let i0 = t * KMEANS_ROWS;
                let mut acc = vec![0.0f32; m.len()];
                squared_distances_f32(tile, &c32, &mut acc);
                for (l, (a, (mi, oi))) in acc.iter().zip(m.iter_mut().zip(o)).enumerate() {
                    let i = i0 + l;
                    let bound = self.rel * (norms[i] + norms[pick]) + self.abs;
                    // (An overflowed float32 sum rules nothing out.)
                    if a.is_finite() && f64::from(*a) - bound > *mi {
                        continue;
                    }
                    // Summed in column order, as the float64 pass over the tiles did.
                    let exact = rows[i * d..(i + 1) * d]
                        .iter()
                        .zip(c)
                        .fold(0.0, |s, (&v, &cj)| s + (v - cj) * (v - cj));
                    if exact < *mi {
                        *mi = exact;
                        *oi = r;
                    }
                }
            });
    }
}

avx2_where_available! {
    /// `acc[l] = Σⱼ (tile[j·len + l] − c[j])²` for the `len = acc.len()` samples of a tile,
    /// in float32.
    fn squared_distances_f32(tile: &[f32], c: &[f32], acc: &mut [f32]) {
        for (col, &cj) in tile.chunks_exact(acc.len()).zip(c) {
            for (a, &v) in acc.iter_mut().zip(col) {
                *a += (v - cj) * (v - cj);
            }
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

/// A responsibility `e^{log p(x, z) − log p(x)}`, stored as 0 below the smallest normal double.
///
/// Subnormal responsibilities (some appear whenever hundreds of well-separated components
/// meet) make every multiply-add of the M-step's product that meets them take a
/// microcode assist on Intel cores: flushing them cut NLEEP's time by a quarter there. Each
/// changes by less than 2⁻¹⁰²², far below the 10ε added to every component's total, so no
/// component's mass, mean or variance moves by a representable amount unless it is dead
/// either way (docs/benchmarks/scores.md, seventh round).
fn responsibility(log_ratio: f64) -> f64 {
    let v = crate::linalg::exp_or_zero(log_ratio);
    if v < f64::MIN_POSITIVE {
        0.0
    } else {
        v
    }
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
        // The products leave the workers' vector registers dirty; the loop below is scalar.
        crate::linalg::clear_upper_vector_state();
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
                out.iter_mut().for_each(|o| *o = responsibility(*o - *l));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` rows: ten base points, then their twins (the base moved by 10⁻⁹ in column 0: the
    /// same float32 values, a float64 distance that differs in the tenth digit), then rows
    /// that are exact ties (integer grid points, repeats), a row whose float32 squares
    /// overflow, and points near the bases (1 % noise), which the twins split about evenly:
    /// a screen without its error bound gets about half of those wrong.
    fn awkward(n: usize, d: usize, seed: u64) -> Mat<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let base = Mat::from_fn(10, d, |_, _| rng.gen::<f64>() * 4.0 - 2.0);
        Mat::from_fn(n, d, |i, j| match i {
            0..=9 => base[(i, j)],
            10..=19 => base[(i - 10, j)] + if j == 0 { 1e-9 } else { 0.0 },
            20 => 1e20 * (j as f64 + 1.0),
            _ if i % 4 == 0 => f64::from(rng.gen_range(-2i32..=2)),
            _ if i % 4 == 1 => ((i / 4) % 3) as f64 + j as f64 * 0.5,
            _ => base[(i % 10, j)] + 0.01 * (rng.gen::<f64>() - 0.5),
        })
    }

    #[test]
    fn responsibilities_below_the_smallest_normal_are_zero_and_the_rest_exact() {
        // e^{-708.39} is just above 2^-1022; e^{-708.40} and e^{-745} are subnormal.
        for x in [0.0, -1.0, -50.0, -700.0, -708.39] {
            assert_eq!(responsibility(x).to_bits(), x.exp().to_bits(), "x = {x}");
            assert!(responsibility(x) >= f64::MIN_POSITIVE);
        }
        for x in [-708.40, -720.0, -745.0, -746.0, -1e9, f64::NEG_INFINITY] {
            assert!(x.exp() < f64::MIN_POSITIVE);
            assert_eq!(responsibility(x).to_bits(), 0.0f64.to_bits(), "x = {x}");
        }
    }

    #[test]
    fn the_float32_screen_finds_the_float64_nearest_centre_first_on_ties() {
        let (n, d, k) = (600, 37, 40);
        let x = awkward(n, d, 1);
        let (rows, norms) = rows_and_norms(&x);
        // Centres: the bases and their twins, copies of samples (exact ties with them and
        // with each other), and means.
        let centers = Mat::from_fn(k, d, |r, j| match r {
            0..=19 => x[(r, j)],
            20..=29 => x[((r * 7) % n, j)],
            _ => (x[(r, j)] + x[(r + 1, j)]) / 2.0,
        });
        let (crow, _) = rows_and_norms(&centers);
        let got = Screen::new(&x, k).nearest(&rows, &norms, &centers);
        for i in 0..n {
            let xi = &rows[i * d..(i + 1) * d];
            let mut best = (f64::INFINITY, 0);
            for r in 0..k {
                let dd = squared_distance(xi, &crow[r * d..(r + 1) * d]);
                if dd < best.0 {
                    best = (dd, r);
                }
            }
            assert_eq!(got[i], best.1, "sample {i}");
        }
    }

    #[test]
    fn the_float32_tiles_give_the_float64_distances_and_owners() {
        let (n, d) = (700, 29);
        let x = awkward(n, d, 2);
        let (rows, norms) = rows_and_norms(&x);
        let tiles = Tiles::new(&x);
        let (mut mind, mut owner) = (vec![f64::INFINITY; n], vec![0usize; n]);
        let (mut want_d, mut want_o) = (vec![f64::INFINITY; n], vec![0usize; n]);
        for (r, pick) in [0, 5, 6, 3, 10, 11, 250, 256, 699, 5]
            .into_iter()
            .enumerate()
        {
            tiles.nearer(&mut mind, &mut owner, &rows, &norms, pick, r);
            for i in 0..n {
                // The float64 pass: summed over the columns in order.
                let mut a = 0.0;
                for j in 0..d {
                    a += (x[(i, j)] - x[(pick, j)]) * (x[(i, j)] - x[(pick, j)]);
                }
                if a < want_d[i] {
                    want_d[i] = a;
                    want_o[i] = r;
                }
            }
            for i in 0..n {
                assert_eq!(
                    mind[i].to_bits(),
                    want_d[i].to_bits(),
                    "sample {i}, centre {r}"
                );
                assert_eq!(owner[i], want_o[i], "sample {i}, centre {r}");
            }
        }
    }
}
