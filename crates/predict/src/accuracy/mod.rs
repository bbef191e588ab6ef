//! Predicted accuracies a user can act on: a level for every candidate that stays inside what
//! is physically possible, an interval whose coverage is calibrated on the zoo's own history,
//! and predictions that move with the runs the user has already made on the target.
//!
//! For a target view and a method's ranking of its candidates:
//!
//! 1. **Cold prediction.** Each candidate's logit accuracy `c_m`: the method's own prediction
//!    where it makes one, else the candidate's rank mapped onto the typical shape of a
//!    dataset's accuracies, moved to the level the target's descriptors predict where they
//!    are known ([`cold_logits`]).
//! 2. **Conditioning on observed runs** ([`condition`]). Runs on the target are evidence of
//!    which experts to trust: the method's cold prediction and one expert per training
//!    dataset (its accuracies, [`experts::Experts`]). Each expert is shifted to the observed
//!    level (mean residual) and weighted by prior × `exp(−SSE / 2σ²)` of its fit to the
//!    observed runs; the prediction is the weighted mean. Observed models take their recorded
//!    value. With no observed run the cold prediction is unchanged.
//! 3. **Intervals** ([`calibrate`]): split conformal over the training datasets of the view.
//!    Each training dataset k (by weight, at most `max_folds`) is hidden in turn; the method
//!    ranks it from the rest, the same steps 1–2 run with as many observed runs as the user has
//!    (the user's models where k has them, else k's top-ranked ones), and the signed logit
//!    residuals of the unobserved models are pooled, each dataset weighted by its evaluation
//!    weight (max − mean accuracy) shared over its models. The interval is
//!    `[expit(u + q_lo), expit(u + q_hi)]` for q_lo, q_hi the residuals' weighted quantiles at
//!    the split-conformal levels of the number of folds (datasets, not residuals, are the
//!    exchangeable units: [`interval_offsets`]). Nothing of the target's records is read: the
//!    view has none, and every fold is a sub-view of it.
//!
//! Working in logit space keeps every level and bound inside (0, 1) and makes a residual near
//! the ceiling (0.97 vs 0.99) count like one in the middle (0.70 vs 0.83).

pub mod experts;
pub mod probes;
pub mod strategy;
pub mod trained;

use crate::rank::cv::{fold_datasets, fold_view, rank_fold};
use crate::rank::history::History;
use crate::rank::{ModelScore, PredictError, Ranker, TargetView};
use experts::{expit, logit, Experts};
use rayon::prelude::*;
use std::collections::BTreeMap;
use zoorank_core::{DatasetIdx, ModelIdx};

/// The interval coverage asked for by default.
pub const DEFAULT_COVERAGE: f64 = 0.8;
/// Most training datasets hidden in turn to calibrate intervals (each is one more ranking).
pub const CALIBRATION_FOLDS: usize = 12;
/// Prior weight of the method's own prediction against the training datasets together (which
/// share `1 −` it by similarity to the target). With one observed run every expert fits it
/// exactly, so the prior alone mixes them: an even split pulled the ranking toward the
/// datasets' average, worse than the method's (`trend+lr` on the image zoo's validation
/// targets, weighted τ after one run: 0.497 at 0.5, 0.556 at 0.8, 0.607 at 0.95, 0.612 at
/// 0.99, against 0.613 before any run). 0.95 lets the datasets take over once the runs
/// single them out.
pub const METHOD_PRIOR: f64 = 0.95;
/// Strength (in squared logits) of the ridge pulling an expert's fitted slope toward 1 when
/// conditioning: a few runs of alike models must not flatten or stretch a whole ranking.
pub const SCALE_PRIOR: f64 = 1.0;

/// A run on the target the user has made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// The model.
    pub model: ModelIdx,
    /// Its accuracy on the target.
    pub accuracy: f64,
}

/// A candidate's predicted accuracy with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The model.
    pub model: ModelIdx,
    /// Ranking score (the method's own without observed runs, else the conditioned logit
    /// accuracy); higher = better.
    pub score: f64,
    /// Predicted accuracy (the recorded one for an observed model).
    pub predicted: f64,
    /// Lower bound of the interval (`None` when it could not be calibrated).
    pub low: Option<f64>,
    /// Upper bound.
    pub high: Option<f64>,
    /// Whether the accuracy was observed rather than predicted.
    pub observed: bool,
}

