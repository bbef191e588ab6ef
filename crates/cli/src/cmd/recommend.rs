//! `zoorank recommend`: rank every model of the zoo for a target dataset.

use crate::cmd::import::open_store;
use crate::output;
use crate::Global;
use anyhow::Context;
use clap::Args;
use serde::Serialize;
use std::collections::BTreeMap;
use zoorank_core::{DatasetIdx, ModelIdx, Zoo};
use zoorank_graph::build::{dataset_node, model_node};
use zoorank_graph::{build_graph, Graph, GraphParams, NodeKind};
use zoorank_predict::rank::baseline::{lift_prior_top, Prior, GUARD_K};
use zoorank_predict::rank::graph::{
    EmbedderCache, EmbedderSource, GraphRanker, EMBEDDER_KEY_PREFIX,
};
use zoorank_predict::rank::table::History;
use zoorank_predict::rank::{ranker_by_id, Ranker, TargetView};

/// The method `recommend` uses unless told otherwise: the learned method with the best
/// Pearson + weighted τ + Rel@1 on the validation targets (eurosat, kitti,
/// diabetic_retinopathy_detection, smallnorb_label_azimuth; BENCHMARKS.md): `trend+lr`, 2.443
/// against `guard+trend+lr` 2.427 and `lr` 2.296. On a zoo without dataset sizes and distances
/// the trend is popularity, and it gives up some weighted τ to `lr` there (two-phase zoo:
/// 0.425 vs 0.440, Pearson 0.660 vs 0.661).
pub const DEFAULT_METHOD: &str = "trend+lr";

/// Arguments of `recommend`.
///
/// Predicts, for every model of the zoo, its fine-tuning accuracy on the target and ranks the
/// models by it. The target's own fine-tuning records (if any) are hidden from the method — the
/// prediction is what zoorank would say for a new dataset — and shown beside the prediction
/// for comparison. Works for a target without any record as long as the store has its
/// metadata, distances or scores. For such a new dataset a graph method (e.g. lr+node2vec,
/// guard+lr+node2vec) embeds it into the zoo's trained graph; the trained embedder is kept in
/// the store (the newest 16; `zoorank zoo clear-cache --what embedders` drops them), so the
/// next new dataset of the same zoo is ranked without training the graph again.
///
/// Example: zoorank recommend --target cifar100 --top 10
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// The target dataset (as `zoorank zoo datasets` lists it).
    #[arg(long)]
    pub target: String,
    /// How many models to show.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Ranking method id (see `zoorank eval --help`).
    #[arg(long, default_value = DEFAULT_METHOD)]
    pub method: String,
    /// Seed for the learner.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// For each recommended model, show the graph neighbourhood that carries its evidence:
    /// the target's most similar datasets (TransferGraph dataset–dataset edges: Domain
    /// Similarity or shared-history correlation) joined to the model by its accuracy links,
    /// its source-dataset link, its popularity over the other datasets and its trend (that
    /// popularity moved along the model's slopes to the target's size and domain).
    #[arg(long)]
    pub explain: bool,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// One path target —similarity— dataset —accuracy— model of the TransferGraph graph.
#[derive(Serialize)]
struct Path {
    via: String,
    similarity: f64,
    accuracy: f64,
}

/// Why a model ranks where it does (see `--explain`).
#[derive(Serialize)]
struct Explanation {
    /// Paths through the target's neighbours, strongest (similarity × accuracy) first.
    paths: Vec<Path>,
    /// The model's source dataset and its similarity to the target, when both are linked.
    source: Option<Path>,
    /// Mean min-max normalised accuracy of the model over the other datasets.
    popularity: Option<f64>,
    /// The popularity moved along the model's own slopes to the target's samples per class
    /// and distance from pre-training (the `trend` prior; equal to `popularity` when the
    /// target has neither).
    trend: Option<f64>,
    /// Datasets the model has accuracy links to (its degree in the graph).
    linked_datasets: usize,
    /// Weight of the model's direct link to the target from its transferability score
    /// (`<graph id>@scores` methods only; absent when the score is below the link quantile).
    #[serde(skip_serializing_if = "Option::is_none")]
    score_link: Option<f64>,
}

#[derive(Serialize)]
struct Nearest {
    dataset: String,
    distance: Option<f64>,
    accuracy: f64,
}

