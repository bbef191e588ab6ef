//! `zoorank serve` as a process: killed with SIGKILL in the middle of an import, the store is
//! left as it was before that import; stopped with SIGTERM, an import in flight finishes; and
//! the web page in headless Chromium shows the same first model as `recommend --json`.

mod common;

use common::{import_image_zoo, json, write_file, zoorank};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use zoorank_serve::client::Client;

const TOKEN: &str = "serve-cli-test-token-0123456789";

/// A store with the image zoo, imported by the CLI, and a token file beside it.
fn image_store(dir: &Path) -> (PathBuf, PathBuf) {
    let db = dir.join("zoo.db");
    import_image_zoo(&db);
    let token = dir.join("token");
    std::fs::write(&token, format!("{TOKEN}\n")).unwrap();
    (db, token)
}

/// A `zoorank serve` process, killed when dropped (so a failing test leaves none behind).
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `zoorank serve` on a free port; returns the child and the address it printed.
fn serve(db: &Path, token: &Path) -> (Served, SocketAddr) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("zoorank"))
        .arg("--db")
        .arg(db)
        .args(["serve", "--bind", "127.0.0.1:0", "--token-file"])
        .arg(token)
        .env_remove("ZOORANK_DB")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    // Keep reading what it prints (its last line at shutdown).
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .parse()
        .unwrap();
    (Served(child), addr)
}

fn zoo_version(addr: SocketAddr) -> (String, u64) {
    let v = Client::new(addr).get("/v1/zoo").unwrap().json().unwrap();
    (
        v["zoo_version"].as_str().unwrap().to_string(),
        v["stats"]["records"].as_u64().unwrap(),
    )
}

/// `zoorank serve` on a new image store under a test's directory.
struct ServedStore {
    db: PathBuf,
    token: PathBuf,
    child: Served,
    addr: SocketAddr,
    /// [`zoo_version`] before the test changes anything.
    before: (String, u64),
}

fn served_image_store(dir: &Path) -> ServedStore {
    let (db, token) = image_store(dir);
    let (child, addr) = serve(&db, &token);
    let before = zoo_version(addr);
    ServedStore {
        db,
        token,
        child,
        addr,
        before,
    }
}

/// A results CSV of `rows` runs on new datasets (about 45 bytes a row).
fn big_csv(rows: usize) -> Vec<u8> {
    let mut s = String::from("model,task,acc,seed\n");
    for i in 0..rows {
        s.push_str(&format!(
            "microsoft/resnet-50,kill-test-{},{:.4},{i}\n",
            i % 50,
            0.3 + (i % 600) as f64 / 1000.0
        ));
    }
    s.into_bytes()
}

const IMPORT: &str =
    "/v1/import/records?model_col=model&dataset_col=task&accuracy_col=acc&seed_col=seed";

/// Posts an import of `rows` generated rows to the server at `addr` and runs `interrupt`
/// while it is in flight; the server's answer, or the error of a connection it dropped.
fn import_interrupted(
    addr: SocketAddr,
    rows: usize,
    interrupt: impl FnOnce(),
) -> std::io::Result<zoorank_serve::client::Response> {
    let csv = big_csv(rows);
    let auth = format!("Bearer {TOKEN}");
    std::thread::scope(|s| {
        let h = s.spawn(|| {
            Client::new(addr)
                .with_timeout(Duration::from_secs(120))
                .request("POST", IMPORT, &[("Authorization", &auth)], &csv)
        });
        interrupt();
        h.join().unwrap()
    })
}

#[test]
fn kill_9_during_an_import_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = served_image_store(dir.path());
    let t0 = Instant::now();
    let answer = import_interrupted(s.addr, 300_000, || {
        // The body is on the wire in well under a second; the import takes seconds.
        std::thread::sleep(Duration::from_millis(1200));
        s.child.0.kill().unwrap(); // SIGKILL
        s.child.0.wait().unwrap();
    });
    eprintln!("killed after {:?}", t0.elapsed());
    assert!(
        answer.is_err(),
        "the import finished before the kill, so this run proves nothing: {:?}",
        answer.map(|r| r.status)
    );
    // Reopened, the store is exactly what it was.
    let (_child, addr) = serve(&s.db, &s.token);
    assert_eq!(zoo_version(addr), s.before);
    // And takes the next import.
    let auth = format!("Bearer {TOKEN}");
    let r = Client::new(addr)
        .request("POST", IMPORT, &[("Authorization", &auth)], &big_csv(100))
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(zoo_version(addr).1, s.before.1 + 100);
}

#[test]
fn sigterm_lets_an_import_in_flight_finish() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = served_image_store(dir.path());
    let answer = import_interrupted(s.addr, 50_000, || {
        std::thread::sleep(Duration::from_millis(300));
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &s.child.0.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    });
    let status = s.child.0.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
    // Either the import was answered and is in the store whole, or it had not reached the
    // server and nothing of it is there: never a part.
    let engine = zoorank_engine::Engine::open(&s.db).unwrap();
    let records = engine.zoo().records.len() as u64;
    match answer {
        Ok(r) => {
            assert_eq!(r.status, 200, "{}", r.text());
            assert_eq!(records, s.before.1 + 50_000);
        }
        Err(e) => {
            eprintln!("the import did not reach the server before it stopped: {e}");
            assert_eq!(records, s.before.1);
        }
    }
}

