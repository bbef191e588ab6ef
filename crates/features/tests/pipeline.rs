//! Datasets from local files, streaming extraction, stratified sampling, the feature cache and
//! Domain-Similarity embeddings, on the committed fixtures (scikit-learn `digits` PNGs and
//! arrays, tiny ViT/ResNet checkpoints) and on all-MiniLM-L6-v2 and tiny text checkpoints for
//! text and sentence pairs.

use std::path::Path;

mod common;

use common::{copy_dir, fixtures, load, minilm_dir, temp_file, write_file};
use zoorank_features::dataset::{stratified_sample, Items};
use zoorank_features::{
    domain, extract, extract_cached, CacheOutcome, Dataset, DatasetOptions, DirCache,
    ExtractOptions, FeatureSet, FeaturesError, LoadOptions, Model, ModelDir, TextInput,
};

/// The features of every sample of `ds` by `model`, `batch_size` samples per forward pass.
fn extract_in_batches_of(batch_size: usize, model: &Model, ds: &Dataset) -> FeatureSet {
    let opts = ExtractOptions {
        batch_size,
        ..Default::default()
    };
    extract(Some(model), ds, &opts).unwrap()
}

#[test]
fn image_folder_by_class() {
    let ds = Dataset::open(fixtures().join("digits"), &DatasetOptions::default()).unwrap();
    assert_eq!(ds.len(), 40);
    assert_eq!(ds.num_classes(), 10);
    assert_eq!(ds.class_names()[3], "3");
    assert_eq!(ds.input_kind(), "image");
    for c in 0..10 {
        assert_eq!(ds.labels().iter().filter(|&&l| l == c).count(), 4);
    }
}

#[test]
fn extraction_is_independent_of_batch_size_and_matches_direct_forward() {
    let ds = Dataset::open(fixtures().join("digits"), &DatasetOptions::default()).unwrap();
    let model = load(&fixtures().join("tiny-resnet"));
    let opts = |b| ExtractOptions {
        batch_size: b,
        max_samples: Some(20),
        seed: 7,
        progress: true,
    };
    let a = extract(Some(&model), &ds, &opts(3)).unwrap();
    let b = extract(Some(&model), &ds, &opts(64)).unwrap();
    assert_eq!(a.indices, b.indices);
    assert_eq!(a.extracted.n, 20);
    for (x, y) in a.extracted.features.iter().zip(&b.extracted.features) {
        assert!((x - y).abs() < 1e-5);
    }
    // Stratified: 2 of each of the 10 classes.
    for c in 0..10 {
        assert_eq!(a.labels.iter().filter(|&&l| l == c).count(), 2);
    }
    let zoorank_features::dataset::Batch::Images(imgs) = ds.batch(&a.indices[..1]).unwrap() else {
        panic!("image batch expected")
    };
    let direct = model.forward_images(&imgs).unwrap();
    for (x, y) in direct.features.iter().zip(a.extracted.row(0)) {
        assert!((x - y).abs() < 1e-5);
    }
    assert_eq!(a.extracted.num_classes, 10);
}

