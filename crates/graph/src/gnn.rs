//! What GraphSAGE ([`crate::sage`]) and GAT ([`crate::gat`]) share: node input features,
//! parameters, the graph as index tensors, weight initialisation and link-prediction training
//! on candle.
//!
//! **Node features** ([`NodeFeatures`]). Row `i` describes node `i` before any message
//! passing: kind indicators (model, dataset), `ln(1 + degree)` and `ln(1 + weighted degree)`;
//! for models log₁₀ #parameters, log₁₀ memory, input size, upstream accuracy and a one-hot
//! model type (the 8 most frequent types with ≥ 2 models), for datasets log₁₀ #samples and
//! log₁₀ #classes, each numeric value with a missing indicator. Numeric columns are z-scored
//! over the nodes that have them (missing → 0). A zoo without any metadata (an `import
//! records` zoo) still gets the kind and degree columns, so the GNNs work on structure alone.
//!
//! **Message passing** uses only `index_select` (gather rows of the source nodes of every
//! directed edge) and `index_add` (sum messages into their destination rows): candle 0.11.1's
//! `scatter_add` backward is wrong when the index is shorter than the destination, while the
//! backward of `index_select` is an `index_add` and vice versa, both exact.
//!
//! **Training: link prediction** (Hamilton et al. 2017, §3.2, unsupervised loss). With `z` the
//! output embeddings, every undirected edge `(u, v)` with weight `w` is a positive and, per
//! positive and epoch, `negatives` pairs `(u, v')` with `v' ≠ u` drawn uniformly (seeded
//! ChaCha8) are negatives:
//!
//! ```text
//! L = Σ_(u,v)∈E c_uv · softplus(−z_u·z_v) / |E|  +  Σ_(u,v') softplus(z_u·z_v') / |N|,
//! c_uv = w_uv / mean(w)
//! ```
//!
//! (`softplus(x) = ln(1 + eˣ) = −ln σ(−x)`, evaluated as `relu(x) + ln(1 + e^−|x|)`), so
//! strong edges (high fine-tuning accuracy, close datasets) pull harder. Full-batch AdamW
//! (Loshchilov & Hutter, ICLR 2019) for `epochs` steps. Weights start Glorot-uniform (Glorot &
//! Bengio, AISTATS 2010) from ChaCha8 seeded with the embedder's seed, biases at 0, so the
//! whole run is deterministic for a seed. A loss that stops being finite is an error
//! ([`GraphError::Diverged`]), never a silent NaN.
//!
//! Cost per epoch: O(E · h) for the message passing and O(N · f · h) for the dense layers; the
//! image zoo's graph (≈ 250 nodes, ≈ 3 000 edges) trains in well under a second.

use crate::graph::{Graph, NodeKind};
use crate::inductive::{merge_rows, new_node_mask};
use crate::{Embeddings, FittedEmbedder, GraphError};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use zoorank_core::{DatasetIdx, Zoo};

/// Wraps a candle error as a [`GraphError::Tensor`].
pub(crate) fn tensor_err(e: candle_core::Error) -> GraphError {
    GraphError::Tensor {
        message: e.to_string(),
    }
}

/// Input features of every node, `n_nodes × dim`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeFeatures {
    /// Number of nodes (rows).
    pub n_nodes: usize,
    /// Number of features (columns).
    pub dim: usize,
    /// Row-major values.
    pub data: Vec<f64>,
    /// Column names.
    pub names: Vec<String>,
}

impl NodeFeatures {
    /// Features from explicit values.
    ///
    /// # Errors
    /// [`GraphError::FeatureShape`] when `data.len() != n_nodes · names.len()`,
    /// [`GraphError::NonFiniteFeature`] for a NaN or infinite value.
    pub fn new(
        n_nodes: usize,
        names: Vec<String>,
        data: Vec<f64>,
    ) -> Result<NodeFeatures, GraphError> {
        let dim = names.len();
        if data.len() != n_nodes * dim {
            return Err(GraphError::FeatureShape {
                expected: n_nodes * dim,
                got: data.len(),
            });
        }
        if let Some(k) = data.iter().position(|v| !v.is_finite()) {
            return Err(GraphError::NonFiniteFeature {
                node: k / dim.max(1),
                column: names[k % dim.max(1)].clone(),
            });
        }
        Ok(NodeFeatures {
            n_nodes,
            dim,
            data,
            names,
        })
    }

    /// Structure-only features of `graph`: kind indicators and log (weighted) degree.
    pub fn structural(graph: &Graph) -> NodeFeatures {
        let mut b = Builder::new(graph.n_nodes());
        add_structure(&mut b, graph);
        b.finish()
    }

