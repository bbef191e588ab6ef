//! The leave-one-dataset-out evaluation protocol (DESIGN.md), the only place that builds a
//! held-out view of a zoo.
//!
//! For each target t:
//! 1. ground truth T(m, t) = the maximum accuracy over m's records on t (PEFT runs excluded
//!    unless asked for);
//! 2. [`leave_one_out`] removes every record of t from the zoo (metadata, distances and
//!    feature-based scores of t stay) — nothing learned can see t's results;
//! 3. each method scores the models that have a ground truth on t;
//! 4. metrics per target (Pearson, Spearman, Kendall τ-b, weighted τ, Rel@1..5, Top@1..5) on
//!    the models the method scored, then a weighted average over targets with weight
//!    max_m T(m,t) − mean_m T(m,t).
//!
//! Under [`Protocol::Published`] (the rule of the TransferGraph authors' published text tables),
//! step 1 changes: per target, each model's best run is taken over full fine-tuning and PEFT
//! runs together, and a model whose best run is a PEFT run is left out of that target (no
//! ground truth, not a candidate); a tie between a PEFT run and a full fine-tuning run keeps
//! the model. The ground truth of a model kept is then its best full fine-tuning run. The
//! other datasets' history is as under the default protocol.
//!
//! Rel@k divides by the best ground truth among the models the method scored (all of them for
//! every method but stored-score baselines, which cover the models with that score), as the
//! published TransferGraph tables do.
//!
//! Conventions where a number must be chosen: the `random` baseline reports the expected value
//! of a random pick (correlations 0, Top@k = mean T, Rel@k = mean T / max T); a method whose
//! scores are constant on a target gets correlation 0 there (what a random order gets in
//! expectation); a method that scored fewer than two models of a target has no entry for it and
//! its average is over the targets it has.

pub use crate::accuracy::{accuracy_metric_names, accuracy_metrics};
use crate::metrics::{self, MetricError};
use crate::reveal::{RevealCurve, RevealOptions};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;
use zoorank_core::{DatasetIdx, ModelIdx, Zoo};
use zoorank_predict::accuracy::strategy::{clusters, Strategy};
use zoorank_predict::accuracy::{CalibrationFolds, Conditioner, Estimate, CALIBRATION_FOLDS};
use zoorank_predict::rank::{MethodSpec, ModelScore, PredictError, TargetView};

/// Metric names, in table order.
pub const METRICS: [&str; 14] = [
    "pearson",
    "spearman",
    "kendall",
    "w-kendall",
    "rel@1",
    "rel@2",
    "rel@3",
    "rel@4",
    "rel@5",
    "top@1",
    "top@2",
    "top@3",
    "top@4",
    "top@5",
];

/// Errors of the harness.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A `--targets` name is not a dataset of the zoo, or has no ground truth.
    #[error("target '{0}' has no fine-tuning records in this zoo (see `zoorank zoo datasets --with-records`)")]
    UnknownTarget(String),
    /// No target to evaluate.
    #[error("no target dataset with fine-tuning records of at least two models")]
    NoTargets,
    /// A method failed on a target.
    #[error("method '{method}' on target '{target}': {source}")]
    Method {
        /// Method id.
        method: String,
        /// Target name.
        target: String,
        /// Cause.
        source: PredictError,
    },
    /// A method cannot be built on this zoo (e.g. a stored score it does not have).
    #[error(transparent)]
    UnknownMethod(PredictError),
    /// A metric could not be computed.
    #[error("metric on target '{target}': {source}")]
    Metric {
        /// Target name.
        target: String,
        /// Cause.
        source: MetricError,
    },
}

/// Which runs make a target's ground truth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Every model with a run on the target; its best full fine-tuning run (PEFT runs too
    /// with `include_peft`).
    #[default]
    Default,
    /// The TransferGraph authors' rule for their published text tables: per target, a model
    /// whose best run over full fine-tuning and PEFT together is a PEFT run is left out.
    Published,
}