/// Each candidate's cold logit accuracy, in the order of `scores`: a map of the method's score
/// that keeps its order.
///
/// Where the method predicts an accuracy for every candidate, the least-squares line of those
/// predictions' logits on the scores (a blend such as `trend+lr` ranks by a mix of scores but
/// predicts from its learned part, so its predictions need not follow its order). On the
/// image zoo's validation targets this line gave `trend+lr` an MAE of 0.073 against 0.083
/// for the rank-quantile map below. Otherwise
/// (popularity, stored scores, …) the candidate at rank fraction `p` (0 = worst, 1 = best)
/// gets the median training dataset level plus the mean over training datasets of their
/// `p`-quantile's distance above their own level: the accuracy a model ranked there
/// typically has.
///
/// Where the target's descriptors are known ([`History::descriptors_level`]), the whole map
/// is then moved by one logit offset so that the candidates' mean predicted accuracy is the
/// level the descriptors predict ([`at_mean_accuracy`]): the method keeps its shape, the
/// level comes from how much data per class the target has, how far it lies from the
/// models' pre-training and how many classes it has. On the image zoo's validation targets
/// this took `trend+lr`'s cold MAE from 0.073 to 0.037 (BENCHMARKS.md, "Cold start").
/// Conditioning on runs refits every expert's offset, so with one run or more the offset no
/// longer matters.
pub fn cold_logits(
    scores: &[ModelScore],
    experts: &Experts,
    h: &History,
    target: DatasetIdx,
) -> Vec<f64> {
    let shape = cold_shape(scores, experts, h);
    match h.descriptors_level(target) {
        Some(level) if !shape.is_empty() => at_mean_accuracy(&shape, level),
        _ => shape,
    }
}

/// `logits` moved by the one offset that makes their mean accuracy `level` (bisection; a
/// level outside (0, 1) gives the nearest reachable mean).
pub fn at_mean_accuracy(logits: &[f64], level: f64) -> Vec<f64> {
    let mean_at = |delta: f64| {
        logits.iter().map(|&x| expit(x + delta)).sum::<f64>() / logits.len().max(1) as f64
    };
    let (mut lo, mut hi) = (-30.0, 30.0);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if mean_at(mid) < level {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let delta = 0.5 * (lo + hi);
    logits.iter().map(|&x| x + delta).collect()
}

/// [`cold_logits`] before the descriptors' level.
fn cold_shape(scores: &[ModelScore], experts: &Experts, h: &History) -> Vec<f64> {
    if !scores.is_empty() && scores.iter().all(|s| s.predicted_accuracy.is_some()) {
        let x: Vec<f64> = scores.iter().map(|s| s.score).collect();
        let y: Vec<f64> = scores
            .iter()
            .map(|s| logit(s.predicted_accuracy.expect("checked")))
            .collect();
        let n = x.len() as f64;
        let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
        let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
        let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
        // A flat or inverted line would throw the method's order away: keep the mean level.
        let slope = if sxx > 0.0 { (sxy / sxx).max(0.0) } else { 0.0 };
        return x.iter().map(|v| my + slope * (v - mx)).collect();
    }
    let level = experts.median_level().unwrap_or(0.0);
    let shapes: Vec<Vec<f64>> = experts
        .datasets
        .iter()
        .zip(&experts.level)
        .map(|(&d, &a)| {
            let mut v: Vec<f64> = h.best[d].iter().flatten().map(|&x| logit(x) - a).collect();
            v.sort_by(f64::total_cmp);
            v
        })
        .collect();
    let n = scores.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[a].score.total_cmp(&scores[b].score));
    let mut out = vec![level; n];
    for (r, &i) in order.iter().enumerate() {
        let p = (r as f64 + 0.5) / n as f64;
        let devs: Vec<f64> = shapes
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s[((p * s.len() as f64) as usize).min(s.len() - 1)])
            .collect();
        if !devs.is_empty() {
            out[i] = level + devs.iter().sum::<f64>() / devs.len() as f64;
        }
    }
    out
}

