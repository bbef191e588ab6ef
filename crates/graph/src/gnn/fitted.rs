//! [`FittedGnn`]: a trained GraphSAGE or GAT, how it is trained ([`fit_gnn`]), applied to
//! other graphs and written to and read from bytes ([`crate::codec`]).

use super::arch::Arch;
use super::features::NodeFeatures;
use super::layers::floats;
use super::params::GnnParams;
use super::train::{feature_tensor, rng, single_threaded, to_embeddings, train};
use crate::codec::{saved, Reader, Writer, TAG_GNN};
use crate::embeddings::Embeddings;
use crate::error::{tensor_err, GraphError};
use crate::graph::{Graph, NodeKind};
use crate::inductive::{merge_rows, new_node_mask, FittedEmbedder};
use candle_core::{DType, Tensor};

/// Trains `arch` on `graph` ([`super::train`]) and keeps the trained weights.
pub(crate) fn fit_gnn(
    arch: Arch,
    params: &GnnParams,
    features: Option<&NodeFeatures>,
    graph: &Graph,
    seed: u64,
    dtype: DType,
) -> Result<FittedGnn, GraphError> {
    single_threaded(|| {
        let (x, feature_names) = feature_tensor(graph, features, dtype)?;
        let mut r = rng(seed);
        let enc = arch.encoder(graph, x, params, &mut r).map_err(tensor_err)?;
        let embeddings = train(enc.as_ref(), dtype, graph, params, &mut r)?;
        // Deep copies: a `Var` shares its storage with its tensor and `Var::set` writes in place.
        let weights = enc
            .vars()
            .iter()
            .map(|v| v.as_tensor().copy())
            .collect::<candle_core::Result<Vec<Tensor>>>()
            .map_err(tensor_err)?;
        Ok(FittedGnn {
            arch,
            params: *params,
            dtype,
            kinds: graph.kinds().to_vec(),
            feature_names,
            explicit_features: features.is_some(),
            weights,
            embeddings,
        })
    })
}

/// A trained GraphSAGE or GAT: its weights, the node-feature columns it was trained on and
/// the embeddings of its training graph. Being inductive, it embeds any graph with the same
/// feature columns ([`FittedGnn::forward`]) and new nodes of a larger graph
/// ([`FittedEmbedder::extend`]) by forward passes alone.
#[derive(Debug, Clone)]
pub struct FittedGnn {
    arch: Arch,
    params: GnnParams,
    dtype: DType,
    kinds: Vec<NodeKind>,
    feature_names: Vec<String>,
    explicit_features: bool,
    /// Values of the encoder's parameters, in [`super::layers::Encoder::vars`] order.
    weights: Vec<Tensor>,
    embeddings: Embeddings,
}

impl FittedGnn {
    /// The node-feature columns the weights expect.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// The trained layers applied to every node of `graph` (one forward pass, no training),
    /// with `features` of `graph` (`None` for an encoder trained on the structural features).
    /// On the training graph with its features this returns the trained embeddings.
    ///
    /// # Errors
    /// [`GraphError::MissingFeatures`], [`GraphError::FeatureColumns`],
    /// [`GraphError::FeatureRows`]; [`GraphError::Diverged`] for a non-finite output.
    pub fn forward(
        &self,
        graph: &Graph,
        features: Option<&NodeFeatures>,
    ) -> Result<Embeddings, GraphError> {
        if features.is_none() && self.explicit_features {
            return Err(GraphError::MissingFeatures);
        }
        single_threaded(|| {
            let (x, names) = feature_tensor(graph, features, self.dtype)?;
            if let Some(column) = (0..names.len().max(self.feature_names.len()))
                .find(|&k| names.get(k) != self.feature_names.get(k))
            {
                let name = |v: &[String]| v.get(column).cloned().unwrap_or_default();
                return Err(GraphError::FeatureColumns {
                    column,
                    expected: name(&self.feature_names),
                    got: name(&names),
                });
            }
            // The initial weights are overwritten; rng(0) only gives them their shapes.
            let enc = self
                .arch
                .encoder(graph, x, &self.params, &mut rng(0))
                .map_err(tensor_err)?;
            for (v, w) in enc.vars().iter().zip(&self.weights) {
                v.set(w).map_err(tensor_err)?;
            }
            to_embeddings(&enc.forward().map_err(tensor_err)?, self.params.epochs)
        })
    }

