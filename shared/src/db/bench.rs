//! Scratch documents for `ingestctl bench-*`, owned by `bench` so they are easy to tell apart.

use crate::error::{DbResultExt, StageResult};
use crate::ids::sha256_hex;
use futures::pin_mut;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

/// A document with `n` chunks (texts tagged with `tag`) whose job is ready for the embed stage.
/// Returns the job id and the chunk ids in order.
pub async fn scratch_embed_job(
    client: &mut tokio_postgres::Client,
    n: usize,
    tag: &str,
) -> StageResult<(Uuid, Vec<Uuid>)> {
    let tx = client.transaction().await.db("scratch document")?;
    let doc = Uuid::new_v4();
    let job = crate::ids::job_id(doc);
    tx.execute(
        "INSERT INTO documents (id, owner, bucket, object_key, object_etag, size_bytes)
         VALUES ($1, 'bench', 'bench', $2, 'bench', 0)",
        &[&doc, &format!("uploads/bench/{doc}/scratch.md")],
    )
    .await
    .db("scratch document")?;
    tx.execute(
        "INSERT INTO upload_jobs (id, document_id, stage, correlation_id) VALUES ($1, $2, 'parse', 'bench')",
        &[&job, &doc],
    )
    .await
    .db("scratch job")?;
    for state in ["parsing", "parsed", "chunking", "chunked"] {
        tx.execute(
            "UPDATE upload_jobs SET state = $2::text::job_state, attempt = attempt + 1 WHERE id = $1",
            &[&job, &state],
        )
        .await
        .db("scratch job")?;
    }
    let sink = tx
        .copy_in(
            "COPY document_chunks (id, document_id, owner, ordinal, content, sha256, token_count) FROM STDIN (FORMAT binary)",
        )
        .await
        .db("scratch chunks")?;
    let writer = BinaryCopyInWriter::new(
        sink,
        &[Type::UUID, Type::UUID, Type::TEXT, Type::INT4, Type::TEXT, Type::TEXT, Type::INT4],
    );
    pin_mut!(writer);
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = Uuid::new_v4();
        let content = format!("{tag} chunk {i}");
        let sha = sha256_hex(content.as_bytes());
        let row: [&(dyn ToSql + Sync); 7] = [&id, &doc, &"bench", &(i as i32), &content, &sha, &4i32];
        writer.as_mut().write(&row).await.db("scratch chunks")?;
        ids.push(id);
    }
    writer.finish().await.db("scratch chunks")?;
    tx.execute("UPDATE documents SET chunk_count = $2 WHERE id = $1", &[&doc, &(n as i32)]).await.db("scratch")?;
    tx.commit().await.db("scratch document")?;
    Ok((job, ids))
}

/// The scratch jobs stop part-way; fail them so the sweeper and `health` leave them alone (the
/// audit log is append-only, so they are not deleted).
pub async fn retire_scratch(db: &impl tokio_postgres::GenericClient) -> StageResult<u64> {
    db.execute(
        "UPDATE upload_jobs SET state = 'failed', last_error_class = 'bench', last_error = 'benchmark scratch document'
         WHERE state NOT IN ('done', 'failed') AND document_id IN (SELECT id FROM documents WHERE owner = 'bench')",
        &[],
    )
    .await
    .db("retiring scratch jobs")
}
