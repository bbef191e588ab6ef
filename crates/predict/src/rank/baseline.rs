//! Baselines: random, zoo popularity, and stored feature-based scores used as they are.

use super::error::PredictError;
use super::history::History;
use super::spec::Prior;
use super::view::{ModelScore, Ranker, TargetView};

/// Picking at random: every model gets the same score. The harness reports the expected
/// metrics of a random pick for it (Rel@k = mean/max accuracy, correlations 0).
#[derive(Debug, Clone, Copy)]
pub struct Random;

impl Ranker for Random {
    fn id(&self) -> String {
        "random".into()
    }
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        Ok(view
            .candidates
            .iter()
            .map(|&m| ModelScore {
                model: m,
                score: 0.0,
                predicted_accuracy: None,
            })
            .collect())
    }
}

/// Zoo popularity: for every other dataset, min-max normalise its models' ground truths; score
/// a model by the mean of its normalised values. Models with no history get the mean score.
#[derive(Debug, Clone, Copy)]
pub struct Popularity;

impl Ranker for Popularity {
    fn id(&self) -> String {
        "popularity".into()
    }
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        Ok(score_by_history(view, |h, m| h.popularity(m, None)))
    }
}

/// Popularity along each model's trend in the target's descriptors ([`History::trend`]:
/// samples per class and distance from the models' pre-training data): a model that does
/// better on datasets with many images per class than on small ones is moved up for a large
/// target and down for a small one, and likewise for datasets near to or far from what the
/// models were pre-trained on. Models with no history get the mean score. Id `trend`.
#[derive(Debug, Clone, Copy)]
pub struct Trend;

impl Ranker for Trend {
    fn id(&self) -> String {
        "trend".into()
    }
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        Ok(score_by_history(view, |h, m| h.trend(m, view.target)))
    }
}

/// Scores `view`'s candidates by `value(history, model)` over the view's history; a model
/// without a value gets the mean of the known ones (0 when none is known).
fn score_by_history(
    view: &TargetView,
    value: impl Fn(&History, usize) -> Option<f64>,
) -> Vec<ModelScore> {
    let h = History::new(&view.zoo);
    let values: Vec<Option<f64>> = view.candidates.iter().map(|&m| value(&h, m)).collect();
    let known: Vec<f64> = values.iter().flatten().copied().collect();
    let fill = if known.is_empty() {
        0.0
    } else {
        known.iter().sum::<f64>() / known.len() as f64
    };
    view.candidates
        .iter()
        .zip(values)
        .map(|(&m, p)| ModelScore {
            model: m,
            score: p.unwrap_or(fill),
            predicted_accuracy: None,
        })
        .collect()
}

/// A stored feature-based score (e.g. `logme`) on the target, used directly. Models without the
/// score are left out (the harness reports coverage).
#[derive(Debug, Clone)]
pub struct StoredScore {
    /// Method id.
    pub method: String,
}

impl Ranker for StoredScore {
    fn id(&self) -> String {
        self.method.clone()
    }
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        let mut by_model = std::collections::HashMap::new();
        for s in &view.zoo.scores {
            if s.dataset == view.target && s.method == self.method {
                by_model.insert(s.model, s.value);
            }
        }
        if by_model.is_empty() {
            return Err(PredictError::NoScores {
                method: self.method.clone(),
                target: view.zoo.datasets[view.target].name.clone(),
            });
        }
        Ok(view
            .candidates
            .iter()
            .filter_map(|&m| {
                by_model.get(&m).map(|&v| ModelScore {
                    model: m,
                    score: v,
                    predicted_accuracy: None,
                })
            })
            .collect())
    }
}

/// Shrinks a learned ranker toward a prior from the zoo's history: both score vectors are
/// standardised over the candidates and averaged with equal weight (fixed a priori, not tuned).
/// The learned part brings target-specific evidence (distances, metadata, scores); the prior
/// keeps the top of the ranking where a model that is good everywhere usually is.
/// Ids `pop+<learned>` and `trend+<learned>`, e.g. `pop+xgb`, `trend+lr`.
pub struct Blend {
    /// The prior.
    pub prior: Prior,
    /// The learned ranker.
    pub learned: Box<dyn Ranker>,
}

/// A prior ranks as its baseline ([`Popularity`], [`Trend`]) and blends learned scores.
impl Prior {
    fn rank(self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        match self {
            Prior::Popularity => Popularity.rank(view),
            Prior::Trend => Trend.rank(view),
        }
    }

