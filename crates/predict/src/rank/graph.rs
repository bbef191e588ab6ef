//! Graph rankers `<regressor>+<learner>`, regressor `lr`, `rf` or `xgb`, learner `node2vec`,
//! `node2vec+`, `graphsage` or `gat` (12 ids, e.g. `xgb+gat`, `rf+node2vec+`): TransferGraph
//! (Li et al., ICDE 2024) with zoorank's history features.
//!
//! For one held-out view: build the graph of `view.zoo` with `zoorank_graph::build_graph`
//! (the target is `hold_out`, so it keeps only its dataset–dataset edges), embed it seeded
//! with `view.seed` — Node2Vec / Node2Vec+ from the structure alone, GraphSAGE / GAT with node
//! features from the view's metadata and degrees (`NodeFeatures::from_zoo`; none of them comes
//! from the target's records) — and fit the regressor on each visible (model m, dataset d)
//! record with the columns
//!
//! ```text
//! lr, rf: [ table features of (m, d) | e_m (dim) | e_d (dim) | cos(e_m, e_d) ]  →  z-score of m's accuracy on d
//! xgb:    [ table features of (m, d) | e_m · e_d | cos(e_m, e_d) ]
//! ```
//!
//! `xgb` gets the two link scores only: its cost grows with the columns (500 trees over
//! ≈ 2 000 rows; 65 graph columns made `xgb+node2vec` ≈ 6 s per target on the loaded 2-core
//! machine), and on the validation targets (eurosat, kitti, diabetic_retinopathy_detection,
//! smallnorb_label_azimuth — never the 8 published ones) the two columns were both ≈ 3× faster
//! and better (`xgb+node2vec` Pearson 0.734 → 0.767, weighted τ 0.428 → 0.511, Rel@1
//! 0.993 → 0.988) than the raw embeddings, which the trees mostly split on as noise.
//!
//! where the table features are [`super::table::FeatureTable`]'s with history and without
//! one-hot ids (what `lr`/`rf`/`xgb` use), then predict the target's rows. Nothing of the
//! target's fine-tuning history reaches the graph: the view has none, and `hold_out` keeps
//! model edges off the target node even when a model names it as its source dataset.

use super::error::PredictError;
use super::regressor::fit_and_rank_with;
use super::spec::{GraphSpec, Learner};
use super::table::TableSpec;
use super::view::{ModelScore, Ranker, TargetView};
use crate::regress::RegressorKind;
use zoorank_core::{BlobCache, BlobError, DatasetIdx, ModelIdx, StableHash, Zoo};
use zoorank_graph::build::{dataset_node, model_node};
use zoorank_graph::{
    build_graph, Embeddings, Gat, GnnParams, Graph, GraphError, GraphParams, GraphSage,
    InductiveEmbedder, Node2Vec, Node2VecParams, NodeFeatures, NodeKind,
};

/// The key prefix of every kept graph embedder in a [`BlobCache`]
/// ([`GraphRanker::embedder_key`]).
pub const EMBEDDER_KEY_PREFIX: &str = "embedder:";

/// `GraphParams::score_weight` of the `@scores` ids: a score link weighs at most what an
/// accuracy link of a perfect model does. Fixed a priori, not tuned (the validation targets
/// of the image zoo have no stored scores to tune it on).
pub const SCORE_WEIGHT: f64 = 1.0;

/// Embedding dimension the graph rankers use.
pub const RANKER_DIM: usize = 32;

/// A graph ranker: learner × regressor (see the module docs).
#[derive(Debug, Clone)]
pub struct GraphRanker {
    learner: Learner,
    regressor: RegressorKind,
    graph: GraphParams,
    embed: Node2VecParams,
    gnn: GnnParams,
    inductive: bool,
}