impl Protocol {
    /// Every protocol's name, as `--protocol` takes it.
    pub const NAMES: [&'static str; 2] = ["default", "published"];

    /// The protocol's ground truth of `target`: (model, accuracy), sorted by model.
    pub fn ground_truth(
        self,
        zoo: &Zoo,
        target: DatasetIdx,
        include_peft: bool,
    ) -> Vec<(ModelIdx, f64)> {
        match self {
            Protocol::Default => zoo.ground_truth(target, include_peft),
            Protocol::Published => {
                let full: BTreeMap<ModelIdx, f64> =
                    zoo.ground_truth(target, false).into_iter().collect();
                // A model is kept when a full fine-tuning run reaches its best over all runs.
                zoo.ground_truth(target, true)
                    .into_iter()
                    .filter(|(m, best)| full.get(m).is_some_and(|f| f >= best))
                    .collect()
            }
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::Default => "default",
            Protocol::Published => "published",
        })
    }
}

impl std::str::FromStr for Protocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "default" => Ok(Protocol::Default),
            "published" => Ok(Protocol::Published),
            _ => Err(format!(
                "unknown protocol '{s}' (expected one of: {})",
                Protocol::NAMES.join(", ")
            )),
        }
    }
}

/// Options of an evaluation run.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Target names; `None` = every dataset with records of at least two models.
    pub targets: Option<Vec<String>>,
    /// Count PEFT (e.g. LoRA) runs in the ground truth and the visible history.
    pub include_peft: bool,
    /// Which runs make each target's ground truth.
    pub protocol: Protocol,
    /// Seed handed to every ranker.
    pub seed: u64,
    /// Worker threads (targets × methods run in parallel; results do not depend on it).
    pub threads: usize,
    /// Also score the predicted accuracies: `mae` always, and intervals at this coverage
    /// (`coverage@80`, `width@80` for 0.8), calibrated per target on its view's training
    /// datasets ([`zoorank_predict::accuracy::calibrate`]; one more ranking per fold). With
    /// `reveal`, every step of the curves also gets the intervals' coverage and width.
    pub intervals: Option<f64>,
    /// Also simulate the budgeted loop ([`crate::reveal`]) with these options.
    pub reveal: Option<RevealOptions>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            targets: None,
            include_peft: false,
            protocol: Protocol::Default,
            seed: 0,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            intervals: None,
            reveal: None,
        }
    }
}

/// One method's results (the JSON shape scripts depend on).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct MethodReport {
    /// Metrics per target.
    pub per_target: BTreeMap<String, BTreeMap<String, f64>>,
    /// Weighted average per metric.
    pub weighted_average: BTreeMap<String, f64>,
    /// Wall-clock seconds per target (ranking only).
    pub seconds_per_target: BTreeMap<String, f64>,
    /// What the metrics were computed from: per target, (model name, the method's score, the
    /// true accuracy) for each scored model with a ground truth. For plots; not in the JSON,
    /// whose shape scripts depend on.
    #[serde(skip)]
    pub predictions: BTreeMap<String, Vec<(String, f64, f64)>>,
    /// With intervals: per target, (predicted accuracy, interval low, interval high, true
    /// accuracy) of each model with a ground truth. For the calibration plot; not in the JSON.
    #[serde(skip)]
    pub calibration: BTreeMap<String, Vec<[f64; 4]>>,
}

/// Facts about one target.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetInfo {
    /// Models with a ground truth.
    pub models: usize,
    /// Weight in the average: max − mean ground truth.
    pub weight: f64,
    /// Best ground truth.
    pub max_accuracy: f64,
    /// Models each method scored (coverage), when fewer than all.
    pub scored: BTreeMap<String, usize>,
}

/// A whole evaluation.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct EvalReport {
    /// Per method id.
    pub methods: BTreeMap<String, MethodReport>,
    /// Per target.
    pub targets: BTreeMap<String, TargetInfo>,
    /// (method, target, why) of every pair the method could not rank because there was
    /// nothing to learn from (no other dataset with fine-tuning records); the method's average
    /// is over the other targets. Not part of the JSON (its shape is fixed); the CLI warns.
    #[serde(skip)]
    pub skipped: Vec<(String, String, String)>,
    /// Per method, per strategy: the simulated budget loop's curves (when asked for).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub reveal: BTreeMap<String, BTreeMap<String, RevealCurve>>,
}

/// The held-out view of `zoo` for `target`: every record of the target removed; the
/// candidates are the models with a ground truth on it.
pub fn leave_one_out(zoo: &Zoo, target: DatasetIdx, include_peft: bool, seed: u64) -> TargetView {
    let candidates = zoo
        .ground_truth(target, include_peft)
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    let mut held = zoo.without_target_history(target);
    if !include_peft {
        held.records.retain(|r| r.peft_method.is_none());
    }
    TargetView {
        zoo: held,
        target,
        candidates,
        seed,
    }
}

