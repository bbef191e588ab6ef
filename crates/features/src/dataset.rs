//! Labelled datasets from local files, read lazily in batches.
//!
//! Layouts (chosen from the path):
//! * a **directory of images by class**: `root/<class>/*.{png,jpg,jpeg}` (class = sub-directory
//!   name); only file paths are kept in memory, images are decoded batch by batch;
//! * a **CSV** (`.csv`, `.tsv`) or **JSON-lines** (`.jsonl`, `.ndjson`) table of texts with a
//!   label column (`label` by default; the text column defaults to the first of `text`,
//!   `sentence`, `sentence1`, `content`, `review`, `question`). Sentence-pair tables (GLUE's
//!   MRPC, RTE, QQP, MNLI, QNLI) give each sample two texts: the pair column named in the
//!   options, or, when neither text column is named, the first pair of columns the table has
//!   among `sentence1`/`sentence2`, `question1`/`question2`, `premise`/`hypothesis`,
//!   `question`/`sentence`;
//! * **NumPy arrays**: `.npz` with `x` (or `X`, `features`, `images`) and `y` (or `labels`,
//!   `label`, `target`), or `.npy` with a sibling `<stem>_labels.npy`/`labels.npy`. A 2-D array is
//!   taken as precomputed features `(n_samples, n_features)`; a 3-D `(n, h, w)` or 4-D
//!   `(n, h, w, c)` array with `c ∈ {1, 3}` as images (values in 0..255).
//!
//! Labels are strings; classes are sorted (numerically when every label is an integer) and
//! numbered from 0.

use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use image::DynamicImage;
use npyz::{DType, NpyFile, TypeChar};
use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::error::{FeaturesError, Result};

/// The data of one dataset (without labels).
#[derive(Debug, Clone)]
pub enum Items {
    /// Image files, decoded on demand.
    ImageFiles(Vec<PathBuf>),
    /// Texts.
    Texts(Vec<String>),
    /// Pairs of texts (a model reads both, joined by its tokenizer's pair template).
    TextPairs(Vec<(String, String)>),
    /// Images stored in an array, `(n, h, w, c)` with 0..255 values, row-major.
    ImageArray {
        /// Values.
        data: Vec<u8>,
        /// `(h, w, c)` of one image.
        shape: (usize, usize, usize),
    },
    /// Precomputed features `(n, dim)`, row-major.
    Features {
        /// Values.
        data: Vec<f32>,
        /// Feature dimension.
        dim: usize,
    },
}

/// One batch of model inputs.
#[derive(Debug)]
pub enum Batch {
    /// Decoded images.
    Images(Vec<DynamicImage>),
    /// Texts.
    Texts(Vec<String>),
    /// Pairs of texts.
    TextPairs(Vec<(String, String)>),
    /// Precomputed feature rows, row-major, with their dimension.
    Features(Vec<f32>, usize),
}

/// Options for reading tables.
#[derive(Debug, Clone, Default)]
pub struct DatasetOptions {
    /// Label column (default `label`).
    pub label_column: Option<String>,
    /// Text column (default: the first of `text`, `sentence`, `sentence1`, `content`, `review`, `question`).
    pub text_column: Option<String>,
    /// Second text column of a sentence-pair table (default: the partner of the text column
    /// among the known pairs when neither text column is named; none otherwise).
    pub text_pair_column: Option<String>,
}

/// A labelled dataset read from a local path.
#[derive(Debug, Clone)]
pub struct Dataset {
    path: PathBuf,
    items: Items,
    labels: Vec<usize>,
    class_names: Vec<String>,
}

const TEXT_COLUMNS: &[&str] = &[
    "text",
    "sentence",
    "sentence1",
    "content",
    "review",
    "question",
];

/// Column pairs of sentence-pair tables, looked for in this order when no text column is named.
const PAIR_COLUMNS: &[(&str, &str)] = &[
    ("sentence1", "sentence2"),
    ("question1", "question2"),
    ("premise", "hypothesis"),
    ("question", "sentence"),
];

