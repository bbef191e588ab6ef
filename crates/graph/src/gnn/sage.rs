//! GraphSAGE with the mean aggregator, two layers (Hamilton, Ying & Leskovec, "Inductive
//! Representation Learning on Large Graphs", NeurIPS 2017), trained for link prediction
//! ([`crate::gnn`], [`super::train`]).
//!
//! Layer `l` maps `h` (`n × f`) to
//!
//! ```text
//! h'_i = σ( W_self h_i + W_neigh · Σ_j∈N(i) (w_ij / Σ_k∈N(i) w_ik) h_j + b )
//! ```
//!
//! the paper's concatenation `W [h_i ‖ mean_j h_j]` split into its two blocks, with the mean
//! weighted by the edge weights (fine-tuning accuracy, dataset similarity), so a model's
//! representation leans towards the datasets it does best on. σ is ReLU on the hidden layer and
//! the identity on the output layer (the dot-product decoder needs signed coordinates). A
//! node without neighbours gets `W_self h_i + b` only. Full-neighbourhood aggregation (no
//! neighbour sampling: the graphs here have a few thousand edges) and no per-layer
//! L2 normalisation (the weight decay bounds the scale instead).
//!
//! Being inductive, the trained weights apply to a node added later from its features and
//! edges alone: [`crate::GraphSage::fitted`] keeps them ([`crate::FittedGnn`]) and
//! [`crate::FittedEmbedder::extend`] embeds new nodes by one forward pass
//! ([`crate::inductive`]). [`crate::GraphEmbedder::embed`] trains on the graph it is given
//! (for the graph rankers, the held-out graph, whose target node only has dataset–dataset
//! edges). This module holds the layers; the public embedder is [`crate::GraphSage`].
//!
//! Cost per epoch: O(N · f · h + E · h + N · h · d + E · d) for N nodes, E edges, f input
//! features, h hidden and d output dimensions.

use super::layers::{directed_edges, floats, glorot, index, propagate, zeros, Encoder};
use super::params::GnnParams;
use crate::graph::Graph;
use candle_core::{Tensor, Var};
use rand_chacha::ChaCha8Rng;

struct SageLayer {
    w_self: Var,
    w_neigh: Var,
    bias: Var,
}

/// The two layers with the graph as index tensors and the input features.
pub(crate) struct SageEncoder {
    layers: Vec<SageLayer>,
    n: usize,
    src: Tensor,
    dst: Tensor,
    /// `(E, 1)`: `w_ij / Σ_k w_ik` of every directed edge j → i.
    coef: Tensor,
    x: Tensor,
    /// The weighted neighbour mean of `x`: the input is constant, so the first layer's
    /// aggregation is done once, not every epoch.
    x_mean: Tensor,
}

impl SageEncoder {
    pub(crate) fn new(
        graph: &Graph,
        x: Tensor,
        p: &GnnParams,
        rng: &mut ChaCha8Rng,
    ) -> candle_core::Result<SageEncoder> {
        let n = graph.n_nodes();
        let dtype = x.dtype();
        let n_features = x.dim(1)?;
        let edges = directed_edges(graph);
        let mut total = vec![0.0f64; n];
        for &(_, i, w) in &edges {
            total[i as usize] += w;
        }
        let coef: Vec<f64> = edges
            .iter()
            .map(|&(_, i, w)| w / total[i as usize])
            .collect();
        let e = edges.len();
        let mut layers = Vec::new();
        for (fi, fo) in [(n_features, p.hidden), (p.hidden, p.dim)] {
            layers.push(SageLayer {
                // Glorot over the concatenated [h ‖ mean] matrix, as the paper's single W.
                w_self: glorot(rng, fi, fo, (2 * fi, fo), dtype)?,
                w_neigh: glorot(rng, fi, fo, (2 * fi, fo), dtype)?,
                bias: zeros(fo, dtype)?,
            });
        }
        let mut enc = SageEncoder {
            layers,
            n,
            src: index(edges.iter().map(|x| x.0).collect())?,
            dst: index(edges.iter().map(|x| x.1).collect())?,
            coef: floats(coef, &[e, 1], dtype)?,
            x_mean: x.clone(),
            x,
        };
        enc.x_mean = enc.mean(&enc.x)?;
        Ok(enc)
    }

    /// `Σ_j (w_ij / Σ_k w_ik) h_j` for every node i: gather, scale, sum into destinations.
    fn mean(&self, h: &Tensor) -> candle_core::Result<Tensor> {
        propagate(h, &self.src, &self.dst, &self.coef, self.n)
    }

    /// One layer; `h_mean` is the neighbour mean of `h` when already known.
    fn layer(
        &self,
        layer: &SageLayer,
        h: &Tensor,
        h_mean: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let own = h.matmul(layer.w_self.as_tensor())?;
        let w = layer.w_neigh.as_tensor();
        // The mean is linear: aggregate on the narrower side of W_neigh.
        let neigh = match h_mean {
            Some(m) => m.matmul(w)?,
            None if w.dim(0)? <= w.dim(1)? => self.mean(h)?.matmul(w)?,
            None => self.mean(&h.matmul(w)?)?,
        };
        (own + neigh)?.broadcast_add(layer.bias.as_tensor())
    }
}

impl Encoder for SageEncoder {
    fn forward(&self) -> candle_core::Result<Tensor> {
        let mut h = self.x.clone();
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            h = self.layer(layer, &h, (l == 0).then_some(&self.x_mean))?;
            if l < last {
                h = h.relu()?;
            }
        }
        Ok(h)
    }

    fn vars(&self) -> Vec<Var> {
        self.layers
            .iter()
            .flat_map(|l| [l.w_self.clone(), l.w_neigh.clone(), l.bias.clone()])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gnn::train::rng;
    use crate::gnn::train::tests_support::star;
    use candle_core::DType;

    #[test]
    fn mean_aggregation_matches_a_hand_computation() {
        // 0 — 1 (w 1), 0 — 2 (w 3); identity weights, zero bias: layer output of node 0 is
        // h_0 + (1·h_1 + 3·h_2) / 4.
        let g = star();
        let p = GnnParams {
            dim: 2,
            hidden: 2,
            ..GnnParams::default()
        };
        let x = Tensor::new(
            &[[1.0f64, 0.0], [0.0, 2.0], [4.0, 0.0]],
            &candle_core::Device::Cpu,
        )
        .unwrap();
        let enc = SageEncoder::new(&g, x.clone(), &p, &mut rng(0)).unwrap();
        let eye = Tensor::eye(2, DType::F64, &candle_core::Device::Cpu).unwrap();
        for l in &enc.layers {
            l.w_self.set(&eye).unwrap();
            l.w_neigh.set(&eye).unwrap();
        }
        // The first layer, with the precomputed mean and with the mean computed on the fly.
        for pre in [Some(&enc.x_mean), None] {
            let h: Vec<Vec<f64>> = enc
                .layer(&enc.layers[0], &x, pre)
                .unwrap()
                .to_vec2()
                .unwrap();
            assert!((h[0][0] - (1.0 + 3.0 * 4.0 / 4.0)).abs() < 1e-12);
            assert!((h[0][1] - (2.0 / 4.0)).abs() < 1e-12);
            // Node 1's only neighbour is 0 (weight 1): h_1 + h_0.
            assert!((h[1][0] - 1.0).abs() < 1e-12 && (h[1][1] - 2.0).abs() < 1e-12);
        }
    }
}
