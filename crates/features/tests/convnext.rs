//! Tiny ConvNeXt checkpoint in the Hugging Face layout (random weights, real config and
//! safetensors format, 3 stages, layer scales, 10-class head) against an independent float64
//! NumPy forward pass. Fixtures: `tests/reference/convnext_reference.py`.

mod common;

use common::{
    assert_close_to_reference, crop_pct_processor, fixtures, load, load_err_with, load_err_without,
    load_fixture, matrix, reference_images, reference_pixels, vision,
};
use zoorank_features::{FeaturesError, InputKind, ModelDir};

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("fixtures/convnext_reference.json")).unwrap()
}

#[test]
fn tiny_convnext_matches_float64_reference() {
    let model = load_fixture("tiny-convnext", InputKind::Image, 24, Some(10));
    let r = reference();
    // Exactly normalised 32×32 pixels (the crop_pct resampling is checked against Pillow in
    // tests/vision.rs), as the reference feeds them.
    let images: Vec<image::RgbImage> = reference_images(&r).iter().map(|i| i.to_rgb8()).collect();
    let pixels = reference_pixels(&images);
    let out = vision(&model).forward_pixels(&pixels).unwrap();
    assert_close_to_reference(
        "convnext",
        &out,
        &matrix(&r["convnext"]["features"]),
        &matrix(&r["convnext"]["probabilities"]),
    );
}

#[test]
fn convnext_reads_its_crop_pct_preprocessing_and_runs_on_images() {
    let dir = ModelDir::open(fixtures().join("tiny-convnext")).unwrap();
    crop_pct_processor(&dir);
    let model = load(dir.path());
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
    match load_err_without("tiny-convnext", |t| {
        t == "convnext.encoder.stages.1.layers.1.pwconv2.bias"
    }) {
        FeaturesError::MissingTensor { tensor, .. } => {
            assert_eq!(tensor, "convnext.encoder.stages.1.layers.1.pwconv2.bias")
        }
        e => panic!("expected MissingTensor, got {e}"),
    }
    match load_err_with(
        "tiny-convnext",
        "hidden_sizes",
        serde_json::json!([8, 16, 32]),
    ) {
        FeaturesError::ShapeMismatch { tensor, .. } => {
            assert!(tensor.starts_with("convnext.encoder.stages.2."), "{tensor}")
        }
        e => panic!("expected ShapeMismatch, got {e}"),
    }
}
