//! Tiny ConvNeXt checkpoint in the Hugging Face layout (random weights, real config and
//! safetensors format, 3 stages, layer scales, 10-class head) against an independent float64
//! NumPy forward pass. Fixtures: `tests/reference/convnext_reference.py`.

use std::path::{Path, PathBuf};

use zoorank_features::{FeaturesError, ImageProcessor, LoadOptions, Model, ModelDir, ResizeTo};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("fixtures/convnext_reference.json")).unwrap()
}

fn matrix(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
        })
        .collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max)
}

fn load(dir: &Path) -> Result<Model, FeaturesError> {
    Model::load(&ModelDir::open(dir).unwrap(), &LoadOptions::default())
}

#[test]
fn tiny_convnext_matches_float64_reference() {
    let model = load(&fixtures().join("tiny-convnext")).unwrap();
    assert_eq!(model.input_kind(), zoorank_features::InputKind::Image);
    assert_eq!(model.feature_dim(), 24);
    assert_eq!(model.num_classes(), Some(10));
    let r = reference();
    // Exactly normalised 32×32 pixels (the crop_pct resampling is checked against Pillow in
    // tests/vision.rs), as the reference feeds them.
    let (mean, std) = ([0.5f32, 0.45, 0.4], [0.25f32, 0.2, 0.3]);
    let mut buf = Vec::new();
    let paths = r["images"].as_array().unwrap();
    for p in paths {
        let rgb = image::open(fixtures().join(p.as_str().unwrap()))
            .unwrap()
            .to_rgb8();
        for c in 0..3 {
            for y in 0..32 {
                for x in 0..32 {
                    let v = rgb.get_pixel(x, y)[c] as f32 / 255.0;
                    buf.push((v - mean[c]) / std[c]);
                }
            }
        }
    }
    let pixels =
        candle_core::Tensor::from_vec(buf, (paths.len(), 3, 32, 32), &candle_core::Device::Cpu)
            .unwrap();
    let Model::Vision(v) = &model else {
        panic!("a ConvNeXt is an image model")
    };
    let out = v.forward_pixels(&pixels).unwrap();
    let df = max_diff(&out.features, &matrix(&r["convnext"]["features"]));
    let dp = max_diff(&out.probabilities, &matrix(&r["convnext"]["probabilities"]));
    eprintln!("convnext: max |Δ| features {df:e}, probabilities {dp:e}");
    assert!(df < 1e-4, "features max |Δ| = {df:e}");
    assert!(dp < 1e-5, "probabilities max |Δ| = {dp:e}");
}

#[test]
fn convnext_reads_its_crop_pct_preprocessing_and_runs_on_images() {
    let dir = ModelDir::open(fixtures().join("tiny-convnext")).unwrap();
    let p = ImageProcessor::from_dir(&dir, 32).unwrap();
    assert_eq!(p.resize, Some(ResizeTo::ShortestEdge(36)));
    assert_eq!(p.crop, Some((32, 32)));
    let model = load(dir.path()).unwrap();
    // Images of other sizes go through resize + centre crop to 32×32.
    let imgs = vec![
        image::open(fixtures().join("rgb_40x48.png")).unwrap(),
        image::open(fixtures().join("digits/3/1.png")).unwrap(),
    ];
    let out = model.forward_images(&imgs).unwrap();
    assert_eq!((out.n, out.dim, out.num_classes), (2, 24, 10));
    assert!(out.features.iter().all(|x| x.is_finite()));
}

#[test]
fn convnext_without_a_tensor_or_with_a_wrong_width_names_it() {
    let src = fixtures().join("tiny-convnext");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(src.join("config.json"), tmp.path().join("config.json")).unwrap();
    let mut t =
        candle_core::safetensors::load(src.join("model.safetensors"), &candle_core::Device::Cpu)
            .unwrap();
    t.remove("convnext.encoder.stages.1.layers.1.pwconv2.bias");
    candle_core::safetensors::save(&t, tmp.path().join("model.safetensors")).unwrap();
    match load(tmp.path()) {
        Err(FeaturesError::MissingTensor { tensor, .. }) => {
            assert_eq!(tensor, "convnext.encoder.stages.1.layers.1.pwconv2.bias")
        }
        Err(e) => panic!("expected MissingTensor, got {e}"),
        Ok(_) => panic!("expected an error"),
    }
    let mut cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(src.join("config.json")).unwrap()).unwrap();
    cfg["hidden_sizes"] = serde_json::json!([8, 16, 32]);
    std::fs::write(tmp.path().join("config.json"), cfg.to_string()).unwrap();
    std::fs::copy(
        src.join("model.safetensors"),
        tmp.path().join("model.safetensors"),
    )
    .unwrap();
    match load(tmp.path()) {
        Err(FeaturesError::ShapeMismatch { tensor, .. }) => {
            assert!(tensor.starts_with("convnext.encoder.stages.2."), "{tensor}")
        }
        Err(e) => panic!("expected ShapeMismatch, got {e}"),
        Ok(_) => panic!("expected an error"),
    }
}
