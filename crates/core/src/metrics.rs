//! Ranking metrics of the evaluation protocol, on plain slices.
//!
//! For one target dataset a method produces a score `s_m` for every model `m` that has a
//! ground truth `t_m` (its best fine-tuning accuracy on the target). These functions measure
//! how well `s` ranks the models by `t`:
//!
//! | function | definition |
//! |---|---|
//! | [`pearson`] | `r = Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²)` |
//! | [`spearman`] | Pearson's `r` of the average ranks (ties share the mean of their ranks) |
//! | [`kendall_tau`] | τ-b `= (P − Q) / √((n₀ − n₁)(n₀ − n₂))`, `n₀ = n(n−1)/2`, `n₁`/`n₂` pairs tied in x / y |
//! | [`weighted_tau`] | Vigna's weighted τ with hyperbolic weight `1/(r+1)`, averaged over the two lexicographic rankings |
//! | [`top_at_k`] | `max { t_m : m among the k best-scored }` |
//! | [`rel_at_k`] | `top_at_k / max_m t_m` |
//! | [`target_weight`] | `max_m t_m − mean_m t_m` (the weight of a target in the average) |
//! | [`weighted_average`] | `Σ wᵢ vᵢ / Σ wᵢ` |
//! | [`cosine`] | `Σ aᵢ bᵢ / (‖a‖ ‖b‖)` (0 for a zero vector; a vector similarity, not a ranking metric) |
//!
//! The correlations reproduce `scipy.stats` (`pearsonr`, `spearmanr`, `kendalltau` with its
//! default τ-b, `weightedtau` with all defaults); `crates/eval/tests/reference/make_fixtures.py` records the
//! reference values and the SciPy version.
//!
//! # Degenerate input
//! No function returns NaN. Every input must be finite ([`MetricError::NonFinite`]) and
//! paired slices must have equal lengths ([`MetricError::LengthMismatch`]). Correlations need
//! at least two values ([`MetricError::TooFew`]) and are undefined when either vector is
//! constant: they return [`MetricError::Constant`] where SciPy returns NaN. Callers that need a
//! number for a constant predictor (e.g. a table row) must choose it explicitly.
//!
//! # Ties among scores in Top@k / Rel@k
//! When several models share the score at the cut-off of the k best, the **pessimistic** rule
//! applies: models are ordered by decreasing score, then by *increasing* truth, then by index.
//! So a tie never earns a method credit it did not rank for, and the result does not depend on
//! the order in which the models are listed. (A constant scorer gets the worst case, not the
//! expected value of a random pick; the `random` baseline is computed as an expectation
//! elsewhere.)
//!
//! # References
//! - K. Pearson (1895); C. Spearman, "The proof and measurement of association between two
//!   things", Am. J. Psychology, 1904.
//! - M. G. Kendall, "The treatment of ties in ranking problems", Biometrika, 1945 (τ-b).
//! - S. Vigna, "A weighted correlation index for rankings with ties", WWW 2015 (weighted τ and
//!   its O(n log n) merge-sort algorithm, which [`weighted_tau`] follows as SciPy does).
//! - The evaluation protocol: Li et al., "Guided Recommendation for Model Fine-Tuning",
//!   CVPR 2023; TransferGraph (ICDE 2024) for Rel@k and the max − mean target weight.

use std::cmp::Ordering;

