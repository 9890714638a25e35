//! Embedding through an OpenAI-compatible API (a local fake) inside the real pipeline: the
//! cache makes identical text free, and racing embed runs leave one consistent set.
#![allow(clippy::unwrap_used)] // tests: an unwrap that fails is a failed assertion

use aws_lambda_events::sqs::SqsEvent;
use doc_ingest::embedding::LexicalEmbedder;
use doc_ingest::embedding::openai::{OpenAiConfig, OpenAiEmbedder};
use doc_ingest::framework::handle_batch;
use doc_ingest::runner::RunnerOptions;
use integration_tests::{TestEnv, sample};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Barrier;
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Counts requests and inputs; answers like the real API with the offline embedder's vectors.
#[derive(Clone, Default)]
struct CountingFake {
    requests: Arc<AtomicUsize>,
    inputs: Arc<AtomicUsize>,
}

impl Respond for CountingFake {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let inputs: Vec<String> = serde_json::from_value(body["input"].clone()).unwrap();
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.inputs.fetch_add(inputs.len(), Ordering::SeqCst);
        let data: Vec<Value> = inputs
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": LexicalEmbedder::embed_one(t)}))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "object": "list", "data": data, "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 10 * inputs.len(), "total_tokens": 10 * inputs.len()}}))
    }
}

async fn env_with_fake() -> (TestEnv, CountingFake, MockServer) {
    let server = MockServer::start().await;
    let fake = CountingFake::default();
    Mock::given(method("POST")).and(path("/v1/embeddings")).respond_with(fake.clone()).mount(&server).await;
    let base_url = format!("{}/v1", server.uri());
    let env = TestEnv::with_stages(|s| {
        s.embedder = Arc::new(
            OpenAiEmbedder::new(OpenAiConfig {
                base_url,
                api_key: "sk-test".into(),
                model: "text-embedding-3-small".into(),
                dimensions: 1536,
                timeout: Duration::from_secs(10),
            })
            .unwrap(),
        );
    })
    .await;
    (env, fake, server)
}

async fn ingest(env: &TestEnv, key: &str, bytes: Vec<u8>) -> Uuid {
    let runner = env.start(RunnerOptions::default());
    env.upload(key, bytes).await;
    let (doc, status) = env.wait_terminal(key, Duration::from_secs(60)).await;
    runner.stop().await;
    assert_eq!(status, "done", "{key}");
    doc
}

