//! `zoorank cluster`: cluster the zoo's models by their benchmark performance (two-phase
//! recall's first step) and report clusters, representatives and silhouettes.

use crate::cmd::import::{open_existing_store, parse_modality};
use crate::global::Global;
use crate::output;
use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::path::PathBuf;
use zoorank_core::Modality;
use zoorank_select::cluster::{
    default_threshold, hierarchical, kmeans, silhouette, silhouette_cui, Clustering, KMeansParams,
};
use zoorank_select::similarity::model_distances;
use zoorank_select::{twophase, PerformanceMatrix};

/// Where the performance matrix comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Source {
    /// The two-phase benchmark TSVs (`--dir`), read directly.
    TwoPhase,
    /// The store's fine-tuning records (maximum accuracy per model and dataset).
    Records,
}

/// `zoorank cluster` arguments.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Matrix source.
    #[arg(long, value_enum, default_value = "records")]
    pub from: Source,
    /// Only this modality (image or text); with --from two-phase, which file pair (nlp or cv;
    /// default both).
    #[arg(long, value_parser = parse_modality)]
    pub modality: Option<Modality>,
    /// Number of largest accuracy gaps averaged in the model distance.
    #[arg(long, default_value_t = 5)]
    pub k: usize,
    /// Merge threshold on 1 − similarity (default 0.09 for text, 0.05 for image, as the
    /// reference code).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Seed of k-means.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Directory of the two-phase files (default: $ZOORANK_DATA/two-phase, else
    /// ../shared/data/two-phase).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// One cluster in the output.
#[derive(Debug, Serialize)]
pub struct ClusterOut {
    /// Cluster id.
    pub id: usize,
    /// Members, best mean benchmark accuracy first.
    pub members: Vec<String>,
    /// The member with the best mean benchmark accuracy (non-singleton clusters only).
    pub representative: Option<String>,
    /// Mean benchmark accuracy of the representative (or the single member).
    pub best_mean_accuracy: f64,
}

/// The result for one matrix.
#[derive(Debug, Serialize)]
pub struct ClusterReport {
    /// Which matrix.
    pub matrix: String,
    /// Models × benchmark datasets.
    pub shape: (usize, usize),
    /// Threshold used.
    pub threshold: f64,
    /// k of the distance.
    pub k: usize,
    /// Hierarchical clusters (largest first).
    pub clusters: Vec<ClusterOut>,
    /// Non-singleton clusters.
    pub non_singleton_clusters: usize,
    /// Silhouette (scikit-learn definition) of the hierarchical clustering.
    pub hierarchical_silhouette: Option<f64>,
    /// Silhouette as Cui et al.'s code computes it (paper Table I).
    pub hierarchical_silhouette_cui: Option<f64>,
    /// Silhouette of k-means with the same number of clusters.
    pub kmeans_silhouette: Option<f64>,
    /// Cui et al.'s silhouette of that k-means.
    pub kmeans_silhouette_cui: Option<f64>,
}

