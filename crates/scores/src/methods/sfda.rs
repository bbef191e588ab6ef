//! SFDA: self-challenging Fisher discriminant analysis.
//!
//! 1. Fit a regularised Fisher discriminant (LDA) on the features: class priors `π_k`, means
//!    `μ_k`, within-class scatter `S_w = Σ_k π_k cov_k` (population covariances), shrinkage
//!    `s = max(exp(−5 λ̂), 10⁻¹⁰)` with `λ̂` the largest eigenvalue of `S_w` estimated by three
//!    power iterations from `S_w·1` (as the authors), and `Ŝ_w = (1 − s) S_w + s·tr(S_w)/d·I`.
//!    Class probabilities are `softmax_k(xᵀŜ_w⁻¹μ_k − ½μ_kᵀŜ_w⁻¹μ_k + log π_k)`.
//! 2. Soften them with a second softmax, then *ConfMix*: move every sample towards the mean of
//!    the other classes' means, `x ← p_{y}(x)·x + (1 − p_{y}(x))·μ̄_{−y}`.
//! 3. Refit the discriminant (same shrinkage) on the mixed features; the score is the mean
//!    probability of the true class, `1/n Σᵢ p_{yᵢ}(xᵢ)`. Higher is better.
//!
//! The authors solve the generalised eigenproblem `S_b W = Ŝ_w W Λ` and keep **all** `d`
//! eigenvectors, so their classifier weights `μ_k W Wᵀ` equal `μ_k Ŝ_w⁻¹` exactly: zoorank
//! uses one Cholesky factorisation of `Ŝ_w` per fit instead (same value, no eigensolver).
//! The within-class scatter is one Gram product of the class-centred features.
//!
//! Inputs: features `(n_samples, n_features)`, labels. All-constant features are
//! [`ScoreError::ZeroVariance`].
//! Complexity: `O(n·d² + d³/3 + n·d·c)` per fit, two fits.
//!
//! Reference: W. Shao, X. Zhao, Y. Ge, Z. Zhang, L. Yang, X. Wang, Y. Shan, P. Luo, "Not All
//! Models Are Equal: Predicting Model Transferability in a Self-challenging Fisher Space",
//! ECCV 2022.

use crate::error::{finite, ScoreError};
use crate::input::{features_and_labels, Labels, ScoreInput};
use crate::linalg::{col_major, gram_cols, product};
use crate::TransferabilityScore;
use faer::linalg::solvers::Solve;
use faer::{Mat, Side};

const ID: &str = "sfda";

/// SFDA (Shao et al., ECCV 2022). See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sfda {
    /// Fixed shrinkage in `[0, 1]`; `None` (default) = the adaptive rule above.
    pub shrinkage: Option<f64>,
}

/// Class means `(c, d)` row-major.
fn class_means(x: &Mat<f64>, labels: &Labels) -> Vec<f64> {
    let (n, d, c) = (x.nrows(), x.ncols(), labels.n_classes());
    let mut m = vec![0.0; c * d];
    for j in 0..d {
        let col = x.col(j);
        for i in 0..n {
            m[labels.idx[i] * d + j] += col[i];
        }
    }
    for k in 0..c {
        let nk = labels.counts[k] as f64;
        m[k * d..(k + 1) * d].iter_mut().for_each(|v| *v /= nk);
    }
    m
}

/// Largest eigenvalue estimate of the authors' three-step power iteration.
fn power_estimate(a: &Mat<f64>) -> f64 {
    let d = a.nrows();
    let mut x = Mat::<f64>::from_fn(d, 1, |i, _| a.row(i).iter().sum());
    let mut y = x.clone();
    let normalise = |v: Mat<f64>| {
        let nrm = v.col(0).iter().map(|e| e * e).sum::<f64>().sqrt();
        if nrm > 0.0 {
            Mat::from_fn(v.nrows(), 1, |i, _| v[(i, 0)] / nrm)
        } else {
            v
        }
    };
    for _ in 0..3 {
        y = normalise(a * &x);
        x = normalise(a * &y);
    }
    let ay = a * &y;
    (0..d).map(|i| x[(i, 0)] * ay[(i, 0)]).sum()
}

