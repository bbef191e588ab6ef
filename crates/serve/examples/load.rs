//! Load benchmark of `GET /v1/recommend`: a fixed number of requests from concurrent clients
//! over loopback, while records are imported through `POST /v1/records` at a fixed interval.
//! Prints the latency percentiles (the figures of BENCHMARKS.md).
//!
//! ```text
//! # against a running `zoorank serve --token-file T` (start it first):
//! cargo run --release -p zoorank-serve --example load -- --url 127.0.0.1:8080 --token-file T
//! # or on a server started in this process over a copy of a store:
//! cargo run --release -p zoorank-serve --example load -- --db zoorank.db
//! options: --clients 32 --requests 10000 --import-records 5000 --import-every-ms 100 --top 10
//!          --method trend+lr
//!          --cold (no warm-up request per target before the measured ones)
//! ```
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use zoorank_serve::client::Client;

/// What to run.
#[derive(Debug, Clone)]
pub struct Load {
    /// Concurrent clients (one connection each, kept alive).
    pub clients: usize,
    /// Requests in all.
    pub requests: usize,
    /// Interval between record imports (`None`: no imports).
    pub import_every: Option<Duration>,
    /// Records per import.
    pub import_records: usize,
    /// Bearer token for the imports.
    pub token: String,
    /// `top` of each request.
    pub top: usize,
    /// Method id (`None`: the server's default).
    pub method: Option<String>,
    /// Ask each distinct request once before the measured ones (a server that has just
    /// started has computed nothing yet).
    pub warm_up: bool,
}

/// What was measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// Latencies of the successful requests, sorted, in seconds.
    pub latencies: Vec<f64>,
    /// Requests that failed (no answer or a status other than 200).
    pub errors: usize,
    /// First error seen.
    pub first_error: Option<String>,
    /// Imports that overlapped the requests: under way or committed while they ran.
    pub imports: usize,
    /// Zoo versions the answers came from.
    pub versions: usize,
    /// Wall time.
    pub seconds: f64,
}

