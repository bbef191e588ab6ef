//! H-Score: how much of the feature covariance is explained by the class means.
//!
//! ```text
//! H(f) = tr( cov(f)⁺ · cov(E[f | y]) )
//! ```
//!
//! where `cov(f)` is the `d × d` feature covariance, `E[f | y]` replaces every sample by the
//! mean feature of its class, and `⁺` is the Moore–Penrose pseudo-inverse. Higher is better;
//! the value lies in `[0, c − 1]`.
//!
//! zoorank never forms the between-class covariance: with `X` the centred features,
//! `m_k` the centred class means and `n_k` the class sizes,
//! `H = Σ_k n_k m_kᵀ (XᵀX)⁺ m_k` (the `1/(n−1)` factors cancel). With `XᵀX = V Λ Vᵀ` this is
//! `Σᵢ λᵢ⁻¹ Σ_k n_k (vᵢᵀ m_k)²` over the eigenvalues above the cut-off. When `n < d` the
//! `n × n` matrix `XXᵀ = U Λ Uᵀ` is decomposed instead and `H = Σᵢ Σ_k (uᵢᵀ y_k)² / n_k`.
//!
//! Pseudo-inverse cut-off: eigenvalues below `max(n, d) · ε · λ_max` count as zero (numpy's
//! `matrix_rank` convention), so collinear and constant features are legal and simply do not
//! contribute. All-constant features are [`ScoreError::ZeroVariance`].
//!
//! **Without an eigendecomposition when the pseudo-inverse is the inverse** (`n ≥ d`): with
//! `XᵀX = LLᵀ` (Cholesky), every eigenvalue lies above the cut-off when
//! `1/‖L⁻¹‖²_F > max(n, d) · ε · tr(XᵀX)`, because `λ_min ≥ 1/‖L⁻¹‖²_F` and
//! `tr(XᵀX) ≥ λ_max` (a sufficient test, loose by at most a factor `d` on each side: it
//! accepts every matrix with condition number below `1/(d² · max(n, d) · ε)`, about
//! `7·10⁵` at `n = 10,000, d = 768`, and many more). Then `(XᵀX)⁺ = (XᵀX)⁻¹` and
//! `H = Σ_k ‖L⁻¹ s_k‖² / n_k` (`s_k` the centred class sums): a Cholesky factorisation and
//! two triangular solves, `≈ d³` flops instead of the decomposition's `≈ 9d³`. Otherwise
//! (and when the factorisation fails) the eigenvector route above.
//!
//! Inputs: features `(n_samples, n_features)`, labels.
//! Complexity: `O(n·d·min(n,d) + min(n,d)³)`.
//!
//! Reference: Y. Bao, Y. Li, S.-L. Huang, L. Zhang, L. Zheng, A. Zamir, L. Guibas,
//! "An Information-Theoretic Approach to Transferability in Task Transfer Learning", ICIP 2019.

use crate::error::{finite, ScoreError};
use crate::input::Labels;
use crate::input::{features_and_labels, ScoreInput};
use crate::linalg::{
    centered, centered_gram, class_sums_rows_shifted, column_means, eigh, gram_rank_tol, gram_rows,
    product,
};
use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
use faer::{Mat, Par, Side};

unit_score! {
    /// H-Score (Bao et al., ICIP 2019). See the [module docs](self).
    HScore, "h-score", Features
}

/// The score of `input` (see [`HScore`]).
fn score(input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
    let (f, labels) = features_and_labels(ID, input)?;
    let (n, d, c) = (f.rows(), f.cols(), labels.n_classes());
    let mean = column_means(&f);
    let mut h = 0.0;
    if n >= d {
        let g = centered_gram(&f, &mean);
        let sums = class_sums_rows_shifted(&f, &labels, Some(&mean));
        let between = Between::new(&g, &sums, &labels, n);
        h = match between.by_cholesky()? {
            Some(h) => h,
            None => between.by_eigenvectors()?,
        };
    } else {
        let (x, _) = centered(&f);
        let (vals, u, tol) = spectrum(&gram_rows(x.as_ref()), n, d)?;
        let mut sums = vec![0.0; c];
        for (i, &l) in vals.iter().enumerate() {
            if l > tol {
                sums.iter_mut().for_each(|s| *s = 0.0);
                let col = u.col(i);
                for s in 0..n {
                    sums[labels.idx[s]] += col[s];
                }
                h += (0..c)
                    .map(|k| sums[k] * sums[k] / labels.counts[k] as f64)
                    .sum::<f64>();
            }
        }
    }
    finite(ID, h)
}

/// The eigenpairs of the symmetric Gram matrix `g` of `n` × `d` features and the cut-off at or
/// below which an eigenvalue counts as zero (the pseudo-inverse's); no positive eigenvalue is
/// zero variance.
fn spectrum(g: &Mat<f64>, n: usize, d: usize) -> Result<(Vec<f64>, Mat<f64>, f64), ScoreError> {
    let (vals, v) = eigh(g, ID)?;
    let lmax = vals.last().copied().unwrap_or(0.0);
    if lmax <= 0.0 {
        return Err(ScoreError::ZeroVariance { method: ID });
    }
    Ok((vals, v, gram_rank_tol(lmax, n, d)))
}

