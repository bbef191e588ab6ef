//! `zoorank jobs` and `zoorank worker` as separate processes on one store, on both backends:
//! the shipped MiniLM and two tiny generated text models scored over three datasets give the
//! same stored scores with 1, 2 and 4 workers, and a worker killed with SIGKILL mid-job loses
//! nothing and writes nothing twice.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Stdio};

mod common;
use common::{copy_dir, fixtures, json, minilm_dir, succeeds, write_file, zoorank};
use zoorank_store::Store;

/// A seeded three-class text dataset of `n` short sentences.
fn text_dataset(dir: &Path, name: &str, n: usize, seed: u64) -> PathBuf {
    let words = [
        ["great", "lovely", "superb", "moving", "bright", "warm"],
        ["dull", "clumsy", "flat", "boring", "grey", "slow"],
        ["odd", "plain", "long", "quiet", "strange", "brief"],
    ];
    let nouns = [
        "film", "story", "score", "cast", "ending", "plot", "scene", "script",
    ];
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = |k: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % k as u64) as usize
    };
    let mut text = String::from("text,label\n");
    for i in 0..n {
        let c = i % 3;
        text.push_str(&format!(
            "\"a {} {} with a {} {}\",c{c}\n",
            words[c][next(6)],
            nouns[next(8)],
            words[next(3)][next(6)],
            nouns[next(8)]
        ));
    }
    write_file(dir, &format!("{name}.csv"), text)
}

/// The zoo (MiniLM and two tiny text models) and three datasets.
struct Setup {
    _tmp: tempfile::TempDir,
    zoo: PathBuf,
    datasets: Vec<PathBuf>,
}

fn setup(samples: usize) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let zoo = tmp.path().join("zoo");
    std::fs::create_dir_all(&zoo).unwrap();
    std::os::unix::fs::symlink(minilm_dir(), zoo.join("all-MiniLM-L6-v2")).unwrap();
    copy_dir(
        &fixtures().join("tiny-distilbert"),
        &zoo.join("tiny-distilbert"),
    );
    copy_dir(&fixtures().join("tiny-roberta"), &zoo.join("tiny-roberta"));
    let datasets = (0..3)
        .map(|i| text_dataset(tmp.path(), &format!("texts-{i}"), samples, i as u64 + 1))
        .collect();
    Setup {
        _tmp: tmp,
        zoo,
        datasets,
    }
}

fn submit(db: &str, s: &Setup) {
    for d in &s.datasets {
        succeeds(
            zoorank(Path::new(db))
                .args(["jobs", "submit", "score-zoo", "--methods", "logme,h-score"])
                .arg("--models")
                .arg(&s.zoo)
                .arg("--dataset")
                .arg(d),
        );
    }
}