#[test]
fn stratified_sampling_properties() {
    let labels: Vec<usize> = (0..97).map(|i| (i * 7 + i / 5) % 5).collect();
    for max in [1usize, 4, 5, 13, 50, 96, 97, 500] {
        for seed in 0..5u64 {
            let s = stratified_sample(&labels, max, seed);
            assert_eq!(s.len(), max.min(labels.len()), "max {max}");
            assert!(s.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
            assert_eq!(s, stratified_sample(&labels, max, seed), "deterministic");
            let k = 5;
            for c in 0..k {
                let nc = labels.iter().filter(|&&l| l == c).count() as f64;
                let got = s.iter().filter(|&&i| labels[i] == c).count() as f64;
                let want = max.min(labels.len()) as f64 * nc / labels.len() as f64;
                assert!(
                    (got - want).abs() <= 1.0 + 1e-9,
                    "class {c}: {got} vs {want}"
                );
                if max >= k {
                    assert!(got >= 1.0);
                }
            }
        }
    }
    assert_ne!(
        stratified_sample(&labels, 20, 1),
        stratified_sample(&labels, 20, 2)
    );
}

#[test]
fn npz_images_and_npy_features() {
    let expected: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/arrays/expected.json")).unwrap();
    let labels: Vec<usize> = serde_json::from_value(expected["labels"].clone()).unwrap();
    let npz = Dataset::open(
        fixtures().join("arrays/digits_images.npz"),
        &DatasetOptions::default(),
    )
    .unwrap();
    assert_eq!(npz.labels(), labels.as_slice());
    assert_eq!(npz.input_kind(), "image");
    match npz.items() {
        Items::ImageArray { data, shape } => {
            assert_eq!(*shape, (8, 8, 1));
            let want: Vec<u8> = serde_json::from_value(expected["first_image"].clone()).unwrap();
            assert_eq!(&data[..64], want.as_slice());
        }
        other => panic!("{other:?}"),
    }
    // Images from an array go through the model's preprocessing like files do.
    let vit = load(&fixtures().join("tiny-vit"));
    let fs = extract(Some(&vit), &npz, &ExtractOptions::default()).unwrap();
    assert_eq!((fs.extracted.n, fs.extracted.dim), (30, 32));

    let npy = Dataset::open(
        fixtures().join("arrays/digits_features.npy"),
        &DatasetOptions::default(),
    )
    .unwrap();
    assert_eq!(npy.labels(), labels.as_slice());
    let fs = extract(None, &npy, &ExtractOptions::default()).unwrap();
    assert_eq!((fs.extracted.n, fs.extracted.dim), (30, 64));
    let row0: Vec<f32> = expected["first_row"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(fs.extracted.row(0), row0.as_slice());
}

#[test]
fn an_npy_header_npyz_would_hang_on_is_refused_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let hostile = zoorank_core::npy::with_header(&zoorank_core::npy::nested_header(), &[]);
    std::fs::write(tmp.path().join("x.npy"), &hostile).unwrap();
    std::fs::write(tmp.path().join("x_labels.npy"), &hostile).unwrap();
    let err = Dataset::open(tmp.path().join("x.npy"), &DatasetOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("x.npy") && err.contains("nested"), "{err}");
}

#[test]
fn csv_and_jsonl_texts_give_the_same_features() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = [
        ("the film was wonderful", "pos"),
        ("a dull, lifeless plot", "neg"),
        ("I loved every minute", "pos"),
        ("the acting was terrible, \"truly\"", "neg"),
    ];
    let mut csv = String::from("id,text,label\n");
    let mut jsonl = String::new();
    for (i, (t, l)) in rows.iter().enumerate() {
        csv.push_str(&format!("{i},\"{}\",{l}\n", t.replace('"', "\"\"")));
        jsonl.push_str(&serde_json::json!({"text": t, "label": l}).to_string());
        jsonl.push('\n');
    }
    let csv = write_file(tmp.path(), "t.csv", csv);
    let jsonl = write_file(tmp.path(), "t.jsonl", jsonl);
    let a = Dataset::open(csv, &DatasetOptions::default()).unwrap();
    let b = Dataset::open(jsonl, &DatasetOptions::default()).unwrap();
    assert_eq!(a.class_names(), ["neg", "pos"]);
    assert_eq!(a.labels(), [1, 0, 1, 0]);
    assert_eq!(a.labels(), b.labels());
    let model = load(&minilm_dir());
    let opts = ExtractOptions {
        batch_size: 3,
        ..Default::default()
    };
    let fa = extract(Some(&model), &a, &opts).unwrap();
    let fb = extract(Some(&model), &b, &opts).unwrap();
    assert_eq!(fa.extracted.n, 4);
    for (x, y) in fa.extracted.features.iter().zip(&fb.extracted.features) {
        assert!((x - y).abs() < 1e-6);
    }
    let direct = model.forward_texts(&[rows[3].0]).unwrap();
    for (x, y) in direct.features.iter().zip(fa.extracted.row(3)) {
        assert!((x - y).abs() < 1e-5);
    }
    // A text model on an image dataset is refused with both sides named.
    let imgs = Dataset::open(fixtures().join("digits"), &DatasetOptions::default()).unwrap();
    match extract(Some(&model), &imgs, &opts) {
        Err(FeaturesError::ModalityMismatch {
            model_input,
            dataset_input,
            ..
        }) => {
            assert_eq!((model_input, dataset_input), ("text", "image"))
        }
        other => panic!("{other:?}"),
    }
    // A missing label column is named.
    let bad = write_file(tmp.path(), "bad.csv", "text,y\nhello,1\n");
    let e = Dataset::open(bad, &DatasetOptions::default()).unwrap_err();
    assert!(e.to_string().contains("no label column \"label\""), "{e}");
}

