//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while loading a model, reading a dataset or extracting features.
///
/// Variants carry what failed and where (file, tensor, sample), so a message printed by the CLI
/// is enough to fix the input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeaturesError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A JSON file (config.json, preprocessor_config.json, an index, a JSON-lines row) is malformed.
    #[error("{path}: invalid JSON: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A required file of the model directory is absent.
    #[error("{dir}: missing {what}")]
    MissingFile {
        /// The model or dataset directory.
        dir: PathBuf,
        /// What was looked for, e.g. "weights (model.safetensors, model.safetensors.index.json, *.safetensors or pytorch_model.bin)".
        what: String,
    },
    /// `config.json` names a `model_type` this crate cannot run.
    #[error("{dir}: unsupported model_type {model_type:?}; supported: {}", supported.join(", "))]
    UnsupportedModelType {
        /// The model directory.
        dir: PathBuf,
        /// The `model_type` found (or "<none>").
        model_type: String,
        /// The model types that are supported.
        supported: Vec<&'static str>,
    },
    /// A weight tensor the architecture needs is not in the checkpoint.
    #[error("{dir}: tensor {tensor:?} is missing from the weights")]
    MissingTensor {
        /// The model directory.
        dir: PathBuf,
        /// The tensor name, with its prefix.
        tensor: String,
    },
    /// A weight tensor has a shape that disagrees with `config.json`.
    #[error("{dir}: tensor {tensor:?} has shape {got:?}, config.json implies {expected:?}")]
    ShapeMismatch {
        /// The model directory.
        dir: PathBuf,
        /// The tensor name.
        tensor: String,
        /// The shape implied by the configuration.
        expected: Vec<usize>,
        /// The shape stored in the checkpoint.
        got: Vec<usize>,
    },
    /// The configuration is readable but inconsistent or out of range.
    #[error("{path}: invalid configuration: {message}")]
    InvalidConfig {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The tokenizer could not be built or could not encode a text.
    #[error("tokenizer ({path}): {message}")]
    Tokenizer {
        /// `tokenizer.json` or `vocab.txt`.
        path: PathBuf,
        /// The tokenizers library's message.
        message: String,
    },
    /// An image could not be decoded.
    #[error("{path}: cannot decode image: {message}")]
    Image {
        /// The image file.
        path: PathBuf,
        /// The decoder's message.
        message: String,
    },
    /// The dataset is malformed (missing column, no samples, unknown layout, ...).
    #[error("dataset {path}: {message}")]
    Dataset {
        /// The dataset file or directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The model's input modality does not match the dataset's.
    #[error("model {model} takes {model_input} input, dataset {dataset} holds {dataset_input}")]
    ModalityMismatch {
        /// The model directory.
        model: PathBuf,
        /// What the model takes ("text", "image").
        model_input: &'static str,
        /// The dataset path.
        dataset: PathBuf,
        /// What the dataset holds.
        dataset_input: &'static str,
    },
    /// A forward pass produced a non-finite value.
    #[error("model {model}: non-finite value in the {what} of sample {sample}")]
    NonFinite {
        /// The model directory.
        model: PathBuf,
        /// "features" or "probabilities".
        what: &'static str,
        /// The index of the sample in extraction order.
        sample: usize,
    },
    /// `--layers mean|best` asked of a model whose hidden layers cannot be read or averaged.
    #[error("{dir}: --layers {layers} is not supported for {family} models: {reason}")]
    LayersUnsupported {
        /// The model directory.
        dir: PathBuf,
        /// The choice that was asked for.
        layers: crate::Layers,
        /// The family (`model_type`, or the pooling that rules it out).
        family: String,
        /// Why.
        reason: &'static str,
    },
    /// An invalid argument (batch size 0, empty input, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A tensor operation failed inside candle.
    #[error("tensor computation failed: {0}")]
    Candle(#[from] candle_core::Error),
    /// The feature cache failed to read or write an entry.
    #[error("feature cache entry {key}")]
    Cache {
        /// The entry's key.
        key: String,
        /// The cache's own error.
        #[source]
        source: zoorank_core::BlobError,
    },
}

/// The crate's result type.
pub type Result<T, E = FeaturesError> = std::result::Result<T, E>;

impl FeaturesError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// Turns a candle error raised while reading weights into a typed error that names the
    /// tensor (candle reports a missing tensor or a wrong shape as strings inside its own enum).
    pub(crate) fn from_weights(dir: &std::path::Path, err: candle_core::Error) -> Self {
        match err {
            candle_core::Error::WithBacktrace { inner, .. } => Self::from_weights(dir, *inner),
            candle_core::Error::CannotFindTensor { path } => Self::MissingTensor {
                dir: dir.to_path_buf(),
                tensor: path,
            },
            candle_core::Error::UnexpectedShape { msg, expected, got }
                if msg.starts_with("shape mismatch for ") =>
            {
                Self::ShapeMismatch {
                    dir: dir.to_path_buf(),
                    tensor: msg["shape mismatch for ".len()..].to_string(),
                    expected: expected.dims().to_vec(),
                    got: got.dims().to_vec(),
                }
            }
            other => Self::Candle(other),
        }
    }
}
