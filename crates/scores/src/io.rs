//! Reading feature matrices and label vectors from `.npy`, `.npz` and CSV files.
//!
//! * `.npy`: float32/float64 or (unsigned) 8- to 64-bit integer arrays, either byte order,
//!   C or Fortran order. Anything else (complex, bool, strings, structured or object arrays)
//!   is refused with [`ReadError::DType`] naming the dtype.
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
    /// An unsigned 64-bit value does not fit in `i64`.
    #[error("{path}: value {value} at index {index} does not fit in a signed 64-bit integer")]
    OutOfRange {
        /// File.
        path: PathBuf,
        /// Position (row-major).
        index: usize,
        /// Value found.
        value: u64,
    },
    /// A `.npy` file holds more data than its header's shape and dtype describe.
    #[error(
        "{path}: the header's shape {shape:?} of `{dtype}` needs {needs} data bytes, \
         the file has {has} (not written by numpy, or two arrays in one file?)"
    )]
    DataLength {
        /// File.
        path: PathBuf,
        /// Shape in the header.
        shape: Vec<u64>,
        /// The dtype as numpy writes it.
        dtype: String,
        /// Data bytes the header describes.
        needs: u64,
        /// Data bytes after the header.
        has: u64,
    },
    /// A `.npy` header (or that of an `.npz` member) that is refused before it is parsed: too
    /// long, nested too deep, a string left open, or a shape with more elements than 64 bits
    /// count.
    #[error("{path}: malformed .npy header: {reason}")]
    Header {
        /// File.
        path: PathBuf,
        /// What is wrong.
        reason: String,
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

/// The dtype as numpy writes it (`<c16`, `<U3`), without the quotes of the header.
fn descr(dtype: &DType) -> String {
    dtype.descr().trim_matches('\'').to_string()
}

/// The values of `npy`, stored as `T`, converted losslessly to `U`.
fn widen<R: Read, T: npyz::Deserialize, U: From<T>>(npy: NpyFile<R>) -> std::io::Result<Vec<U>> {
    Ok(npy.into_vec::<T>()?.into_iter().map(U::from).collect())
}

/// The row-major copy of a column-major `(r, c)` array.
fn to_row_major<T: Copy>(v: &[T], r: usize, c: usize) -> Vec<T> {
    (0..r * c).map(|ij| v[(ij % c) * r + ij / c]).collect()
}

fn read_npy<R: Read>(npy: NpyFile<R>, path: &Path) -> Result<Raw, ReadError> {
    let shape = npy.shape().to_vec();
    let order = npy.order();
    let dtype = npy.dtype();
    let DType::Plain(ts) = &dtype else {
        return Err(ReadError::DType {
            path: path.to_path_buf(),
            dtype: descr(&dtype),
        });
    };
    let e = io_err(path);
    let values = match (ts.type_char(), ts.size_field()) {
        (TypeChar::Float, 4) => Values::Float(widen::<_, f32, f64>(npy).map_err(e)?),
        (TypeChar::Float, 8) => Values::Float(npy.into_vec::<f64>().map_err(e)?),
        (TypeChar::Int, 1) => Values::Int(widen::<_, i8, i64>(npy).map_err(e)?),
        (TypeChar::Int, 2) => Values::Int(widen::<_, i16, i64>(npy).map_err(e)?),
        (TypeChar::Int, 4) => Values::Int(widen::<_, i32, i64>(npy).map_err(e)?),
        (TypeChar::Int, 8) => Values::Int(npy.into_vec::<i64>().map_err(e)?),
        (TypeChar::Uint, 1) => Values::Int(widen::<_, u8, i64>(npy).map_err(e)?),
        (TypeChar::Uint, 2) => Values::Int(widen::<_, u16, i64>(npy).map_err(e)?),
        (TypeChar::Uint, 4) => Values::Int(widen::<_, u32, i64>(npy).map_err(e)?),
        (TypeChar::Uint, 8) => {
            let v = npy.into_vec::<u64>().map_err(e)?;
            let ints = v
                .iter()
                .enumerate()
                .map(|(index, &x)| {
                    i64::try_from(x).map_err(|_| ReadError::OutOfRange {
                        path: path.to_path_buf(),
                        index,
                        value: x,
                    })
                })
                .collect::<Result<Vec<i64>, _>>()?;
            Values::Int(ints)
        }
        _ => {
            return Err(ReadError::DType {
                path: path.to_path_buf(),
                dtype: descr(&dtype),
            })
        }
    };
    let values = if order == Order::Fortran && shape.len() == 2 {
        let (r, c) = (shape[0] as usize, shape[1] as usize);
        match values {
            Values::Float(v) => Values::Float(to_row_major(&v, r, c)),
            Values::Int(v) => Values::Int(to_row_major(&v, r, c)),
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
            let file_len = file.metadata().map_err(io_err(&path))?.len();
            let npy = open_npy(std::io::BufReader::new(file), &path)?;
            check_npy_length(&npy, &path, file_len)?;
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
            if !names.contains(&name) {
                return Err(ReadError::Npz {
                    reason: format!("no array named `{name}`"),
                    path,
                    names,
                });
            }
            let member = npyz::npz::file_name_from_array_name(&name);
            let file = archive
                .zip_archive()
                .by_name(&member)
                .map_err(|e| ReadError::Io {
                    path: path.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
                })?;
            let npy = open_npy(file, &path)?;
            read_npy(npy, &path)
        }
        Some("csv") => read_csv(&path),
        _ => Err(ReadError::Extension { path }),
    }
}

/// A `.npy` stream's header checked where npyz would hang or overflow
/// ([`zoorank_core::npy::open_checked`]), then read by npyz.
fn open_npy<R: Read>(r: R, path: &Path) -> Result<zoorank_core::npy::CheckedNpy<R>, ReadError> {
    zoorank_core::npy::open_checked(r).map_err(|e| match e {
        zoorank_core::npy::NpyOpenError::Io(e) => io_err(path)(e),
        zoorank_core::npy::NpyOpenError::Header(reason) => ReadError::Header {
            path: path.to_path_buf(),
            reason,
        },
    })
}

/// Compares the data bytes after a `.npy` header with what its shape and dtype need: a
/// truncated file is an [`ReadError::Io`] of kind `UnexpectedEof`, a longer one
/// [`ReadError::DataLength`]; both name the two sizes.
fn check_npy_length<R: Read>(
    npy: &NpyFile<R>,
    path: &Path,
    file_len: u64,
) -> Result<(), ReadError> {
    let header = npy.header();
    let dtype = header.dtype();
    let Some(item) = dtype.num_bytes() else {
        // Not a fixed-size dtype: `read_npy` refuses it by name.
        return Ok(());
    };
    // `None`: more than 2^64 bytes.
    let needs = header
        .shape()
        .iter()
        .try_fold(item as u64, |n, &d| n.checked_mul(d));
    // Magic (6) + version (2) + header length (2 bytes in version 1, 4 after) + header.
    let mut head = [0u8; 12];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map_err(io_err(path))?;
    let offset = if head[6] == 1 {
        10 + u64::from(u16::from_le_bytes([head[8], head[9]]))
    } else {
        12 + u64::from(u32::from_le_bytes([head[8], head[9], head[10], head[11]]))
    };
    let has = file_len.saturating_sub(offset);
    let shape = header.shape().to_vec();
    let Some(needs) = needs else {
        return Err(ReadError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "truncated: the header's shape {shape:?} of `{}` needs more than {} data \
                     bytes, the file has {has}",
                    descr(&dtype),
                    u64::MAX
                ),
            ),
        });
    };
    if has < needs {
        return Err(ReadError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "truncated: the header's shape {shape:?} of `{}` needs {needs} data bytes, \
                     the file has {has}",
                    descr(&dtype)
                ),
            ),
        });
    }
    if has > needs {
        return Err(ReadError::DataLength {
            path: path.to_path_buf(),
            shape,
            dtype: descr(&dtype),
            needs,
            has,
        });
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    //! Read paths: every supported dtype and layout, and a clear error for everything else.
    //! The `.npy` files are written byte by byte here (format version 1.0), so the exotic
    //! dtypes need no numpy; the `.npz` archive is one numpy wrote (`make_fixtures.py`).

    use super::*;
    use crate::{by_id, ScoreError, ScoreInput};
    use std::io::Write;
    use zoorank_core::npy;

    /// A `.npy` (format 1.0) with this header and raw little-/big-endian payload.
    fn npy_bytes(descr: &str, fortran: bool, shape: &[usize], payload: &[u8]) -> Vec<u8> {
        npy::with_header(&npy::array_header(descr, fortran, shape), payload)
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
        path
    }

    fn le<T: Copy, const N: usize>(values: &[T], to: fn(T) -> [u8; N]) -> Vec<u8> {
        values.iter().flat_map(|&v| to(v)).collect()
    }

    /// A scratch directory, removed when dropped.
    struct Scratch(PathBuf);

    impl std::ops::Deref for Scratch {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn tmp() -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "zoorank-scores-io-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn reference(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/reference/data")
            .join(name)
    }

    #[test]
    fn float32_features_are_widened_exactly() {
        let dir = tmp();
        let v = [1.5f32, -0.1, 3.0e-8, 7.0, 1.0e30, 0.0];
        let path = write(
            &dir,
            "f32.npy",
            &npy_bytes("<f4", false, &[3, 2], &le(&v, f32::to_le_bytes)),
        );
        let m = read_matrix(&path).unwrap();
        assert_eq!((m.rows, m.cols), (3, 2));
        let want: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
        assert_eq!(m.data, want);
    }

    #[test]
    fn fortran_order_is_transposed_to_rows() {
        let dir = tmp();
        // The 2 x 3 matrix [[1, 2, 3], [4, 5, 6]] stored column by column.
        let col_major = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0];
        let path = write(
            &dir,
            "fortran.npy",
            &npy_bytes("<f8", true, &[2, 3], &le(&col_major, f64::to_le_bytes)),
        );
        let m = read_matrix(&path).unwrap();
        assert_eq!((m.rows, m.cols), (2, 3));
        assert_eq!(m.data, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        // Integer features in Fortran order, and big-endian floats.
        let ints = [1i32, 4, 2, 5, 3, 6];
        let path = write(
            &dir,
            "fortran_i4.npy",
            &npy_bytes("<i4", true, &[2, 3], &le(&ints, i32::to_le_bytes)),
        );
        assert_eq!(read_matrix(&path).unwrap().data, m.data);
        let path = write(
            &dir,
            "big.npy",
            &npy_bytes(">f8", false, &[2, 3], &le(&m.data, f64::to_be_bytes)),
        );
        assert_eq!(read_matrix(&path).unwrap().data, m.data);
    }

    #[test]
    fn integer_labels_of_every_width_are_read() {
        let dir = tmp();
        let want = vec![3i64, 0, 255, 7];
        let files = [
            ("<i4", le(&[3i32, 0, 255, 7], i32::to_le_bytes)),
            ("<i8", le(&[3i64, 0, 255, 7], i64::to_le_bytes)),
            ("|u1", vec![3u8, 0, 255, 7]),
            ("<i2", le(&[3i16, 0, 255, 7], i16::to_le_bytes)),
            ("<u4", le(&[3u32, 0, 255, 7], u32::to_le_bytes)),
            ("<u8", le(&[3u64, 0, 255, 7], u64::to_le_bytes)),
            (">i8", le(&[3i64, 0, 255, 7], i64::to_be_bytes)),
            ("<f8", le(&[3.0f64, 0.0, 255.0, 7.0], f64::to_le_bytes)),
        ];
        for (descr, payload) in &files {
            let path = write(&dir, "y.npy", &npy_bytes(descr, false, &[4], payload));
            assert_eq!(read_labels(&path).unwrap(), want, "{descr}");
            // A column vector (n, 1) is a label vector too.
            let path = write(&dir, "y1.npy", &npy_bytes(descr, false, &[4, 1], payload));
            assert_eq!(read_labels(&path).unwrap(), want, "{descr} (n, 1)");
        }
        let i8s = write(&dir, "i1.npy", &npy_bytes("|i1", false, &[2], &[0xff, 5]));
        assert_eq!(read_labels(&i8s).unwrap(), [-1, 5]);
    }

    #[test]
    fn labels_that_are_not_integers_are_refused() {
        let dir = tmp();
        let path = write(
            &dir,
            "y.npy",
            &npy_bytes("<f8", false, &[3], &le(&[0.0, 1.5, 2.0], f64::to_le_bytes)),
        );
        let err = read_labels(&path).unwrap_err();
        assert!(
            matches!(err, ReadError::NotInteger { index: 1, value, .. } if value == 1.5),
            "{err}"
        );
        let path = write(
            &dir,
            "big.npy",
            &npy_bytes("<u8", false, &[2], &le(&[1u64, u64::MAX], u64::to_le_bytes)),
        );
        let err = read_labels(&path).unwrap_err();
        assert!(
            matches!(err, ReadError::OutOfRange { index: 1, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("does not fit"), "{err}");
    }

    #[test]
    fn unsupported_dtypes_are_named() {
        let dir = tmp();
        let cases: [(&str, usize); 5] = [
            ("<c16", 16), // complex128
            ("<c8", 8),   // complex64
            ("<U3", 12),  // unicode strings
            ("|S4", 4),   // byte strings
            ("|b1", 1),   // bool
        ];
        for (descr, size) in cases {
            let path = write(
                &dir,
                "bad.npy",
                &npy_bytes(descr, false, &[2, 2], &vec![0u8; 4 * size]),
            );
            for err in [
                read_matrix(&path).unwrap_err(),
                read_labels(&path).map(|_| ()).unwrap_err(),
            ] {
                assert!(matches!(err, ReadError::DType { .. }), "{descr}: {err}");
                let msg = err.to_string();
                assert!(
                    msg.contains(&format!("unsupported dtype `{descr}`"))
                        && msg.contains("bad.npy"),
                    "{descr}: {msg}"
                );
            }
        }
        // Float16 is a float, but not one we read.
        let path = write(&dir, "f2.npy", &npy_bytes("<f2", false, &[2], &[0; 4]));
        assert!(matches!(
            read_matrix(&path).unwrap_err(),
            ReadError::DType { .. }
        ));
    }

    #[test]
    fn wrong_rank_is_refused_with_the_shape() {
        let dir = tmp();
        let zeros = vec![0u8; 8 * 8];
        let cube = write(
            &dir,
            "cube.npy",
            &npy_bytes("<f8", false, &[2, 2, 2], &zeros),
        );
        let err = read_matrix(&cube).unwrap_err();
        assert!(
            matches!(&err, ReadError::Shape { shape, .. } if shape == &[2, 2, 2]),
            "{err}"
        );
        assert!(err.to_string().contains("expected a 2-D"), "{err}");
        let scalar = write(
            &dir,
            "scalar.npy",
            &npy_bytes("<f8", false, &[], &zeros[..8]),
        );
        assert!(matches!(
            read_matrix(&scalar).unwrap_err(),
            ReadError::Shape { .. }
        ));
        let wide = write(
            &dir,
            "wide.npy",
            &npy_bytes("<i8", false, &[2, 3], &zeros[..48]),
        );
        let err = read_labels(&wide).unwrap_err();
        assert!(
            err.to_string().contains("expected a 1-D label vector"),
            "{err}"
        );
        // A 1-D array of features is one column.
        let col = write(
            &dir,
            "col.npy",
            &npy_bytes("<f8", false, &[4], &zeros[..32]),
        );
        let m = read_matrix(&col).unwrap();
        assert_eq!((m.rows, m.cols), (4, 1));
    }

    #[test]
    fn truncated_and_garbled_files_are_errors_not_panics() {
        let dir = tmp();
        let full = npy_bytes("<f8", false, &[3, 2], &[0u8; 48]);
        let cut = write(&dir, "cut.npy", &full[..full.len() - 5]);
        assert!(matches!(
            read_matrix(&cut).unwrap_err(),
            ReadError::Io { .. }
        ));
        let junk = write(&dir, "junk.npy", b"not an array at all");
        assert!(matches!(
            read_matrix(&junk).unwrap_err(),
            ReadError::Io { .. }
        ));
        let err = read_matrix(&dir.join("absent.npy")).unwrap_err();
        assert!(err.to_string().contains("absent.npy"), "{err}");
        let err = read_matrix(&write(&dir, "x.txt", b"1,2")).unwrap_err();
        assert!(matches!(err, ReadError::Extension { .. }), "{err}");
    }

    #[test]
    fn a_truncated_npy_says_how_many_bytes_it_needs_and_has() {
        let dir = tmp();
        let full = npy_bytes("<f8", false, &[3, 2], &[0u8; 48]);
        let cut = write(&dir, "cut.npy", &full[..full.len() - 5]);
        let err = read_matrix(&cut).unwrap_err();
        let ReadError::Io { source, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(source.kind(), std::io::ErrorKind::UnexpectedEof);
        let msg = err.to_string();
        assert!(
            msg.contains("cut.npy") && msg.contains("needs 48 data bytes"),
            "{msg}"
        );
        assert!(
            msg.contains("the file has 43") && msg.contains("[3, 2]"),
            "{msg}"
        );
    }

    #[test]
    fn a_npy_longer_than_its_header_shape_is_refused_with_both_sizes() {
        let dir = tmp();
        // A real file as numpy writes it, with 8 bytes (one more float64) appended.
        let mut bytes = std::fs::read(reference("iris_x.npy")).unwrap();
        bytes.extend(1.5f64.to_le_bytes());
        let long = write(&dir, "long.npy", &bytes);
        let err = read_matrix(&long).unwrap_err();
        assert!(
            matches!(
                &err,
                ReadError::DataLength { shape, needs: 4800, has: 4808, .. } if shape == &[150, 4]
            ),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains("long.npy") && msg.contains("4800") && msg.contains("4808"));
        // The same file cut short names both sizes too.
        let short = write(&dir, "short.npy", &bytes[..bytes.len() - 24]);
        let msg = read_matrix(&short).unwrap_err().to_string();
        assert!(
            msg.contains("needs 4800") && msg.contains("has 4784"),
            "{msg}"
        );
    }

    /// The error reading `header` (with `payload`) as a `.npy` matrix.
    fn header_error(dir: &Path, header: &str, payload: &[u8]) -> ReadError {
        let path = write(dir, "h.npy", &npy::with_header(header, payload));
        read_matrix(&path).unwrap_err()
    }

    #[test]
    fn deeply_nested_npy_headers_are_refused_before_npyz_parses_them() {
        // npyz's parser backtracks exponentially on unclosed brackets: 90 of them took hours.
        let dir = tmp();
        let start = "{'descr': '<f4', 'fortran_order': False, 'shape': ";
        for open in ["[", "{", "(", "['a]', ", "{'x': "] {
            let err = header_error(&dir, &format!("{start}{}", open.repeat(90)), &[]);
            let msg = err.to_string();
            assert!(matches!(err, ReadError::Header { .. }), "{open}: {msg}");
            assert!(
                msg.contains("h.npy") && msg.contains("nested more than 8 deep"),
                "{msg}"
            );
        }
        // At the limit the parse is answered (here: refused by npyz) in well under a second.
        for open in ["[", "{", "{'x': "] {
            let nested = format!("{{'descr': '<f4', 'x': {}", open.repeat(7));
            let started = std::time::Instant::now();
            let err = header_error(&dir, &nested, &[]);
            assert!(matches!(err, ReadError::Io { .. }), "{err}");
            assert!(
                started.elapsed().as_secs_f64() < 1.0,
                "{:?}",
                started.elapsed()
            );
        }
        // Brackets inside strings do not count, and numpy's structured dtypes nest a few levels.
        let names = format!(
            "{{'descr': [('{}', '<f4')], 'fortran_order': False, 'shape': (1,), }}",
            "[".repeat(20)
        );
        let err = header_error(&dir, &names, &[0; 4]);
        assert!(matches!(err, ReadError::DType { .. }), "{err}");
    }

    #[test]
    fn npy_headers_that_are_too_long_or_leave_a_string_open_are_refused() {
        let dir = tmp();
        let long = format!(
            "{{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': '{}'}}",
            "a".repeat(20_000)
        );
        let msg = header_error(&dir, &long, &[0; 4]).to_string();
        assert!(
            msg.contains("bytes long") && msg.contains("at most 10000"),
            "{msg}"
        );
        let open = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 'abc}";
        let msg = header_error(&dir, open, &[0; 4]).to_string();
        assert!(
            msg.contains("string opened at byte 61 is not closed"),
            "{msg}"
        );
    }

    #[test]
    fn shapes_whose_size_overflows_are_refused_not_wrapped() {
        let dir = tmp();
        // 2^32 * 2^32 elements: more than 64 bits count.
        let huge = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }";
        let err = header_error(&dir, huge, &[0; 4]);
        assert!(matches!(err, ReadError::Header { .. }), "{err}");
        assert!(err.to_string().contains("more than 2^64 elements"), "{err}");
        // 2^62 float64 elements count, but their bytes do not: a truncated file, not a wrap.
        let bytes = "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }";
        let err = header_error(&dir, bytes, &[0; 8]);
        let msg = err.to_string();
        assert!(
            msg.contains("needs more than 18446744073709551615 data bytes"),
            "{msg}"
        );
        assert!(msg.contains("the file has 8"), "{msg}");
    }

    #[test]
    fn npz_members_are_picked_by_name() {
        // numpy's `savez_compressed(x=float64 (300, 20), y=int32 (300,), p=float64 (300, 8))`.
        let npz = reference("gaussian.npz");
        let spec = |name: &str| PathBuf::from(format!("{}:{name}", npz.display()));
        let x = read_matrix(&spec("x")).unwrap();
        let y = read_labels(&spec("y")).unwrap();
        let p = read_matrix(&spec("p")).unwrap();
        assert_eq!((x.rows, x.cols, y.len(), p.cols), (300, 20, 300, 8));
        // The same values as the separate .npy files.
        assert_eq!(x, read_matrix(&reference("gaussian_x.npy")).unwrap());
        assert_eq!(y, read_labels(&reference("gaussian_y.npy")).unwrap());
        assert_eq!(p, read_matrix(&reference("gaussian_p.npy")).unwrap());
        // Several arrays and none named: the error lists them.
        let err = read_matrix(&npz).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ReadError::Npz { .. }), "{msg}");
        assert!(
            msg.contains("3 arrays and none named") && msg.contains("\"x\""),
            "{msg}"
        );
        let err = read_matrix(&spec("features")).unwrap_err();
        assert!(
            err.to_string().contains("no array named `features`"),
            "{err}"
        );
    }

    #[test]
    fn a_single_array_npz_needs_no_name() {
        let dir = tmp();
        let path = dir.join("one.npz");
        let mut w = npyz::npz::NpzWriter::create(&path).unwrap();
        w.zip_writer()
            .start_file("labels.npy", Default::default())
            .unwrap();
        w.zip_writer()
            .write_all(&npy_bytes("|u1", false, &[3], &[2, 0, 1]))
            .unwrap();
        drop(w);
        assert_eq!(read_labels(&path).unwrap(), [2, 0, 1]);
    }

    #[test]
    fn csv_headers_and_ragged_rows() {
        let dir = tmp();
        let ok = write(&dir, "x.csv", b"f0, f1\n1, 2\n\n3.5, -4e-3\n");
        let m = read_matrix(&ok).unwrap();
        assert_eq!(
            (m.rows, m.cols, m.data.clone()),
            (2, 2, vec![1.0, 2.0, 3.5, -4e-3])
        );
        let ragged = write(&dir, "r.csv", b"1,2\n3\n");
        let err = read_matrix(&ragged).unwrap_err();
        assert!(
            err.to_string().contains("r.csv:2: 1 fields, expected 2"),
            "{err}"
        );
        let text = write(&dir, "t.csv", b"1,2\n3,abc\n");
        assert!(read_matrix(&text)
            .unwrap_err()
            .to_string()
            .contains("t.csv:2"));
    }

    #[test]
    fn mismatched_lengths_are_refused_when_scoring() {
        let dir = tmp();
        let x = write(
            &dir,
            "x.npy",
            &npy_bytes("<f4", false, &[4, 2], &le(&[0.0f32; 8], f32::to_le_bytes)),
        );
        let y = write(&dir, "y.npy", &npy_bytes("|u1", false, &[3], &[0, 1, 1]));
        let (x, y) = (read_matrix(&x).unwrap(), read_labels(&y).unwrap());
        let err = by_id("logme")
            .unwrap()
            .score(&ScoreInput::features(x.view().unwrap(), &y))
            .unwrap_err();
        assert_eq!(
            err,
            ScoreError::LengthMismatch {
                what: "features",
                expected: 3,
                got: 4
            }
        );
        assert_eq!(
            err.to_string(),
            "features has 4 rows but there are 3 labels"
        );
    }
}
