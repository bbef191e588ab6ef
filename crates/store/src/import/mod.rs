//! Importers: files on disk → a [`Batch`](crate::Batch) → one transaction.
//!
//! Every importer parses and validates **all** its input before writing anything. Problems are
//! collected per row with file, line and column. By default any bad row refuses the whole import
//! ([`ImportError::BadRows`] lists them all) and the store is left exactly as it was; with
//! [`ImportOptions::skip_bad_rows`] the good rows are imported and every skipped row is reported.
//! The write itself is one SQLite transaction, so a killed process leaves the store as before.
//!
//! Fine-tuning records: **every distinct row is its own run**. Rows that share model, dataset and
//! hyper-parameters but differ in what they measured (re-runs, or hyper-parameter columns not
//! named) are all kept, and the report counts them ([`ImportReport::repeats_kept`]); a row
//! identical to one already read or stored is the same run, so re-importing a file changes
//! nothing. [`RecordsCsvSpec::keep_last`] keeps only the last row of each (model, dataset,
//! hyper-parameters) instead.
//!
//! Other repeated natural keys inside one import (e.g. the same (model, target, method) score
//! twice) are not errors: the **last occurrence in file order wins**, and the report says how
//! many rows were superseded.

mod generic;
mod table;
mod transfergraph;
mod two_phase;

pub use generic::{import_models, import_records, ModelsCsvSpec, RecordsCsvSpec};
pub use transfergraph::{import_transfergraph, TransferGraphLayout};
pub use two_phase::import_two_phase;

use crate::{BatchCounts, RowProblem};
use serde::Serialize;
use std::collections::BTreeMap;

/// Options shared by every importer.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Import the good rows and report the bad ones instead of refusing the import.
    pub skip_bad_rows: bool,
    /// Validate and report without writing anything.
    pub dry_run: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Which layout was detected (e.g. `transfergraph-image`).
    pub layout: String,
    /// Files read.
    pub files: Vec<String>,
    /// Data rows read per file (before de-duplication, bad rows included).
    pub rows_read: BTreeMap<String, usize>,
    /// Rows per kind after parsing and de-duplication (what was sent to the store).
    pub rows_imported: BTreeMap<String, usize>,
    /// Rows not stored as their own row, per file: superseded by a later row with the same
    /// natural key, or (records) exact repeats of an earlier row.
    pub duplicates: BTreeMap<String, usize>,
    /// Records kept as further runs of a (model, dataset, hyper-parameters) already seen in the
    /// file, per file.
    pub repeats_kept: BTreeMap<String, usize>,
    /// Rows skipped with `--skip-bad-rows`, with the reason.
    #[serde(serialize_with = "ser_problems")]
    pub skipped: Vec<RowProblem>,
    /// What the store did (absent on a dry run).
    pub counts: Option<BatchCounts>,
    /// Other remarks (e.g. how a source dataset was resolved).
    pub notes: Vec<String>,
    /// Values imported but probably wrong (e.g. accuracies outside [0, 1]).
    pub warnings: Vec<String>,
}

impl ImportReport {
    /// Settles the records read from `file` (see [`table::settle_runs`]) and notes what was
    /// dropped or kept as further runs.
    pub(crate) fn settle_records(
        &mut self,
        file: &str,
        recs: Vec<crate::RecordRow>,
        keep_last: bool,
    ) -> Vec<crate::RecordRow> {
        let (recs, settled) = table::settle_runs(recs, keep_last);
        if settled.dropped > 0 {
            self.duplicates.insert(file.to_string(), settled.dropped);
            self.notes.push(if keep_last {
                format!(
                    "{file}: {} rows repeat an earlier (model, dataset, hyper-parameters); the \
                     last row of each was kept",
                    settled.dropped
                )
            } else {
                format!(
                    "{file}: {} rows are exact repeats of an earlier row (same run)",
                    settled.dropped
                )
            });
        }
        if settled.repeats_kept > 0 {
            self.repeats_kept
                .insert(file.to_string(), settled.repeats_kept);
            self.notes.push(format!(
                "{file}: {} rows repeat an earlier (model, dataset, hyper-parameters) with other \
                 results and were kept as separate runs",
                settled.repeats_kept
            ));
        }
        recs
    }
}

fn ser_problems<S: serde::Serializer>(p: &[RowProblem], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(p.len()))?;
    for x in p {
        seq.serialize_element(&serde_json::json!({
            "file": x.location.file.display().to_string(),
            "line": x.location.line,
            "column": x.location.column,
            "reason": x.message,
        }))?;
    }
    seq.end()
}

/// Writes a parsed import in one transaction unless it is a dry run.
fn apply_parsed(
    store: &mut crate::Store,
    (batch, mut report): (crate::Batch, ImportReport),
    opts: ImportOptions,
) -> Result<ImportReport, crate::ImportError> {
    if !opts.dry_run {
        report.counts = Some(store.apply(&batch)?);
    }
    Ok(report)
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

#[cfg(test)]
mod tests {
    use super::parse_python_list;

    #[test]
    fn python_lists_parse() {
        assert_eq!(
            parse_python_list("['ViTForImageClassification']").unwrap(),
            vec!["ViTForImageClassification"]
        );
        assert_eq!(
            parse_python_list("['a', \"it's\", 'c, d']").unwrap(),
            vec!["a", "it's", "c, d"]
        );
        assert_eq!(parse_python_list("BertModel").unwrap(), vec!["BertModel"]);
        assert_eq!(parse_python_list("").unwrap(), Vec::<String>::new());
        assert_eq!(parse_python_list("[1, 2]").unwrap(), vec!["1", "2"]);
        assert!(parse_python_list("['open").is_none());
    }
}
