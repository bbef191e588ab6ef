//! BEiT (Bao et al., "BEiT: BERT Pre-Training of Image Transformers", ICLR 2022) and
//! Data2Vec-vision (Baevski et al., ICML 2022), which shares BEiT's network, in Hugging Face's
//! `BeitModel` / `Data2VecVisionModel` layout (`model_type` `"beit"` / `"data2vec-vision"`,
//! tensors under `beit.` / `data2vec_vision.`).
//!
//! candle-transformers 0.11.1 has a `beit` module, but it reads timm's names (`blocks.N.attn.qkv`,
//! one fused projection, `gamma_1`) and fixes the pooling; Hugging Face checkpoints have separate
//! `query`/`key`/`value` projections (the key without bias), `lambda_1`/`lambda_2`, and choose
//! between a per-layer, a shared or no relative position bias and between mean and `[CLS]`
//! pooling in `config.json`, so the network is written here.
//!
//! * tokens: `[CLS]` followed by the `(H/p)(W/p)` patch projections, plus absolute position
//!   embeddings when `use_absolute_position_embeddings`;
//! * layer: `x += λ₁ ⊙ W_o Attn(LN(x))`, `x += λ₂ ⊙ W₂ act(W₁ LN(x))`, where the attention
//!   scores get `B[idx(i, j)]`, a learned bias per head looked up by the relative offset of
//!   query and key patches (three extra rows for pairs with `[CLS]`), from the layer's own table
//!   (`use_relative_position_bias`), from one table shared by all layers
//!   (`use_shared_relative_position_bias`), or both;
//! * feature: with `use_mean_pooling`, `LN(mean of the patch tokens)` (the pooler's layer norm);
//!   otherwise the `[CLS]` token after the final layer norm — what
//!   `…ForImageClassification`'s `classifier` reads.

use candle_core::{Module, Tensor};
use candle_nn::{Activation, Conv2d, LayerNorm, Linear, VarBuilder};
use serde::Deserialize;

use crate::config::{eps12, gelu, usize_default, yes};
use crate::layers::{
    grid_relative_index, optional_vector, patch_projection, patch_tokens, relative_bias,
    SelfAttention,
};

/// The fields of a BEiT / Data2Vec-vision `config.json` this implementation reads (defaults:
/// Hugging Face's `BeitConfig`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Config {
    #[serde(default = "usize_default::<768>")]
    pub hidden_size: usize,
    #[serde(default = "usize_default::<12>")]
    pub num_hidden_layers: usize,
    #[serde(default = "usize_default::<12>")]
    pub num_attention_heads: usize,
    #[serde(default = "usize_default::<3072>")]
    pub intermediate_size: usize,
    #[serde(default = "gelu")]
    pub hidden_act: Activation,
    #[serde(default = "eps12")]
    pub layer_norm_eps: f64,
    #[serde(default = "usize_default::<224>")]
    pub image_size: usize,
    #[serde(default = "usize_default::<16>")]
    pub patch_size: usize,
    #[serde(default = "usize_default::<3>")]
    pub num_channels: usize,
    #[serde(default)]
    pub use_absolute_position_embeddings: bool,
    #[serde(default)]
    pub use_relative_position_bias: bool,
    #[serde(default)]
    pub use_shared_relative_position_bias: bool,
    #[serde(default = "yes")]
    pub use_mean_pooling: bool,
}

impl Config {
    /// What is wrong with the configuration, if anything.
    pub(crate) fn problem(&self) -> Option<String> {
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return Some("hidden_size must be a multiple of num_attention_heads".into());
        }
        if self.patch_size == 0 || !self.image_size.is_multiple_of(self.patch_size) {
            return Some("image_size must be a multiple of patch_size".into());
        }
        None
    }
}

struct Layer {
    norm_before: LayerNorm,
    attention: SelfAttention,
    output: Linear,
    lambda_1: Option<Tensor>,
    norm_after: LayerNorm,
    intermediate: Linear,
    out: Linear,
    lambda_2: Option<Tensor>,
    /// The layer's relative position bias plus the shared one, `(1, heads, n, n)`.
    bias: Option<Tensor>,
}

enum Pooling {
    /// Layer norm of the mean of the patch tokens.
    Mean(LayerNorm),
    /// The `[CLS]` token after the final layer norm.
    Cls(LayerNorm),
}

/// A loaded BEiT / Data2Vec-vision backbone with its pooling.
pub(crate) struct Beit {
    patches: Conv2d,
    cls: Tensor,
    position: Option<Tensor>,
    layers: Vec<Layer>,
    act: Activation,
    pooling: Pooling,
}

