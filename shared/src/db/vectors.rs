//! Writing a document's vectors once: each embed attempt binary-COPYs its vectors into
//! `chunk_embeddings` tagged with its attempt, invisible to readers; then, under the document's
//! advisory lock and fenced by the attempt, the attempt is switched in and every other attempt's
//! rows are deleted, with the transition, in one transaction.

use crate::context::Context;
use crate::db::jobs::{self, Lease, lease_lost};
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use futures::pin_mut;
use pgvector::Vector;
use serde_json::json;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

/// What one embed run did, for the audit trail.
#[derive(Debug, Default)]
pub struct Tally {
    pub cache_hits: usize,
    pub embedded: usize,
    pub requests: usize,
    pub usage_tokens: u64,
}

/// One space's vectors for the document's chunks, in chunk order.
pub struct SpaceVectors {
    pub model: String,
    pub vectors: Vec<Vector>,
}

impl std::ops::AddAssign<&Tally> for Tally {
    fn add_assign(&mut self, other: &Tally) {
        self.cache_hits += other.cache_hits;
        self.embedded += other.embedded;
        self.requests += other.requests;
        self.usage_tokens += other.usage_tokens;
    }
}

/// Copy, then switch in; an attempt that fails on the way drops its rows.
pub async fn write(
    ctx: &Context,
    lease: &Lease,
    ids: &[Uuid],
    sets: &[SpaceVectors],
    tally: &Tally,
) -> StageResult<()> {
    let written = match copy_attempt(ctx, lease, ids, sets).await {
        Ok(()) => switch_in(ctx, lease, sets, ids.len(), tally).await,
        Err(e) => Err(e),
    };
    if written.is_err() {
        discard_attempt(ctx, lease).await;
    }
    written
}

/// Bulk-writes this attempt's vectors with binary COPY, outside any lock; readers cannot see
/// them until [`switch_in`] points the document at this attempt.
async fn copy_attempt(ctx: &Context, lease: &Lease, ids: &[Uuid], sets: &[SpaceVectors]) -> StageResult<()> {
    let mut client = ctx.db.get().await.db("writing vectors")?;
    let tx = crate::db::begin(&mut client).await.db("writing vectors")?;
    copy_rows(&tx, lease.document_id, &lease.owner, lease.attempt, ids, sets).await?;
    tx.commit().await.db("writing vectors")
}

/// Binary-COPYs one document's vectors (each set in chunk order, `ids` its chunks) for `attempt`
/// inside the caller's transaction: the embed stage's attempt, or a re-embed into a new space.
pub async fn copy_rows(
    tx: &tokio_postgres::Transaction<'_>,
    document_id: Uuid,
    owner: &str,
    attempt: i32,
    ids: &[Uuid],
    sets: &[SpaceVectors],
) -> StageResult<()> {
    let vector_type = crate::db::vector_type(tx).await.db("looking up the vector type")?;
    let sink = tx
        .copy_in(
            "COPY chunk_embeddings (document_id, owner, job_attempt, chunk_id, model, embedding) FROM STDIN (FORMAT binary)",
        )
        .await
        .db("writing vectors")?;
    let writer =
        BinaryCopyInWriter::new(sink, &[Type::UUID, Type::TEXT, Type::INT4, Type::UUID, Type::TEXT, vector_type]);
    pin_mut!(writer);
    for set in sets {
        for (id, v) in ids.iter().zip(&set.vectors) {
            let row: [&(dyn ToSql + Sync); 6] = [&document_id, &owner, &attempt, id, &set.model, v];
            writer.as_mut().write(&row).await.db("writing vectors")?;
        }
    }
    writer.finish().await.db("writing vectors")?;
    Ok(())
}

