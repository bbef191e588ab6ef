//! Importers on the real shared zoo data, with exact counts, and every bad-input case.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use zoorank_store::import::{self, ModelsCsvSpec, RecordsCsvSpec};
use zoorank_store::{ImportError, ImportOptions};

mod common;
use common::{copy_dir, data_dir, LENIENT, STRICT};

#[test]
fn image_zoo_strict_import_refuses_the_two_broken_score_lines_and_writes_nothing() {
    common::each_backend(|mut store| {
        let err = common::import_image_zoo(&mut store, STRICT).unwrap_err();
        let ImportError::BadRows { problems } = &err else {
            panic!("expected BadRows, got {err}");
        };
        let lines: Vec<u64> = problems.iter().map(|p| p.location.line).collect();
        assert_eq!(lines, vec![1052, 2309]);
        assert!(problems.iter().all(|p| p
            .location
            .file
            .ends_with("transferability_score_records.csv")));
        assert!(err.to_string().contains("--skip-bad-rows"));
        let s = store.stats().unwrap();
        assert_eq!(
            (s.models, s.datasets, s.records, s.scores, s.distances),
            (0, 0, 0, 0, 0)
        );
    });
}

#[test]
fn image_zoo_imports_with_exact_counts_and_reimport_changes_nothing() {
    common::each_backend(|mut store| {
        let dir = data_dir().join("transfergraph-image");
        let report = import::import_transfergraph(&mut store, &dir, LENIENT).unwrap();
        assert_eq!(report.layout, "transfergraph-image");
        assert_eq!(report.skipped.len(), 2);
        assert_eq!(report.rows_read["records.csv"], 2254);
        assert_eq!(report.rows_read["transferability_score_records.csv"], 2468);
        assert_eq!(report.duplicates["transferability_score_records.csv"], 120);
        assert!(report
            .notes
            .iter()
            .any(|n| n.contains("1233 logme rows before de-duplication")));
        assert!(report
            .notes
            .iter()
            .any(|n| n.contains("1233 reg-h-score rows before de-duplication")));

        let s = store.stats().unwrap();
        assert_eq!(s.records, 2254);
        assert_eq!(s.models, 185);
        assert_eq!(s.models_with_metadata, 185);
        assert_eq!(s.models_with_records, 180);
        assert_eq!(s.datasets_with_records, 13);
        assert_eq!(s.datasets_with_features, 12);
        assert_eq!(s.datasets, 69);
        // 1233 rows per method, 60 repeated keys per method: 1173 kept.
        assert_eq!(s.scores_by_method["logme"], 1173);
        assert_eq!(s.scores_by_method["reg-h-score"], 1173);
        // 69 datasets, symmetric matrix: 69 * 68 / 2 unordered pairs.
        assert_eq!(s.distances, 69 * 68 / 2);
        assert_eq!(s.by_modality["image"].records, 2254);

        let counts = report.counts.unwrap();
        assert_eq!(counts.records.new, 2254);
        let again = import::import_transfergraph(&mut store, &dir, LENIENT).unwrap();
        let c = again.counts.unwrap();
        for t in [c.models, c.datasets, c.records, c.scores, c.distances] {
            assert_eq!((t.new, t.updated), (0, 0), "{c:?}");
        }
        assert_eq!(c.records.unchanged, 2254);
        assert_eq!(store.stats().unwrap(), s);

        // The loaded zoo agrees, and metadata was parsed from list strings and float integers.
        let zoo = store.load_zoo().unwrap();
        assert_eq!(zoo.records.len(), 2254);
        let m = &zoo.models[zoo
            .model_index("Aftabhussain/Tomato_Leaf_Classifier")
            .unwrap()];
        assert_eq!(m.architecture.as_deref(), Some("ViTForImageClassification"));
        assert_eq!(m.input_size, Some(224.0));
        assert_eq!(m.num_labels, Some(2.0));
        assert_eq!(
            m.source_dataset.as_deref(),
            Some("['Bacterial_spot', 'Healthy']")
        );
        let cifar = zoo.dataset_index("cifar100").unwrap();
        assert_eq!(zoo.datasets[cifar].num_samples, Some(50000.0));
        assert_eq!(zoo.datasets[cifar].num_classes, Some(100.0));
        let vit = zoo.model_index("google/vit-base-patch16-224").unwrap();
        let gt: BTreeMap<_, _> = zoo.ground_truth(cifar, false).into_iter().collect();
        assert!((gt[&vit] - 0.9172666668891908).abs() < 1e-12);
    });
}

