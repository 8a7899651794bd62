//! The job queue on the app's database: enqueued once per key, claimed by one worker for a
//! lease, retried with backoff, given up as a dead letter, taken over when a worker dies
//! mid-job, and never claimed by two instances at once (PostgreSQL).

use crate::helpers::*;
use rollcall::domain::jobs::{JobState, LEASE_MS, MAX_ATTEMPTS};
use rollcall::server::store::NewJob;

const NOW: i64 = 1_800_000_000_000;

#[tokio::test]
async fn a_job_is_enqueued_once_claimed_once_and_settled_once() {
    let app = spawn_app().await;
    let store = &app.server.state.store;
    assert!(store
        .enqueue_job(
            &NewJob {
                kind: "scan",
                key: "scan:1",
                payload: "{}",
                run_at_ms: NOW
            },
            NOW
        )
        .await
        .unwrap());
    assert!(
        !store
            .enqueue_job(
                &NewJob {
                    kind: "scan",
                    key: "scan:1",
                    payload: "{}",
                    run_at_ms: NOW
                },
                NOW
            )
            .await
            .unwrap(),
        "same key"
    );
    assert!(store
        .enqueue_job(
            &NewJob {
                kind: "scan",
                key: "scan:2",
                payload: "{}",
                run_at_ms: NOW + 60_000
            },
            NOW
        )
        .await
        .unwrap());
    let claimed = store.claim_jobs(10, NOW).await.unwrap();
    assert_eq!(claimed.len(), 1, "only the due one");
    assert_eq!(
        (claimed[0].key.as_str(), claimed[0].attempts),
        ("scan:1", 1)
    );
    assert!(
        store.claim_jobs(10, NOW + 1).await.unwrap().is_empty(),
        "leased"
    );
    let depth = store.queue_depth().await.unwrap();
    assert_eq!((depth.queued, depth.running, depth.dead), (1, 1, 0));
    assert!(store.finish_job(&claimed[0], NOW + 2).await.unwrap());
    assert!(
        !store.finish_job(&claimed[0], NOW + 3).await.unwrap(),
        "settled once"
    );
    // Done is done: neither a claim nor the same key brings it back.
    assert!(store
        .claim_jobs(10, NOW + 10 * LEASE_MS)
        .await
        .unwrap()
        .iter()
        .all(|j| j.key != "scan:1"));
    assert!(!store
        .enqueue_job(
            &NewJob {
                kind: "scan",
                key: "scan:1",
                payload: "{}",
                run_at_ms: NOW
            },
            NOW
        )
        .await
        .unwrap());
}

#[tokio::test]
async fn failures_back_off_and_the_last_one_leaves_a_dead_letter() {
    let app = spawn_app().await;
    let store = &app.server.state.store;
    store
        .enqueue_job(
            &NewJob {
                kind: "push",
                key: "push:9",
                payload: "{}",
                run_at_ms: NOW,
            },
            NOW,
        )
        .await
        .unwrap();
    let mut now = NOW;
    for attempt in 1..=MAX_ATTEMPTS as i64 {
        let job = store
            .claim_jobs(1, now)
            .await
            .unwrap()
            .pop()
            .expect("due again");
        assert_eq!(job.attempts, attempt);
        let state = store
            .fail_job(&job, "push service said 503", None, now)
            .await
            .unwrap();
        if attempt < MAX_ATTEMPTS as i64 {
            assert_eq!(state, Some(JobState::Queued));
            assert!(
                store.claim_jobs(1, now + 1).await.unwrap().is_empty(),
                "backing off"
            );
            now += 3_600_000; // past any backoff
        } else {
            assert_eq!(state, Some(JobState::Dead));
        }
    }
    assert!(
        store
            .claim_jobs(1, now + 86_400_000)
            .await
            .unwrap()
            .is_empty(),
        "dead: never again"
    );
    // The admin sees it, with its last error.
    let admin = app.login("admin", "admin-demo").await;
    let queue = admin.ok("job_queue", serde_json::json!({})).await;
    assert_eq!(queue["dead"], 1, "{queue}");
    assert_eq!(queue["dead_letters"][0]["key"], "push:9");
    assert_eq!(
        queue["dead_letters"][0]["last_error"],
        "push service said 503"
    );
    let depth = store.queue_depth().await.unwrap();
    assert_eq!((depth.queued, depth.running, depth.dead), (0, 0, 1));
}

#[tokio::test]
async fn a_worker_that_dies_mid_job_loses_it_to_the_next_and_cannot_settle_it_late() {
    let app = spawn_app().await;
    let store = &app.server.state.store;
    store
        .enqueue_job(
            &NewJob {
                kind: "scan",
                key: "scan:crash",
                payload: "{}",
                run_at_ms: NOW,
            },
            NOW,
        )
        .await
        .unwrap();
    let lost = store.claim_jobs(1, NOW).await.unwrap().pop().unwrap();
    // The worker is killed: nothing settles the job. After the lease another worker takes it.
    assert!(store
        .claim_jobs(1, NOW + LEASE_MS - 1)
        .await
        .unwrap()
        .is_empty());
    let taken = store
        .claim_jobs(1, NOW + LEASE_MS + 1)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!((taken.id, taken.attempts), (lost.id, 2));
    // The first worker comes back to life: its late answer changes nothing.
    assert!(!store.finish_job(&lost, NOW + LEASE_MS + 2).await.unwrap());
    assert_eq!(
        store.fail_job(&lost, "late", None, NOW).await.unwrap(),
        None
    );
    assert!(store.finish_job(&taken, NOW + LEASE_MS + 3).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/test runs it with TEST_DATABASE_URL"]
async fn two_instances_claiming_at_once_never_take_the_same_job() {
    assert!(
        on_postgres(),
        "set TEST_DATABASE_URL to a PostgreSQL server"
    );
    let a = spawn_app().await;
    let b = second_instance(&a).await;
    for n in 0..200 {
        a.server
            .state
            .store
            .enqueue_job(
                &NewJob {
                    kind: "scan",
                    key: &format!("race:{n}"),
                    payload: "{}",
                    run_at_ms: NOW,
                },
                NOW,
            )
            .await
            .unwrap();
    }
    let claim_all = |store: std::sync::Arc<rollcall::server::store::Store>| async move {
        let mut mine = Vec::new();
        loop {
            let batch = store.claim_jobs(7, NOW).await.unwrap();
            if batch.is_empty() {
                return mine;
            }
            mine.extend(batch.into_iter().map(|job| job.id));
        }
    };
    let (one, two) = tokio::join!(
        claim_all(a.server.state.store.clone()),
        claim_all(b.server.state.store.clone())
    );
    let mut all: Vec<i64> = one.iter().chain(two.iter()).copied().collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(one.len() + two.len(), 200, "every job claimed once");
    assert_eq!(all.len(), 200, "no job claimed twice");
}
