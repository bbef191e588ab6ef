//! The JSON API against servers on loopback ports: every route, answers equal to the engine's,
//! errors that name the field, writes that need the token and land whole or not at all, jobs.

mod common;

use common::{auth, shared, TestServer, TOKEN};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use zoorank_engine::{Engine, ObservedRun, RecommendRequest, RunKind};

fn get(s: &TestServer, path: &str) -> (u16, Value) {
    let r = s.client().get(path).unwrap();
    let v = r
        .json()
        .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {}", r.text()));
    (r.status, v)
}

fn post(s: &TestServer, path: &str, body: &[u8], token: bool) -> (u16, Value) {
    let a = auth();
    let headers: Vec<(&str, &str)> = if token {
        vec![(a.0, a.1.as_str())]
    } else {
        vec![]
    };
    let r = s.client().request("POST", path, &headers, body).unwrap();
    let v = r
        .json()
        .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {}", r.text()));
    (r.status, v)
}

fn field(v: &Value) -> &str {
    v["error"]["field"].as_str().unwrap_or("")
}

#[test]
fn openapi_lists_exactly_the_routes_the_router_serves() {
    let s = shared();
    let (status, doc) = get(s, "/openapi.json");
    assert_eq!(status, 200);
    let mut listed: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            listed.push((method.to_uppercase(), path.clone()));
        }
    }
    listed.sort();
    let mut routes: Vec<(String, String)> = zoorank_serve::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    routes.sort();
    assert_eq!(listed, routes);
    // Every listed route is served: none answers the fallback's "no route".
    for (m, p) in &routes {
        let path = p.replace("{id}", "1");
        let r = s.client().request(m, &path, &[], b"").unwrap();
        let body = r.json().ok();
        let code = body.as_ref().and_then(|b| b["error"]["code"].as_str());
        assert_ne!(code, Some("not_found"), "{m} {path} is not routed");
        assert!(r.status < 500, "{m} {path}: {}", r.status);
    }
    // And a path that is not listed is a JSON 404.
    let (status, v) = get(s, "/v1/nope");
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
}

#[test]
fn the_page_is_served_with_its_script() {
    let r = shared().client().get("/?target=dtd").unwrap();
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    let html = r.text();
    assert!(html.contains("id=\"ranking\"") && html.contains("/v1/recommend?"));
}

