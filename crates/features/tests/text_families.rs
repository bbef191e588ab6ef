//! Tiny DistilBERT (vocab.txt only) and RoBERTa (byte-level BPE tokenizer.json) checkpoints in
//! the Hugging Face layout (random weights, real config and safetensors format, sequence-
//! classification heads) against independent float64 NumPy forward passes. Fixtures:
//! `tests/reference/text_reference.py` → `tests/fixtures/text_reference.json`.
//!
//! The reference runs one sentence at a time without padding; here all sentences go through in
//! one padded batch, so the attention mask and the masked pooling are exercised too.

use std::path::{Path, PathBuf};

use zoorank_features::{
    FeaturesError, LoadOptions, Model, ModelDir, Pooling, TextEncoder, TextOptions,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("fixtures/text_reference.json")).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max)
}

/// Encodes every reference sentence in one batch with `pooling` and compares features with
/// `key`'s `pooled` reference and probabilities with its `probabilities`.
fn check(model_dir: &str, key: &str, pooling: Option<Pooling>, pooled: &str) -> (f32, f32) {
    let dir = ModelDir::open(fixtures().join(model_dir)).unwrap();
    let options = TextOptions {
        pooling,
        ..Default::default()
    };
    let enc = TextEncoder::load(&dir, &options).unwrap();
    let r = reference();
    let sentences = r["sentences"].as_array().unwrap();
    let texts: Vec<&str> = sentences
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    let ids = enc.token_ids(&texts).unwrap();
    for (s, got) in sentences.iter().zip(&ids) {
        let ids = if s[key]["ids"].is_array() {
            &s[key]["ids"]
        } else {
            &s["ids"]
        };
        let want: Vec<u32> = ids
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(got, &want, "token ids of {:?}", s["text"]);
    }
    let out = enc.forward(&texts).unwrap();
    let want_f: Vec<f32> = sentences
        .iter()
        .flat_map(|s| floats(&s[key][pooled]))
        .collect();
    let want_p: Vec<f32> = sentences
        .iter()
        .flat_map(|s| floats(&s[key]["probabilities"]))
        .collect();
    (
        max_diff(&out.features, &want_f),
        max_diff(&out.probabilities, &want_p),
    )
}

#[test]
fn distilbert_cls_features_and_head_match_the_numpy_reference() {
    let (df, dp) = check("tiny-distilbert", "distilbert", None, "cls");
    eprintln!("distilbert cls: max |Δ| features {df:e}, probabilities {dp:e}");
    assert!(df < 1e-4, "features max |Δ| = {df:e}");
    assert!(dp < 1e-5, "probabilities max |Δ| = {dp:e}");
}

#[test]
fn distilbert_mean_pooling_matches_the_numpy_reference() {
    let (df, dp) = check("tiny-distilbert", "distilbert", Some(Pooling::Mean), "mean");
    eprintln!("distilbert mean: max |Δ| features {df:e}, probabilities {dp:e}");
    assert!(df < 1e-4, "features max |Δ| = {df:e}");
    assert!(dp < 1e-5, "probabilities max |Δ| = {dp:e}");
}

#[test]
fn distilbert_loads_through_model_dispatch_with_its_head() {
    let dir = ModelDir::open(fixtures().join("tiny-distilbert")).unwrap();
    let model = Model::load(&dir, &LoadOptions::default()).unwrap();
    assert_eq!(model.input_kind(), zoorank_features::InputKind::Text);
    assert_eq!(model.feature_dim(), 32);
    assert_eq!(model.num_classes(), Some(3));
    let out = model.forward_texts(&["the dog", "a cat runs"]).unwrap();
    assert_eq!((out.n, out.dim, out.num_classes), (2, 32, 3));
    for i in 0..2 {
        let s: f32 = out.probabilities[i * 3..(i + 1) * 3].iter().sum();
        assert!((s - 1.0).abs() < 1e-5);
    }
}

