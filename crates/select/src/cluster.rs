//! Model clustering: hierarchical (average linkage, cut at a distance threshold), k-means for
//! comparison, and the silhouette coefficient of a clustering.
//!
//! **Hierarchical.** Agglomerative clustering with average linkage (UPGMA): the distance
//! between clusters `A` and `B` is `(1 / |A||B|) Σ_{a∈A, b∈B} dist(a, b)`; the two closest
//! clusters merge until the closest pair is farther apart than `threshold`. Computed with
//! kodama (the nearest-neighbour-chain algorithm of fastcluster, `O(n²)`), then cut like
//! scipy's `fcluster(Z, t=threshold, criterion="distance")`: every merge at a distance
//! `<= threshold` is applied. Average linkage is monotone, so the cut is well defined. The
//! reference code of Cui et al. merges while the closest pair is within 0.09 (NLP) or 0.05
//! (CV); those are [`default_threshold`]'s values.
//!
//! **k-means.** Lloyd's algorithm on the models' performance vectors (missing cells imputed
//! with the dataset's mean), k-means++ seeding from a seeded ChaCha RNG, best of `n_init`
//! restarts by inertia. The reference code runs k-means with `k` = the number of hierarchical
//! clusters; so does [`kmeans`] when asked by the caller.
//!
//! **Silhouette.** For sample `i` in cluster `C`, `a(i)` = mean distance to the other members
//! of `C`, `b(i)` = smallest mean distance to the members of another cluster,
//! `s(i) = (b − a) / max(a, b)`, and `s(i) = 0` when `|C| = 1`; the coefficient is the mean
//! of `s(i)` over all samples — scikit-learn's `silhouette_score(D, labels,
//! metric="precomputed")` (Rousseeuw 1987). [`silhouette_cui`] is the variant in the
//! reference code of Cui et al. (see there), which is what the paper's Table I reports.
//!
//! References: P. J. Rousseeuw, "Silhouettes: a graphical aid to the interpretation and
//! validation of cluster analysis", J. Comput. Appl. Math. 20, 1987. D. Müllner, "Modern
//! hierarchical, agglomerative clustering algorithms", arXiv:1109.2378, 2011. D. Arthur,
//! S. Vassilvitskii, "k-means++: the advantages of careful seeding", SODA 2007.

use crate::error::{ensure_param, Result, SelectError};
use crate::similarity::ModelDistances;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use zoorank_core::Modality;

/// A flat clustering of `n` items.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Clustering {
    /// Cluster id of every item, `0..n_clusters`, numbered by first appearance.
    pub labels: Vec<usize>,
}

impl Clustering {
    /// Builds a clustering from arbitrary labels, renumbering them by first appearance.
    pub fn from_labels(raw: &[usize]) -> Clustering {
        let mut map = std::collections::HashMap::new();
        let labels = raw
            .iter()
            .map(|l| {
                let next = map.len();
                *map.entry(*l).or_insert(next)
            })
            .collect();
        Clustering { labels }
    }

    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.labels.iter().max().map_or(0, |m| m + 1)
    }

    /// Members of every cluster, each sorted, clusters in label order.
    pub fn clusters(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.n_clusters()];
        for (i, &l) in self.labels.iter().enumerate() {
            out[l].push(i);
        }
        out
    }

    /// Clusters with at least two members.
    pub fn non_singleton(&self) -> Vec<Vec<usize>> {
        self.clusters()
            .into_iter()
            .filter(|c| c.len() > 1)
            .collect()
    }
}

/// The reference code's merge threshold on `1 − sim`: 0.09 for text models, 0.05 for image
/// models.
pub fn default_threshold(modality: Modality) -> f64 {
    match modality {
        Modality::Text => 0.09,
        Modality::Image => 0.05,
    }
}

/// One merge of the average-linkage dendrogram, scipy's linkage-matrix row: clusters `a < b`
/// (ids `< n` are items, `n + s` is the cluster made at step `s`), their distance, the size
/// of the merged cluster.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Merge {
    /// First merged cluster.
    pub a: usize,
    /// Second merged cluster.
    pub b: usize,
    /// Average-linkage distance at which they merge.
    pub distance: f64,
    /// Items in the merged cluster.
    pub size: usize,
}

