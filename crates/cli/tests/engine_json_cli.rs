//! The CLI prints the engine's values: `recommend --json` is the engine's `Recommendation`
//! serialised, and `eval --json` its `Evaluation`, for the same request on the same store.

mod common;

use common::{import_image_zoo, json, stderr_of_failure, zoorank};
use zoorank_engine::{Engine, EvalRequest, RecommendRequest, Recommendation};

#[test]
fn recommend_and_eval_json_are_the_engine_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("z.db");
    import_image_zoo(&db);
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

#[test]
fn eval_protocol_published_leaves_out_models_whose_best_run_is_peft() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("z.db");
    let csv = dir.path().join("runs.csv");
    // On t0, m0's best run is LoRA and m3 has only a LoRA run; t1 and t2 are history.
    let mut text = String::from("model,dataset,acc,peft\n");
    for m in 0..4 {
        for (d, base) in [("t1", 0.5), ("t2", 0.4)] {
            text.push_str(&format!("m{m},{d},{},\n", base + 0.1 * m as f64));
        }
    }
    text.push_str(
        "m0,t0,0.8,\nm0,t0,0.9,lora\nm1,t0,0.7,\nm1,t0,0.6,lora\nm2,t0,0.5,\nm3,t0,0.95,lora\n",
    );
    std::fs::write(&csv, text).unwrap();
    zoorank(&db)
        .args(["import", "records", "--model-col", "model"])
        .args(["--dataset-col", "dataset", "--accuracy-col", "acc"])
        .args(["--peft-col", "peft"])
        .arg(&csv)
        .assert()
        .success();
    let eval = |extra: &[&str]| {
        json(
            zoorank(&db)
                .args([
                    "eval",
                    "--methods",
                    "popularity",
                    "--targets",
                    "t0",
                    "--json",
                ])
                .args(extra),
        )
    };
    let default = eval(&[]);
    assert_eq!(default["targets"]["t0"]["models"], 3);
    assert_eq!(default["targets"]["t0"]["max_accuracy"], 0.8);
    let published = eval(&["--protocol", "published"]);
    assert_eq!(published["targets"]["t0"]["models"], 2);
    assert_eq!(published["targets"]["t0"]["max_accuracy"], 0.7);
    let peft = eval(&["--protocol", "published", "--include-peft"]);
    assert_eq!(peft["targets"]["t0"]["models"], 2);
    // The library's request gives the same figures.
    let lib = Engine::open(&db)
        .unwrap()
        .evaluate(
            &EvalRequest {
                methods: Some(vec!["popularity".parse().unwrap()]),
                targets: Some(vec!["t0".into()]),
                protocol: zoorank_engine::Protocol::Published,
                ..EvalRequest::default()
            },
            &|_| {},
        )
        .unwrap();
    assert_eq!(
        published["targets"],
        serde_json::to_value(&lib.targets).unwrap()
    );
    let err = stderr_of_failure(zoorank(&db).args(["eval", "--protocol", "tables"]), 2);
    assert!(
        err.contains("unknown protocol 'tables' (expected one of: default, published)"),
        "{err}"
    );
}