#[test]
fn a_corrupted_accuracy_cell_is_named_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::transfergraph_edited(tmp.path(), "records.csv", |text| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // Line 11 of the file (its 10th record): corrupt eval_accuracy (the 14th field).
        let mut fields: Vec<String> = lines[10].split(',').map(str::to_string).collect();
        fields[13] = "0.9x1".into();
        lines[10] = fields.join(",");
        lines.join("\n") + "\n"
    });

    common::each_backend(|mut store| {
        import::import_two_phase(&mut store, &data_dir().join("two-phase"), STRICT).unwrap();
        let before = store.stats().unwrap();
        let err = import::import_transfergraph(&mut store, &dir, STRICT).unwrap_err();
        let msg = err.to_string();
        common::assert_contains(&msg, "records.csv:11, column 'eval_accuracy'");
        assert!(msg.contains("'0.9x1' is not a finite number"), "{msg}");
        assert_eq!(store.stats().unwrap(), before);
        // Lenient: everything else goes in, the bad record is reported.
        let r = import::import_transfergraph(&mut store, &dir, LENIENT).unwrap();
        assert_eq!(r.skipped.len(), 3);
        assert_eq!(store.stats().unwrap().records, before.records + 2253);
    });
}

#[test]
fn text_sample_is_refused_strictly_and_imports_leniently() {
    let dir = data_dir().join("transfergraph-text-sample");
    common::each_backend(|mut store| {
        let err = import::import_transfergraph(&mut store, &dir, STRICT).unwrap_err();
        let msg = err.to_string();
        // The sample is cut from the full files: its distance matrix is not square and its last
        // record names a model whose metadata row was cut.
        assert!(msg.contains("not square"), "{msg}");
        common::assert_contains(
            &msg,
            "unknown model 'cambridgeltl/guardian_news_distilbert-base-uncased'",
        );
        assert_eq!(store.stats().unwrap().records, 0);

        let r = import::import_transfergraph(&mut store, &dir, LENIENT).unwrap();
        assert_eq!(r.layout, "transfergraph-text");
        assert_eq!(r.skipped.len(), 2);
        let s = store.stats().unwrap();
        assert_eq!(s.records, 23);
        assert_eq!(s.models, 24);
        assert_eq!(s.models_with_metadata, 24);
        assert_eq!(s.scores, 24);
        assert_eq!(s.by_modality["text"].records, 23);
        // 3 rows × 22 other columns, minus the 3 pairs among the rows counted twice.
        assert_eq!(s.distances, 3 * 22 - 3);
        let zoo = store.load_zoo().unwrap();
        // A short metadata row (trailing accuracy cell absent) is read as an empty cell.
        let tiny = &zoo.models[zoo
            .model_index("philschmid/tiny-distilbert-classification")
            .unwrap()];
        assert_eq!(tiny.upstream_accuracy, None);
        assert_eq!(tiny.source_dataset.as_deref(), Some("glue/sst2"));
        assert_eq!(
            tiny.architecture.as_deref(),
            Some("DistilBertForSequenceClassification")
        );
    });
}

