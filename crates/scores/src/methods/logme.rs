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
//! maximised over `(α, β)`. The score is the mean over classes of `L/n`; higher is better.
//!
//! **The maximum, not a fixed number of steps** ([`LogMeSolver::Maximise`], the default).
//! With `t = α/β`, the best `β` has a closed form, `β = n / E(t)`, which leaves a function of
//! one variable (the profile evidence):
//!
//! ```text
//! L(t) = −½ Σᵢ₌₁ʳ log(1 + σᵢ/t) − n/2 log(E(t)/n) − n/2 − n/2 log 2π,
//! E(t) = ‖y‖² − Σᵢ xᵢ² + Σᵢ xᵢ² t/(t + σᵢ)
//! ```
//!
//! Its stationary points are bracketed by the sign of `dL/d log t = ½ (γ(t) − n t E′(t)/E(t))`
//! on a grid of `log t` (step ½, from `e⁻¹⁰` times the smallest to `e¹⁰` times the largest
//! nonzero eigenvalue, beyond which the sign no longer changes) and refined by bisection to
//! `|Δ log t| ≤ 10⁻¹²`. The limits at the ends are candidates too: `t → ∞` (`α → ∞`, `w = 0`:
//! `L = −n/2 log(2π‖y‖²/n) − n/2`) and, when the features span all of `ℝⁿ` (`r = n`, only
//! possible for `n ≤ d`), `t → 0`. The largest candidate is returned, so where the evidence has
//! no interior maximum its supremum (the limit) is the score.
//!
//! **The published fixed point** ([`LogMeSolver::FixedPoint`], [`LogMe::published`], method id
//! `logme-published`, also spelled `logme-11`): You et
//! al.'s iteration γ = Σ σᵢ/(σᵢ+α/β), α ← γ/(‖m‖² + 10⁻⁵), β ← (n−γ)/(‖y−Fm‖² + 10⁻⁵) from
//! `α = β = 1`, at most 11 steps, stopping when α/β moves by ≤ 10⁻³ relatively. Kept for
//! parity with published tables. It has not converged after 11 steps when `n < d` (on the
//! `n = 40, d = 100` case of the tests: −0.33363 against a maximum of −0.33317), and its 10⁻⁵
//! guards move even its converged point off the maximum.
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
//! Complexity: `O(n·min(n,d)·max(n,d) + min(n,d)³ + c·g·min(n,d))` time, `g` ≈ 100 the
//! grid and bisection steps of the default solver (11 for the fixed point); memory:
//! `O(min(n,d)²)` (the row-major features are read in place as the column-major `Fᵀ`).
//!
//! Reference: K. You, Y. Liu, J. Wang, M. Long, "LogME: Practical Assessment of Pre-trained
//! Models for Transfer Learning", ICML 2021.

use crate::error::{finite, ScoreError};
use crate::input::{
    check_shape, encode_labels, features_and_labels, Labels, RowBlocks, ScoreInput,
};
use crate::linalg::{
    class_sums_row_blocks, class_sums_rows, eigh, gram_cols, gram_rank_tol, gram_row_blocks,
    gram_rows, product, transposed_view,
};
use crate::TransferabilityScore;
use faer::Mat;
use rayon::prelude::*;

const ID: &str = "logme";
/// The id of LogME by the fixed-point iteration ([`LogMeSolver::FixedPoint`]): its values
/// differ from the maximum's (at `n < d` by up to a few 0.1 %), so they are stored and
/// reported under their own id, never mixed with `logme`'s.
pub const PUBLISHED_ID: &str = "logme-published";

/// LogME (You et al., ICML 2021). See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct LogMe {
    /// How `(α, β)` is found for every class.
    pub solver: LogMeSolver,
}

