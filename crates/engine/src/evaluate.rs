//! Evaluations: the leave-one-dataset-out protocol on the engine's zoo, at full size and on
//! random subsets of its models.

use crate::engine::Engine;
use crate::error::EngineError;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use zoorank_core::Zoo;
use zoorank_eval::{
    EvalError, EvalOptions, EvalReport, MethodReport, Protocol, RevealCurve, RevealOptions,
    TargetInfo,
};
use zoorank_predict::accuracy::strategy::Strategy;
use zoorank_predict::rank::{default_eval_methods, MethodSpec};

/// What to evaluate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalRequest {
    /// Methods; `None`: every method `zoorank eval` runs by default
    /// ([`default_eval_methods`]).
    pub methods: Option<Vec<MethodSpec>>,
    /// Target names; `None`: every dataset with records of at least two models.
    pub targets: Option<Vec<String>>,
    /// Count parameter-efficient (LoRA) runs in the ground truth and the history.
    pub include_peft: bool,
    /// Which runs make each target's ground truth ([`Protocol::Published`]: a model whose
    /// best run on a target is a PEFT run is left out of that target).
    #[serde(default)]
    pub protocol: Protocol,
    /// Seed for the learners and the model subsets.
    pub seed: u64,
    /// Worker threads (`None`: all cores; results do not depend on it).
    pub threads: Option<usize>,
    /// Also evaluate on random subsets of the zoo's models of these fractions (0 < r ≤ 1).
    pub model_ratios: Vec<f64>,
    /// Subsets per model ratio.
    pub ratio_subsets: u64,
    /// Also score predicted accuracies (`mae`) and intervals at this coverage
    /// (`coverage@80`, `width@80` for 0.8); each fold of the calibration is one more ranking
    /// per method and target.
    #[serde(default)]
    pub intervals: Option<f64>,
    /// Also simulate the budgeted loop: reveal up to this many runs per target, with each
    /// of `strategies` (default: every strategy).
    #[serde(default)]
    pub reveal: Option<usize>,
    /// Strategies of the simulated loop (`None`: all of them).
    #[serde(default)]
    pub strategies: Option<Vec<Strategy>>,
}

impl Default for EvalRequest {
    fn default() -> Self {
        EvalRequest {
            methods: None,
            targets: None,
            include_peft: false,
            protocol: Protocol::Default,
            seed: 0,
            threads: None,
            model_ratios: Vec::new(),
            ratio_subsets: 3,
            intervals: None,
            reveal: None,
            strategies: None,
        }
    }
}

/// An evaluation's results. Serialised, it is what `zoorank eval --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Per method id: metrics per target, weighted averages, seconds per target.
    pub methods: BTreeMap<String, MethodReport>,
    /// Per target: models, weight, best accuracy, coverage.
    pub targets: BTreeMap<String, TargetInfo>,
    /// Per model ratio, per method: the weighted averages, averaged over the subsets.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub model_ratio: BTreeMap<String, BTreeMap<String, BTreeMap<String, f64>>>,
    /// Per method, per strategy: the simulated budget loop's curves (`--reveal`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub reveal: BTreeMap<String, BTreeMap<String, RevealCurve>>,
    /// The methods, in the order asked.
    #[serde(skip)]
    pub method_order: Vec<MethodSpec>,
    /// The full-size report, with what the JSON leaves out (predictions for plots, pairs
    /// a method could not rank).
    #[serde(skip)]
    pub report: EvalReport,
}

/// Where an evaluation is (for a progress display).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EvalProgress {
    /// Rankings done of the full-size run.
    Rankings {
        /// Done.
        done: usize,
        /// Total.
        total: usize,
    },
    /// Working on a model-ratio subset.
    Subset {
        /// The ratio.
        ratio: f64,
        /// 1-based subset number.
        subset: u64,
    },
}