impl GraphRanker {
    /// The ranker of `spec` with default graph and embedding parameters (score edges of
    /// weight [`SCORE_WEIGHT`] for `@scores`).
    pub fn new(spec: GraphSpec) -> GraphRanker {
        let GraphSpec {
            regressor,
            learner,
            score_edges,
        } = spec;
        GraphRanker {
            learner,
            regressor,
            graph: GraphParams {
                score_weight: if score_edges { SCORE_WEIGHT } else { 0.0 },
                ..GraphParams::default()
            },
            // 32 dimensions, not the embedder's 128: the regressors see ≈ 2 000 rows, their
            // cost grows with the columns (xgb took ≈ 25 s per target with 2 × 128 + 1
            // graph columns on the loaded 2-core machine), against a budget of < 1 s per target.
            embed: Node2VecParams {
                dim: RANKER_DIM,
                plus: learner == Learner::Node2VecPlus,
                ..Node2VecParams::default()
            },
            // Same output width, 100 full-batch epochs. GraphSAGE keeps 64 hidden units (its
            // first aggregation is precomputed, so width is cheap); GAT's hidden layer is
            // 4 heads of 8 (every epoch moves `edges × hidden` attention-weighted messages).
            // 150 epochs with 64 hidden units for both took 2.0 s (GraphSAGE) and 4.0 s (GAT)
            // per target wall-clock on the loaded 2-core machine, over the 2 s bar.
            gnn: GnnParams {
                dim: RANKER_DIM,
                hidden: if learner == Learner::Gat { 32 } else { 64 },
                heads: 4,
                epochs: 100,
                ..GnnParams::default()
            },
            inductive: false,
        }
    }

    /// With `on`, [`Ranker::rank`] embeds the target inductively
    /// ([`GraphRanker::rank_inductive`]) instead of training the embedder on the graph that
    /// contains it. The id does not change.
    pub fn inductive(mut self, on: bool) -> GraphRanker {
        self.inductive = on;
        self
    }

    /// The node embeddings of `graph`, built on `zoo`.
    fn embed(
        &self,
        zoo: &zoorank_core::Zoo,
        graph: &Graph,
        seed: u64,
    ) -> Result<Embeddings, PredictError> {
        Ok(self.embedder(zoo, graph)?.embed(graph, seed)?)
    }

    /// What this ranker is, as a method: its id is `spec().to_string()` (with `@scores`
    /// whenever the graph has score edges).
    pub fn spec(&self) -> GraphSpec {
        GraphSpec {
            regressor: self.regressor,
            learner: self.learner,
            score_edges: self.graph.score_weight > 0.0,
        }
    }

    /// The graph construction parameters.
    pub fn graph_params(&self) -> GraphParams {
        self.graph
    }

    /// With other graph construction parameters (`hold_out` is always set to the view's
    /// target when ranking). The id changes only with `score_weight` (the `@scores` suffix).
    pub fn with_graph_params(mut self, graph: GraphParams) -> GraphRanker {
        self.graph = graph;
        self
    }

    /// This ranker's node embedder for `graph` built on `zoo` (the GNNs with
    /// `NodeFeatures::from_zoo(zoo, graph)`): [`InductiveEmbedder::fit`] on a graph without a
    /// new target, then `extend` with it, embeds the target without training the whole graph
    /// again (`crates/experiments/examples/inductive.rs`).
    pub fn embedder(
        &self,
        zoo: &zoorank_core::Zoo,
        graph: &Graph,
    ) -> Result<Box<dyn InductiveEmbedder>, PredictError> {
        self.embedder_with(self.node_features(zoo, graph)?)
    }

    /// The GNNs' input features of `graph` built on `zoo` (`None` for Node2Vec / Node2Vec+,
    /// which use the structure alone).
    fn node_features(
        &self,
        zoo: &zoorank_core::Zoo,
        graph: &Graph,
    ) -> Result<Option<NodeFeatures>, PredictError> {
        Ok(match self.learner {
            Learner::GraphSage | Learner::Gat => Some(NodeFeatures::from_zoo(zoo, graph)?),
            Learner::Node2Vec | Learner::Node2VecPlus => None,
        })
    }