/// Prior weight of each expert: the method's prediction [`METHOD_PRIOR`], each training
/// dataset a share of the rest by its similarity to the target where distances exist
/// ([`History::weights`]), else an equal share.
fn priors(experts: &Experts, h: &History, target: DatasetIdx) -> Vec<f64> {
    let sim = h.weights(target);
    let raw: Vec<f64> = experts
        .datasets
        .iter()
        .map(|d| match &sim {
            Some(w) => w.get(d).copied().unwrap_or(0.0),
            None => 1.0,
        })
        .collect();
    let total: f64 = raw.iter().sum();
    let mp = METHOD_PRIOR;
    let mut p = vec![mp];
    p.extend(raw.iter().map(|r| {
        if total > 0.0 {
            (1.0 - mp) * r / total
        } else {
            (1.0 - mp) / raw.len() as f64
        }
    }));
    p
}

/// The conditioned logit accuracy of every candidate (module docs, step 2), and how much the
/// experts disagree on it (weighted standard deviation of their shifted predictions). `cold[i]`
/// is candidate `candidates[i]`'s cold logit; `observed` holds (candidate position, observed
/// logit). Observed candidates get their observed value and no spread. Without observed runs
/// the prediction is the cold one, and each expert is shifted to the cold prediction's mean
/// over the candidates (only the spread reads them then).
pub fn condition(
    cold: &[f64],
    candidates: &[ModelIdx],
    experts: &Experts,
    prior: &[f64],
    observed: &[(usize, f64)],
) -> (Vec<f64>, Vec<f64>) {
    let row = expert_row(cold, candidates, experts);
    let n_experts = experts.rows.len() + 1;
    let n = cold.len();
    let s2 = 2.0 * experts.sigma * experts.sigma;
    let mut offsets = Vec::with_capacity(n_experts);
    let mut log_w = Vec::with_capacity(n_experts);
    let mut scales = Vec::with_capacity(n_experts);
    for (j, &pj) in prior.iter().enumerate().take(n_experts) {
        if observed.is_empty() {
            let gap: f64 = (0..n).map(|i| cold[i] - row(j, i)).sum::<f64>() / n.max(1) as f64;
            offsets.push(gap);
            scales.push(1.0);
            log_w.push(pj.max(1e-300).ln());
            continue;
        }
        // y ≈ mean_y + s (x − mean_x): the slope shrunk toward 1 (ridge of strength
        // SCALE_PRIOR), so one run or runs of alike models keep the expert's own spread.
        let k = observed.len() as f64;
        let mx = observed.iter().map(|&(i, _)| row(j, i)).sum::<f64>() / k;
        let my = observed.iter().map(|&(_, y)| y).sum::<f64>() / k;
        let sxx: f64 = observed
            .iter()
            .map(|&(i, _)| (row(j, i) - mx).powi(2))
            .sum();
        let sxy: f64 = observed
            .iter()
            .map(|&(i, y)| (row(j, i) - mx) * (y - my))
            .sum();
        let slope = ((sxy + SCALE_PRIOR) / (sxx + SCALE_PRIOR)).max(0.0);
        let sse: f64 = observed
            .iter()
            .map(|&(i, y)| (y - my - slope * (row(j, i) - mx)).powi(2))
            .sum();
        offsets.push(my - slope * mx);
        scales.push(slope);
        log_w.push(pj.max(1e-300).ln() - sse / s2);
    }
    let mix = Mixture::new(&log_w, n, |j, i| offsets[j] + scales[j] * row(j, i));
    let mut mean = if observed.is_empty() {
        cold.to_vec()
    } else {
        mix.mean
    };
    let mut spread = mix.spread;
    for &(i, y) in observed {
        mean[i] = y;
        spread[i] = 0.0;
    }
    (mean, spread)
}

