//! Tiny DeiT (with and without the distillation head), BEiT, Data2Vec-vision, Swin (windows that
//! divide the token grid and windows that pad it) and VAN checkpoints in the Hugging Face layout
//! (random weights, real config and safetensors names) against independent float64 NumPy
//! forward passes. Fixtures: `tests/reference/image_families_reference.py`.

mod common;

use common::{
    assert_close_to_reference, assert_probabilities_sum_to_one, data_dir, load_err_with,
    load_err_without, load_fixture, matrix, max_diff, reference_images, reference_pixels,
    uniform_pixels, vision,
};
use zoorank_features::{FeaturesError, InputKind};

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("fixtures/image_families_reference.json")).unwrap()
}

/// Loads the fixture `name` (feature width `dim`, a 10-class head) and compares its features
/// and probabilities on the reference's exactly normalised 32×32 digits with the reference.
fn check(name: &str, dim: usize) {
    let model = load_fixture(name, InputKind::Image, dim, Some(10));
    let r = reference();
    let images: Vec<image::RgbImage> = reference_images(&r).iter().map(|i| i.to_rgb8()).collect();
    let out = vision(&model)
        .forward_pixels(&reference_pixels(&images))
        .unwrap();
    let (features, probabilities) = (
        matrix(&r[name]["features"]),
        matrix(&r[name]["probabilities"]),
    );
    assert_close_to_reference(name, &out, &features, &probabilities);
    // Tighter than the shared helper's feature bound: these networks are shallow enough for
    // float32 to stay within 1e-5 of float64 in the features too.
    let df = max_diff(&out.features, &features);
    assert!(df < 1e-5, "{name}: features max |Δ| = {df:e}");
    assert_probabilities_sum_to_one(&out);
    // The processors of the fixtures only normalise 32×32 images, so the whole image path
    // gives the same features up to the 8-bit rounding of the PNGs (none: they are 8-bit).
    let via_images = model.forward_images(&reference_images(&r)).unwrap();
    assert_close_to_reference(
        name,
        &via_images,
        &matrix(&r[name]["features"]),
        &matrix(&r[name]["probabilities"]),
    );
}

#[test]
fn tiny_deit_matches_float64_reference() {
    check("tiny-deit", 32);
}

#[test]
fn tiny_distilled_deit_averages_its_two_heads_as_the_reference_does() {
    check("tiny-deit-distilled", 32);
}

#[test]
fn tiny_beit_with_per_layer_bias_and_mean_pooling_matches_float64_reference() {
    check("tiny-beit", 32);
}

#[test]
fn tiny_data2vec_vision_with_shared_bias_and_cls_pooling_matches_float64_reference() {
    check("tiny-data2vec-vision", 32);
}

#[test]
fn tiny_swin_matches_float64_reference() {
    check("tiny-swin", 32);
}

#[test]
fn tiny_swin_with_windows_that_pad_the_grid_matches_float64_reference() {
    check("tiny-swin-padded", 16);
}

#[test]
fn tiny_van_matches_float64_reference() {
    check("tiny-van", 16);
}

#[test]
fn distilled_deit_without_its_second_head_names_it() {
    match load_err_without("tiny-deit-distilled", |t| {
        t.starts_with("distillation_classifier")
    }) {
        FeaturesError::MissingTensor { tensor, .. } => {
            assert_eq!(tensor, "distillation_classifier.weight")
        }
        e => panic!("expected MissingTensor, got {e}"),
    }
}

#[test]
fn beit_without_a_layer_bias_table_names_it() {
    let missing =
        "beit.encoder.layer.1.attention.attention.relative_position_bias.relative_position_bias_table";
    match load_err_without("tiny-beit", |t| t == missing) {
        FeaturesError::MissingTensor { tensor, .. } => assert_eq!(tensor, missing),
        e => panic!("expected MissingTensor, got {e}"),
    }
}

