//! Recommendations: every model of the zoo ranked for a target by predicted fine-tuning
//! accuracy, with the evidence behind the ranking, as one plain value.

use crate::engine::Engine;
use crate::error::EngineError;
use crate::fold_cache::CachedFolds;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use zoorank_core::{DatasetIdx, ModelIdx, Zoo};
use zoorank_graph::build::{dataset_node, model_node};
use zoorank_graph::{build_graph, Graph, GraphParams, NodeKind};
use zoorank_predict::accuracy::{
    calibrate, Conditioner, Observation, CALIBRATION_FOLDS, DEFAULT_COVERAGE,
};
use zoorank_predict::rank::graph::{EmbedderSource, GraphRanker};
use zoorank_predict::rank::history::History;
use zoorank_predict::rank::registry::Ranked;
use zoorank_predict::rank::{MethodSpec, ModelScore, TargetView};
use zoorank_store::import::RunKind;

/// Training datasets hidden in turn to calibrate a graph method's intervals (each trains
/// the graph embedding again).
pub const GRAPH_CALIBRATION_FOLDS: usize = 6;

/// The method recommendations use unless told otherwise: the learned method with the best
/// Pearson + weighted τ + Rel@1 on the image zoo's validation targets (eurosat, kitti,
/// diabetic_retinopathy_detection, smallnorb_label_azimuth; BENCHMARKS.md): `trend+lr`, 2.443
/// against `guard+trend+lr` 2.427 and `lr` 2.296. On a zoo without dataset sizes and
/// distances the trend is popularity, and it gives up some weighted τ to `lr` there
/// (two-phase zoo: 0.425 vs 0.440, Pearson 0.660 vs 0.661).
pub const DEFAULT_METHOD: &str = "trend+lr";

/// What to recommend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommendRequest {
    /// The target dataset's name.
    pub target: String,
    /// The ranking method.
    pub method: MethodSpec,
    /// How many models to return (`None`: all of them).
    pub top: Option<usize>,
    /// Seed for the learner.
    pub seed: u64,
    /// Whether to explain each returned model ([`Explanation`]).
    pub explain: bool,
    /// Runs already made on the target: the ranking is conditioned on them (observed models
    /// take their value; the others move with what the runs reveal).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed: Vec<ObservedRun>,
    /// Coverage of the predicted-accuracy intervals (`None`: no intervals, which saves one
    /// ranking per training dataset).
    #[serde(default)]
    pub coverage: Option<f64>,
}

/// A run the user made on the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservedRun {
    /// The model's name.
    pub model: String,
    /// Its accuracy on the target, in [0, 1].
    pub accuracy: f64,
    /// What kind of run it was (`finetune` when absent). A fine-tune's accuracy is the
    /// model's; a linear probe's only tells how the models order on the target
    /// ([`zoorank_predict::accuracy::probes`]).
    #[serde(default, skip_serializing_if = "is_finetune")]
    pub kind: RunKind,
}

impl ObservedRun {
    /// A run of `kind`.
    pub fn new(model: impl Into<String>, accuracy: f64, kind: RunKind) -> ObservedRun {
        ObservedRun {
            model: model.into(),
            accuracy,
            kind,
        }
    }
}

fn is_finetune(k: &RunKind) -> bool {
    *k == RunKind::Finetune
}

impl RecommendRequest {
    /// All models for `target` by the default method, seed 0, no explanation.
    pub fn new(target: impl Into<String>) -> RecommendRequest {
        RecommendRequest {
            target: target.into(),
            method: DEFAULT_METHOD
                .parse()
                .expect("the default method id parses"),
            top: None,
            seed: 0,
            explain: false,
            observed: Vec::new(),
            coverage: Some(DEFAULT_COVERAGE),
        }
    }
}

