//! DistilBERT (Sanh et al., "DistilBERT, a distilled version of BERT", 2019) in Hugging Face's
//! `DistilBertModel` layout, written here on candle's layers.
//!
//! candle-transformers 0.11.1 has a `distilbert` module, but it applies the tanh approximation
//! of GELU where the Hugging Face model (and the checkpoints trained with it) use the exact
//! `x · Φ(x)`, and it does not take a padding mask in the usual form; this implementation
//! follows the reference model exactly.
//!
//! For token ids `t_1..t_L` with padding mask `m`:
//! * embeddings: `X⁰ = LN(E_word[t_i] + E_pos[i − 1])` (no token types);
//! * each of `n_layers` blocks (post-norm):
//!   `A = softmax(Q Kᵀ / √d_h + (m − 1)·∞) V` per head, `S = LN(X + W_o A)`,
//!   `X' = LN(S + W₂ act(W₁ S))`, with `act` = GELU (exact) or ReLU as `activation` says;
//! * every layer norm has ε = 1e-12, as in the reference implementation.

use candle_core::{DType, Module, Tensor, D};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};
use serde::Deserialize;

use crate::config::usize_default;
use crate::text_layers::{last_state, LayerStates};

/// The fields of a DistilBERT `config.json` this implementation reads.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Config {
    #[serde(default = "usize_default::<30522>")]
    pub vocab_size: usize,
    #[serde(default = "usize_default::<768>")]
    pub dim: usize,
    #[serde(default = "usize_default::<6>")]
    pub n_layers: usize,
    #[serde(default = "usize_default::<12>")]
    pub n_heads: usize,
    #[serde(default = "usize_default::<3072>")]
    pub hidden_dim: usize,
    #[serde(default = "gelu")]
    pub activation: String,
    #[serde(default = "usize_default::<512>")]
    pub max_position_embeddings: usize,
    #[serde(default)]
    pub pad_token_id: usize,
}

fn gelu() -> String {
    "gelu".into()
}

/// Layer-norm ε of every DistilBERT layer norm.
const EPS: f64 = 1e-12;

struct Block {
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
    sa_norm: LayerNorm,
    lin1: Linear,
    lin2: Linear,
    out_norm: LayerNorm,
}

/// A loaded DistilBERT encoder.
pub(crate) struct DistilBert {
    word: Embedding,
    position: Embedding,
    norm: LayerNorm,
    blocks: Vec<Block>,
    heads: usize,
    relu: bool,
}

impl DistilBert {
    /// Loads the encoder from `vb` (`embeddings.*`, `transformer.layer.N.*`).
    pub(crate) fn load(c: &Config, vb: VarBuilder) -> candle_core::Result<Self> {
        let d = c.dim;
        let e = vb.pp("embeddings");
        let word = candle_nn::embedding(c.vocab_size, d, e.pp("word_embeddings"))?;
        let position =
            candle_nn::embedding(c.max_position_embeddings, d, e.pp("position_embeddings"))?;
        let norm = candle_nn::layer_norm(d, EPS, e.pp("LayerNorm"))?;
        let mut blocks = Vec::with_capacity(c.n_layers);
        for i in 0..c.n_layers {
            let l = vb.pp("transformer").pp("layer").pp(i);
            let a = l.pp("attention");
            blocks.push(Block {
                q: candle_nn::linear(d, d, a.pp("q_lin"))?,
                k: candle_nn::linear(d, d, a.pp("k_lin"))?,
                v: candle_nn::linear(d, d, a.pp("v_lin"))?,
                out: candle_nn::linear(d, d, a.pp("out_lin"))?,
                sa_norm: candle_nn::layer_norm(d, EPS, l.pp("sa_layer_norm"))?,
                lin1: candle_nn::linear(d, c.hidden_dim, l.pp("ffn").pp("lin1"))?,
                lin2: candle_nn::linear(c.hidden_dim, d, l.pp("ffn").pp("lin2"))?,
                out_norm: candle_nn::layer_norm(d, EPS, l.pp("output_layer_norm"))?,
            });
        }
        Ok(Self {
            word,
            position,
            norm,
            blocks,
            heads: c.n_heads,
            relu: c.activation == "relu",
        })
    }

    /// Last hidden states `(b, L, dim)` of token ids `(b, L)` with attention mask `(b, L)`
    /// (1 = token, 0 = padding).
    pub(crate) fn forward(&self, ids: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        last_state(self.forward_layers(ids, mask, false)?)
    }

    /// The hidden states `(b, L, dim)` after each block, first to last, or with `every` false
    /// the last alone.
    pub(crate) fn forward_layers(
        &self,
        ids: &Tensor,
        mask: &Tensor,
        every: bool,
    ) -> candle_core::Result<Vec<Tensor>> {
        let (b, len) = ids.dims2()?;
        let positions = Tensor::arange(0u32, len as u32, ids.device())?;
        let x = self
            .word
            .forward(ids)?
            .broadcast_add(&self.position.forward(&positions)?)?;
        let mut x = self.norm.forward(&x)?;
        let d = x.dim(D::Minus1)?;
        let dh = d / self.heads;
        // Additive mask (b, 1, 1, L): 0 for tokens, −1e30 for padding.
        let bias = ((mask.to_dtype(DType::F32)? - 1.0)? * 1e30)?.reshape((b, 1, 1, len))?;
        let scale = 1.0 / (dh as f64).sqrt();
        let mut states = LayerStates::new(every);
        for blk in &self.blocks {
            let split = |t: Tensor| -> candle_core::Result<Tensor> {
                t.reshape((b, len, self.heads, dh))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let q = (split(blk.q.forward(&x)?)? * scale)?;
            let k = split(blk.k.forward(&x)?)?;
            let v = split(blk.v.forward(&x)?)?;
            let scores = q
                .matmul(&k.transpose(2, 3)?.contiguous()?)?
                .broadcast_add(&bias)?;
            let weights = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = weights
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((b, len, d))?;
            let s = blk.sa_norm.forward(&(blk.out.forward(&ctx)? + &x)?)?;
            let h = blk.lin1.forward(&s)?;
            let h = if self.relu { h.relu()? } else { h.gelu_erf()? };
            x = blk.out_norm.forward(&(blk.lin2.forward(&h)? + &s)?)?;
            states.after_layer(&x);
        }
        Ok(states.finish(x))
    }
}
