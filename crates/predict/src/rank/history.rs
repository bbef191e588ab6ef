//! [`History`]: what the fine-tuning records a ranker may see (the target's are already gone)
//! say about each model and dataset, for every ranker that learns from them: per dataset,
//! each model's best accuracy, min-max normalised and z-scored within the dataset; distances
//! between datasets; each dataset's size and its distance from the models' pre-training data;
//! and the priors built on them (popularity, trend) and the level of accuracy to expect.

use std::collections::BTreeMap;
use zoorank_core::{DatasetIdx, ModelIdx, Zoo};

/// Ridge penalty on a model's standardised slopes in [`History::trend`]. Chosen on the image
/// zoo's validation targets among 1, 3, 10 and 30 (BENCHMARKS.md, "Trend").
pub const TREND_L2: f64 = 3.0;

/// Summaries of the visible fine-tuning history.
#[derive(Debug, Clone)]
pub struct History {
    /// `best[d][m]`: best full fine-tuning accuracy of m on d.
    pub best: Vec<Vec<Option<f64>>>,
    /// Min-max normalised `best` within each dataset (1 = best model).
    pub norm: Vec<Vec<Option<f64>>>,
    /// z-scores of `best` within each dataset.
    pub z: Vec<Vec<Option<f64>>>,
    /// The regression target of history learners: the z-score of the accuracy within its
    /// dataset.
    pub y: Vec<Vec<Option<f64>>>,
    /// Mean and standard deviation of `best` per dataset (None without ≥ 2 models).
    pub moments: Vec<Option<(f64, f64)>>,
    /// Datasets with at least two models' records (usable as training targets), except the
    /// collapsed ones ([`zoorank_core::collapse`]: most runs at one chance level), whose
    /// `best` stays but nothing else is derived from them.
    pub train_datasets: Vec<DatasetIdx>,
    /// Symmetric distance matrix (first distance method of the zoo; `None` where unknown).
    pub distance: Vec<Vec<Option<f64>>>,
    /// Per dataset, `[log₁₀ #classes, log₁₀ #samples]` when both are known (for the level of
    /// accuracy to expect on a new dataset).
    pub size: Vec<Option<[f64; 2]>>,
    /// Per dataset, how far it is from what the zoo's models were pre-trained on: the mean
    /// distance from it to the source dataset of every model whose source has a distance to it
    /// (a source shared by many models counts as often); `None` without any.
    pub shift: Vec<Option<f64>>,
}

impl History {
    /// Summarises `zoo`'s (non-PEFT) records.
    pub fn new(zoo: &Zoo) -> History {
        let nd = zoo.datasets.len();
        let nm = zoo.models.len();
        let best = zoo.best_accuracies();
        let mut norm = vec![vec![None; nm]; nd];
        let mut z = vec![vec![None; nm]; nd];
        let mut moments = vec![None; nd];
        let mut train_datasets = Vec::new();
        for d in 0..nd {
            let vals: Vec<f64> = best[d].iter().flatten().copied().collect();
            if vals.len() < 2 || zoorank_core::collapse(&vals).is_some() {
                continue;
            }
            let (lo, hi) = vals
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            let mean = vals.iter().sum::<f64>() / vals.len() as f64;
            let sd =
                (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / vals.len() as f64).sqrt();
            moments[d] = Some((mean, sd));
            train_datasets.push(d);
            for m in 0..nm {
                if let Some(v) = best[d][m] {
                    norm[d][m] = Some(if hi > lo { (v - lo) / (hi - lo) } else { 0.5 });
                    z[d][m] = Some(if sd > 0.0 { (v - mean) / sd } else { 0.0 });
                }
            }
        }
        // The regression target: z-scores. Min-max normalised, percentile and mean-centred
        // targets were compared leave-one-target-out on the four image targets outside the
        // published eight (eurosat, kitti, diabetic_retinopathy_detection,
        // smallnorb_label_azimuth) and did worse there (BENCHMARKS.md).
        let y = z.clone();
        let distance = match zoo.distance_methods().first() {
            Some(method) => zoo.distance_matrix(method),
            None => vec![vec![None; nd]; nd],
        };
        let size = zoo
            .datasets
            .iter()
            .map(|d| match (d.num_classes, d.num_samples) {
                (Some(c), Some(n)) if c >= 1.0 && n >= 1.0 => Some([c.log10(), n.log10()]),
                _ => None,
            })
            .collect();
        let sources: Vec<DatasetIdx> = zoo
            .models
            .iter()
            .filter_map(|m| zoo.dataset_index(m.source_dataset.as_deref()?))
            .collect();
        let shift = (0..nd)
            .map(|d| mean(sources.iter().filter_map(|&s| distance[d][s])))
            .collect();
        History {
            best,
            norm,
            z,
            y,
            moments,
            train_datasets,
            distance,
            size,
            shift,
        }
    }

