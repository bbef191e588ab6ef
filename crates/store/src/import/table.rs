//! A CSV/TSV file read whole, with line numbers, header lookup by aliases and typed cells that
//! report file, line and column on failure.

use crate::{ImportError, Location, RecordRow, RowProblem};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use zoorank_core::{Modality, Model};

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
    /// [`Table::check_width`]); a UTF-8 byte-order mark is ignored. A data row that is not
    /// valid UTF-8 is left out and named in `problems` (refused unless bad rows are skipped); a
    /// header that is not, or that names one column twice, refuses the file.
    pub fn read(path: &Path, delimiter: u8, problems: &mut Problems) -> Result<Table, ImportError> {
        let bytes = std::fs::read(path).map_err(|e| ImportError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Table::parse(path, &bytes, delimiter, problems)
    }

    /// [`Table::read`] of bytes already in memory; `path` names them in messages.
    pub fn parse(
        path: &Path,
        bytes: &[u8],
        delimiter: u8,
        problems: &mut Problems,
    ) -> Result<Table, ImportError> {
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let at = |line: u64, message: String| RowProblem {
            location: Location {
                file: path.to_path_buf(),
                line,
                column: None,
            },
            message,
        };
        let mut header: Option<Vec<String>> = None;
        let mut rows = Vec::new();
        for rec in rdr.byte_records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                ImportError::Unreadable {
                    problem: at(line, format!("unreadable CSV: {e}")),
                }
            })?;
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            let fields = match utf8_fields(&rec) {
                Ok(f) => f,
                Err((field, e)) => {
                    let p = at(
                        line,
                        format!(
                            "field {} is not valid UTF-8 (invalid byte {} bytes into the field)",
                            field + 1,
                            e.valid_up_to()
                        ),
                    );
                    if header.is_none() {
                        return Err(ImportError::Unreadable { problem: p });
                    }
                    problems.push(p);
                    continue;
                }
            };
            if header.is_none() {
                let h: Vec<String> = fields.iter().map(|s| s.trim().to_string()).collect();
                check_unique(path, &h)?;
                header = Some(h);
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

    /// The first item of a cell holding a Python list (`['BertModel']`), `None` when empty; a
    /// malformed list is a problem naming the cell.
    pub fn first_of_list(
        &self,
        row: &Row,
        col: Option<usize>,
    ) -> Result<Option<String>, RowProblem> {
        match self.text(row, col) {
            None => Ok(None),
            Some(s) => parse_python_list(s)
                .map(|v| v.into_iter().next())
                .ok_or_else(|| self.problem(row, col, format!("malformed list '{s}'"))),
        }
    }

    /// The non-empty cells of the named columns not in `typed`, by column name (kept as a
    /// model's JSON `extra`).
    pub fn extra_cells(
        &self,
        row: &Row,
        typed: &HashSet<usize>,
    ) -> serde_json::Map<String, serde_json::Value> {
        let mut extra = serde_json::Map::new();
        for (i, h) in self.header.iter().enumerate() {
            if typed.contains(&i) || h.is_empty() {
                continue;
            }
            if let Some(v) = self.text(row, Some(i)) {
                extra.insert(h.clone(), serde_json::Value::String(v.to_string()));
            }
        }
        extra
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

fn utf8_fields(rec: &csv::ByteRecord) -> Result<Vec<String>, (usize, std::str::Utf8Error)> {
    rec.iter()
        .enumerate()
        .map(|(i, f)| {
            std::str::from_utf8(f)
                .map(str::to_string)
                .map_err(|e| (i, e))
        })
        .collect()
}

/// A header naming one column twice is ambiguous (which one holds the values?): refused,
/// naming both positions. Empty names (an unnamed index column) may repeat.
fn check_unique(path: &Path, header: &[String]) -> Result<(), ImportError> {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, h) in header.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        if let Some(&first) = seen.get(h.as_str()) {
            return Err(ImportError::DuplicateColumn {
                path: path.to_path_buf(),
                name: h.clone(),
                first: first + 1,
                second: i + 1,
            });
        }
        seen.insert(h, i);
    }
    Ok(())
}

/// The model-metadata columns of a table, found by their usual header names; the model id's
/// column, the source dataset's and the feature width's are the importers' own.
pub(crate) struct ModelColumns {
    architecture: Option<usize>,
    model_type: Option<usize>,
    num_parameters: Option<usize>,
    memory_bytes: Option<usize>,
    input_size: Option<usize>,
    upstream_accuracy: Option<usize>,
    num_labels: Option<usize>,
}

impl ModelColumns {
    pub fn find(t: &Table) -> ModelColumns {
        ModelColumns {
            architecture: t.opt_col(&["architectures", "architecture"]),
            model_type: t.opt_col(&["model_type"]),
            num_parameters: t.opt_col(&["number_of_parameters", "num_parameters", "parameters"]),
            memory_bytes: t.opt_col(&["memory_consumption", "memory", "memory_bytes"]),
            input_size: t.opt_col(&["input_shape", "input_size"]),
            upstream_accuracy: t.opt_col(&["accuracy", "upstream_accuracy"]),
            num_labels: t.opt_col(&["#labels", "number_of_labels", "num_labels"]),
        }
    }

    /// The columns found, for telling a row's typed cells from the ones kept as `extra`.
    pub fn found(&self) -> impl Iterator<Item = usize> {
        [
            self.architecture,
            self.model_type,
            self.num_parameters,
            self.memory_bytes,
            self.input_size,
            self.upstream_accuracy,
            self.num_labels,
        ]
        .into_iter()
        .flatten()
    }