#[test]
fn distilbert_refuses_the_pooler_and_a_missing_head_tensor() {
    let dir = ModelDir::open(fixtures().join("tiny-distilbert")).unwrap();
    let err = TextEncoder::load(
        &dir,
        &TextOptions {
            pooling: Some(Pooling::Pooler),
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert!(matches!(err, FeaturesError::MissingTensor { .. }), "{err}");

    // A classifier without its pre_classifier is a broken checkpoint: named, not guessed.
    let tmp = tempfile::tempdir().unwrap();
    let src = fixtures().join("tiny-distilbert");
    for f in ["config.json", "vocab.txt", "tokenizer_config.json"] {
        std::fs::copy(src.join(f), tmp.path().join(f)).unwrap();
    }
    let bytes = std::fs::read(src.join("model.safetensors")).unwrap();
    let tensors = candle_core::safetensors::load_buffer(&bytes, &candle_core::Device::Cpu).unwrap();
    let kept: std::collections::HashMap<String, candle_core::Tensor> = tensors
        .into_iter()
        .filter(|(k, _)| !k.starts_with("pre_classifier"))
        .collect();
    candle_core::safetensors::save(&kept, tmp.path().join("model.safetensors")).unwrap();
    let dir = ModelDir::open(tmp.path()).unwrap();
    let err = TextEncoder::load(&dir, &TextOptions::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("pre_classifier.weight"), "{err}");
}

#[test]
fn roberta_cls_features_and_head_match_the_numpy_reference() {
    let (df, dp) = check("tiny-roberta", "roberta", None, "cls");
    eprintln!("roberta cls: max |Δ| features {df:e}, probabilities {dp:e}");
    assert!(df < 1e-4, "features max |Δ| = {df:e}");
    assert!(dp < 1e-5, "probabilities max |Δ| = {dp:e}");
}

#[test]
fn roberta_mean_pooling_matches_the_numpy_reference() {
    // Padding id 1 inside a batch: positions must still start at pad + 1 for every text.
    let (df, dp) = check("tiny-roberta", "roberta", Some(Pooling::Mean), "mean");
    eprintln!("roberta mean: max |Δ| features {df:e}, probabilities {dp:e}");
    assert!(df < 1e-4, "features max |Δ| = {df:e}");
    assert!(dp < 1e-5, "probabilities max |Δ| = {dp:e}");
}

#[test]
fn roberta_from_vocab_json_and_merges_gives_the_same_ids_and_features() {
    let src = fixtures().join("tiny-roberta");
    let tmp = tempfile::tempdir().unwrap();
    for f in [
        "config.json",
        "model.safetensors",
        "vocab.json",
        "merges.txt",
    ] {
        std::fs::copy(src.join(f), tmp.path().join(f)).unwrap();
    }
    let r = reference();
    let sentences = r["sentences"].as_array().unwrap();
    let texts: Vec<&str> = sentences
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    let with_json =
        TextEncoder::load(&ModelDir::open(&src).unwrap(), &TextOptions::default()).unwrap();
    let files_only = TextEncoder::load(
        &ModelDir::open(tmp.path()).unwrap(),
        &TextOptions::default(),
    )
    .unwrap();
    assert!(files_only.tokenizer_path().ends_with("vocab.json"));
    assert_eq!(
        files_only.token_ids(&texts).unwrap(),
        with_json.token_ids(&texts).unwrap()
    );
    let (a, b) = (
        with_json.forward(&texts).unwrap(),
        files_only.forward(&texts).unwrap(),
    );
    assert_eq!(a.features, b.features);
    // Without merges.txt the error names both files.
    std::fs::remove_file(tmp.path().join("merges.txt")).unwrap();
    let err = TextEncoder::load(
        &ModelDir::open(tmp.path()).unwrap(),
        &TextOptions::default(),
    )
    .err()
    .unwrap();
    assert!(
        err.to_string()
            .contains("missing tokenizer (tokenizer.json, or vocab.json and merges.txt)"),
        "{err}"
    );
}

#[test]
fn roberta_caps_length_by_the_position_offset() {
    let dir = ModelDir::open(fixtures().join("tiny-roberta")).unwrap();
    // 42 position rows, positions start at pad (1) + 1: at most 40 tokens per text.
    let enc = TextEncoder::load(
        &dir,
        &TextOptions {
            max_length: Some(1000),
            ..Default::default()
        },
    )
    .unwrap();
    let long = "the model zoo ".repeat(100);
    let ids = enc.token_ids(&[long.as_str()]).unwrap();
    assert_eq!(ids[0].len(), 40);
    let out = enc.forward(&[long.as_str(), "cats"]).unwrap();
    assert_eq!((out.n, out.dim, out.num_classes), (2, 32, 3));
}

#[test]
fn roberta_with_pooler_weights_still_defaults_to_cls() {
    let src = fixtures().join("tiny-roberta");
    let tmp = tempfile::tempdir().unwrap();
    for f in ["config.json", "tokenizer.json"] {
        std::fs::copy(src.join(f), tmp.path().join(f)).unwrap();
    }
    let mut t =
        candle_core::safetensors::load(src.join("model.safetensors"), &candle_core::Device::Cpu)
            .unwrap();
    let dev = candle_core::Device::Cpu;
    t.insert(
        "roberta.pooler.dense.weight".into(),
        candle_core::Tensor::eye(32, candle_core::DType::F32, &dev).unwrap(),
    );
    t.insert(
        "roberta.pooler.dense.bias".into(),
        candle_core::Tensor::zeros(32, candle_core::DType::F32, &dev).unwrap(),
    );
    candle_core::safetensors::save(&t, tmp.path().join("model.safetensors")).unwrap();
    let dir = ModelDir::open(tmp.path()).unwrap();
    let enc = TextEncoder::load(&dir, &TextOptions::default()).unwrap();
    assert_eq!(enc.pooling(), Pooling::Cls);
    let pooled = TextEncoder::load(
        &dir,
        &TextOptions {
            pooling: Some(Pooling::Pooler),
            ..Default::default()
        },
    )
    .unwrap();
    // Identity pooler: tanh of the CLS state.
    let (a, b) = (
        enc.forward(&["a cat"]).unwrap(),
        pooled.forward(&["a cat"]).unwrap(),
    );
    for (x, y) in a.features.iter().zip(&b.features) {
        assert!((x.tanh() - y).abs() < 1e-6);
    }
}
