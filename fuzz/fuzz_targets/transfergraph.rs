//! `import transfergraph` on any directory: the input holds records.csv,
//! model_config_dataset.csv, target_dataset_features.csv, transferability_score_records.csv and
//! a dataset_distances matrix, in that order, separated by `common::SEPARATOR` (missing trailing
//! files are absent).
#![no_main]

#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use zoorank_store::import::import_transfergraph;
use zoorank_store::Store;

const FILES: [&str; 5] = [
    "records.csv",
    "model_config_dataset.csv",
    "target_dataset_features.csv",
    "transferability_score_records.csv",
    "dataset_distances_domain_similarity_probe.csv",
];

fuzz_target!(|data: &[u8]| {
    let Some((dir, opts)) = common::import_dir(data, &FILES) else {
        return;
    };
    let mut store = Store::open_in_memory().unwrap();
    if import_transfergraph(&mut store, dir, opts).is_ok() {
        let again = import_transfergraph(&mut store, dir, opts).unwrap();
        let c = again.counts.unwrap().records;
        assert_eq!((c.new, c.updated), (0, 0), "re-import changed records");
    }
});
