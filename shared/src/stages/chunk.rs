use super::{blocking, db, db_err};
use crate::chunking::{Chunk, sha256_hex};
use crate::context::Context;
use crate::db::{documents, jobs::Lease};
use crate::error::{StageError, StageResult, classify_sdk_error};
use crate::metrics::{self, Unit};
use futures::pin_mut;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

pub async fn run(ctx: &Context, lease: &Lease) -> StageResult<()> {
    let doc = documents::load(&**db(ctx, "loading document").await?, lease.document_id).await?;
    let (Some(key), Some(expected_sha)) = (doc.parsed_key.clone(), doc.parsed_sha256.clone()) else {
        return Err(StageError::permanent("not_parsed", "the document has no parsed markdown on record"));
    };
    let object = ctx
        .s3
        .get_object()
        .bucket(&doc.bucket)
        .key(&key)
        .send()
        .await
        .map_err(|e| classify_sdk_error("reading the parsed markdown", &e))?;
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| StageError::transient("s3_read", format!("reading the parsed markdown: {e}")))?
        .into_bytes();
    let actual_sha = sha256_hex(&bytes);
    if actual_sha != expected_sha {
        return Err(StageError::permanent(
            "parsed_hash_mismatch",
            format!("{key} has SHA-256 {actual_sha}, the parse stage recorded {expected_sha}"),
        ));
    }
    let markdown = String::from_utf8(bytes.to_vec())
        .map_err(|_| StageError::permanent("invalid_utf8", format!("{key} is not UTF-8")))?;

    let chunker = ctx.chunker();
    let document_id = doc.id;
    let chunks = blocking("chunker", move || Ok(chunker.chunk(document_id, &markdown))).await?;
    if chunks.is_empty() {
        return Err(StageError::permanent("no_chunks", "the parsed document produced no chunks"));
    }

    let mut client = db(ctx, "storing chunks").await?;
    let tx = crate::db::begin(&mut client).await.map_err(db_err("storing chunks"))?;
    // Replace, not merge: the new set is exactly this run's chunks, visible all at once. Vectors
    // of the old chunks go with them (normally there are none: embedding comes after chunking).
    tx.execute("DELETE FROM chunk_embeddings WHERE document_id = $1", &[&doc.id])
        .await
        .map_err(db_err("replacing chunks"))?;
    tx.execute("DELETE FROM document_chunks WHERE document_id = $1", &[&doc.id])
        .await
        .map_err(db_err("replacing chunks"))?;
    copy_chunks(&tx, doc.id, &chunks).await?;
    tx.execute(
        "UPDATE documents SET chunk_count = $2, updated_at = now() WHERE id = $1",
        &[&doc.id, &(chunks.len() as i32)],
    )
    .await
    .map_err(db_err("recording chunk count"))?;
    lease.complete(tx).await?;
    let tokens: i32 = chunks.iter().map(|c| c.token_count).sum();
    metrics::emit(
        &[("Stage", lease.stage.as_str())],
        &[("Chunks", chunks.len() as f64, Unit::Count), ("ChunkTokens", f64::from(tokens), Unit::Count)],
    );
    Ok(())
}

async fn copy_chunks(
    tx: &tokio_postgres::Transaction<'_>,
    document_id: uuid::Uuid,
    chunks: &[Chunk],
) -> StageResult<()> {
    let sink = tx
        .copy_in(
            "COPY document_chunks (id, document_id, ordinal, content, sha256, token_count, heading_path, page_start, page_end)
             FROM STDIN (FORMAT binary)",
        )
        .await
        .map_err(db_err("copying chunks"))?;
    let types = [
        Type::UUID,
        Type::UUID,
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
        let row: [&(dyn ToSql + Sync); 9] = [
            &c.id,
            &document_id,
            &c.ordinal,
            &c.content,
            &c.sha256,
            &c.token_count,
            &c.heading_path,
            &c.page_start,
            &c.page_end,
        ];
        writer.as_mut().write(&row).await.map_err(db_err("copying chunks"))?;
    }
    writer.finish().await.map_err(db_err("copying chunks"))?;
    Ok(())
}
