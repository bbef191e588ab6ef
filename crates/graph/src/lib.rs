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
//! - [`gnn`]: GraphSAGE (mean aggregator; Hamilton et al., NeurIPS 2017; [`gnn::sage`]) and
//!   GAT (Veličković et al., ICLR 2018; [`gnn::gat`]), two layers each, on candle, trained for
//!   link prediction over node features from metadata ([`NodeFeatures`], [`GnnParams`]).
//! - [`inductive`]: embedding nodes added after training (a new target) without training the
//!   whole graph again: [`InductiveEmbedder::fit`] keeps the trained state,
//!   [`FittedEmbedder::extend`] embeds the new nodes against it; [`saved`] keeps it as bytes
//!   ([`codec`]: the format).
//! - [`error`], [`embeddings`], [`embedder`]: the error type, the output type and the trait
//!   every embedder implements.
//!
//! This file only declares modules and re-exports; every type lives in its own module, and no
//! module imports one that imports it back (`scripts/module_cycles.py` checks it).
//!
//! ```
//! use zoorank_graph::{Graph, GraphEmbedder, Node2Vec, Node2VecParams};
//! // Two triangles joined by one edge.
//! let edges = [(0, 1, 1.0), (1, 2, 1.0), (0, 2, 1.0), (3, 4, 1.0), (4, 5, 1.0), (3, 5, 1.0), (2, 3, 0.1)];
//! let g = Graph::untyped(6, &edges).unwrap();
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
pub mod codec;
pub mod embedder;
pub mod embeddings;
pub mod error;
pub mod gnn;
pub mod graph;
pub mod inductive;
pub mod node2vec;
pub mod saved;

pub use build::{build_graph, GraphParams};
pub use embedder::GraphEmbedder;
pub use embeddings::Embeddings;
pub use error::GraphError;
pub use gnn::{FittedGnn, Gat, GnnParams, GraphSage, NodeFeatures};
pub use graph::{Graph, NodeKind};
pub use inductive::{FittedEmbedder, InductiveEmbedder};
pub use node2vec::{FittedNode2Vec, Node2Vec, Node2VecParams};
pub use saved::fitted_from_bytes;
