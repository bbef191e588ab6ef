//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared data directory: `$ZOORANK_DATA`, else `../shared/data` next to the workspace.
pub fn data_dir() -> PathBuf {
    std::env::var_os("ZOORANK_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        })
}

/// The two-phase directory.
pub fn two_phase_dir() -> PathBuf {
    data_dir().join("two-phase")
}

/// A file under tests/reference.
pub fn reference(name: &str) -> PathBuf {
    // Through `../select` so that the experiments crate, which includes this file, finds
    // the same folder.
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../select/tests/reference"
    ))
    .join(name)
}

/// The TransferGraph image zoo read straight from its CSVs (records with an accuracy, and
/// LogME scores as method `logme`, duplicates averaged): independent of the store's importer.
pub fn image_zoo() -> zoorank_core::Zoo {
    use std::collections::HashMap;
    use zoorank_core::{Dataset, Modality, Model, Record, ScoreRecord, Zoo};
    let dir = data_dir().join("transfergraph-image");
    let mut zoo = Zoo::default();
    let mut models: HashMap<String, usize> = HashMap::new();
    let mut datasets: HashMap<String, usize> = HashMap::new();
    let mut model = |zoo: &mut Zoo, n: &str| {
        *models.entry(n.to_string()).or_insert_with(|| {
            let mut m = Model::named(n);
            m.modality = Some(Modality::Image);
            zoo.add_model(m)
        })
    };
    let mut dataset = |zoo: &mut Zoo, n: &str| {
        *datasets.entry(n.to_string()).or_insert_with(|| {
            let mut d = Dataset::named(n);
            d.modality = Some(Modality::Image);
            zoo.add_dataset(d)
        })
    };
    let mut rd = csv::Reader::from_path(dir.join("records.csv")).unwrap();
    let h = rd.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (cm, cd, ca) = (col("model"), col("finetuned_dataset"), col("eval_accuracy"));
    for row in rd.records() {
        let row = row.unwrap();
        let Ok(acc) = row[ca].trim().parse::<f64>() else {
            continue;
        };
        let m = model(&mut zoo, &row[cm]);
        let d = dataset(&mut zoo, &row[cd]);
        zoo.records.push(Record::new(m, d, acc));
    }
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(dir.join("transferability_score_records.csv"))
        .unwrap();
    let h = rd.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (cm, cd, cmet, cs) = (
        col("model"),
        col("target_dataset"),
        col("metric"),
        col("score"),
    );
    let mut sums: HashMap<(usize, usize), (f64, usize)> = HashMap::new();
    for row in rd.records() {
        let row = row.unwrap();
        if row.len() <= cs.max(cmet).max(cm).max(cd) {
            continue; // the file has a few truncated rows
        }
        if &row[cmet] != "TransferabilityMethod.LOG_ME" {
            continue;
        }
        let Ok(v) = row[cs].trim().parse::<f64>() else {
            continue;
        };
        if !v.is_finite() {
            continue;
        }
        let m = model(&mut zoo, &row[cm]);
        let d = dataset(&mut zoo, &row[cd]);
        let e = sums.entry((m, d)).or_insert((0.0, 0));
        e.0 += v;
        e.1 += 1;
    }
    let mut keys: Vec<_> = sums.keys().copied().collect();
    keys.sort_unstable();
    for (m, d) in keys {
        let (s, n) = sums[&(m, d)];
        zoo.scores.push(ScoreRecord {
            model: m,
            dataset: d,
            method: "logme".into(),
            value: s / n as f64,
            runtime: None,
        });
    }
    zoo
}