impl Dataset {
    /// Opens the dataset at `path` (layout as in the module documentation).
    ///
    /// # Errors
    /// [`FeaturesError::Dataset`] for an unknown layout, a missing column, no samples or only
    /// one class; I/O and decode errors with the offending file.
    pub fn open(path: impl AsRef<Path>, options: &DatasetOptions) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let (items, raw) = if path.is_dir() {
            image_folder(&path)?
        } else if !path.is_file() {
            return Err(FeaturesError::io(
                &path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
            ));
        } else {
            match ext.as_str() {
                "csv" | "tsv" => table_csv(&path, ext == "tsv", options)?,
                "jsonl" | "ndjson" => table_jsonl(&path, options)?,
                "npz" => arrays_npz(&path)?,
                "npy" => arrays_npy(&path)?,
                _ => {
                    return Err(dataset_err(
                        &path,
                        "unknown layout: expected a directory of class folders, .csv, .tsv, .jsonl, .npz or .npy",
                    ))
                }
            }
        };
        if raw.is_empty() {
            return Err(dataset_err(&path, "no samples"));
        }
        let (labels, class_names) = number_classes(&raw);
        Ok(Self {
            path,
            items,
            labels,
            class_names,
        })
    }

    /// The dataset path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no samples (never true for an opened dataset).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Label of every sample, in `0..num_classes()`.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Class names, indexed by label.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// Number of classes.
    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }

    /// The data.
    pub fn items(&self) -> &Items {
        &self.items
    }

    /// `"image"`, `"text"` or `"features"`.
    pub fn input_kind(&self) -> &'static str {
        match self.items {
            Items::ImageFiles(_) | Items::ImageArray { .. } => "image",
            Items::Texts(_) | Items::TextPairs(_) => "text",
            Items::Features { .. } => "features",
        }
    }

    /// Loads the samples `indices` (decoding images now).
    pub fn batch(&self, indices: &[usize]) -> Result<Batch> {
        if let Some(&i) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(FeaturesError::InvalidArgument(format!(
                "sample {i} out of range (dataset has {})",
                self.len()
            )));
        }
        Ok(match &self.items {
            Items::ImageFiles(files) => {
                let mut out = Vec::with_capacity(indices.len());
                for &i in indices {
                    let f = &files[i];
                    let img = image::ImageReader::open(f)
                        .map_err(|e| FeaturesError::io(f, e))?
                        .with_guessed_format()
                        .map_err(|e| FeaturesError::io(f, e))?
                        .decode()
                        .map_err(|e| FeaturesError::Image {
                            path: f.clone(),
                            message: e.to_string(),
                        })?;
                    out.push(img);
                }
                Batch::Images(out)
            }
            Items::ImageArray { data, shape } => {
                let (h, w, c) = *shape;
                let mut out = Vec::with_capacity(indices.len());
                for &i in indices {
                    let px = &data[i * h * w * c..(i + 1) * h * w * c];
                    let img = if c == 1 {
                        image::GrayImage::from_raw(w as u32, h as u32, px.to_vec())
                            .map(DynamicImage::ImageLuma8)
                    } else {
                        image::RgbImage::from_raw(w as u32, h as u32, px.to_vec())
                            .map(DynamicImage::ImageRgb8)
                    };
                    out.push(img.ok_or_else(|| dataset_err(&self.path, "bad image array"))?);
                }
                Batch::Images(out)
            }
            Items::Texts(t) => Batch::Texts(indices.iter().map(|&i| t[i].clone()).collect()),
            Items::TextPairs(p) => {
                Batch::TextPairs(indices.iter().map(|&i| p[i].clone()).collect())
            }
            Items::Features { data, dim } => Batch::Features(
                indices
                    .iter()
                    .flat_map(|&i| data[i * dim..(i + 1) * dim].iter().copied())
                    .collect(),
                *dim,
            ),
        })
    }
}

