//! ALBERT (Lan et al., "ALBERT: A Lite BERT for Self-supervised Learning of Language
//! Representations", ICLR 2020) in Hugging Face's `AlbertModel` layout, written here on candle's
//! layers.
//!
//! * embeddings: `X⁰ = LN(E_word[t_i] + E_pos[i] + E_type[s_i]) ∈ R^e` (`e = embedding_size`),
//!   projected to the hidden width by `encoder.embedding_hidden_mapping_in`;
//! * `num_hidden_layers` layers whose weights are shared: layer `i` runs the
//!   `inner_group_num` layers of group `⌊i / (num_hidden_layers / num_hidden_groups)⌋`
//!   (`encoder.albert_layer_groups.G.albert_layers.J.*`); each is BERT's post-norm block,
//!   `A = LN(X + W_d attn(X))`, `X' = LN(A + W_o act(W_f A))`, with ALBERT's own tensor names
//!   (`attention.{query,key,value,dense,LayerNorm}`, `ffn`, `ffn_output`,
//!   `full_layer_layer_norm`);
//! * pooler: `tanh(W_p H_0 + b_p)` (`pooler.*`, one linear layer, not BERT's `pooler.dense`).
//!
//! candle-transformers 0.11.1 has no ALBERT. The default activation is `gelu_new` (the tanh
//! approximation of GELU), which is candle's `gelu`; `gelu` is the exact `x · Φ(x)`.

use candle_core::{Module, Result, Tensor};
use candle_nn::{LayerNorm, Linear, VarBuilder};
use serde::Deserialize;

use crate::config::usize_default;
use crate::layers::SelfAttention;
use crate::text_layers::{project, EmbeddingSizes, Embeddings, LayeredEncoder};

/// The fields of an ALBERT `config.json` this implementation reads (defaults as Hugging Face's
/// `AlbertConfig`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Config {
    #[serde(default = "usize_default::<30000>")]
    pub vocab_size: usize,
    #[serde(default = "usize_default::<128>")]
    pub embedding_size: usize,
    #[serde(default = "usize_default::<4096>")]
    pub hidden_size: usize,
    #[serde(default = "usize_default::<12>")]
    pub num_hidden_layers: usize,
    #[serde(default = "usize_default::<1>")]
    pub num_hidden_groups: usize,
    #[serde(default = "usize_default::<64>")]
    pub num_attention_heads: usize,
    #[serde(default = "usize_default::<16384>")]
    pub intermediate_size: usize,
    #[serde(default = "usize_default::<1>")]
    pub inner_group_num: usize,
    #[serde(default = "gelu_new")]
    pub hidden_act: String,
    #[serde(default = "usize_default::<512>")]
    pub max_position_embeddings: usize,
    #[serde(default = "usize_default::<2>")]
    pub type_vocab_size: usize,
    #[serde(default = "layer_norm_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub pad_token_id: usize,
}

fn gelu_new() -> String {
    "gelu_new".into()
}

fn layer_norm_eps() -> f64 {
    1e-12
}

/// The activations ALBERT checkpoints use.
#[derive(Debug, Clone, Copy)]
enum Activation {
    /// `x · Φ(x)`.
    Gelu,
    /// The tanh approximation of GELU (`gelu_new`, `gelu_pytorch_tanh`).
    GeluTanh,
    Relu,
}

impl Activation {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "gelu" => Some(Self::Gelu),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Some(Self::GeluTanh),
            "relu" => Some(Self::Relu),
            _ => None,
        }
    }

    fn apply(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Self::Gelu => x.gelu_erf(),
            Self::GeluTanh => x.gelu(),
            Self::Relu => x.relu(),
        }
    }
}

impl Config {
    /// Why this configuration cannot be run, if it cannot.
    pub(crate) fn problem(&self) -> Option<String> {
        if Activation::parse(&self.hidden_act).is_none() {
            return Some(format!(
                "hidden_act {:?} is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)",
                self.hidden_act
            ));
        }
        let groups = self.num_hidden_groups;
        if groups == 0 || groups > self.num_hidden_layers || self.inner_group_num == 0 {
            return Some(format!(
                "num_hidden_groups {groups} and inner_group_num {} do not fit {} layers",
                self.inner_group_num, self.num_hidden_layers
            ));
        }
        None
    }
}