/// Writes a full-size text zoo in the TransferGraph text layout: `n_models` models, `n_targets`
/// targets, every model fine-tuned fully on every target plus LoRA runs on some, empty cells in
/// optional columns, float-formatted integers, a square distance matrix named after its probe.
fn write_text_zoo(dir: &Path, n_models: usize, n_targets: usize) -> (usize, usize) {
    std::fs::create_dir_all(dir).unwrap();
    let targets: Vec<String> = (0..n_targets).map(|i| format!("bench/task_{i}")).collect();
    let mut models = String::from(
        ",model,architectures,number_of_labels,labels,model_type,number_of_parameters,memory_consumption,dataset,accuracy\n",
    );
    for m in 0..n_models {
        let acc = if m % 3 == 0 {
            String::new()
        } else {
            format!("0.{}", 700 + m)
        };
        let src = if m % 5 == 0 {
            String::new()
        } else {
            targets[m % n_targets].clone()
        };
        writeln!(
            models,
            "{m},org/model-{m},BertForSequenceClassification,2,\"['LABEL_0', 'LABEL_1']\",bert,{},{},{src},{acc}",
            100_000_000 + m,
            400_000_000 + m
        )
        .unwrap();
    }
    std::fs::write(dir.join("model_config_dataset.csv"), models).unwrap();
    let mut recs = String::from(
        ",model,finetuned_dataset,model_name,dataset_name,task_type,batch_size,lr_scheduler_type,learning_rate,gradient_accumulation_steps,num_train_epochs,seed,dataset_path,train_runtime,eval_accuracy,push_to_hub,hub_model_id,push_to_hub_organization,hub_token,peft_method,lora_attention_dimension,lora_alpha,lora_dropout,lora_bias\n",
    );
    let (mut full, mut lora) = (0, 0);
    let mut i = 0;
    for (t, target) in targets.iter().enumerate() {
        for m in 0..n_models {
            let acc = 0.5 + ((m * 7 + t * 13) % 40) as f64 / 100.0;
            let rt = if (m + t) % 4 == 0 {
                String::new()
            } else {
                format!("{}.5", 200 + m)
            };
            writeln!(recs, "{i},org/model-{m},{target},org/model-{m},task_{t},sequence_classification,16.0,linear,2e-05,1.0,5.0,42.0,bench,{rt},{acc},True,,TransferGraph,,,,,,").unwrap();
            i += 1;
            full += 1;
            if m % 4 == 0 {
                writeln!(recs, "{i},org/model-{m},{target},org/model-{m},task_{t},sequence_classification,16.0,linear,0.0005,1.0,5.0,42.0,bench,{rt},{},True,,TransferGraph,,LoRA,8.0,16.0,0.1,none", acc - 0.05).unwrap();
                i += 1;
                lora += 1;
            }
        }
    }
    std::fs::write(dir.join("records.csv"), recs).unwrap();
    let mut scores = String::from(
        ",model,target_dataset,model_name,dataset_name,task_type,metric,batch_size,dataset_path,runtime,score\n",
    );
    let mut k = 0;
    for (t, target) in targets.iter().enumerate().take(3) {
        for m in 0..n_models {
            for metric in ["LOG_ME", "REG_H_SCORE"] {
                writeln!(scores, "{k},org/model-{m},{target},org/model-{m},task_{t},TaskType.SEQUENCE_CLASSIFICATION,TransferabilityMethod.{metric},16,bench,12.5,-0.{}", 100 + m).unwrap();
                k += 1;
            }
        }
    }
    std::fs::write(dir.join("transferability_score_records.csv"), scores).unwrap();
    let mut dist = String::new();
    for t in &targets {
        write!(dist, ",{t}").unwrap();
    }
    dist.push('\n');
    for (a, ta) in targets.iter().enumerate() {
        write!(dist, "{ta}").unwrap();
        for b in 0..n_targets {
            let v = if a == b {
                0.0
            } else {
                10.0 + (a.abs_diff(b) as f64)
            };
            write!(dist, ",{v}").unwrap();
        }
        dist.push('\n');
    }
    std::fs::write(
        dir.join("dataset_distances_domain_similarity_EleutherAI_gpt-neo-125m.csv"),
        dist,
    )
    .unwrap();
    (full, lora)
}

#[test]
fn full_size_text_zoo_imports_strictly_with_lora_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let (full, lora) = write_text_zoo(tmp.path(), 167, 14);
    common::each_backend(|mut store| {
        let r = import::import_transfergraph(&mut store, tmp.path(), STRICT).unwrap();
        assert_eq!(r.layout, "transfergraph-text");
        assert!(r.skipped.is_empty());
        let s = store.stats().unwrap();
        assert_eq!(s.models, 167);
        assert_eq!(s.records, full + lora);
        assert!(s.records > 2000);
        assert_eq!(s.records_peft, lora);
        assert_eq!(s.scores, 3 * 167 * 2);
        assert_eq!(
            s.distances_by_method["domain-similarity:EleutherAI_gpt-neo-125m"],
            14 * 13 / 2
        );
        let zoo = store.load_zoo().unwrap();
        let t0 = zoo.dataset_index("bench/task_0").unwrap();
        // Ground truth excludes LoRA runs unless asked for.
        assert_eq!(zoo.ground_truth(t0, false).len(), 167);
        let m0 = zoo.model_index("org/model-0").unwrap();
        let peft: Vec<_> = zoo
            .records
            .iter()
            .filter(|r| r.model == m0 && r.dataset == t0 && r.peft_method.is_some())
            .collect();
        assert_eq!(peft.len(), 1);
        assert_eq!(peft[0].peft_method.as_deref(), Some("lora"));
        assert_eq!(peft[0].learning_rate, Some(0.0005));
        // Re-import: nothing changes.
        let again = import::import_transfergraph(&mut store, tmp.path(), STRICT).unwrap();
        assert_eq!(again.counts.unwrap().records.unchanged, full + lora);
    });
}