/// The ground truth of `target` under `opts`' protocol.
fn truth_of(zoo: &Zoo, target: DatasetIdx, opts: &EvalOptions) -> Vec<(ModelIdx, f64)> {
    opts.protocol.ground_truth(zoo, target, opts.include_peft)
}

/// Resolves target names (or picks every dataset with ≥ 2 models' records).
pub fn resolve_targets(zoo: &Zoo, opts: &EvalOptions) -> Result<Vec<DatasetIdx>, EvalError> {
    let targets: Vec<DatasetIdx> = match &opts.targets {
        Some(names) => names
            .iter()
            .map(|n| {
                zoo.dataset_index(n)
                    .filter(|&d| truth_of(zoo, d, opts).len() >= 2)
                    .ok_or_else(|| EvalError::UnknownTarget(n.clone()))
            })
            .collect::<Result<_, _>>()?,
        None => zoo
            .datasets_with_records(opts.include_peft)
            .into_iter()
            .filter(|&d| truth_of(zoo, d, opts).len() >= 2)
            .collect(),
    };
    if targets.is_empty() {
        return Err(EvalError::NoTargets);
    }
    Ok(targets)
}

/// Metrics of `scores` against `truth` (aligned by model; models without a score ignored).
pub fn target_metrics(
    scores: &[ModelScore],
    truth: &BTreeMap<usize, f64>,
) -> Result<Option<BTreeMap<String, f64>>, MetricError> {
    let mut s = Vec::new();
    let mut t = Vec::new();
    for ms in scores {
        if let Some(&v) = truth.get(&ms.model) {
            s.push(ms.score);
            t.push(v);
        }
    }
    if s.len() < 2 {
        return Ok(None);
    }
    let corr = |r: Result<f64, MetricError>| match r {
        Err(MetricError::Constant { .. }) => Ok(0.0),
        other => other,
    };
    let mut out = BTreeMap::new();
    out.insert("pearson".into(), corr(metrics::pearson(&s, &t))?);
    out.insert("spearman".into(), corr(metrics::spearman(&s, &t))?);
    out.insert("kendall".into(), corr(metrics::kendall_tau(&s, &t))?);
    out.insert("w-kendall".into(), corr(metrics::weighted_tau(&s, &t))?);
    // Rel@k is relative to the best model among those the method scored (for methods that
    // score every model, the best of the target), as the published tables compute it.
    let max = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for k in 1..=5 {
        let top = metrics::top_at_k(&s, &t, k)?;
        out.insert(format!("top@{k}"), top);
        out.insert(format!("rel@{k}"), if max > 0.0 { top / max } else { 0.0 });
    }
    Ok(Some(out))
}

fn random_metrics(truth: &BTreeMap<usize, f64>) -> BTreeMap<String, f64> {
    let v: Vec<f64> = truth.values().copied().collect();
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut out = BTreeMap::new();
    for m in ["pearson", "spearman", "kendall", "w-kendall"] {
        out.insert(m.to_string(), 0.0);
    }
    for k in 1..=5 {
        out.insert(format!("top@{k}"), mean);
        out.insert(format!("rel@{k}"), if max > 0.0 { mean / max } else { 0.0 });
    }
    out
}

struct Job {
    method: usize,
    target: usize,
}

/// What a job found besides the ranking: the accuracy estimates and reveal curves when asked.
#[derive(Default)]
struct JobExtras {
    estimates: Option<Vec<Estimate>>,
    curves: Vec<(Strategy, Vec<BTreeMap<String, f64>>)>,
}

/// A job's outcome: the scores, the seconds they took, and the extras.
type JobResult = Result<(Vec<ModelScore>, f64, JobExtras), PredictError>;

/// Runs `methods` on every target of `zoo` under the protocol.
pub fn evaluate(
    zoo: &Zoo,
    methods: &[MethodSpec],
    opts: &EvalOptions,
) -> Result<EvalReport, EvalError> {
    evaluate_with_progress(zoo, methods, opts, &|_, _| {})
}

