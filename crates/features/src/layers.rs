//! Layers the vision transformers written in this crate share (BEiT / Data2Vec-vision, Swin):
//! multi-head self-attention with an additive score term, patch projection, the
//! relative-position-bias lookup, and ViT's layer stack read layer by layer (ViT, DeiT).
//!
//! candle-transformers' ViT keeps its attention private and has no place for a relative
//! position bias or a window mask, so the attention is written here once.

use candle_core::{Module, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, Linear, VarBuilder};
use candle_transformers::models::vit;

/// Multi-head self-attention in Hugging Face's layout (`query`, `key`, `value` linear layers):
/// `softmax(q kᵀ / √d_h + E) v` per head, heads concatenated (the output projection is the
/// caller's, as its name differs between families).
pub(crate) struct SelfAttention {
    query: Linear,
    key: Linear,
    value: Linear,
    heads: usize,
}

impl SelfAttention {
    /// Loads `query`, `key` and `value` of width `dim` from `vb`; `key_bias` false for BEiT,
    /// whose key projection has no bias.
    pub(crate) fn load(
        dim: usize,
        heads: usize,
        qkv_bias: bool,
        key_bias: bool,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let proj = |name: &str, bias: bool| {
            if bias {
                candle_nn::linear(dim, dim, vb.pp(name))
            } else {
                candle_nn::linear_no_bias(dim, dim, vb.pp(name))
            }
        };
        Ok(Self {
            query: proj("query", qkv_bias)?,
            key: proj("key", qkv_bias && key_bias)?,
            value: proj("value", qkv_bias)?,
            heads,
        })
    }

