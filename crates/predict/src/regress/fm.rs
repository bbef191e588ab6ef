//! Second-order factorization machine for regression (`fm`), with its own gradient code.
//!
//! Model (Rendle 2010), `x ∈ ℝᵖ`, `w₀ ∈ ℝ`, `w ∈ ℝᵖ`, `V ∈ ℝ^{p×k}`:
//!
//! `ŷ(x) = w₀ + Σᵢ wᵢxᵢ + Σ_{i<j} ⟨vᵢ, vⱼ⟩ xᵢxⱼ
//!       = w₀ + Σᵢ wᵢxᵢ + ½ Σ_f [(Σᵢ v_{if}xᵢ)² − Σᵢ v_{if}²xᵢ²]`,
//!
//! the second form costing O(k p) per sample (O(k · nnz) with the sparse rows used here).
//! Gradients, with `q_f = Σⱼ v_{jf}xⱼ`: `∂ŷ/∂w₀ = 1`, `∂ŷ/∂wᵢ = xᵢ`,
//! `∂ŷ/∂v_{if} = xᵢ (q_f − v_{if}xᵢ)`.
//!
//! Objective on a batch `B`: `J = (1/|B|) Σ_{b∈B} ½ (ŷ_b − y_b)² + ½λ_w‖w‖² + ½λ_v‖V‖²`
//! (`w₀` unpenalised), minimised with Adam (Kingma & Ba 2015) on mini-batches. A seeded
//! random split keeps `validation_fraction` of the rows aside; training stops when the
//! validation error has not improved for `patience` epochs and the parameters of the best epoch
//! are kept. The gradient is checked against central finite differences in the tests.
//!
//! Scaling: columns whose values are all 0 or 1 (one-hot ids, flags) are kept as they are, so
//! rows stay sparse; other columns are standardised (mean 0, standard deviation 1). The target
//! is standardised for training and mapped back for prediction.
//!
//! Defaults: k = 8 factors, λ_w = 1e-4, λ_v = 1e-3, Adam step 0.01, batch 32, ≤ 200 epochs,
//! patience 15, 20 % validation, factor initialisation N(0, 0.05²). Deterministic per seed
//! (ChaCha8 for the split, the shuffles and the initialisation).
//!
//! # References
//! - S. Rendle, "Factorization machines", ICDM 2010.
//! - D. P. Kingma, J. Ba, "Adam: a method for stochastic optimization", ICLR 2015.
//! - H. Li et al., "Guided recommendation for model fine-tuning", CVPR 2023 (FMs over one-hot
//!   model/dataset ids and meta features for this task).

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::base::{
    check_predictions, validate_prediction, validate_training, Features, FitResult,
    FittedRegressor, RegressError, Regressor,
};

const ID: &str = "fm";
/// Minimum training rows (at least one validation row and four training rows).
pub const FM_MIN_ROWS: usize = 5;

/// Hyper-parameters of [`FactorizationMachine`].
#[derive(Debug, Clone, PartialEq)]
pub struct FmParams {
    /// Number of latent factors k (≥ 1).
    pub factors: usize,
    /// L2 penalty λ_w on the linear weights.
    pub l2_linear: f64,
    /// L2 penalty λ_v on the factors.
    pub l2_factors: f64,
    /// Adam step size.
    pub learning_rate: f64,
    /// Rows per mini-batch.
    pub batch_size: usize,
    /// Maximum number of epochs.
    pub max_epochs: usize,
    /// Epochs without validation improvement before stopping.
    pub patience: usize,
    /// Fraction of the rows held out for early stopping, in (0, 1).
    pub validation_fraction: f64,
    /// Standard deviation of the initial factors.
    pub init_std: f64,
}

impl Default for FmParams {
    fn default() -> Self {
        FmParams {
            factors: 8,
            l2_linear: 1e-4,
            l2_factors: 1e-3,
            learning_rate: 0.01,
            batch_size: 32,
            max_epochs: 200,
            patience: 15,
            validation_fraction: 0.2,
            init_std: 0.05,
        }
    }
}

