//! Tenants are kept apart in the database itself: as the read side's role, an owner sees its
//! own rows only, through the search functions (both the exact and the HNSW path, where it holds
//! 1 % of the vectors and asks for more than it has) and through plain SQL; without an owner it
//! sees nothing, and it can write nothing. The search API takes the owner from the token.
#![allow(clippy::unwrap_used)] // tests: an unwrap that fails is a failed assertion

use doc_ingest::embedding::{Embedder, LEXICAL_DIMENSIONS, LexicalEmbedder};
use doc_ingest::runner::RunnerOptions;
use doc_ingest::search::{Query, Strategy};
use integration_tests::{TestEnv, sample};
use pgvector::Vector;
use std::time::Duration;
use uuid::Uuid;

/// `n` done documents' worth of chunks for `owner`, each with a vector, written directly (the
/// pipeline is tested elsewhere); indexed, so the HNSW path sees them.
async fn synthetic(env: &TestEnv, owner: &str, n: usize, seed: u64) -> Vec<Uuid> {
    let chunks: Vec<(Uuid, String, String)> = (0..n)
        .map(|i| {
            let text = format!("{owner} clause {i} about storm damage and the excess {seed}");
            (Uuid::new_v4(), text.clone(), text)
        })
        .collect();
    write_document(env, owner, &chunks).await;
    chunks.into_iter().map(|c| c.0).collect()
}

