//! The binary and the store file: read-only commands never create or write a store, a foreign
//! SQLite file is refused with its bytes untouched, repeated runs are kept (or, with
//! --keep-last, the last), and an error's cause is printed once.

mod common;

use common::{json, temp_file, temp_store, write_file, zoorank};
use predicates::prelude::*;
use std::path::{Path, PathBuf};

/// An SQLite file of another application (tables `users` and `orders`), made with Python's
/// sqlite3: `CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users(name)
/// VALUES ('ada'), ('grace'); CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER);`
fn foreign_copy(dir: &Path) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/foreign.sqlite");
    let to = dir.join("app.sqlite");
    std::fs::copy(from, &to).unwrap();
    to
}

/// `import records` of a file with columns `m,d,acc`.
fn import_m_d_acc(db: &Path, csv: &Path) -> assert_cmd::Command {
    let mut c = zoorank(db);
    c.args([
        "import",
        "records",
        "--model-col",
        "m",
        "--dataset-col",
        "d",
    ])
    .args(["--accuracy-col", "acc"])
    .arg(csv);
    c
}

const READ_ONLY: &[&[&str]] = &[
    &["zoo", "stats"],
    &["zoo", "stats", "--json"],
    &["zoo", "models"],
    &["zoo", "datasets", "--with-records"],
    &["zoo", "records", "--limit", "3"],
];

/// Commands that read the store to rank, evaluate, cluster, recall or select: none may
/// create or change a store file.
const READERS: &[&[&str]] = &[
    &["recommend", "--target", "x"],
    &["next", "--target", "x", "--budget", "2"],
    &["eval"],
    &["eval", "--protocol", "published"],
    &["cluster"],
    &["recall", "--target", "x"],
    &["select", "--target", "x", "--trainer", "linear-probe"],
];

#[test]
fn no_command_changes_the_bytes_of_a_foreign_sqlite_file() {
    let tmp = tempfile::tempdir().unwrap();
    let db = foreign_copy(tmp.path());
    let before = std::fs::read(&db).unwrap();
    for args in READ_ONLY {
        zoorank(&db)
            .args(*args)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("is not a zoorank store"))
            .stderr(predicate::str::contains("other tables (orders, users)"));
        assert_eq!(std::fs::read(&db).unwrap(), before, "{args:?}");
    }
    // Commands that would write refuse it too, as do the other readers (whatever their
    // arguments, they must not touch the file).
    let csv = write_file(tmp.path(), "runs.csv", "m,d,acc\na,x,0.5\n");
    for args in READERS.iter().chain([&["zoo", "clear-cache"][..]].iter()) {
        zoorank(&db)
            .args(*args)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("is not a zoorank store"));
        assert_eq!(std::fs::read(&db).unwrap(), before, "{args:?}");
    }
    import_m_d_acc(&db, &csv)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not a zoorank store"));
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(!tmp.path().join("app.sqlite-wal").exists());
}

#[test]
fn read_only_commands_create_no_store() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("none.db");
    for args in READ_ONLY.iter().chain(READERS) {
        zoorank(&db)
            .args(*args)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("no zoo store at"));
        assert!(!db.exists(), "{args:?} created {}", db.display());
    }
    // An import creates it; then the readers read it.
    let csv = write_file(tmp.path(), "runs.csv", "m,d,acc\na,x,0.5\n");
    import_m_d_acc(&db, &csv).assert().success();
    assert_eq!(
        json(zoorank(&db).args(["zoo", "stats", "--json"]))["records"],
        1
    );
}

#[test]
fn repeated_runs_are_kept_and_counted_and_keep_last_keeps_the_last() {
    let (tmp, csv) = temp_file(
        "runs.csv",
        "model,task,acc,lr\na,x,0.5,0.1\na,x,0.7,0.01\na,x,0.5,0.1\nb,x,0.6,0.1\n",
    );
    let import = |db: &Path, extra: &[&str]| {
        let mut c = zoorank(db);
        c.args([
            "import",
            "records",
            "--model-col",
            "model",
            "--dataset-col",
            "task",
        ])
        .args(["--accuracy-col", "acc"])
        .args(extra)
        .arg(&csv);
        c
    };
    let db = tmp.path().join("all.db");
    // Without naming lr: the two runs of (a, x) differ, the third row repeats the first.
    let r = json(&mut import(&db, &["--json"]));
    assert_eq!(r["repeats_kept"]["runs.csv"], 1);
    assert_eq!(r["duplicates"]["runs.csv"], 1);
    assert_eq!(r["counts"]["records"]["new"], 3);
    import(&db, &[])
        .assert()
        .success()
        .stdout(predicate::str::contains("repeats kept as runs"))
        .stdout(predicate::str::contains(
            "1 rows repeat an earlier (model, dataset, hyper-parameters) with other results",
        ));
    let again = json(&mut import(&db, &["--json"]));
    assert_eq!(again["counts"]["records"]["new"], 0);
    assert_eq!(again["counts"]["records"]["updated"], 0);
    let records = json(zoorank(&db).args(["zoo", "records", "--json"]));
    assert_eq!(records.as_array().unwrap().len(), 3);

    let db = tmp.path().join("last.db");
    let r = json(&mut import(&db, &["--keep-last", "--json"]));
    assert_eq!(r["counts"]["records"]["new"], 2);
    assert_eq!(r["duplicates"]["runs.csv"], 2);
}

#[test]
fn an_error_names_its_cause_once() {
    let (tmp, db) = temp_store();
    let out = import_m_d_acc(&db, tmp.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("Is a directory").count(), 1, "{err}");
}