/// One ALBERT layer (its weights may serve several positions in the stack).
struct Layer {
    attention: SelfAttention,
    dense: Linear,
    attention_norm: LayerNorm,
    ffn: Linear,
    ffn_output: Linear,
    norm: LayerNorm,
}

impl Layer {
    fn load(c: &Config, vb: VarBuilder) -> Result<Self> {
        let (h, eps) = (c.hidden_size, c.layer_norm_eps);
        let a = vb.pp("attention");
        Ok(Self {
            attention: SelfAttention::load(h, c.num_attention_heads, true, true, a.clone())?,
            dense: candle_nn::linear(h, h, a.pp("dense"))?,
            attention_norm: candle_nn::layer_norm(h, eps, a.pp("LayerNorm"))?,
            ffn: candle_nn::linear(h, c.intermediate_size, vb.pp("ffn"))?,
            ffn_output: candle_nn::linear(c.intermediate_size, h, vb.pp("ffn_output"))?,
            norm: candle_nn::layer_norm(h, eps, vb.pp("full_layer_layer_norm"))?,
        })
    }

    fn forward(&self, x: &Tensor, mask: &Tensor, act: Activation) -> Result<Tensor> {
        let ctx = self.attention.forward(x, Some(mask))?;
        let a = self
            .attention_norm
            .forward(&(x + self.dense.forward(&ctx)?)?)?;
        let f = self
            .ffn_output
            .forward(&act.apply(&self.ffn.forward(&a)?)?)?;
        self.norm.forward(&(f + a)?)
    }
}

/// A loaded ALBERT encoder.
pub(crate) struct Albert {
    embeddings: Embeddings,
    mapping: Linear,
    groups: Vec<Vec<Layer>>,
    layers: usize,
    act: Activation,
}

impl Albert {
    /// Loads `embeddings.*` and `encoder.*` from `vb` (the pooler is the caller's). The
    /// configuration must have passed [`Config::problem`].
    pub(crate) fn load(c: &Config, vb: VarBuilder) -> Result<Self> {
        let sizes = EmbeddingSizes {
            vocab: c.vocab_size,
            width: c.embedding_size,
            positions: c.max_position_embeddings,
            token_types: c.type_vocab_size,
            eps: c.layer_norm_eps,
        };
        let e = vb.pp("encoder");
        let mut groups = Vec::with_capacity(c.num_hidden_groups);
        for g in 0..c.num_hidden_groups {
            let group = e.pp("albert_layer_groups").pp(g).pp("albert_layers");
            groups.push(
                (0..c.inner_group_num)
                    .map(|j| Layer::load(c, group.pp(j)))
                    .collect::<Result<Vec<_>>>()?,
            );
        }
        Ok(Self {
            embeddings: Embeddings::load(&sizes, vb.pp("embeddings"))?,
            mapping: candle_nn::linear(
                c.embedding_size,
                c.hidden_size,
                e.pp("embedding_hidden_mapping_in"),
            )?,
            groups,
            layers: c.num_hidden_layers,
            act: Activation::parse(&c.hidden_act).unwrap_or(Activation::GeluTanh),
        })
    }
}

/// The states are those after each of the `num_hidden_layers` layers, each one run of its
/// group's inner layers, as Hugging Face's `hidden_states` count them.
impl LayeredEncoder for Albert {
    fn embed(&self, ids: &Tensor, types: &Tensor) -> Result<Tensor> {
        project(self.embeddings.forward(ids, types)?, Some(&self.mapping))
    }

    fn depth(&self) -> usize {
        self.layers
    }

    fn layer(&self, i: usize, x: &Tensor, mask: &Tensor) -> Result<Tensor> {
        // ⌊i / (layers / groups)⌋, in integers.
        let group = &self.groups[i * self.groups.len() / self.layers];
        let mut x = x.clone();
        for layer in group {
            x = layer.forward(&x, mask, self.act)?;
        }
        Ok(x)
    }
}