#[test]
fn two_phase_imports_matrices_as_records_and_leep_rows_as_scores() {
    common::each_backend(|mut store| {
        let r =
            import::import_two_phase(&mut store, &data_dir().join("two-phase"), STRICT).unwrap();
        assert!(r.skipped.is_empty());
        let s = store.stats().unwrap();
        assert_eq!(s.records, 39 * 21 + 30 * 6);
        assert_eq!(s.models, 39 + 30);
        assert_eq!(s.datasets, 21 + 6 + 2);
        assert_eq!(s.scores_by_method["leep"], 39 + 30);
        assert_eq!(s.by_modality["text"].records, 39 * 21);
        assert_eq!(s.by_modality["image"].records, 30 * 6);
        let zoo = store.load_zoo().unwrap();
        assert!(zoo.model_index("albert-base-v2").is_some());
        assert!(zoo
            .model_index("18811449050/bert_finetuning_test")
            .is_some());
        // Negative values (Matthews correlation on CoLA) are legal.
        assert!(zoo.records.iter().any(|r| r.accuracy < 0.0));
        let again =
            import::import_two_phase(&mut store, &data_dir().join("two-phase"), STRICT).unwrap();
        assert_eq!(again.counts.unwrap().records.unchanged, 999);
    });
}

#[test]
fn two_phase_with_a_missing_row_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&data_dir().join("two-phase"), tmp.path());
    let p = tmp.path().join("cv_performance_matrix.tsv");
    let text = std::fs::read_to_string(&p).unwrap();
    let kept: Vec<&str> = text.lines().take(6).collect();
    std::fs::write(&p, kept.join("\n") + "\n").unwrap();
    common::each_backend(|mut store| {
        let msg = import::import_two_phase(&mut store, tmp.path(), STRICT)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("5 rows of accuracies but 6 datasets"), "{msg}");
        assert_eq!(store.stats().unwrap().records, 0);
    });
}

#[test]
fn unknown_model_in_scores_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::transfergraph_edited(tmp.path(), "transferability_score_records.csv", |t| {
        t.replacen(
                "1,Aftabhussain/Tomato_Leaf_Classifier,pets,,TaskType.IMAGE_CLASSIFICATION,16,TransferabilityMethod.REG_H_SCORE,Aftabhussain/Tomato_Leaf_Classifier",
                "1,nobody/unknown,pets,,TaskType.IMAGE_CLASSIFICATION,16,TransferabilityMethod.REG_H_SCORE,nobody/unknown",
                1,
            )
    });
    common::each_backend(|mut store| {
        let msg = common::transfergraph_refusal(&mut store, &dir, STRICT);
        common::assert_contains(
            &msg,
            "transferability_score_records.csv:3, column 'model': unknown model 'nobody/unknown'",
        );
        assert_eq!(store.stats().unwrap().models, 0);
    });
}

#[test]
fn non_square_and_asymmetric_distance_matrices_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let name = "dataset_distances_domain_similarity_vit_base_patch16_224.csv";
    let dir = common::transfergraph_edited(tmp.path(), name, |t| {
        let lines: Vec<&str> = t.lines().collect();
        lines[..lines.len() - 1].join("\n") + "\n"
    });
    common::each_backend(|mut store| {
        let msg = import::import_transfergraph(&mut store, &dir, LENIENT)
            .map(|r| {
                r.skipped
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap();
        assert!(msg.contains("not square: 69 columns but 68 rows"), "{msg}");
    });

    let tmp2 = tempfile::tempdir().unwrap();
    let dir = common::transfergraph_edited(tmp2.path(), name, |t| {
        t.replacen(",5.329507827758789,", ",5.5,", 1)
    });
    common::each_backend(|mut store| {
        let msg = common::transfergraph_refusal(&mut store, &dir, STRICT);
        common::assert_contains(&msg, "asymmetric distance: 5.5 here but 5.329507827758789");
        assert_eq!(store.stats().unwrap().distances, 0);
    });
}

#[test]
fn missing_column_and_missing_records_file_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::transfergraph_edited(tmp.path(), "records.csv", |t| {
        t.replacen("finetuned_dataset", "target", 1)
    });
    common::each_backend(|mut store| {
        let msg = common::transfergraph_refusal(&mut store, &dir, LENIENT);
        common::assert_contains(
            &msg,
            "records.csv:1: missing column 'finetuned_dataset' or 'dataset_name'",
        );

        let empty = tempfile::tempdir().unwrap();
        let msg = import::import_transfergraph(&mut store, empty.path(), STRICT)
            .unwrap_err()
            .to_string();
        common::assert_contains(&msg, "missing fine-tuning records (expected records.csv)");
    });
}

