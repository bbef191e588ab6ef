//! The TransferGraph zoo layout (ICDE 2024): a directory with
//!
//! | file | content |
//! |---|---|
//! | `records.csv` (required) | one fine-tuning run per row |
//! | `model_config_dataset.csv` | model metadata |
//! | `target_dataset_features.csv` | #samples and #classes per target (image zoo) |
//! | `transferability_score_records.csv` | LogME / Reg-H-Score per (model, target) |
//! | `dataset_distances*.csv` | square matrices of Domain-Similarity distances |
//!
//! Two variants exist and are told apart by the records header: the **image** layout (`lr`,
//! `epochs`, `input_shape`) and the **text** layout (`learning_rate`, `num_train_epochs`,
//! `peft_method`, LoRA columns). Column names differ between them; the importer reads both by
//! aliases.
//!
//! Decisions a careful importer has to make, and what this one does:
//! - A row with the wrong number of fields (the real image-zoo scores file has two such broken
//!   lines) is a bad row: refused by default, skipped and reported with `--skip-bad-rows`.
//! - A score or record naming a model absent from `model_config_dataset.csv` is a bad row.
//! - Repeated (model, target, method) scores (120 in the real image zoo, re-runs with slightly
//!   different values): the last row in the file wins; the report counts them.
//! - Records are keyed by (model, dataset, hyper-parameters: learning rate, epochs, batch size,
//!   seed, PEFT method and its LoRA settings); distinct rows with the same key are kept as
//!   separate runs, exact repeats are one run.
//! - A model's source dataset: models fine-tuned on scraped collections carry `dataset = hfpics`
//!   and are named in the distance matrix by their label list (`"['corgi', 'husky']"`); the
//!   source dataset is the `dataset` value when the distance files know it, else the `labels`
//!   value when they know that, else the `dataset` value as written.
//! - Distances are stored once per unordered pair under the method
//!   `domain-similarity:<probe>`, the probe taken from the file name
//!   (`dataset_distances_domain_similarity_vit_base_patch16_224.csv` →
//!   `domain-similarity:vit_base_patch16_224`). A matrix whose rows do not cover its columns
//!   (not square), whose row names are not column names, that is asymmetric, or has negative
//!   entries, is refused (with `--skip-bad-rows`, the rows present are imported).

use super::base::{apply_parsed, ImportOptions, ImportReport};
use super::table::{dedup_last, AccuracyRange, ModelColumns, Problems, Row, Table};
use crate::{
    run_key, Batch, DatasetRow, DistanceRow, ImportError, Location, ModelRow, RecordRow,
    RowProblem, RunIdentity, ScoreRow, Store,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use zoorank_core::{Modality, Model, Record};

/// Which variant of the TransferGraph layout a directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferGraphLayout {
    /// The image-classification zoo.
    Image,
    /// The sequence-classification (text) zoo.
    Text,
}

impl TransferGraphLayout {
    fn modality(self) -> Modality {
        match self {
            TransferGraphLayout::Image => Modality::Image,
            TransferGraphLayout::Text => Modality::Text,
        }
    }

    fn id(self) -> &'static str {
        match self {
            TransferGraphLayout::Image => "transfergraph-image",
            TransferGraphLayout::Text => "transfergraph-text",
        }
    }
}

fn detect(records: &Table) -> Result<TransferGraphLayout, ImportError> {
    let text = ["peft_method", "learning_rate", "num_train_epochs"];
    let image = ["lr", "epochs", "input_shape"];
    if text.iter().any(|c| records.has(c)) {
        Ok(TransferGraphLayout::Text)
    } else if image.iter().any(|c| records.has(c)) {
        Ok(TransferGraphLayout::Image)
    } else {
        Err(ImportError::UnknownLayout {
            path: records.path.clone(),
            message: format!(
                "neither the image columns ({}) nor the text columns ({}) are in the header",
                image.join(", "),
                text.join(", ")
            ),
        })
    }
}

/// Maps the scores file's metric names to zoorank's method ids
/// (`TransferabilityMethod.LOG_ME` → `logme`, `REG_H_SCORE` → `reg-h-score`).
pub fn method_id(metric: &str) -> String {
    let m = metric.rsplit('.').next().unwrap_or(metric);
    match m.to_ascii_uppercase().as_str() {
        "LOG_ME" | "LOGME" => "logme".into(),
        "REG_H_SCORE" | "REGHSCORE" => "reg-h-score".into(),
        "H_SCORE" | "HSCORE" => "h-score".into(),
        _ => m.to_ascii_lowercase().replace('_', "-"),
    }
}