impl Report {
    /// The `q`-quantile of the latencies, in milliseconds (nearest rank).
    pub fn ms(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((q * self.latencies.len() as f64).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[i - 1] * 1e3
    }

    /// One line.
    pub fn line(&self) -> String {
        format!(
            "{} requests in {:.2} s ({:.0}/s): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {} over 100 ms; {} errors; {} imports meanwhile, answers from {} zoo versions",
            self.latencies.len() + self.errors,
            self.seconds,
            (self.latencies.len() + self.errors) as f64 / self.seconds,
            self.ms(0.5),
            self.ms(0.9),
            self.ms(0.99),
            self.ms(1.0),
            self.latencies.iter().filter(|&&l| l > 0.1).count(),
            self.errors,
            self.imports,
            self.versions,
        )
    }
}

/// Runs `load` against the server at `addr`.
pub fn run(addr: SocketAddr, load: &Load) -> Report {
    let targets: Vec<String> = Client::new(addr)
        .get("/v1/datasets?with_records=true&limit=1000")
        .expect("listing datasets")
        .json()
        .expect("datasets JSON")["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|d| d["models"].as_u64().unwrap_or(0) >= 2)
        .map(|d| d["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(!targets.is_empty(), "the store has no dataset with records");
    let paths: Vec<String> = targets
        .iter()
        .map(|t| {
            let mut p = format!("/v1/recommend?target={t}&top={}", load.top);
            if let Some(m) = &load.method {
                p.push_str(&format!("&method={m}"));
            }
            p
        })
        .collect();
    if load.warm_up {
        let mut c = Client::new(addr);
        for p in &paths {
            let r = c.get(p).expect("warm-up request");
            assert_eq!(r.status, 200, "warm-up {p}: {}", r.text());
        }
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let importing = AtomicBool::new(false);
    // Imports started and finished: those that overlap the load are the ones started
    // before it ended less the ones finished before it began (one still under way at the
    // end counts; one that finished before the first request does not).
    let started = AtomicUsize::new(0);
    let imports = AtomicUsize::new(0);
    let mut finished_before = 0;
    let mut t0 = Instant::now();
    let (mut latencies, errors, first_error, versions, seconds, imported) =
        std::thread::scope(|s| {
            let importer = load.import_every.map(|every| {
                let (stop, imports, token, importing) = (&stop, &imports, &load.token, &importing);
                let started = &started;
                let n = load.import_records;
                s.spawn(move || {
                    let mut c = Client::new(addr);
                    let auth = format!("Bearer {token}");
                    let mut k = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        // New runs on a team dataset: each import changes the zoo's version.
                        let recs: Vec<serde_json::Value> = (0..n as u64)
                            .map(|j| {
                                let i = k * n as u64 + j;
                                serde_json::json!({
                                    "model": "microsoft/resnet-50",
                                    "dataset": format!("load-test-team-data-{}", i % 100),
                                    "accuracy": 0.5 + (i % 400) as f64 / 1000.0,
                                    "seed": i,
                                })
                            })
                            .collect();
                        let body = serde_json::json!({ "records": recs, "modality": "image" });
                        started.fetch_add(1, Ordering::SeqCst);
                        importing.store(true, Ordering::Relaxed);
                        let r = c.request(
                            "POST",
                            "/v1/records",
                            &[("Authorization", &auth)],
                            body.to_string().as_bytes(),
                        );
                        match r {
                            Ok(r) if r.status == 200 => {
                                imports.fetch_add(1, Ordering::SeqCst);
                            }
                            Ok(r) => panic!("import refused: {} {}", r.status, r.text()),
                            Err(e) => panic!("import failed: {e}"),
                        }
                        k += 1;
                        std::thread::sleep(every);
                    }
                })
            });
            if importer.is_some() {
                // Measure while the first import is under way.
                while !importing.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(1));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            t0 = Instant::now();
            finished_before = imports.load(Ordering::SeqCst);
            let workers: Vec<_> = (0..load.clients)
                .map(|_| {
                    let (next, paths) = (&next, &paths);
                    s.spawn(move || {
                        let mut c = Client::new(addr).with_timeout(Duration::from_secs(30));
                        let mut lat = Vec::new();
                        let mut errors = 0usize;
                        let mut first_error = None;
                        let mut versions = std::collections::HashSet::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= load.requests {
                                break;
                            }
                            let path = &paths[i % paths.len()];
                            let t = Instant::now();
                            match c.get(path) {
                                Ok(r) if r.status == 200 => {
                                    lat.push(t.elapsed().as_secs_f64());
                                    // The version is near the start of the body; no full parse.
                                    let body = &r.body[..r.body.len().min(400)];
                                    let text = String::from_utf8_lossy(body);
                                    if let Some(p) = text.find("\"zoo_version\":\"") {
                                        versions.insert(text[p + 15..p + 31].to_string());
                                    }
                                }
                                Ok(r) => {
                                    errors += 1;
                                    first_error.get_or_insert(format!(
                                        "{path}: {} {}",
                                        r.status,
                                        r.text()
                                    ));
                                }
                                Err(e) => {
                                    errors += 1;
                                    first_error.get_or_insert(format!("{path}: {e}"));
                                }
                            }
                        }
                        (lat, errors, first_error, versions)
                    })
                })
                .collect();
            let mut all = Vec::new();
            let mut errors = 0;
            let mut first = None;
            let mut versions = std::collections::HashSet::new();
            for w in workers {
                let (l, e, f, v) = w.join().expect("client thread");
                all.extend(l);
                errors += e;
                if first.is_none() {
                    first = f;
                }
                versions.extend(v);
            }
            let seconds = t0.elapsed().as_secs_f64();
            let imported = started.load(Ordering::SeqCst) - finished_before;
            stop.store(true, Ordering::Relaxed);
            if let Some(h) = importer {
                h.join().expect("importer thread");
            }
            (all, errors, first, versions.len(), seconds, imported)
        });
    latencies.sort_by(f64::total_cmp);
    Report {
        latencies,
        errors,
        first_error,
        imports: imported,
        versions,
        seconds,
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |name: &str, default: usize| {
        arg(&args, name).map_or(default, |v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} must be a whole number, got {v}"))
        })
    };
    let import_ms = num("--import-every-ms", 100);
    let token_file = arg(&args, "--token-file");
    let mut load = Load {
        clients: num("--clients", 32),
        requests: num("--requests", 10_000),
        import_every: (import_ms > 0).then(|| Duration::from_millis(import_ms as u64)),
        import_records: num("--import-records", 5_000),
        token: String::new(),
        top: num("--top", 10),
        method: arg(&args, "--method"),
        warm_up: !args.iter().any(|a| a == "--cold"),
    };
    let _server;
    let _dir;
    let addr: SocketAddr = if let Some(url) = arg(&args, "--url") {
        let tf =
            token_file.expect("--url needs --token-file (the server's token, for the imports)");
        load.token = zoorank_serve::read_token_file(tf.as_ref()).expect("reading the token file");
        url.trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("--url must be HOST:PORT")
    } else {
        let db = arg(&args, "--db").expect("give --url HOST:PORT or --db STORE");
        // Serve a copy: the benchmark's imports must not change the caller's store.
        let dir = tempfile::tempdir().expect("temporary directory");
        let copy = dir.path().join("zoo.db");
        std::fs::copy(&db, &copy).expect("copying the store");
        load.token = "load-benchmark-token-0123456789".into();
        let mut config = zoorank_serve::Config::new(&copy);
        config.bind = "127.0.0.1:0".parse().expect("address");
        config.token = Some(load.token.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        _server = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let server = zoorank_serve::Server::bind(config).await.expect("binding");
                tx.send(server.local_addr()).expect("sending the address");
                server.serve(std::future::pending()).await.expect("serving");
            });
        });
        _dir = dir;
        rx.recv().expect("server address")
    };
    println!(
        "load: {} clients, {} requests of GET /v1/recommend (top {}), imports of {} records every {} ms, against {addr}",
        load.clients, load.requests, load.top, load.import_records, import_ms
    );
    let report = run(addr, &load);
    println!("{}", report.line());
    if let Some(e) = &report.first_error {
        println!("first error: {e}");
    }
    if report.errors > 0 {
        std::process::exit(1);
    }
    std::process::exit(0);
}
