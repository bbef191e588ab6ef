//! Streaming feature extraction over a dataset, with the feature cache.
//!
//! Samples are read, preprocessed and encoded `batch_size` at a time, so peak memory is the
//! model plus one batch of inputs plus the output matrix `(n_samples, n_features)` — never
//! all decoded images. With `max_samples` a seeded stratified subset is taken first
//! ([`crate::dataset::stratified_sample`]).

use std::io::IsTerminal;
use std::path::Path;

use npyz::WriterBuilder;

use crate::dataset::{stratified_sample, Batch, Dataset, Items};
use crate::error::{FeaturesError, Result};
use crate::{Extracted, InputKind, Layers, LoadOptions, Model, ModelDir, TextInput};
use zoorank_core::BlobCache;

/// Options of [`extract`].
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// Samples per forward pass (≥ 1).
    pub batch_size: usize,
    /// Keep at most this many samples (seeded, stratified by label).
    pub max_samples: Option<usize>,
    /// Seed of the sampling.
    pub seed: u64,
    /// Show a progress bar on standard error (only drawn when it is a terminal).
    pub progress: bool,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        Self {
            batch_size: 32,
            max_samples: None,
            seed: 0,
            progress: false,
        }
    }
}

/// Features of a dataset's (sampled) samples with their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSet {
    /// Features `(n, dim)` and class probabilities `(n, num_classes)` of the model's head.
    pub extracted: Extracted,
    /// Label of each row, in `0..class_names.len()`.
    pub labels: Vec<usize>,
    /// Class names of the dataset.
    pub class_names: Vec<String>,
    /// Index of each row in the dataset.
    pub indices: Vec<usize>,
}

impl FeatureSet {
    /// Serialises to bytes (a little-endian JSON header length, a JSON header, then `f32`s).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::json!({
            "format": "zoorank-features/1",
            "n": self.extracted.n,
            "dim": self.extracted.dim,
            "num_classes": self.extracted.num_classes,
            "labels": self.labels,
            "class_names": self.class_names,
            "indices": self.indices,
            "layers": self.extracted.layers.len(),
        })
        .to_string();
        let mut out = Vec::with_capacity(
            8 + header.len()
                + 4 * (self.extracted.features.len()
                    + self.extracted.probabilities.len()
                    + self.extracted.layers.iter().map(Vec::len).sum::<usize>()),
        );
        out.extend((header.len() as u64).to_le_bytes());
        out.extend(header.as_bytes());
        for v in self
            .extracted
            .features
            .iter()
            .chain(&self.extracted.probabilities)
            .chain(self.extracted.layers.iter().flatten())
        {
            out.extend(v.to_le_bytes());
        }
        out
    }

    /// Parses [`FeatureSet::to_bytes`]'s output. Per-layer features ([`crate::Layers::Best`])
    /// follow the probabilities, `layers × n × dim` values; an entry without a `layers` count
    /// (written before layers could be kept) has none.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad =
            |m: &str| FeaturesError::InvalidArgument(format!("corrupt feature cache entry: {m}"));
        if bytes.len() < 8 {
            return Err(bad("too short"));
        }
        let hl = u64::from_le_bytes(bytes[..8].try_into().map_err(|_| bad("header"))?) as usize;
        let body = bytes.get(8..8 + hl).ok_or_else(|| bad("header length"))?;
        let h: serde_json::Value = serde_json::from_slice(body).map_err(|_| bad("header JSON"))?;
        if h["format"] != "zoorank-features/1" {
            return Err(bad("format"));
        }
        let us = |k: &str| h[k].as_u64().map(|v| v as usize).ok_or_else(|| bad(k));
        let (n, dim, nc) = (us("n")?, us("dim")?, us("num_classes")?);
        let n_layers = if h["layers"].is_null() {
            0
        } else {
            us("layers")?
        };
        let list = |k: &str| -> Result<Vec<usize>> {
            h[k].as_array()
                .ok_or_else(|| bad(k))?
                .iter()
                .map(|v| v.as_u64().map(|x| x as usize).ok_or_else(|| bad(k)))
                .collect()
        };
        let labels = list("labels")?;
        let indices = list("indices")?;
        let class_names: Vec<String> = h["class_names"]
            .as_array()
            .ok_or_else(|| bad("class_names"))?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| bad("class_names"))
            })
            .collect::<Result<_>>()?;
        let floats = &bytes[8 + hl..];
        if floats.len() != 4 * n * (dim + nc + n_layers * dim)
            || labels.len() != n
            || indices.len() != n
        {
            return Err(bad("sizes"));
        }
        let mut vals = floats
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let features: Vec<f32> = vals.by_ref().take(n * dim).collect();
        let probabilities: Vec<f32> = vals.by_ref().take(n * nc).collect();
        let layers: Vec<Vec<f32>> = (0..n_layers)
            .map(|_| vals.by_ref().take(n * dim).collect())
            .collect();
        Ok(Self {
            extracted: Extracted {
                n,
                dim,
                features,
                num_classes: nc,
                probabilities,
                layers,
            },
            labels,
            class_names,
            indices,
        })
    }
}

