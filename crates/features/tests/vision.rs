//! Tiny ViT and ResNet checkpoints in the Hugging Face layout (random weights, real config and
//! safetensors format) against independent float64 NumPy forward passes, and the image
//! preprocessing against Pillow. Fixtures: `tests/reference/vision_reference.py`.

use std::path::{Path, PathBuf};

use zoorank_features::{FeaturesError, ImageProcessor, LoadOptions, Model, ModelDir, ResizeTo};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("fixtures/vision_reference.json")).unwrap()
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

fn check(model_dir: &str, key: &str) {
    let dir = ModelDir::open(fixtures().join(model_dir)).unwrap();
    let model = Model::load(&dir, &LoadOptions::default()).unwrap();
    assert_eq!(model.feature_dim(), 32);
    assert_eq!(model.num_classes(), Some(10));
    let r = reference();
    let images: Vec<image::DynamicImage> = r["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| image::open(fixtures().join(p.as_str().unwrap())).unwrap())
        .collect();
    // The ResNet's crop_pct preprocessing resamples 32×32 inputs (36 then crop 32), so the
    // reference comparison feeds exactly normalised pixels; the ViT's processor is the identity
    // at 32×32, so it goes through the whole image path.
    let out = match &model {
        Model::Vision(v) if key == "resnet" => {
            let (mean, std) = ([0.5f32, 0.45, 0.4], [0.25f32, 0.2, 0.3]);
            let mut buf = Vec::new();
            for img in &images {
                let rgb = img.to_rgb8();
                for c in 0..3 {
                    for y in 0..32 {
                        for x in 0..32 {
                            let p = rgb.get_pixel(x, y)[c] as f32 / 255.0;
                            buf.push((p - mean[c]) / std[c]);
                        }
                    }
                }
            }
            let t = candle_core::Tensor::from_vec(
                buf,
                (images.len(), 3, 32, 32),
                &candle_core::Device::Cpu,
            )
            .unwrap();
            v.forward_pixels(&t).unwrap()
        }
        _ => model.forward_images(&images).unwrap(),
    };
    let want_f = matrix(&r[key]["features"]);
    let want_p = matrix(&r[key]["probabilities"]);
    let df = out
        .features
        .iter()
        .zip(&want_f)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    let dp = out
        .probabilities
        .iter()
        .zip(&want_p)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert_eq!(out.features.len(), want_f.len());
    assert_eq!(out.probabilities.len(), want_p.len());
    assert!(df < 1e-4, "{model_dir}: features max |Δ| = {df:e}");
    assert!(dp < 1e-5, "{model_dir}: probabilities max |Δ| = {dp:e}");
    for i in 0..out.n {
        let s: f32 = out.probabilities[i * 10..(i + 1) * 10].iter().sum();
        assert!((s - 1.0).abs() < 1e-5);
    }
}

#[test]
fn tiny_vit_matches_float64_reference() {
    check("tiny-vit", "vit");
}

#[test]
fn tiny_resnet_matches_float64_reference() {
    check("tiny-resnet", "resnet");
}

#[test]
fn crop_pct_preprocessing_is_close_to_pillow() {
    let dir = ModelDir::open(fixtures().join("tiny-resnet")).unwrap();
    let p = ImageProcessor::from_dir(&dir, 32).unwrap();
    assert_eq!(p.resize, Some(ResizeTo::ShortestEdge(36)));
    assert_eq!(p.crop, Some((32, 32)));
    let img = image::open(fixtures().join("rgb_40x48.png")).unwrap();
    assert_eq!(p.output_size(40, 48), (32, 32));
    let got = p.pixels(&img);
    let want: Vec<f32> = reference()["pillow_preprocessed_rgb_40x48"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(got.len(), want.len());
    // Pillow's and the image crate's bicubic kernels differ slightly (a = −0.5 vs Catmull-Rom,
    // and uint8 rounding); on random noise (the worst case) they agree to a few grey levels.
    let mean_abs: f32 = got
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .sum::<f32>()
        / got.len() as f32;
    // One grey level is 1/255/std ≈ 0.013–0.02 in normalised units.
    assert!(mean_abs < 0.1, "mean |Δ| = {mean_abs}");
}

#[test]
fn vit_weights_with_wrong_patch_size_name_the_tensor() {
    let src = fixtures().join("tiny-vit");
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(src.join("config.json")).unwrap()).unwrap();
    cfg["patch_size"] = serde_json::json!(4);
    std::fs::write(tmp.path().join("config.json"), cfg.to_string()).unwrap();
    std::fs::copy(
        src.join("model.safetensors"),
        tmp.path().join("model.safetensors"),
    )
    .unwrap();
    match Model::load(
        &ModelDir::open(tmp.path()).unwrap(),
        &LoadOptions::default(),
    ) {
        Err(FeaturesError::ShapeMismatch { tensor, .. }) => {
            assert!(
                tensor.contains("patch_embeddings.projection.weight"),
                "{tensor}"
            )
        }
        Err(e) => panic!("expected ShapeMismatch, got {e}"),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn resnet_without_a_tensor_names_it() {
    let src = fixtures().join("tiny-resnet");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(src.join("config.json"), tmp.path().join("config.json")).unwrap();
    let mut t =
        candle_core::safetensors::load(src.join("model.safetensors"), &candle_core::Device::Cpu)
            .unwrap();
    t.remove("resnet.encoder.stages.1.layers.1.layer.1.normalization.running_var");
    candle_core::safetensors::save(&t, tmp.path().join("model.safetensors")).unwrap();
    match Model::load(
        &ModelDir::open(tmp.path()).unwrap(),
        &LoadOptions::default(),
    ) {
        Err(FeaturesError::MissingTensor { tensor, .. }) => assert_eq!(
            tensor,
            "resnet.encoder.stages.1.layers.1.layer.1.normalization.running_var"
        ),
        Err(e) => panic!("expected MissingTensor, got {e}"),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn bare_vit_model_without_prefix_or_head_gives_the_same_features() {
    let with_head = Model::load(
        &ModelDir::open(fixtures().join("tiny-vit")).unwrap(),
        &LoadOptions::default(),
    )
    .unwrap();
    let bare = Model::load(
        &ModelDir::open(fixtures().join("tiny-vit-headless")).unwrap(),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(bare.num_classes(), None);
    let img = image::open(fixtures().join("digits/4/1.png")).unwrap();
    let a = with_head
        .forward_images(std::slice::from_ref(&img))
        .unwrap();
    let b = bare.forward_images(&[img]).unwrap();
    assert_eq!(a.features, b.features);
    assert!(b.probabilities.is_empty() && b.num_classes == 0);
}
