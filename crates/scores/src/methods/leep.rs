//! LEEP: log expected empirical prediction of a source classifier on the target labels.
//!
//! With `θ(x) ∈ Δ^{C_s}` the source model's class probabilities on target sample `x`:
//!
//! ```text
//! P̂(y, z) = 1/n Σ_{i: yᵢ = y} θ_z(xᵢ),   P̂(y | z) = P̂(y, z) / P̂(z)
//! LEEP = 1/n Σᵢ log Σ_z P̂(yᵢ | z) θ_z(xᵢ)
//! ```
//!
//! Higher (closer to 0) is better. Source classes that never receive probability mass
//! (`P̂(z) = 0`) drop out of the sum (their `θ_z` is zero on every sample).
//!
//! Inputs: source-model probabilities `(n_samples, n_source_classes)` (rows sum to 1 within
//! 1e-3; they are used as given, not renormalised), labels.
//! Complexity: `O(n · C_s)` time, a `c × C_s` table.
//!
//! Reference: C. V. Nguyen, T. Hassner, M. Seeger, C. Archambeau, "LEEP: A New Measure to
//! Evaluate Transferability of Learned Representations", ICML 2020.

use crate::error::{finite, ScoreError};
use crate::input::{check_prob_row, probs_and_labels, Labels, Matrix, ScoreInput};
use crate::TransferabilityScore;

const ID: &str = "leep";
/// Parts of the joint-table pass, at most, and rows per part, at least.
const JOINT_PARTS: usize = 4;
const JOINT_MIN_ROWS: usize = 1024;

/// LEEP (Nguyen et al., ICML 2020). See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct Leep;

/// LEEP of probabilities `p` (validated here, row by row) against `labels`; shared with NLEEP.
pub(crate) fn leep_value(
    method: &'static str,
    p: &Matrix<'_>,
    labels: &Labels,
) -> Result<f64, ScoreError> {
    use rayon::prelude::*;
    let (n, cs, c) = (p.rows(), p.cols(), labels.n_classes());
    // One pass: accumulate the joint table (class-major: joint[k * cs + z]) and validate each
    // row on the way. The rows are split into a number of parts that depends only on `n`, each
    // part summed in its own table and the tables added in part order, so the pass runs on
    // every core and the value is the same on any number of threads. The first bad row of
    // the first part that has one is the first bad row overall.
    let parts = (n / JOINT_MIN_ROWS).clamp(1, JOINT_PARTS);
    let rows = n.div_ceil(parts);
    let tables: Vec<Vec<f64>> = (0..parts)
        .into_par_iter()
        .map(|t| {
            let mut joint = vec![0.0; c * cs];
            for i in t * rows..((t + 1) * rows).min(n) {
                let k = labels.idx[i];
                let row = p.row(i);
                let (mut sum, mut min) = (0.0, f64::INFINITY);
                for (a, &v) in joint[k * cs..(k + 1) * cs].iter_mut().zip(row) {
                    *a += v;
                    sum += v;
                    min = if v < min { v } else { min };
                }
                check_prob_row(i, row, sum, min)?;
            }
            Ok(joint)
        })
        .collect::<Vec<Result<_, ScoreError>>>()
        .into_iter()
        .collect::<Result<_, _>>()?;
    let mut tables = tables.into_iter();
    let mut joint = tables.next().unwrap_or_else(|| vec![0.0; c * cs]);
    for t in tables {
        joint.iter_mut().zip(&t).for_each(|(a, b)| *a += b);
    }
    let mut pz = vec![0.0; cs];
    for k in 0..c {
        for (z, v) in pz.iter_mut().zip(&joint[k * cs..(k + 1) * cs]) {
            *z += v;
        }
    }
    // Conditional P(y | z) (the 1/n factors cancel).
    for k in 0..c {
        for (z, v) in joint[k * cs..(k + 1) * cs].iter_mut().enumerate() {
            *v = if pz[z] > 0.0 { *v / pz[z] } else { 0.0 };
        }
    }
    // The per-sample logs in parallel, summed in sample order: rayon's own parallel sum
    // associates the terms as its work stealing happens to split them, so the last bits of
    // the value would change from run to run.
    let logs: Vec<f64> = p
        .data()
        .par_chunks(cs)
        .zip(labels.idx.par_iter())
        .map(|(row, &k)| {
            let eep: f64 = row
                .iter()
                .zip(&joint[k * cs..(k + 1) * cs])
                .map(|(a, b)| a * b)
                .sum();
            eep.ln()
        })
        .collect();
    let total: f64 = logs.iter().sum();
    finite(method, total / n as f64)
}

