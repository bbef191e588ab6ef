//! Dense kernels shared by the scores (faer underneath).

use crate::error::ScoreError;
use crate::input::{for_each_block, Labels, Matrix, RowBlocks};
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Mat, MatRef, Par, Side};

/// Parallelism for the heavy kernels: every core rayon gives us.
pub(crate) fn par() -> Par {
    Par::rayon(0)
}

/// The product `a · b`, on every core.
pub(crate) fn product(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let mut out = Mat::<f64>::zeros(a.nrows(), b.ncols());
    faer::linalg::matmul::matmul(out.as_mut(), Accum::Replace, a, b, 1.0, par());
    out
}

/// Clears the upper halves of the vector registers on this thread and on every rayon worker.
///
/// faer's products (and the decompositions built on them) run private-gemm-x86's generated
/// AVX2 / AVX-512 kernels, which return without `vzeroupper`. On Intel cores every
/// legacy-SSE instruction that later runs on such a thread (this crate's scalar float code,
/// compiled for baseline x86-64, and its calls into glibc's `exp`) then carries a false
/// dependency on those upper bits until something clears them: NLEEP's E-step loop ran ten
/// times slower after its products for that alone (docs/benchmarks/scores.md, seventh round).
/// Called after the kernels that precede scalar work; a no-op without AVX. Called from a rayon
/// worker it clears only that worker.
pub(crate) fn clear_upper_vector_state() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        /// # Safety
        /// The CPU supports AVX.
        #[target_feature(enable = "avx")]
        unsafe fn zero_upper() {
            std::arch::x86_64::_mm256_zeroupper();
        }
        // SAFETY: AVX was detected just above.
        let zero_upper = || unsafe { zero_upper() };
        // From inside the pool (a caller scoring in parallel) a broadcast would wait for every
        // other worker to finish what it is doing; there only this thread is cleared.
        if rayon::current_thread_index().is_none() {
            rayon::broadcast(|_| zero_upper());
        }
        zero_upper();
    }
}

/// Rows per part of a parallel Gram product, at least.
const GRAM_MIN_ROWS: usize = 2048;
/// Parts of a parallel Gram product, at most.
const GRAM_MAX_PARTS: usize = 8;
/// Memory for the parts' partial products, at most.
const GRAM_PARTS_BYTES: usize = 1 << 28;

/// `XᵀX` for `x` of shape `(n, d)`: only the lower triangle is multiplied (half the work of a
/// general product), then mirrored.
///
/// Parallel over blocks of rows, `XᵀX = Σ_b X_bᵀX_b`, each block's product sequential and the
/// partial sums added in block order. faer's own parallel triangular product splits the
/// `d × d` output instead, and at `n = 10,000, d = 768` on two cores it ran 2.5× slower than
/// one sequential product; the row blocks run at the sequential kernel's speed per core. The
/// number of blocks depends only on the shape (at least [`GRAM_MIN_ROWS`] rows each, at most
/// [`GRAM_MAX_PARTS`], their `d × d` partial sums within [`GRAM_PARTS_BYTES`]), so the value
/// is the same on any number of threads.
pub(crate) fn gram_cols(x: MatRef<'_, f64>) -> Mat<f64> {
    gram_by_parts(x.nrows(), x.ncols(), |lo, len| {
        lower_gram(x.subrows(lo, len))
    })
}

/// `XᵀX` of the centred features `X = F − 1 meanᵀ`, without a centred copy of `F`: each part
/// of [`gram_cols`]'s row blocks centres its own rows into a column-major block (in cache,
/// and in parallel) and multiplies it. Same value as `gram_cols` of a centred copy.
pub(crate) fn centered_gram(f: &Matrix<'_>, mean: &[f64]) -> Mat<f64> {
    let d = f.cols();
    let data = f.data();
    gram_by_parts(f.rows(), d, |lo, len| {
        let mut block = Mat::<f64>::zeros(len, d);
        copy_tiles(data, d, lo..lo + len, 0, Some(mean), &|v| v, block.as_mut());
        lower_gram(block.as_ref())
    })
}

