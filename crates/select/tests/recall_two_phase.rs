//! Recall on MultiRC with the shipped LEEP row (Cui et al.'s NLP benchmark): albert-base-v2,
//! the model the paper finally selects for MultiRC (Table VII), must be recalled in the top 10.

mod common;

use std::collections::HashMap;
use zoorank_core::Modality;
use zoorank_select::cluster::{default_threshold, hierarchical};
use zoorank_select::recall::{recall, ProxyScale, RecallParams, RecallVariant};
use zoorank_select::similarity::{model_distances, DEFAULT_K};
use zoorank_select::twophase;

/// Recall on MultiRC with the shipped LEEP row as the proxy, scaled by `scale`.
fn run(variant: RecallVariant, scale: ProxyScale) -> zoorank_select::recall::RecallOutcome {
    let zoo = twophase::load(&common::two_phase_dir(), Modality::Text).unwrap();
    let d = model_distances(&zoo.matrix, DEFAULT_K).unwrap();
    let c = hierarchical(&d, default_threshold(Modality::Text)).unwrap();
    let leep: HashMap<String, f64> = zoo.leep.iter().cloned().collect();
    let params = RecallParams {
        top: 10,
        variant,
        scale,
    };
    recall(&zoo.matrix, &d, &c, params, |m| {
        Ok(leep.get(&zoo.matrix.models()[m]).copied())
    })
    .unwrap()
}

#[test]
fn albert_base_v2_is_recalled_for_multirc() {
    let out = run(RecallVariant::Paper, ProxyScale::Exp);
    assert_eq!(out.rank_of("albert-base-v2"), Some(2));
    assert!(out.recalled().any(|r| r.name == "albert-base-v2"));
    // 8 non-singleton clusters: 8 LEEP computations instead of 39.
    assert_eq!(out.proxy_computations, 8);
    assert_eq!(out.proxy_computations_saved, 31);
    let reference = run(RecallVariant::MemberProxy, ProxyScale::Exp);
    assert_eq!(reference.rank_of("albert-base-v2"), Some(5));
}

#[test]
fn raw_negative_leep_would_invert_the_ranking() {
    // With LEEP multiplied in as it is (negative), the best models sink to the bottom: the
    // reason for ProxyScale::Exp.
    let out = run(RecallVariant::Paper, ProxyScale::Identity);
    assert!(out.rank_of("albert-base-v2").unwrap() > 10);
}
