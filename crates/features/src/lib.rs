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
mod distilbert;
pub mod domain;
mod electra;
mod error;
pub mod extract;
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
}

impl Extracted {
    pub(crate) fn empty(dim: usize, classes: Option<usize>) -> Self {
        Self {
            n: 0,
            dim,
            features: Vec::new(),
            num_classes: classes.unwrap_or(0),
            probabilities: Vec::new(),
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
        })
    }

    /// Feature row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.features[i * self.dim..(i + 1) * self.dim]
    }

    /// Appends another batch with the same dimensions.
    pub fn append(&mut self, other: Extracted) -> Result<()> {
        if self.n > 0 && (other.dim != self.dim || other.num_classes != self.num_classes) {
            return Err(FeaturesError::InvalidArgument(format!(
                "cannot append a batch of dim {}×{} classes to {}×{}",
                other.dim, other.num_classes, self.dim, self.num_classes
            )));
        }
        if self.n == 0 {
            self.dim = other.dim;
            self.num_classes = other.num_classes;
        }
        self.n += other.n;
        self.features.extend(other.features);
        self.probabilities.extend(other.probabilities);
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
