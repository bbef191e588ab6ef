//! The CLI prints the engine's values: `recommend --json` is the engine's `Recommendation`
//! serialised, and `eval --json` its `Evaluation`, for the same request on the same store.

mod common;

use common::{data_dir, json, zoorank};
use zoorank_engine::{Engine, EvalRequest, RecommendRequest, Recommendation};

#[test]
fn recommend_and_eval_json_are_the_engine_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("z.db");
    zoorank(&db)
        .args(["import", "transfergraph", "--skip-bad-rows"])
        .arg(data_dir().join("transfergraph-image"))
        .assert()
        .success();
    let cli: Recommendation = serde_json::from_value(json(zoorank(&db).args([
        "recommend",
        "--target",
        "pets",
        "--method",
        "guard+trend+lr",
        "--top",
        "7",
        "--explain",
        "--json",
    ])))
    .unwrap();
    let mut engine = Engine::open(&db).unwrap();
    let lib = engine
        .recommend(&RecommendRequest {
            method: "guard+trend+lr".parse().unwrap(),
            top: Some(7),
            explain: true,
            ..RecommendRequest::new("pets")
        })
        .unwrap();
    assert_eq!(cli, lib);

    let cli = json(zoorank(&db).args([
        "eval",
        "--methods",
        "popularity,lr",
        "--targets",
        "pets,dtd",
        "--json",
    ]));
    let lib = engine
        .evaluate(
            &EvalRequest {
                methods: Some(vec!["popularity".parse().unwrap(), "lr".parse().unwrap()]),
                targets: Some(vec!["pets".into(), "dtd".into()]),
                ..EvalRequest::default()
            },
            &|_| {},
        )
        .unwrap();
    // Wall-clock seconds differ between runs; everything else is the same value.
    let without_time = |mut v: serde_json::Value| {
        for m in v["methods"].as_object_mut().unwrap().values_mut() {
            m.as_object_mut().unwrap().remove("seconds_per_target");
        }
        v
    };
    assert_eq!(
        without_time(cli),
        without_time(serde_json::to_value(&lib).unwrap())
    );
}

#[test]
fn a_malformed_method_is_a_usage_error_listing_the_valid_forms() {
    let dir = tempfile::tempdir().unwrap();
    let out = zoorank(&dir.path().join("z.db"))
        .args(["recommend", "--target", "dtd", "--method", "guard+guard+lr"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown method 'guard+guard+lr'"), "{err}");
    assert!(err.contains("pop+<id>"), "{err}");
}
