//! What every model family's configuration shares: the `model_type`s zoorank runs and
//! serde defaults for `config.json` fields.

/// Model types of text encoders ([`crate::TextEncoder`]).
pub const TEXT_MODEL_TYPES: &[&str] = &[
    "bert",
    "distilbert",
    "roberta",
    "xlm-roberta",
    "camembert",
    "electra",
    "albert",
    "deberta-v2",
];

/// Model types of image models ([`crate::VisionEncoder`]).
pub const VISION_MODEL_TYPES: &[&str] = &[
    "vit",
    "deit",
    "beit",
    "data2vec-vision",
    "swin",
    "resnet",
    "convnext",
    "van",
];

/// Every `model_type` this crate can load: [`TEXT_MODEL_TYPES`], then [`VISION_MODEL_TYPES`].
pub const SUPPORTED_MODEL_TYPES: &[&str] = &concat::<
    { TEXT_MODEL_TYPES.len() + VISION_MODEL_TYPES.len() },
>(TEXT_MODEL_TYPES, VISION_MODEL_TYPES);

/// `a` followed by `b`, at compile time; `N` is their total length.
const fn concat<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < a.len() { a[i] } else { b[i - a.len()] };
        i += 1;
    }
    out
}

/// The default of a `usize` field of a Hugging Face `config.json`, for serde:
/// `#[serde(default = "usize_default::<768>")]` (one function for every default rather than one
/// per number).
pub(crate) const fn usize_default<const N: usize>() -> usize {
    N
}

/// The per-stage default of a four-stage vision network's list field (`depths`,
/// `hidden_sizes`, ...): `#[serde(default = "stages::<3, 3, 9, 3>")]`.
pub(crate) fn stages<const A: usize, const B: usize, const C: usize, const D: usize>() -> Vec<usize>
{
    vec![A, B, C, D]
}

/// `true`, the default of the boolean fields that are on unless a config turns them off.
pub(crate) fn yes() -> bool {
    true
}

/// The GELU activation, the default `hidden_act` of the transformers.
pub(crate) fn gelu() -> candle_nn::Activation {
    candle_nn::Activation::Gelu
}

/// `"gelu"`, the default `hidden_act` of the families that read the activation by name.
pub(crate) fn gelu_name() -> String {
    "gelu".into()
}

/// Layer-norm ε 1e-12 (BERT-style configs).
pub(crate) fn eps12() -> f64 {
    1e-12
}

/// Layer-norm ε 1e-6.
pub(crate) fn eps6() -> f64 {
    1e-6
}

/// Layer-norm ε 1e-5 (PyTorch's default).
pub(crate) fn eps5() -> f64 {
    1e-5
}