/// The lower triangle of `XᵀX`, sequentially.
fn lower_gram(x: MatRef<'_, f64>) -> Mat<f64> {
    let d = x.ncols();
    let mut g = Mat::<f64>::zeros(d, d);
    add_lower_gram(&mut g, x, Accum::Replace);
    g
}

/// The lower triangle of `XᵀX` written into (`Accum::Replace`) or added to (`Accum::Add`)
/// the lower triangle of `g`, sequentially.
fn add_lower_gram(g: &mut Mat<f64>, x: MatRef<'_, f64>, accum: Accum) {
    triangular::matmul(
        g.as_mut(),
        BlockStructure::TriangularLower,
        accum,
        x.transpose(),
        BlockStructure::Rectangular,
        x,
        BlockStructure::Rectangular,
        1.0,
        Par::Seq,
    );
}

/// `FᵀF` of features read in row blocks: the same parts as [`gram_cols`] (so the same
/// parallel split and the same part sums), each part adding up its blocks' products. Memory:
/// one `d × d` partial sum and one block of [`BLOCK_ROWS`](crate::input::BLOCK_ROWS) rows per
/// part, never the whole input as float64.
pub(crate) fn gram_row_blocks(src: &dyn RowBlocks) -> Result<Mat<f64>, ScoreError> {
    let (n, d) = src.shape();
    let failed = std::sync::Mutex::new(None);
    let g = gram_by_parts(n, d, |lo, len| {
        let mut g = Mat::<f64>::zeros(d, d);
        let r = for_each_block(src, lo..lo + len, |_, block| {
            let x = MatRef::from_row_major_slice(block.data(), block.rows(), d);
            add_lower_gram(&mut g, x, Accum::Add);
            Ok::<(), ScoreError>(())
        });
        if let Err(e) = r {
            failed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert(e);
        }
        g
    });
    match failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some(e) => Err(e),
        None => Ok(g),
    }
}

/// `Σ_b part(lo_b, len_b)` over the row blocks of an `(n, d)` matrix (see [`gram_cols`]),
/// parts in parallel, summed in block order, then mirrored.
fn gram_by_parts(n: usize, d: usize, part: impl Fn(usize, usize) -> Mat<f64> + Sync) -> Mat<f64> {
    let parts = (n / GRAM_MIN_ROWS)
        .min(GRAM_MAX_PARTS)
        .min(GRAM_PARTS_BYTES / (8 * d * d).max(1))
        .max(1);
    let mut g = if parts == 1 {
        part(0, n)
    } else {
        use rayon::prelude::*;
        let rows = n.div_ceil(parts);
        let partial: Vec<Mat<f64>> = (0..parts)
            .into_par_iter()
            .map(|b| {
                let lo = b * rows;
                part(lo, rows.min(n - lo))
            })
            .collect();
        let mut it = partial.into_iter();
        let mut g = it.next().expect("at least two parts");
        for p in it {
            g += p;
        }
        g
    };
    symmetrize_lower(&mut g);
    g
}

/// The row-major `(n, d)` matrix `f` read in place as the column-major `(d, n)` matrix `Fᵀ`:
/// Gram products of `f` need no copy.
pub(crate) fn transposed_view<'a>(f: &Matrix<'a>) -> MatRef<'a, f64> {
    MatRef::from_column_major_slice(f.data(), f.cols(), f.rows())
}

/// `XXᵀ` for `x` of shape `(n, d)`.
pub(crate) fn gram_rows(x: MatRef<'_, f64>) -> Mat<f64> {
    gram_cols(x.transpose())
}

fn symmetrize_lower(g: &mut Mat<f64>) {
    let d = g.nrows();
    for j in 0..d {
        for i in 0..j {
            g[(i, j)] = g[(j, i)];
        }
    }
}

