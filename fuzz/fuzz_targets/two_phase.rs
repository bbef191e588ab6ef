//! `import two-phase` on any directory: the input holds `x_performance_matrix.tsv`,
//! `x_benchmark_datasets.txt` and `x_leep_target.tsv`, separated by `common::SEPARATOR`.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use zoorank_store::import::import_two_phase;
use zoorank_store::{ImportOptions, Store};

const FILES: [&str; 3] = [
    "nlp_performance_matrix.tsv",
    "nlp_benchmark_datasets.txt",
    "nlp_leep_target.tsv",
];

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let dir = common::scratch();
    common::put_all(dir, &FILES, &common::split(rest, FILES.len()));
    let opts = ImportOptions {
        skip_bad_rows: flags & 1 != 0,
        dry_run: false,
    };
    let mut store = Store::open_in_memory().unwrap();
    let _ = import_two_phase(&mut store, dir, opts);
});
