//! ELECTRA's encoder (Clark et al., "ELECTRA: Pre-training Text Encoders as Discriminators
//! Rather Than Generators", ICLR 2020) in Hugging Face's `ElectraModel` layout: the
//! discriminator that downstream checkpoints fine-tune.
//!
//! * embeddings: `X⁰ = LN(E_word[t_i] + E_pos[i] + E_type[s_i]) ∈ R^e` with `e = embedding_size`,
//!   then `embeddings_project` (`R^e → R^h`) when the checkpoint has it (`e ≠ h`);
//! * `num_hidden_layers` BERT layers (tensor names `encoder.layer.N.*` and activation as BERT's),
//!   which candle-transformers' `bert::BertEncoder` runs.
//!
//! candle-transformers has no ELECTRA module, and its `BertModel` cannot load these embeddings
//! (narrower than the hidden size, followed by a projection), so only the encoder is candle's.

use candle_core::{Result, Tensor};
use candle_nn::{Linear, VarBuilder};
use candle_transformers::models::bert::{BertEncoder, Config as BertConfig};
use serde::Deserialize;

use crate::text_layers::{project, EmbeddingSizes, Embeddings, LayeredEncoder};

/// The field of an ELECTRA `config.json` that BERT's configuration lacks.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Extra {
    /// Width of the embedding tables (the hidden size when absent).
    pub embedding_size: Option<usize>,
}

/// A loaded ELECTRA encoder.
pub(crate) struct Electra {
    embeddings: Embeddings,
    project: Option<Linear>,
    /// One single-layer encoder per transformer layer, in order. `BertLayer::forward` is
    /// private to candle-transformers and `BertEncoder::forward` returns only the last state,
    /// so each layer is wrapped in an encoder of its own (a clone shares the weights) to read
    /// every layer's output.
    layers: Vec<BertEncoder>,
}

impl Electra {
    /// Loads `embeddings.*`, `embeddings_project.*` (when the embedding width differs from the
    /// hidden size) and `encoder.*` from `vb`.
    pub(crate) fn load(c: &BertConfig, extra: &Extra, vb: VarBuilder) -> Result<Self> {
        let width = extra.embedding_size.unwrap_or(c.hidden_size);
        let sizes = EmbeddingSizes {
            vocab: c.vocab_size,
            width,
            positions: c.max_position_embeddings,
            token_types: c.type_vocab_size,
            eps: c.layer_norm_eps,
        };
        let project = if width != c.hidden_size || vb.contains_tensor("embeddings_project.weight") {
            Some(candle_nn::linear(
                width,
                c.hidden_size,
                vb.pp("embeddings_project"),
            )?)
        } else {
            None
        };
        Ok(Self {
            embeddings: Embeddings::load(&sizes, vb.pp("embeddings"))?,
            project,
            layers: single_layer_encoders(BertEncoder::load(vb.pp("encoder"), c)?),
        })
    }
}

/// Every transformer layer is one of `forward_layers`'s states.
impl LayeredEncoder for Electra {
    fn embed(&self, ids: &Tensor, types: &Tensor) -> Result<Tensor> {
        project(self.embeddings.forward(ids, types)?, self.project.as_ref())
    }

    fn depth(&self) -> usize {
        self.layers.len()
    }

    fn layer(&self, i: usize, x: &Tensor, mask: &Tensor) -> Result<Tensor> {
        self.layers[i].forward(x, mask)
    }
}

/// `encoder` split into one encoder per layer (clones share the weight tensors).
fn single_layer_encoders(encoder: BertEncoder) -> Vec<BertEncoder> {
    encoder
        .layers
        .iter()
        .map(|layer| {
            let mut one = encoder.clone();
            one.layers = vec![layer.clone()];
            one
        })
        .collect()
}
