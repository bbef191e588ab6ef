//! `zoorank quickstart`: the README's main job on the shipped real data.

use crate::cmd::import::{open_store, print_report};
use crate::global::Global;
use crate::output;
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
    /// The dataset to recommend models for at the end.
    #[arg(long, default_value = "dtd")]
    pub target: String,
}

/// Imports the TransferGraph image zoo (skipping and listing its two broken score lines),
/// prints what the store then holds, and ranks the zoo's models for one of its datasets as if
/// that dataset were new.
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
    crate::cmd::zoo::run(crate::cmd::zoo::ZooCommand::Stats { json: false }, global)?;
    output::println("")?;
    crate::cmd::recommend::run(
        crate::cmd::recommend::RecommendArgs {
            ranking: crate::cmd::observed::RankingArgs {
                target: a.target,
                method: zoorank_engine::DEFAULT_METHOD.parse()?,
                seed: 0,
                runs: crate::cmd::observed::ObservedArgs {
                    observed: None,
                    model_col: "model".into(),
                    dataset_col: "dataset".into(),
                    accuracy_col: "accuracy".into(),
                    kind_col: "kind".into(),
                    observed_kind: zoorank_engine::RunKind::Finetune,
                },
            },
            top: 10,
            explain: true,
            coverage: zoorank_engine::DEFAULT_COVERAGE,
            no_intervals: false,
            json: false,
        },
        global,
    )?;
    output::println(
        "\nnext: `zoorank eval` measures every method leave-one-dataset-out on this zoo; \
         `zoorank --help` lists all commands.",
    )
}
