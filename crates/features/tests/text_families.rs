//! Tiny DistilBERT (vocab.txt only) and RoBERTa (byte-level BPE tokenizer.json) checkpoints in
//! the Hugging Face layout (random weights, real config and safetensors format, sequence-
//! classification heads) against independent float64 NumPy forward passes. Fixtures:
//! `tests/reference/text_reference.py` → `tests/fixtures/text_reference.json`.
//!
//! The reference runs one sentence at a time without padding; here all sentences go through in
//! one padded batch, so the attention mask and the masked pooling are exercised too.

mod common;

use common::{
    assert_close_to_reference, assert_probabilities_sum_to_one, copy_files, fixtures, floats,
    load_fixture, save_weights_without,
};
use zoorank_features::{FeaturesError, InputKind, ModelDir, Pooling, TextEncoder, TextOptions};

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("fixtures/text_reference.json")).unwrap()
}

/// The texts of the reference sentences.
fn sentence_texts(sentences: &[serde_json::Value]) -> Vec<&str> {
    sentences
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect()
}

/// `dir`'s text encoder with `pooling` (`None`: the checkpoint's default).
fn with_pooling(dir: &ModelDir, pooling: Option<Pooling>) -> Result<TextEncoder, FeaturesError> {
    TextEncoder::load(
        dir,
        &TextOptions {
            pooling,
            ..Default::default()
        },
    )
}