/// One done document of `owner` with these chunks: (id, text, the text its vector is of).
async fn write_document(env: &TestEnv, owner: &str, chunks: &[(Uuid, String, String)]) {
    let mut db = env.db().await;
    let tx = doc_ingest::db::begin(&mut db).await.unwrap();
    doc_ingest::embedding::spaces::register(&tx, LexicalEmbedder.model(), LEXICAL_DIMENSIONS, "active").await.unwrap();
    let doc = Uuid::new_v4();
    tx.execute(
        "INSERT INTO documents (id, owner, bucket, object_key, object_etag, size_bytes, status, embedding_attempt, chunk_count)
         VALUES ($1, $2, 'b', $3, 'e', 1, 'done', 1, $4)",
        &[&doc, &owner, &format!("uploads/{owner}/x/{doc}.md"), &(chunks.len() as i32)],
    )
    .await
    .unwrap();
    for (i, (id, text, vector_of)) in chunks.iter().enumerate() {
        tx.execute(
            "INSERT INTO document_chunks (id, document_id, owner, ordinal, content, sha256, token_count)
             VALUES ($1, $2, $3, $4, $5, $6, 10)",
            &[id, &doc, &owner, &(i as i32), text, &doc_ingest::ids::sha256_hex(text.as_bytes())],
        )
        .await
        .unwrap();
        tx.execute(
            "INSERT INTO chunk_embeddings (document_id, owner, job_attempt, chunk_id, model, embedding, indexed)
             VALUES ($1, $2, 1, $3, $4, $5, true)",
            &[&doc, &owner, id, &LexicalEmbedder.model(), &Vector::from(LexicalEmbedder::embed_one(vector_of))],
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_sees_only_its_rows_through_search_and_plain_sql_and_nothing_without_an_owner() {
    let env = TestEnv::new().await;
    let tiny = synthetic(&env, "tiny", 10, 1).await;
    synthetic(&env, "big", 990, 2).await;
    let mut reader = env.reader().await;

    // No owner set: nothing, whatever the table or function.
    for table in ["documents", "document_chunks", "chunk_embeddings", "job_events", "searchable_chunks"] {
        let n: i64 = reader.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await.unwrap().get(0);
        assert_eq!(n, 0, "{table} without an owner");
    }
    let query = Vector::from(LexicalEmbedder::embed_one("storm damage excess"));
    let n: i64 = reader
        .query_one(
            "SELECT count(*) FROM vector_candidates($1, 50, $2, NULL, 'hnsw')",
            &[&query, &LexicalEmbedder.model()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "search without an owner");

    // As "tiny": its 10 chunks at most, through both paths, asking for more than it has.
    for strategy in [Strategy::Hnsw, Strategy::Exact] {
        let q = Query { text: "storm damage excess".into(), k: 50, document: None, strategy };
        let hits = doc_ingest::search::search(&mut reader, &LexicalEmbedder, "tiny", &q).await.unwrap();
        assert!(!hits.is_empty(), "{strategy:?}");
        assert!(hits.iter().all(|h| tiny.contains(&h.chunk_id)), "{strategy:?}: a foreign chunk came back");
        assert!(hits.iter().all(|h| h.object_key.starts_with("uploads/tiny/")));
    }
    let tx = reader.transaction().await.unwrap();
    tx.execute("SELECT set_config('doc_ingest.owner', 'tiny', true)", &[]).await.unwrap();
    let owners: Vec<String> =
        tx.query("SELECT DISTINCT owner FROM chunk_embeddings", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(owners, ["tiny"]);
    let chunks: i64 = tx.query_one("SELECT count(*) FROM document_chunks", &[]).await.unwrap().get(0);
    assert_eq!(chunks, 10);
    // The HNSW path straight through SQL, iterative scan and all.
    let found: Vec<String> = tx
        .query(
            "SELECT c.owner FROM vector_candidates($1, 50, $2, NULL, 'hnsw') v JOIN document_chunks c ON c.id = v.chunk_id",
            &[&query, &LexicalEmbedder.model()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(!found.is_empty() && found.iter().all(|o| o == "tiny"), "{found:?}");
    tx.commit().await.unwrap();

    // The owner does not outlive its transaction on a pooled connection.
    let n: i64 = reader.query_one("SELECT count(*) FROM document_chunks", &[]).await.unwrap().get(0);
    assert_eq!(n, 0, "a later call on the same connection sees nothing");

    // The reader writes nothing.
    let tx = reader.transaction().await.unwrap();
    tx.execute("SELECT set_config('doc_ingest.owner', 'tiny', true)", &[]).await.unwrap();
    let denied = tx.execute("DELETE FROM document_chunks", &[]).await.unwrap_err();
    assert_eq!(denied.code(), Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE), "{denied}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_role_cannot_bypass_row_security() {
    let env = TestEnv::new().await;
    let reader = env.reader().await;
    let r = reader
        .query_one("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user", &[])
        .await
        .unwrap();
    assert_eq!((r.get::<_, bool>(0), r.get::<_, bool>(1)), (false, false));
    let forced: Vec<(String, bool, bool)> = env
        .db()
        .await
        .query(
            "SELECT relname::text, relrowsecurity, relforcerowsecurity FROM pg_class
             WHERE relname IN ('documents', 'document_chunks', 'chunk_embeddings', 'job_events', 'upload_jobs')",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(forced.len(), 5);
    assert!(forced.iter().all(|(_, on, forced)| *on && *forced), "{forced:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybrid_hits_carry_a_citation_and_both_scores_and_a_foreign_model_is_refused() {
    let env = TestEnv::new().await;
    let runner = env.start(RunnerOptions::default());
    env.upload("uploads/acme/1/policy.pdf", sample("home-insurance-policy.pdf")).await;
    env.upload("uploads/other/1/policy.pdf", sample("home-insurance-policy.pdf")).await;
    env.wait_terminal("uploads/acme/1/policy.pdf", Duration::from_secs(60)).await;
    env.wait_terminal("uploads/other/1/policy.pdf", Duration::from_secs(60)).await;
    runner.stop().await;

    let hits = env.search("acme", "escape of water", 5).await;
    assert!(!hits.is_empty());
    let top = &hits[0];
    assert!(top.object_key.starts_with("uploads/acme/"), "{top:?}");
    assert!(top.page_start.is_some() && top.page_end.is_some());
    assert!(!top.heading_path.is_empty());
    assert!(top.vector_rank.is_some() && top.text_rank.is_some(), "found by both lists: {top:?}");
    assert!(top.content.to_lowercase().contains("escape of water"));
    assert!(hits.windows(2).all(|w| w[0].fused_score >= w[1].fused_score));
    assert!(hits.iter().all(|h| h.object_key.starts_with("uploads/acme/")));

    /// An embedder of another model: its vectors are not comparable with the index's.
    struct Other;
    impl Embedder for Other {
        fn model(&self) -> &str {
            "another-model"
        }
        fn dimensions(&self) -> usize {
            LEXICAL_DIMENSIONS
        }
        fn embed<'a>(
            &'a self,
            inputs: &'a [String],
        ) -> futures::future::BoxFuture<'a, doc_ingest::StageResult<doc_ingest::embedding::EmbedOutput>> {
            Box::pin(async move {
                Ok(doc_ingest::embedding::EmbedOutput {
                    vectors: vec![vec![0.5; LEXICAL_DIMENSIONS]; inputs.len()],
                    usage_tokens: 0,
                })
            })
        }
    }
    let q = Query { text: "escape of water".into(), k: 5, document: None, strategy: Strategy::Auto };
    let err = doc_ingest::search::search(&mut env.reader().await, &Other, "acme", &q).await.unwrap_err();
    assert_eq!(err.class, doc_ingest::ErrorClass::ModelMismatch, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tie_in_hybrid_rank_goes_to_the_nearer_vector_not_to_the_chunk_id() {
    // Reciprocal rank fusion ties a chunk first in the vector list alone with one first in the
    // text list alone (1/61 each); chunk ids are new on every upload, so an id tie-break ranked
    // the same document two ways.
    let env = TestEnv::new().await;
    let query = "storm excess";
    // The nearest vector, with none of the query's words; 40 chunks nearer than the one whose
    // text has them, which the vector list (40 deep) leaves out. That one's id sorts first.
    let nearest = Uuid::from_u128(u128::MAX - 1);
    let worded = Uuid::from_u128(1);
    let mut chunks = vec![(nearest, "a clause on weather".to_owned(), query.to_owned())];
    chunks.extend((0..40).map(|i| (Uuid::new_v4(), format!("filler {i}"), format!("{query} filler {i}"))));
    chunks.push((worded, format!("the {query} applies"), "zebra giraffe".to_owned()));
    write_document(&env, "acme", &chunks).await;

    let hits = env.search("acme", query, 5).await;
    let at = |id: Uuid| hits.iter().position(|h| h.chunk_id == id);
    let (n, w) = (&hits[at(nearest).unwrap()], &hits[at(worded).unwrap()]);
    assert_eq!((n.vector_rank, n.text_rank, w.vector_rank, w.text_rank), (Some(1), None, None, Some(1)), "{hits:#?}");
    assert_eq!(n.fused_score, w.fused_score);
    assert_eq!(hits[0].chunk_id, nearest, "{hits:#?}");
}
