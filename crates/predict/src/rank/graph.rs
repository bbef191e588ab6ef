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

use super::history::fit_and_rank_with;
use super::table::TableSpec;
use super::{ModelScore, PredictError, Ranker, TargetView};
use zoorank_core::{DatasetIdx, ModelIdx, Zoo};
use zoorank_graph::build::{dataset_node, model_node};
use zoorank_graph::{
    build_graph, Embeddings, Gat, GnnParams, Graph, GraphError, GraphParams, GraphSage,
    InductiveEmbedder, Node2Vec, Node2VecParams, NodeFeatures, NodeKind,
};

/// The key prefix of every kept graph embedder in an [`EmbedderCache`]
/// ([`GraphRanker::embedder_key`]).
pub const EMBEDDER_KEY_PREFIX: &str = "embedder:";

/// Suffix of the graph ids whose graph has transferability-score edges.
pub const SCORES_SUFFIX: &str = "@scores";
/// `GraphParams::score_weight` of the `@scores` ids: a score link weighs at most what an
/// accuracy link of a perfect model does. Fixed a priori, not tuned (the validation targets
/// of the image zoo have no stored scores to tune it on).
pub const SCORE_WEIGHT: f64 = 1.0;

/// Embedding dimension the graph rankers use.
pub const RANKER_DIM: usize = 32;

/// Which node embedder a [`GraphRanker`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learner {
    /// Node2Vec (Grover & Leskovec 2016).
    Node2Vec,
    /// Node2Vec+ (Liu et al. 2023).
    Node2VecPlus,
    /// GraphSAGE, mean aggregator, 2 layers (Hamilton et al. 2017).
    GraphSage,
    /// GAT, 2 layers (Veličković et al. 2018).
    Gat,
}

impl Learner {
    /// Stable id.
    pub fn id(self) -> &'static str {
        match self {
            Learner::Node2Vec => "node2vec",
            Learner::Node2VecPlus => "node2vec+",
            Learner::GraphSage => "graphsage",
            Learner::Gat => "gat",
        }
    }

    /// Every learner, in id order of [`super::GRAPH_IDS`].
    pub const ALL: [Learner; 4] = [
        Learner::Node2Vec,
        Learner::Node2VecPlus,
        Learner::GraphSage,
        Learner::Gat,
    ];
}

/// A graph ranker: learner × regressor (see the module docs).
#[derive(Debug, Clone)]
pub struct GraphRanker {
    learner: Learner,
    regressor: String,
    graph: GraphParams,
    embed: Node2VecParams,
    gnn: GnnParams,
    inductive: bool,
}

