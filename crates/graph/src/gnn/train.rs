//! Link-prediction training of a GNN [`Encoder`] (Hamilton et al. 2017, §3.2, unsupervised
//! loss).
//!
//! With `z` the output embeddings, every undirected edge `(u, v)` with weight `w` is a
//! positive and, per positive and epoch, `negatives` pairs `(u, v')` with `v' ≠ u` drawn
//! uniformly (seeded ChaCha8) are negatives:
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

use super::features::NodeFeatures;
use super::layers::{floats, index, pair_dots, Encoder};
use super::params::GnnParams;
use crate::embeddings::Embeddings;
use crate::error::{tensor_err, GraphError};
use crate::graph::Graph;
use candle_core::{DType, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `softplus(x) = relu(x) + ln(1 + e^−|x|)`, stable for any x.
fn softplus(x: &Tensor) -> candle_core::Result<Tensor> {
    x.relu()? + x.abs()?.neg()?.exp()?.affine(1.0, 1.0)?.log()?
}

/// One epoch's pairs: positives `(u, v)` with their loss weights, negatives `(u, v')`.
struct Pairs {
    pos_u: Tensor,
    pos_v: Tensor,
    pos_c: Tensor,
    neg_u: Tensor,
    neg_v: Tensor,
}

/// The link loss of the module docs for embeddings `z`.
fn link_loss(z: &Tensor, p: &Pairs) -> candle_core::Result<Tensor> {
    let pos = softplus(&pair_dots(z, &p.pos_u, &p.pos_v)?.neg()?)?;
    let pos = (pos * &p.pos_c)?.mean_all()?;
    let neg = softplus(&pair_dots(z, &p.neg_u, &p.neg_v)?)?.mean_all()?;
    pos + neg
}

/// The positives of `graph` (each undirected edge once, `a < b`) with weights `w / mean(w)`.
fn positives(graph: &Graph) -> Vec<(u32, u32, f64)> {
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
fn sample_pairs(
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
pub(crate) fn to_embeddings(z: &Tensor, epoch: usize) -> Result<Embeddings, GraphError> {
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
    use candle_core::Device;

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

    /// Node 0 linked to 1 (weight 1) and to 2 (weight 3): a neighbourhood whose weighted mean
    /// and softmax are easy to compute by hand.
    pub(crate) fn star() -> Graph {
        Graph::untyped(3, &[(0, 1, 1.0), (0, 2, 3.0)]).unwrap()
    }

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
        let g = Graph::untyped(6, &edges).unwrap();
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