/// Fits the shrunk discriminant on `x` and returns the class probabilities `(n, c)` and the
/// shrinkage used.
fn fit_predict(
    x: &Mat<f64>,
    labels: &Labels,
    shrinkage: Option<f64>,
) -> Result<(Mat<f64>, f64), ScoreError> {
    let (n, d, c) = (x.nrows(), x.ncols(), labels.n_classes());
    let nf = n as f64;
    let means = class_means(x, labels);
    let xc = Mat::from_fn(n, d, |i, j| x[(i, j)] - means[labels.idx[i] * d + j]);
    let g = gram_cols(xc.as_ref());
    let sw = Mat::from_fn(d, d, |i, j| g[(i, j)] / nf);
    let trace: f64 = (0..d).map(|j| sw[(j, j)]).sum();
    if !(trace > 0.0) {
        return Err(ScoreError::ZeroVariance { method: ID });
    }
    let s = match shrinkage {
        Some(s) => s,
        None => (-5.0 * power_estimate(&sw)).exp().max(1e-10),
    };
    let mu = trace / d as f64;
    let shrunk = Mat::from_fn(d, d, |i, j| {
        (1.0 - s) * sw[(i, j)] + if i == j { s * mu } else { 0.0 }
    });
    let llt = shrunk.llt(Side::Lower).map_err(|e| ScoreError::Numerical {
        method: ID,
        reason: format!("shrunk within-class scatter is not positive definite: {e:?}"),
    })?;
    let mt = Mat::from_fn(d, c, |j, k| means[k * d + j]);
    let coef = llt.solve(mt.as_ref()); // (d, c) = Ŝ_w⁻¹ μ_k
    let mut logits = product(x.as_ref(), coef.as_ref());
    let intercept: Vec<f64> = (0..c)
        .map(|k| {
            let q: f64 = (0..d).map(|j| mt[(j, k)] * coef[(j, k)]).sum();
            -0.5 * q + (labels.counts[k] as f64 / nf).ln()
        })
        .collect();
    for i in 0..n {
        let mut row: Vec<f64> = (0..c).map(|k| logits[(i, k)] + intercept[k]).collect();
        softmax_in_place(&mut row);
        for k in 0..c {
            logits[(i, k)] = row[k];
        }
    }
    Ok((logits, s))
}

fn softmax_in_place(row: &mut [f64]) {
    let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - m).exp();
        sum += *v;
    }
    row.iter_mut().for_each(|v| *v /= sum);
}

impl TransferabilityScore for Sfda {
    id_and_needs!(Features);

    fn score(&self, input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
        if let Some(s) = self.shrinkage {
            if !(0.0..=1.0).contains(&s) {
                return Err(ScoreError::InvalidParameter {
                    method: ID,
                    param: "shrinkage",
                    reason: format!("must lie in [0, 1], got {s}"),
                });
            }
        }
        let (f, labels) = features_and_labels(ID, input)?;
        let (n, d, c) = (f.rows(), f.cols(), labels.n_classes());
        let mut x = col_major(&f, None);
        let (prob, s) = fit_predict(&x, &labels, self.shrinkage)?;
        let means = class_means(&x, &labels);
        // Mean of the other classes' means, per class.
        let mut all = vec![0.0; d];
        for k in 0..c {
            for j in 0..d {
                all[j] += means[k * d + j];
            }
        }
        let outer: Vec<f64> = (0..c * d)
            .map(|kj| (all[kj % d] - means[kj]) / (c - 1) as f64)
            .collect();
        for i in 0..n {
            let k = labels.idx[i];
            // Second softmax over the probabilities ("softening").
            let mut row: Vec<f64> = (0..c).map(|l| prob[(i, l)]).collect();
            softmax_in_place(&mut row);
            let p = row[k];
            for j in 0..d {
                x[(i, j)] = p * x[(i, j)] + (1.0 - p) * outer[k * d + j];
            }
        }
        let (prob, _) = fit_predict(&x, &labels, Some(s))?;
        let total: f64 = (0..n).map(|i| prob[(i, labels.idx[i])]).sum();
        finite(ID, total / n as f64)
    }
}