    /// The embedder on `features` from [`GraphRanker::node_features`].
    fn embedder_with(
        &self,
        features: Option<NodeFeatures>,
    ) -> Result<Box<dyn InductiveEmbedder>, PredictError> {
        Ok(match (self.learner, features) {
            (Learner::GraphSage, Some(f)) => Box::new(GraphSage::new(self.gnn)?.with_features(f)),
            (Learner::GraphSage, None) => Box::new(GraphSage::new(self.gnn)?),
            (Learner::Gat, Some(f)) => Box::new(Gat::new(self.gnn)?.with_features(f)),
            (Learner::Gat, None) => Box::new(Gat::new(self.gnn)?),
            (Learner::Node2Vec | Learner::Node2VecPlus, _) => Box::new(Node2Vec::new(self.embed)?),
        })
    }
}

impl Ranker for GraphRanker {
    fn id(&self) -> String {
        self.spec().to_string()
    }

    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        if self.inductive {
            return self.rank_inductive(view);
        }
        let zoo = &view.zoo;
        let graph = build_graph(
            zoo,
            &GraphParams {
                hold_out: Some(view.target),
                ..self.graph
            },
        )?;
        let mut emb = self.embed(zoo, &graph, view.seed)?;
        neutral_if_isolated(&graph, zoo, view.target, &mut emb);
        self.rank_with_embeddings(view, &emb)
    }
}

/// When the target's node has no edge at all (a zoo with records only: no distances, no
/// scores, and the target's records held out), its vector carries nothing about it: a walk
/// never reaches it (Node2Vec keeps its random start) and a GNN sees only "a dataset of
/// degree 0", a kind of node no training row has. Regressing on it extrapolates noise
/// (lr+node2vec on the image zoo imported as records only: Pearson 0.711, w-τ 0.402, Rel@1
/// 0.751, against lr's 0.796 / 0.680 / 0.939). It is replaced by the mean vector of the
/// datasets that have edges, i.e. "a typical dataset of this zoo", which is all the zoo says
/// about such a target.
pub fn neutral_if_isolated(graph: &Graph, zoo: &Zoo, target: DatasetIdx, emb: &mut Embeddings) {
    let t = dataset_node(zoo, target);
    if graph.degree(t) > 0 || emb.n_nodes != graph.n_nodes() {
        return;
    }
    let linked: Vec<usize> = (0..zoo.datasets.len())
        .map(|d| dataset_node(zoo, d))
        .filter(|&n| n != t && graph.degree(n) > 0)
        .collect();
    if linked.is_empty() {
        return;
    }
    let dim = emb.dim;
    let mut mean = vec![0.0; dim];
    for &n in &linked {
        for (m, v) in mean.iter_mut().zip(emb.row(n)) {
            *m += v / linked.len() as f64;
        }
    }
    emb.data[t * dim..(t + 1) * dim].copy_from_slice(&mean);
}

impl GraphRanker {
    /// Ranks with the target embedded inductively, as for a new dataset with no records: the
    /// embedder is trained on the graph of the zoo **without** the target dataset and without
    /// the datasets nothing but distances ties to the models ([`inert_datasets`]: no record, no
    /// stored score, no model's source), then the target node is added with its dataset–dataset
    /// (and, for `@scores`, score) edges by `FittedEmbedder::extend` (Node2Vec: walks from the
    /// target and skip-gram on its vector against the frozen context vectors; GraphSAGE / GAT:
    /// a forward pass of the trained weights). Every other node keeps its trained vector, so a
    /// fitted embedder serves any number of new targets (`extend` takes 1–3 ms against
    /// 0.13–0.5 s for retraining on the image zoo, `crates/experiments/examples/inductive.rs`);
    /// leaving the inert datasets out makes the trained graph the same for every new dataset of
    /// a zoo, which is what lets [`GraphRanker::rank_inductive_cached`] reuse it.
    ///
    /// # Errors
    /// As [`Ranker::rank`].
    pub fn rank_inductive(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        Ok(self.rank_inductive_cached(view, None)?.scores)
    }

