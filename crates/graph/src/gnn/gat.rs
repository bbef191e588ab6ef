//! GAT, graph attention network, two layers (Veličković et al., "Graph Attention Networks",
//! ICLR 2018), trained for link prediction ([`crate::gnn`], [`super::train`]).
//!
//! Layer `l` with `H` heads projects `z = h W` (`n × H·d`, head `k` is `z^k`) and, for every
//! node i and neighbour j ∈ N(i) ∪ {i} (a self-loop is added),
//!
//! ```text
//! e^k_ij = LeakyReLU_0.2( a^k_dst · z^k_i + a^k_src · z^k_j ) + ln w_ij
//! α^k_ij = exp(e^k_ij) / Σ_l∈N(i)∪{i} exp(e^k_il)
//! h'_i   = ‖_k σ( Σ_j α^k_ij z^k_j ) + b
//! ```
//!
//! The `ln w_ij` term makes the attention `∝ w_ij · exp(score)`, so edge weights (fine-tuning
//! accuracy, dataset similarity) act as a prior the learnt scores re-weight; the self-loop's
//! weight is the node's mean edge weight (1 for an isolated node). The hidden layer has `heads`
//! heads of `hidden / heads` dimensions concatenated, with ELU (the paper's σ); the output
//! layer has one head and no activation (the dot-product decoder needs signed coordinates).
//!
//! The edge softmax is built from `index_select` and `index_add` only: the per-destination
//! maximum is subtracted first (a constant per destination and head, so the softmax and its
//! gradient are unchanged, and no `exp` overflows), the denominators are an `index_add` of the
//! exponentials into their destinations, gathered back with `index_select`.
//!
//! Cost per epoch: O(N · f · h + E · h) for the hidden layer, O(N · h · d + E · d) for the
//! output layer. This module holds the layers; the public embedder is [`crate::Gat`].

use super::layers::{directed_edges, floats, glorot, index, propagate, zeros, Encoder};
use super::params::GnnParams;
use crate::graph::Graph;
use candle_core::{DType, Tensor, Var};
use rand_chacha::ChaCha8Rng;

struct GatLayer {
    w: Var,
    a_dst: Var,
    a_src: Var,
    bias: Var,
    heads: usize,
    head_dim: usize,
    activate: bool,
}

/// The two attention layers with the graph (self-loops added) as index tensors.
pub(crate) struct GatEncoder {
    layers: Vec<GatLayer>,
    n: usize,
    src: Tensor,
    dst: Tensor,
    dst_idx: Vec<u32>,
    /// `(E + n, 1)`: `ln w_ij`.
    log_w: Tensor,
    x: Tensor,
}

impl GatEncoder {
    pub(crate) fn new(
        graph: &Graph,
        x: Tensor,
        p: &GnnParams,
        rng: &mut ChaCha8Rng,
    ) -> candle_core::Result<GatEncoder> {
        let n = graph.n_nodes();
        let dtype = x.dtype();
        let n_features = x.dim(1)?;
        let mut edges = directed_edges(graph);
        for i in 0..n {
            let w = graph.neighbor_weights(i);
            let self_w = if w.is_empty() {
                1.0
            } else {
                w.iter().sum::<f64>() / w.len() as f64
            };
            edges.push((i as u32, i as u32, self_w));
        }
        let e = edges.len();
        let mut layers = Vec::new();
        for (fi, heads, head_dim, activate) in [
            (n_features, p.heads, p.hidden / p.heads, true),
            (p.hidden, 1, p.dim, false),
        ] {
            let fo = heads * head_dim;
            layers.push(GatLayer {
                w: glorot(rng, fi, fo, (fi, fo), dtype)?,
                a_dst: glorot(rng, heads, head_dim, (2 * head_dim, 1), dtype)?,
                a_src: glorot(rng, heads, head_dim, (2 * head_dim, 1), dtype)?,
                bias: zeros(fo, dtype)?,
                heads,
                head_dim,
                activate,
            });
        }
        let dst_idx: Vec<u32> = edges.iter().map(|x| x.1).collect();
        Ok(GatEncoder {
            layers,
            n,
            src: index(edges.iter().map(|x| x.0).collect())?,
            dst: index(dst_idx.clone())?,
            dst_idx,
            log_w: floats(edges.iter().map(|x| x.2.ln()).collect(), &[e, 1], dtype)?,
            x,
        })
    }

