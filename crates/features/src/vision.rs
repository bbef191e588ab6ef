//! Image models from a local Hugging Face directory: ViT, DeiT, BEiT, Data2Vec-vision, Swin,
//! ResNet, ConvNeXt and VAN, with the image preprocessing their `preprocessor_config.json`
//! describes.
//!
//! * **ViT** (Dosovitskiy et al., ICLR 2021): the feature is the final-layer-normalised `[CLS]`
//!   token, `LN(H_L)[0]`, which is what `ViTForImageClassification`'s linear head reads.
//! * **ResNet** (He et al., CVPR 2016) in Hugging Face's `ResNetModel` layout (`model_type:
//!   "resnet"`, `embedder`/`encoder.stages` names, basic or bottleneck blocks): the feature is the
//!   global average of the last stage's activation map, `(1/HW) Σ_{h,w} A[:, h, w]`, what the
//!   `classifier.1` head reads.
//! * **ConvNeXt** (Liu et al., CVPR 2022) in Hugging Face's `ConvNextModel` layout
//!   ([`crate::convnext`]): the feature is the layer-normalised global average of the last
//!   stage, what `ConvNextForImageClassification`'s `classifier` reads.
//! * **DeiT** ([`crate::deit`]): the layer-normalised `[CLS]` token, or for the distilled models'
//!   two heads the mean of `[CLS]` and the distillation token.
//! * **BEiT** and **Data2Vec-vision** ([`crate::beit`]): the pooled output (layer-normalised mean
//!   of the patch tokens, or the layer-normalised `[CLS]`, as `use_mean_pooling` says).
//! * **Swin** ([`crate::swin`]): the mean over tokens of the final layer norm.
//! * **VAN** ([`crate::van`]): the global average of the last stage.
//!
//! Class probabilities are `softmax(W f + b)` when the checkpoint has the classifier head; for a
//! distilled DeiT, `softmax((W_c t_cls + b_c + W_d t_dist + b_d) / 2)`.
//!
//! Preprocessing (Hugging Face image processors): convert to RGB, resize (bilinear or bicubic as
//! `resample` says; `size` either `{height, width}` or `{shortest_edge}` keeping the aspect
//! ratio), optional centre crop, `x · rescale_factor`, then `(x − mean_c) / std_c` per channel.
//! Resizing uses the `image` crate's separable filters, which are close to but not bit-identical
//! with Pillow's.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Conv2d, Conv2dConfig, Linear, VarBuilder};
use candle_transformers::models::vit;
use image::{imageops::FilterType, DynamicImage, RgbImage};
use serde::Deserialize;

use crate::beit::{self, Beit};
use crate::config::{eps12, gelu, stages, usize_default, yes};
use crate::convnext::{self, ConvNext};
use crate::deit::Deit;
use crate::error::{FeaturesError, Result};
use crate::layer_choice::Layers;
use crate::layers::VitStack;
use crate::model_dir::ModelDir;
use crate::swin::{self, Swin};
use crate::text::load_classifier;
use crate::van::{self, Van};

pub use crate::config::VISION_MODEL_TYPES;

/// Image preprocessing as a Hugging Face `preprocessor_config.json` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageProcessor {
    /// Target size after resizing: `Exact(h, w)` or `ShortestEdge(s)`; `None` = no resize.
    pub resize: Option<ResizeTo>,
    /// Resampling filter.
    pub filter: FilterType,
    /// Centre crop `(height, width)` after resizing.
    pub crop: Option<(usize, usize)>,
    /// Multiplier applied to 0..255 pixel values.
    pub rescale: f32,
    /// Per-channel mean subtracted after rescaling.
    pub mean: [f32; 3],
    /// Per-channel standard deviation divided by after subtracting the mean.
    pub std: [f32; 3],
}

/// A resize target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResizeTo {
    /// Exactly `(height, width)`.
    Exact(usize, usize),
    /// The shorter side becomes this, keeping the aspect ratio.
    ShortestEdge(usize),
}

