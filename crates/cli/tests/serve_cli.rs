//! `zoorank serve` as a process: killed with SIGKILL in the middle of an import, the store is
//! left as it was before that import; stopped with SIGTERM, an import in flight finishes; and
//! the web page in headless Chromium shows the same first model as `recommend --json`.

mod common;

use common::{data_dir, json, zoorank};
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
    zoorank(&db)
        .args(["import", "transfergraph", "--skip-bad-rows"])
        .arg(data_dir().join("transfergraph-image"))
        .assert()
        .success();
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

#[test]
fn kill_9_during_an_import_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (db, token) = image_store(dir.path());
    let (mut child, addr) = serve(&db, &token);
    let before = zoo_version(addr);
    let csv = big_csv(300_000);
    let auth = format!("Bearer {TOKEN}");
    let t0 = Instant::now();
    let answer = std::thread::scope(|s| {
        let h = s.spawn(|| {
            Client::new(addr)
                .with_timeout(Duration::from_secs(120))
                .request("POST", IMPORT, &[("Authorization", &auth)], &csv)
        });
        // The body is on the wire in well under a second; the import takes seconds.
        std::thread::sleep(Duration::from_millis(1200));
        child.0.kill().unwrap(); // SIGKILL
        child.0.wait().unwrap();
        h.join().unwrap()
    });
    eprintln!("killed after {:?}", t0.elapsed());
    assert!(
        answer.is_err(),
        "the import finished before the kill, so this run proves nothing: {:?}",
        answer.map(|r| r.status)
    );
    // Reopened, the store is exactly what it was.
    let (_child, addr) = serve(&db, &token);
    assert_eq!(zoo_version(addr), before);
    // And takes the next import.
    let r = Client::new(addr)
        .request("POST", IMPORT, &[("Authorization", &auth)], &big_csv(100))
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(zoo_version(addr).1, before.1 + 100);
}

#[test]
fn sigterm_lets_an_import_in_flight_finish() {
    let dir = tempfile::tempdir().unwrap();
    let (db, token) = image_store(dir.path());
    let (mut child, addr) = serve(&db, &token);
    let before = zoo_version(addr);
    let csv = big_csv(50_000);
    let auth = format!("Bearer {TOKEN}");
    let answer = std::thread::scope(|s| {
        let h = s.spawn(|| {
            Client::new(addr)
                .with_timeout(Duration::from_secs(120))
                .request("POST", IMPORT, &[("Authorization", &auth)], &csv)
        });
        std::thread::sleep(Duration::from_millis(300));
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &child.0.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        h.join().unwrap()
    });
    let status = child.0.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
    // Either the import was answered and is in the store whole, or it had not reached the
    // server and nothing of it is there: never a part.
    let engine = zoorank_engine::Engine::open(&db).unwrap();
    let records = engine.zoo().records.len() as u64;
    match answer {
        Ok(r) => {
            assert_eq!(r.status, 200, "{}", r.text());
            assert_eq!(records, before.1 + 50_000);
        }
        Err(e) => {
            eprintln!("the import did not reach the server before it stopped: {e}");
            assert_eq!(records, before.1);
        }
    }
}

/// A Chromium binary: `$CHROMIUM`, else the first of the usual names on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser", "google-chrome", "chrome"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Runs headless Chromium on `url` with `extra` arguments and a fresh profile; its stdout.
fn headless(chrome: &Path, profile: &Path, url: &str, extra: &[&str]) -> String {
    let out = std::process::Command::new(chrome)
        .args([
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
            "--virtual-time-budget=30000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of the first `<td class="model">` of the rendered table.
fn first_model(dom: &str) -> Option<String> {
    let dom = &dom[dom.find("<tbody id=\"ranking-body\">")?..];
    let start = dom.find("<td class=\"model\">")? + "<td class=\"model\">".len();
    let end = dom[start..].find("</td>")? + start;
    Some(dom[start..end].replace("&amp;", "&"))
}

#[test]
fn the_page_in_headless_chromium_ranks_like_recommend_json() {
    let Some(chrome) = chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but no Chromium was found (install chromium, or set CHROMIUM)");
        }
        println!(
            "SKIPPED: no Chromium on PATH (apt-get install chromium chromium-driver); CI is unset"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (db, token) = image_store(dir.path());
    let want = json(zoorank(&db).args(["recommend", "--target", "dtd", "--json"]));
    let want_first = want["models"][0]["model"].as_str().unwrap().to_string();
    let (_child, addr) = serve(&db, &token);
    let url = format!("http://{addr}/?target=dtd");
    let dom = headless(
        &chrome,
        &dir.path().join("profile-dom"),
        &url,
        &["--dump-dom"],
    );
    let got = first_model(&dom).unwrap_or_else(|| panic!("no ranked table in the page:\n{dom}"));
    assert_eq!(got, want_first);
    let body_start = dom.find("<tbody id=\"ranking-body\">").unwrap();
    let body = &dom[body_start..body_start + dom[body_start..].find("</tbody>").unwrap()];
    let rows = body.matches("<tr data-model=").count();
    assert_eq!(rows, 25, "the page shows the best 25 by default");
    assert!(dom.contains("models ranked for dtd"), "{dom}");
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ci-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let png = artifacts.join("serve-dtd.png");
    let _ = std::fs::remove_file(&png);
    headless(
        &chrome,
        &dir.path().join("profile-shot"),
        &url,
        &[&format!("--screenshot={}", png.display())],
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
        "{} bytes",
        bytes.len()
    );
    println!(
        "screenshot of the ranked table for dtd: {}",
        png.canonicalize().unwrap().display()
    );
}