impl GraphRanker {
    /// Default graph and embedding parameters; `regressor` is `lr`, `rf` or `xgb`.
    pub fn new(learner: Learner, regressor: &str) -> GraphRanker {
        GraphRanker {
            learner,
            regressor: regressor.to_string(),
            graph: GraphParams::default(),
            // 32 dimensions, not the embedder's 128: the regressors see ≈ 2 000 rows, their
            // cost grows with the columns (xgb took ≈ 25 s per target with 2 × 128 + 1
            // graph columns on the loaded 2-core machine) and the issue asks < 1 s.
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
    /// again (`crates/eval/examples/inductive.rs`).
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

    /// Parses an id `<regressor>+<learner>` (`xgb+node2vec+`, …).
    ///
    /// `<id>@scores` (e.g. `lr+node2vec@scores`) adds transferability-score edges to the graph
    /// (`GraphParams::score_weight` = [`SCORE_WEIGHT`]), the target's included.
    pub fn from_id(id: &str) -> Option<GraphRanker> {
        let (base, scores) = match id.strip_suffix(SCORES_SUFFIX) {
            Some(b) => (b, true),
            None => (id, false),
        };
        let (reg, learner) = base.split_once('+')?;
        let learner = Learner::ALL.into_iter().find(|l| l.id() == learner)?;
        let mut r = matches!(reg, "lr" | "rf" | "xgb").then(|| GraphRanker::new(learner, reg))?;
        if scores {
            r.graph.score_weight = SCORE_WEIGHT;
        }
        Some(r)
    }
}

impl Ranker for GraphRanker {
    fn id(&self) -> String {
        let scores = if self.graph.score_weight > 0.0 {
            SCORES_SUFFIX
        } else {
            ""
        };
        format!("{}+{}{scores}", self.regressor, self.learner.id())
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
    /// 0.13–0.5 s for retraining on the image zoo, `crates/eval/examples/inductive.rs`);
    /// leaving the inert datasets out makes the trained graph the same for every new dataset of
    /// a zoo, which is what lets [`GraphRanker::rank_inductive_cached`] reuse it.
    ///
    /// # Errors
    /// As [`Ranker::rank`].
    pub fn rank_inductive(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        Ok(self.rank_inductive_cached(view, None)?.0)
    }

    /// [`GraphRanker::rank_inductive`], taking the fitted embedder from `cache` when one was
    /// stored for the same trained graph (same zoo without its inert datasets, graph and
    /// learner parameters, node features and seed: [`GraphRanker::embedder_key`]) and storing
    /// the one it trains otherwise. Rankings are identical either way (the saved embedder
    /// extends bit for bit like the trained one). A stored entry that does not load is
    /// replaced.
    ///
    /// # Errors
    /// As [`Ranker::rank`].
    pub fn rank_inductive_cached(
        &self,
        view: &TargetView,
        cache: Option<&mut dyn EmbedderCache>,
    ) -> Result<(Vec<ModelScore>, EmbedderSource), PredictError> {
        let inert = inert_datasets(&view.zoo);
        let mut keep: Vec<DatasetIdx> = (0..view.zoo.datasets.len())
            .filter(|&d| d != view.target && !inert.contains(&d))
            .collect();
        let zoo0 = with_datasets(&view.zoo, &keep);
        keep.push(view.target);
        let zoo1 = with_datasets(&view.zoo, &keep);
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
        let stored = cache
            .as_deref_mut()
            .and_then(|c| c.get(&key))
            .and_then(|b| zoorank_graph::fitted_from_bytes(&b).ok())
            .filter(|f| f.id() == self.learner.id() && f.embeddings().n_nodes == g0.n_nodes());
        let (fitted, source) = match stored {
            Some(f) => (f, EmbedderSource::Reused),
            None => {
                let f = self.embedder_with(f0)?.fit(&g0, view.seed)?;
                if let Some(c) = cache {
                    c.put(&key, &f.to_bytes());
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
        Ok((self.rank_with_embeddings(&view1, &emb)?, source))
    }

    /// The cache key of the embedder this ranker trains on `g0` with node features `features`
    /// and `seed`: `embedder:<learner>:` and a 128-bit hash (two FNV-1a passes) of the learner,
    /// its parameters, the seed, every node kind, edge and weight bit pattern of `g0` and every
    /// feature name and value. Stable across runs and builds (no randomised hasher), so it can
    /// name a stored embedder; a different zoo, graph or setting gives another key.
    pub fn embedder_key(&self, g0: &Graph, features: Option<&NodeFeatures>, seed: u64) -> String {
        let mut h = Fnv2::new();
        h.bytes(b"zoorank-embedder-v1");
        h.bytes(self.learner.id().as_bytes());
        h.bytes(format!("{:?}|{:?}", self.embed, self.gnn).as_bytes());
        h.u64(seed);
        h.u64(g0.n_nodes() as u64);
        for u in 0..g0.n_nodes() {
            let kind = match g0.kind(u) {
                NodeKind::Model(m) => 2 * m as u64,
                NodeKind::Dataset(d) => 2 * d as u64 + 1,
                NodeKind::Other => u64::MAX,
            };
            h.u64(kind);
            h.u64(g0.neighbors(u).len() as u64);
            for (&v, &w) in g0.neighbors(u).iter().zip(g0.neighbor_weights(u)) {
                h.u64(v as u64);
                h.u64(w.to_bits());
            }
        }
        if let Some(f) = features {
            for n in &f.names {
                h.bytes(n.as_bytes());
            }
            for v in &f.data {
                h.u64(v.to_bits());
            }
        }
        let (a, b) = h.finish();
        format!(
            "{EMBEDDER_KEY_PREFIX}{}:{a:016x}{b:016x}",
            self.learner.id()
        )
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
        let compact = self.regressor == "xgb";
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
            &self.regressor,
            TableSpec {
                history: true,
                one_hot_ids: false,
            },
            view,
            Some((n_graph_columns, &push)),
        )
    }
}

/// `zoo` with dataset `t` moved to the last index (records, scores and distances re-indexed;
/// models keep their indices), so that the graph of the zoo without it has the same node ids.
pub fn target_last(zoo: &Zoo, t: DatasetIdx) -> Zoo {
    if t >= zoo.datasets.len() {
        return zoo.clone();
    }
    let order: Vec<DatasetIdx> = (0..zoo.datasets.len())
        .filter(|&d| d != t)
        .chain([t])
        .collect();
    with_datasets(zoo, &order)
}

/// `zoo` without its last dataset and the records, scores and distances that refer to it.
pub fn drop_last_dataset(zoo: &Zoo) -> Zoo {
    let keep: Vec<DatasetIdx> = (0..zoo.datasets.len().saturating_sub(1)).collect();
    with_datasets(zoo, &keep)
}

/// Where [`GraphRanker::rank_inductive_cached`] keeps fitted embedders between calls (the
/// CLI: the zoo store's blob table).
pub trait EmbedderCache {
    /// The bytes stored under `key`, if any.
    fn get(&mut self, key: &str) -> Option<Vec<u8>>;
    /// Stores `bytes` under `key`. A cache that cannot store deals with it (e.g. warns):
    /// ranking goes on.
    fn put(&mut self, key: &str, bytes: &[u8]);
}

/// Whether [`GraphRanker::rank_inductive_cached`] trained its embedder or reused a stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedderSource {
    /// Trained in this call (and stored, given a cache).
    Trained,
    /// Loaded from the cache.
    Reused,
}

/// Datasets of `zoo` that nothing but distances ties to the models: no fine-tuning record, no
/// stored score, and no model names them as its source dataset. They carry no evidence about
/// any model, and leaving them out of the graph an embedder is trained on makes that graph the
/// same for every new dataset added to a zoo (each one is inert until it gets records).
pub fn inert_datasets(zoo: &Zoo) -> Vec<DatasetIdx> {
    let mut tied = vec![false; zoo.datasets.len()];
    for r in &zoo.records {
        tied[r.dataset] = true;
    }
    for s in &zoo.scores {
        tied[s.dataset] = true;
    }
    for m in &zoo.models {
        if let Some(d) = m
            .source_dataset
            .as_deref()
            .and_then(|n| zoo.dataset_index(n))
        {
            tied[d] = true;
        }
    }
    (0..zoo.datasets.len()).filter(|&d| !tied[d]).collect()
}

/// `zoo` with only the datasets `keep`, in that order (dataset `keep[i]` becomes `i`); records,
/// scores and distances of other datasets are dropped, the rest re-indexed. Models keep their
/// indices, so graph node ids of models do not move.
pub fn with_datasets(zoo: &Zoo, keep: &[DatasetIdx]) -> Zoo {
    let mut map = vec![None; zoo.datasets.len()];
    for (i, &d) in keep.iter().enumerate() {
        map[d] = Some(i);
    }
    let mut z = zoo.clone();
    z.datasets = keep.iter().map(|&d| zoo.datasets[d].clone()).collect();
    z.records = zoo
        .records
        .iter()
        .filter_map(|r| {
            let mut r = r.clone();
            r.dataset = map[r.dataset]?;
            Some(r)
        })
        .collect();
    z.scores = zoo
        .scores
        .iter()
        .filter_map(|s| {
            let mut s = s.clone();
            s.dataset = map[s.dataset]?;
            Some(s)
        })
        .collect();
    z.distances = zoo
        .distances
        .iter()
        .filter_map(|x| {
            let mut x = x.clone();
            x.a = map[x.a]?;
            x.b = map[x.b]?;
            Some(x)
        })
        .collect();
    z
}

/// Two FNV-1a 64 passes with different offset bases (a 128-bit, build-stable hash; not
/// cryptographic, keys only need to tell different inputs apart).
struct Fnv2(u64, u64);

impl Fnv2 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    fn new() -> Fnv2 {
        Fnv2(0xcbf2_9ce4_8422_2325, 0x6c62_272e_07bb_0142)
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        for &x in b {
            self.byte(x);
        }
    }
    fn u64(&mut self, v: u64) {
        for x in v.to_le_bytes() {
            self.byte(x);
        }
    }
    fn byte(&mut self, x: u8) {
        self.0 = (self.0 ^ u64::from(x)).wrapping_mul(Self::PRIME);
        self.1 = (self.1 ^ u64::from(x.rotate_left(3))).wrapping_mul(Self::PRIME);
    }
    fn finish(&self) -> (u64, u64) {
        (self.0, self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoorank_core::{Dataset, Distance, Model, Record, Zoo};

    /// 12 models whose quality ranks the same on 5 related datasets; target `t` has records
    /// (to be held out) and distances.
    fn zoo() -> Zoo {
        let mut z = Zoo::default();
        for i in 0..12 {
            z.add_model(Model::named(format!("m{i}")));
        }
        for n in ["a", "b", "c", "d", "e", "t"] {
            z.add_dataset(Dataset::named(n));
        }
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
            assert_eq!(GraphRanker::from_id(id).unwrap().id(), id);
        }
        for id in super::super::GRAPH_IDS {
            assert_eq!(GraphRanker::from_id(id).unwrap().id(), id);
            let scored = format!("{id}@scores");
            let r = GraphRanker::from_id(&scored).unwrap();
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
            assert!(GraphRanker::from_id(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn ranks_deterministically_and_learns_the_shared_order() {
        let z = zoo();
        for id in ["lr+node2vec", "xgb+node2vec+", "lr+graphsage", "rf+gat"] {
            let r = GraphRanker::from_id(id).unwrap();
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
        let mut poisoned = z.clone();
        for r in poisoned.records.iter_mut().filter(|r| r.dataset == 5) {
            r.accuracy = 1.0 - r.accuracy;
        }
        for id in ["lr+node2vec+", "lr+graphsage", "lr+gat"] {
            let r = GraphRanker::from_id(id).unwrap();
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
        let mut poisoned = z.clone();
        for r in poisoned.records.iter_mut().filter(|r| r.dataset == 5) {
            r.accuracy = 1.0 - r.accuracy;
        }
        // (The table features hold score percentiles too, so flipping the target's scores moves
        // the plain rankers as well; what the suffix adds is the graph's score edges.)
        let flipped = scored(true);
        for id in ["lr+node2vec", "lr+graphsage"] {
            let plain = GraphRanker::from_id(id).unwrap();
            let r = GraphRanker::from_id(&format!("{id}@scores")).unwrap();
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

    /// A cache in memory that counts what happens.
    #[derive(Default)]
    struct Memory {
        map: std::collections::HashMap<String, Vec<u8>>,
        puts: usize,
    }
    impl EmbedderCache for Memory {
        fn get(&mut self, key: &str) -> Option<Vec<u8>> {
            self.map.get(key).cloned()
        }
        fn put(&mut self, key: &str, bytes: &[u8]) {
            self.puts += 1;
            self.map.insert(key.to_string(), bytes.to_vec());
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
        assert_eq!(inert_datasets(&z), [6, 7]);
        let new_view = |t: usize, seed: u64| TargetView {
            zoo: z.clone(),
            target: t,
            candidates: (0..12).collect(),
            seed,
        };
        for id in ["lr+node2vec", "rf+graphsage", "lr+gat@scores"] {
            let r = GraphRanker::from_id(id).unwrap();
            let mut cache = Memory::default();
            let (a, src) = r
                .rank_inductive_cached(&new_view(6, 1), Some(&mut cache))
                .unwrap();
            assert_eq!(src, EmbedderSource::Trained, "{id}");
            assert_eq!(a, r.rank_inductive(&new_view(6, 1)).unwrap(), "{id}");
            // Again, and for the other new dataset: the stored embedder, the same rankings as
            // training afresh.
            for t in [6, 7] {
                let (b, src) = r
                    .rank_inductive_cached(&new_view(t, 1), Some(&mut cache))
                    .unwrap();
                assert_eq!(src, EmbedderSource::Reused, "{id} on {t}");
                assert_eq!(b, r.rank_inductive(&new_view(t, 1)).unwrap(), "{id} on {t}");
            }
            assert_eq!(cache.puts, 1, "{id}");
            // Another seed is another embedder.
            let (_, src) = r
                .rank_inductive_cached(&new_view(6, 2), Some(&mut cache))
                .unwrap();
            assert_eq!(src, EmbedderSource::Trained, "{id}");
            // A damaged entry is replaced, not trusted.
            for v in cache.map.values_mut() {
                v.truncate(10);
            }
            let (c, src) = r
                .rank_inductive_cached(&new_view(6, 1), Some(&mut cache))
                .unwrap();
            assert_eq!((c, src), (a, EmbedderSource::Trained), "{id}");
        }
        // Records on a new dataset make it part of the trained graph: another key.
        let r = GraphRanker::from_id("lr+node2vec").unwrap();
        let mut z2 = z.clone();
        z2.records.push(Record::new(0, 7, 0.5));
        z2.records.push(Record::new(1, 7, 0.6));
        let g = |z: &Zoo| {
            let keep: Vec<usize> = (0..z.datasets.len())
                .filter(|&d| d != 6 && !inert_datasets(z).contains(&d))
                .collect();
            build_graph(&with_datasets(z, &keep), &GraphParams::default()).unwrap()
        };
        assert_ne!(
            r.embedder_key(&g(&z), None, 1),
            r.embedder_key(&g(&z2), None, 1)
        );
    }

    #[test]
    fn with_datasets_reindexes_and_drops() {
        let z = zoo_with_new();
        let w = with_datasets(&z, &[7, 1]);
        assert_eq!(w.datasets.len(), 2);
        assert_eq!(w.datasets[0].name, "n2");
        assert_eq!(w.ground_truth(1, false), z.ground_truth(1, false));
        assert!(w.records.iter().all(|r| r.dataset == 1));
        // Only the n2–b distance survives, as 0–1.
        assert_eq!(w.distances.len(), 1);
        assert_eq!((w.distances[0].a, w.distances[0].b), (1, 0));
        assert_eq!(w.models.len(), 12);
    }

    #[test]
    fn moving_the_target_last_keeps_the_zoo_and_dropping_it_removes_it() {
        let z = zoo();
        let moved = target_last(&z, 2);
        assert_eq!(moved.datasets.len(), 6);
        assert_eq!(moved.datasets[5].name, "c");
        assert_eq!(moved.datasets[2].name, "d");
        assert_eq!(moved.ground_truth(5, false), z.ground_truth(2, false));
        assert_eq!(moved.ground_truth(2, false), z.ground_truth(3, false));
        let d = |z: &Zoo, a: &str, b: &str| {
            let (a, b) = (z.dataset_index(a).unwrap(), z.dataset_index(b).unwrap());
            z.distances
                .iter()
                .find(|x| (x.a, x.b) == (a, b) || (x.a, x.b) == (b, a))
                .map(|x| x.value)
        };
        assert_eq!(d(&moved, "c", "e"), d(&z, "c", "e"));
        let dropped = drop_last_dataset(&moved);
        assert_eq!(dropped.datasets.len(), 5);
        assert!(dropped.dataset_index("c").is_none());
        assert!(dropped.records.iter().all(|r| r.dataset < 5));
        assert!(dropped.distances.iter().all(|x| x.a < 5 && x.b < 5));
        assert_eq!(target_last(&z, 99), z);
        assert_eq!(drop_last_dataset(&Zoo::default()), Zoo::default());
    }

    #[test]
    fn inductive_ranking_is_deterministic_leak_free_and_learns_the_order() {
        let z = zoo();
        let mut poisoned = z.clone();
        for r in poisoned.records.iter_mut().filter(|r| r.dataset == 5) {
            r.accuracy = 1.0 - r.accuracy;
        }
        for id in ["lr+node2vec", "lr+node2vec+", "lr+graphsage", "xgb+gat"] {
            let r = GraphRanker::from_id(id).unwrap().inductive(true);
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
                zoo: target_last(&middle.zoo, 2),
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
        let r = GraphRanker::from_id("lr+node2vec").unwrap();
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
