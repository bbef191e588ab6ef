//! What is ambiguous is refused, with real files: a header naming a column twice, a foreign
//! SQLite file, a matrix listing a model twice; rows that are not UTF-8 are bad rows; and
//! accuracies outside [0, 1] are imported with a warning naming them.

mod common;

use common::{copy_dir, data_dir, LENIENT, STRICT};
use std::path::Path;
use zoorank_store::import::{self, RecordsCsvSpec};
use zoorank_store::{ImportError, Store, StoreError};

fn records_spec(acc: &str) -> RecordsCsvSpec {
    RecordsCsvSpec {
        model_col: "model".into(),
        dataset_col: "dataset".into(),
        accuracy_col: acc.into(),
        ..RecordsCsvSpec::default()
    }
}

#[test]
fn a_records_csv_with_two_columns_of_one_name_is_refused_naming_both() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("runs.csv");
    std::fs::write(&p, "model,dataset,acc,note,acc\nm,d,0.5,x,0.9\n").unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let err = import::import_records(&mut store, &p, &records_spec("acc"), LENIENT).unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::DuplicateColumn { ref name, first: 3, second: 5, .. } if name == "acc"
        ),
        "{err}"
    );
    let msg = err.to_string();
    common::assert_contains(
        &msg,
        "runs.csv:1: column 'acc' appears twice (columns 3 and 5)",
    );
    assert_eq!(store.stats().unwrap().records, 0);
}

#[test]
fn a_transfergraph_records_file_with_a_repeated_column_is_refused_once_not_per_row() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::transfergraph_edited(tmp.path(), "records.csv", |text| {
        let (header, rest) = text.split_once('\n').unwrap();
        assert!(header.contains(",lr,"), "{header}");
        let header = header.replacen(",batch_size,", ",lr,", 1);
        format!("{header}\n{rest}")
    });
    let mut store = Store::open_in_memory().unwrap();
    let msg = common::transfergraph_refusal(&mut store, &dir, LENIENT);
    common::assert_contains(&msg, "column 'lr' appears twice (columns 5 and 6)");
    assert!(!msg.contains("records.csv:2"), "{msg}");
}

fn foreign_sqlite(path: &Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         INSERT INTO users(name) VALUES ('ada'), ('grace');
         CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER);",
    )
    .unwrap();
}