#[derive(Serialize)]
struct Recommended {
    rank: usize,
    model: String,
    score: f64,
    predicted_accuracy: Option<f64>,
    recorded_accuracy: Option<f64>,
    nearest_records: Vec<Nearest>,
    scores: BTreeMap<String, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<Explanation>,
}

#[derive(Serialize)]
struct Out {
    target: String,
    method: String,
    evidence_used: Vec<String>,
    candidates: usize,
    models: Vec<Recommended>,
}

/// Models worth ranking for `target`: those with any visible fine-tuning record or a stored
/// score on the target, of the target's modality when both are known.
fn candidates(zoo: &Zoo, view_zoo: &Zoo, target: DatasetIdx) -> Vec<ModelIdx> {
    let tmod = zoo.datasets[target].modality;
    let mut has = vec![false; zoo.models.len()];
    for r in &view_zoo.records {
        has[r.model] = true;
    }
    for s in &zoo.scores {
        if s.dataset == target {
            has[s.model] = true;
        }
    }
    (0..zoo.models.len())
        .filter(|&m| has[m])
        .filter(|&m| match (tmod, zoo.models[m].modality) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        })
        .collect()
}

/// The TransferGraph neighbourhood of `model` seen from `target` in `g` (built on the
/// held-out view, so the target has only its dataset–dataset edges and, for `@scores`
/// methods, its score links).
fn explain(g: &Graph, zoo: &Zoo, h: &History, target: DatasetIdx, model: ModelIdx) -> Explanation {
    let t = dataset_node(zoo, target);
    let m = model_node(model);
    let weight_to_model = |node: usize| g.weight(node, m);
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
            weight_to_model(e)?;
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
            Some(Path {
                via: zoo.datasets[sd].name.clone(),
                similarity: sim,
                accuracy: h.best[sd][model].unwrap_or(f64::NAN),
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

/// How `recommend` ranks: a new dataset with a graph method (alone, blended with a prior,
/// guarded) goes the inductive way.
enum Method {
    Inductive {
        graph: Box<GraphRanker>,
        /// `pop+` / `trend+<graph id>`: blended with that prior afterwards.
        prior: Option<Prior>,
        /// `guard+…`: the popularity prior's top picks are lifted last.
        guard: bool,
    },
    Plain(Box<dyn Ranker>),
}

/// `[guard+][pop+|trend+]<graph id>` split into its parts, when the id has that shape.
fn graph_method(id: &str) -> Option<(bool, Option<Prior>, GraphRanker)> {
    let (guard, rest) = match id.strip_prefix("guard+") {
        Some(r) => (true, r),
        None => (false, id),
    };
    let (prior, rest) = if let Some(r) = rest.strip_prefix("trend+") {
        (Some(Prior::Trend), r)
    } else if let Some(r) = rest.strip_prefix("pop+") {
        (Some(Prior::Popularity), r)
    } else {
        (None, rest)
    };
    Some((guard, prior, GraphRanker::from_id(rest)?))
}

/// How many trained graph embedders the store keeps; older ones are deleted when a new one is
/// kept. An embedder is only reused while the zoo (and the method, setting and seed) is
/// unchanged, so older ones are mostly stale; each is ~100 KiB on the image zoo.
const KEPT_EMBEDDERS: usize = 16;

/// The store's blob table as the graph rankers' embedder cache. A failed write only warns:
/// the ranking does not depend on it.
struct StoreCache<'a>(&'a mut zoorank_store::Store);

impl EmbedderCache for StoreCache<'_> {
    fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        match self.0.get_blob(key) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("warning: could not read the stored graph embedder ({e}); training it");
                None
            }
        }
    }
    fn put(&mut self, key: &str, bytes: &[u8]) {
        let kept = self.0.put_blob(key, bytes).and_then(|()| {
            self.0
                .keep_newest_blobs(EMBEDDER_KEY_PREFIX, KEPT_EMBEDDERS)
                .map(drop)
        });
        if let Err(e) = kept {
            eprintln!("warning: could not keep the trained graph embedder in the store: {e}");
        }
    }
}

