//! The protocol on the real TransferGraph image zoo: no leak of the held-out target, the LogME
//! baseline reproduces the published row, popularity matches its measured values, `lr` meets
//! the evaluation issue's bar.

use std::collections::BTreeMap;
use zoorank_core::Zoo;
use zoorank_eval::harness::target_metrics;
use zoorank_eval::{evaluate, leave_one_out, EvalOptions};
use zoorank_predict::rank::{all_methods, MethodSpec, ModelScore};
#[path = "../../experiments/src/common.rs"]
mod common;

fn image_zoo() -> Zoo {
    common::image_zoo().unwrap()
}

/// The `average` column of a published table, for one method row.
fn published(metric: &str, row: &str) -> f64 {
    let p = common::data_dir().join(format!("transfergraph-image/published/{metric}.csv"));
    let text = std::fs::read_to_string(p).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "average").unwrap();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        if f[0] == row {
            return f[col].parse().unwrap();
        }
    }
    panic!("no row {row} in {metric}");
}

fn opts() -> EvalOptions {
    EvalOptions {
        targets: Some(common::PUBLISHED.iter().map(|s| s.to_string()).collect()),
        ..EvalOptions::default()
    }
}

#[test]
fn changing_every_accuracy_of_the_held_out_target_changes_no_prediction() {
    let zoo = image_zoo();
    let methods = all_methods(&zoo.score_methods());
    for name in ["dtd", "svhn"] {
        let t = zoo.dataset_index(name).unwrap();
        let mut poisoned = zoo.clone();
        for r in poisoned.records.iter_mut().filter(|r| r.dataset == t) {
            r.accuracy = 1.0 - r.accuracy;
            r.train_runtime = Some(1e9);
            r.learning_rate = Some(123.0);
        }
        let a = leave_one_out(&zoo, t, false, 7);
        let b = leave_one_out(&poisoned, t, false, 7);
        // Methods shared out over the cores (≈ 40 ids; the graph ones take ~1 s each).
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(m) = methods.get(i) else { break };
                    let r = m.ranker(&zoo.score_methods()).unwrap();
                    let pa: Vec<ModelScore> = r.rank(&a).unwrap();
                    let pb: Vec<ModelScore> = r.rank(&b).unwrap();
                    assert_eq!(pa, pb, "method {m} on {name} saw the held-out accuracies");
                });
            }
        });
        // And the view really holds nothing of the target's history.
        assert!(a.zoo.records.iter().all(|r| r.dataset != t));
    }
}

#[test]
fn logme_baseline_reproduces_the_published_row() {
    let zoo = image_zoo();
    let rep = evaluate(
        &zoo,
        &[
            MethodSpec::StoredScore("logme".into()),
            MethodSpec::StoredScore("reg-h-score".into()),
        ],
        &opts(),
    )
    .unwrap();
    for (ours, theirs) in [("logme", "LogME"), ("reg-h-score", "Reg-H-Score")] {
        let w = &rep.methods[ours].weighted_average;
        let rel1 = published("rel@1", theirs);
        let pearson = published("pearson", theirs);
        let wk = published("w-kendall", theirs);
        eprintln!(
            "{ours}: rel@1 {:.4} (published {rel1:.4}), pearson {:.4} ({pearson:.4}), w-kendall {:.4} ({wk:.4})",
            w["rel@1"], w["pearson"], w["w-kendall"]
        );
        if ours == "logme" {
            assert!((w["rel@1"] - rel1).abs() <= 0.005);
            assert!((w["pearson"] - pearson).abs() <= 0.015);
            assert!((w["w-kendall"] - wk).abs() <= 0.015);
        }
    }
}

#[test]
fn food101_is_the_only_collapsed_dataset_of_the_image_zoo() {
    let zoo = image_zoo();
    let c = zoo.collapsed_datasets();
    let names: Vec<&str> = c
        .iter()
        .map(|c| zoo.datasets[c.dataset].name.as_str())
        .collect();
    assert_eq!(names, ["food101"], "{c:?}");
    // 110 of its 112 models end at 1/101, chance on 101 balanced classes.
    assert_eq!((c[0].runs, c[0].collapsed), (112, 110));
    assert!((c[0].value - 1.0 / 101.0).abs() < 1e-4, "{}", c[0].value);
}