impl FmParams {
    fn validate(&self) -> Result<(), RegressError> {
        let bad = |name: &'static str, value: String| {
            Err(RegressError::InvalidParameter {
                regressor: ID,
                name,
                value,
            })
        };
        let nonneg = |v: f64| v.is_finite() && v >= 0.0;
        if self.factors == 0 {
            return bad("factors", "0".into());
        }
        if !nonneg(self.l2_linear) {
            return bad("l2_linear", self.l2_linear.to_string());
        }
        if !nonneg(self.l2_factors) {
            return bad("l2_factors", self.l2_factors.to_string());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad("learning_rate", self.learning_rate.to_string());
        }
        if self.batch_size == 0 {
            return bad("batch_size", "0".into());
        }
        if self.max_epochs == 0 {
            return bad("max_epochs", "0".into());
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return bad("validation_fraction", self.validation_fraction.to_string());
        }
        if !nonneg(self.init_std) {
            return bad("init_std", self.init_std.to_string());
        }
        Ok(())
    }
}

/// Factorization machine regression (id `fm`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactorizationMachine {
    /// Its hyper-parameters.
    pub params: FmParams,
}

impl FactorizationMachine {
    /// A factorization machine with the given hyper-parameters.
    pub fn new(params: FmParams) -> Self {
        FactorizationMachine { params }
    }
}

/// A sparse row: (column, value) for the non-zero entries.
type SparseRow = Vec<(usize, f64)>;

/// FM parameters packed as `θ = [w₀, w₁..w_p, v_{1,1}..v_{1,k}, …, v_{p,k}]`.
#[derive(Debug, Clone, PartialEq)]
struct FmModel {
    p: usize,
    k: usize,
    theta: Vec<f64>,
}

impl FmModel {
    fn zeros(p: usize, k: usize) -> Self {
        FmModel {
            p,
            k,
            theta: vec![0.0; 1 + p + p * k],
        }
    }

    fn v_offset(&self) -> usize {
        1 + self.p
    }

    /// `ŷ(x)`; fills `q` (length k) with `q_f = Σⱼ v_{jf}xⱼ`.
    fn predict_row(&self, x: &SparseRow, q: &mut [f64]) -> f64 {
        let (k, vo) = (self.k, self.v_offset());
        let th = &self.theta;
        q.iter_mut().for_each(|v| *v = 0.0);
        let mut linear = th[0];
        let mut squares = 0.0;
        for &(j, xj) in x {
            linear += th[1 + j] * xj;
            let vj = &th[vo + j * k..vo + (j + 1) * k];
            for (qf, &v) in q.iter_mut().zip(vj) {
                *qf += v * xj;
                squares += v * v * xj * xj;
            }
        }
        let pairs = q.iter().map(|qf| qf * qf).sum::<f64>() - squares;
        linear + 0.5 * pairs
    }

    /// Objective `J` over `rows` (see the module docs) and its gradient with respect to θ.
    fn objective_and_gradient(
        &self,
        x: &[SparseRow],
        y: &[f64],
        rows: &[usize],
        params: &FmParams,
        grad: &mut [f64],
    ) -> f64 {
        let (k, vo) = (self.k, self.v_offset());
        let th = &self.theta;
        grad.iter_mut().for_each(|g| *g = 0.0);
        let mut q = vec![0.0; k];
        let scale = 1.0 / rows.len() as f64;
        let mut loss = 0.0;
        for &i in rows {
            let r = self.predict_row(&x[i], &mut q) - y[i];
            loss += 0.5 * r * r;
            let c = r * scale;
            grad[0] += c;
            for &(j, xj) in &x[i] {
                grad[1 + j] += c * xj;
                let base = vo + j * k;
                for f in 0..k {
                    grad[base + f] += c * xj * (q[f] - th[base + f] * xj);
                }
            }
        }
        loss *= scale;
        let (lw, lv) = (params.l2_linear, params.l2_factors);
        for j in 1..vo {
            loss += 0.5 * lw * th[j] * th[j];
            grad[j] += lw * th[j];
        }
        for j in vo..th.len() {
            loss += 0.5 * lv * th[j] * th[j];
            grad[j] += lv * th[j];
        }
        loss
    }

    fn mse(&self, x: &[SparseRow], y: &[f64], rows: &[usize]) -> f64 {
        let mut q = vec![0.0; self.k];
        rows.iter()
            .map(|&i| {
                let r = self.predict_row(&x[i], &mut q) - y[i];
                r * r
            })
            .sum::<f64>()
            / rows.len() as f64
    }
}