/// Expert `j`'s logit accuracy for candidate position `i`: the method's cold prediction for
/// `j = 0`, training dataset `j − 1`'s row otherwise.
pub(crate) fn expert_row<'a>(
    cold: &'a [f64],
    candidates: &'a [ModelIdx],
    experts: &'a Experts,
) -> impl Fn(usize, usize) -> f64 + 'a {
    move |j, i| {
        if j == 0 {
            cold[i]
        } else {
            experts.rows[j - 1][candidates[i]]
        }
    }
}

/// The experts' mixture over `n` candidates: weights `exp(log_w − max log_w)` and, per
/// candidate, the weighted mean and standard deviation of the experts' predictions.
pub(crate) struct Mixture {
    /// Unnormalised weight per expert.
    pub w: Vec<f64>,
    /// Sum of `w`.
    pub total: f64,
    /// Weighted mean prediction per candidate.
    pub mean: Vec<f64>,
    /// Weighted standard deviation per candidate.
    pub spread: Vec<f64>,
}

impl Mixture {
    /// Mixes `pred(j, i)`, expert `j`'s prediction for candidate `i`, with log weights `log_w`.
    pub(crate) fn new(log_w: &[f64], n: usize, pred: impl Fn(usize, usize) -> f64) -> Mixture {
        let top = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = log_w.iter().map(|l| (l - top).exp()).collect();
        let total: f64 = w.iter().sum();
        let mut mean = Vec::with_capacity(n);
        let mut spread = Vec::with_capacity(n);
        for i in 0..n {
            let m = (0..w.len()).map(|j| w[j] * pred(j, i)).sum::<f64>() / total;
            let v = (0..w.len())
                .map(|j| w[j] * (pred(j, i) - m).powi(2))
                .sum::<f64>()
                / total;
            mean.push(m);
            spread.push(v.sqrt());
        }
        Mixture {
            w,
            total,
            mean,
            spread,
        }
    }
}

/// One view's ranking, ready to be conditioned on observed runs again and again (a budget
/// loop re-asks after every run): the history's experts, the cold predictions and the priors,
/// computed once.
#[derive(Debug, Clone)]
pub struct Conditioner {
    scores: Vec<ModelScore>,
    models: Vec<ModelIdx>,
    trained_on_target: Vec<bool>,
    experts: Experts,
    cold: Vec<f64>,
    prior: Vec<f64>,
}

/// A candidate's state under some observed runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Conditioned {
    /// Candidates, in the ranking's order.
    pub models: Vec<ModelIdx>,
    /// Conditioned logit accuracy per candidate.
    pub logits: Vec<f64>,
    /// Disagreement of the experts per candidate (logit; 0 for an observed one).
    pub spread: Vec<f64>,
    /// Observed or not, per candidate.
    pub observed: Vec<bool>,
    /// Ranking score per candidate: the method's own without observed runs, else the logit.
    pub scores: Vec<f64>,
    /// Per candidate, whether the zoo says it was already fine-tuned on the target
    /// ([`trained::trained_on_target`]).
    pub trained_on_target: Vec<bool>,
}

impl Conditioned {
    /// Whether some candidate was run (or counts as run): from then on the budget loop's
    /// strategies pick among the candidates trained on the target first
    /// ([`strategy::Strategy::pick`]).
    pub fn past_first_pick(&self) -> bool {
        self.observed.iter().any(|&o| o)
    }
}

impl Conditioner {
    /// Prepares `scores` (the method's ranking of `view`'s candidates).
    pub fn new(view: &TargetView, scores: &[ModelScore]) -> Conditioner {
        let h = History::new(&view.zoo);
        let experts = Experts::new(&h, Some(view.target));
        let cold = cold_logits(scores, &experts, &h, view.target);
        let prior = priors(&experts, &h, view.target);
        let models: Vec<ModelIdx> = scores.iter().map(|s| s.model).collect();
        Conditioner {
            scores: scores.to_vec(),
            trained_on_target: trained::trained_on_target(&view.zoo, &models, view.target),
            models,
            experts,
            cold,
            prior,
        }
    }

    /// The candidates, in the ranking's order.
    pub fn models(&self) -> &[ModelIdx] {
        &self.models
    }

