//! VAN, the Visual Attention Network (Guo et al., "Visual Attention Network", Computational
//! Visual Media 2023), in Hugging Face's `VanModel` layout (`model_type: "van"`, tensors under
//! `van.`), written here on candle's layers: candle-transformers 0.11.1 has no VAN.
//!
//! * stage `s`: an overlapping patch embedding `BN(Conv_{k×k, stride s, padding ⌊k/2⌋}(x))`
//!   (`k = patch_sizes[s]`, `s = strides[s]`), `depths[s]` layers, and a layer norm over channels
//!   (ε = `layer_norm_eps`);
//! * layer: `x += γ₁ ⊙ A(BN(x))` with the spatial attention
//!   `A(u) = W_post (g ⊙ LKA(g)) + u`, `g = GELU(W_pre u)`, and the large-kernel attention
//!   `LKA = W_pw ∘ DWConv_{7×7, dilation 3} ∘ DWConv_{5×5}`; then
//!   `x += γ₂ ⊙ W_out GELU(DWConv_{3×3}(W_in BN(x)))` (`W_*` are 1×1 convolutions, batch norms
//!   with ε = 1e-5 in inference mode);
//! * feature: the global average of the last stage, what `VanForImageClassification`'s
//!   `classifier` reads. (`VanModel` also holds a `layernorm` that its forward pass never uses;
//!   it is ignored here too.)

use candle_core::{Module, ModuleT, Tensor, D};
use candle_nn::{BatchNorm, Conv2d, Conv2dConfig, LayerNorm, VarBuilder};
use serde::Deserialize;

use crate::config::{eps6, gelu_name, stages, usize_default};
use crate::depthwise::DepthWise;

/// The fields of a VAN `config.json` this implementation reads (defaults: van-base).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Config {
    #[serde(default = "usize_default::<224>")]
    pub image_size: usize,
    #[serde(default = "usize_default::<3>")]
    pub num_channels: usize,
    #[serde(default = "stages::<7, 3, 3, 3>")]
    pub patch_sizes: Vec<usize>,
    #[serde(default = "stages::<4, 2, 2, 2>")]
    pub strides: Vec<usize>,
    #[serde(default = "stages::<64, 128, 320, 512>")]
    pub hidden_sizes: Vec<usize>,
    #[serde(default = "stages::<3, 3, 12, 3>")]
    pub depths: Vec<usize>,
    #[serde(default = "stages::<8, 8, 4, 4>")]
    pub mlp_ratios: Vec<usize>,
    #[serde(default = "gelu_name")]
    pub hidden_act: String,
    #[serde(default = "eps6")]
    pub layer_norm_eps: f64,
}

/// ε of the batch norms (PyTorch's default in the reference implementation).
const BN_EPS: f64 = 1e-5;

impl Config {
    /// What is wrong with the configuration, if anything.
    pub(crate) fn problem(&self) -> Option<String> {
        let n = self.hidden_sizes.len();
        if n == 0
            || [
                self.patch_sizes.len(),
                self.strides.len(),
                self.depths.len(),
                self.mlp_ratios.len(),
            ]
            .iter()
            .any(|&l| l != n)
        {
            return Some(
                "patch_sizes, strides, hidden_sizes, depths and mlp_ratios must be non-empty and of equal length"
                    .into(),
            );
        }
        if self.strides.contains(&0) || self.patch_sizes.contains(&0) {
            return Some("patch_sizes and strides must be at least 1".into());
        }
        if self.hidden_act != "gelu" {
            return Some(format!(
                "hidden_act {:?} is not supported (gelu only)",
                self.hidden_act
            ));
        }
        None
    }
}

struct Layer {
    pre_norm: BatchNorm,
    pre_projection: Conv2d,
    depth_wise: DepthWise,
    depth_wise_dilated: DepthWise,
    point_wise: Conv2d,
    post_projection: Conv2d,
    attention_scale: Tensor,
    post_norm: BatchNorm,
    mlp_in: Conv2d,
    mlp_depth_wise: DepthWise,
    mlp_out: Conv2d,
    mlp_scale: Tensor,
}

struct Stage {
    embed: Conv2d,
    embed_norm: BatchNorm,
    layers: Vec<Layer>,
    norm: LayerNorm,
}

/// A loaded VAN backbone followed by global average pooling.
pub(crate) struct Van {
    stages: Vec<Stage>,
}

fn conv(
    cin: usize,
    cout: usize,
    k: usize,
    cfg: Conv2dConfig,
    vb: VarBuilder,
) -> candle_core::Result<Conv2d> {
    candle_nn::conv2d(cin, cout, k, cfg, vb)
}