/// [`evaluate`], calling `progress(done, total)` from the workers after each (method, target)
/// ranking (for a progress bar; the order of calls across threads is arbitrary, `done` only
/// grows).
pub fn evaluate_with_progress(
    zoo: &Zoo,
    methods: &[MethodSpec],
    opts: &EvalOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<EvalReport, EvalError> {
    let targets = resolve_targets(zoo, opts)?;
    let score_methods = zoo.score_methods();
    let rankers = methods
        .iter()
        .map(|m| m.ranker(&score_methods).map_err(EvalError::UnknownMethod))
        .collect::<Result<Vec<_>, _>>()?;
    let truths: Vec<BTreeMap<usize, f64>> = targets
        .iter()
        .map(|&t| truth_of(zoo, t, opts).into_iter().collect())
        .collect();
    let views: Vec<TargetView> = targets
        .iter()
        .zip(&truths)
        .map(|(&t, truth)| {
            let mut view = leave_one_out(zoo, t, opts.include_peft, opts.seed);
            // The candidates are the models with a ground truth under the protocol.
            view.candidates = truth.keys().copied().collect();
            view
        })
        .collect();

    let jobs: Vec<Job> = (0..targets.len())
        .flat_map(|t| {
            (0..rankers.len()).map(move |m| Job {
                method: m,
                target: t,
            })
        })
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::atomic::AtomicUsize::new(0);
    type Out = (usize, JobResult);
    let results: Vec<Out> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..opts.threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else { break };
                        let start = Instant::now();
                        let ranker = rankers[job.method].as_ref();
                        let view = &views[job.target];
                        let r = ranker.rank(view).and_then(|v| {
                            let secs = start.elapsed().as_secs_f64();
                            let extras = job_extras(ranker, view, &v, &truths[job.target], opts)?;
                            Ok((v, secs, extras))
                        });
                        mine.push((i, r));
                        let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        progress(d, jobs.len());
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker panicked"))
            .collect()
    });
    let mut by_job: Vec<Option<JobResult>> = (0..jobs.len()).map(|_| None).collect();
    for (i, r) in results {
        by_job[i] = Some(r);
    }

    let mut report = EvalReport::default();
    for (ti, &t) in targets.iter().enumerate() {
        let v: Vec<f64> = truths[ti].values().copied().collect();
        let name = zoo.datasets[t].name.clone();
        report.targets.insert(
            name.clone(),
            TargetInfo {
                models: v.len(),
                weight: metrics::target_weight(&v).map_err(|e| EvalError::Metric {
                    target: name.clone(),
                    source: e,
                })?,
                max_accuracy: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                scored: BTreeMap::new(),
            },
        );
    }
    for (i, job) in jobs.iter().enumerate() {
        let spec = &methods[job.method];
        let method = &spec.to_string();
        let t = targets[job.target];
        let tname = zoo.datasets[t].name.clone();
        let (scores, secs, extras) = match by_job[i].take().expect("every job ran") {
            Ok(x) => x,
            // A stored-score baseline on a target without that score: no entry.
            Err(PredictError::NoScores { .. }) => continue,
            // Nothing to learn from for this target (e.g. the only dataset with records).
            Err(e @ PredictError::NoTrainingData { .. }) => {
                report.skipped.push((method.clone(), tname, e.to_string()));
                continue;
            }
            Err(e) => {
                return Err(EvalError::Method {
                    method: method.clone(),
                    target: tname,
                    source: e,
                })
            }
        };
        let truth = &truths[job.target];
        let m = if *spec == MethodSpec::Random {
            Some(random_metrics(truth))
        } else {
            target_metrics(&scores, truth).map_err(|e| EvalError::Metric {
                target: tname.clone(),
                source: e,
            })?
        };
        let info = report.targets.get_mut(&tname).expect("inserted above");
        let scored = scores
            .iter()
            .filter(|s| truth.contains_key(&s.model))
            .count();
        if scored < info.models {
            info.scored.insert(method.clone(), scored);
        }
        let Some(mut m) = m else { continue };
        let mut calibration = Vec::new();
        if let (Some(est), Some(c)) = (&extras.estimates, opts.intervals) {
            m.extend(accuracy_metrics(est, truth, c));
            calibration = est
                .iter()
                .filter_map(|e| {
                    let t = *truth.get(&e.model)?;
                    Some([e.predicted, e.low?, e.high?, t])
                })
                .collect();
        }
        for (strategy, per_k) in extras.curves {
            report
                .reveal
                .entry(method.clone())
                .or_default()
                .entry(strategy.to_string())
                .or_default()
                .per_target
                .insert(tname.clone(), per_k);
        }
        let mr = report.methods.entry(method.clone()).or_default();
        let pairs = scores
            .iter()
            .filter_map(|s| {
                let t = *truth.get(&s.model)?;
                Some((zoo.models[s.model].name.clone(), s.score, t))
            })
            .collect();
        mr.predictions.insert(tname.clone(), pairs);
        if !calibration.is_empty() {
            mr.calibration.insert(tname.clone(), calibration);
        }
        mr.per_target.insert(tname.clone(), m);
        mr.seconds_per_target.insert(tname, secs);
    }
    let extra = opts
        .intervals
        .map(accuracy_metric_names)
        .unwrap_or_default();
    for mr in report.methods.values_mut() {
        for metric in METRICS
            .iter()
            .copied()
            .chain(extra.iter().map(String::as_str))
        {
            let (vals, ws): (Vec<f64>, Vec<f64>) = mr
                .per_target
                .iter()
                .filter_map(|(t, m)| Some((*m.get(metric)?, report.targets[t].weight)))
                .unzip();
            if let Ok(avg) = metrics::weighted_average(&vals, &ws) {
                mr.weighted_average.insert(metric.to_string(), avg);
            }
        }
    }
    let weights: BTreeMap<String, f64> = report
        .targets
        .iter()
        .map(|(t, i)| (t.clone(), i.weight))
        .collect();
    for curve in report.reveal.values_mut().flat_map(|c| c.values_mut()) {
        curve.weighted_average = average_curve(&curve.per_target, &weights);
    }
    Ok(report)
}