/// A ranked list of models for a target, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The target dataset.
    pub target: String,
    /// The method that ranked.
    pub method: MethodSpec,
    /// The content version of the zoo it was computed from ([`Engine::zoo_version`]).
    pub zoo_version: String,
    /// What the ranking drew on, one line each.
    pub evidence_used: Vec<String>,
    /// How many models were ranked (of which `models` holds the top ones).
    pub candidates: usize,
    /// Coverage of the intervals `predicted_low`..`predicted_high`, calibrated on the zoo's
    /// other datasets (`None`: no intervals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
    /// How many of the zoo's datasets calibrated the intervals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration_datasets: Option<usize>,
    /// How many fine-tuning runs on the target the ranking was conditioned on.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub observed_runs: usize,
    /// How many linear-probe runs on the target the ranking was conditioned on (they move
    /// the order, not the level).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub probe_runs: usize,
    /// The ranked models, best first.
    pub models: Vec<RecommendedModel>,
    /// What went wrong without spoiling the ranking (e.g. the embedder cache could not be
    /// written).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One ranked model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommendedModel {
    /// 1-based rank.
    pub rank: usize,
    /// The model's name.
    pub model: String,
    /// The method's score (higher = better; conditioned on the observed runs when there
    /// are some).
    pub score: f64,
    /// Predicted fine-tuning accuracy (the recorded one for an observed model).
    pub predicted_accuracy: Option<f64>,
    /// Lower bound of the predicted accuracy's interval ([`Recommendation::coverage`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_low: Option<f64>,
    /// Upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_high: Option<f64>,
    /// Whether the accuracy was observed (a fine-tune given in the request) rather than
    /// predicted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub observed: bool,
    /// The model's linear-probe accuracy given in the request, when there is one: evidence
    /// of its order, never its predicted fine-tuning accuracy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_accuracy: Option<f64>,
    /// The best recorded accuracy on the target, when the store has one (hidden from the
    /// method; shown for comparison).
    pub recorded_accuracy: Option<f64>,
    /// The model's best accuracy on the two datasets nearest to the target that it has.
    pub nearest_records: Vec<Nearest>,
    /// Stored feature-based scores of the model on the target, by method.
    pub scores: BTreeMap<String, f64>,
    /// Why the model ranks where it does (when asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<Explanation>,
}

/// A model's record on a dataset near the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nearest {
    /// The dataset.
    pub dataset: String,
    /// Its distance to the target, when known.
    pub distance: Option<f64>,
    /// The model's best accuracy there.
    pub accuracy: f64,
}

/// One path target —similarity— dataset —accuracy— model of the TransferGraph graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Path {
    /// The dataset in between.
    pub via: String,
    /// Weight of its edge to the target.
    pub similarity: f64,
    /// The model's accuracy on it.
    pub accuracy: f64,
}

/// The model's source dataset seen from the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceLink {
    /// The source dataset.
    pub via: String,
    /// Weight of its edge to the target.
    pub similarity: f64,
    /// The model's accuracy on it, when it has a record there.
    pub accuracy: Option<f64>,
}

/// Why a model ranks where it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Paths through the target's neighbours, strongest (similarity × accuracy) first.
    pub paths: Vec<Path>,
    /// The model's source dataset and its similarity to the target, when both are linked.
    pub source: Option<SourceLink>,
    /// Mean min-max normalised accuracy of the model over the other datasets.
    pub popularity: Option<f64>,
    /// The popularity moved along the model's own slopes to the target's samples per class
    /// and distance from pre-training (the `trend` prior; equal to `popularity` when the
    /// target has neither).
    pub trend: Option<f64>,
    /// Datasets the model has accuracy links to (its degree in the graph).
    pub linked_datasets: usize,
    /// Weight of the model's direct link to the target from its transferability score
    /// (`<graph id>@scores` methods only; absent when the score is below the link quantile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_link: Option<f64>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Recommendation {
    /// The returned entry of the model called `name`.
    pub fn model(&self, name: &str) -> Option<&RecommendedModel> {
        self.models.iter().find(|m| m.model == name)
    }
}

/// Models worth ranking for `target`: those with any visible fine-tuning record or a stored
/// score on the target, of the target's modality when both are known.
fn candidates(zoo: &Zoo, view_zoo: &Zoo, target: DatasetIdx) -> Vec<ModelIdx> {
    let tmod = zoo.datasets[target].modality;
    let mut has = vec![false; zoo.models.len()];
    for r in &view_zoo.records {
        has[r.model] = true;
    }
    for s in zoo.scores.iter().filter(|s| s.dataset == target) {
        has[s.model] = true;
    }
    (0..zoo.models.len())
        .filter(|&m| has[m])
        .filter(|&m| match (tmod, zoo.models[m].modality) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        })
        .collect()
}

