use super::{db, db_err};
use crate::context::Context;
use crate::db::jobs::{self, lease_lost, Lease};
use crate::embedding::DIMENSIONS;
use crate::error::{StageError, StageResult};
use serde_json::json;

/// Checks and completion in one transaction, with the job row locked: either the document is
/// consistent and done, or nothing changes and the failure names what is wrong.
pub async fn run(ctx: &Context, lease: &Lease) -> StageResult<()> {
    let mut client = db(ctx, "finalizing").await?;
    let tx = crate::db::begin(&mut client).await.map_err(db_err("finalizing"))?;
    let job = tx
        .query_opt(
            "SELECT (extract(epoch FROM (now() - created_at)) * 1000)::float8
             FROM upload_jobs WHERE id = $1 AND attempt = $2 AND state = 'embedded' FOR UPDATE",
            &[&lease.job_id, &lease.attempt],
        )
        .await
        .map_err(db_err("locking job"))?
        .ok_or_else(|| lease_lost(lease))?;
    let total_ms: f64 = job.get(0);
    let row = tx
        .query_one(
            "SELECT d.chunk_count, d.page_count,
                    count(c.id),
                    count(e.chunk_id),
                    count(*) FILTER (WHERE vector_dims(e.embedding) = $2 AND e.model = $3)
             FROM documents d
             LEFT JOIN document_chunks c ON c.document_id = d.id
             LEFT JOIN chunk_embeddings e ON e.document_id = d.id AND e.job_attempt = d.embedding_attempt
                                         AND e.chunk_id = c.id
             WHERE d.id = $1
             GROUP BY d.id",
            &[&lease.document_id, &(DIMENSIONS as i32), &ctx.embedder.model()],
        )
        .await
        .map_err(db_err("counting chunks"))?;
    let expected: Option<i32> = row.get(0);
    let pages: Option<i32> = row.get(1);
    let (chunks, vectors, valid): (i64, i64, i64) = (row.get(2), row.get(3), row.get(4));
    let expected = expected.map(i64::from);
    if expected != Some(chunks) || chunks != vectors || vectors != valid || chunks == 0 {
        return Err(StageError::permanent(
            "inconsistent",
            format!(
                "expected {} chunks; found {chunks} chunks, {vectors} vectors, {valid} of {DIMENSIONS} dimensions from {}",
                expected.map_or("an unrecorded number of".into(), |n| n.to_string()),
                ctx.embedder.model()
            ),
        ));
    }
    let detail = json!({ "chunks": chunks, "pages": pages, "total_ms": total_ms.round() as i64 });
    lease.transition(&tx).await?;
    // Same transaction: "done" never exists without its completion event.
    jobs::record_event(&tx, lease.job_id, "document_completed", lease.stage, lease.attempt, None, detail).await?;
    tx.commit().await.map_err(db_err("committing finalize"))
}
