//! Operating the pipeline against the local stack: the sweeper recovers a killed handler's job,
//! gives up on it after its limit, dead letters go back with `redrive` and complete, health sees
//! what is wrong, and finalize refuses an inconsistent document.
#![allow(clippy::unwrap_used)] // tests: an unwrap that fails is a failed assertion

use aws_lambda_events::sqs::SqsEvent;
use doc_ingest::framework::attr;
use doc_ingest::ops::{dlq, health, registry, sweeper};
use doc_ingest::pipeline::stage_names;
use doc_ingest::runner::RunnerOptions;
use doc_ingest::{ErrorClass, StageError};
use integration_tests::stages::Fault;
use integration_tests::{TestEnv, message_attr, sample};
use std::time::{Duration, Instant};
use uuid::Uuid;

const DONE_WITHIN: Duration = Duration::from_secs(60);

/// Sweeper settings that make a killed handler's job stranded a moment after its lease runs out,
/// and a ready job whose message is gone stuck a moment after it became ready.
fn quick_sweeps(max_requeues: u32) -> impl FnOnce(&mut doc_ingest::config::Config) {
    move |c| {
        c.lease = Duration::from_millis(500);
        c.sweep.orphan_grace = Duration::from_millis(500);
        c.sweep.stuck_after = Duration::from_millis(500);
        c.sweep.max_requeues = max_requeues;
    }
}

async fn job_state(env: &TestEnv, job: Uuid) -> String {
    env.scalar("SELECT state::text FROM upload_jobs WHERE id = $1", &[&job]).await
}

