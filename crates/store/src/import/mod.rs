//! Importers: files on disk → a [`Batch`](crate::Batch) → one transaction.
//!
//! Every importer parses and validates **all** its input before writing anything. Problems are
//! collected per row with file, line and column. By default any bad row refuses the whole import
//! ([`ImportError::BadRows`] lists them all) and the store is left exactly as it was; with
//! [`ImportOptions::skip_bad_rows`] the good rows are imported and every skipped row is reported.
//! The write itself is one SQLite transaction, so a killed process leaves the store as before.
//!
//! Repeated natural keys inside one import (e.g. the same (model, target, method) score twice)
//! are not errors: the **last occurrence in file order wins** (a later line is a later run), and
//! the report says how many rows were superseded.

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
    /// Rows superseded by a later row with the same natural key, per file.
    pub duplicates: BTreeMap<String, usize>,
    /// Rows skipped with `--skip-bad-rows`, with the reason.
    #[serde(serialize_with = "ser_problems")]
    pub skipped: Vec<RowProblem>,
    /// What the store did (absent on a dry run).
    pub counts: Option<BatchCounts>,
    /// Other remarks (e.g. how a source dataset was resolved).
    pub notes: Vec<String>,
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
