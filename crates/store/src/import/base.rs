//! What every importer shares: options, the report, applying a parsed batch, and cell parsers.

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
    /// Notes that the file `name` was read, with its `rows` data rows.
    pub(crate) fn read_file(&mut self, name: String, rows: usize) {
        self.rows_read.insert(name.clone(), rows);
        self.files.push(name);
    }

    /// Settles the records read from `file` (see [`super::table::settle_runs`]) and notes what was
    /// dropped or kept as further runs.
    pub(crate) fn settle_records(
        &mut self,
        file: &str,
        recs: Vec<crate::RecordRow>,
        keep_last: bool,
    ) -> Vec<crate::RecordRow> {
        let (recs, settled) = super::table::settle_runs(recs, keep_last);
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
pub(super) fn apply_parsed(
    store: &mut crate::Store,
    (batch, mut report): (crate::Batch, ImportReport),
    opts: ImportOptions,
) -> Result<ImportReport, crate::ImportError> {
    if !opts.dry_run {
        report.counts = Some(store.apply(&batch)?);
    }
    Ok(report)
}
