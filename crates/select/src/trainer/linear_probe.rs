//! A built-in trainer: a linear probe (multinomial logistic regression) on extracted features.
//!
//! For a model `m` and a dataset with `n` samples, features `X ∈ R^{n×d}` (the model's
//! penultimate features, extracted once) and labels `y ∈ {0..C−1}^n`, the probe is
//! `p(c | x) = softmax(Wᵀx + b)_c`, trained by mini-batch SGD on the mean cross-entropy plus
//! `λ/2 ‖W‖²`; one epoch is one pass over the shuffled training split. The split
//! (train/validation/test, fractions [`LinearProbeParams`]) and the shuffles come from a ChaCha
//! RNG seeded with the seed and the run's names, so runs are reproducible. Features are
//! standardised with the training split's mean and standard deviation. Softmax uses the
//! log-sum-exp shift, so large logits do not overflow.
//!
//! # Files
//! `DIR/<dataset>/labels.npy` (1-D, any integer dtype or integral floats) and
//! `DIR/<dataset>/<model>.npy` (2-D `(n, d)`, `f32` or `f64`), where `<model>` is the model
//! name with `/` written `--` (the two-phase convention).
//!
//! Complexity per epoch: `O(n · d · C)`.

use super::base::{EpochRecord, Trainer};
use crate::error::{ensure_param, Result, SelectError};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Hyper-parameters of the linear probe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearProbeParams {
    /// SGD step size.
    pub learning_rate: f64,
    /// Mini-batch size.
    pub batch_size: usize,
    /// L2 penalty `λ` on the weights.
    pub weight_decay: f64,
    /// Fraction of samples for training.
    pub train_fraction: f64,
    /// Fraction of samples for validation (the rest is test).
    pub val_fraction: f64,
    /// Seed of the split and the shuffles.
    pub seed: u64,
}

impl Default for LinearProbeParams {
    fn default() -> Self {
        LinearProbeParams {
            learning_rate: 0.01,
            batch_size: 32,
            weight_decay: 1e-4,
            train_fraction: 0.6,
            val_fraction: 0.2,
            seed: 0,
        }
    }
}

impl LinearProbeParams {
    fn validate(&self) -> Result<()> {
        ensure_param(
            self.learning_rate > 0.0 && self.learning_rate.is_finite(),
            "learning_rate",
            self.learning_rate,
            "must be finite and > 0",
        )?;
        ensure_param(
            self.batch_size > 0,
            "batch_size",
            self.batch_size,
            "must be at least 1",
        )?;
        ensure_param(
            self.weight_decay >= 0.0 && self.weight_decay.is_finite(),
            "weight_decay",
            self.weight_decay,
            "must be finite and >= 0",
        )?;
        let (t, v) = (self.train_fraction, self.val_fraction);
        ensure_param(
            t > 0.0 && v > 0.0 && t + v < 1.0,
            "train_fraction",
            t,
            "train and validation fractions must be > 0 and sum to < 1",
        )
    }
}

/// A probe being trained.
#[derive(Debug)]
struct Run {
    x: Vec<f64>,
    d: usize,
    y: Vec<usize>,
    classes: usize,
    train: Vec<usize>,
    val: Vec<usize>,
    test: Vec<usize>,
    w: Vec<f64>,
    b: Vec<f64>,
    rng: ChaCha8Rng,
    epochs: usize,
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| SelectError::io(path, e))
}

fn bad_npy(path: &Path, message: String) -> SelectError {
    SelectError::Parse {
        what: path.display().to_string(),
        line: 0,
        message,
    }
}

