//! The walking skeleton against the real local stack: PostgreSQL + pgvector and moto S3/SQS.
#![allow(clippy::unwrap_used)] // tests: an unwrap that fails is a failed assertion

use aws_lambda_events::sqs::SqsEvent;
use doc_ingest::db::jobs;
use doc_ingest::framework::{StageMessage, attr, handle_batch};
use doc_ingest::pipeline::{CHUNK, stage_names};
use doc_ingest::runner::RunnerOptions;
use doc_ingest::{ErrorClass, StageError};
use integration_tests::stages::Fault;
use integration_tests::{TestEnv, happy_transitions, message_attr, sample};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Barrier;
use uuid::Uuid;

const DONE_WITHIN: Duration = Duration::from_secs(60);

/// A stored chunk: (ordinal, sha256, token count, vector dimensions, embedding model).
type ChunkRow = (i32, String, i32, Option<i32>, Option<String>);

async fn chunk_rows(env: &TestEnv, doc: Uuid) -> Vec<ChunkRow> {
    env.db()
        .await
        .query(
            "SELECT c.ordinal, c.sha256, c.token_count, vector_dims(e.embedding), e.model
             FROM document_chunks c
             JOIN documents d ON d.id = c.document_id
             LEFT JOIN chunk_embeddings e ON e.chunk_id = c.id AND e.job_attempt = d.embedding_attempt
             WHERE c.document_id = $1 ORDER BY c.ordinal",
            &[&doc],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploaded_pdf_flows_to_done_with_chunks_vectors_and_events() {
    let env = TestEnv::new().await;
    let runner = env.start(RunnerOptions::default());
    // A space and a plus in the name: S3 notifications form-encode both.
    let key = "uploads/acme/7f1d/home policy+2026.pdf";
    env.upload(key, sample("home-insurance-policy.pdf")).await;
    let (doc, status) = env.wait_terminal(key, DONE_WITHIN).await;
    runner.stop().await;
    assert_eq!(status, "done");

    let db = env.db().await;
    let d = db
        .query_one(
            "SELECT owner, content_type, page_count, chunk_count, parsed_key, parsed_sha256, sha256, parser
             FROM documents WHERE id = $1",
            &[&doc],
        )
        .await
        .unwrap();
    assert_eq!(d.get::<_, &str>(0), "acme");
    assert_eq!(d.get::<_, &str>(1), "application/pdf");
    assert_eq!(d.get::<_, i32>(2), 3);
    let n: i32 = d.get(3);
    assert!(n >= 1);

    let chunks = chunk_rows(&env, doc).await;
    assert_eq!(chunks.len(), n as usize, "chunk_count matches the stored chunks");
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(c.0, i as i32);
        assert_eq!(c.3, Some(1536), "every chunk has a 1536-d vector");
        assert_eq!(c.4.as_deref(), Some("doc-ingest-lexical-v1"));
    }
    let page_range: (Option<i32>, Option<i32>) = {
        let r = db
            .query_one("SELECT min(page_start), max(page_end) FROM document_chunks WHERE document_id = $1", &[&doc])
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(page_range, (Some(1), Some(3)), "chunks cover pages 1 to 3");
    let leftovers: i64 = env
        .scalar(
            "SELECT count(*) FROM chunk_embeddings e JOIN documents d ON d.id = e.document_id
             WHERE e.job_attempt IS DISTINCT FROM d.embedding_attempt",
            &[],
        )
        .await;
    assert_eq!(leftovers, 0, "no vectors of other attempts remain");
    let searchable: i64 = env.scalar("SELECT count(*) FROM searchable_chunks WHERE document_id = $1", &[&doc]).await;
    assert_eq!(searchable as usize, chunks.len(), "every chunk is searchable with its vector");

    assert_eq!(env.transitions(doc).await, happy_transitions());
    let completed: i64 = env
        .scalar("SELECT count(*) FROM job_events WHERE document_id = $1 AND kind = 'document_completed'", &[&doc])
        .await;
    assert_eq!(completed, 1);

    // The parsed markdown is in S3, hashed and described by its metadata.
    let parsed_key: String = d.get(4);
    assert_eq!(parsed_key, format!("parsed/{doc}.md"));
    let obj = env.s3.get_object().bucket(&env.bucket).key(&parsed_key).send().await.unwrap();
    let meta = obj.metadata().cloned().unwrap_or_default();
    assert_eq!(meta.get("sha256").map(String::as_str), Some(d.get::<_, &str>(5)));
    assert_eq!(meta.get("page-count").map(String::as_str), Some("3"));
    let body = obj.body.collect().await.unwrap().into_bytes();
    assert_eq!(doc_ingest::chunking::sha256_hex(&body), d.get::<_, String>(5));
    let markdown = String::from_utf8(body.to_vec()).unwrap();
    assert!(markdown.contains("<!-- page 3 -->") && markdown.contains("Escape of water"));
    assert_eq!(d.get::<_, String>(6), doc_ingest::chunking::sha256_hex(&sample("home-insurance-policy.pdf")));

    env.assert_all_queues_empty().await;
}

async fn run_to_done(
    env: &TestEnv,
    opts: RunnerOptions,
    files: &[(&str, &str)],
) -> (Vec<Uuid>, Vec<doc_ingest::runner::DeliveryRecord>) {
    let runner = env.start(opts);
    for (key, file) in files {
        env.upload(key, sample(file)).await;
    }
    let mut docs = vec![];
    for (key, _) in files {
        let (doc, status) = env.wait_terminal(key, DONE_WITHIN).await;
        assert_eq!(status, "done", "{key}");
        docs.push(doc);
    }
    // Let the duplicates still in the queues be delivered and settled too (a copy that met a
    // live lease comes back once the lease has ended).
    env.wait_until_queues_drain(Duration::from_secs(30)).await;
    (docs, runner.stop().await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_delivered_twice_leaves_the_same_final_state() {
    let files = [
        ("uploads/acme/1/claims-guide.md", "claims-guide.md"),
        ("uploads/acme/2/motor.pdf", "motor-insurance-schedule.pdf"),
    ];
    let baseline = TestEnv::new().await;
    let (base_docs, _) = run_to_done(&baseline, RunnerOptions::default(), &files).await;

    // A short lease: a copy deferred behind it comes back within seconds.
    let env = TestEnv::with_config(|c| c.lease = Duration::from_secs(3)).await;
    let opts = RunnerOptions { duplicate_deliveries: true, ..Default::default() };
    let (docs, deliveries) = run_to_done(&env, opts, &files).await;

    for stage in stage_names() {
        let n = deliveries.iter().filter(|d| d.stage == stage && !d.body.contains("s3:TestEvent")).count();
        assert!(n >= 2 * files.len(), "{stage}: every message was delivered twice ({n} deliveries)");
    }
    for (base, doc) in base_docs.iter().zip(&docs) {
        assert_eq!(chunk_rows(&env, *doc).await, chunk_rows(&baseline, *base).await, "same chunks and vectors");
        assert_eq!(env.transitions(*doc).await, happy_transitions(), "no transition happened twice");
        let db = env.db().await;
        let kinds: Vec<String> = db
            .query("SELECT DISTINCT kind FROM job_events WHERE document_id = $1 ORDER BY kind", &[doc])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        for k in &kinds {
            assert!(
                ["document_completed", "next_stage_resent", "transition", "vectors_applied"].contains(&k.as_str()),
                "unexpected event {k}"
            );
        }
        let applied: i64 = env
            .scalar("SELECT count(*) FROM job_events WHERE document_id = $1 AND kind = 'vectors_applied'", &[doc])
            .await;
        assert_eq!(applied, 1, "vectors applied once");
        let completed: i64 = env
            .scalar("SELECT count(*) FROM job_events WHERE document_id = $1 AND kind = 'document_completed'", &[doc])
            .await;
        assert_eq!(completed, 1);
    }
    env.assert_all_queues_empty().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handlers_given_the_same_message_at_once_do_the_work_once() {
    let env = TestEnv::new().await;
    let event = env.message_for("chunk", "uploads/acme/1/home.pdf", sample("home-insurance-policy.pdf")).await;

    let barrier = Arc::new(Barrier::new(2));
    let handler = |event: SqsEvent| {
        let (ctx, barrier, stage) = (env.ctx.clone(), barrier.clone(), env.stage("chunk"));
        async move {
            barrier.wait().await;
            handle_batch(&ctx, &*stage, event).await
        }
    };
    let (a, b) = tokio::join!(tokio::spawn(handler(event.clone())), tokio::spawn(handler(event)));
    // The loser either found the stage done (acknowledged, next message re-sent) or met the
    // winner's live lease: then its copy is deferred past the lease, not lost.
    let deferred = [a.unwrap(), b.unwrap()].iter().filter(|r| !r.batch_item_failures.is_empty()).count();
    assert!(deferred <= 1, "at most the loser is deferred");

    let db = env.db().await;
    let doc: Uuid = env.scalar("SELECT id FROM documents", &[]).await;
    let claims: i64 = env
        .scalar(
            "SELECT count(*) FROM job_events WHERE document_id = $1 AND kind = 'transition' AND to_state = 'chunking'",
            &[&doc],
        )
        .await;
    assert_eq!(claims, 1, "exactly one handler claimed the job");
    let (chunks, expected): (i64, Option<i32>) = {
        let r = db
            .query_one(
                "SELECT (SELECT count(*) FROM document_chunks WHERE document_id = $1), chunk_count FROM documents WHERE id = $1",
                &[&doc],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(Some(chunks as i32), expected);
    let resent: i64 = env
        .scalar("SELECT count(*) FROM job_events WHERE document_id = $1 AND kind = 'next_stage_resent'", &[&doc])
        .await;
    // The loser either saw the live lease (sends nothing) or the finished stage (re-sends).
    assert_eq!(env.depth(&env.queue("embed")).await.0, 1 + resent);
    assert_eq!(resent + deferred as i64, 1, "the loser did exactly one of the two");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_one_of_two_simultaneous_claims_wins_and_a_stale_attempt_cannot_complete() {
    let env = TestEnv::new().await;
    let runner = env.start(RunnerOptions { stages: vec!["parse"], ..Default::default() });
    env.upload("uploads/acme/1/g.md", sample("glossary.md")).await;
    let mut job = None;
    for _ in 0..100 {
        let db = env.db().await;
        if let Some(r) = db.query_opt("SELECT id FROM upload_jobs WHERE state = 'parsed'", &[]).await.unwrap() {
            job = Some(r.get::<_, Uuid>(0));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    runner.stop().await;
    let job_id = job.expect("job parsed");
    let job = jobs::load(&**env.db().await, job_id).await.unwrap().unwrap();

    let barrier = Arc::new(Barrier::new(2));
    let claim = |lease_secs: u64| {
        let (ctx, barrier, job) = (env.ctx.clone(), barrier.clone(), job.clone());
        tokio::spawn(async move {
            let db = ctx.db.get().await.unwrap();
            barrier.wait().await;
            jobs::claim(&**db, &job, &CHUNK, "t", Duration::from_secs(lease_secs)).await.unwrap().map(|l| l.attempt)
        })
    };
    let (a, b) = tokio::join!(claim(60), claim(60));
    let won: Vec<i32> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(won.len(), 1, "exactly one claim succeeds");

    // While the lease is live nobody else can claim; once it has expired (the holder died), a
    // new claim takes over with the next attempt, and the old attempt can no longer complete.
    let job = jobs::load(&**env.db().await, job_id).await.unwrap().unwrap();
    let mut db = env.db().await;
    assert!(jobs::claim(&**db, &job, &CHUNK, "t2", Duration::from_secs(60)).await.unwrap().is_none());
    db.execute("UPDATE upload_jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1", &[&job_id])
        .await
        .unwrap();
    let newer = jobs::claim(&**db, &job, &CHUNK, "t2", Duration::from_secs(60)).await.unwrap().unwrap();
    assert_eq!(newer.attempt, won[0] + 1);
    let stale = jobs::Lease::fenced(job_id, &CHUNK, won[0]);
    let tx = doc_ingest::db::begin(&mut db).await.unwrap();
    let err = stale.complete(tx).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::LeaseLost);
    let state: String = env.scalar("SELECT state::text FROM upload_jobs WHERE id = $1", &[&job_id]).await;
    assert_eq!(state, "chunking");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_failure_comes_back_after_three_seconds_and_completes() {
    let env = TestEnv::new().await;
    env.inject("chunk", vec![Fault::Fail(StageError::new(ErrorClass::EmbeddingInvalid, "chunk stage hiccup"))]);
    let runner = env.start(RunnerOptions::default());
    let key = "uploads/acme/1/claims.md";
    env.upload(key, sample("claims-guide.md")).await;
    let (doc, status) = env.wait_terminal(key, DONE_WITHIN).await;
    let deliveries = runner.stop().await;
    assert_eq!(status, "done");

    let chunk: Vec<_> = deliveries.iter().filter(|d| d.stage == "chunk").collect();
    assert_eq!(chunk.len(), 2, "{chunk:#?}");
    assert!(chunk[0].retried && chunk[0].receive_count == 1);
    assert!(!chunk[1].retried && chunk[1].receive_count == 2);
    let gap = chunk[1].at - chunk[0].at;
    assert!(gap >= Duration::from_millis(2500) && gap < Duration::from_secs(8), "redelivered after {gap:?}");

    let db = env.db().await;
    let retry = db
        .query_one(
            "SELECT error_class, detail->>'delay_s' FROM job_events WHERE document_id = $1 AND kind = 'retry_scheduled'",
            &[&doc],
        )
        .await
        .unwrap();
    assert_eq!(retry.get::<_, &str>(0), "embedding_invalid");
    let delay: u64 = retry.get::<_, &str>(1).parse().unwrap();
    assert!((3..=4).contains(&delay), "3·2^0 s, lengthened by at most half by jitter: {delay}");
    // The retry re-claimed from the released lease: chunking → chunking, attempt + 1.
    let t = env.transitions(doc).await;
    assert!(t.contains(&(Some("chunking".into()), "chunking".into())), "{t:?}");
    assert_eq!(t.last().unwrap().1, "done");
    env.assert_all_queues_empty().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_stage_fails_its_job_and_dead_letters_the_message_instead_of_looping() {
    let env = TestEnv::new().await;
    env.inject("embed", vec![Fault::Panic("index out of bounds in a test")]);
    let runner = env.start(RunnerOptions::default());
    let key = "uploads/acme/1/glossary.md";
    env.upload(key, sample("glossary.md")).await;
    let (doc, status) = env.wait_terminal(key, DONE_WITHIN).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let deliveries = runner.stop().await;
    assert_eq!(status, "failed");
    let r = env
        .db()
        .await
        .query_one(
            "SELECT last_error_class, last_error, lease_expires_at IS NULL FROM upload_jobs WHERE document_id = $1",
            &[&doc],
        )
        .await
        .unwrap();
    assert_eq!(r.get::<_, &str>(0), "panic");
    assert!(r.get::<_, &str>(1).contains("index out of bounds in a test"));
    assert!(r.get::<_, bool>(2), "no lease left behind");
    assert_eq!(deliveries.iter().filter(|d| d.stage == "embed").count(), 1, "not retried");
    let dead = env.receive(&env.dlq("embed")).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(message_attr(&dead[0], attr::ERROR_CLASS).as_deref(), Some("panic"));
    let t = env.transitions(doc).await;
    assert_eq!(t.last().unwrap(), &(Some("embedding".to_owned()), "failed".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_named_pdf_that_is_not_a_pdf_fails_once_into_the_dlq() {
    let env = TestEnv::new().await;
    let runner = env.start(RunnerOptions::default());
    let key = "uploads/acme/9/claim form.pdf";
    env.upload(key, b"Dear insurer, please find my claim attached.".to_vec()).await;
    let (doc, status) = env.wait_terminal(key, DONE_WITHIN).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let deliveries = runner.stop().await;
    assert_eq!(status, "failed");

    let db = env.db().await;
    let job = db
        .query_one(
            "SELECT id, last_error_class, last_error, correlation_id, attempt FROM upload_jobs WHERE document_id = $1",
            &[&doc],
        )
        .await
        .unwrap();
    let job_id: Uuid = job.get(0);
    assert_eq!(job.get::<_, &str>(1), "type_mismatch");
    assert!(job.get::<_, &str>(2).contains("named .pdf"), "{}", job.get::<_, &str>(2));
    let failed_event: (String, String) = {
        let r = db
            .query_one(
                "SELECT from_state::text, error_class FROM job_events WHERE document_id = $1 AND to_state = 'failed'",
                &[&doc],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(failed_event, ("parsing".into(), "type_mismatch".into()));

    let parse_deliveries: Vec<_> =
        deliveries.iter().filter(|d| d.stage == "parse" && !d.body.contains("s3:TestEvent")).collect();
    assert_eq!(parse_deliveries.len(), 1, "the source queue delivered it once");
    assert_eq!(parse_deliveries[0].receive_count, 1);

    let dead = env.receive(&env.dlq("parse")).await;
    assert_eq!(dead.len(), 1);
    let m = &dead[0];
    assert_eq!(message_attr(m, attr::JOB_ID), Some(job_id.to_string()));
    assert_eq!(message_attr(m, attr::STAGE).as_deref(), Some("parse"));
    assert_eq!(message_attr(m, attr::ERROR_KIND).as_deref(), Some("permanent"));
    assert_eq!(message_attr(m, attr::ERROR_CLASS).as_deref(), Some("type_mismatch"));
    assert_eq!(message_attr(m, attr::ATTEMPTS).as_deref(), Some("1"));
    assert_eq!(message_attr(m, attr::CORRELATION_ID), Some(job.get::<_, String>(3)));
    assert!(message_attr(m, attr::ERROR_MESSAGE).unwrap().contains("named .pdf"));
    assert!(m.body().unwrap().contains("Records"), "the original notification is kept");
    assert_eq!(env.depth(&env.queue("parse")).await, (0, 0));
    for stage in ["chunk", "embed", "finalize"] {
        assert_eq!(env.depth(&env.dlq(stage)).await, (0, 0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_events_garbage_and_unknown_jobs_are_acknowledged_and_store_nothing() {
    let env = TestEnv::new().await;
    // moto already put an s3:TestEvent on the parse queue when the notification was set.
    env.send(&env.queue("chunk"), "definitely not json").await;
    env.send(&env.queue("embed"), r#"{"v":1,"unexpected":true}"#).await;
    let unknown = StageMessage::new(Uuid::new_v4(), Uuid::new_v4(), "finalize", 1, "c-unknown");
    env.send(&env.queue("finalize"), &unknown.to_body()).await;
    let misrouted = StageMessage { stage: "embed".into(), ..unknown.clone() };
    env.send(&env.queue("parse"), &misrouted.to_body()).await;

    let runner = env.start(RunnerOptions::default());
    tokio::time::sleep(Duration::from_secs(4)).await;
    let deliveries = runner.stop().await;

    assert!(deliveries.iter().any(|d| d.body.contains("s3:TestEvent")), "the S3 test event was delivered");
    assert_eq!(deliveries.len(), 5, "{deliveries:#?}");
    assert!(deliveries.iter().all(|d| d.receive_count == 1 && !d.retried), "all acknowledged on first delivery");
    for table in ["documents", "upload_jobs", "job_events", "document_chunks", "chunk_embeddings"] {
        let n: i64 = env.scalar(&format!("SELECT count(*) FROM {table}"), &[]).await;
        assert_eq!(n, 0, "{table} is empty");
    }
    env.assert_all_queues_empty().await;
}