/// The average-linkage dendrogram (`n − 1` merges, in order).
pub fn average_linkage(dist: &ModelDistances) -> Vec<Merge> {
    let n = dist.len();
    if n < 2 {
        return Vec::new();
    }
    let mut condensed = dist.condensed();
    let dendrogram = kodama::linkage(&mut condensed, n, kodama::Method::Average);
    dendrogram
        .steps()
        .iter()
        .map(|s| Merge {
            a: s.cluster1.min(s.cluster2),
            b: s.cluster1.max(s.cluster2),
            distance: s.dissimilarity,
            size: s.size,
        })
        .collect()
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Average-linkage hierarchical clustering cut at `threshold` (merges at distance
/// `<= threshold` are applied).
///
/// # Errors
/// [`SelectError::InvalidParameter`] for a negative or non-finite threshold.
pub fn hierarchical(dist: &ModelDistances, threshold: f64) -> Result<Clustering> {
    ensure_param(
        threshold.is_finite() && threshold >= 0.0,
        "threshold",
        threshold,
        "the distance threshold must be finite and >= 0",
    )?;
    let n = dist.len();
    let merges = average_linkage(dist);
    // Union-find over the 2n - 1 dendrogram nodes.
    let mut parent: Vec<usize> = (0..2 * n.max(1) - 1).collect();
    for (s, m) in merges.iter().enumerate() {
        if m.distance <= threshold {
            let node = n + s;
            let ra = find(&mut parent, m.a);
            let rb = find(&mut parent, m.b);
            parent[ra] = node;
            parent[rb] = node;
        }
    }
    let roots: Vec<usize> = (0..n).map(|i| find(&mut parent, i)).collect();
    Ok(Clustering::from_labels(&roots))
}

/// Parameters of [`kmeans`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KMeansParams {
    /// Number of clusters.
    pub k: usize,
    /// Restarts; the lowest inertia wins.
    pub n_init: usize,
    /// Lloyd iterations per restart at most.
    pub max_iter: usize,
    /// RNG seed.
    pub seed: u64,
}

impl KMeansParams {
    /// `k` clusters, 10 restarts, 300 iterations, seed 0 (scikit-learn's defaults).
    pub fn new(k: usize) -> KMeansParams {
        KMeansParams {
            k,
            n_init: 10,
            max_iter: 300,
            seed: 0,
        }
    }
}

/// A fitted k-means.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedKMeans {
    /// The clustering (labels renumbered by first appearance).
    pub clustering: Clustering,
    /// Centres, in the order of the *raw* cluster ids used during fitting.
    pub centers: Vec<Vec<f64>>,
    /// Sum of squared distances of points to their centre.
    pub inertia: f64,
}