#[test]
fn the_learned_lr_meets_the_bar_and_the_guarded_blends_beat_popularity() {
    let zoo = image_zoo();
    let methods: Vec<MethodSpec> = [
        "popularity",
        "lr",
        "guard+pop+lr",
        "trend+lr",
        "guard+trend+lr",
        "guard+trend+lr+node2vec",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let rep = evaluate(&zoo, &methods, &opts()).unwrap();
    for m in methods.iter().map(|m| m.to_string()) {
        let w = &rep.methods[&m].weighted_average;
        eprintln!(
            "{m:>13}: rel@1 {:.3} pearson {:.3} w-kendall {:.3}",
            w["rel@1"], w["pearson"], w["w-kendall"]
        );
    }
    let pop = &rep.methods["popularity"].weighted_average;
    // Measured before the project started, with food101's collapsed runs counted as a
    // ranking: 0.993 / 0.758 / 0.635. Without them (zoorank_core::collapse): 0.993 / 0.811 /
    // 0.694 — the same ranks `ceiling` computes independently (crates/experiments/examples/ceiling.rs).
    assert!((pop["rel@1"] - 0.993).abs() < 0.005, "{pop:?}");
    assert!((pop["pearson"] - 0.811).abs() < 0.01, "{pop:?}");
    assert!((pop["w-kendall"] - 0.694).abs() < 0.01, "{pop:?}");
    let w = &rep.methods["lr"].weighted_average;
    assert!(w["pearson"] >= 0.76, "{w:?}");
    assert!(w["w-kendall"] >= 0.64, "{w:?}");
    assert!(w["rel@1"] >= 0.95, "{w:?}");
    assert!(w["pearson"] > pop["pearson"], "{w:?} vs {pop:?}");
    // Keeping the prior's top 10 on top of pop+lr (k chosen on the validation targets) gets
    // ahead of popularity on all three metrics at once: 0.818 / 0.7001 / 0.9932 (BENCHMARKS.md).
    let g = &rep.methods["guard+pop+lr"].weighted_average;
    for k in ["pearson", "w-kendall", "rel@1"] {
        assert!(g[k] >= pop[k], "{k}: {g:?} vs {pop:?}");
    }
    // The trend prior (each model's slopes in samples per class and in distance from the
    // models' pre-training; descriptors and penalty chosen on the validation targets) instead
    // of popularity: guard+trend+lr 0.860 / 0.730 / 0.993 and trend+lr (recommend's default)
    // 0.860 / 0.727 / 0.9927, ahead of the best published TransferGraph figures (Pearson
    // 0.808, w-τ 0.663, Rel@1 0.989) on all three and of popularity on Pearson and w-τ (the
    // guarded one on Rel@1 too; trend+lr's 0.9927 is just under popularity's 0.9932).
    for id in ["guard+trend+lr", "trend+lr"] {
        let t = &rep.methods[id].weighted_average;
        for (k, published) in [("pearson", 0.808), ("w-kendall", 0.663), ("rel@1", 0.989)] {
            assert!(t[k] > published, "{id} {k}: {t:?}");
            if id.starts_with("guard+") || k != "rel@1" {
                assert!(t[k] >= pop[k], "{id} {k}: {t:?} vs {pop:?}");
                assert!(t[k] >= g[k], "{id} {k}: {t:?} vs guard+pop+lr {g:?}");
            }
        }
    }
    // Issue #5's bar, met by a graph configuration: 0.856 / 0.705 / 0.993 at seed 0 (0.857 /
    // 0.713 and 0.854 / 0.707 at seeds 1 and 2).
    let n = &rep.methods["guard+trend+lr+node2vec"].weighted_average;
    assert!(
        n["pearson"] >= 0.85 && n["w-kendall"] >= 0.70 && n["rel@1"] >= 0.99,
        "{n:?}"
    );
}

#[test]
fn predicted_accuracies_never_exceed_what_the_zoo_recorded() {
    // dtd's expected level (≈ 0.90, from the other datasets) plus its spread times lr's top
    // z-scores came to 1.059 before predictions were kept within the recorded range.
    let zoo = image_zoo();
    let t = zoo.dataset_index("dtd").unwrap();
    let view = leave_one_out(&zoo, t, false, 0);
    let hi = view
        .zoo
        .records
        .iter()
        .map(|r| r.accuracy)
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(hi <= 1.0, "{hi}");
    for id in ["lr", "guard+pop+lr", "lr+node2vec"] {
        let r = id
            .parse::<MethodSpec>()
            .unwrap()
            .ranker(&zoo.score_methods())
            .unwrap();
        for s in r.rank(&view).unwrap() {
            let p = s.predicted_accuracy.unwrap();
            assert!(p <= hi && p >= 0.0, "{id}: model {} predicted {p}", s.model);
        }
    }
}

#[test]
fn a_perfect_ranking_scores_one() {
    let truth: BTreeMap<usize, f64> = [(0, 0.5), (1, 0.9), (2, 0.7), (3, 0.6)]
        .into_iter()
        .collect();
    let scores: Vec<ModelScore> = truth
        .iter()
        .map(|(&m, &v)| ModelScore {
            model: m,
            score: v,
            predicted_accuracy: None,
        })
        .collect();
    let m = target_metrics(&scores, &truth).unwrap().unwrap();
    for k in [
        "pearson",
        "spearman",
        "kendall",
        "w-kendall",
        "rel@1",
        "rel@5",
    ] {
        assert!((m[k] - 1.0).abs() < 1e-12, "{k} = {}", m[k]);
    }
}

#[test]
fn reveal_curves_carry_interval_coverage_and_k0_matches_the_cold_intervals() {
    // The budget loop's intervals are calibrated for as many runs as were revealed; at K = 0
    // they are the cold intervals the method report scores.
    let zoo = image_zoo();
    let mut o = opts();
    o.targets = Some(vec!["dtd".into(), "pets".into()]);
    o.intervals = Some(0.8);
    o.reveal = Some(zoorank_eval::RevealOptions {
        max_k: 2,
        strategies: vec![zoorank_predict::accuracy::strategy::Strategy::Top],
    });
    let method: MethodSpec = "trend+lr".parse().unwrap();
    let r = evaluate(&zoo, &[method], &o).unwrap();
    let cold = &r.methods["trend+lr"].per_target;
    let curve = &r.reveal["trend+lr"]["top"];
    for target in ["dtd", "pets"] {
        let steps = &curve.per_target[target];
        assert_eq!(steps.len(), 3, "{target}: K = 0..=2");
        for (k, m) in steps.iter().enumerate() {
            let (cov, width) = (m["coverage@80"], m["width@80"]);
            assert!((0.0..=1.0).contains(&cov), "{target} K={k}: coverage {cov}");
            assert!(width > 0.0 && width < 1.0, "{target} K={k}: width {width}");
        }
        for key in ["coverage@80", "width@80", "mae"] {
            let (a, b) = (steps[0][key], cold[target][key]);
            assert!((a - b).abs() < 1e-12, "{target} {key}: {a} vs {b}");
        }
    }
    assert!(curve.weighted_average[1].contains_key("coverage@80"));
}

#[test]
fn three_survey_runs_place_the_rest_within_four_points_and_closer_than_the_best_seekers() {
    // The budget-loop bar on predicted accuracy: after 3 runs on each published target, the
    // models not run are predicted within 0.04 (weighted MAE). `survey` spends its runs on
    // that; the strategies that seek the best model place the rest less well.
    let zoo = image_zoo();
    let mut o = opts();
    o.reveal = Some(zoorank_eval::RevealOptions {
        max_k: 3,
        strategies: zoorank_predict::accuracy::strategy::Strategy::ALL.to_vec(),
    });
    let method: MethodSpec = "trend+lr".parse().unwrap();
    let r = evaluate(&zoo, &[method], &o).unwrap();
    let curves = &r.reveal["trend+lr"];
    let mae = |s: &str| curves[s].weighted_average[3]["mae"];
    let rel = |s: &str| curves[s].weighted_average[3]["rel@1"];
    assert!(mae("survey") <= 0.04, "survey K = 3 MAE {}", mae("survey"));
    for s in ["explore", "top", "clusters"] {
        assert!(
            mae("survey") < mae(s),
            "survey {} against {s} {}",
            mae("survey"),
            mae(s)
        );
    }
    // Its first run is the best predicted, so it still finds a near-best model.
    assert!(
        rel("survey") >= 0.99,
        "survey K = 3 Rel@1 {}",
        rel("survey")
    );
}

#[test]
fn cold_predicted_accuracies_take_their_level_from_the_descriptors_and_cover_what_they_claim() {
    // No run on the target: the predictions' level comes from the targets' samples per
    // class, distance from pre-training and number of classes (MAE 0.215 with the level of
    // the other datasets' typical means, which stanfordcars and dtd lie far below), and
    // trend+lr's 80 % intervals cover at least 80 % of the published targets' recorded
    // accuracies (weighted) while spanning well under the 0.70 they needed with the level
    // of two descriptors and the split-conformal correction made once per tail.
    let zoo = image_zoo();
    let mut o = opts();
    o.intervals = Some(0.8);
    let method: MethodSpec = "trend+lr".parse().unwrap();
    let r = evaluate(&zoo, &[method], &o).unwrap();
    let w = &r.methods["trend+lr"].weighted_average;
    let (mae, cov, width) = (w["mae"], w["coverage@80"], w["width@80"]);
    assert!((0.80..=0.95).contains(&cov), "coverage {cov}");
    assert!(width < 0.52, "width {width}");
    assert!(mae < 0.13, "MAE {mae}");
}