/// Errors of the metric functions. Each variant names the metric and the offending input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MetricError {
    /// Two paired slices have different lengths.
    #[error("{metric}: {left_name} has {left} values but {right_name} has {right}")]
    LengthMismatch {
        /// The metric that was asked for.
        metric: &'static str,
        /// Name of the first slice.
        left_name: &'static str,
        /// Its length.
        left: usize,
        /// Name of the second slice.
        right_name: &'static str,
        /// Its length.
        right: usize,
    },
    /// Too few values for the metric to be defined.
    #[error("{metric}: needs at least {min} values, got {got}")]
    TooFew {
        /// The metric that was asked for.
        metric: &'static str,
        /// How many values were given.
        got: usize,
        /// The minimum.
        min: usize,
    },
    /// An input value is NaN or infinite.
    #[error("{metric}: {input}[{index}] = {value} is not finite")]
    NonFinite {
        /// The metric that was asked for.
        metric: &'static str,
        /// Name of the slice.
        input: &'static str,
        /// Position of the value.
        index: usize,
        /// The value itself.
        value: f64,
    },
    /// A vector is constant, so the correlation is undefined (SciPy returns NaN).
    #[error("{metric}: {input} is constant, the correlation is undefined")]
    Constant {
        /// The metric that was asked for.
        metric: &'static str,
        /// Name of the constant slice.
        input: &'static str,
    },
    /// `k` was zero.
    #[error("{metric}: k must be at least 1")]
    ZeroK {
        /// The metric that was asked for.
        metric: &'static str,
    },
    /// Rel@k divides by the maximum truth, which must be positive.
    #[error("{metric}: the best truth value is {max}; Rel@k needs a positive maximum")]
    NonPositiveMax {
        /// The metric that was asked for.
        metric: &'static str,
        /// The maximum of the truth.
        max: f64,
    },
    /// A weight of [`weighted_average`] is negative.
    #[error("weighted_average: weights[{index}] = {value} is negative")]
    NegativeWeight {
        /// Position of the weight.
        index: usize,
        /// The weight.
        value: f64,
    },
    /// All weights of [`weighted_average`] are zero.
    #[error("weighted_average: the weights sum to zero")]
    ZeroTotalWeight,
}

fn check_finite(metric: &'static str, input: &'static str, v: &[f64]) -> Result<(), MetricError> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(MetricError::NonFinite {
            metric,
            input,
            index,
            value: v[index],
        }),
        None => Ok(()),
    }
}

/// Validates a pair of slices: equal lengths, at least `min` values, all finite.
fn check_pair(
    metric: &'static str,
    names: (&'static str, &'static str),
    a: &[f64],
    b: &[f64],
    min: usize,
) -> Result<(), MetricError> {
    if a.len() != b.len() {
        return Err(MetricError::LengthMismatch {
            metric,
            left_name: names.0,
            left: a.len(),
            right_name: names.1,
            right: b.len(),
        });
    }
    if a.len() < min {
        return Err(MetricError::TooFew {
            metric,
            got: a.len(),
            min,
        });
    }
    check_finite(metric, names.0, a)?;
    check_finite(metric, names.1, b)
}

fn is_constant(v: &[f64]) -> bool {
    v.iter().all(|&x| x == v[0])
}

fn check_not_constant(
    metric: &'static str,
    names: (&'static str, &'static str),
    a: &[f64],
    b: &[f64],
) -> Result<(), MetricError> {
    if is_constant(a) {
        return Err(MetricError::Constant {
            metric,
            input: names.0,
        });
    }
    if is_constant(b) {
        return Err(MetricError::Constant {
            metric,
            input: names.1,
        });
    }
    Ok(())
}

/// Compares finite values (`-0.0 == 0.0`, as NumPy's sort does).
fn cmp_f64(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

/// Pearson's product-moment correlation of `x` and `y`.
///
/// `r = Σ(xᵢ−x̄)(yᵢ−ȳ) / √(Σ(xᵢ−x̄)² · Σ(yᵢ−ȳ)²)`, clipped to `[−1, 1]` against rounding.
/// Two passes (means first), O(n).
///
/// # Errors
/// Length mismatch, fewer than 2 values, non-finite values, or a constant vector
/// ([`MetricError::Constant`], where `scipy.stats.pearsonr` gives NaN).
pub fn pearson(x: &[f64], y: &[f64]) -> Result<f64, MetricError> {
    const M: &str = "pearson";
    check_pair(M, ("x", "y"), x, y, 2)?;
    check_not_constant(M, ("x", "y"), x, y)?;
    Ok(pearson_unchecked(x, y))
}

fn pearson_unchecked(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let (da, db) = (a - mx, b - my);
        sxy += da * db;
        sxx += da * da;
        syy += db * db;
    }
    (sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0)
}