/// How LogME finds the `(α, β)` of its evidence.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum LogMeSolver {
    /// The maximum (or, without an interior maximum, the supremum) of the evidence, to
    /// `|Δ log(α/β)| ≤ 10⁻¹²` (see the module docs).
    #[default]
    Maximise,
    /// You et al.'s fixed-point iteration with its 10⁻⁵ guards: at most `max_iter` steps,
    /// stopping when α/β moves by at most `tol` relatively (published: 11 and 10⁻³).
    FixedPoint {
        /// Maximum steps per class (≥ 1).
        max_iter: usize,
        /// Relative change of α/β that stops the iteration (> 0).
        tol: f64,
    },
}

impl LogMe {
    /// The published fixed point (at most 11 steps, tolerance 10⁻³), for parity with the
    /// values in the LogME paper and the authors' code.
    pub fn published() -> Self {
        Self {
            solver: LogMeSolver::FixedPoint {
                max_iter: 11,
                tol: 1e-3,
            },
        }
    }
}

impl TransferabilityScore for LogMe {
    /// `logme` for the maximum, [`PUBLISHED_ID`] for the fixed point.
    fn id(&self) -> &'static str {
        match self.solver {
            LogMeSolver::Maximise => ID,
            LogMeSolver::FixedPoint { .. } => PUBLISHED_ID,
        }
    }

    fn needs(&self) -> crate::input::Needs {
        crate::input::Needs::Features
    }

    fn score(&self, input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
        self.check_solver()?;
        let (f, labels) = features_and_labels(ID, input)?;
        let (n, d, c) = (f.rows(), f.cols(), labels.n_classes());
        // Fᵀ without a copy: the row-major buffer read as a column-major (d, n) matrix.
        let ft = transposed_view(&f);
        if n >= d {
            return self.score_from_gram(
                gram_rows(ft),
                class_sums_rows(&f, &labels),
                &labels,
                n,
                d,
            );
        }
        let (vals, u) = eigh(&gram_cols(ft), ID)?;
        let tol = gram_rank_tol(vals.last().copied().unwrap_or(0.0), n, d);
        // uᵢᵀ y_k = sum of uᵢ over the samples of class k.
        let mut proj = Mat::<f64>::zeros(n, c);
        for i in 0..n {
            let col = u.col(i);
            for s in 0..n {
                proj[(i, labels.idx[s])] += col[s];
            }
        }
        let (sigma, x) = keep_nonzero(&vals, tol, |i, k| proj[(i, k)], c);
        self.evidence(&sigma, &x, &labels, n, d)
    }

    fn reads_row_blocks(&self) -> bool {
        true
    }

    fn score_row_blocks(
        &self,
        features: &dyn RowBlocks,
        labels: &[i64],
    ) -> Option<Result<f64, ScoreError>> {
        Some(self.score_blocks(features, labels))
    }
}

impl LogMe {
    /// LogME of features read in row blocks from the caller's layout ([`RowBlocks`]): at
    /// `n ≥ d` the Gram matrix and the class sums are summed block by block, so no float64
    /// copy of the features is made; at `n < d` the features are copied once (`n·d` values,
    /// fewer than the `d × d` Gram matrix the other case holds). The value equals
    /// [`TransferabilityScore::score`] on the same values up to the order of the Gram sums.
    ///
    /// # Errors
    /// As [`TransferabilityScore::score`].
    pub fn score_blocks(
        &self,
        features: &dyn RowBlocks,
        labels: &[i64],
    ) -> Result<f64, ScoreError> {
        self.check_solver()?;
        let (n, d) = features.shape();
        if n < d {
            let mut data = vec![0.0; n * d];
            features.read_rows(0, &mut data);
            let f = crate::Matrix::new(&data, n, d)?;
            return self.score(&ScoreInput::features(f, labels));
        }
        let labels = encode_labels(ID, labels)?;
        check_shape("features", (n, d), labels.n())?;
        let sums = class_sums_row_blocks(features, &labels)?;
        self.score_from_gram(gram_row_blocks(features)?, sums, &labels, n, d)
    }

