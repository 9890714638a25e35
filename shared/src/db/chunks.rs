//! The document_chunks table.

use crate::error::{DbResultExt, StageResult};
use uuid::Uuid;

#[cfg(feature = "chunk")]
/// Replaces the document's chunks (and any vectors of the old ones) with `chunks`, inside the
/// caller's transaction: the new set becomes visible all at once, with the transition.
pub async fn replace(
    tx: &tokio_postgres::Transaction<'_>,
    document_id: Uuid,
    owner: &str,
    chunks: &[crate::chunking::Chunk],
) -> StageResult<()> {
    use futures::pin_mut;
    use tokio_postgres::binary_copy::BinaryCopyInWriter;
    use tokio_postgres::types::{ToSql, Type};
    tx.execute("DELETE FROM chunk_embeddings WHERE document_id = $1", &[&document_id]).await.db("replacing chunks")?;
    tx.execute("DELETE FROM document_chunks WHERE document_id = $1", &[&document_id]).await.db("replacing chunks")?;
    let sink = tx
        .copy_in(
            "COPY document_chunks (id, document_id, owner, ordinal, content, sha256, token_count, heading_path, page_start,
                                   page_end)
             FROM STDIN (FORMAT binary)",
        )
        .await
        .db("copying chunks")?;
    let types = [
        Type::UUID,
        Type::UUID,
        Type::TEXT,
        Type::INT4,
        Type::TEXT,
        Type::TEXT,
        Type::INT4,
        Type::TEXT_ARRAY,
        Type::INT4,
        Type::INT4,
    ];
    let writer = BinaryCopyInWriter::new(sink, &types);
    pin_mut!(writer);
    for c in chunks {
        let row: [&(dyn ToSql + Sync); 10] = [
            &c.id,
            &document_id,
            &owner,
            &c.ordinal,
            &c.content,
            &c.sha256,
            &c.token_count,
            &c.heading_path,
            &c.page_start,
            &c.page_end,
        ];
        writer.as_mut().write(&row).await.db("copying chunks")?;
    }
    writer.finish().await.db("copying chunks")?;
    tx.execute(
        "UPDATE documents SET chunk_count = $2, updated_at = now() WHERE id = $1",
        &[&document_id, &(chunks.len() as i32)],
    )
    .await
    .db("recording chunk count")?;
    Ok(())
}

/// A chunk as the embed stage reads it.
pub struct ChunkText {
    pub id: Uuid,
    pub sha256: String,
    pub content: String,
    pub tokens: usize,
}

pub async fn texts(db: &impl tokio_postgres::GenericClient, document_id: Uuid) -> StageResult<Vec<ChunkText>> {
    let rows = db
        .query(
            "SELECT id, sha256, content, token_count FROM document_chunks WHERE document_id = $1 ORDER BY ordinal",
            &[&document_id],
        )
        .await
        .db("loading chunks")?;
    Ok(rows
        .into_iter()
        .map(|r| ChunkText {
            id: r.get("id"),
            sha256: r.get("sha256"),
            content: r.get("content"),
            tokens: r.get::<_, i32>("token_count").max(0) as usize,
        })
        .collect())
}