fn dataset_err(path: &Path, message: impl Into<String>) -> FeaturesError {
    FeaturesError::Dataset {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Numbers string labels: sorted numerically when all are integers, else lexicographically.
fn number_classes(raw: &[String]) -> (Vec<usize>, Vec<String>) {
    let mut names: Vec<String> = raw.to_vec();
    names.sort();
    names.dedup();
    if names.iter().all(|n| n.trim().parse::<i64>().is_ok()) {
        names.sort_by_key(|n| n.trim().parse::<i64>().unwrap_or(0));
    }
    let index: BTreeMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let labels = raw.iter().map(|r| index[r.as_str()]).collect();
    (labels, names)
}

fn image_folder(root: &Path) -> Result<(Items, Vec<String>)> {
    let mut classes: Vec<(String, PathBuf)> = Vec::new();
    for e in std::fs::read_dir(root).map_err(|e| FeaturesError::io(root, e))? {
        let e = e.map_err(|e| FeaturesError::io(root, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() && !name.starts_with('.') {
            classes.push((name, e.path()));
        }
    }
    classes.sort();
    let mut files = Vec::new();
    let mut labels = Vec::new();
    for (class, dir) in classes {
        let mut imgs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| FeaturesError::io(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.extension().is_some_and(|x| {
                        matches!(
                            x.to_string_lossy().to_ascii_lowercase().as_str(),
                            "png" | "jpg" | "jpeg"
                        )
                    })
            })
            .collect();
        imgs.sort();
        labels.extend(std::iter::repeat_n(class.clone(), imgs.len()));
        files.extend(imgs);
    }
    if files.is_empty() {
        return Err(dataset_err(
            root,
            "no images found (expected root/<class>/*.png|jpg|jpeg)",
        ));
    }
    Ok((Items::ImageFiles(files), labels))
}

/// The text column and, for a sentence-pair table, the second text column.
fn pick_text_columns(
    path: &Path,
    columns: &[String],
    options: &DatasetOptions,
) -> Result<(String, Option<String>)> {
    let has = |c: &str| columns.iter().any(|k| k == c);
    if let Some(second) = &options.text_pair_column {
        let second = named_column(path, columns, second)?;
        let first = pick_text_column(path, columns, options)?;
        if first == second {
            return Err(dataset_err(
                path,
                format!("the text column and the pair column are both {first:?}"),
            ));
        }
        return Ok((first, Some(second)));
    }
    if options.text_column.is_none() {
        if let Some((a, b)) = PAIR_COLUMNS.iter().find(|(a, b)| has(a) && has(b)) {
            return Ok((a.to_string(), Some(b.to_string())));
        }
    }
    Ok((pick_text_column(path, columns, options)?, None))
}

/// The text column `c`, which the table must have.
fn named_column(path: &Path, columns: &[String], c: &String) -> Result<String> {
    if columns.contains(c) {
        Ok(c.clone())
    } else {
        Err(dataset_err(
            path,
            format!("no text column {c:?} (columns: {})", columns.join(", ")),
        ))
    }
}

fn pick_text_column(path: &Path, columns: &[String], options: &DatasetOptions) -> Result<String> {
    if let Some(c) = &options.text_column {
        return named_column(path, columns, c);
    }
    TEXT_COLUMNS
        .iter()
        .find(|c| columns.iter().any(|k| k == *c))
        .map(|c| c.to_string())
        .ok_or_else(|| {
            dataset_err(
                path,
                format!(
                    "no text column (looked for {}; columns: {}); name one with the text-column option",
                    TEXT_COLUMNS.join(", "),
                    columns.join(", ")
                ),
            )
        })
}

fn table_csv(path: &Path, tsv: bool, options: &DatasetOptions) -> Result<(Items, Vec<String>)> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(if tsv { b'\t' } else { b',' })
        .from_path(path)
        .map_err(|e| dataset_err(path, e.to_string()))?;
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| dataset_err(path, e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    let label_col = options.label_column.as_deref().unwrap_or("label");
    let li = headers.iter().position(|h| h == label_col).ok_or_else(|| {
        dataset_err(
            path,
            format!(
                "no label column {label_col:?} (columns: {})",
                headers.join(", ")
            ),
        )
    })?;
    let (tc, pc) = pick_text_columns(path, &headers, options)?;
    let position = |c: &str| headers.iter().position(|h| h == c).unwrap_or(0);
    let (ti, pi) = (position(&tc), pc.as_deref().map(position));
    let mut texts = TextColumns::new(pi.is_some());
    let mut labels = Vec::new();
    for (row, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| dataset_err(path, format!("row {}: {e}", row + 2)))?;
        let second = pi.map(|i| rec.get(i));
        let (Some(t), Some(l), None | Some(Some(_))) = (rec.get(ti), rec.get(li), second) else {
            return Err(dataset_err(
                path,
                format!("row {}: missing fields", row + 2),
            ));
        };
        if l.trim().is_empty() {
            return Err(dataset_err(path, format!("row {}: empty label", row + 2)));
        }
        texts.push(t, second.flatten());
        labels.push(l.trim().to_string());
    }
    Ok((texts.into_items(), labels))
}

/// The texts of a table as they are read: one column, or two for sentence pairs.
struct TextColumns {
    first: Vec<String>,
    second: Option<Vec<String>>,
}

impl TextColumns {
    fn new(pairs: bool) -> Self {
        Self {
            first: Vec::new(),
            second: pairs.then(Vec::new),
        }
    }

    /// Appends a row's text and, for pairs, its second text.
    fn push(&mut self, first: &str, second: Option<&str>) {
        self.first.push(first.to_string());
        if let (Some(all), Some(s)) = (&mut self.second, second) {
            all.push(s.to_string());
        }
    }

    fn into_items(self) -> Items {
        match self.second {
            Some(second) => Items::TextPairs(self.first.into_iter().zip(second).collect()),
            None => Items::Texts(self.first),
        }
    }
}

fn table_jsonl(path: &Path, options: &DatasetOptions) -> Result<(Items, Vec<String>)> {
    let text = std::fs::read_to_string(path).map_err(|e| FeaturesError::io(path, e))?;
    let label_col = options.label_column.as_deref().unwrap_or("label");
    let mut texts: Option<TextColumns> = None;
    let mut labels = Vec::new();
    let mut text_cols: Option<(String, Option<String>)> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| FeaturesError::Json {
            path: path.to_path_buf(),
            message: format!("line {}: {e}", i + 1),
        })?;
        let obj = v
            .as_object()
            .ok_or_else(|| dataset_err(path, format!("line {}: not a JSON object", i + 1)))?;
        if text_cols.is_none() {
            let cols: Vec<String> = obj.keys().cloned().collect();
            text_cols = Some(pick_text_columns(path, &cols, options)?);
        }
        let Some((tc, pc)) = &text_cols else {
            continue;
        };
        let text = |c: &str| {
            obj.get(c)
                .and_then(|x| x.as_str())
                .ok_or_else(|| dataset_err(path, format!("line {}: no string {c:?}", i + 1)))
        };
        let t = text(tc)?;
        let second = pc.as_deref().map(text).transpose()?;
        let l = match obj.get(label_col) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(serde_json::Value::Bool(b)) => b.to_string(),
            _ => {
                return Err(dataset_err(
                    path,
                    format!("line {}: no label {label_col:?}", i + 1),
                ))
            }
        };
        texts
            .get_or_insert_with(|| TextColumns::new(second.is_some()))
            .push(t, second);
        labels.push(l);
    }
    let texts = texts.unwrap_or_else(|| TextColumns::new(false));
    Ok((texts.into_items(), labels))
}

