//! Helpers shared by the features test binaries (each `tests/*.rs` includes this module with
//! `mod common;` and uses the parts it needs).
#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};

use zoorank_features::{
    Extracted, FeaturesError, ImageProcessor, InputKind, LoadOptions, Model, ModelDir, ResizeTo,
    VisionEncoder,
};

mod test_data;
pub use test_data::{copy_dir, minilm_dir, temp_file, write_file};

/// The committed fixtures: tiny checkpoints, `digits` PNGs, arrays and reference JSON.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The shipped zoo data: `$ZOORANK_DATA`, default `../shared/data` beside the workspace.
pub fn data_dir() -> PathBuf {
    std::env::var_os("ZOORANK_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// Loads the model directory `dir` with default options.
pub fn try_load(dir: &Path) -> Result<Model, FeaturesError> {
    Model::load(&ModelDir::open(dir).unwrap(), &LoadOptions::default())
}

/// Loads the model directory `dir` with default options; it must load.
pub fn load(dir: &Path) -> Model {
    try_load(dir).unwrap()
}

/// Loads the fixture checkpoint `name` and checks what it takes and gives: input kind, feature
/// dimension and number of head classes.
pub fn load_fixture(name: &str, kind: InputKind, dim: usize, classes: Option<usize>) -> Model {
    let model = load(&fixtures().join(name));
    assert_eq!(
        (model.input_kind(), model.feature_dim(), model.num_classes()),
        (kind, dim, classes),
        "{name}"
    );
    model
}

/// The image processor of `dir`, checked to be the tiny checkpoints' crop_pct preprocessing at
/// 32×32: resize the shortest edge to 32 / 0.875 = 36, then crop the centre 32×32.
pub fn crop_pct_processor(dir: &ModelDir) -> ImageProcessor {
    let p = ImageProcessor::from_dir(dir, 32).unwrap();
    assert_eq!(p.resize, Some(ResizeTo::ShortestEdge(36)));
    assert_eq!(p.crop, Some((32, 32)));
    p
}

/// The error loading the model directory `dir` gives; it must fail.
pub fn load_err(dir: &Path) -> FeaturesError {
    match try_load(dir) {
        Err(e) => e,
        Ok(_) => panic!("expected an error"),
    }
}

/// The image encoder of `model`, which must be an image model.
pub fn vision(model: &Model) -> &VisionEncoder {
    let Model::Vision(v) = model else {
        panic!("expected an image model")
    };
    v
}

/// A batch of `(b, 3, h, w)` pixels, every one `value`.
pub fn uniform_pixels(shape: (usize, usize, usize, usize), value: f32) -> candle_core::Tensor {
    candle_core::Tensor::full(value, shape, &candle_core::Device::Cpu).unwrap()
}

/// The error of loading the fixture `name` with its `config.json`'s `key` set to `value`.
pub fn load_err_with(name: &str, key: &str, value: serde_json::Value) -> FeaturesError {
    load_err_with_config(name, |cfg| cfg[key] = value)
}

/// The error of loading the image fixture `name` without the tensors `drop` selects.
pub fn load_err_without(name: &str, drop: impl Fn(&str) -> bool) -> FeaturesError {
    let src = fixtures().join(name);
    let tmp = tempfile::tempdir().unwrap();
    copy_files(&src, tmp.path(), &["config.json"]);
    save_weights_without(&src, tmp.path(), drop);
    load_err(tmp.path())
}

/// `config.json` of the model directory `dir`, to edit and write elsewhere.
pub fn config(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap()
}

/// The error of loading the fixture `name` with its `config.json` changed by `edit` and its
/// weights as they are: a configuration that does not fit its checkpoint.
pub fn load_err_with_config(
    name: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> FeaturesError {
    let src = fixtures().join(name);
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(&src);
    edit(&mut cfg);
    std::fs::write(tmp.path().join("config.json"), cfg.to_string()).unwrap();
    copy_files(&src, tmp.path(), &["model.safetensors"]);
    load_err(tmp.path())
}

/// Copies the named `files` of the directory `src` into `dst`.
pub fn copy_files(src: &Path, dst: &Path, files: &[&str]) {
    for f in files {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
}

/// Writes `src/model.safetensors` to `dst/model.safetensors` without the tensors whose names
/// `drop` selects: a checkpoint broken on purpose.
pub fn save_weights_without(src: &Path, dst: &Path, drop: impl Fn(&str) -> bool) {
    let mut tensors =
        candle_core::safetensors::load(src.join("model.safetensors"), &candle_core::Device::Cpu)
            .unwrap();
    tensors.retain(|name, _| !drop(name));
    candle_core::safetensors::save(&tensors, dst.join("model.safetensors")).unwrap();
}

/// A JSON array of numbers as `f32`.
pub fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// A JSON array of rows of numbers, flattened row-major as `f32`.
pub fn matrix(v: &serde_json::Value) -> Vec<f32> {
    v.as_array().unwrap().iter().flat_map(floats).collect()
}

/// The largest absolute elementwise difference of two slices of the same length.
pub fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max)
}

/// Asserts that `out`'s features are within 1e-4 and its probabilities within 1e-5 (largest
/// absolute difference) of a float64 reference's, and prints both distances under `what`.
pub fn assert_close_to_reference(
    what: &str,
    out: &Extracted,
    features: &[f32],
    probabilities: &[f32],
) {
    let df = max_diff(&out.features, features);
    let dp = max_diff(&out.probabilities, probabilities);
    eprintln!("{what}: max |Δ| features {df:e}, probabilities {dp:e}");
    assert!(df < 1e-4, "{what}: features max |Δ| = {df:e}");
    assert!(dp < 1e-5, "{what}: probabilities max |Δ| = {dp:e}");
}

/// Asserts that every row of the head's probabilities sums to one.
pub fn assert_probabilities_sum_to_one(out: &Extracted) {
    let k = out.num_classes;
    for i in 0..out.n {
        let s: f32 = out.probabilities[i * k..(i + 1) * k].iter().sum();
        assert!((s - 1.0).abs() < 1e-5);
    }
}

/// The images a reference fixture lists under `"images"` (paths below the fixtures folder).
pub fn reference_images(reference: &serde_json::Value) -> Vec<image::DynamicImage> {
    reference["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| image::open(fixtures().join(p.as_str().unwrap())).unwrap())
        .collect()
}

/// 32×32 RGB images normalised exactly as the reference scripts do (per-channel mean and std of
/// the tiny checkpoints' preprocessor configs, no resampling), as an `(n, 3, 32, 32)` tensor.
pub fn reference_pixels(images: &[image::RgbImage]) -> candle_core::Tensor {
    let (mean, std) = ([0.5f32, 0.45, 0.4], [0.25f32, 0.2, 0.3]);
    let mut buf = Vec::new();
    for rgb in images {
        for c in 0..3 {
            for y in 0..32 {
                for x in 0..32 {
                    let v = rgb.get_pixel(x, y)[c] as f32 / 255.0;
                    buf.push((v - mean[c]) / std[c]);
                }
            }
        }
    }
    candle_core::Tensor::from_vec(buf, (images.len(), 3, 32, 32), &candle_core::Device::Cpu)
        .unwrap()
}
