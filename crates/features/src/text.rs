//! BERT-family text encoders from a local Hugging Face directory: BERT (candle-transformers'
//! `bert`), DistilBERT ([`crate::distilbert`]), RoBERTa (Liu et al., 2019) and its multilingual
//! and French kin XLM-RoBERTa (Conneau et al., ACL 2020) and CamemBERT (Martin et al., ACL 2020),
//! all three candle-transformers' `xlm_roberta` (position ids count from `pad_token_id + 1` over
//! the non-padding tokens, so at most `max_position_embeddings − pad_token_id − 1` tokens per
//! text), ELECTRA's discriminator ([`crate::electra`]), ALBERT ([`crate::albert`]) and DeBERTa-v2
//! (He et al., ICLR 2021; candle-transformers' `debertav2`, whose tensor names and activations
//! are Hugging Face's: disentangled attention over log-bucketed relative positions), bare or
//! with their sequence-classification heads (`bert.`/`distilbert.`/`roberta.`/`electra.`/
//! `albert.`/`deberta.` prefixes). RoBERTa's byte-level BPE tokenizer is read from `tokenizer.json`, else
//! built from `vocab.json` + `merges.txt` (GPT-2 byte-level pre-tokenisation, `<s> … </s>`;
//! Radford et al., 2019). XLM-RoBERTa's, CamemBERT's, ALBERT's and DeBERTa-v2's SentencePiece
//! (Unigram) tokenizers are read from `tokenizer.json` only.
//!
//! A model input is one text or a pair of texts ([`TextInput`]; GLUE's sentence-pair tasks),
//! joined by the tokenizer's pair template (`[CLS] a [SEP] b [SEP]` with token types 0 and 1 for
//! BERT, ELECTRA and ALBERT, which embed token types; `<s> a </s></s> b </s>` for the RoBERTa
//! family, whose single token type is 0 throughout).
//!
//! The tokenizer is `tokenizer.json` when present; otherwise a WordPiece tokenizer is built from
//! `vocab.txt` the way BERT's reference tokenizer works (Devlin et al., NAACL 2019): clean text,
//! split CJK characters, lower-case (unless `tokenizer_config.json` says `do_lower_case: false`),
//! strip accents when lower-casing, split on whitespace and punctuation, greedy longest-match-first
//! WordPiece with `##` continuations, `[CLS] … [SEP]` around each text.
//!
//! The sentence feature is a pooling of the last hidden states `H ∈ R^{L×d}` with attention mask
//! `m ∈ {0,1}^L`:
//! * mean: `Σ_t m_t H_t / Σ_t m_t` (Reimers & Gurevych, EMNLP 2019, sentence-transformers);
//! * max: `max_t {H_t : m_t = 1}` per dimension; mean-sqrt-len: `Σ_t m_t H_t / √(Σ_t m_t)`;
//! * cls: `H_0`; pooler: `tanh(W H_0 + b)`, BERT's pooler, which is what a sequence-classification
//!   head reads.
//!
//! The pooling is taken from sentence-transformers' `modules.json` → `1_Pooling/config.json` when
//! present, else (BERT only) the pooler when its weights exist, else CLS. When `modules.json`
//! lists a `Normalize` module the feature is L2-normalised, as sentence-transformers does. Class
//! probabilities come from the checkpoint's sequence-classification head when it has one:
//! BERT and ALBERT `softmax(W_c · pooler(H) + b_c)` (`classifier.*`), DistilBERT
//! `softmax(W_c · relu(W_p H_0 + b_p) + b_c)` (`pre_classifier.*`, `classifier.*`), RoBERTa
//! `softmax(W_o · tanh(W_d H_0 + b_d) + b_o)` (`classifier.dense.*`, `classifier.out_proj.*`),
//! ELECTRA the same with an exact GELU in place of tanh, DeBERTa-v2
//! `softmax(W_c · act(W_p H_0 + b_p) + b_c)` (`pooler.dense.*`, `classifier.*`, `act` from
//! `pooler_hidden_act`).

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor, D};
use candle_nn::{Linear, Module};
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use candle_transformers::models::debertav2::{
    Config as DebertaConfig, DebertaV2Model, HiddenAct as DebertaAct,
};
use candle_transformers::models::xlm_roberta::{Config as RobertaConfig, XLMRobertaModel};
use tokenizers::decoders::wordpiece::WordPiece as WordPieceDecoder;
use tokenizers::models::bpe::BPE;
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::models::ModelWrapper;
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::processors::bert::BertProcessing;
use tokenizers::processors::roberta::RobertaProcessing;
use tokenizers::{EncodeInput, PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::albert::{self, Albert};
use crate::distilbert::{self, DistilBert};
use crate::electra::{self, Electra};
use crate::error::{FeaturesError, Result};
use crate::layer_choice::Layers;
use crate::model_dir::{ModelDir, Weights};
use crate::text_layers::LayeredEncoder;

/// How token states become one feature vector per text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pooling {
    /// Masked mean over tokens.
    Mean,
    /// Masked maximum over tokens, per dimension.
    Max,
    /// Masked sum divided by the square root of the token count.
    MeanSqrtLen,
    /// The first (`[CLS]`) token's state.
    Cls,
    /// BERT's pooler: `tanh(dense(H_cls))`.
    Pooler,
}

impl Pooling {
    /// Stable id: `mean`, `max`, `mean-sqrt-len`, `cls`, `pooler`.
    pub fn id(self) -> &'static str {
        match self {
            Pooling::Mean => "mean",
            Pooling::Max => "max",
            Pooling::MeanSqrtLen => "mean-sqrt-len",
            Pooling::Cls => "cls",
            Pooling::Pooler => "pooler",
        }
    }
}

/// Which tokenizer file to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenizerSource {
    /// `tokenizer.json` when present, else `vocab.txt`.
    #[default]
    Auto,
    /// `tokenizer.json` only.
    TokenizerJson,
    /// The vocabulary files only, tokenizer built here: `vocab.txt` (WordPiece; BERT,
    /// DistilBERT) or `vocab.json` + `merges.txt` (byte-level BPE; RoBERTa).
    VocabTxt,
}