/// Runs `recommend`.
pub fn run(a: RecommendArgs, global: &Global) -> anyhow::Result<()> {
    let mut store = open_store(&global.db)?;
    let zoo = store.load_zoo()?;
    let target = zoo.dataset_index(&a.target).with_context(|| {
        format!(
            "no dataset '{}' in {} (list them with `zoorank zoo datasets`)",
            a.target,
            global.db.display()
        )
    })?;
    // A target without any record of its own is a new dataset: graph methods embed it into
    // the zoo's trained graph from its dataset edges (GraphRanker::rank_inductive_cached)
    // instead of training the embedding on a graph that contains it. The trained embedder is
    // kept in the store, so the next new dataset of the same zoo reuses it.
    let new_target = zoo.ground_truth(target, true).is_empty();
    // A blended or guarded graph method is the graph ranker followed by the blend and the
    // lift, so it can take the inductive path too.
    let parsed = graph_method(&a.method);
    let graph_params = parsed.as_ref().map(|p| p.2.graph_params());
    let method = match parsed {
        Some((guard, prior, g)) if new_target => Method::Inductive {
            graph: Box::new(g),
            prior,
            guard,
        },
        _ => Method::Plain(ranker_by_id(&a.method, &zoo.score_methods())?),
    };
    let held = zoo.without_target_history(target);
    let cands = candidates(&zoo, &held, target);
    anyhow::ensure!(
        !cands.is_empty(),
        "no model to rank: the store has no fine-tuning records or scores besides the target's"
    );
    let view = TargetView {
        zoo: held,
        target,
        candidates: cands.clone(),
        seed: a.seed,
    };
    let ranked = match &method {
        Method::Inductive {
            graph,
            prior,
            guard,
        } => graph
            .rank_inductive_cached(&view, Some(&mut StoreCache(&mut store)))
            .and_then(|(s, src)| {
                let mut s = match prior {
                    Some(p) => p.blend(&view, s)?,
                    None => s,
                };
                if *guard {
                    lift_prior_top(&view, &mut s, GUARD_K);
                }
                Ok((s, Some(src)))
            }),
        Method::Plain(r) => r.rank(&view).map(|s| (s, None)),
    };
    let (mut scores, embedder) =
        ranked.with_context(|| format!("ranking models for '{}' with {}", a.target, a.method))?;
    scores.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.model.cmp(&y.model)));

    // Evidence.
    let h = History::new(&view.zoo);
    let dist = &h.distance[target];
    let mut evidence = Vec::new();
    match embedder {
        Some(EmbedderSource::Reused) => evidence.push(
            "graph embedder trained earlier on this zoo, reused from the store (no retraining)"
                .to_string(),
        ),
        Some(EmbedderSource::Trained) => evidence.push(
            "graph embedder trained on this zoo without the new dataset and kept in the store for the next one"
                .to_string(),
        ),
        None => {}
    }
    let n_hist = h.train_datasets.len();
    evidence.push(format!("fine-tuning history on {n_hist} other dataset(s)"));
    if a.method.split('+').any(|p| p == "trend") {
        let [spc, shift] = h.descriptors(target);
        let used: Vec<String> = [
            spc.map(|x| format!("log10 samples per class {x:.2}")),
            shift.map(|x| format!("distance from the models' pre-training data {x:.2}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        evidence.push(if used.is_empty() {
            "trend: the target has no size and no distances, so the trend is plain popularity"
                .to_string()
        } else {
            format!(
                "trend: each model's slopes over the other datasets, taken to the target's {}",
                used.join(" and ")
            )
        });
    }
    let n_dist = dist.iter().filter(|d| d.is_some()).count();
    if n_dist > 0 {
        evidence.push(format!(
            "distances from '{}' to {} dataset(s) ({})",
            a.target,
            n_dist.saturating_sub(1),
            zoo.distance_methods().first().cloned().unwrap_or_default()
        ));
    } else {
        evidence.push(
            "no dataset distances for the target (history treated as equally relevant)".into(),
        );
    }
    let ds = &zoo.datasets[target];
    if ds.num_samples.is_some() || ds.num_classes.is_some() {
        evidence.push("target metadata (#samples, #classes)".into());
    }
    let target_scores: Vec<String> = zoo
        .scores
        .iter()
        .filter(|s| s.dataset == target)
        .map(|s| s.method.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !target_scores.is_empty() {
        evidence.push(format!(
            "stored scores on the target: {}",
            target_scores.join(", ")
        ));
    }
    let gt: BTreeMap<ModelIdx, f64> = zoo.ground_truth(target, false).into_iter().collect();
    let mut by_dist: Vec<(DatasetIdx, Option<f64>)> =
        h.train_datasets.iter().map(|&e| (e, dist[e])).collect();
    by_dist.sort_by(|x, y| match (x.1, y.1) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        _ => x.0.cmp(&y.0),
    });
    let graph = if a.explain {
        // The method's own graph when it is a graph method (score edges for `@scores`).
        let params = GraphParams {
            hold_out: Some(target),
            ..graph_params.unwrap_or_default()
        };
        Some(build_graph(&view.zoo, &params).context("building the graph for --explain")?)
    } else {
        None
    };
    let models: Vec<Recommended> = scores
        .iter()
        .take(a.top)
        .enumerate()
        .map(|(i, s)| {
            let nearest = by_dist
                .iter()
                .filter_map(|&(e, d)| {
                    h.best[e][s.model].map(|acc| Nearest {
                        dataset: zoo.datasets[e].name.clone(),
                        distance: d,
                        accuracy: acc,
                    })
                })
                .take(2)
                .collect();
            let sc = zoo
                .scores
                .iter()
                .filter(|x| x.dataset == target && x.model == s.model)
                .map(|x| (x.method.clone(), x.value))
                .collect();
            Recommended {
                rank: i + 1,
                model: zoo.models[s.model].name.clone(),
                score: s.score,
                predicted_accuracy: s.predicted_accuracy,
                recorded_accuracy: gt.get(&s.model).copied(),
                nearest_records: nearest,
                scores: sc,
                explain: graph
                    .as_ref()
                    .map(|g| explain(g, &zoo, &h, target, s.model)),
            }
        })
        .collect();
    let out = Out {
        target: a.target.clone(),
        method: a.method.clone(),
        evidence_used: evidence,
        candidates: cands.len(),
        models,
    };
    if a.json {
        return output::print_json(&out);
    }
    output::println(format!(
        "top {} of {} models for '{}' by {} (the target's own records are hidden from the method):",
        out.models.len(),
        out.candidates,
        out.target,
        out.method
    ))?;
    let rows = out
        .models
        .iter()
        .map(|r| {
            let near = r
                .nearest_records
                .iter()
                .map(|n| format!("{} {:.3}", n.dataset, n.accuracy))
                .collect::<Vec<_>>()
                .join(", ");
            vec![
                r.rank.to_string(),
                r.model.clone(),
                r.predicted_accuracy
                    .map_or("-".into(), |v| format!("{v:.3}")),
                r.recorded_accuracy
                    .map_or("-".into(), |v| format!("{v:.3}")),
                if near.is_empty() { "-".into() } else { near },
            ]
        })
        .collect();
    output::println(output::table(
        &[
            "#",
            "model",
            "predicted",
            "recorded",
            "its accuracy on the nearest datasets",
        ],
        rows,
    ))?;
    if a.explain {
        output::println("why (target —similarity— dataset —accuracy— model; strongest first):")?;
        for r in &out.models {
            let Some(e) = &r.explain else { continue };
            let mut parts: Vec<String> = e
                .paths
                .iter()
                .map(|p| format!("{} (sim {:.2}, acc {:.3})", p.via, p.similarity, p.accuracy))
                .collect();
            if parts.is_empty() {
                parts.push("no path through the target's neighbours".into());
            }
            if let Some(src) = &e.source {
                parts.push(format!("source {} (sim {:.2})", src.via, src.similarity));
            }
            if let Some(w) = e.score_link {
                parts.push(format!("score link to the target ({w:.2})"));
            }
            let fmt = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.3}"));
            output::println(format!(
                "  {:>2}. {}: {}; popularity {} over {} linked dataset(s), trend {}",
                r.rank,
                r.model,
                parts.join(", "),
                fmt(e.popularity),
                e.linked_datasets,
                fmt(e.trend)
            ))?;
        }
    }
    output::println("evidence used:")?;
    for e in &out.evidence_used {
        output::println(format!("  - {e}"))?;
    }
    Ok(())
}
