//! `zoorank recommend --method <graph id>@scores --explain` on the real TransferGraph image
//! zoo: the held-out target's LogME scores become graph links, and `--explain` reports
//! exactly the links the rule in `zoorank_graph::build` prescribes (checked here from the
//! scores the command itself prints, not from the graph code).

mod common;

use common::{import_image_zoo, json, temp_store, zoorank};
use predicates::prelude::*;

#[test]
fn score_links_of_the_target_follow_its_logme_scores() {
    let (_tmp, db) = temp_store();
    import_image_zoo(&db);
    let out = json(zoorank(&db).args([
        "recommend",
        "--target",
        "dtd",
        "--method",
        "lr+node2vec@scores",
        "--explain",
        "--json",
        "--top",
        "1000",
    ]));
    assert_eq!(out["method"], "lr+node2vec@scores");
    let models = out["models"].as_array().unwrap();
    // Every model with a LogME score on dtd, and its score link (if any).
    let scored: Vec<(f64, Option<f64>)> = models
        .iter()
        .filter_map(|m| {
            let logme = m["scores"]["logme"].as_f64()?;
            Some((logme, m["explain"]["score_link"].as_f64()))
        })
        .collect();
    assert!(scored.len() > 100, "{} scored models", scored.len());
    let mut v: Vec<f64> = scored.iter().map(|s| s.0).collect();
    v.sort_by(f64::total_cmp);
    let (lo, hi) = (v[0], v[v.len() - 1]);
    // The median (NumPy's linear interpolation), the default link quantile.
    let pos = 0.5 * (v.len() - 1) as f64;
    let i = pos.floor() as usize;
    let median = v[i] + (pos - i as f64) * (v[i + 1] - v[i]);
    for (logme, link) in &scored {
        if *logme >= median {
            let want = ((logme - lo) / (hi - lo)).max(1e-3);
            let got = link.expect("a model at or above the median is linked");
            assert!((got - want).abs() < 1e-9, "logme {logme}: {got} vs {want}");
        } else {
            assert_eq!(*link, None, "logme {logme} below the median {median}");
        }
    }
    // The plain id has no score links.
    let plain = json(zoorank(&db).args([
        "recommend",
        "--target",
        "dtd",
        "--method",
        "lr+node2vec",
        "--explain",
        "--json",
    ]));
    for m in plain["models"].as_array().unwrap() {
        assert!(m["explain"].get("score_link").is_none(), "{m}");
    }
    // A misspelt suffix is refused with the list of what exists.
    zoorank(&db)
        .args(["recommend", "--target", "dtd", "--method", "lr+gat@score"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown method 'lr+gat@score'"))
        .stderr(predicate::str::contains("<graph id>@scores"));
}