impl ImageProcessor {
    /// Reads `preprocessor_config.json`; when absent, resizes to `default_size` (the model's
    /// `image_size`) with ImageNet's mean and standard deviation.
    pub fn from_dir(dir: &ModelDir, default_size: usize) -> Result<Self> {
        let path = dir.path().join("preprocessor_config.json");
        let Some(cfg) = dir.optional_json("preprocessor_config.json")? else {
            return Ok(Self {
                resize: Some(ResizeTo::Exact(default_size, default_size)),
                filter: FilterType::Triangle,
                crop: None,
                rescale: 1.0 / 255.0,
                mean: [0.485, 0.456, 0.406],
                std: [0.229, 0.224, 0.225],
            });
        };
        let bad = |message: String| FeaturesError::InvalidConfig {
            path: path.clone(),
            message,
        };
        let flag = |k: &str, d: bool| cfg.get(k).and_then(|v| v.as_bool()).unwrap_or(d);
        let size_of = |v: &serde_json::Value| -> Result<Option<ResizeTo>> {
            if let Some(n) = v.as_u64() {
                return Ok(Some(ResizeTo::Exact(n as usize, n as usize)));
            }
            let get = |k: &str| v.get(k).and_then(|x| x.as_u64()).map(|x| x as usize);
            match (get("height"), get("width"), get("shortest_edge")) {
                (Some(h), Some(w), _) => Ok(Some(ResizeTo::Exact(h, w))),
                (_, _, Some(s)) => Ok(Some(ResizeTo::ShortestEdge(s))),
                _ => Err(bad(format!("unrecognised size {v}"))),
            }
        };
        let mut resize = if flag("do_resize", true) {
            match cfg.get("size") {
                Some(v) => size_of(v)?,
                None => Some(ResizeTo::Exact(default_size, default_size)),
            }
        } else {
            None
        };
        let mut crop = if flag("do_center_crop", false) {
            match cfg.get("crop_size").map(size_of).transpose()?.flatten() {
                Some(ResizeTo::Exact(h, w)) => Some((h, w)),
                Some(ResizeTo::ShortestEdge(s)) => Some((s, s)),
                None => return Err(bad("do_center_crop without crop_size".into())),
            }
        } else {
            None
        };
        // ConvNeXt-style processors (also used by Hugging Face's ResNets) carry `crop_pct`:
        // below 384 pixels the shortest edge is resized to `size / crop_pct` (truncated) and
        // centre-cropped to `size × size`; from 384 up the image is resized to `size × size`.
        if let (Some(pct), Some(r)) = (cfg.get("crop_pct").and_then(|v| v.as_f64()), resize) {
            let s = match r {
                ResizeTo::Exact(h, _) | ResizeTo::ShortestEdge(h) => h,
            };
            if !(pct > 0.0 && pct <= 1.0) {
                return Err(bad(format!("crop_pct {pct} must be in (0, 1]")));
            }
            if s < 384 {
                resize = Some(ResizeTo::ShortestEdge((s as f64 / pct) as usize));
                crop = Some((s, s));
            } else {
                resize = Some(ResizeTo::Exact(s, s));
                crop = None;
            }
        }
        // PIL resample codes: 0 nearest, 2 bilinear, 3 bicubic, 1 lanczos.
        let filter = match cfg.get("resample").and_then(|v| v.as_u64()).unwrap_or(2) {
            0 => FilterType::Nearest,
            1 => FilterType::Lanczos3,
            3 => FilterType::CatmullRom,
            _ => FilterType::Triangle,
        };
        let rescale = if flag("do_rescale", true) {
            cfg.get("rescale_factor")
                .and_then(|v| v.as_f64())
                .unwrap_or(1.0 / 255.0) as f32
        } else {
            1.0
        };
        let triple = |k: &str, d: [f32; 3]| -> Result<[f32; 3]> {
            match cfg.get(k) {
                None => Ok(d),
                Some(v) => {
                    let xs: Vec<f32> = v
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_f64())
                                .map(|x| x as f32)
                                .collect()
                        })
                        .unwrap_or_default();
                    match xs.len() {
                        1 => Ok([xs[0]; 3]),
                        3 => Ok([xs[0], xs[1], xs[2]]),
                        _ => Err(bad(format!("{k} must have 1 or 3 numbers"))),
                    }
                }
            }
        };
        let (mean, std) = if flag("do_normalize", true) {
            (
                triple("image_mean", [0.485, 0.456, 0.406])?,
                triple("image_std", [0.229, 0.224, 0.225])?,
            )
        } else {
            ([0.0; 3], [1.0; 3])
        };
        if std.iter().any(|s| *s == 0.0 || !s.is_finite()) {
            return Err(bad("image_std has a zero or non-finite entry".into()));
        }
        Ok(Self {
            resize,
            filter,
            crop,
            rescale,
            mean,
            std,
        })
    }

    /// The `(height, width)` an image of `(h, w)` has after resizing and cropping.
    pub fn output_size(&self, h: usize, w: usize) -> (usize, usize) {
        let (h, w) = self.resized(h, w);
        self.crop.unwrap_or((h, w))
    }

    fn resized(&self, h: usize, w: usize) -> (usize, usize) {
        match self.resize {
            None => (h, w),
            Some(ResizeTo::Exact(rh, rw)) => (rh, rw),
            Some(ResizeTo::ShortestEdge(s)) => {
                if h <= w {
                    (s, (w * s) / h.max(1))
                } else {
                    ((h * s) / w.max(1), s)
                }
            }
        }
    }

    /// Preprocesses one image into a `(3, H, W)` channel-first `f32` buffer.
    pub fn pixels(&self, img: &DynamicImage) -> Vec<f32> {
        let rgb: RgbImage = img.to_rgb8();
        let (h, w) = (rgb.height() as usize, rgb.width() as usize);
        let (rh, rw) = self.resized(h, w);
        let rgb = if (rh, rw) != (h, w) && rh > 0 && rw > 0 {
            image::imageops::resize(&rgb, rw as u32, rh as u32, self.filter)
        } else {
            rgb
        };
        let (h, w) = (rgb.height() as usize, rgb.width() as usize);
        let (ch, cw) = self.crop.unwrap_or((h, w));
        // Centre crop; pad with zeros where the crop is larger than the image (as HF does).
        let top = (h as isize - ch as isize) / 2;
        let left = (w as isize - cw as isize) / 2;
        let mut out = vec![0f32; 3 * ch * cw];
        for c in 0..3 {
            for y in 0..ch {
                for x in 0..cw {
                    let sy = y as isize + top;
                    let sx = x as isize + left;
                    let v = if sy >= 0 && sx >= 0 && (sy as usize) < h && (sx as usize) < w {
                        rgb.get_pixel(sx as u32, sy as u32)[c] as f32
                    } else {
                        0.0
                    };
                    out[(c * ch + y) * cw + x] = (v * self.rescale - self.mean[c]) / self.std[c];
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone, Deserialize)]
struct VitJson {
    #[serde(default = "usize_default::<768>")]
    hidden_size: usize,
    #[serde(default = "usize_default::<12>")]
    num_hidden_layers: usize,
    #[serde(default = "usize_default::<12>")]
    num_attention_heads: usize,
    #[serde(default = "usize_default::<3072>")]
    intermediate_size: usize,
    #[serde(default = "gelu")]
    hidden_act: candle_nn::Activation,
    #[serde(default = "eps12")]
    layer_norm_eps: f64,
    #[serde(default = "usize_default::<224>")]
    image_size: usize,
    #[serde(default = "usize_default::<16>")]
    patch_size: usize,
    #[serde(default = "usize_default::<3>")]
    num_channels: usize,
    #[serde(default = "yes")]
    qkv_bias: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct ResNetJson {
    #[serde(default = "usize_default::<3>")]
    num_channels: usize,
    #[serde(default = "usize_default::<64>")]
    embedding_size: usize,
    #[serde(default = "stages::<256, 512, 1024, 2048>")]
    hidden_sizes: Vec<usize>,
    #[serde(default = "stages::<3, 4, 6, 3>")]
    depths: Vec<usize>,
    #[serde(default = "bottleneck")]
    layer_type: String,
    #[serde(default = "relu")]
    hidden_act: String,
    #[serde(default)]
    downsample_in_first_stage: bool,
    #[serde(default)]
    downsample_in_bottleneck: bool,
    #[serde(default = "usize_default::<224>")]
    image_size: usize,
}
fn bottleneck() -> String {
    "bottleneck".into()
}
fn relu() -> String {
    "relu".into()
}

enum Net {
    Vit {
        embeddings: vit::Embeddings,
        encoder: VitStack,
        layernorm: candle_nn::LayerNorm,
    },
    Deit(Deit),
    Beit(Beit),
    Swin(Swin),
    ResNet(ResNet),
    ConvNext(ConvNext),
    Van(Van),
}

/// The classifier head.
enum Head {
    /// `W f + b` on the feature.
    Linear(Linear),
    /// A distilled DeiT's two heads, `(cls_classifier(t_cls) + distillation_classifier(t_dist)) / 2`.
    Distilled { cls: Linear, distillation: Linear },
}

/// A loaded image model with its preprocessing.
pub struct VisionEncoder {
    dir: PathBuf,
    processor: ImageProcessor,
    net: Net,
    head: Option<Head>,
    dim: usize,
    input_size: (usize, usize),
    /// Whether the network takes only `input_size` images (position embeddings, relative
    /// position biases and window masks are laid out for one grid).
    fixed_size: bool,
    channels: usize,
    layers: Layers,
}

impl VisionEncoder {
    /// Loads an image model directory of one of [`VISION_MODEL_TYPES`].
    ///
    /// # Errors
    /// Missing files, an unsupported `model_type`, missing tensors or shape mismatches.
    pub fn load(dir: &ModelDir) -> Result<Self> {
        Self::load_layers(dir, Layers::Last)
    }

    /// [`VisionEncoder::load`] with features from the hidden layers `layers` says: each
    /// layer's output pooled as the last one is (final layer norm then `[CLS]` for ViT and
    /// DeiT, BEiT's pooling).
    ///
    /// # Errors
    /// Those of [`VisionEncoder::load`]; [`FeaturesError::LayersUnsupported`] for `mean`/`best`
    /// with Swin, ResNet, ConvNeXt or VAN, whose stages differ in width.
    pub fn load_layers(dir: &ModelDir, layers: Layers) -> Result<Self> {
        let mt = dir.model_type().unwrap_or("<none>").to_string();
        if layers.needs_every_layer()
            && matches!(mt.as_str(), "swin" | "resnet" | "convnext" | "van")
        {
            return Err(FeaturesError::LayersUnsupported {
                dir: dir.path().to_path_buf(),
                layers,
                family: mt,
                reason: "a hierarchical model's stages differ in width, so its layers share no feature space to average or compare",
            });
        }
        let cfg_path = dir.path().join("config.json");
        let invalid = |message: String| FeaturesError::InvalidConfig {
            path: cfg_path.clone(),
            message,
        };
        // ResNet and ConvNeXt describe their stages the same way and each supports one
        // activation; the last stage's width is the feature dimension.
        let stages_width = |sizes: &[usize], depths: &[usize], act: &str, supported: &str| {
            if sizes.is_empty() || sizes.len() != depths.len() {
                return Err(invalid(
                    "hidden_sizes and depths must be non-empty and of equal length".into(),
                ));
            }
            if act != supported {
                return Err(invalid(format!(
                    "hidden_act {act:?} is not supported ({supported} only)"
                )));
            }
            Ok(sizes[sizes.len() - 1])
        };
        let weights = dir.load_weights()?;
        let wrap = |e| FeaturesError::from_weights(dir.path(), e);
        // A `…ForImageClassification` checkpoint holds the backbone under its model type
        // (`vit.`, `resnet.`, `convnext.`); a bare backbone holds it at the root.
        // (`data2vec-vision` keeps its backbone under `data2vec_vision.`.)
        let prefix = mt.replace('-', "_");
        let (vb, encoder_name) = if weights.has_prefix(&prefix) {
            (weights.vb.pp(&prefix), format!("{prefix}.encoder"))
        } else {
            (weights.vb.clone(), "encoder".to_string())
        };
        let split = layers
            .needs_every_layer()
            .then_some((&weights.vb, encoder_name.as_str()));
        let (net, dim, size, channels, head_name) = match mt.as_str() {
            "vit" | "deit" => {
                let c: VitJson = dir.typed_config()?;
                if c.num_attention_heads == 0
                    || !c.hidden_size.is_multiple_of(c.num_attention_heads)
                    || c.patch_size == 0
                    || !c.image_size.is_multiple_of(c.patch_size)
                {
                    return Err(invalid(
                        "hidden_size must be a multiple of num_attention_heads and image_size of patch_size".into(),
                    ));
                }
                let cfg = vit::Config {
                    hidden_size: c.hidden_size,
                    num_hidden_layers: c.num_hidden_layers,
                    num_attention_heads: c.num_attention_heads,
                    intermediate_size: c.intermediate_size,
                    hidden_act: c.hidden_act,
                    layer_norm_eps: c.layer_norm_eps,
                    image_size: c.image_size,
                    patch_size: c.patch_size,
                    num_channels: c.num_channels,
                    qkv_bias: c.qkv_bias,
                };
                // DeiT's layers are ViT's; only its embeddings and heads differ.
                let net = if mt == "deit" {
                    Net::Deit(Deit::load(&cfg, vb, split).map_err(wrap)?)
                } else {
                    Net::Vit {
                        embeddings: vit::Embeddings::new(&cfg, false, vb.pp("embeddings"))
                            .map_err(wrap)?,
                        encoder: VitStack::load(&cfg, vb.pp("encoder"), split).map_err(wrap)?,
                        layernorm: candle_nn::layer_norm(
                            cfg.hidden_size,
                            cfg.layer_norm_eps,
                            vb.pp("layernorm"),
                        )
                        .map_err(wrap)?,
                    }
                };
                (
                    net,
                    c.hidden_size,
                    c.image_size,
                    c.num_channels,
                    "classifier",
                )
            }
            "beit" | "data2vec-vision" => {
                let c: beit::Config = dir.typed_config()?;
                c.problem().map_or(Ok(()), |p| Err(invalid(p)))?;
                let (net, dim) = (Net::Beit(Beit::load(&c, vb).map_err(wrap)?), c.hidden_size);
                (net, dim, c.image_size, c.num_channels, "classifier")
            }
            "swin" => {
                let c: swin::Config = dir.typed_config()?;
                c.problem().map_or(Ok(()), |p| Err(invalid(p)))?;
                let (net, dim) = (
                    Net::Swin(Swin::load(&c, vb).map_err(wrap)?),
                    c.num_features(),
                );
                (net, dim, c.image_size, c.num_channels, "classifier")
            }
            "van" => {
                let c: van::Config = dir.typed_config()?;
                c.problem().map_or(Ok(()), |p| Err(invalid(p)))?;
                let dim = c.hidden_sizes[c.hidden_sizes.len() - 1];
                let net = Net::Van(Van::load(&c, vb).map_err(wrap)?);
                (net, dim, c.image_size, c.num_channels, "classifier")
            }
            "resnet" => {
                let c: ResNetJson = dir.typed_config()?;
                let dim = stages_width(&c.hidden_sizes, &c.depths, &c.hidden_act, "relu")?;
                if c.layer_type != "basic" && c.layer_type != "bottleneck" {
                    return Err(invalid(format!(
                        "layer_type {:?} (expected basic or bottleneck)",
                        c.layer_type
                    )));
                }
                if c.layer_type == "bottleneck" && c.hidden_sizes.iter().any(|h| h % 4 != 0) {
                    return Err(invalid(
                        "bottleneck hidden_sizes must be multiples of 4".into(),
                    ));
                }
                let net = Net::ResNet(ResNet::load(&c, vb).map_err(wrap)?);
                (net, dim, c.image_size, c.num_channels, "classifier.1")
            }
            "convnext" => {
                let c: convnext::Config = dir.typed_config()?;
                let dim = stages_width(&c.hidden_sizes, &c.depths, &c.hidden_act, "gelu")?;
                if c.patch_size == 0 {
                    return Err(invalid("patch_size must be at least 1".into()));
                }
                let net = Net::ConvNext(ConvNext::load(&c, vb).map_err(wrap)?);
                (net, dim, c.image_size, c.num_channels, "classifier")
            }
            other => {
                return Err(FeaturesError::UnsupportedModelType {
                    dir: dir.path().to_path_buf(),
                    model_type: other.to_string(),
                    supported: crate::config::SUPPORTED_MODEL_TYPES.to_vec(),
                })
            }
        };
        if channels != 3 {
            return Err(invalid(format!(
                "num_channels {channels}: only RGB (3) image models are supported"
            )));
        }
        let head = match (
            load_classifier(dir, &weights, dim, "cls_classifier")?,
            load_classifier(dir, &weights, dim, "distillation_classifier")?,
        ) {
            (Some(cls), Some(distillation)) if mt == "deit" => {
                Some(Head::Distilled { cls, distillation })
            }
            (Some(_), None) | (None, Some(_)) if mt == "deit" => {
                return Err(FeaturesError::MissingTensor {
                    dir: dir.path().to_path_buf(),
                    tensor: if weights.has("cls_classifier.weight") {
                        "distillation_classifier.weight".into()
                    } else {
                        "cls_classifier.weight".into()
                    },
                })
            }
            _ => load_classifier(dir, &weights, dim, head_name)?.map(Head::Linear),
        };
        let processor = ImageProcessor::from_dir(dir, size)?;
        let fixed_size = matches!(
            mt.as_str(),
            "vit" | "deit" | "beit" | "data2vec-vision" | "swin"
        );
        let input_size = if fixed_size {
            (size, size)
        } else {
            processor.output_size(size, size)
        };
        Ok(Self {
            dir: dir.path().to_path_buf(),
            processor,
            net,
            head,
            dim,
            input_size,
            fixed_size,
            channels,
            layers,
        })
    }

    /// Which hidden layers the features come from.
    pub fn layers(&self) -> Layers {
        self.layers
    }

    /// The preprocessing in use.
    pub fn processor(&self) -> &ImageProcessor {
        &self.processor
    }

    /// Feature dimension.
    pub fn feature_dim(&self) -> usize {
        self.dim
    }

    /// Number of classes of the classifier head, if any.
    pub fn num_classes(&self) -> Option<usize> {
        self.head.as_ref().map(|h| match h {
            Head::Linear(c) | Head::Distilled { cls: c, .. } => c.weight().dims()[0],
        })
    }

    /// The model directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Preprocesses and encodes a batch of images.
    pub fn forward_images(&self, images: &[DynamicImage]) -> Result<crate::Extracted> {
        if images.is_empty() {
            return Ok(crate::Extracted::empty(self.dim, self.num_classes()));
        }
        let mut buf = Vec::new();
        let mut shape = None;
        for img in images {
            let (h, w) = self
                .processor
                .output_size(img.height() as usize, img.width() as usize);
            match shape {
                None => shape = Some((h, w)),
                Some(s) if s != (h, w) => {
                    return Err(FeaturesError::InvalidArgument(format!(
                        "preprocessed images of one batch differ in size ({s:?} vs {:?}); give the model a preprocessor_config.json with a fixed size",
                        (h, w)
                    )))
                }
                _ => {}
            }
            buf.extend(self.processor.pixels(img));
        }
        let (h, w) = shape.unwrap_or(self.input_size);
        let pixels = Tensor::from_vec(buf, (images.len(), 3, h, w), &Device::Cpu)?;
        self.forward_pixels(&pixels)
    }

    /// Encodes already preprocessed pixels `(batch, 3, H, W)`.
    pub fn forward_pixels(&self, pixels: &Tensor) -> Result<crate::Extracted> {
        let (_, c, h, w) = pixels.dims4()?;
        if c != self.channels {
            return Err(FeaturesError::InvalidArgument(format!(
                "pixels have {c} channels, the model takes {}",
                self.channels
            )));
        }
        if self.fixed_size && (h, w) != self.input_size {
            return Err(FeaturesError::InvalidArgument(format!(
                "{} takes {:?} images, got {:?}",
                self.dir.display(),
                self.input_size,
                (h, w)
            )));
        }
        // The distilled DeiT's heads read two tokens; every other head reads the feature.
        let mut tokens = None;
        let every = self.layers.needs_every_layer();
        // The feature of each layer (one per layer with `mean`/`best`, else the last alone).
        let per_layer = match &self.net {
            Net::Vit {
                embeddings,
                encoder,
                layernorm,
            } => {
                let x = embeddings.forward(pixels, None, false)?;
                encoder
                    .forward(&x)?
                    .iter()
                    .map(|x| layernorm.forward(&x.narrow(1, 0, 1)?.squeeze(1)?))
                    .collect::<candle_core::Result<Vec<_>>>()?
            }
            Net::Deit(net) => {
                let distilled = matches!(self.head, Some(Head::Distilled { .. }));
                let mut out = Vec::new();
                for (cls, dist) in net.forward(pixels)? {
                    if distilled {
                        out.push(((&cls + &dist)? * 0.5)?);
                        tokens = Some((cls, dist));
                    } else {
                        out.push(cls);
                    }
                }
                out
            }
            Net::Beit(net) => net.forward(pixels, every)?,
            Net::Swin(net) => vec![net.forward(pixels)?],
            Net::ResNet(net) => vec![net.forward(pixels)?],
            Net::ConvNext(net) => vec![net.forward(pixels)?],
            Net::Van(net) => vec![net.forward(pixels)?],
        };
        let features = per_layer
            .last()
            .ok_or_else(|| FeaturesError::InvalidArgument("the model has no layer".into()))?;
        let logits = match (&self.head, &tokens) {
            (Some(Head::Linear(head)), _) => Some(head.forward(features)?),
            (Some(Head::Distilled { cls, distillation }), Some((t_cls, t_dist))) => {
                Some(((cls.forward(t_cls)? + distillation.forward(t_dist)?)? * 0.5)?)
            }
            _ => None,
        };
        let probabilities = match logits {
            Some(z) => Some(candle_nn::ops::softmax(&z, D::Minus1)?),
            None => None,
        };
        crate::Extracted::from_layers(&self.dir, self.layers, &per_layer, probabilities.as_ref())
    }
}

/// One convolution + batch norm (+ ReLU), Hugging Face's `ResNetConvLayer`, with the batch
/// norm folded into the convolution at load time: inference uses the running statistics, so
/// `γ (conv(x) − μ) / √(σ² + ε) + β` is a convolution with weights scaled by
/// `s = γ / √(σ² + ε)` per output channel and bias `β − μ s`. One pass over each layer's output
/// instead of the four separate element-wise passes (subtract, divide, scale, shift) of
/// candle's `BatchNorm`, each into a fresh tensor. The fold is computed in float64.
struct ConvBn {
    conv: Conv2d,
    relu: bool,
}

impl ConvBn {
    fn load(
        cin: usize,
        cout: usize,
        k: usize,
        stride: usize,
        relu: bool,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let cfg = Conv2dConfig {
            padding: k / 2,
            stride,
            ..Default::default()
        };
        let f64_of = |t: Tensor| t.to_dtype(DType::F64);
        let w = f64_of(vb.pp("convolution").get((cout, cin, k, k), "weight")?)?;
        let bn = vb.pp("normalization");
        let gamma = f64_of(bn.get(cout, "weight")?)?;
        let beta = f64_of(bn.get(cout, "bias")?)?;
        let mean = f64_of(bn.get(cout, "running_mean")?)?;
        let var = f64_of(bn.get(cout, "running_var")?)?;
        let scale = (gamma / (var + 1e-5)?.sqrt()?)?;
        let w = w.broadcast_mul(&scale.reshape((cout, 1, 1, 1))?)?;
        let b = (beta - (mean * &scale)?)?;
        let dtype = vb.dtype();
        let conv = Conv2d::new(w.to_dtype(dtype)?, Some(b.to_dtype(dtype)?), cfg);
        Ok(Self { conv, relu })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = self.conv.forward(x)?;
        if self.relu {
            y.relu()
        } else {
            Ok(y)
        }
    }
}

/// A residual block: `relu(F(x) + shortcut(x))`.
struct Block {
    layers: Vec<ConvBn>,
    shortcut: Option<ConvBn>,
}

/// Hugging Face's ResNet backbone followed by global average pooling.
struct ResNet {
    stem: ConvBn,
    blocks: Vec<Block>,
}

impl ResNet {
    fn load(c: &ResNetJson, vb: VarBuilder) -> candle_core::Result<Self> {
        let stem = ConvBn::load(
            c.num_channels,
            c.embedding_size,
            7,
            2,
            true,
            vb.pp("embedder").pp("embedder"),
        )?;
        let mut blocks = Vec::new();
        let mut cin = c.embedding_size;
        for (s, (&cout, &depth)) in c.hidden_sizes.iter().zip(&c.depths).enumerate() {
            let vs = vb.pp("encoder").pp("stages").pp(s).pp("layers");
            for l in 0..depth {
                let downsample = l == 0 && (s > 0 || c.downsample_in_first_stage);
                let stride = if downsample { 2 } else { 1 };
                let vl = vs.pp(l);
                let shortcut = if cin != cout || stride != 1 {
                    Some(ConvBn::load(
                        cin,
                        cout,
                        1,
                        stride,
                        false,
                        vl.pp("shortcut"),
                    )?)
                } else {
                    None
                };
                let vl = vl.pp("layer");
                let layers = if c.layer_type == "basic" {
                    vec![
                        ConvBn::load(cin, cout, 3, stride, true, vl.pp(0))?,
                        ConvBn::load(cout, cout, 3, 1, false, vl.pp(1))?,
                    ]
                } else {
                    let mid = cout / 4;
                    let (s1, s3) = if c.downsample_in_bottleneck {
                        (stride, 1)
                    } else {
                        (1, stride)
                    };
                    vec![
                        ConvBn::load(cin, mid, 1, s1, true, vl.pp(0))?,
                        ConvBn::load(mid, mid, 3, s3, true, vl.pp(1))?,
                        ConvBn::load(mid, cout, 1, 1, false, vl.pp(2))?,
                    ]
                };
                blocks.push(Block { layers, shortcut });
                cin = cout;
            }
        }
        Ok(Self { stem, blocks })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = self.stem.forward(x)?;
        // Max pool 3×3, stride 2, padding 1. The input is post-ReLU (≥ 0), so zero padding is
        // equivalent to PyTorch's −∞ padding.
        let x = x.pad_with_zeros(2, 1, 1)?.pad_with_zeros(3, 1, 1)?;
        let mut x = x.max_pool2d_with_stride(3, 2)?;
        for b in &self.blocks {
            let mut y = x.clone();
            for l in &b.layers {
                y = l.forward(&y)?;
            }
            let skip = match &b.shortcut {
                Some(s) => s.forward(&x)?,
                None => x.clone(),
            };
            x = (y + skip)?.relu()?;
        }
        x.mean(D::Minus1)?.mean(D::Minus1)
    }
}
