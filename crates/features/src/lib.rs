//! # zoorank-features: forward passes of local Hugging Face models on the CPU
//!
//! The `features` stage of zoorank's pipeline (sources → store → **features** → scores → graph →
//! predict → evaluate). It reads a model directory in the Hugging Face layout exactly as a
//! practitioner keeps it (`config.json`, `model.safetensors` or shards, `tokenizer.json` or just
//! `vocab.txt`, `preprocessor_config.json`), runs it with [candle](https://github.com/huggingface/candle)
//! on the CPU, and returns per-sample penultimate features `(n_samples, n_features)` plus, when
//! the checkpoint has a classifier head, its class probabilities `(n_samples, n_classes)` (what
//! LEEP and NCE need). No network and no Python are involved.
//!
//! Supported `model_type`s: see [`SUPPORTED_MODEL_TYPES`].
//!
//! ```no_run
//! use zoorank_features::{Model, ModelDir, LoadOptions};
//! let dir = ModelDir::open("path/to/all-MiniLM-L6-v2")?;
//! let model = Model::load(&dir, &LoadOptions::default())?;
//! let out = model.forward_texts(&["a sentence", "another one"])?;
//! assert_eq!(out.features.len(), 2 * out.dim);
//! # Ok::<(), zoorank_features::FeaturesError>(())
//! ```
#![warn(missing_docs)]

mod albert;
mod beit;
pub mod cache;
mod config;
mod convnext;
pub mod dataset;
mod deit;
mod depthwise;
mod distilbert;
pub mod domain;
mod electra;
mod error;
pub mod extract;
mod layer_choice;
mod layers;
mod model;
mod model_dir;
mod swin;
pub mod text;
mod text_layers;
mod van;
pub mod vision;

use std::path::Path;

pub use cache::DirCache;
pub use config::SUPPORTED_MODEL_TYPES;
pub use dataset::{Dataset, DatasetOptions};
pub use error::{FeaturesError, Result};
pub use extract::{extract, extract_cached, CacheOutcome, ExtractOptions, FeatureSet};
pub use layer_choice::{best_layer, Layers, ParseLayersError};
pub use model::Model;
pub use model_dir::{ModelDir, Weights};
pub use text::{Pooling, TextEncoder, TextInput, TextOptions, TextTokenizer, TokenizerSource};
pub use vision::{ImageProcessor, ResizeTo, VisionEncoder};

/// What a model reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputKind {
    /// Text (a tokenizer and a text encoder).
    Text,
    /// RGB images.
    Image,
}

impl InputKind {
    /// `"text"` or `"image"`.
    pub fn id(self) -> &'static str {
        match self {
            InputKind::Text => "text",
            InputKind::Image => "image",
        }
    }
}

/// Options for [`Model::load`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Options of text models.
    pub text: TextOptions,
    /// Which hidden layers the features come from ([`Layers`]); families that cannot give
    /// every layer refuse anything but [`Layers::Last`] when loading.
    pub layers: Layers,
}

/// The output of a forward pass over a batch: row-major features and optional probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    /// Number of samples.
    pub n: usize,
    /// Feature dimension.
    pub dim: usize,
    /// Features, `n × dim`, row-major.
    pub features: Vec<f32>,
    /// Number of classes of the classifier head (0 when there is none).
    pub num_classes: usize,
    /// Class probabilities, `n × num_classes`, row-major (empty when there is no head).
    pub probabilities: Vec<f32>,
    /// With [`Layers::Best`], the pooled features of each transformer layer, first to last,
    /// each `n × dim` row-major (the last equals `features`); empty otherwise.
    pub layers: Vec<Vec<f32>>,
}

impl Extracted {
    pub(crate) fn empty(dim: usize, classes: Option<usize>) -> Self {
        Self {
            n: 0,
            dim,
            features: Vec::new(),
            num_classes: classes.unwrap_or(0),
            probabilities: Vec::new(),
            layers: Vec::new(),
        }
    }

    pub(crate) fn from_tensors(
        model: &Path,
        features: &candle_core::Tensor,
        probabilities: Option<&candle_core::Tensor>,
    ) -> Result<Self> {
        let (n, dim) = features.dims2()?;
        let features = finite_rows(model, "features", features)?;
        let (num_classes, probabilities) = match probabilities {
            Some(p) => (p.dims2()?.1, finite_rows(model, "probabilities", p)?),
            None => (0, Vec::new()),
        };
        Ok(Self {
            n,
            dim,
            features,
            num_classes,
            probabilities,
            layers: Vec::new(),
        })
    }

    /// The features of a model run with `choice`, from the pooled features of each of its
    /// transformer layers `(n, dim)`, first to last, and its head's probabilities: the last
    /// layer's features ([`Layers::Last`]), their mean over the layers ([`Layers::Mean`]), or
    /// the last layer's with every layer kept in [`Extracted::layers`] ([`Layers::Best`]).
    pub(crate) fn from_layers(
        model: &Path,
        choice: Layers,
        per_layer: &[candle_core::Tensor],
        probabilities: Option<&candle_core::Tensor>,
    ) -> Result<Self> {
        let Some(last) = per_layer.last() else {
            return Err(FeaturesError::InvalidArgument(format!(
                "{} has no transformer layer",
                model.display()
            )));
        };
        let mut out = Self::from_tensors(model, last, probabilities)?;
        if choice == Layers::Last {
            return Ok(out);
        }
        let mut layers = Vec::with_capacity(per_layer.len());
        for t in &per_layer[..per_layer.len() - 1] {
            layers.push(finite_rows(model, "features", t)?);
        }
        layers.push(out.features.clone());
        match choice {
            Layers::Mean => out.features = layer_choice::mean_of(&layers),
            _ => out.layers = layers,
        }
        Ok(out)
    }

    /// Feature row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.features[i * self.dim..(i + 1) * self.dim]
    }

    /// Appends another batch with the same dimensions.
    pub fn append(&mut self, other: Extracted) -> Result<()> {
        if self.n > 0
            && (other.dim != self.dim
                || other.num_classes != self.num_classes
                || other.layers.len() != self.layers.len())
        {
            return Err(FeaturesError::InvalidArgument(format!(
                "cannot append a batch of dim {}×{} classes×{} layers to {}×{}×{}",
                other.dim,
                other.num_classes,
                other.layers.len(),
                self.dim,
                self.num_classes,
                self.layers.len()
            )));
        }
        if self.n == 0 {
            self.dim = other.dim;
            self.num_classes = other.num_classes;
            self.layers = vec![Vec::new(); other.layers.len()];
        }
        self.n += other.n;
        self.features.extend(other.features);
        self.probabilities.extend(other.probabilities);
        for (mine, theirs) in self.layers.iter_mut().zip(other.layers) {
            mine.extend(theirs);
        }
        Ok(())
    }
}

/// The values of the 2-D tensor `t`, row-major; [`FeaturesError::NonFinite`] names the first
/// sample (row) of `model`'s `what` holding a NaN or an infinity.
fn finite_rows(model: &Path, what: &'static str, t: &candle_core::Tensor) -> Result<Vec<f32>> {
    let (_, width) = t.dims2()?;
    let values: Vec<f32> = t.flatten_all()?.to_vec1()?;
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(FeaturesError::NonFinite {
            model: model.to_path_buf(),
            what,
            sample: i / width.max(1),
        }),
        None => Ok(values),
    }
}
