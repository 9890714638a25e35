//! One vector space per model, and a model change in place: a switch interrupted half way
//! resumes and ends with one active model, while every document stays searchable throughout;
//! spaces of different models cannot be mixed.
#![allow(clippy::unwrap_used)] // tests: an unwrap that fails is a failed assertion

use doc_ingest::embedding::{EmbedOutput, Embedder, LEXICAL_MODEL, LexicalEmbedder};
use doc_ingest::ops::model_switch;
use doc_ingest::runner::RunnerOptions;
use doc_ingest::search::{Query, Strategy};
use integration_tests::{TestEnv, sample};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

const SMALL: &str = "test-folded-64";

/// Another model: the lexical vectors folded into 64 dimensions.
struct Folded;

impl Embedder for Folded {
    fn model(&self) -> &str {
        SMALL
    }
    fn dimensions(&self) -> usize {
        64
    }
    fn embed<'a>(
        &'a self,
        inputs: &'a [String],
    ) -> futures::future::BoxFuture<'a, doc_ingest::StageResult<EmbedOutput>> {
        let vectors = inputs
            .iter()
            .map(|t| {
                let mut v = vec![0f32; 64];
                for (i, x) in LexicalEmbedder::embed_one(t).into_iter().enumerate() {
                    v[i % 64] += x;
                }
                let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
                v.iter_mut().for_each(|x| *x /= n);
                v
            })
            .collect();
        Box::pin(async move { Ok(EmbedOutput { vectors, usage_tokens: 0 }) })
    }
}

async fn env() -> TestEnv {
    TestEnv::with_stages(|s| s.other_embedders = vec![Arc::new(Folded)]).await
}

const DOCS: [(&str, &str); 4] = [
    ("uploads/acme/1/claims.md", "claims-guide.md"),
    ("uploads/acme/2/glossary.md", "glossary.md"),
    ("uploads/acme/3/home.pdf", "home-insurance-policy.pdf"),
    ("uploads/acme/4/motor.pdf", "motor-insurance-schedule.pdf"),
];

async fn search_with(env: &TestEnv, embedder: &dyn Embedder, text: &str) -> doc_ingest::StageResult<Vec<Uuid>> {
    let q = Query { text: text.into(), k: 10, document: None, strategy: Strategy::Auto };
    let hits = doc_ingest::search::search(&mut env.reader().await, embedder, "acme", &q).await?;
    Ok(hits.iter().map(|h| h.document_id).collect())
}

