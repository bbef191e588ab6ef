//! LogME read in row blocks from column-major float32 / float64 features (the layout of a
//! Fortran-order numpy array) against LogME of a row-major float64 copy of the same values:
//! the two differ only in the order of the Gram sums, so they agree to 1e-12 relative, at
//! every shape of the reference cases (n < d, n ≈ d, n ≫ d), with both solvers, and over
//! several parallel parts and a partial last block. Bad input gets the errors `score` gives,
//! with the row of a non-finite value counted from the start of the input.

mod common;

use common::{assert_close, fixtures, generate, CaseParams};
use zoorank_scores::{LogMe, Matrix, RowBlocks, ScoreError, ScoreInput, TransferabilityScore};

/// Column-major `(n, d)` values, as a Fortran-order array holds them.
struct ColumnMajor<T> {
    values: Vec<T>,
    n: usize,
    d: usize,
}

impl<T: Copy + Into<f64> + Sync> ColumnMajor<T> {
    fn from_row_major(x: &[f64], n: usize, d: usize, cast: impl Fn(f64) -> T) -> Self {
        let mut values = Vec::with_capacity(n * d);
        for j in 0..d {
            values.extend((0..n).map(|i| cast(x[i * d + j])));
        }
        Self { values, n, d }
    }

    /// The same values row-major, as float64.
    fn row_major(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.n * self.d];
        self.read_rows(0, &mut out);
        out
    }
}

impl<T: Copy + Into<f64> + Sync> RowBlocks for ColumnMajor<T> {
    fn shape(&self) -> (usize, usize) {
        (self.n, self.d)
    }

    fn read_rows(&self, first: usize, out: &mut [f64]) {
        let len = out.len() / self.d;
        for j in 0..self.d {
            for i in 0..len {
                out[i * self.d + j] = self.values[j * self.n + first + i].into();
            }
        }
    }
}

fn in_memory(blocks: &dyn RowBlocks, y: &[i64], method: &LogMe) -> f64 {
    let (n, d) = blocks.shape();
    let mut x = vec![0.0; n * d];
    blocks.read_rows(0, &mut x);
    let input = ScoreInput::features(Matrix::new(&x, n, d).unwrap(), y);
    method.score(&input).unwrap()
}

fn check(blocks: &dyn RowBlocks, y: &[i64], what: &str) {
    for method in [LogMe::default(), LogMe::published()] {
        let want = in_memory(blocks, y, &method);
        let got = method.score_blocks(blocks, y).unwrap();
        assert_close(
            got,
            want,
            1e-12,
            format_args!("{what} ({}): blocks against in memory", method.id()),
        );
        assert!(method.reads_row_blocks());
        let through_trait = method.score_row_blocks(blocks, y).unwrap().unwrap();
        assert_eq!(through_trait.to_bits(), got.to_bits(), "{what}");
    }
}

#[test]
fn blocks_equal_the_in_memory_score_at_every_reference_shape() {
    let fx = fixtures();
    assert!(fx.logme_cases.len() >= 9);
    for (name, case) in &fx.logme_cases {
        let data = generate(&case.params);
        let f64s = ColumnMajor::from_row_major(&data.x, data.n, data.d, |v| v);
        check(&f64s, &data.y, &format!("{name} float64"));
        let f32s = ColumnMajor::from_row_major(&data.x, data.n, data.d, |v| v as f32);
        check(&f32s, &data.y, &format!("{name} float32"));
    }
}

#[test]
fn blocks_equal_the_in_memory_score_over_several_parts_and_a_partial_block() {
    // 5,003 rows: two parallel parts of the Gram product, each of several 256-row blocks,
    // the last one short.
    let params = CaseParams {
        seed: 7,
        n: 5003,
        d: 48,
        c: 5,
        cs: 3,
        sep: 0.7,
        collinear: 2,
        counts: None,
    };
    let data = generate(&params);
    let f32s = ColumnMajor::from_row_major(&data.x, data.n, data.d, |v| v as f32);
    check(&f32s, &data.y, "n = 5003 float32");
    // The float32 values are what is scored: the copy below is exact.
    let x = f32s.row_major();
    let want = LogMe::default()
        .score(&ScoreInput::features(
            Matrix::new(&x, data.n, data.d).unwrap(),
            &data.y,
        ))
        .unwrap();
    let got = LogMe::default().score_blocks(&f32s, &data.y).unwrap();
    assert_close(
        got,
        want,
        1e-12,
        "float32 blocks against their row-major copy",
    );
}

#[test]
fn bad_input_gets_the_errors_score_gives() {
    let params = CaseParams {
        seed: 3,
        n: 3000,
        d: 16,
        c: 3,
        cs: 2,
        sep: 1.0,
        collinear: 0,
        counts: None,
    };
    let data = generate(&params);
    let mut x = data.x.clone();
    x[2900 * data.d + 5] = f64::NAN;
    let blocks = ColumnMajor::from_row_major(&x, data.n, data.d, |v| v as f32);
    match LogMe::default().score_blocks(&blocks, &data.y) {
        Err(ScoreError::NonFinite { row, col, .. }) => assert_eq!((row, col), (2900, 5)),
        other => panic!("expected a non-finite error at row 2900, got {other:?}"),
    }

    let blocks = ColumnMajor::from_row_major(&data.x, data.n, data.d, |v| v);
    match LogMe::default().score_blocks(&blocks, &data.y[..10]) {
        Err(ScoreError::LengthMismatch { expected, got, .. }) => {
            assert_eq!((expected, got), (10, 3000))
        }
        other => panic!("expected a length mismatch, got {other:?}"),
    }
    let one_class = vec![0i64; data.n];
    assert!(matches!(
        LogMe::default().score_blocks(&blocks, &one_class),
        Err(ScoreError::TooFewClasses { .. })
    ));
    // Methods without a block path say so.
    let h = zoorank_scores::by_id("h-score").unwrap();
    assert!(!h.reads_row_blocks());
    assert!(h.score_row_blocks(&blocks, &data.y).is_none());
    let empty = ColumnMajor::<f64> {
        values: Vec::new(),
        n: 0,
        d: 4,
    };
    assert!(LogMe::default().score_blocks(&empty, &[]).is_err());
}