/// A worker process held to one thread, printing its events as JSON lines.
fn worker(db: &str, lease: &str) -> Child {
    Proc::new(assert_cmd::cargo::cargo_bin("zoorank"))
        .args([
            "--db",
            db,
            "worker",
            "--exit-when-idle",
            "--json",
            "--poll",
            "0.1",
        ])
        .args(["--lease", lease])
        .env_remove("ZOORANK_DB")
        .env("RAYON_NUM_THREADS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for a worker; returns its events.
fn events(child: Child) -> Vec<serde_json::Value> {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

type Scores = BTreeMap<(String, String, String), f64>;

fn stored(db: &str) -> Scores {
    let zoo = Store::open_existing(db).unwrap().load_zoo().unwrap();
    let mut out = Scores::new();
    for s in &zoo.scores {
        let key = (
            zoo.models[s.model].name.clone(),
            zoo.datasets[s.dataset].name.clone(),
            s.method.clone(),
        );
        assert!(out.insert(key, s.value).is_none(), "stored twice");
    }
    out
}

fn all_done(db: &str, jobs: usize) {
    let st = Store::open_existing(db).unwrap().job_status().unwrap();
    assert_eq!(st.total, jobs);
    assert_eq!(st.counts["done"], jobs, "{st:?}");
}

/// Scores with `n` worker processes on a fresh store at each location.
fn run_with(n: usize, s: &Setup, dir: &Path) -> Vec<Scores> {
    let mut out = Vec::new();
    let sub = tempfile::tempdir_in(dir).unwrap();
    zoorank_store::testing::each_location(sub.path(), |db| {
        submit(db, s);
        let children: Vec<Child> = (0..n).map(|_| worker(db, "30")).collect();
        let done: usize = children
            .into_iter()
            .map(|c| events(c).iter().filter(|e| e["event"] == "done").count())
            .sum();
        assert_eq!(done, 9, "{n} workers");
        all_done(db, 9);
        out.push(stored(db));
    });
    out
}

#[test]
fn one_two_and_four_workers_store_the_same_scores_on_both_backends() {
    let s = setup(60);
    let tmp = tempfile::tempdir().unwrap();
    let one = run_with(1, &s, tmp.path());
    assert_eq!(one[0].len(), 18, "3 models × 3 datasets × 2 methods");
    assert!(one[0].values().all(|v| v.is_finite()));
    for n in [2, 4] {
        assert_eq!(run_with(n, &s, tmp.path()), one, "{n} workers");
    }
    // The backends agree with each other too.
    if one.len() == 2 {
        assert_eq!(one[0], one[1]);
    }
}

#[test]
fn a_worker_killed_mid_job_loses_nothing_and_writes_nothing_twice() {
    // Enough samples that MiniLM's forward pass outlasts the kill.
    let s = setup(600);
    let tmp = tempfile::tempdir().unwrap();
    let reference = run_with(1, &s, tmp.path());
    let sub = tempfile::tempdir_in(tmp.path()).unwrap();
    let mut i = 0;
    zoorank_store::testing::each_location(sub.path(), |db| {
        submit(db, &s);
        // The victim starts alone, so its first claim is the oldest job: MiniLM on the first
        // dataset, whose forward pass takes seconds. It is killed as soon as it says so.
        let mut victim = worker(db, "1.5");
        let mut lines = BufReader::new(victim.stdout.take().unwrap()).lines();
        let claimed: serde_json::Value = loop {
            let l = lines.next().expect("the victim claims a job").unwrap();
            let e: serde_json::Value = serde_json::from_str(&l).unwrap();
            if e["event"] == "claimed" {
                break e;
            }
        };
        assert!(
            claimed["key"].as_str().unwrap().contains("MiniLM"),
            "{claimed}"
        );
        victim.kill().unwrap(); // SIGKILL
        victim.wait().unwrap();
        assert!(
            lines.all(|l| !l.unwrap().contains("\"done\"")),
            "killed before it finished"
        );
        let others: Vec<Child> = (0..2).map(|_| worker(db, "1.5")).collect();
        let events: Vec<serde_json::Value> = others.into_iter().flat_map(events).collect();
        // Its job was claimed again by a survivor, on a later attempt, and done once.
        let id = &claimed["id"];
        let retaken: Vec<_> = events
            .iter()
            .filter(|e| e["event"] == "claimed" && &e["id"] == id)
            .collect();
        assert!(
            retaken
                .iter()
                .any(|e| e["attempt"].as_i64() > claimed["attempt"].as_i64()),
            "{claimed} {retaken:?}"
        );
        all_done(db, 9);
        assert_eq!(
            stored(db),
            reference[i],
            "the same values as one worker alone"
        );
        i += 1;
    });
}

type Distances = BTreeMap<(String, String, String), f64>;

/// Stored distances by (method, unordered pair of dataset names).
fn stored_distances(db: &str) -> Distances {
    let zoo = Store::open_existing(db).unwrap().load_zoo().unwrap();
    let mut out = Distances::new();
    for d in &zoo.distances {
        let (a, b) = (&zoo.datasets[d.a].name, &zoo.datasets[d.b].name);
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        let key = (d.method.clone(), a.clone(), b.clone());
        assert!(out.insert(key, d.value).is_none(), "stored twice");
    }
    out
}

#[test]
fn embed_and_dataset_add_jobs_do_what_the_commands_do_on_both_backends() {
    let s = setup(60);
    let tmp = tempfile::tempdir().unwrap();
    let probe = s.zoo.join("tiny-distilbert");
    // The reference: `zoorank dataset add` of the three datasets, one after another.
    let reference_db = tmp.path().join("reference.db");
    for d in &s.datasets {
        succeeds(
            zoorank(&reference_db)
                .args(["dataset", "add"])
                .arg(d)
                .arg("--probe")
                .arg(&probe),
        );
    }
    let want = stored_distances(reference_db.to_str().unwrap());
    assert_eq!(want.len(), 3, "three pairs");
    let sub = tempfile::tempdir_in(tmp.path()).unwrap();
    zoorank_store::testing::each_location(sub.path(), |db| {
        let out = succeeds(
            zoorank(Path::new(db))
                .args(["jobs", "submit", "embed", "--json", "--models"])
                .arg(&s.zoo)
                .arg("--dataset")
                .arg(&s.datasets[0]),
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (v["added"].as_u64(), v["models"].as_u64()),
            (Some(3), Some(3))
        );
        succeeds(
            zoorank(Path::new(db))
                .args(["jobs", "submit", "dataset-add"])
                .args(&s.datasets)
                .arg("--probe")
                .arg(&probe),
        );
        // Two workers at once: the three registrations may run concurrently.
        let children: Vec<Child> = (0..2).map(|_| worker(db, "30")).collect();
        let done: usize = children
            .into_iter()
            .map(|c| events(c).iter().filter(|e| e["event"] == "done").count())
            .sum();
        assert_eq!(done, 6);
        all_done(db, 6);
        // Every pair's distance is there once, equal to the commands' one after another.
        let got = stored_distances(db);
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (k, v) in &want {
            assert!((got[k] - v).abs() <= 1e-9 * v.abs().max(1.0), "{k:?}");
        }
        let stats = json(zoorank(Path::new(db)).args(["zoo", "stats", "--json"]));
        assert_eq!(stats["datasets"].as_u64(), Some(3), "{stats}");
        // The embed jobs filled the feature cache: the command finds MiniLM's features there.
        let e = json(
            zoorank(Path::new(db))
                .args(["embed", "--json", "--model"])
                .arg(s.zoo.join("all-MiniLM-L6-v2"))
                .arg("--dataset")
                .arg(&s.datasets[0]),
        );
        assert_eq!(e["cache"], "hit", "{e}");
    });
}

#[test]
fn sigterm_lets_a_worker_finish_its_job_and_claim_no_more() {
    let s = setup(600);
    let tmp = tempfile::tempdir().unwrap();
    let sub = tempfile::tempdir_in(tmp.path()).unwrap();
    zoorank_store::testing::each_location(sub.path(), |db| {
        submit(db, &s);
        let mut w = worker(db, "30");
        let mut lines = BufReader::new(w.stdout.take().unwrap()).lines();
        let claimed: serde_json::Value = loop {
            let l = lines.next().expect("the worker claims a job").unwrap();
            let e: serde_json::Value = serde_json::from_str(&l).unwrap();
            if e["event"] == "claimed" {
                break e;
            }
        };
        let term = Proc::new("kill")
            .args(["-TERM", &w.id().to_string()])
            .status()
            .unwrap();
        assert!(term.success());
        let rest: Vec<serde_json::Value> = lines
            .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
            .collect();
        assert!(w.wait().unwrap().success(), "a signalled worker exits 0");
        assert_eq!(rest.len(), 1, "only its job's end: {rest:?}");
        assert_eq!(
            (&rest[0]["event"], &rest[0]["id"]),
            (&"done".into(), &claimed["id"])
        );
        let st = Store::open_existing(db).unwrap().job_status().unwrap();
        assert_eq!((st.counts["done"], st.counts["queued"]), (1, 8), "{st:?}");
    });
}