/// An executable: `$env` if set, else the first of `names` on `PATH`.
fn find_program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for name in names {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Chromium's flags for a headless run in a container (fresh profile, nothing reaching out).
fn chromium_args(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--window-size=1400,1000",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

/// A W3C WebDriver session on chromedriver, spoken with the test client.
struct WebDriver {
    client: Client,
    session: String,
    _driver: Served,
}

impl WebDriver {
    fn start(driver: &Path, chrome: &Path, profile: &Path) -> WebDriver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let driver_proc = Served(child);
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut client = Client::new(addr).with_timeout(Duration::from_secs(60));
        let t0 = Instant::now();
        while client.get("/status").map(|r| r.status).ok() != Some(200) {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = serde_json::json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chrome, "args": chromium_args(profile) }
        } } });
        let r = client
            .request(
                "POST",
                "/session",
                &[("Content-Type", "application/json")],
                caps.to_string().as_bytes(),
            )
            .unwrap();
        let v = r.json().unwrap();
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {v}"))
            .to_string();
        WebDriver {
            client,
            session,
            _driver: driver_proc,
        }
    }

    fn call(&mut self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let url = format!("/session/{}{path}", self.session);
        let bytes = if method == "GET" {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let r = self
            .client
            .request(
                method,
                &url,
                &[("Content-Type", "application/json")],
                &bytes,
            )
            .unwrap();
        let v = r.json().unwrap();
        assert_eq!(r.status, 200, "{method} {path}: {v}");
        v["value"].clone()
    }

    fn find(&mut self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            serde_json::json!({ "using": "css selector", "value": css }),
        );
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(|x| x.as_str())
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    fn script(&mut self, js: &str) -> serde_json::Value {
        self.call(
            "POST",
            "/execute/sync",
            serde_json::json!({ "script": js, "args": [] }),
        )
    }
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        let url = format!("/session/{}", self.session);
        let _ = self.client.request("DELETE", &url, &[], b"");
    }
}

/// Standard base64 (what WebDriver screenshots are) to bytes.
fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let clean: Vec<u8> = s
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= u32::from(val(c)) << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("iVBORw0KGgo="), b"\x89PNG\r\n\x1a\n");
}

#[test]
fn the_page_in_headless_chromium_ranks_like_recommend_json() {
    let chrome = find_program(
        "CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let driver = find_program("CHROMEDRIVER", &["chromedriver"]);
    let (Some(chrome), Some(driver)) = (chrome, driver) else {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but Chromium or chromedriver is missing (apt-get install chromium chromium-driver, or set CHROMIUM and CHROMEDRIVER)");
        }
        println!("SKIPPED: no Chromium and chromedriver on PATH (apt-get install chromium chromium-driver); CI is unset");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (db, token) = image_store(dir.path());
    let want = json(zoorank(&db).args(["recommend", "--target", "dtd", "--json"]));
    let want_first = want["models"][0]["model"].as_str().unwrap().to_string();
    let (_child, addr) = serve(&db, &token);
    let mut wd = WebDriver::start(&driver, &chrome, &dir.path().join("profile"));
    // Load the page as a person would, and pick dtd in the target list.
    wd.call(
        "POST",
        "/url",
        serde_json::json!({ "url": format!("http://{addr}/") }),
    );
    let t0 = Instant::now();
    let option = loop {
        let n =
            wd.script("return document.querySelectorAll('#target option[value=\"dtd\"]').length;");
        if n == 1 {
            break wd.find("#target option[value=\"dtd\"]");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the target list never filled"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let select = wd.find("#target");
    wd.call(
        "POST",
        &format!("/element/{select}/click"),
        serde_json::json!({}),
    );
    wd.call(
        "POST",
        &format!("/element/{option}/click"),
        serde_json::json!({}),
    );
    let got = loop {
        let v = wd.script(
            "const s = document.getElementById('status').textContent; \
             const td = document.querySelector('#ranking-body td.model'); \
             return s.includes('ranked for dtd') && td ? td.textContent : null;",
        );
        if let Some(m) = v.as_str() {
            break m.to_string();
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "no ranked table for dtd"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(got, want_first);
    let rows =
        wd.script("return document.querySelectorAll('#ranking-body tr[data-model]').length;");
    assert_eq!(rows, 25, "the page shows the best 25 by default");
    // Clicking the first model explains it; give the plot a moment to draw.
    let first_row = wd.find("#ranking-body tr[data-model]");
    wd.call(
        "POST",
        &format!("/element/{first_row}/click"),
        serde_json::json!({}),
    );
    let t1 = Instant::now();
    loop {
        let done = wd.script(
            "return document.getElementById('explain').textContent.includes('ranks #1') \
             && document.getElementById('plot-svg') !== null;",
        );
        if done == true || t1.elapsed() > Duration::from_secs(30) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let png = base64_decode(
        wd.call("GET", "/screenshot", serde_json::json!(null))
            .as_str()
            .unwrap(),
    );
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ci-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let path = artifacts.join("serve-dtd.png");
    std::fs::write(&path, &png).unwrap();
    println!(
        "screenshot of the ranked table for dtd: {}",
        path.canonicalize().unwrap().display()
    );
}

#[test]
fn serve_refuses_a_missing_store_and_a_weak_token_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.db");
    let err = common::stderr_of_failure(
        zoorank(&missing).args(["serve", "--bind", "127.0.0.1:0"]),
        1,
    );
    assert!(
        err.contains("no zoo store") && err.contains("none.db"),
        "{err}"
    );
    assert!(!missing.exists(), "serve must not create a store");
    let (db, _) = image_store(dir.path());
    let weak = write_file(dir.path(), "weak", "short\n");
    let err = common::stderr_of_failure(
        zoorank(&db)
            .args(["serve", "--bind", "127.0.0.1:0", "--token-file"])
            .arg(&weak),
        1,
    );
    assert!(err.contains("weak") && err.contains("at least 16"), "{err}");
    let help = zoorank(&db).args(["serve", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("Example"));
}