/// Reads any numeric `.npy` payload as `f64` with its shape.
fn read_npy<R: Read>(npy: NpyFile<R>, path: &Path) -> Result<(Vec<usize>, Vec<f64>)> {
    if npy.order() == npyz::Order::Fortran {
        return Err(dataset_err(
            path,
            "Fortran-ordered arrays are not supported",
        ));
    }
    let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
    let DType::Plain(ts) = npy.dtype() else {
        return Err(dataset_err(path, "structured arrays are not supported"));
    };
    let io = |e: std::io::Error| dataset_err(path, e.to_string());
    macro_rules! conv {
        ($t:ty) => {
            npy.into_vec::<$t>()
                .map_err(io)?
                .into_iter()
                .map(|x| x as f64)
                .collect()
        };
    }
    let data: Vec<f64> = match (ts.type_char(), ts.size_field()) {
        (TypeChar::Float, 4) => conv!(f32),
        (TypeChar::Float, 8) => conv!(f64),
        (TypeChar::Int, 1) => conv!(i8),
        (TypeChar::Int, 2) => conv!(i16),
        (TypeChar::Int, 4) => conv!(i32),
        (TypeChar::Int, 8) => conv!(i64),
        (TypeChar::Uint, 1) => conv!(u8),
        (TypeChar::Uint, 2) => conv!(u16),
        (TypeChar::Uint, 4) => conv!(u32),
        (TypeChar::Uint, 8) => conv!(u64),
        (TypeChar::Bool, _) => npy
            .into_vec::<bool>()
            .map_err(io)?
            .into_iter()
            .map(|b| if b { 1.0 } else { 0.0 })
            .collect(),
        _ => return Err(dataset_err(path, format!("unsupported dtype {ts}"))),
    };
    Ok((shape, data))
}

