//! `zoorank score` against the independent numpy/scipy/scikit-learn reference values of
//! crates/scores/tests/reference (fixtures.json and the .npy files next to it, made by
//! make_fixtures.py), plus refusals of bad input.

mod common;

use common::{json, succeeds, temp_file, temp_store, write_file, zoorank};
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scores/tests/reference")
}

/// `zoorank score --features FEATURES --labels LABELS` on the store `db`.
fn score_cmd(
    db: &Path,
    features: impl AsRef<std::ffi::OsStr>,
    labels: impl AsRef<std::ffi::OsStr>,
) -> assert_cmd::Command {
    let mut c = zoorank(db);
    c.arg("score")
        .arg("--features")
        .arg(features)
        .arg("--labels")
        .arg(labels);
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
    let (_tmp, db) = temp_store();
    for case in ["gaussian", "n_lt_d", "collinear"] {
        let got = score_json(
            &db,
            &data(case, "x"),
            &data(case, "y"),
            Some(&data(case, "p")),
            "logme,hscore,leep,NCE",
        );
        assert_matches_reference(case, &got);
        assert_eq!(got.as_object().unwrap().len(), 4, "{case}: {got}");
    }
}

#[test]
fn method_all_runs_every_method_whose_inputs_are_given() {
    let tmp = tempfile::tempdir().unwrap();
    let got = json(
        score_cmd(
            &tmp.path().join("zoo.db"),
            data("gaussian", "x"),
            data("gaussian", "y"),
        )
        .args(["--method", "all", "--json"]),
    );
    let obj = got.as_object().unwrap();
    assert_eq!(obj.len(), 11, "features-only methods: {got}");
    assert!(!obj.contains_key("leep") && obj.contains_key("reg-h-score"));
}

#[test]
fn nan_features_are_refused_with_an_error() {
    let (tmp, csv) = temp_file("x.csv", "a,b\n1.0,2.0\n3.0,nan\n0.5,0.1\n2.0,2.5\n");
    let labels = write_file(tmp.path(), "y.csv", "0\n0\n1\n1\n");
    refused_as_not_finite_at(
        score_cmd(&tmp.path().join("zoo.db"), &csv, &labels).args(["--method", "logme"]),
        "row 1, column 1",
    );
}

/// Runs `c` and asserts that it fails with exit code 1 naming a non-finite value at `position`.
fn refused_as_not_finite_at(c: &mut assert_cmd::Command, position: &str) {
    c.assert()
        .failure()
        .code(1)
        .stderr(predicate::str::contains("not finite").and(predicate::str::contains(position)));
}

#[test]
fn bad_requests_fail_clearly() {
    let (_tmp, db) = temp_store();
    // Features of the gaussian case with the labels of `labels_case`.
    let refused = |labels_case: &str, args: &[&str]| {
        score_cmd(&db, data("gaussian", "x"), data(labels_case, "y"))
            .args(args)
            .assert()
            .failure()
    };
    // Unknown method.
    refused("gaussian", &["--method", "logmee"])
        .stderr(predicate::str::contains("unknown score method `logmee`"));
    // LEEP without probabilities.
    refused("gaussian", &["--method", "leep"])
        .stderr(predicate::str::contains("needs --source-probs"));
    // Labels of another length.
    refused("n_lt_d", &["--method", "logme"])
        .stderr(predicate::str::contains("300 rows but there are 40 labels"));
    // --store without --model.
    refused("gaussian", &["--store", "--dataset", "d"]).code(2);
}

