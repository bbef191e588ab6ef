//! Tiny DistilBERT (vocab.txt only), RoBERTa (byte-level BPE tokenizer.json), ELECTRA,
//! XLM-RoBERTa, CamemBERT, ALBERT and DeBERTa-v2 (SentencePiece Unigram tokenizer.json)
//! checkpoints in the
//! Hugging Face layout (random weights, real config and safetensors format, sequence-
//! classification heads) against independent float64 NumPy forward passes, on texts and on
//! sentence pairs. Fixtures: `tests/reference/text_reference.py` → `text_reference.json` and
//! `tests/reference/text_families_reference.py` → `text_families_reference.json`.
//!
//! The reference runs one sentence at a time without padding; here all sentences go through in
//! one padded batch, so the attention mask and the masked pooling are exercised too.

mod common;

use common::{
    assert_close_to_reference, assert_probabilities_sum_to_one, config, copy_files, data_dir,
    fixtures, floats, load_err, load_fixture, max_diff, save_weights_without,
};
use zoorank_features::{
    FeaturesError, InputKind, Model, ModelDir, Pooling, TextEncoder, TextInput, TextOptions,
    TokenizerSource,
};

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

// ------------------------------------------------ ELECTRA, XLM-RoBERTa, CamemBERT, ALBERT
// Fixtures: `tests/reference/text_families_reference.py` → `fixtures/text_families_reference.json`.

fn families_reference() -> serde_json::Value {
    serde_json::from_str(include_str!("fixtures/text_families_reference.json")).unwrap()
}

