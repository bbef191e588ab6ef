//! Model similarity from benchmark performance (Cui et al., Sec. III-A).
//!
//! For models `a` and `b` with accuracies `acc_a(d)`, `acc_b(d)` on the benchmark datasets `D`
//! where both are known,
//!
//! ```text
//! dist(a, b) = mean of the k largest |acc_a(d) − acc_b(d)| over d ∈ D    (k clipped to |D|)
//! sim(a, b)  = 1 − dist(a, b)
//! ```
//!
//! Averaging only the k *largest* gaps makes two models similar when they agree everywhere,
//! not merely on average. `k = 5` is the paper's default. Pairs with no dataset in common get
//! the distance `max(1, largest distance of any other pair)` (similarity at most 0): nothing
//! is known about them, so they must not merge before any measured pair does.
//!
//! Complexity: `O(n_models² · n_datasets · log n_datasets)`.
//!
//! Reference: J. Cui, W. Shi, H. Tao, W. Lu, X. Du, "A Two-Phase Recall-and-Select Framework
//! for Fast Model Selection", ICDE 2024.

use crate::error::{ensure_param, Result, SelectError};
use crate::matrix::PerformanceMatrix;

/// Default number of largest gaps averaged.
pub const DEFAULT_K: usize = 5;

/// A symmetric `(n, n)` matrix of distances `1 − sim` between models, zero on the diagonal.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDistances {
    n: usize,
    values: Vec<f64>,
}

impl ModelDistances {
    /// Wraps a full square matrix.
    ///
    /// # Errors
    /// [`SelectError::Shape`] if `values.len() != n²`, [`SelectError::NonFinite`] for
    /// non-finite or negative entries or an asymmetric matrix.
    pub fn from_square(n: usize, values: Vec<f64>) -> Result<ModelDistances> {
        if values.len() != n * n {
            return Err(SelectError::Shape {
                what: "distance matrix cells".into(),
                expected: n * n,
                got: values.len(),
            });
        }
        for i in 0..n {
            for j in 0..n {
                let v = values[i * n + j];
                if !v.is_finite() || v < 0.0 || (v - values[j * n + i]).abs() > 1e-12 {
                    return Err(SelectError::NonFinite {
                        what: "distance matrix (finite, >= 0, symmetric)".into(),
                        location: format!("({i}, {j})"),
                    });
                }
            }
        }
        Ok(ModelDistances { n, values })
    }

    /// Number of models.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when there is no model.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Distance between models `i` and `j`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.n + j]
    }

    /// Similarity `1 − distance` between models `i` and `j`.
    pub fn similarity(&self, i: usize, j: usize) -> f64 {
        1.0 - self.get(i, j)
    }

    /// The condensed upper triangle (row-major, `i < j`), as scipy and kodama take it.
    pub fn condensed(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.n * self.n.saturating_sub(1) / 2);
        for i in 0..self.n {
            for j in i + 1..self.n {
                out.push(self.get(i, j));
            }
        }
        out
    }
}

/// `dist(a, b)`: the mean of the `k` largest absolute accuracy gaps over the datasets where
/// both rows are known (`k` clipped to that count); `None` when they share no dataset.
pub fn top_k_gap(a: &[Option<f64>], b: &[Option<f64>], k: usize) -> Option<f64> {
    let mut gaps: Vec<f64> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some((x.as_ref()? - y.as_ref()?).abs()))
        .collect();
    if gaps.is_empty() {
        return None;
    }
    let k = k.clamp(1, gaps.len());
    gaps.sort_unstable_by(|x, y| y.total_cmp(x));
    Some(gaps[..k].iter().sum::<f64>() / k as f64)
}

/// Distances `1 − sim(a, b)` between all models of `matrix`, with the paper's top-`k` gap.
///
/// # Errors
/// [`SelectError::InvalidParameter`] when `k == 0`.
pub fn model_distances(matrix: &PerformanceMatrix, k: usize) -> Result<ModelDistances> {
    ensure_param(
        k > 0,
        "k",
        k,
        "the number of largest gaps averaged must be at least 1",
    )?;
    let n = matrix.n_models();
    let mut values = vec![0.0; n * n];
    let mut unknown = Vec::new();
    let mut largest: f64 = 1.0;
    for i in 0..n {
        for j in i + 1..n {
            match top_k_gap(matrix.row(i), matrix.row(j), k) {
                Some(d) => {
                    values[i * n + j] = d;
                    values[j * n + i] = d;
                    largest = largest.max(d);
                }
                None => unknown.push((i, j)),
            }
        }
    }
    for (i, j) in unknown {
        values[i * n + j] = largest;
        values[j * n + i] = largest;
    }
    Ok(ModelDistances { n, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_gap_takes_the_largest_gaps_and_clips_k() {
        let a = [Some(0.9), Some(0.5), Some(0.1), None];
        let b = [Some(0.8), Some(0.9), Some(0.1), Some(0.3)];
        assert!((top_k_gap(&a, &b, 1).unwrap() - 0.4).abs() < 1e-12);
        assert!((top_k_gap(&a, &b, 2).unwrap() - 0.25).abs() < 1e-12);
        // k = 5 > 3 shared datasets: all three gaps.
        assert!((top_k_gap(&a, &b, 5).unwrap() - 0.5 / 3.0).abs() < 1e-12);
        assert_eq!(top_k_gap(&[None], &[Some(1.0)], 5), None);
    }

    #[test]
    fn k_zero_is_rejected() {
        let m = PerformanceMatrix::from_dense(vec!["a".into()], vec!["x".into()], vec![vec![0.5]])
            .unwrap();
        assert!(matches!(
            model_distances(&m, 0),
            Err(SelectError::InvalidParameter { name: "k", .. })
        ));
    }

    #[test]
    fn pairs_without_common_dataset_get_the_largest_distance() {
        let m = PerformanceMatrix::new(
            vec!["a".into(), "b".into(), "c".into()],
            vec!["x".into(), "y".into()],
            vec![
                vec![Some(0.1), None],
                vec![None, Some(0.2)],
                vec![Some(0.9), Some(0.2)],
            ],
        )
        .unwrap();
        let d = model_distances(&m, 5).unwrap();
        assert_eq!(d.get(0, 1), 1.0);
        assert!((d.get(0, 2) - 0.8).abs() < 1e-12);
    }
}