#[test]
fn second_run_hits_the_cache_and_changes_miss_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("digits");
    copy_dir(&fixtures().join("digits"), &data);
    let mut cache = DirCache::new(tmp.path().join("cache"));
    let dir = ModelDir::open(fixtures().join("tiny-vit")).unwrap();
    let opts = ExtractOptions {
        max_samples: Some(10),
        seed: 3,
        ..Default::default()
    };
    let lo = LoadOptions::default();
    let ds = Dataset::open(&data, &DatasetOptions::default()).unwrap();
    let (a, o1) = extract_cached(&dir, &lo, &ds, &opts, Some(&mut cache)).unwrap();
    let (b, o2) = extract_cached(&dir, &lo, &ds, &opts, Some(&mut cache)).unwrap();
    assert_eq!((o1, o2), (CacheOutcome::Miss, CacheOutcome::Hit));
    assert_eq!(a, b);
    assert_eq!(FeatureSet::from_bytes(&a.to_bytes()).unwrap(), a);
    // Other sampling → miss.
    let other = ExtractOptions {
        seed: 4,
        ..opts.clone()
    };
    assert_eq!(
        extract_cached(&dir, &lo, &ds, &other, Some(&mut cache))
            .unwrap()
            .1,
        CacheOutcome::Miss
    );
    // Changed dataset content → miss.
    std::fs::copy(data.join("1/0.png"), data.join("1/extra.png")).unwrap();
    let ds2 = Dataset::open(&data, &DatasetOptions::default()).unwrap();
    assert_eq!(
        extract_cached(&dir, &lo, &ds2, &opts, Some(&mut cache))
            .unwrap()
            .1,
        CacheOutcome::Miss
    );
}

#[test]
fn domain_similarity_embeddings_and_distances() {
    let tmp = tempfile::tempdir().unwrap();
    let full = fixtures().join("digits");
    // Two datasets: digits 0–4 and digits 5–9.
    for (name, classes) in [("low", 0..5), ("high", 5..10)] {
        for c in classes {
            copy_dir(
                &full.join(c.to_string()),
                &tmp.path().join(name).join(c.to_string()),
            );
        }
    }
    let probe = load(&fixtures().join("tiny-vit"));
    let emb = |p: &Path| {
        let ds = Dataset::open(p, &DatasetOptions::default()).unwrap();
        let fs = extract(Some(&probe), &ds, &ExtractOptions::default()).unwrap();
        (domain::dataset_embedding(&fs.extracted).unwrap(), fs)
    };
    let (lo, lo_fs) = emb(&tmp.path().join("low"));
    let (hi, _) = emb(&tmp.path().join("high"));
    let (all, _) = emb(&full);
    assert_eq!(lo.len(), 32);
    // The mean of the whole is the average of the two equal-sized halves' means.
    for i in 0..32 {
        assert!((all[i] - 0.5 * (lo[i] + hi[i])).abs() < 1e-5);
    }
    let mean0: f64 = (0..lo_fs.extracted.n)
        .map(|r| lo_fs.extracted.row(r)[0] as f64)
        .sum::<f64>()
        / lo_fs.extracted.n as f64;
    assert!((lo[0] as f64 - mean0).abs() < 1e-6);
    let d = domain::distance(&lo, &hi).unwrap();
    assert!(d > 0.0);
    assert_eq!(d, domain::distance(&hi, &lo).unwrap());
    assert_eq!(domain::distance(&lo, &lo).unwrap(), 0.0);
    // Triangle inequality with the whole dataset's embedding in between (it is the midpoint).
    let (d1, d2) = (
        domain::distance(&lo, &all).unwrap(),
        domain::distance(&all, &hi).unwrap(),
    );
    assert!((d1 + d2 - d).abs() < 1e-4 * d.max(1.0));
    assert!(domain::distance(&lo, &lo[..3]).is_err());
}