impl Beit {
    /// Loads `embeddings.*`, `encoder.*` and `pooler.layernorm.*` or `layernorm.*` from `vb`.
    pub(crate) fn load(c: &Config, vb: VarBuilder) -> candle_core::Result<Self> {
        let h = c.hidden_size;
        let grid = c.image_size / c.patch_size;
        let n = grid * grid + 1;
        let e = vb.pp("embeddings");
        let projection = e.pp("patch_embeddings").pp("projection");
        let patches = patch_projection((c.num_channels, h), c.patch_size, projection)?;
        let cls = e.get((1, 1, h), "cls_token")?;
        let position = if c.use_absolute_position_embeddings {
            Some(e.get((1, n, h), "position_embeddings")?)
        } else {
            None
        };
        let rows = (2 * grid - 1) * (2 * grid - 1) + 3;
        let index = cls_relative_index(grid);
        let table_bias = |vb: VarBuilder| -> candle_core::Result<Tensor> {
            let table = vb.get(
                (rows, c.num_attention_heads),
                "relative_position_bias_table",
            )?;
            relative_bias(&table, &index, n)
        };
        let shared = if c.use_shared_relative_position_bias {
            Some(table_bias(vb.pp("encoder").pp("relative_position_bias"))?)
        } else {
            None
        };
        let mut layers = Vec::with_capacity(c.num_hidden_layers);
        for l in 0..c.num_hidden_layers {
            let vl = vb.pp("encoder").pp("layer").pp(l);
            let va = vl.pp("attention").pp("attention");
            let own = if c.use_relative_position_bias {
                Some(table_bias(va.pp("relative_position_bias"))?)
            } else {
                None
            };
            let bias = match (own, &shared) {
                (Some(a), Some(b)) => Some((a + b)?),
                (Some(a), None) => Some(a),
                (None, s) => s.clone(),
            };
            let ln = |name: &str| candle_nn::layer_norm(h, c.layer_norm_eps, vl.pp(name));
            layers.push(Layer {
                norm_before: ln("layernorm_before")?,
                attention: SelfAttention::load(h, c.num_attention_heads, true, false, va)?,
                output: candle_nn::linear(h, h, vl.pp("attention").pp("output").pp("dense"))?,
                lambda_1: optional_vector(&vl, h, "lambda_1")?,
                norm_after: ln("layernorm_after")?,
                intermediate: candle_nn::linear(
                    h,
                    c.intermediate_size,
                    vl.pp("intermediate").pp("dense"),
                )?,
                out: candle_nn::linear(c.intermediate_size, h, vl.pp("output").pp("dense"))?,
                lambda_2: optional_vector(&vl, h, "lambda_2")?,
                bias,
            });
        }
        let pooling = if c.use_mean_pooling {
            Pooling::Mean(candle_nn::layer_norm(
                h,
                c.layer_norm_eps,
                vb.pp("pooler").pp("layernorm"),
            )?)
        } else {
            Pooling::Cls(candle_nn::layer_norm(
                h,
                c.layer_norm_eps,
                vb.pp("layernorm"),
            )?)
        };
        Ok(Self {
            patches,
            cls,
            position,
            layers,
            act: c.hidden_act,
            pooling,
        })
    }

    /// Pooled features `(b, hidden_size)` of pixels `(b, C, image_size, image_size)`: of the
    /// last layer, or with `every` of each layer, first to last, pooled as the last one is.
    pub(crate) fn forward(&self, pixels: &Tensor, every: bool) -> candle_core::Result<Vec<Tensor>> {
        let patches = patch_tokens(&self.patches, pixels)?;
        let b = patches.dim(0)?;
        let cls = self.cls.broadcast_as((b, 1, self.cls.dim(2)?))?;
        let mut x = Tensor::cat(&[&cls, &patches], 1)?;
        if let Some(p) = &self.position {
            x = x.broadcast_add(p)?;
        }
        let mut states = Vec::new();
        for l in &self.layers {
            let y = l
                .attention
                .forward(&l.norm_before.forward(&x)?, l.bias.as_ref())?;
            let y = scaled(l.output.forward(&y)?, l.lambda_1.as_ref())?;
            x = (x + y)?;
            let y = self
                .act
                .forward(&l.intermediate.forward(&l.norm_after.forward(&x)?)?)?;
            let y = scaled(l.out.forward(&y)?, l.lambda_2.as_ref())?;
            x = (x + y)?;
            if every {
                states.push(self.pool(&x)?);
            }
        }
        if !every {
            states.push(self.pool(&x)?);
        }
        Ok(states)
    }

    /// The feature `(b, h)` of one layer's tokens `(b, n, h)`.
    fn pool(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match &self.pooling {
            Pooling::Mean(norm) => {
                let n = x.dim(1)?;
                norm.forward(&x.narrow(1, 1, n - 1)?.mean(1)?)
            }
            Pooling::Cls(norm) => norm.forward(&x.narrow(1, 0, 1)?.squeeze(1)?),
        }
    }
}

/// `y ⊙ λ` when the layer has a layer scale.
fn scaled(y: Tensor, lambda: Option<&Tensor>) -> candle_core::Result<Tensor> {
    match lambda {
        Some(l) => y.broadcast_mul(l),
        None => Ok(y),
    }
}

/// The relative position index of the `[CLS]` + `grid × grid` patch sequence: patch pairs by
/// their offset ([`grid_relative_index`]), then one row each for `[CLS]` as query, `[CLS]` as
/// key and `[CLS]` with itself.
fn cls_relative_index(grid: usize) -> Vec<u32> {
    let patches = grid_relative_index(grid, grid);
    let m = grid * grid;
    let n = m + 1;
    let d = ((2 * grid - 1) * (2 * grid - 1)) as u32;
    let mut out = vec![0u32; n * n];
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] = match (i, j) {
                (0, 0) => d + 2,
                (0, _) => d,
                (_, 0) => d + 1,
                _ => patches[(i - 1) * m + (j - 1)],
            };
        }
    }
    out
}
