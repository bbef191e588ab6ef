//! Domain-Similarity dataset embeddings.
//!
//! A dataset `D` is embedded as the mean penultimate feature of a fixed probe model `g`,
//! `e(D) = (1/|D|) Σ_{x∈D} g(x)` (Cui et al., "Large Scale Fine-Grained Categorization and
//! Domain-Specific Transfer Learning", CVPR 2018; used for the dataset–dataset edges of
//! TransferGraph, Li et al., ICDE 2024). Two datasets are compared by the Euclidean distance
//! `d(A, B) = ‖e(A) − e(B)‖₂`; Cui et al.'s similarity is `exp(−γ d)` with `γ = 0.01`.

use crate::error::{FeaturesError, Result};
use crate::Extracted;

/// The method id under which embeddings and distances are stored: `domain-similarity:<probe>`.
pub fn method_id(probe: &str) -> String {
    format!("domain-similarity:{probe}")
}

/// Mean feature row (accumulated in `f64`).
///
/// # Errors
/// [`FeaturesError::InvalidArgument`] when there are no rows.
pub fn dataset_embedding(features: &Extracted) -> Result<Vec<f32>> {
    if features.n == 0 {
        return Err(FeaturesError::InvalidArgument(
            "cannot embed a dataset without samples".into(),
        ));
    }
    let mut acc = vec![0f64; features.dim];
    for i in 0..features.n {
        for (a, v) in acc.iter_mut().zip(features.row(i)) {
            *a += *v as f64;
        }
    }
    Ok(acc
        .into_iter()
        .map(|a| (a / features.n as f64) as f32)
        .collect())
}

/// Euclidean distance between two embeddings of the same probe.
///
/// # Errors
/// [`FeaturesError::InvalidArgument`] when the lengths differ.
pub fn distance(a: &[f32], b: &[f32]) -> Result<f64> {
    if a.len() != b.len() {
        return Err(FeaturesError::InvalidArgument(format!(
            "embeddings of different lengths ({} vs {}): were they made by the same probe?",
            a.len(),
            b.len()
        )));
    }
    Ok(a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = *x as f64 - *y as f64;
            d * d
        })
        .sum::<f64>()
        .sqrt())
}

/// Cui et al.'s domain similarity `exp(−γ d)`.
pub fn similarity(distance: f64, gamma: f64) -> f64 {
    (-gamma * distance).exp()
}
