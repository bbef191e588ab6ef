//! # zoorank-graph
//!
//! The graph stage of zoorank's pipeline (`store → features → scores → graph → predict →
//! evaluate`), after TransferGraph (Li et al., ICDE 2024): a graph whose nodes are the zoo's
//! models and datasets ([`build_graph`]), and node embedders ([`GraphEmbedder`]) that turn it
//! into one vector per node for the regressors of `zoorank-predict`.
//!
//! - [`build`]: nodes and edges from a (held-out) [`zoorank_core::Zoo`]: dataset–dataset
//!   similarity (Domain-Similarity distances and fine-tuning history), model–dataset links
//!   (fine-tuning accuracy) and model–source-dataset links.
//! - [`graph`]: the undirected weighted graph ([`Graph`], compressed sparse rows).
//! - [`node2vec`]: Node2Vec (Grover & Leskovec, KDD 2016) and Node2Vec+ (Liu, Hirn & Krishnan,
//!   Bioinformatics 2023): second-order biased random walks and skip-gram with negative
//!   sampling, single-threaded and seeded.
//! - [`sage`] and [`gat`]: GraphSAGE (mean aggregator; Hamilton et al., NeurIPS 2017) and GAT
//!   (Veličković et al., ICLR 2018), two layers each, on candle, trained for link prediction
//!   over node features from metadata ([`gnn`]: [`NodeFeatures`], [`GnnParams`]).
//! - [`inductive`]: embedding nodes added after training (a new target) without training the
//!   whole graph again: [`InductiveEmbedder::fit`] keeps the trained state,
//!   [`FittedEmbedder::extend`] embeds the new nodes against it.
//!
//! ```
//! use zoorank_graph::{Graph, GraphEmbedder, Node2Vec, Node2VecParams, NodeKind};
//! // Two triangles joined by one edge.
//! let edges = [(0, 1, 1.0), (1, 2, 1.0), (0, 2, 1.0), (3, 4, 1.0), (4, 5, 1.0), (3, 5, 1.0), (2, 3, 0.1)];
//! let g = Graph::from_edges(vec![NodeKind::Other; 6], &edges).unwrap();
//! let n2v = Node2Vec::new(Node2VecParams { dim: 16, ..Node2VecParams::default() }).unwrap();
//! let emb = n2v.embed(&g, 7).unwrap();
//! assert_eq!((emb.n_nodes, emb.dim), (6, 16));
//! assert_eq!(emb, n2v.embed(&g, 7).unwrap()); // deterministic for a seed
//!
//! // GraphSAGE on the same graph, structural node features (kind, degree), 30 epochs.
//! use zoorank_graph::{GnnParams, GraphSage};
//! let sage = GraphSage::new(GnnParams { dim: 8, hidden: 16, epochs: 30, ..GnnParams::default() }).unwrap();
//! let z = sage.embed(&g, 7).unwrap();
//! assert_eq!((z.n_nodes, z.dim), (6, 8));
//! assert!(GraphSage::new(GnnParams { epochs: 0, ..GnnParams::default() }).is_err());
//! ```
#![warn(missing_docs)]

pub mod build;
pub mod gat;
pub mod gnn;
pub mod graph;
pub mod inductive;
pub mod node2vec;
pub mod sage;
pub mod saved;

pub use build::{build_graph, GraphParams};
pub use gat::Gat;
pub use gnn::{FittedGnn, GnnParams, NodeFeatures};
pub use graph::{Graph, NodeKind};
pub use inductive::{FittedEmbedder, InductiveEmbedder};
pub use node2vec::{FittedNode2Vec, Node2Vec, Node2VecParams};
pub use sage::GraphSage;
pub use saved::fitted_from_bytes;