/// Reads a 2-D `f32`/`f64` array as `(rows, cols, row-major values)`.
///
/// # Errors
/// [`SelectError::Io`] / [`SelectError::Parse`] for unreadable files, wrong rank or dtype,
/// [`SelectError::NonFinite`] for NaN or infinite cells.
pub fn read_matrix_npy(path: &Path) -> Result<(usize, usize, Vec<f64>)> {
    let bytes = read_bytes(path)?;
    let open =
        || zoorank_core::npy::open_checked(&bytes[..]).map_err(|e| bad_npy(path, e.to_string()));
    let npy = open()?;
    let shape = npy.shape().to_vec();
    if shape.len() != 2 {
        return Err(bad_npy(
            path,
            format!("expected a 2-D array, got shape {shape:?}"),
        ));
    }
    if npy.order() != npyz::Order::C {
        return Err(bad_npy(
            path,
            "Fortran-order arrays are not supported".into(),
        ));
    }
    let values: Vec<f64> = match npy.into_vec::<f64>() {
        Ok(v) => v,
        Err(_) => open()?
            .into_vec::<f32>()
            .map_err(|e| bad_npy(path, format!("features must be f32 or f64: {e}")))?
            .into_iter()
            .map(f64::from)
            .collect(),
    };
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(SelectError::NonFinite {
            what: path.display().to_string(),
            location: format!(
                "row {}, column {}",
                i / shape[1] as usize,
                i % shape[1] as usize
            ),
        });
    }
    Ok((shape[0] as usize, shape[1] as usize, values))
}

/// Reads 1-D class labels (any integer dtype, or floats holding non-negative integers).
///
/// # Errors
/// As [`read_matrix_npy`]; negative or fractional labels are [`SelectError::Parse`].
pub fn read_labels_npy(path: &Path) -> Result<Vec<usize>> {
    let bytes = read_bytes(path)?;
    let open =
        || zoorank_core::npy::open_checked(&bytes[..]).map_err(|e| bad_npy(path, e.to_string()));
    let npy = open()?;
    if npy.shape().len() != 1 {
        return Err(bad_npy(
            path,
            format!("expected 1-D labels, got shape {:?}", npy.shape()),
        ));
    }
    let as_f64: Vec<f64> = if let Ok(v) = open()?.into_vec::<i64>() {
        v.into_iter().map(|x| x as f64).collect()
    } else if let Ok(v) = open()?.into_vec::<i32>() {
        v.into_iter().map(f64::from).collect()
    } else if let Ok(v) = open()?.into_vec::<u8>() {
        v.into_iter().map(f64::from).collect()
    } else if let Ok(v) = open()?.into_vec::<f64>() {
        v
    } else {
        return Err(bad_npy(
            path,
            "labels must be int64, int32, uint8 or float64".into(),
        ));
    };
    as_f64
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            if v >= 0.0 && v.fract() == 0.0 && v.is_finite() {
                Ok(v as usize)
            } else {
                Err(bad_npy(
                    path,
                    format!("label {i} = {v} is not a class index"),
                ))
            }
        })
        .collect()
}

