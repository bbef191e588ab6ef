//! The two-phase recall-and-select benchmark (Cui et al.): for each prefix `p` in a directory,
//!
//! - `p_performance_matrix.tsv`: a header of model names (Hugging Face ids with `/` written
//!   `--`), then one row of accuracies per benchmark dataset (negative values are legal:
//!   Matthews correlation);
//! - `p_benchmark_datasets.txt`: the benchmark dataset names, one per line, in row order;
//! - `p_leep_<target>.tsv`: a header of model names and one row of LEEP scores on `<target>`.
//!
//! Prefix `nlp` is text, `cv` is image; any other prefix is imported without a modality.
//! Each matrix cell becomes a fine-tuning record (run key `two-phase`), each LEEP value a score
//! with method `leep` on dataset `<target>`.

use super::base::{apply_parsed, ImportOptions, ImportReport};
use super::table::{Problems, Table};
use super::transfergraph::merge_datasets;
use crate::{
    Batch, DatasetRow, ImportError, Location, ModelRow, RecordRow, RowProblem, ScoreRow, Store,
};
use std::path::{Path, PathBuf};
use zoorank_core::Modality;

/// `--` in the files stands for `/` in Hugging Face ids.
fn model_name(s: &str) -> String {
    s.trim().replace("--", "/")
}

/// Reads a tab-separated matrix whose header lists models: a repeated header is reported as
/// the model it names.
fn read_matrix(path: &Path, problems: &mut Problems) -> Result<Table, ImportError> {
    Table::read(path, b'\t', problems).map_err(|e| match e {
        ImportError::DuplicateColumn {
            path,
            name,
            first,
            second,
        } => ImportError::DuplicateModel {
            path,
            model: model_name(&name),
            first,
            second,
        },
        e => e,
    })
}

/// A model listed twice (also as `a--b` and `a/b`) would get two accuracies on every dataset:
/// refused, naming it.
fn check_models_unique(path: &Path, models: &[String]) -> Result<(), ImportError> {
    let mut seen = std::collections::HashMap::new();
    for (i, m) in models.iter().enumerate() {
        if let Some(first) = seen.insert(m.as_str(), i) {
            return Err(ImportError::DuplicateModel {
                path: path.to_path_buf(),
                model: m.clone(),
                first: first + 1,
                second: i + 1,
            });
        }
    }
    Ok(())
}

fn modality_of(prefix: &str) -> Option<Modality> {
    match prefix {
        "nlp" => Some(Modality::Text),
        "cv" => Some(Modality::Image),
        _ => None,
    }
}

/// Imports every `*_performance_matrix.tsv` (with its dataset list) and `*_leep_*.tsv` of `dir`
/// in one transaction.
pub fn import_two_phase(
    store: &mut Store,
    dir: &Path,
    opts: ImportOptions,
) -> Result<ImportReport, ImportError> {
    apply_parsed(store, parse_dir(dir, opts)?, opts)
}

fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, ImportError> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ImportError::Io {
            path: dir.to_path_buf(),
            source: e,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    Ok(v)
}

fn parse_dir(dir: &Path, opts: ImportOptions) -> Result<(Batch, ImportReport), ImportError> {
    let files = list_dir(dir)?;
    let mut report = ImportReport {
        layout: "two-phase".into(),
        ..ImportReport::default()
    };
    let mut problems = Problems::default();
    let mut batch = Batch::default();
    let name_of = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    let mut matrices = 0;
    for path in &files {
        let fname = name_of(path);
        let Some(prefix) = fname.strip_suffix("_performance_matrix.tsv") else {
            continue;
        };
        matrices += 1;
        let modality = modality_of(prefix);
        let list_path = dir.join(format!("{prefix}_benchmark_datasets.txt"));
        let list = std::fs::read_to_string(&list_path).map_err(|e| ImportError::Io {
            path: list_path.clone(),
            source: e,
        })?;
        let datasets: Vec<String> = list
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        report.read_file(name_of(&list_path), datasets.len());
        let t = read_matrix(path, &mut problems)?;
        report.read_file(fname.clone(), t.rows.len());
        if t.rows.len() != datasets.len() {
            problems.push(RowProblem {
                location: Location {
                    file: path.clone(),
                    line: 1,
                    column: None,
                },
                message: format!(
                    "{} rows of accuracies but {} datasets in {}",
                    t.rows.len(),
                    datasets.len(),
                    name_of(&list_path)
                ),
            });
        }
        let models: Vec<String> = t.header.iter().map(|h| model_name(h)).collect();
        check_models_unique(path, &models)?;
        for m in &models {
            batch.models.push(ModelRow::named(m.clone(), modality));
        }
        for (row, ds) in t.rows.iter().zip(&datasets) {
            if let Err(p) = t.check_exact_width(row) {
                problems.push(p);
                continue;
            }
            batch.datasets.push(DatasetRow::of(ds.clone(), modality));
            for (j, m) in models.iter().enumerate() {
                match t.req_f64(row, j) {
                    Ok(acc) => batch.records.push(RecordRow {
                        run_key: "two-phase".into(),
                        ..RecordRow::new(m.clone(), ds.clone(), acc, fname.clone())
                    }),
                    Err(p) => problems.push(p),
                }
            }
        }
    }
    for path in &files {
        let fname = name_of(path);
        let Some(rest) = fname.strip_suffix(".tsv") else {
            continue;
        };
        let Some((prefix, target)) = rest.split_once("_leep_") else {
            continue;
        };
        let modality = modality_of(prefix);
        let t = read_matrix(path, &mut problems)?;
        check_models_unique(
            path,
            &t.header.iter().map(|h| model_name(h)).collect::<Vec<_>>(),
        )?;
        report.read_file(fname.clone(), t.rows.len());
        if t.rows.len() != 1 {
            problems.push(RowProblem {
                location: Location {
                    file: path.clone(),
                    line: 1,
                    column: None,
                },
                message: format!("expected one row of LEEP scores, found {}", t.rows.len()),
            });
        }
        batch
            .datasets
            .push(DatasetRow::of(target.to_string(), modality));
        for row in t.rows.iter().take(1) {
            if let Err(p) = t.check_exact_width(row) {
                problems.push(p);
                continue;
            }
            for (j, h) in t.header.iter().enumerate() {
                let m = model_name(h);
                batch.models.push(ModelRow::named(m.clone(), modality));
                match t.req_f64(row, j) {
                    Ok(v) => batch.scores.push(ScoreRow {
                        model: m,
                        dataset: target.to_string(),
                        method: "leep".into(),
                        value: v,
                        runtime: None,
                    }),
                    Err(p) => problems.push(p),
                }
            }
        }
    }
    if matrices == 0 {
        return Err(ImportError::MissingFile {
            dir: dir.to_path_buf(),
            what: "performance matrix",
            expected: "<prefix>_performance_matrix.tsv with <prefix>_benchmark_datasets.txt".into(),
        });
    }
    batch.datasets = merge_datasets(std::mem::take(&mut batch.datasets));
    let mut seen = std::collections::HashSet::new();
    batch.models.retain(|m| seen.insert(m.model.name.clone()));
    for (kind, n) in [
        ("models", batch.models.len()),
        ("datasets", batch.datasets.len()),
        ("records", batch.records.len()),
        ("scores", batch.scores.len()),
    ] {
        report.rows_imported.insert(kind.into(), n);
    }
    report.skipped = problems.finish(opts.skip_bad_rows)?;
    Ok((batch, report))
}