/// For a job that is failed now: `wait_terminal` would return at once.
async fn wait_until_done(env: &TestEnv, job: Uuid) {
    let deadline = Instant::now() + DONE_WITHIN;
    while job_state(env, job).await != "done" {
        assert!(Instant::now() < deadline, "the redriven job did not complete");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Hands `event` to a handler whose stage hangs after its claim, kills the handler once the job
/// is claimed, and deletes the message: the crash the redrive policy would dead-letter without
/// the job ever learning. Returns the job id.
async fn kill_handler_mid_stage(env: &TestEnv, stage: &'static str, event: SqsEvent) -> Uuid {
    let body = event.records[0].body.clone().unwrap();
    let job: Uuid =
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["job_id"].as_str().unwrap().parse().unwrap();
    env.inject(stage, vec![Fault::Hang]);
    let receipt = event.records[0].receipt_handle.clone().unwrap();
    let ctx = env.ctx.clone();
    let handler = {
        let s = env.stage(stage);
        tokio::spawn(async move { doc_ingest::framework::handle_batch(&ctx, &*s, event).await })
    };
    let running = doc_ingest::pipeline::stage(stage).unwrap().running.unwrap().as_str();
    let deadline = Instant::now() + Duration::from_secs(10);
    while job_state(env, job).await != running {
        assert!(Instant::now() < deadline, "the handler never claimed the job");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    handler.abort();
    assert!(handler.await.unwrap_err().is_cancelled());
    env.ctx.sqs.delete_message().queue_url(env.queue(stage)).receipt_handle(receipt).send().await.unwrap();
    job
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_killed_mid_stage_is_swept_back_and_its_document_completes() {
    let env = TestEnv::with_config(quick_sweeps(3)).await;
    let key = "uploads/acme/1/glossary.md";
    let event = env.message_for("chunk", key, sample("glossary.md")).await;
    let job = kill_handler_mid_stage(&env, "chunk", event).await;

    let early = sweeper::sweep(&env.ctx).await.unwrap();
    assert!(early.requeued.is_empty() && early.failed.is_empty(), "a job is not stuck before stuck_after");

    // Past the lease (0.5 s) and then stuck_after (0.5 s).
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let report = sweeper::sweep(&env.ctx).await.unwrap();
    assert_eq!(report.requeued.iter().map(|j| j.job_id).collect::<Vec<_>>(), vec![job]);
    assert_eq!(report.requeued[0].state.as_str(), "chunking");
    let again = sweeper::sweep(&env.ctx).await.unwrap();
    assert!(again.requeued.is_empty(), "a fresh re-enqueue is not repeated at once");

    let runner = env.start(RunnerOptions::default());
    let (doc, status) = env.wait_terminal(key, DONE_WITHIN).await;
    runner.stop().await;
    assert_eq!(status, "done");
    let t = env.transitions(doc).await;
    assert!(t.contains(&(Some("chunking".into()), "chunking".into())), "the swept job was re-claimed: {t:?}");
    let swept: i64 =
        env.scalar("SELECT count(*) FROM job_events WHERE job_id = $1 AND kind = 'sweeper_requeued'", &[&job]).await;
    assert_eq!(swept, 1);
    env.assert_all_queues_empty().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_job_whose_message_was_lost_fails_as_stuck_past_its_limit_and_a_redrive_completes_it() {
    let env = TestEnv::with_config(quick_sweeps(0)).await;
    let key = "uploads/acme/2/glossary.md";
    let event = env.message_for("embed", key, sample("glossary.md")).await;
    // The embed message is lost (a purged queue, say): the job waits in `chunked` for nobody.
    let receipt = event.records[0].receipt_handle.clone().unwrap();
    env.ctx.sqs.delete_message().queue_url(env.queue("embed")).receipt_handle(receipt).send().await.unwrap();
    let job: Uuid = env.scalar("SELECT id FROM upload_jobs", &[]).await;

    // Past stuck_after (0.5 s).
    tokio::time::sleep(Duration::from_millis(800)).await;
    let stuck = health::check(&env.ctx).await;
    assert_eq!(stuck.stuck.len(), 1, "health sees the stuck job");
    let report = sweeper::sweep(&env.ctx).await.unwrap();
    assert_eq!(report.failed.len(), 1);
    let (state, error): (String, String) = {
        let r = env
            .db()
            .await
            .query_one("SELECT state::text, last_error FROM upload_jobs WHERE id = $1", &[&job])
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(state, "failed");
    assert!(error.starts_with("stuck in chunked since "), "{error}");

    let dead = dlq::list(&env.ctx, &["embed"], 100).await.unwrap();
    assert_eq!(dead.len(), 1, "listing leaves the dead letter in place");
    assert_eq!(dead[0].job_id(), Some(job));
    assert_eq!(dead[0].attribute(attr::ERROR_CLASS), Some("stuck"));
    let h = health::check(&env.ctx).await;
    assert!(h.problems().iter().any(|p| p.contains("embed DLQ holds 1")), "{:?}", h.problems());

    let moved = dlq::redrive_selected(&env.ctx, &stage_names(), 100, |m| m.job_id() == Some(job)).await.unwrap();
    assert_eq!(moved.len(), 1);
    let runner = env.start(RunnerOptions::default());
    wait_until_done(&env, job).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    runner.stop().await;
    let redriven: i64 =
        env.scalar("SELECT count(*) FROM job_events WHERE job_id = $1 AND kind = 'redriven'", &[&job]).await;
    assert_eq!(redriven, 1);
    env.assert_all_queues_empty().await;
    assert!(health::check(&env.ctx).await.problems().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_failure_goes_to_the_dlq_and_after_the_fix_a_redrive_completes_it() {
    let env = TestEnv::new().await;
    // The fault fires once: the "cause" is gone by the time the message comes back.
    env.inject("chunk", vec![Fault::Fail(StageError::new(ErrorClass::EmbeddingAuth, "401 from the provider"))]);
    let runner = env.start(RunnerOptions::default());
    let key = "uploads/acme/3/claims.md";
    env.upload(key, sample("claims-guide.md")).await;
    let (doc, status) = env.wait_terminal(key, DONE_WITHIN).await;
    assert_eq!(status, "failed");
    let job: Uuid = env.scalar("SELECT id FROM upload_jobs WHERE document_id = $1", &[&doc]).await;

    // A stage message for a failed job that is not its dead letter stays refused.
    let plain =
        format!(r#"{{"v":1,"job_id":"{job}","document_id":"{doc}","stage":"chunk","attempt":1,"correlation_id":"x"}}"#);
    env.send(&env.queue("chunk"), &plain).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(job_state(&env, job).await, "failed", "only a redriven dead letter reopens a job");

    // moto has no StartMessageMoveTask: the selective path moves the message.
    match dlq::redrive_all(&env.ctx, "chunk", 100).await.unwrap() {
        dlq::RedriveAll::Selective { moved, .. } => assert_eq!(moved, 1),
        other => panic!("expected the selective fallback on moto, got {other:?}"),
    }
    wait_until_done(&env, job).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    runner.stop().await;
    let t = env.transitions(doc).await;
    assert!(t.contains(&(Some("failed".into()), "parsed".into())), "reopened at the stage it failed in: {t:?}");
    assert_eq!(t.last().unwrap().1, "done");
    env.assert_all_queues_empty().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_copy_of_a_redriven_dead_letter_does_not_reopen_a_later_failure() {
    let env = TestEnv::new().await;
    env.inject("embed", vec![Fault::Fail(StageError::new(ErrorClass::EmbeddingAuth, "first failure"))]);
    let runner = env.start(RunnerOptions::default());
    let key = "uploads/acme/4/glossary.md";
    env.upload(key, sample("glossary.md")).await;
    let (doc, _) = env.wait_terminal(key, DONE_WITHIN).await;
    runner.stop().await;
    let job: Uuid = env.scalar("SELECT id FROM upload_jobs WHERE document_id = $1", &[&doc]).await;
    let first = env.receive(&env.dlq("embed")).await;
    assert_eq!(first.len(), 1);
    let failed_attempt = message_attr(&first[0], attr::JOB_ATTEMPT).expect("the dead letter carries the attempt");

    // Redrive, fail again at a later attempt, then deliver the first dead letter a second time.
    let event_of = |m: &aws_sdk_sqs::types::Message| {
        let mut e = SqsEvent::default();
        e.records.push(doc_ingest::runner::to_lambda_message(m, &env.queue("embed")));
        e
    };
    env.inject("embed", vec![Fault::Fail(StageError::new(ErrorClass::EmbeddingAuth, "second failure"))]);
    env.handle("embed", event_of(&first[0])).await;
    let r = env
        .db()
        .await
        .query_one("SELECT state::text, last_error, attempt FROM upload_jobs WHERE id = $1", &[&job])
        .await
        .unwrap();
    assert_eq!((r.get::<_, &str>(0), r.get::<_, &str>(1)), ("failed", "second failure"));
    assert!(r.get::<_, i32>(2) > failed_attempt.parse::<i32>().unwrap());
    env.handle("embed", event_of(&first[0])).await;
    assert_eq!(job_state(&env, job).await, "failed", "the stale copy reopened nothing");
    let redriven: i64 =
        env.scalar("SELECT count(*) FROM job_events WHERE job_id = $1 AND kind = 'redriven'", &[&job]).await;
    assert_eq!(redriven, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_invocation_refreshes_its_execution_environment_and_old_ones_are_pruned() {
    let env = TestEnv::with_context(|ctx| ctx.identity = Some(registry::Identity::from_env("test"))).await;
    let me = env.ctx.identity.clone().unwrap();
    let runner = env.start(RunnerOptions::default());
    let key = "uploads/acme/5/glossary.md";
    env.upload(key, sample("glossary.md")).await;
    env.wait_terminal(key, DONE_WITHIN).await;
    runner.stop().await;

    let h = health::check(&env.ctx).await;
    let live: Vec<_> = h.environments.iter().filter(|e| e.id == me.id).collect();
    assert_eq!(live.len(), 1, "registered by its first invocation");
    assert!(live[0].invocations >= 4, "a heartbeat per batch, at least one batch per stage: {}", live[0].invocations);
    assert_eq!(live[0].function_name, "local-test");
    assert!(h.database.is_none());
    assert_eq!(h.queues.len(), 8, "every queue and DLQ reported");

    let db = env.db().await;
    db.execute("UPDATE execution_environments SET last_seen_at = now() - interval '2 days'", &[]).await.unwrap();
    assert!(registry::live(&**db, health::LIVE_WITHIN).await.unwrap().is_empty());
    let report = sweeper::sweep(&env.ctx).await.unwrap();
    assert_eq!(report.pruned_environments, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalize_fails_a_document_whose_chunk_no_longer_matches_its_hash() {
    let env = TestEnv::new().await;
    let event = env.message_for("finalize", "uploads/acme/6/claims.md", sample("claims-guide.md")).await;
    let db = env.db().await;
    db.execute("UPDATE document_chunks SET content = content || ' (edited)' WHERE ordinal = 0", &[]).await.unwrap();
    let response = env.handle("finalize", event).await;
    assert!(response.batch_item_failures.is_empty(), "a permanent failure is settled, not retried");
    let r = db.query_one("SELECT state::text, last_error_class, last_error FROM upload_jobs", &[]).await.unwrap();
    assert_eq!((r.get::<_, &str>(0), r.get::<_, &str>(1)), ("failed", "inconsistent"));
    assert!(r.get::<_, &str>(2).contains("1 chunks do not match their SHA-256"), "{}", r.get::<_, &str>(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalize_fails_a_document_whose_stored_markdown_hash_differs() {
    let env = TestEnv::new().await;
    let event = env.message_for("finalize", "uploads/acme/8/claims.md", sample("claims-guide.md")).await;
    let key: String = env.scalar("SELECT parsed_key FROM documents", &[]).await;
    // Someone rewrote the parsed markdown object after the fact.
    env.ctx
        .s3()
        .put_object()
        .bucket(&env.bucket)
        .key(&key)
        .metadata("sha256", "0".repeat(64))
        .body(b"# replaced".to_vec().into())
        .send()
        .await
        .unwrap();
    env.handle("finalize", event).await;
    let r = env.db().await.query_one("SELECT state::text, last_error FROM upload_jobs", &[]).await.unwrap();
    assert_eq!(r.get::<_, &str>(0), "failed");
    assert!(r.get::<_, &str>(1).contains("differs from the stored object's 0000"), "{}", r.get::<_, &str>(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_done_document_carries_its_total_and_per_stage_durations() {
    let env = TestEnv::new().await;
    let runner = env.start(RunnerOptions::default());
    let key = "uploads/acme/7/glossary.md";
    env.upload(key, sample("glossary.md")).await;
    let (doc, status) = env.wait_terminal(key, DONE_WITHIN).await;
    runner.stop().await;
    assert_eq!(status, "done");
    let r = env
        .db()
        .await
        .query_one("SELECT duration_ms, stage_durations_ms FROM documents WHERE id = $1", &[&doc])
        .await
        .unwrap();
    let total: i64 = r.get(0);
    let stages: serde_json::Value = r.get(1);
    let parts: Vec<i64> =
        ["parse", "chunk", "embed", "finalize"].iter().map(|s| stages[s].as_i64().unwrap_or(-1)).collect();
    assert!(parts.iter().all(|ms| *ms >= 0), "{stages}");
    assert!(parts.iter().sum::<i64>() <= total, "stages fit in the total: {stages} vs {total}");
    assert!(total > 0);
}
