use super::{db, db_err};
use crate::context::Context;
use crate::db::{
    documents,
    jobs::{self, Lease, lease_lost},
};
use crate::embedding::DIMENSIONS;
use crate::error::{StageError, StageResult, classify_sdk_error};
use serde_json::{Value, json};

/// Checks and completion in one transaction, with the job row locked: either the document is
/// consistent and done, or nothing changes and the failure names what is wrong.
pub async fn run(ctx: &Context, lease: &Lease) -> StageResult<()> {
    let stored_sha256 = parsed_object_sha256(ctx, lease).await?;
    let mut client = db(ctx, "finalizing").await?;
    let tx = crate::db::begin(&mut client).await.map_err(db_err("finalizing"))?;
    tx.query_opt(
        "SELECT 1 FROM upload_jobs WHERE id = $1 AND attempt = $2 AND state = 'embedded' FOR UPDATE",
        &[&lease.job_id, &lease.attempt],
    )
    .await
    .map_err(db_err("locking job"))?
    .ok_or_else(|| lease_lost(lease))?;
    let row = tx
        .query_one(
            "SELECT d.chunk_count, d.page_count, d.parsed_sha256,
                    count(c.id),
                    count(e.chunk_id),
                    count(*) FILTER (WHERE vector_dims(e.embedding) = $2 AND e.model = $3),
                    count(*) FILTER (WHERE c.sha256 <> encode(sha256(convert_to(c.content, 'UTF8')), 'hex'))
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
    let parsed_sha256: Option<String> = row.get(2);
    let (chunks, vectors, valid, bad_hashes): (i64, i64, i64, i64) = (row.get(3), row.get(4), row.get(5), row.get(6));

    let mut problems = Vec::new();
    match expected.map(i64::from) {
        Some(n) if n == chunks && chunks > 0 => {}
        Some(n) => problems.push(format!("the chunk stage recorded {n} chunks; {chunks} are stored")),
        None => problems.push("no chunk count was recorded".to_owned()),
    }
    if vectors != chunks {
        problems.push(format!("{vectors} vectors for {chunks} chunks"));
    }
    if valid != vectors {
        problems.push(format!("{} vectors are not {DIMENSIONS}-d from {}", vectors - valid, ctx.embedder.model()));
    }
    if bad_hashes > 0 {
        problems.push(format!("{bad_hashes} chunks do not match their SHA-256"));
    }
    if parsed_sha256 != stored_sha256 {
        problems.push(format!(
            "parsed markdown hash {} differs from the stored object's {}",
            parsed_sha256.as_deref().unwrap_or("(none)"),
            stored_sha256.as_deref().unwrap_or("(none)")
        ));
    }
    if !problems.is_empty() {
        return Err(StageError::permanent("inconsistent", problems.join("; ")));
    }

    let timings = stage_durations(&tx, lease).await?;
    let total_ms = timings["total"].as_i64();
    tx.execute(
        "UPDATE documents SET duration_ms = $2, stage_durations_ms = $3 WHERE id = $1",
        &[&lease.document_id, &total_ms, &timings],
    )
    .await
    .map_err(db_err("recording durations"))?;
    let detail = json!({ "chunks": chunks, "pages": pages, "total_ms": total_ms, "stage_ms": timings });
    lease.transition(&tx).await?;
    // Same transaction: "done" never exists without its completion event.
    jobs::record_event(&tx, lease.job_id, "document_completed", lease.stage, lease.attempt, None, detail).await?;
    tx.commit().await.map_err(db_err("committing finalize"))
}

/// The SHA-256 the parse stage stored on the markdown object, read back from S3.
async fn parsed_object_sha256(ctx: &Context, lease: &Lease) -> StageResult<Option<String>> {
    let doc = documents::load(&**db(ctx, "loading document").await?, lease.document_id).await?;
    let Some(key) = doc.parsed_key else { return Ok(None) };
    let head = ctx.s3.head_object().bucket(&doc.bucket).key(&key).send().await.map_err(|e| {
        match e.raw_response().map(|r| r.status().as_u16()) {
            Some(404) => StageError::permanent("inconsistent", format!("the parsed markdown {key} is missing")),
            _ => classify_sdk_error("reading the parsed markdown's metadata", &e),
        }
    })?;
    Ok(head.metadata().and_then(|m| m.get("sha256")).cloned())
}

/// Per stage, from its ready state to its done state (queue wait included), and in total, from
/// the transition events the database trigger wrote; "now" stands in for finalize's own end.
async fn stage_durations(tx: &tokio_postgres::Transaction<'_>, lease: &Lease) -> StageResult<Value> {
    let row = tx
        .query_one(
            "WITH t AS (
                 SELECT to_state, max(created_at) AS at FROM job_events
                 WHERE job_id = $1 AND kind = 'transition' GROUP BY to_state
             ), ms AS (
                 SELECT p.done, (extract(epoch FROM (coalesce(s.at, clock_timestamp()) - r.at)) * 1000)::bigint AS v
                 FROM (VALUES ('upload_validated'::job_state, 'parsed'::job_state), ('parsed', 'chunked'),
                              ('chunked', 'embedded'), ('embedded', 'done')) AS p(ready, done)
                 JOIN t r ON r.to_state = p.ready
                 LEFT JOIN t s ON s.to_state = p.done
             )
             SELECT jsonb_build_object(
                 'parse', (SELECT v FROM ms WHERE done = 'parsed'),
                 'chunk', (SELECT v FROM ms WHERE done = 'chunked'),
                 'embed', (SELECT v FROM ms WHERE done = 'embedded'),
                 'finalize', (SELECT v FROM ms WHERE done = 'done'),
                 'total', (SELECT (extract(epoch FROM (clock_timestamp() - created_at)) * 1000)::bigint
                           FROM upload_jobs WHERE id = $1))",
            &[&lease.job_id],
        )
        .await
        .map_err(db_err("computing durations"))?;
    Ok(row.get(0))
}