/// Imports a TransferGraph directory into `store` in one transaction (see the module docs).
pub fn import_transfergraph(
    store: &mut Store,
    dir: &Path,
    opts: ImportOptions,
) -> Result<ImportReport, ImportError> {
    apply_parsed(store, parse_dir(dir, opts)?, opts)
}

fn file(dir: &Path, name: &str) -> Option<PathBuf> {
    let p = dir.join(name);
    p.is_file().then_some(p)
}

pub(crate) fn parse_dir(
    dir: &Path,
    opts: ImportOptions,
) -> Result<(Batch, ImportReport), ImportError> {
    if !dir.is_dir() {
        return Err(ImportError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        });
    }
    let records_path = file(dir, "records.csv").ok_or_else(|| ImportError::MissingFile {
        dir: dir.to_path_buf(),
        what: "fine-tuning records",
        expected: "records.csv".into(),
    })?;
    let mut problems = Problems::default();
    let records = Table::read(&records_path, b',', &mut problems)?;
    let layout = detect(&records)?;
    let modality = layout.modality();
    let mut report = ImportReport {
        layout: layout.id().into(),
        ..ImportReport::default()
    };
    let mut batch = Batch {
        runs: RunIdentity::EveryRun,
        ..Batch::default()
    };

    // Distance matrices first: their names resolve the models' source datasets.
    let mut distance_files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ImportError::Io {
            path: dir.to_path_buf(),
            source: e,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|x| x == "csv")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("dataset_distances"))
        })
        .collect();
    distance_files.sort();
    let mut known_names: HashSet<String> = HashSet::new();
    for path in &distance_files {
        let t = Table::read(path, b',', &mut problems)?;
        report.read_file(t.file_name(), t.rows.len());
        let method = distance_method(path);
        let rows = parse_distances(&t, &method, &mut problems);
        for r in &rows {
            known_names.insert(r.a.clone());
            known_names.insert(r.b.clone());
        }
        *report.rows_imported.entry("distances".into()).or_default() += rows.len();
        batch.distances.extend(rows);
    }
    batch
        .datasets
        .extend(datasets_named(&known_names, modality));

    // Models.
    let mut known_models: Option<HashSet<String>> = None;
    if let Some(path) = file(dir, "model_config_dataset.csv") {
        let t = Table::read(&path, b',', &mut problems)?;
        report.read_file(t.file_name(), t.rows.len());
        let models = parse_models(&t, modality, &known_names, &mut problems, &mut report)?;
        let (models, dups) = dedup_last(models, |m: &ModelRow| m.model.name.clone());
        if dups > 0 {
            report.duplicates.insert(t.file_name(), dups);
        }
        known_models = Some(models.iter().map(|m| m.model.name.clone()).collect());
        report.rows_imported.insert("models".into(), models.len());
        batch.models = models;
    }

    // Target features.
    if let Some(path) = file(dir, "target_dataset_features.csv") {
        let t = Table::read(&path, b',', &mut problems)?;
        report.read_file(t.file_name(), t.rows.len());
        let name = t.col(&["finetune_dataset", "dataset", "dataset_name"])?;
        let size = t.col(&["size", "num_samples", "#samples"])?;
        let classes = t.col(&["number_of_classes", "num_classes", "#classes"])?;
        let mut n = 0;
        for row in &t.rows {
            let parsed = (|| -> Result<DatasetRow, RowProblem> {
                t.check_width(row)?;
                Ok(DatasetRow {
                    name: t.req_text(row, name)?.to_string(),
                    modality: Some(modality),
                    num_samples: t.opt_f64(row, Some(size))?,
                    num_classes: t.opt_f64(row, Some(classes))?,
                })
            })();
            match parsed {
                Ok(d) => {
                    n += 1;
                    batch.datasets.push(d);
                }
                Err(p) => problems.push(p),
            }
        }
        report.rows_imported.insert("target features".into(), n);
    }

    // Records.
    report.read_file(records.file_name(), records.rows.len());
    let recs = parse_records(&records, known_models.as_ref(), &mut problems, &mut report)?;
    let recs = report.settle_records(&records.file_name(), recs, false);
    batch.datasets.extend(datasets_named(
        recs.iter().map(|r| &r.run.dataset),
        modality,
    ));
    report.rows_imported.insert("records".into(), recs.len());
    batch.records = recs;

    // Scores.
    if let Some(path) = file(dir, "transferability_score_records.csv") {
        let t = Table::read(&path, b',', &mut problems)?;
        report.read_file(t.file_name(), t.rows.len());
        let scores = parse_scores(&t, known_models.as_ref(), &mut problems)?;
        let mut per_method: BTreeMap<String, usize> = BTreeMap::new();
        for s in &scores {
            *per_method.entry(s.method.clone()).or_default() += 1;
        }
        for (m, c) in per_method {
            report.notes.push(format!(
                "{}: {c} {m} rows before de-duplication",
                t.file_name()
            ));
        }
        let (scores, dups) = dedup_last(scores, |s: &ScoreRow| {
            (s.model.clone(), s.dataset.clone(), s.method.clone())
        });
        if dups > 0 {
            report.duplicates.insert(t.file_name(), dups);
            report.notes.push(format!(
                "{}: {dups} rows repeat an earlier (model, target, method); the last row in the file was kept",
                t.file_name()
            ));
        }
        batch
            .datasets
            .extend(datasets_named(scores.iter().map(|s| &s.dataset), modality));
        report.rows_imported.insert("scores".into(), scores.len());
        batch.scores = scores;
    }

    // Merge repeated dataset rows (same name from several files) into one.
    batch.datasets = merge_datasets(std::mem::take(&mut batch.datasets));
    report.skipped = problems.finish(opts.skip_bad_rows)?;
    Ok((batch, report))
}