/// Column means of `f`.
pub(crate) fn column_means(f: &Matrix<'_>) -> Vec<f64> {
    let (n, d) = (f.rows(), f.cols());
    let mut mean = vec![0.0; d];
    for i in 0..n {
        for (m, v) in mean.iter_mut().zip(f.row(i)) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    mean
}

/// A column-major copy of `f` with its column means removed, and the means.
pub(crate) fn centered(f: &Matrix<'_>) -> (Mat<f64>, Vec<f64>) {
    let mean = column_means(f);
    (col_major(f, Some(&mean)), mean)
}

/// A column-major copy of `f`, minus `shift` per column if given. Copied in tiles so both
/// the row-major reads and the column-major writes stay in cache, blocks of `TILE` columns in
/// parallel (each writes its own columns).
pub(crate) fn col_major(f: &Matrix<'_>, shift: Option<&[f64]>) -> Mat<f64> {
    col_major_as(f, shift, |v| v)
}

/// [`col_major`], each shifted value converted by `cast` (e.g. rounded to `f32`).
pub(crate) fn col_major_as<T>(
    f: &Matrix<'_>,
    shift: Option<&[f64]>,
    cast: impl Fn(f64) -> T + Sync,
) -> Mat<T>
where
    T: faer::traits::ComplexField + Copy + Send + Sync,
{
    use rayon::prelude::*;
    let (n, d) = (f.rows(), f.cols());
    let data = f.data();
    let mut x = Mat::<T>::zeros(n, d);
    x.par_col_chunks_mut(TILE)
        .enumerate()
        .for_each(|(t, block)| copy_tiles(data, d, 0..n, t * TILE, shift, &cast, block));
    x
}

/// Side of the square tiles in which row-major data are copied column-major.
const TILE: usize = 64;

/// `block[(i − rows.start, jj)] = cast(data[i·d + j0 + jj] − shift[j0 + jj])` for the rows
/// `rows` of the row-major `(·, d)` matrix `data`, one column of `block` per `jj`, in
/// `TILE × TILE` tiles so that the row-major reads and the column-major writes both stay in
/// cache (a plain column-by-column copy reads `data` with a stride of `d` values).
fn copy_tiles<T: Copy>(
    data: &[f64],
    d: usize,
    rows: std::ops::Range<usize>,
    j0: usize,
    shift: Option<&[f64]>,
    cast: &(impl Fn(f64) -> T + ?Sized),
    mut block: faer::MatMut<'_, T>,
) {
    for i0 in rows.clone().step_by(TILE) {
        let i1 = (i0 + TILE).min(rows.end);
        for jj in 0..block.ncols() {
            let j = j0 + jj;
            let s = shift.map_or(0.0, |m| m[j]);
            let col = block
                .as_mut()
                .col_mut(jj)
                .try_as_col_major_mut()
                .expect("fresh matrices are column-major")
                .as_slice_mut();
            for i in i0..i1 {
                col[i - rows.start] = cast(data[i * d + j] - s);
            }
        }
    }
}

/// Eigendecomposition of a symmetric matrix: eigenvalues ascending and eigenvectors.
pub(crate) fn eigh(g: &Mat<f64>, method: &'static str) -> Result<(Vec<f64>, Mat<f64>), ScoreError> {
    let evd = g
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| ScoreError::Numerical {
            method,
            reason: format!("symmetric eigendecomposition failed: {e:?}"),
        })?;
    let s = evd.S();
    let vals: Vec<f64> = (0..g.nrows()).map(|i| s[i]).collect();
    Ok((vals, evd.U().to_owned()))
}

/// Numerical-rank threshold for eigenvalues of a Gram matrix of an `(n, d)` matrix: below
/// `max(n, d) · ε · λ_max` an eigenvalue is indistinguishable from rounding noise, so it is
/// treated as an exact zero.
pub(crate) fn gram_rank_tol(lambda_max: f64, n: usize, d: usize) -> f64 {
    lambda_max.max(0.0) * (n.max(d) as f64) * f64::EPSILON
}

/// `eˣ`, with the arguments whose result rounds to zero answered without calling `exp`.
///
/// Below −745.14 the double-precision `eˣ` is exactly 0, but glibc reaches that answer through
/// its underflow path, which sets `errno`. The E-step of a mixture with hundreds of
/// well-separated components passes many such arguments (1.5 M of 5 M in NLEEP's benchmark);
/// the guard made no measurable difference there once the vector registers were clean, but
/// costs nothing. The result is bit-identical to `x.exp()` for every `x` (NaN included).
#[inline]
pub(crate) fn exp_or_zero(x: f64) -> f64 {
    if x < -746.0 {
        0.0
    } else {
        x.exp()
    }
}

