//! A zoo where a learned method has nothing to learn from (the schema sample of the text zoo
//! has records on one dataset only): `evaluate` reports the pair as skipped instead of failing
//! the whole evaluation, and the methods that can run still do. Also: the progress callback
//! of `evaluate_with_progress`.

use zoorank_core::{Dataset, Model, Record, Zoo};
use zoorank_eval::{evaluate, EvalOptions};
use zoorank_predict::rank::MethodSpec;

#[test]
fn a_method_without_training_data_is_skipped_not_fatal() {
    let mut zoo = Zoo::default();
    let t = zoo.add_dataset(Dataset::named("only"));
    for i in 0..5 {
        let m = zoo.add_model(Model::named(format!("m{i}")));
        zoo.records.push(Record::new(m, t, 0.5 + 0.1 * i as f64));
    }
    let methods = vec![MethodSpec::Popularity, "lr".parse().unwrap()];
    let rep = evaluate(&zoo, &methods, &EvalOptions::default()).unwrap();
    assert_eq!(rep.skipped.len(), 1, "{:?}", rep.skipped);
    let (method, target, why) = &rep.skipped[0];
    assert_eq!((method.as_str(), target.as_str()), ("lr", "only"));
    assert!(
        why.contains("no other dataset has fine-tuning records"),
        "{why}"
    );
    assert!(rep.methods["popularity"].per_target.contains_key("only"));
    assert!(rep
        .methods
        .get("lr")
        .is_none_or(|r| r.per_target.is_empty()));
}

#[test]
fn progress_counts_every_ranking_once_and_ends_at_the_total() {
    let mut zoo = Zoo::default();
    for d in 0..3 {
        zoo.add_dataset(Dataset::named(format!("d{d}")));
    }
    for i in 0..5 {
        let m = zoo.add_model(Model::named(format!("m{i}")));
        for d in 0..3 {
            zoo.records
                .push(Record::new(m, d, 0.5 + 0.1 * i as f64 - 0.01 * d as f64));
        }
    }
    let methods = vec![MethodSpec::Popularity, "lr".parse().unwrap()];
    let seen = std::sync::Mutex::new(Vec::new());
    let opts = EvalOptions {
        threads: 2,
        ..EvalOptions::default()
    };
    let rep = zoorank_eval::evaluate_with_progress(&zoo, &methods, &opts, &|done, total| {
        seen.lock().unwrap().push((done, total))
    })
    .unwrap();
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    // 2 methods × 3 targets, each reported once, counting 1..=6 of 6.
    assert_eq!(seen, (1..=6).map(|d| (d, 6)).collect::<Vec<_>>());
    // The same results as without a callback (timings aside).
    let plain = evaluate(&zoo, &methods, &opts).unwrap();
    for m in methods.iter().map(|m| m.to_string()) {
        assert_eq!(
            rep.methods[&m].per_target, plain.methods[&m].per_target,
            "{m}"
        );
    }
}
