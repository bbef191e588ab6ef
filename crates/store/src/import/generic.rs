//! Any CSV of fine-tuning results or model metadata: how a user brings a zoo zoorank has never
//! seen. The caller names the columns; nothing else about the file is assumed.

use super::base::{apply_parsed, ImportOptions, ImportReport};
use super::table::parse_python_list;
use super::table::{dedup_last, AccuracyRange, ModelColumns, Problems, Table};
use super::transfergraph::merge_datasets;
use crate::{
    run_key, Batch, DatasetRow, ImportError, ModelRow, RecordRow, RowProblem, RunIdentity, Store,
};
use std::collections::HashSet;
use std::path::Path;
use zoorank_core::{Modality, Model, Record};

/// Which columns of a results CSV hold what. Only model, dataset and accuracy are required.
#[derive(Debug, Clone, Default)]
pub struct RecordsCsvSpec {
    /// Column with the model id.
    pub model_col: String,
    /// Column with the dataset name.
    pub dataset_col: String,
    /// Column with the accuracy.
    pub accuracy_col: String,
    /// Learning-rate column.
    pub lr_col: Option<String>,
    /// Epochs column.
    pub epochs_col: Option<String>,
    /// Batch-size column.
    pub batch_size_col: Option<String>,
    /// Training-seconds column.
    pub runtime_col: Option<String>,
    /// PEFT-method column (empty cell = full fine-tuning).
    pub peft_col: Option<String>,
    /// Seed column (part of the run key).
    pub seed_col: Option<String>,
    /// Column with a per-epoch validation curve as a list (`[0.5, 0.6]` or `0.5;0.6`).
    pub curve_col: Option<String>,
    /// Modality of the models and datasets, when known.
    pub modality: Option<Modality>,
    /// Field delimiter (`,` by default; `\t` for TSV).
    pub delimiter: Option<u8>,
    /// Keep only the last row of each (model, dataset, hyper-parameter columns given), replacing
    /// a stored run with the same key, instead of keeping every distinct row as its own run.
    pub keep_last: bool,
}

/// Imports a results CSV described by `spec`. Models and datasets it names are created.
/// A record is identified by (model, dataset, the hyper-parameter columns given); distinct rows
/// with the same identity are separate runs unless [`RecordsCsvSpec::keep_last`] is set (see
/// the [module docs](super)).
pub fn import_records(
    store: &mut Store,
    path: &Path,
    spec: &RecordsCsvSpec,
    opts: ImportOptions,
) -> Result<ImportReport, ImportError> {
    let mut problems = Problems::default();
    let t = Table::read(path, spec.delimiter.unwrap_or(b','), &mut problems)?;
    let col = |name: &str| t.col(&[name]);
    let opt = |name: &Option<String>| -> Result<Option<usize>, ImportError> {
        name.as_deref().map(|n| t.col(&[n])).transpose()
    };
    let c_model = col(&spec.model_col)?;
    let c_ds = col(&spec.dataset_col)?;
    let c_acc = col(&spec.accuracy_col)?;
    let c_lr = opt(&spec.lr_col)?;
    let c_ep = opt(&spec.epochs_col)?;
    let c_bs = opt(&spec.batch_size_col)?;
    let c_rt = opt(&spec.runtime_col)?;
    let c_peft = opt(&spec.peft_col)?;
    let c_seed = opt(&spec.seed_col)?;
    let c_curve = opt(&spec.curve_col)?;
    let mut range = AccuracyRange::new(&t, c_acc);
    let mut recs = Vec::new();
    for row in &t.rows {
        let parsed = (|| -> Result<RecordRow, RowProblem> {
            t.check_width(row)?;
            let learning_rate = t.opt_f64(row, c_lr)?;
            let epochs = t.opt_f64(row, c_ep)?;
            let batch_size = t.opt_f64(row, c_bs)?;
            let seed = t.opt_f64(row, c_seed)?;
            let peft_method = t.text(row, c_peft).map(|s| s.to_ascii_lowercase());
            let curve = match t.text(row, c_curve) {
                None => None,
                Some(s) => {
                    let items = if s.starts_with('[') {
                        parse_python_list(s)
                    } else {
                        Some(s.split(';').map(str::to_string).collect())
                    };
                    let vals: Option<Vec<f64>> = items.and_then(|v| {
                        v.iter()
                            .map(|x| x.trim().parse::<f64>().ok().filter(|f| f.is_finite()))
                            .collect()
                    });
                    Some(vals.ok_or_else(|| {
                        t.problem(row, c_curve, format!("'{s}' is not a list of numbers"))
                    })?)
                }
            };
            Ok(RecordRow {
                run_key: run_key(&[
                    ("lr", learning_rate.map(|v| v.to_string())),
                    ("epochs", epochs.map(|v| v.to_string())),
                    ("batch_size", batch_size.map(|v| v.to_string())),
                    ("seed", seed.map(|v| v.to_string())),
                    ("peft", peft_method.clone()),
                ]),
                run: Record {
                    model: t.req_text(row, c_model)?.to_string(),
                    dataset: t.req_text(row, c_ds)?.to_string(),
                    accuracy: t.req_f64(row, c_acc)?,
                    learning_rate,
                    epochs,
                    batch_size,
                    train_runtime: t.opt_f64(row, c_rt)?,
                    peft_method,
                    curve,
                },
                source: t.file_name(),
            })
        })();
        match parsed {
            Ok(r) => {
                range.note(row.line, r.run.accuracy);
                recs.push(r)
            }
            Err(p) => problems.push(p),
        }
    }
    let mut report = file_report("records-csv", &t, problems, opts)?;
    report.warnings.extend(range.warning(&t));
    let recs = report.settle_records(&t.file_name(), recs, spec.keep_last);
    let mut batch = Batch {
        runs: if spec.keep_last {
            RunIdentity::RunKey
        } else {
            RunIdentity::EveryRun
        },
        ..Batch::default()
    };
    let mut models: Vec<String> = recs.iter().map(|r| r.run.model.clone()).collect();
    models.sort();
    models.dedup();
    if spec.modality.is_some() {
        for m in models {
            batch.models.push(ModelRow::named(m, spec.modality));
        }
    }
    batch.datasets = merge_datasets(
        recs.iter()
            .map(|r| DatasetRow::of(r.run.dataset.clone(), spec.modality))
            .collect(),
    );
    report.rows_imported.insert("records".into(), recs.len());
    batch.records = recs;
    if recs_empty(&batch) && report.skipped.is_empty() {
        return Err(ImportError::Empty {
            path: path.to_path_buf(),
        });
    }
    apply_parsed(store, (batch, report), opts)
}