    /// What a [`Blend`] with this prior makes of the learned scores `learned` of `view`'s
    /// target (for callers that obtain them another way, e.g. a graph ranker's inductive
    /// path).
    ///
    /// # Errors
    /// The prior's ranking errors.
    pub fn blend(
        self,
        view: &TargetView,
        learned: Vec<ModelScore>,
    ) -> Result<Vec<ModelScore>, PredictError> {
        let pop = self.rank(view)?;
        let by_model: std::collections::HashMap<usize, f64> =
            pop.iter().map(|s| (s.model, s.score)).collect();
        let a = standardise(&learned.iter().map(|s| s.score).collect::<Vec<_>>());
        let b = standardise(
            &learned
                .iter()
                .map(|s| by_model.get(&s.model).copied().unwrap_or(0.0))
                .collect::<Vec<_>>(),
        );
        Ok(learned
            .iter()
            .zip(a.iter().zip(&b))
            .map(|(s, (x, y))| ModelScore {
                model: s.model,
                score: 0.5 * x + 0.5 * y,
                predicted_accuracy: s.predicted_accuracy,
            })
            .collect())
    }
}

fn standardise(v: &[f64]) -> Vec<f64> {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt();
    v.iter()
        .map(|x| if sd > 0.0 { (x - m) / sd } else { 0.0 })
        .collect()
}

impl Ranker for Blend {
    fn id(&self) -> String {
        format!("{}+{}", self.prior.id(), self.learned.id())
    }
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        self.prior.blend(view, self.learned.rank(view)?)
    }
}

/// How many of the prior's top models [`Guard`] keeps on top. Chosen on the image zoo's
/// validation targets (eurosat, kitti, diabetic_retinopathy_detection,
/// smallnorb_label_azimuth), as the best mean weighted τ over `lr`, `pop+lr`, `lr+node2vec`
/// and `rf+graphsage` among k = 1, 3, 5, 10, 20 (0.492, 0.495, 0.497, 0.497, 0.494; Rel@1
/// 0.992 for every k; Pearson starts to drop at 20). See BENCHMARKS.md.
pub const GUARD_K: usize = 10;

/// Keeps the popularity prior's top picks on top of a learned ranking: the [`GUARD_K`] most
/// popular models (mean min-max normalised accuracy over the visible datasets), in popularity
/// order, are placed above every other model; the rest keep the learned order. Only models
/// with history on at least half as many datasets as the best-covered candidate can be lifted,
/// so that one lucky run does not make a model "popular". Predicted accuracies are the
/// learned ranker's, unchanged.
///
/// Why: across the zoos at hand the most popular model is close to the best one on nearly
/// every target (popularity's Rel@1 is 0.992–0.993 on the image zoo's validation and
/// published targets), while learned rankers model the bulk of the ranking better and
/// occasionally put a model that is weak on the target first (lr on stanfordcars). Ids
/// `guard+<learned>`, e.g. `guard+pop+lr`, `guard+lr+node2vec`.
pub struct Guard {
    /// The learned ranker.
    pub learned: Box<dyn Ranker>,
    /// Number of prior picks kept on top.
    pub k: usize,
}

impl Guard {
    /// The models `rank` lifts, most popular first, among `candidates`.
    pub fn lifted(&self, view: &TargetView, candidates: &[usize]) -> Vec<usize> {
        prior_top(view, candidates, self.k)
    }

    /// [`lift_prior_top`] with this guard's k.
    pub fn lift(&self, view: &TargetView, scores: &mut [ModelScore]) {
        lift_prior_top(view, scores, self.k)
    }
}

/// The `k` best-covered models of the popularity prior among `candidates`, most popular first
/// (what [`Guard`] lifts).
pub fn prior_top(view: &TargetView, candidates: &[usize], k: usize) -> Vec<usize> {
    let h = History::new(&view.zoo);
    let coverage: Vec<usize> = candidates
        .iter()
        .map(|&m| {
            h.train_datasets
                .iter()
                .filter(|&&d| h.norm[d][m].is_some())
                .count()
        })
        .collect();
    let most = coverage.iter().copied().max().unwrap_or(0);
    let mut eligible: Vec<(usize, f64)> = candidates
        .iter()
        .zip(&coverage)
        .filter(|&(_, &c)| c > 0 && 2 * c >= most)
        .filter_map(|(&m, _)| h.popularity(m, None).map(|p| (m, p)))
        .collect();
    eligible.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    eligible.truncate(k);
    eligible.into_iter().map(|e| e.0).collect()
}

