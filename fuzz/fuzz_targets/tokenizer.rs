//! The tokenizer-file loader on any bytes, with the configuration of the tiny test checkpoints:
//! the first byte picks `tokenizer.json` (tiny RoBERTa) or `vocab.txt` (tiny DistilBERT); the
//! rest is that file. A tokenizer that loads then encodes a few texts. The tokenizer is read
//! and set up by `TextTokenizer`, which `TextEncoder::load` uses too; the weights are not
//! loaded, since nothing in them depends on the tokenizer file.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use zoorank_features::{ModelDir, TextOptions, TextTokenizer, TokenizerSource};

macro_rules! fixture {
    ($model:literal, $file:literal) => {
        (
            $file,
            &include_bytes!(concat!("../../crates/features/tests/fixtures/", $model, "/", $file))[..],
        )
    };
}

/// A directory under the scratch one holding `files`, made once.
fn model_dir(lock: &'static OnceLock<PathBuf>, name: &str, files: &[(&str, &[u8])]) -> &'static Path {
    lock.get_or_init(|| {
        let dir = common::scratch().join(name);
        std::fs::create_dir_all(&dir).expect("a writable temporary directory");
        for (file, bytes) in files {
            common::put(&dir, file, Some(bytes));
        }
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    static ROBERTA: OnceLock<PathBuf> = OnceLock::new();
    static DISTILBERT: OnceLock<PathBuf> = OnceLock::new();
    let Some((&flags, file)) = data.split_first() else {
        return;
    };
    let (dir, name, source) = if flags & 1 == 0 {
        let files = [
            fixture!("tiny-roberta", "config.json"),
            fixture!("tiny-roberta", "tokenizer_config.json"),
        ];
        let dir = model_dir(&ROBERTA, "tiny-roberta", &files);
        (dir, "tokenizer.json", TokenizerSource::TokenizerJson)
    } else {
        let files = [
            fixture!("tiny-distilbert", "config.json"),
            fixture!("tiny-distilbert", "tokenizer_config.json"),
        ];
        let dir = model_dir(&DISTILBERT, "tiny-distilbert", &files);
        (dir, "vocab.txt", TokenizerSource::VocabTxt)
    };
    common::put(dir, name, Some(file));
    let options = TextOptions {
        tokenizer: source,
        ..TextOptions::default()
    };
    if let Ok(tokenizer) = ModelDir::open(dir).and_then(|d| TextTokenizer::load(&d, &options)) {
        let _ = tokenizer.token_ids(&["a short text", "", "ünïcödé 🙂 text"]);
    }
});