    fn check_solver(&self) -> Result<(), ScoreError> {
        if let LogMeSolver::FixedPoint { max_iter, tol } = self.solver {
            if max_iter == 0 || !(tol > 0.0) {
                return Err(ScoreError::InvalidParameter {
                    method: ID,
                    param: "max_iter/tol",
                    reason: "max_iter must be ≥ 1 and tol > 0".into(),
                });
            }
        }
        Ok(())
    }

    /// The score from `FᵀF` (`d × d`, `n ≥ d`) and the class sums `Fᵀ Y` (`d × c`).
    fn score_from_gram(
        &self,
        gram: Mat<f64>,
        sums: Mat<f64>,
        labels: &Labels,
        n: usize,
        d: usize,
    ) -> Result<f64, ScoreError> {
        let (vals, v) = eigh(&gram, ID)?;
        let tol = gram_rank_tol(vals.last().copied().unwrap_or(0.0), n, d);
        let proj = product(v.transpose(), sums.as_ref());
        let c = labels.n_classes();
        let (sigma, x) = keep_nonzero(&vals, tol, |i, k| proj[(i, k)] / vals[i].sqrt(), c);
        self.evidence(&sigma, &x, labels, n, d)
    }

    /// The mean over classes of the per-sample evidence, from the nonzero eigenvalues `sigma`
    /// and each one's row of class coordinates `x`.
    fn evidence(
        &self,
        sigma: &[f64],
        x: &[Vec<f64>],
        labels: &Labels,
        n: usize,
        d: usize,
    ) -> Result<f64, ScoreError> {
        let c = labels.n_classes();
        // Classes in parallel, summed in class order (rayon's parallel sum would associate
        // the terms differently from run to run).
        let per_class: Vec<f64> = (0..c)
            .into_par_iter()
            .map(|k| {
                let xk: Vec<f64> = x.iter().map(|row| row[k]).collect();
                self.class_evidence(sigma, &xk, labels.counts[k] as f64, n, d)
            })
            .collect();
        let total: f64 = per_class.iter().sum();
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
        let x2: Vec<f64> = x.iter().map(|v| v * v).collect();
        // Part of ‖y‖² outside the span of the nonzero singular vectors.
        let res_x2 = (y_sq - x2.iter().sum::<f64>()).max(0.0);
        match self.solver {
            LogMeSolver::Maximise => {
                // When the singular vectors span all of ℝⁿ what is left is rounding, and the
                // t → 0 limit exists only without it.
                let res_x2 = if sigma.len() >= n { 0.0 } else { res_x2 };
                max_evidence(sigma, &x2, res_x2, y_sq, n)
            }
            LogMeSolver::FixedPoint { max_iter, tol } => {
                fixed_point_evidence(sigma, &x2, res_x2, n, d, max_iter, tol)
            }
        }
    }
}

