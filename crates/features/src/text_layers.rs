//! Pieces the BERT-like text encoders written in this crate share (ELECTRA, ALBERT): factorised
//! token embeddings and the additive attention mask.
//!
//! Factorised embeddings (Lan et al., ICLR 2020; Clark et al., ICLR 2020) look tokens up in a
//! table narrower than the transformer, `E = LN(E_word[t_i] + E_pos[i] + E_type[s_i]) ∈ R^e`, and
//! project them to the hidden width `h` with one linear layer when `e ≠ h`.

use candle_core::{DType, Module, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};

/// Word, position and token-type embeddings of width `e` with their layer norm
/// (`embeddings.{word,position,token_type}_embeddings`, `embeddings.LayerNorm`).
pub(crate) struct Embeddings {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    norm: LayerNorm,
}

/// The sizes of [`Embeddings`].
pub(crate) struct EmbeddingSizes {
    pub vocab: usize,
    pub width: usize,
    pub positions: usize,
    pub token_types: usize,
    pub eps: f64,
}

impl Embeddings {
    /// Loads the tables under `vb` (the `embeddings` prefix is the caller's).
    pub(crate) fn load(s: &EmbeddingSizes, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            word: candle_nn::embedding(s.vocab, s.width, vb.pp("word_embeddings"))?,
            position: candle_nn::embedding(s.positions, s.width, vb.pp("position_embeddings"))?,
            token_type: candle_nn::embedding(
                s.token_types,
                s.width,
                vb.pp("token_type_embeddings"),
            )?,
            norm: candle_nn::layer_norm(s.width, s.eps, vb.pp("LayerNorm"))?,
        })
    }

    /// Embeddings `(b, L, e)` of token ids and token types `(b, L)`; positions count from 0.
    pub(crate) fn forward(&self, ids: &Tensor, types: &Tensor) -> candle_core::Result<Tensor> {
        let (_, len) = ids.dims2()?;
        let positions = Tensor::arange(0u32, len as u32, ids.device())?;
        let x = (self.word.forward(ids)? + self.token_type.forward(types)?)?
            .broadcast_add(&self.position.forward(&positions)?)?;
        self.norm.forward(&x)
    }
}

/// Applies `projection` (the embedding-to-hidden map) when the checkpoint has one.
pub(crate) fn project(x: Tensor, projection: Option<&Linear>) -> candle_core::Result<Tensor> {
    match projection {
        Some(p) => p.forward(&x),
        None => Ok(x),
    }
}

/// The additive attention mask `(b, 1, 1, L)` of a 0/1 mask `(b, L)`: 0 on tokens and the most
/// negative `f32` on padding, as Hugging Face's `get_extended_attention_mask` makes it.
pub(crate) fn additive_mask(mask: &Tensor) -> candle_core::Result<Tensor> {
    let (b, len) = mask.dims2()?;
    ((mask.to_dtype(DType::F32)? - 1.0)? * -(f32::MIN as f64))?.reshape((b, 1, 1, len))
}

/// Hidden states kept while an encoder's layers run: each layer's output, first to last, when
/// every layer is wanted (`--layers mean|best`), else the last alone.
pub(crate) struct LayerStates {
    every: bool,
    kept: Vec<Tensor>,
}

impl LayerStates {
    /// Keeps every layer's output when `every`.
    pub(crate) fn new(every: bool) -> Self {
        Self {
            every,
            kept: Vec::new(),
        }
    }

    /// Called with each layer's output `x`.
    pub(crate) fn after_layer(&mut self, x: &Tensor) {
        if self.every {
            self.kept.push(x.clone());
        }
    }

    /// The states, given the last layer's output.
    pub(crate) fn finish(mut self, last: Tensor) -> Vec<Tensor> {
        if !self.every {
            self.kept.push(last);
        }
        self.kept
    }
}

/// An encoder of token ids and token types whose layers run one after another over the
/// embeddings (ELECTRA's and ALBERT's, which share BERT's inputs and mask); `forward` and
/// `forward_layers` follow from the embeddings and one layer's step.
pub(crate) trait LayeredEncoder {
    /// The embeddings `(b, L, h)` of token ids and token types `(b, L)`, at the hidden size.
    fn embed(&self, ids: &Tensor, types: &Tensor) -> candle_core::Result<Tensor>;

    /// How many layers `forward_layers` reports.
    fn depth(&self) -> usize;

    /// The output of layer `i` (from 0) given its input `x` and the additive mask.
    fn layer(&self, i: usize, x: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor>;

    /// Last hidden states `(b, L, h)` of token ids and token types `(b, L)` with attention
    /// mask `(b, L)` (1 = token, 0 = padding).
    fn forward(&self, ids: &Tensor, types: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        last_state(self.forward_layers(ids, types, mask, false)?)
    }

    /// The hidden states `(b, L, h)` after each of the `depth()` layers, first to last, or
    /// with `every` false the last alone.
    fn forward_layers(
        &self,
        ids: &Tensor,
        types: &Tensor,
        mask: &Tensor,
        every: bool,
    ) -> candle_core::Result<Vec<Tensor>> {
        let mut x = self.embed(ids, types)?;
        let mask = additive_mask(mask)?;
        let mut states = LayerStates::new(every);
        for i in 0..self.depth() {
            x = self.layer(i, &x, &mask)?;
            states.after_layer(&x);
        }
        Ok(states.finish(x))
    }
}

/// The last of an encoder's hidden states (its `forward` without every layer).
pub(crate) fn last_state(mut states: Vec<Tensor>) -> candle_core::Result<Tensor> {
    states
        .pop()
        .ok_or_else(|| candle_core::Error::Msg("the encoder has no layer".into()))
}