/// Column scaling: binary (0/1) columns untouched, others standardised.
#[derive(Debug, Clone, PartialEq)]
struct FmScaling {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

impl FmScaling {
    fn fit(x: &Features<'_>) -> Self {
        let std = super::base::Standardizer::fit(x);
        let (mut mean, mut scale) = (std.mean, std.scale);
        for j in 0..x.n_cols {
            let binary = (0..x.n_rows).all(|i| {
                let v = x.data[i * x.n_cols + j];
                v == 0.0 || v == 1.0
            });
            if binary {
                mean[j] = 0.0;
                scale[j] = 1.0;
            }
        }
        FmScaling { mean, scale }
    }

    fn sparse_rows(&self, x: &Features<'_>) -> Vec<SparseRow> {
        (0..x.n_rows)
            .map(|i| {
                x.row(i)
                    .iter()
                    .enumerate()
                    .map(|(j, v)| (j, (v - self.mean[j]) / self.scale[j]))
                    .filter(|(_, z)| *z != 0.0)
                    .collect()
            })
            .collect()
    }
}

/// A standard normal draw (Box–Muller), so no distribution crate is needed.
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>(); // (0, 1]
    let u2: f64 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

struct FittedFm {
    scaling: FmScaling,
    y_mean: f64,
    y_scale: f64,
    model: FmModel,
}

impl FactorizationMachine {
    fn train(&self, x: &[SparseRow], y: &[f64], p: usize, seed: u64) -> FmModel {
        let params = &self.params;
        let n = x.len();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut rng);
        let n_val = ((params.validation_fraction * n as f64).round() as usize).clamp(1, n - 1);
        let (val, train) = order.split_at(n_val);
        let (val, mut train) = (val.to_vec(), train.to_vec());

        let mut model = FmModel::zeros(p, params.factors);
        let vo = model.v_offset();
        for t in &mut model.theta[vo..] {
            *t = params.init_std * standard_normal(&mut rng);
        }
        let d = model.theta.len();
        let (mut m1, mut m2, mut grad) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
        let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
        let mut step = 0i32;
        let mut best = (model.mse(x, y, &val), model.theta.clone());
        let mut since_best = 0;
        for _epoch in 0..params.max_epochs {
            train.shuffle(&mut rng);
            for batch in train.chunks(params.batch_size) {
                model.objective_and_gradient(x, y, batch, params, &mut grad);
                step += 1;
                let (c1, c2) = (1.0 - b1.powi(step), 1.0 - b2.powi(step));
                for j in 0..d {
                    m1[j] = b1 * m1[j] + (1.0 - b1) * grad[j];
                    m2[j] = b2 * m2[j] + (1.0 - b2) * grad[j] * grad[j];
                    let update = params.learning_rate * (m1[j] / c1) / ((m2[j] / c2).sqrt() + eps);
                    model.theta[j] -= update;
                }
            }
            let err = model.mse(x, y, &val);
            if err < best.0 {
                best = (err, model.theta.clone());
                since_best = 0;
            } else {
                since_best += 1;
                if since_best >= params.patience {
                    break;
                }
            }
        }
        model.theta = best.1;
        model
    }
}

impl Regressor for FactorizationMachine {
    fn id(&self) -> &'static str {
        ID
    }

    fn fit(&self, x: Features<'_>, y: &[f64], seed: u64) -> FitResult {
        validate_training(ID, &x, y, FM_MIN_ROWS)?;
        self.params.validate()?;
        let scaling = FmScaling::fit(&x);
        let rows = scaling.sparse_rows(&x);
        let n = y.len() as f64;
        let y_mean = y.iter().sum::<f64>() / n;
        let sd = (y.iter().map(|v| (v - y_mean) * (v - y_mean)).sum::<f64>() / n).sqrt();
        let y_scale = if sd > 1e-12 * y_mean.abs().max(1.0) {
            sd
        } else {
            1.0
        };
        let ys: Vec<f64> = y.iter().map(|v| (v - y_mean) / y_scale).collect();
        let model = self.train(&rows, &ys, x.n_cols, seed);
        if model.theta.iter().any(|t| !t.is_finite()) {
            return Err(RegressError::Numerical {
                regressor: ID,
                detail: "training diverged (non-finite parameters)".into(),
            });
        }
        Ok(Box::new(FittedFm {
            scaling,
            y_mean,
            y_scale,
            model,
        }))
    }
}

