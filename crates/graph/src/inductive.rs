//! Inductive use of a trained embedder: embed nodes added to a graph after training (a new
//! target dataset with no fine-tuning records, linked only by its dataset–dataset edges)
//! without training the whole graph again.
//!
//! An [`InductiveEmbedder`] is [`GraphEmbedder`] that can also [`InductiveEmbedder::fit`] a
//! graph `G₀` into a [`FittedEmbedder`]: the trained state plus the embeddings of `G₀`'s
//! nodes. [`FittedEmbedder::extend`] takes a larger graph `G₁` whose first `n₀` nodes are
//! `G₀`'s (same ids, same kinds; their edges may differ a little, e.g. when the new node took
//! a slot of an old dataset's top-k similarity list) and a set `S` of **new** nodes — every
//! node of `G₁` beyond `n₀`, and optionally old nodes to re-embed (one that was isolated in
//! `G₀`) — and returns embeddings of all of `G₁` in which every node outside `S` keeps its
//! trained vector bit for bit:
//!
//! - **Node2Vec / Node2Vec+** ([`crate::FittedNode2Vec`]). Skip-gram's parameters are an
//!   input vector `e_u` and an output (context) vector `o_u` per node. With every old `e`, `o`
//!   frozen, walks with the same p, q (or Node2Vec+ bias) start from the new nodes in `G₁`,
//!   and skip-gram with negative sampling trains only the new nodes' `e` (and `o`, so new
//!   nodes linked to each other see one another) on the pairs that involve a new node:
//!
//!   ```text
//!   max over e_u, o_u (u ∈ S):  Σ_(u,c) [ log σ(e_u · o_c) + Σ_k log σ(−e_u · o_k) ],  u ∈ S or c ∈ S
//!   ```
//!
//!   the "inference step" of Paragraph Vectors (Le & Mikolov, ICML 2014), which embeds an
//!   unseen document against frozen word vectors. Each new node gets as many walk visits as
//!   a node of its weighted degree got in the full training (visits ∝ weighted degree, the
//!   stationary law of the first-order walk), so its vector sees a comparable number of SGD
//!   steps; the cost is O(|S| · visits · window · negatives · dim) instead of the whole
//!   graph's walks and skip-gram.
//! - **GraphSAGE / GAT** ([`crate::FittedGnn`]). The layers are functions of a node's
//!   features and its neighbours' (Hamilton et al., NeurIPS 2017, §3.1: inductive by
//!   construction), so the trained weights are applied in one forward pass on `G₁` with
//!   node features of `G₁` built the same way (`NodeFeatures::from_zoo` on the zoo that
//!   contains the new node, or the structural features). On `G₀` itself that forward returns
//!   the trained embeddings exactly; the cost is one forward pass, O(N·f·h + E·h + N·h·d +
//!   E·d), against `epochs` forward and backward passes for training.
//!
//! Old nodes keep their vectors even though a GNN forward on `G₁` would move them slightly (a
//! new neighbour changes their aggregation): whatever was fitted on the old embeddings (a
//! regressor) stays valid.
//!
//! ```
//! use zoorank_graph::{FittedEmbedder, Graph, InductiveEmbedder, Node2Vec, Node2VecParams, NodeKind};
//! // Two triangles joined by one edge; then node 6 arrives, linked to the first triangle.
//! let mut edges = vec![(0, 1, 1.0), (1, 2, 1.0), (0, 2, 1.0), (3, 4, 1.0), (4, 5, 1.0), (3, 5, 1.0), (2, 3, 0.1)];
//! let g0 = Graph::untyped(6, &edges).unwrap();
//! edges.extend([(6, 0, 1.0), (6, 1, 1.0)]);
//! let g1 = Graph::untyped(7, &edges).unwrap();
//! let n2v = Node2Vec::new(Node2VecParams { dim: 16, ..Node2VecParams::default() }).unwrap();
//! let fitted = n2v.fit(&g0, 7).unwrap();
//! let e = fitted.extend(&g1, None, &[6], 7).unwrap();
//! assert_eq!((e.n_nodes, e.dim), (7, 16));
//! assert_eq!(e.row(4), fitted.embeddings().row(4)); // old nodes keep their vectors
//! assert!(fitted.extend(&g1, None, &[], 7).is_err()); // node 6 must be listed as new
//! ```
//!
//! **Measured** (`INDUCTIVE_SEEDS=0,1,2 cargo run --release -p zoorank-eval --example inductive
//! lr xgb`: real image zoo, 185 models, 69 datasets, the rankers' settings with 32 dimensions,
//! 2-core box, release, means over 3 seeds): embedding a held-out target by `extend` takes
//! 1–3 ms per target, against 0.13 s (Node2Vec, Node2Vec+), 0.24 s (GraphSAGE) and 0.45–0.48 s
//! (GAT) for retraining the embedder on the graph that contains the target. Ranked through
//! `lr`, the two embeddings' weighted Pearson agree within 0.015 and their weighted Kendall τ
//! within 0.05 on the 4 validation and the 8 published targets, neither side consistently
//! ahead; Rel@1 on the published 8 drops for Node2Vec (0.980 → 0.934). Through `xgb`, which
//! sees only `e_m · e_d` and their cosine, `extend` loses weighted τ in 6 of the 8 (learner,
//! target set) cells, up to 0.125 (GAT, published 8). Applying the trained GNN to every node of
//! the larger graph instead of keeping the old vectors was no better on the validation targets.
//!
//! References: Grover & Leskovec, KDD 2016; Le & Mikolov, ICML 2014; Hamilton, Ying &
//! Leskovec, NeurIPS 2017; Veličković et al., ICLR 2018.