/// A per-channel scale `(C)` as `(1, C, 1, 1)` for NCHW tensors.
fn channel_scale(vb: VarBuilder, c: usize) -> candle_core::Result<Tensor> {
    vb.get(c, "weight")?.reshape((1, c, 1, 1))
}

impl Van {
    /// Loads `encoder.stages.*` from `vb`.
    pub(crate) fn load(c: &Config, vb: VarBuilder) -> candle_core::Result<Self> {
        let mut stages = Vec::with_capacity(c.hidden_sizes.len());
        let mut cin = c.num_channels;
        for s in 0..c.hidden_sizes.len() {
            let (k, stride, h) = (c.patch_sizes[s], c.strides[s], c.hidden_sizes[s]);
            let m = h * c.mlp_ratios[s];
            let vs = vb.pp("encoder").pp("stages").pp(s);
            let ve = vs.pp("embeddings");
            let embed = conv(
                cin,
                h,
                k,
                Conv2dConfig {
                    stride,
                    padding: k / 2,
                    ..Default::default()
                },
                ve.pp("convolution"),
            )?;
            let embed_norm = candle_nn::batch_norm(h, BN_EPS, ve.pp("normalization"))?;
            let mut layers = Vec::with_capacity(c.depths[s]);
            for l in 0..c.depths[s] {
                let vl = vs.pp("layers").pp(l);
                let va = vl.pp("attention");
                let lka = va.pp("attention_layer").pp("attention");
                let vm = vl.pp("mlp");
                let one = Conv2dConfig::default();
                layers.push(Layer {
                    pre_norm: candle_nn::batch_norm(h, BN_EPS, vl.pp("pre_normomalization"))?,
                    pre_projection: conv(h, h, 1, one, va.pp("pre_projection").pp("conv"))?,
                    depth_wise: DepthWise::load(h, 5, 2, 1, lka.pp("depth_wise"))?,
                    depth_wise_dilated: DepthWise::load(h, 7, 9, 3, lka.pp("depth_wise_dilated"))?,
                    point_wise: conv(h, h, 1, one, lka.pp("point_wise"))?,
                    post_projection: conv(h, h, 1, one, va.pp("post_projection"))?,
                    attention_scale: channel_scale(vl.pp("attention_scaling"), h)?,
                    post_norm: candle_nn::batch_norm(h, BN_EPS, vl.pp("post_normalization"))?,
                    mlp_in: conv(h, m, 1, one, vm.pp("in_dense"))?,
                    mlp_depth_wise: DepthWise::load(m, 3, 1, 1, vm.pp("depth_wise"))?,
                    mlp_out: conv(m, h, 1, one, vm.pp("out_dense"))?,
                    mlp_scale: channel_scale(vl.pp("mlp_scaling"), h)?,
                });
            }
            let norm = candle_nn::layer_norm(h, c.layer_norm_eps, vs.pp("normalization"))?;
            stages.push(Stage {
                embed,
                embed_norm,
                layers,
                norm,
            });
            cin = h;
        }
        Ok(Self { stages })
    }

    /// Pooled features `(b, hidden_sizes.last())` of pixels `(b, C, H, W)`.
    pub(crate) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut x = x.clone();
        for stage in &self.stages {
            x = stage
                .embed_norm
                .forward_t(&stage.embed.forward(&x)?, false)?;
            for l in &stage.layers {
                let u = l.pre_norm.forward_t(&x, false)?;
                let g = l.pre_projection.forward(&u)?.gelu_erf()?;
                let lka = l
                    .point_wise
                    .forward(&l.depth_wise_dilated.forward(&l.depth_wise.forward(&g)?)?)?;
                let a = (l.post_projection.forward(&(g * lka)?)? + u)?;
                x = (x + a.broadcast_mul(&l.attention_scale)?)?;
                let y = l.post_norm.forward_t(&x, false)?;
                let y = l.mlp_in.forward(&y)?;
                let y = l.mlp_depth_wise.forward(&y)?.gelu_erf()?;
                let y = l.mlp_out.forward(&y)?;
                x = (x + y.broadcast_mul(&l.mlp_scale)?)?;
            }
            // Layer norm over channels: channels last and back.
            x = stage
                .norm
                .forward(&x.permute((0, 2, 3, 1))?)?
                .permute((0, 3, 1, 2))?
                .contiguous()?;
        }
        x.mean(D::Minus1)?.mean(D::Minus1)
    }
}
