use super::{db, db_err};
use crate::context::Context;
use crate::db::jobs::{self, Lease, lease_lost};
use crate::embedding::{batching, cache, validate_vectors};
use crate::error::{StageError, StageResult};
use crate::metrics::{self, Unit};
use futures::pin_mut;
use pgvector::Vector;
use serde_json::json;
use std::collections::HashSet;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

struct ChunkRow {
    id: Uuid,
    sha256: String,
    content: String,
    tokens: usize,
}

/// What one embed run did, for the audit trail.
#[derive(Default)]
struct Tally {
    cache_hits: usize,
    embedded: usize,
    requests: usize,
    usage_tokens: u64,
}

pub async fn run(ctx: &Context, lease: &Lease) -> StageResult<()> {
    let rows: Vec<ChunkRow> = db(ctx, "loading chunks")
        .await?
        .query(
            "SELECT id, sha256, content, token_count FROM document_chunks WHERE document_id = $1 ORDER BY ordinal",
            &[&lease.document_id],
        )
        .await
        .map_err(db_err("loading chunks"))?
        .into_iter()
        .map(|r| ChunkRow { id: r.get(0), sha256: r.get(1), content: r.get(2), tokens: r.get::<_, i32>(3) as usize })
        .collect();
    if rows.is_empty() {
        return Err(StageError::permanent("no_chunks", "the document has no chunks to embed"));
    }
    let model = ctx.embedder.model().to_owned();
    let mut known = cache::lookup(ctx, &model, rows.iter().map(|r| r.sha256.clone()).collect()).await?;
    let mut tally =
        Tally { cache_hits: rows.iter().filter(|r| known.contains_key(&r.sha256)).count(), ..Default::default() };

    // Each distinct text not in the cache is embedded once, in planned batches; every batch is
    // cached as soon as it returns, so a retry after a 429 pays only for what is left.
    let mut seen = HashSet::new();
    let missing: Vec<&ChunkRow> =
        rows.iter().filter(|r| !known.contains_key(&r.sha256) && seen.insert(r.sha256.as_str())).collect();
    let tokens: Vec<usize> = missing.iter().map(|r| r.tokens).collect();
    for range in batching::plan(&tokens, &ctx.config.batch_limits)? {
        let batch = &missing[range];
        let texts: Vec<String> = batch.iter().map(|r| r.content.clone()).collect();
        let out = ctx.embedder.embed(&texts).await?;
        validate_vectors(texts.len(), &out.vectors)?;
        let shas: Vec<String> = batch.iter().map(|r| r.sha256.clone()).collect();
        let vectors: Vec<Vector> = out.vectors.into_iter().map(Vector::from).collect();
        cache::store(ctx, &model, lease.document_id, &shas, &vectors, out.usage_tokens).await?;
        tally.requests += 1;
        tally.embedded += texts.len();
        tally.usage_tokens += out.usage_tokens;
        known.extend(shas.into_iter().zip(vectors));
    }

    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let vectors: Vec<Vector> = rows.iter().map(|r| known[&r.sha256].clone()).collect();
    write_vectors_with(ctx, lease, &ids, &vectors, &tally).await?;
    metrics::emit(
        &[("Stage", lease.stage.as_str())],
        &[
            ("Vectors", ids.len() as f64, Unit::Count),
            ("CacheHits", tally.cache_hits as f64, Unit::Count),
            ("EmbeddingRequests", tally.requests as f64, Unit::Count),
            ("EmbeddingTokens", tally.usage_tokens as f64, Unit::Count),
        ],
    );
    Ok(())
}

/// The write path alone (copy, then switch under the lock), for `ingestctl bench-vectors`.
pub async fn write_vectors(ctx: &Context, lease: &Lease, ids: &[Uuid], vectors: &[Vector]) -> StageResult<()> {
    write_vectors_with(ctx, lease, ids, vectors, &Tally::default()).await
}

async fn write_vectors_with(
    ctx: &Context,
    lease: &Lease,
    ids: &[Uuid],
    vectors: &[Vector],
    tally: &Tally,
) -> StageResult<()> {
    let model = ctx.embedder.model().to_owned();
    let written = match copy_attempt(ctx, lease, ids, vectors, &model).await {
        Ok(()) => switch_in(ctx, lease, ids.len(), tally).await,
        Err(e) => Err(e),
    };
    if written.is_err() {
        discard_attempt(ctx, lease).await;
    }
    written
}