use crate::embedder::GraphEmbedder;
use crate::embeddings::Embeddings;
use crate::error::GraphError;
use crate::gnn::features::NodeFeatures;
use crate::graph::{Graph, NodeKind};

/// A [`GraphEmbedder`] whose training can be kept and applied to nodes added later.
pub trait InductiveEmbedder: GraphEmbedder {
    /// Trains on `graph` with `seed`; the fitted model's [`FittedEmbedder::embeddings`] equal
    /// [`GraphEmbedder::embed`]'s for the same graph and seed.
    ///
    /// # Errors
    /// As [`GraphEmbedder::embed`].
    fn fit(&self, graph: &Graph, seed: u64) -> Result<Box<dyn FittedEmbedder>, GraphError>;
}

/// A trained embedder: the embeddings of its training graph and what it needs to embed new
/// nodes (see the module docs).
pub trait FittedEmbedder: Send + Sync + std::fmt::Debug {
    /// Stable id of the embedder that made it (`node2vec`, `node2vec+`, `graphsage`, `gat`).
    fn id(&self) -> &'static str;

    /// The embeddings of the training graph's nodes.
    fn embeddings(&self) -> &Embeddings;

    /// Embeddings of every node of `graph` (the training graph plus new nodes, old ids
    /// unchanged): nodes in `new_nodes` are embedded from their edges in `graph`, every other
    /// node keeps its trained vector. `features` are the node features of `graph` for a GNN
    /// trained on explicit features (ignored by Node2Vec; `None` for a GNN trained on the
    /// structural ones). Deterministic for a seed (the GNNs do not use it).
    ///
    /// # Errors
    /// [`GraphError::GraphShrank`] when `graph` has fewer nodes than the training graph,
    /// [`GraphError::NodeKindChanged`] when an old node stands for something else,
    /// [`GraphError::NewNodeOutOfRange`], [`GraphError::DuplicateNewNode`],
    /// [`GraphError::NewNodeNotListed`] for a node beyond the training graph missing from
    /// `new_nodes`; for the GNNs also [`GraphError::MissingFeatures`],
    /// [`GraphError::FeatureColumns`] and [`GraphError::FeatureRows`].
    fn extend(
        &self,
        graph: &Graph,
        features: Option<&NodeFeatures>,
        new_nodes: &[usize],
        seed: u64,
    ) -> Result<Embeddings, GraphError>;

