//! numpy arrays → the row-major `f64` matrices the scores read.
//!
//! A C-contiguous float64 array is read in place. Scores that can read row blocks
//! (`zoorank_scores::RowBlocks`: LogME) read every other layout in place too, a block of rows
//! converted to float64 at a time. For the rest, every other layout is copied once into a
//! row-major float64 buffer, with the GIL released: float32 (the scores compute in float64),
//! Fortran order (blocked transpose) and non-contiguous views (element by element).

use numpy::ndarray::{s, ArrayView2, Axis};
use numpy::{PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::errors::{ZooErr, ZooResult};
use zoorank_scores::RowBlocks;

/// A 2-D float array borrowed from Python.
pub enum Borrowed<'py> {
    /// float64.
    F64(PyReadonlyArray2<'py, f64>),
    /// float32.
    F32(PyReadonlyArray2<'py, f32>),
}

/// A view of a [`Borrowed`] array that may cross into code without the GIL.
#[derive(Clone, Copy)]
pub enum View<'a> {
    /// float64.
    F64(ArrayView2<'a, f64>),
    /// float32.
    F32(ArrayView2<'a, f32>),
}

impl<'py> Borrowed<'py> {
    /// `obj` as a 2-D float32/float64 numpy array named `what` in errors.
    pub fn from_py(obj: &Bound<'py, PyAny>, what: &str) -> ZooResult<Borrowed<'py>> {
        if let Ok(a) = obj.cast::<PyArray2<f64>>() {
            return readonly(a, what).map(Borrowed::F64);
        }
        if let Ok(a) = obj.cast::<PyArray2<f32>>() {
            return readonly(a, what).map(Borrowed::F32);
        }
        Err(ZooErr::value(match obj.cast::<PyUntypedArray>() {
            Ok(a) if a.ndim() != 2 => format!(
                "{what} must be a 2-D array (n_samples, n_columns), got shape {:?}",
                a.shape()
            ),
            Ok(a) => format!(
                "{what} must be a float32 or float64 array, got dtype {}",
                a.dtype()
            ),
            Err(_) => format!(
                "{what} must be a numpy array, got {}",
                obj.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ),
        }))
    }

    /// The array's view.
    pub fn view(&self) -> View<'_> {
        match self {
            Borrowed::F64(a) => View::F64(a.as_array()),
            Borrowed::F32(a) => View::F32(a.as_array()),
        }
    }
}

fn readonly<'py, T: numpy::Element>(
    a: &Bound<'py, PyArray2<T>>,
    what: &str,
) -> ZooResult<PyReadonlyArray2<'py, T>> {
    a.try_readonly().map_err(|e| {
        ZooErr::value(format!(
            "{what}: the array is being written by other Rust code ({e})"
        ))
    })
}

impl View<'_> {
    /// (rows, columns).
    pub fn shape(&self) -> (usize, usize) {
        let d = match self {
            View::F64(a) => a.dim(),
            View::F32(a) => a.dim(),
        };
        (d.0, d.1)
    }

    /// The values row-major: borrowed when the array is C-contiguous float64, else copied
    /// into `buf` once.
    pub fn row_major<'s>(&'s self, buf: &'s mut Vec<f64>) -> &'s [f64] {
        match self {
            View::F64(a) => match a.as_slice() {
                Some(s) => s,
                None => {
                    *buf = copy_row_major(a);
                    buf
                }
            },
            View::F32(a) => {
                *buf = copy_row_major(a);
                buf
            }
        }
    }

    /// Whether [`View::row_major`] reads the array in place.
    pub fn is_zero_copy(&self) -> bool {
        matches!(self, View::F64(a) if a.as_slice().is_some())
    }
}

/// Rows per block of the Fortran-order transpose: a block's output (`ROWS × cols` float64)
/// stays in cache while its columns are read.
const ROWS: usize = 64;

/// `a` as row-major float64 values.
fn copy_row_major<T: Copy + Into<f64>>(a: &ArrayView2<'_, T>) -> Vec<f64> {
    let (n, d) = a.dim();
    if let Some(s) = a.as_slice() {
        return s.iter().map(|&v| v.into()).collect();
    }
    let t = a.t();
    if let Some(cols) = t.as_slice() {
        // Fortran order: column j is cols[j*n..(j+1)*n].
        let mut out = vec![0.0f64; n * d];
        for i0 in (0..n).step_by(ROWS) {
            let i1 = (i0 + ROWS).min(n);
            for j in 0..d {
                let col = &cols[j * n + i0..j * n + i1];
                for (k, &v) in col.iter().enumerate() {
                    out[(i0 + k) * d + j] = v.into();
                }
            }
        }
        return out;
    }
    let mut out = Vec::with_capacity(n * d);
    out.extend(a.iter().map(|&v| v.into()));
    out
}

/// Blocks of rows converted to float64 as the scores read them, from any layout (see
/// `zoorank_scores::RowBlocks`): float32 or float64, C or Fortran order, strided views.
impl RowBlocks for View<'_> {
    fn shape(&self) -> (usize, usize) {
        View::shape(self)
    }

    fn read_rows(&self, first: usize, out: &mut [f64]) {
        match self {
            View::F64(a) => read_rows(a, first, out),
            View::F32(a) => read_rows(a, first, out),
        }
    }
}

/// Rows `first..` of `a` into `out` (row-major), reading along whichever axis is contiguous.
fn read_rows<T: Copy + Into<f64>>(a: &ArrayView2<'_, T>, first: usize, out: &mut [f64]) {
    let d = a.ncols();
    if d == 0 {
        return;
    }
    let len = out.len() / d;
    let block = a.slice(s![first..first + len, ..]);
    if block.stride_of(Axis(0)) == 1 && len > 1 {
        // Fortran order: each column's run of `len` values is contiguous.
        for (j, col) in block.columns().into_iter().enumerate() {
            for (i, &v) in col.iter().enumerate() {
                out[i * d + j] = v.into();
            }
        }
    } else {
        for (o, &v) in out.iter_mut().zip(block.iter()) {
            *o = v.into();
        }
    }
}
