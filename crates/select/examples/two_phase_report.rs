//! Clustering quality and MultiRC recall on the shipped two-phase matrices.
//!
//! `cargo run --release -p zoorank-select --example two_phase_report` (data from
//! `$ZOORANK_DATA`, default `../shared/data`).

use std::path::PathBuf;
use zoorank_core::Modality;
use zoorank_select::cluster::{
    default_threshold, hierarchical, kmeans, silhouette, silhouette_cui, KMeansParams,
};
use zoorank_select::recall::{recall, ProxyScale, RecallParams, RecallVariant};
use zoorank_select::similarity::{model_distances, DEFAULT_K};
use zoorank_select::twophase;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = std::env::var_os("ZOORANK_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data"));
    let dir = data.join("two-phase");
    println!("| matrix | variant | clusters (non-singleton) | hier. silhouette (sklearn) | hier. silhouette (Cui code) | k-means silhouette (sklearn) | k-means silhouette (Cui code) |");
    println!("|---|---|---|---|---|---|---|");
    for modality in [Modality::Text, Modality::Image] {
        let zoo = twophase::load(&dir, modality)?;
        for (variant, matrix) in [
            ("all cells", zoo.matrix.clone()),
            ("positive cells only", zoo.matrix.positive_only()),
        ] {
            let d = model_distances(&matrix, DEFAULT_K)?;
            let h = hierarchical(&d, default_threshold(modality))?;
            let k = h.n_clusters();
            let km = kmeans(&matrix.imputed_rows(), KMeansParams::new(k))?;
            println!(
                "| {} {}x{} | {} | {} ({}) | {:.3} | {:.3} | {:.3} | {:.3} |",
                if modality == Modality::Text {
                    "NLP"
                } else {
                    "CV"
                },
                matrix.n_models(),
                matrix.n_datasets(),
                variant,
                k,
                h.non_singleton().len(),
                silhouette(&d, &h)?,
                silhouette_cui(&d, &h)?,
                silhouette(&d, &km.clustering)?,
                silhouette_cui(&d, &km.clustering)?,
            );
        }
    }

    let zoo = twophase::load(&dir, Modality::Text)?;
    let d = model_distances(&zoo.matrix, DEFAULT_K)?;
    let h = hierarchical(&d, default_threshold(Modality::Text))?;
    let leep: std::collections::HashMap<_, _> = zoo.leep.iter().cloned().collect();
    for variant in [RecallVariant::Paper, RecallVariant::MemberProxy] {
        let out = recall(
            &zoo.matrix,
            &d,
            &h,
            RecallParams {
                top: 10,
                variant,
                scale: ProxyScale::Exp,
            },
            |m| Ok(leep.get(&zoo.matrix.models()[m]).copied()),
        )?;
        println!(
            "\nMultiRC recall ({variant:?}): albert-base-v2 rank {:?}; proxy computations {} (saved {} of {})",
            out.rank_of("albert-base-v2"),
            out.proxy_computations,
            out.proxy_computations_saved,
            zoo.matrix.n_models()
        );
        for r in out.ranking.iter().take(12) {
            println!(
                "{:>3} {:<60} score {:.4} mean acc {:.4} cluster {} rep {} leep {:?}",
                r.rank, r.name, r.score, r.mean_accuracy, r.cluster, r.representative, r.proxy
            );
        }
    }
    Ok(())
}
