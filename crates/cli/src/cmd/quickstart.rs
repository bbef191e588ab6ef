//! `zoorank quickstart`: the README's main job on the shipped real data.

use crate::cmd::import::{open_store, print_report};
use crate::output;
use crate::Global;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use zoorank_store::{import, ImportOptions};

/// Arguments of `quickstart`.
#[derive(Debug, Args)]
pub struct QuickstartArgs {
    /// Folder of the shipped zoo data (it holds transfergraph-image/).
    #[arg(long, env = "ZOORANK_DATA", default_value = "../shared/data")]
    pub data: PathBuf,
}

/// Imports the TransferGraph image zoo (skipping and listing its two broken score lines) and
/// prints what the store then holds.
pub fn run(a: QuickstartArgs, global: &Global) -> anyhow::Result<()> {
    let dir = a.data.join("transfergraph-image");
    anyhow::ensure!(
        dir.is_dir(),
        "{} not found: pass --data DIR (or set ZOORANK_DATA) to the folder holding transfergraph-image/",
        dir.display()
    );
    let mut store = open_store(&global.db)?;
    let report = import::import_transfergraph(
        &mut store,
        &dir,
        ImportOptions {
            skip_bad_rows: true,
            dry_run: false,
        },
    )
    .with_context(|| format!("importing {}", dir.display()))?;
    print_report(&dir.display().to_string(), &report, false)?;
    output::println("")?;
    crate::cmd::zoo::run(crate::cmd::zoo::ZooCommand::Stats { json: false }, global)
}