    /// [`GraphRanker::rank_inductive`], taking the fitted embedder from `cache` when one was
    /// stored for the same trained graph (same zoo without its inert datasets, graph and
    /// learner parameters, node features and seed: [`GraphRanker::embedder_key`]) and storing
    /// the one it trains otherwise, keeping the newest [`KEPT_EMBEDDERS`]. Rankings are
    /// identical either way (the saved embedder extends bit for bit like the trained one). A
    /// stored entry that does not load is replaced. A cache that fails to read or write does
    /// not fail the ranking: its errors come back in [`Inductive::cache_errors`].
    ///
    /// # Errors
    /// As [`Ranker::rank`].
    pub fn rank_inductive_cached(
        &self,
        view: &TargetView,
        cache: Option<&mut dyn BlobCache>,
    ) -> Result<Inductive, PredictError> {
        let inert = view.zoo.inert_datasets();
        let mut keep: Vec<DatasetIdx> = (0..view.zoo.datasets.len())
            .filter(|&d| d != view.target && !inert.contains(&d))
            .collect();
        let zoo0 = view.zoo.with_datasets(&keep);
        keep.push(view.target);
        let zoo1 = view.zoo.with_datasets(&keep);
        let last = zoo1.datasets.len() - 1;
        let g0 = build_graph(
            &zoo0,
            &GraphParams {
                hold_out: None,
                ..self.graph
            },
        )?;
        let g1 = build_graph(
            &zoo1,
            &GraphParams {
                hold_out: Some(last),
                ..self.graph
            },
        )?;
        let f0 = self.node_features(&zoo0, &g0)?;
        let key = self.embedder_key(&g0, f0.as_ref(), view.seed);
        let mut cache = cache;
        let mut cache_errors = Vec::new();
        let stored = match cache.as_deref_mut().map(|c| c.get(&key)) {
            Some(Ok(bytes)) => bytes,
            Some(Err(e)) => {
                cache_errors.push(e);
                None
            }
            None => None,
        };
        let stored = stored
            .and_then(|b| zoorank_graph::fitted_from_bytes(&b).ok())
            .filter(|f| f.id() == self.learner.id() && f.embeddings().n_nodes == g0.n_nodes());
        let (fitted, source) = match stored {
            Some(f) => (f, EmbedderSource::Reused),
            None => {
                let f = self.embedder_with(f0)?.fit(&g0, view.seed)?;
                if let Some(c) = cache {
                    let kept = c
                        .put(&key, &f.to_bytes())
                        .and_then(|()| c.keep_newest(EMBEDDER_KEY_PREFIX, KEPT_EMBEDDERS));
                    cache_errors.extend(kept.err());
                }
                (f, EmbedderSource::Trained)
            }
        };
        let features = self.node_features(&zoo1, &g1)?;
        let node = dataset_node(&zoo1, last);
        let mut emb = fitted.extend(&g1, features.as_ref(), &[node], view.seed)?;
        neutral_if_isolated(&g1, &zoo1, last, &mut emb);
        let view1 = TargetView {
            zoo: zoo1,
            target: last,
            candidates: view.candidates.clone(),
            seed: view.seed,
        };
        Ok(Inductive {
            scores: self.rank_with_embeddings(&view1, &emb)?,
            source,
            cache_errors,
        })
    }