#[test]
fn length_sorted_text_batches_return_rows_in_dataset_order() {
    let tmp = tempfile::tempdir().unwrap();
    let mut jsonl = String::new();
    let texts: Vec<String> = (0..19)
        .map(|i| {
            let words = ["model", "zoo", "transfer", "ranking", "features", "label"];
            (0..(1 + (i * 7) % 23))
                .map(|j| words[(i + j) % words.len()])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    for (i, t) in texts.iter().enumerate() {
        jsonl.push_str(&serde_json::json!({"sentence": t, "label": i % 3}).to_string());
        jsonl.push('\n');
    }
    let jsonl = write_file(tmp.path(), "t.jsonl", jsonl);
    let ds = Dataset::open(jsonl, &DatasetOptions::default()).unwrap();
    let model = load(&minilm_dir());
    let fs = extract_in_batches_of(2, &model, &ds);
    assert_eq!(fs.indices, (0..19).collect::<Vec<_>>());
    for (i, t) in texts.iter().enumerate() {
        let one = model.forward_texts(&[t.as_str()]).unwrap();
        for (x, y) in one.features.iter().zip(fs.extracted.row(i)) {
            assert!((x - y).abs() < 1e-5, "row {i}");
        }
    }
}

#[test]
fn another_text_or_label_column_of_the_same_file_misses_the_cache() {
    let (tmp, csv) = temp_file("two.csv", "text,title,label,topic\nthe dog runs,a cat,pos,x\na boring film,the zoo,neg,x\ngreat model,slow dog,pos,y\nbad cats,good film,neg,y\n");
    let dir = ModelDir::open(fixtures().join("tiny-distilbert")).unwrap();
    let (lo, opts) = (LoadOptions::default(), ExtractOptions::default());
    let mut cache = DirCache::new(tmp.path().join("cache"));
    let open = |text: &str, label: &str| {
        Dataset::open(
            &csv,
            &DatasetOptions {
                label_column: Some(label.into()),
                text_column: Some(text.into()),
                ..Default::default()
            },
        )
        .unwrap()
    };
    let mut run = |ds: &Dataset| extract_cached(&dir, &lo, ds, &opts, Some(&mut cache)).unwrap();
    let (a, o1) = run(&open("text", "label"));
    let (_, o2) = run(&open("text", "label"));
    let (b, o3) = run(&open("title", "label"));
    let (c, o4) = run(&open("text", "topic"));
    assert_eq!(
        (o1, o2, o3, o4),
        (
            CacheOutcome::Miss,
            CacheOutcome::Hit,
            CacheOutcome::Miss,
            CacheOutcome::Miss
        )
    );
    assert_ne!(a.extracted.features, b.extracted.features);
    assert_eq!(a.extracted.features, c.extracted.features);
    assert_eq!(c.class_names, vec!["x".to_string(), "y".to_string()]);
}

/// A GLUE-style sentence-pair table (MRPC's columns) of `n` rows, as CSV.
fn pair_csv(n: usize) -> String {
    let words = [
        "the dog",
        "a cat runs",
        "model zoo",
        "great film",
        "slow",
        "i love it",
    ];
    let mut csv = String::from("idx,sentence1,sentence2,label\n");
    for i in 0..n {
        let (a, b) = (words[i % words.len()], words[(i * 5 + 1) % words.len()]);
        csv.push_str(&format!("{i},{a},{b},{}\n", i % 2));
    }
    csv
}

#[test]
fn sentence_pair_tables_are_read_as_pairs_and_extracted_as_the_model_reads_pairs() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = write_file(tmp.path(), "mrpc.csv", pair_csv(11));
    let ds = Dataset::open(&csv, &DatasetOptions::default()).unwrap();
    let Items::TextPairs(pairs) = ds.items() else {
        panic!("sentence1/sentence2 are a pair")
    };
    assert_eq!(ds.input_kind(), "text");
    let model = load(&fixtures().join("tiny-electra"));
    let fs = extract_in_batches_of(3, &model, &ds);
    assert_eq!((fs.extracted.n, fs.extracted.num_classes), (11, 3));
    for (i, (a, b)) in pairs.iter().enumerate() {
        let one = model.forward_text_inputs(&[TextInput::Pair(a, b)]).unwrap();
        for (x, y) in one.features.iter().zip(fs.extracted.row(i)) {
            assert!((x - y).abs() < 1e-5, "row {i}");
        }
    }
    // The same table as JSON lines reads the same pairs.
    let mut jsonl = String::new();
    for (i, (a, b)) in pairs.iter().enumerate() {
        let row = serde_json::json!({"sentence1": a, "sentence2": b, "label": i % 2});
        jsonl.push_str(&format!("{row}\n"));
    }
    let jsonl = write_file(tmp.path(), "mrpc.jsonl", jsonl);
    let dj = Dataset::open(&jsonl, &DatasetOptions::default()).unwrap();
    let Items::TextPairs(pj) = dj.items() else {
        panic!("JSON lines with sentence1/sentence2 are pairs")
    };
    assert_eq!(pj, pairs);
    assert_eq!(dj.labels(), ds.labels());
}

/// Opens the table `path` with the named text and pair columns (`None`: the reader's choice).
fn open_columns(
    path: &Path,
    text: Option<&str>,
    pair: Option<&str>,
) -> Result<Dataset, FeaturesError> {
    Dataset::open(
        path,
        &DatasetOptions {
            text_column: text.map(str::to_string),
            text_pair_column: pair.map(str::to_string),
            ..Default::default()
        },
    )
}

#[test]
fn a_named_text_column_reads_one_column_and_a_named_pair_column_must_exist() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = write_file(tmp.path(), "mrpc.csv", pair_csv(4));
    let single = open_columns(&csv, Some("sentence2"), None).unwrap();
    assert!(matches!(single.items(), Items::Texts(_)));
    let swapped = open_columns(&csv, Some("sentence2"), Some("sentence1")).unwrap();
    let Items::TextPairs(p) = swapped.items() else {
        panic!("a named pair column reads pairs")
    };
    assert_eq!(p[0], ("a cat runs".to_string(), "the dog".to_string()));
    for (text, pair, expect) in [
        (None, "hypothesis", "no text column \"hypothesis\""),
        (Some("sentence1"), "sentence1", "both \"sentence1\""),
    ] {
        let err = open_columns(&csv, text, Some(pair)).unwrap_err();
        assert!(err.to_string().contains(expect), "{err}");
    }
}

#[test]
fn reading_a_table_as_pairs_or_as_one_column_are_different_cache_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = write_file(tmp.path(), "mrpc.csv", pair_csv(6));
    let dir = ModelDir::open(fixtures().join("tiny-electra")).unwrap();
    let (lo, opts) = (LoadOptions::default(), ExtractOptions::default());
    let mut cache = DirCache::new(tmp.path().join("cache"));
    let pairs = open_columns(&csv, None, None).unwrap();
    let first = open_columns(&csv, Some("sentence1"), None).unwrap();
    let mut run = |ds: &Dataset| extract_cached(&dir, &lo, ds, &opts, Some(&mut cache)).unwrap();
    let (a, o1) = run(&pairs);
    let (b, o2) = run(&first);
    let (_, o3) = run(&pairs);
    assert_eq!(
        (o1, o2, o3),
        (CacheOutcome::Miss, CacheOutcome::Miss, CacheOutcome::Hit)
    );
    assert_ne!(a.extracted.features, b.extracted.features);
}