    /// Lowest and highest best accuracy recorded on the training datasets (`None` without
    /// any): the range a predicted accuracy is kept in, since no learned level or spread
    /// should promise more than any model ever reached in the zoo (a level + spread × z can
    /// exceed 1 for an accuracy).
    pub fn accuracy_range(&self) -> Option<(f64, f64)> {
        self.train_datasets
            .iter()
            .flat_map(|&d| self.best[d].iter().flatten().copied())
            .fold(None, |acc, v| match acc {
                None => Some((v, v)),
                Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
            })
    }

    /// Mean normalised accuracy of `m` over the datasets with its records, leaving out
    /// `exclude`.
    pub fn popularity(&self, m: ModelIdx, exclude: Option<DatasetIdx>) -> Option<f64> {
        mean(
            self.train_datasets
                .iter()
                .filter(|&&d| Some(d) != exclude)
                .filter_map(|&d| self.norm[d][m]),
        )
    }

    /// The dataset descriptors [`History::trend`] regresses on, for `d`: `[x₁, x₂]` with
    /// x₁ = log₁₀(#samples / #classes) (data per class) and x₂ = [`History::shift`] (distance
    /// from the models' pre-training); `None` where unknown.
    pub fn descriptors(&self, d: DatasetIdx) -> [Option<f64>; 2] {
        [self.size[d].map(|s| s[1] - s[0]), self.shift[d]]
    }

    /// `m`'s popularity over the training datasets other than `d`, moved along m's own trend
    /// in the dataset descriptors ([`History::descriptors`]) to `d`'s values.
    ///
    /// Over the datasets m was fine-tuned on that have every descriptor `d` has, m's min-max
    /// normalised accuracy y is regressed on the descriptors, standardised over those datasets,
    /// with a ridge penalty [`TREND_L2`] on the slopes (so each slope is its least-squares value
    /// shrunk toward 0; with one descriptor by n / (n + λ) for n datasets). The trend is
    /// `pop + Σ_k b_k (x_k(d) − x̄_k) / sd_k`. Plain popularity when `d` has no descriptor or m
    /// fewer than two such datasets. `None` without history.
    ///
    /// Why: models differ in how much data per class they need and in how far from their
    /// pre-training they still transfer. On the image zoo, BEiT and small models fall behind
    /// on datasets with few images per class (stanfordcars, dtd), and models differ in how they
    /// cope with datasets far from ImageNet-like images (svhn, smallnorb, diabetic
    /// retinopathy). One popularity per model cannot express either. The descriptors and λ
    /// were chosen on the validation targets only (BENCHMARKS.md, "Trend").
    pub fn trend(&self, m: ModelIdx, d: DatasetIdx) -> Option<f64> {
        let pop = self.popularity(m, Some(d))?;
        let xd = self.descriptors(d);
        let used: Vec<usize> = (0..2).filter(|&k| xd[k].is_some()).collect();
        if used.is_empty() {
            return Some(pop);
        }
        let pts: Vec<(Vec<f64>, f64)> = self
            .train_datasets
            .iter()
            .filter(|&&e| e != d)
            .filter_map(|&e| {
                let y = self.norm[e][m]?;
                let xe = self.descriptors(e);
                let x: Option<Vec<f64>> = used.iter().map(|&k| xe[k]).collect();
                Some((x?, y))
            })
            .collect();
        if pts.len() < 2 {
            return Some(pop);
        }
        let target: Vec<f64> = used.iter().map(|&k| xd[k].unwrap_or(0.0)).collect();
        Some(pop + ridge_trend(&pts, &target, TREND_L2))
    }

