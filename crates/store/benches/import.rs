//! Import speed on the real image zoo: `cargo bench -p zoorank-store --bench import`.
//!
//! Two cases: into a fresh in-memory store, and into a fresh WAL file on disk (what
//! `zoorank import transfergraph` does). Both include parsing all five files.

use criterion::{criterion_group, criterion_main, Criterion};
use std::path::{Path, PathBuf};
use zoorank_store::{import, ImportOptions, Store};

fn data_dir() -> PathBuf {
    std::env::var_os("ZOORANK_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

fn bench(c: &mut Criterion) {
    let dir = data_dir().join("transfergraph-image");
    let opts = ImportOptions {
        skip_bad_rows: true,
        dry_run: false,
    };
    let mut g = c.benchmark_group("import_transfergraph_image");
    g.sample_size(20);
    g.bench_function("in_memory", |b| {
        b.iter(|| {
            let mut s = Store::open_in_memory().unwrap();
            import::import_transfergraph(&mut s, &dir, opts).unwrap()
        })
    });
    let tmp = tempfile::tempdir().unwrap();
    let mut n = 0;
    g.bench_function("file_wal", |b| {
        b.iter(|| {
            n += 1;
            let mut s = Store::open(tmp.path().join(format!("z{n}.db"))).unwrap();
            import::import_transfergraph(&mut s, &dir, opts).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