/// Places [`prior_top`]'s `k` models above every other score of `scores` (a learned ranking of
/// `view`'s target), in the prior's order; the other scores and every predicted accuracy stay
/// as they are. What [`Guard`] does after its learned ranker, for callers that obtain the
/// learned scores another way (e.g. a graph ranker's inductive path).
pub fn lift_prior_top(view: &TargetView, scores: &mut [ModelScore], k: usize) {
    let models: Vec<usize> = scores.iter().map(|s| s.model).collect();
    let lifted = prior_top(view, &models, k);
    let (lo, hi) = scores
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| {
            (a.min(s.score), b.max(s.score))
        });
    // Just above the learned maximum, one small step per place, in the prior's order. The
    // lifted models mostly sat near the top already: Pearson moved by ≤ 0.002 on the image
    // zoo's target sets (BENCHMARKS.md).
    let step = if hi > lo { (hi - lo) * 1e-6 } else { 1e-6 };
    for s in scores.iter_mut() {
        if let Some(r) = lifted.iter().position(|&m| m == s.model) {
            s.score = hi + step * (lifted.len() - r) as f64;
        }
    }
}

impl Ranker for Guard {
    fn id(&self) -> String {
        format!("guard+{}", self.learned.id())
    }
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        let mut scores = self.learned.rank(view)?;
        self.lift(view, &mut scores);
        Ok(scores)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoorank_core::{Dataset, Model, Record, Zoo};

    /// 6 models on datasets a, b, c and the target t; model m's accuracy on a, b, c rises with
    /// m, except that m5 has a single (best) run on a only.
    fn zoo() -> Zoo {
        let mut z = Zoo::from_names((0..6).map(|i| format!("m{i}")), ["a", "b", "c", "t"]);
        for m in 0..5 {
            for d in 0..3 {
                z.records
                    .push(Record::new(m, d, 0.5 + 0.05 * m as f64 + 0.01 * d as f64));
            }
            z.records.push(Record::new(m, 3, 0.9 - 0.1 * m as f64));
        }
        z.records.push(Record::new(5, 0, 0.99));
        z
    }

