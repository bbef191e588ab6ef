//! `zoorank embed` and `zoorank dataset add` end to end on the features crate's fixtures
//! (tiny ViT/ResNet/ELECTRA/ALBERT/XLM-RoBERTa/CamemBERT/DeBERTa-v2 checkpoints, scikit-learn `digits`
//! PNGs) and all-MiniLM-L6-v2
//! (`scripts/fetch-test-models.sh`; the text test fails when it is missing).

mod common;

use assert_cmd::Command;
use common::{
    copy_digit_classes, copy_dir, fixture_zoo, fixtures, json, minilm_dir, score_zoo,
    stderr_of_failure, temp_file, temp_store, write_file, zoorank,
};
use std::path::{Path, PathBuf};

/// `zoorank args <fixture model>` on the store `db` with `--dataset` the digits fixture.
fn on_digits(db: &Path, args: &[&str], model: &str) -> Command {
    let mut c = zoorank(db);
    c.args(args)
        .arg(fixtures().join(model))
        .arg("--dataset")
        .arg(fixtures().join("digits"));
    c
}

#[test]
fn embed_writes_npy_and_second_run_hits_the_cache() {
    let (tmp, db) = temp_store();
    let out = tmp.path().join("f.npy");
    let run = |db: &Path| {
        let mut c = zoorank(db);
        c.args([
            "embed",
            "--json",
            "--max-samples",
            "20",
            "--batch-size",
            "6",
            "--model",
        ])
        .arg(fixtures().join("tiny-vit"))
        .arg("--dataset")
        .arg(fixtures().join("digits"))
        .arg("--out")
        .arg(&out);
        json(&mut c)
    };
    let first = run(&db);
    assert_eq!(first["samples"], 20);
    assert_eq!(first["feature_dim"], 32);
    assert_eq!(first["head_classes"], 10);
    assert_eq!(first["cache"], "miss");
    for f in ["f.npy", "f.labels.npy", "f.probs.npy"] {
        assert!(tmp.path().join(f).is_file(), "{f}");
    }
    // 20 × 32 float32 after the .npy header.
    let len = std::fs::metadata(&out).unwrap().len();
    assert!((20 * 32 * 4..20 * 32 * 4 + 256).contains(&len), "{len}");
    assert_eq!(run(&db)["cache"], "hit");
}

