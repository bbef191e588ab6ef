//! Repeated runs of one configuration: every distinct row of a results file is its own run, so
//! the ground truth (the maximum over runs) is right, and re-importing changes nothing.
//!
//! The results file is generated here with a fixed seed, in the shape of a real one: 6,971 runs
//! of 48 models on 16 datasets at four learning rates and three seeds, where a same-seed re-run
//! sometimes reproduces its result exactly (the same run, written twice) and sometimes does not
//! (non-deterministic kernels).

mod common;

use common::STRICT;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use zoorank_store::import::{self, RecordsCsvSpec};
use zoorank_store::{ImportReport, Store};

const ROWS: usize = 6_971;

/// SplitMix64: a tiny seeded generator, so the file is the same on every machine.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One generated run, as written: model, dataset, accuracy text, learning-rate text, seed.
struct Run {
    model: String,
    dataset: String,
    accuracy: String,
    lr: String,
}

/// Writes the results file (`model,dataset,accuracy,lr,seed`) and returns its runs.
fn write_results(path: &Path, seed: u64) -> Vec<Run> {
    let mut rng = SplitMix(seed);
    let lrs = ["0.001", "0.0003", "0.0001", "3e-05"];
    let mut text = String::from("model,dataset,accuracy,lr,seed\n");
    let mut runs = Vec::with_capacity(ROWS);
    for _ in 0..ROWS {
        let m = rng.below(48);
        let d = rng.below(16);
        let l = rng.below(lrs.len() as u64) as usize;
        let s = rng.below(3);
        // The configuration fixes the result of a deterministic run ...
        let mut cfg = SplitMix(m * 1_000_003 + d * 10_007 + l as u64 * 101 + s);
        let mut acc = 0.4 + 0.3 * cfg.unit() + 0.05 * l as f64 + 0.01 * s as f64;
        // ... and half of the re-runs wander a little.
        if rng.unit() < 0.5 {
            acc += 0.02 * (rng.unit() - 0.5);
        }
        let run = Run {
            model: format!("org/model-{m:02}"),
            dataset: format!("task{d:02}"),
            accuracy: format!("{:.4}", acc.clamp(0.0, 1.0)),
            lr: lrs[l].to_string(),
        };
        text.push_str(&format!(
            "{},{},{},{},{s}\n",
            run.model, run.dataset, run.accuracy, run.lr
        ));
        runs.push(run);
    }
    std::fs::write(path, text).unwrap();
    runs
}

fn spec(lr: bool, keep_last: bool) -> RecordsCsvSpec {
    RecordsCsvSpec {
        model_col: "model".into(),
        dataset_col: "dataset".into(),
        accuracy_col: "accuracy".into(),
        lr_col: lr.then(|| "lr".into()),
        keep_last,
        ..RecordsCsvSpec::default()
    }
}

/// The maximum accuracy per (model, dataset), computed from the generated runs alone.
fn independent_max(runs: &[Run]) -> HashMap<(String, String), f64> {
    let mut best: HashMap<(String, String), f64> = HashMap::new();
    for r in runs {
        let a: f64 = r.accuracy.parse().unwrap();
        let e = best
            .entry((r.model.clone(), r.dataset.clone()))
            .or_insert(a);
        *e = e.max(a);
    }
    best
}

/// The store's ground truth per (model, dataset).
fn stored_truth(store: &Store) -> HashMap<(String, String), f64> {
    let zoo = store.load_zoo().unwrap();
    let mut out = HashMap::new();
    for d in 0..zoo.datasets.len() {
        for (m, acc) in zoo.ground_truth(d, true) {
            out.insert(
                (zoo.models[m].name.clone(), zoo.datasets[d].name.clone()),
                acc,
            );
        }
    }
    out
}

fn import(store: &mut Store, path: &Path, spec: &RecordsCsvSpec) -> ImportReport {
    import::import_records(store, path, spec, STRICT).unwrap()
}