    /// The method's ranking the conditioner was made from.
    pub fn scores(&self) -> &[ModelScore] {
        &self.scores
    }

    /// The history's experts (e.g. for clustering the candidates by their records).
    pub fn experts(&self) -> &Experts {
        &self.experts
    }

    /// Positions and logits of the runs of candidates among `runs`.
    pub(super) fn positions(&self, runs: &[Observation]) -> Vec<(usize, f64)> {
        let pos: BTreeMap<ModelIdx, usize> = self
            .models
            .iter()
            .enumerate()
            .map(|(i, &m)| (m, i))
            .collect();
        runs.iter()
            .filter_map(|o| Some((*pos.get(&o.model)?, logit(o.accuracy))))
            .collect()
    }

    /// Conditions on `observed` (runs of models that are not candidates are ignored).
    pub fn condition(&self, observed: &[Observation]) -> Conditioned {
        let obs = self.positions(observed);
        let (logits, spread) =
            condition(&self.cold, &self.models, &self.experts, &self.prior, &obs);
        let own = obs
            .is_empty()
            .then(|| self.scores.iter().map(|s| s.score).collect());
        self.state(&obs, logits, spread, own)
    }

    /// The state for conditioned `logits` and `spread` with the candidates at `obs` marked
    /// observed, ranked by `scores` when given, else by the logits.
    pub(super) fn state(
        &self,
        obs: &[(usize, f64)],
        logits: Vec<f64>,
        spread: Vec<f64>,
        scores: Option<Vec<f64>>,
    ) -> Conditioned {
        let mut observed = vec![false; self.models.len()];
        for &(i, _) in obs {
            observed[i] = true;
        }
        Conditioned {
            models: self.models.clone(),
            trained_on_target: self.trained_on_target.clone(),
            scores: scores.unwrap_or_else(|| logits.clone()),
            logits,
            spread,
            observed,
        }
    }

    /// Every candidate's [`Estimate`] under `observed`, with intervals from `calibration`
    /// when given; best first.
    pub fn estimates(
        &self,
        observed: &[Observation],
        calibration: Option<&Calibration>,
    ) -> Vec<Estimate> {
        self.estimates_of(self.condition(observed), observed, calibration)
    }

    /// The estimates of the conditioned state `c` (`observed`: the fine-tunes it holds).
    fn estimates_of(
        &self,
        c: Conditioned,
        observed: &[Observation],
        calibration: Option<&Calibration>,
    ) -> Vec<Estimate> {
        let mut out: Vec<Estimate> = (0..c.models.len())
            .map(|i| {
                let u = c.logits[i];
                let recorded = c.observed[i]
                    .then(|| observed.iter().find(|o| o.model == c.models[i]))
                    .flatten()
                    .map(|o| o.accuracy);
                let (low, high) = match (recorded, calibration) {
                    (Some(a), _) => (Some(a), Some(a)),
                    (None, Some(cal)) => (Some(expit(u + cal.low)), Some(expit(u + cal.high))),
                    (None, None) => (None, None),
                };
                Estimate {
                    model: c.models[i],
                    score: c.scores[i],
                    predicted: recorded.unwrap_or_else(|| expit(u)),
                    low,
                    high,
                    observed: c.observed[i],
                }
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.model.cmp(&b.model)));
        out
    }
}

/// Interval offsets (in logit) calibrated on a view's training datasets, at a coverage: the
/// quantiles of the signed residuals (true − predicted) at `(1 − coverage) / 2` and
/// `(1 + coverage) / 2`. Signed, because a zoo's surprises are lopsided: a new dataset much
/// harder than the zoo's usual ones is likelier than one much easier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Coverage asked for.
    pub coverage: f64,
    /// Lower offset (≤ `high`).
    pub low: f64,
    /// Upper offset.
    pub high: f64,
    /// Training datasets the residuals came from.
    pub folds: usize,
}

/// Fewest models with a result on a training dataset for it to calibrate intervals.
const MIN_FOLD_MODELS: usize = 3;