async fn active(env: &TestEnv) -> Vec<String> {
    env.db()
        .await
        .query("SELECT name FROM embedding_models WHERE state = 'active'", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Waits until `n` of the documents have vectors in `model`'s space.
async fn wait_covered(env: &TestEnv, model: &str, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (covered, _) = model_switch::progress(&**env.db().await, model).await.unwrap();
        if covered >= n {
            return;
        }
        assert!(Instant::now() < deadline, "{covered} of {n} covered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_switch_resumes_and_search_serves_one_model_throughout() {
    let env = env().await;
    let runner = env.start(RunnerOptions::default());
    let mut docs = Vec::new();
    for (key, file) in DOCS {
        env.upload(key, sample(file)).await;
    }
    for (key, _) in DOCS {
        let (id, status) = env.wait_terminal(key, Duration::from_secs(60)).await;
        assert_eq!(status, "done");
        docs.push(id);
    }
    assert_eq!(active(&env).await, [LEXICAL_MODEL]);
    let all: std::collections::HashSet<Uuid> = docs.iter().copied().collect();

    // Searches run without pause for the whole switch; every one must succeed with hits.
    let stop = Arc::new(AtomicBool::new(false));
    let searches = Arc::new(AtomicUsize::new(0));
    let env = Arc::new(env);
    let searcher = {
        let (env, stop, searches) = (env.clone(), stop.clone(), searches.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let active = active(&env).await;
                let hits = if active == [SMALL] {
                    search_with(&env, &Folded, "excess deducted from every claim").await
                } else {
                    search_with(&env, &LexicalEmbedder, "excess deducted from every claim").await
                };
                // A search embedded for the space that was active a moment ago may meet the new
                // one: refused as a mismatch, never answered from the wrong space.
                match hits {
                    Ok(h) => assert!(!h.is_empty(), "a search during the switch found nothing"),
                    Err(e) => assert_eq!(e.class, doc_ingest::ErrorClass::ModelMismatch, "{e}"),
                }
                searches.fetch_add(1, Ordering::SeqCst);
            }
        })
    };

    // Start, and fill the new space for half the documents only: then the operator's command
    // dies (no more messages are sent).
    let space = model_switch::begin(&**env.db().await, SMALL, 64).await.unwrap();
    assert_eq!(space.state, "building");
    let db = env.db().await;
    let client: &tokio_postgres::Client = &db;
    model_switch::index_space(client, SMALL).await.unwrap();
    drop(db);
    let indexed: i64 =
        env.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = embedding_space_index_name($1)", &[&SMALL]).await;
    assert_eq!(indexed, 1, "the new space has its own HNSW index");
    let missing = model_switch::missing(&**env.db().await, SMALL).await.unwrap();
    assert_eq!(missing.len(), DOCS.len());
    let half: Vec<Uuid> = missing.iter().take(2).map(|(id, _)| *id).collect();
    model_switch::enqueue(&env.ctx, &half, SMALL, "switch-test").await.unwrap();
    wait_covered(&env, SMALL, 2).await;
    assert_eq!(model_switch::try_complete(&mut env.db().await, SMALL).await.unwrap(), 2, "two still missing");
    assert_eq!(active(&env).await, [LEXICAL_MODEL], "the old space serves until the new one is whole");

    // A document uploaded during the switch gets vectors in both spaces.
    env.upload("uploads/acme/5/claims-again.md", [sample("claims-guide.md"), b"\n\nLate addition.".to_vec()].concat())
        .await;
    let (late, status) = env.wait_terminal("uploads/acme/5/claims-again.md", Duration::from_secs(60)).await;
    assert_eq!(status, "done");
    let spaces: i64 =
        env.scalar("SELECT count(DISTINCT model) FROM chunk_embeddings WHERE document_id = $1", &[&late]).await;
    assert_eq!(spaces, 2);

    // Resumed: only what is missing is sent again; a duplicate of a done one changes nothing.
    let rest: Vec<Uuid> = model_switch::missing(&**env.db().await, SMALL).await.unwrap().iter().map(|m| m.0).collect();
    assert_eq!(rest.len(), 2);
    model_switch::enqueue(&env.ctx, &[rest.clone(), half.clone()].concat(), SMALL, "switch-test").await.unwrap();
    wait_covered(&env, SMALL, 5).await;
    assert_eq!(model_switch::try_complete(&mut env.db().await, SMALL).await.unwrap(), 0);
    assert_eq!(active(&env).await, [SMALL]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    searcher.await.unwrap();
    runner.stop().await;
    assert!(searches.load(Ordering::SeqCst) >= 5, "{} searches ran during the switch", searches.load(Ordering::SeqCst));

    // Every document is found in the new space; the old model's queries are refused.
    let mut found = std::collections::HashSet::new();
    for q in ["excess deducted from every claim", "subrogation", "buildings cover", "motor vehicle schedule"] {
        found.extend(search_with(&env, &Folded, q).await.unwrap());
    }
    assert!(all.is_subset(&found), "every document is searchable in the new space");
    let err = search_with(&env, &LexicalEmbedder, "subrogation").await.unwrap_err();
    assert_eq!(err.class, doc_ingest::ErrorClass::ModelMismatch);

    // The old space is dropped on command; the registry keeps its row.
    let removed = model_switch::drop_space(&**env.db().await, LEXICAL_MODEL).await.unwrap();
    assert!(removed > 0);
    let left: i64 = env.scalar("SELECT count(*) FROM chunk_embeddings WHERE model = $1", &[&LEXICAL_MODEL]).await;
    assert_eq!(left, 0);
    let state: String = env.scalar("SELECT state FROM embedding_models WHERE name = $1", &[&LEXICAL_MODEL]).await;
    assert_eq!(state, "dropped");
}

#[tokio::test]
async fn spaces_cannot_be_mixed() {
    let env = env().await;
    let db = env.db().await;
    doc_ingest::embedding::spaces::register(&**db, LEXICAL_MODEL, 1536, "active").await.unwrap();
    doc_ingest::embedding::spaces::register(&**db, SMALL, 64, "retired").await.unwrap();
    // A 64-d vector filed under the 1536-d model is refused by the database itself.
    let err = db
        .execute(
            "INSERT INTO chunk_embeddings (document_id, owner, job_attempt, chunk_id, model, embedding)
             VALUES (gen_random_uuid(), 'acme', 1, gen_random_uuid(), $1, array_fill(0.1, ARRAY[64])::vector)",
            &[&LEXICAL_MODEL],
        )
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("does not belong"), "{err:?}");
    // So is a vector of a model the registry does not know.
    let err = db
        .execute(
            "INSERT INTO embedding_cache (model, dimensions, content_sha256, embedding)
             VALUES ('unknown-model', 3, repeat('a', 64), '[1,2,3]')",
            &[],
        )
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("not registered"), "{err:?}");
    // The same model registered again with another size is refused.
    let err = doc_ingest::embedding::spaces::register(&**db, SMALL, 128, "retired").await.unwrap_err();
    assert_eq!(err.class, doc_ingest::ErrorClass::EmbeddingDimensionMismatch);
    // A query vector of the wrong size cannot search a space, even through raw SQL.
    let err =
        db.query("SELECT * FROM vector_candidates('[1,2,3]'::vector, 5, $1)", &[&LEXICAL_MODEL]).await.unwrap_err();
    assert!(format!("{err:?}").contains("cannot search"), "{err:?}");
    // And the search API refuses a query embedded by a model that is not the active one.
    let err = search_with(&env, &Folded, "anything").await.unwrap_err();
    assert_eq!(err.class, doc_ingest::ErrorClass::ModelMismatch);
}

/// Two embed stages of a new deployment register its first model at the same moment: both
/// succeed (index creation is serialised; before, the loser failed on the index's name).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_registrations_of_one_model_both_succeed() {
    let env = env().await;
    for i in 0..10 {
        let name = format!("race-{i}");
        let (a, b) = (env.db().await, env.db().await);
        let barrier = tokio::sync::Barrier::new(2);
        let (ra, rb) = tokio::join!(
            async {
                barrier.wait().await;
                doc_ingest::embedding::spaces::register(&**a, &name, 16, "retired").await
            },
            async {
                barrier.wait().await;
                doc_ingest::embedding::spaces::register(&**b, &name, 16, "retired").await
            }
        );
        assert_eq!(ra.unwrap(), rb.unwrap());
    }
    let active: i64 = env.scalar("SELECT count(*) FROM embedding_models WHERE state = 'active'", &[]).await;
    assert_eq!(active, 1, "the first registered became active, no other");
}