/// Bulk-writes this attempt's vectors with binary COPY, outside any lock; readers cannot see
/// them until [`switch_in`] points the document at this attempt.
async fn copy_attempt(ctx: &Context, lease: &Lease, ids: &[Uuid], vectors: &[Vector], model: &str) -> StageResult<()> {
    let mut client = db(ctx, "writing vectors").await?;
    let tx = crate::db::begin(&mut client).await.map_err(db_err("writing vectors"))?;
    let vector_type = crate::db::vector_type(&tx).await.map_err(db_err("looking up the vector type"))?;
    let sink = tx
        .copy_in(
            "COPY chunk_embeddings (document_id, job_attempt, chunk_id, model, embedding) FROM STDIN (FORMAT binary)",
        )
        .await
        .map_err(db_err("writing vectors"))?;
    let writer = BinaryCopyInWriter::new(sink, &[Type::UUID, Type::INT4, Type::UUID, Type::TEXT, vector_type]);
    pin_mut!(writer);
    for (id, v) in ids.iter().zip(vectors) {
        let row: [&(dyn ToSql + Sync); 5] = [&lease.document_id, &lease.attempt, id, &model, v];
        writer.as_mut().write(&row).await.map_err(db_err("writing vectors"))?;
    }
    writer.finish().await.map_err(db_err("writing vectors"))?;
    tx.commit().await.map_err(db_err("writing vectors"))
}

/// Makes this attempt's vectors the document's, in one transaction under the document's advisory
/// lock, so two embed runs on one document serialise and exactly one consistent set remains.
async fn switch_in(ctx: &Context, lease: &Lease, expected: usize, tally: &Tally) -> StageResult<()> {
    let mut client = db(ctx, "applying vectors").await?;
    let tx = crate::db::begin(&mut client).await.map_err(db_err("applying vectors"))?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('doc-ingest:embed:' || $1::uuid::text, 0))",
        &[&lease.document_id],
    )
    .await
    .map_err(db_err("locking document"))?;
    let fenced = tx
        .query_opt(
            "SELECT 1 FROM upload_jobs WHERE id = $1 AND attempt = $2 AND state = 'embedding' FOR UPDATE",
            &[&lease.job_id, &lease.attempt],
        )
        .await
        .map_err(db_err("checking lease"))?;
    if fenced.is_none() {
        return Err(lease_lost(lease));
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
        .map_err(db_err("checking vectors"))?;
    let (vectors, chunks): (i64, i64) = (row.get(0), row.get(1));
    if vectors as usize != expected || chunks as usize != expected {
        return Err(StageError::transient(
            "chunks_changed",
            format!("{vectors} vectors of this attempt and {chunks} chunks; expected {expected} of each"),
        ));
    }
    tx.execute("UPDATE documents SET embedding_attempt = $2 WHERE id = $1", &[&lease.document_id, &lease.attempt])
        .await
        .map_err(db_err("applying vectors"))?;
    // Earlier attempts' rows go too: under the lock nobody else is switching them in.
    tx.execute(
        "DELETE FROM chunk_embeddings WHERE document_id = $1 AND job_attempt <> $2",
        &[&lease.document_id, &lease.attempt],
    )
    .await
    .map_err(db_err("clearing superseded vectors"))?;
    lease.transition(&tx).await?;
    let detail = json!({
        "chunks": expected,
        "cache_hits": tally.cache_hits,
        "embedded_inputs": tally.embedded,
        "requests": tally.requests,
        "usage_tokens": tally.usage_tokens,
        "model": ctx.embedder.model(),
    });
    jobs::record_event(&tx, lease.job_id, "vectors_applied", lease.stage, lease.attempt, None, detail).await?;
    tx.commit().await.map_err(db_err("committing vectors"))
}

/// Best effort: an attempt that will never be switched in drops its rows. The guard keeps rows
/// that were switched in after all (a commit whose reply was lost).
async fn discard_attempt(ctx: &Context, lease: &Lease) {
    if let Ok(client) = db(ctx, "discarding vectors").await {
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
