//! `import two-phase` on any directory: the input holds `x_performance_matrix.tsv`,
//! `x_benchmark_datasets.txt` and `x_leep_target.tsv`, separated by `common::SEPARATOR`.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use zoorank_store::import::import_two_phase;

const FILES: [&str; 3] = [
    "nlp_performance_matrix.tsv",
    "nlp_benchmark_datasets.txt",
    "nlp_leep_target.tsv",
];

fuzz_target!(|data: &[u8]| {
    common::on_import_dir(data, &FILES, |store, dir, opts| {
        let _ = import_two_phase(store, dir, opts);
    });
});
