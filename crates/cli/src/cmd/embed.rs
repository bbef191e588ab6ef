//! `zoorank embed`: features of a local dataset from a local Hugging Face model directory.
//!
//! Extraction results are cached in the zoo store (`blobs` table) under a key made of the
//! model directory's and the dataset's content hashes and the sampling, so a second run with the
//! same inputs does no forward pass (`--no-cache` skips the store).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Serialize;
use zoorank_features::{
    extract_cached, CacheOutcome, Dataset, DatasetOptions, ExtractOptions, FeatureSet, Layers,
    LoadOptions, ModelDir, Pooling, TextOptions, TokenizerSource,
};
use zoorank_store::Store;

use crate::cmd::import::open_store;
use crate::global::Global;
use crate::output;

/// Tokenizer file choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenizerArg {
    /// tokenizer.json when present, else the vocabulary files.
    Auto,
    /// tokenizer.json.
    Json,
    /// Vocabulary files only, tokenizer built by zoorank: vocab.txt (WordPiece) or
    /// vocab.json + merges.txt (RoBERTa's byte-level BPE).
    Vocab,
}

/// Pooling override for text models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PoolingArg {
    /// Masked mean of the token states.
    Mean,
    /// Masked maximum.
    Max,
    /// The [CLS] token's state.
    Cls,
    /// BERT's pooler (tanh(dense(CLS))).
    Pooler,
}

/// Options shared by every command that runs a model over a dataset.
#[derive(Debug, Args, Clone)]
pub struct ExtractArgs {
    /// Samples per forward pass.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Use at most N samples (seeded, stratified by label).
    #[arg(long, value_name = "N")]
    pub max_samples: Option<usize>,
    /// Seed of the sampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Label column of CSV / JSON-lines datasets.
    #[arg(long, default_value = "label")]
    pub label_column: String,
    /// Text column of CSV / JSON-lines datasets (default: text, sentence, sentence1, content, review or question).
    #[arg(long)]
    pub text_column: Option<String>,
    /// Second text column of sentence-pair datasets, read with the text column as one input
    /// (default, when --text-column is not given: sentence1+sentence2, question1+question2,
    /// premise+hypothesis or question+sentence, whichever pair the table has first; name
    /// --text-column alone to read a single column of such a table).
    #[arg(long)]
    pub text_pair_column: Option<String>,
    /// Tokenizer file of text models.
    #[arg(long, value_enum, default_value_t = TokenizerArg::Auto)]
    pub tokenizer: TokenizerArg,
    /// Pooling of text models (default: as the model directory says).
    #[arg(long, value_enum)]
    pub pooling: Option<PoolingArg>,
    /// Do not read or write the feature cache in the store.
    #[arg(long)]
    pub no_cache: bool,
}

impl ExtractArgs {
    /// The library's extraction options (progress bar on).
    pub fn extract_options(&self) -> ExtractOptions {
        ExtractOptions {
            batch_size: self.batch_size,
            max_samples: self.max_samples,
            seed: self.seed,
            progress: true,
        }
    }

    /// The library's model-loading options with features from the hidden layers `layers`.
    pub fn load_options(&self, layers: Layers) -> LoadOptions {
        LoadOptions {
            layers,
            text: TextOptions {
                tokenizer: match self.tokenizer {
                    TokenizerArg::Auto => TokenizerSource::Auto,
                    TokenizerArg::Json => TokenizerSource::TokenizerJson,
                    TokenizerArg::Vocab => TokenizerSource::VocabTxt,
                },
                pooling: self.pooling.map(|p| match p {
                    PoolingArg::Mean => Pooling::Mean,
                    PoolingArg::Max => Pooling::Max,
                    PoolingArg::Cls => Pooling::Cls,
                    PoolingArg::Pooler => Pooling::Pooler,
                }),
                max_length: None,
            },
        }
    }

    /// The dataset reader's options.
    pub fn dataset_options(&self) -> DatasetOptions {
        DatasetOptions {
            label_column: Some(self.label_column.clone()),
            text_column: self.text_column.clone(),
            text_pair_column: self.text_pair_column.clone(),
        }
    }
}

/// `zoorank embed` arguments.
#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// Model directory in the Hugging Face layout (config.json, *.safetensors, tokenizer or
    /// preprocessor files).
    #[arg(long)]
    pub model: PathBuf,
    /// Dataset: a folder of class folders of images, a .csv/.tsv/.jsonl of texts with a label
    /// column, or .npy/.npz arrays.
    #[arg(long)]
    pub dataset: PathBuf,
    /// Write the features `(n_samples, n_features)` here as float32 .npy; labels go to
    /// `<stem>.labels.npy` and, for models with a classifier head, class probabilities to
    /// `<stem>.probs.npy`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
    /// Which hidden layers the features come from: `last` (the model's usual features) or
    /// `mean` (the mean over the transformer layers of each layer's output, pooled as the
    /// last one is). `best` needs a score to pick the layer: use it with `score` or
    /// `score-zoo`. Mean is supported for BERT, DistilBERT, ELECTRA, ALBERT, ViT, DeiT, BEiT and
    /// Data2Vec-vision; RoBERTa, XLM-R, CamemBERT, DeBERTa-v2, Swin, ResNet, ConvNeXt and VAN
    /// refuse it, as does the pooler as pooling.
    #[arg(long, value_name = "last|mean", default_value = "last")]
    pub layers: Layers,
    #[command(flatten)]
    pub extract: ExtractArgs,
}

