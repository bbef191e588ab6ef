//! Tiny ViT and ResNet checkpoints in the Hugging Face layout (random weights, real config and
//! safetensors format) against independent float64 NumPy forward passes, and the image
//! preprocessing against Pillow. Fixtures: `tests/reference/vision_reference.py`.

mod common;

use common::{
    assert_close_to_reference, assert_probabilities_sum_to_one, crop_pct_processor, fixtures,
    floats, load, load_err_with, load_err_without, load_fixture, matrix, reference_images,
    reference_pixels,
};
use zoorank_features::{FeaturesError, InputKind, Model, ModelDir};

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("fixtures/vision_reference.json")).unwrap()
}

fn check(model_dir: &str, key: &str) {
    let model = load_fixture(model_dir, InputKind::Image, 32, Some(10));
    let r = reference();
    let images = reference_images(&r);
    // The ResNet's crop_pct preprocessing resamples 32×32 inputs (36 then crop 32), so the
    // reference comparison feeds exactly normalised pixels; the ViT's processor is the identity
    // at 32×32, so it goes through the whole image path.
    let out = match &model {
        Model::Vision(v) if key == "resnet" => {
            let rgb: Vec<image::RgbImage> = images.iter().map(|i| i.to_rgb8()).collect();
            v.forward_pixels(&reference_pixels(&rgb)).unwrap()
        }
        _ => model.forward_images(&images).unwrap(),
    };
    assert_close_to_reference(
        model_dir,
        &out,
        &matrix(&r[key]["features"]),
        &matrix(&r[key]["probabilities"]),
    );
    assert_probabilities_sum_to_one(&out);
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
    let p = crop_pct_processor(&dir);
    let img = image::open(fixtures().join("rgb_40x48.png")).unwrap();
    assert_eq!(p.output_size(40, 48), (32, 32));
    let got = p.pixels(&img);
    let want = floats(&reference()["pillow_preprocessed_rgb_40x48"]);
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
    match load_err_with("tiny-vit", "patch_size", serde_json::json!(4)) {
        FeaturesError::ShapeMismatch { tensor, .. } => {
            assert!(
                tensor.contains("patch_embeddings.projection.weight"),
                "{tensor}"
            )
        }
        e => panic!("expected ShapeMismatch, got {e}"),
    }
}

#[test]
fn resnet_without_a_tensor_names_it() {
    let missing = "resnet.encoder.stages.1.layers.1.layer.1.normalization.running_var";
    match load_err_without("tiny-resnet", |t| t == missing) {
        FeaturesError::MissingTensor { tensor, .. } => assert_eq!(tensor, missing),
        e => panic!("expected MissingTensor, got {e}"),
    }
}

#[test]
fn bare_vit_model_without_prefix_or_head_gives_the_same_features() {
    let with_head = load(&fixtures().join("tiny-vit"));
    let bare = load(&fixtures().join("tiny-vit-headless"));
    assert_eq!(bare.num_classes(), None);
    let img = image::open(fixtures().join("digits/4/1.png")).unwrap();
    let a = with_head
        .forward_images(std::slice::from_ref(&img))
        .unwrap();
    let b = bare.forward_images(&[img]).unwrap();
    assert_eq!(a.features, b.features);
    assert!(b.probabilities.is_empty() && b.num_classes == 0);
}