    /// The model `name` of `modality` with the metadata of `row` in these columns.
    pub fn model(
        &self,
        t: &Table,
        row: &Row,
        name: String,
        modality: Option<Modality>,
    ) -> Result<Model, RowProblem> {
        Ok(Model {
            name,
            modality,
            architecture: t.first_of_list(row, self.architecture)?,
            model_type: t.text(row, self.model_type).map(str::to_string),
            num_parameters: t.opt_f64(row, self.num_parameters)?,
            memory_bytes: t.opt_f64(row, self.memory_bytes)?,
            input_size: t.opt_f64(row, self.input_size)?,
            feature_dim: None,
            source_dataset: None,
            upstream_accuracy: t.opt_f64(row, self.upstream_accuracy)?,
            num_labels: t.opt_f64(row, self.num_labels)?,
        })
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

/// What [`settle_runs`] did with the records of one file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settled {
    /// Rows dropped: exact repeats of an earlier row (every run kept), or rows superseded by a
    /// later one with the same key (last row kept).
    pub dropped: usize,
    /// Distinct rows kept as further runs of a (model, dataset, hyper-parameters) seen before.
    pub repeats_kept: usize,
}

/// Settles a file's records: with `keep_last`, one record per (model, dataset, run key), the
/// last in the file; otherwise every distinct row is its own run and only exact repeats (the
/// same measured values) are dropped. The store then tells stored runs apart the same way
/// ([`RunIdentity`](crate::RunIdentity)).
pub(crate) fn settle_runs(recs: Vec<RecordRow>, keep_last: bool) -> (Vec<RecordRow>, Settled) {
    let key = |r: &RecordRow| {
        (
            r.run.model.clone(),
            r.run.dataset.clone(),
            r.run_key.clone(),
        )
    };
    if keep_last {
        let (kept, dropped) = dedup_last(recs, key);
        return (
            kept,
            Settled {
                dropped,
                repeats_kept: 0,
            },
        );
    }
    let bits = |v: Option<f64>| v.map(f64::to_bits);
    let mut seen = HashSet::new();
    let mut keys = HashSet::new();
    let mut out = Vec::with_capacity(recs.len());
    let mut settled = Settled::default();
    for r in recs {
        let measure = (
            key(&r),
            r.run.accuracy.to_bits(),
            [
                bits(r.run.learning_rate),
                bits(r.run.epochs),
                bits(r.run.batch_size),
                bits(r.run.train_runtime),
            ],
            r.run.peft_method.clone(),
            r.run
                .curve
                .as_ref()
                .map(|c| c.iter().map(|v| v.to_bits()).collect::<Vec<_>>()),
        );
        if !seen.insert(measure) {
            settled.dropped += 1;
            continue;
        }
        if !keys.insert(key(&r)) {
            settled.repeats_kept += 1;
        }
        out.push(r);
    }
    (out, settled)
}

/// Lines whose accuracy lies outside [0, 1], collected when the accuracy column is called
/// accuracy (`accuracy`, `eval_accuracy`, `acc`, ...); other higher-is-better metrics (a
/// correlation, a BLEU score) may lie anywhere.
pub(crate) struct AccuracyRange {
    col: usize,
    checked: bool,
    lines: Vec<u64>,
}

impl AccuracyRange {
    /// Watches column `col` of `t`.
    pub fn new(t: &Table, col: usize) -> AccuracyRange {
        let n = t.header[col].to_ascii_lowercase();
        AccuracyRange {
            col,
            checked: n.contains("accuracy") || n == "acc",
            lines: Vec::new(),
        }
    }

    /// Notes the accuracy read on `line`.
    pub fn note(&mut self, line: u64, accuracy: f64) {
        if self.checked && !(0.0..=1.0).contains(&accuracy) {
            self.lines.push(line);
        }
    }

    /// A warning naming the lines out of range, if any.
    pub fn warning(&self, t: &Table) -> Option<String> {
        const SHOW: usize = 10;
        if self.lines.is_empty() {
            return None;
        }
        let mut shown: Vec<String> = self.lines.iter().take(SHOW).map(u64::to_string).collect();
        if self.lines.len() > SHOW {
            shown.push(format!("... {} more", self.lines.len() - SHOW));
        }
        Some(format!(
            "{}: {} value(s) of column '{}' lie outside [0, 1], expected for an accuracy \
             (line(s) {}); imported as written",
            t.file_name(),
            self.lines.len(),
            t.header[self.col],
            shown.join(", ")
        ))
    }
}

/// Parses a Python list literal of strings as written by pandas (`['a', 'b']`, `["it's"]`);
/// a value without brackets is a one-element list. Returns `None` for malformed input.
pub fn parse_python_list(s: &str) -> Option<Vec<String>> {
    let t = s.trim();
    if t.is_empty() {
        return Some(vec![]);
    }
    let Some(open) = t.strip_prefix('[') else {
        return Some(vec![t.to_string()]);
    };
    let inner = open.strip_suffix(']')?;
    let mut out = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let Some(q) = chars.next() else { break };
        if q != '\'' && q != '"' {
            // Unquoted item (numbers): read to the next comma.
            let mut item = String::from(q);
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                item.push(c);
                chars.next();
            }
            out.push(item.trim().to_string());
            continue;
        }
        let mut item = String::new();
        let mut closed = false;
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    item.push(n);
                }
            } else if c == q {
                closed = true;
                break;
            } else {
                item.push(c);
            }
        }
        if !closed {
            return None;
        }
        out.push(item);
    }
    Some(out)
}
