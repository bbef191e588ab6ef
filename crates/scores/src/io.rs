//! Reading feature matrices and label vectors from `.npy`, `.npz` and CSV files.
//!
//! * `.npy`: float32/float64 or (unsigned) integer arrays, C or Fortran order.
//! * `.npz`: `file.npz` when the archive holds one array, else `file.npz:NAME`.
//! * `.csv`: comma-separated numbers, one row per sample; a first line that does not parse as
//!   numbers is taken as a header.
//!
//! Matrices are 2-D `(rows, cols)` (a 1-D array is one column); labels are 1-D or `(n, 1)`
//! integers (floats are accepted when every value is integral).

use crate::error::ScoreError;
use crate::input::Matrix;
use npyz::{DType, NpyFile, Order, TypeChar};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file could not be read as an array.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file could not be opened or decoded.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The element type is not a real number or an integer.
    #[error("{path}: unsupported dtype `{dtype}` (expected float32, float64 or an integer type)")]
    DType {
        /// File.
        path: PathBuf,
        /// The dtype as numpy writes it.
        dtype: String,
    },
    /// The array has the wrong number of dimensions.
    #[error("{path}: expected {expected}, got shape {shape:?}")]
    Shape {
        /// File.
        path: PathBuf,
        /// What was expected.
        expected: &'static str,
        /// Shape found.
        shape: Vec<u64>,
    },
    /// A CSV line is malformed.
    #[error("{path}:{line}: {reason}")]
    Csv {
        /// File.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A `.npz` archive holds several arrays and none was named, or the named one is absent.
    #[error("{path}: {reason}; arrays in the archive: {names:?} (name one as `FILE.npz:NAME`)")]
    Npz {
        /// File.
        path: PathBuf,
        /// What is wrong.
        reason: String,
        /// Arrays present.
        names: Vec<String>,
    },
    /// A label is not an integer.
    #[error("{path}: label {value} at index {index} is not an integer")]
    NotInteger {
        /// File.
        path: PathBuf,
        /// Position.
        index: usize,
        /// Value found.
        value: f64,
    },
    /// The extension is none of `.npy`, `.npz`, `.csv`.
    #[error("{path}: unknown file type (use .npy, .npz or .csv)")]
    Extension {
        /// File.
        path: PathBuf,
    },
}

/// An owned row-major `(rows, cols)` matrix of `f64`.
#[derive(Debug, Clone, PartialEq)]
pub struct Array2 {
    /// Row-major values.
    pub data: Vec<f64>,
    /// Rows (samples).
    pub rows: usize,
    /// Columns.
    pub cols: usize,
}

impl Array2 {
    /// A borrowed view for scoring.
    ///
    /// # Errors
    /// Never in practice (the shape is consistent by construction); kept typed.
    pub fn view(&self) -> Result<Matrix<'_>, ScoreError> {
        Matrix::new(&self.data, self.rows, self.cols)
    }
}

enum Values {
    Float(Vec<f64>),
    Int(Vec<i64>),
}

