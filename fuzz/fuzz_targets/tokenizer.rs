//! The tokenizer-file loader on any bytes, inside the tiny test checkpoints: the first byte picks
//! `tokenizer.json` (tiny RoBERTa) or `vocab.txt` (tiny DistilBERT); the rest is that file. A
//! tokenizer that loads then encodes a few texts.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use zoorank_features::{ModelDir, TextEncoder, TextOptions, TokenizerSource};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/features/tests/fixtures").join(name)
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, file)) = data.split_first() else {
        return;
    };
    let (model, name, source) = if flags & 1 == 0 {
        ("tiny-roberta", "tokenizer.json", TokenizerSource::TokenizerJson)
    } else {
        ("tiny-distilbert", "vocab.txt", TokenizerSource::VocabTxt)
    };
    let dir = common::scratch("tokenizer");
    for e in std::fs::read_dir(fixture(model)).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    common::write(&dir, name, file);
    let options = TextOptions {
        tokenizer: source,
        ..TextOptions::default()
    };
    if let Ok(encoder) = ModelDir::open(&dir).and_then(|d| TextEncoder::load(&d, &options)) {
        let _ = encoder.forward(&["a short text", "", "ünïcödé 🙂 text"]);
    }
    let _ = std::fs::remove_dir_all(&dir);
});