/// Calibrates intervals for `view` with `ranker` and `n_observed` observed runs of the models
/// `observed_models` (module docs, step 3). `Ok(None)` when no training dataset can serve as a
/// fold.
///
/// # Errors
/// The ranker's errors other than a fold it has nothing to learn for.
pub fn calibrate(
    ranker: &dyn Ranker,
    view: &TargetView,
    observed_models: &[ModelIdx],
    coverage: f64,
    max_folds: usize,
) -> Result<Option<Calibration>, PredictError> {
    Ok(CalibrationFolds::rank(ranker, view, max_folds)?.calibrate(observed_models, coverage))
}

/// The calibration folds of a view, ranked once: a fold's ranking does not depend on the runs
/// observed on the target, so a budget loop (or its simulation) calibrates after every run by
/// conditioning the same rankings again.
#[derive(Debug, Clone)]
pub struct CalibrationFolds {
    /// The folds that could be ranked, in fold order.
    folds: Vec<Fold>,
}

/// One calibration fold: a training dataset hidden and ranked.
#[derive(Debug, Clone)]
struct Fold {
    /// Its evaluation weight.
    weight: f64,
    /// Its ranking, prepared for conditioning.
    ranking: Conditioner,
    /// Its recorded accuracies, per model of the zoo.
    truth: Vec<Option<f64>>,
}

impl CalibrationFolds {
    /// Ranks up to `max_folds` training datasets of `view`, each hidden in turn (module docs,
    /// step 3).
    ///
    /// # Errors
    /// The ranker's errors other than a fold it has nothing to learn for.
    pub fn rank(
        ranker: &dyn Ranker,
        view: &TargetView,
        max_folds: usize,
    ) -> Result<CalibrationFolds, PredictError> {
        let best = view.zoo.best_accuracies();
        let folds = fold_datasets(view, &best, MIN_FOLD_MODELS, max_folds);
        // The folds are independent: ranked in parallel, kept in fold order (the same value
        // on any number of threads; the first fold's error in that order is the one returned).
        let ranked: Vec<Result<Option<Fold>, PredictError>> = folds
            .par_iter()
            .map(|&(k, weight)| {
                let inner = fold_view(view, k, &best);
                Ok(rank_fold(ranker, &inner)?.map(|scores| Fold {
                    weight,
                    ranking: Conditioner::new(&inner, &scores),
                    truth: best[k].clone(),
                }))
            })
            .collect();
        let mut kept = Vec::new();
        for fold in ranked {
            kept.extend(fold?);
        }
        Ok(CalibrationFolds { folds: kept })
    }

    /// Folds that could be ranked.
    pub fn len(&self) -> usize {
        self.folds.len()
    }

    /// Whether no fold could be ranked.
    pub fn is_empty(&self) -> bool {
        self.folds.is_empty()
    }

    /// The interval offsets at `coverage` for a target with runs of `observed_models`: each
    /// fold conditioned on as many pseudo-observed runs, its unobserved models' signed logit
    /// residuals pooled ([`interval_offsets`]). `None` without folds.
    pub fn calibrate(&self, observed_models: &[ModelIdx], coverage: f64) -> Option<Calibration> {
        let kept: Vec<Vec<(f64, f64)>> = self
            .folds
            .iter()
            .map(|f| {
                let obs = pseudo_observed(f.ranking.scores(), &f.truth, observed_models);
                let c = f.ranking.condition(&obs);
                let res: Vec<f64> = c
                    .models
                    .iter()
                    .zip(&c.logits)
                    .zip(&c.observed)
                    .filter(|(_, &o)| !o)
                    .filter_map(|((&m, &u), _)| Some(logit(f.truth[m]?) - u))
                    .collect();
                let share = f.weight / res.len().max(1) as f64;
                res.into_iter().map(|r| (r, share)).collect::<Vec<_>>()
            })
            .filter(|f| !f.is_empty())
            .collect();
        interval_offsets(&kept, coverage).map(|(low, high)| Calibration {
            coverage,
            low,
            high,
            folds: kept.len(),
        })
    }
}