fn recs_empty(b: &Batch) -> bool {
    b.records.is_empty()
}

/// The report of an import of the one file `t` in `layout` so far: the rows it read and the
/// bad ones, which refuse the import unless `opts` skips them.
fn file_report(
    layout: &str,
    t: &Table,
    problems: Problems,
    opts: ImportOptions,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport {
        layout: layout.into(),
        ..ImportReport::default()
    };
    report.read_file(t.file_name(), t.rows.len());
    report.skipped = problems.finish(opts.skip_bad_rows)?;
    Ok(report)
}

/// Which columns of a model-metadata CSV hold what. Typed fields are also recognised by their
/// usual header names (`architectures`, `model_type`, `number_of_parameters`,
/// `memory_consumption`, `input_shape`, `dataset`, `accuracy`, `#labels`/`number_of_labels`);
/// every other non-empty cell is kept in the model's JSON `extra`.
#[derive(Debug, Clone, Default)]
pub struct ModelsCsvSpec {
    /// Column with the model id.
    pub id_col: String,
    /// Modality of the models, when known.
    pub modality: Option<Modality>,
    /// Field delimiter (`,` by default).
    pub delimiter: Option<u8>,
}

/// Imports a model-metadata CSV.
pub fn import_models(
    store: &mut Store,
    path: &Path,
    spec: &ModelsCsvSpec,
    opts: ImportOptions,
) -> Result<ImportReport, ImportError> {
    let mut problems = Problems::default();
    let t = Table::read(path, spec.delimiter.unwrap_or(b','), &mut problems)?;
    let c_id = t.col(&[spec.id_col.as_str()])?;
    let c_src = t.opt_col(&["dataset", "source_dataset"]);
    let cols = ModelColumns::find(&t);
    let typed: HashSet<usize> = [Some(c_id), c_src]
        .into_iter()
        .flatten()
        .chain(cols.found())
        .collect();
    let mut rows = Vec::new();
    for row in &t.rows {
        let parsed = (|| -> Result<ModelRow, RowProblem> {
            t.check_width(row)?;
            let name = t.req_text(row, c_id)?.to_string();
            Ok(ModelRow {
                model: Model {
                    source_dataset: t.text(row, c_src).map(str::to_string),
                    ..cols.model(&t, row, name, spec.modality)?
                },
                extra: serde_json::Value::Object(t.extra_cells(row, &typed)),
                metadata: true,
            })
        })();
        match parsed {
            Ok(m) => rows.push(m),
            Err(p) => problems.push(p),
        }
    }
    let mut report = file_report("models-csv", &t, problems, opts)?;
    let (rows, dups) = dedup_last(rows, |m: &ModelRow| m.model.name.clone());
    if dups > 0 {
        report.duplicates.insert(t.file_name(), dups);
    }
    report.rows_imported.insert("models".into(), rows.len());
    let batch = Batch {
        models: rows,
        ..Batch::default()
    };
    apply_parsed(store, (batch, report), opts)
}
