//! Swin Transformer (Liu et al., "Swin Transformer: Hierarchical Vision Transformer using
//! Shifted Windows", ICCV 2021) in Hugging Face's `SwinModel` layout (`model_type: "swin"`,
//! tensors under `swin.`), written here on candle's layers: candle-transformers 0.11.1 has no
//! Swin.
//!
//! * embeddings: `LN(Conv_{p×p, stride p}(x))` as a `(H/p) × (W/p)` grid of tokens (ε = 1e-5);
//! * stage `s`: `depths[s]` blocks, then (except after the last stage) patch merging: the 2×2
//!   neighbours `(0,0), (1,0), (0,1), (1,1)` concatenated, `LN` (ε = 1e-5) and a linear map
//!   `4C → 2C` without bias;
//! * block: `x += W_o WinAttn(LN(x))`, `x += W₂ GELU(W₁ LN(x))`. The attention runs within
//!   non-overlapping `w × w` windows (the grid zero-padded at the bottom and right to a multiple
//!   of `w`), with a learned bias per head indexed by the offset of query and key inside the
//!   window. Every second block first rolls the grid by `⌊w/2⌋` up and left, so its windows
//!   straddle the previous block's; tokens that the roll brought together from different
//!   regions get −100 added to their scores. A stage whose grid is no larger than the window
//!   uses one window of the whole grid, unshifted (a grid smaller than the window is refused:
//!   its bias table would not be the checkpoint's);
//! * feature: the mean over tokens of `LN(x)` (ε = `layer_norm_eps`), what
//!   `SwinForImageClassification`'s `classifier` reads.
//!
//! The grid sizes follow from `image_size`, so biases and masks are built once at load time and
//! the model takes images of exactly `image_size × image_size`.

use candle_core::{Device, Module, Tensor, D};
use candle_nn::{Activation, Conv2d, LayerNorm, Linear, VarBuilder};
use serde::Deserialize;

use crate::config::{eps5, gelu, stages, usize_default, yes};
use crate::layers::{
    grid_relative_index, patch_projection, patch_tokens, relative_bias, SelfAttention,
};

/// The fields of a Swin `config.json` this implementation reads (defaults: swin-tiny).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Config {
    #[serde(default = "usize_default::<224>")]
    pub image_size: usize,
    #[serde(default = "usize_default::<4>")]
    pub patch_size: usize,
    #[serde(default = "usize_default::<3>")]
    pub num_channels: usize,
    #[serde(default = "usize_default::<96>")]
    pub embed_dim: usize,
    #[serde(default = "stages::<2, 2, 6, 2>")]
    pub depths: Vec<usize>,
    #[serde(default = "stages::<3, 6, 12, 24>")]
    pub num_heads: Vec<usize>,
    #[serde(default = "usize_default::<7>")]
    pub window_size: usize,
    #[serde(default = "four")]
    pub mlp_ratio: f64,
    #[serde(default = "yes")]
    pub qkv_bias: bool,
    #[serde(default = "gelu")]
    pub hidden_act: Activation,
    #[serde(default)]
    pub use_absolute_embeddings: bool,
    #[serde(default = "eps5")]
    pub layer_norm_eps: f64,
}

fn four() -> f64 {
    4.0
}

/// ε of the embedding and patch-merging layer norms (PyTorch's default in the reference
/// implementation, not `layer_norm_eps`).
const INNER_EPS: f64 = 1e-5;

impl Config {
    /// What is wrong with the configuration, if anything.
    pub(crate) fn problem(&self) -> Option<String> {
        if self.depths.is_empty() || self.depths.len() != self.num_heads.len() {
            return Some("depths and num_heads must be non-empty and of equal length".into());
        }
        if self.patch_size == 0 || !self.image_size.is_multiple_of(self.patch_size) {
            return Some("image_size must be a multiple of patch_size".into());
        }
        if self.window_size == 0 {
            return Some("window_size must be at least 1".into());
        }
        for (s, &h) in self.num_heads.iter().enumerate() {
            if h == 0 || !(self.embed_dim << s).is_multiple_of(h) {
                return Some(format!(
                    "stage {s}: width {} is not a multiple of num_heads[{s}] = {h}",
                    self.embed_dim << s
                ));
            }
        }
        let mut grid = self.image_size / self.patch_size;
        for s in 0..self.depths.len() {
            // A grid equal to the window is one unshifted window; a smaller one would need a
            // bias table of another size than the checkpoint's.
            if grid < self.window_size {
                return Some(format!(
                    "stage {s}'s {grid}×{grid} token grid is smaller than window_size {}",
                    self.window_size
                ));
            }
            grid = grid.div_ceil(2);
        }
        if self.use_absolute_embeddings {
            return Some("use_absolute_embeddings is not supported".into());
        }
        if !(self.mlp_ratio > 0.0 && self.mlp_ratio.is_finite()) {
            return Some(format!("mlp_ratio {} must be positive", self.mlp_ratio));
        }
        None
    }

