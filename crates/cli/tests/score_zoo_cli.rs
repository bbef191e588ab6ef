//! `zoorank score-zoo` over a zoo with a broken model: the run goes on, the broken model is
//! named with its error, and the exit code (3) says that some models failed.

mod common;

use common::{
    copy_digit_classes, copy_dir, fixture_zoo, fixtures, json, score_zoo, temp_store, zoorank,
};
use std::path::Path;

/// A zoo of 20 tiny random-weight checkpoints (ViT and ResNet in Hugging Face layout), the
/// 8th of which (`m07-corrupt`) has a truncated `model.safetensors`.
fn zoo_with_one_corrupt_model(zoo: &Path) {
    for i in 0..20 {
        let (fixture, name) = match i {
            7 => ("tiny-resnet", format!("m{i:02}-corrupt")),
            i if i % 2 == 0 => ("tiny-resnet", format!("m{i:02}-resnet")),
            _ => ("tiny-vit", format!("m{i:02}-vit")),
        };
        copy_dir(&fixtures().join(fixture), &zoo.join(name));
    }
    let weights = zoo.join("m07-corrupt").join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..100]).unwrap();
}

#[test]
fn score_zoo_scores_nineteen_models_and_names_the_corrupt_twentieth() {
    let (tmp, db) = temp_store();
    let zoo = tmp.path().join("zoo");
    zoo_with_one_corrupt_model(&zoo);
    let data = tmp.path().join("digits");
    copy_digit_classes(0..4, &data);
    let run = || {
        score_zoo(&db, &zoo, &data, "logme,h-score")
            .args(["--json", "--store"])
            .output()
            .unwrap()
    };
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("1 of 20 models could not be scored") && stderr.contains("m07-corrupt"),
        "{stderr}"
    );
    let lines: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines = lines.as_array().unwrap();
    assert_eq!(lines.len(), 40, "20 models × 2 methods");
    let mut scored = std::collections::BTreeSet::new();
    for l in lines {
        let model = l["model"].as_str().unwrap();
        if model == "m07-corrupt" {
            assert_eq!(l["cache"], "failed", "{l}");
            assert!(l["value"].is_null(), "{l}");
            let err = l["error"].as_str().unwrap();
            assert!(
                err.contains("m07-corrupt") && err.contains("model.safetensors"),
                "{err}"
            );
        } else {
            assert!(l["value"].as_f64().unwrap().is_finite(), "{l}");
            assert!(l.get("error").is_none(), "{l}");
            scored.insert(model.to_string());
        }
    }
    assert_eq!(scored.len(), 19);
    // The 19 were stored; a rerun skips them and tries only the broken model again.
    let stats = json(zoorank(&db).args(["zoo", "stats", "--json"]));
    assert_eq!(stats["scores"], 38, "{stats}");
    let again = run();
    assert_eq!(again.status.code(), Some(3));
    let lines: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    for l in lines.as_array().unwrap() {
        let want = if l["model"] == "m07-corrupt" {
            "failed"
        } else {
            "stored"
        };
        assert_eq!(l["cache"], want, "{l}");
    }
}

#[test]
fn score_zoo_table_output_marks_the_failed_model_and_exits_3() {
    let tmp = tempfile::tempdir().unwrap();
    let zoo = fixture_zoo(
        tmp.path(),
        &[("tiny-resnet", "good"), ("tiny-resnet", "bad")],
    );
    // Not JSON at all: the configuration cannot be read.
    std::fs::write(zoo.join("bad").join("config.json"), "{ not json").unwrap();
    let data = tmp.path().join("digits");
    copy_digit_classes(0..3, &data);
    let out = score_zoo(&tmp.path().join("zoo.db"), &zoo, &data, "logme")
        .arg("--no-cache")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let bad = stdout.lines().find(|l| l.contains("bad")).unwrap();
    assert!(
        bad.contains("failed") && bad.contains("config.json"),
        "{stdout}"
    );
    let good = stdout.lines().find(|l| l.contains("good")).unwrap();
    assert!(!good.contains("failed"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 of 2 models could not be scored") && stderr.contains("bad"),
        "{stderr}"
    );
}