fn run_seed(seed: u64, model: &str, dataset: &str) -> u64 {
    // FNV-1a over the names: a stable per-run seed (not std's randomised hasher).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in model.bytes().chain([0u8]).chain(dataset.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Run {
    fn new(
        x: Vec<f64>,
        n: usize,
        d: usize,
        y: Vec<usize>,
        p: &LinearProbeParams,
        seed: u64,
    ) -> Result<Run> {
        let classes = y.iter().max().map_or(0, |m| m + 1);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut idx: Vec<usize> = (0..n).collect();
        idx.shuffle(&mut rng);
        let n_train = ((n as f64) * p.train_fraction).round() as usize;
        let n_val = ((n as f64) * p.val_fraction).round() as usize;
        if n_train == 0 || n_val == 0 || n_train + n_val >= n || classes < 2 {
            return Err(SelectError::NotEnoughData(format!(
                "linear probe needs non-empty train/val/test splits and >= 2 classes ({n} samples, {classes} classes)"
            )));
        }
        let train = idx[..n_train].to_vec();
        let val = idx[n_train..n_train + n_val].to_vec();
        let test = idx[n_train + n_val..].to_vec();
        // Standardise with training statistics.
        let mut x = x;
        for j in 0..d {
            let mean = train.iter().map(|&i| x[i * d + j]).sum::<f64>() / train.len() as f64;
            let var = train
                .iter()
                .map(|&i| (x[i * d + j] - mean).powi(2))
                .sum::<f64>()
                / train.len() as f64;
            let sd = if var > 1e-24 { var.sqrt() } else { 1.0 };
            for i in 0..n {
                x[i * d + j] = (x[i * d + j] - mean) / sd;
            }
        }
        Ok(Run {
            x,
            d,
            y,
            classes,
            train,
            val,
            test,
            w: vec![0.0; d * classes],
            b: vec![0.0; classes],
            rng,
            epochs: 0,
        })
    }

    fn probs(&self, i: usize, out: &mut [f64]) {
        let xi = &self.x[i * self.d..(i + 1) * self.d];
        for (c, o) in out.iter_mut().enumerate() {
            *o = self.b[c];
        }
        for (j, &v) in xi.iter().enumerate() {
            if v != 0.0 {
                let row = &self.w[j * self.classes..(j + 1) * self.classes];
                for (o, w) in out.iter_mut().zip(row) {
                    *o += v * w;
                }
            }
        }
        let max = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for o in out.iter_mut() {
            *o = (*o - max).exp();
            sum += *o;
        }
        for o in out.iter_mut() {
            *o /= sum;
        }
    }

    fn epoch(&mut self, p: &LinearProbeParams) {
        let mut order = self.train.clone();
        order.shuffle(&mut self.rng);
        let c = self.classes;
        let mut gw = vec![0.0; self.d * c];
        let mut gb = vec![0.0; c];
        let mut pr = vec![0.0; c];
        for batch in order.chunks(p.batch_size) {
            gw.iter_mut().for_each(|g| *g = 0.0);
            gb.iter_mut().for_each(|g| *g = 0.0);
            for &i in batch {
                self.probs(i, &mut pr);
                pr[self.y[i]] -= 1.0;
                let xi = &self.x[i * self.d..(i + 1) * self.d];
                for (j, &v) in xi.iter().enumerate() {
                    let g = &mut gw[j * c..(j + 1) * c];
                    for (gg, e) in g.iter_mut().zip(&pr) {
                        *gg += v * e;
                    }
                }
                for (gg, e) in gb.iter_mut().zip(&pr) {
                    *gg += e;
                }
            }
            let scale = p.learning_rate / batch.len() as f64;
            for (w, g) in self.w.iter_mut().zip(&gw) {
                *w -= scale * g + p.learning_rate * p.weight_decay * *w;
            }
            for (b, g) in self.b.iter_mut().zip(&gb) {
                *b -= scale * g;
            }
        }
        self.epochs += 1;
    }

    fn accuracy(&self, idx: &[usize]) -> f64 {
        let mut pr = vec![0.0; self.classes];
        let correct = idx
            .iter()
            .filter(|&&i| {
                self.probs(i, &mut pr);
                let best = (0..self.classes)
                    .max_by(|&a, &b| pr[a].total_cmp(&pr[b]).then(b.cmp(&a)))
                    .unwrap_or(0);
                best == self.y[i]
            })
            .count();
        correct as f64 / idx.len() as f64
    }
}

/// Trains linear probes on `.npy` features (see the module docs for the layout).
#[derive(Debug)]
pub struct LinearProbeTrainer {
    dir: PathBuf,
    params: LinearProbeParams,
    runs: HashMap<(String, String), Run>,
}

impl LinearProbeTrainer {
    /// A trainer over the feature directory `dir`.
    ///
    /// # Errors
    /// [`SelectError::InvalidParameter`] for invalid hyper-parameters.
    pub fn new(dir: impl Into<PathBuf>, params: LinearProbeParams) -> Result<LinearProbeTrainer> {
        params.validate()?;
        Ok(LinearProbeTrainer {
            dir: dir.into(),
            params,
            runs: HashMap::new(),
        })
    }

    /// The features file of `(model, dataset)`.
    pub fn features_path(&self, model: &str, dataset: &str) -> PathBuf {
        self.dir
            .join(dataset)
            .join(format!("{}.npy", model.replace('/', "--")))
    }

    /// Drops the state of a run (frees its features).
    pub fn forget(&mut self, model: &str, dataset: &str) {
        self.runs.remove(&(model.to_string(), dataset.to_string()));
    }

    fn load(&self, model: &str, dataset: &str) -> Result<Run> {
        let fpath = self.features_path(model, dataset);
        let (n, d, x) = read_matrix_npy(&fpath)?;
        let y = read_labels_npy(&self.dir.join(dataset).join("labels.npy"))?;
        if y.len() != n {
            return Err(SelectError::Shape {
                what: format!("labels of {dataset} vs rows of {}", fpath.display()),
                expected: n,
                got: y.len(),
            });
        }
        Run::new(
            x,
            n,
            d,
            y,
            &self.params,
            run_seed(self.params.seed, model, dataset),
        )
    }
}