    /// Similarity weights of the other training datasets seen from `d`: softmax of
    /// −distance/σ (σ = spread of d's distances), over datasets with a known distance; `None`
    /// when d has no distances to them.
    pub fn weights(&self, d: DatasetIdx) -> Option<BTreeMap<DatasetIdx, f64>> {
        let ds: Vec<(DatasetIdx, f64)> = self
            .train_datasets
            .iter()
            .filter(|&&e| e != d)
            .filter_map(|&e| self.distance[d][e].map(|x| (e, x)))
            .collect();
        if ds.is_empty() {
            return None;
        }
        let m = ds.iter().map(|x| x.1).sum::<f64>() / ds.len() as f64;
        let sd = (ds.iter().map(|x| (x.1 - m).powi(2)).sum::<f64>() / ds.len() as f64).sqrt();
        let scale = if sd > 0.0 { sd } else { 1.0 };
        let lo = ds.iter().map(|x| x.1).fold(f64::INFINITY, f64::min);
        Some(
            ds.into_iter()
                .map(|(e, x)| (e, (-(x - lo) / scale).exp()))
                .collect(),
        )
    }

    /// The mean accuracy [`LevelEstimator::Descriptors`] predicts on `d` (which has no records
    /// in view), from the other training datasets: `None` unless `d` and at least five of them
    /// have both descriptors ([`History::descriptors`]) and a number of classes.
    pub fn descriptors_level(&self, d: DatasetIdx) -> Option<f64> {
        self.level(LevelEstimator::Descriptors, d, &self.others(d))
            .map(|m| m.0)
    }

    /// The training datasets other than `d`.
    fn others(&self, d: DatasetIdx) -> Vec<DatasetIdx> {
        self.train_datasets
            .iter()
            .copied()
            .filter(|&e| e != d)
            .collect()
    }

    /// Predicted mean and spread of the accuracies on `d` (which has no records in view):
    /// [`History::cross_validated_moments`] over [`LevelEstimator::ALL`].
    pub fn expected_moments(&self, d: DatasetIdx) -> Option<(f64, f64)> {
        self.cross_validated_moments(d, &LevelEstimator::ALL)
    }

    /// The estimator of `candidates` that best predicts the other training datasets' means,
    /// each left out in turn (so the choice is cross-validated over training datasets only),
    /// applied to `d` (the first candidate when fewer than three datasets can be left out,
    /// or when the chosen one cannot predict `d`). `None` without at least one other training
    /// dataset.
    pub fn cross_validated_moments(
        &self,
        d: DatasetIdx,
        candidates: &[LevelEstimator],
    ) -> Option<(f64, f64)> {
        let pool = self.others(d);
        let first = *candidates.first()?;
        let mut best: Option<(f64, LevelEstimator)> = None;
        if pool.len() >= 3 {
            for &est in candidates {
                let mut err = 0.0;
                let mut ok = true;
                for &e in &pool {
                    let rest: Vec<DatasetIdx> = pool.iter().copied().filter(|&x| x != e).collect();
                    match self.level(est, e, &rest) {
                        Some((mu, _)) => err += (mu - self.moments[e].expect("training").0).abs(),
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
                if ok && best.is_none_or(|(b, _)| err < b) {
                    best = Some((err, est));
                }
            }
        }
        let est = best.map_or(first, |(_, e)| e);
        self.level(est, d, &pool)
            .or_else(|| self.level(first, d, &pool))
    }

    /// `est`'s prediction of the mean and spread of accuracies on `d` from the datasets in
    /// `pool` (all training datasets with moments, not `d`).
    pub fn level(
        &self,
        est: LevelEstimator,
        d: DatasetIdx,
        pool: &[DatasetIdx],
    ) -> Option<(f64, f64)> {
        let moments: Vec<(DatasetIdx, f64, f64)> = pool
            .iter()
            .filter_map(|&e| self.moments[e].map(|(mu, sd)| (e, mu, sd)))
            .collect();
        if moments.is_empty() {
            return None;
        }
        match est {
            LevelEstimator::WeightedMean => {
                let w = self.weights(d);
                let (mut sw, mut sm, mut ss) = (0.0, 0.0, 0.0);
                for &(e, mu, sd) in &moments {
                    let we = match &w {
                        Some(w) => *w.get(&e).unwrap_or(&0.0),
                        None => 1.0,
                    };
                    sw += we;
                    sm += we * mu;
                    ss += we * sd;
                }
                (sw > 0.0).then(|| (sm / sw, ss / sw))
            }
            LevelEstimator::Median => Some((
                median(moments.iter().map(|m| m.1).collect()),
                median(moments.iter().map(|m| m.2).collect()),
            )),
            LevelEstimator::Size | LevelEstimator::Descriptors => {
                // Least squares of the mean on the features (ridge 1e-3 on standardised
                // columns), spread by the median.
                let features = |e: DatasetIdx| -> Option<Vec<f64>> {
                    let [classes, samples] = self.size[e]?;
                    match est {
                        LevelEstimator::Size => Some(vec![classes, samples]),
                        _ => match self.descriptors(e) {
                            [Some(a), Some(b)] => Some(vec![a, b, classes]),
                            _ => None,
                        },
                    }
                };
                let x0 = features(d)?;
                let rows: Vec<(Vec<f64>, f64)> = moments
                    .iter()
                    .filter_map(|&(e, mu, _)| Some((features(e)?, mu)))
                    .collect();
                if rows.len() < x0.len() + 2 {
                    return None;
                }
                let mu = fit_ridge_level(&rows, &x0)?;
                // No extrapolation beyond the levels seen.
                let (lo, hi) = rows
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), r| {
                        (a.min(r.1), b.max(r.1))
                    });
                Some((
                    mu.clamp(lo, hi),
                    median(moments.iter().map(|m| m.2).collect()),
                ))
            }
        }
    }
}