/// Per k, the weighted average over targets of each metric (targets whose curve stopped
/// early count up to their last k).
fn average_curve(
    per_target: &BTreeMap<String, Vec<BTreeMap<String, f64>>>,
    weights: &BTreeMap<String, f64>,
) -> Vec<BTreeMap<String, f64>> {
    let max_len = per_target.values().map(Vec::len).max().unwrap_or(0);
    (0..max_len)
        .map(|k| {
            let mut out = BTreeMap::new();
            let names: std::collections::BTreeSet<&String> = per_target
                .values()
                .filter_map(|c| c.get(k))
                .flat_map(|m| m.keys())
                .collect();
            for metric in names {
                let (vals, ws): (Vec<f64>, Vec<f64>) = per_target
                    .iter()
                    .filter_map(|(t, c)| Some((*c.get(k)?.get(metric)?, weights[t])))
                    .unzip();
                if let Ok(avg) = metrics::weighted_average(&vals, &ws) {
                    out.insert(metric.to_string(), avg);
                }
            }
            out
        })
        .collect()
}

/// The accuracy estimates and reveal curves `opts` asks for, on one ranking of `view`.
fn job_extras(
    ranker: &dyn zoorank_predict::rank::Ranker,
    view: &TargetView,
    scores: &[ModelScore],
    truth: &BTreeMap<usize, f64>,
    opts: &EvalOptions,
) -> Result<JobExtras, PredictError> {
    if opts.intervals.is_none() && opts.reveal.is_none() {
        return Ok(JobExtras::default());
    }
    let cond = Conditioner::new(view, scores);
    let folds = match opts.intervals {
        Some(_) => Some(CalibrationFolds::rank(ranker, view, CALIBRATION_FOLDS)?),
        None => None,
    };
    let estimates = match (&folds, opts.intervals) {
        (Some(f), Some(c)) => Some(cond.estimates(&[], f.calibrate(&[], c).as_ref())),
        _ => None,
    };
    let curves = match &opts.reveal {
        Some(r) => {
            let h = zoorank_predict::rank::history::History::new(&view.zoo);
            let cl = clusters(cond.models(), cond.experts(), &h.best);
            // A target where a metric cannot be computed has no curve (as it has no entry).
            let cal = folds.as_ref().zip(opts.intervals);
            crate::reveal::curves(&cond, &cl, r, truth, cal).unwrap_or_default()
        }
        None => Vec::new(),
    };
    Ok(JobExtras { estimates, curves })
}