    /// Metadata and structure features of a graph built on `zoo` (see the module docs).
    ///
    /// # Errors
    /// [`GraphError::UnknownNode`] when a node refers to a model or dataset outside `zoo`.
    pub fn from_zoo(zoo: &Zoo, graph: &Graph) -> Result<NodeFeatures, GraphError> {
        let n = graph.n_nodes();
        for (i, k) in graph.kinds().iter().enumerate() {
            let ok = match *k {
                NodeKind::Model(m) => m < zoo.models.len(),
                NodeKind::Dataset(d) => d < zoo.datasets.len(),
                NodeKind::Other => true,
            };
            if !ok {
                return Err(GraphError::UnknownNode { node: i });
            }
        }
        let mut b = Builder::new(n);
        add_structure(&mut b, graph);
        let model = |i: usize| match graph.kind(i) {
            NodeKind::Model(m) => Some(&zoo.models[m]),
            _ => None,
        };
        let dataset = |d: DatasetIdx| &zoo.datasets[d];
        let ds = |i: usize| match graph.kind(i) {
            NodeKind::Dataset(d) => Some(dataset(d)),
            _ => None,
        };
        let log10 = |v: Option<f64>| v.filter(|x| x.is_finite() && *x > 0.0).map(f64::log10);
        let finite = |v: Option<f64>| v.filter(|x| x.is_finite());
        b.numeric(
            "log_params",
            (0..n).map(|i| model(i).map(|m| log10(m.num_parameters))),
        );
        b.numeric(
            "log_memory",
            (0..n).map(|i| model(i).map(|m| log10(m.memory_bytes))),
        );
        b.numeric(
            "input_size",
            (0..n).map(|i| model(i).map(|m| finite(m.input_size))),
        );
        b.numeric(
            "upstream_acc",
            (0..n).map(|i| model(i).map(|m| finite(m.upstream_accuracy))),
        );
        b.numeric(
            "log_samples",
            (0..n).map(|i| ds(i).map(|d| log10(d.num_samples))),
        );
        b.numeric(
            "log_classes",
            (0..n).map(|i| ds(i).map(|d| log10(d.num_classes))),
        );
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for m in &zoo.models {
            if let Some(t) = m.model_type.as_deref() {
                *counts.entry(t).or_default() += 1;
            }
        }
        let mut types: Vec<(&str, usize)> = counts.into_iter().filter(|x| x.1 >= 2).collect();
        types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        types.truncate(8);
        for (t, _) in types {
            b.column(
                format!("type={t}"),
                (0..n)
                    .map(|i| {
                        model(i).map_or(0.0, |m| {
                            f64::from(u8::from(m.model_type.as_deref() == Some(t)))
                        })
                    })
                    .collect(),
            );
        }
        Ok(b.finish())
    }

    /// Row `i`.
    ///
    /// # Panics
    /// When `i >= n_nodes`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
}

/// Column-wise builder of [`NodeFeatures`].
struct Builder {
    n: usize,
    names: Vec<String>,
    cols: Vec<Vec<f64>>,
}

impl Builder {
    fn new(n: usize) -> Builder {
        Builder {
            n,
            names: Vec::new(),
            cols: Vec::new(),
        }
    }

    fn column(&mut self, name: String, values: Vec<f64>) {
        debug_assert_eq!(values.len(), self.n);
        self.names.push(name);
        self.cols.push(values);
    }

    /// A numeric column for the nodes where the outer option is `Some` (the nodes it applies
    /// to), z-scored over the present values, plus its missing indicator (1 where it applies
    /// and the value is missing).
    fn numeric(&mut self, name: &str, values: impl Iterator<Item = Option<Option<f64>>>) {
        let values: Vec<Option<Option<f64>>> = values.collect();
        let present: Vec<f64> = values.iter().flatten().flatten().copied().collect();
        let (mu, sd) = moments(&present);
        self.column(
            name.to_string(),
            values
                .iter()
                .map(|v| match v {
                    Some(Some(x)) if sd > 0.0 => (x - mu) / sd,
                    _ => 0.0,
                })
                .collect(),
        );
        self.column(
            format!("{name}_missing"),
            values
                .iter()
                .map(|v| f64::from(u8::from(matches!(v, Some(None)))))
                .collect(),
        );
    }

    fn finish(self) -> NodeFeatures {
        let dim = self.cols.len();
        let mut data = vec![0.0; self.n * dim];
        for (j, c) in self.cols.iter().enumerate() {
            for (i, &v) in c.iter().enumerate() {
                data[i * dim + j] = v;
            }
        }
        NodeFeatures {
            n_nodes: self.n,
            dim,
            data,
            names: self.names,
        }
    }
}

fn moments(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let mu = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / v.len() as f64;
    (mu, var.sqrt())
}