/// Average ranks (1-based) of `v`: tied values share the mean of the ranks they occupy, as
/// `scipy.stats.rankdata(method="average")`. Non-finite values are ordered as equal to
/// everything, so validate first. O(n log n).
pub fn average_ranks(v: &[f64]) -> Vec<f64> {
    let n = v.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| cmp_f64(v[a], v[b]));
    let mut ranks = vec![0.0; n];
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && v[order[end]] == v[order[start]] {
            end += 1;
        }
        // positions start..end hold ranks start+1..=end; their mean:
        let r = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = r;
        }
        start = end;
    }
    ranks
}

/// Spearman's rank correlation: Pearson's `r` of the average ranks of `x` and `y`.
///
/// # Errors
/// As [`pearson`]; a constant vector gives [`MetricError::Constant`].
pub fn spearman(x: &[f64], y: &[f64]) -> Result<f64, MetricError> {
    const M: &str = "spearman";
    check_pair(M, ("x", "y"), x, y, 2)?;
    check_not_constant(M, ("x", "y"), x, y)?;
    Ok(pearson_unchecked(&average_ranks(x), &average_ranks(y)))
}

/// Kendall's τ-b, as `scipy.stats.kendalltau(x, y)` (its default variant).
///
/// `τ_b = (P − Q) / √((n₀ − n₁)(n₀ − n₂))` with `P`/`Q` the concordant/discordant pairs,
/// `n₀ = n(n−1)/2`, `n₁` the pairs tied in `x` and `n₂` the pairs tied in `y` (pairs tied in
/// both count in `n₁` and `n₂` and in neither `P` nor `Q`). Pair counts are exact integers.
///
/// Complexity: O(n²) pair scan (n is the number of models of a zoo, a few hundred).
///
/// # Errors
/// As [`pearson`]; a constant vector gives [`MetricError::Constant`].
pub fn kendall_tau(x: &[f64], y: &[f64]) -> Result<f64, MetricError> {
    const M: &str = "kendall_tau";
    check_pair(M, ("x", "y"), x, y, 2)?;
    check_not_constant(M, ("x", "y"), x, y)?;
    let n = x.len();
    let (mut concordant, mut discordant, mut tie_x, mut tie_y) = (0u64, 0u64, 0u64, 0u64);
    for i in 0..n {
        for j in (i + 1)..n {
            let dx = cmp_f64(x[i], x[j]);
            let dy = cmp_f64(y[i], y[j]);
            match (dx, dy) {
                (Ordering::Equal, Ordering::Equal) => {
                    tie_x += 1;
                    tie_y += 1;
                }
                (Ordering::Equal, _) => tie_x += 1,
                (_, Ordering::Equal) => tie_y += 1,
                _ if dx == dy => concordant += 1,
                _ => discordant += 1,
            }
        }
    }
    let total = (n as u64) * (n as u64 - 1) / 2;
    let num = concordant as f64 - discordant as f64;
    let tau = num / ((total - tie_x) as f64).sqrt() / ((total - tie_y) as f64).sqrt();
    Ok(tau.clamp(-1.0, 1.0))
}

