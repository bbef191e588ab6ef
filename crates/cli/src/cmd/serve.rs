//! `zoorank serve`: the HTTP service and web page (crate `zoorank-serve`).

use crate::global::Global;
use anyhow::Context;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// `serve` arguments.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Reads are open to whoever reaches it: bind to a public
    /// interface only behind a network you trust.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// File holding the bearer token writes need (`Authorization: Bearer <token>`); at least
    /// 16 printable characters. Without it the server takes no writes.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Rankings computed at once (each on its own engine and thread).
    #[arg(long, default_value_t = 2)]
    pub rankers: usize,
}

/// Runs the server until SIGTERM or Ctrl-C.
pub fn run(a: ServeArgs, global: &Global) -> anyhow::Result<()> {
    let mut config = zoorank_serve::Config::new(&global.db);
    config.bind = a.bind;
    config.rankers = a.rankers.max(1);
    if let Some(path) = &a.token_file {
        config.token = Some(zoorank_serve::read_token_file(path)?);
    }
    zoorank_serve::run(config)
        .with_context(|| format!("serving the zoo store {}", global.db.display()))
}
