//! Schema migrations, on both backends: from nothing and from every earlier version.

use zoorank_store::{RecordRow, Store, SCHEMA_VERSION};

mod common;

fn record() -> RecordRow {
    let mut row = RecordRow::new("m", "d", 0.8, "test");
    row.run_key = "lr=0.01".into();
    row.run.learning_rate = Some(0.01);
    row.run.curve = Some(vec![0.5, 0.7, 0.8]);
    row
}

#[test]
fn an_empty_file_is_migrated_to_the_current_version() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("new.db");
    std::fs::write(&path, b"").unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 4);
    common::each_location(|loc| {
        assert_eq!(
            Store::open(loc).unwrap().schema_version().unwrap(),
            SCHEMA_VERSION
        );
    });
}

#[test]
fn a_store_of_every_earlier_version_keeps_its_data_and_gains_the_new_tables() {
    for from in 1..SCHEMA_VERSION {
        let ran = common::each_location(|loc| from_version(loc, from));
        assert!(ran.contains(&"sqlite"));
    }
}

fn from_version(path: &str, from: i64) {
    {
        let mut old = Store::open_at_version(path, from).unwrap();
        assert_eq!(old.schema_version().unwrap(), from);
        old.upsert_records(&[record()]).unwrap();
        // Version 1 has no embeddings table.
        assert_eq!(old.put_embedding("d", "probe", &[1.0]).is_err(), from < 2);
    }
    let mut store = Store::open(path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let zoo = store.load_zoo().unwrap();
    assert_eq!(zoo.records.len(), 1);
    assert_eq!(zoo.records[0].curve, Some(vec![0.5, 0.7, 0.8]));
    store.put_embedding("d", "probe", &[1.0, -2.5]).unwrap();
    assert_eq!(
        store.get_embedding("d", "probe").unwrap(),
        Some(vec![1.0, -2.5])
    );
    store.put_blob("k", b"bytes").unwrap();
    assert_eq!(store.get_blob("k").unwrap().as_deref(), Some(&b"bytes"[..]));
    // Usage and deletion by key prefix ("%" and "_" are not wildcards).
    store.put_blob("embedder:a", b"12345").unwrap();
    store.put_blob("embedder%b", b"1").unwrap();
    assert_eq!(store.blob_usage("embedder:").unwrap(), (1, 5));
    assert_eq!(store.blob_usage("").unwrap(), (3, 11));
    assert_eq!(store.delete_blobs("embedder:").unwrap(), 1);
    assert_eq!(
        store.get_blob("embedder%b").unwrap().as_deref(),
        Some(&b"1"[..])
    );
    assert_eq!(store.delete_blobs("").unwrap(), 2);
    assert_eq!(store.blob_usage("").unwrap(), (0, 0));
    // Keeping the newest blobs of a prefix: rewriting a blob makes it the newest; other
    // prefixes are untouched.
    for k in ["e:1", "e:2", "e:3", "other"] {
        store.put_blob(k, k.as_bytes()).unwrap();
    }
    store.put_blob("e:1", b"again").unwrap();
    assert_eq!(store.keep_newest_blobs("e:", 2).unwrap(), 1);
    assert_eq!(store.get_blob("e:2").unwrap(), None);
    assert_eq!(
        store.get_blob("e:1").unwrap().as_deref(),
        Some(&b"again"[..])
    );
    assert!(store.get_blob("e:3").unwrap().is_some());
    assert!(store.get_blob("other").unwrap().is_some());
    assert_eq!(store.keep_newest_blobs("e:", 2).unwrap(), 0);
    assert_eq!(store.keep_newest_blobs("e:", 0).unwrap(), 2);
    assert_eq!(store.blob_usage("").unwrap(), (1, 5));
    store.delete_blobs("").unwrap();
    // Re-opening an up-to-date file is a no-op.
    drop(store);
    assert_eq!(
        Store::open(path).unwrap().load_zoo().unwrap().records.len(),
        1
    );
}

#[test]
fn a_newer_schema_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("future.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Store::open(&path).unwrap_err().to_string();
    assert!(err.contains("99 is newer"), "{err}");
}

#[test]
fn non_finite_values_are_refused() {
    let mut store = Store::open_in_memory().unwrap();
    let mut r = record();
    r.run.accuracy = f64::NAN;
    assert!(store.upsert_records(&[r]).is_err());
    assert!(store.put_embedding("x", "m", &[f32::INFINITY]).is_err());
    assert_eq!(store.stats().unwrap().records, 0);
    assert_eq!(store.stats().unwrap().models, 0);
}
