//! Forward passes of local Hugging Face model directories: `embed` (features of texts or
//! image files) and `score_models` (each model's features on a labelled dataset, scored).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use zoorank_features::{
    extract, extract_cached, Dataset, DatasetOptions, ExtractOptions, Extracted, FeatureSet,
    FeaturesError, InputKind, LoadOptions, Model, ModelDir,
};
use zoorank_scores::{Matrix, Needs, ScoreInput};

use crate::convert::to_python;
use crate::errors::{guarded, Context, ZooErr, ZooResult};
use crate::zoo::ZooHandle;

fn load(dir: &Path) -> ZooResult<Model> {
    let md = ModelDir::open(dir).context(|| format!("opening model {}", dir.display()))?;
    Model::load(&md, &LoadOptions::default()).context(|| format!("opening model {}", dir.display()))
}

fn decode(path: &Path) -> ZooResult<image::DynamicImage> {
    let ctx = || format!("reading image {}", path.display());
    image::ImageReader::open(path)
        .context(ctx)?
        .with_guessed_format()
        .context(ctx)?
        .decode()
        .context(ctx)
}

/// Features `(len(inputs), dim)` (float32) of `inputs` — texts for a text model, image file
/// paths for an image model — by the model in `model_dir`.
#[pyfunction]
#[pyo3(signature = (model_dir, inputs, batch_size=32))]
pub fn embed<'py>(
    py: Python<'py>,
    model_dir: PathBuf,
    inputs: Vec<String>,
    batch_size: usize,
) -> PyResult<Bound<'py, PyAny>> {
    if batch_size == 0 {
        return Err(ZooErr::value("batch_size must be at least 1").into());
    }
    if inputs.is_empty() {
        return Err(ZooErr::value("no texts or image paths to embed").into());
    }
    let out: Extracted = py.detach(|| {
        guarded(|| {
            let model = load(&model_dir)?;
            let mut all: Option<Extracted> = None;
            for chunk in inputs.chunks(batch_size) {
                let part = match model.input_kind() {
                    InputKind::Text => {
                        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
                        model.forward_texts(&refs)
                    }
                    InputKind::Image => {
                        let imgs = chunk
                            .iter()
                            .map(|p| decode(Path::new(p)))
                            .collect::<ZooResult<Vec<_>>>()?;
                        model.forward_images(&imgs)
                    }
                }
                .context(|| format!("running {}", model_dir.display()))?;
                match &mut all {
                    None => all = Some(part),
                    Some(a) => a.append(part).plain()?,
                }
            }
            // `inputs` is not empty, so there was a batch.
            all.ok_or_else(|| ZooErr::value("no texts or image paths to embed"))
        })
    })?;
    let arr = PyArray1::from_vec(py, out.features).reshape([out.n, out.dim])?;
    Ok(arr.into_any())
}

/// The model directories of `dirs`: each one itself when it holds a config.json, else its
/// sub-directories that do (a zoo directory), sorted.
fn expand_model_dirs(dirs: &[PathBuf]) -> ZooResult<Vec<PathBuf>> {
    let mut out = Vec::new();
    for d in dirs {
        if d.join("config.json").is_file() {
            out.push(d.clone());
            continue;
        }
        let listing = std::fs::read_dir(d).context(|| format!("listing {}", d.display()))?;
        let mut found: Vec<PathBuf> = listing
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("config.json").is_file())
            .collect();
        if found.is_empty() {
            return Err(ZooErr::value(format!(
                "{} is neither a model directory nor a directory of model directories (no config.json)",
                d.display()
            )));
        }
        found.sort();
        out.extend(found);
    }
    if out.is_empty() {
        return Err(ZooErr::value("model_dirs is empty"));
    }
    Ok(out)
}

/// The name a model directory is known by: its directory name.
fn dir_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// One model's line of `score_models`.
#[derive(serde::Serialize)]
struct ModelLine {
    model: String,
    path: String,
    /// Per method id: the value, or `None` when it could not be computed.
    scores: std::collections::BTreeMap<String, Option<f64>>,
    /// Per method id (or `"model"`): why a value is missing.
    notes: std::collections::BTreeMap<String, String>,
    samples: usize,
    feature_dim: usize,
    cache: &'static str,
    seconds: f64,
}