fn add_structure(b: &mut Builder, graph: &Graph) {
    let n = graph.n_nodes();
    let kind = |f: fn(&NodeKind) -> bool| -> Vec<f64> {
        graph
            .kinds()
            .iter()
            .map(|k| f64::from(u8::from(f(k))))
            .collect()
    };
    b.column("is_model".into(), kind(|k| matches!(k, NodeKind::Model(_))));
    b.column(
        "is_dataset".into(),
        kind(|k| matches!(k, NodeKind::Dataset(_))),
    );
    let zscore = |v: Vec<f64>| -> Vec<f64> {
        let (mu, sd) = moments(&v);
        v.iter()
            .map(|x| if sd > 0.0 { (x - mu) / sd } else { 0.0 })
            .collect()
    };
    b.column(
        "log_degree".into(),
        zscore((0..n).map(|i| (graph.degree(i) as f64).ln_1p()).collect()),
    );
    b.column(
        "log_weighted_degree".into(),
        zscore(
            (0..n)
                .map(|i| graph.neighbor_weights(i).iter().sum::<f64>().ln_1p())
                .collect(),
        ),
    );
}

/// Parameters shared by [`crate::GraphSage`] and [`crate::Gat`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GnnParams {
    /// Output embedding dimension (≥ 1).
    pub dim: usize,
    /// Width of the hidden layer (≥ 1; for GAT a multiple of `heads`).
    pub hidden: usize,
    /// Attention heads of GAT's hidden layer (≥ 1; ignored by GraphSAGE).
    pub heads: usize,
    /// Full-batch training steps (≥ 1).
    pub epochs: usize,
    /// AdamW learning rate (> 0).
    pub learning_rate: f64,
    /// AdamW decoupled weight decay (≥ 0).
    pub weight_decay: f64,
    /// Negative pairs per positive edge and epoch (≥ 1).
    pub negatives: usize,
}

impl Default for GnnParams {
    /// 128 output dimensions, 128 hidden, 4 heads, 150 epochs, learning rate 0.01, weight
    /// decay 5·10⁻⁴, 2 negatives per edge.
    fn default() -> Self {
        GnnParams {
            dim: 128,
            hidden: 128,
            heads: 4,
            epochs: 150,
            learning_rate: 0.01,
            weight_decay: 5e-4,
            negatives: 2,
        }
    }
}