    /// Attends over the tokens of `x` `(b, n, d)`. `extra`, of shape `(g, heads, n, n)` with
    /// `g` dividing `b`, is added to the scores of batch item `i` as `extra[i mod g]`: `g = 1`
    /// for a relative position bias, `g` = windows per image for Swin's windows (batch items
    /// are the windows of each image in turn).
    pub(crate) fn forward(
        &self,
        x: &Tensor,
        extra: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let (b, n, d) = x.dims3()?;
        let h = self.heads;
        let dh = d / h;
        let split = |l: &Linear| -> candle_core::Result<Tensor> {
            l.forward(x)?
                .reshape((b, n, h, dh))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = (split(&self.query)? * (1.0 / (dh as f64).sqrt()))?;
        let k = split(&self.key)?;
        let v = split(&self.value)?;
        let mut scores = q.matmul(&k.t()?)?;
        if let Some(e) = extra {
            let g = e.dim(0)?;
            scores = scores
                .reshape((b / g, g, h, n, n))?
                .broadcast_add(&e.unsqueeze(0)?)?
                .reshape((b, h, n, n))?;
        }
        let p = candle_nn::ops::softmax_last_dim(&scores)?;
        p.matmul(&v)?.transpose(1, 2)?.reshape((b, n, d))
    }
}

/// The patch projection: a `patch × patch` convolution with stride `patch` from `channels` to
/// `dim` channels (the pair `(channels, dim)`), read from `vb` (`weight`, `bias`), as the transformers' `patch_embeddings` hold it.
pub(crate) fn patch_projection(
    (channels, dim): (usize, usize),
    patch: usize,
    vb: VarBuilder,
) -> candle_core::Result<Conv2d> {
    let stride = Conv2dConfig {
        stride: patch,
        ..Default::default()
    };
    candle_nn::conv2d(channels, dim, patch, stride, vb)
}

/// Patch tokens `(b, n_patches, d)`, row-major over the patch grid, of the projection `conv`
/// applied to pixels `(b, c, H, W)`.
pub(crate) fn patch_tokens(conv: &Conv2d, pixels: &Tensor) -> candle_core::Result<Tensor> {
    let y = conv.forward(pixels)?;
    let (b, d, _, _) = y.dims4()?;
    y.reshape((b, d, ()))?.transpose(1, 2)?.contiguous()
}

/// The bias `(1, heads, n, n)` a relative position table `(rows, heads)` gives, looked up at
/// `index` (`n × n` row indices, row-major over (query, key)).
pub(crate) fn relative_bias(
    table: &Tensor,
    index: &[u32],
    n: usize,
) -> candle_core::Result<Tensor> {
    let idx = Tensor::from_slice(index, index.len(), table.device())?;
    table
        .index_select(&idx, 0)?
        .reshape((n, n, ()))?
        .permute((2, 0, 1))?
        .contiguous()?
        .unsqueeze(0)
}

/// The relative position index of every (query, key) pair of a `h × w` grid of tokens in
/// row-major order: `(Δy + h − 1)(2w − 1) + (Δx + w − 1)` with `Δ = query − key`, so pairs at the
/// same offset share a row of the `(2h − 1)(2w − 1)`-row table.
pub(crate) fn grid_relative_index(h: usize, w: usize) -> Vec<u32> {
    let n = h * w;
    let mut out = Vec::with_capacity(n * n);
    for i in 0..n {
        let (yi, xi) = (i / w, i % w);
        for j in 0..n {
            let (yj, xj) = (j / w, j % w);
            let dy = yi + h - 1 - yj;
            let dx = xi + w - 1 - xj;
            out.push((dy * (2 * w - 1) + dx) as u32);
        }
    }
    out
}

/// The trained layer-scale vector `name` of width `dim` when the checkpoint has one.
pub(crate) fn optional_vector(
    vb: &VarBuilder,
    dim: usize,
    name: &str,
) -> candle_core::Result<Option<Tensor>> {
    if vb.contains_tensor(name) {
        vb.get(dim, name).map(Some)
    } else {
        Ok(None)
    }
}

/// ViT's layer stack (candle-transformers' `vit::Encoder`), whole or one encoder per layer.
///
/// `vit::Encoder` keeps its layers private and returns only the last layer's output, so to
/// read every layer's output each layer is loaded as a one-layer encoder whose tensor names
/// (`layer.0.*`) are renamed to the checkpoint's `layer.k.*`.
pub(crate) enum VitStack {
    /// The whole stack: only the last output.
    Whole(vit::Encoder),
    /// One encoder per layer, first to last.
    Split(Vec<vit::Encoder>),
}

impl VitStack {
    /// Loads `encoder.*` from `vb`; with `split` = (the checkpoint's root, the encoder's full
    /// name such as `vit.encoder`) one encoder per layer.
    pub(crate) fn load(
        c: &vit::Config,
        vb: VarBuilder,
        split: Option<(&VarBuilder<'static>, &str)>,
    ) -> candle_core::Result<Self> {
        let Some((root, name)) = split else {
            return Ok(VitStack::Whole(vit::Encoder::new(c, vb)?));
        };
        let one = vit::Config {
            num_hidden_layers: 1,
            ..c.clone()
        };
        let mut layers = Vec::with_capacity(c.num_hidden_layers);
        for k in 0..c.num_hidden_layers {
            let from = format!("{name}.layer.0.");
            let to = format!("{name}.layer.{k}.");
            // Renamed at the root, where tensor names are whole (a renamed sub-builder would
            // prefix its path twice).
            let renamed = root
                .clone()
                .rename_f(move |n: &str| match n.strip_prefix(&from) {
                    Some(rest) => format!("{to}{rest}"),
                    None => n.to_string(),
                });
            layers.push(vit::Encoder::new(&one, renamed.pp(name))?);
        }
        Ok(VitStack::Split(layers))
    }

    /// The last layer's output `(b, n, h)` alone (whole), or every layer's (split).
    pub(crate) fn forward(&self, x: &Tensor) -> candle_core::Result<Vec<Tensor>> {
        match self {
            VitStack::Whole(e) => Ok(vec![e.forward(x)?]),
            VitStack::Split(layers) => {
                let mut x = x.clone();
                let mut states = Vec::with_capacity(layers.len());
                for l in layers {
                    x = l.forward(&x)?;
                    states.push(x.clone());
                }
                Ok(states)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_relative_index_gives_equal_offsets_equal_rows() {
        let (h, w) = (3, 4);
        let idx = grid_relative_index(h, w);
        let n = h * w;
        for i in 0..n {
            for j in 0..n {
                let off = |a: usize, b: usize| {
                    (
                        (a / w) as isize - (b / w) as isize,
                        (a % w) as isize - (b % w) as isize,
                    )
                };
                for k in 0..n {
                    for l in 0..n {
                        assert_eq!(
                            off(i, j) == off(k, l),
                            idx[i * n + j] == idx[k * n + l],
                            "({i},{j}) vs ({k},{l})"
                        );
                    }
                }
            }
        }
        assert!(idx
            .iter()
            .all(|&r| (r as usize) < (2 * h - 1) * (2 * w - 1)));
        // Query = key is the table's centre row.
        assert_eq!(idx[0], ((h - 1) * (2 * w - 1) + w - 1) as u32);
    }
}