/// Options for [`TextEncoder::load`].
#[derive(Debug, Clone, Default)]
pub struct TextOptions {
    /// Tokenizer file choice.
    pub tokenizer: TokenizerSource,
    /// Overrides the pooling found in the directory.
    pub pooling: Option<Pooling>,
    /// Overrides the maximum number of tokens per text (special tokens included).
    pub max_length: Option<usize>,
}

/// One model input: a text, or a pair of texts that the tokenizer's pair template joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextInput<'a> {
    /// One text.
    Single(&'a str),
    /// Two texts (premise and hypothesis, question and passage, ...).
    Pair(&'a str, &'a str),
}

impl TextInput<'_> {
    /// Its length in bytes (both texts of a pair), for sorting inputs by length.
    pub fn len(&self) -> usize {
        match self {
            TextInput::Single(a) => a.len(),
            TextInput::Pair(a, b) => a.len() + b.len(),
        }
    }

    /// Whether it holds no text at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> From<TextInput<'a>> for EncodeInput<'a> {
    fn from(input: TextInput<'a>) -> Self {
        match input {
            TextInput::Single(a) => a.into(),
            TextInput::Pair(a, b) => (a, b).into(),
        }
    }
}

/// The architectures behind the supported `model_type`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Bert,
    DistilBert,
    /// RoBERTa, XLM-RoBERTa and CamemBERT.
    Roberta,
    Electra,
    Albert,
    DebertaV2,
}

impl Family {
    /// `dir`'s `model_type` and its family.
    ///
    /// # Errors
    /// [`FeaturesError::UnsupportedModelType`] for a type (or none) no family reads.
    fn of_dir(dir: &ModelDir) -> Result<(&str, Self)> {
        let mt = dir.model_type().unwrap_or("<none>");
        match Family::of(mt) {
            Some(family) => Ok((mt, family)),
            None => Err(FeaturesError::UnsupportedModelType {
                dir: dir.path().to_path_buf(),
                model_type: mt.to_string(),
                supported: crate::config::SUPPORTED_MODEL_TYPES.to_vec(),
            }),
        }
    }

    fn of(model_type: &str) -> Option<Self> {
        Some(match model_type {
            "bert" => Family::Bert,
            "distilbert" => Family::DistilBert,
            "roberta" | "xlm-roberta" | "camembert" => Family::Roberta,
            "electra" => Family::Electra,
            "albert" => Family::Albert,
            "deberta-v2" => Family::DebertaV2,
            _ => return None,
        })
    }

    /// The prefix of the base model's tensors in a checkpoint with a task head.
    fn prefix(self) -> &'static str {
        match self {
            Family::Bert => "bert",
            Family::DistilBert => "distilbert",
            Family::Roberta => "roberta",
            Family::Electra => "electra",
            Family::Albert => "albert",
            Family::DebertaV2 => "deberta",
        }
    }

    /// The pooler's linear layer under the base model (ALBERT's is one layer, `pooler`).
    fn pooler_name(self) -> &'static str {
        match self {
            Family::Albert => "pooler",
            _ => "pooler.dense",
        }
    }
}

/// `model_type`s whose tokenizer is a SentencePiece model, read here from `tokenizer.json` only.
const SENTENCEPIECE_TYPES: &[&str] = &["xlm-roberta", "camembert", "albert", "deberta-v2"];

/// The transformer under the pooling.
enum Backbone {
    /// candle-transformers' BERT.
    Bert(BertModel),
    /// DistilBERT ([`crate::distilbert`]).
    DistilBert(DistilBert),
    /// RoBERTa, XLM-RoBERTa, CamemBERT (candle-transformers' `xlm_roberta`, the same
    /// architecture).
    Roberta(XLMRobertaModel),
    /// ELECTRA ([`crate::electra`]); also BERT when every layer is wanted: BERT is ELECTRA
    /// with embeddings as wide as the hidden size, and candle's `BertModel` keeps its encoder
    /// private, so its layers' outputs can only be read through this path.
    Electra(Electra),
    /// ALBERT ([`crate::albert`]).
    Albert(Albert),
    /// DeBERTa-v2 and -v3 (candle-transformers' `debertav2`).
    DebertaV2(Box<DebertaV2Model>),
}

impl Backbone {
    /// Hidden states `(b, L, h)` of token ids and token types `(b, L)` with attention mask
    /// `(b, L)`: the last layer's alone, or with `every` each transformer layer's, first to
    /// last (the embedding output excluded).
    fn forward(
        &self,
        ids: &Tensor,
        types: &Tensor,
        mask: &Tensor,
        every: bool,
    ) -> candle_core::Result<Vec<Tensor>> {
        if every {
            // Families without a layer loop of their own were refused when loading.
            return match self {
                Backbone::DistilBert(m) => m.forward_layers(ids, mask, true),
                Backbone::Electra(m) => m.forward_layers(ids, types, mask, true),
                Backbone::Albert(m) => m.forward_layers(ids, types, mask, true),
                Backbone::Bert(_) | Backbone::Roberta(_) | Backbone::DebertaV2(_) => {
                    Err(candle_core::Error::Msg(
                        "this backbone does not expose its hidden layers".into(),
                    ))
                }
            };
        }
        let last = match self {
            Backbone::Bert(m) => m.forward(ids, types, Some(mask)),
            Backbone::DistilBert(m) => m.forward(ids, mask),
            Backbone::Roberta(m) => m.forward(ids, mask, &ids.zeros_like()?, None, None, None),
            Backbone::Electra(m) => m.forward(ids, types, mask),
            Backbone::Albert(m) => m.forward(ids, types, mask),
            Backbone::DebertaV2(m) => m.forward(ids, Some(types.clone()), Some(mask.clone())),
        }?;
        Ok(vec![last])
    }
}

/// A sequence-classification head, read from the first token's final state `H_0`.
enum Head {
    /// BERT: `classifier(pooler(H_0))`.
    Bert(Linear),
    /// DistilBERT: `classifier(relu(pre_classifier(H_0)))`.
    DistilBert { pre: Linear, out: Linear },
    /// RoBERTa: `out_proj(tanh(dense(H_0)))`.
    Roberta { dense: Linear, out: Linear },
    /// ELECTRA: `out_proj(gelu(dense(H_0)))` (exact GELU, whatever `hidden_act` says).
    Electra { dense: Linear, out: Linear },
    /// DeBERTa-v2: `classifier(act(pooler.dense(H_0)))`, `act` exact GELU or its tanh
    /// approximation.
    Deberta {
        dense: Linear,
        out: Linear,
        tanh_gelu: bool,
    },
}

