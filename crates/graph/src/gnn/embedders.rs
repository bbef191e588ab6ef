//! The public GNN embedders, [`GraphSage`] ([`super::sage`]) and [`Gat`] ([`super::gat`]):
//! parameters, optional node features, training that keeps the weights ([`FittedGnn`]) and
//! the embedder traits.

use super::arch::Arch;
use super::features::NodeFeatures;
use super::fitted::{fit_gnn, FittedGnn};
use super::params::GnnParams;
use crate::embedder::GraphEmbedder;
use crate::embeddings::Embeddings;
use crate::error::GraphError;
use crate::graph::Graph;
use crate::inductive::{FittedEmbedder, InductiveEmbedder};
use candle_core::DType;

/// The GraphSAGE embedder (mean aggregator, 2 layers; [`super::sage`]).
#[derive(Debug, Clone, PartialEq)]
pub struct GraphSage {
    params: GnnParams,
    features: Option<NodeFeatures>,
}

/// The GAT embedder (2 layers, multi-head hidden layer; [`super::gat`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Gat {
    params: GnnParams,
    features: Option<NodeFeatures>,
}

/// The API the two GNN embedders share: construction, input features, training that keeps
/// the weights, and the embedder traits. The two differ only in their [`Arch`] (its id and
/// whether `params` must split into heads), so one macro writes these impl blocks for both
/// instead of two hand-kept copies.
macro_rules! gnn_embedder {
    ($ty:ident, $arch:expr) => {
        impl $ty {
            #[doc = concat!("Validates `params`; without [`", stringify!($ty), "::with_features`] the node")]
            /// features are the structural ones ([`NodeFeatures::structural`]).
            ///
            /// # Errors
            /// [`GraphError::InvalidParam`] naming the first parameter out of range (for GAT,
            /// also a `hidden` that is not a multiple of `heads`).
            pub fn new(params: GnnParams) -> Result<$ty, GraphError> {
                params.validate($arch.needs_heads())?;
                Ok($ty {
                    params,
                    features: None,
                })
            }

            /// Uses `features` (one row per node of the graphs to embed) as input.
            pub fn with_features(mut self, features: NodeFeatures) -> $ty {
                self.features = Some(features);
                self
            }

            /// The parameters.
            pub fn params(&self) -> &GnnParams {
                &self.params
            }

            /// Trains on `graph` in `dtype` (F32 in production, F64 for gradient checks) and
            /// keeps the weights.
            pub(crate) fn fit_dtype(
                &self,
                graph: &Graph,
                seed: u64,
                dtype: DType,
            ) -> Result<FittedGnn, GraphError> {
                fit_gnn($arch, &self.params, self.features.as_ref(), graph, seed, dtype)
            }

            /// Trains on `graph` and keeps the weights for [`FittedGnn::forward`] and
            /// [`FittedEmbedder::extend`]; its embeddings are [`GraphEmbedder::embed`]'s.
            ///
            /// # Errors
            /// As [`GraphEmbedder::embed`].
            pub fn fitted(&self, graph: &Graph, seed: u64) -> Result<FittedGnn, GraphError> {
                self.fit_dtype(graph, seed, DType::F32)
            }
        }

        impl GraphEmbedder for $ty {
            fn id(&self) -> &'static str {
                $arch.id()
            }

            fn embed(&self, graph: &Graph, seed: u64) -> Result<Embeddings, GraphError> {
                Ok(self.fitted(graph, seed)?.embeddings().clone())
            }
        }

        impl InductiveEmbedder for $ty {
            fn fit(&self, graph: &Graph, seed: u64) -> Result<Box<dyn FittedEmbedder>, GraphError> {
                Ok(Box::new(self.fitted(graph, seed)?))
            }
        }
    };
}

gnn_embedder!(GraphSage, Arch::Sage);
gnn_embedder!(Gat, Arch::Gat);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gnn::train::tests_support::tiny_graph;

    /// Both embedders with `params`, as trait objects.
    fn both(params: GnnParams) -> [(Box<dyn GraphEmbedder>, &'static str); 2] {
        [
            (Box::new(GraphSage::new(params).unwrap()), "graphsage"),
            (Box::new(Gat::new(params).unwrap()), "gat"),
        ]
    }

    #[test]
    fn deterministic_for_a_seed_and_seed_dependent() {
        let (g, _) = tiny_graph();
        let params = GnnParams {
            dim: 8,
            hidden: 8,
            heads: 2,
            epochs: 30,
            ..GnnParams::default()
        };
        for (s, id) in both(params) {
            assert_eq!(s.id(), id);
            let a = s.embed(&g, 1).unwrap();
            assert_eq!((a.n_nodes, a.dim), (g.n_nodes(), 8), "{id}");
            assert_eq!(a, s.embed(&g, 1).unwrap(), "{id}");
            assert_ne!(a, s.embed(&g, 2).unwrap(), "{id}");
            assert!(a.data.iter().all(|v| v.is_finite()), "{id}");
        }
    }

    #[test]
    fn bad_parameters_and_features_are_errors() {
        let d = GnnParams::default();
        for p in [
            GnnParams { dim: 0, ..d },
            GnnParams { hidden: 0, ..d },
            GnnParams { epochs: 0, ..d },
            GnnParams { negatives: 0, ..d },
            GnnParams {
                learning_rate: f64::NAN,
                ..d
            },
            GnnParams {
                learning_rate: 0.0,
                ..d
            },
            GnnParams {
                learning_rate: f64::INFINITY,
                ..d
            },
            GnnParams {
                weight_decay: -1.0,
                ..d
            },
        ] {
            assert!(
                matches!(GraphSage::new(p), Err(GraphError::InvalidParam { .. })),
                "{p:?}"
            );
            assert!(
                matches!(Gat::new(p), Err(GraphError::InvalidParam { .. })),
                "{p:?}"
            );
        }
        // Heads matter to GAT only.
        for p in [
            GnnParams { heads: 0, ..d },
            GnnParams {
                hidden: 10,
                heads: 4,
                ..d
            },
        ] {
            assert!(
                matches!(Gat::new(p), Err(GraphError::InvalidParam { .. })),
                "{p:?}"
            );
        }
        let (g, _) = tiny_graph();
        let f = NodeFeatures::structural(&Graph::untyped(2, &[]).unwrap());
        let s = GraphSage::new(GnnParams::default())
            .unwrap()
            .with_features(f);
        assert!(matches!(
            s.embed(&g, 0),
            Err(GraphError::FeatureRows { got: 2, .. })
        ));
        // A huge learning rate makes the loss blow up: an error, not NaN embeddings.
        let wild = GraphSage::new(GnnParams {
            learning_rate: 1e30,
            epochs: 20,
            dim: 4,
            hidden: 4,
            ..GnnParams::default()
        })
        .unwrap();
        match wild.embed(&g, 0) {
            Ok(e) => assert!(e.data.iter().all(|v| v.is_finite())),
            Err(e) => assert!(matches!(e, GraphError::Diverged { .. }), "{e}"),
        }
    }

    #[test]
    fn edgeless_graph_gives_untrained_finite_embeddings() {
        let g = Graph::untyped(3, &[]).unwrap();
        let e = GraphSage::new(GnnParams {
            dim: 4,
            hidden: 4,
            ..GnnParams::default()
        })
        .unwrap()
        .embed(&g, 0)
        .unwrap();
        assert_eq!((e.n_nodes, e.dim), (3, 4));
        assert!(e.data.iter().all(|v| v.is_finite()));
    }
}
