//! `Protocol::Published`: per target, a model whose best run over full fine-tuning and PEFT
//! together is a PEFT run is left out of that target; the default protocol is unchanged.

use zoorank_core::{Dataset, Model, Record, Zoo};
use zoorank_eval::{evaluate, EvalOptions, Protocol};
use zoorank_predict::rank::MethodSpec;

fn run(m: usize, d: usize, acc: f64, peft: bool) -> Record {
    let mut r = Record::new(m, d, acc);
    if peft {
        r.peft_method = Some("lora".into());
    }
    r
}

/// Target `t0`: m0's best run is LoRA (0.9 over 0.8), m1's is full fine-tuning (0.7 over
/// 0.6), m2 has full fine-tuning only, m3 LoRA only, m4 ties (0.6 both), m5 full only. Two
/// other datasets give every model a history.
fn zoo() -> Zoo {
    let mut zoo = Zoo::default();
    for d in ["t0", "t1", "t2"] {
        zoo.add_dataset(Dataset::named(d));
    }
    for i in 0..6 {
        let m = zoo.add_model(Model::named(format!("m{i}")));
        for d in 1..3 {
            zoo.records
                .push(run(m, d, 0.3 + 0.1 * i as f64 + 0.05 * d as f64, false));
        }
    }
    zoo.records.extend([
        run(0, 0, 0.8, false),
        run(0, 0, 0.9, true),
        run(1, 0, 0.7, false),
        run(1, 0, 0.6, true),
        run(2, 0, 0.5, false),
        run(3, 0, 0.95, true),
        run(4, 0, 0.6, true),
        run(4, 0, 0.6, false),
        run(5, 0, 0.4, false),
    ]);
    zoo
}

#[test]
fn a_model_whose_best_run_is_peft_is_left_out_of_that_target() {
    let zoo = zoo();
    let default = Protocol::Default.ground_truth(&zoo, 0, false);
    assert_eq!(
        default,
        vec![(0, 0.8), (1, 0.7), (2, 0.5), (4, 0.6), (5, 0.4)]
    );
    let published = Protocol::Published.ground_truth(&zoo, 0, false);
    assert_eq!(published, vec![(1, 0.7), (2, 0.5), (4, 0.6), (5, 0.4)]);
    // Counting PEFT runs in the history changes nothing about who is left out.
    assert_eq!(Protocol::Published.ground_truth(&zoo, 0, true), published);
    // Targets without PEFT runs are the same under both.
    for d in 1..3 {
        assert_eq!(
            Protocol::Published.ground_truth(&zoo, d, false),
            zoo.ground_truth(d, false)
        );
    }
}

#[test]
fn evaluate_under_the_published_protocol_ranks_and_scores_only_the_models_kept() {
    let zoo = zoo();
    let methods = vec![MethodSpec::Popularity];
    let opts = |protocol, include_peft| EvalOptions {
        targets: Some(vec!["t0".into()]),
        protocol,
        include_peft,
        threads: 1,
        ..EvalOptions::default()
    };
    let scored = |rep: &zoorank_eval::EvalReport| -> Vec<String> {
        let mut v: Vec<String> = rep.methods["popularity"].predictions["t0"]
            .iter()
            .map(|(m, _, _)| m.clone())
            .collect();
        v.sort();
        v
    };
    let published = evaluate(&zoo, &methods, &opts(Protocol::Published, false)).unwrap();
    let t0 = &published.targets["t0"];
    assert_eq!((t0.models, t0.max_accuracy), (4, 0.7));
    assert_eq!(scored(&published), ["m1", "m2", "m4", "m5"]);

    let default = evaluate(&zoo, &methods, &opts(Protocol::Default, false)).unwrap();
    assert_eq!(
        (
            default.targets["t0"].models,
            default.targets["t0"].max_accuracy
        ),
        (5, 0.8)
    );
    assert_eq!(scored(&default), ["m0", "m1", "m2", "m4", "m5"]);
    // The default options are the default protocol.
    let implicit = evaluate(
        &zoo,
        &methods,
        &EvalOptions {
            targets: Some(vec!["t0".into()]),
            threads: 1,
            ..EvalOptions::default()
        },
    )
    .unwrap();
    assert_eq!(implicit.targets, default.targets);
    assert_eq!(
        implicit.methods["popularity"].per_target,
        default.methods["popularity"].per_target
    );

    // With PEFT runs counted, the default protocol takes m3 and m0's LoRA runs; the published
    // one still leaves them out.
    let peft = evaluate(&zoo, &methods, &opts(Protocol::Default, true)).unwrap();
    assert_eq!(
        (peft.targets["t0"].models, peft.targets["t0"].max_accuracy),
        (6, 0.95)
    );
    let published_peft = evaluate(&zoo, &methods, &opts(Protocol::Published, true)).unwrap();
    assert_eq!(published_peft.targets["t0"].models, 4);
    assert_eq!(scored(&published_peft), ["m1", "m2", "m4", "m5"]);
}

#[test]
fn a_target_left_with_fewer_than_two_models_is_not_a_target() {
    let mut zoo = Zoo::default();
    let t = zoo.add_dataset(Dataset::named("t"));
    let other = zoo.add_dataset(Dataset::named("o"));
    for i in 0..3 {
        let m = zoo.add_model(Model::named(format!("m{i}")));
        zoo.records.push(run(m, other, 0.5 + 0.1 * i as f64, false));
        zoo.records.push(run(m, t, 0.5, false));
        // Every model but the first does better with LoRA on t.
        if i > 0 {
            zoo.records.push(run(m, t, 0.6, true));
        }
    }
    let opts = EvalOptions {
        targets: Some(vec!["t".into()]),
        protocol: Protocol::Published,
        ..EvalOptions::default()
    };
    let err = evaluate(&zoo, &[MethodSpec::Popularity], &opts).unwrap_err();
    assert!(err.to_string().contains("target 't'"), "{err}");
}

#[test]
fn protocol_names_parse_and_print() {
    for name in Protocol::NAMES {
        let p: Protocol = name.parse().unwrap();
        assert_eq!(p.to_string(), name);
    }
    assert_eq!(Protocol::default(), Protocol::Default);
    let err = "pub".parse::<Protocol>().unwrap_err();
    assert_eq!(
        err,
        "unknown protocol 'pub' (expected one of: default, published)"
    );
}