/// Makes this attempt's vectors the document's, in one transaction under the document's advisory
/// lock, so two embed runs on one document serialise and exactly one consistent set remains.
async fn switch_in(
    ctx: &Context,
    lease: &Lease,
    sets: &[SpaceVectors],
    expected: usize,
    tally: &Tally,
) -> StageResult<()> {
    let mut client = ctx.db.get().await.db("applying vectors")?;
    let tx = crate::db::begin(&mut client).await.db("applying vectors")?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('doc-ingest:embed:' || $1::uuid::text, 0))",
        &[&lease.document_id],
    )
    .await
    .db("locking document")?;
    let running = lease.spec.running.unwrap_or(lease.spec.ready);
    let fenced = tx
        .query_opt(
            "SELECT 1 FROM upload_jobs WHERE id = $1 AND attempt = $2 AND state = $3::text::job_state FOR UPDATE",
            &[&lease.job_id, &lease.attempt, &running.as_str()],
        )
        .await
        .db("checking lease")?;
    if fenced.is_none() {
        return Err(lease_lost(lease));
    }
    // A model switch that committed since this attempt read the registry made another space
    // the one searches serve: a document done without vectors there would not be found.
    // (The switch holds this row's lock while it checks that every document is covered.)
    let active: Option<String> = tx
        .query_opt("SELECT name FROM embedding_models WHERE state = 'active' FOR SHARE", &[])
        .await
        .db("reading the active model")?
        .map(|r| r.get(0));
    if let Some(active) = active.filter(|a| !sets.iter().any(|s| &s.model == a)) {
        return Err(StageError::new(
            ErrorClass::ModelSwitched,
            format!("the active model is now {active}; this attempt embedded for another"),
        ));
    }
    // Two index-only counts rather than a join: right after the COPY the planner has no
    // statistics for the new rows, and a join plan picked blind took seconds (measured).
    // The attempt's rows were written for exactly the chunk ids read at its start; the primary
    // key rules out duplicates, and chunks do not change once chunked.
    let row = tx
        .query_one(
            "SELECT (SELECT count(*) FROM chunk_embeddings WHERE document_id = $1 AND job_attempt = $2),
                    (SELECT count(*) FROM document_chunks WHERE document_id = $1)",
            &[&lease.document_id, &lease.attempt],
        )
        .await
        .db("checking vectors")?;
    let (vectors, chunks): (i64, i64) = (row.get(0), row.get(1));
    if vectors as usize != expected * sets.len() || chunks as usize != expected {
        return Err(StageError::new(
            ErrorClass::ChunksChanged,
            format!(
                "{vectors} vectors of this attempt in {} spaces and {chunks} chunks; expected {expected} of each",
                sets.len()
            ),
        ));
    }
    tx.execute("UPDATE documents SET embedding_attempt = $2 WHERE id = $1", &[&lease.document_id, &lease.attempt])
        .await
        .db("applying vectors")?;
    // Earlier attempts' rows go too: under the lock nobody else is switching them in.
    tx.execute(
        "DELETE FROM chunk_embeddings WHERE document_id = $1 AND job_attempt <> $2",
        &[&lease.document_id, &lease.attempt],
    )
    .await
    .db("clearing superseded vectors")?;
    lease.transition(&tx).await?;
    let detail = json!({
        "chunks": expected,
        "cache_hits": tally.cache_hits,
        "embedded_inputs": tally.embedded,
        "requests": tally.requests,
        "usage_tokens": tally.usage_tokens,
        "models": sets.iter().map(|s| s.model.as_str()).collect::<Vec<_>>(),
    });
    jobs::record_event(&tx, lease.job_id, "vectors_applied", lease.spec.name, lease.attempt, None, detail).await?;
    tx.commit().await.db("committing vectors")
}

/// Best effort: an attempt that will never be switched in drops its rows. The guard keeps rows
/// that were switched in after all (a commit whose reply was lost).
async fn discard_attempt(ctx: &Context, lease: &Lease) {
    if let Ok(client) = ctx.db.get().await {
        let _ = client
            .execute(
                "DELETE FROM chunk_embeddings e USING documents d
                 WHERE d.id = e.document_id AND e.document_id = $1 AND e.job_attempt = $2
                   AND d.embedding_attempt IS DISTINCT FROM $2",
                &[&lease.document_id, &lease.attempt],
            )
            .await;
    }
}