/// The published fixed point and the evidence at the `(α, β)` it stops at, per sample.
fn fixed_point_evidence(
    sigma: &[f64],
    x2: &[f64],
    res_x2: f64,
    n: usize,
    d: usize,
    max_iter: usize,
    tol: f64,
) -> f64 {
    let (nf, df) = (n as f64, d as f64);
    let parts = |t: f64| {
        let mut m2 = 0.0;
        let mut res2 = res_x2;
        let mut gamma = 0.0;
        for (&s, &q) in sigma.iter().zip(x2) {
            gamma += s / (s + t);
            m2 += s * q / ((t + s) * (t + s));
            let r = 1.0 + s / t;
            res2 += q / (r * r);
        }
        (gamma, m2, res2)
    };
    let (mut alpha, mut beta) = (1.0f64, 1.0f64);
    for _ in 0..max_iter {
        let t = alpha / beta;
        let (gamma, m2, res2) = parts(t);
        alpha = gamma / (m2 + 1e-5);
        beta = (nf - gamma) / (res2 + 1e-5);
        if ((alpha / beta - t) / t).abs() <= tol {
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

/// The maximum over `(α, β)` of the evidence per sample, through the profile over
/// `u = log(α/β)` (module docs). `x2` are the squared coordinates, `res_x2` the part of
/// `y_sq = ‖y‖²` outside their span.
fn max_evidence(sigma: &[f64], x2: &[f64], res_x2: f64, y_sq: f64, n: usize) -> f64 {
    /// Grid step and margin in `log t`, and the bisection tolerance.
    const STEP: f64 = 0.5;
    const MARGIN: f64 = 10.0;
    const TOL: f64 = 1e-12;
    let nf = n as f64;
    let constant = -nf / 2.0 * (1.0 + (2.0 * std::f64::consts::PI).ln());
    // t → ∞: w = 0, β = n/‖y‖².
    let at_infinity = -nf / 2.0 * (y_sq / nf).ln() + constant;
    let (Some(lo), Some(hi)) = (
        sigma.iter().copied().reduce(f64::min),
        sigma.iter().copied().reduce(f64::max),
    ) else {
        // No nonzero eigenvalue: the evidence does not depend on α.
        return at_infinity / nf;
    };
    // E(t) and dL/du at u = log t.
    let slope = |u: f64| {
        let t = u.exp();
        let (mut gamma, mut e, mut te) = (0.0, res_x2, 0.0);
        for (&s, &q) in sigma.iter().zip(x2) {
            let w = 1.0 / (t + s);
            gamma += s * w;
            e += q * t * w;
            te += q * s * t * w * w;
        }
        0.5 * (gamma - nf * te / e)
    };
    let profile = |u: f64| {
        let t = u.exp();
        let (mut logdet, mut e) = (0.0, res_x2);
        for (&s, &q) in sigma.iter().zip(x2) {
            logdet += (s / t).ln_1p();
            e += q / (1.0 + s / t);
        }
        -0.5 * logdet - nf / 2.0 * (e / nf).ln() + constant
    };
    let (u_lo, u_hi) = (lo.ln() - MARGIN, hi.ln() + MARGIN);
    let steps = ((u_hi - u_lo) / STEP).ceil() as usize;
    let grid = |j: usize| u_lo + (u_hi - u_lo) * j as f64 / steps as f64;
    let mut best = f64::NEG_INFINITY;
    let mut g_prev = slope(u_lo);
    if g_prev < 0.0 {
        best = best.max(at_zero(sigma, x2, res_x2, nf, constant).unwrap_or(profile(u_lo)));
    }
    for j in 1..=steps {
        let u = grid(j);
        let g = slope(u);
        if g_prev > 0.0 && g <= 0.0 {
            // A local maximum in (u - step, u]: bisect on the sign of the slope.
            let (mut a, mut b) = (grid(j - 1), u);
            while b - a > TOL * b.abs().max(1.0) {
                let m = 0.5 * (a + b);
                if slope(m) > 0.0 {
                    a = m;
                } else {
                    b = m;
                }
            }
            best = best.max(profile(0.5 * (a + b)));
        }
        g_prev = g;
    }
    if g_prev > 0.0 {
        best = best.max(at_infinity);
    }
    if best == f64::NEG_INFINITY {
        // The slope never changes sign within the grid and points inward at both ends only
        // through rounding: take the better end.
        best = profile(u_lo).max(profile(u_hi)).max(at_infinity);
    }
    best / nf
}

/// The `t → 0` limit of the profile evidence, finite only when the features span `ℝⁿ`
/// (`res_x2 = 0`): `−½ Σ log σᵢ + r/2 log t − n/2 log(t Σ xᵢ²/σᵢ / n)` with `r = n`.
fn at_zero(sigma: &[f64], x2: &[f64], res_x2: f64, nf: f64, constant: f64) -> Option<f64> {
    if res_x2 > 0.0 || (sigma.len() as f64) < nf {
        return None;
    }
    let logdet: f64 = sigma.iter().map(|s| s.ln()).sum();
    let s: f64 = sigma.iter().zip(x2).map(|(&s, &q)| q / s).sum();
    Some(-0.5 * logdet - nf / 2.0 * (s / nf).ln() + constant)
}
