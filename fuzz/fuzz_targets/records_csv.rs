//! `import records` and `import models` on any bytes: the first byte picks the delimiter and
//! whether repeats keep the last row; the rest is the file. Nothing may panic, and a successful
//! import applied twice must change nothing the second time.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use zoorank_store::import::{import_models, import_records, ModelsCsvSpec, RecordsCsvSpec};
use zoorank_store::{ImportOptions, Store};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, file)) = data.split_first() else {
        return;
    };
    let path = common::put(common::scratch(), "runs.csv", Some(file));
    let delimiter = if flags & 1 == 0 { b',' } else { b'\t' };
    let opts = ImportOptions {
        skip_bad_rows: flags & 2 != 0,
        dry_run: false,
    };
    let spec = RecordsCsvSpec {
        model_col: "model".into(),
        dataset_col: "dataset".into(),
        accuracy_col: "accuracy".into(),
        lr_col: Some("lr".into()),
        epochs_col: Some("epochs".into()),
        batch_size_col: Some("batch_size".into()),
        runtime_col: Some("train_runtime".into()),
        peft_col: Some("peft_method".into()),
        seed_col: Some("seed".into()),
        curve_col: Some("curve".into()),
        modality: None,
        delimiter: Some(delimiter),
        keep_last: flags & 4 != 0,
    };
    let mut store = Store::open_in_memory().unwrap();
    if import_records(&mut store, &path, &spec, opts).is_ok() {
        let again = import_records(&mut store, &path, &spec, opts).unwrap();
        let c = again.counts.unwrap().records;
        assert_eq!((c.new, c.updated), (0, 0), "re-import changed records");
    }
    let spec = ModelsCsvSpec {
        id_col: "model".into(),
        modality: None,
        delimiter: Some(delimiter),
    };
    let _ = import_models(&mut store, &path, &spec, opts);
});
