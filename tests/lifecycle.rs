//! The knowledge base follows the bucket: a new version of a key supersedes the old one in one
//! transaction, events are ordered by S3's sequencer (not by arrival), a deletion removes every
//! version with its chunks, vectors and markdown, a deletion racing an ingest leaves no orphan,
//! the same bytes again cost nothing, and an owner can be erased.
#![allow(clippy::unwrap_used)] // tests: an unwrap that fails is a failed assertion

use doc_ingest::runner::RunnerOptions;
use integration_tests::stages::Fault;
use integration_tests::{TestEnv, sample};
use std::time::{Duration, Instant};
use uuid::Uuid;

const WITHIN: Duration = Duration::from_secs(60);

/// Waits until `sql` (one count) returns `want`.
async fn eventually(env: &TestEnv, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)], want: i64) {
    let deadline = Instant::now() + WITHIN;
    loop {
        let n: i64 = env.scalar(sql, params).await;
        if n == want {
            return;
        }
        assert!(Instant::now() < deadline, "{sql}: {n}, waited for {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn statuses(env: &TestEnv, key: &str) -> Vec<(Uuid, String)> {
    env.db()
        .await
        .query("SELECT id, status::text FROM documents WHERE object_key = $1 ORDER BY created_at", &[&key])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

async fn parsed_exists(env: &TestEnv, doc: Uuid) -> bool {
    env.s3.head_object().bucket(&env.bucket).key(doc_ingest::ids::parsed_key(doc)).send().await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overwrite_supersedes_the_old_version_when_the_new_one_is_done() {
    let env = TestEnv::new().await;
    let runner = env.start(RunnerOptions::default());
    let key = "uploads/acme/fixed-id/policy.md";
    env.upload(key, b"# Policy\n\nThe deductible is USD 500 for each claim.".to_vec()).await;
    eventually(&env, "SELECT count(*) FROM documents WHERE status = 'done'", &[], 1).await;
    let old = statuses(&env, key).await[0].0;
    assert!(env.search("acme", "deductible", 5).await.iter().any(|h| h.content.contains("USD 500")));

    env.upload(key, b"# Policy\n\nThe deductible is USD 900 for each claim.".to_vec()).await;
    eventually(&env, "SELECT count(*) FROM documents WHERE status = 'superseded'", &[], 1).await;
    runner.stop().await;

    let docs = statuses(&env, key).await;
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0], (old, "superseded".to_owned()));
    assert_eq!(docs[1].1, "done");
    let left: i64 = env
        .scalar(
            "SELECT (SELECT count(*) FROM document_chunks WHERE document_id = $1)
                  + (SELECT count(*) FROM chunk_embeddings WHERE document_id = $1)",
            &[&old],
        )
        .await;
    assert_eq!(left, 0, "the old version's chunks and vectors are gone");
    let hits = env.search("acme", "deductible", 5).await;
    assert!(!hits.is_empty() && hits.iter().all(|h| h.content.contains("USD 900")), "only the new version: {hits:?}");
    // One transaction: the new version's done and the old one's superseded are the same instant.
    let same_tx: bool = env
        .scalar(
            "SELECT (SELECT xmin::text FROM job_events WHERE document_id = $1 AND to_state = 'superseded')
                  = (SELECT xmin::text FROM job_events WHERE document_id = $2 AND to_state = 'done')",
            &[&old, &docs[1].0],
        )
        .await;
    assert!(same_tx, "superseded in the transaction that made the new version done");
    env.wait_until_queues_drain(Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_follow_the_sequencer_not_the_order_events_arrive_in() {
    let env = TestEnv::new().await;
    env.enable_versioning().await;
    let key = "uploads/acme/seq/policy.md";
    let (etag1, v1) = env.upload_quietly(key, b"# Policy\n\nCover A applies to storms.".to_vec()).await;
    let (etag2, v2) = env.upload_quietly(key, b"# Policy\n\nCover B applies to floods.".to_vec()).await;
    assert!(v1.is_some() && v2 != v1, "versioned writes");

    // The newer write's event arrives first and finishes first.
    let runner = env.start(RunnerOptions::default());
    env.notify("ObjectCreated:Put", key, &etag2, v2.as_deref(), "0055AED6DCD90281E6").await;
    eventually(&env, "SELECT count(*) FROM documents WHERE status = 'done'", &[], 1).await;
    // Then the older one's (a shorter sequencer: compared after left-padding, it is older).
    env.notify("ObjectCreated:Put", key, &etag1, v1.as_deref(), "55AED6DCD90281E5").await;
    eventually(&env, "SELECT count(*) FROM documents WHERE status = 'superseded'", &[], 1).await;
    runner.stop().await;

    let current: Option<String> =
        env.scalar("SELECT version_id FROM documents WHERE object_key = $1 AND status = 'done'", &[&key]).await;
    assert_eq!(current, v2, "the newer version stays current although the older one finished last");
    let hits = env.search("acme", "cover", 5).await;
    assert!(!hits.is_empty() && hits.iter().all(|h| h.content.contains("floods")), "{hits:?}");
    let outdated: i64 = env
        .scalar(
            "SELECT count(*) FROM job_events e JOIN documents d ON d.id = e.document_id
             WHERE d.version_id = $1 AND e.kind = 'version_superseded'",
            &[&v1],
        )
        .await;
    assert_eq!(outdated, 1, "the late version was superseded on arrival at done");

    // A deletion older than the current version removes nothing current; an upload event older
    // than a deletion is not ingested.
    env.notify("ObjectRemoved:DeleteMarkerCreated", key, "", Some("marker"), "0055AED6DCD90281E0").await;
    let runner = env.start(RunnerOptions::default());
    env.wait_until_queues_drain(Duration::from_secs(20)).await;
    runner.stop().await;
    assert_eq!(env.scalar::<String>("SELECT status::text FROM documents WHERE version_id = $1", &[&v2]).await, "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_removes_every_version_with_its_chunks_vectors_and_markdown() {
    let env = TestEnv::new().await;
    let runner = env.start(RunnerOptions::default());
    let key = "uploads/acme/del/claims.md";
    env.upload(key, sample("claims-guide.md")).await;
    eventually(&env, "SELECT count(*) FROM documents WHERE status = 'done'", &[], 1).await;
    let doc = statuses(&env, key).await[0].0;
    assert!(parsed_exists(&env, doc).await);
    let events_before: i64 = env.scalar("SELECT count(*) FROM job_events WHERE document_id = $1", &[&doc]).await;

    env.s3.delete_object().bucket(&env.bucket).key(key).send().await.unwrap();
    eventually(&env, "SELECT count(*) FROM documents WHERE status = 'deleted'", &[], 1).await;
    env.wait_until_queues_drain(Duration::from_secs(10)).await;
    runner.stop().await;

    let left: i64 = env
        .scalar("SELECT (SELECT count(*) FROM document_chunks) + (SELECT count(*) FROM chunk_embeddings)", &[])
        .await;
    assert_eq!(left, 0, "no chunk or vector left");
    assert!(!parsed_exists(&env, doc).await, "the parsed markdown is gone");
    let events_after: i64 = env.scalar("SELECT count(*) FROM job_events WHERE document_id = $1", &[&doc]).await;
    assert!(events_after > events_before, "the audit events stay, the deletion added its own");
    assert!(env.search("acme", "claim", 5).await.is_empty());
    env.assert_all_queues_empty().await;

    // A re-upload after the deletion ingests normally, as a new version.
    let runner = env.start(RunnerOptions::default());
    env.upload(key, sample("claims-guide.md")).await;
    eventually(&env, "SELECT count(*) FROM documents WHERE status = 'done'", &[], 1).await;
    runner.stop().await;
    assert_eq!(statuses(&env, key).await.len(), 2);
    assert!(!env.search("acme", "claim", 5).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_racing_an_ingest_ends_deleted_with_no_orphans() {
    let env = TestEnv::with_config(|c| c.lease = Duration::from_secs(3)).await;
    // The embed stage is slow: the deletion lands while it holds the job.
    env.inject("embed", vec![Fault::Delay(Duration::from_secs(3))]);
    let runner = env.start(RunnerOptions::default());
    let key = "uploads/acme/race/policy.pdf";
    env.upload(key, sample("home-insurance-policy.pdf")).await;
    eventually(&env, "SELECT count(*) FROM upload_jobs WHERE state = 'embedding'", &[], 1).await;
    env.s3.delete_object().bucket(&env.bucket).key(key).send().await.unwrap();
    eventually(&env, "SELECT count(*) FROM documents WHERE status = 'deleted'", &[], 1).await;
    // Let the embed stage finish its (now fenced) work and every late message settle.
    tokio::time::sleep(Duration::from_secs(4)).await;
    env.wait_until_queues_drain(Duration::from_secs(20)).await;
    runner.stop().await;

    let doc = statuses(&env, key).await[0].0;
    let left: i64 = env
        .scalar(
            "SELECT (SELECT count(*) FROM document_chunks) + (SELECT count(*) FROM chunk_embeddings)
                  + (SELECT count(*) FROM upload_jobs WHERE state NOT IN ('done', 'failed', 'superseded', 'deleted'))",
            &[],
        )
        .await;
    assert_eq!(left, 0, "no chunk, vector or open job");
    assert!(!parsed_exists(&env, doc).await, "no parsed markdown");
    env.assert_all_queues_empty().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_bytes_again_cost_no_parse_and_no_embedding() {
    let env = TestEnv::new().await;
    let runner = env.start(RunnerOptions::default());
    env.upload("uploads/acme/a/policy.pdf", sample("home-insurance-policy.pdf")).await;
    eventually(&env, "SELECT count(*) FROM documents WHERE status = 'done'", &[], 1).await;
    env.upload("uploads/acme/b/copy of policy.pdf", sample("home-insurance-policy.pdf")).await;
    eventually(&env, "SELECT count(*) FROM documents WHERE status = 'done'", &[], 2).await;
    runner.stop().await;
    let second: Uuid = env.scalar("SELECT id FROM documents WHERE object_key LIKE '%copy of%'", &[]).await;
    let reused: i64 = env
        .scalar("SELECT count(*) FROM job_events WHERE document_id = $1 AND kind = 'parse_reused'", &[&second])
        .await;
    assert_eq!(reused, 1, "the parse was reused, not redone");
    let applied: serde_json::Value = env
        .scalar("SELECT detail FROM job_events WHERE document_id = $1 AND kind = 'vectors_applied'", &[&second])
        .await;
    assert_eq!(applied["embedded_inputs"], 0, "every vector came from the cache: {applied}");
    assert_eq!(applied["usage_tokens"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purging_an_owner_erases_every_object_row_and_vector_and_keeps_an_audit_record() {
    let env = TestEnv::new().await;
    let runner = env.start(RunnerOptions::default());
    env.upload("uploads/gone/1/claims.md", sample("claims-guide.md")).await;
    env.upload("uploads/gone/2/glossary.md", sample("glossary.md")).await;
    env.upload("uploads/kept/1/glossary.md", sample("glossary.md")).await;
    eventually(&env, "SELECT count(*) FROM documents WHERE status = 'done'", &[], 3).await;
    runner.stop().await;

    let erased = doc_ingest::ops::erasure::purge(&env.ctx, &env.bucket, "gone", "test").await.unwrap();
    assert_eq!(erased.documents, 2);
    assert!(erased.chunks >= 2 && erased.vectors == erased.chunks && erased.events > 0, "{erased:?}");
    assert_eq!(erased.objects, 4, "two uploads and two parsed markdown objects");
    for table in ["documents", "document_chunks", "chunk_embeddings", "job_events"] {
        let n: i64 = env.scalar(&format!("SELECT count(*) FROM {table} WHERE owner = 'gone'"), &[]).await;
        assert_eq!(n, 0, "{table} holds nothing of the owner");
        let kept: i64 = env.scalar(&format!("SELECT count(*) FROM {table} WHERE owner = 'kept'"), &[]).await;
        assert!(kept > 0, "{table} keeps the other owner's rows");
    }
    let listed = env.s3.list_objects_v2().bucket(&env.bucket).prefix("uploads/gone/").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(0));
    let audit: i64 = env.scalar("SELECT documents FROM erasures WHERE owner = 'gone'", &[]).await;
    assert_eq!(audit, 2, "the erasure is on record");
}
