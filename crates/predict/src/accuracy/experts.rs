//! The history as experts on the target: each training dataset's accuracies, in logit space,
//! are one guess of how the candidates will do on the target ("the target behaves like this
//! dataset"), and the method's own prediction is another.

use crate::rank::history::History;
use zoorank_core::{DatasetIdx, ModelIdx};

/// Accuracies are kept inside `[ACC_FLOOR, 1 − ACC_FLOOR]` before the logit: a recorded 0 or
/// 1 would be ±∞, and no prediction should promise a perfect score.
pub const ACC_FLOOR: f64 = 1e-3;

/// `ln(p / (1 − p))` of `p` kept inside [`ACC_FLOOR`].
pub fn logit(p: f64) -> f64 {
    let p = p.clamp(ACC_FLOOR, 1.0 - ACC_FLOOR);
    (p / (1.0 - p)).ln()
}

/// The inverse of [`logit`].
pub fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// An additive fit `logit acc(m, d) ≈ α_d + β_m` of the training datasets (medians, so that a
/// dataset where a few runs failed does not move a model's β), the spread of what it leaves
/// out, and one expert row per training dataset.
#[derive(Debug, Clone)]
pub struct Experts {
    /// Training datasets, in the order of `rows`.
    pub datasets: Vec<DatasetIdx>,
    /// α per training dataset: its level.
    pub level: Vec<f64>,
    /// β per model of the zoo (0 for a model without records): how much better than the
    /// level a model does, typically.
    pub quality: Vec<f64>,
    /// Robust scale (1.4826 × median absolute deviation) of the residuals of the fit.
    pub sigma: f64,
    /// Per training dataset, per model of the zoo: its logit accuracy there, where recorded
    /// (residuals winsorised at ±3σ, so one failed run does not speak for the model), else
    /// the additive fit's value.
    pub rows: Vec<Vec<f64>>,
}

/// Smallest residual scale: below it the mixture's weights would turn on rounding noise.
const MIN_SIGMA: f64 = 0.1;

impl Experts {
    /// The experts of `h`'s training datasets other than `exclude`.
    pub fn new(h: &History, exclude: Option<DatasetIdx>) -> Experts {
        let datasets: Vec<DatasetIdx> = h
            .train_datasets
            .iter()
            .copied()
            .filter(|&d| Some(d) != exclude)
            .collect();
        let nm = h.best.first().map_or(0, Vec::len);
        let cell = |d: DatasetIdx, m: ModelIdx| h.best[d][m].map(logit);
        let mut level: Vec<f64> = datasets
            .iter()
            .map(|&d| median((0..nm).filter_map(|m| cell(d, m)).collect()).unwrap_or(0.0))
            .collect();
        let mut quality = vec![0.0; nm];
        for _ in 0..10 {
            for (m, q) in quality.iter_mut().enumerate() {
                *q = median(
                    datasets
                        .iter()
                        .zip(&level)
                        .filter_map(|(&d, a)| Some(cell(d, m)? - a))
                        .collect(),
                )
                .unwrap_or(0.0);
            }
            for (a, &d) in level.iter_mut().zip(&datasets) {
                *a = median(
                    (0..nm)
                        .filter_map(|m| Some(cell(d, m)? - quality[m]))
                        .collect(),
                )
                .unwrap_or(0.0);
            }
        }
        let residuals: Vec<f64> = datasets
            .iter()
            .zip(&level)
            .flat_map(|(&d, &a)| {
                let quality = &quality;
                (0..nm).filter_map(move |m| Some((cell(d, m)? - a - quality[m]).abs()))
            })
            .collect();
        let sigma = (1.4826 * median(residuals).unwrap_or(0.0)).max(MIN_SIGMA);
        let rows = datasets
            .iter()
            .zip(&level)
            .map(|(&d, &a)| {
                (0..nm)
                    .map(|m| {
                        let fit = a + quality[m];
                        cell(d, m).map_or(fit, |v| fit + (v - fit).clamp(-3.0 * sigma, 3.0 * sigma))
                    })
                    .collect()
            })
            .collect();
        Experts {
            datasets,
            level,
            quality,
            sigma,
            rows,
        }
    }

    /// The median level of the training datasets (`None` without any).
    pub fn median_level(&self) -> Option<f64> {
        median(self.level.clone())
    }
}

/// Median of `v` (`None` when empty).
pub(crate) fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

/// A zoo of `b.len()` models and `datasets` datasets whose records follow the additive model
/// exactly: `logit acc(m, d) = a[d] + b[m]` for every model `m` on each of the first
/// `a.len()` datasets (the others have no record).
#[cfg(test)]
pub(crate) fn additive_zoo(a: &[f64], b: &[f64], datasets: usize) -> zoorank_core::Zoo {
    let mut z = zoorank_core::Zoo::from_names(
        (0..b.len()).map(|m| format!("m{m}")),
        (0..datasets).map(|d| format!("d{d}")),
    );
    for (d, ad) in a.iter().enumerate() {
        for (m, bm) in b.iter().enumerate() {
            z.records
                .push(zoorank_core::Record::new(m, d, expit(ad + bm)));
        }
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logit_and_expit_invert_each_other_inside_the_floor() {
        for p in [0.001, 0.2, 0.5, 0.93, 0.999] {
            assert!((expit(logit(p)) - p).abs() < 1e-12, "{p}");
        }
        assert_eq!(logit(1.0), logit(1.0 - ACC_FLOOR));
        assert!((logit(0.0) + logit(1.0)).abs() < 1e-12);
    }

    #[test]
    fn an_exactly_additive_history_is_recovered() {
        // logit acc = a_d + b_m exactly: the fit leaves no residual and the rows are the data.
        let a = [0.5, 2.0, -0.3];
        let b = [0.0, 1.0, -1.0, 0.4];
        let z = additive_zoo(&a, &b, 3);
        let h = History::new(&z);
        let e = Experts::new(&h, None);
        assert_eq!(e.datasets, vec![0, 1, 2]);
        assert_eq!(e.sigma, MIN_SIGMA);
        for (i, d) in e.datasets.iter().enumerate() {
            for (m, bm) in b.iter().enumerate() {
                let want = a[*d] + bm;
                assert!((e.rows[i][m] - want).abs() < 1e-9, "d{d} m{m}");
                assert!((e.level[i] + e.quality[m] - want).abs() < 1e-9);
            }
        }
        // Leaving a dataset out drops its row.
        assert_eq!(Experts::new(&h, Some(1)).datasets, vec![0, 2]);
    }
}