impl Trainer for LinearProbeTrainer {
    fn name(&self) -> &'static str {
        "linear-probe"
    }

    fn train_to(&mut self, model: &str, dataset: &str, epochs: usize) -> Result<Vec<EpochRecord>> {
        let key = (model.to_string(), dataset.to_string());
        if !self.runs.contains_key(&key) {
            let run = self.load(model, dataset)?;
            self.runs.insert(key.clone(), run);
        }
        let params = self.params;
        let run = self.runs.get_mut(&key).expect("inserted above");
        let mut out = Vec::new();
        while run.epochs < epochs {
            let t = Instant::now();
            run.epoch(&params);
            let seconds = t.elapsed().as_secs_f64();
            out.push(EpochRecord {
                model: model.into(),
                dataset: dataset.into(),
                epoch: run.epochs,
                val_accuracy: run.accuracy(&run.val),
                test_accuracy: Some(run.accuracy(&run.test)),
                seconds: Some(seconds),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use npyz::WriterBuilder;

    #[test]
    fn a_header_npyz_would_hang_on_is_refused() {
        let path =
            std::env::temp_dir().join(format!("zoorank-select-nested-{}.npy", std::process::id()));
        let bytes = zoorank_core::npy::with_header(&zoorank_core::npy::nested_header(), &[]);
        std::fs::write(&path, bytes).unwrap();
        let err = read_matrix_npy(&path).unwrap_err().to_string();
        assert!(err.contains("nested"), "{err}");
        let err = read_labels_npy(&path).unwrap_err().to_string();
        assert!(err.contains("nested"), "{err}");
        std::fs::remove_file(&path).unwrap();
    }

    fn write_npy<T: npyz::AutoSerialize + Copy>(path: &Path, shape: &[u64], data: &[T]) {
        let mut buf = Vec::new();
        {
            let mut w = npyz::WriteOptions::new()
                .default_dtype()
                .shape(shape)
                .writer(&mut buf)
                .begin_nd()
                .unwrap();
            w.extend(data.iter().copied()).unwrap();
            w.finish().unwrap();
        }
        std::fs::write(path, buf).unwrap();
    }

    #[test]
    fn learns_a_separable_problem_deterministically() {
        let dir = std::env::temp_dir().join(format!("zoorank-select-lp-{}", std::process::id()));
        let ds = dir.join("toy");
        std::fs::create_dir_all(&ds).unwrap();
        // Three well separated classes in 2-D (deterministic jitter).
        let n = 300;
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..n {
            let c = i % 3;
            let j = ((i * 7919) % 101) as f64 / 101.0 - 0.5;
            let k = ((i * 104729) % 97) as f64 / 97.0 - 0.5;
            x.push([0.0, 4.0, 8.0][c] + j);
            x.push([0.0, 4.0, -4.0][c] + k);
            y.push(c as i64);
        }
        write_npy(&ds.join("org--m.npy"), &[n as u64, 2], &x);
        write_npy(&ds.join("labels.npy"), &[y.len() as u64], &y);
        let params = LinearProbeParams {
            learning_rate: 0.1,
            ..Default::default()
        };
        let mut t = LinearProbeTrainer::new(&dir, params).unwrap();
        let a = t.train_to("org/m", "toy", 5).unwrap();
        assert_eq!(a.len(), 5);
        assert!(a[4].val_accuracy > 0.95, "{a:?}");
        assert!(t.train_to("org/m", "toy", 5).unwrap().is_empty());
        let mut t2 = LinearProbeTrainer::new(&dir, params).unwrap();
        let b = t2.train_to("org/m", "toy", 5).unwrap();
        let va: Vec<f64> = a.iter().map(|r| r.val_accuracy).collect();
        let vb: Vec<f64> = b.iter().map(|r| r.val_accuracy).collect();
        assert_eq!(va, vb);
        assert!(matches!(
            t2.train_to("nope", "toy", 1),
            Err(SelectError::Io { .. })
        ));
        assert!(LinearProbeTrainer::new(
            &dir,
            LinearProbeParams {
                batch_size: 0,
                ..params
            }
        )
        .is_err());
        assert!(LinearProbeTrainer::new(
            &dir,
            LinearProbeParams {
                learning_rate: f64::NAN,
                ..params
            }
        )
        .is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
