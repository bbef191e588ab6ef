//! Which models to fine-tune next on a target: a budget of runs spent where they are likely
//! to be good and tell the most about the rest.

use crate::engine::Engine;
use crate::error::EngineError;
use crate::recommend::{ObservedRun, RecommendRequest};
use serde::{Deserialize, Serialize};
use zoorank_core::ModelIdx;
use zoorank_predict::accuracy::experts::expit;
use zoorank_predict::accuracy::strategy::{clusters, survey_fraction, Strategy};
use zoorank_predict::accuracy::{Conditioner, Observation};
use zoorank_predict::rank::history::History;
use zoorank_predict::rank::MethodSpec;
use zoorank_store::import::RunKind;

/// What to plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextRequest {
    /// The target dataset and the ranking to start from (method, seed, observed runs).
    pub recommend: RecommendRequest,
    /// How many runs to propose.
    pub budget: usize,
    /// How to pick them.
    pub strategy: Strategy,
    /// Models not to propose, besides those fine-tuned already (e.g. models already probed
    /// when the runs are linear probes, or whose run failed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

impl NextRequest {
    /// `budget` runs for `target` by the default method and strategy (`explore`).
    pub fn new(target: impl Into<String>, budget: usize) -> NextRequest {
        NextRequest {
            recommend: RecommendRequest {
                coverage: None,
                ..RecommendRequest::new(target)
            },
            budget,
            strategy: Strategy::Explore,
            exclude: Vec::new(),
        }
    }
}

/// The proposed runs, in the order to make them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextPlan {
    /// The target.
    pub target: String,
    /// The ranking method.
    pub method: MethodSpec,
    /// The strategy.
    pub strategy: Strategy,
    /// Fine-tuning runs already made (given in the request).
    pub observed_runs: usize,
    /// Linear-probe runs already made (given in the request).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub probe_runs: usize,
    /// The proposals.
    pub runs: Vec<ProposedRun>,
}

/// One proposed run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedRun {
    /// 1-based order.
    pub order: usize,
    /// The model.
    pub model: String,
    /// Its predicted accuracy now.
    pub predicted_accuracy: f64,
    /// Its rank in the current ranking (1 = best).
    pub rank: usize,
    /// How much the zoo's datasets disagree about it (logit standard deviation): the larger,
    /// the more its run tells.
    pub uncertainty: f64,
    /// Size of its cluster of models that behave alike on the zoo's datasets.
    pub cluster_size: usize,
    /// Why, in one line.
    pub why: String,
}

impl Engine {
    /// Proposes `req.budget` models to fine-tune next on the target, given the runs already
    /// made (`req.recommend.observed`). Each pick is made as if the previous proposals had
    /// run and come out as predicted (so a batch spreads over clusters and uncertainty);
    /// after real results come in, add them as observed runs and ask again.
    ///
    /// Linear-probe runs among the observed ones move the predictions as
    /// [`Engine::recommend`] does; a probed model may still be proposed for fine-tuning
    /// unless it is in `req.exclude`.
    ///
    /// # Errors
    /// As [`Engine::recommend`], and [`EngineError::UnknownExcludedModel`] for an excluded
    /// model the zoo lacks.
    pub fn next(&mut self, req: &NextRequest) -> Result<NextPlan, EngineError> {
        let (view, scores) = self.ranked_view(&req.recommend)?;
        let (mut observed, probes) = self.observations(&req.recommend.observed)?;
        let n_given = observed.len();
        let excluded: Vec<ModelIdx> = req
            .exclude
            .iter()
            .enumerate()
            .map(|(i, m)| {
                self.zoo
                    .model_index(m)
                    .ok_or_else(|| EngineError::UnknownExcludedModel {
                        position: i + 1,
                        model: m.clone(),
                    })
            })
            .collect::<Result<_, _>>()?;
        let cond = Conditioner::new(&view, &scores);
        let h = History::new(&view.zoo);
        let cl = clusters(cond.models(), cond.experts(), &h.best);
        let first = cond.condition_with_probes(&observed, &probes);
        let mut rank_of: Vec<(usize, f64)> = first.scores.iter().copied().enumerate().collect();
        rank_of.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut rank = vec![0; rank_of.len()];
        for (r, (i, _)) in rank_of.into_iter().enumerate() {
            rank[i] = r + 1;
        }
        let mut runs = Vec::new();
        for order in 1..=req.budget {
            let mut state = cond.condition_with_probes(&observed, &probes);
            // An excluded model counts as run: never proposed, and its cluster visited.
            for (i, m) in state.models.iter().enumerate() {
                if excluded.contains(m) {
                    state.observed[i] = true;
                }
            }
            let Some(m) = req.strategy.pick(&state, &cl) else {
                break;
            };
            let i = state
                .models
                .iter()
                .position(|&x| x == m)
                .expect("a candidate");
            let size = cl.iter().filter(|&&c| c == cl[i]).count();
            let predicted = expit(state.logits[i]);
            let spread = state.spread[i];
            let trained_first = state.trained_on_target[i] && state.past_first_pick();
            let why = match req.strategy {
                _ if trained_first => format!(
                    "already fine-tuned on '{}' (its name or source dataset says so), so likely \
                     among the best; such models run right after the first pick (rank {})",
                    req.recommend.target, rank[i]
                ),
                Strategy::Top => format!("best predicted model not yet run (rank {})", rank[i]),
                Strategy::Survey => match survey_fraction(&state) {
                    0.0 => format!("best predicted model not yet run (rank {})", rank[i]),
                    fraction => format!(
                        "survey run {:.0} % down the ranking (rank {}): its result places the \
                         level and spread of the other predictions; not expected to be among \
                         the best",
                        100.0 * fraction,
                        rank[i]
                    ),
                },
                Strategy::Explore => format!(
                    "rank {}; the zoo's datasets disagree about it by ±{spread:.2} logit, so its \
                     run tells the most among the likely good ones",
                    rank[i]
                ),
                Strategy::Clusters => format!(
                    "best predicted of a cluster of {size} alike model(s) not yet run (rank {})",
                    rank[i]
                ),
            };
            runs.push(ProposedRun {
                order,
                model: self.zoo.models[m].name.clone(),
                predicted_accuracy: predicted,
                rank: rank[i],
                uncertainty: spread,
                cluster_size: size,
                why,
            });
            observed.push(Observation {
                model: m,
                accuracy: predicted,
            });
        }
        Ok(NextPlan {
            target: req.recommend.target.clone(),
            method: req.recommend.method.clone(),
            strategy: req.strategy,
            observed_runs: n_given,
            probe_runs: probes.len(),
            runs,
        })
    }
}

/// Observed fine-tuning runs from `(model, accuracy)` pairs.
pub fn observed_runs(pairs: impl IntoIterator<Item = (String, f64)>) -> Vec<ObservedRun> {
    pairs
        .into_iter()
        .map(|(model, accuracy)| ObservedRun::new(model, accuracy, RunKind::Finetune))
        .collect()
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}