#[test]
fn a_foreign_sqlite_file_is_refused_and_its_bytes_are_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.db");
    foreign_sqlite(&path);
    let before = std::fs::read(&path).unwrap();
    for open in [Store::open, Store::open_existing] {
        let err = open(&path).unwrap_err();
        assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("is not a zoorank store"), "{msg}");
        assert!(msg.contains("other tables (orders, users)"), "{msg}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(!tmp.path().join("app.db-wal").exists());
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("notes.db");
    std::fs::write(&path, "model,dataset,accuracy\n".repeat(200)).unwrap();
    let before = std::fs::read(&path).unwrap();
    let msg = Store::open(&path).unwrap_err().to_string();
    assert!(msg.contains("not an SQLite database"), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn opening_for_reading_never_creates_a_store() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("none.db");
    let err = Store::open_existing(&missing).unwrap_err();
    assert!(matches!(err, StoreError::NoStore { .. }), "{err}");
    assert!(!missing.exists());
    let empty = tmp.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert!(Store::open_existing(&empty).is_err());
    assert_eq!(std::fs::read(&empty).unwrap(), b"");
    // A store made by a writer opens for reading.
    drop(Store::open(&missing).unwrap());
    assert_eq!(
        Store::open_existing(&missing)
            .unwrap()
            .stats()
            .unwrap()
            .records,
        0
    );
}

fn two_phase_with_header(
    tmp: &Path,
    matrix: &str,
    edit: impl Fn(&[&str]) -> String,
) -> std::path::PathBuf {
    let dir = tmp.join("two-phase");
    copy_dir(&data_dir().join("two-phase"), &dir);
    let p = dir.join(matrix);
    let text = std::fs::read_to_string(&p).unwrap();
    let (header, rest) = text.split_once('\n').unwrap();
    let names: Vec<&str> = header.split('\t').collect();
    std::fs::write(&p, format!("{}\n{rest}", edit(&names))).unwrap();
    dir
}

#[test]
fn a_two_phase_matrix_listing_a_model_twice_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    // The same name twice.
    let dir = two_phase_with_header(tmp.path(), "cv_performance_matrix.tsv", |n| {
        let mut v = n.to_vec();
        v[4] = n[1];
        v.join("\t")
    });
    let mut store = Store::open_in_memory().unwrap();
    let err = import::import_two_phase(&mut store, &dir, LENIENT).unwrap_err();
    let first = data_dir().join("two-phase/cv_performance_matrix.tsv");
    let first = std::fs::read_to_string(first).unwrap();
    let model = first.split('\t').nth(1).unwrap().trim().replace("--", "/");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "model '{model}' is listed twice (columns 2 and 5)"
        )),
        "{msg}"
    );
    // The same model written `a--b` and `a/b`.
    let tmp = tempfile::tempdir().unwrap();
    let dir = two_phase_with_header(tmp.path(), "nlp_performance_matrix.tsv", |n| {
        let mut v: Vec<String> = n.iter().map(|s| s.to_string()).collect();
        v[3] = n[0].replace("--", "/");
        v.join("\t")
    });
    let msg = import::import_two_phase(&mut store, &dir, LENIENT)
        .unwrap_err()
        .to_string();
    let nlp = std::fs::read_to_string(data_dir().join("two-phase/nlp_performance_matrix.tsv"));
    let model = nlp.unwrap().split('\t').next().unwrap().replace("--", "/");
    assert!(model.contains('/'), "{model}");
    assert!(
        msg.contains(&format!(
            "model '{model}' is listed twice (columns 1 and 4)"
        )),
        "{msg}"
    );
    assert_eq!(store.stats().unwrap().records, 0);
}

#[test]
fn rows_that_are_not_utf8_are_bad_rows_named_and_skippable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::transfergraph_copy(tmp.path());
    let p = dir.join("records.csv");
    let mut bytes = std::fs::read(&p).unwrap();
    // Corrupt one byte of the model name on line 4 (Latin-1 'é' in a UTF-8 file).
    let line4 = bytes
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .nth(2)
        .unwrap()
        .0
        + 1;
    let comma = line4 + bytes[line4..].iter().position(|&b| b == b',').unwrap();
    bytes[comma + 1] = 0xE9;
    std::fs::write(&p, &bytes).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let msg = common::transfergraph_refusal(&mut store, &dir, STRICT);
    common::assert_contains(&msg, "records.csv:4: field 2 is not valid UTF-8");
    let r = import::import_transfergraph(&mut store, &dir, LENIENT).unwrap();
    assert!(
        r.skipped
            .iter()
            .any(|s| s.location.line == 4 && s.message.contains("not valid UTF-8")),
        "{:?}",
        r.skipped
    );
    assert_eq!(store.stats().unwrap().records, 2253);
}

#[test]
fn accuracies_outside_0_1_are_imported_with_a_warning_naming_the_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("runs.csv");
    std::fs::write(
        &p,
        "model,dataset,eval_accuracy,bleu\nm,a,0.91,35.2\nm,b,91.3,40.1\nn,a,-0.2,12.0\n",
    )
    .unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let r = import::import_records(&mut store, &p, &records_spec("eval_accuracy"), STRICT).unwrap();
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].contains("2 value(s) of column 'eval_accuracy' lie outside [0, 1]"),
        "{}",
        r.warnings[0]
    );
    assert!(r.warnings[0].contains("line(s) 3, 4"), "{}", r.warnings[0]);
    assert_eq!(store.stats().unwrap().records, 3);
    // Other higher-is-better metrics may lie anywhere.
    let mut store = Store::open_in_memory().unwrap();
    let r = import::import_records(&mut store, &p, &records_spec("bleu"), STRICT).unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}
