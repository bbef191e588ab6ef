//! A large generated import on both backends, side by side:
//! `cargo bench -p zoorank-store --bench shared_import` (PostgreSQL from `$ZOORANK_TEST_PG`,
//! default the machine's own server; skipped with a note when there is none).
//!
//! 300,000 runs (2,000 models × 150 datasets, each run its own learning rate) from one CSV,
//! into a fresh SQLite file and a fresh PostgreSQL database; then the same file with one bad
//! row at the end, which must leave no row behind. Prints one line per case with the median
//! of three runs.

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};
use zoorank_store::import::{self, RecordsCsvSpec};
use zoorank_store::{ImportOptions, Store};

#[path = "../tests/common/mod.rs"]
mod common;

const MODELS: usize = 2_000;
const DATASETS: usize = 150;

fn write_runs(path: &Path, bad_last: bool) -> usize {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "model,dataset,accuracy,lr").unwrap();
    let mut n = 0;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for m in 0..MODELS {
        for d in 0..DATASETS {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let acc = (x >> 11) as f64 / (1u64 << 53) as f64;
            writeln!(
                f,
                "org/model-{m},dataset-{d},{acc:.6},{:.0e}",
                1e-5 * (1 + n % 7) as f64
            )
            .unwrap();
            n += 1;
        }
    }
    if bad_last {
        writeln!(f, "org/model-0,dataset-0,not-a-number,1e-5").unwrap();
        n += 1;
    }
    f.flush().unwrap();
    n
}

fn spec() -> RecordsCsvSpec {
    RecordsCsvSpec {
        model_col: "model".into(),
        dataset_col: "dataset".into(),
        accuracy_col: "accuracy".into(),
        lr_col: Some("lr".into()),
        ..RecordsCsvSpec::default()
    }
}

const STRICT: ImportOptions = ImportOptions {
    skip_bad_rows: false,
    dry_run: false,
};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Imports `file` into a fresh store at each location `fresh()` gives; median seconds.
fn time(
    backend: &str,
    file: &Path,
    rows: usize,
    mut fresh: impl FnMut() -> (String, Box<dyn std::any::Any>),
) {
    let mut times = Vec::new();
    for _ in 0..3 {
        let (loc, _keep) = fresh();
        let mut store = Store::open(&loc).unwrap();
        let t = Instant::now();
        let r = import::import_records(&mut store, file, &spec(), STRICT).unwrap();
        times.push(t.elapsed());
        assert_eq!(r.counts.unwrap().records.new, rows);
        assert_eq!(store.stats().unwrap().records, rows);
    }
    let m = median(times);
    println!(
        "import {rows} generated records  {backend:<8} {:>7.2} s  ({:.0} records/s)",
        m.as_secs_f64(),
        rows as f64 / m.as_secs_f64()
    );
}

fn refused(backend: &str, file: &Path, loc: &str) {
    let mut store = Store::open(loc).unwrap();
    let err = import::import_records(&mut store, file, &spec(), STRICT).unwrap_err();
    let s = store.stats().unwrap();
    assert_eq!((s.records, s.models, s.datasets), (0, 0, 0), "{err}");
    println!("failed import (bad last row)     {backend:<8} refused, 0 rows left behind");
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("runs.csv");
    let bad = tmp.path().join("bad.csv");
    let rows = write_runs(&good, false);
    write_runs(&bad, true);
    println!(
        "load {:?}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    let mut n = 0;
    time("sqlite", &good, rows, || {
        n += 1;
        let p = tmp.path().join(format!("z{n}.db"));
        (p.to_str().unwrap().to_string(), Box::new(()))
    });
    refused(
        "sqlite",
        &bad,
        tmp.path().join("refused.db").to_str().unwrap(),
    );
    if common::PgDb::create().is_none() {
        println!("postgres: no server, skipped");
        return;
    }
    time("postgres", &good, rows, || {
        let db = common::PgDb::create().unwrap();
        (db.url.clone(), Box::new(db))
    });
    let db = common::PgDb::create().unwrap();
    refused("postgres", &bad, &db.url);
}