/// Scores one feature set with `methods` (canonical ids).
fn score_set(fs: &FeatureSet, methods: &[&'static str], line: &mut ModelLine) -> ZooResult<()> {
    let e = &fs.extracted;
    let x: Vec<f64> = e.features.iter().map(|&v| f64::from(v)).collect();
    let p: Vec<f64> = e.probabilities.iter().map(|&v| f64::from(v)).collect();
    let y: Vec<i64> = fs.labels.iter().map(|&l| l as i64).collect();
    let mut input = ScoreInput::features(Matrix::new(&x, e.n, e.dim).plain()?, &y);
    if e.num_classes > 0 {
        input = input.with_source_probs(Matrix::new(&p, e.n, e.num_classes).plain()?);
    }
    for &id in methods {
        let m = zoorank_scores::by_id(id).plain()?;
        let r = if m.needs() == Needs::SourceProbs && e.num_classes == 0 {
            Err("the model has no classifier head".to_string())
        } else {
            m.score(&input).map_err(|err| err.to_string())
        };
        match r {
            Ok(v) => {
                line.scores.insert(id.into(), Some(v));
            }
            Err(why) => {
                line.scores.insert(id.into(), None);
                line.notes.insert(id.into(), why);
            }
        }
    }
    Ok(())
}

/// Every model of `model_dirs` run over `dataset` and scored with `methods`; a list of
/// dicts, best first by the first method. Models that cannot read the dataset (an image
/// model on texts) are kept with a note. With `zoo`, features go through its store's cache.
#[pyfunction]
#[pyo3(signature = (
    model_dirs, dataset, methods, zoo=None, batch_size=32, max_samples=None, seed=0,
    label_column="label".to_string(), text_column=None, progress=None,
))]
#[allow(clippy::too_many_arguments)]
pub fn score_models<'py>(
    py: Python<'py>,
    model_dirs: Vec<PathBuf>,
    dataset: PathBuf,
    methods: Vec<String>,
    zoo: Option<&Bound<'py, ZooHandle>>,
    batch_size: usize,
    max_samples: Option<usize>,
    seed: u64,
    label_column: String,
    text_column: Option<String>,
    progress: Option<bool>,
) -> PyResult<Bound<'py, PyAny>> {
    let ids: Vec<&'static str> = methods
        .iter()
        .map(|m| zoorank_scores::canonical_id(m).plain())
        .collect::<ZooResult<_>>()?;
    if ids.is_empty() {
        return Err(ZooErr::value("methods is empty").into());
    }
    if batch_size == 0 {
        return Err(ZooErr::value("batch_size must be at least 1").into());
    }
    let dirs = expand_model_dirs(&model_dirs_checked(model_dirs)?)?;
    let ds_opts = DatasetOptions {
        label_column: Some(label_column),
        text_column,
        ..Default::default()
    };
    let data = py.detach(|| {
        guarded(|| {
            Dataset::open(&dataset, &ds_opts)
                .context(|| format!("reading dataset {}", dataset.display()))
        })
    })?;
    let opts = ExtractOptions {
        batch_size,
        max_samples,
        seed,
        progress: false,
    };
    let show = progress.unwrap_or_else(|| std::io::stderr().is_terminal());
    let bar = if show {
        let b = indicatif::ProgressBar::new(dirs.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg:30!} [{bar:30}] {pos}/{len} models, {elapsed} elapsed, eta {eta}",
        ) {
            b.set_style(style.progress_chars("=> "));
        }
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let zoo = zoo.map(Bound::get);
    let mut lines = Vec::new();
    for dir in &dirs {
        // Ctrl-C between models raises KeyboardInterrupt.
        py.check_signals()?;
        bar.set_message(dir_name(dir));
        let line = py.detach(|| guarded(|| score_one(dir, &data, &opts, &ids, zoo)))?;
        lines.push(line);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let first = ids[0];
    lines.sort_by(|a, b| {
        let key = |l: &ModelLine| l.scores.get(first).copied().flatten();
        match (key(a), key(b)) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.model.cmp(&b.model),
        }
    });
    to_python(py, &lines)
}

fn model_dirs_checked(dirs: Vec<PathBuf>) -> ZooResult<Vec<PathBuf>> {
    for d in &dirs {
        if !d.exists() {
            return Err(ZooErr {
                kind: crate::errors::Kind::NotFound,
                message: format!("{}: no such model directory", d.display()),
            });
        }
    }
    Ok(dirs)
}

fn score_one(
    dir: &Path,
    data: &Dataset,
    opts: &ExtractOptions,
    ids: &[&'static str],
    zoo: Option<&ZooHandle>,
) -> ZooResult<ModelLine> {
    let started = Instant::now();
    let mut line = ModelLine {
        model: dir_name(dir),
        path: dir.display().to_string(),
        scores: Default::default(),
        notes: Default::default(),
        samples: 0,
        feature_dim: 0,
        cache: "none",
        seconds: 0.0,
    };
    let md = ModelDir::open(dir).context(|| format!("opening model {}", dir.display()))?;
    let load = LoadOptions::default();
    let result = match zoo {
        Some(z) => {
            let mut engine = z.engine();
            let cache = engine.store_mut() as &mut dyn zoorank_core::BlobCache;
            extract_cached(&md, &load, data, opts, Some(cache)).map(|(fs, o)| {
                let hit = o == zoorank_features::CacheOutcome::Hit;
                (fs, if hit { "hit" } else { "miss" })
            })
        }
        None => Model::load(&md, &load)
            .and_then(|m| extract(Some(&m), data, opts))
            .map(|fs| (fs, "none")),
    };
    let (fs, cache) = match result {
        Ok(r) => r,
        // A mixed zoo (text and image models): keep going with the others.
        Err(e @ FeaturesError::ModalityMismatch { .. }) => {
            for &id in ids {
                line.scores.insert(id.into(), None);
            }
            line.notes.insert("model".into(), e.to_string());
            line.cache = "skipped";
            line.seconds = started.elapsed().as_secs_f64();
            return Ok(line);
        }
        Err(e) => {
            return Err(ZooErr::from_error(
                &e,
                Some(&format!(
                    "extracting features of {} with {}",
                    data.path().display(),
                    dir.display()
                )),
            ))
        }
    };
    line.samples = fs.extracted.n;
    line.feature_dim = fs.extracted.dim;
    line.cache = cache;
    score_set(&fs, ids, &mut line)?;
    line.seconds = started.elapsed().as_secs_f64();
    Ok(line)
}
