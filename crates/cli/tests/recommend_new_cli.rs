//! `zoorank recommend` for a dataset that has no fine-tuning record at all: registered with
//! `zoorank dataset add` (real forward passes of the features crate's tiny ResNet over
//! scikit-learn `digits` PNGs), ranked from the history of the datasets it is near.

mod common;

use common::{copy_dir, fixtures, json, succeeds, temp_store, zoorank};
use std::path::Path;

fn copy_class(class: usize, dst: &Path) {
    copy_dir(
        &fixtures().join("digits").join(class.to_string()),
        &dst.join(class.to_string()),
    );
}

#[test]
fn recommend_ranks_models_for_a_new_dataset_from_its_distances_and_says_so() {
    let (tmp, db) = temp_store();
    // Three labelled image sets: two with history, one new.
    for (name, classes) in [("low", 0..5), ("high", 5..10), ("new", 3..8)] {
        for c in classes {
            copy_class(c, &tmp.path().join(name));
        }
    }
    // Fine-tuning history on `low` and `high` only: m0..m2 good on low, m3..m5 on high.
    let csv = tmp.path().join("runs.csv");
    let mut rows = String::from("model,dataset,acc\n");
    for m in 0..6 {
        let on_low = if m < 3 { 0.9 - 0.05 * m as f64 } else { 0.5 };
        let on_high = if m >= 3 {
            0.9 - 0.05 * (m - 3) as f64
        } else {
            0.6
        };
        rows.push_str(&format!("m{m},low,{on_low}\nm{m},high,{on_high}\n"));
    }
    std::fs::write(&csv, rows).unwrap();
    succeeds(
        zoorank(&db)
            .args(["import", "records", "--model-col", "model", "--dataset-col"])
            .args(["dataset", "--accuracy-col", "acc"])
            .arg(&csv),
    );
    for name in ["low", "high", "new"] {
        let mut c = zoorank(&db);
        c.args(["dataset", "add", "--json", "--probe"])
            .arg(fixtures().join("tiny-resnet"))
            .arg(tmp.path().join(name));
        let added = json(&mut c);
        assert_eq!(added["num_samples"], 20, "{added}");
    }

    let out = json(zoorank(&db).args(["recommend", "--target", "new", "--json", "--top", "10"]));
    assert_eq!(out["target"], "new");
    let models = out["models"].as_array().unwrap();
    assert_eq!(models.len(), 6, "every model with history is ranked: {out}");
    let names: std::collections::BTreeSet<&str> = models
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 6);
    for m in models {
        assert!(
            m["recorded_accuracy"].is_null(),
            "the new dataset has no record: {m}"
        );
        let p = m["predicted_accuracy"]
            .as_f64()
            .expect("a predicted accuracy");
        assert!(p.is_finite() && (0.0..=1.0).contains(&p), "{m}");
        assert_eq!(m["nearest_records"].as_array().unwrap().len(), 2, "{m}");
    }
    let evidence: Vec<&str> = out["evidence_used"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    let joined = evidence.join(" | ");
    assert!(
        joined.contains("fine-tuning history on 2 other dataset(s)"),
        "{joined}"
    );
    assert!(
        joined.contains("distances from 'new' to 2 dataset(s) (domain-similarity:tiny-resnet)"),
        "{joined}"
    );
    assert!(joined.contains("target metadata"), "{joined}");
    // The default (trend+lr) says which descriptors its trend used: 20 images in 5 classes,
    // and no model with a source dataset, so no distance from pre-training.
    assert!(
        joined.contains(
            "trend: each model's slopes over the other datasets, taken to the target's log10 samples per class 0.60"
        ),
        "{joined}"
    );
    assert!(!joined.contains("pre-training"), "{joined}");

    // --explain: each model's paths through the new dataset's graph neighbours carry the
    // model's real records on them.
    let ex = json(zoorank(&db).args(["recommend", "--target", "new", "--json", "--explain"]));
    for m in ex["models"].as_array().unwrap() {
        let name = m["model"].as_str().unwrap();
        let i: usize = name[1..].parse().unwrap();
        let paths = m["explain"]["paths"].as_array().unwrap();
        assert!(!paths.is_empty(), "{m}");
        for p in paths {
            let sim = p["similarity"].as_f64().unwrap();
            assert!(sim > 0.0 && sim <= 1.0, "{p}");
            let acc = p["accuracy"].as_f64().unwrap();
            let want = match p["via"].as_str().unwrap() {
                "low" if i < 3 => 0.9 - 0.05 * i as f64,
                "low" => 0.5,
                "high" if i >= 3 => 0.9 - 0.05 * (i - 3) as f64,
                "high" => 0.6,
                other => panic!("path via {other}"),
            };
            assert!((acc - want).abs() < 1e-9, "{p} vs {want}");
        }
        assert!(
            m["explain"]["linked_datasets"].as_u64().unwrap() >= 1,
            "{m}"
        );
        // The trend moves the popularity along the model's slopes; here every dataset has 20
        // images in 5 classes and no model has a source dataset, so no descriptor varies and
        // the trend is the popularity (the varying case: rank::baseline's trend tests).
        let trend = m["explain"]["trend"].as_f64().unwrap();
        let pop = m["explain"]["popularity"].as_f64().unwrap();
        assert!((trend - pop).abs() < 1e-12, "{m}");
    }
    let plain = json(zoorank(&db).args(["recommend", "--target", "new", "--json"]));
    assert!(
        plain["models"][0].get("explain").is_none(),
        "explain only when asked"
    );

    // A graph method embeds the new dataset inductively (trained graph + its dataset edges)
    // and still ranks every model with a finite prediction. The embedder it trains is kept in
    // the store: the second call reuses it and ranks exactly as the first.
    let evidence = |v: &serde_json::Value| {
        v["evidence_used"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    for method in ["lr+node2vec", "lr+graphsage"] {
        let run = || {
            json(zoorank(&db).args(["recommend", "--target", "new", "--json", "--method", method]))
        };
        let g = run();
        let models = g["models"].as_array().unwrap();
        assert_eq!(models.len(), 6, "{method}: {g}");
        assert!(
            models
                .iter()
                .all(|m| m["predicted_accuracy"].as_f64().is_some_and(f64::is_finite)),
            "{method}: {g}"
        );
        assert!(evidence(&g).contains("kept in the store"), "{method}: {g}");
        let again = run();
        assert!(
            evidence(&again).contains("reused from the store"),
            "{method}: {again}"
        );
        assert_eq!(again["models"], g["models"], "{method}");
    }
    // The same method by another regressor shares the embedder (it does not depend on it).
    let rf = json(zoorank(&db).args([
        "recommend",
        "--target",
        "new",
        "--json",
        "--method",
        "rf+node2vec",
    ]));
    assert!(evidence(&rf).contains("reused from the store"), "{rf}");
    // `guard+` on a graph method takes the inductive path too: it reuses the embedder, keeps
    // the graph method's predictions and puts the popularity prior's picks on top (here all
    // six models, which have the same coverage, so the order is popularity's).
    let rec = |method: &str| {
        json(zoorank(&db).args(["recommend", "--target", "new", "--json", "--method", method]))
    };
    let guarded = rec("guard+lr+node2vec");
    assert!(
        evidence(&guarded).contains("reused from the store"),
        "{guarded}"
    );
    let order = |v: &serde_json::Value| {
        v["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["model"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(order(&guarded), order(&rec("popularity")));
    // Predicted accuracies follow each method's own order, inside (0, 1).
    let predicted = |v: &serde_json::Value| {
        let p: Vec<f64> = v["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["predicted_accuracy"].as_f64().unwrap())
            .collect();
        assert!(p.iter().all(|&x| 0.0 < x && x < 1.0), "{p:?}");
        assert!(p.windows(2).all(|w| w[0] >= w[1]), "{p:?}");
        p.len()
    };
    assert_eq!(predicted(&guarded), 6);
    // So does a graph method blended with a prior: it reuses the same embedder.
    for id in [
        "trend+lr+node2vec",
        "guard+trend+lr+node2vec",
        "pop+lr+node2vec",
    ] {
        let blended = rec(id);
        assert!(
            evidence(&blended).contains("reused from the store"),
            "{id}: {blended}"
        );
        assert_eq!(predicted(&blended), 6, "{id}");
        assert_eq!(blended["models"].as_array().unwrap().len(), 6, "{id}");
    }
    // Clearing the embedder cache removes the two kept embedders (node2vec, graphsage) and
    // nothing else; the next call trains again.
    let cleared = json(zoorank(&db).args(["zoo", "clear-cache", "--what", "embedders", "--json"]));
    assert_eq!(cleared["deleted"], 2, "{cleared}");
    assert!(cleared["bytes"].as_u64().unwrap() > 1000, "{cleared}");
    let again = json(zoorank(&db).args([
        "recommend",
        "--target",
        "new",
        "--json",
        "--method",
        "lr+node2vec",
    ]));
    assert!(evidence(&again).contains("kept in the store"), "{again}");
    // `dataset add` cached the probe's features of the three datasets; clearing twice deletes
    // them once.
    let features = || {
        json(zoorank(&db).args(["zoo", "clear-cache", "--what", "features", "--json"]))["deleted"]
            .clone()
    };
    assert_eq!(features(), 3);
    assert_eq!(features(), 0);
    // The intervals' calibration rankings are cached too, and cleared on their own.
    let folds = json(zoorank(&db).args(["zoo", "clear-cache", "--what", "calibration", "--json"]));
    assert!(folds["deleted"].as_u64().unwrap() > 0, "{folds}");
    // The embedder trained just before is still there.
    let all = json(zoorank(&db).args(["zoo", "clear-cache", "--json"]));
    assert_eq!(all["deleted"], 1, "{all}");
    // Kept embedders do not pile up: each seed trains its own, the store keeps the newest 16.
    for seed in 1..=17 {
        succeeds(
            zoorank(&db)
                .args(["recommend", "--target", "new", "--method", "lr+node2vec"])
                .args(["--seed", &seed.to_string()]),
        );
    }
    let kept = json(zoorank(&db).args(["zoo", "clear-cache", "--what", "embedders", "--json"]));
    assert_eq!(kept["deleted"], 16, "{kept}");

    // The human table names the evidence too.
    let table = zoorank(&db)
        .args(["recommend", "--target", "new"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.status.success() && text.contains("evidence used:"),
        "{text}"
    );
}
