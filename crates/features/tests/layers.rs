//! Layer-aggregated features (`Layers::Mean`, `Layers::Best`) against independent float64 NumPy
//! forward passes that pool every transformer layer's output as the last one is: tiny-bert
//! ([CLS]; the BERT path through per-layer encoders) and tiny-vit (final layer norm then
//! [CLS]). Fixtures: `tests/reference/layers_reference.py`.

mod common;

use candle_core::{Device, Tensor};
use common::fixtures;
use zoorank_features::extract::cache_key;
use zoorank_features::{
    Dataset, DatasetOptions, ExtractOptions, FeaturesError, Layers, LoadOptions, Model, ModelDir,
};

/// Agreement asked of the f32 forward passes with the float64 reference.
const TOL: f32 = 1e-5;

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("fixtures/layers_reference.json")).unwrap()
}

fn load(name: &str, layers: Layers) -> Result<Model, FeaturesError> {
    let dir = ModelDir::open(fixtures().join(name)).unwrap();
    Model::load(
        &dir,
        &LoadOptions {
            layers,
            ..LoadOptions::default()
        },
    )
}

/// The numbers of a (nested) JSON array, row-major.
fn floats(v: &serde_json::Value) -> Vec<f32> {
    match v {
        serde_json::Value::Array(a) => a.iter().flat_map(floats).collect(),
        x => vec![x.as_f64().unwrap() as f32],
    }
}

fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= TOL, "{what}[{i}]: got {g}, want {w}");
    }
}

#[test]
fn tiny_bert_layer_mean_and_every_layer_match_float64_reference() {
    let r = &reference()["tiny-bert"];
    let sentences = r["sentences"].as_array().unwrap();
    let texts: Vec<&str> = sentences
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    let mean = load("tiny-bert", Layers::Mean).unwrap();
    let best = load("tiny-bert", Layers::Best).unwrap();
    let last = load("tiny-bert", Layers::Last).unwrap();
    // Padded batches: the texts differ in length.
    let m = mean.forward_texts(&texts).unwrap();
    let b = best.forward_texts(&texts).unwrap();
    let l = last.forward_texts(&texts).unwrap();
    assert!(m.layers.is_empty() && l.layers.is_empty());
    assert_eq!(b.layers.len(), 3);
    for (i, s) in sentences.iter().enumerate() {
        assert_close(&format!("mean {i}"), m.row(i), &floats(&s["mean"]));
        for (k, want) in s["layers"].as_array().unwrap().iter().enumerate() {
            let got = &b.layers[k][i * b.dim..(i + 1) * b.dim];
            assert_close(&format!("layer {k} of {i}"), got, &floats(want));
        }
    }
    // `best` reports the last layer as its features, and the last layer is what `last` gives
    // (candle's BertModel there, the per-layer encoders here).
    assert_eq!(b.features, b.layers[2]);
    assert_close("last", &l.features, &b.features);
}

#[test]
fn tiny_vit_layer_mean_and_every_layer_match_float64_reference() {
    let r = &reference()["tiny-vit"];
    let pixels = Tensor::from_vec(floats(&r["pixels"]), (2, 3, 32, 32), &Device::Cpu).unwrap();
    let run = |layers| {
        let Model::Vision(v) = load("tiny-vit", layers).unwrap() else {
            panic!("tiny-vit is an image model")
        };
        v.forward_pixels(&pixels).unwrap()
    };
    let mean = run(Layers::Mean);
    assert_close("vit mean", &mean.features, &floats(&r["mean"]));
    let best = run(Layers::Best);
    let want: Vec<Vec<f32>> = r["layers"].as_array().unwrap().iter().map(floats).collect();
    assert_eq!(best.layers.len(), want.len());
    for (k, w) in want.iter().enumerate() {
        assert_close(&format!("vit layer {k}"), &best.layers[k], w);
    }
    let last = run(Layers::Last);
    assert_close("vit last", &last.features, &best.features);
    // The head reads the last layer whatever the choice.
    assert_eq!(last.probabilities, mean.probabilities);
}

