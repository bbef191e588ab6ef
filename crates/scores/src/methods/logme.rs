//! LogME: the log of the maximum evidence of a Bayesian linear model on the features.
//!
//! For every class `k`, `y_k ∈ {0,1}ⁿ` is regressed on the features `F ∈ ℝ^{n×d}` with the
//! prior `w ~ N(0, α⁻¹I)` and noise `N(0, β⁻¹)`. With the eigenvalues `σᵢ` of `FᵀF` (squared
//! singular values of `F`) and `xᵢ = uᵢᵀ y_k` its coordinates on the left singular vectors,
//! the log evidence is
//!
//! ```text
//! L(α, β) = d/2 log α + n/2 log β − n/2 log 2π − ½ Σᵢ₌₁ᵈ log(α + β σᵢ)
//!           − β/2 ‖y − F m‖² − α/2 ‖m‖²,   m = β (αI + βFᵀF)⁻¹ Fᵀy
//! ```
//!
//! maximised over `(α, β)` by the fixed-point iteration of You et al. (γ = Σ σᵢ/(σᵢ+α/β),
//! α ← γ/‖m‖², β ← (n−γ)/‖y−Fm‖², at most 11 steps, stop when α/β moves by ≤ 10⁻³
//! relatively). The score is the mean over classes of `L/n`; higher is better.
//!
//! **Exact when `n < d` and for rank-deficient features**: the sum `Σᵢ₌₁ᵈ log(α + β σᵢ)`
//! runs over all `d` eigenvalues, so the `d − r` zero ones (r = numerical rank ≤ min(n, d))
//! contribute `(d − r) log α`. The widely copied solver sums only over the `r` computed
//! singular values and is wrong in exactly that case.
//!
//! **One decomposition for all classes**: instead of an SVD of `F` and one `n × r` product
//! per class, zoorank eigendecomposes the smaller Gram matrix once (`FᵀF`, `d × d`, when
//! `n ≥ d`; `FFᵀ`, `n × n`, otherwise) and gets every class's coordinates from the class sums:
//! `uᵢᵀ y_k = vᵢᵀ (Fᵀ y_k) / √σᵢ`, where `Fᵀ y_k` is the sum of class `k`'s feature rows. The
//! per-class iterations are then `O(r)` each. Eigenvalues below `max(n,d)·ε·σ_max` are treated
//! as exact zeros (their coordinates move into the residual), which keeps collinear features
//! stable.
//!
//! Inputs: features `(n_samples, n_features)`, labels. Features are used as given (not
//! centred), as in the reference.
//!
//! Degenerate input: constant features are legal (LogME is then the evidence of a model that
//! can only fit the class proportions); all-zero features make every `σᵢ = 0`, which is also
//! legal. The result is checked to be finite.
//!
//! Complexity: `O(n·min(n,d)·max(n,d) + min(n,d)³ + c·min(n,d))` time; memory: one
//! column-major copy of the features (the Gram product is fastest on it) plus `O(min(n,d)²)`.
//!
//! Reference: K. You, Y. Liu, J. Wang, M. Long, "LogME: Practical Assessment of Pre-trained
//! Models for Transfer Learning", ICML 2021.

use crate::error::{finite, ScoreError};
use crate::input::{features_and_labels, Needs, ScoreInput};
use crate::linalg::{class_sums, col_major, eigh, gram_cols, gram_rank_tol, gram_rows, par};
use crate::TransferabilityScore;
use faer::{Accum, Mat};

const ID: &str = "logme";

/// LogME (You et al., ICML 2021). See the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct LogMe {
    /// Maximum fixed-point iterations per class (reference: 11).
    pub max_iter: usize,
    /// Relative change of α/β that stops the iteration (reference: 1e-3).
    pub tol: f64,
}

impl Default for LogMe {
    fn default() -> Self {
        Self {
            max_iter: 11,
            tol: 1e-3,
        }
    }
}