impl Engine {
    /// Ranks every candidate model of the zoo for `req.target` with `req.method`.
    ///
    /// The target's own fine-tuning records (if any) are hidden from the method — the
    /// prediction is what zoorank says for a new dataset — and shown beside it. A target
    /// without any record is a new dataset: a method built on a graph embeds it into the
    /// zoo's trained graph, whose embedder is kept in the store for the next new dataset
    /// ([`MethodSpec::rank_target`]).
    ///
    /// # Errors
    /// [`EngineError::UnknownTarget`], [`EngineError::NoCandidates`], [`EngineError::Rank`]
    /// (the method's own errors, e.g. a stored score the zoo lacks), and
    /// [`EngineError::Explain`].
    pub fn recommend(&mut self, req: &RecommendRequest) -> Result<Recommendation, EngineError> {
        let (view, ranked) = self.rank_request(req)?;
        let zoo = &self.zoo;
        let target = view.target;
        let rank_err = |source| EngineError::Rank {
            target: req.target.clone(),
            method: req.method.to_string(),
            source,
        };
        let (observed, probes) = self.observations(&req.observed)?;
        if let Some(c) = req.coverage.filter(|c| !(*c > 0.0 && *c < 1.0)) {
            return Err(EngineError::Coverage(c));
        }
        let cond = Conditioner::new(&view, &ranked.scores);
        let calibration = match req.coverage {
            Some(c) => {
                let ranker = req.method.ranker(&zoo.score_methods()).map_err(rank_err)?;
                let folds = if req.method.graph().is_some() {
                    GRAPH_CALIBRATION_FOLDS
                } else {
                    CALIBRATION_FOLDS
                };
                let obs_models: Vec<ModelIdx> = observed.iter().map(|o| o.model).collect();
                let method = req.method.to_string();
                let cached =
                    CachedFolds::new(ranker.as_ref(), &self.zoo_version, &method, &mut self.store);
                let cal = calibrate(&cached, &view, &obs_models, c, folds).map_err(rank_err)?;
                cached.trim();
                cal
            }
            None => None,
        };
        let (estimates, probe_offset) =
            cond.estimates_with_probes(&observed, &probes, calibration.as_ref());
        let h = History::new(&view.zoo);
        let mut evidence = evidence(zoo, &h, &req.method, target, ranked.embedder);
        if !observed.is_empty() {
            evidence.push(format!(
                "{} observed run(s) on the target: they take their recorded value, and the \
                 others move with the datasets whose records fit them best",
                observed.len()
            ));
        }
        if let Some(offset) = probe_offset {
            let level = if observed.is_empty() {
                "the cold prediction's level"
            } else {
                "the fine-tunes' level"
            };
            evidence.push(format!(
                "{} linear-probe run(s) on the target: they weigh the datasets by how well their \
                 order fits and move the ranking, not the level (fitted probe offset \
                 {offset:+.2} logit from {level}); probed models keep a prediction",
                probes.len()
            ));
        }
        if let Some(cal) = &calibration {
            evidence.push(format!(
                "{:.0} % intervals calibrated on {} other dataset(s), each hidden and ranked in turn",
                cal.coverage * 100.0,
                cal.folds
            ));
        }
        let gt: BTreeMap<ModelIdx, f64> = zoo.ground_truth(target, false).into_iter().collect();
        let by_dist = nearest_first(&h, target);
        let graph = if req.explain {
            // The method's own graph when it is a graph method (score edges for `@scores`).
            let params = GraphParams {
                hold_out: Some(target),
                ..req
                    .method
                    .graph()
                    .map(|g| GraphRanker::new(g).graph_params())
                    .unwrap_or_default()
            };
            Some(build_graph(&view.zoo, &params).map_err(EngineError::Explain)?)
        } else {
            None
        };
        let models = estimates
            .iter()
            .take(req.top.unwrap_or(usize::MAX))
            .enumerate()
            .map(|(i, s)| RecommendedModel {
                rank: i + 1,
                model: zoo.models[s.model].name.clone(),
                score: s.score,
                predicted_accuracy: Some(s.predicted),
                predicted_low: s.low,
                predicted_high: s.high,
                observed: s.observed,
                probe_accuracy: probes
                    .iter()
                    .filter(|o| o.model == s.model)
                    .map(|o| o.accuracy)
                    .reduce(f64::max),
                recorded_accuracy: gt.get(&s.model).copied(),
                nearest_records: by_dist
                    .iter()
                    .filter_map(|&(e, d)| {
                        h.best[e][s.model].map(|acc| Nearest {
                            dataset: zoo.datasets[e].name.clone(),
                            distance: d,
                            accuracy: acc,
                        })
                    })
                    .take(2)
                    .collect(),
                scores: zoo
                    .scores
                    .iter()
                    .filter(|x| x.dataset == target && x.model == s.model)
                    .map(|x| (x.method.clone(), x.value))
                    .collect(),
                explain: graph.as_ref().map(|g| explain(g, zoo, &h, target, s.model)),
            })
            .collect();
        Ok(Recommendation {
            target: req.target.clone(),
            method: req.method.clone(),
            zoo_version: self.zoo_version.clone(),
            evidence_used: evidence,
            candidates: view.candidates.len(),
            coverage: calibration.map(|c| c.coverage),
            calibration_datasets: calibration.map(|c| c.folds),
            observed_runs: observed.len(),
            probe_runs: probes.len(),
            models,
            warnings: ranked
                .cache_errors
                .iter()
                .map(|e| {
                    format!("the graph embedder cache failed ({e}); the ranking is unaffected")
                })
                .collect(),
        })
    }
}