struct Raw {
    values: Values,
    shape: Vec<u64>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ReadError + '_ {
    move |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read_npy<R: Read>(npy: NpyFile<R>, path: &Path) -> Result<Raw, ReadError> {
    let shape = npy.shape().to_vec();
    let order = npy.order();
    let dtype = npy.dtype();
    let DType::Plain(ts) = &dtype else {
        return Err(ReadError::DType {
            path: path.to_path_buf(),
            dtype: dtype.descr(),
        });
    };
    let e = io_err(path);
    let values = match (ts.type_char(), ts.size_field()) {
        (TypeChar::Float, 4) => Values::Float(
            npy.into_vec::<f32>()
                .map_err(e)?
                .into_iter()
                .map(f64::from)
                .collect(),
        ),
        (TypeChar::Float, 8) => Values::Float(npy.into_vec::<f64>().map_err(e)?),
        (TypeChar::Int, 1) => Values::Int(
            npy.into_vec::<i8>()
                .map_err(e)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (TypeChar::Int, 2) => Values::Int(
            npy.into_vec::<i16>()
                .map_err(e)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (TypeChar::Int, 4) => Values::Int(
            npy.into_vec::<i32>()
                .map_err(e)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (TypeChar::Int, 8) => Values::Int(npy.into_vec::<i64>().map_err(e)?),
        (TypeChar::Uint, 1) => Values::Int(
            npy.into_vec::<u8>()
                .map_err(e)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (TypeChar::Uint, 2) => Values::Int(
            npy.into_vec::<u16>()
                .map_err(e)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (TypeChar::Uint, 4) => Values::Int(
            npy.into_vec::<u32>()
                .map_err(e)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        _ => {
            return Err(ReadError::DType {
                path: path.to_path_buf(),
                dtype: dtype.descr(),
            })
        }
    };
    let values = if order == Order::Fortran && shape.len() == 2 {
        let (r, c) = (shape[0] as usize, shape[1] as usize);
        let tr = |v: &[f64]| {
            (0..r * c)
                .map(|ij| v[(ij % c) * r + ij / c])
                .collect::<Vec<_>>()
        };
        match values {
            Values::Float(v) => Values::Float(tr(&v)),
            Values::Int(v) => {
                let t: Vec<i64> = (0..r * c).map(|ij| v[(ij % c) * r + ij / c]).collect();
                Values::Int(t)
            }
        }
    } else {
        values
    };
    Ok(Raw { values, shape })
}

fn read_csv(path: &Path) -> Result<Raw, ReadError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    let mut values = Vec::new();
    let mut rows = 0usize;
    let mut cols = None;
    for (lineno, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parsed: Result<Vec<f64>, _> =
            line.split(',').map(|t| t.trim().parse::<f64>()).collect();
        let fields = match parsed {
            Ok(f) => f,
            Err(_) if rows == 0 && cols.is_none() => {
                cols = Some(line.split(',').count());
                continue; // header
            }
            Err(err) => {
                return Err(ReadError::Csv {
                    path: path.to_path_buf(),
                    line: lineno + 1,
                    reason: format!("not a number ({err})"),
                })
            }
        };
        match cols {
            Some(c) if c != fields.len() => {
                return Err(ReadError::Csv {
                    path: path.to_path_buf(),
                    line: lineno + 1,
                    reason: format!("{} fields, expected {c}", fields.len()),
                })
            }
            _ => cols = Some(fields.len()),
        }
        values.extend(fields);
        rows += 1;
    }
    Ok(Raw {
        values: Values::Float(values),
        shape: vec![rows as u64, cols.unwrap_or(0) as u64],
    })
}

fn read_raw(spec: &Path) -> Result<Raw, ReadError> {
    let s = spec.to_string_lossy();
    // `file.npz:NAME` selects one array of an archive.
    let (path, member) = match s.rfind(".npz:") {
        Some(pos) => (PathBuf::from(&s[..pos + 4]), Some(s[pos + 5..].to_string())),
        None => (spec.to_path_buf(), None),
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("npy") => {
            let file = std::fs::File::open(&path).map_err(io_err(&path))?;
            let npy = NpyFile::new(std::io::BufReader::new(file)).map_err(io_err(&path))?;
            read_npy(npy, &path)
        }
        Some("npz") => {
            let mut archive = npyz::npz::NpzArchive::open(&path).map_err(io_err(&path))?;
            let names: Vec<String> = archive.array_names().map(str::to_string).collect();
            let name = match member {
                Some(m) => m,
                None if names.len() == 1 => names[0].clone(),
                None => {
                    return Err(ReadError::Npz {
                        path,
                        reason: format!("{} arrays and none named", names.len()),
                        names,
                    })
                }
            };
            let npy = archive.by_name(&name).map_err(io_err(&path))?;
            match npy {
                Some(npy) => read_npy(npy, &path),
                None => Err(ReadError::Npz {
                    reason: format!("no array named `{name}`"),
                    path,
                    names,
                }),
            }
        }
        Some("csv") => read_csv(&path),
        _ => Err(ReadError::Extension { path }),
    }
}

/// Reads a 2-D matrix (a 1-D array becomes one column).
///
/// # Errors
/// [`ReadError`] naming the file and what is wrong.
pub fn read_matrix(path: &Path) -> Result<Array2, ReadError> {
    let raw = read_raw(path)?;
    let (rows, cols) = match raw.shape.as_slice() {
        [n] => (*n as usize, 1),
        [n, d] => (*n as usize, *d as usize),
        _ => {
            return Err(ReadError::Shape {
                path: path.to_path_buf(),
                expected: "a 2-D (samples x features) array",
                shape: raw.shape,
            })
        }
    };
    let data = match raw.values {
        Values::Float(v) => v,
        Values::Int(v) => v.into_iter().map(|x| x as f64).collect(),
    };
    Ok(Array2 { data, rows, cols })
}

/// Reads a label vector: 1-D or `(n, 1)` integers (integral floats accepted).
///
/// # Errors
/// [`ReadError`] naming the file and what is wrong.
pub fn read_labels(path: &Path) -> Result<Vec<i64>, ReadError> {
    let raw = read_raw(path)?;
    match raw.shape.as_slice() {
        [_] | [_, 1] => {}
        _ => {
            return Err(ReadError::Shape {
                path: path.to_path_buf(),
                expected: "a 1-D label vector",
                shape: raw.shape,
            })
        }
    }
    match raw.values {
        Values::Int(v) => Ok(v),
        Values::Float(v) => v
            .iter()
            .enumerate()
            .map(|(index, &value)| {
                if value.fract() == 0.0 && value.abs() < 9.0e15 {
                    Ok(value as i64)
                } else {
                    Err(ReadError::NotInteger {
                        path: path.to_path_buf(),
                        index,
                        value,
                    })
                }
            })
            .collect(),
    }
}