impl Head {
    fn num_classes(&self) -> usize {
        match self {
            Head::Bert(l)
            | Head::DistilBert { out: l, .. }
            | Head::Roberta { out: l, .. }
            | Head::Electra { out: l, .. }
            | Head::Deberta { out: l, .. } => l.weight().dims()[0],
        }
    }
}

/// A loaded BERT-family encoder with its tokenizer.
pub struct TextEncoder {
    dir: PathBuf,
    tokenizer: TextTokenizer,
    model: Backbone,
    pooler: Option<Linear>,
    classifier: Option<Head>,
    pooling: Pooling,
    normalize: bool,
    hidden_size: usize,
    layers: Layers,
}

pub use crate::config::TEXT_MODEL_TYPES;

/// What the loader needs to know of a family's configuration.
struct Shape {
    hidden: usize,
    heads: usize,
    max_positions: usize,
    pad_id: usize,
    /// Token types embedded (0: none; the RoBERTa family's single type counts as none).
    token_types: usize,
}

/// A family's parsed configuration.
enum Parsed {
    Bert(BertConfig),
    DistilBert(distilbert::Config),
    Roberta(RobertaConfig),
    Electra(BertConfig, electra::Extra),
    Albert(albert::Config),
    DebertaV2(Box<DebertaConfig>),
}

impl Parsed {
    /// Reads `config.json` as `family`'s configuration and checks what the loaders cannot.
    fn read(dir: &ModelDir, family: Family) -> Result<(Self, Shape)> {
        let invalid = |message: String| FeaturesError::InvalidConfig {
            path: dir.path().join("config.json"),
            message,
        };
        let bert_shape = |c: &BertConfig| Shape {
            hidden: c.hidden_size,
            heads: c.num_attention_heads,
            max_positions: c.max_position_embeddings,
            pad_id: c.pad_token_id,
            token_types: c.type_vocab_size,
        };
        Ok(match family {
            Family::Roberta => {
                let c = roberta_config(dir)?;
                // Positions start at pad_token_id + 1, so that many rows of the table are unused.
                let offset = c.pad_token_id as usize + 1;
                let shape = Shape {
                    hidden: c.hidden_size,
                    heads: c.num_attention_heads,
                    max_positions: c.max_position_embeddings.saturating_sub(offset),
                    pad_id: c.pad_token_id as usize,
                    token_types: 0,
                };
                (Parsed::Roberta(c), shape)
            }
            Family::DistilBert => {
                let c: distilbert::Config = dir.typed_config()?;
                if c.activation != "gelu" && c.activation != "relu" {
                    return Err(invalid(format!(
                        "activation {:?} is not supported (gelu or relu)",
                        c.activation
                    )));
                }
                let shape = Shape {
                    hidden: c.dim,
                    heads: c.n_heads,
                    max_positions: c.max_position_embeddings,
                    pad_id: c.pad_token_id,
                    token_types: 0,
                };
                (Parsed::DistilBert(c), shape)
            }
            Family::Bert => {
                let c: BertConfig = dir.typed_config()?;
                let shape = bert_shape(&c);
                (Parsed::Bert(c), shape)
            }
            Family::Electra => {
                let c: BertConfig = dir.typed_config()?;
                let extra: electra::Extra = dir.typed_config()?;
                let shape = bert_shape(&c);
                (Parsed::Electra(c, extra), shape)
            }
            Family::Albert => {
                let c: albert::Config = dir.typed_config()?;
                if let Some(problem) = c.problem() {
                    return Err(invalid(problem));
                }
                let shape = Shape {
                    hidden: c.hidden_size,
                    heads: c.num_attention_heads,
                    max_positions: c.max_position_embeddings,
                    pad_id: c.pad_token_id,
                    token_types: c.type_vocab_size,
                };
                (Parsed::Albert(c), shape)
            }
            Family::DebertaV2 => {
                let c: DebertaConfig = dir.typed_config()?;
                let problem = if !c.relative_attention {
                    Some("relative_attention false (DeBERTa-v2 checkpoints attend relatively)")
                } else if c.conv_kernel_size.unwrap_or(0) > 0 {
                    Some("conv_kernel_size > 0 (the convolution branch of DeBERTa-v2-xlarge)")
                } else if c.embedding_size.is_some_and(|e| e != c.hidden_size) {
                    Some("embedding_size different from hidden_size")
                } else {
                    None
                };
                if let Some(p) = problem {
                    return Err(invalid(format!("{p} is not supported")));
                }
                let shape = Shape {
                    hidden: c.hidden_size,
                    heads: c.num_attention_heads,
                    max_positions: c.max_position_embeddings,
                    pad_id: c.pad_token_id.unwrap_or(0),
                    token_types: c.type_vocab_size,
                };
                (Parsed::DebertaV2(Box::new(c)), shape)
            }
        })
    }
}

impl TextEncoder {
    /// Loads the encoder, its tokenizer, the pooling and the optional classifier head.
    ///
    /// # Errors
    /// Missing `config.json`/weights/tokenizer files, a `model_type` other than
    /// [`TEXT_MODEL_TYPES`], missing tensors or shapes that disagree with `config.json`.
    pub fn load(dir: &ModelDir, options: &TextOptions) -> Result<Self> {
        Self::load_layers(dir, options, Layers::Last)
    }