/// Weighted Kendall τ exactly as `scipy.stats.weightedtau(x, y)` with its defaults:
/// hyperbolic weigher `w(r) = 1/(r+1)`, additive pair weights `w(rᵢ) + w(rⱼ)`, and `rank=True`,
/// which averages the index obtained when elements are ranked by decreasing lexicographic
/// `(x, y)` with the one obtained ranking by `(y, x)`.
///
/// For one ranking `r` (rank 0 = the largest element), with `W` the sum of weights of all
/// pairs, `U`/`V` of the pairs tied in `x`/`y`, `T` of the pairs tied in both and `D` of the
/// discordant pairs:
/// `τ_w = (W − (U + V − T) − 2D) / (√(W − U) · √(W − V))`, clipped to `[−1, 1]`.
/// `D` is accumulated during a merge sort on `y` of the elements sorted by `(x, y)`
/// (Vigna 2015, §5), in the same order of operations as SciPy so results agree to rounding.
///
/// Complexity: O(n log n).
///
/// # Errors
/// As [`pearson`]; a constant vector gives [`MetricError::Constant`] (SciPy: NaN).
pub fn weighted_tau(x: &[f64], y: &[f64]) -> Result<f64, MetricError> {
    const M: &str = "weighted_tau";
    check_pair(M, ("x", "y"), x, y, 2)?;
    check_not_constant(M, ("x", "y"), x, y)?;
    let a = weighted_tau_one_ranking(x, y);
    let b = weighted_tau_one_ranking(y, x);
    Ok((a + b) / 2.0)
}

/// Sum over groups of consecutive equal elements (per `same`) of `s_g · (len_g − 1)`, where
/// `s_g` is the group's weight sum: the additive weight of the pairs tied inside groups.
fn tied_pairs_weight(perm: &[usize], w: &[f64], same: impl Fn(usize, usize) -> bool) -> f64 {
    let n = perm.len();
    let mut first = 0;
    let mut acc = 0.0;
    let mut s = w[perm[0]];
    for i in 1..n {
        if !same(perm[first], perm[i]) {
            acc += s * (i - first - 1) as f64;
            first = i;
            s = 0.0;
        }
        s += w[perm[i]];
    }
    acc + s * (n - first - 1) as f64
}

/// One ranking of SciPy's `_weightedrankedtau` (additive, hyperbolic weigher, rank derived
/// from the lexicographic order of `(x, y)`). Both inputs must be non-constant, length ≥ 2.
fn weighted_tau_one_ranking(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    // Sort by x, then y; stable like NumPy's lexsort.
    let mut perm: Vec<usize> = (0..n).collect();
    perm.sort_by(|&a, &b| cmp_f64(x[a], x[b]).then(cmp_f64(y[a], y[b])));
    // The lexicographically largest element gets rank 0; its weight is 1/(0+1).
    let mut w = vec![0.0; n];
    for (r, &i) in perm.iter().rev().enumerate() {
        w[i] = 1.0 / (r as f64 + 1.0);
    }
    let joint_ties = tied_pairs_weight(&perm, &w, |a, b| x[a] == x[b] && y[a] == y[b]);
    let x_ties = tied_pairs_weight(&perm, &w, |a, b| x[a] == x[b]);

    let mut temp = vec![0usize; n];
    let mut exchanges = 0.0;
    merge_weigh(0, n, &mut perm, &mut temp, y, &w, &mut exchanges);

    let y_ties = tied_pairs_weight(&perm, &w, |a, b| y[a] == y[b]);
    let mut s = 0.0;
    for &i in &perm {
        s += w[i];
    }
    let total = s * (n - 1) as f64;
    let tau = ((total - (y_ties + x_ties - joint_ties)) - 2.0 * exchanges)
        / (total - x_ties).sqrt()
        / (total - y_ties).sqrt();
    tau.clamp(-1.0, 1.0)
}