impl TransferabilityScore for LogMe {
    fn id(&self) -> &'static str {
        ID
    }

    fn needs(&self) -> Needs {
        Needs::Features
    }

    fn score(&self, input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
        if self.max_iter == 0 || !(self.tol > 0.0) {
            return Err(ScoreError::InvalidParameter {
                method: ID,
                param: "max_iter/tol",
                reason: "max_iter must be ≥ 1 and tol > 0".into(),
            });
        }
        let (f, labels) = features_and_labels(ID, input)?;
        let (n, d, c) = (f.rows(), f.cols(), labels.n_classes());
        let fm = col_major(&f, None);
        let fm = fm.as_ref();

        // sigma: nonzero eigenvalues of FᵀF; x: (r, c) coordinates uᵢᵀ y_k.
        let (sigma, x) = if n >= d {
            let (vals, v) = eigh(&gram_cols(fm), ID)?;
            let tol = gram_rank_tol(vals.last().copied().unwrap_or(0.0), n, d);
            let sums = class_sums(fm, &labels);
            let mut proj = Mat::<f64>::zeros(d, c);
            faer::linalg::matmul::matmul(
                proj.as_mut(),
                Accum::Replace,
                v.transpose(),
                sums.as_ref(),
                1.0,
                par(),
            );
            keep_nonzero(&vals, tol, |i, k| proj[(i, k)] / vals[i].sqrt(), c)
        } else {
            let (vals, u) = eigh(&gram_rows(fm), ID)?;
            let tol = gram_rank_tol(vals.last().copied().unwrap_or(0.0), n, d);
            // uᵢᵀ y_k = sum of uᵢ over the samples of class k.
            let mut proj = Mat::<f64>::zeros(n, c);
            for i in 0..n {
                let col = u.col(i);
                for s in 0..n {
                    proj[(i, labels.idx[s])] += col[s];
                }
            }
            keep_nonzero(&vals, tol, |i, k| proj[(i, k)], c)
        };

        let mut total = 0.0;
        for k in 0..c {
            let xk: Vec<f64> = x.iter().map(|row| row[k]).collect();
            total += self.class_evidence(&sigma, &xk, labels.counts[k] as f64, n, d);
        }
        finite(ID, total / c as f64)
    }
}

/// Keeps the eigenpairs above `tol`, returning their eigenvalues and, per kept eigenpair, the
/// row of `c` coordinates `coord(i, k)`.
fn keep_nonzero(
    vals: &[f64],
    tol: f64,
    coord: impl Fn(usize, usize) -> f64,
    c: usize,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut sigma = Vec::new();
    let mut x = Vec::new();
    for (i, &v) in vals.iter().enumerate() {
        if v > tol && v > 0.0 {
            sigma.push(v);
            x.push((0..c).map(|k| coord(i, k)).collect());
        }
    }
    (sigma, x)
}

impl LogMe {
    /// Evidence per sample of one class: `sigma` the `r` nonzero eigenvalues, `x` the
    /// coordinates of `y` on their singular vectors, `y_sq = ‖y‖²`.
    fn class_evidence(&self, sigma: &[f64], x: &[f64], y_sq: f64, n: usize, d: usize) -> f64 {
        let (nf, df) = (n as f64, d as f64);
        let x2: Vec<f64> = x.iter().map(|v| v * v).collect();
        // Part of ‖y‖² outside the span of the nonzero singular vectors.
        let res_x2 = (y_sq - x2.iter().sum::<f64>()).max(0.0);
        let parts = |t: f64| {
            let mut m2 = 0.0;
            let mut res2 = res_x2;
            let mut gamma = 0.0;
            for (&s, &q) in sigma.iter().zip(&x2) {
                gamma += s / (s + t);
                m2 += s * q / ((t + s) * (t + s));
                let r = 1.0 + s / t;
                res2 += q / (r * r);
            }
            (gamma, m2, res2)
        };
        let (mut alpha, mut beta) = (1.0f64, 1.0f64);
        for _ in 0..self.max_iter {
            let t = alpha / beta;
            let (gamma, m2, res2) = parts(t);
            alpha = gamma / (m2 + 1e-5);
            beta = (nf - gamma) / (res2 + 1e-5);
            if ((alpha / beta - t) / t).abs() <= self.tol {
                break;
            }
        }
        let (_, m2, res2) = parts(alpha / beta);
        let zeros = df - sigma.len() as f64;
        let logdet: f64 =
            sigma.iter().map(|s| (alpha + beta * s).ln()).sum::<f64>() + zeros * alpha.ln();
        let evidence = df / 2.0 * alpha.ln() + nf / 2.0 * beta.ln()
            - 0.5 * logdet
            - beta / 2.0 * res2
            - alpha / 2.0 * m2
            - nf / 2.0 * (2.0 * std::f64::consts::PI).ln();
        evidence / nf
    }
}