    /// The cache key of the embedder this ranker trains on `g0` with node features `features`
    /// and `seed`: `embedder:<learner>:` and a [`StableHash`] of the learner, its parameters,
    /// the seed, every node kind, edge and weight bit pattern of `g0` and every feature name
    /// and value. Stable across runs and builds, so it can name a stored embedder; a different
    /// zoo, graph or setting gives another key.
    pub fn embedder_key(&self, g0: &Graph, features: Option<&NodeFeatures>, seed: u64) -> String {
        let mut h = StableHash::new();
        h.str("zoorank-embedder-v2")
            .str(self.learner.id())
            .str(&format!("{:?}|{:?}", self.embed, self.gnn))
            .u64(seed)
            .u64(g0.n_nodes() as u64);
        for u in 0..g0.n_nodes() {
            let kind = match g0.kind(u) {
                NodeKind::Model(m) => 2 * m as u64,
                NodeKind::Dataset(d) => 2 * d as u64 + 1,
                NodeKind::Other => u64::MAX,
            };
            h.u64(kind).u64(g0.neighbors(u).len() as u64);
            for (&v, &w) in g0.neighbors(u).iter().zip(g0.neighbor_weights(u)) {
                h.u64(v as u64).u64(w.to_bits());
            }
        }
        if let Some(f) = features {
            for n in &f.names {
                h.str(n);
            }
            for v in &f.data {
                h.u64(v.to_bits());
            }
        }
        format!("{EMBEDDER_KEY_PREFIX}{}:{}", self.learner.id(), h.hex())
    }

    /// [`Ranker::rank`] with the node embeddings of `view.zoo`'s graph given (node ids of
    /// `build_graph` on `view.zoo`), e.g. a target embedded by `FittedEmbedder::extend`.
    ///
    /// # Errors
    /// `GraphError::EmbeddingRows` when `emb` does not have one row per model and dataset;
    /// the regressor's errors.
    pub fn rank_with_embeddings(
        &self,
        view: &TargetView,
        emb: &Embeddings,
    ) -> Result<Vec<ModelScore>, PredictError> {
        let zoo = &view.zoo;
        let n_nodes = zoo.models.len() + zoo.datasets.len();
        if emb.n_nodes != n_nodes {
            return Err(GraphError::EmbeddingRows {
                expected: n_nodes,
                got: emb.n_nodes,
            }
            .into());
        }
        let dim = emb.dim;
        let compact = self.regressor == RegressorKind::Boosting;
        let push = |m: ModelIdx, d: DatasetIdx, row: &mut Vec<f64>| {
            let (a, b) = (model_node(m), dataset_node(zoo, d));
            if compact {
                let dot: f64 = emb.row(a).iter().zip(emb.row(b)).map(|(x, y)| x * y).sum();
                row.push(dot);
            } else {
                row.extend_from_slice(emb.row(a));
                row.extend_from_slice(emb.row(b));
            }
            row.push(emb.cosine(a, b));
        };
        let n_graph_columns = if compact { 2 } else { 2 * dim + 1 };
        fit_and_rank_with(
            self.regressor,
            TableSpec {
                history: true,
                one_hot_ids: false,
            },
            view,
            Some((n_graph_columns, &push)),
        )
    }
}

/// How many trained graph embedders [`GraphRanker::rank_inductive_cached`] keeps in a cache;
/// older ones are deleted when a new one is kept. An embedder is only reused while the zoo
/// (and the method, setting and seed) is unchanged, so older ones are mostly stale; each is
/// ~100 KiB on the image zoo.
pub const KEPT_EMBEDDERS: usize = 16;

/// What [`GraphRanker::rank_inductive_cached`] returns.
#[derive(Debug)]
pub struct Inductive {
    /// The candidates' scores.
    pub scores: Vec<ModelScore>,
    /// Whether the embedder was trained or reused.
    pub source: EmbedderSource,
    /// What the cache failed to read or write (the ranking did not depend on it).
    pub cache_errors: Vec<BlobError>,
}