impl Engine {
    /// The held-out view of the request's target (the observed models among its candidates)
    /// and the method's ranking of it ([`MethodSpec::rank_target`]).
    pub(crate) fn rank_request(
        &mut self,
        req: &RecommendRequest,
    ) -> Result<(TargetView, Ranked), EngineError> {
        let zoo = &self.zoo;
        let target = zoo
            .dataset_index(&req.target)
            .ok_or_else(|| EngineError::UnknownTarget {
                target: req.target.clone(),
            })?;
        let new_target = zoo.ground_truth(target, true).is_empty();
        let held = zoo.without_target_history(target);
        let mut cands = candidates(zoo, &held, target);
        let (observed, probes) = self.observations(&req.observed)?;
        for o in observed.iter().chain(&probes) {
            if !cands.contains(&o.model) {
                cands.push(o.model);
            }
        }
        if cands.is_empty() {
            return Err(EngineError::NoCandidates {
                target: req.target.clone(),
            });
        }
        let view = TargetView {
            zoo: held,
            target,
            candidates: cands,
            seed: req.seed,
        };
        let ranked = req
            .method
            .rank_target(
                &view,
                &zoo.score_methods(),
                new_target,
                Some(&mut self.store),
            )
            .map_err(|source| EngineError::Rank {
                target: req.target.clone(),
                method: req.method.to_string(),
                source,
            })?;
        Ok((view, ranked))
    }

    /// [`Engine::rank_request`] without how the ranking was made.
    pub(crate) fn ranked_view(
        &mut self,
        req: &RecommendRequest,
    ) -> Result<(TargetView, Vec<ModelScore>), EngineError> {
        self.rank_request(req).map(|(v, r)| (v, r.scores))
    }

    /// The observed runs of a request, resolved to model indices and checked: the fine-tunes
    /// and the linear probes.
    pub(crate) fn observations(
        &self,
        runs: &[ObservedRun],
    ) -> Result<(Vec<Observation>, Vec<Observation>), EngineError> {
        let (mut finetunes, mut probes) = (Vec::new(), Vec::new());
        for (i, r) in runs.iter().enumerate() {
            let o = self.observation(i, r)?;
            match r.kind {
                RunKind::Finetune => finetunes.push(o),
                RunKind::LinearProbe => probes.push(o),
            }
        }
        Ok((finetunes, probes))
    }

    /// Run `i` of a request, resolved and checked.
    fn observation(&self, i: usize, r: &ObservedRun) -> Result<Observation, EngineError> {
        let model =
            self.zoo
                .model_index(&r.model)
                .ok_or_else(|| EngineError::UnknownObservedModel {
                    row: i + 1,
                    model: r.model.clone(),
                })?;
        if !(0.0..=1.0).contains(&r.accuracy) {
            return Err(EngineError::ObservedAccuracy {
                row: i + 1,
                model: r.model.clone(),
                accuracy: r.accuracy,
            });
        }
        Ok(Observation {
            model,
            accuracy: r.accuracy,
        })
    }
}

/// The training datasets, nearest to `target` first (those without a distance last).
fn nearest_first(h: &History, target: DatasetIdx) -> Vec<(DatasetIdx, Option<f64>)> {
    let dist = &h.distance[target];
    let mut v: Vec<(DatasetIdx, Option<f64>)> =
        h.train_datasets.iter().map(|&e| (e, dist[e])).collect();
    v.sort_by(|x, y| match (x.1, y.1) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        _ => x.0.cmp(&y.0),
    });
    v
}

