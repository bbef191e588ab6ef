//! A CSV/TSV file read whole, with line numbers, header lookup by aliases and typed cells that
//! report file, line and column on failure.

use crate::{ImportError, Location, RowProblem};
use std::path::{Path, PathBuf};

/// One data row.
pub(crate) struct Row {
    /// 1-based line number in the file (header = line 1).
    pub line: u64,
    pub fields: Vec<String>,
}

/// A delimited file.
pub(crate) struct Table {
    pub path: PathBuf,
    pub header: Vec<String>,
    pub rows: Vec<Row>,
}

impl Table {
    /// Reads a delimited file. Rows may have any number of fields (checked by the caller via
    /// [`Table::check_width`]); a UTF-8 byte-order mark is ignored.
    pub fn read(path: &Path, delimiter: u8) -> Result<Table, ImportError> {
        let io = |e: std::io::Error| ImportError::Io {
            path: path.to_path_buf(),
            source: e,
        };
        let bytes = std::fs::read(path).map_err(io)?;
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut header: Option<Vec<String>> = None;
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                ImportError::BadRows {
                    problems: vec![RowProblem {
                        location: Location {
                            file: path.to_path_buf(),
                            line,
                            column: None,
                        },
                        message: format!("unreadable CSV: {e}"),
                    }],
                }
            })?;
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            let fields: Vec<String> = rec.iter().map(|s| s.to_string()).collect();
            if header.is_none() {
                header = Some(fields.iter().map(|s| s.trim().to_string()).collect());
                continue;
            }
            if fields.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            rows.push(Row { line, fields });
        }
        let Some(header) = header else {
            return Err(ImportError::Empty {
                path: path.to_path_buf(),
            });
        };
        Ok(Table {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    /// Index of the first of `aliases` present in the header.
    pub fn opt_col(&self, aliases: &[&str]) -> Option<usize> {
        aliases
            .iter()
            .find_map(|a| self.header.iter().position(|h| h == a))
    }

    /// Like [`Table::opt_col`], but a missing column is an error naming it.
    pub fn col(&self, aliases: &[&str]) -> Result<usize, ImportError> {
        self.opt_col(aliases)
            .ok_or_else(|| ImportError::MissingColumn {
                path: self.path.clone(),
                column: aliases.join("' or '"),
                header: self.header.join(", "),
            })
    }

    pub fn has(&self, name: &str) -> bool {
        self.header.iter().any(|h| h == name)
    }

    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// A problem at `row`, optionally in column `col`.
    pub fn problem(&self, row: &Row, col: Option<usize>, message: impl Into<String>) -> RowProblem {
        RowProblem {
            location: Location {
                file: self.path.clone(),
                line: row.line,
                column: col.map(|c| {
                    self.header
                        .get(c)
                        .cloned()
                        .unwrap_or_else(|| format!("#{}", c + 1))
                }),
            },
            message: message.into(),
        }
    }

    /// The row has no more fields than the header. A shorter row is read as pandas reads it:
    /// the missing trailing cells are empty (a required one then fails in [`Table::req_text`]).
    pub fn check_width(&self, row: &Row) -> Result<(), RowProblem> {
        self.width_problem(row, row.fields.len() <= self.header.len())
    }

    /// Exactly as many fields as the header (for matrices).
    pub fn check_exact_width(&self, row: &Row) -> Result<(), RowProblem> {
        self.width_problem(row, row.fields.len() == self.header.len())
    }

    fn width_problem(&self, row: &Row, ok: bool) -> Result<(), RowProblem> {
        if ok {
            return Ok(());
        }
        Err(self.problem(
            row,
            None,
            format!(
                "expected {} fields as in the header, found {}",
                self.header.len(),
                row.fields.len()
            ),
        ))
    }

    /// The trimmed cell, `None` when empty (or column absent).
    pub fn text<'r>(&self, row: &'r Row, col: Option<usize>) -> Option<&'r str> {
        let c = col?;
        let s = row.fields.get(c)?.trim();
        if s.is_empty() {
            None
        } else {
            Some(s)
        }
    }

    /// A required non-empty cell.
    pub fn req_text<'r>(&self, row: &'r Row, col: usize) -> Result<&'r str, RowProblem> {
        if col >= row.fields.len() {
            return Err(self.problem(
                row,
                Some(col),
                format!(
                    "row has only {} of the header's {} fields; this required cell is missing",
                    row.fields.len(),
                    self.header.len()
                ),
            ));
        }
        self.text(row, Some(col))
            .ok_or_else(|| self.problem(row, Some(col), "empty cell where a value is required"))
    }

    /// An optional number: empty → `None`; `nan`/`NaN` (pandas' missing value) → `None`;
    /// `224.0` is fine where an integer is meant; anything else unparsable or infinite is a
    /// problem naming the cell.
    pub fn opt_f64(&self, row: &Row, col: Option<usize>) -> Result<Option<f64>, RowProblem> {
        let Some(s) = self.text(row, col) else {
            return Ok(None);
        };
        if s.eq_ignore_ascii_case("nan") || s.eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(self.problem(row, col, format!("'{s}' is not a finite number"))),
        }
    }

    /// A required finite number.
    pub fn req_f64(&self, row: &Row, col: usize) -> Result<f64, RowProblem> {
        let s = self.req_text(row, col)?;
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.problem(row, Some(col), format!("'{s}' is not a finite number"))),
        }
    }
}

/// Collects problems; at the end either fails (strict) or hands them to the report.
#[derive(Default)]
pub(crate) struct Problems {
    pub list: Vec<RowProblem>,
}

impl Problems {
    pub fn push(&mut self, p: RowProblem) {
        self.list.push(p);
    }

    /// Strict mode: any problem refuses the import.
    pub fn finish(self, skip_bad_rows: bool) -> Result<Vec<RowProblem>, ImportError> {
        if !self.list.is_empty() && !skip_bad_rows {
            return Err(ImportError::BadRows {
                problems: self.list,
            });
        }
        Ok(self.list)
    }
}

/// Last-occurrence-wins de-duplication on a key; returns the kept items in first-seen key order
/// and how many were superseded.
pub(crate) fn dedup_last<T, K: std::hash::Hash + Eq + Clone>(
    items: Vec<T>,
    key: impl Fn(&T) -> K,
) -> (Vec<T>, usize) {
    let mut pos: std::collections::HashMap<K, usize> = std::collections::HashMap::new();
    let mut out: Vec<Option<T>> = Vec::with_capacity(items.len());
    let mut superseded = 0;
    for it in items {
        let k = key(&it);
        match pos.get(&k) {
            Some(&i) => {
                out[i] = Some(it);
                superseded += 1;
            }
            None => {
                pos.insert(k, out.len());
                out.push(Some(it));
            }
        }
    }
    (out.into_iter().flatten().collect(), superseded)
}