#[test]
fn generic_records_and_models_import() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("runs.csv");
    let spec = RecordsCsvSpec {
        model_col: "who".into(),
        dataset_col: "task".into(),
        accuracy_col: "acc".into(),
        lr_col: Some("lr".into()),
        curve_col: Some("curve".into()),
        ..RecordsCsvSpec::default()
    };
    common::each_backend(|mut store| {
        std::fs::write(
            &p,
            "who,task,acc,lr,curve\nm1,t1,0.5,0.1,\"[0.3, 0.4]\"\nm2,t1,0.7,0.1,\nm1,t2,0.6,0.1,0.5;0.6\nm1,t2,0.65,0.01,\n",
        )
        .unwrap();
        let r = import::import_records(&mut store, &p, &spec, STRICT).unwrap();
        assert_eq!(r.counts.unwrap().records.new, 4);
        let zoo = store.load_zoo().unwrap();
        assert_eq!(zoo.records[0].curve, Some(vec![0.3, 0.4]));
        assert_eq!(zoo.records[2].curve, Some(vec![0.5, 0.6]));
        let t2 = zoo.dataset_index("t2").unwrap();
        assert_eq!(
            zoo.ground_truth(t2, false),
            vec![(zoo.model_index("m1").unwrap(), 0.65)]
        );
        let again = import::import_records(&mut store, &p, &spec, STRICT).unwrap();
        assert_eq!(again.counts.unwrap().records.unchanged, 4);

        // Missing column, malformed number.
        let bad = RecordsCsvSpec {
            accuracy_col: "accuracy".into(),
            ..spec.clone()
        };
        let msg = import::import_records(&mut store, &p, &bad, STRICT)
            .unwrap_err()
            .to_string();
        common::assert_contains(&msg, "runs.csv:1: missing column 'accuracy'");
        std::fs::write(&p, "who,task,acc,lr,curve\nm3,t1,abc,0.1,\n").unwrap();
        let msg = import::import_records(&mut store, &p, &spec, STRICT)
            .unwrap_err()
            .to_string();
        common::assert_contains(
            &msg,
            "runs.csv:2, column 'acc': 'abc' is not a finite number",
        );
        assert_eq!(store.stats().unwrap().records, 4);

        let mp = tmp.path().join("models.csv");
        std::fs::write(
            &mp,
            "id,architectures,number_of_parameters,licence\nm1,['BertModel'],110000000.0,mit\nm9,,,\n",
        )
        .unwrap();
        let ms = ModelsCsvSpec {
            id_col: "id".into(),
            ..ModelsCsvSpec::default()
        };
        let r = import::import_models(&mut store, &mp, &ms, STRICT).unwrap();
        let c = r.counts.unwrap().models;
        assert_eq!((c.new, c.updated), (1, 1));
        let zoo = store.load_zoo().unwrap();
        let m1 = &zoo.models[zoo.model_index("m1").unwrap()];
        assert_eq!(m1.architecture.as_deref(), Some("BertModel"));
        assert_eq!(m1.num_parameters, Some(110_000_000.0));
        assert_eq!(store.stats().unwrap().models_with_metadata, 2);
    });
}

#[test]
fn dry_run_writes_nothing() {
    common::each_backend(|mut store| {
        let dry_run = ImportOptions {
            skip_bad_rows: true,
            dry_run: true,
        };
        let r = common::import_image_zoo(&mut store, dry_run).unwrap();
        assert!(r.counts.is_none());
        assert_eq!(r.rows_imported["records"], 2254);
        assert_eq!(store.stats().unwrap().records, 0);
    });
}