#[test]
fn data2vec_vision_that_claims_mean_pooling_without_its_pooler_names_the_tensor() {
    match load_err_with(
        "tiny-data2vec-vision",
        "use_mean_pooling",
        serde_json::json!(true),
    ) {
        FeaturesError::MissingTensor { tensor, .. } => {
            assert_eq!(tensor, "data2vec_vision.pooler.layernorm.weight")
        }
        e => panic!("expected MissingTensor, got {e}"),
    }
}

/// Loading the fixture `name` with its configuration's `key` set to `value` is refused as an
/// invalid configuration whose message names `part`.
fn assert_invalid_config(name: &str, key: &str, value: serde_json::Value, part: &str) {
    match load_err_with(name, key, value) {
        FeaturesError::InvalidConfig { message, .. } => {
            assert!(message.contains(part), "{message}")
        }
        e => panic!("expected InvalidConfig, got {e}"),
    }
}

#[test]
fn swin_whose_grid_is_smaller_than_its_window_is_a_config_error() {
    assert_invalid_config(
        "tiny-swin",
        "window_size",
        serde_json::json!(5),
        "smaller than window_size 5",
    );
}

#[test]
fn swin_with_mismatched_heads_is_a_config_error() {
    assert_invalid_config(
        "tiny-swin",
        "num_heads",
        serde_json::json!([2, 2]),
        "num_heads",
    );
}

#[test]
fn swin_refuses_pixels_of_another_size_with_a_clear_error() {
    let model = load_fixture("tiny-swin", InputKind::Image, 32, Some(10));
    match vision(&model).forward_pixels(&uniform_pixels((1, 3, 24, 24), 0.0)) {
        Err(FeaturesError::InvalidArgument(m)) => assert!(m.contains("(32, 32)"), "{m}"),
        Err(e) => panic!("expected InvalidArgument, got {e}"),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn van_with_a_wrong_stage_width_names_the_tensor() {
    match load_err_with("tiny-van", "hidden_sizes", serde_json::json!([8, 24])) {
        FeaturesError::ShapeMismatch { tensor, .. } => {
            assert!(tensor.starts_with("van.encoder.stages.1."), "{tensor}")
        }
        e => panic!("expected ShapeMismatch, got {e}"),
    }
}

#[test]
fn van_runs_on_images_of_another_size() {
    // A convolutional network: any size goes, resized by its processor or not.
    let model = load_fixture("tiny-van", InputKind::Image, 16, Some(10));
    let out = vision(&model)
        .forward_pixels(&uniform_pixels((2, 3, 40, 48), 1.0))
        .unwrap();
    assert_eq!((out.n, out.dim, out.num_classes), (2, 16, 10));
    assert!(out.features.iter().all(|x| x.is_finite()));
}

#[test]
fn at_least_95_percent_of_the_image_zoos_models_have_a_supported_model_type() {
    let path = data_dir().join("transfergraph-image/model_config_dataset.csv");
    let mut reader = csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set ZOORANK_DATA)", path.display()));
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (type_col, arch_col) = (col("model_type"), col("architectures"));
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for row in reader.records() {
        let row = row.unwrap();
        // One row has no model_type; its architecture (`ViTForImageClassification`) names it.
        let t = match row[type_col].trim() {
            "" => row[arch_col]
                .trim_matches(|c| "[]' ".contains(c))
                .split("For")
                .next()
                .unwrap()
                .to_lowercase(),
            t => t.to_string(),
        };
        *counts.entry(t).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    let supported: usize = counts
        .iter()
        .filter(|(t, _)| zoorank_features::SUPPORTED_MODEL_TYPES.contains(&t.as_str()))
        .map(|(_, n)| n)
        .sum();
    for (t, n) in &counts {
        let ok = zoorank_features::SUPPORTED_MODEL_TYPES.contains(&t.as_str());
        eprintln!("| {t} | {n} | {} |", if ok { "yes" } else { "no" });
    }
    eprintln!("supported: {supported} of {total}");
    assert_eq!(total, 185, "the shipped image zoo lists 185 models");
    assert!(supported * 100 >= 95 * total, "{supported} of {total}");
}