/// log-sum-exp of a slice (−∞ for an empty slice or all −∞).
pub(crate) fn log_sum_exp(v: &[f64]) -> f64 {
    let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + v.iter().map(|x| exp_or_zero(x - m)).sum::<f64>().ln()
}

/// Per-class sums of the rows of a row-major matrix, as a `(d, c)` matrix.
pub(crate) fn class_sums_rows(f: &Matrix<'_>, labels: &Labels) -> Mat<f64> {
    class_sums_rows_shifted(f, labels, None)
}

/// Per-class sums of the rows of a row-major matrix minus `shift` (one value per column),
/// as a `(d, c)` matrix: the class sums of the centred features when `shift` is the column
/// means, summed from the centred values (as accurate as summing a centred copy) but read
/// row by row from `f`, contiguously, instead of scattered over a column-major copy.
pub(crate) fn class_sums_rows_shifted(
    f: &Matrix<'_>,
    labels: &Labels,
    shift: Option<&[f64]>,
) -> Mat<f64> {
    let (d, c) = (f.cols(), labels.n_classes());
    let mut acc = vec![0.0; c * d];
    add_class_rows(&mut acc, f, &labels.idx, shift);
    Mat::from_fn(d, c, |j, k| acc[k * d + j])
}

/// Adds each row of `f` (minus `shift`) to its class's run of `acc` (`c` runs of `f.cols()`
/// values); `idx` holds the class of each of `f`'s rows.
fn add_class_rows(acc: &mut [f64], f: &Matrix<'_>, idx: &[usize], shift: Option<&[f64]>) {
    let d = f.cols();
    for (i, &k) in idx.iter().enumerate().take(f.rows()) {
        let a = &mut acc[k * d..(k + 1) * d];
        match shift {
            None => a.iter_mut().zip(f.row(i)).for_each(|(a, v)| *a += v),
            Some(m) => a
                .iter_mut()
                .zip(f.row(i))
                .zip(m)
                .for_each(|((a, v), m)| *a += v - m),
        }
    }
}

/// Per-class sums of the rows of features read in row blocks, as a `(d, c)` matrix; checks
/// every value is finite on the way (an error names the row and column).
pub(crate) fn class_sums_row_blocks(
    src: &dyn RowBlocks,
    labels: &Labels,
) -> Result<Mat<f64>, ScoreError> {
    let ((n, d), c) = (src.shape(), labels.n_classes());
    let mut acc = vec![0.0; c * d];
    for_each_block(src, 0..n, |first, block| {
        add_class_rows(&mut acc, &block, &labels.idx[first..], None);
        Ok::<(), ScoreError>(())
    })?;
    Ok(Mat::from_fn(d, c, |j, k| acc[k * d + j]))
}

/// How many principal components to keep.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Keep {
    /// At most this many (fewer if the rank is smaller).
    Count(usize),
    /// The fewest components whose explained variance ratio reaches this fraction
    /// (scikit-learn's `PCA(n_components=0.8)` rule).
    Variance(f64),
}

