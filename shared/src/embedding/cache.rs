//! The embedding cache: vectors by (model, dimensions, SHA-256 of the exact text the model read).

use crate::context::Context;
use crate::error::{DbResultExt, StageResult};
use futures::pin_mut;
use pgvector::Vector;
use std::collections::HashMap;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

pub async fn lookup(
    ctx: &Context,
    model: &str,
    dimensions: usize,
    shas: Vec<String>,
) -> StageResult<HashMap<String, Vector>> {
    let client = ctx.db.get().await.db("reading the embedding cache")?;
    let rows = client
        .query(
            "SELECT content_sha256, embedding FROM embedding_cache
             WHERE model = $1 AND dimensions = $2 AND content_sha256 = ANY($3)",
            &[&model, &(dimensions as i32), &shas],
        )
        .await
        .db("reading the embedding cache")?;
    Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Caches one batch's vectors and adds its billed tokens to the document, in one transaction.
pub async fn store(
    ctx: &Context,
    model: &str,
    dimensions: usize,
    document_id: Uuid,
    shas: &[String],
    vectors: &[Vector],
    usage_tokens: u64,
) -> StageResult<()> {
    let mut client = ctx.db.get().await.db("writing the embedding cache")?;
    let tx = crate::db::begin(&mut client).await.db("writing the embedding cache")?;
    tx.batch_execute("CREATE TEMP TABLE embedding_cache_in (content_sha256 text, embedding vector) ON COMMIT DROP")
        .await
        .db("writing the embedding cache")?;
    let vector_type = crate::db::vector_type(&tx).await.db("looking up the vector type")?;
    let sink = tx
        .copy_in("COPY embedding_cache_in (content_sha256, embedding) FROM STDIN (FORMAT binary)")
        .await
        .db("writing the embedding cache")?;
    let writer = BinaryCopyInWriter::new(sink, &[Type::TEXT, vector_type]);
    pin_mut!(writer);
    for (sha, v) in shas.iter().zip(vectors) {
        let row: [&(dyn ToSql + Sync); 2] = [sha, v];
        writer.as_mut().write(&row).await.db("writing the embedding cache")?;
    }
    writer.finish().await.db("writing the embedding cache")?;
    // Another document may have cached the same text meanwhile; its vector is as good.
    tx.execute(
        "INSERT INTO embedding_cache (model, dimensions, content_sha256, embedding)
         SELECT $1, $2, content_sha256, embedding FROM embedding_cache_in
         ON CONFLICT DO NOTHING",
        &[&model, &(dimensions as i32)],
    )
    .await
    .db("writing the embedding cache")?;
    tx.execute(
        "UPDATE documents SET embedding_tokens = embedding_tokens + $2 WHERE id = $1",
        &[&document_id, &(usage_tokens as i64)],
    )
    .await
    .db("recording token usage")?;
    tx.commit().await.db("writing the embedding cache")
}