/// Runs `model` over `dataset` batch by batch.
///
/// A dataset of precomputed features (a 2-D array) is returned as is when `model` is `None`.
///
/// # Errors
/// [`FeaturesError::ModalityMismatch`] when the model reads text and the dataset holds images or
/// the other way round; loading and forward errors.
pub fn extract(
    model: Option<&Model>,
    dataset: &Dataset,
    options: &ExtractOptions,
) -> Result<FeatureSet> {
    if options.batch_size == 0 {
        return Err(FeaturesError::InvalidArgument(
            "batch size must be at least 1".into(),
        ));
    }
    let indices = match options.max_samples {
        Some(0) => {
            return Err(FeaturesError::InvalidArgument(
                "max samples must be at least 1".into(),
            ))
        }
        Some(m) => stratified_sample(dataset.labels(), m, options.seed),
        None => (0..dataset.len()).collect(),
    };
    if let Some(m) = model {
        let want = match m.input_kind() {
            InputKind::Text => "text",
            InputKind::Image => "image",
        };
        if dataset.input_kind() != want {
            return Err(FeaturesError::ModalityMismatch {
                model: model_path(m),
                model_input: want,
                dataset: dataset.path().to_path_buf(),
                dataset_input: dataset.input_kind(),
            });
        }
    } else if dataset.input_kind() != "features" {
        return Err(FeaturesError::InvalidArgument(format!(
            "dataset {} holds {}; a model is needed to extract features",
            dataset.path().display(),
            dataset.input_kind()
        )));
    }
    let bar = if options.progress && std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(indices.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} samples, {per_sec}, eta {eta}",
        ) {
            b.set_style(style.progress_chars("=> "));
        }
        b.set_message("extracting");
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut all = Extracted::empty(
        model.map_or(0, Model::feature_dim),
        model.and_then(Model::num_classes),
    );
    if let (Some(m), Some(inputs)) = (model, text_inputs(dataset.items())) {
        extract_texts(m, &inputs, &indices, options.batch_size, &bar, &mut all)?;
    } else {
        for chunk in indices.chunks(options.batch_size) {
            let batch = dataset.batch(chunk)?;
            let out = match (model, batch) {
                (Some(m), Batch::Texts(t)) => {
                    let refs: Vec<&str> = t.iter().map(String::as_str).collect();
                    m.forward_texts(&refs)?
                }
                (Some(m), Batch::TextPairs(p)) => {
                    let inputs: Vec<TextInput> =
                        p.iter().map(|(a, b)| TextInput::Pair(a, b)).collect();
                    m.forward_text_inputs(&inputs)?
                }
                (Some(m), Batch::Images(imgs)) => m.forward_images(&imgs)?,
                (_, Batch::Features(rows, dim)) => Extracted {
                    n: chunk.len(),
                    dim,
                    features: rows,
                    num_classes: 0,
                    probabilities: Vec::new(),
                    layers: Vec::new(),
                },
                (None, _) => {
                    unreachable!("checked above: without a model the dataset holds features")
                }
            };
            all.append(out)?;
            bar.inc(chunk.len() as u64);
        }
    }
    bar.finish_and_clear();
    Ok(FeatureSet {
        labels: indices.iter().map(|&i| dataset.labels()[i]).collect(),
        class_names: dataset.class_names().to_vec(),
        indices,
        extracted: all,
    })
}