#[test]
fn embed_reports_unsupported_model_type() {
    let tmp = tempfile::tempdir().unwrap();
    write_file(tmp.path(), "config.json", r#"{"model_type": "gpt2"}"#);
    let err = stderr_of_failure(
        zoorank(&tmp.path().join("zoo.db"))
            .args(["embed", "--no-cache", "--model"])
            .arg(tmp.path())
            .arg("--dataset")
            .arg(fixtures().join("digits")),
        1,
    );
    assert!(err.contains("unsupported model_type \"gpt2\""), "{err}");
    assert!(
        err.contains(
            "bert, distilbert, roberta, xlm-roberta, camembert, electra, albert, deberta-v2, vit"
        ),
        "{err}"
    );
}

#[test]
fn dataset_add_stores_metadata_embedding_and_distances() {
    let (tmp, db) = temp_store();
    for (name, classes) in [("low", 0..5), ("high", 5..10), ("mixed", 3..8)] {
        copy_digit_classes(classes, &tmp.path().join(name));
    }
    let add = |name: &str| {
        let mut c = zoorank(&db);
        c.args(["dataset", "add", "--json", "--probe"])
            .arg(fixtures().join("tiny-resnet"))
            .arg(tmp.path().join(name));
        json(&mut c)
    };
    let a = add("low");
    assert_eq!(a["num_samples"], 20);
    assert_eq!(a["num_classes"], 5);
    assert_eq!(a["modality"], "image");
    assert_eq!(a["method"], "domain-similarity:tiny-resnet");
    assert_eq!(a["distances"].as_array().unwrap().len(), 0);
    let b = add("high");
    let c = add("mixed");
    assert_eq!(b["distances"].as_array().unwrap().len(), 1);
    let dists = c["distances"].as_array().unwrap();
    assert_eq!(dists.len(), 2);
    // Re-adding is idempotent: same distances, features from the cache.
    let again = add("mixed");
    assert_eq!(again["distances"], c["distances"]);
    assert_eq!(again["cache"], "hit");
    let stats = json(zoorank(&db).args(["zoo", "stats", "--json"]));
    assert_eq!(stats["distances"], 3, "{stats}");
    assert_eq!(stats["datasets"], 3, "{stats}");
}

#[test]
fn embed_text_csv_with_minilm_and_vocab_only_tokenizer() {
    let (tmp, csv) = temp_file(
        "reviews.csv",
        "text,label\nwonderful film,pos\ndull plot,neg\nloved it,pos\nterrible acting,neg\n",
    );
    let out = tmp.path().join("t.npy");
    let mut c = zoorank(&tmp.path().join("zoo.db"));
    c.args(["embed", "--json", "--tokenizer", "vocab", "--model"])
        .arg(minilm_dir())
        .arg("--dataset")
        .arg(&csv)
        .arg("--out")
        .arg(&out);
    let j = json(&mut c);
    assert_eq!(j["samples"], 4);
    assert_eq!(j["feature_dim"], 384);
    assert_eq!(j["classes"], 2);
}

#[test]
fn score_zoo_stores_scores_resumes_and_hits_the_cache() {
    let (tmp, db) = temp_store();
    // A bare ViTModel without a classifier head (vit-c): LEEP is skipped for it, LogME
    // computed.
    let zoo = fixture_zoo(
        tmp.path(),
        &[
            ("tiny-vit", "vit-a"),
            ("tiny-resnet", "resnet-b"),
            ("tiny-vit-headless", "vit-c"),
        ],
    );
    std::fs::create_dir_all(zoo.join("not-a-model")).unwrap();
    let run = |store: bool| {
        let mut c = score_zoo(&db, &zoo, &fixtures().join("digits"), "logme,leep");
        c.arg("--json");
        if store {
            c.arg("--store");
        }
        json(&mut c)
    };
    let first = run(true);
    let lines = first.as_array().unwrap();
    assert_eq!(lines.len(), 6, "3 models × 2 methods: {first}");
    for l in lines {
        assert_eq!(l["cache"], "miss");
        if l["model"] == "vit-c" && l["method"] == "leep" {
            assert!(l["value"].is_null());
            assert_eq!(l["note"], "the model has no classifier head");
        } else {
            assert!(l["value"].as_f64().unwrap().is_finite(), "{l}");
        }
    }
    let stats = json(zoorank(&db).args(["zoo", "stats", "--json"]));
    assert_eq!(stats["scores"], 5, "{stats}");
    // Resuming: fully stored models are skipped; vit-c (no LEEP possible) is recomputed from
    // cached features.
    let again = run(true);
    for l in again.as_array().unwrap() {
        if l["model"] == "vit-c" {
            assert_eq!(l["cache"], "hit", "{l}");
        } else {
            assert_eq!(l["note"], "already stored", "{l}");
        }
    }
    // Without --store the scores are recomputed from cached features.
    let cached = run(false);
    assert!(cached
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["cache"] == "hit"));
    for (a, b) in lines.iter().zip(cached.as_array().unwrap()) {
        assert_eq!(a["value"], b["value"]);
    }
}

#[test]
fn score_zoo_on_a_text_csv_with_minilm() {
    let tmp = tempfile::tempdir().unwrap();
    let zoo = tmp.path().join("zoo");
    std::fs::create_dir_all(&zoo).unwrap();
    std::os::unix::fs::symlink(minilm_dir(), zoo.join("all-MiniLM-L6-v2")).unwrap();
    let csv = reviews_csv(tmp.path());
    // An image model in the same zoo is skipped with a note, not an abort.
    copy_dir(&fixtures().join("tiny-vit"), &zoo.join("tiny-vit"));
    let db = tmp.path().join("zoo.db");
    let j = json(score_zoo(&db, &zoo, &csv, "logme,h-score").args(["--json", "--store"]));
    let lines = j.as_array().unwrap();
    assert_eq!(lines.len(), 4);
    for l in lines {
        if l["model"] == "tiny-vit" {
            assert_eq!(l["cache"], "skipped", "{l}");
            assert!(
                l["note"].as_str().unwrap().contains("takes image input"),
                "{l}"
            );
        } else {
            assert!(l["value"].as_f64().is_some(), "{l}");
        }
    }
}