pub(crate) fn merge_datasets(rows: Vec<DatasetRow>) -> Vec<DatasetRow> {
    let mut by: BTreeMap<String, DatasetRow> = BTreeMap::new();
    for r in rows {
        match by.get_mut(&r.name) {
            None => {
                by.insert(r.name.clone(), r);
            }
            Some(e) => {
                e.modality = r.modality.or(e.modality);
                e.num_samples = r.num_samples.or(e.num_samples);
                e.num_classes = r.num_classes.or(e.num_classes);
            }
        }
    }
    by.into_values().collect()
}

fn distance_method(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let probe = stem
        .trim_start_matches("dataset_distances")
        .trim_start_matches('_')
        .trim_start_matches("domain_similarity")
        .trim_start_matches('_');
    if probe.is_empty() {
        "domain-similarity".into()
    } else {
        format!("domain-similarity:{probe}")
    }
}

fn parse_distances(t: &Table, method: &str, problems: &mut Problems) -> Vec<DistanceRow> {
    let names: Vec<String> = t.header.iter().skip(1).cloned().collect();
    let mut col_of: HashMap<&str, usize> = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() || col_of.insert(n.as_str(), i).is_some() {
            problems.push(RowProblem {
                location: Location {
                    file: t.path.clone(),
                    line: 1,
                    column: Some(format!("#{}", i + 2)),
                },
                message: format!("column name '{n}' is empty or repeated"),
            });
        }
    }
    let mut matrix: HashMap<(usize, usize), f64> = HashMap::new();
    let mut row_lines: HashMap<usize, &Row> = HashMap::new();
    for row in &t.rows {
        if let Err(p) = t.check_exact_width(row) {
            problems.push(p);
            continue;
        }
        let name = row.fields[0].trim();
        let Some(&i) = col_of.get(name) else {
            problems.push(t.problem(
                row,
                Some(0),
                format!("row name '{name}' is not a column name"),
            ));
            continue;
        };
        if row_lines.insert(i, row).is_some() {
            problems.push(t.problem(row, Some(0), format!("row '{name}' appears twice")));
            continue;
        }
        let mut vals = Vec::with_capacity(names.len());
        let mut ok = true;
        for j in 0..names.len() {
            match t.req_f64(row, j + 1) {
                Ok(v) if v >= 0.0 => vals.push(v),
                Ok(v) => {
                    problems.push(t.problem(row, Some(j + 1), format!("negative distance {v}")));
                    ok = false;
                }
                Err(p) => {
                    problems.push(p);
                    ok = false;
                }
            }
        }
        if ok {
            for (j, v) in vals.into_iter().enumerate() {
                matrix.insert((i, j), v);
            }
        }
    }
    if row_lines.len() != names.len() {
        let missing: Vec<&str> = names
            .iter()
            .enumerate()
            .filter(|(i, _)| !row_lines.contains_key(i))
            .map(|(_, n)| n.as_str())
            .take(5)
            .collect();
        problems.push(RowProblem {
            location: Location {
                file: t.path.clone(),
                line: 1,
                column: None,
            },
            message: format!(
                "distance matrix is not square: {} columns but {} rows (no row for e.g. {})",
                names.len(),
                row_lines.len(),
                missing.join(", ")
            ),
        });
    }
    let mut out = Vec::new();
    for (&(i, j), &v) in &matrix {
        if i == j {
            continue;
        }
        if let Some(&w) = matrix.get(&(j, i)) {
            if i > j {
                continue; // stored from the (j, i) side
            }
            if (v - w).abs() > 1e-6 * v.abs().max(w.abs()).max(1e-12) {
                problems.push(t.problem(
                    row_lines[&i],
                    Some(j + 1),
                    format!(
                        "asymmetric distance: {v} here but {w} between '{}' and '{}'",
                        names[j], names[i]
                    ),
                ));
                continue;
            }
        }
        out.push(DistanceRow {
            a: names[i].clone(),
            b: names[j].clone(),
            method: method.to_string(),
            value: v,
        });
    }
    out.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
    out
}