#[test]
fn families_without_readable_layers_refuse_mean_and_best_by_name() {
    for (name, family) in [
        ("tiny-roberta", "roberta"),
        ("tiny-xlm-roberta", "xlm-roberta"),
        ("tiny-deberta-v2", "deberta-v2"),
        ("tiny-swin", "swin"),
        ("tiny-resnet", "resnet"),
        ("tiny-convnext", "convnext"),
        ("tiny-van", "van"),
    ] {
        for layers in [Layers::Mean, Layers::Best] {
            match load(name, layers) {
                Err(e @ FeaturesError::LayersUnsupported { .. }) => {
                    let msg = e.to_string();
                    assert!(msg.contains(family), "{name}: {msg}");
                    assert!(msg.contains(layers.id()), "{name}: {msg}");
                }
                Err(e) => panic!("{name}: unexpected error {e}"),
                Ok(_) => panic!("{name} accepted --layers {layers}"),
            }
        }
        assert!(load(name, Layers::Last).is_ok(), "{name} loads for last");
    }
}

#[test]
fn every_family_with_readable_layers_gives_mean_and_best() {
    for name in [
        "tiny-bert",
        "tiny-distilbert",
        "tiny-electra",
        "tiny-vit",
        "tiny-deit",
        "tiny-deit-distilled",
        "tiny-beit",
        "tiny-data2vec-vision",
    ] {
        let last = load(name, Layers::Last).unwrap();
        let best = load(name, Layers::Best).unwrap();
        let mean = load(name, Layers::Mean).unwrap();
        let (l, b, m) = match (&last, &best, &mean) {
            (Model::Text(_), _, _) => {
                let t = ["a boring, slow dog", "cats"];
                (
                    last.forward_texts(&t).unwrap(),
                    best.forward_texts(&t).unwrap(),
                    mean.forward_texts(&t).unwrap(),
                )
            }
            (Model::Vision(lv), Model::Vision(bv), Model::Vision(mv)) => {
                let (h, w) = (32, 32);
                let px: Vec<f32> = (0..2 * 3 * h * w)
                    .map(|i| ((i % 17) as f32) / 17.0)
                    .collect();
                let px = Tensor::from_vec(px, (2, 3, h, w), &Device::Cpu).unwrap();
                (
                    lv.forward_pixels(&px).unwrap(),
                    bv.forward_pixels(&px).unwrap(),
                    mv.forward_pixels(&px).unwrap(),
                )
            }
            _ => unreachable!(),
        };
        assert!(b.layers.len() >= 2, "{name}");
        assert_close(&format!("{name} last"), &l.features, &b.features);
        let k = b.layers.len() as f32;
        let avg: Vec<f32> = (0..b.features.len())
            .map(|j| b.layers.iter().map(|x| x[j]).sum::<f32>() / k)
            .collect();
        assert_close(&format!("{name} mean"), &m.features, &avg);
        assert_eq!(l.probabilities, m.probabilities, "{name}: head");
    }
}

#[test]
fn the_pooler_as_pooling_is_refused_with_a_hint() {
    // tiny-albert's default pooling is its pooler.
    match load("tiny-albert", Layers::Mean) {
        Err(e @ FeaturesError::LayersUnsupported { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("pooler") && msg.contains("--pooling cls"),
                "{msg}"
            );
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("the pooler was accepted for --layers mean"),
    }
    let dir = ModelDir::open(fixtures().join("tiny-albert")).unwrap();
    let mut opts = LoadOptions {
        layers: Layers::Mean,
        ..LoadOptions::default()
    };
    opts.text.pooling = Some(zoorank_features::Pooling::Cls);
    let m = Model::load(&dir, &opts).unwrap();
    assert_eq!(m.forward_texts(&["cats"]).unwrap().n, 1);
}

#[test]
fn cache_keys_keep_last_unchanged_and_separate_mean_and_best() {
    let dir = ModelDir::open(fixtures().join("tiny-bert")).unwrap();
    let ds = Dataset::open(
        fixtures().join("digits"),
        &DatasetOptions {
            label_column: None,
            text_column: None,
            text_pair_column: None,
        },
    )
    .unwrap();
    let opts = ExtractOptions::default();
    let key = |layers| {
        cache_key(
            &dir,
            &ds,
            &opts,
            &LoadOptions {
                layers,
                ..LoadOptions::default()
            },
        )
        .unwrap()
    };
    let (last, mean, best) = (key(Layers::Last), key(Layers::Mean), key(Layers::Best));
    assert!(
        last.ends_with("pool=None,len=None"),
        "the key of last is the key before layers could be chosen: {last}"
    );
    assert_eq!(mean, format!("{last},layers=mean"));
    assert_eq!(best, format!("{last},layers=best"));
}