/// Whether [`GraphRanker::rank_inductive_cached`] trained its embedder or reused a stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedderSource {
    /// Trained in this call (and stored, given a cache).
    Trained,
    /// Loaded from the cache.
    Reused,
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoorank_core::{Dataset, Distance, MemoryCache, Record, Zoo};

    /// 12 models whose quality ranks the same on 5 related datasets; target `t` has records
    /// (to be held out) and distances.
    fn zoo() -> Zoo {
        let mut z = Zoo::from_names(
            (0..12).map(|i| format!("m{i}")),
            ["a", "b", "c", "d", "e", "t"],
        );
        for d in 0..6 {
            for m in 0..12 {
                let acc = 0.4 + 0.04 * m as f64 + 0.01 * ((m * 7 + d * 3) % 5) as f64;
                z.records.push(Record::new(m, d, acc));
            }
        }
        for a in 0..6 {
            for b in a + 1..6 {
                z.distances.push(Distance {
                    a,
                    b,
                    method: "ds".into(),
                    value: 1.0 + ((a + b) % 3) as f64,
                });
            }
        }
        z
    }

    fn from_id(id: &str) -> GraphRanker {
        GraphRanker::new(id.parse().unwrap())
    }

    /// `z` with the target's (dataset 5's) accuracies turned upside down: a ranking that
    /// does not look at them is the same on both.
    fn poisoned(z: &Zoo) -> Zoo {
        let mut p = z.clone();
        for r in p.records.iter_mut().filter(|r| r.dataset == 5) {
            r.accuracy = 1.0 - r.accuracy;
        }
        p
    }

    fn view(z: &Zoo, seed: u64) -> TargetView {
        let t = 5;
        TargetView {
            zoo: z.without_target_history(t),
            target: t,
            candidates: (0..12).collect(),
            seed,
        }
    }

    #[test]
    fn ids_round_trip() {
        for id in [
            "lr+node2vec",
            "rf+node2vec",
            "xgb+node2vec",
            "lr+node2vec+",
            "rf+node2vec+",
            "xgb+node2vec+",
            "lr+graphsage",
            "xgb+gat",
        ] {
            assert_eq!(from_id(id).id(), id);
        }
        for spec in super::super::spec::graph_specs() {
            let id = spec.to_string();
            assert_eq!(GraphRanker::new(spec).id(), id);
            let scored = format!("{id}@scores");
            let r = from_id(&scored);
            assert_eq!(r.id(), scored);
            assert_eq!(r.graph_params().score_weight, SCORE_WEIGHT);
        }
        for bad in [
            "node2vec",
            "fm+node2vec",
            "lr+gcn",
            "lr+",
            "gat+lr",
            "lr+gat@score",
            "lr+gat@scores@scores",
        ] {
            assert!(bad.parse::<GraphSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn ranks_deterministically_and_learns_the_shared_order() {
        let z = zoo();
        for id in ["lr+node2vec", "xgb+node2vec+", "lr+graphsage", "rf+gat"] {
            let r = from_id(id);
            let a = r.rank(&view(&z, 1)).unwrap();
            assert_eq!(a, r.rank(&view(&z, 1)).unwrap(), "{id} not deterministic");
            assert_eq!(a.len(), 12);
            // The best model everywhere (m11) is ranked above the worst (m0).
            assert!(a[11].score > a[0].score, "{id}: {a:?}");
        }
    }

    #[test]
    fn the_target_history_does_not_matter() {
        let z = zoo();
        let poisoned = poisoned(&z);
        for id in ["lr+node2vec+", "lr+graphsage", "lr+gat"] {
            let r = from_id(id);
            assert_eq!(
                r.rank(&view(&z, 2)).unwrap(),
                r.rank(&view(&poisoned, 2)).unwrap(),
                "{id}"
            );
        }
    }

    #[test]
    fn score_edges_bring_the_targets_scores_in_and_still_none_of_its_records() {
        // LogME-like scores on every dataset, the target's included; `flip` reverses the
        // target's. The target has no records: as `recommend` sees a new dataset.
        let scored = |flip: bool| {
            let mut z = zoo();
            for d in 0..6 {
                for m in 0..12 {
                    let v = if flip && d == 5 {
                        -(m as f64)
                    } else {
                        m as f64
                    };
                    z.scores.push(zoorank_core::ScoreRecord {
                        model: m,
                        dataset: d,
                        method: "logme".into(),
                        value: v,
                        runtime: None,
                    });
                }
            }
            z
        };
        let z = scored(false);
        let poisoned = poisoned(&z);
        // (The table features hold score percentiles too, so flipping the target's scores moves
        // the plain rankers as well; what the suffix adds is the graph's score edges.)
        let flipped = scored(true);
        for id in ["lr+node2vec", "lr+graphsage"] {
            let plain = from_id(id);
            let r = from_id(&format!("{id}@scores"));
            for (r, plain) in [
                (r.clone(), plain.clone()),
                (r.inductive(true), plain.inductive(true)),
            ] {
                let a = r.rank(&view(&z, 2)).unwrap();
                assert_eq!(a, r.rank(&view(&poisoned, 2)).unwrap(), "{id} leaks");
                assert_ne!(a, plain.rank(&view(&z, 2)).unwrap(), "{id}: no score edges");
                assert_ne!(a, r.rank(&view(&flipped, 2)).unwrap(), "{id}");
            }
        }
    }

    /// `zoo()` plus two new datasets n1, n2 (no records) with distances to a..e.
    fn zoo_with_new() -> Zoo {
        let mut z = zoo();
        for n in ["n1", "n2"] {
            let d = z.add_dataset(Dataset::named(n));
            for e in 0..5 {
                z.distances.push(Distance {
                    a: e,
                    b: d,
                    method: "ds".into(),
                    value: 1.0 + ((e + d) % 4) as f64,
                });
            }
        }
        z
    }

    #[test]
    fn one_stored_embedder_serves_every_new_dataset_and_ranks_as_a_fresh_one() {
        let z = zoo_with_new();
        assert_eq!(z.inert_datasets(), [6, 7]);
        let new_view = |t: usize, seed: u64| TargetView {
            zoo: z.clone(),
            target: t,
            candidates: (0..12).collect(),
            seed,
        };
        for id in ["lr+node2vec", "rf+graphsage", "lr+gat@scores"] {
            let r = from_id(id);
            let mut cache = MemoryCache::default();
            let run = |t: usize, seed: u64, cache: &mut MemoryCache| {
                let out = r
                    .rank_inductive_cached(&new_view(t, seed), Some(cache))
                    .unwrap();
                assert!(out.cache_errors.is_empty());
                (out.scores, out.source)
            };
            let (a, src) = run(6, 1, &mut cache);
            assert_eq!(src, EmbedderSource::Trained, "{id}");
            assert_eq!(a, r.rank_inductive(&new_view(6, 1)).unwrap(), "{id}");
            // Again, and for the other new dataset: the stored embedder, the same rankings as
            // training afresh.
            for t in [6, 7] {
                let (b, src) = run(t, 1, &mut cache);
                assert_eq!(src, EmbedderSource::Reused, "{id} on {t}");
                assert_eq!(b, r.rank_inductive(&new_view(t, 1)).unwrap(), "{id} on {t}");
            }
            assert_eq!(cache.writes, 1, "{id}");
            // Another seed is another embedder.
            let (_, src) = run(6, 2, &mut cache);
            assert_eq!(src, EmbedderSource::Trained, "{id}");
            // A damaged entry is replaced, not trusted.
            for v in cache.entries.values_mut() {
                v.1.truncate(10);
            }
            let (c, src) = run(6, 1, &mut cache);
            assert_eq!((c, src), (a, EmbedderSource::Trained), "{id}");
        }
        // At most KEPT_EMBEDDERS are kept; a failing cache is reported, not fatal.
        let r = from_id("lr+node2vec");
        let mut cache = MemoryCache::default();
        for seed in 0..KEPT_EMBEDDERS as u64 + 2 {
            r.rank_inductive_cached(&new_view(6, seed), Some(&mut cache))
                .unwrap();
        }
        assert_eq!(cache.entries.len(), KEPT_EMBEDDERS);
        struct Broken;
        impl BlobCache for Broken {
            fn get(&mut self, _: &str) -> Result<Option<Vec<u8>>, BlobError> {
                Err("disk on fire".into())
            }
            fn put(&mut self, _: &str, _: &[u8]) -> Result<(), BlobError> {
                Err("still on fire".into())
            }
            fn keep_newest(&mut self, _: &str, _: usize) -> Result<usize, BlobError> {
                Ok(0)
            }
        }
        let out = r
            .rank_inductive_cached(&new_view(6, 1), Some(&mut Broken))
            .unwrap();
        assert_eq!(out.scores, r.rank_inductive(&new_view(6, 1)).unwrap());
        let errs: Vec<String> = out.cache_errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs, ["disk on fire", "still on fire"]);
        // Records on a new dataset make it part of the trained graph: another key.
        let r = from_id("lr+node2vec");
        let mut z2 = z.clone();
        z2.records.push(Record::new(0, 7, 0.5));
        z2.records.push(Record::new(1, 7, 0.6));
        let g = |z: &Zoo| {
            let keep: Vec<usize> = (0..z.datasets.len())
                .filter(|&d| d != 6 && !z.inert_datasets().contains(&d))
                .collect();
            build_graph(&z.with_datasets(&keep), &GraphParams::default()).unwrap()
        };
        assert_ne!(
            r.embedder_key(&g(&z), None, 1),
            r.embedder_key(&g(&z2), None, 1)
        );
    }

    #[test]
    fn inductive_ranking_is_deterministic_leak_free_and_learns_the_order() {
        let z = zoo();
        let poisoned = poisoned(&z);
        for id in ["lr+node2vec", "lr+node2vec+", "lr+graphsage", "xgb+gat"] {
            let r = from_id(id).inductive(true);
            assert_eq!(r.id(), id);
            let a = r.rank(&view(&z, 1)).unwrap();
            assert_eq!(a, r.rank(&view(&z, 1)).unwrap(), "{id} not deterministic");
            assert_eq!(a, r.rank(&view(&poisoned, 1)).unwrap(), "{id} leaks");
            assert_eq!(a.len(), 12);
            assert!(a[11].score > a[0].score, "{id}: {a:?}");
            // Where the target sits among the datasets does not matter.
            let middle = TargetView {
                zoo: z.without_target_history(2),
                target: 2,
                candidates: (0..12).collect(),
                seed: 1,
            };
            let last = TargetView {
                zoo: middle.zoo.with_target_last(2),
                target: 5,
                ..middle.clone()
            };
            assert_eq!(r.rank(&middle).unwrap(), r.rank(&last).unwrap(), "{id}");
        }
    }

    /// The graph `r` builds for `v` (the target held out).
    fn held_out_graph(r: &GraphRanker, v: &TargetView) -> Graph {
        build_graph(
            &v.zoo,
            &GraphParams {
                hold_out: Some(v.target),
                ..r.graph_params()
            },
        )
        .unwrap()
    }

    #[test]
    fn an_isolated_target_gets_the_mean_vector_of_the_linked_datasets() {
        // Records only: without distances the held-out target has no edge.
        let mut z = zoo();
        z.distances.clear();
        let v = view(&z, 3);
        let r = from_id("lr+node2vec");
        let g = held_out_graph(&r, &v);
        let t = dataset_node(&v.zoo, v.target);
        assert_eq!(g.degree(t), 0);
        let mut emb = r.embed(&v.zoo, &g, 3).unwrap();
        let before = emb.clone();
        neutral_if_isolated(&g, &v.zoo, v.target, &mut emb);
        let linked: Vec<usize> = (0..5).map(|d| dataset_node(&v.zoo, d)).collect();
        for k in 0..emb.dim {
            let mean = linked.iter().map(|&n| before.row(n)[k]).sum::<f64>() / 5.0;
            assert!((emb.row(t)[k] - mean).abs() < 1e-12);
        }
        // Every other vector is untouched.
        for n in (0..emb.n_nodes).filter(|&n| n != t) {
            assert_eq!(emb.row(n), before.row(n));
        }
        // With its distance edges the target keeps its own vector.
        let v = view(&zoo(), 3);
        let g = held_out_graph(&r, &v);
        let mut emb = r.embed(&v.zoo, &g, 3).unwrap();
        let before = emb.clone();
        neutral_if_isolated(&g, &v.zoo, v.target, &mut emb);
        assert_eq!(emb, before);
    }
}