#[test]
fn store_writes_the_scores_into_the_zoo() {
    let (_tmp, db) = temp_store();
    score_cmd(&db, data("gaussian", "x"), data("gaussian", "y"))
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

/// A `.npy` file (format 1.0) with this dtype, layout and raw payload, written byte by byte
/// so the tests can produce dtypes and layouts numpy would (complex, strings, Fortran order).
fn write_npy(path: &Path, descr: &str, fortran: bool, shape: &[usize], payload: &[u8]) {
    let header = zoorank_core::npy::array_header(descr, fortran, shape);
    std::fs::write(path, zoorank_core::npy::with_header(&header, payload)).unwrap();
}

/// `zoorank score --json` on these files; the parsed output.
fn score_json(
    db: &Path,
    features: &Path,
    labels: &Path,
    probs: Option<&Path>,
    methods: &str,
) -> serde_json::Value {
    let mut cmd = score_cmd(db, features, labels);
    if let Some(p) = probs {
        cmd.arg("--source-probs").arg(p);
    }
    json(cmd.args(["--method", methods, "--json"]))
}

/// LogME (relative tolerance 1e-4), H-score, LEEP and NCE (1e-6) of `got` are `case`'s
/// reference values, each with its timing.
fn assert_matches_reference(case: &str, got: &serde_json::Value) {
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
}

#[test]
fn npz_members_named_file_colon_name_match_reference() {
    let tmp = tempfile::tempdir().unwrap();
    // numpy's savez_compressed of the gaussian case: x float64, y int32, p float64.
    let npz = reference_dir().join("data/gaussian.npz");
    let member = |name: &str| PathBuf::from(format!("{}:{name}", npz.display()));
    let got = score_json(
        &tmp.path().join("zoo.db"),
        &member("x"),
        &member("y"),
        Some(&member("p")),
        "logme,hscore,leep,nce",
    );
    assert_matches_reference("gaussian", &got);
    // Without a name the archive's arrays are listed.
    score_cmd(&tmp.path().join("zoo.db"), &npz, member("y"))
        .args(["--method", "logme"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("3 arrays and none named")
                .and(predicate::str::contains("FILE.npz:NAME")),
        );
}

#[test]
fn fortran_order_and_integer_dtypes_give_the_reference_scores() {
    let (tmp, db) = temp_store();
    let x = zoorank_scores::io::read_matrix(&data("gaussian", "x")).unwrap();
    let y = zoorank_scores::io::read_labels(&data("gaussian", "y")).unwrap();
    let (n, d) = (x.rows, x.cols);
    // Features stored column by column (numpy's Fortran order).
    let col_major: Vec<u8> = (0..d)
        .flat_map(|j| (0..n).map(move |i| (i, j)))
        .flat_map(|(i, j)| x.data[i * d + j].to_le_bytes())
        .collect();
    let xf = tmp.path().join("x_fortran.npy");
    write_npy(&xf, "<f8", true, &[n, d], &col_major);
    // Labels as int32, uint8 and int64.
    let label_files = [
        (
            "<i4",
            y.iter()
                .flat_map(|&v| (v as i32).to_le_bytes())
                .collect::<Vec<u8>>(),
        ),
        ("|u1", y.iter().map(|&v| v as u8).collect()),
        ("<i8", y.iter().flat_map(|&v| v.to_le_bytes()).collect()),
    ];
    for (descr, payload) in label_files {
        let yf = tmp.path().join("y.npy");
        write_npy(&yf, descr, false, &[n], &payload);
        let got = score_json(
            &db,
            &xf,
            &yf,
            Some(&data("gaussian", "p")),
            "logme,hscore,leep,nce",
        );
        assert_matches_reference("gaussian", &got);
    }
    // float32 features: the scores of the float32-rounded values, computed by the library.
    let x32: Vec<f32> = x.data.iter().map(|&v| v as f32).collect();
    let xs = tmp.path().join("x_f32.npy");
    write_npy(
        &xs,
        "<f4",
        false,
        &[n, d],
        &x32.iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<u8>>(),
    );
    let got = score_json(&db, &xs, &data("gaussian", "y"), None, "logme,hscore");
    let widened: Vec<f64> = x32.iter().map(|&v| f64::from(v)).collect();
    let input = zoorank_scores::ScoreInput::features(
        zoorank_scores::Matrix::new(&widened, n, d).unwrap(),
        &y,
    );
    for id in ["logme", "h-score"] {
        let want = zoorank_scores::by_id(id).unwrap().score(&input).unwrap();
        let g = got[id]["value"].as_f64().unwrap();
        assert!((g - want).abs() <= 1e-9 * want.abs(), "{id}: {g} vs {want}");
    }
}

#[test]
fn wrong_dtype_rank_or_length_fails_with_what_and_where() {
    let (tmp, db) = temp_store();
    let run = |features: &Path, labels: &Path, probs: Option<&Path>, method: &str| {
        let mut cmd = score_cmd(&db, features, labels);
        if let Some(p) = probs {
            cmd.arg("--source-probs").arg(p);
        }
        cmd.args(["--method", method]).assert().failure().code(1)
    };
    let (x, y) = (data("gaussian", "x"), data("gaussian", "y"));
    // Complex features.
    let complex = tmp.path().join("complex.npy");
    write_npy(&complex, "<c16", false, &[3, 2], &[0u8; 96]);
    run(&complex, &y, None, "logme").stderr(
        predicate::str::contains("unsupported dtype `<c16`")
            .and(predicate::str::contains("complex.npy")),
    );
    // String labels.
    let strings = tmp.path().join("labels_str.npy");
    write_npy(&strings, "<U1", false, &[3], &[0u8; 12]);
    run(&x, &strings, None, "logme").stderr(
        predicate::str::contains("unsupported dtype `<U1`")
            .and(predicate::str::contains("labels_str.npy")),
    );
    // A 3-D feature array and a 2-D label array.
    let cube = tmp.path().join("cube.npy");
    write_npy(&cube, "<f8", false, &[2, 2, 2], &[0u8; 64]);
    run(&cube, &y, None, "logme").stderr(predicate::str::contains(
        "expected a 2-D (samples x features) array, got shape [2, 2, 2]",
    ));
    let wide = tmp.path().join("y2.npy");
    write_npy(&wide, "<i8", false, &[2, 3], &[0u8; 48]);
    run(&x, &wide, None, "logme").stderr(predicate::str::contains(
        "expected a 1-D label vector, got shape [2, 3]",
    ));
    // Probabilities of another length than the labels.
    run(&x, &y, Some(&data("n_lt_d", "p")), "nce").stderr(predicate::str::contains(
        "source-model probabilities has 40 rows but there are 300 labels",
    ));
}

#[test]
fn nan_in_npy_features_is_refused_with_its_position() {
    let tmp = tempfile::tempdir().unwrap();
    let mut x = zoorank_scores::io::read_matrix(&data("gaussian", "x")).unwrap();
    x.data[7 * x.cols + 3] = f64::NAN;
    let xf = tmp.path().join("x_nan.npy");
    write_npy(
        &xf,
        "<f8",
        false,
        &[x.rows, x.cols],
        &x.data
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<u8>>(),
    );
    refused_as_not_finite_at(
        score_cmd(&tmp.path().join("zoo.db"), &xf, data("gaussian", "y"))
            .args(["--method", "logme,hscore"]),
        "row 7, column 3",
    );
}

#[test]
fn logme_published_flag_reproduces_the_published_fixed_point() {
    let (_tmp, db) = temp_store();
    let text = std::fs::read_to_string(reference_dir().join("fixtures.json")).unwrap();
    let fixtures: serde_json::Value = serde_json::from_str(&text).unwrap();
    let case = &fixtures["cases"]["n_lt_d"];
    // `args` after `score --features … --labels … --json`; `key` the id reported.
    let value = |args: &[&str], key: &str| {
        let out = succeeds(
            score_cmd(&db, data("n_lt_d", "x"), data("n_lt_d", "y"))
                .arg("--json")
                .args(args),
        );
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(got.as_object().unwrap().len(), 1, "{got}");
        got[key]["value"].as_f64().unwrap()
    };
    let published = case["logme_published"].as_f64().unwrap();
    let max = case["expected"]["logme"].as_f64().unwrap();
    // The fixed point is reported under its own id, by flag or by method id.
    for args in [
        &["--method", "logme", "--logme-published"][..],
        &["--method", "logme-published"][..],
        &["--method", "logme-11"][..],
    ] {
        let got = value(args, "logme-published");
        assert!(
            (got - published).abs() <= 1e-9 * published.abs(),
            "{args:?}: {got} vs {published}"
        );
    }
    let got = value(&["--method", "logme"], "logme");
    assert!((got - max).abs() <= 1e-6 * max.abs(), "{got} vs {max}");
    // At n < d the 11 steps stop visibly short of the maximum.
    assert!(max - published > 1e-4 * max.abs(), "{max} vs {published}");
}
