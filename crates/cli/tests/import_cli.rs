//! The `zoorank` binary: imports, stats, errors, and a SIGKILL in the middle of an import.

mod common;

use assert_cmd::Command;
use common::{copy_dir, data_dir, import_two_phase, succeeds, temp_store, write_file, zoorank};
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn stats_json(db: &Path) -> Vec<u8> {
    succeeds(zoorank(db).args(["zoo", "stats", "--json"])).stdout
}

/// A new store holding the two-phase zoo, with its `zoo stats --json` before anything else is
/// done to it.
fn two_phase_store() -> (tempfile::TempDir, PathBuf, Vec<u8>) {
    let (tmp, db) = temp_store();
    import_two_phase(&db);
    let before = stats_json(&db);
    (tmp, db, before)
}

#[test]
fn image_zoo_import_then_stats_json_reports_the_bar_counts() {
    let (_tmp, db) = temp_store();
    let dir = data_dir().join("transfergraph-image");
    // Strict import refuses the two broken score lines, names them, exits 1.
    zoorank(&db)
        .args(["import", "transfergraph"])
        .arg(&dir)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "transferability_score_records.csv:1052",
        ))
        .stderr(predicate::str::contains(
            "transferability_score_records.csv:2309",
        ))
        .stderr(predicate::str::contains("--skip-bad-rows"));
    zoorank(&db)
        .args(["import", "transfergraph", "--skip-bad-rows"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains("skipped 2 bad row(s)"))
        .stdout(predicate::str::contains("records.csv"));
    let v: serde_json::Value = serde_json::from_slice(&stats_json(&db)).unwrap();
    assert_eq!(v["records"], 2254);
    assert_eq!(v["models_with_metadata"], 185);
    assert_eq!(v["models_with_records"], 180);
    assert_eq!(v["datasets_with_records"], 13);
    assert_eq!(v["datasets_with_features"], 12);
    assert_eq!(v["scores_by_method"]["logme"], 1173);
    // Re-import: "0 new, 0 updated".
    let out = zoorank(&db)
        .args(["import", "transfergraph", "--skip-bad-rows", "--json"])
        .arg(&dir)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["counts"]["records"]["new"], 0);
    assert_eq!(r["counts"]["records"]["updated"], 0);
    assert_eq!(r["counts"]["records"]["unchanged"], 2254);
    assert_eq!(r["skipped"][0]["line"], 1052);
}

#[test]
fn a_failed_import_leaves_stats_byte_identical() {
    let (tmp, db, before) = two_phase_store();
    let dir = tmp.path().join("corrupt");
    copy_dir(&data_dir().join("transfergraph-image"), &dir);
    let p = dir.join("records.csv");
    let t = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, t.replacen("0.9138000011444092", "0.91380OOO11", 1)).unwrap();
    for extra in [&[][..], &["--skip-bad-rows"][..]] {
        let assert = zoorank(&db)
            .args(["import", "transfergraph"])
            .args(extra)
            .arg(&dir)
            .assert();
        if extra.is_empty() {
            assert
                .code(1)
                .stderr(predicate::str::contains(
                    "records.csv:2, column 'eval_accuracy'",
                ))
                .stderr(predicate::str::contains("nothing was written"));
            assert_eq!(stats_json(&db), before);
        } else {
            assert.success().stdout(predicate::str::contains(
                "records.csv:2, column 'eval_accuracy'",
            ));
        }
    }
}

#[test]
fn generic_records_import_and_listing() {
    let (tmp, db) = temp_store();
    let csv = write_file(tmp.path(), "runs.csv", "m,d,acc\na/b,x,0.5\nc/d,x,0.75\n");
    // `import records` of `csv`, its model ids in column `model_col`.
    let import = |csv: &Path, model_col: &str| {
        let mut c = zoorank(&db);
        c.args(["import", "records"]).arg(csv).args([
            "--model-col",
            model_col,
            "--dataset-col",
            "d",
            "--accuracy-col",
            "acc",
        ]);
        c
    };
    import(&csv, "m")
        .assert()
        .success()
        .stdout(predicate::str::contains("records"));
    zoorank(&db)
        .args(["zoo", "records", "--dataset", "x", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"accuracy\": 0.75"));
    zoorank(&db)
        .args(["zoo", "records", "--dataset", "nope"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no dataset 'nope'"));
    import(&csv, "model")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing column 'model'"));
    import(&tmp.path().join("absent.csv"), "m")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("absent.csv"));
}

/// Runs `zoorank args` (without a store), which must succeed with `part` on stdout.
fn help_contains(args: &[&str], part: &str) {
    Command::cargo_bin("zoorank")
        .unwrap()
        .args(args)
        .assert()
        .success()
        .stdout(predicate::str::contains(part));
}

#[test]
fn every_command_has_help_with_an_example() {
    for args in [
        &["import", "transfergraph", "--help"][..],
        &["import", "two-phase", "--help"],
        &["import", "records", "--help"],
        &["import", "models", "--help"],
        &["zoo", "stats", "--help"],
        &["zoo", "models", "--help"],
        &["zoo", "datasets", "--help"],
        &["zoo", "records", "--help"],
    ] {
        help_contains(args, "Example");
    }
    help_contains(&["--help"], "Exit codes");
    Command::cargo_bin("zoorank")
        .unwrap()
        .arg("frobnicate")
        .assert()
        .code(2);
}

/// The columns of the big results file of the SIGKILL test.
const BIG_CSV_COLUMNS: [&str; 8] = [
    "--model-col",
    "model",
    "--dataset-col",
    "dataset",
    "--accuracy-col",
    "acc",
    "--seed-col",
    "seed",
];

/// SIGKILL while the import transaction is being written: the store must be exactly as before.
#[cfg(unix)]
#[test]
fn sigkill_during_an_import_leaves_the_store_as_before() {
    use std::io::Write;
    let (tmp, db, before) = two_phase_store();

    // A results file big enough that its transaction spills pages into the WAL before it
    // commits.
    let csv = tmp.path().join("big.csv");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
        writeln!(f, "model,dataset,acc,seed").unwrap();
        for i in 0..300_000u32 {
            writeln!(
                f,
                "org/model-{},task-{},0.{:04},{}",
                i % 997,
                i % 101,
                i % 9973,
                i
            )
            .unwrap();
        }
    }
    let bin = assert_cmd::cargo::cargo_bin("zoorank");
    let wal = tmp.path().join("zoo.db-wal");
    let mut child = std::process::Command::new(bin)
        .arg("--db")
        .arg(&db)
        .args(["import", "records"])
        .arg(&csv)
        .args(BIG_CSV_COLUMNS)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let mut killed_mid_write = false;
    let mut finished_early = false;
    while start.elapsed() < std::time::Duration::from_secs(120) {
        if child.try_wait().unwrap().is_some() {
            finished_early = true;
            break;
        }
        let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if wal_len > 4 << 20 {
            child.kill().unwrap(); // SIGKILL
            killed_mid_write = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    if !finished_early {
        let _ = child.kill();
    }
    child.wait().unwrap();
    assert!(
        !finished_early,
        "the import finished before the WAL grew: make the file bigger"
    );
    assert!(killed_mid_write, "the import never started writing");
    assert_eq!(stats_json(&db), before, "a killed import changed the store");
    // The store still works: the same import completes.
    zoorank(&db)
        .args(["import", "records"])
        .arg(&csv)
        .args(BIG_CSV_COLUMNS)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&stats_json(&db)).unwrap();
    assert_eq!(v["records"], 999 + 300_000);
}