/// Merge sort of `perm[offset..offset+length]` by `y`, adding to `exchanges` the weight of
/// every discordant pair it resolves (an element of the right half overtaking `length0 − j`
/// elements of the left half whose weights sum to `residual`). Returns the weight sum of the
/// section.
fn merge_weigh(
    offset: usize,
    length: usize,
    perm: &mut [usize],
    temp: &mut [usize],
    y: &[f64],
    w: &[f64],
    exchanges: &mut f64,
) -> f64 {
    if length == 1 {
        return w[perm[offset]];
    }
    let length0 = length / 2;
    let length1 = length - length0;
    let middle = offset + length0;
    let mut residual = merge_weigh(offset, length0, perm, temp, y, w, exchanges);
    let weight = merge_weigh(middle, length1, perm, temp, y, w, exchanges) + residual;
    if y[perm[middle - 1]] < y[perm[middle]] {
        return weight;
    }
    let (mut i, mut j, mut k) = (0, 0, 0);
    while j < length0 && k < length1 {
        if y[perm[offset + j]] <= y[perm[middle + k]] {
            temp[i] = perm[offset + j];
            residual -= w[temp[i]];
            j += 1;
        } else {
            temp[i] = perm[middle + k];
            *exchanges += w[temp[i]] * (length0 - j) as f64 + residual;
            k += 1;
        }
        i += 1;
    }
    perm.copy_within(offset + j..offset + length0, offset + i);
    perm[offset..offset + i].copy_from_slice(&temp[..i]);
    weight
}

/// Indices ordered by decreasing score, ties by increasing truth, then by index (the
/// pessimistic tie rule of the module docs).
fn best_scored_order(scores: &[f64], truth: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| {
        cmp_f64(scores[b], scores[a])
            .then(cmp_f64(truth[a], truth[b]))
            .then(a.cmp(&b))
    });
    order
}

fn top_at_k_checked(
    metric: &'static str,
    scores: &[f64],
    truth: &[f64],
    k: usize,
) -> Result<f64, MetricError> {
    check_pair(metric, ("scores", "truth"), scores, truth, 1)?;
    if k == 0 {
        return Err(MetricError::ZeroK { metric });
    }
    let order = best_scored_order(scores, truth);
    Ok(order
        .iter()
        .take(k)
        .map(|&i| truth[i])
        .fold(f64::NEG_INFINITY, f64::max))
}

/// Top@k: the best truth among the `k` best-scored items, `max { tᵢ : i among the k best by s }`.
///
/// `k` larger than the number of items means all of them. Equal scores at the cut-off are
/// resolved pessimistically (lowest truth first; see the module docs). O(n log n).
///
/// # Errors
/// Length mismatch, empty input, non-finite values, `k = 0`.
pub fn top_at_k(scores: &[f64], truth: &[f64], k: usize) -> Result<f64, MetricError> {
    top_at_k_checked("top_at_k", scores, truth, k)
}

/// Rel@k: [`top_at_k`] divided by the best truth overall, in `[0, 1]` for a positive maximum
/// and non-negative truths; `1` exactly when a best item is among the `k` best-scored.
///
/// # Errors
/// As [`top_at_k`], plus [`MetricError::NonPositiveMax`] when `max tᵢ ≤ 0`.
pub fn rel_at_k(scores: &[f64], truth: &[f64], k: usize) -> Result<f64, MetricError> {
    const M: &str = "rel_at_k";
    let top = top_at_k_checked(M, scores, truth, k)?;
    let max = truth.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max <= 0.0 {
        return Err(MetricError::NonPositiveMax { metric: M, max });
    }
    Ok(top / max)
}

/// The weight of a target in the average over targets: `max tᵢ − mean tᵢ` (0 for one item).
///
/// # Errors
/// Empty input or non-finite values.
pub fn target_weight(truth: &[f64]) -> Result<f64, MetricError> {
    const M: &str = "target_weight";
    if truth.is_empty() {
        return Err(MetricError::TooFew {
            metric: M,
            got: 0,
            min: 1,
        });
    }
    check_finite(M, "truth", truth)?;
    let max = truth.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mean = truth.iter().sum::<f64>() / truth.len() as f64;
    // Rounding can make mean exceed max by an ulp for constant input.
    Ok((max - mean).max(0.0))
}

