//! `CvChoice` picks the candidate that ranks the training datasets best, whatever their order,
//! and never looks at the target's records.

use zoorank_core::{Dataset, Model, Record, Zoo};
use zoorank_predict::rank::baseline::Popularity;
use zoorank_predict::rank::cv::CvChoice;
use zoorank_predict::rank::{ModelScore, PredictError, Ranker, TargetView};

/// Popularity upside down: the worst possible ranker on a zoo where quality is shared.
struct Reversed;

impl Ranker for Reversed {
    fn id(&self) -> String {
        "reversed".into()
    }
    fn rank(&self, view: &TargetView) -> Result<Vec<ModelScore>, PredictError> {
        Ok(Popularity
            .rank(view)?
            .into_iter()
            .map(|s| ModelScore {
                score: -s.score,
                ..s
            })
            .collect())
    }
}

/// 8 models whose accuracy grows with their index on every one of 5 datasets (plus a
/// dataset-specific wiggle); dataset 0 is the target.
fn zoo() -> Zoo {
    let mut z = Zoo::default();
    for d in 0..5 {
        z.add_dataset(Dataset::named(format!("d{d}")));
    }
    for m in 0..8 {
        z.add_model(Model::named(format!("m{m}")));
        for d in 0..5 {
            let wiggle = 0.01 * (((m * 7 + d * 3) % 5) as f64);
            z.records
                .push(Record::new(m, d, 0.4 + 0.06 * m as f64 + wiggle));
        }
    }
    z
}

fn view(z: &Zoo) -> TargetView {
    TargetView {
        zoo: z.without_target_history(0),
        target: 0,
        candidates: (0..8).collect(),
        seed: 1,
    }
}

fn candidates(reversed_first: bool) -> Vec<(String, Box<dyn Ranker>)> {
    let mut v: Vec<(String, Box<dyn Ranker>)> = vec![
        ("popularity".into(), Box::new(Popularity)),
        ("reversed".into(), Box::new(Reversed)),
    ];
    if reversed_first {
        v.reverse();
    }
    v
}

#[test]
fn the_candidate_that_ranks_the_folds_best_is_chosen_in_any_order() {
    let z = zoo();
    for reversed_first in [false, true] {
        let cv = CvChoice::new("test", candidates(reversed_first), 10);
        let out = cv.choose(&view(&z)).unwrap();
        assert_eq!(out.criteria[out.chosen].0, "popularity", "{out:?}");
        assert_eq!(out.folds.len(), 4, "every dataset but the target: {out:?}");
        assert!(!out.folds.contains(&0));
        // The chosen ranker's scores are what `rank` returns.
        let got = cv.rank(&view(&z)).unwrap();
        assert_eq!(got, Popularity.rank(&view(&z)).unwrap());
    }
}

#[test]
fn folds_are_capped_by_weight_and_the_target_records_do_not_matter() {
    let z = zoo();
    let mut poisoned = z.clone();
    for r in poisoned.records.iter_mut().filter(|r| r.dataset == 0) {
        r.accuracy = 1.0 - r.accuracy;
    }
    let cv = CvChoice::new("test", candidates(false), 2);
    let a = cv.choose(&view(&z)).unwrap();
    let b = cv.choose(&view(&poisoned)).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.folds.len(), 2);
}

#[test]
fn no_fold_dataset_is_an_error_not_a_panic() {
    let mut z = Zoo::default();
    let t = z.add_dataset(Dataset::named("only"));
    for m in 0..4 {
        z.add_model(Model::named(format!("m{m}")));
        z.records.push(Record::new(m, t, 0.5 + 0.1 * m as f64));
    }
    let v = TargetView {
        zoo: z.without_target_history(t),
        target: t,
        candidates: (0..4).collect(),
        seed: 0,
    };
    let err = CvChoice::new("test", candidates(false), 3)
        .choose(&v)
        .unwrap_err();
    assert!(matches!(err, PredictError::NoTrainingData { .. }), "{err}");
    assert!(CvChoice::new("test", Vec::new(), 3).choose(&v).is_err());
}
