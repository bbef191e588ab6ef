//! `zoorank cluster`, `zoorank recall`, `zoorank select` end to end.

mod common;

use common::{data_dir, import_two_phase, json, zoorank};
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn curves() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../select/tests/reference/probe_curves.jsonl")
}

#[test]
fn recall_on_multirc_after_importing_two_phase_recalls_albert() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("zoo.db");
    import_two_phase(&db);
    let r = json(zoorank(&db).args(["recall", "--target", "multirc", "--top", "10", "--json"]));
    let ranking = r["ranking"].as_array().unwrap();
    let albert = ranking
        .iter()
        .find(|m| m["name"] == "albert-base-v2")
        .unwrap();
    assert_eq!(albert["rank"], 2);
    assert_eq!(albert["recalled"], true);
    assert_eq!(r["proxy_computations"], 8);
    zoorank(&db)
        .args(["recall", "--target", "nope"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown target dataset 'nope'"));
}

#[test]
fn cluster_from_two_phase_reports_both_silhouettes() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("zoo.db");
    let r = json(
        zoorank(&db)
            .args(["cluster", "--from", "two-phase", "--json", "--dir"])
            .arg(data_dir().join("two-phase")),
    );
    let nlp = &r[0];
    assert_eq!(nlp["shape"], serde_json::json!([39, 21]));
    assert_eq!(nlp["non_singleton_clusters"], 8);
    assert!((nlp["hierarchical_silhouette_cui"].as_f64().unwrap() - 0.537).abs() < 1e-3);
    assert!((r[1]["hierarchical_silhouette"].as_f64().unwrap() - 0.533).abs() < 1e-3);
}

#[test]
fn select_replays_real_curves_and_explains_bad_usage() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("absent.db");
    let select_iris_by_replay = || {
        let mut c = zoorank(&db);
        c.args(["select", "--target", "iris", "--trainer", "replay"]);
        c
    };
    let r = json(
        select_iris_by_replay()
            .args(["--json", "--curves"])
            .arg(curves()),
    );
    assert_eq!(r["selected"], "rp-relu-512");
    assert_eq!(r["epochs"], 33);
    assert_eq!(r["brute_force_epochs"], 240);
    assert_eq!(r["successive_halving_epochs"], 38);
    assert!(
        !db.exists(),
        "select must not create a store it does not need"
    );
    select_iris_by_replay()
        .args(["--models", "raw"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--trainer replay needs --curves"));
}
