//! # zoorank-serve
//!
//! The HTTP interface of zoorank (`zoorank serve`): a JSON API over the engine
//! ([`zoorank_engine`]) described at `/openapi.json`, and a web page at `/` that asks it —
//! pick a target, see the ranked models with their evidence and explanations, and how the
//! method's predictions compare with recorded accuracies on the zoo's other datasets.
//!
//! Reads are open on the bound address; writes (`POST /v1/records`, `POST /v1/import/...`)
//! need `Authorization: Bearer <token>`. Long work (evaluations) runs as jobs. See
//! [`state`] for how readers, the writer and the cache share the store.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = zoorank_serve::Config::new("zoorank.db");
//! zoorank_serve::run(config)?; // blocks until SIGTERM or Ctrl-C
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod api;
pub mod client;
mod error;
pub mod jobs;
pub mod openapi;
mod params;
pub mod state;

pub use api::ROUTES;
pub use error::{ApiError, ServeError};
pub use state::AppState;

use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::routing::MethodRouter;
use axum::Router;
use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How to serve.
#[derive(Debug, Clone)]
pub struct Config {
    /// The zoo store (must exist: `zoorank import ...` creates it).
    pub db: PathBuf,
    /// Address to listen on.
    pub bind: SocketAddr,
    /// The bearer token writes need; `None` refuses every write.
    pub token: Option<String>,
    /// Rankings computed at once (each on its own engine and blocking thread).
    pub rankers: usize,
    /// Longest time a read may take before it is answered 503.
    pub read_timeout: Duration,
    /// Largest request body (CSV uploads included), in bytes.
    pub max_body: usize,
    /// How long shutdown waits for in-flight requests (a write past it is rolled back).
    pub shutdown_grace: Duration,
}

impl Config {
    /// Defaults: `127.0.0.1:8080`, no token (read only), 2 rankers, 30 s reads, 16 MiB
    /// bodies, 30 s of grace at shutdown.
    pub fn new(db: impl Into<PathBuf>) -> Config {
        Config {
            db: db.into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: None,
            rankers: 2,
            read_timeout: Duration::from_secs(30),
            max_body: 16 << 20,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Reads a bearer token from `path`: its content without surrounding whitespace, at least
/// 16 bytes of printable ASCII.
///
/// # Errors
/// [`ServeError::Token`] when the file cannot be read or the token is too short or not
/// printable.
pub fn read_token_file(path: &Path) -> Result<String, ServeError> {
    let err = |message: String| ServeError::Token {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let token = text.trim();
    if token.len() < 16 {
        return Err(err(format!(
            "the token is {} characters long; use at least 16 (e.g. `openssl rand -hex 32`)",
            token.len()
        )));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(err(
            "the token must be printable ASCII without spaces".into()
        ));
    }
    Ok(token.to_string())
}

/// The application: every route of [`ROUTES`] on `state`, with the body limit and the read
/// timeout of `config`.
pub fn router(state: Arc<AppState>, config: &Config) -> Router {
    let mut by_path: BTreeMap<&str, MethodRouter<Arc<AppState>>> = BTreeMap::new();
    for &(method, path) in ROUTES {
        let mr = by_path.remove(path).unwrap_or_default();
        by_path.insert(path, api::add_route(mr, method, path));
    }
    let mut app = Router::new();
    for (path, mr) in by_path {
        app = app.route(path, mr);
    }
    let timeout = config.read_timeout;
    let max_body = config.max_body;
    let guard_state = state.clone();
    app.fallback(api::fallback)
        .layer(axum::middleware::from_fn(move |req, next| {
            guard(guard_state.clone(), timeout, max_body, req, next)
        }))
        .layer(DefaultBodyLimit::max(config.max_body))
        .with_state(state)
}

/// Checks the token of writes before their body is read (so a write without a token is 401
/// whatever it carries), and answers 503 when a read takes longer than `limit`. Writes are
/// not cut short: their transaction commits or rolls back on its own, and the client must
/// learn which.
async fn guard(
    state: Arc<AppState>,
    limit: Duration,
    max_body: usize,
    req: axum::extract::Request,
    next: Next,
) -> axum::response::Response {
    let write = api::is_write(req.method(), req.uri().path());
    if write {
        if let Err(e) = api::authorize(&state, req.headers()) {
            return e.into_response();
        }
    }
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_body as u64) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the body is {} bytes; this server takes at most {max_body}",
                declared.unwrap_or(0)
            ),
        )
        .into_response();
    }
    if write || req.method() != Method::GET {
        return next.run(req).await;
    }
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the request took longer than {} s", limit.as_secs_f64()),
        )
        .into_response(),
    }
}

/// A server bound to its address, not yet serving (tests bind port 0 and read the port).
pub struct Server {
    listener: tokio::net::TcpListener,
    app: Router,
    state: Arc<AppState>,
    config: Config,
}

impl Server {
    /// Opens the store and binds `config.bind`. Must be called inside a tokio runtime.
    ///
    /// # Errors
    /// [`ServeError`].
    pub async fn bind(config: Config) -> Result<Server, ServeError> {
        let token = config.token.clone().map(String::into_bytes);
        let (db, rankers) = (config.db.clone(), config.rankers);
        let state = tokio::task::spawn_blocking(move || AppState::open(db, token, rankers))
            .await
            .map_err(|e| ServeError::Read(e.to_string()))??;
        let state = Arc::new(state);
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| ServeError::Io {
                addr: config.bind,
                source,
            })?;
        let app = router(state.clone(), &config);
        Ok(Server {
            listener,
            app,
            state,
            config,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.config.bind)
    }

    /// The shared state.
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Serves until `shutdown` resolves; then stops accepting, lets in-flight requests finish
    /// for up to [`Config::shutdown_grace`] and returns. A write still running after that is
    /// abandoned with the process: its transaction never commits, so the store stays as it
    /// was before it.
    ///
    /// # Errors
    /// [`ServeError::Io`].
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let addr = self.local_addr();
        let (tx, rx) = tokio::sync::watch::channel(false);
        let graceful = async move {
            shutdown.await;
            let _ = tx.send(true);
        };
        let serving = axum::serve(self.listener, self.app).with_graceful_shutdown(graceful);
        let grace = self.config.shutdown_grace;
        let mut rx2 = rx.clone();
        let deadline = async move {
            let _ = rx2.wait_for(|&s| s).await;
            tokio::time::sleep(grace).await;
        };
        let out = tokio::select! {
            r = serving => r.map_err(|source| ServeError::Io { addr, source }),
            () = deadline => {
                eprintln!("zoorank serve: in-flight requests did not finish within {} s; stopping anyway", grace.as_secs());
                Ok(())
            }
        };
        self.state.jobs.close();
        drop(rx);
        out
    }
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Serves `config` on a new multi-threaded runtime until SIGTERM or Ctrl-C. Prints the
/// address it listens on.
///
/// # Errors
/// [`ServeError`].
pub fn run(config: Config) -> Result<(), ServeError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServeError::Io {
            addr: config.bind,
            source,
        })?;
    rt.block_on(async move {
        let server = Server::bind(config).await?;
        let addr = server.local_addr();
        let s = server.state().snapshot();
        // Written, not printed: a closed stdout must not stop the server.
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "zoorank serve: listening on http://{addr}/ (zoo version {}, {} models, {} datasets; API at http://{addr}/openapi.json)",
            s.version,
            s.zoo.models.len(),
            s.zoo.datasets.len()
        );
        let _ = out.flush();
        drop(s);
        server.serve(shutdown_signal()).await?;
        let _ = writeln!(out, "zoorank serve: stopped");
        Ok(())
    })
}