/// A small two-class text CSV (12 reviews) at `dir/reviews.csv`.
fn reviews_csv(dir: &Path) -> PathBuf {
    let mut text = String::from("text,label\n");
    for (i, t) in [
        "a wonderful, moving film",
        "brilliant acting and a great story",
        "I loved every minute of it",
        "a delightful surprise",
        "the best movie this year",
        "beautifully shot and scored",
        "dull and far too long",
        "a boring, lifeless plot",
        "terrible acting throughout",
        "I walked out halfway",
        "a complete waste of time",
        "clumsy writing and flat jokes",
    ]
    .iter()
    .enumerate()
    {
        text.push_str(&format!("\"{t}\",{}\n", if i < 6 { "pos" } else { "neg" }));
    }
    write_file(dir, "reviews.csv", text)
}

#[test]
fn score_extracts_minilm_features_like_embed_then_score_and_reruns_from_the_cache() {
    let (tmp, db) = temp_store();
    let model = tmp.path().join("all-MiniLM-L6-v2");
    std::os::unix::fs::symlink(minilm_dir(), &model).unwrap();
    let csv = reviews_csv(tmp.path());
    let score = |db: &Path| {
        let mut c = zoorank(db);
        c.args(["score", "--method", "logme", "--json", "--store", "--model"])
            .arg(&model)
            .arg("--dataset")
            .arg(&csv);
        json(&mut c)
    };
    let first = score(&db);
    assert_eq!(first["cache"], "miss", "{first}");
    assert_eq!(first["samples"], 12);
    assert_eq!(first["feature_dim"], 384);
    assert_eq!(first["model"], "all-MiniLM-L6-v2");
    assert_eq!(first["dataset"], "reviews");
    let logme = first["scores"]["logme"]["value"].as_f64().unwrap();
    assert!(logme.is_finite(), "{first}");

    // `cache: hit` is reported only when the feature set was read from the store's blob table,
    // the branch of `extract_cached` that neither loads the model nor runs a forward pass.
    let second = score(&db);
    assert_eq!(second["cache"], "hit", "{second}");
    assert_eq!(
        second["scores"]["logme"]["value"],
        first["scores"]["logme"]["value"]
    );

    // The same features through `embed` + array mode give the same LogME.
    let out = tmp.path().join("f.npy");
    let mut c = zoorank(&tmp.path().join("other.db"));
    c.args(["embed", "--json", "--no-cache", "--model"])
        .arg(&model)
        .arg("--dataset")
        .arg(&csv)
        .arg("--out")
        .arg(&out);
    assert_eq!(json(&mut c)["cache"], "miss");
    let mut c = zoorank(&tmp.path().join("other.db"));
    c.args(["score", "--method", "logme", "--json", "--features"])
        .arg(&out)
        .arg("--labels")
        .arg(tmp.path().join("f.labels.npy"));
    let arrays = json(&mut c);
    let v = arrays["logme"]["value"].as_f64().unwrap();
    assert!(
        (v - logme).abs() <= 1e-9 * logme.abs().max(1.0),
        "extraction mode {logme} vs embed + array mode {v}"
    );

    // --store wrote one score under the directory's and the file's names.
    let zoo = zoorank_store::Store::open(&db).unwrap().load_zoo().unwrap();
    assert_eq!(zoo.scores.len(), 1, "{:?}", zoo.scores);
    let s = &zoo.scores[0];
    assert_eq!(zoo.models[s.model].name, "all-MiniLM-L6-v2");
    assert_eq!(zoo.datasets[s.dataset].name, "reviews");
    assert_eq!((s.method.as_str(), s.value), ("logme", logme));
}