    /// [`TextEncoder::load`] with features from the hidden layers `layers` says.
    ///
    /// # Errors
    /// Those of [`TextEncoder::load`]; [`FeaturesError::LayersUnsupported`] for `mean`/`best`
    /// with RoBERTa, XLM-RoBERTa, CamemBERT or DeBERTa-v2 (candle-transformers' modules run
    /// their layers in a private loop) or with the pooler as pooling (trained on the last
    /// layer's `[CLS]` only).
    pub fn load_layers(dir: &ModelDir, options: &TextOptions, layers: Layers) -> Result<Self> {
        let (mt, family) = Family::of_dir(dir)?;
        let refuse = |family: String, reason: &'static str| FeaturesError::LayersUnsupported {
            dir: dir.path().to_path_buf(),
            layers,
            family,
            reason,
        };
        if layers.needs_every_layer() && matches!(family, Family::Roberta | Family::DebertaV2) {
            return Err(refuse(
                mt.to_string(),
                "candle-transformers runs these layers in a private loop, so their outputs cannot be read",
            ));
        }
        let (parsed, shape) = Parsed::read(dir, family)?;
        if shape.heads == 0 || !shape.hidden.is_multiple_of(shape.heads) {
            return Err(FeaturesError::InvalidConfig {
                path: dir.path().join("config.json"),
                message: format!(
                    "hidden size {} is not a multiple of the number of attention heads {}",
                    shape.hidden, shape.heads
                ),
            });
        }
        let weights = dir.load_weights()?;
        let wrap = |e| FeaturesError::from_weights(dir.path(), e);
        let base = family.prefix();
        let prefix = if weights.has_prefix(base) {
            format!("{base}.")
        } else {
            String::new()
        };
        let vb = if prefix.is_empty() {
            weights.vb.clone()
        } else {
            weights.vb.pp(base)
        };
        let h = shape.hidden;
        let model = match &parsed {
            Parsed::Bert(c) if layers.needs_every_layer() => Backbone::Electra(
                Electra::load(
                    c,
                    &electra::Extra {
                        embedding_size: None,
                    },
                    vb.clone(),
                )
                .map_err(wrap)?,
            ),
            Parsed::Bert(c) => Backbone::Bert(BertModel::load(vb.clone(), c).map_err(wrap)?),
            Parsed::DistilBert(c) => {
                Backbone::DistilBert(DistilBert::load(c, vb.clone()).map_err(wrap)?)
            }
            Parsed::Roberta(c) => {
                Backbone::Roberta(XLMRobertaModel::new(c, vb.clone()).map_err(wrap)?)
            }
            Parsed::Electra(c, extra) => {
                Backbone::Electra(Electra::load(c, extra, vb.clone()).map_err(wrap)?)
            }
            Parsed::Albert(c) => Backbone::Albert(Albert::load(c, vb.clone()).map_err(wrap)?),
            Parsed::DebertaV2(c) => {
                Backbone::DebertaV2(Box::new(DebertaV2Model::load(vb.clone(), c).map_err(wrap)?))
            }
        };
        let pooler_name = family.pooler_name();
        let pooler = if weights.has(&format!("{prefix}{pooler_name}.weight")) {
            Some(candle_nn::linear(h, h, vb.pp(pooler_name)).map_err(wrap)?)
        } else {
            None
        };
        let two_layer = |first: &str, out: &str| load_two_layer_head(dir, &weights, h, first, out);
        let classifier = match family {
            Family::DistilBert => two_layer("pre_classifier", "classifier")?
                .map(|(pre, out)| Head::DistilBert { pre, out }),
            Family::Roberta => two_layer("classifier.dense", "classifier.out_proj")?
                .map(|(dense, out)| Head::Roberta { dense, out }),
            Family::Electra => two_layer("classifier.dense", "classifier.out_proj")?
                .map(|(dense, out)| Head::Electra { dense, out }),
            Family::Bert | Family::Albert => {
                load_classifier(dir, &weights, h, "classifier")?.map(Head::Bert)
            }
            Family::DebertaV2 => two_layer("pooler.dense", "classifier")?.map(|(dense, out)| {
                let tanh_gelu = matches!(
                    &parsed,
                    Parsed::DebertaV2(c) if c.pooler_hidden_act == Some(DebertaAct::GeluApproximate)
                );
                Head::Deberta {
                    dense,
                    out,
                    tanh_gelu,
                }
            }),
        };
        let (st_pooling, normalize) = sentence_transformers_pooling(dir)?;
        let pooling = match options.pooling.or(st_pooling) {
            Some(p) => p,
            // BERT's and ALBERT's sequence classifiers read the pooler; RoBERTa and ELECTRA
            // (trained without a next-sentence task) classify from H_0 through their own heads,
            // so a pooler that such a checkpoint happens to carry is not its feature.
            None if pooler.is_some() && matches!(family, Family::Bert | Family::Albert) => {
                Pooling::Pooler
            }
            None => Pooling::Cls,
        };
        if pooling == Pooling::Pooler && pooler.is_none() {
            return Err(FeaturesError::MissingTensor {
                dir: dir.path().to_path_buf(),
                tensor: format!("{prefix}{pooler_name}.weight"),
            });
        }
        if layers.needs_every_layer() && pooling == Pooling::Pooler {
            return Err(refuse(
                format!("{mt} (pooling: pooler)"),
                "the pooler is trained on the last layer's [CLS] only; pass --pooling cls or --pooling mean",
            ));
        }
        if matches!(classifier, Some(Head::Bert(_))) && pooler.is_none() {
            return Err(FeaturesError::MissingTensor {
                dir: dir.path().to_path_buf(),
                tensor: format!("{prefix}{pooler_name}.weight (the classifier reads the pooler)"),
            });
        }
        let tokenizer = TextTokenizer::for_shape(dir, options, &shape, mt)?;
        Ok(Self {
            dir: dir.path().to_path_buf(),
            tokenizer,
            model,
            pooler,
            classifier,
            pooling,
            normalize,
            hidden_size: h,
            layers,
        })
    }

    /// Which hidden layers the features come from.
    pub fn layers(&self) -> Layers {
        self.layers
    }

    /// The model directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The pooling in use.
    pub fn pooling(&self) -> Pooling {
        self.pooling
    }

    /// Whether features are L2-normalised (sentence-transformers `Normalize` module).
    pub fn normalizes(&self) -> bool {
        self.normalize
    }

    /// Feature dimension.
    pub fn feature_dim(&self) -> usize {
        self.hidden_size
    }

    /// Number of classes of the classifier head, if the checkpoint has one.
    pub fn num_classes(&self) -> Option<usize> {
        self.classifier.as_ref().map(Head::num_classes)
    }

    /// The tokenizer file in use.
    pub fn tokenizer_path(&self) -> &Path {
        self.tokenizer.path()
    }

    /// Token ids of each text (with special tokens, truncated, not padded).
    ///
    /// # Errors
    /// [`FeaturesError::Tokenizer`] when a text cannot be encoded.
    pub fn token_ids(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        self.tokenizer.token_ids(texts)
    }

    /// Token ids and token types of each input (with special tokens, truncated, not padded).
    ///
    /// # Errors
    /// [`FeaturesError::Tokenizer`] when the tokenizer fails, or gives a token type the
    /// model's embeddings do not have.
    pub fn encode(&self, inputs: &[TextInput]) -> Result<Vec<(Vec<u32>, Vec<u32>)>> {
        self.tokenizer.encode(inputs)
    }

    /// Features `(texts.len(), feature_dim)` and, with a classifier head, probabilities
    /// `(texts.len(), num_classes)`, row-major.
    pub fn forward(&self, texts: &[&str]) -> Result<crate::Extracted> {
        let inputs: Vec<TextInput> = texts.iter().map(|t| TextInput::Single(t)).collect();
        self.forward_inputs(&inputs)
    }

    /// [`TextEncoder::forward`] of texts or pairs of texts.
    pub fn forward_inputs(&self, inputs: &[TextInput]) -> Result<crate::Extracted> {
        if inputs.is_empty() {
            return Ok(crate::Extracted::empty(
                self.hidden_size,
                self.num_classes(),
            ));
        }
        let encoded = self.encode(inputs)?;
        let len = encoded.iter().map(|e| e.0.len()).max().unwrap_or(1).max(1);
        let b = encoded.len();
        let mut flat = vec![0u32; b * len];
        let mut types = vec![0u32; b * len];
        let mut mask = vec![0u32; b * len];
        for (i, (ids, tt)) in encoded.iter().enumerate() {
            flat[i * len..i * len + ids.len()].copy_from_slice(ids);
            types[i * len..i * len + tt.len()].copy_from_slice(tt);
            mask[i * len..i * len + ids.len()].fill(1);
        }
        let dev = Device::Cpu;
        let input = Tensor::from_vec(flat, (b, len), &dev)?;
        let types = Tensor::from_vec(types, (b, len), &dev)?;
        let mask = Tensor::from_vec(mask, (b, len), &dev)?;
        // Each (b, len, h); one, or one per layer with `mean`/`best`.
        let states = self
            .model
            .forward(&input, &types, &mask, self.layers.needs_every_layer())?;
        let hidden = states
            .last()
            .ok_or_else(|| FeaturesError::InvalidArgument("the model has no layer".into()))?;
        let cls = hidden.narrow(1, 0, 1)?.squeeze(1)?;
        let pooled_head = match &self.pooler {
            Some(p) => Some(p.forward(&cls)?.tanh()?),
            None => None,
        };
        let maskf = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (b, len, 1)
        let per_layer = states
            .iter()
            .map(|h| self.pool(h, &maskf, pooled_head.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        let logits = match (&self.classifier, &pooled_head) {
            (Some(Head::Bert(c)), Some(p)) => Some(c.forward(p)?),
            (Some(Head::DistilBert { pre, out }), _) => {
                Some(out.forward(&pre.forward(&cls)?.relu()?)?)
            }
            (Some(Head::Roberta { dense, out }), _) => {
                Some(out.forward(&dense.forward(&cls)?.tanh()?)?)
            }
            (Some(Head::Electra { dense, out }), _) => {
                Some(out.forward(&dense.forward(&cls)?.gelu_erf()?)?)
            }
            (
                Some(Head::Deberta {
                    dense,
                    out,
                    tanh_gelu,
                }),
                _,
            ) => {
                let z = dense.forward(&cls)?;
                let a = if *tanh_gelu { z.gelu()? } else { z.gelu_erf()? };
                Some(out.forward(&a)?)
            }
            _ => None,
        };
        let probabilities = match logits {
            Some(l) => Some(candle_nn::ops::softmax_last_dim(&l)?),
            None => None,
        };
        crate::Extracted::from_layers(&self.dir, self.layers, &per_layer, probabilities.as_ref())
    }

    /// The sentence features `(b, h)` of one layer's hidden states `hidden` `(b, len, h)`
    /// under the mask `maskf` `(b, len, 1)`: the encoder's pooling, then the L2 normalisation
    /// when the checkpoint asks for it. `pooled_head` is the pooler's output, the feature of
    /// [`Pooling::Pooler`] (only ever asked for the last layer).
    fn pool(
        &self,
        hidden: &Tensor,
        maskf: &Tensor,
        pooled_head: Option<&Tensor>,
    ) -> Result<Tensor> {
        let counts = maskf.sum(1)?; // (b, 1)
        let features = match self.pooling {
            Pooling::Mean => hidden
                .broadcast_mul(maskf)?
                .sum(1)?
                .broadcast_div(&counts)?,
            Pooling::MeanSqrtLen => hidden
                .broadcast_mul(maskf)?
                .sum(1)?
                .broadcast_div(&counts.sqrt()?)?,
            Pooling::Max => {
                // Padded positions get -inf-like values so they never win.
                let neg = ((maskf.ones_like()? - maskf)? * -1e30)?;
                hidden.broadcast_add(&neg)?.max(1)?
            }
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
            Pooling::Pooler => {
                pooled_head
                    .cloned()
                    .ok_or_else(|| FeaturesError::MissingTensor {
                        dir: self.dir.clone(),
                        tensor: "pooler.dense.weight".into(),
                    })?
            }
        };
        let features = if self.normalize {
            let norm = features
                .sqr()?
                .sum_keepdim(D::Minus1)?
                .sqrt()?
                .clamp(1e-12, f64::MAX)?;
            features.broadcast_div(&norm)?
        } else {
            features
        };
        Ok(features)
    }
}

/// A RoBERTa `config.json` as candle's `xlm_roberta::Config`, with the defaults of Hugging
/// Face's `RobertaConfig` for the fields a checkpoint may omit.
fn roberta_config(dir: &ModelDir) -> Result<RobertaConfig> {
    let mut v = dir.config().clone();
    let defaults = [
        ("hidden_act", serde_json::json!("gelu")),
        ("layer_norm_eps", serde_json::json!(1e-12)),
        ("attention_probs_dropout_prob", serde_json::json!(0.1)),
        ("hidden_dropout_prob", serde_json::json!(0.1)),
        ("position_embedding_type", serde_json::json!("absolute")),
        ("type_vocab_size", serde_json::json!(2)),
        ("pad_token_id", serde_json::json!(1)),
    ];
    if let Some(obj) = v.as_object_mut() {
        for (k, d) in defaults {
            if obj.get(k).is_none_or(serde_json::Value::is_null) {
                obj.insert(k.to_string(), d);
            }
        }
    }
    let path = dir.path().join("config.json");
    let c: RobertaConfig = serde_json::from_value(v).map_err(|e| FeaturesError::InvalidConfig {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if c.position_embedding_type != "absolute" {
        return Err(FeaturesError::InvalidConfig {
            path,
            message: format!(
                "position_embedding_type {:?} is not supported (absolute only)",
                c.position_embedding_type
            ),
        });
    }
    Ok(c)
}

/// Loads `<name>.{weight,bias}` when present (its row count is the number of classes).
pub(crate) fn load_classifier(
    dir: &ModelDir,
    weights: &Weights,
    in_dim: usize,
    name: &str,
) -> Result<Option<Linear>> {
    let wname = format!("{name}.weight");
    if !weights.has(&wname) {
        return Ok(None);
    }
    let w = weights
        .vb
        .get_unchecked(&wname)
        .map_err(|e| FeaturesError::from_weights(dir.path(), e))?;
    let dims = w.dims().to_vec();
    if dims.len() != 2 || dims[1] != in_dim {
        return Err(FeaturesError::ShapeMismatch {
            dir: dir.path().to_path_buf(),
            tensor: wname,
            expected: vec![dims.first().copied().unwrap_or(0), in_dim],
            got: dims,
        });
    }
    let b = weights
        .vb
        .get(dims[0], &format!("{name}.bias"))
        .map_err(|e| FeaturesError::from_weights(dir.path(), e))?;
    Ok(Some(Linear::new(w, Some(b))))
}

/// A classifier head of two layers, `first` (`h × h`, DistilBERT's `pre_classifier`, RoBERTa's
/// `classifier.dense`) feeding `out`; `None` when the checkpoint has no `out`. An `out` without
/// its `first`, or a `first` of another width, is a broken checkpoint: named, not guessed.
fn load_two_layer_head(
    dir: &ModelDir,
    weights: &Weights,
    h: usize,
    first: &str,
    out: &str,
) -> Result<Option<(Linear, Linear)>> {
    let Some(out) = load_classifier(dir, weights, h, out)? else {
        return Ok(None);
    };
    let layer =
        load_classifier(dir, weights, h, first)?.ok_or_else(|| FeaturesError::MissingTensor {
            dir: dir.path().to_path_buf(),
            tensor: format!("{first}.weight (the classifier reads it)"),
        })?;
    if layer.weight().dims()[0] != h {
        return Err(FeaturesError::ShapeMismatch {
            dir: dir.path().to_path_buf(),
            tensor: format!("{first}.weight"),
            expected: vec![h, h],
            got: layer.weight().dims().to_vec(),
        });
    }
    Ok(Some((layer, out)))
}

/// Reads sentence-transformers' `modules.json` (pooling and normalisation), if any.
fn sentence_transformers_pooling(dir: &ModelDir) -> Result<(Option<Pooling>, bool)> {
    let Some(modules) = dir.optional_json("modules.json")? else {
        return Ok((None, false));
    };
    let list = modules.as_array().cloned().unwrap_or_default();
    let mut pooling = None;
    let mut normalize = false;
    for m in list {
        let kind = m.get("type").and_then(|t| t.as_str()).unwrap_or("");
        let sub = m.get("path").and_then(|t| t.as_str()).unwrap_or("");
        if kind.ends_with(".Pooling") {
            let cfg = dir
                .optional_json(&format!("{sub}/config.json"))?
                .unwrap_or(serde_json::Value::Null);
            let on = |k: &str| cfg.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
            pooling = Some(if on("pooling_mode_cls_token") {
                Pooling::Cls
            } else if on("pooling_mode_max_tokens") {
                Pooling::Max
            } else if on("pooling_mode_mean_sqrt_len_tokens") {
                Pooling::MeanSqrtLen
            } else {
                // sentence-transformers' default pooling is the mean.
                Pooling::Mean
            });
        } else if kind.ends_with(".Normalize") {
            normalize = true;
        }
    }
    Ok((pooling, normalize))
}

/// A text model's tokenizer on its own, read and set up (truncation, padding id) exactly as
/// [`TextEncoder::load`] does, without loading the weights: all that tokenising needs.
pub struct TextTokenizer {
    tokenizer: Tokenizer,
    path: PathBuf,
    /// Number of token types the embeddings know; 0 when the model takes none (its inputs'
    /// token types are not checked).
    token_types: usize,
}

impl TextTokenizer {
    /// Reads `dir`'s configuration (for the length limit, the padding id and the token types)
    /// and its tokenizer.
    ///
    /// # Errors
    /// A configuration [`TextEncoder::load`] refuses, a missing tokenizer file, or one the
    /// tokenizers library cannot read ([`FeaturesError::Tokenizer`], naming the file).
    pub fn load(dir: &ModelDir, options: &TextOptions) -> Result<Self> {
        let (mt, family) = Family::of_dir(dir)?;
        let (_, shape) = Parsed::read(dir, family)?;
        Self::for_shape(dir, options, &shape, mt)
    }

    fn for_shape(dir: &ModelDir, options: &TextOptions, shape: &Shape, mt: &str) -> Result<Self> {
        if SENTENCEPIECE_TYPES.contains(&mt)
            && (options.tokenizer == TokenizerSource::VocabTxt
                || !dir.path().join("tokenizer.json").is_file())
        {
            return Err(FeaturesError::MissingFile {
                dir: dir.path().to_path_buf(),
                what: format!(
                    "tokenizer.json ({mt}'s SentencePiece model file is not read; a fast \
                     tokenizer saved with Hugging Face transformers writes tokenizer.json)"
                ),
            });
        }
        let max_length = match options.max_length {
            Some(0) => {
                return Err(FeaturesError::InvalidArgument(
                    "max_length must be at least 1".into(),
                ))
            }
            Some(n) => n.min(shape.max_positions.max(1)),
            None => default_max_length(dir, shape.max_positions)?,
        };
        let (tokenizer, path) = load_tokenizer(
            dir,
            options.tokenizer,
            max_length,
            shape.pad_id,
            mt == "roberta",
        )?;
        Ok(Self {
            tokenizer,
            path,
            token_types: shape.token_types,
        })
    }

    /// The tokenizer file in use.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Token ids of each text (with special tokens, truncated, not padded).
    ///
    /// # Errors
    /// [`FeaturesError::Tokenizer`] when a text cannot be encoded, a panic of the tokenizers
    /// library included.
    pub fn token_ids(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        let inputs: Vec<TextInput> = texts.iter().map(|t| TextInput::Single(t)).collect();
        Ok(self
            .encode(&inputs)?
            .into_iter()
            .map(|(ids, _)| ids)
            .collect())
    }

    /// Token ids and token types of each input (with special tokens, truncated, not padded).
    ///
    /// # Errors
    /// [`FeaturesError::Tokenizer`] when the tokenizer fails (a panic of the tokenizers
    /// library included), or gives a token type the model's embeddings do not have.
    pub fn encode(&self, inputs: &[TextInput]) -> Result<Vec<(Vec<u32>, Vec<u32>)>> {
        let mut out = Vec::with_capacity(inputs.len());
        for &input in inputs {
            let enc = without_panics(|| self.tokenizer.encode(input, true))
                .map_err(|p| {
                    self.err(format!(
                        "encoding {input:?} panicked in the tokenizers library: {p}"
                    ))
                })?
                .map_err(|e| self.err(e.to_string()))?;
            let n = enc.get_attention_mask().iter().filter(|&&m| m == 1).count();
            let types = &enc.get_type_ids()[..n];
            if self.token_types > 0 {
                if let Some(t) = types.iter().find(|&&t| t as usize >= self.token_types) {
                    return Err(self.err(format!(
                        "token type {t} is beyond the model's {} token types",
                        self.token_types
                    )));
                }
            }
            out.push((enc.get_ids()[..n].to_vec(), types.to_vec()));
        }
        Ok(out)
    }

    fn err(&self, message: String) -> FeaturesError {
        FeaturesError::Tokenizer {
            path: self.path.clone(),
            message,
        }
    }
}

/// sentence-transformers' `max_seq_length`, else the tokenizer's `model_max_length`, capped by
/// the position table.
fn default_max_length(dir: &ModelDir, max_positions: usize) -> Result<usize> {
    let st = dir
        .optional_json("sentence_bert_config.json")?
        .and_then(|v| v.get("max_seq_length").and_then(|x| x.as_u64()));
    let tc = dir
        .optional_json("tokenizer_config.json")?
        .and_then(|v| v.get("model_max_length").and_then(|x| x.as_u64()));
    let n = st.or(tc).map(|n| n as usize).unwrap_or(max_positions);
    Ok(n.clamp(1, max_positions.max(1)))
}

fn load_tokenizer(
    dir: &ModelDir,
    source: TokenizerSource,
    max_length: usize,
    pad_id: usize,
    byte_level_bpe: bool,
) -> Result<(Tokenizer, PathBuf)> {
    let json = dir.path().join("tokenizer.json");
    let use_json = match source {
        TokenizerSource::Auto => json.is_file(),
        TokenizerSource::TokenizerJson => true,
        TokenizerSource::VocabTxt => false,
    };
    // The files named by `source`, or any tokenizer when `source` named none.
    let missing = |named: &str, any: &str| FeaturesError::MissingFile {
        dir: dir.path().to_path_buf(),
        what: if source == TokenizerSource::Auto {
            any
        } else {
            named
        }
        .into(),
    };
    let (mut tok, path) = if use_json {
        if !json.is_file() {
            return Err(missing("tokenizer.json", "tokenizer.json"));
        }
        (tokenizer_from_json(&json)?, json)
    } else if byte_level_bpe {
        let (vocab, merges) = (dir.path().join("vocab.json"), dir.path().join("merges.txt"));
        if !vocab.is_file() || !merges.is_file() {
            return Err(missing(
                "vocab.json and merges.txt",
                "tokenizer (tokenizer.json, or vocab.json and merges.txt)",
            ));
        }
        (byte_level_bpe_from_files(dir, &vocab, &merges)?, vocab)
    } else {
        let vocab = dir.path().join("vocab.txt");
        if !vocab.is_file() {
            return Err(missing(
                "vocab.txt",
                "tokenizer (tokenizer.json or vocab.txt)",
            ));
        }
        (wordpiece_from_vocab(dir, &vocab)?, vocab)
    };
    let err = |e: tokenizers::Error| FeaturesError::Tokenizer {
        path: path.clone(),
        message: e.to_string(),
    };
    tok.with_truncation(Some(TruncationParams {
        max_length,
        ..Default::default()
    }))
    .map_err(err)?;
    let pad_token = tok
        .id_to_token(pad_id as u32)
        .unwrap_or_else(|| "[PAD]".to_string());
    tok.with_padding(Some(PaddingParams {
        strategy: PaddingStrategy::BatchLongest,
        pad_id: pad_id as u32,
        pad_token,
        ..Default::default()
    }));
    Ok((tok, path))
}

/// A tokenizer's `tokenizer_config.json` (`Null` when the directory has none): the casing
/// flags and special tokens the tokenizers built from vocabulary files read.
struct TokenizerConfig(serde_json::Value);

impl TokenizerConfig {
    fn read(dir: &ModelDir) -> Result<Self> {
        Ok(Self(
            dir.optional_json("tokenizer_config.json")?
                .unwrap_or(serde_json::Value::Null),
        ))
    }

    /// The boolean `key`, when set.
    fn flag(&self, key: &str) -> Option<bool> {
        self.0.get(key).and_then(|v| v.as_bool())
    }

    /// The special token `key` given as a plain string, else `default`.
    fn token(&self, key: &str, default: &str) -> String {
        self.0
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or(default)
            .to_string()
    }

    /// The special token `key` given as a plain string or as an AddedToken object
    /// (`{"content": ...}`, as byte-level BPE tokenizers save them), else `default`.
    fn added_token(&self, key: &str, default: &str) -> String {
        let v = self.0.get(key);
        v.and_then(|v| v.as_str())
            .or_else(|| v.and_then(|v| v.get("content")).and_then(|c| c.as_str()))
            .unwrap_or(default)
            .to_string()
    }
}

/// A tokenizer around `model` and the ids of its special `tokens`, each of which must be in the
/// vocabulary (read from `vocab`, the file errors name).
fn tokenizer_with_specials<const N: usize>(
    model: impl Into<ModelWrapper>,
    vocab: &Path,
    tokens: [&str; N],
) -> Result<(Tokenizer, [u32; N])> {
    let tok = Tokenizer::new(model);
    let mut ids = [0; N];
    for (id, t) in ids.iter_mut().zip(tokens) {
        *id = tok.token_to_id(t).ok_or_else(|| FeaturesError::Tokenizer {
            path: vocab.to_path_buf(),
            message: format!("special token {t} is not in the vocabulary"),
        })?;
    }
    Ok((tok, ids))
}

/// Builds RoBERTa's tokenizer from `vocab.json` + `merges.txt`: byte-level pre-tokenisation
/// (GPT-2's regex, no prefix space), BPE with the merges in rank order, `<s> … </s>` around each
/// text (special tokens from `tokenizer_config.json` when it names them).
fn byte_level_bpe_from_files(dir: &ModelDir, vocab: &Path, merges: &Path) -> Result<Tokenizer> {
    let err = |message: String| FeaturesError::Tokenizer {
        path: vocab.to_path_buf(),
        message,
    };
    let cfg = TokenizerConfig::read(dir)?;
    let (bos, eos, unk) = (
        cfg.added_token("bos_token", "<s>"),
        cfg.added_token("eos_token", "</s>"),
        cfg.added_token("unk_token", "<unk>"),
    );
    let prefix_space = cfg.flag("add_prefix_space").unwrap_or(false);
    let (Some(v), Some(m)) = (vocab.to_str(), merges.to_str()) else {
        return Err(err("path is not valid UTF-8".into()));
    };
    let model = BPE::from_file(v, m)
        .unk_token(unk)
        .build()
        .map_err(|e| err(e.to_string()))?;
    let (mut tok, [bos_id, eos_id]) = tokenizer_with_specials(model, vocab, [&bos, &eos])?;
    tok.with_pre_tokenizer(Some(ByteLevel::new(prefix_space, true, true)));
    tok.with_post_processor(Some(
        RobertaProcessing::new((eos, eos_id), (bos, bos_id))
            .trim_offsets(true)
            .add_prefix_space(prefix_space),
    ));
    tok.with_decoder(Some(ByteLevel::default()));
    Ok(tok)
}

/// Builds BERT's WordPiece tokenizer from `vocab.txt` (and `tokenizer_config.json` for casing).
fn wordpiece_from_vocab(dir: &ModelDir, vocab: &Path) -> Result<Tokenizer> {
    let err = |message: String| FeaturesError::Tokenizer {
        path: vocab.to_path_buf(),
        message,
    };
    let cfg = TokenizerConfig::read(dir)?;
    let lowercase = cfg.flag("do_lower_case").unwrap_or(true);
    let strip_accents = cfg.flag("strip_accents");
    let chinese = cfg.flag("tokenize_chinese_chars").unwrap_or(true);
    let (unk, cls, sep) = (
        cfg.token("unk_token", "[UNK]"),
        cfg.token("cls_token", "[CLS]"),
        cfg.token("sep_token", "[SEP]"),
    );
    let vocab_str = vocab
        .to_str()
        .ok_or_else(|| err("path is not valid UTF-8".into()))?;
    let model = WordPiece::from_file(vocab_str)
        .unk_token(unk.clone())
        .build()
        .map_err(|e| err(e.to_string()))?;
    let (mut tok, [cls_id, sep_id, _]) = tokenizer_with_specials(model, vocab, [&cls, &sep, &unk])?;
    tok.with_normalizer(Some(BertNormalizer::new(
        true,
        chinese,
        strip_accents,
        lowercase,
    )))
    .map_err(|e| err(e.to_string()))?;
    tok.with_pre_tokenizer(Some(BertPreTokenizer));
    tok.with_post_processor(Some(BertProcessing::new((sep, sep_id), (cls, cls_id))));
    tok.with_decoder(Some(WordPieceDecoder::default()));
    Ok(tok)
}

/// Reads `tokenizer.json`. The file is checked to be JSON first: the tokenizers library panics,
/// instead of failing, on a syntax error inside some sections (`decoder`), and on a few
/// well-formed but invalid ones (a `Precompiled` normalizer without its charsmap), so the
/// deserialisation itself runs under [`without_panics`].
fn tokenizer_from_json(json: &Path) -> Result<Tokenizer> {
    let err = |message: String| FeaturesError::Tokenizer {
        path: json.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(json).map_err(|e| FeaturesError::io(json, e))?;
    serde_json::from_slice::<serde::de::IgnoredAny>(&bytes)
        .map_err(|e| err(format!("not valid JSON: {e}")))?;
    without_panics(|| Tokenizer::from_bytes(&bytes))
        .map_err(|p| err(format!("the tokenizers library cannot read it ({p})")))?
        .map_err(|e| err(e.to_string()))
}

thread_local! {
    /// Set while [`without_panics`] runs its closure on this thread.
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic inside it into `Err` with the panic's message. Meant for calls into
/// the tokenizers library on outside files, which panics on some malformed ones: the caller makes
/// that an error naming the file. While `f` runs, the process's panic hook is not called for
/// panics on this thread (a wrapper around the hook, installed once, skips it), so no panic
/// message reaches the user for a failure that is reported as an error.
fn without_panics<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    static WRAP_HOOK: std::sync::Once = std::sync::Once::new();
    WRAP_HOOK.call_once(|| {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(std::cell::Cell::get) {
                hook(info);
            }
        }));
    });
    let outer = CATCHING.with(|c| c.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(outer));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_model_type_has_a_family_and_no_other_supported_type_has_one() {
        for t in crate::config::SUPPORTED_MODEL_TYPES {
            assert_eq!(Family::of(t).is_some(), TEXT_MODEL_TYPES.contains(t), "{t}");
        }
        assert_eq!(
            crate::config::SUPPORTED_MODEL_TYPES.len(),
            TEXT_MODEL_TYPES.len() + crate::vision::VISION_MODEL_TYPES.len()
        );
    }
}