impl FittedRegressor for FittedFm {
    fn predict(&self, x: Features<'_>) -> Result<Vec<f64>, RegressError> {
        validate_prediction(ID, &x, self.model.p)?;
        let rows = self.scaling.sparse_rows(&x);
        let mut q = vec![0.0; self.model.k];
        let pred = rows
            .iter()
            .map(|r| self.y_mean + self.y_scale * self.model.predict_row(r, &mut q))
            .collect();
        check_predictions(ID, pred)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regress::base::test_support::assert_each_rejected;

    fn random_problem(
        n: usize,
        p: usize,
        k: usize,
        seed: u64,
    ) -> (Vec<SparseRow>, Vec<f64>, FmModel) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x: Vec<SparseRow> = (0..n)
            .map(|_| (0..p).map(|j| (j, standard_normal(&mut rng))).collect())
            .collect();
        let y: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        let mut model = FmModel::zeros(p, k);
        for t in &mut model.theta {
            *t = 0.5 * standard_normal(&mut rng);
        }
        (x, y, model)
    }

    /// The O(kp) prediction equals the explicit double sum over pairs.
    #[test]
    fn fast_prediction_matches_pairwise_sum() {
        let (x, _, model) = random_problem(5, 7, 3, 1);
        let mut q = vec![0.0; 3];
        for row in &x {
            let (p, k, vo) = (model.p, model.k, model.v_offset());
            let th = &model.theta;
            let xs: Vec<f64> = row.iter().map(|e| e.1).collect();
            let mut slow = th[0] + (0..p).map(|i| th[1 + i] * xs[i]).sum::<f64>();
            for i in 0..p {
                for j in (i + 1)..p {
                    let dot: f64 = (0..k)
                        .map(|f| th[vo + i * k + f] * th[vo + j * k + f])
                        .sum();
                    slow += dot * xs[i] * xs[j];
                }
            }
            let fast = model.predict_row(row, &mut q);
            assert!((fast - slow).abs() < 1e-12 * slow.abs().max(1.0));
        }
    }

    /// Central finite differences in f64 agree with the analytic gradient.
    #[test]
    fn gradient_matches_finite_differences() {
        let (x, y, mut model) = random_problem(12, 6, 4, 7);
        let params = FmParams {
            l2_linear: 0.03,
            l2_factors: 0.07,
            ..FmParams::default()
        };
        let rows: Vec<usize> = (0..x.len()).collect();
        let d = model.theta.len();
        let mut grad = vec![0.0; d];
        model.objective_and_gradient(&x, &y, &rows, &params, &mut grad);
        let mut scratch = vec![0.0; d];
        let mut worst: f64 = 0.0;
        for (j, &analytic) in grad.iter().enumerate() {
            let h = 1e-5 * model.theta[j].abs().max(1.0);
            let keep = model.theta[j];
            model.theta[j] = keep + h;
            let up = model.objective_and_gradient(&x, &y, &rows, &params, &mut scratch);
            model.theta[j] = keep - h;
            let down = model.objective_and_gradient(&x, &y, &rows, &params, &mut scratch);
            model.theta[j] = keep;
            let fd = (up - down) / (2.0 * h);
            let denom = fd.abs().max(analytic.abs());
            assert!(denom > 1e-4, "component {j} too small to test: {denom}");
            worst = worst.max((fd - analytic).abs() / denom);
        }
        println!("FM gradient: max relative error {worst:.2e} over {d} parameters");
        assert!(worst < 1e-6, "max relative error {worst}");
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        let edits: [fn(&mut FmParams); 8] = [
            |p| p.factors = 0,
            |p| p.l2_linear = -1.0,
            |p| p.l2_factors = f64::NAN,
            |p| p.learning_rate = 0.0,
            |p| p.batch_size = 0,
            |p| p.max_epochs = 0,
            |p| p.validation_fraction = 1.0,
            |p| p.init_std = -0.1,
        ];
        let data: Vec<f64> = (0..20).map(|v| v as f64).collect();
        let x = Features::new(&data, 10, 2);
        let y: Vec<f64> = (0..10).map(|v| v as f64).collect();
        assert_each_rejected(&edits, |p| FactorizationMachine::new(p).fit(x, &y, 0));
    }
}
