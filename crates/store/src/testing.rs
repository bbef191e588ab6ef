//! Test support shared by the crates' tests: fresh PostgreSQL databases on the machine's
//! server. Not part of the store's API.

/// The PostgreSQL server the tests create their databases on: `$ZOORANK_TEST_PG`, default
/// the machine's own server as `postgres` (trust auth).
pub fn pg_admin_url() -> String {
    std::env::var("ZOORANK_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A fresh, empty PostgreSQL database for one test, dropped with this value.
pub struct PgDb {
    /// Its URL.
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

/// Runs `f` with the location of a fresh store on each backend: an SQLite file in `dir`,
/// then a PostgreSQL database (when a server is there; always under CI). Returns the
/// backends' names in the order run.
pub fn each_location(dir: &std::path::Path, mut f: impl FnMut(&str)) -> Vec<&'static str> {
    let file = dir.join("zoo.db");
    f(file.to_str().expect("a UTF-8 temporary path"));
    let mut ran = vec!["sqlite"];
    if let Some(db) = PgDb::create() {
        f(&db.url);
        ran.push("postgres");
    }
    ran
}