    /// The fitted state as bytes ([`crate::saved`]); [`crate::fitted_from_bytes`] rebuilds an
    /// embedder whose embeddings and extensions are identical bit for bit.
    fn to_bytes(&self) -> Vec<u8>;
}

/// Checks an extension of a graph with node kinds `trained` to `graph` and returns the mask
/// of the nodes to embed.
pub(crate) fn new_node_mask(
    trained: &[NodeKind],
    graph: &Graph,
    new_nodes: &[usize],
) -> Result<Vec<bool>, GraphError> {
    let n = graph.n_nodes();
    if n < trained.len() {
        return Err(GraphError::GraphShrank {
            trained: trained.len(),
            got: n,
        });
    }
    if let Some(node) = (0..trained.len()).find(|&i| graph.kind(i) != trained[i]) {
        return Err(GraphError::NodeKindChanged { node });
    }
    let mut mask = vec![false; n];
    for &u in new_nodes {
        if u >= n {
            return Err(GraphError::NewNodeOutOfRange {
                node: u,
                n_nodes: n,
            });
        }
        if mask[u] {
            return Err(GraphError::DuplicateNewNode { node: u });
        }
        mask[u] = true;
    }
    if let Some(node) = (trained.len()..n).find(|&u| !mask[u]) {
        return Err(GraphError::NewNodeNotListed {
            node,
            trained: trained.len(),
        });
    }
    Ok(mask)
}

/// Embeddings of `mask.len()` nodes: the rows of `old` for nodes outside `mask` (they are all
/// below `old.n_nodes`), the rows of `new` for the others.
pub(crate) fn merge_rows(old: &Embeddings, mask: &[bool], new: &Embeddings) -> Embeddings {
    let dim = old.dim;
    let mut data = Vec::with_capacity(mask.len() * dim);
    for (u, &is_new) in mask.iter().enumerate() {
        if is_new {
            data.extend_from_slice(new.row(u));
        } else {
            data.extend_from_slice(old.row(u));
        }
    }
    Embeddings {
        n_nodes: mask.len(),
        dim,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_their_errors() {
        let kinds = vec![NodeKind::Model(0), NodeKind::Dataset(0)];
        let g = Graph::from_edges(
            vec![
                NodeKind::Model(0),
                NodeKind::Dataset(0),
                NodeKind::Dataset(1),
            ],
            &[(0, 1, 1.0), (1, 2, 0.5)],
        )
        .unwrap();
        assert_eq!(
            new_node_mask(&kinds, &g, &[2]).unwrap(),
            vec![false, false, true]
        );
        assert_eq!(
            new_node_mask(&kinds, &g, &[2, 1]).unwrap(),
            vec![false, true, true]
        );
        assert_eq!(
            new_node_mask(&kinds, &g, &[]),
            Err(GraphError::NewNodeNotListed {
                node: 2,
                trained: 2
            })
        );
        assert_eq!(
            new_node_mask(&kinds, &g, &[2, 2]),
            Err(GraphError::DuplicateNewNode { node: 2 })
        );
        assert_eq!(
            new_node_mask(&kinds, &g, &[3]),
            Err(GraphError::NewNodeOutOfRange {
                node: 3,
                n_nodes: 3
            })
        );
        let small = Graph::from_edges(vec![NodeKind::Model(0)], &[]).unwrap();
        assert_eq!(
            new_node_mask(&kinds, &small, &[]),
            Err(GraphError::GraphShrank { trained: 2, got: 1 })
        );
        let swapped = Graph::from_edges(
            vec![NodeKind::Model(0), NodeKind::Model(1), NodeKind::Dataset(0)],
            &[],
        )
        .unwrap();
        assert_eq!(
            new_node_mask(&kinds, &swapped, &[2]),
            Err(GraphError::NodeKindChanged { node: 1 })
        );
    }
}