/// The interval offsets `(low, high)` of the folds' weighted residuals `(residual, weight)`:
/// weighted quantiles of the pooled residuals at `t` and `1 − t` for the split-conformal tail
/// of `n` folds, `t = (1 − coverage·(n + 1)/n) / 2` (0 when `n` is too small for the
/// coverage: the smallest and largest residual).
///
/// The exchangeable units are the datasets, not the (model, dataset) pairs: every model's
/// residual on a dataset shares that dataset's level error, and the levels are what a zoo
/// gets most wrong (on the image zoo the folds' median residuals range from −2.4 to +4.5
/// logits, far more than the scatter around them). Pooled quantiles at the plain levels
/// `(1 − coverage) / 2` and `(1 + coverage) / 2` treat each residual as its own draw and
/// cover a new dataset whose level lies beyond the calibration datasets' badly
/// (leave-one-out over the image zoo's 12 datasets with records: 5 of them covered at
/// ≤ 0.39). Counting datasets: of n exchangeable units and a new one, the new one falls
/// inside a band that holds a share s of the n with probability about s·n/(n + 1), so a
/// band holding `coverage·(n + 1)/n` of the folds' mass covers `coverage`, and at most
/// 1/(n + 1) more. The correction is made once for the band, not once per tail: per tail, it
/// would guard each side against a new dataset beyond all the others, as if one dataset
/// could lie beyond both sides at once (BENCHMARKS.md, "Cold start"). `None` without
/// residuals.
fn interval_offsets(folds: &[Vec<(f64, f64)>], coverage: f64) -> Option<(f64, f64)> {
    let n = folds.len() as f64;
    let low_level = ((1.0 - coverage * (n + 1.0) / n) / 2.0).clamp(0.0, 0.5);
    let high_level = 1.0 - low_level;
    let pooled: Vec<(f64, f64)> = folds.iter().flatten().copied().collect();
    let low = weighted_quantile(pooled.clone(), low_level);
    let high = weighted_quantile(pooled, high_level);
    low.zip(high)
}

/// The runs that stand for the user's on a fold dataset: as many as the user made, their own
/// models where the fold has them, the fold's top-ranked models for the rest.
fn pseudo_observed(
    scores: &[ModelScore],
    truth: &[Option<f64>],
    observed_models: &[ModelIdx],
) -> Vec<Observation> {
    let mut out: Vec<Observation> = observed_models
        .iter()
        .filter_map(|&m| {
            Some(Observation {
                model: m,
                accuracy: truth.get(m).copied().flatten()?,
            })
        })
        .collect();
    let mut by_score: Vec<&ModelScore> = scores.iter().collect();
    by_score.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.model.cmp(&b.model)));
    for s in by_score {
        if out.len() >= observed_models.len() {
            break;
        }
        if out.iter().any(|o| o.model == s.model) {
            continue;
        }
        if let Some(a) = truth.get(s.model).copied().flatten() {
            out.push(Observation {
                model: s.model,
                accuracy: a,
            });
        }
    }
    out
}