/// Batches of a text window are formed after sorting the window by length (longest first), so
/// each batch pads to texts of similar length; sentence-transformers' `encode` sorts the same
/// way. Results go back to dataset order. A window is this many batches.
const SORT_WINDOW_BATCHES: usize = 8;

/// The model inputs of a dataset of texts or text pairs (`None` for other data).
fn text_inputs(items: &Items) -> Option<Vec<TextInput<'_>>> {
    match items {
        Items::Texts(t) => Some(t.iter().map(|a| TextInput::Single(a)).collect()),
        Items::TextPairs(p) => Some(p.iter().map(|(a, b)| TextInput::Pair(a, b)).collect()),
        _ => None,
    }
}

fn extract_texts(
    m: &Model,
    texts: &[TextInput],
    indices: &[usize],
    batch_size: usize,
    bar: &indicatif::ProgressBar,
    all: &mut Extracted,
) -> Result<()> {
    let dim = m.feature_dim();
    let nc = m.num_classes().unwrap_or(0);
    for window in indices.chunks(batch_size.saturating_mul(SORT_WINDOW_BATCHES)) {
        let mut order: Vec<usize> = (0..window.len()).collect();
        order.sort_by_key(|&k| std::cmp::Reverse(texts[window[k]].len()));
        let mut features = vec![0f32; window.len() * dim];
        let mut probabilities = vec![0f32; window.len() * nc];
        // Per-layer features (with `Layers::Best`), sized by the first batch.
        let mut layers: Option<Vec<Vec<f32>>> = None;
        for part in order.chunks(batch_size) {
            let batch: Vec<TextInput> = part.iter().map(|&k| texts[window[k]]).collect();
            let out = m.forward_text_inputs(&batch)?;
            let layers = layers
                .get_or_insert_with(|| vec![vec![0f32; window.len() * dim]; out.layers.len()]);
            if out.dim != dim
                || out.num_classes != nc
                || out.n != part.len()
                || out.layers.len() != layers.len()
            {
                return Err(FeaturesError::InvalidArgument(format!(
                    "model returned {}×{} features, {} classes and {} layers, expected {}×{dim}, {nc} and {}",
                    out.n,
                    out.dim,
                    out.num_classes,
                    out.layers.len(),
                    part.len(),
                    layers.len()
                )));
            }
            for (j, &k) in part.iter().enumerate() {
                features[k * dim..(k + 1) * dim].copy_from_slice(out.row(j));
                probabilities[k * nc..(k + 1) * nc]
                    .copy_from_slice(&out.probabilities[j * nc..(j + 1) * nc]);
                for (mine, theirs) in layers.iter_mut().zip(&out.layers) {
                    mine[k * dim..(k + 1) * dim].copy_from_slice(&theirs[j * dim..(j + 1) * dim]);
                }
            }
            bar.inc(part.len() as u64);
        }
        all.append(Extracted {
            n: window.len(),
            dim,
            features,
            num_classes: nc,
            probabilities,
            layers: layers.unwrap_or_default(),
        })?;
    }
    Ok(())
}

fn model_path(m: &Model) -> std::path::PathBuf {
    match m {
        Model::Text(t) => t.dir().to_path_buf(),
        Model::Vision(v) => v.dir().to_path_buf(),
    }
}

/// The cache key of (model directory, dataset, sampling, load options, layer choice).
///
/// The dataset part is the content hash of its files plus a hash of what was read from them
/// (class names, labels and, for tables, the texts), so reading another text or label column
/// of the same file is a different entry.
pub fn cache_key(
    model_dir: &ModelDir,
    dataset: &Dataset,
    options: &ExtractOptions,
    load: &LoadOptions,
) -> Result<String> {
    let m = model_dir.content_hash()?;
    let d = crate::cache::hash_path(dataset.path())?;
    let v = dataset_view_hash(dataset);
    let sampling = match options.max_samples {
        Some(k) => format!("stratified-{k}-seed-{}", options.seed),
        None => "all".to_string(),
    };
    let t = &load.text;
    // `last` keeps the key it had before layers could be chosen, so existing entries still hit.
    let layers = match load.layers {
        Layers::Last => String::new(),
        other => format!(",layers={other}"),
    };
    Ok(format!(
        "features/v3/{m}/{d}/{v}/{sampling}/tok={:?},pool={:?},len={:?}{layers}",
        t.tokenizer, t.pooling, t.max_length
    ))
}

