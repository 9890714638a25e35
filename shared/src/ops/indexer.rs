//! The deferred half of the vector write: current vectors of switched-in attempts are marked
//! `indexed`, which inserts them into the partial HNSW index, in small batches so that the row
//! locks a batch takes never hold up an embed stage for long. Searches cover the backlog
//! exactly in the meantime (`search_chunks`).

use crate::error::{DbResultExt, StageResult};
use std::time::{Duration, Instant};
use tokio_postgres::GenericClient;

/// Vectors per transaction: about a second of HNSW inserts here.
pub const BATCH: i64 = 500;

/// Marks up to `batch` backlog vectors indexed; returns how many.
pub async fn index_batch(db: &impl GenericClient, batch: i64) -> StageResult<u64> {
    db.execute(
        "WITH next AS (
             SELECT e.document_id, e.job_attempt, e.model, e.chunk_id
             FROM chunk_embeddings e
             JOIN documents d ON d.id = e.document_id AND d.embedding_attempt = e.job_attempt
             WHERE NOT e.indexed
             ORDER BY e.created_at
             LIMIT $1
             FOR UPDATE OF e SKIP LOCKED
         )
         UPDATE chunk_embeddings e SET indexed = true
         FROM next
         WHERE e.document_id = next.document_id AND e.job_attempt = next.job_attempt AND e.model = next.model
           AND e.chunk_id = next.chunk_id",
        &[&batch],
    )
    .await
    .db("indexing vectors")
}

/// Indexes batches until the backlog is empty or `budget` is spent; returns the vectors indexed.
pub async fn index_backlog(db: &impl GenericClient, budget: Duration) -> StageResult<u64> {
    let started = Instant::now();
    let mut total = 0;
    while started.elapsed() < budget {
        let n = index_batch(db, BATCH).await?;
        total += n;
        if n == 0 {
            break;
        }
    }
    Ok(total)
}

/// Current vectors not yet in the HNSW index.
pub async fn backlog(db: &impl GenericClient) -> StageResult<i64> {
    let row = db
        .query_one(
            "SELECT count(*) FROM chunk_embeddings e
             JOIN documents d ON d.id = e.document_id AND d.embedding_attempt = e.job_attempt
             WHERE NOT e.indexed",
            &[],
        )
        .await
        .db("counting the vector backlog")?;
    Ok(row.get(0))
}