    /// Width of the pooled feature: `embed_dim · 2^(stages − 1)`.
    pub(crate) fn num_features(&self) -> usize {
        self.embed_dim << (self.depths.len() - 1)
    }
}

struct Block {
    norm_before: LayerNorm,
    attention: SelfAttention,
    output: Linear,
    norm_after: LayerNorm,
    intermediate: Linear,
    out: Linear,
    /// Relative position bias plus, for shifted blocks, the region mask: `(1 or n_windows,
    /// heads, w², w²)`.
    extra: Tensor,
    shift: usize,
}

struct Stage {
    blocks: Vec<Block>,
    /// Grid height and width the stage's blocks see.
    grid: (usize, usize),
    window: usize,
    merge: Option<(LayerNorm, Linear)>,
}

/// A loaded Swin backbone with its final layer norm.
pub(crate) struct Swin {
    patches: Conv2d,
    embed_norm: LayerNorm,
    stages: Vec<Stage>,
    norm: LayerNorm,
    act: Activation,
}

impl Swin {
    /// Loads `embeddings.*`, `encoder.layers.*` and `layernorm.*` from `vb`.
    pub(crate) fn load(c: &Config, vb: VarBuilder) -> candle_core::Result<Self> {
        let e = vb.pp("embeddings");
        let projection = e.pp("patch_embeddings").pp("projection");
        let patches = patch_projection((c.num_channels, c.embed_dim), c.patch_size, projection)?;
        let embed_norm = candle_nn::layer_norm(c.embed_dim, INNER_EPS, e.pp("norm"))?;
        let mut grid = (c.image_size / c.patch_size, c.image_size / c.patch_size);
        let mut dim = c.embed_dim;
        let mut stages = Vec::with_capacity(c.depths.len());
        for (s, (&depth, &heads)) in c.depths.iter().zip(&c.num_heads).enumerate() {
            let vs = vb.pp("encoder").pp("layers").pp(s);
            let (window, shift) = if grid.0.min(grid.1) <= c.window_size {
                (grid.0.min(grid.1), 0)
            } else {
                (c.window_size, c.window_size / 2)
            };
            let rows = (2 * window - 1) * (2 * window - 1);
            let n = window * window;
            let index = grid_relative_index(window, window);
            let mask = if shift > 0 {
                Some(shift_mask(grid, window, shift, vb.device())?)
            } else {
                None
            };
            let mut blocks = Vec::with_capacity(depth);
            for j in 0..depth {
                let vl = vs.pp("blocks").pp(j);
                let va = vl.pp("attention");
                let table = va
                    .pp("self")
                    .get((rows, heads), "relative_position_bias_table")?;
                let bias = relative_bias(&table, &index, n)?;
                let (extra, block_shift) = match &mask {
                    Some(m) if j % 2 == 1 => (bias.broadcast_add(m)?, shift),
                    _ => (bias, 0),
                };
                let ln = |name: &str| candle_nn::layer_norm(dim, c.layer_norm_eps, vl.pp(name));
                let mlp = (c.mlp_ratio * dim as f64) as usize;
                blocks.push(Block {
                    norm_before: ln("layernorm_before")?,
                    attention: SelfAttention::load(dim, heads, c.qkv_bias, true, va.pp("self"))?,
                    output: candle_nn::linear(dim, dim, va.pp("output").pp("dense"))?,
                    norm_after: ln("layernorm_after")?,
                    intermediate: candle_nn::linear(dim, mlp, vl.pp("intermediate").pp("dense"))?,
                    out: candle_nn::linear(mlp, dim, vl.pp("output").pp("dense"))?,
                    extra,
                    shift: block_shift,
                });
            }
            let merge = if s + 1 < c.depths.len() {
                let vd = vs.pp("downsample");
                Some((
                    candle_nn::layer_norm(4 * dim, INNER_EPS, vd.pp("norm"))?,
                    candle_nn::linear_no_bias(4 * dim, 2 * dim, vd.pp("reduction"))?,
                ))
            } else {
                None
            };
            stages.push(Stage {
                blocks,
                grid,
                window,
                merge,
            });
            if s + 1 < c.depths.len() {
                grid = (grid.0.div_ceil(2), grid.1.div_ceil(2));
                dim *= 2;
            }
        }
        let norm = candle_nn::layer_norm(dim, c.layer_norm_eps, vb.pp("layernorm"))?;
        Ok(Self {
            patches,
            embed_norm,
            stages,
            norm,
            act: c.hidden_act,
        })
    }