#[test]
fn score_extraction_mode_feeds_the_head_probabilities_to_leep_and_nce() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = zoorank(&tmp.path().join("zoo.db"));
    c.args([
        "score",
        "--json",
        "--max-samples",
        "20",
        "--method",
        "leep,nce,logme",
        "--model",
    ])
    .arg(fixtures().join("tiny-vit"))
    .arg("--dataset")
    .arg(fixtures().join("digits"));
    let j = json(&mut c);
    assert_eq!(j["head_classes"], 10);
    assert_eq!(j["samples"], 20);
    for m in ["leep", "nce", "logme"] {
        assert!(j["scores"][m]["value"].as_f64().unwrap().is_finite(), "{j}");
    }
    // LEEP is a mean log-likelihood: negative; NCE is a negative conditional entropy.
    assert!(j["scores"]["leep"]["value"].as_f64().unwrap() < 0.0);
    assert!(j["scores"]["nce"]["value"].as_f64().unwrap() <= 0.0);

    // Without a head, leep is refused by name before any score runs.
    let err = stderr_of_failure(
        &mut on_digits(
            &tmp.path().join("zoo.db"),
            &["score", "--method", "leep", "--model"],
            "tiny-vit-headless",
        ),
        1,
    );
    assert!(err.contains("has no classifier head"), "{err}");
}

#[test]
fn score_modes_are_exclusive_with_usage_errors() {
    let (_tmp, db) = temp_store();
    let usage = |args: &[&str]| stderr_of_failure(zoorank(&db).arg("score").args(args), 2);
    // Neither mode.
    let e = usage(&[]);
    assert!(e.contains("--model") && e.contains("--dataset"), "{e}");
    // Extraction mode without a dataset.
    assert!(usage(&["--model", "m"]).contains("--dataset"));
    // Array inputs without labels (they select array mode).
    assert!(usage(&["--model", "m", "--dataset", "d", "--features", "x.npy"]).contains("--labels"));
    // Extraction options in array mode.
    let e = usage(&[
        "--labels",
        "y.npy",
        "--features",
        "x.npy",
        "--max-samples",
        "5",
    ]);
    assert!(e.contains("--max-samples"), "{e}");
}

/// A GLUE-style sentence-pair table (MRPC's columns, two classes) at `dir/mrpc.csv`.
fn pairs_csv(dir: &Path) -> PathBuf {
    let mut text = String::from("idx,sentence1,sentence2,label\n");
    let rows = [
        ("the dog runs fast", "a fast dog runs", 1),
        ("the film is great", "a great film", 1),
        ("i love this model", "this model is loved", 1),
        ("cats walk slowly", "slow cats walk", 1),
        ("the zoo is boring", "a great film", 0),
        ("a dog runs", "i hate this film", 0),
        ("the model zoo", "cats and dogs", 0),
        ("it runs fast", "a boring slow walk", 0),
    ];
    for (i, (a, b, l)) in rows.iter().enumerate() {
        text.push_str(&format!("{i},{a},{b},{l}\n"));
    }
    write_file(dir, "mrpc.csv", text)
}

#[test]
fn score_zoo_and_embed_run_the_new_text_families_on_sentence_pairs() {
    let tmp = tempfile::tempdir().unwrap();
    let zoo = tmp.path().join("zoo");
    let names = [
        "tiny-electra",
        "tiny-albert",
        "tiny-xlm-roberta",
        "tiny-camembert",
        "tiny-deberta-v2",
    ];
    for name in names {
        copy_dir(&fixtures().join(name), &zoo.join(name));
    }
    let csv = pairs_csv(tmp.path());
    let db = tmp.path().join("zoo.db");
    let mut c = zoorank(&db);
    c.args(["score-zoo", "--json", "--methods", "logme", "--models"])
        .arg(&zoo)
        .arg("--dataset")
        .arg(&csv);
    let j = json(&mut c);
    let lines = j.as_array().unwrap();
    assert_eq!(lines.len(), names.len(), "{j}");
    for l in lines {
        assert!(l["value"].as_f64().is_some_and(f64::is_finite), "{l}");
    }
    // embed reads the same pairs, named explicitly, and the pair template's output differs from
    // reading the first column alone.
    let embed = |extra: &[&str], out: &str| {
        let mut c = zoorank(&db);
        c.args(["embed", "--json", "--no-cache", "--model"])
            .arg(zoo.join("tiny-electra"))
            .arg("--dataset")
            .arg(&csv)
            .args(extra)
            .arg("--out")
            .arg(tmp.path().join(out));
        let j = json(&mut c);
        assert_eq!(
            (j["samples"].as_u64(), j["feature_dim"].as_u64()),
            (Some(8), Some(16))
        );
        std::fs::read(tmp.path().join(out)).unwrap()
    };
    let pairs = embed(
        &[
            "--text-column",
            "sentence1",
            "--text-pair-column",
            "sentence2",
        ],
        "pairs.npy",
    );
    let auto = embed(&[], "auto.npy");
    let first = embed(&["--text-column", "sentence1"], "first.npy");
    assert_eq!(pairs, auto);
    assert_ne!(pairs, first);
}