fn sq(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Lloyd's algorithm from given initial centres (deterministic; what scikit-learn's
/// `KMeans(init=centers, n_init=1, algorithm="lloyd")` does). An emptied cluster keeps its
/// previous centre.
///
/// # Errors
/// [`SelectError::Shape`] if a centre's width differs from the points', or
/// [`SelectError::NotEnoughData`] for no points or no centres.
pub fn kmeans_from_centers(
    points: &[Vec<f64>],
    mut centers: Vec<Vec<f64>>,
    max_iter: usize,
) -> Result<FittedKMeans> {
    if points.is_empty() || centers.is_empty() {
        return Err(SelectError::NotEnoughData(
            "k-means needs points and centres".into(),
        ));
    }
    let dim = points[0].len();
    for c in centers.iter().chain(points.iter()) {
        if c.len() != dim {
            return Err(SelectError::Shape {
                what: "k-means vector width".into(),
                expected: dim,
                got: c.len(),
            });
        }
    }
    let assign = |centers: &[Vec<f64>]| -> Vec<usize> {
        points
            .iter()
            .map(|p| {
                let mut best = (0, f64::INFINITY);
                for (j, c) in centers.iter().enumerate() {
                    let d = sq(p, c);
                    if d < best.1 {
                        best = (j, d);
                    }
                }
                best.0
            })
            .collect()
    };
    let mut labels = assign(&centers);
    for _ in 0..max_iter {
        let mut sums = vec![vec![0.0; dim]; centers.len()];
        let mut counts = vec![0usize; centers.len()];
        for (p, &l) in points.iter().zip(&labels) {
            counts[l] += 1;
            for (s, x) in sums[l].iter_mut().zip(p) {
                *s += x;
            }
        }
        let mut shift = 0.0;
        for j in 0..centers.len() {
            if counts[j] > 0 {
                let new: Vec<f64> = sums[j].iter().map(|s| s / counts[j] as f64).collect();
                shift += sq(&new, &centers[j]);
                centers[j] = new;
            }
        }
        let new_labels = assign(&centers);
        let same = new_labels == labels;
        labels = new_labels;
        if same || shift == 0.0 {
            break;
        }
    }
    let inertia = points
        .iter()
        .zip(&labels)
        .map(|(p, &l)| sq(p, &centers[l]))
        .sum();
    Ok(FittedKMeans {
        clustering: Clustering::from_labels(&labels),
        centers,
        inertia,
    })
}

/// k-means++ seeded, best of `n_init` restarts of Lloyd's algorithm.
///
/// # Errors
/// [`SelectError::InvalidParameter`] when `k == 0`, `k > points.len()` or `n_init == 0`;
/// errors of [`kmeans_from_centers`].
pub fn kmeans(points: &[Vec<f64>], params: KMeansParams) -> Result<FittedKMeans> {
    ensure_param(
        params.k > 0 && params.k <= points.len(),
        "k",
        params.k,
        "k-means needs 1 <= k <= number of points",
    )?;
    ensure_param(
        params.n_init > 0,
        "n_init",
        params.n_init,
        "at least one restart is needed",
    )?;
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let mut best: Option<FittedKMeans> = None;
    for _ in 0..params.n_init {
        let mut centers = vec![points[rng.gen_range(0..points.len())].clone()];
        while centers.len() < params.k {
            let d2: Vec<f64> = points
                .iter()
                .map(|p| {
                    centers
                        .iter()
                        .map(|c| sq(p, c))
                        .fold(f64::INFINITY, f64::min)
                })
                .collect();
            let total: f64 = d2.iter().sum();
            let pick = if total > 0.0 {
                let mut r = rng.gen::<f64>() * total;
                let mut idx = d2.len() - 1;
                for (i, w) in d2.iter().enumerate() {
                    if r < *w {
                        idx = i;
                        break;
                    }
                    r -= w;
                }
                idx
            } else {
                rng.gen_range(0..points.len())
            };
            centers.push(points[pick].clone());
        }
        let fit = kmeans_from_centers(points, centers, params.max_iter)?;
        if best.as_ref().is_none_or(|b| fit.inertia < b.inertia) {
            best = Some(fit);
        }
    }
    Ok(best.expect("n_init >= 1"))
}

fn check_labels(dist: &ModelDistances, c: &Clustering) -> Result<()> {
    if c.labels.len() != dist.len() {
        return Err(SelectError::Shape {
            what: "clustering labels vs distance matrix".into(),
            expected: dist.len(),
            got: c.labels.len(),
        });
    }
    Ok(())
}

/// Per-sample silhouette values (scikit-learn's `silhouette_samples`, precomputed distance).
///
/// # Errors
/// [`SelectError::Shape`] if the clustering's size differs from the matrix's;
/// [`SelectError::NotEnoughData`] unless `2 <= n_clusters <= n − 1` (the coefficient is
/// undefined otherwise, as in scikit-learn).
pub fn silhouette_samples(dist: &ModelDistances, clustering: &Clustering) -> Result<Vec<f64>> {
    check_labels(dist, clustering)?;
    let n = dist.len();
    let k = clustering.n_clusters();
    if k < 2 || k > n.saturating_sub(1) {
        return Err(SelectError::NotEnoughData(format!(
            "silhouette needs 2 <= clusters <= n - 1; got {k} cluster(s) for {n} item(s)"
        )));
    }
    let clusters = clustering.clusters();
    Ok((0..n)
        .map(|i| {
            let own = clustering.labels[i];
            if clusters[own].len() == 1 {
                return 0.0;
            }
            let mut a = 0.0;
            let mut b = f64::INFINITY;
            for (l, members) in clusters.iter().enumerate() {
                let s: f64 = members.iter().map(|&j| dist.get(i, j)).sum();
                if l == own {
                    a = s / (members.len() - 1) as f64;
                } else {
                    b = b.min(s / members.len() as f64);
                }
            }
            let m = a.max(b);
            if m > 0.0 {
                (b - a) / m
            } else {
                0.0
            }
        })
        .collect())
}

/// The silhouette coefficient: mean of [`silhouette_samples`].
///
/// # Errors
/// As [`silhouette_samples`].
pub fn silhouette(dist: &ModelDistances, clustering: &Clustering) -> Result<f64> {
    let s = silhouette_samples(dist, clustering)?;
    Ok(s.iter().sum::<f64>() / s.len() as f64)
}

/// The silhouette as the reference code of Cui et al. computes it (the figure in the paper's
/// Table I), which differs from Rousseeuw's in two ways: only members of non-singleton
/// clusters are averaged (singletons are skipped rather than counted as 0), and `b(i)` is the
/// mean distance to **all** items outside `i`'s cluster rather than to the nearest other
/// cluster. Both make the figure larger than scikit-learn's for the same clustering.
///
/// # Errors
/// [`SelectError::Shape`] on a size mismatch; [`SelectError::NotEnoughData`] when no cluster
/// has two members or every item is in one cluster.
pub fn silhouette_cui(dist: &ModelDistances, clustering: &Clustering) -> Result<f64> {
    check_labels(dist, clustering)?;
    let n = dist.len();
    let mut sum = 0.0;
    let mut count = 0usize;
    for members in clustering.non_singleton() {
        if members.len() == n {
            break;
        }
        for &i in &members {
            let a =
                members.iter().map(|&j| dist.get(i, j)).sum::<f64>() / (members.len() - 1) as f64;
            let own = clustering.labels[i];
            let (s, c) = (0..n)
                .filter(|&j| clustering.labels[j] != own)
                .fold((0.0, 0usize), |(s, c), j| (s + dist.get(i, j), c + 1));
            let b = s / c as f64;
            let m = a.max(b);
            sum += if m > 0.0 { (b - a) / m } else { 0.0 };
            count += 1;
        }
    }
    if count == 0 {
        return Err(SelectError::NotEnoughData(
            "the reference silhouette needs a non-singleton cluster and at least two clusters"
                .into(),
        ));
    }
    Ok(sum / count as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(xs: &[f64]) -> ModelDistances {
        let n = xs.len();
        let v = (0..n * n).map(|k| (xs[k / n] - xs[k % n]).abs()).collect();
        ModelDistances::from_square(n, v).unwrap()
    }

    #[test]
    fn hierarchical_cut_separates_two_groups() {
        let d = line(&[0.0, 0.01, 0.02, 0.5, 0.51]);
        let c = hierarchical(&d, 0.05).unwrap();
        assert_eq!(c.labels, vec![0, 0, 0, 1, 1]);
        assert_eq!(hierarchical(&d, 0.0).unwrap().n_clusters(), 5);
        assert_eq!(hierarchical(&d, 10.0).unwrap().n_clusters(), 1);
        assert!(hierarchical(&d, -1.0).is_err());
    }

    #[test]
    fn silhouette_rejects_one_cluster_and_all_singletons() {
        let d = line(&[0.0, 1.0, 2.0]);
        assert!(silhouette(&d, &Clustering::from_labels(&[0, 0, 0])).is_err());
        assert!(silhouette(&d, &Clustering::from_labels(&[0, 1, 2])).is_err());
        let s = silhouette(&d, &Clustering::from_labels(&[0, 0, 1])).unwrap();
        // a(0)=1, b(0)=2 -> 0.5; a(1)=1, b(1)=1 -> 0; singleton -> 0.
        assert!((s - 0.5 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn kmeans_validates_parameters_and_is_seeded() {
        let pts: Vec<Vec<f64>> = [0.0, 0.1, 0.2, 5.0, 5.1].iter().map(|&x| vec![x]).collect();
        assert!(kmeans(&pts, KMeansParams::new(0)).is_err());
        assert!(kmeans(&pts, KMeansParams::new(6)).is_err());
        let a = kmeans(&pts, KMeansParams::new(2)).unwrap();
        let b = kmeans(&pts, KMeansParams::new(2)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.clustering.labels, vec![0, 0, 0, 1, 1]);
    }
}
