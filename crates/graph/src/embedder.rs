//! The graph stage's trait: graph + seed → node embeddings.

use crate::embeddings::Embeddings;
use crate::error::GraphError;
use crate::graph::Graph;

/// A graph embedder: graph + seed → node embeddings (`n_nodes × dim`). The same graph and
/// seed give the same embeddings.
pub trait GraphEmbedder: Send + Sync {
    /// Stable id (`node2vec`, `node2vec+`, `graphsage`, `gat`).
    fn id(&self) -> &'static str;
    /// Embeds every node of `graph`.
    fn embed(&self, graph: &Graph, seed: u64) -> Result<Embeddings, GraphError>;
}