#[test]
fn layers_flag_rejects_unknown_values_listing_the_valid_forms_and_embed_refuses_best() {
    let (_tmp, db) = temp_store();
    for cmd in ["embed", "score"] {
        let err = stderr_of_failure(
            &mut on_digits(&db, &[cmd, "--layers", "foo", "--model"], "tiny-vit"),
            2,
        );
        assert!(
            err.contains("unknown layer choice 'foo' (valid: last, mean, best)"),
            "{cmd}: {err}"
        );
    }
    let err = stderr_of_failure(
        &mut on_digits(
            &db,
            &["embed", "--no-cache", "--layers", "best", "--model"],
            "tiny-vit",
        ),
        1,
    );
    assert!(err.contains("embed --layers best"), "{err}");
    let err = stderr_of_failure(
        &mut on_digits(
            &db,
            &["embed", "--no-cache", "--layers", "mean", "--model"],
            "tiny-resnet",
        ),
        1,
    );
    assert!(
        err.contains("--layers mean is not supported for resnet models"),
        "{err}"
    );
}

#[test]
fn score_zoo_layers_mean_and_best_are_stored_apart_and_best_reports_its_layer() {
    let (tmp, db) = temp_store();
    let zoo = fixture_zoo(
        tmp.path(),
        &[("tiny-vit", "vit-a"), ("tiny-vit-headless", "vit-c")],
    );
    let run = |layers: &str| {
        let mut c = score_zoo(&db, &zoo, &fixtures().join("digits"), "logme");
        c.args(["--json", "--store", "--layers", layers]);
        json(&mut c)
    };
    let last = run("last");
    let mean = run("mean");
    let best = run("best");
    for (l, m, b) in itertools_free_zip(&last, &mean, &best) {
        assert_eq!(l["method"], "logme");
        assert!(l.get("layer").is_none(), "{l}");
        assert_eq!(m["method"], "logme@mean");
        assert_eq!(m["cache"], "miss", "mean has its own cache entry: {m}");
        assert_eq!(b["method"], "logme@best");
        let layer = b["layer"].as_u64().unwrap();
        assert!((1..=2).contains(&layer), "{b}");
        // The last layer is one of those `best` compares.
        assert!(
            b["value"].as_f64().unwrap() >= l["value"].as_f64().unwrap(),
            "{b} {l}"
        );
        assert_ne!(m["value"], l["value"]);
    }
    let stats = json(zoorank(&db).args(["zoo", "stats", "--json"]));
    assert_eq!(stats["scores"], 6, "2 models × 3 layer choices: {stats}");
    // `last` still hits the entry it wrote first.
    let again = json(
        score_zoo(&db, &zoo, &fixtures().join("digits"), "logme")
            .args(["--json", "--layers", "last"]),
    );
    assert!(again
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["cache"] == "hit"));
}

/// The lines of three score-zoo runs side by side.
fn itertools_free_zip<'a>(
    a: &'a serde_json::Value,
    b: &'a serde_json::Value,
    c: &'a serde_json::Value,
) -> Vec<(
    &'a serde_json::Value,
    &'a serde_json::Value,
    &'a serde_json::Value,
)> {
    let (a, b, c) = (
        a.as_array().unwrap(),
        b.as_array().unwrap(),
        c.as_array().unwrap(),
    );
    assert_eq!((a.len(), b.len()), (c.len(), c.len()));
    assert!(!a.is_empty());
    a.iter()
        .zip(b)
        .zip(c)
        .map(|((x, y), z)| (x, y, z))
        .collect()
}