/// Encodes every reference sentence in one batch with `pooling` and compares features with
/// `key`'s `pooled` reference and probabilities with its `probabilities`.
fn check(model_dir: &str, key: &str, pooling: Option<Pooling>, pooled: &str) {
    let dir = ModelDir::open(fixtures().join(model_dir)).unwrap();
    let enc = with_pooling(&dir, pooling).unwrap();
    let r = reference();
    let sentences = r["sentences"].as_array().unwrap();
    let texts = sentence_texts(sentences);
    let ids = enc.token_ids(&texts).unwrap();
    for (s, got) in sentences.iter().zip(&ids) {
        let ids = if s[key]["ids"].is_array() {
            &s[key]["ids"]
        } else {
            &s["ids"]
        };
        let want: Vec<u32> = serde_json::from_value(ids.clone()).unwrap();
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
    assert_close_to_reference(&format!("{key} {pooled}"), &out, &want_f, &want_p);
}

/// [`check`] with the `[CLS]` state and with mean pooling.
fn check_cls_and_mean(model_dir: &str, key: &str) {
    check(model_dir, key, None, "cls");
    check(model_dir, key, Some(Pooling::Mean), "mean");
}

#[test]
fn distilbert_cls_and_mean_pooling_features_and_head_match_the_numpy_reference() {
    check_cls_and_mean("tiny-distilbert", "distilbert");
}

#[test]
fn distilbert_loads_through_model_dispatch_with_its_head() {
    let model = load_fixture("tiny-distilbert", InputKind::Text, 32, Some(3));
    let out = model.forward_texts(&["the dog", "a cat runs"]).unwrap();
    assert_eq!((out.n, out.dim, out.num_classes), (2, 32, 3));
    assert_probabilities_sum_to_one(&out);
}

#[test]
fn distilbert_refuses_the_pooler_and_a_missing_head_tensor() {
    let dir = ModelDir::open(fixtures().join("tiny-distilbert")).unwrap();
    let err = with_pooling(&dir, Some(Pooling::Pooler)).err().unwrap();
    assert!(matches!(err, FeaturesError::MissingTensor { .. }), "{err}");

    // A classifier without its pre_classifier is a broken checkpoint: named, not guessed.
    let tmp = tempfile::tempdir().unwrap();
    let src = fixtures().join("tiny-distilbert");
    copy_files(
        &src,
        tmp.path(),
        &["config.json", "vocab.txt", "tokenizer_config.json"],
    );
    save_weights_without(&src, tmp.path(), |t| t.starts_with("pre_classifier"));
    let dir = ModelDir::open(tmp.path()).unwrap();
    let err = TextEncoder::load(&dir, &TextOptions::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("pre_classifier.weight"), "{err}");
}

#[test]
fn roberta_cls_and_mean_pooling_features_and_head_match_the_numpy_reference() {
    // Padding id 1 inside a batch: positions must still start at pad + 1 for every text.
    check_cls_and_mean("tiny-roberta", "roberta");
}

#[test]
fn roberta_from_vocab_json_and_merges_gives_the_same_ids_and_features() {
    let src = fixtures().join("tiny-roberta");
    let tmp = tempfile::tempdir().unwrap();
    copy_files(
        &src,
        tmp.path(),
        &[
            "config.json",
            "model.safetensors",
            "vocab.json",
            "merges.txt",
        ],
    );
    let r = reference();
    let sentences = r["sentences"].as_array().unwrap();
    let texts = sentence_texts(sentences);
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
    copy_files(&src, tmp.path(), &["config.json", "tokenizer.json"]);
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
    let pooled = with_pooling(&dir, Some(Pooling::Pooler)).unwrap();
    // Identity pooler: tanh of the CLS state.
    let (a, b) = (
        enc.forward(&["a cat"]).unwrap(),
        pooled.forward(&["a cat"]).unwrap(),
    );
    for (x, y) in a.features.iter().zip(&b.features) {
        assert!((x.tanh() - y).abs() < 1e-6);
    }
}

/// A copy of tiny RoBERTa's configuration with `tokenizer.json` replaced by `edit` of the
/// original text, and what loading its tokenizer gives.
fn load_edited_tokenizer_json(
    edit: impl Fn(&str) -> String,
) -> Result<zoorank_features::TextTokenizer, FeaturesError> {
    let src = fixtures().join("tiny-roberta");
    let tmp = tempfile::tempdir().unwrap();
    copy_files(&src, tmp.path(), &["config.json"]);
    let original = std::fs::read_to_string(src.join("tokenizer.json")).unwrap();
    let edited = edit(&original);
    assert_ne!(edited, original, "the edit must change the file");
    std::fs::write(tmp.path().join("tokenizer.json"), edited).unwrap();
    zoorank_features::TextTokenizer::load(
        &ModelDir::open(tmp.path()).unwrap(),
        &TextOptions::default(),
    )
}

#[test]
fn the_tokenizer_alone_gives_the_encoders_ids() {
    let dir = ModelDir::open(fixtures().join("tiny-roberta")).unwrap();
    let long = "the model zoo ".repeat(100);
    let texts = ["a cat", "", long.as_str()];
    let alone = zoorank_features::TextTokenizer::load(&dir, &TextOptions::default()).unwrap();
    let encoder = TextEncoder::load(&dir, &TextOptions::default()).unwrap();
    assert_eq!(alone.path(), encoder.tokenizer_path());
    assert_eq!(
        alone.token_ids(&texts).unwrap(),
        encoder.token_ids(&texts).unwrap()
    );
}

#[test]
fn a_syntax_error_inside_the_decoder_section_is_an_error_naming_the_file() {
    // The tokenizers library panics ("Helper") on a syntax error inside `decoder` instead of
    // returning its error.
    let err = load_edited_tokenizer_json(|t| {
        t.replacen(
            r#""decoder": {"#,
            r#""decoder": {"type": "ByteLevel", "add_prefix_space": tru, "#,
            1,
        )
    })
    .err()
    .unwrap();
    let msg = err.to_string();
    assert!(matches!(err, FeaturesError::Tokenizer { .. }), "{msg}");
    assert!(
        msg.contains("tokenizer.json") && msg.contains("not valid JSON"),
        "{msg}"
    );
    assert!(msg.contains("line"), "the position of the error: {msg}");
}

#[test]
fn a_section_the_tokenizers_library_panics_on_is_an_error_naming_the_file() {
    // Valid JSON the library panics on ("Precompiled"): a normalizer without its charsmap.
    let err = load_edited_tokenizer_json(|t| {
        t.replacen(
            r#""normalizer": null"#,
            r#""normalizer": {"type": "Precompiled"}"#,
            1,
        )
    })
    .err()
    .unwrap();
    let msg = err.to_string();
    assert!(matches!(err, FeaturesError::Tokenizer { .. }), "{msg}");
    assert!(
        msg.contains("tokenizer.json") && msg.contains("Precompiled"),
        "{msg}"
    );
}
