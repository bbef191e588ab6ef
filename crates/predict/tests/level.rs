//! The level of accuracy `History::expected_moments` predicts for a dataset without records:
//! the estimator is chosen by leaving training datasets out, so it follows what the history
//! shows (a robust median when one dataset's runs failed, a size law when the means follow
//! #classes). `History::descriptors_level`, the level the predicted accuracies are moved to,
//! follows the datasets' samples per class, distance from the models' pre-training and number
//! of classes.

use zoorank_core::{Dataset, Model, Record, Zoo};
use zoorank_predict::rank::history::{History, LevelEstimator};

/// `means[d]` ± 0.05 over four models on each dataset; `classes[d]` classes, 1000 samples.
fn zoo(means: &[f64], classes: &[f64]) -> Zoo {
    let mut z = Zoo::default();
    for m in 0..4 {
        z.add_model(Model::named(format!("m{m}")));
    }
    for (d, (&mu, &c)) in means.iter().zip(classes).enumerate() {
        let mut ds = Dataset::named(format!("d{d}"));
        ds.num_classes = Some(c);
        ds.num_samples = Some(1000.0);
        let di = z.add_dataset(ds);
        for m in 0..4 {
            z.records
                .push(Record::new(m, di, mu + 0.05 * (m as f64 - 1.5) / 1.5));
        }
    }
    z
}

#[test]
fn one_failed_dataset_does_not_drag_the_level_down() {
    // Eight datasets near 0.9 and one whose runs failed (0.01).
    let mut means = vec![0.9, 0.88, 0.92, 0.91, 0.89, 0.9, 0.87, 0.93];
    means.push(0.01);
    let classes = vec![10.0; means.len() + 1];
    let mut z = zoo(&means, &classes);
    let new = z.add_dataset(Dataset::named("new"));
    let h = History::new(&z);
    let (mu, sd) = h.expected_moments(new).unwrap();
    assert!((mu - 0.9).abs() < 0.015, "median-like level, got {mu}");
    assert!(sd > 0.0 && sd < 0.1, "{sd}");
    // The plain mean would have been pulled to ≈ 0.80.
    let pool: Vec<usize> = (0..means.len()).collect();
    let (plain, _) = h.level(LevelEstimator::WeightedMean, new, &pool).unwrap();
    assert!(plain < 0.82, "{plain}");
}

#[test]
fn means_that_follow_the_class_count_are_predicted_from_it() {
    // mean = 1.1 − 0.2 · log10(classes): 10 → 0.9, 100 → 0.7, 1000 → 0.5.
    let classes = [5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];
    let means: Vec<f64> = classes
        .iter()
        .map(|c: &f64| 1.1 - 0.2 * c.log10())
        .collect();
    let mut z = zoo(&means, &classes);
    let mut ds = Dataset::named("new");
    ds.num_classes = Some(300.0);
    ds.num_samples = Some(1000.0);
    // Samples must vary for the two-column fit: give the training datasets different sizes.
    for (i, d) in z.datasets.iter_mut().enumerate() {
        d.num_samples = Some(1000.0 * (1.0 + (i % 3) as f64));
    }
    let new = z.add_dataset(ds);
    let h = History::new(&z);
    let (mu, _) = h.expected_moments(new).unwrap();
    let want = 1.1 - 0.2 * 300f64.log10();
    assert!((mu - want).abs() < 0.01, "{mu} vs {want}");
}

#[test]
fn no_training_dataset_gives_no_level() {
    let mut z = Zoo::default();
    z.add_model(Model::named("m"));
    let d = z.add_dataset(Dataset::named("only"));
    assert_eq!(History::new(&z).expected_moments(d), None);
}

#[test]
fn the_accuracy_range_spans_the_training_records() {
    let z = zoo(&[0.9, 0.5], &[10.0, 10.0]);
    let (lo, hi) = History::new(&z).accuracy_range().unwrap();
    assert!(
        (lo - 0.45).abs() < 1e-12 && (hi - 0.95).abs() < 1e-12,
        "{lo} {hi}"
    );
    assert_eq!(History::new(&Zoo::default()).accuracy_range(), None);
}

#[test]
fn means_that_follow_the_descriptors_are_predicted_from_them() {
    // Eight datasets whose mean accuracy is 0.7 + 0.1 · log10(samples per class) − 0.02 ·
    // (distance from the models' source) − 0.05 · log10(#classes): four models on each, all
    // from one source dataset.
    let mut z = Zoo::default();
    let src = z.add_dataset(Dataset::named("src"));
    for m in 0..4 {
        let mut model = Model::named(format!("m{m}"));
        model.source_dataset = Some("src".into());
        z.add_model(model);
    }
    let law = |spc: f64, dist: f64, classes: f64| {
        0.7 + 0.1 * spc.log10() - 0.02 * dist - 0.05 * classes.log10()
    };
    let add = |z: &mut Zoo, name: String, spc: f64, dist: f64, classes: f64, records: bool| {
        let mut ds = Dataset::named(name);
        ds.num_classes = Some(classes);
        ds.num_samples = Some(classes * spc);
        let d = z.add_dataset(ds);
        z.distances.push(zoorank_core::Distance {
            a: src,
            b: d,
            method: "ds".into(),
            value: dist,
        });
        if records {
            for m in 0..4 {
                let mu = law(spc, dist, classes);
                z.records
                    .push(Record::new(m, d, mu + 0.02 * (m as f64 - 1.5) / 1.5));
            }
        }
        d
    };
    for (i, (spc, dist, classes)) in [
        (20.0, 2.0, 10.0),
        (50.0, 9.0, 100.0),
        (100.0, 4.0, 37.0),
        (300.0, 8.0, 5.0),
        (1000.0, 3.0, 200.0),
        (40.0, 6.0, 2.0),
        (2000.0, 10.0, 20.0),
        (500.0, 1.0, 60.0),
    ]
    .into_iter()
    .enumerate()
    {
        add(&mut z, format!("d{i}"), spc, dist, classes, true);
    }
    let new = add(&mut z, "new".into(), 150.0, 7.0, 30.0, false);
    let h = History::new(&z);
    let level = h.descriptors_level(new).unwrap();
    let truth = law(150.0, 7.0, 30.0);
    assert!((level - truth).abs() < 1e-3, "{level} against {truth}");
    // The cross-validated estimators know nothing of the distance.
    let (mu, _) = h.expected_moments(new).unwrap();
    assert!((mu - truth).abs() > 0.01, "{mu}");
    // Without distances there is no descriptors' level.
    z.distances.clear();
    assert_eq!(History::new(&z).descriptors_level(new), None);
}