    /// Pooled features `(b, num_features)` of pixels `(b, C, image_size, image_size)`.
    pub(crate) fn forward(&self, pixels: &Tensor) -> candle_core::Result<Tensor> {
        let x = self
            .embed_norm
            .forward(&patch_tokens(&self.patches, pixels)?)?;
        let b = x.dim(0)?;
        let (gh, gw) = self.stages[0].grid;
        let mut x = x.reshape((b, gh, gw, ()))?;
        for stage in &self.stages {
            for block in &stage.blocks {
                x = self.block(block, stage.window, &x)?;
            }
            if let Some((norm, reduction)) = &stage.merge {
                x = merge_patches(&x, norm, reduction)?;
            }
        }
        let c = x.dim(D::Minus1)?;
        let tokens = self.norm.forward(&x.reshape((b, (), c))?)?;
        tokens.mean(1)
    }

    /// One block on the grid `x` `(b, H, W, C)`.
    fn block(&self, blk: &Block, w: usize, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, h, wd, c) = x.dims4()?;
        let y = blk.norm_before.forward(x)?;
        let (ph, pw) = ((w - h % w) % w, (w - wd % w) % w);
        let y = y.pad_with_zeros(1, 0, ph)?.pad_with_zeros(2, 0, pw)?;
        let (hp, wp) = (h + ph, wd + pw);
        let s = blk.shift as i32;
        let y = if s > 0 {
            y.roll(-s, 1)?.roll(-s, 2)?
        } else {
            y
        };
        // Windows in row-major order, each image's windows in turn.
        let win = y
            .reshape((b, hp / w, w, wp / w, w, c))?
            .permute((0, 1, 3, 2, 4, 5))?
            .contiguous()?
            .reshape(((), w * w, c))?;
        let a = blk.attention.forward(&win, Some(&blk.extra))?;
        let a = blk.output.forward(&a)?;
        let a = a
            .reshape((b, hp / w, wp / w, w, w, c))?
            .permute((0, 1, 3, 2, 4, 5))?
            .contiguous()?
            .reshape((b, hp, wp, c))?;
        let a = if s > 0 { a.roll(s, 1)?.roll(s, 2)? } else { a };
        let a = a.narrow(1, 0, h)?.narrow(2, 0, wd)?;
        let x = (x + a)?;
        let m = self
            .act
            .forward(&blk.intermediate.forward(&blk.norm_after.forward(&x)?)?)?;
        x + blk.out.forward(&m)?
    }
}

/// Patch merging of the grid `x` `(b, H, W, C)` into `(b, ⌈H/2⌉, ⌈W/2⌉, 2C)`.
fn merge_patches(x: &Tensor, norm: &LayerNorm, reduction: &Linear) -> candle_core::Result<Tensor> {
    let (b, h, w, c) = x.dims4()?;
    let x = x.pad_with_zeros(1, 0, h % 2)?.pad_with_zeros(2, 0, w % 2)?;
    let (h2, w2) = (h.div_ceil(2), w.div_ceil(2));
    // [b, i, a, j, e] = x[b, 2i + a, 2j + e]; the reference concatenates (a, e) = (0,0), (1,0),
    // (0,1), (1,1), i.e. e major, a minor.
    let x = x
        .reshape((b, h2, 2, w2, 2, c))?
        .permute((0, 1, 3, 4, 2, 5))?
        .contiguous()?
        .reshape((b, h2, w2, 4 * c))?;
    reduction.forward(&norm.forward(&x)?)
}

/// The additive mask `(n_windows, 1, w², w²)` of a block shifted by `shift` on a `grid`
/// (padded to a multiple of `w`): after the roll, the padded grid falls into 3 × 3 regions
/// (rows `[0, H−w)`, `[H−w, H−shift)`, `[H−shift, H)`, columns likewise); −100 between tokens
/// of different regions in one window, 0 otherwise.
fn shift_mask(
    grid: (usize, usize),
    w: usize,
    shift: usize,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let hp = grid.0.div_ceil(w) * w;
    let wp = grid.1.div_ceil(w) * w;
    let band = |i: usize, n: usize| {
        if i + w < n {
            0
        } else if i + shift < n {
            1
        } else {
            2
        }
    };
    let (nh, nw) = (hp / w, wp / w);
    let n = w * w;
    let mut mask = Vec::with_capacity(nh * nw * n * n);
    for wy in 0..nh {
        for wx in 0..nw {
            let region = |t: usize| {
                let (y, x) = (wy * w + t / w, wx * w + t % w);
                band(y, hp) * 3 + band(x, wp)
            };
            for i in 0..n {
                for j in 0..n {
                    mask.push(if region(i) == region(j) { 0f32 } else { -100.0 });
                }
            }
        }
    }
    Tensor::from_vec(mask, (nh * nw, 1, n, n), device)
}
