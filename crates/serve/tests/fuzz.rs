//! A seeded generator of malformed, oversized and random requests against every route:
//! 6,000 requests, none may be answered 5xx, every error must be the JSON error body, a write
//! without the right token must be 401, and the server must stay up.

mod common;

use common::{TestServer, TOKEN};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zoorank_serve::client::Client;

const REQUESTS: usize = 6_000;

/// Values that break parsers: empty, huge, negative, non-numeric, non-UTF-8 escapes, control
/// characters, deep nesting, plus some valid ones so that requests also get past validation.
fn junk_value(rng: &mut StdRng) -> String {
    const POOL: &[&str] = &[
        "",
        "0",
        "-1",
        "1",
        "5",
        "18446744073709551616",
        "99999999999999999999999",
        "1e308",
        "-0",
        "NaN",
        "inf",
        "true",
        "false",
        "dtd",
        "pets",
        "cifar100",
        "popularity",
        "trend+lr",
        "lr",
        "logme",
        "guard+trend+lr",
        "pop+",
        "+",
        "trend+trend+lr",
        "guard+guard+lr",
        "lr@cv",
        "lr+node2vec@",
        "%FF%FE%00",
        "%",
        "%zz",
        "a%2Cb",
        ",,,,",
        "dtd,dtd,dtd",
        "image",
        "text",
        "audio",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "\u{1F600}",
        "0.5,0.9",
        "0,2",
        "tab",
    ];
    match rng.gen_range(0..10) {
        0 => "x".repeat(rng.gen_range(100..3000)),
        1 => (0..rng.gen_range(1..40))
            .map(|_| format!("%{:02X}", rng.gen::<u8>()))
            .collect(),
        _ => POOL[rng.gen_range(0..POOL.len())].to_string(),
    }
}

/// Every query parameter `/openapi.json` lists for some route, and one that no route takes.
fn params() -> Vec<String> {
    let doc = zoorank_serve::openapi::document();
    let mut names: std::collections::BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|ops| ops.as_object().unwrap().values())
        .flat_map(|op| op["parameters"].as_array().cloned().unwrap_or_default())
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    names.insert("bogus".into());
    names.into_iter().collect()
}

fn query(rng: &mut StdRng, params: &[String]) -> String {
    let n = rng.gen_range(0..5);
    let mut parts = Vec::new();
    for _ in 0..n {
        let k = &params[rng.gen_range(0..params.len())];
        // Values are written as they come: some are deliberately invalid escapes.
        parts.push(format!("{k}={}", junk_value(rng).replace(' ', "+")));
    }
    if rng.gen_bool(0.05) {
        parts.push("&&=&".into());
    }
    parts.join("&")
}

