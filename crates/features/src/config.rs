//! What every model family's configuration shares: the `model_type`s zoorank runs and
//! serde defaults for `config.json` fields.

/// Every `model_type` this crate can load.
pub const SUPPORTED_MODEL_TYPES: &[&str] = &[
    "bert",
    "distilbert",
    "roberta",
    "xlm-roberta",
    "camembert",
    "electra",
    "albert",
    "deberta-v2",
    "vit",
    "resnet",
    "convnext",
    "deit",
    "beit",
    "data2vec-vision",
    "swin",
    "van",
];

/// The default of a `usize` field of a Hugging Face `config.json`, for serde:
/// `#[serde(default = "usize_default::<768>")]` (one function for every default rather than one
/// per number).
pub(crate) const fn usize_default<const N: usize>() -> usize {
    N
}