/// The between-class term `Σ_k n_k m_kᵀ g⁺ m_k` of `n` samples (with `n ≥ d`), from the centred
/// `d` × `d` Gram matrix `g` and the class sums `sums` (`d` × classes) of the centred features.
struct Between<'a> {
    g: &'a Mat<f64>,
    sums: &'a Mat<f64>,
    labels: &'a Labels,
    n: usize,
}

impl<'a> Between<'a> {
    fn new(g: &'a Mat<f64>, sums: &'a Mat<f64>, labels: &'a Labels, n: usize) -> Self {
        Between { g, sums, labels, n }
    }

    /// `Σ_k ‖L⁻¹ s_k‖² / n_k` with `g = LLᵀ`, when the bound of the module docs shows every
    /// eigenvalue of `g` above the pseudo-inverse cut-off; `None` when it does not (or when the
    /// factorisation fails), for the eigenvector route.
    fn by_cholesky(&self) -> Result<Option<f64>, ScoreError> {
        let Between { g, sums, labels, n } = *self;
        let d = g.nrows();
        let trace: f64 = (0..d).map(|j| g[(j, j)]).sum();
        if !(trace > 0.0) {
            return Err(ScoreError::ZeroVariance { method: ID });
        }
        let Ok(llt) = g.llt(Side::Lower) else {
            return Ok(None);
        };
        let mut inv = Mat::<f64>::identity(d, d);
        solve_lower_triangular_in_place(llt.L(), inv.as_mut(), Par::Seq);
        let inv_sq: f64 = (0..d)
            .map(|j| inv.col(j).iter().skip(j).map(|v| v * v).sum::<f64>())
            .sum();
        if !(inv_sq.recip() > gram_rank_tol(trace, n, d)) {
            return Ok(None);
        }
        let mut z = sums.clone();
        solve_lower_triangular_in_place(llt.L(), z.as_mut(), Par::Seq);
        let h = (0..labels.n_classes())
            .map(|k| z.col(k).iter().map(|v| v * v).sum::<f64>() / labels.counts[k] as f64)
            .sum();
        Ok(Some(h))
    }

    /// `Σᵢ λᵢ⁻¹ Σ_k (vᵢᵀ s_k)² / n_k` over the eigenpairs of `g` above the pseudo-inverse
    /// cut-off.
    fn by_eigenvectors(&self) -> Result<f64, ScoreError> {
        let Between { g, sums, labels, n } = *self;
        let d = g.nrows();
        let (vals, v, tol) = spectrum(g, n, d)?;
        let proj = product(v.transpose(), sums.as_ref());
        let mut h = 0.0;
        for (i, &l) in vals.iter().enumerate() {
            if l > tol {
                // n_k (vᵢᵀ m_k)² = (vᵢᵀ s_k)² / n_k with s_k the class sum.
                let s: f64 = (0..labels.n_classes())
                    .map(|k| proj[(i, k)].powi(2) / labels.counts[k] as f64)
                    .sum();
                h += s / l;
            }
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Matrix;
    use crate::linalg::gram_cols;

    /// Centred Gram matrix and class sums of pseudo-random features; `collinear` makes the
    /// last column the sum of the first two.
    fn parts(n: usize, d: usize, collinear: bool) -> (Mat<f64>, Mat<f64>, Labels) {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let y: Vec<i64> = (0..n).map(|i| (i % 3) as i64).collect();
        let mut x: Vec<f64> = (0..n * d).map(|i| next() + 0.3 * y[i / d] as f64).collect();
        if collinear {
            for i in 0..n {
                x[i * d + d - 1] = x[i * d] + x[i * d + 1];
            }
        }
        let f = Matrix::new(&x, n, d).unwrap();
        let input = ScoreInput::features(f, &y);
        let (f, labels) = features_and_labels(ID, &input).unwrap();
        let (xc, mean) = centered(&f);
        let g = gram_cols(xc.as_ref());
        // The copy-free centred Gram matrix is the Gram matrix of the centred copy.
        let fused = centered_gram(&f, &mean);
        for j in 0..d {
            for i in 0..d {
                assert!((fused[(i, j)] - g[(i, j)]).abs() <= 1e-12 * g[(j, j)].abs().max(1.0));
            }
        }
        let sums = class_sums_rows_shifted(&f, &labels, Some(&mean));
        (g, sums, labels)
    }

    #[test]
    fn cholesky_route_equals_the_eigenvector_route_when_it_applies() {
        let (n, d) = (400, 25);
        let (g, sums, labels) = parts(n, d, false);
        let between = Between::new(&g, &sums, &labels, n);
        let fast = between.by_cholesky().unwrap().unwrap();
        let slow = between.by_eigenvectors().unwrap();
        assert!(
            (fast - slow).abs() <= 1e-10 * slow.abs(),
            "{fast} vs {slow}"
        );
    }

    #[test]
    fn cholesky_route_declines_a_rank_deficient_gram_matrix() {
        let (n, d) = (400, 25);
        let (g, sums, labels) = parts(n, d, true);
        let between = Between::new(&g, &sums, &labels, n);
        assert_eq!(between.by_cholesky().unwrap(), None);
    }
}