async fn chunk_shas(env: &TestEnv, doc: Uuid) -> Vec<String> {
    env.db()
        .await
        .query("SELECT sha256 FROM document_chunks WHERE document_id = $1 ORDER BY ordinal", &[&doc])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// A policy with ten sections of about 450 tokens each, so each section is about one chunk.
fn policy(edited_section: Option<usize>) -> Vec<u8> {
    let mut md = String::from("# Household policy\n\n");
    for s in 1..=10 {
        md.push_str(&format!("## Section {s}\n\n"));
        for p in 0..4 {
            let mut para = format!(
                "Clause {s}.{p}: the insurer pays for loss or damage under section {s} subject to the excess, the sum insured and the general conditions; "
            );
            if edited_section == Some(s) {
                para.push_str("as amended by endorsement E7 for flood defences; ");
            }
            md.push_str(&para.repeat(3));
            md.push_str("\n\n");
        }
    }
    md.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_bytes_uploaded_again_make_no_embedding_calls() {
    let (env, fake, _server) = env_with_fake().await;
    let first = ingest(&env, "uploads/acme/1/claims.md", sample("claims-guide.md")).await;
    let chunks = chunk_shas(&env, first).await.len();
    assert!(fake.inputs.load(Ordering::SeqCst) >= 1);
    assert_eq!(fake.inputs.load(Ordering::SeqCst), chunks, "each chunk embedded once");
    let tokens: i64 = env.scalar("SELECT embedding_tokens FROM documents WHERE id = $1", &[&first]).await;
    assert_eq!(tokens, 10 * chunks as i64, "billed tokens recorded on the document");

    fake.requests.store(0, Ordering::SeqCst);
    let second = ingest(&env, "uploads/acme/2/claims again.md", sample("claims-guide.md")).await;
    assert_ne!(first, second);
    assert_eq!(fake.requests.load(Ordering::SeqCst), 0, "a re-upload is served from the cache");
    let dims: Vec<Option<i32>> = env
        .db()
        .await
        .query("SELECT vector_dims(embedding) FROM searchable_chunks WHERE document_id = $1", &[&second])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(dims.len() == chunks && dims.iter().all(|d| *d == Some(1536)));
    let applied: Value = env
        .scalar("SELECT detail FROM job_events WHERE document_id = $1 AND kind = 'vectors_applied'", &[&second])
        .await;
    assert_eq!(applied["cache_hits"], chunks);
    assert_eq!(applied["requests"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_one_section_re_embeds_only_the_changed_chunks() {
    let (env, fake, _server) = env_with_fake().await;
    let v1 = ingest(&env, "uploads/acme/p/policy.md", policy(None)).await;
    let v1_shas: HashSet<String> = chunk_shas(&env, v1).await.into_iter().collect();
    assert!(v1_shas.len() >= 8, "the policy spans many chunks ({})", v1_shas.len());

    fake.inputs.store(0, Ordering::SeqCst);
    let v2 = ingest(&env, "uploads/acme/p/policy-v2.md", policy(Some(6))).await;
    let v2_shas = chunk_shas(&env, v2).await;
    let changed = v2_shas.iter().filter(|s| !v1_shas.contains(*s)).collect::<HashSet<_>>().len();
    let sent = fake.inputs.load(Ordering::SeqCst);
    assert!(changed >= 1, "the edit changed some chunk");
    assert_eq!(sent, changed, "only changed chunks were embedded");
    assert!(sent < v2_shas.len() / 2, "{sent} of {} chunks re-embedded", v2_shas.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_embed_runs_racing_on_one_document_leave_one_consistent_set() {
    // A zero lease: the second run may take the job over while the first is still working.
    let env = TestEnv::with_config(|c| c.lease = Duration::ZERO).await;
    let event = env.message_for("embed", "uploads/acme/1/policy.md", policy(None)).await;

    // Both runs embed; the advisory lock and the attempt fence decide which set is applied.
    let barrier = Arc::new(Barrier::new(2));
    let run = |event: SqsEvent| {
        let (ctx, barrier, stage) = (env.ctx.clone(), barrier.clone(), env.stage("embed"));
        tokio::spawn(async move {
            barrier.wait().await;
            handle_batch(&ctx, &*stage, event).await
        })
    };
    let (a, b) = tokio::join!(run(event.clone()), run(event));
    assert!(a.unwrap().batch_item_failures.is_empty());
    assert!(b.unwrap().batch_item_failures.is_empty());

    let db = env.db().await;
    let r = db
        .query_one(
            "SELECT (SELECT count(*) FROM document_chunks),
                    count(*) FILTER (WHERE e.job_attempt = d.embedding_attempt),
                    count(DISTINCT e.model),
                    count(*) FILTER (WHERE e.job_attempt <> d.embedding_attempt),
                    (SELECT count(*) FROM job_events WHERE kind = 'vectors_applied'),
                    (SELECT state::text FROM upload_jobs)
             FROM chunk_embeddings e JOIN documents d ON d.id = e.document_id",
            &[],
        )
        .await
        .unwrap();
    let (chunks, vectors, models, buffered, applied): (i64, i64, i64, i64, i64) =
        (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
    assert!(chunks > 0);
    assert_eq!(vectors, chunks, "every chunk has exactly one vector");
    assert_eq!(models, 1);
    assert_eq!(buffered, 0, "the losing attempt left no vectors behind");
    assert_eq!(applied, 1, "exactly one run applied its vectors");
    assert_eq!(r.get::<_, String>(5), "embedded");
}

/// The HNSW path of `vector_candidates` (the indexed vectors, plus an exact scan of the backlog)
/// for the vector of `chunk`, as `owner`: (chunk ids in order, distance of the first).
async fn search_from(env: &TestEnv, chunk: Uuid, owner: &str) -> (Vec<Uuid>, f64) {
    let mut db = env.db().await;
    let tx = doc_ingest::db::begin(&mut db).await.unwrap();
    tx.execute("SELECT set_config('doc_ingest.owner', $1, true)", &[&owner]).await.unwrap();
    let rows = tx
        .query(
            "SELECT s.chunk_id, s.distance FROM chunk_embeddings e, vector_candidates(e.embedding, 3, e.model, NULL, 'hnsw') s
             WHERE e.chunk_id = $1",
            &[&chunk],
        )
        .await
        .unwrap();
    (rows.iter().map(|r| r.get(0)).collect(), rows.first().map_or(f64::NAN, |r| r.get(1)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors_are_searchable_before_and_after_the_deferred_index_takes_them() {
    let env = TestEnv::new().await;
    let doc = ingest(&env, "uploads/acme/1/policy.md", policy(None)).await;
    ingest(&env, "uploads/other/1/glossary.md", sample("glossary.md")).await;
    let chunk: Uuid =
        env.scalar("SELECT id FROM document_chunks WHERE document_id = $1 AND ordinal = 3", &[&doc]).await;
    let backlog = |env: &TestEnv| {
        let env = env.ctx.clone();
        async move { doc_ingest::ops::indexer::backlog(&**env.db.get().await.unwrap()).await.unwrap() }
    };
    let chunks: i64 = env.scalar("SELECT count(*) FROM document_chunks", &[]).await;
    assert_eq!(backlog(&env).await, chunks, "the embed stage leaves every vector to the indexer");

    let (found, distance) = search_from(&env, chunk, "acme").await;
    assert_eq!(found[0], chunk, "exact search over the backlog finds the chunk itself");
    assert!(distance.abs() < 1e-6, "{distance}");
    let (others, _) = search_from(&env, chunk, "other").await;
    assert!(!others.contains(&chunk), "the owner filter applies");

    let db = env.db().await;
    let indexed = doc_ingest::ops::indexer::index_backlog(&**db, Duration::from_secs(60)).await.unwrap();
    assert_eq!(indexed as i64, chunks);
    assert_eq!(backlog(&env).await, 0);
    let flagged: i64 = env.scalar("SELECT count(*) FROM chunk_embeddings WHERE indexed", &[]).await;
    assert_eq!(flagged, chunks);
    let (found, distance) = search_from(&env, chunk, "acme").await;
    assert_eq!(found[0], chunk, "the indexed path finds it too");
    assert!(distance.abs() < 1e-6, "{distance}");
    assert_eq!(found.len(), 3);
}