#[test]
fn recommend_answers_what_the_engine_answers_and_caches_it() {
    let s = shared();
    let mut engine = Engine::open(common::image_store()).unwrap();
    let want = engine
        .recommend(&RecommendRequest {
            top: Some(5),
            ..RecommendRequest::new("dtd")
        })
        .unwrap();
    let t0 = Instant::now();
    let (status, got) = get(s, "/v1/recommend?target=dtd&top=5");
    let first = t0.elapsed();
    assert_eq!(status, 200, "{got}");
    assert_eq!(got, serde_json::to_value(&want).unwrap());
    let t1 = Instant::now();
    let (_, again) = get(s, "/v1/recommend?target=dtd&top=5");
    assert_eq!(again, got);
    eprintln!("first {first:?}, cached {:?}", t1.elapsed());
    // POST with the same request in a body gives the same answer.
    let (status, posted) = post(s, "/v1/recommend", br#"{"target": "dtd", "top": 5}"#, false);
    assert_eq!(status, 200, "{posted}");
    assert_eq!(posted, got);
    // Another method and explanations.
    let (status, v) = get(
        s,
        "/v1/recommend?target=dtd&method=popularity&top=3&explain=true",
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["method"], "popularity");
    assert_eq!(v["models"].as_array().unwrap().len(), 3);
    assert!(v["models"][0]["explain"].is_object(), "{v}");
    // Observed runs with their kind, as the engine's request has them.
    let (ft, probe) = (&want.models[0].model, &want.models[1].model);
    let runs = vec![
        ObservedRun::new(ft, 0.7, RunKind::Finetune),
        ObservedRun::new(probe, 0.4, RunKind::LinearProbe),
    ];
    let body = json!({"target": "dtd", "top": 5, "coverage": null, "observed": [
        {"model": ft, "accuracy": 0.7}, {"model": probe, "accuracy": 0.4, "kind": "linear-probe"}]});
    let (status, v) = post(s, "/v1/recommend", body.to_string().as_bytes(), false);
    assert_eq!(status, 200, "{v}");
    let want = engine
        .recommend(&RecommendRequest {
            top: Some(5),
            coverage: None,
            observed: runs,
            ..RecommendRequest::new("dtd")
        })
        .unwrap();
    assert_eq!(v, serde_json::to_value(&want).unwrap());
    assert_eq!(
        (v["observed_runs"].as_u64(), v["probe_runs"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn bad_queries_are_4xx_naming_the_field() {
    let s = shared();
    let cases: &[(&str, u16, &str)] = &[
        ("/v1/recommend", 400, "target"),
        ("/v1/recommend?target=", 400, "target"),
        ("/v1/recommend?target=no-such-dataset", 404, "target"),
        ("/v1/recommend?target=dtd&top=0", 400, "top"),
        ("/v1/recommend?target=dtd&top=-1", 400, "top"),
        ("/v1/recommend?target=dtd&top=abc", 400, "top"),
        ("/v1/recommend?target=dtd&seed=1e3", 400, "seed"),
        ("/v1/recommend?target=dtd&explain=maybe", 400, "explain"),
        ("/v1/recommend?target=dtd&method=nonsense", 400, "method"),
        ("/v1/recommend?target=dtd&method=nosuchscore", 400, "method"),
        ("/v1/recommend?target=dtd&target=dtd", 400, "target"),
        ("/v1/recommend?target=dtd&colour=red", 400, "colour"),
        ("/v1/models?limit=0", 400, "limit"),
        ("/v1/models?limit=5000", 400, "limit"),
        ("/v1/models?modality=audio", 400, "modality"),
        ("/v1/models?min_params=NaN", 400, "min_params"),
        ("/v1/datasets?with_records=perhaps", 400, "with_records"),
        ("/v1/zoo?x=1", 400, "x"),
        ("/v1/jobs/abc", 400, "id"),
        ("/v1/jobs/424242", 404, "id"),
        ("/v1/eval?methods=nonsense", 400, "methods[0]"),
        ("/v1/eval?targets=dtd,nowhere", 404, "targets[1]"),
        ("/v1/eval?model_ratios=0.5,2", 400, "model_ratios[1]"),
    ];
    for &(path, status, want) in cases {
        let (got, v) = get(s, path);
        assert_eq!(got, status, "{path}: {v}");
        assert_eq!(field(&v), want, "{path}: {v}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
    let bodies: &[(&[u8], &str)] = &[
        (b"", "body"),
        (b"{", "body"),
        (b"[]", "body"),
        (br#"{"top": 3}"#, "target"),
        (br#"{"target": 7}"#, "target"),
        (br#"{"target": "dtd", "top": "x"}"#, "body"),
        (br#"{"target": "dtd", "top": 0}"#, "top"),
        (br#"{"target": "dtd", "method": "zzz"}"#, "method"),
        (br#"{"target": "dtd", "extra": 1}"#, "extra"),
    ];
    for &(body, want) in bodies {
        let (got, v) = post(s, "/v1/recommend", body, false);
        assert_eq!(got, 400, "{}: {v}", String::from_utf8_lossy(body));
        assert_eq!(field(&v), want, "{}: {v}", String::from_utf8_lossy(body));
    }
    // What the engine refuses in a well-formed body is the caller's error too, not the
    // server's: a model the zoo lacks, an impossible accuracy or coverage.
    let refused: &[(&[u8], u16, &str)] = &[
        (
            br#"{"target": "dtd", "observed": [{"model": "no/such", "accuracy": 0.5}]}"#,
            422,
            "observed",
        ),
        (
            br#"{"target": "dtd", "observed": [{"model": "facebook/convnext-large-224-22k", "accuracy": 1.5}]}"#,
            400,
            "observed",
        ),
        (br#"{"target": "dtd", "coverage": 1.5}"#, 400, "coverage"),
    ];
    for &(body, status, want) in refused {
        let (got, v) = post(s, "/v1/recommend", body, false);
        let text = String::from_utf8_lossy(body);
        assert_eq!(got, status, "{text}: {v}");
        assert_eq!(field(&v), want, "{text}: {v}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[test]
fn listings_filter_and_page() {
    let s = shared();
    let (_, all) = get(s, "/v1/models?limit=1000");
    let total = all["total"].as_u64().unwrap();
    assert!(total > 100, "{total}");
    let (_, vit) = get(s, "/v1/models?name=VIT&limit=1000");
    let names: Vec<&str> = vit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(!names.is_empty() && names.iter().all(|n| n.to_lowercase().contains("vit")));
    let (_, page) = get(s, "/v1/models?offset=10&limit=5");
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert_eq!(page["items"][0], all["items"][10]);
    let (_, small) = get(s, "/v1/models?max_params=30000000&limit=1000");
    for m in small["items"].as_array().unwrap() {
        assert!(m["num_parameters"].as_f64().unwrap() <= 3e7, "{m}");
    }
    let (_, ds) = get(s, "/v1/datasets?with_records=true&limit=1000");
    let items = ds["items"].as_array().unwrap();
    assert!(items.iter().any(|d| d["name"] == "dtd"));
    assert!(items.iter().all(|d| d["records"].as_u64().unwrap() > 0));
    let (status, zoo) = get(s, "/v1/zoo");
    assert_eq!(status, 200);
    assert_eq!(zoo["stats"]["models"].as_u64().unwrap(), total);
}

#[test]
fn writes_need_the_token_and_land_whole_or_not_at_all() {
    let s = TestServer::start_on_copy();
    let (_, before) = get(&s, "/v1/zoo");
    let records = |acc: &str| {
        format!(
            r#"{{"records": [
                {{"model": "google/vit-base-patch16-224", "dataset": "team-data", "accuracy": 0.81, "learning_rate": 0.001}},
                {{"model": "microsoft/resnet-50", "dataset": "team-data", "accuracy": {acc}}}
            ], "modality": "image"}}"#
        )
    };
    // No token, a wrong token, a malformed header: 401, nothing written.
    let (status, v) = post(&s, "/v1/records", records("0.7").as_bytes(), false);
    assert_eq!(status, 401, "{v}");
    for h in ["Bearer wrong-token-wrong-token", "Basic abc", TOKEN] {
        let r = s
            .client()
            .request(
                "POST",
                "/v1/records",
                &[("Authorization", h)],
                records("0.7").as_bytes(),
            )
            .unwrap();
        assert_eq!(r.status, 401, "{h}: {}", r.text());
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    }
    // One bad record refuses the whole request.
    let (status, v) = post(&s, "/v1/records", records("\"high\"").as_bytes(), true);
    assert_eq!(status, 400, "{v}");
    let bad = br#"{"records": [{"model": "m", "dataset": "d", "accuracy": 0.5}, {"model": "", "dataset": "d", "accuracy": 0.5}]}"#;
    let (status, v) = post(&s, "/v1/records", bad, true);
    assert_eq!((status, field(&v)), (400, "records[1].model"), "{v}");
    let (_, after_bad) = get(&s, "/v1/zoo");
    assert_eq!(after_bad["zoo_version"], before["zoo_version"]);
    // With the token they land, and the next ranking sees them.
    let (status, v) = post(&s, "/v1/records", records("0.7").as_bytes(), true);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["counts"]["records"]["new"], 2);
    let (_, after) = get(&s, "/v1/zoo");
    assert_ne!(after["zoo_version"], before["zoo_version"]);
    assert_eq!(
        after["stats"]["records"].as_u64().unwrap(),
        before["stats"]["records"].as_u64().unwrap() + 2
    );
    let (status, rec) = get(&s, "/v1/recommend?target=team-data&method=popularity");
    assert_eq!(status, 200, "{rec}");
    assert_eq!(rec["zoo_version"], after["zoo_version"]);
    let vit = rec["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "google/vit-base-patch16-224")
        .unwrap();
    assert_eq!(vit["recorded_accuracy"], 0.81);
    // The same runs again change nothing.
    let (status, v) = post(&s, "/v1/records", records("0.7").as_bytes(), true);
    assert_eq!(status, 200);
    assert_eq!(v["counts"]["records"]["unchanged"], 2, "{v}");
    assert_eq!(v["zoo_version"], after["zoo_version"]);
}

#[test]
fn csv_imports_refuse_bad_rows_unless_told_to_skip_them() {
    let s = TestServer::start_on_copy();
    let (_, before) = get(&s, "/v1/zoo");
    let csv = b"model,task,acc\nmicrosoft/resnet-50,team-csv,0.61\nfacebook/convnext-tiny-224,team-csv,zero\n";
    let q = "/v1/import/records?model_col=model&dataset_col=task&accuracy_col=acc";
    let (status, v) = post(&s, q, csv, true);
    assert_eq!(status, 422, "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("upload.csv:3"), "{msg}");
    assert!(!msg.contains("/tmp"), "{msg}");
    let (_, same) = get(&s, "/v1/zoo");
    assert_eq!(same["zoo_version"], before["zoo_version"]);
    let (status, v) = post(&s, &format!("{q}&skip_bad_rows=true"), csv, true);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["report"]["counts"]["records"]["new"], 1, "{v}");
    let (status, v) = post(&s, "/v1/import/records?model_col=model", csv, true);
    assert_eq!((status, field(&v)), (400, "dataset_col"), "{v}");
    let (status, v) = post(&s, &format!("{q}&delimiter=ab"), csv, true);
    assert_eq!((status, field(&v)), (400, "delimiter"), "{v}");
    let (status, v) = post(
        &s,
        "/v1/import/models?id_col=id",
        b"id,model_type\nteam/model-a,vit\n",
        true,
    );
    assert_eq!(status, 200, "{v}");
    let (status, v) = post(
        &s,
        "/v1/import/transfergraph",
        br#"{"dir": "relative"}"#,
        true,
    );
    assert_eq!((status, field(&v)), (400, "dir"), "{v}");
}

#[test]
fn an_oversized_body_is_413() {
    let s = shared();
    // Declared too large: refused from the header, before the body is read.
    let raw = format!(
        "POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{{",
        17 << 20
    );
    let r = s.client().raw(raw.as_bytes()).unwrap();
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.json().unwrap()["error"]["code"], "too_large");
    // Sent too large without a length (chunked): cut off at the limit while reading.
    let mut raw =
        b"POST /v1/recommend HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..17 {
        raw.extend_from_slice(format!("{:x}\r\n", 1 << 20).as_bytes());
        raw.extend(std::iter::repeat_n(b' ', 1 << 20));
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    match s.client().raw(&raw) {
        Ok(r) => assert_eq!(r.status, 413, "{}", r.text()),
        // The server may close the connection while the rest of the body is still coming.
        Err(e) => eprintln!("chunked oversized body: connection closed ({e})"),
    }
}

#[test]
fn evaluations_run_as_jobs_with_progress() {
    let s = shared();
    let body = br#"{"methods": ["popularity"], "targets": ["dtd", "pets"]}"#;
    let (status, job) = post(s, "/v1/jobs", body, false);
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_u64().unwrap();
    let t0 = Instant::now();
    let done = loop {
        let (status, j) = get(s, &format!("/v1/jobs/{id}"));
        assert_eq!(status, 200);
        match j["status"].as_str().unwrap() {
            "done" => break j,
            "failed" => panic!("{j}"),
            _ => {}
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "{j}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(done["progress"]["done"], done["progress"]["total"]);
    let per_target = &done["result"]["methods"]["popularity"]["per_target"];
    assert!(
        per_target.get("dtd").is_some() && per_target.get("pets").is_some(),
        "{done}"
    );
    // The same evaluation through GET /v1/eval is that job, answered at once.
    let (status, again) = get(s, "/v1/eval?methods=popularity&targets=dtd,pets");
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"].as_u64(), Some(id));
    let (status, v) = post(s, "/v1/jobs", br#"{"kind": "train"}"#, false);
    assert_eq!((status, field(&v)), (400, "kind"), "{v}");
    let (status, v) = post(s, "/v1/jobs", br#"{"ratio_subsets": 0}"#, false);
    assert_eq!((status, field(&v)), (400, "ratio_subsets"), "{v}");
}

#[test]
fn readers_keep_being_answered_while_records_are_imported() {
    let s = TestServer::start_on_copy();
    let targets = ["dtd", "pets", "cifar100", "svhn"];
    let versions = std::thread::scope(|sc| {
        let writer = sc.spawn(|| {
            for k in 0..5 {
                let body = json!({ "records": [
                    { "model": "microsoft/resnet-50", "dataset": "dtd", "accuracy": 0.5 + k as f64 * 0.01, "seed": k }
                ]});
                let (status, v) = post(&s, "/v1/records", body.to_string().as_bytes(), true);
                assert_eq!(status, 200, "{v}");
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let readers: Vec<_> = (0..4)
            .map(|i| {
                let s = &s;
                sc.spawn(move || {
                    let mut c = s.client();
                    let mut versions = std::collections::BTreeSet::new();
                    for n in 0..15 {
                        let t = targets[(i + n) % targets.len()];
                        let r = c.get(&format!("/v1/recommend?target={t}&top=5")).unwrap();
                        assert_eq!(r.status, 200, "{}", r.text());
                        let v = r.json().unwrap();
                        assert_eq!(v["models"].as_array().unwrap().len(), 5);
                        versions.insert(v["zoo_version"].as_str().unwrap().to_string());
                    }
                    versions
                })
            })
            .collect();
        writer.join().unwrap();
        let mut all = std::collections::BTreeSet::new();
        for r in readers {
            all.extend(r.join().unwrap());
        }
        all
    });
    // Every answer ranks one whole zoo: the one before the writes or one after some of them.
    let (_, now) = get(&s, "/v1/zoo");
    eprintln!(
        "answers from {} zoo versions; now {}",
        versions.len(),
        now["zoo_version"]
    );
    assert!(!versions.is_empty());
}
