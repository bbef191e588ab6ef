//! A model directory's `config.json` and `model.safetensors` (header and data) on any bytes,
//! separated by `common::SEPARATOR` (no second part: no weights file): opening, reading a typed
//! configuration and loading the weights must fail with an error, never panic.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use zoorank_features::ModelDir;

/// The fields a BERT-like configuration is read through.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Config {
    hidden_size: usize,
    num_hidden_layers: usize,
    vocab_size: Option<usize>,
    hidden_act: Option<String>,
}

fuzz_target!(|data: &[u8]| {
    let dir = common::scratch();
    common::put_all(dir, &["config.json", "model.safetensors"], &common::split(data, 2));
    if let Ok(model) = ModelDir::open(dir) {
        let _ = model.typed_config::<Config>();
        let _ = model.load_weights();
    }
});