/// The smallest value whose cumulative weight reaches `level` of the total (`None` when empty).
fn weighted_quantile(mut v: Vec<(f64, f64)>, level: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = v.iter().map(|x| x.1).sum();
    let mut acc = 0.0;
    for &(r, w) in &v {
        acc += w;
        if acc >= level * total - 1e-12 {
            return Some(r);
        }
    }
    v.last().map(|x| x.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoorank_core::{Record, Zoo};

    /// Three training datasets with different model orders, and a target.
    fn zoo() -> Zoo {
        let mut z = Zoo::from_names(
            (0..8).map(|m| format!("m{m}")),
            (0..4).map(|d| format!("d{d}")),
        );
        for m in 0..8 {
            let x = m as f64;
            z.records.push(Record::new(m, 0, expit(0.2 * x)));
            z.records.push(Record::new(m, 1, expit(1.4 - 0.2 * x)));
            z.records
                .push(Record::new(m, 2, expit(0.5 + ((x * 1.7).sin()))));
        }
        z
    }

    #[test]
    fn runs_that_follow_one_dataset_single_it_out() {
        let z = zoo();
        let h = History::new(&z);
        let experts = Experts::new(&h, Some(3));
        let models: Vec<ModelIdx> = (0..8).collect();
        // The cold prediction is flat: nothing favours any dataset.
        let cold = vec![0.5; 8];
        let prior = priors(&experts, &h, 3);
        assert!((prior.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // The target behaves like d1 shifted by +1 logit; three runs show it.
        let truth = |m: usize| 2.4 - 0.2 * m as f64;
        let obs: Vec<(usize, f64)> = [0, 3, 7].iter().map(|&m| (m, truth(m))).collect();
        let (mean, spread) = condition(&cold, &models, &experts, &prior, &obs);
        // (Up to the winsorising of d1's strongest departures from the additive fit.)
        for (m, &u) in mean.iter().enumerate() {
            assert!((u - truth(m)).abs() < 0.15, "m{m}: {u} vs {}", truth(m));
        }
        assert!(mean.windows(2).all(|w| w[0] > w[1]), "d1's order: {mean:?}");
        assert_eq!(spread[0], 0.0);
        // Without runs the cold prediction is kept.
        let (mean, _) = condition(&cold, &models, &experts, &prior, &[]);
        assert_eq!(mean, cold);
    }

    #[test]
    fn interval_offsets_count_datasets_in_the_conformal_levels() {
        // Each fold a constant level error. With 9 folds an 80 % band must hold 8/9 of their
        // mass: one fold (1/9) is more than either tail of 1/18, so the band reaches from the
        // lowest fold to the highest.
        let folds: Vec<Vec<(f64, f64)>> = (0..9).map(|k| vec![(k as f64 - 4.0, 0.1); 5]).collect();
        assert_eq!(interval_offsets(&folds, 0.8), Some((-4.0, 4.0)));
        // With 39 folds it holds 0.8 · 40/39 = 32/39 of them: 3.5 folds' worth is dropped at
        // each end, so the band runs from the 4th fold to the 36th.
        let folds: Vec<Vec<(f64, f64)>> = (0..39).map(|k| vec![(k as f64, 1.0); 2]).collect();
        let (lo, hi) = interval_offsets(&folds, 0.8).unwrap();
        assert_eq!((lo, hi), (3.0, 35.0));
        // Four folds: 0.8 · 5/4 = 1, the band must hold them all, from the lowest to the highest.
        let few: Vec<Vec<(f64, f64)>> = (0..4).map(|k| vec![(k as f64, 1.0)]).collect();
        assert_eq!(interval_offsets(&few, 0.8), Some((0.0, 3.0)));
        // A narrower coverage never widens the band.
        let (lo5, hi5) = interval_offsets(&folds, 0.5).unwrap();
        assert!(lo5 >= lo && hi5 <= hi && lo5 <= hi5);
        assert_eq!(interval_offsets(&[], 0.8), None);
    }

    #[test]
    fn a_level_moves_every_logit_by_one_offset_to_that_mean_accuracy() {
        let logits = [-1.0, 0.5, 2.0, 3.5];
        for level in [0.3, 0.62, 0.95] {
            let moved = at_mean_accuracy(&logits, level);
            let mean = moved.iter().map(|&x| expit(x)).sum::<f64>() / 4.0;
            assert!((mean - level).abs() < 1e-12, "{level}: {mean}");
            let d = moved[0] - logits[0];
            assert!(moved
                .iter()
                .zip(&logits)
                .all(|(m, l)| (m - l - d).abs() < 1e-12));
        }
        // Beyond what a mean can be, the nearest reachable.
        assert!(at_mean_accuracy(&logits, 1.5)
            .iter()
            .all(|&x| expit(x) > 1.0 - 1e-9));
    }

    #[test]
    fn weighted_quantile_counts_weights() {
        let v = vec![(1.0, 1.0), (2.0, 1.0), (3.0, 2.0)];
        assert_eq!(weighted_quantile(v.clone(), 0.25), Some(1.0));
        assert_eq!(weighted_quantile(v.clone(), 0.5), Some(2.0));
        assert_eq!(weighted_quantile(v.clone(), 0.51), Some(3.0));
        assert_eq!(weighted_quantile(Vec::new(), 0.5), None);
    }
}
