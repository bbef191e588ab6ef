//! NCE: negative conditional entropy of the target labels given the source model's hard
//! predictions.
//!
//! With `zᵢ = argmax_z θ_z(xᵢ)` (first maximum on ties) and the empirical joint
//! `P̂(y, z) = #{i: yᵢ = y, zᵢ = z} / n`:
//!
//! ```text
//! NCE = −H(Y | Z) = Σ_{y,z} P̂(y, z) log( P̂(y, z) / P̂(z) )
//! ```
//!
//! Higher (closer to 0) is better; 0 means the source predictions determine the label.
//!
//! Inputs: source-model probabilities `(n_samples, n_source_classes)`, labels.
//! Complexity: `O(n · C_s)` time, one read of the probabilities (rows in parallel), a
//! `c × C_s` table of counts.
//!
//! Reference: A. T. Tran, C. V. Nguyen, T. Hassner, "Transferability and Hardness of
//! Supervised Classification Tasks", ICCV 2019.

use crate::error::{finite, ScoreError};
use crate::input::{check_prob_row, probs_and_labels, Matrix, ScoreInput};

unit_score! {
    /// NCE (Tran et al., ICCV 2019). See the [module docs](self).
    Nce, "nce", SourceProbs
}

/// The score of `input` (see [`Nce`]).
fn score(input: &ScoreInput<'_>) -> Result<f64, ScoreError> {
    let (p, labels) = probs_and_labels(ID, input)?;
    let (cs, c) = (p.cols(), labels.n_classes());
    // One read of the probability matrix, rows in parallel: each row's sum, minimum and
    // maximum in one vectorised pass, then the first position of the maximum (the row is
    // in L1 by then). The pass prefetches the row two ahead: hardware prefetchers stop at
    // 4 KiB page boundaries, and without the hint the scan ran at about half the speed of
    // numpy's `argmax` (whose arrays sit on huge pages). Only the hard prediction is kept, as a `u32` per row (a row of 2³²
    // values would take 32 GiB); the first bad row in input order is reported.
    use rayon::prelude::*;
    let mut z = vec![0u32; p.rows()];
    let first_bad = z
        .par_chunks_mut(ROWS_PER_TASK)
        .enumerate()
        .filter_map(|(t, zs)| scan(&p, t * ROWS_PER_TASK, zs))
        .min();
    if let Some(i) = first_bad {
        let row = p.row(i);
        let (sum, min, _) = sum_min_max(row, row);
        check_prob_row(i, row, sum, min)?;
    }
    // Joint counts over (class, prediction), then Σ_{y,z} (n_yz/n) log(n_yz / n_z).
    let mut joint = vec![0usize; c * cs];
    let mut nz = vec![0usize; cs];
    for (&k, &zi) in labels.idx.iter().zip(&z) {
        joint[k * cs + zi as usize] += 1;
        nz[zi as usize] += 1;
    }
    let total: f64 = joint
        .chunks_exact(cs)
        .map(|row| {
            row.iter()
                .zip(&nz)
                .filter(|(&j, _)| j > 0)
                .map(|(&j, &m)| j as f64 * (j as f64 / m as f64).ln())
                .sum::<f64>()
        })
        .sum();
    finite(ID, total / p.rows() as f64)
}

/// Rows per parallel task: enough work (½ MB of a 1,000-column matrix) to amortise the
/// scheduling, small enough that a descheduled worker holds up little on a loaded machine.
const ROWS_PER_TASK: usize = 64;

/// Accumulator lanes: 8 independent sums, minima and maxima are 12 SSE2 registers (the
/// baseline x86-64 target), so the loop neither spills nor waits on one dependency chain;
/// 8 values are also one 64-byte cache line, the prefetch unit.
const LANES: usize = 8;

/// How many rows ahead the scan prefetches.
const PREFETCH_ROWS: usize = 2;

/// Hints the cache to fetch the line holding `v` (nothing off x86-64).
#[inline(always)]
fn prefetch(v: &f64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetcht0` is only a hint: it never faults, whatever the address, and has no
    // architectural effect; SSE is part of the x86-64 baseline.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((v as *const f64).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

avx2_where_available! {
    /// Hard predictions of rows `i0..i0 + z.len()` into `z`; the first row that is not a
    /// probability vector, if any.
    fn scan(p: &Matrix<'_>, i0: usize, z: &mut [u32]) -> Option<usize> {
        for (r, zi) in z.iter_mut().enumerate() {
            let row = p.row(i0 + r);
            let ahead = p.row((i0 + r + PREFETCH_ROWS).min(p.rows() - 1));
            let (sum, min, max) = sum_min_max(row, ahead);
            if check_prob_row(i0 + r, row, sum, min).is_err() {
                return Some(i0 + r);
            }
            *zi = first_position(row, max) as u32;
        }
        None
    }
}

/// Sum, minimum and maximum of a row in one pass (NaN compares false, so a NaN entry shows
/// up in the sum and is caught by the row check), prefetching `ahead` line by line.
#[inline(always)]
fn sum_min_max(row: &[f64], ahead: &[f64]) -> (f64, f64, f64) {
    let mut s = [0.0f64; LANES];
    let mut lo = [f64::INFINITY; LANES];
    let mut hi = [f64::NEG_INFINITY; LANES];
    let chunks = row.chunks_exact(LANES);
    let rest = chunks.remainder();
    for (k, ch) in chunks.enumerate() {
        // One 64-byte line of the row ahead per line (8 values) read here.
        if let Some(a) = ahead.get(k * LANES) {
            prefetch(a);
        }
        for l in 0..LANES {
            let v = ch[l];
            s[l] += v;
            lo[l] = if v < lo[l] { v } else { lo[l] };
            hi[l] = if v > hi[l] { v } else { hi[l] };
        }
    }
    let (mut sum, mut min, mut max) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
    for l in 0..LANES {
        sum += s[l];
        min = min.min(lo[l]);
        max = max.max(hi[l]);
    }
    for &v in rest {
        sum += v;
        min = min.min(v);
        max = max.max(v);
    }
    (sum, min, max)
}

/// First index of `value` in `row` (`value` is the row's maximum, so it is present), eight
/// entries at a time.
#[inline(always)]
fn first_position(row: &[f64], value: f64) -> usize {
    let chunks = row.chunks_exact(8);
    let rest = chunks.remainder();
    for (k, ch) in chunks.enumerate() {
        if ch.iter().fold(false, |hit, &v| hit | (v == value)) {
            return k * 8 + ch.iter().position(|&v| v == value).unwrap_or(0);
        }
    }
    let base = row.len() - rest.len();
    base + rest.iter().position(|&v| v == value).unwrap_or(0)
}
