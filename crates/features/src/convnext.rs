//! ConvNeXt (Liu et al., "A ConvNet for the 2020s", CVPR 2022) in Hugging Face's
//! `ConvNextModel` layout (`model_type: "convnext"`), written here on candle's layers.
//!
//! candle-transformers 0.11.1 has a `convnext` module, but it reads timm's tensor names
//! (`stem.0`, `stages.N.blocks.M.conv_dw`) and fixes four stages; Hugging Face checkpoints name
//! their tensors `embeddings.patch_embeddings`, `encoder.stages.N.layers.M.dwconv`, … and may
//! have any number of stages, so the network is assembled here from the configuration.
//!
//! * stem: `LN_cf(Conv_{p×p, stride p}(x))` with `p = patch_size`;
//! * stage `s`: for `s > 0` a down-sampling `Conv_{2×2, stride 2}(LN_cf(x))`, then `depths[s]`
//!   blocks `x + γ ⊙ W₂ GELU(W₁ LN(DWConv_{7×7}(x)))` (layer norms over channels, ε = 1e-6;
//!   `γ` = `layer_scale_parameter` when the checkpoint has one);
//! * feature: `LN(mean_{h,w} x)` with ε = `layer_norm_eps`, the pooled output that
//!   `ConvNextForImageClassification`'s linear `classifier` reads.

use candle_core::{Module, Tensor, D};
use candle_nn::{Conv2d, Conv2dConfig, LayerNorm, Linear, VarBuilder};
use serde::Deserialize;

use crate::config::{eps12, gelu_name, stages, usize_default};
use crate::depthwise::DepthWise;
use crate::layers::patch_projection;

/// The fields of a ConvNeXt `config.json` this implementation reads (defaults: convnext-tiny).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Config {
    #[serde(default = "usize_default::<3>")]
    pub num_channels: usize,
    #[serde(default = "usize_default::<4>")]
    pub patch_size: usize,
    #[serde(default = "stages::<96, 192, 384, 768>")]
    pub hidden_sizes: Vec<usize>,
    #[serde(default = "stages::<3, 3, 9, 3>")]
    pub depths: Vec<usize>,
    #[serde(default = "gelu_name")]
    pub hidden_act: String,
    #[serde(default = "eps12")]
    pub layer_norm_eps: f64,
    #[serde(default = "usize_default::<224>")]
    pub image_size: usize,
}

/// ε of the layer norms inside the network (fixed in the reference implementation).
const INNER_EPS: f64 = 1e-6;

/// Layer norm over the channel axis of an NCHW tensor.
fn channels_first(norm: &LayerNorm, x: &Tensor) -> candle_core::Result<Tensor> {
    norm.forward(&x.permute((0, 2, 3, 1))?)?
        .permute((0, 3, 1, 2))?
        .contiguous()
}

struct Block {
    dwconv: DepthWise,
    norm: LayerNorm,
    pw1: Linear,
    pw2: Linear,
    scale: Option<Tensor>,
}

struct Stage {
    down: Option<(LayerNorm, Conv2d)>,
    blocks: Vec<Block>,
}

/// A loaded ConvNeXt backbone with its final pooled layer norm.
pub(crate) struct ConvNext {
    stem: Conv2d,
    stem_norm: LayerNorm,
    stages: Vec<Stage>,
    norm: LayerNorm,
}

impl ConvNext {
    /// Loads `embeddings.*`, `encoder.stages.*` and `layernorm.*` from `vb`.
    pub(crate) fn load(c: &Config, vb: VarBuilder) -> candle_core::Result<Self> {
        let first = c.hidden_sizes[0];
        let e = vb.pp("embeddings");
        let projection = e.pp("patch_embeddings");
        let stem = patch_projection((c.num_channels, first), c.patch_size, projection)?;
        let stem_norm = candle_nn::layer_norm(first, INNER_EPS, e.pp("layernorm"))?;
        let mut stages = Vec::with_capacity(c.depths.len());
        let mut cin = first;
        for (s, (&cout, &depth)) in c.hidden_sizes.iter().zip(&c.depths).enumerate() {
            let vs = vb.pp("encoder").pp("stages").pp(s);
            let down = if s > 0 || cin != cout {
                let stride = if s > 0 { 2 } else { 1 };
                let vd = vs.pp("downsampling_layer");
                Some((
                    candle_nn::layer_norm(cin, INNER_EPS, vd.pp(0))?,
                    candle_nn::conv2d(
                        cin,
                        cout,
                        stride,
                        Conv2dConfig {
                            stride,
                            ..Default::default()
                        },
                        vd.pp(1),
                    )?,
                ))
            } else {
                None
            };
            let mut blocks = Vec::with_capacity(depth);
            for l in 0..depth {
                let vl = vs.pp("layers").pp(l);
                let scale = if vl.contains_tensor("layer_scale_parameter") {
                    Some(vl.get(cout, "layer_scale_parameter")?)
                } else {
                    None
                };
                blocks.push(Block {
                    dwconv: DepthWise::load(cout, 7, 3, 1, vl.pp("dwconv"))?,
                    norm: candle_nn::layer_norm(cout, INNER_EPS, vl.pp("layernorm"))?,
                    pw1: candle_nn::linear(cout, 4 * cout, vl.pp("pwconv1"))?,
                    pw2: candle_nn::linear(4 * cout, cout, vl.pp("pwconv2"))?,
                    scale,
                });
            }
            stages.push(Stage { down, blocks });
            cin = cout;
        }
        let norm = candle_nn::layer_norm(cin, c.layer_norm_eps, vb.pp("layernorm"))?;
        Ok(Self {
            stem,
            stem_norm,
            stages,
            norm,
        })
    }

    /// Pooled features `(b, hidden_sizes.last())` of pixels `(b, C, H, W)`.
    pub(crate) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut x = channels_first(&self.stem_norm, &self.stem.forward(x)?)?;
        for stage in &self.stages {
            if let Some((norm, conv)) = &stage.down {
                x = conv.forward(&channels_first(norm, &x)?)?;
            }
            for b in &stage.blocks {
                // Channels last for the norm and the point-wise (linear) layers.
                let y = b.dwconv.forward(&x)?.permute((0, 2, 3, 1))?;
                let y = b.norm.forward(&y)?;
                let y = b.pw2.forward(&b.pw1.forward(&y)?.gelu_erf()?)?;
                let y = match &b.scale {
                    Some(g) => y.broadcast_mul(g)?,
                    None => y,
                };
                x = (x + y.permute((0, 3, 1, 2))?)?.contiguous()?;
            }
        }
        let pooled = x.mean(D::Minus1)?.mean(D::Minus1)?;
        self.norm.forward(&pooled)
    }
}
