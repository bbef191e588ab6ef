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

mod base;
mod generic;
mod runs;
mod table;
mod transfergraph;
mod two_phase;

pub use generic::{import_models, import_records, ModelsCsvSpec, RecordsCsvSpec};
pub use runs::{append_runs, read_observed_runs, read_runs, RunKind, RunRow, RUNS_HEADER};
pub use transfergraph::{import_transfergraph, TransferGraphLayout};
pub use two_phase::import_two_phase;

pub use base::{ImportOptions, ImportReport};
pub use table::parse_python_list;

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
