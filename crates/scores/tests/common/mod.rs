//! Test data shared by the integration tests: the fixture generator of
//! `reference/make_fixtures.py` (SplitMix64 + Box–Muller), re-implemented so the matrices need
//! not be committed.
#![allow(dead_code)]

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Display;
use zoorank_scores::{Matrix, ScoreInput};

/// Generator parameters of one fixture case.
#[derive(Debug, Clone, Deserialize)]
pub struct CaseParams {
    pub seed: u64,
    pub n: usize,
    pub d: usize,
    pub c: usize,
    pub cs: usize,
    pub sep: f64,
    #[serde(default)]
    pub collinear: usize,
    #[serde(default)]
    pub counts: Option<Vec<usize>>,
}

#[derive(Debug, Deserialize)]
pub struct Case {
    pub params: Option<CaseParams>,
    pub expected: BTreeMap<String, f64>,
    /// Components scikit-learn's `PCA(n_components=0.8)` keeps (= the numpy SVD rule).
    #[serde(default)]
    pub pca_dims_80: Option<usize>,
    /// LogME by the published fixed point (11 steps, tol 1e-3, 1e-5 guards).
    #[serde(default)]
    pub logme_published: Option<f64>,
}

/// LogME on one case of `LOGME_CASES` (make_fixtures.py).
#[derive(Debug, Deserialize)]
pub struct LogMeCase {
    pub params: CaseParams,
    /// The maximum of the evidence, by scipy's Nelder–Mead over (log α, log β) and the
    /// α → ∞ limit.
    pub max: f64,
    /// The published fixed point (11 steps, tol 1e-3, 1e-5 guards).
    pub published: f64,
    /// The same fixed point run to convergence (100,000 steps, tol 1e-12).
    pub fixed_point_converged: f64,
}

/// The NLEEP case whose mixture is determined by the data (see make_fixtures.py).
#[derive(Debug, Deserialize)]
pub struct NLeepSeparated {
    pub pca_dims_80: usize,
    /// LEEP of the one-hot true cluster assignment (numpy).
    pub leep_on_clusters: f64,
    /// scikit-learn's PCA + GaussianMixture NLEEP on the same data.
    pub nleep_sklearn: f64,
}

#[derive(Debug, Deserialize)]
pub struct Fixtures {
    pub cases: BTreeMap<String, Case>,
    pub nleep_separated: NLeepSeparated,
    #[serde(default)]
    pub logme_cases: BTreeMap<String, LogMeCase>,
}

pub fn fixtures() -> Fixtures {
    let text = include_str!("../reference/fixtures.json");
    serde_json::from_str(text).expect("fixtures.json parses")
}

pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// In (0, 1].
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / 9007199254740992.0)
    }
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Features `(n, d)` row-major, labels, source probabilities `(n, cs)` row-major.
pub struct Data {
    pub x: Vec<f64>,
    pub y: Vec<i64>,
    pub p: Vec<f64>,
    pub n: usize,
    pub d: usize,
    pub cs: usize,
}

impl Data {
    /// The features with the data's labels.
    pub fn features(&self) -> ScoreInput<'_> {
        ScoreInput::features(Matrix::new(&self.x, self.n, self.d).unwrap(), &self.y)
    }

    /// The features and the source probabilities with the labels `y`: the data's own, or
    /// others for the same rows.
    pub fn input<'a>(&'a self, y: &'a [i64]) -> ScoreInput<'a> {
        ScoreInput::features(Matrix::new(&self.x, self.n, self.d).unwrap(), y)
            .with_source_probs(Matrix::new(&self.p, self.n, self.cs).unwrap())
    }
}

pub fn generate(c: &CaseParams) -> Data {
    let mut rng = SplitMix64::new(c.seed);
    let y: Vec<i64> = match &c.counts {
        Some(counts) => counts
            .iter()
            .enumerate()
            .flat_map(|(k, &m)| std::iter::repeat_n(k as i64, m))
            .collect(),
        None => (0..c.n).map(|i| (i % c.c) as i64).collect(),
    };
    let means: Vec<Vec<f64>> = (0..c.c)
        .map(|_| (0..c.d).map(|_| rng.normal() * c.sep).collect())
        .collect();
    let mut x = vec![0.0; c.n * c.d];
    for i in 0..c.n {
        for j in 0..c.d {
            x[i * c.d + j] = means[y[i] as usize][j] + rng.normal();
        }
    }
    for t in 0..c.collinear {
        for i in 0..c.n {
            x[i * c.d + c.d - 1 - t] = x[i * c.d + t] + x[i * c.d + t + 1];
        }
    }
    let proj: Vec<Vec<f64>> = (0..c.c)
        .map(|_| (0..c.cs).map(|_| rng.normal() * 2.0).collect())
        .collect();
    let mut p = vec![0.0; c.n * c.cs];
    for i in 0..c.n {
        let logits: Vec<f64> = (0..c.cs)
            .map(|z| proj[y[i] as usize][z] + rng.normal())
            .collect();
        let m = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = logits.iter().map(|v| (v - m).exp()).collect();
        let s: f64 = e.iter().sum();
        for z in 0..c.cs {
            p[i * c.cs + z] = e[z] / s;
        }
    }
    Data {
        x,
        y,
        p,
        n: c.n,
        d: c.d,
        cs: c.cs,
    }
}

/// Relative closeness with a tiny absolute floor.
pub fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(1e-12)
}

/// Asserts [`close`]; a failure names `what` and both values.
#[track_caller]
pub fn assert_close(got: f64, want: f64, rel: f64, what: impl Display) {
    assert!(
        close(got, want, rel),
        "{what}: got {got}, want {want} (relative tolerance {rel})"
    );
}