/// One line per kind of evidence the ranking drew on.
fn evidence(
    zoo: &Zoo,
    h: &History,
    method: &MethodSpec,
    target: DatasetIdx,
    embedder: Option<EmbedderSource>,
) -> Vec<String> {
    let name = &zoo.datasets[target].name;
    let mut ev = Vec::new();
    match embedder {
        Some(EmbedderSource::Reused) => ev.push(
            "graph embedder trained earlier on this zoo, reused from the store (no retraining)"
                .to_string(),
        ),
        Some(EmbedderSource::Trained) => ev.push(
            "graph embedder trained on this zoo without the new dataset and kept in the store for the next one"
                .to_string(),
        ),
        None => {}
    }
    ev.push(format!(
        "fine-tuning history on {} other dataset(s)",
        h.train_datasets.len()
    ));
    if method.uses_trend() {
        let [spc, shift] = h.descriptors(target);
        let used: Vec<String> = [
            spc.map(|x| format!("log10 samples per class {x:.2}")),
            shift.map(|x| format!("distance from the models' pre-training data {x:.2}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        ev.push(if used.is_empty() {
            "trend: the target has no size and no distances, so the trend is plain popularity"
                .to_string()
        } else {
            format!(
                "trend: each model's slopes over the other datasets, taken to the target's {}",
                used.join(" and ")
            )
        });
    }
    let n_dist = h.distance[target].iter().filter(|d| d.is_some()).count();
    ev.push(if n_dist > 0 {
        format!(
            "distances from '{name}' to {} dataset(s) ({})",
            n_dist.saturating_sub(1),
            zoo.distance_methods().first().cloned().unwrap_or_default()
        )
    } else {
        "no dataset distances for the target (history treated as equally relevant)".into()
    });
    let ds = &zoo.datasets[target];
    if ds.num_samples.is_some() || ds.num_classes.is_some() {
        ev.push("target metadata (#samples, #classes)".into());
    }
    let stored: BTreeSet<&str> = zoo
        .scores
        .iter()
        .filter(|s| s.dataset == target)
        .map(|s| s.method.as_str())
        .collect();
    if !stored.is_empty() {
        ev.push(format!(
            "stored scores on the target: {}",
            stored.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    ev
}

/// The TransferGraph neighbourhood of `model` seen from `target` in `g` (built on the
/// held-out view, so the target has only its dataset–dataset edges and, for `@scores`
/// methods, its score links).
fn explain(g: &Graph, zoo: &Zoo, h: &History, target: DatasetIdx, model: ModelIdx) -> Explanation {
    let t = dataset_node(zoo, target);
    let m = model_node(model);
    let mut paths: Vec<Path> = g
        .neighbors(t)
        .iter()
        .zip(g.neighbor_weights(t))
        .filter_map(|(&e, &sim)| {
            let NodeKind::Dataset(d) = g.kind(e) else {
                return None;
            };
            // Accuracy links carry the accuracy as weight; the source link is reported apart.
            let acc = h.best[d][model]?;
            g.weight(e, m)?;
            Some(Path {
                via: zoo.datasets[d].name.clone(),
                similarity: sim,
                accuracy: acc,
            })
        })
        .collect();
    paths.sort_by(|x, y| (y.similarity * y.accuracy).total_cmp(&(x.similarity * x.accuracy)));
    paths.truncate(3);
    let source = zoo.models[model]
        .source_dataset
        .as_deref()
        .and_then(|name| zoo.dataset_index(name))
        .and_then(|sd| {
            let sim = g.weight(t, dataset_node(zoo, sd))?;
            Some(SourceLink {
                via: zoo.datasets[sd].name.clone(),
                similarity: sim,
                accuracy: h.best[sd][model],
            })
        });
    let linked_datasets = g
        .neighbors(m)
        .iter()
        .filter(|&&n| matches!(g.kind(n), NodeKind::Dataset(d) if h.best[d][model].is_some()))
        .count();
    Explanation {
        paths,
        source,
        popularity: h.popularity(model, Some(target)),
        trend: h.trend(model, target),
        linked_datasets,
        // On the held-out view the only model edge a target can have is a score link.
        score_link: g.weight(t, m),
    }
}