/// The API the two GNN embedders ([`crate::Gat`], [`crate::GraphSage`]) share: construction,
/// input features, training that keeps the weights, and the embedder traits. The two differ
/// only in their [`Arch`], their id and whether `params` must split into heads, so one macro
/// writes these impl blocks for both instead of two hand-kept copies. The type needs the
/// fields `params: GnnParams` and `features: Option<NodeFeatures>`.
macro_rules! gnn_embedder {
    ($ty:ident, $arch:expr, $id:literal, needs_heads = $heads:literal) => {
        impl $ty {
            #[doc = concat!("Validates `params`; without [`", stringify!($ty), "::with_features`] the node")]
            /// features are the structural ones ([`NodeFeatures::structural`]).
            ///
            /// # Errors
            /// [`GraphError::InvalidParam`] naming the first parameter out of range (for GAT,
            /// also a `hidden` that is not a multiple of `heads`).
            pub fn new(params: GnnParams) -> Result<$ty, GraphError> {
                params.validate($heads)?;
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
                $id
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
pub(crate) use gnn_embedder;

impl GnnParams {
    pub(crate) fn validate(&self, needs_heads: bool) -> Result<(), GraphError> {
        let bad = |name, value: f64, reason| {
            Err(GraphError::InvalidParam {
                name,
                value,
                reason,
            })
        };
        for (name, v) in [
            ("dim", self.dim),
            ("hidden", self.hidden),
            ("epochs", self.epochs),
            ("negatives", self.negatives),
        ] {
            if v == 0 {
                return bad(name, 0.0, "must be ≥ 1");
            }
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(
                "learning_rate",
                self.learning_rate,
                "must be finite and > 0",
            );
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad("weight_decay", self.weight_decay, "must be finite and ≥ 0");
        }
        if needs_heads {
            if self.heads == 0 {
                return bad("heads", 0.0, "must be ≥ 1");
            }
            if !self.hidden.is_multiple_of(self.heads) {
                return bad("hidden", self.hidden as f64, "must be a multiple of heads");
            }
        }
        Ok(())
    }
}

/// The directed edges of `graph` (both directions of every undirected edge), as
/// `(source, destination, weight)`, grouped by destination.
pub(crate) fn directed_edges(graph: &Graph) -> Vec<(u32, u32, f64)> {
    let mut out = Vec::with_capacity(2 * graph.n_edges());
    for i in 0..graph.n_nodes() {
        for (&j, &w) in graph.neighbors(i).iter().zip(graph.neighbor_weights(i)) {
            out.push((j as u32, i as u32, w));
        }
    }
    out
}

/// An index tensor (u32) on the CPU.
pub(crate) fn index(v: Vec<u32>) -> candle_core::Result<Tensor> {
    let n = v.len();
    Tensor::from_vec(v, n, &Device::Cpu)
}

/// A float tensor of `dtype` from f64 values.
pub(crate) fn floats(v: Vec<f64>, shape: &[usize], dtype: DType) -> candle_core::Result<Tensor> {
    Tensor::from_vec(v, shape, &Device::Cpu)?.to_dtype(dtype)
}

/// Glorot-uniform `rows × cols` weights, U(±√(6 / (fan_in + fan_out))).
pub(crate) fn glorot(
    rng: &mut ChaCha8Rng,
    rows: usize,
    cols: usize,
    fans: (usize, usize),
    dtype: DType,
) -> candle_core::Result<Var> {
    let a = (6.0 / (fans.0 + fans.1) as f64).sqrt();
    let v: Vec<f64> = (0..rows * cols).map(|_| rng.gen_range(-a..a)).collect();
    Var::from_tensor(&floats(v, &[rows, cols], dtype)?)
}

/// A zero `(len,)` bias.
pub(crate) fn zeros(len: usize, dtype: DType) -> candle_core::Result<Var> {
    Var::zeros(len, dtype, &Device::Cpu)
}

/// Most elements one element-wise candle op sees here. candle 0.11.1 sends element-wise maps
/// of ≥ 65 536 elements to a global spin-waiting thread pool whose threads are pinned to
/// cores; on a shared 2-core machine, with the evaluator running one target per core, that
/// made one image-zoo GraphSAGE embedding take 7–13 s of wall-clock time instead of ≈ 1 s.
/// Edge-sized tensors are therefore processed in row chunks below this size.
pub(crate) const MAX_ELEMWISE: usize = 32 * 1024;

/// Rows per chunk for rows of `width` elements.
pub(crate) fn chunk_rows(width: usize) -> usize {
    (MAX_ELEMWISE / width.max(1)).max(1)
}

/// Message passing: `out[i] = Σ_e: dst_e = i  scale_e ⊙ h[src_e]` for `n` destinations, with
/// `h` of shape `(n_src, …)` and `scale` broadcastable to `(E, …)` — gathered with
/// `index_select`, summed with `index_add`, edges in chunks (see [`MAX_ELEMWISE`]).
pub(crate) fn propagate(
    h: &Tensor,
    src: &Tensor,
    dst: &Tensor,
    scale: &Tensor,
    n: usize,
) -> candle_core::Result<Tensor> {
    let mut shape = h.dims().to_vec();
    shape[0] = n;
    let width: usize = shape[1..].iter().product();
    let e = src.dim(0)?;
    let rows = chunk_rows(width);
    let mut out = Tensor::zeros(shape, h.dtype(), h.device())?;
    let mut start = 0;
    while start < e {
        let len = rows.min(e - start);
        let msg = h
            .index_select(&src.narrow(0, start, len)?, 0)?
            .broadcast_mul(&scale.narrow(0, start, len)?)?;
        out = out.index_add(&dst.narrow(0, start, len)?, &msg, 0)?;
        start += len;
    }
    Ok(out)
}

/// `z_u · z_v` for every pair `(u_k, v_k)`, in chunks (see [`MAX_ELEMWISE`]).
pub(crate) fn pair_dots(z: &Tensor, u: &Tensor, v: &Tensor) -> candle_core::Result<Tensor> {
    let e = u.dim(0)?;
    let rows = chunk_rows(z.dim(1)?);
    let mut parts = Vec::with_capacity(e.div_ceil(rows));
    let mut start = 0;
    while start < e {
        let len = rows.min(e - start);
        let zu = z.index_select(&u.narrow(0, start, len)?, 0)?;
        let zv = z.index_select(&v.narrow(0, start, len)?, 0)?;
        parts.push((zu * zv)?.sum(1)?);
        start += len;
    }
    if parts.is_empty() {
        return Tensor::zeros(0, z.dtype(), z.device());
    }
    Tensor::cat(&parts, 0)
}

/// A message-passing encoder over fixed node features (held inside): → embeddings `(n, dim)`.
pub(crate) trait Encoder {
    /// The embeddings of every node.
    fn forward(&self) -> candle_core::Result<Tensor>;
    /// The trainable parameters.
    fn vars(&self) -> Vec<Var>;
}

/// `softplus(x) = relu(x) + ln(1 + e^−|x|)`, stable for any x.
pub(crate) fn softplus(x: &Tensor) -> candle_core::Result<Tensor> {
    x.relu()? + x.abs()?.neg()?.exp()?.affine(1.0, 1.0)?.log()?
}

/// One epoch's pairs: positives `(u, v)` with their loss weights, negatives `(u, v')`.
pub(crate) struct Pairs {
    pub(crate) pos_u: Tensor,
    pub(crate) pos_v: Tensor,
    pub(crate) pos_c: Tensor,
    pub(crate) neg_u: Tensor,
    pub(crate) neg_v: Tensor,
}

/// The link loss of the module docs for embeddings `z`.
pub(crate) fn link_loss(z: &Tensor, p: &Pairs) -> candle_core::Result<Tensor> {
    let pos = softplus(&pair_dots(z, &p.pos_u, &p.pos_v)?.neg()?)?;
    let pos = (pos * &p.pos_c)?.mean_all()?;
    let neg = softplus(&pair_dots(z, &p.neg_u, &p.neg_v)?)?.mean_all()?;
    pos + neg
}

/// The positives of `graph` (each undirected edge once, `a < b`) with weights `w / mean(w)`.
pub(crate) fn positives(graph: &Graph) -> Vec<(u32, u32, f64)> {
    let mut v = Vec::with_capacity(graph.n_edges());
    for a in 0..graph.n_nodes() {
        for (&b, &w) in graph.neighbors(a).iter().zip(graph.neighbor_weights(a)) {
            if a < b {
                v.push((a as u32, b as u32, w));
            }
        }
    }
    let mean = v.iter().map(|e| e.2).sum::<f64>() / v.len().max(1) as f64;
    for e in &mut v {
        e.2 /= mean;
    }
    v
}

/// Samples one epoch's [`Pairs`]: `negatives` uniform `v' ≠ u` per positive.
pub(crate) fn sample_pairs(
    pos: &[(u32, u32, f64)],
    n_nodes: usize,
    negatives: usize,
    rng: &mut ChaCha8Rng,
    dtype: DType,
) -> candle_core::Result<Pairs> {
    let mut neg_u = Vec::with_capacity(pos.len() * negatives);
    let mut neg_v = Vec::with_capacity(pos.len() * negatives);
    for &(u, _, _) in pos {
        for _ in 0..negatives {
            // Uniform over the other n − 1 nodes.
            let mut v = rng.gen_range(0..n_nodes as u32 - 1);
            if v >= u {
                v += 1;
            }
            neg_u.push(u);
            neg_v.push(v);
        }
    }
    Ok(Pairs {
        pos_u: index(pos.iter().map(|e| e.0).collect())?,
        pos_v: index(pos.iter().map(|e| e.1).collect())?,
        pos_c: floats(pos.iter().map(|e| e.2).collect(), &[pos.len()], dtype)?,
        neg_u: index(neg_u)?,
        neg_v: index(neg_v)?,
    })
}

/// Trains `enc` for link prediction on `graph` (module docs) and returns the final
/// embeddings. `rng` continues the stream that initialised the weights. A graph without edges
/// (or with one node) has nothing to learn: the untrained encoder's output is returned.
pub(crate) fn train(
    enc: &dyn Encoder,
    dtype: DType,
    graph: &Graph,
    params: &GnnParams,
    rng: &mut ChaCha8Rng,
) -> Result<Embeddings, GraphError> {
    let pos = positives(graph);
    if !pos.is_empty() && graph.n_nodes() >= 2 {
        let mut opt = AdamW::new(
            enc.vars(),
            ParamsAdamW {
                lr: params.learning_rate,
                weight_decay: params.weight_decay,
                ..ParamsAdamW::default()
            },
        )
        .map_err(tensor_err)?;
        for epoch in 0..params.epochs {
            let pairs = sample_pairs(&pos, graph.n_nodes(), params.negatives, rng, dtype)
                .map_err(tensor_err)?;
            let z = enc.forward().map_err(tensor_err)?;
            let loss = link_loss(&z, &pairs).map_err(tensor_err)?;
            let value = loss
                .to_dtype(DType::F64)
                .and_then(|l| l.to_scalar::<f64>())
                .map_err(tensor_err)?;
            if !value.is_finite() {
                return Err(GraphError::Diverged { epoch, loss: value });
            }
            opt.backward_step(&loss).map_err(tensor_err)?;
        }
    }
    to_embeddings(&enc.forward().map_err(tensor_err)?, params.epochs)
}

/// `z` (`n × dim`) as [`Embeddings`]; a non-finite value is [`GraphError::Diverged`] at
/// `epoch`.
fn to_embeddings(z: &Tensor, epoch: usize) -> Result<Embeddings, GraphError> {
    let z = z.to_dtype(DType::F64).map_err(tensor_err)?;
    let (n, dim) = z.dims2().map_err(tensor_err)?;
    let data: Vec<f64> = z
        .flatten_all()
        .and_then(|t| t.to_vec1::<f64>())
        .map_err(tensor_err)?;
    if let Some(k) = data.iter().position(|v| !v.is_finite()) {
        return Err(GraphError::Diverged {
            epoch,
            loss: data[k],
        });
    }
    Ok(Embeddings {
        n_nodes: n,
        dim,
        data,
    })
}

/// The features to use for `graph`: `given` (checked against the node count) or the
/// structural ones; as a `(n, f)` tensor of `dtype`, with the column names.
pub(crate) fn feature_tensor(
    graph: &Graph,
    given: Option<&NodeFeatures>,
    dtype: DType,
) -> Result<(Tensor, Vec<String>), GraphError> {
    let own;
    let f = match given {
        Some(f) => {
            if f.n_nodes != graph.n_nodes() {
                return Err(GraphError::FeatureRows {
                    expected: graph.n_nodes(),
                    got: f.n_nodes,
                });
            }
            f
        }
        None => {
            own = NodeFeatures::structural(graph);
            &own
        }
    };
    let x = floats(f.data.clone(), &[f.n_nodes, f.dim], dtype).map_err(tensor_err)?;
    Ok((x, f.names.clone()))
}

/// The two GNN architectures, for rebuilding a trained encoder on another graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arch {
    /// [`crate::GraphSage`].
    Sage,
    /// [`crate::Gat`].
    Gat,
}

impl Arch {
    fn id(self) -> &'static str {
        match self {
            Arch::Sage => "graphsage",
            Arch::Gat => "gat",
        }
    }

    /// A freshly initialised encoder of this architecture on `graph` with inputs `x`.
    fn encoder(
        self,
        graph: &Graph,
        x: Tensor,
        params: &GnnParams,
        rng: &mut ChaCha8Rng,
    ) -> candle_core::Result<Box<dyn Encoder>> {
        Ok(match self {
            Arch::Sage => Box::new(crate::sage::SageEncoder::new(graph, x, params, rng)?),
            Arch::Gat => Box::new(crate::gat::GatEncoder::new(graph, x, params, rng)?),
        })
    }
}

/// Trains `arch` on `graph` (module docs) and keeps the trained weights.
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
    /// Values of the encoder's parameters, in [`Encoder::vars`] order.
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
}

impl FittedGnn {
    /// Reads the fields [`FittedEmbedder::to_bytes`] wrote (after the tag).
    pub(crate) fn read(r: &mut crate::saved::Reader<'_>) -> Result<FittedGnn, GraphError> {
        use crate::saved::saved;
        let arch = match r.u8()? {
            0 => Arch::Sage,
            1 => Arch::Gat,
            t => return Err(saved(format!("unknown GNN architecture {t}"))),
        };
        let params = GnnParams {
            dim: r.usize()?,
            hidden: r.usize()?,
            heads: r.usize()?,
            epochs: r.usize()?,
            negatives: r.usize()?,
            learning_rate: r.f64()?,
            weight_decay: r.f64()?,
        };
        params.validate(arch == Arch::Gat)?;
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

    fn to_bytes(&self) -> Vec<u8> {
        let mut w = crate::saved::Writer::new(crate::saved::TAG_GNN);
        w.u8(match self.arch {
            Arch::Sage => 0,
            Arch::Gat => 1,
        });
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

    fn embeddings(&self) -> &Embeddings {
        &self.embeddings
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
        let z = self.forward(graph, features)?;
        Ok(merge_rows(&self.embeddings, &mask, |u| z.row(u).to_vec()))
    }
}

/// Runs `f` on a private one-thread rayon pool. candle's CPU kernels (gemm, element-wise
/// maps) parallelise over every core; on these small graphs that costs more than it gains and,
/// with the evaluator already running one target per core, oversubscribes the machine (the
/// image-zoo GraphSAGE embedding took 12.9 s of wall-clock time with candle's threads against
/// 4.0 s on one thread, on a loaded 2-core box).
pub(crate) fn single_threaded<T: Send>(
    f: impl FnOnce() -> Result<T, GraphError> + Send,
) -> Result<T, GraphError> {
    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(pool) => pool.install(f),
        // No thread for a pool: run on the caller's thread with candle's defaults.
        Err(_) => f(),
    }
}

/// The RNG every GNN run starts from.
pub(crate) fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoorank_core::{Dataset, Model};

    #[test]
    fn softplus_is_stable_and_exact() {
        let x = Tensor::new(&[-800.0f64, -1.0, 0.0, 2.0, 800.0], &Device::Cpu).unwrap();
        let y: Vec<f64> = softplus(&x).unwrap().to_vec1().unwrap();
        let want = [
            0.0,
            (1.0 + (-1.0f64).exp()).ln(),
            2f64.ln(),
            (1.0 + 2f64.exp()).ln(),
            800.0,
        ];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }

    #[test]
    fn features_from_metadata_and_from_nothing() {
        let mut z = Zoo::default();
        let mut m0 = Model::named("a");
        m0.num_parameters = Some(1e6);
        m0.model_type = Some("vit".into());
        let mut m1 = Model::named("b");
        m1.num_parameters = Some(1e8);
        m1.model_type = Some("vit".into());
        z.add_model(m0);
        z.add_model(m1);
        z.add_model(Model::named("c"));
        let mut d = Dataset::named("d");
        d.num_classes = Some(10.0);
        z.add_dataset(d);
        let kinds = vec![
            NodeKind::Model(0),
            NodeKind::Model(1),
            NodeKind::Model(2),
            NodeKind::Dataset(0),
        ];
        let g = Graph::from_edges(kinds, &[(0, 3, 0.5), (1, 3, 0.9)]).unwrap();
        let f = NodeFeatures::from_zoo(&z, &g).unwrap();
        let col = |name: &str| f.names.iter().position(|n| n == name).unwrap();
        assert_eq!(f.row(0)[col("log_params")], -1.0);
        assert_eq!(f.row(1)[col("log_params")], 1.0);
        assert_eq!(f.row(2)[col("log_params_missing")], 1.0);
        assert_eq!(f.row(3)[col("log_params_missing")], 0.0, "not a model");
        assert_eq!(f.row(3)[col("log_samples_missing")], 1.0);
        assert_eq!(f.row(3)[col("log_classes_missing")], 0.0);
        assert_eq!(f.row(1)[col("type=vit")], 1.0);
        assert_eq!(f.row(2)[col("type=vit")], 0.0);
        assert_eq!(f.row(3)[col("is_dataset")], 1.0);
        assert!(f.data.iter().all(|v| v.is_finite()));
        // No metadata at all: only structure carries information, nothing breaks.
        let mut bare = Zoo::default();
        for n in ["a", "b", "c"] {
            bare.add_model(Model::named(n));
        }
        bare.add_dataset(Dataset::named("d"));
        let f = NodeFeatures::from_zoo(&bare, &g).unwrap();
        assert!(f.data.iter().all(|v| v.is_finite()));
        assert_eq!(f.n_nodes, 4);
        // A node outside the zoo is an error.
        let g2 = Graph::from_edges(vec![NodeKind::Model(7)], &[]).unwrap();
        assert!(matches!(
            NodeFeatures::from_zoo(&bare, &g2),
            Err(GraphError::UnknownNode { node: 0 })
        ));
    }

    #[test]
    fn explicit_features_are_checked() {
        assert!(matches!(
            NodeFeatures::new(2, vec!["a".into()], vec![1.0]),
            Err(GraphError::FeatureShape {
                expected: 2,
                got: 1
            })
        ));
        assert!(matches!(
            NodeFeatures::new(2, vec!["a".into()], vec![1.0, f64::NAN]),
            Err(GraphError::NonFiniteFeature { node: 1, .. })
        ));
    }

    #[test]
    fn chunked_propagation_and_dots_match_the_unchunked_ones() {
        // More rows than one chunk holds, so several chunks run.
        let (n, d, e) = (40usize, 1000usize, 300usize);
        let mut r = rng(2);
        let h = floats(
            (0..n * d).map(|_| r.gen_range(-1.0..1.0)).collect(),
            &[n, d],
            DType::F64,
        )
        .unwrap();
        let src: Vec<u32> = (0..e).map(|_| r.gen_range(0..n as u32)).collect();
        let dst: Vec<u32> = (0..e).map(|_| r.gen_range(0..n as u32)).collect();
        let sc: Vec<f64> = (0..e).map(|_| r.gen_range(0.0..1.0)).collect();
        assert!(chunk_rows(d) < e);
        let scale = floats(sc.clone(), &[e, 1], DType::F64).unwrap();
        let out: Vec<Vec<f64>> = propagate(
            &h,
            &index(src.clone()).unwrap(),
            &index(dst.clone()).unwrap(),
            &scale,
            n,
        )
        .unwrap()
        .to_vec2()
        .unwrap();
        let hv: Vec<Vec<f64>> = h.to_vec2().unwrap();
        let mut want = vec![vec![0.0; d]; n];
        for k in 0..e {
            for c in 0..d {
                want[dst[k] as usize][c] += sc[k] * hv[src[k] as usize][c];
            }
        }
        for (a, b) in out.iter().flatten().zip(want.iter().flatten()) {
            assert!((a - b).abs() < 1e-12);
        }
        let dots: Vec<f64> = pair_dots(
            &h,
            &index(src.clone()).unwrap(),
            &index(dst.clone()).unwrap(),
        )
        .unwrap()
        .to_vec1()
        .unwrap();
        for k in 0..e {
            let w: f64 = (0..d)
                .map(|c| hv[src[k] as usize][c] * hv[dst[k] as usize][c])
                .sum();
            assert!((dots[k] - w).abs() < 1e-10);
        }
    }

    #[test]
    fn negatives_never_pick_the_anchor_and_cover_the_rest() {
        let pos = vec![(0u32, 1u32, 1.0), (2, 3, 1.0)];
        let mut r = rng(3);
        let mut seen = [0usize; 4];
        for _ in 0..200 {
            let p = sample_pairs(&pos, 4, 3, &mut r, DType::F64).unwrap();
            let u: Vec<u32> = p.neg_u.to_vec1().unwrap();
            let v: Vec<u32> = p.neg_v.to_vec1().unwrap();
            for (a, b) in u.iter().zip(&v) {
                assert_ne!(a, b);
                seen[*b as usize] += 1;
            }
        }
        assert!(seen.iter().all(|&c| c > 0));
    }
}

/// Shared test fixtures: a tiny weighted graph and a finite-difference gradient check.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use crate::NodeKind;

    /// 6 nodes, 7 weighted edges (two triangles and a bridge, one isolated-ish pendant), 3
    /// random features per node, f64.
    pub(crate) fn tiny_graph() -> (Graph, Tensor) {
        let edges = [
            (0, 1, 0.9),
            (1, 2, 0.4),
            (0, 2, 1.5),
            (2, 3, 0.2),
            (3, 4, 1.0),
            (4, 5, 0.7),
            (3, 5, 0.3),
        ];
        let g = Graph::from_edges(vec![NodeKind::Other; 6], &edges).unwrap();
        let mut r = rng(11);
        let v: Vec<f64> = (0..18).map(|_| r.gen_range(-1.0..1.0)).collect();
        (g, floats(v, &[6, 3], DType::F64).unwrap())
    }

    /// Compares candle's gradient of the link loss with central differences
    /// `(L(θ + ε) − L(θ − ε)) / 2ε`, ε = 10⁻⁶, for every parameter entry, in f64:
    /// |autograd − numeric| ≤ 10⁻⁶ · max(1, |numeric|).
    pub(crate) fn check_gradients(enc: &dyn Encoder, g: &Graph) {
        let pos = positives(g);
        let pairs = sample_pairs(&pos, g.n_nodes(), 2, &mut rng(9), DType::F64).unwrap();
        let loss = |enc: &dyn Encoder| -> f64 {
            link_loss(&enc.forward().unwrap(), &pairs)
                .unwrap()
                .to_scalar::<f64>()
                .unwrap()
        };
        let l = link_loss(&enc.forward().unwrap(), &pairs).unwrap();
        let grads = l.backward().unwrap();
        let eps = 1e-6;
        let mut checked = 0;
        let mut worst = 0.0f64;
        for var in enc.vars() {
            let g_auto: Vec<f64> = grads
                .get(var.as_tensor())
                .expect("every parameter gets a gradient")
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
            let shape = var.shape().clone();
            let theta: Vec<f64> = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
            for k in 0..theta.len() {
                let at = |delta: f64| {
                    let mut t = theta.clone();
                    t[k] += delta;
                    var.set(&Tensor::from_vec(t, &shape, &candle_core::Device::Cpu).unwrap())
                        .unwrap();
                    loss(enc)
                };
                let num = (at(eps) - at(-eps)) / (2.0 * eps);
                var.set(
                    &Tensor::from_vec(theta.clone(), &shape, &candle_core::Device::Cpu).unwrap(),
                )
                .unwrap();
                let err = (g_auto[k] - num).abs() / num.abs().max(1.0);
                worst = worst.max(err);
                assert!(
                    err < 1e-6,
                    "parameter {:?} entry {k}: autograd {} vs numeric {num}",
                    shape,
                    g_auto[k]
                );
                checked += 1;
            }
        }
        assert!(checked > 20, "only {checked} entries checked");
        // Some gradient must be non-trivial, or the check proves nothing.
        let total: f64 = enc
            .vars()
            .iter()
            .map(|v| {
                grads
                    .get(v.as_tensor())
                    .unwrap()
                    .abs()
                    .unwrap()
                    .sum_all()
                    .unwrap()
                    .to_scalar::<f64>()
                    .unwrap()
            })
            .sum();
        assert!(total > 1e-3, "gradients vanish: {total}");
        let _ = worst;
    }
}