    /// Reads the fields [`FittedEmbedder::to_bytes`] wrote (after the tag).
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<FittedGnn, GraphError> {
        let code = r.u8()?;
        let arch = Arch::from_code(code)
            .ok_or_else(|| saved(format!("unknown GNN architecture {code}")))?;
        let params = GnnParams {
            dim: r.usize()?,
            hidden: r.usize()?,
            heads: r.usize()?,
            epochs: r.usize()?,
            negatives: r.usize()?,
            learning_rate: r.f64()?,
            weight_decay: r.f64()?,
        };
        params.validate(arch.needs_heads())?;
        let dtype = match r.u8()? {
            0 => DType::F32,
            1 => DType::F64,
            t => return Err(saved(format!("unknown dtype {t}"))),
        };
        let kinds = r.kinds()?;
        let n_names = r.usize()?;
        let feature_names = (0..n_names)
            .map(|_| r.str())
            .collect::<Result<Vec<_>, _>>()?;
        let explicit_features = r.u8()? != 0;
        let n_weights = r.usize()?;
        let mut weights = Vec::new();
        for _ in 0..n_weights {
            let rank = r.usize()?;
            let shape = (0..rank)
                .map(|_| r.usize())
                .collect::<Result<Vec<_>, _>>()?;
            let values = r.f64s()?;
            if shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) != Some(values.len()) {
                return Err(saved(format!(
                    "a weight of shape {shape:?} holds {} values",
                    values.len()
                )));
            }
            weights.push(floats(values, &shape, dtype).map_err(tensor_err)?);
        }
        let embeddings = r.embeddings()?;
        if embeddings.n_nodes != kinds.len() {
            return Err(saved(format!(
                "{} embeddings for {} nodes",
                embeddings.n_nodes,
                kinds.len()
            )));
        }
        Ok(FittedGnn {
            arch,
            params,
            dtype,
            kinds,
            feature_names,
            explicit_features,
            weights,
            embeddings,
        })
    }
}

impl FittedEmbedder for FittedGnn {
    fn id(&self) -> &'static str {
        self.arch.id()
    }

    fn embeddings(&self) -> &Embeddings {
        &self.embeddings
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(TAG_GNN);
        w.u8(self.arch.code());
        let p = &self.params;
        for v in [p.dim, p.hidden, p.heads, p.epochs, p.negatives] {
            w.usize(v);
        }
        w.f64(p.learning_rate);
        w.f64(p.weight_decay);
        w.u8(u8::from(self.dtype == DType::F64));
        w.kinds(&self.kinds);
        w.usize(self.feature_names.len());
        for n in &self.feature_names {
            w.str(n);
        }
        w.u8(u8::from(self.explicit_features));
        w.usize(self.weights.len());
        for t in &self.weights {
            let dims = t.dims();
            w.usize(dims.len());
            for &d in dims {
                w.usize(d);
            }
            // f32 → f64 is exact, and so is the way back on load. (These CPU tensors always
            // convert; an empty vector would be refused on load, never read as weights.)
            let values: Vec<f64> = t
                .to_dtype(DType::F64)
                .and_then(|t| t.flatten_all())
                .and_then(|t| t.to_vec1())
                .unwrap_or_default();
            w.f64s(&values);
        }
        w.embeddings(&self.embeddings);
        w.into_bytes()
    }

    /// [`FittedGnn::forward`] on `graph`, keeping the old nodes' trained vectors.
    fn extend(
        &self,
        graph: &Graph,
        features: Option<&NodeFeatures>,
        new_nodes: &[usize],
        _seed: u64,
    ) -> Result<Embeddings, GraphError> {
        let mask = new_node_mask(&self.kinds, graph, new_nodes)?;
        Ok(merge_rows(
            &self.embeddings,
            &mask,
            &self.forward(graph, features)?,
        ))
    }
}