/// The two-phase data directory.
pub fn two_phase_dir(dir: &Option<PathBuf>) -> PathBuf {
    dir.clone().unwrap_or_else(|| {
        std::env::var_os("ZOORANK_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("../shared/data"))
            .join("two-phase")
    })
}

/// Clusters one matrix and builds the report.
pub fn report(
    name: String,
    matrix: &PerformanceMatrix,
    modality: Option<Modality>,
    k: usize,
    threshold: Option<f64>,
    seed: u64,
) -> anyhow::Result<ClusterReport> {
    anyhow::ensure!(
        matrix.n_models() >= 2,
        "{name}: at least two models with benchmark records are needed, found {}",
        matrix.n_models()
    );
    let threshold =
        threshold.unwrap_or_else(|| default_threshold(modality.unwrap_or(Modality::Image)));
    let dist = model_distances(matrix, k)?;
    let h = hierarchical(&dist, threshold)?;
    let mean = |m: usize| matrix.mean_accuracy(m).unwrap_or(f64::NAN);
    let mut clusters: Vec<ClusterOut> = h
        .clusters()
        .into_iter()
        .enumerate()
        .map(|(id, mut members)| {
            members.sort_by(|&a, &b| mean(b).total_cmp(&mean(a)).then(a.cmp(&b)));
            ClusterOut {
                id,
                representative: (members.len() > 1).then(|| matrix.models()[members[0]].clone()),
                best_mean_accuracy: mean(members[0]),
                members: members
                    .iter()
                    .map(|&m| matrix.models()[m].clone())
                    .collect(),
            }
        })
        .collect();
    clusters.sort_by(|a, b| b.members.len().cmp(&a.members.len()).then(a.id.cmp(&b.id)));
    let km: Option<Clustering> = kmeans(
        &matrix.imputed_rows(),
        KMeansParams {
            seed,
            ..KMeansParams::new(h.n_clusters())
        },
    )
    .ok()
    .map(|f| f.clustering);
    Ok(ClusterReport {
        matrix: name,
        shape: (matrix.n_models(), matrix.n_datasets()),
        threshold,
        k,
        non_singleton_clusters: h.non_singleton().len(),
        hierarchical_silhouette: silhouette(&dist, &h).ok(),
        hierarchical_silhouette_cui: silhouette_cui(&dist, &h).ok(),
        kmeans_silhouette: km.as_ref().and_then(|c| silhouette(&dist, c).ok()),
        kmeans_silhouette_cui: km.as_ref().and_then(|c| silhouette_cui(&dist, c).ok()),
        clusters,
    })
}

/// Runs `zoorank cluster`.
pub fn run(args: ClusterArgs, global: &Global) -> anyhow::Result<()> {
    let mut reports = Vec::new();
    match args.from {
        Source::TwoPhase => {
            let dir = two_phase_dir(&args.dir);
            let modalities = match args.modality {
                Some(m) => vec![m],
                None => vec![Modality::Text, Modality::Image],
            };
            for m in modalities {
                let zoo = twophase::load(&dir, m)
                    .with_context(|| format!("reading the two-phase files in {}", dir.display()))?;
                let name = format!(
                    "two-phase {}",
                    if m == Modality::Text { "nlp" } else { "cv" }
                );
                reports.push(report(
                    name,
                    &zoo.matrix,
                    Some(m),
                    args.k,
                    args.threshold,
                    args.seed,
                )?);
            }
        }
        Source::Records => {
            // Reading only: a missing store is an error, never created here.
            let zoo = open_existing_store(&global.db)?.load_zoo()?;
            let matrix = PerformanceMatrix::from_zoo(&zoo, None, args.modality);
            let name = format!(
                "store records{}",
                args.modality
                    .map_or(String::new(), |m| format!(" ({})", m.as_str()))
            );
            reports.push(report(
                name,
                &matrix,
                args.modality,
                args.k,
                args.threshold,
                args.seed,
            )?);
        }
    }
    if args.json {
        return output::print_json(&reports);
    }
    let f = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.3}"));
    for r in &reports {
        output::println(format!(
            "{}: {} models x {} datasets, threshold {}, k {}: {} clusters ({} non-singleton)",
            r.matrix,
            r.shape.0,
            r.shape.1,
            r.threshold,
            r.k,
            r.clusters.len(),
            r.non_singleton_clusters
        ))?;
        output::println(output::table(
            &["clustering", "silhouette", "silhouette (Cui et al. code)"],
            vec![
                vec![
                    "hierarchical".into(),
                    f(r.hierarchical_silhouette),
                    f(r.hierarchical_silhouette_cui),
                ],
                vec![
                    "k-means".into(),
                    f(r.kmeans_silhouette),
                    f(r.kmeans_silhouette_cui),
                ],
            ],
        ))?;
        let merged = r.clusters.iter().filter(|c| c.members.len() > 1);
        let header = ["cluster", "size", "representative", "mean acc"];
        output::print_table(&header, merged, |c| {
            vec![
                c.id.to_string(),
                c.members.len().to_string(),
                c.representative.clone().unwrap_or_default(),
                format!("{:.4}", c.best_mean_accuracy),
            ]
        })?;
    }
    Ok(())
}