    /// A "learned" ranker that scores model m by −m (the opposite of popularity).
    struct Reverse;
    impl Ranker for Reverse {
        fn id(&self) -> String {
            "reverse".into()
        }
        fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
            let every = Random.rank(view)?;
            Ok(every
                .into_iter()
                .map(|s| ModelScore {
                    score: -(s.model as f64),
                    predicted_accuracy: Some(0.1 * s.model as f64),
                    ..s
                })
                .collect())
        }
    }

    fn view(z: &Zoo) -> TargetView {
        TargetView {
            zoo: z.without_target_history(3),
            target: 3,
            candidates: (0..6).collect(),
            seed: 0,
        }
    }

    #[test]
    fn the_most_popular_well_covered_models_go_first_in_popularity_order() {
        let z = zoo();
        let g = Guard {
            learned: Box::new(Reverse),
            k: 2,
        };
        assert_eq!(g.id(), "guard+reverse");
        // m5 (one run, normalised 1.0) is not eligible; m4 and m3 are the most popular.
        assert_eq!(g.lifted(&view(&z), &(0..6).collect::<Vec<_>>()), [4, 3]);
        let s = g.rank(&view(&z)).unwrap();
        let mut order: Vec<usize> = (0..6).collect();
        order.sort_by(|&a, &b| s[b].score.total_cmp(&s[a].score));
        assert_eq!(order, [4, 3, 0, 1, 2, 5]);
        // Predicted accuracies stay the learned ranker's.
        for x in &s {
            assert_eq!(x.predicted_accuracy, Some(0.1 * x.model as f64));
        }
        // The target's own records play no part.
        let mut poisoned = z.clone();
        for r in poisoned.records.iter_mut().filter(|r| r.dataset == 3) {
            r.accuracy = 1.0 - r.accuracy;
        }
        assert_eq!(s, g.rank(&view(&poisoned)).unwrap());
    }

    #[test]
    fn k_larger_than_the_zoo_and_k_zero_are_fine() {
        let z = zoo();
        let all = Guard {
            learned: Box::new(Reverse),
            k: 100,
        };
        let s = all.rank(&view(&z)).unwrap();
        let mut order: Vec<usize> = (0..6).collect();
        order.sort_by(|&a, &b| s[b].score.total_cmp(&s[a].score));
        // Every eligible model, by popularity; m5 keeps its learned place below them.
        assert_eq!(order, [4, 3, 2, 1, 0, 5]);
        let none = Guard {
            learned: Box::new(Reverse),
            k: 0,
        };
        assert_eq!(
            none.rank(&view(&z)).unwrap(),
            Reverse.rank(&view(&z)).unwrap()
        );
    }

    /// Datasets d0, d1, d2 with log₁₀ samples per class 1, 2, 3 and a target t; m0 gets better
    /// with more data per class (0.5, 0.7, 0.9), m1 worse (0.9, 0.7, 0.5), m2 stays at 0.6.
    fn trend_zoo(target_size: Option<(f64, f64)>) -> TargetView {
        let mut z = Zoo::default();
        for i in 0..3 {
            z.add_model(Model::named(format!("m{i}")));
        }
        for (n, samples) in [("d0", 100.0), ("d1", 1000.0), ("d2", 10000.0)] {
            let mut d = Dataset::named(n);
            d.num_samples = Some(samples);
            d.num_classes = Some(10.0);
            z.add_dataset(d);
        }
        let mut t = Dataset::named("t");
        if let Some((samples, classes)) = target_size {
            t.num_samples = Some(samples);
            t.num_classes = Some(classes);
        }
        z.add_dataset(t);
        for (m, accs) in [[0.5, 0.7, 0.9], [0.9, 0.7, 0.5], [0.6, 0.6, 0.6]]
            .iter()
            .enumerate()
        {
            for (d, &a) in accs.iter().enumerate() {
                z.records.push(Record::new(m, d, a));
            }
        }
        TargetView {
            zoo: z,
            target: 3,
            candidates: vec![0, 1, 2],
            seed: 0,
        }
    }

    #[test]
    fn trend_moves_popularity_along_each_models_slope_in_samples_per_class() {
        // Normalised accuracies: m0 [0, 1, 1], m1 [1, 1, 0], m2 [0.25, 0, 0.25] at x = 1, 2, 3
        // (x̄ = 2). m0: pop 2/3, least-squares slope 1/2, shrunk by n / (n + λ) = 3 / 6 with
        // one standardised descriptor; m1: the opposite slope; m2: slope 0. No distances, so
        // samples per class is the only descriptor.
        assert_eq!(
            super::super::history::TREND_L2,
            3.0,
            "the hand values assume λ = 3"
        );
        let v = trend_zoo(Some((100_000.0, 10.0))); // x = 4
        let s = Trend.rank(&v).unwrap();
        let want = [2.0 / 3.0 + 0.25 * 2.0, 2.0 / 3.0 - 0.25 * 2.0, 1.0 / 6.0];
        for (got, want) in s.iter().zip(want) {
            assert!((got.score - want).abs() < 1e-12, "{s:?}");
        }
        // Popularity ties m0 and m1; the trend separates them, the other way round for a
        // target with little data per class (x = 0).
        let p = Popularity.rank(&v).unwrap();
        assert!((p[0].score - p[1].score).abs() < 1e-12);
        let small = Trend.rank(&trend_zoo(Some((1000.0, 1000.0)))).unwrap();
        assert!(small[1].score > small[0].score, "{small:?}");
        assert!((small[0].score - (2.0 / 3.0 - 0.25 * 2.0)).abs() < 1e-12);
        // Without the target's size the trend is popularity.
        let none = trend_zoo(None);
        let (t, p) = (Trend.rank(&none).unwrap(), Popularity.rank(&none).unwrap());
        for (a, b) in t.iter().zip(&p) {
            assert!((a.score - b.score).abs() < 1e-12, "{t:?} vs {p:?}");
        }
        assert_eq!(Trend.id(), "trend");
    }

    #[test]
    fn a_trend_blend_averages_the_standardised_trend_and_learned_scores() {
        let v = trend_zoo(Some((100_000.0, 10.0)));
        let b = Blend {
            prior: Prior::Trend,
            learned: Box::new(Popularity),
        };
        assert_eq!(b.id(), "trend+popularity");
        let got = b.rank(&v).unwrap();
        let t: Vec<f64> = Trend.rank(&v).unwrap().iter().map(|s| s.score).collect();
        let p: Vec<f64> = Popularity
            .rank(&v)
            .unwrap()
            .iter()
            .map(|s| s.score)
            .collect();
        let (zt, zp) = (standardise(&t), standardise(&p));
        for (i, s) in got.iter().enumerate() {
            assert!((s.score - 0.5 * (zt[i] + zp[i])).abs() < 1e-12, "{got:?}");
        }
        // m0 (rising) ahead of m1 (falling) for this large target, though popularity ties them.
        assert!(got[0].score > got[1].score, "{got:?}");
    }
}