fn json_body(rng: &mut StdRng) -> Vec<u8> {
    let v = || serde_json::Value::String(String::new());
    let mut body = match rng.gen_range(0..12) {
        0 => Vec::new(),
        1 => b"{".to_vec(),
        2 => "[".repeat(rng.gen_range(10..5000)).into_bytes(),
        3 => (0..rng.gen_range(1..200))
            .map(|_| rng.gen::<u8>())
            .collect(),
        4 => br#"{"target": "dtd", "top": 3}"#.to_vec(),
        5 => format!(
            r#"{{"target": "{}", "method": "{}", "top": {}}}"#,
            junk_value(rng),
            junk_value(rng),
            rng.gen_range(-2..4)
        )
        .into_bytes(),
        6 => br#"{"records": []}"#.to_vec(),
        7 => format!(
            r#"{{"records": [{{"model": "{}", "dataset": "{}", "accuracy": {}}}]}}"#,
            junk_value(rng),
            junk_value(rng),
            ["0.5", "1e999", "\"x\"", "null", "-3"][rng.gen_range(0..5)]
        )
        .into_bytes(),
        8 => br#"{"methods": ["popularity"], "targets": ["nowhere"]}"#.to_vec(),
        9 => format!(r#"{{"dir": "{}"}}"#, junk_value(rng)).into_bytes(),
        10 => {
            serde_json::to_vec(&serde_json::json!({ "target": v(), "top": 1, "seed": -1 })).unwrap()
        }
        _ => format!(
            r#"{{"kind": "eval", "methods": ["{}"], "model_ratios": [{}]}}"#,
            junk_value(rng),
            rng.gen_range(-1.0..2.0)
        )
        .into_bytes(),
    };
    if rng.gen_bool(0.1) && !body.is_empty() {
        let cut = rng.gen_range(0..body.len());
        body.truncate(cut);
    }
    body
}

#[test]
fn thousands_of_malformed_requests_get_no_5xx() {
    let s = TestServer::start_on_copy();
    let mut client = Client::new(s.addr);
    let mut rng = StdRng::seed_from_u64(17);
    let routes = zoorank_serve::ROUTES;
    let params = params();
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    let mut unauthorized_writes = 0;
    for i in 0..REQUESTS {
        let (method, path) = match rng.gen_range(0..20) {
            0 => (
                ["PUT", "DELETE", "PATCH", "OPTIONS"][rng.gen_range(0..4)],
                "/v1/recommend",
            ),
            1 => ("GET", "/v1/jobs/{id}"),
            _ => routes[rng.gen_range(0..routes.len())],
        };
        let path = path.replace(
            "{id}",
            ["1", "0", "-1", "abc", "99999999999999999999", "%00"][rng.gen_range(0..6)],
        );
        let q = query(&mut rng, &params);
        let url = if q.is_empty() {
            path.clone()
        } else {
            format!("{path}?{q}")
        };
        let token = match rng.gen_range(0..4) {
            0 => Some(format!("Bearer {TOKEN}")),
            1 => Some("Bearer nope".to_string()),
            2 => Some(format!("bearer {TOKEN}")),
            _ => None,
        };
        if rng.gen_bool(0.01) {
            // A body declared larger than the limit is refused from its header alone.
            let declared = (16 << 20) + rng.gen_range(1..1_000_000);
            let raw = format!("{method} {url} HTTP/1.1\r\nHost: x\r\nContent-Length: {declared}\r\n\r\n{{\"target\":");
            let r = Client::new(s.addr).raw(raw.as_bytes()).unwrap();
            *by_status.entry(r.status).or_default() += 1;
            assert!(
                r.status < 500,
                "request {i} {method} {url} oversized: {}",
                r.status
            );
            continue;
        }
        let body =
            if path.starts_with("/v1/import/records") || path.starts_with("/v1/import/models") {
                ["model,task,acc\nm,d,0.5\n", "a,b\n1", "", "\u{0}\u{1}"][rng.gen_range(0..4)]
                    .as_bytes()
                    .to_vec()
            } else {
                json_body(&mut rng)
            };
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(t) = &token {
            headers.push(("Authorization", t));
        }
        if rng.gen_bool(0.1) {
            headers.push(("Content-Type", "application/json"));
        }
        let r = client
            .request(method, &url, &headers, &body)
            .unwrap_or_else(|e| panic!("request {i} {method} {url}: no answer ({e})"));
        *by_status.entry(r.status).or_default() += 1;
        assert!(
            r.status < 500,
            "request {i} {method} {url}: {} {}",
            r.status,
            r.text()
        );
        // Errors of the application are JSON; hyper's own 400 for a request line it cannot
        // parse (e.g. `<` in the path) and axum's 405 have no body, its 413 when a body
        // outgrows the limit while streaming is plain text.
        if r.status >= 400 && !r.body.is_empty() && r.status != 413 {
            let v = r.json().unwrap_or_else(|_| {
                panic!(
                    "request {i} {method} {url}: error body not JSON: {}",
                    r.text()
                )
            });
            assert!(v["error"]["message"].is_string(), "request {i}: {v}");
        }
        let is_write =
            method == "POST" && (path == "/v1/records" || path.starts_with("/v1/import/"));
        let reached_app = !(r.status == 400 && r.body.is_empty());
        if is_write && reached_app && token.as_deref() != Some(&format!("Bearer {TOKEN}")) {
            assert_eq!(
                r.status, 401,
                "request {i} {method} {url} without the token"
            );
            unauthorized_writes += 1;
        }
    }
    // Raw requests that are not HTTP, or HTTP broken in its framing: the server answers 4xx
    // or closes the connection, and stays up.
    let raws: &[&[u8]] = &[
        b"GARBAGE\r\n\r\n",
        b"GET /v1/zoo HTTP/9.9\r\n\r\n",
        b"GET /v1/zoo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /\x00\xff HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /v1/zoo HTTP/1.1\r\nBad Header Line\r\n\r\n",
    ];
    for raw in raws {
        if let Ok(r) = Client::new(s.addr).raw(raw) {
            assert!(
                r.status < 500,
                "{}: {}",
                String::from_utf8_lossy(raw),
                r.status
            );
        }
    }
    let long_header = format!(
        "GET /v1/zoo HTTP/1.1\r\nHost: x\r\nX-Long: {}\r\n\r\n",
        "y".repeat(1 << 20)
    );
    if let Ok(r) = Client::new(s.addr).raw(long_header.as_bytes()) {
        assert!(r.status < 500, "long header: {}", r.status);
    }
    eprintln!("statuses: {by_status:?}; writes refused without the token: {unauthorized_writes}");
    assert!(unauthorized_writes > 100, "{unauthorized_writes}");
    assert!(
        by_status.get(&200).copied().unwrap_or(0) > 100,
        "{by_status:?}"
    );
    // Still up, and answering rankings.
    let r = client.get("/v1/recommend?target=dtd&top=3").unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
}
