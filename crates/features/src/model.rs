//! [`Model`]: a loaded model of any supported family, dispatched on `config.json`'s
//! `model_type`.

use crate::config::SUPPORTED_MODEL_TYPES;
use crate::error::{FeaturesError, Result};
use crate::text::{self, TextEncoder, TextInput};
use crate::vision::{self, VisionEncoder};
use crate::{Extracted, InputKind, LoadOptions, ModelDir};

/// A model loaded from a Hugging Face directory, dispatched on `config.json`'s `model_type`.
#[non_exhaustive]
pub enum Model {
    /// A BERT-family text encoder (BERT, DistilBERT, RoBERTa, XLM-RoBERTa, CamemBERT, ELECTRA,
    /// ALBERT).
    Text(Box<TextEncoder>),
    /// An image model (ViT, DeiT, BEiT, Data2Vec-vision, Swin, ResNet, ConvNeXt, VAN).
    Vision(Box<VisionEncoder>),
}

impl Model {
    /// Loads the model in `dir`.
    ///
    /// # Errors
    /// [`FeaturesError::UnsupportedModelType`] (listing [`SUPPORTED_MODEL_TYPES`]) and the
    /// loading errors of [`TextEncoder::load_layers`] and [`VisionEncoder::load_layers`]
    /// (among them [`FeaturesError::LayersUnsupported`]).
    pub fn load(dir: &ModelDir, options: &LoadOptions) -> Result<Self> {
        match dir.model_type() {
            Some(t) if text::TEXT_MODEL_TYPES.contains(&t) => Ok(Model::Text(Box::new(
                TextEncoder::load_layers(dir, &options.text, options.layers)?,
            ))),
            Some(t) if vision::VISION_MODEL_TYPES.contains(&t) => Ok(Model::Vision(Box::new(
                VisionEncoder::load_layers(dir, options.layers)?,
            ))),
            other => Err(FeaturesError::UnsupportedModelType {
                dir: dir.path().to_path_buf(),
                model_type: other.unwrap_or("<none>").to_string(),
                supported: SUPPORTED_MODEL_TYPES.to_vec(),
            }),
        }
    }

    /// What the model reads.
    pub fn input_kind(&self) -> InputKind {
        match self {
            Model::Text(_) => InputKind::Text,
            Model::Vision(_) => InputKind::Image,
        }
    }

    /// Feature dimension.
    pub fn feature_dim(&self) -> usize {
        match self {
            Model::Text(m) => m.feature_dim(),
            Model::Vision(m) => m.feature_dim(),
        }
    }

    /// Number of classes of the classifier head, if any.
    pub fn num_classes(&self) -> Option<usize> {
        match self {
            Model::Text(m) => m.num_classes(),
            Model::Vision(m) => m.num_classes(),
        }
    }

    /// Encodes texts (text models only).
    pub fn forward_texts(&self, texts: &[&str]) -> Result<Extracted> {
        let inputs: Vec<TextInput> = texts.iter().map(|t| TextInput::Single(t)).collect();
        self.forward_text_inputs(&inputs)
    }

    /// Encodes texts or pairs of texts (text models only).
    pub fn forward_text_inputs(&self, inputs: &[TextInput]) -> Result<Extracted> {
        match self {
            Model::Text(m) => m.forward_inputs(inputs),
            Model::Vision(m) => Err(FeaturesError::InvalidArgument(format!(
                "{} is an image model; it cannot encode text",
                m.dir().display()
            ))),
        }
    }

    /// Encodes images (image models only).
    pub fn forward_images(&self, images: &[image::DynamicImage]) -> Result<Extracted> {
        match self {
            Model::Vision(m) => m.forward_images(images),
            Model::Text(_) => Err(FeaturesError::InvalidArgument(
                "a text model cannot encode images".into(),
            )),
        }
    }
}
