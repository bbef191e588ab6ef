//! Similarity, average linkage, the threshold cut, silhouette and Lloyd's k-means on the
//! shipped two-phase matrices, against scipy / scikit-learn (fixtures made by
//! `tests/reference/make_fixtures.py`; versions in the fixture's `provenance`).

mod common;

use serde_json::Value;
use zoorank_core::Modality;
use zoorank_select::cluster::{
    average_linkage, default_threshold, hierarchical, kmeans_from_centers, silhouette,
    silhouette_samples, Clustering,
};
use zoorank_select::similarity::{model_distances, DEFAULT_K};
use zoorank_select::twophase;

fn fixture() -> Value {
    let text = std::fs::read_to_string(common::reference("clustering.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn same_partition(a: &[usize], b: &[usize]) -> bool {
    Clustering::from_labels(a) == Clustering::from_labels(b)
}

fn check(modality: Modality, key: &str) {
    let fx = &fixture()[key];
    let zoo = twophase::load(&common::two_phase_dir(), modality).unwrap();
    let names: Vec<String> = fx["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(zoo.matrix.models(), names.as_slice());

    // 1 - sim against numpy.
    let d = model_distances(&zoo.matrix, DEFAULT_K).unwrap();
    let want: Vec<Vec<f64>> = fx["distance"]
        .as_array()
        .unwrap()
        .iter()
        .map(floats)
        .collect();
    for (i, row) in want.iter().enumerate() {
        for (j, w) in row.iter().enumerate() {
            assert!((d.get(i, j) - w).abs() < 1e-12, "distance ({i},{j})");
        }
    }

    // Average linkage against scipy: same merge heights and sizes, step by step.
    let merges = average_linkage(&d);
    let z: Vec<Vec<f64>> = fx["linkage"]
        .as_array()
        .unwrap()
        .iter()
        .map(floats)
        .collect();
    assert_eq!(merges.len(), z.len());
    let mut ours: Vec<(f64, usize)> = merges.iter().map(|m| (m.distance, m.size)).collect();
    let mut theirs: Vec<(f64, usize)> = z.iter().map(|r| (r[2], r[3] as usize)).collect();
    ours.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    theirs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (o, t) in ours.iter().zip(&theirs) {
        assert!((o.0 - t.0).abs() < 1e-12, "merge height {o:?} vs {t:?}");
        assert_eq!(o.1, t.1);
    }

    // The cut against fcluster(criterion="distance").
    let threshold = default_threshold(modality);
    assert_eq!(threshold, fx["threshold"].as_f64().unwrap());
    let c = hierarchical(&d, threshold).unwrap();
    let labels: Vec<usize> = serde_json::from_value(fx["fcluster_labels"].clone()).unwrap();
    assert!(same_partition(&c.labels, &labels));

    // Silhouette against scikit-learn.
    let s = silhouette(&d, &c).unwrap();
    assert!((s - fx["silhouette"].as_f64().unwrap()).abs() < 1e-12);
    let samples = silhouette_samples(&d, &c).unwrap();
    for (a, b) in samples.iter().zip(floats(&fx["silhouette_samples"])) {
        assert!((a - b).abs() < 1e-12);
    }

    // Lloyd from fixed centres against KMeans(init=..., n_init=1).
    let init: Vec<Vec<f64>> = fx["kmeans_init"]
        .as_array()
        .unwrap()
        .iter()
        .map(floats)
        .collect();
    let km = kmeans_from_centers(&zoo.matrix.imputed_rows(), init, 300).unwrap();
    let km_labels: Vec<usize> = serde_json::from_value(fx["kmeans_labels"].clone()).unwrap();
    assert!(same_partition(&km.clustering.labels, &km_labels));
    assert!((km.inertia - fx["kmeans_inertia"].as_f64().unwrap()).abs() < 1e-9);
    if let Some(want) = fx["kmeans_silhouette"].as_f64() {
        assert!((silhouette(&d, &km.clustering).unwrap() - want).abs() < 1e-12);
    }
}

#[test]
fn nlp_matrix_matches_scipy_and_sklearn() {
    check(Modality::Text, "nlp");
}

#[test]
fn cv_matrix_matches_scipy_and_sklearn() {
    check(Modality::Image, "cv");
}
