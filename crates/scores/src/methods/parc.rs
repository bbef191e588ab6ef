//! PARC: pairwise annotation representation comparison.
//!
//! 1. Reduce the features to 32 dimensions by PCA (if `d > 32`) and standardise every column
//!    (zero mean, unit population variance; constant columns are left at zero).
//! 2. Feature dissimilarity `D_f(i, j) = 1 − corr(xᵢ, xⱼ)` (Pearson correlation between the
//!    two samples' feature vectors) and label dissimilarity `D_y(i, j) = 1 − corr(eᵢ, eⱼ)`
//!    for one-hot labels, i.e. `0` for the same class and `1 + 1/(c−1)` otherwise.
//! 3. `PARC = 100 · Spearman(D_f, D_y)` over the `n(n−1)/2` pairs `i < j`. Higher is better.
//!
//! The method defines an `n × n` comparison, so time is `O(n² log n)`; memory is one `f64`
//! per pair. Because `D_y` takes two values, Spearman's ρ reduces to the point-biserial
//! correlation of the tie-averaged ranks of `D_f` with the "different class" indicator:
//! zoorank sorts the same-class and different-class dissimilarities separately (in parallel)
//! and merges them to get the rank sums and the tie correction — no rank arrays.
//!
//! Inputs: features `(n_samples, n_features)`, labels; at least one class must have two
//! samples (otherwise there is no same-class pair and ρ is undefined). A sample whose reduced
//! features are constant has no correlation: [`ScoreError::Numerical`].
//! Complexity: `O(n·d² + n²·32 + n² log n)`.
//!
//! Reference: D. Bolya, R. Mittapalli, J. Hoffman, "Scalable Diverse Model Selection for
//! Accessible Transfer Learning", NeurIPS 2021.

use crate::error::{finite, ScoreError};
use crate::input::{features_and_labels, ScoreInput};
use crate::linalg::{pca, Keep};
use crate::TransferabilityScore;

const ID: &str = "parc";

/// PARC (Bolya et al., NeurIPS 2021). See the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct Parc {
    /// PCA dimension before comparing (reference: 32); `None` keeps the features.
    pub dims: Option<usize>,
}

impl Default for Parc {
    fn default() -> Self {
        Self { dims: Some(32) }
    }
}

impl TransferabilityScore for Parc {
    id_and_needs!(Features);

    fn score(&self, input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
        let (f, labels) = features_and_labels(ID, input)?;
        let (n, d) = (f.rows(), f.cols());
        if labels.counts.iter().all(|&m| m < 2) {
            return Err(ScoreError::ClassTooSmall {
                method: ID,
                label: labels.original[0],
                count: 1,
                needed: 2,
            });
        }
        let reduced: Vec<Vec<f64>> = match self.dims {
            Some(k) if k < d => {
                let s = pca(&f, Keep::Count(k), ID)?;
                (0..n)
                    .map(|i| (0..s.ncols()).map(|j| s[(i, j)]).collect())
                    .collect()
            }
            _ => (0..n).map(|i| f.row(i).to_vec()).collect(),
        };
        let k = reduced[0].len();
        // Standardise columns.
        let mut z = reduced;
        for j in 0..k {
            let mean = z.iter().map(|r| r[j]).sum::<f64>() / n as f64;
            let var = z.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n as f64;
            let sd = if var > 0.0 { var.sqrt() } else { 1.0 };
            z.iter_mut().for_each(|r| r[j] = (r[j] - mean) / sd);
        }
        // Row-centre and normalise, so corr(i, j) = zᵢ·zⱼ.
        for (i, r) in z.iter_mut().enumerate() {
            let mean = r.iter().sum::<f64>() / k as f64;
            r.iter_mut().for_each(|v| *v -= mean);
            let nrm = r.iter().map(|v| v * v).sum::<f64>().sqrt();
            if !(nrm > 0.0) {
                return Err(ScoreError::Numerical {
                    method: ID,
                    reason: format!(
                        "sample {i} has constant reduced features, its correlation is undefined"
                    ),
                });
            }
            r.iter_mut().for_each(|v| *v /= nrm);
        }
        let mut same = Vec::new();
        let mut diff = Vec::with_capacity(n * (n - 1) / 2);
        for i in 0..n {
            for j in 0..i {
                let dot: f64 = z[i].iter().zip(&z[j]).map(|(a, b)| a * b).sum();
                let dist = 1.0 - dot;
                if labels.idx[i] == labels.idx[j] {
                    same.push(dist);
                } else {
                    diff.push(dist);
                }
            }
        }
        drop(z);
        finite(ID, 100.0 * biserial_spearman(same, diff))
    }
}

/// Spearman correlation between all values and the indicator "belongs to `high`", with
/// tie-averaged ranks.
fn biserial_spearman(mut low: Vec<f64>, mut high: Vec<f64>) -> f64 {
    use rayon::slice::ParallelSliceMut;
    rayon::join(
        || low.par_sort_unstable_by(f64::total_cmp),
        || high.par_sort_unstable_by(f64::total_cmp),
    );
    let (nl, nh) = (low.len(), high.len());
    let p = (nl + nh) as f64;
    let (mut a, mut b) = (0usize, 0usize);
    let mut rank_sum_high = 0.0;
    let mut ties = 0.0;
    let mut next_rank = 1.0;
    while a < nl || b < nh {
        let v = match (low.get(a), high.get(b)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => unreachable!(),
        };
        let mut tl = 0usize;
        while a < nl && low[a] == v {
            a += 1;
            tl += 1;
        }
        let mut th = 0usize;
        while b < nh && high[b] == v {
            b += 1;
            th += 1;
        }
        let t = (tl + th) as f64;
        let avg = next_rank + (t - 1.0) / 2.0;
        rank_sum_high += th as f64 * avg;
        ties += t * t * t - t;
        next_rank += t;
    }
    let mean_rank = (p + 1.0) / 2.0;
    let var_rank = (p * p - 1.0) / 12.0 - ties / (12.0 * p);
    let frac = nh as f64 / p;
    let cov = rank_sum_high / p - mean_rank * frac;
    let var_ind = frac * (1.0 - frac);
    if !(var_rank > 0.0 && var_ind > 0.0) {
        return f64::NAN;
    }
    cov / (var_rank.sqrt() * var_ind.sqrt())
}