/// PCA scores `(n, k)` of `f`: centred, projected on the leading eigenvectors of the
/// covariance, each axis signed so that its largest-magnitude loading is positive
/// (scikit-learn's `svd_flip(u_based_decision=False)` convention).
pub(crate) fn pca(
    f: &Matrix<'_>,
    keep: Keep,
    method: &'static str,
) -> Result<Mat<f64>, ScoreError> {
    let (n, d) = (f.rows(), f.cols());
    let (x, _) = centered(f);
    // Eigenpairs of XᵀX, descending, as (value, loading vector of length d).
    let (vals, vecs) = if n >= d {
        let (vals, v) = eigh(&gram_cols(x.as_ref()), method)?;
        (vals, v)
    } else {
        let (vals, u) = eigh(&gram_rows(x.as_ref()), method)?;
        // v = Xᵀu / √λ; zero eigenvalues give zero vectors and are never kept.
        let mut v = product(x.transpose(), u.as_ref());
        for (i, &l) in vals.iter().enumerate() {
            let s = if l > 0.0 { 1.0 / l.sqrt() } else { 0.0 };
            v.col_mut(i).iter_mut().for_each(|e| *e *= s);
        }
        (vals, v)
    };
    let total: f64 = vals.iter().map(|v| v.max(0.0)).sum();
    if !(total > 0.0) {
        return Err(ScoreError::ZeroVariance { method });
    }
    let order: Vec<usize> = (0..vals.len()).rev().collect();
    let tol = gram_rank_tol(vals[order[0]], n, d);
    let rank = order.iter().take_while(|&&i| vals[i] > tol).count().max(1);
    let k = match keep {
        Keep::Count(k) => k.min(rank).max(1),
        Keep::Variance(frac) => {
            let mut acc = 0.0;
            let mut k = 0;
            for &i in &order {
                acc += vals[i].max(0.0) / total;
                k += 1;
                if acc > frac {
                    break;
                }
            }
            k.min(rank)
        }
    };
    let mut comps = Mat::<f64>::zeros(d, k);
    for (c, &i) in order.iter().take(k).enumerate() {
        let col = vecs.col(i);
        let mut best = 0;
        for j in 0..d {
            if col[j].abs() > col[best].abs() {
                best = j;
            }
        }
        let sign = if col[best] < 0.0 { -1.0 } else { 1.0 };
        for j in 0..d {
            comps[(j, c)] = sign * col[j];
        }
    }
    let scores = product(x.as_ref(), comps.as_ref());
    Ok(scores)
}

/// `Σ (aₜ − bₜ)²`, in eight interleaved partial sums (a single running sum waits on each
/// addition in turn).
pub(crate) fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    const LANES: usize = 8;
    let mut acc = [0.0f64; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(p, q)| (p - q) * (p - q))
        .sum();
    for (pa, pb) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] += (pa[l] - pb[l]) * (pa[l] - pb[l]);
        }
    }
    acc.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests {
    use super::exp_or_zero;

    #[test]
    fn clearing_the_vector_state_leaves_products_and_scalar_code_exact() {
        use faer::Mat;
        let a = Mat::<f64>::from_fn(64, 48, |i, j| (i * 7 + j * 3) as f64 / 11.0 - 2.0);
        let b = Mat::<f64>::from_fn(48, 40, |i, j| (i + 2 * j) as f64 / 5.0 - 3.0);
        let p = super::product(a.as_ref(), b.as_ref());
        super::clear_upper_vector_state();
        let q = super::product(a.as_ref(), b.as_ref());
        for i in 0..64 {
            for j in 0..40 {
                let want: f64 = (0..48).map(|t| a[(i, t)] * b[(t, j)]).sum();
                assert!((p[(i, j)] - want).abs() <= 1e-9 * want.abs().max(1.0));
                assert_eq!(p[(i, j)].to_bits(), q[(i, j)].to_bits());
            }
        }
    }

    #[test]
    fn clearing_the_vector_state_from_inside_the_pool_returns() {
        use rayon::prelude::*;
        let n: usize = (0..64usize)
            .into_par_iter()
            .map(|i| {
                super::clear_upper_vector_state();
                i
            })
            .sum();
        assert_eq!(n, 64 * 63 / 2);
    }

    #[test]
    fn exp_or_zero_is_exp_to_the_bit() {
        let mut xs = vec![
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NAN,
            -0.0,
            0.0,
            -708.4,
            -745.1332191019411,
            -745.1332191019412,
            -745.2,
            -745.99999,
            -746.0,
            -746.0000001,
            -1e300,
            f64::MIN,
        ];
        // A sweep across the subnormal range and the cut-off.
        xs.extend((0..20_000).map(|i| -700.0 - 0.0025 * i as f64));
        for x in xs {
            let (got, want) = (exp_or_zero(x), x.exp());
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "x = {x:e}: {got:e} vs {want:e}"
            );
        }
    }
}
