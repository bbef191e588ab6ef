//! The job queue on both backends: claims, leases, retries, and results written once.

use std::time::Duration;
use zoorank_store::{Batch, NewJob, ScoreRow, Store};

mod common;

fn job(i: usize) -> NewJob {
    NewJob {
        kind: "score".into(),
        key: format!("score|model-{i}|d"),
        spec: format!("{{\"model\": \"model-{i}\"}}"),
    }
}

fn result(model: &str, value: f64) -> Batch {
    Batch {
        scores: vec![ScoreRow {
            model: model.into(),
            dataset: "d".into(),
            method: "logme".into(),
            value,
            runtime: None,
        }],
        ..Batch::default()
    }
}

const LONG: Duration = Duration::from_secs(600);

#[test]
fn jobs_are_claimed_once_each_and_resubmitting_adds_nothing() {
    common::each_location(|loc| {
        let mut a = Store::open(loc).unwrap();
        let mut b = Store::open(loc).unwrap();
        let jobs: Vec<NewJob> = (0..3).map(job).collect();
        assert_eq!(a.submit_jobs(&jobs, 2).unwrap(), (3, 0));
        assert_eq!(a.submit_jobs(&jobs, 2).unwrap(), (0, 3));
        let j1 = a.claim_job("a", LONG).unwrap().unwrap();
        let j2 = b.claim_job("b", LONG).unwrap().unwrap();
        let j3 = a.claim_job("a", LONG).unwrap().unwrap();
        assert_eq!((j1.id, j2.id, j3.id), (1, 2, 3));
        assert!(b.claim_job("b", LONG).unwrap().is_none());
        assert_eq!(j1.attempt, 1);
        assert!(a
            .finish_job(&j1, &result("model-0", 0.5), "ok")
            .unwrap()
            .is_some());
        let st = a.job_status().unwrap();
        assert_eq!(
            (st.counts["done"], st.counts["running"], st.total),
            (1, 2, 3)
        );
        assert_eq!(st.running[0].worker, "b");
        assert!(st.running[0].lease_left > 500.0);
    });
}

#[test]
fn an_expired_lease_passes_the_job_on_and_the_old_worker_writes_nothing() {
    common::each_location(|loc| {
        let mut a = Store::open(loc).unwrap();
        let mut b = Store::open(loc).unwrap();
        a.submit_jobs(&[job(0)], 3).unwrap();
        let old = a
            .claim_job("a", Duration::from_millis(200))
            .unwrap()
            .unwrap();
        assert!(b.claim_job("b", LONG).unwrap().is_none());
        std::thread::sleep(Duration::from_millis(400));
        let new = b.claim_job("b", LONG).unwrap().unwrap();
        assert_eq!((new.id, new.attempt), (old.id, 2));
        // The first worker comes back: it can neither renew nor finish.
        assert!(!a.renew_lease(&old, LONG).unwrap());
        assert!(a
            .finish_job(&old, &result("model-0", 0.1), "late")
            .unwrap()
            .is_none());
        assert_eq!(a.stats().unwrap().scores, 0, "a lost lease writes nothing");
        assert!(b.renew_lease(&new, LONG).unwrap());
        assert!(b
            .finish_job(&new, &result("model-0", 0.7), "ok")
            .unwrap()
            .is_some());
        let zoo = a.load_zoo().unwrap();
        assert_eq!(zoo.scores.len(), 1);
        assert_eq!(zoo.scores[0].value, 0.7);
        assert_eq!(a.job_status().unwrap().counts["done"], 1);
    });
}

#[test]
fn failures_are_retried_a_bounded_number_of_times_with_their_errors_kept() {
    common::each_location(|loc| {
        let mut s = Store::open(loc).unwrap();
        s.submit_jobs(&[job(0)], 2).unwrap();
        let j = s.claim_job("w", LONG).unwrap().unwrap();
        s.fail_job(&j, "model-0: config.json: unknown model_type 'swin'")
            .unwrap();
        let st = s.job_status().unwrap();
        assert_eq!(st.counts["queued"], 1);
        assert_eq!(
            st.retrying[0].error,
            "model-0: config.json: unknown model_type 'swin'"
        );
        let j = s.claim_job("w", LONG).unwrap().unwrap();
        assert_eq!(j.attempt, 2);
        s.fail_job(&j, "again").unwrap();
        let st = s.job_status().unwrap();
        assert_eq!((st.counts["failed"], st.counts["queued"]), (1, 0));
        assert_eq!(
            (st.failed[0].attempts, st.failed[0].error.as_str()),
            (2, "again")
        );
        assert!(s.claim_job("w", LONG).unwrap().is_none());
        // A job abandoned on its last attempt fails when its lease runs out.
        s.submit_jobs(&[job(1)], 1).unwrap();
        s.claim_job("dies", Duration::from_millis(100))
            .unwrap()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert!(s.claim_job("w", LONG).unwrap().is_none());
        let st = s.job_status().unwrap();
        assert_eq!(st.counts["failed"], 2);
        assert!(
            st.failed[1].error.contains("lease expired"),
            "{:?}",
            st.failed[1]
        );
        assert_eq!(s.retry_failed_jobs().unwrap(), 2);
        assert_eq!(s.job_status().unwrap().counts["queued"], 2);
    });
}

#[test]
fn hostile_names_are_only_ever_bound_parameters() {
    let hostile = [
        "x'); DROP TABLE jobs; --",
        "\"quoted\" ; DELETE FROM scores",
        "ünïcödé 模型 🚀",
        "back\\slash ?1 $1 %s",
    ];
    common::each_location(|loc| {
        let mut s = Store::open(loc).unwrap();
        let batch = Batch {
            scores: hostile
                .iter()
                .enumerate()
                .map(|(i, h)| ScoreRow {
                    model: h.to_string(),
                    dataset: hostile[(i + 1) % hostile.len()].to_string(),
                    method: h.to_string(),
                    value: i as f64,
                    runtime: None,
                })
                .collect(),
            ..Batch::default()
        };
        s.apply(&batch).unwrap();
        let jobs: Vec<NewJob> = hostile
            .iter()
            .map(|h| NewJob {
                kind: h.to_string(),
                key: h.to_string(),
                spec: h.to_string(),
            })
            .collect();
        assert_eq!(s.submit_jobs(&jobs, 1).unwrap(), (4, 0));
        s.put_blob(hostile[0], hostile[1].as_bytes()).unwrap();
        assert_eq!(s.blob_usage(hostile[0]).unwrap().0, 1);
        s.put_embedding(hostile[2], hostile[3], &[1.0]).unwrap();
        let zoo = s.load_zoo().unwrap();
        for h in hostile {
            assert!(zoo.model_index(h).is_some(), "{h}");
            assert!(zoo.dataset_index(h).is_some(), "{h}");
        }
        assert_eq!(zoo.scores.len(), 4);
        let j = s.claim_job(hostile[3], LONG).unwrap().unwrap();
        assert_eq!(
            (j.kind.as_str(), j.worker.as_str()),
            (hostile[0], hostile[3])
        );
        assert_eq!(s.stats().unwrap().embeddings, 1);
    });
}
