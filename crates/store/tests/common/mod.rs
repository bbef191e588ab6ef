//! Helpers shared by the store's test binaries (each includes this module with `mod common;`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use zoorank_store::ImportOptions;

/// The published zoo data: `$ZOORANK_DATA`, default `../shared/data` beside the workspace.
pub fn data_dir() -> PathBuf {
    std::env::var_os("ZOORANK_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// Any bad row refuses the import.
pub const STRICT: ImportOptions = ImportOptions {
    skip_bad_rows: false,
    dry_run: false,
};

/// Bad rows are skipped and reported.
pub const LENIENT: ImportOptions = ImportOptions {
    skip_bad_rows: true,
    dry_run: false,
};

/// Copies the files (not sub-directories) of `from` into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

/// The PostgreSQL server the tests create their databases on: `$ZOORANK_TEST_PG`, default
/// the machine's own server as `postgres` (trust auth).
pub fn pg_admin_url() -> String {
    std::env::var("ZOORANK_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A fresh, empty PostgreSQL database for one test, dropped with this value.
pub struct PgDb {
    pub url: String,
    name: String,
}

impl PgDb {
    /// `None` (with a note on stderr) when there is no server, except under CI, where every
    /// test must run on both backends and a missing server fails.
    pub fn create() -> Option<PgDb> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let admin = pg_admin_url();
        let mut client = match postgres::Client::connect(&admin, postgres::NoTls) {
            Ok(c) => c,
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("note: no PostgreSQL at {admin} ({e}); testing SQLite only");
                return None;
            }
            Err(e) => panic!("CI needs PostgreSQL at {admin}: {e}"),
        };
        let name = format!(
            "zoorank_test_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        // The name is generated here, never user input.
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Some(PgDb {
            url: format!("{base}/{name}"),
            name,
        })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&pg_admin_url(), postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Runs `f` with the location of a fresh store on each backend: an SQLite file, then a
/// PostgreSQL database (when a server is there; always under CI). Returns the backends' names
/// in the order run, for tests that compare them.
pub fn each_location(mut f: impl FnMut(&str)) -> Vec<&'static str> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("zoo.db");
    f(file.to_str().unwrap());
    let mut ran = vec!["sqlite"];
    if let Some(db) = PgDb::create() {
        f(&db.url);
        ran.push("postgres");
    }
    ran
}

/// Runs `f` with a fresh, empty store on each backend (see [`each_location`]).
pub fn each_backend(mut f: impl FnMut(zoorank_store::Store)) {
    each_location(|loc| f(zoorank_store::Store::open(loc).unwrap()));
}
