//! `zoorank recall`: two-phase coarse recall for a target from the store's zoo.

use crate::cmd::import::open_existing_store;
use crate::global::Global;
use crate::output;
use clap::{Args, ValueEnum};
use serde::Serialize;
use zoorank_core::{Modality, Zoo};
use zoorank_select::cluster::{default_threshold, hierarchical};
use zoorank_select::recall::{recall, ProxyScale, RecallOutcome, RecallParams, RecallVariant};
use zoorank_select::similarity::model_distances;
use zoorank_select::PerformanceMatrix;

/// Recall score variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Variant {
    /// The paper's: similarity-weighted mean of the representatives' proxies.
    Paper,
    /// The reference code's: each non-singleton member's own proxy.
    MemberProxy,
}

/// Proxy rescaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scale {
    /// exp(p) (for log-likelihoods such as LEEP).
    Exp,
    /// (p − min) / (max − min) over the computed proxies.
    MinMax,
    /// As stored (must be positive, higher-is-better).
    Identity,
}

/// Options shared by `recall` and `select`.
#[derive(Debug, Args, Clone)]
pub struct RecallOptions {
    /// Stored proxy score method (e.g. leep, logme, reg-h-score); read from the store's scores
    /// on the target. Models without one are skipped as representatives (the next best member
    /// of the cluster is tried).
    #[arg(long, default_value = "leep")]
    pub proxy: String,
    /// How many models to recall.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Number of largest accuracy gaps averaged in the model distance.
    #[arg(long, default_value_t = 5)]
    pub k: usize,
    /// Merge threshold on 1 − similarity (default 0.09 text, 0.05 image).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Recall score variant.
    #[arg(long, value_enum, default_value = "paper")]
    pub variant: Variant,
    /// Proxy rescaling (default: exp for leep/nleep, min-max otherwise).
    #[arg(long, value_enum)]
    pub scale: Option<Scale>,
}

/// The recall result as printed.
#[derive(Debug, Serialize)]
pub struct RecallReport {
    /// Target.
    pub target: String,
    /// Proxy method.
    pub proxy: String,
    /// Scale applied.
    pub scale: ProxyScale,
    /// Models × benchmark datasets of the leave-one-target-out matrix.
    pub shape: (usize, usize),
    /// Threshold used.
    pub threshold: f64,
    /// The recall.
    #[serde(flatten)]
    pub outcome: RecallOutcome,
}

/// Runs recall for `target` on `zoo` (its records on the target are left out).
pub fn recall_in_zoo(zoo: &Zoo, target: &str, o: &RecallOptions) -> anyhow::Result<RecallReport> {
    let t = zoo.dataset_index(target).ok_or_else(|| {
        anyhow::anyhow!("unknown target dataset '{target}' (see `zoorank zoo datasets`)")
    })?;
    let modality = zoo.datasets[t].modality;
    let matrix = PerformanceMatrix::from_zoo(zoo, Some(t), modality);
    anyhow::ensure!(
        matrix.n_models() >= 2,
        "no benchmark records to cluster for target '{target}' (import a zoo first)"
    );
    let threshold = o
        .threshold
        .unwrap_or_else(|| default_threshold(modality.unwrap_or(Modality::Image)));
    let dist = model_distances(&matrix, o.k)?;
    let clustering = hierarchical(&dist, threshold)?;
    let scale = match o.scale {
        Some(Scale::Exp) => ProxyScale::Exp,
        Some(Scale::MinMax) => ProxyScale::MinMax,
        Some(Scale::Identity) => ProxyScale::Identity,
        None => ProxyScale::for_method(&o.proxy),
    };
    let params = RecallParams {
        top: o.top,
        variant: match o.variant {
            Variant::Paper => RecallVariant::Paper,
            Variant::MemberProxy => RecallVariant::MemberProxy,
        },
        scale,
    };
    let outcome = recall(&matrix, &dist, &clustering, params, |m| {
        Ok(zoo
            .model_index(&matrix.models()[m])
            .and_then(|i| zoo.score(i, t, &o.proxy)))
    })
    .map_err(|e| anyhow::anyhow!("recall for '{target}' with proxy '{}': {e}", o.proxy))?;
    Ok(RecallReport {
        target: target.into(),
        proxy: o.proxy.clone(),
        scale,
        shape: (matrix.n_models(), matrix.n_datasets()),
        threshold,
        outcome,
    })
}

/// `zoorank recall` arguments.
#[derive(Debug, Args)]
pub struct RecallArgs {
    /// Target dataset.
    #[arg(long)]
    pub target: String,
    #[command(flatten)]
    pub options: RecallOptions,
    /// JSON output (the whole ranking).
    #[arg(long)]
    pub json: bool,
}

/// Runs `zoorank recall`.
pub fn run(args: RecallArgs, global: &Global) -> anyhow::Result<()> {
    let zoo = open_existing_store(&global.db)?.load_zoo()?;
    let r = recall_in_zoo(&zoo, &args.target, &args.options)?;
    if args.json {
        return output::print_json(&r);
    }
    output::println(format!(
        "recall for {}: {} models x {} benchmark datasets, proxy {} ({}), {} proxy computations ({} saved)",
        r.target,
        r.shape.0,
        r.shape.1,
        r.proxy,
        r.scale.as_str(),
        r.outcome.proxy_computations,
        r.outcome.proxy_computations_saved
    ))?;
    let header = [
        "rank",
        "model",
        "recall score",
        "mean bench. acc",
        "cluster",
        "representative",
    ];
    output::print_table(&header, r.outcome.recalled(), |m| {
        vec![
            m.rank.to_string(),
            m.name.clone(),
            format!("{:.4}", m.score),
            format!("{:.4}", m.mean_accuracy),
            m.cluster.to_string(),
            if m.representative {
                "yes".into()
            } else {
                String::new()
            },
        ]
    })
}
