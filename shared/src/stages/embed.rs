use super::{db, db_err};
use crate::context::Context;
use crate::db::jobs::{lease_lost, Lease};
use crate::embedding::validate_vectors;
use crate::error::{StageError, StageResult};
use futures::pin_mut;
use pgvector::Vector;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::GenericClient;
use uuid::Uuid;

pub async fn run(ctx: &Context, lease: &Lease) -> StageResult<()> {
    let rows = db(ctx, "loading chunks")
        .await?
        .query(
            "SELECT id, content FROM document_chunks WHERE document_id = $1 ORDER BY ordinal",
            &[&lease.document_id],
        )
        .await
        .map_err(db_err("loading chunks"))?;
    if rows.is_empty() {
        return Err(StageError::permanent("no_chunks", "the document has no chunks to embed"));
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.get(0)).collect();
    let texts: Vec<String> = rows.into_iter().map(|r| r.get(1)).collect();

    let mut vectors = Vec::with_capacity(texts.len());
    for batch in texts.chunks(ctx.config.embed_batch_size) {
        let out = ctx.embedder.embed(batch).await?;
        validate_vectors(batch.len(), &out)?;
        vectors.extend(out.into_iter().map(Vector::from));
    }

    let model = ctx.embedder.model().to_owned();
    buffer(ctx, lease, &ids, &vectors, &model).await?;
    let applied = apply(ctx, lease, ids.len()).await;
    if applied.is_err() {
        // This attempt's buffered rows will never be applied; don't leave them behind.
        if let Ok(client) = db(ctx, "cleaning buffer").await {
            let _ = client
                .execute(
                    "DELETE FROM embedding_buffer WHERE document_id = $1 AND job_attempt = $2",
                    &[&lease.document_id, &lease.attempt],
                )
                .await;
        }
    }
    applied
}

/// Bulk-writes this attempt's vectors with binary COPY, outside any lock.
async fn buffer(ctx: &Context, lease: &Lease, ids: &[Uuid], vectors: &[Vector], model: &str) -> StageResult<()> {
    let mut client = db(ctx, "buffering vectors").await?;
    let tx = crate::db::begin(&mut client).await.map_err(db_err("buffering vectors"))?;
    let vector_type = vector_type(&tx).await?;
    let sink = tx
        .copy_in("COPY embedding_buffer (document_id, chunk_id, job_attempt, embedding, model) FROM STDIN (FORMAT binary)")
        .await
        .map_err(db_err("buffering vectors"))?;
    let writer = BinaryCopyInWriter::new(sink, &[Type::UUID, Type::UUID, Type::INT4, vector_type, Type::TEXT]);
    pin_mut!(writer);
    for (id, v) in ids.iter().zip(vectors) {
        let row: [&(dyn ToSql + Sync); 5] = [&lease.document_id, id, &lease.attempt, v, &model];
        writer.as_mut().write(&row).await.map_err(db_err("buffering vectors"))?;
    }
    writer.finish().await.map_err(db_err("buffering vectors"))?;
    tx.commit().await.map_err(db_err("buffering vectors"))
}

/// Applies the buffered vectors to the chunks in one transaction under the document's advisory
/// lock, so two embed runs on one document serialise and exactly one consistent set remains.
async fn apply(ctx: &Context, lease: &Lease, expected: usize) -> StageResult<()> {
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
    let updated = tx
        .execute(
            "UPDATE document_chunks c SET embedding = b.embedding, embedding_model = b.model
             FROM embedding_buffer b
             WHERE b.document_id = $1 AND b.job_attempt = $2 AND c.id = b.chunk_id AND c.document_id = $1",
            &[&lease.document_id, &lease.attempt],
        )
        .await
        .map_err(db_err("applying vectors"))?;
    if updated as usize != expected {
        return Err(StageError::transient(
            "chunks_changed",
            format!("{updated} of {expected} chunks matched the buffered vectors"),
        ));
    }
    // Older attempts' leftovers go too: under the lock nobody else is applying them.
    tx.execute("DELETE FROM embedding_buffer WHERE document_id = $1", &[&lease.document_id])
        .await
        .map_err(db_err("clearing buffer"))?;
    lease.complete(tx).await
}

/// The `vector` type's OID differs per database; ask the server.
async fn vector_type(db: &impl GenericClient) -> StageResult<Type> {
    let stmt = db.prepare("SELECT $1::vector").await.map_err(db_err("looking up the vector type"))?;
    Ok(stmt.params()[0].clone())
}
