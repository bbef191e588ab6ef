//! Inputs of a score: a row-major matrix view, labels, and their validation.

use crate::error::ScoreError;

/// A read-only, row-major `(rows, cols)` view of `f64` values: row `i` is sample `i`.
#[derive(Debug, Clone, Copy)]
pub struct Matrix<'a> {
    data: &'a [f64],
    rows: usize,
    cols: usize,
}

impl<'a> Matrix<'a> {
    /// Wraps `data` (row-major, `rows * cols` values).
    ///
    /// # Errors
    /// [`ScoreError::Shape`] if `data.len() != rows * cols`.
    pub fn new(data: &'a [f64], rows: usize, cols: usize) -> Result<Self, ScoreError> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(ScoreError::Shape {
                what: "matrix",
                len: data.len(),
                rows,
                cols,
            });
        }
        Ok(Self { data, rows, cols })
    }

    /// Number of rows (samples).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (features or source classes).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The row-major values.
    pub fn data(&self) -> &'a [f64] {
        self.data
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &'a [f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// What a method needs besides the labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Target features `(n_samples, n_features)` from the candidate model.
    Features,
    /// The candidate model's source-class probabilities `(n_samples, n_source_classes)`.
    SourceProbs,
}

/// Everything a score may read: labels plus features and/or source-model probabilities.
#[derive(Debug, Clone, Copy)]
pub struct ScoreInput<'a> {
    /// Features `(n_samples, n_features)`, one row per sample.
    pub features: Option<Matrix<'a>>,
    /// Source-model class probabilities `(n_samples, n_source_classes)`; rows sum to 1.
    pub source_probs: Option<Matrix<'a>>,
    /// Target labels, any integers (remapped to `0..c` in sorted order).
    pub labels: &'a [i64],
}

impl<'a> ScoreInput<'a> {
    /// Features and labels only.
    pub fn features(features: Matrix<'a>, labels: &'a [i64]) -> Self {
        Self {
            features: Some(features),
            source_probs: None,
            labels,
        }
    }

    /// Source-model probabilities and labels only.
    pub fn source_probs(probs: Matrix<'a>, labels: &'a [i64]) -> Self {
        Self {
            features: None,
            source_probs: Some(probs),
            labels,
        }
    }

    /// Adds source-model probabilities.
    pub fn with_source_probs(mut self, probs: Matrix<'a>) -> Self {
        self.source_probs = Some(probs);
        self
    }

    /// Whether the input a method needs is present.
    pub fn has(&self, needs: Needs) -> bool {
        match needs {
            Needs::Features => self.features.is_some(),
            Needs::SourceProbs => self.source_probs.is_some(),
        }
    }
}

/// Labels remapped to `0..c` (sorted order of the original values).
#[derive(Debug, Clone)]
pub(crate) struct Labels {
    /// Class index of every sample.
    pub idx: Vec<usize>,
    /// Samples per class.
    pub counts: Vec<usize>,
    /// Original label of every class.
    pub original: Vec<i64>,
}

impl Labels {
    pub fn n_classes(&self) -> usize {
        self.counts.len()
    }

    pub fn n(&self) -> usize {
        self.idx.len()
    }
}

pub(crate) fn encode_labels(method: &'static str, labels: &[i64]) -> Result<Labels, ScoreError> {
    if labels.is_empty() {
        return Err(ScoreError::Empty {
            what: "labels",
            rows: 0,
            cols: 1,
        });
    }
    let mut original = labels.to_vec();
    original.sort_unstable();
    original.dedup();
    if original.len() < 2 {
        return Err(ScoreError::TooFewClasses {
            method,
            needed: 2,
            got: original.len(),
        });
    }
    let mut counts = vec![0usize; original.len()];
    let idx = labels
        .iter()
        .map(|l| {
            // `original` holds every label, so the search always succeeds.
            let k = original.binary_search(l).unwrap_or(0);
            counts[k] += 1;
            k
        })
        .collect();
    Ok(Labels {
        idx,
        counts,
        original,
    })
}

/// Checks that an input of `shape` (rows, columns) is not empty and has one row per label.
pub(crate) fn check_shape(
    what: &'static str,
    (rows, cols): (usize, usize),
    n_labels: usize,
) -> Result<(), ScoreError> {
    if rows == 0 || cols == 0 {
        return Err(ScoreError::Empty { what, rows, cols });
    }
    if rows != n_labels {
        return Err(ScoreError::LengthMismatch {
            what,
            expected: n_labels,
            got: rows,
        });
    }
    Ok(())
}

fn check_matrix(what: &'static str, m: &Matrix<'_>, n_labels: usize) -> Result<(), ScoreError> {
    check_shape(what, (m.rows, m.cols), n_labels)?;
    check_finite(what, m, 0)
}

/// Checks that every value of `m` is finite; errors name the row as `first_row` + its row in
/// `m` (for a block of a larger input).
fn check_finite(what: &'static str, m: &Matrix<'_>, first_row: usize) -> Result<(), ScoreError> {
    // One vectorisable pass: a row containing NaN or ±∞ has a non-finite sum (a finite row
    // whose sum overflows is caught by the exact re-check below).
    for row in 0..m.rows {
        let (sum, _) = row_sum_min(m.row(row));
        if !sum.is_finite() {
            if let Some(col) = m.row(row).iter().position(|v| !v.is_finite()) {
                return Err(ScoreError::NonFinite {
                    what,
                    row: first_row + row,
                    col,
                    value: m.row(row)[col],
                });
            }
        }
    }
    Ok(())
}