fn parse_models(
    t: &Table,
    modality: Modality,
    known_names: &HashSet<String>,
    problems: &mut Problems,
    report: &mut ImportReport,
) -> Result<Vec<ModelRow>, ImportError> {
    let c_model = t.col(&["model", "model_name"])?;
    let c_out = t.opt_col(&["output_shape", "feature_dim"]);
    let c_src = t.opt_col(&["dataset", "source_dataset"]);
    let c_labels = t.opt_col(&["labels"]);
    let cols = ModelColumns::find(t);
    let typed: HashSet<usize> = [Some(c_model), c_out, c_src]
        .into_iter()
        .flatten()
        .chain(cols.found())
        .collect();
    let mut resolved_by_labels = 0usize;
    let mut out = Vec::new();
    for row in &t.rows {
        let parsed = (|| -> Result<ModelRow, RowProblem> {
            t.check_width(row)?;
            let name = t.req_text(row, c_model)?.to_string();
            let model = Model {
                feature_dim: t.opt_f64(row, c_out)?,
                ..cols.model(t, row, name, Some(modality))?
            };
            let src_raw = t.text(row, c_src).map(str::to_string);
            let labels = t.text(row, c_labels).map(str::to_string);
            let source_dataset = match (&src_raw, &labels) {
                (Some(s), _) if known_names.contains(s) => Some(s.clone()),
                (_, Some(l)) if known_names.contains(l) => {
                    resolved_by_labels += 1;
                    Some(l.clone())
                }
                (s, _) => s.clone(),
            };
            let mut extra = t.extra_cells(row, &typed);
            if let Some(s) = &src_raw {
                extra.insert("dataset".into(), serde_json::Value::String(s.clone()));
            }
            Ok(ModelRow {
                model: Model {
                    source_dataset,
                    ..model
                },
                extra: serde_json::Value::Object(extra),
                metadata: true,
            })
        })();
        match parsed {
            Ok(m) => out.push(m),
            Err(p) => problems.push(p),
        }
    }
    if resolved_by_labels > 0 {
        report.notes.push(format!(
            "{}: {resolved_by_labels} models' source dataset resolved by their label list (scraped collections)",
            t.file_name()
        ));
    }
    Ok(out)
}

/// One dataset row of `modality` per distinct name of `names`, in name order.
fn datasets_named<'a>(
    names: impl IntoIterator<Item = &'a String>,
    modality: Modality,
) -> Vec<DatasetRow> {
    let names: BTreeSet<&String> = names.into_iter().collect();
    names
        .into_iter()
        .map(|n| DatasetRow::of(n.clone(), Some(modality)))
        .collect()
}

