//! The engine on the shipped TransferGraph image zoo: recommendations are the rankers'
//! rankings, new datasets take the kept-embedder path behind the same call, evaluations are
//! the harness's, and every result is a plain value that survives JSON.

use std::collections::BTreeMap;
use std::path::PathBuf;
use zoorank_engine::{
    Engine, EngineError, EvalProgress, EvalRequest, MethodSpec, RecommendRequest, Recommendation,
};
use zoorank_predict::rank::TargetView;
use zoorank_store::{import, ImportOptions, Store};

fn data_dir() -> PathBuf {
    std::env::var_os("ZOORANK_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        })
}

fn image_store() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    let opts = ImportOptions {
        skip_bad_rows: true,
        dry_run: false,
    };
    import::import_transfergraph(&mut store, &data_dir().join("transfergraph-image"), opts)
        .unwrap();
    store
}

/// A request without intervals (each would cost a ranking per calibration dataset).
fn request(target: &str, method: &str) -> RecommendRequest {
    RecommendRequest {
        method: method.parse().unwrap(),
        coverage: None,
        ..RecommendRequest::new(target)
    }
}

#[test]
fn a_recommendation_is_the_methods_ranking_of_every_candidate() {
    let mut engine = Engine::from_store(image_store()).unwrap();
    let rec = engine.recommend(&request("dtd", "guard+trend+lr")).unwrap();
    assert_eq!(rec.models.len(), rec.candidates, "no top: every candidate");
    // The same ranking, computed from the ranker on the same held-out view.
    let zoo = engine.zoo().clone();
    let t = zoo.dataset_index("dtd").unwrap();
    let held = zoo.without_target_history(t);
    let mut seen = vec![false; zoo.models.len()];
    for r in &held.records {
        seen[r.model] = true;
    }
    for s in zoo.scores.iter().filter(|s| s.dataset == t) {
        seen[s.model] = true;
    }
    let view = TargetView {
        zoo: held,
        target: t,
        candidates: (0..zoo.models.len()).filter(|&m| seen[m]).collect(),
        seed: 0,
    };
    let spec: MethodSpec = "guard+trend+lr".parse().unwrap();
    let mut scores = spec
        .ranker(&zoo.score_methods())
        .unwrap()
        .rank(&view)
        .unwrap();
    scores.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.model.cmp(&y.model)));
    let names: Vec<&str> = scores
        .iter()
        .map(|s| zoo.models[s.model].name.as_str())
        .collect();
    let got: Vec<&str> = rec.models.iter().map(|m| m.model.as_str()).collect();
    assert_eq!(got, names);
    // Recorded accuracies are dtd's ground truth, shown beside the prediction.
    let truth: BTreeMap<String, f64> = zoo
        .ground_truth(t, false)
        .into_iter()
        .map(|(m, a)| (zoo.models[m].name.clone(), a))
        .collect();
    for m in &rec.models {
        assert_eq!(
            m.recorded_accuracy,
            truth.get(&m.model).copied(),
            "{}",
            m.model
        );
        let p = m.predicted_accuracy.unwrap();
        assert!((0.0..=1.0).contains(&p), "{}: {p}", m.model);
    }
    assert!(rec.evidence_used.iter().any(|e| e.starts_with("trend:")));
    // A plain value: JSON and back.
    let back: Recommendation = serde_json::from_str(&serde_json::to_string(&rec).unwrap()).unwrap();
    assert_eq!(back, rec);
}

#[test]
fn a_new_dataset_trains_the_graph_once_and_reuses_it_from_the_store() {
    let mut engine = Engine::from_store(image_store()).unwrap();
    // imagenet has distances and is many models' source, but no fine-tuning record.
    let req = RecommendRequest {
        top: Some(20),
        explain: true,
        ..request("imagenet", "guard+trend+lr+node2vec")
    };
    let first = engine.recommend(&req).unwrap();
    assert!(
        first.evidence_used[0].starts_with("graph embedder trained"),
        "{:?}",
        first.evidence_used
    );
    let second = engine.recommend(&req).unwrap();
    assert!(
        second.evidence_used[0].starts_with("graph embedder trained earlier"),
        "{:?}",
        second.evidence_used
    );
    assert_eq!(first.models, second.models);
    assert_eq!(engine.store().blob_usage("embedder:").unwrap().0, 1);
    assert!(first
        .models
        .iter()
        .all(|m| m.explain.is_some() && m.recorded_accuracy.is_none()));
}

