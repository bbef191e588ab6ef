//! `import transfergraph` on any directory: the input holds records.csv,
//! model_config_dataset.csv, target_dataset_features.csv, transferability_score_records.csv and
//! a dataset_distances matrix, in that order, separated by `common::SEPARATOR` (missing trailing
//! files are absent).
#![no_main]

#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use zoorank_store::import::import_transfergraph;

const FILES: [&str; 5] = [
    "records.csv",
    "model_config_dataset.csv",
    "target_dataset_features.csv",
    "transferability_score_records.csv",
    "dataset_distances_domain_similarity_probe.csv",
];

fuzz_target!(|data: &[u8]| {
    common::on_import_dir(data, &FILES, |store, dir, opts| {
        if import_transfergraph(store, dir, opts).is_ok() {
            let again = import_transfergraph(store, dir, opts).unwrap();
            let c = again.counts.unwrap().records;
            assert_eq!((c.new, c.updated), (0, 0), "re-import changed records");
        }
    });
});