/// [`StableHash`](zoorank_core::StableHash) (first 32 hex digits) of a dataset's class
/// names, labels and texts.
fn dataset_view_hash(dataset: &Dataset) -> String {
    let mut h = zoorank_core::StableHash::new();
    for c in dataset.class_names() {
        h.str(c);
    }
    let labels: Vec<u8> = dataset
        .labels()
        .iter()
        .flat_map(|&l| (l as u64).to_le_bytes())
        .collect();
    h.bytes(&labels);
    match dataset.items() {
        Items::Texts(texts) => {
            for t in texts {
                h.str(t);
            }
        }
        // A marker keeps a pair table apart from a text table holding the same strings.
        Items::TextPairs(pairs) => {
            h.str("text pairs");
            for (a, b) in pairs {
                h.str(a);
                h.str(b);
            }
        }
        _ => {}
    }
    h.hex()[..32].to_string()
}

/// Whether [`extract_cached`] ran the model or read the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Read from the cache; no model was loaded and no forward pass ran.
    Hit,
    /// Extracted and stored.
    Miss,
}

/// Like [`extract`], but looks the features up in `cache` first (key: [`cache_key`]) and
/// loads the model only on a miss; without a cache it always extracts.
///
/// # Errors
/// [`FeaturesError::Cache`] when the cache fails to read or write, and [`extract`]'s.
pub fn extract_cached(
    model_dir: &ModelDir,
    load: &LoadOptions,
    dataset: &Dataset,
    options: &ExtractOptions,
    cache: Option<&mut dyn BlobCache>,
) -> Result<(FeatureSet, CacheOutcome)> {
    let Some(cache) = cache else {
        let model = Model::load(model_dir, load)?;
        return Ok((extract(Some(&model), dataset, options)?, CacheOutcome::Miss));
    };
    let key = cache_key(model_dir, dataset, options, load)?;
    let cache_err = |source| FeaturesError::Cache {
        key: key.clone(),
        source,
    };
    if let Some(bytes) = cache.get(&key).map_err(cache_err)? {
        if let Ok(fs) = FeatureSet::from_bytes(&bytes) {
            return Ok((fs, CacheOutcome::Hit));
        }
        // A corrupt entry is recomputed and overwritten below.
    }
    let model = Model::load(model_dir, load)?;
    let fs = extract(Some(&model), dataset, options)?;
    cache.put(&key, &fs.to_bytes()).map_err(cache_err)?;
    Ok((fs, CacheOutcome::Miss))
}

/// Writes a row-major `f32` matrix `(rows, cols)` as a `.npy` file.
pub fn write_npy(path: &Path, rows: usize, cols: usize, data: &[f32]) -> Result<()> {
    if data.len() != rows * cols {
        return Err(FeaturesError::InvalidArgument(format!(
            "matrix of {rows}×{cols} needs {} values, got {}",
            rows * cols,
            data.len()
        )));
    }
    let io = |e| FeaturesError::io(path, e);
    let f = std::fs::File::create(path).map_err(io)?;
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&[rows as u64, cols as u64])
        .writer(std::io::BufWriter::new(f))
        .begin_nd()
        .map_err(io)?;
    w.extend(data.iter().copied()).map_err(io)?;
    w.finish().map_err(io)
}

/// Writes integer labels as a 1-D `int64` `.npy` file.
pub fn write_labels_npy(path: &Path, labels: &[usize]) -> Result<()> {
    let io = |e| FeaturesError::io(path, e);
    let f = std::fs::File::create(path).map_err(io)?;
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&[labels.len() as u64])
        .writer(std::io::BufWriter::new(f))
        .begin_nd()
        .map_err(io)?;
    w.extend(labels.iter().map(|&l| l as i64)).map_err(io)?;
    w.finish().map_err(io)
}