fn arrays_from(
    path: &Path,
    x: (Vec<usize>, Vec<f64>),
    y: (Vec<usize>, Vec<f64>),
) -> Result<(Items, Vec<String>)> {
    let (xs, xd) = x;
    let (ys, yd) = y;
    if ys.len() != 1 || xs.first() != ys.first() {
        return Err(dataset_err(
            path,
            format!("labels must be 1-D with one entry per sample; x has shape {xs:?}, y {ys:?}"),
        ));
    }
    if let Some(v) = xd.iter().find(|v| !v.is_finite()) {
        return Err(dataset_err(path, format!("non-finite value {v} in x")));
    }
    let labels: Vec<String> = yd
        .iter()
        .map(|v| {
            if v.fract() == 0.0 {
                format!("{}", *v as i64)
            } else {
                format!("{v}")
            }
        })
        .collect();
    let items = match xs.as_slice() {
        [_, d] => Items::Features {
            data: xd.iter().map(|&v| v as f32).collect(),
            dim: *d,
        },
        [_, h, w] | [_, h, w, 1] => Items::ImageArray {
            data: to_u8(path, &xd)?,
            shape: (*h, *w, 1),
        },
        [_, h, w, 3] => Items::ImageArray {
            data: to_u8(path, &xd)?,
            shape: (*h, *w, 3),
        },
        other => {
            return Err(dataset_err(
                path,
                format!("x of shape {other:?}: expected (n, d), (n, h, w) or (n, h, w, 1|3)"),
            ))
        }
    };
    Ok((items, labels))
}

fn to_u8(path: &Path, xs: &[f64]) -> Result<Vec<u8>> {
    if let Some(v) = xs.iter().find(|v| !(0.0..=255.0).contains(*v)) {
        return Err(dataset_err(path, format!("image value {v} outside 0..255")));
    }
    Ok(xs.iter().map(|v| v.round() as u8).collect())
}