/// A copy of `zoo` keeping only the models in `keep` (their records and scores).
fn subset(zoo: &Zoo, keep: &[bool]) -> Zoo {
    let mut z = zoo.clone();
    z.records.retain(|r| keep[r.model]);
    z.scores.retain(|s| keep[s.model]);
    z
}

impl Engine {
    /// Runs the leave-one-dataset-out protocol ([`zoorank_eval::evaluate`]) on the zoo, and
    /// on `req.ratio_subsets` random subsets of its models per model ratio.
    ///
    /// # Errors
    /// [`EngineError::NothingToEvaluate`], [`EngineError::ModelRatio`],
    /// [`EngineError::Eval`] and [`EngineError::EvalAtRatio`].
    pub fn evaluate(
        &self,
        req: &EvalRequest,
        progress: &(dyn Fn(EvalProgress) + Sync),
    ) -> Result<Evaluation, EngineError> {
        let zoo = &self.zoo;
        if zoo.records.is_empty() {
            return Err(EngineError::NothingToEvaluate);
        }
        if let Some(&r) = req.model_ratios.iter().find(|&&r| !(r > 0.0 && r <= 1.0)) {
            return Err(EngineError::ModelRatio(r));
        }
        let methods = req
            .methods
            .clone()
            .unwrap_or_else(|| default_eval_methods(&zoo.score_methods()));
        let mut opts = EvalOptions {
            targets: req.targets.clone(),
            include_peft: req.include_peft,
            protocol: req.protocol,
            seed: req.seed,
            intervals: req.intervals,
            reveal: req.reveal.map(|max_k| RevealOptions {
                max_k,
                strategies: req
                    .strategies
                    .clone()
                    .unwrap_or_else(|| Strategy::ALL.to_vec()),
            }),
            ..EvalOptions::default()
        };
        if let Some(t) = req.threads {
            opts.threads = t.max(1);
        }
        let report = zoorank_eval::evaluate_with_progress(zoo, &methods, &opts, &|done, total| {
            progress(EvalProgress::Rankings { done, total })
        })?;
        let mut ratios = BTreeMap::new();
        for &r in &req.model_ratios {
            let mut sums: BTreeMap<String, BTreeMap<String, (f64, usize)>> = BTreeMap::new();
            for s in 0..req.ratio_subsets.max(1) {
                progress(EvalProgress::Subset {
                    ratio: r,
                    subset: s + 1,
                });
                let mut rng =
                    rand::rngs::StdRng::seed_from_u64(req.seed ^ (s + 1).wrapping_mul(0x9E37));
                let mut idx: Vec<usize> = (0..zoo.models.len()).collect();
                idx.shuffle(&mut rng);
                let n = ((zoo.models.len() as f64) * r).round().max(2.0) as usize;
                let mut keep = vec![false; zoo.models.len()];
                for &i in idx.iter().take(n) {
                    keep[i] = true;
                }
                let rep = match zoorank_eval::evaluate(&subset(zoo, &keep), &methods, &opts) {
                    Ok(rep) => rep,
                    // A subset may leave a target without two models: skip the subset.
                    Err(EvalError::UnknownTarget(_)) | Err(EvalError::NoTargets) => continue,
                    Err(source) => return Err(EngineError::EvalAtRatio { ratio: r, source }),
                };
                for (m, mr) in rep.methods {
                    for (k, v) in mr.weighted_average {
                        let e = sums
                            .entry(m.clone())
                            .or_default()
                            .entry(k)
                            .or_insert((0.0, 0));
                        e.0 += v;
                        e.1 += 1;
                    }
                }
            }
            let means = sums
                .into_iter()
                .map(|(m, ks)| {
                    let avg = ks.into_iter().map(|(k, (s, n))| (k, s / n as f64));
                    (m, avg.collect())
                })
                .collect();
            ratios.insert(format!("{r}"), means);
        }
        Ok(Evaluation {
            methods: report.methods.clone(),
            targets: report.targets.clone(),
            model_ratio: ratios,
            reveal: report.reveal.clone(),
            method_order: methods,
            report,
        })
    }
}