/// Errors of the graph stage.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// A parameter is out of its valid range.
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParam {
        /// Parameter name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What is expected.
        reason: &'static str,
    },
    /// An edge refers to a node that does not exist.
    #[error("edge ({a}, {b}) refers to a node outside 0..{n_nodes}")]
    NodeOutOfRange {
        /// First end.
        a: usize,
        /// Second end.
        b: usize,
        /// Number of nodes.
        n_nodes: usize,
    },
    /// An edge weight is not a finite positive number.
    #[error("edge ({a}, {b}) has weight {weight}; weights must be finite and > 0")]
    BadWeight {
        /// First end.
        a: usize,
        /// Second end.
        b: usize,
        /// The weight.
        weight: f64,
    },
    /// Node features have a different number of rows than the graph has nodes.
    #[error("node features have {got} rows, the graph has {expected} nodes")]
    FeatureRows {
        /// Nodes of the graph.
        expected: usize,
        /// Rows of the features.
        got: usize,
    },
    /// Explicit node features whose length is not `n_nodes × n_columns`.
    #[error("node features hold {got} values, expected {expected}")]
    FeatureShape {
        /// `n_nodes × n_columns`.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// A node feature is NaN or infinite.
    #[error("node feature {column} of node {node} is not finite")]
    NonFiniteFeature {
        /// The node.
        node: usize,
        /// The column name.
        column: String,
    },
    /// A node refers to a model or dataset that the zoo does not have.
    #[error("node {node} refers to a model or dataset outside the zoo")]
    UnknownNode {
        /// The node.
        node: usize,
    },
    /// GNN training produced a non-finite loss or embedding (learning rate too large).
    #[error("GNN training diverged at epoch {epoch} (value {loss}); lower the learning rate")]
    Diverged {
        /// The epoch (the number of epochs for the final embeddings).
        epoch: usize,
        /// The non-finite value.
        loss: f64,
    },
    /// The graph to extend has fewer nodes than the graph the embedder was trained on.
    #[error("the graph to extend has {got} nodes, fewer than the {trained} it was trained on")]
    GraphShrank {
        /// Nodes of the training graph.
        trained: usize,
        /// Nodes of the graph given.
        got: usize,
    },
    /// A node of the training graph stands for another model or dataset in the graph to
    /// extend (old node ids must keep their meaning).
    #[error("node {node} stands for something else than in the training graph")]
    NodeKindChanged {
        /// The node.
        node: usize,
    },
    /// A new node outside the graph to extend.
    #[error("new node {node} is outside 0..{n_nodes}")]
    NewNodeOutOfRange {
        /// The node.
        node: usize,
        /// Nodes of the graph to extend.
        n_nodes: usize,
    },
    /// A new node listed twice.
    #[error("new node {node} is listed twice")]
    DuplicateNewNode {
        /// The node.
        node: usize,
    },
    /// A node beyond the training graph that is not listed as new (it would have no vector).
    #[error("node {node} is beyond the {trained} trained nodes but not listed as new")]
    NewNodeNotListed {
        /// The node.
        node: usize,
        /// Nodes of the training graph.
        trained: usize,
    },
    /// A GNN trained on explicit node features was extended without features for the new
    /// graph.
    #[error("the embedder was trained on explicit node features; give the new graph's")]
    MissingFeatures,
    /// Node features whose columns differ from the ones the GNN was trained on.
    #[error("node feature column {column} is {got:?}, the embedder was trained with {expected:?}")]
    FeatureColumns {
        /// Column index.
        column: usize,
        /// The trained column's name (empty past the last one).
        expected: String,
        /// The given column's name (empty past the last one).
        got: String,
    },
    /// Embeddings with another number of rows than the graph they should describe has nodes.
    #[error("embeddings have {got} rows, the graph has {expected} nodes")]
    EmbeddingRows {
        /// Nodes of the graph.
        expected: usize,
        /// Rows of the embeddings.
        got: usize,
    },
    /// Bytes that are not a fitted embedder saved by this version
    /// ([`saved::fitted_from_bytes`]).
    #[error("saved embedder unreadable: {reason}")]
    Saved {
        /// What was wrong, and where.
        reason: String,
    },
    /// A tensor operation failed (candle's message).
    #[error("tensor operation failed: {message}")]
    Tensor {
        /// candle's error, as text.
        message: String,
    },
}

/// Node embeddings: row `i` is node `i`'s vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    /// Number of nodes (rows).
    pub n_nodes: usize,
    /// Dimension (columns).
    pub dim: usize,
    /// Row-major `n_nodes × dim` values.
    pub data: Vec<f64>,
}

impl Embeddings {
    /// The vector of node `i`.
    ///
    /// # Panics
    /// When `i >= n_nodes`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// Cosine similarity of nodes `a` and `b` (0 when either vector is zero).
    pub fn cosine(&self, a: usize, b: usize) -> f64 {
        let (x, y) = (self.row(a), self.row(b));
        let dot: f64 = x.iter().zip(y).map(|(u, v)| u * v).sum();
        let nx = x.iter().map(|u| u * u).sum::<f64>().sqrt();
        let ny = y.iter().map(|u| u * u).sum::<f64>().sqrt();
        if nx > 0.0 && ny > 0.0 {
            dot / (nx * ny)
        } else {
            0.0
        }
    }
}

/// A graph embedder: graph + seed → node embeddings (`n_nodes × dim`). The same graph and
/// seed give the same embeddings.
pub trait GraphEmbedder: Send + Sync {
    /// Stable id (`node2vec`, `node2vec+`, `graphsage`, `gat`).
    fn id(&self) -> &'static str;
    /// Embeds every node of `graph`.
    fn embed(&self, graph: &Graph, seed: u64) -> Result<Embeddings, GraphError>;
}