fn arrays_npz(path: &Path) -> Result<(Items, Vec<String>)> {
    let mut npz = npyz::npz::NpzArchive::open(path).map_err(|e| FeaturesError::io(path, e))?;
    let names: Vec<String> = npz.array_names().map(str::to_string).collect();
    let pick = |cands: &[&str]| {
        cands
            .iter()
            .find(|c| names.iter().any(|n| n == *c))
            .map(|c| c.to_string())
    };
    let xn = pick(&["x", "X", "features", "images", "data"]).ok_or_else(|| {
        dataset_err(
            path,
            format!(
                "no x/X/features/images/data array (arrays: {})",
                names.join(", ")
            ),
        )
    })?;
    let yn = pick(&["y", "labels", "label", "target"]).ok_or_else(|| {
        dataset_err(
            path,
            format!(
                "no y/labels/label/target array (arrays: {})",
                names.join(", ")
            ),
        )
    })?;
    let x = read_member(&mut npz, &xn, path)?;
    let y = read_member(&mut npz, &yn, path)?;
    arrays_from(path, x, y)
}

fn read_member<R: Read + Seek>(
    npz: &mut npyz::npz::NpzArchive<R>,
    name: &str,
    path: &Path,
) -> Result<(Vec<usize>, Vec<f64>)> {
    // The member is opened through the zip archive so that its header is checked like a
    // .npy file's before npyz parses it.
    let member = npyz::npz::file_name_from_array_name(name);
    let file = npz
        .zip_archive()
        .by_name(&member)
        .map_err(|e| dataset_err(path, format!("array {name}: {e}")))?;
    let npy = zoorank_core::npy::open_checked(file)
        .map_err(|e| dataset_err(path, format!("array {name}: {e}")))?;
    read_npy(npy, path)
}

fn arrays_npy(path: &Path) -> Result<(Items, Vec<String>)> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parent = path.parent().unwrap_or(Path::new("."));
    let labels = [
        parent.join(format!("{stem}_labels.npy")),
        parent.join("labels.npy"),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .ok_or_else(|| {
        dataset_err(
            path,
            format!("no labels: expected {stem}_labels.npy or labels.npy beside it"),
        )
    })?;
    let open = |p: &Path| -> Result<(Vec<usize>, Vec<f64>)> {
        let f = std::fs::File::open(p).map_err(|e| FeaturesError::io(p, e))?;
        let npy = zoorank_core::npy::open_checked(std::io::BufReader::new(f))
            .map_err(|e| dataset_err(p, e.to_string()))?;
        read_npy(npy, p)
    };
    arrays_from(path, open(path)?, open(&labels)?)
}

/// Seeded stratified sample of at most `max` indices, sorted ascending.
///
/// Each class `c` with `n_c` of the `n` samples gets `⌊max · n_c / n⌋` slots; the remaining
/// slots go to the classes with the largest fractional parts (ties: smaller class index); then,
/// when `max ≥ #classes`, every class keeps at least one sample (taken from the largest quota).
/// Within a class the samples are a uniform random subset (ChaCha8 seeded with `seed`). With
/// `max ≥ n` all indices are returned.
pub fn stratified_sample(labels: &[usize], max: usize, seed: u64) -> Vec<usize> {
    let n = labels.len();
    if max >= n {
        return (0..n).collect();
    }
    let k = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l].push(i);
    }
    let mut quota: Vec<usize> = by_class.iter().map(|c| max * c.len() / n).collect();
    let mut rest = max - quota.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..k).collect();
    // Largest remainder first: remainder of class c is (max·n_c) mod n.
    order.sort_by_key(|&c| (std::cmp::Reverse((max * by_class[c].len()) % n), c));
    for &c in &order {
        if rest == 0 {
            break;
        }
        if quota[c] < by_class[c].len() {
            quota[c] += 1;
            rest -= 1;
        }
    }
    let present: Vec<usize> = (0..k).filter(|&c| !by_class[c].is_empty()).collect();
    if max >= present.len() {
        for &c in &present {
            if quota[c] == 0 {
                if let Some(donor) = (0..k).filter(|&d| quota[d] > 1).max_by_key(|&d| quota[d]) {
                    quota[donor] -= 1;
                    quota[c] = 1;
                }
            }
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(max);
    for (c, members) in by_class.iter_mut().enumerate() {
        members.shuffle(&mut rng);
        out.extend_from_slice(&members[..quota[c].min(members.len())]);
    }
    out.sort_unstable();
    out
}