/// The model id in column `col` of `row`, which must be one of the `known` models when the
/// zoo lists them.
fn known_model(
    t: &Table,
    row: &Row,
    col: usize,
    known: Option<&HashSet<String>>,
) -> Result<String, RowProblem> {
    let name = t.req_text(row, col)?;
    match known {
        Some(k) if !k.contains(name) => Err(t.problem(
            row,
            Some(col),
            format!("unknown model '{name}' (not in model_config_dataset.csv)"),
        )),
        _ => Ok(name.to_string()),
    }
}

fn parse_records(
    t: &Table,
    known: Option<&HashSet<String>>,
    problems: &mut Problems,
    report: &mut ImportReport,
) -> Result<Vec<RecordRow>, ImportError> {
    let c_model = t.col(&["model", "model_name"])?;
    let c_ds = t.col(&["finetuned_dataset", "dataset_name"])?;
    let c_acc = t.col(&["eval_accuracy", "accuracy"])?;
    let c_lr = t.opt_col(&["lr", "learning_rate"]);
    let c_ep = t.opt_col(&["epochs", "num_train_epochs"]);
    let c_bs = t.opt_col(&["batch_size"]);
    let c_rt = t.opt_col(&["train_runtime", "elapsed_time"]);
    let c_peft = t.opt_col(&["peft_method"]);
    let c_seed = t.opt_col(&["seed"]);
    let lora: Vec<(usize, String)> = t
        .header
        .iter()
        .enumerate()
        .filter(|(_, h)| h.starts_with("lora_"))
        .map(|(i, h)| (i, h.clone()))
        .collect();
    let mut range = AccuracyRange::new(t, c_acc);
    let mut out = Vec::new();
    for row in &t.rows {
        let parsed = (|| -> Result<RecordRow, RowProblem> {
            t.check_width(row)?;
            let model = known_model(t, row, c_model, known)?;
            let dataset = t.req_text(row, c_ds)?.to_string();
            let accuracy = t.req_f64(row, c_acc)?;
            let learning_rate = t.opt_f64(row, c_lr)?;
            let epochs = t.opt_f64(row, c_ep)?;
            let batch_size = t.opt_f64(row, c_bs)?;
            let seed = t.opt_f64(row, c_seed)?;
            let peft_method = t.text(row, c_peft).map(|s| s.to_ascii_lowercase());
            let mut key: Vec<(&str, Option<String>)> = vec![
                ("lr", learning_rate.map(|v| v.to_string())),
                ("epochs", epochs.map(|v| v.to_string())),
                ("batch_size", batch_size.map(|v| v.to_string())),
                ("seed", seed.map(|v| v.to_string())),
                ("peft", peft_method.clone()),
            ];
            for (i, h) in &lora {
                key.push((h.as_str(), t.text(row, Some(*i)).map(str::to_string)));
            }
            Ok(RecordRow {
                run_key: run_key(&key),
                run: Record {
                    model,
                    dataset,
                    accuracy,
                    learning_rate,
                    epochs,
                    batch_size,
                    train_runtime: t.opt_f64(row, c_rt)?,
                    peft_method,
                    curve: None,
                },
                source: t.file_name(),
            })
        })();
        match parsed {
            Ok(r) => {
                range.note(row.line, r.run.accuracy);
                out.push(r)
            }
            Err(p) => problems.push(p),
        }
    }
    report.warnings.extend(range.warning(t));
    Ok(out)
}

fn parse_scores(
    t: &Table,
    known: Option<&HashSet<String>>,
    problems: &mut Problems,
) -> Result<Vec<ScoreRow>, ImportError> {
    let c_model = t.col(&["model", "model_name"])?;
    let c_ds = t.col(&["target_dataset", "dataset", "dataset_name"])?;
    let c_metric = t.col(&["metric", "method"])?;
    let c_score = t.col(&["score", "value"])?;
    let c_rt = t.opt_col(&["runtime"]);
    let mut out = Vec::new();
    for row in &t.rows {
        let parsed = (|| -> Result<ScoreRow, RowProblem> {
            t.check_width(row)?;
            let model = known_model(t, row, c_model, known)?;
            Ok(ScoreRow {
                model,
                dataset: t.req_text(row, c_ds)?.to_string(),
                method: method_id(t.req_text(row, c_metric)?),
                value: t.req_f64(row, c_score)?,
                runtime: t.opt_f64(row, c_rt)?,
            })
        })();
        match parsed {
            Ok(s) => out.push(s),
            Err(p) => problems.push(p),
        }
    }
    Ok(out)
}
