//! DeiT (Touvron et al., "Training data-efficient image transformers & distillation through
//! attention", ICML 2021) in Hugging Face's `DeiTModel` layout (`model_type: "deit"`, tensors
//! under `deit.`).
//!
//! A ViT whose sequence is `[CLS]`, a distillation token and the patch tokens, with position
//! embeddings for all of them. Its encoder layers have ViT's tensor names and activation, so
//! candle-transformers' `vit::Encoder` runs them; candle's `vit::Embeddings` has no
//! distillation token, so the embeddings are assembled here.
//!
//! Heads: `DeiTForImageClassification` reads the final-layer-normalised `[CLS]` token with one
//! `classifier`; `DeiTForImageClassificationWithTeacher` has a `cls_classifier` on `[CLS]` and a
//! `distillation_classifier` on the distillation token and averages their logits. The feature
//! is then the mean of the two tokens (timm's pre-logits for distilled models), the one vector
//! of the model's width that both heads read.

use candle_core::{Module, Tensor};
use candle_nn::{Conv2d, LayerNorm, VarBuilder};
use candle_transformers::models::vit;

use crate::layers::{patch_projection, patch_tokens, VitStack};

/// A loaded DeiT backbone with its final layer norm.
pub(crate) struct Deit {
    patches: Conv2d,
    cls: Tensor,
    distillation: Tensor,
    position: Tensor,
    encoder: VitStack,
    norm: LayerNorm,
}

impl Deit {
    /// Loads `embeddings.*`, `encoder.*` and `layernorm.*` from `vb`; `split` as
    /// [`VitStack::load`] takes it.
    pub(crate) fn load(
        c: &vit::Config,
        vb: VarBuilder,
        split: Option<(&VarBuilder<'static>, &str)>,
    ) -> candle_core::Result<Self> {
        let h = c.hidden_size;
        let grid = c.image_size / c.patch_size;
        let e = vb.pp("embeddings");
        let projection = e.pp("patch_embeddings").pp("projection");
        Ok(Self {
            patches: patch_projection((c.num_channels, h), c.patch_size, projection)?,
            cls: e.get((1, 1, h), "cls_token")?,
            distillation: e.get((1, 1, h), "distillation_token")?,
            position: e.get((1, grid * grid + 2, h), "position_embeddings")?,
            encoder: VitStack::load(c, vb.pp("encoder"), split)?,
            norm: candle_nn::layer_norm(h, c.layer_norm_eps, vb.pp("layernorm"))?,
        })
    }

    /// The final-layer-normalised `[CLS]` and distillation tokens, each `(b, hidden_size)`, of
    /// pixels `(b, C, image_size, image_size)`: of the last layer, or of every layer (first to
    /// last) when the stack is split.
    pub(crate) fn forward(&self, pixels: &Tensor) -> candle_core::Result<Vec<(Tensor, Tensor)>> {
        let patches = patch_tokens(&self.patches, pixels)?;
        let (b, _, h) = patches.dims3()?;
        let cls = self.cls.broadcast_as((b, 1, h))?;
        let dist = self.distillation.broadcast_as((b, 1, h))?;
        let x = Tensor::cat(&[&cls, &dist, &patches], 1)?.broadcast_add(&self.position)?;
        let mut out = Vec::new();
        for x in self.encoder.forward(&x)? {
            let y = self.norm.forward(&x.narrow(1, 0, 2)?)?;
            out.push((y.get_on_dim(1, 0)?, y.get_on_dim(1, 1)?));
        }
        Ok(out)
    }
}