/// Weighted mean `Σ wᵢ vᵢ / Σ wᵢ`.
///
/// # Errors
/// Length mismatch, empty input, non-finite values, a negative weight
/// ([`MetricError::NegativeWeight`]) or weights that sum to zero
/// ([`MetricError::ZeroTotalWeight`]).
pub fn weighted_average(values: &[f64], weights: &[f64]) -> Result<f64, MetricError> {
    check_pair(
        "weighted_average",
        ("values", "weights"),
        values,
        weights,
        1,
    )?;
    if let Some(index) = weights.iter().position(|&w| w < 0.0) {
        return Err(MetricError::NegativeWeight {
            index,
            value: weights[index],
        });
    }
    let total: f64 = weights.iter().sum();
    if total == 0.0 {
        return Err(MetricError::ZeroTotalWeight);
    }
    let num: f64 = values.iter().zip(weights).map(|(v, w)| v * w).sum();
    Ok(num / total)
}

/// Cosine similarity `Σ aᵢ bᵢ / (‖a‖ ‖b‖)` of two vectors of equal length, 0 when either is
/// zero. Unlike the metrics above it takes any values and never fails: it compares vectors
/// (embeddings, accuracy profiles), not a ranking with its ground truth.
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    if na > 0.0 && nb > 0.0 {
        dot / (na * nb)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_ranks_ties() {
        assert_eq!(
            average_ranks(&[3.0, 1.0, 3.0, 2.0]),
            vec![3.5, 1.0, 3.5, 2.0]
        );
    }

    #[test]
    fn errors_are_typed() {
        assert!(matches!(
            pearson(&[1.0, 2.0], &[1.0]),
            Err(MetricError::LengthMismatch { .. })
        ));
        assert!(matches!(
            spearman(&[1.0], &[1.0]),
            Err(MetricError::TooFew { .. })
        ));
        assert!(matches!(
            kendall_tau(&[1.0, f64::NAN], &[1.0, 2.0]),
            Err(MetricError::NonFinite { index: 1, .. })
        ));
        assert!(matches!(
            weighted_tau(&[1.0, 2.0], &[5.0, 5.0]),
            Err(MetricError::Constant { input: "y", .. })
        ));
        assert!(matches!(
            rel_at_k(&[1.0, 2.0], &[1.0, 2.0], 0),
            Err(MetricError::ZeroK { .. })
        ));
        assert!(matches!(
            rel_at_k(&[1.0, 2.0], &[-1.0, 0.0], 1),
            Err(MetricError::NonPositiveMax { .. })
        ));
        assert!(matches!(
            weighted_average(&[1.0, 2.0], &[0.0, 0.0]),
            Err(MetricError::ZeroTotalWeight)
        ));
        assert!(matches!(
            weighted_average(&[1.0, 2.0], &[1.0, -1.0]),
            Err(MetricError::NegativeWeight { index: 1, .. })
        ));
        assert!(matches!(
            target_weight(&[]),
            Err(MetricError::TooFew { .. })
        ));
    }

    #[test]
    fn pessimistic_ties_at_cutoff() {
        // Items 0 and 1 tie on the best score; the worse truth (0.5) is taken for k = 1.
        let s = [1.0, 1.0, 0.0];
        let t = [0.9, 0.5, 0.7];
        assert_eq!(top_at_k(&s, &t, 1).unwrap(), 0.5);
        assert_eq!(top_at_k(&s, &t, 2).unwrap(), 0.9);
        assert_eq!(top_at_k(&s, &t, 10).unwrap(), 0.9);
        assert!((rel_at_k(&s, &t, 1).unwrap() - 0.5 / 0.9).abs() < 1e-15);
    }

    #[test]
    fn target_weight_and_average() {
        assert!((target_weight(&[0.5, 0.7, 0.9]).unwrap() - 0.2).abs() < 1e-15);
        assert_eq!(target_weight(&[0.3, 0.3]).unwrap(), 0.0);
        assert!((weighted_average(&[1.0, 3.0], &[1.0, 3.0]).unwrap() - 2.5).abs() < 1e-15);
    }
}