/// Sum and minimum of a row with four independent accumulators (auto-vectorised).
pub(crate) fn row_sum_min(row: &[f64]) -> (f64, f64) {
    let mut s = [0.0f64; 4];
    let mut m = [f64::INFINITY; 4];
    let chunks = row.chunks_exact(4);
    let rest = chunks.remainder();
    for ch in chunks {
        for l in 0..4 {
            s[l] += ch[l];
            m[l] = if ch[l] < m[l] { ch[l] } else { m[l] };
        }
    }
    let mut sum = (s[0] + s[1]) + (s[2] + s[3]);
    let mut min = m[0].min(m[1]).min(m[2].min(m[3]));
    for &v in rest {
        sum += v;
        min = min.min(v);
    }
    (sum, min)
}

/// The matrix `m`, the input `input` of `method`, which must have been given.
fn given<'a>(
    method: &'static str,
    m: Option<Matrix<'a>>,
    input: &'static str,
) -> Result<Matrix<'a>, ScoreError> {
    m.ok_or(ScoreError::MissingInput { method, input })
}

/// Validated features and labels for `method`.
pub(crate) fn features_and_labels<'a>(
    method: &'static str,
    input: &ScoreInput<'a>,
) -> Result<(Matrix<'a>, Labels), ScoreError> {
    let f = given(method, input.features, "features")?;
    let labels = encode_labels(method, input.labels)?;
    check_matrix("features", &f, labels.n())?;
    Ok((f, labels))
}

/// Tolerance on the row sums of source-model probabilities (float32 softmax outputs pass).
pub(crate) const PROB_SUM_TOL: f64 = 1e-3;

/// Source-model probabilities and labels for `method`, with the shape checked; the values
/// are checked row by row by the caller with [`check_prob_row`], fused into its own pass over
/// the data (the probabilities are often the largest input, so one pass matters).
pub(crate) fn probs_and_labels<'a>(
    method: &'static str,
    input: &ScoreInput<'a>,
) -> Result<(Matrix<'a>, Labels), ScoreError> {
    let what = "source-model probabilities";
    let p = given(method, input.source_probs, what)?;
    let labels = encode_labels(method, input.labels)?;
    if p.rows == 0 || p.cols == 0 {
        return Err(ScoreError::Empty {
            what,
            rows: p.rows,
            cols: p.cols,
        });
    }
    if p.rows != labels.n() {
        return Err(ScoreError::LengthMismatch {
            what,
            expected: labels.n(),
            got: p.rows,
        });
    }
    Ok((p, labels))
}

/// Checks row `i` of source-model probabilities given its sum and minimum (NaN fails both
/// comparisons, ±∞ makes the sum non-finite).
pub(crate) fn check_prob_row(i: usize, row: &[f64], sum: f64, min: f64) -> Result<(), ScoreError> {
    if min >= 0.0 && (sum - 1.0).abs() <= PROB_SUM_TOL {
        return Ok(());
    }
    if let Some(j) = row.iter().position(|v| !v.is_finite()) {
        return Err(ScoreError::NonFinite {
            what: "source-model probabilities",
            row: i,
            col: j,
            value: row[j],
        });
    }
    let reason = match row.iter().position(|&v| v < 0.0) {
        Some(j) => format!("entry {j} is negative ({})", row[j]),
        None => format!("sums to {sum}, not 1 (are these logits?)"),
    };
    Err(ScoreError::NotProbabilities { row: i, reason })
}

/// Features read a block of rows at a time from the caller's own memory layout (float32,
/// Fortran order, strided views), each block converted to float64 as it is read.
///
/// A [`Matrix`] is float64 row-major, so such input would need a full float64 copy first (for
/// 10,000 × 768 float32 features, 59 MiB beside the caller's 29 MiB). Scores whose work is sums
/// over the rows (LogME: the Gram matrix and the class sums) read blocks instead, through
/// [`TransferabilityScore::score_row_blocks`](crate::TransferabilityScore::score_row_blocks),
/// and hold only one block per thread.
pub trait RowBlocks: Sync {
    /// (rows, columns).
    fn shape(&self) -> (usize, usize);
    /// Writes rows `first .. first + out.len() / columns` into `out`, row-major, as float64.
    fn read_rows(&self, first: usize, out: &mut [f64]);
}

/// Rows of a [`RowBlocks`] read per block: `BLOCK_ROWS × d` float64 values stay within a few
/// MiB at the widths features have, and a block is tall enough for the Gram kernel to run at
/// full speed.
pub(crate) const BLOCK_ROWS: usize = 256;

/// Calls `f(first_row, block)` for consecutive blocks of at most [`BLOCK_ROWS`] rows of
/// `src` in `rows`, each block a checked row-major [`Matrix`] (a non-finite value is an error
/// naming its row in `src`).
pub(crate) fn for_each_block<E: From<ScoreError>>(
    src: &dyn RowBlocks,
    rows: std::ops::Range<usize>,
    mut f: impl FnMut(usize, Matrix<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let (_, d) = src.shape();
    let mut buf = vec![0.0f64; BLOCK_ROWS.min(rows.len()) * d];
    let mut first = rows.start;
    while first < rows.end {
        let len = BLOCK_ROWS.min(rows.end - first);
        let block = &mut buf[..len * d];
        src.read_rows(first, block);
        let m = Matrix::new(block, len, d)?;
        check_finite("features", &m, first)?;
        f(first, m)?;
        first += len;
    }
    Ok(())
}
