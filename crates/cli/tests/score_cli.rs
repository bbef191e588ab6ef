//! `zoorank score` against the independent numpy/scipy/scikit-learn reference values of
//! crates/scores/tests/reference (fixtures.json and the .npy files next to it, made by
//! make_fixtures.py), plus refusals of bad input.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scores/tests/reference")
}

fn zoorank(db: &Path) -> Command {
    let mut c = Command::cargo_bin("zoorank").unwrap();
    c.arg("--db").arg(db).env_remove("ZOORANK_DB");
    c
}

fn expected(case: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(reference_dir().join("fixtures.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["cases"][case]["expected"].clone()
}

fn data(case: &str, part: &str) -> PathBuf {
    reference_dir()
        .join("data")
        .join(format!("{case}_{part}.npy"))
}

#[test]
fn score_matches_reference_on_gaussian_n_below_d_and_collinear() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("zoo.db");
    for case in ["gaussian", "n_lt_d", "collinear"] {
        let out = zoorank(&db)
            .arg("score")
            .arg("--features")
            .arg(data(case, "x"))
            .arg("--labels")
            .arg(data(case, "y"))
            .arg("--source-probs")
            .arg(data(case, "p"))
            .args(["--method", "logme,hscore,leep,NCE", "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let want = expected(case);
        for (id, tol) in [
            ("logme", 1e-4),
            ("h-score", 1e-6),
            ("leep", 1e-6),
            ("nce", 1e-6),
        ] {
            let g = got[id]["value"]
                .as_f64()
                .unwrap_or_else(|| panic!("{case}: no {id} in {got}"));
            let w = want[id].as_f64().unwrap();
            assert!(
                (g - w).abs() <= tol * w.abs(),
                "{case}/{id}: got {g}, reference {w}"
            );
            assert!(got[id]["seconds"].as_f64().unwrap() >= 0.0);
        }
        assert_eq!(got.as_object().unwrap().len(), 4, "{case}: {got}");
    }
}

#[test]
fn method_all_runs_every_method_whose_inputs_are_given() {
    let tmp = tempfile::tempdir().unwrap();
    let out = zoorank(&tmp.path().join("zoo.db"))
        .arg("score")
        .arg("--features")
        .arg(data("gaussian", "x"))
        .arg("--labels")
        .arg(data("gaussian", "y"))
        .args(["--method", "all", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let obj = got.as_object().unwrap();
    assert_eq!(obj.len(), 11, "features-only methods: {got}");
    assert!(!obj.contains_key("leep") && obj.contains_key("reg-h-score"));
}

#[test]
fn nan_features_are_refused_with_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("x.csv");
    std::fs::write(&csv, "a,b\n1.0,2.0\n3.0,nan\n0.5,0.1\n2.0,2.5\n").unwrap();
    let labels = tmp.path().join("y.csv");
    std::fs::write(&labels, "0\n0\n1\n1\n").unwrap();
    zoorank(&tmp.path().join("zoo.db"))
        .arg("score")
        .arg("--features")
        .arg(&csv)
        .arg("--labels")
        .arg(&labels)
        .args(["--method", "logme"])
        .assert()
        .failure()
        .code(1)
        .stderr(
            predicate::str::contains("not finite").and(predicate::str::contains("row 1, column 1")),
        );
}

#[test]
fn bad_requests_fail_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("zoo.db");
    // Unknown method.
    zoorank(&db)
        .arg("score")
        .arg("--features")
        .arg(data("gaussian", "x"))
        .arg("--labels")
        .arg(data("gaussian", "y"))
        .args(["--method", "logmee"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown score method `logmee`"));
    // LEEP without probabilities.
    zoorank(&db)
        .arg("score")
        .arg("--features")
        .arg(data("gaussian", "x"))
        .arg("--labels")
        .arg(data("gaussian", "y"))
        .args(["--method", "leep"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("needs --source-probs"));
    // Labels of another length.
    zoorank(&db)
        .arg("score")
        .arg("--features")
        .arg(data("gaussian", "x"))
        .arg("--labels")
        .arg(data("n_lt_d", "y"))
        .args(["--method", "logme"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("300 rows but there are 40 labels"));
    // --store without --model.
    zoorank(&db)
        .arg("score")
        .arg("--features")
        .arg(data("gaussian", "x"))
        .arg("--labels")
        .arg(data("gaussian", "y"))
        .args(["--store", "--dataset", "d"])
        .assert()
        .failure()
        .code(2);
}

#[test]
fn store_writes_the_scores_into_the_zoo() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("zoo.db");
    zoorank(&db)
        .arg("score")
        .arg("--features")
        .arg(data("gaussian", "x"))
        .arg("--labels")
        .arg(data("gaussian", "y"))
        .args([
            "--method",
            "logme,reg-h-score",
            "--store",
            "--model",
            "m/one",
            "--dataset",
            "toy",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("2 new"));
    let store = zoorank_store::Store::open(&db).unwrap();
    let zoo = store.load_zoo().unwrap();
    assert_eq!(zoo.scores.len(), 2, "{:?}", zoo.scores);
    let want = expected("gaussian")["logme"].as_f64().unwrap();
    assert!(zoo
        .scores
        .iter()
        .any(|s| s.method == "logme" && (s.value - want).abs() <= 1e-4 * want.abs()));
}