#[test]
fn every_distinct_run_is_kept_and_the_ground_truth_is_the_maximum_over_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("results.csv");
    let runs = write_results(&path, 19);
    let distinct: HashSet<(&str, &str, &str, &str)> = runs
        .iter()
        .map(|r| (&*r.model, &*r.dataset, &*r.lr, &*r.accuracy))
        .collect();
    let configs: HashSet<(&str, &str, &str)> = runs
        .iter()
        .map(|r| (&*r.model, &*r.dataset, &*r.lr))
        .collect();
    // The file has both kinds of repeat, plenty of them.
    assert!(ROWS - distinct.len() > 500, "{}", distinct.len());
    assert!(distinct.len() - configs.len() > 500, "{}", configs.len());

    let db = tmp.path().join("zoo.db");
    let mut store = Store::open(&db).unwrap();
    let r = import(&mut store, &path, &spec(true, false));
    assert_eq!(r.rows_read["results.csv"], ROWS);
    assert_eq!(r.rows_imported["records"], distinct.len());
    assert_eq!(r.duplicates["results.csv"], ROWS - distinct.len());
    assert_eq!(
        r.repeats_kept["results.csv"],
        distinct.len() - configs.len()
    );
    let counts = r.counts.unwrap().records;
    assert_eq!((counts.new, counts.updated), (distinct.len(), 0));
    assert_eq!(store.stats().unwrap().records, distinct.len());
    assert_eq!(stored_truth(&store), independent_max(&runs));

    // Re-importing the same file, into the re-opened store, changes nothing.
    drop(store);
    let mut store = Store::open(&db).unwrap();
    let again = import(&mut store, &path, &spec(true, false))
        .counts
        .unwrap()
        .records;
    assert_eq!((again.new, again.updated), (0, 0));
    assert_eq!(again.unchanged, distinct.len());
    assert_eq!(store.stats().unwrap().records, distinct.len());
    assert_eq!(stored_truth(&store), independent_max(&runs));
}

#[test]
fn without_the_lr_column_runs_are_still_kept_and_the_maximum_still_right() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("results.csv");
    let runs = write_results(&path, 20);
    // Unnamed learning rates: a run is told apart by its accuracy alone.
    let distinct: HashSet<(&str, &str, &str)> = runs
        .iter()
        .map(|r| (&*r.model, &*r.dataset, &*r.accuracy))
        .collect();
    common::each_backend(|mut store| {
        let r = import(&mut store, &path, &spec(false, false));
        assert_eq!(store.stats().unwrap().records, distinct.len());
        assert_eq!(r.duplicates["results.csv"], ROWS - distinct.len());
        assert_eq!(stored_truth(&store), independent_max(&runs));
        let again = import(&mut store, &path, &spec(false, false))
            .counts
            .unwrap()
            .records;
        assert_eq!((again.new, again.updated), (0, 0));
    });
}

#[test]
fn keep_last_keeps_one_run_per_configuration_as_before() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("results.csv");
    let runs = write_results(&path, 19);
    let mut last: HashMap<(&str, &str), f64> = HashMap::new();
    for r in &runs {
        last.insert((&*r.model, &*r.dataset), r.accuracy.parse().unwrap());
    }
    common::each_backend(|mut store| {
        let r = import(&mut store, &path, &spec(false, true));
        // One record per (model, dataset), the last row's: the ground truth is then wrong for many
        // pairs, which is why keeping every run is the default.
        assert_eq!(store.stats().unwrap().records, last.len());
        assert_eq!(r.duplicates["results.csv"], ROWS - last.len());
        assert!(r.repeats_kept.is_empty());
        let truth = stored_truth(&store);
        let max = independent_max(&runs);
        for ((m, d), acc) in &last {
            assert_eq!(truth[&(m.to_string(), d.to_string())], *acc);
        }
        let wrong = max.iter().filter(|(k, v)| truth[*k] != **v).count();
        assert!(wrong * 3 > max.len(), "{wrong} of {}", max.len());
    });
}

#[test]
fn a_rerun_in_a_later_file_is_added_not_written_over() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.csv");
    let b = tmp.path().join("b.csv");
    std::fs::write(
        &a,
        "model,dataset,accuracy,lr\nm,d,0.70,0.01\nm,d,0.72,0.01\n",
    )
    .unwrap();
    std::fs::write(
        &b,
        "model,dataset,accuracy,lr\nm,d,0.75,0.01\nm,d,0.70,0.01\n",
    )
    .unwrap();
    common::each_backend(|mut store| {
        let ra = import(&mut store, &a, &spec(true, false));
        assert_eq!(ra.counts.unwrap().records.new, 2);
        assert_eq!(ra.repeats_kept["a.csv"], 1);
        let rb = import(&mut store, &b, &spec(true, false)).counts.unwrap();
        // 0.75 is a third run; 0.70 is the run already stored from a.csv.
        assert_eq!((rb.records.new, rb.records.unchanged), (1, 1));
        let mut accs: Vec<f64> = store
            .load_zoo()
            .unwrap()
            .records
            .iter()
            .map(|r| r.accuracy)
            .collect();
        accs.sort_by(f64::total_cmp);
        assert_eq!(accs, [0.70, 0.72, 0.75]);
    });
}
