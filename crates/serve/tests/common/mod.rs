//! Helpers shared by the test binaries: the image zoo imported once into a temporary store,
//! and servers started on loopback ports.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use zoorank_serve::client::Client;
use zoorank_serve::{AppState, Config, Server};
use zoorank_store::{import, ImportOptions, Store};

/// The token the test servers take.
pub const TOKEN: &str = "test-token-0123456789abcdef";

/// The published zoo data: `$ZOORANK_DATA`, default `../shared/data` beside the workspace.
pub fn data_dir() -> PathBuf {
    std::env::var_os("ZOORANK_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// A store file holding the TransferGraph image zoo (imported once per test binary, then
/// copied for each caller that writes).
pub fn image_store() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("zoo.db");
        let mut store = Store::open(&db).unwrap();
        let opts = ImportOptions {
            skip_bad_rows: true,
            dry_run: false,
        };
        import::import_transfergraph(&mut store, &data_dir().join("transfergraph-image"), opts)
            .unwrap();
        // Fold the WAL into the file so that a plain copy of it is the whole store.
        drop(store);
        (dir, db)
    })
    .1
}

/// A fresh copy of the image store in its own temporary directory.
pub fn store_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("zoo.db");
    std::fs::copy(image_store(), &db).unwrap();
    (dir, db)
}

/// A running server (stopped when dropped).
pub struct TestServer {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// A server on `db` with the test token, on a free loopback port.
    pub fn start(db: &Path) -> TestServer {
        let mut config = Config::new(db);
        config.bind = "127.0.0.1:0".parse().unwrap();
        config.token = Some(TOKEN.to_string());
        Self::start_with(config)
    }

    /// A server on its own copy of the image store.
    pub fn start_on_copy() -> TestServer {
        let (dir, db) = store_copy();
        let mut s = Self::start(&db);
        s._dir = Some(dir);
        s
    }

    /// A server with `config`.
    pub fn start_with(config: Config) -> TestServer {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let server = Server::bind(config).await.unwrap();
                tx.send((server.local_addr(), server.state().clone()))
                    .unwrap();
                server
                    .serve(async {
                        let _ = stop_rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let (addr, state) = rx.recv().unwrap();
        TestServer {
            addr,
            state,
            stop: Some(stop_tx),
            thread: Some(thread),
            _dir: None,
        }
    }

    pub fn client(&self) -> Client {
        Client::new(self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The shared read-only server of a test binary (on the shared image store).
pub fn shared() -> &'static TestServer {
    static S: OnceLock<TestServer> = OnceLock::new();
    S.get_or_init(|| TestServer::start(image_store()))
}

/// `Authorization` header with the test token.
pub fn auth() -> (&'static str, String) {
    ("Authorization", format!("Bearer {TOKEN}"))
}