/// The features a score is computed from: the dataset's name in the store, the hidden layers
/// and the extraction options (`score` in extraction mode, `score-zoo`, `jobs score-zoo`).
#[derive(Debug, Args)]
pub struct ScoredFeatureArgs {
    /// Dataset name in the store (default: the file or directory name without extension).
    #[arg(long)]
    pub name: Option<String>,
    /// Which hidden layers the features come from. `last`: the model's usual features.
    /// `mean`: the mean over the transformer layers of each layer's output, pooled as the last
    /// one is. `best`: every layer is scored with each feature method and the best kept (its
    /// layer, counted from 1, is the JSON's "layer"). Scores of mean and best are reported and
    /// stored as `<method>@mean` and `<method>@best`. Supported for BERT, DistilBERT, ELECTRA,
    /// ALBERT, ViT, DeiT, BEiT and Data2Vec-vision; models of the families that cannot give
    /// every layer (RoBERTa, XLM-R, CamemBERT, DeBERTa-v2, Swin, ResNet, ConvNeXt, VAN, or the
    /// pooler as pooling) fail with the reason (`score-zoo` scores the others).
    #[arg(long, value_name = "last|mean|best", default_value = "last")]
    pub layers: Layers,
    #[command(flatten)]
    pub extract: ExtractArgs,
}

/// Features of `dataset` by the model in `model` from the hidden layers `layers`, through the
/// store's cache unless disabled.
pub fn features_for(
    model: &Path,
    dataset: &Dataset,
    args: &ExtractArgs,
    layers: Layers,
    store: Option<&mut Store>,
) -> anyhow::Result<(FeatureSet, CacheOutcome)> {
    let dir =
        ModelDir::open(model).with_context(|| format!("opening model {}", model.display()))?;
    let load = args.load_options(layers);
    let opts = args.extract_options();
    let cache = store
        .filter(|_| !args.no_cache)
        .map(|s| s as &mut dyn zoorank_core::BlobCache);
    let r = extract_cached(&dir, &load, dataset, &opts, cache);
    r.with_context(|| {
        format!(
            "extracting features of {} with {}",
            dataset.path().display(),
            model.display()
        )
    })
}

/// Opens a dataset with the command's reader options.
pub fn open_dataset(path: &Path, args: &ExtractArgs) -> anyhow::Result<Dataset> {
    Dataset::open(path, &args.dataset_options())
        .with_context(|| format!("reading dataset {}", path.display()))
}

#[derive(Serialize)]
struct Summary {
    model: String,
    dataset: String,
    samples: usize,
    feature_dim: usize,
    classes: usize,
    head_classes: usize,
    layers: &'static str,
    cache: &'static str,
    seconds: f64,
    samples_per_second: f64,
    out: Option<String>,
}

/// Runs `zoorank embed`.
pub fn run(args: EmbedArgs, global: &Global) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.layers != Layers::Best,
        "embed --layers best has no score to choose a layer by: use `score` or `score-zoo` \
         with --layers best, or embed with --layers last or mean"
    );
    let started = Instant::now();
    let dataset = open_dataset(&args.dataset, &args.extract)?;
    let mut store = if args.extract.no_cache {
        None
    } else {
        Some(open_store(&global.db)?)
    };
    let (fs, outcome) = features_for(
        &args.model,
        &dataset,
        &args.extract,
        args.layers,
        store.as_mut(),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(out) = &args.out {
        let e = &fs.extracted;
        zoorank_features::extract::write_npy(out, e.n, e.dim, &e.features)
            .with_context(|| format!("writing {}", out.display()))?;
        let labels = sibling(out, "labels");
        zoorank_features::extract::write_labels_npy(&labels, &fs.labels)
            .with_context(|| format!("writing {}", labels.display()))?;
        if e.num_classes > 0 {
            let probs = sibling(out, "probs");
            zoorank_features::extract::write_npy(&probs, e.n, e.num_classes, &e.probabilities)
                .with_context(|| format!("writing {}", probs.display()))?;
        }
    }
    let s = Summary {
        model: args.model.display().to_string(),
        dataset: args.dataset.display().to_string(),
        samples: fs.extracted.n,
        feature_dim: fs.extracted.dim,
        classes: fs.class_names.len(),
        head_classes: fs.extracted.num_classes,
        layers: args.layers.id(),
        cache: match outcome {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Miss => "miss",
        },
        seconds,
        samples_per_second: fs.extracted.n as f64 / seconds.max(1e-9),
        out: args.out.as_ref().map(|p| p.display().to_string()),
    };
    if args.json {
        return output::print_json(&s);
    }
    output::println(format!(
        "{} samples × {} features ({} classes{}) in {:.2} s ({:.1} samples/s, cache {}){}",
        s.samples,
        s.feature_dim,
        s.classes,
        output::head_note(s.head_classes),
        s.seconds,
        s.samples_per_second,
        s.cache,
        s.out
            .as_ref()
            .map(|o| format!(" → {o}"))
            .unwrap_or_default()
    ))
}

/// `dir/stem.<what>.npy` beside `out`.
fn sibling(out: &Path, what: &str) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "features".into());
    out.with_file_name(format!("{stem}.{what}.npy"))
}