#[test]
fn predictions_have_intervals_and_move_with_observed_runs() {
    let mut engine = Engine::from_store(image_store()).unwrap();
    let with_intervals = RecommendRequest::new("dtd");
    assert_eq!(with_intervals.method.to_string(), "trend+lr");
    let cold = engine.recommend(&with_intervals).unwrap();
    assert_eq!(cold.coverage, Some(0.8));
    assert_eq!(cold.calibration_datasets, Some(11));
    for m in &cold.models {
        let (lo, p, hi) = (
            m.predicted_low.unwrap(),
            m.predicted_accuracy.unwrap(),
            m.predicted_high.unwrap(),
        );
        assert!(
            0.0 < lo && lo <= p && p <= hi && hi < 1.0,
            "{}: {lo} {p} {hi}",
            m.model
        );
        // Nothing promises a perfect score.
        assert!(p < 0.9995, "{}: {p}", m.model);
    }
    // Two runs on dtd, far below what the cold ranking expects of the top models.
    let top: Vec<&str> = cold.models[..2].iter().map(|m| m.model.as_str()).collect();
    let runs = zoorank_engine::observed_runs([(top[0].into(), 0.70), (top[1].into(), 0.65)]);
    let warm = engine
        .recommend(&RecommendRequest {
            observed: runs.clone(),
            ..with_intervals.clone()
        })
        .unwrap();
    assert_eq!(warm.observed_runs, 2);
    let first = warm.model(top[0]).unwrap();
    assert!(first.observed && first.predicted_accuracy == Some(0.70));
    assert_eq!(
        (first.predicted_low, first.predicted_high),
        (Some(0.70), Some(0.70))
    );
    // The level of every other model moves down with the runs.
    let mean = |r: &Recommendation| {
        let v: Vec<f64> = r
            .models
            .iter()
            .filter(|m| !m.observed)
            .map(|m| m.predicted_accuracy.unwrap())
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(
        mean(&warm) < mean(&cold) - 0.05,
        "{} vs {}",
        mean(&warm),
        mean(&cold)
    );
    // The budget loop's next runs are never runs already made.
    let plan = engine
        .next(&zoorank_engine::NextRequest {
            recommend: RecommendRequest {
                observed: runs,
                ..request("dtd", "trend+lr")
            },
            budget: 3,
            strategy: zoorank_engine::Strategy::Clusters,
            exclude: Vec::new(),
        })
        .unwrap();
    assert_eq!(plan.runs.len(), 3);
    assert!(plan.runs.iter().all(|r| !top.contains(&r.model.as_str())));
    let mut names: Vec<&str> = plan.runs.iter().map(|r| r.model.as_str()).collect();
    names.dedup();
    assert_eq!(names.len(), 3);
    // A model to exclude that the zoo lacks is named as such, not as an observed run.
    let err = engine
        .next(&zoorank_engine::NextRequest {
            exclude: vec!["no/such-model".into()],
            ..zoorank_engine::NextRequest::new("dtd", 1)
        })
        .unwrap_err();
    assert!(
        matches!(err, EngineError::UnknownExcludedModel { position: 1, .. }),
        "{err}"
    );
    // Bad runs name what is wrong.
    let mut bad = |model: &str, acc: f64| {
        engine
            .recommend(&RecommendRequest {
                observed: zoorank_engine::observed_runs([(model.to_string(), acc)]),
                ..request("dtd", "trend+lr")
            })
            .unwrap_err()
    };
    assert!(matches!(
        bad("no/such-model", 0.5),
        EngineError::UnknownObservedModel { row: 1, .. }
    ));
    assert!(matches!(
        bad(top[0], 1.5),
        EngineError::ObservedAccuracy { row: 1, .. }
    ));
    let e = engine
        .recommend(&RecommendRequest {
            coverage: Some(1.0),
            ..request("dtd", "trend+lr")
        })
        .unwrap_err();
    assert!(matches!(e, EngineError::Coverage(c) if c == 1.0));
}

#[test]
fn after_the_first_proposal_next_runs_the_model_already_fine_tuned_on_the_target() {
    // `Ahmed9275/Vit-Cifar100` was fine-tuned on cifar100 (its name and source dataset say
    // so); the method's own first pick stays first, the trained model comes second, and the
    // proposal says why.
    let mut engine = Engine::from_store(image_store()).unwrap();
    let plan = engine
        .next(&zoorank_engine::NextRequest::new("cifar100", 3))
        .unwrap();
    let names: Vec<&str> = plan.runs.iter().map(|r| r.model.as_str()).collect();
    assert_eq!(names.len(), 3);
    assert_ne!(names[0], "Ahmed9275/Vit-Cifar100");
    assert_eq!(names[1], "Ahmed9275/Vit-Cifar100", "{names:?}");
    assert!(
        plan.runs[1]
            .why
            .starts_with("already fine-tuned on 'cifar100'"),
        "{}",
        plan.runs[1].why
    );
    assert!(!plan.runs[2].why.starts_with("already fine-tuned"));
}

#[test]
fn a_survey_plan_runs_the_best_predicted_then_spreads_over_the_ranking_and_says_so() {
    let mut engine = Engine::from_store(image_store()).unwrap();
    let ranking = engine.recommend(&request("dtd", "trend+lr")).unwrap();
    let n = ranking.models.len();
    let plan = engine
        .next(&zoorank_engine::NextRequest {
            strategy: zoorank_engine::Strategy::Survey,
            ..zoorank_engine::NextRequest::new("dtd", 3)
        })
        .unwrap();
    let ranks: Vec<usize> = plan.runs.iter().map(|r| r.rank).collect();
    assert_eq!(ranks[0], 1, "{ranks:?}");
    assert!(plan.runs[0].why.starts_with("best predicted"));
    // The second run lies near the middle of the ranking, the third in its upper half.
    assert!(ranks[1].abs_diff(n / 2) <= n / 10, "{ranks:?} of {n}");
    assert!(ranks[2] > 1 && ranks[2] < ranks[1], "{ranks:?}");
    for r in &plan.runs[1..] {
        assert!(r.why.starts_with("survey run"), "{}", r.why);
    }
}

#[test]
fn bad_requests_are_errors_that_name_what_is_wrong() {
    let mut engine = Engine::from_store(image_store()).unwrap();
    let e = engine.recommend(&request("no-such-set", "lr")).unwrap_err();
    assert!(matches!(e, EngineError::UnknownTarget { ref target } if target == "no-such-set"));
    // A stored score the zoo does not have: the method's error, with its cause kept.
    let e = engine.recommend(&request("dtd", "guard+parc")).unwrap_err();
    assert!(matches!(e, EngineError::Rank { .. }));
    let cause = std::error::Error::source(&e).unwrap().to_string();
    assert!(
        cause.contains("'parc'") && cause.contains("logme"),
        "{cause}"
    );
    let e = engine
        .evaluate(
            &EvalRequest {
                model_ratios: vec![1.5],
                ..EvalRequest::default()
            },
            &|_| {},
        )
        .unwrap_err();
    assert!(matches!(e, EngineError::ModelRatio(r) if r == 1.5));
}

#[test]
fn an_evaluation_is_the_harness_run_on_the_zoo() {
    let engine = Engine::from_store(image_store()).unwrap();
    let methods: Vec<MethodSpec> = vec!["popularity".parse().unwrap(), "trend+lr".parse().unwrap()];
    let targets = Some(vec!["dtd".to_string(), "pets".to_string()]);
    let done = std::sync::Mutex::new(Vec::new());
    let ev = engine
        .evaluate(
            &EvalRequest {
                methods: Some(methods.clone()),
                targets: targets.clone(),
                model_ratios: vec![0.5],
                ratio_subsets: 2,
                ..EvalRequest::default()
            },
            &|p| done.lock().unwrap().push(p),
        )
        .unwrap();
    let opts = zoorank_eval::EvalOptions {
        targets,
        ..zoorank_eval::EvalOptions::default()
    };
    let direct = zoorank_eval::evaluate(engine.zoo(), &methods, &opts).unwrap();
    for m in ["popularity", "trend+lr"] {
        assert_eq!(
            ev.methods[m].per_target, direct.methods[m].per_target,
            "{m}"
        );
        assert_eq!(
            ev.methods[m].weighted_average,
            direct.methods[m].weighted_average
        );
        assert!(ev.model_ratio["0.5"][m]["pearson"].is_finite());
    }
    let done = done.into_inner().unwrap();
    assert!(done.contains(&EvalProgress::Rankings { done: 4, total: 4 }));
    assert!(done.contains(&EvalProgress::Subset {
        ratio: 0.5,
        subset: 2
    }));
    // The JSON shape scripts read: methods, targets, model_ratio.
    let j = serde_json::to_value(&ev).unwrap();
    let keys: Vec<&str> = j.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(keys, ["methods", "model_ratio", "targets"]);
}

#[test]
fn the_zoo_version_follows_the_content() {
    let mut engine = Engine::from_store(image_store()).unwrap();
    let v0 = engine.zoo_version().to_string();
    assert_eq!(v0.len(), 16);
    assert_eq!(Engine::from_store(image_store()).unwrap().zoo_version(), v0);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("runs.csv");
    std::fs::write(&csv, "model,dataset,accuracy\nmy-model,dtd,0.5\n").unwrap();
    let spec = import::RecordsCsvSpec {
        model_col: "model".into(),
        dataset_col: "dataset".into(),
        accuracy_col: "accuracy".into(),
        ..Default::default()
    };
    import::import_records(engine.store_mut(), &csv, &spec, ImportOptions::default()).unwrap();
    engine.reload().unwrap();
    assert_ne!(engine.zoo_version(), v0);
    let rec = engine.recommend(&request("dtd", "popularity")).unwrap();
    assert_eq!(rec.zoo_version, engine.zoo_version());
}