/// How [`History::expected_moments`] predicts the level of accuracies on a new dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelEstimator {
    /// Mean of the other datasets' means, weighted by similarity where distances exist.
    WeightedMean,
    /// Median of the other datasets' means (robust to a dataset whose runs mostly failed).
    Median,
    /// Linear in log #classes and log #samples (harder with more classes, fewer samples).
    Size,
    /// Linear in the trend's descriptors ([`History::descriptors`]: log samples per class and
    /// the distance from the models' pre-training; harder with fewer samples per class,
    /// farther from what the models saw) and log #classes.
    Descriptors,
}

impl LevelEstimator {
    /// The estimators [`History::expected_moments`] chooses among by cross-validation, in the
    /// order ties are broken ([`LevelEstimator::Descriptors`] sets the level of the predicted
    /// accuracies instead: [`History::descriptors_level`]).
    pub const ALL: [LevelEstimator; 3] = [
        LevelEstimator::WeightedMean,
        LevelEstimator::Median,
        LevelEstimator::Size,
    ];
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// `Σ_k b_k (t_k − x̄_k) / sd_k` for the ridge slopes `b` (penalty `lambda`, no penalty on the
/// intercept) of `y` on the columns of `x` standardised over `points` (a constant column gets
/// sd 1 and slope 0). Three columns at most: solved by Gaussian elimination on the k × k
/// normal equations, which a positive penalty keeps positive definite (no linear-algebra crate
/// is worth it for a 3 × 3 system).
fn ridge_trend(points: &[(Vec<f64>, f64)], t: &[f64], lambda: f64) -> f64 {
    let k = t.len();
    let n = points.len() as f64;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let mx: Vec<f64> = (0..k)
        .map(|j| points.iter().map(|p| p.0[j]).sum::<f64>() / n)
        .collect();
    let sd: Vec<f64> = (0..k)
        .map(|j| {
            let v = points.iter().map(|p| (p.0[j] - mx[j]).powi(2)).sum::<f64>() / n;
            if v > 1e-24 {
                v.sqrt()
            } else {
                1.0
            }
        })
        .collect();
    // Normal equations [AᵀA + λI | Aᵀ(y − ȳ)] of the standardised columns A.
    let mut a = vec![vec![0.0; k + 1]; k];
    for (x, y) in points {
        let z: Vec<f64> = (0..k).map(|j| (x[j] - mx[j]) / sd[j]).collect();
        for i in 0..k {
            for j in 0..k {
                a[i][j] += z[i] * z[j];
            }
            a[i][k] += z[i] * (y - my);
        }
    }
    for (i, row) in a.iter_mut().enumerate() {
        row[i] += lambda;
    }
    for c in 0..k {
        let (top, rest) = a.split_at_mut(c + 1);
        let pivot = &top[c];
        for row in rest.iter_mut() {
            let f = row[c] / pivot[c];
            for (x, p) in row.iter_mut().zip(pivot).skip(c) {
                *x -= f * p;
            }
        }
    }
    let mut b = vec![0.0; k];
    for i in (0..k).rev() {
        let s: f64 = (i + 1..k).map(|j| a[i][j] * b[j]).sum();
        b[i] = (a[i][k] - s) / a[i][i];
    }
    (0..k).map(|j| b[j] * (t[j] - mx[j]) / sd[j]).sum()
}

/// Prediction at `x0` of a ridge fit (α = 1e-3, standardised columns, free intercept) of
/// `rows` = (features, value); a constant column gets no slope, and `None` when every column
/// is constant (nothing to fit).
fn fit_ridge_level(rows: &[(Vec<f64>, f64)], x0: &[f64]) -> Option<f64> {
    let n = rows.len() as f64;
    let varies = |k: usize| {
        let m = rows.iter().map(|r| r.0[k]).sum::<f64>() / n;
        rows.iter().any(|r| (r.0[k] - m).abs() > 1e-12)
    };
    if !(0..x0.len()).any(varies) {
        return None;
    }
    let my = rows.iter().map(|r| r.1).sum::<f64>() / n;
    Some(my + ridge_trend(rows, x0, 1e-3))
}

pub(crate) fn mean(it: impl Iterator<Item = f64>) -> Option<f64> {
    let (s, n) = it.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| s / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoorank_core::{Dataset, Distance, Model, Record};

    #[test]
    fn ridge_trend_matches_numpy_and_least_squares_without_penalty() {
        // numpy: standardise the columns, solve (AᵀA + λI) b = Aᵀ(y − ȳ), predict at t.
        let x = [[1.0, 6.0], [2.0, 9.5], [2.5, 7.0], [3.0, 11.0], [4.0, 8.0]];
        let y = [0.2, 0.9, 0.4, 1.0, 0.6];
        let pts: Vec<(Vec<f64>, f64)> = x.iter().zip(y).map(|(x, y)| (x.to_vec(), y)).collect();
        let t = [3.5, 10.0];
        assert!((ridge_trend(&pts, &t, 3.0) - 0.202_443_172_005_154_63).abs() < 1e-12);
        // λ = 0 is ordinary least squares with an intercept (numpy.linalg.lstsq), minus ȳ.
        assert!((ridge_trend(&pts, &t, 0.0) - 0.285_986_525_505_293_4).abs() < 1e-12);
        // A constant column gets no slope.
        let flat: Vec<(Vec<f64>, f64)> = pts.iter().map(|p| (vec![5.0], p.1)).collect();
        assert_eq!(ridge_trend(&flat, &[7.0], 3.0), 0.0);
    }

    #[test]
    fn shift_is_the_mean_distance_to_the_models_sources_counting_each_model() {
        let mut z = Zoo::default();
        for n in ["src1", "src2", "t"] {
            z.add_dataset(Dataset::named(n));
        }
        for (name, src) in [
            ("a", Some("src1")),
            ("b", Some("src1")),
            ("c", Some("src2")),
        ] {
            let mut m = Model::named(name);
            m.source_dataset = src.map(String::from);
            z.add_model(m);
        }
        z.add_model(Model::named("no-source"));
        let dist = |a, b, value| Distance {
            a,
            b,
            method: "ds".into(),
            value,
        };
        z.distances = vec![dist(0, 2, 4.0), dist(1, 2, 10.0), dist(0, 1, 6.0)];
        z.records.push(Record::new(0, 2, 0.5));
        let h = History::new(&z);
        // t: a and b at 4 (src1), c at 10 (src2).
        assert!((h.shift[2].unwrap() - 6.0).abs() < 1e-12);
        // src1 is at 0 from itself for a and b, 6 from src2 for c.
        assert!((h.shift[0].unwrap() - 2.0).abs() < 1e-12);
        assert_eq!(h.descriptors(2), [None, h.shift[2]]);
        // Without distances there is no shift.
        z.distances.clear();
        assert_eq!(History::new(&z).shift, vec![None; 3]);
    }
}