/// The reference's single sentences and sentence pairs as model inputs.
fn reference_inputs(r: &serde_json::Value) -> (Vec<TextInput<'_>>, Vec<TextInput<'_>>) {
    let singles = r["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| TextInput::Single(s.as_str().unwrap()))
        .collect();
    let pairs = r["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| TextInput::Pair(p[0].as_str().unwrap(), p[1].as_str().unwrap()))
        .collect();
    (singles, pairs)
}

/// Encodes the reference's sentences, then its sentence pairs, each set in one padded batch,
/// with the checkpoint's default feature and with mean pooling, and compares token ids, token
/// types, features and probabilities with the float64 reference (features and probabilities
/// within 1e-5).
fn check_family(name: &str) {
    let dir = ModelDir::open(fixtures().join(name)).unwrap();
    let r = families_reference();
    let (singles, pairs) = reference_inputs(&r);
    for (inputs, key) in [(singles, "sentences"), (pairs, "pairs")] {
        let want = r[name][key].as_array().unwrap();
        for (pooling, field) in [(None, "feature"), (Some(Pooling::Mean), "mean")] {
            let enc = with_pooling(&dir, pooling).unwrap();
            let encoded = enc.encode(&inputs).unwrap();
            for (w, (ids, types)) in want.iter().zip(&encoded) {
                let want_ids: Vec<u32> = serde_json::from_value(w["ids"].clone()).unwrap();
                let want_types: Vec<u32> = serde_json::from_value(w["type_ids"].clone()).unwrap();
                assert_eq!((ids, types), (&want_ids, &want_types), "{name} {key}");
            }
            let out = enc.forward_inputs(&inputs).unwrap();
            let want_f: Vec<f32> = want.iter().flat_map(|w| floats(&w[field])).collect();
            let want_p: Vec<f32> = want
                .iter()
                .flat_map(|w| floats(&w["probabilities"]))
                .collect();
            let what = format!("{name} {key} {field}");
            assert_close_to_reference(&what, &out, &want_f, &want_p);
            let df = max_diff(&out.features, &want_f);
            assert!(df < 1e-5, "{what}: features max |Δ| = {df:e}");
            assert_probabilities_sum_to_one(&out);
        }
    }
}

#[test]
fn electra_with_projected_embeddings_matches_the_numpy_reference_on_texts_and_pairs() {
    check_family("tiny-electra");
}

#[test]
fn xlm_roberta_with_a_unigram_tokenizer_matches_the_numpy_reference_on_texts_and_pairs() {
    check_family("tiny-xlm-roberta");
}

#[test]
fn camembert_matches_the_numpy_reference_on_texts_and_pairs() {
    check_family("tiny-camembert");
}

#[test]
fn albert_with_shared_layer_groups_matches_the_numpy_reference_on_texts_and_pairs() {
    check_family("tiny-albert");
}

#[test]
fn deberta_v2_with_bucketed_relative_positions_matches_the_numpy_reference_on_texts_and_pairs() {
    check_family("tiny-deberta-v2");
}

#[test]
fn new_text_families_load_through_model_dispatch_with_their_heads() {
    for (name, pooling) in [
        ("tiny-electra", Pooling::Cls),
        ("tiny-xlm-roberta", Pooling::Cls),
        ("tiny-camembert", Pooling::Cls),
        ("tiny-albert", Pooling::Pooler),
        ("tiny-deberta-v2", Pooling::Cls),
    ] {
        let model = load_fixture(name, InputKind::Text, 16, Some(3));
        let Model::Text(t) = &model else {
            panic!("{name} is a text model")
        };
        assert_eq!(t.pooling(), pooling, "{name}");
        let out = model
            .forward_text_inputs(&[TextInput::Pair("the dog", "a cat"), TextInput::Single("")])
            .unwrap();
        assert_eq!((out.n, out.dim, out.num_classes), (2, 16, 3), "{name}");
    }
}

#[test]
fn a_pair_is_not_the_concatenation_of_its_texts() {
    // The pair template ([SEP] between the texts, token type 1 on the second) is what the
    // model reads, not the two texts run together.
    let dir = ModelDir::open(fixtures().join("tiny-electra")).unwrap();
    let enc = TextEncoder::load(&dir, &TextOptions::default()).unwrap();
    let pair = enc
        .forward_inputs(&[TextInput::Pair("the dog", "a cat")])
        .unwrap();
    let single = enc.forward(&["the dog a cat"]).unwrap();
    assert!(max_diff(&pair.features, &single.features) > 1e-3);
}

#[test]
fn electra_without_a_head_gives_features_only() {
    let src = fixtures().join("tiny-electra");
    let tmp = tempfile::tempdir().unwrap();
    copy_files(&src, tmp.path(), &["config.json", "vocab.txt"]);
    save_weights_without(&src, tmp.path(), |t| t.starts_with("classifier"));
    let enc = TextEncoder::load(
        &ModelDir::open(tmp.path()).unwrap(),
        &TextOptions::default(),
    )
    .unwrap();
    assert_eq!(enc.num_classes(), None);
    let out = enc.forward(&["the dog"]).unwrap();
    assert_eq!((out.n, out.dim, out.num_classes), (1, 16, 0));
}

#[test]
fn sentencepiece_families_without_tokenizer_json_name_the_file() {
    for name in ["tiny-albert", "tiny-xlm-roberta", "tiny-deberta-v2"] {
        let src = fixtures().join(name);
        let tmp = tempfile::tempdir().unwrap();
        copy_files(&src, tmp.path(), &["config.json", "model.safetensors"]);
        let err = TextEncoder::load(
            &ModelDir::open(tmp.path()).unwrap(),
            &TextOptions::default(),
        )
        .err()
        .unwrap();
        assert!(matches!(err, FeaturesError::MissingFile { .. }), "{err}");
        assert!(err.to_string().contains("tokenizer.json"), "{err}");
        // Asking for the vocabulary files of a SentencePiece model is the same error.
        let err = TextEncoder::load(
            &ModelDir::open(&src).unwrap(),
            &TextOptions {
                tokenizer: TokenizerSource::VocabTxt,
                ..Default::default()
            },
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("tokenizer.json"), "{err}");
    }
}

#[test]
fn albert_refuses_an_unknown_activation_and_groups_that_do_not_fit() {
    let src = fixtures().join("tiny-albert");
    for (field, value, expect) in [
        ("hidden_act", serde_json::json!("swish"), "hidden_act"),
        (
            "num_hidden_groups",
            serde_json::json!(0),
            "num_hidden_groups",
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        copy_files(&src, tmp.path(), &["model.safetensors", "tokenizer.json"]);
        let mut cfg = config(&src);
        cfg[field] = value;
        std::fs::write(tmp.path().join("config.json"), cfg.to_string()).unwrap();
        let err = load_err(tmp.path());
        assert!(matches!(err, FeaturesError::InvalidConfig { .. }), "{err}");
        assert!(err.to_string().contains(expect), "{err}");
    }
}

#[test]
fn an_unsupported_model_type_lists_the_text_families() {
    let src = fixtures().join("tiny-electra");
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(&src);
    cfg["model_type"] = serde_json::json!("fnet");
    std::fs::write(tmp.path().join("config.json"), cfg.to_string()).unwrap();
    let msg = load_err(tmp.path()).to_string();
    for t in [
        "\"fnet\"",
        "electra",
        "albert",
        "xlm-roberta",
        "camembert",
        "deberta-v2",
    ] {
        assert!(msg.contains(t), "{msg}");
    }
}

/// The `model_type`s of a text zoo's `model_config_dataset.csv` with their counts.
fn zoo_model_types(path: &std::path::Path) -> std::collections::BTreeMap<String, usize> {
    // Rows without an accuracy end one field early.
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e} (set ZOORANK_DATA)", path.display()));
    let headers = reader.headers().unwrap().clone();
    let col = headers.iter().position(|h| h == "model_type").unwrap();
    let mut counts = std::collections::BTreeMap::new();
    for row in reader.records() {
        *counts
            .entry(row.unwrap()[col].trim().to_string())
            .or_default() += 1;
    }
    counts
}

#[test]
fn at_least_95_percent_of_the_text_zoos_models_have_a_supported_model_type() {
    let supported = |t: &str| zoorank_features::SUPPORTED_MODEL_TYPES.contains(&t);
    // Every family of a text zoo of the usual mix is supported.
    for t in [
        "bert",
        "distilbert",
        "roberta",
        "xlm-roberta",
        "electra",
        "albert",
        "camembert",
        "deberta-v2",
    ] {
        assert!(supported(t), "{t}");
    }
    let counts =
        zoo_model_types(&data_dir().join("transfergraph-text-sample/model_config_dataset.csv"));
    let total: usize = counts.values().sum();
    let covered: usize = counts
        .iter()
        .filter(|(t, _)| supported(t))
        .map(|(_, n)| n)
        .sum();
    for (t, n) in &counts {
        eprintln!(
            "| {t} | {n} | {} |",
            if supported(t) { "yes" } else { "no" }
        );
    }
    eprintln!("supported: {covered} of {total}");
    assert_eq!(total, 24, "the shipped text zoo sample lists 24 models");
    assert!(covered * 100 >= 95 * total, "{covered} of {total}");
}

/// The message of the error that loading tiny RoBERTa's tokenizer gives with the first `from`
/// of its `tokenizer.json` replaced by `to`; the error must be a [`FeaturesError::Tokenizer`].
fn tokenizer_json_error(from: &str, to: &str) -> String {
    let src = fixtures().join("tiny-roberta");
    let tmp = tempfile::tempdir().unwrap();
    copy_files(&src, tmp.path(), &["config.json"]);
    let original = std::fs::read_to_string(src.join("tokenizer.json")).unwrap();
    let edited = original.replacen(from, to, 1);
    assert_ne!(edited, original, "the edit must change the file");
    std::fs::write(tmp.path().join("tokenizer.json"), edited).unwrap();
    let err = zoorank_features::TextTokenizer::load(
        &ModelDir::open(tmp.path()).unwrap(),
        &TextOptions::default(),
    )
    .err()
    .unwrap();
    let msg = err.to_string();
    assert!(matches!(err, FeaturesError::Tokenizer { .. }), "{msg}");
    msg
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
    let msg = tokenizer_json_error(
        r#""decoder": {"#,
        r#""decoder": {"type": "ByteLevel", "add_prefix_space": tru, "#,
    );
    assert!(
        msg.contains("tokenizer.json") && msg.contains("not valid JSON"),
        "{msg}"
    );
    assert!(msg.contains("line"), "the position of the error: {msg}");
}

#[test]
fn a_section_the_tokenizers_library_panics_on_is_an_error_naming_the_file() {
    // Valid JSON the library panics on ("Precompiled"): a normalizer without its charsmap.
    let msg = tokenizer_json_error(
        r#""normalizer": null"#,
        r#""normalizer": {"type": "Precompiled"}"#,
    );
    assert!(
        msg.contains("tokenizer.json") && msg.contains("Precompiled"),
        "{msg}"
    );
}