    /// Attention coefficients `α` (`E + n × heads`) of one layer for projected `z3`
    /// (`n × heads × head_dim`).
    fn attention(&self, layer: &GatLayer, z3: &Tensor) -> candle_core::Result<Tensor> {
        let score = |a: &Var| -> candle_core::Result<Tensor> {
            z3.broadcast_mul(&a.as_tensor().unsqueeze(0)?)?.sum(2)
        };
        let s_dst = score(&layer.a_dst)?;
        let s_src = score(&layer.a_src)?;
        let raw = (s_dst.index_select(&self.dst, 0)? + s_src.index_select(&self.src, 0)?)?;
        // LeakyReLU with slope 0.2: relu(x) − 0.2 · relu(−x).
        let e = (raw.relu()? - raw.neg()?.relu()?.affine(0.2, 0.0)?)?.broadcast_add(&self.log_w)?;
        // Per-(destination, head) maximum, as a constant.
        let vals: Vec<Vec<f64>> = e.to_dtype(DType::F64)?.to_vec2()?;
        let h = layer.heads;
        let mut max = vec![f64::NEG_INFINITY; self.n * h];
        for (row, &i) in vals.iter().zip(&self.dst_idx) {
            for k in 0..h {
                let m = &mut max[i as usize * h + k];
                *m = m.max(row[k]);
            }
        }
        for m in &mut max {
            if !m.is_finite() {
                *m = 0.0; // a node without incoming edges (never, with self-loops)
            }
        }
        let shift = floats(max, &[self.n, h], e.dtype())?.index_select(&self.dst, 0)?;
        let p = (e - shift)?.exp()?;
        let den = Tensor::zeros((self.n, h), p.dtype(), p.device())?.index_add(&self.dst, &p, 0)?;
        p / den.index_select(&self.dst, 0)?
    }
}

impl Encoder for GatEncoder {
    fn forward(&self) -> candle_core::Result<Tensor> {
        let mut h = self.x.clone();
        for layer in &self.layers {
            let (hd, d) = (layer.heads, layer.head_dim);
            let z3 = h.matmul(layer.w.as_tensor())?.reshape((self.n, hd, d))?;
            let alpha = self.attention(layer, &z3)?;
            let mut out = propagate(&z3, &self.src, &self.dst, &alpha.unsqueeze(2)?, self.n)?;
            if layer.activate {
                out = out.elu(1.0)?;
            }
            h = out
                .reshape((self.n, hd * d))?
                .broadcast_add(layer.bias.as_tensor())?;
        }
        Ok(h)
    }

    fn vars(&self) -> Vec<Var> {
        self.layers
            .iter()
            .flat_map(|l| {
                [
                    l.w.clone(),
                    l.a_dst.clone(),
                    l.a_src.clone(),
                    l.bias.clone(),
                ]
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gnn::train::rng;
    use crate::gnn::train::tests_support::{star, tiny_graph};
    use candle_core::Device;

    #[test]
    fn attention_is_a_weighted_softmax_over_each_neighbourhood() {
        // With zero attention vectors every score is 0, so α_ij = w_ij / Σ_l w_il
        // (self-loop included, weight = the node's mean edge weight).
        let g = star();
        let p = GnnParams {
            dim: 2,
            hidden: 4,
            heads: 2,
            ..GnnParams::default()
        };
        let x = Tensor::zeros((3, 2), DType::F64, &Device::Cpu).unwrap();
        let enc = GatEncoder::new(&g, x, &p, &mut rng(0)).unwrap();
        let l = &enc.layers[0];
        l.a_dst
            .set(&Tensor::zeros((2, 2), DType::F64, &Device::Cpu).unwrap())
            .unwrap();
        l.a_src
            .set(&Tensor::zeros((2, 2), DType::F64, &Device::Cpu).unwrap())
            .unwrap();
        let z3 = Tensor::ones((3, 2, 2), DType::F64, &Device::Cpu).unwrap();
        let alpha: Vec<Vec<f64>> = enc.attention(l, &z3).unwrap().to_vec2().unwrap();
        // Node 0: neighbours 1 (w 1), 2 (w 3), self (w 2) → 1/6, 3/6, 2/6.
        let dst: Vec<u32> = enc.dst.to_vec1().unwrap();
        let src: Vec<u32> = enc.src.to_vec1().unwrap();
        for (k, (&i, &j)) in dst.iter().zip(&src).enumerate() {
            if i == 0 {
                let want = match j {
                    1 => 1.0 / 6.0,
                    2 => 3.0 / 6.0,
                    _ => 2.0 / 6.0,
                };
                for h in 0..2 {
                    assert!(
                        (alpha[k][h] - want).abs() < 1e-12,
                        "{i}←{j}: {:?}",
                        alpha[k]
                    );
                }
            }
        }
        // Every neighbourhood sums to one.
        let mut sums = [0.0; 3];
        for (k, &i) in dst.iter().enumerate() {
            sums[i as usize] += alpha[k][0];
        }
        for s in sums {
            assert!((s - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn softmax_survives_huge_scores() {
        let (g, _) = tiny_graph();
        let p = GnnParams {
            dim: 2,
            hidden: 2,
            heads: 1,
            ..GnnParams::default()
        };
        let (g, x) = (g, Tensor::zeros((6, 3), DType::F64, &Device::Cpu).unwrap());
        let enc = GatEncoder::new(&g, x, &p, &mut rng(1)).unwrap();
        let l = &enc.layers[0];
        l.a_dst
            .set(&Tensor::new(&[[1e4f64, -1e4]], &Device::Cpu).unwrap())
            .unwrap();
        let z3 = Tensor::new(
            &[
                [[1.0f64, 0.0]],
                [[5.0, 1.0]],
                [[-3.0, 2.0]],
                [[0.0, 9.0]],
                [[1.0, 1.0]],
                [[2.0, 0.0]],
            ],
            &Device::Cpu,
        )
        .unwrap();
        let alpha: Vec<Vec<f64>> = enc.attention(l, &z3).unwrap().to_vec2().unwrap();
        assert!(alpha.iter().flatten().all(|v| v.is_finite() && *v >= 0.0));
    }
}
