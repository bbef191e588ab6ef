//! `zoorank cluster`, `zoorank recall`, `zoorank select` end to end.

mod common;

use common::{
    data_dir, import_image_zoo, import_two_phase, json, stderr_of_failure, temp_store, zoorank,
};
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn curves() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../select/tests/reference/probe_curves.jsonl")
}

#[test]
fn recall_on_multirc_after_importing_two_phase_recalls_albert() {
    let (_tmp, db) = temp_store();
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
    let (_tmp, db) = temp_store();
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

/// Replay curves of every candidate on `target` rising over five epochs to its recorded
/// accuracy (read from `recommend --json`), written to `path`.
fn curves_of_records(db: &Path, target: &str, path: &Path) {
    let rec = json(zoorank(db).args([
        "recommend",
        "--target",
        target,
        "--top",
        "100000",
        "--no-intervals",
        "--json",
    ]));
    let mut text = String::new();
    for m in rec["models"].as_array().unwrap() {
        let Some(acc) = m["recorded_accuracy"].as_f64() else {
            continue;
        };
        for e in 1..=5 {
            let v = acc * (0.8 + 0.04 * e as f64);
            text.push_str(&format!(
                "{{\"model\":{},\"dataset\":\"{target}\",\"epoch\":{e},\"val_accuracy\":{v}}}\n",
                m["model"]
            ));
        }
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn the_budget_loop_replays_runs_resumes_from_its_file_and_reports_failed_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("img.db");
    import_image_zoo(&db);
    let curves = tmp.path().join("curves.jsonl");
    curves_of_records(&db, "dtd", &curves);
    let runs = tmp.path().join("runs.csv");
    let budget_loop = |k: &str| {
        let mut c = zoorank(&db);
        c.args([
            "select",
            "--target",
            "dtd",
            "--trainer",
            "replay",
            "--budget",
            k,
        ])
        .args(["--max-epochs", "5", "--no-intervals", "--json", "--curves"])
        .arg(&curves)
        .arg("--runs-out")
        .arg(&runs);
        c
    };
    let out = json(&mut budget_loop("3"));
    let made: Vec<&str> = out["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["model"].as_str().unwrap())
        .collect();
    assert_eq!(made.len(), 3);
    // The final recommendation is `recommend --observed` on the runs file.
    let by_hand = json(
        zoorank(&db)
            .args(["recommend", "--target", "dtd", "--no-intervals"])
            .args(["--json", "--observed"])
            .arg(&runs),
    );
    assert_eq!(out["recommendation"], by_hand);
    assert_eq!(by_hand["observed_runs"], 3);
    // Resumed: one more run, none of the three again, appended to the same file.
    let more = json(budget_loop("1").arg("--observed").arg(&runs));
    assert_eq!(more["earlier_runs"], 3);
    let fourth = more["runs"][0]["model"].as_str().unwrap();
    assert!(!made.contains(&fourth), "{fourth} ran twice");
    let text = std::fs::read_to_string(&runs).unwrap();
    assert!(text.starts_with("model,dataset,accuracy,kind\n"), "{text}");
    assert_eq!(text.lines().count(), 5);
    assert!(text
        .lines()
        .all(|l| l.ends_with(",finetune") || l.ends_with(",kind")));
    // A training command that fails: every run reported, exit 1 with a clear message.
    let e = stderr_of_failure(
        zoorank(&db).args([
            "select",
            "--target",
            "dtd",
            "--trainer",
            "command",
            "--command",
            "echo boom >&2; false {model}",
            "--budget",
            "2",
            "--no-intervals",
        ]),
        1,
    );
    assert!(
        e.contains("every run of the budget loop failed") && e.contains("boom"),
        "{e}"
    );
    // An unknown run kind in --observed names its row.
    std::fs::write(&runs, "model,accuracy,kind\nx,0.5,knn\n").unwrap();
    let e = stderr_of_failure(
        zoorank(&db)
            .args(["recommend", "--target", "dtd", "--observed"])
            .arg(&runs),
        1,
    );
    assert!(
        e.contains("unknown run kind 'knn'") && e.contains(":2"),
        "{e}"
    );
    // A budget of no runs is refused by both commands that take one, before any work.
    for cmd in ["next", "select"] {
        let e = stderr_of_failure(
            zoorank(&db).args([cmd, "--target", "dtd", "--budget", "0"]),
            2,
        );
        assert!(e.contains("at least 1"), "{cmd}: {e}");
    }
    // An excluded model the zoo lacks is named as excluded.
    let e = stderr_of_failure(
        zoorank(&db).args(["next", "--target", "dtd", "--exclude", "no/such"]),
        1,
    );
    assert!(
        e.contains("excluded model #1") && e.contains("no/such"),
        "{e}"
    );
}