impl TransferabilityScore for Leep {
    id_and_needs!(SourceProbs);

    fn score(&self, input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
        let (p, labels) = probs_and_labels(ID, input)?;
        leep_value(ID, &p, &labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::ScoreInput;

    /// Probabilities of `n` samples over 3 source classes, labels in 2 classes.
    fn data(n: usize) -> (Vec<f64>, Vec<i64>) {
        let mut p = Vec::with_capacity(3 * n);
        for i in 0..n {
            let a = 0.1 + 0.8 * ((i * 7919) % 101) as f64 / 101.0;
            p.extend([a, (1.0 - a) * 0.25, (1.0 - a) * 0.75]);
        }
        let y = (0..n).map(|i| ((i * 31) % 7 % 2) as i64).collect();
        (p, y)
    }

    /// The joint-table pass split into parts gives LEEP as one sequential pass does.
    #[test]
    fn parts_give_the_sequential_value() {
        let n = 5 * JOINT_MIN_ROWS + 3;
        let (p, y) = data(n);
        let got = Leep
            .score(&ScoreInput::source_probs(
                Matrix::new(&p, n, 3).unwrap(),
                &y,
            ))
            .unwrap();
        // Sequential: P(y, z), P(z), then the mean log of Σ_z P(y|z) p(z|x).
        let mut joint = [[0.0; 3]; 2];
        for i in 0..n {
            for z in 0..3 {
                joint[y[i] as usize][z] += p[3 * i + z];
            }
        }
        let pz: Vec<f64> = (0..3).map(|z| joint[0][z] + joint[1][z]).collect();
        let want = (0..n)
            .map(|i| {
                (0..3)
                    .map(|z| p[3 * i + z] * joint[y[i] as usize][z] / pz[z])
                    .sum::<f64>()
                    .ln()
            })
            .sum::<f64>()
            / n as f64;
        assert!((got - want).abs() <= 1e-12 * want.abs(), "{got} vs {want}");
    }

    /// Every run gives the same bits, on a pool with more threads than parts: the per-sample
    /// terms are summed in sample order, not in the tree rayon's work stealing happens to
    /// build.
    #[test]
    fn repeated_runs_give_the_same_bits() {
        let n = 40 * JOINT_MIN_ROWS + 3;
        let (p, y) = data(n);
        let input = ScoreInput::source_probs(Matrix::new(&p, n, 3).unwrap(), &y);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(8)
            .build()
            .unwrap();
        pool.install(|| {
            let first = Leep.score(&input).unwrap();
            for _ in 0..100 {
                assert_eq!(Leep.score(&input).unwrap().to_bits(), first.to_bits());
            }
        });
    }

    /// With bad rows in two parts, the error names the first one.
    #[test]
    fn first_bad_row_is_reported_across_parts() {
        let n = 4 * JOINT_MIN_ROWS;
        let (mut p, y) = data(n);
        for bad in [3 * JOINT_MIN_ROWS + 5, JOINT_MIN_ROWS + 17] {
            p[3 * bad] += 0.5;
        }
        let r = Leep.score(&ScoreInput::source_probs(
            Matrix::new(&p, n, 3).unwrap(),
            &y,
        ));
        match r {
            Err(ScoreError::NotProbabilities { row, .. }) => assert_eq!(row, JOINT_MIN_ROWS + 17),
            other => panic!("expected NotProbabilities, got {other:?}"),
        }
    }
}
