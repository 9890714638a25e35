//! The knowledge base follows the bucket: versions of one key supersede each other in the order
//! S3 gave them, a deletion removes every older version, and an owner can be erased. Everything
//! here runs under the key's advisory lock, so a version finishing and a deletion arriving at
//! the same time serialise.

use super::jobs;
use crate::error::{DbResultExt, StageResult};
use serde_json::json;
use tokio_postgres::{GenericClient, Transaction};
use uuid::Uuid;

/// A comparable key for the order of one object's events: S3's `sequencer` (hexadecimal of
/// varying length; compare after left-padding) or, where an emulator omits it, the event time.
pub fn sequence_key(sequencer: Option<&str>, event_time: Option<&str>) -> String {
    if let Some(s) = sequencer.filter(|s| !s.is_empty() && s.len() <= 32 && s.chars().all(|c| c.is_ascii_hexdigit())) {
        return format!("s:{:0>32}", s.to_ascii_uppercase());
    }
    match event_time.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) {
        Some(t) => format!("t:{}", t.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%S%.6fZ")),
        None => String::new(),
    }
}

/// Serialises everything that changes which version of a key is current.
pub async fn lock_key(tx: &Transaction<'_>, bucket: &str, key: &str) -> StageResult<()> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('doc-ingest:key:' || $1 || '/' || $2, 0))",
        &[&bucket, &key],
    )
    .await
    .db("locking the object key")?;
    Ok(())
}

/// Whether a deletion of the key was seen after the event with `sequence`.
pub async fn deleted_after(db: &impl GenericClient, bucket: &str, key: &str, sequence: &str) -> StageResult<bool> {
    let row = db
        .query_opt(
            "SELECT 1 FROM object_deletions WHERE bucket = $1 AND object_key = $2 AND sequence > $3 AND $3 <> ''",
            &[&bucket, &key, &sequence],
        )
        .await
        .db("reading deletions")?;
    Ok(row.is_some())
}

/// Removes a document's chunks and vectors (its job has just left `done` or been deleted).
async fn drop_content(tx: &Transaction<'_>, document_id: Uuid) -> StageResult<()> {
    tx.execute("DELETE FROM chunk_embeddings WHERE document_id = $1", &[&document_id]).await.db("removing vectors")?;
    tx.execute("DELETE FROM document_chunks WHERE document_id = $1", &[&document_id]).await.db("removing chunks")?;
    Ok(())
}

/// What finalize's `done` did to the other versions of its key.
#[derive(Debug, Default)]
pub struct Settled {
    /// Older done versions that this one superseded.
    pub superseded: Vec<Uuid>,
    /// This version was older than one already done: it was superseded at once.
    pub already_outdated: bool,
}

/// Called in finalize's transaction right after the job became `done`, under the key's lock:
/// the newest done version stays, every other done version becomes `superseded` and loses its
/// chunks and vectors, in the same transaction, so searches see exactly one version throughout.
pub async fn settle_versions(tx: &Transaction<'_>, document_id: Uuid, stage: &str) -> StageResult<Settled> {
    let rows = tx
        .query(
            "SELECT o.id, j.id AS job_id, j.attempt,
                    (o.sequence, o.created_at) > (d.sequence, d.created_at) AS newer
             FROM documents d
             JOIN documents o ON o.bucket = d.bucket AND o.object_key = d.object_key AND o.id <> d.id
             JOIN upload_jobs j ON j.document_id = o.id
             WHERE d.id = $1 AND o.status = 'done'",
            &[&document_id],
        )
        .await
        .db("reading the other versions")?;
    let mut settled = Settled::default();
    if rows.iter().any(|r| r.get::<_, bool>("newer")) {
        // A newer version finished first; this one must not replace it.
        supersede(tx, document_id, stage, json!({ "reason": "a newer version is already done" })).await?;
        settled.already_outdated = true;
        return Ok(settled);
    }
    for r in rows {
        let older: Uuid = r.get("id");
        supersede(tx, older, stage, json!({ "by": document_id })).await?;
        settled.superseded.push(older);
    }
    Ok(settled)
}

async fn supersede(tx: &Transaction<'_>, document_id: Uuid, stage: &str, detail: serde_json::Value) -> StageResult<()> {
    let job = tx
        .query_one(
            "UPDATE upload_jobs SET state = 'superseded', stage = $2 WHERE document_id = $1 AND state = 'done'
             RETURNING id, attempt",
            &[&document_id, &stage],
        )
        .await
        .db("superseding a version")?;
    drop_content(tx, document_id).await?;
    jobs::record_event(tx, job.get("id"), "version_superseded", stage, job.get("attempt"), None, detail).await
}

/// A deletion of `key` seen with `sequence` (and, for one version of a versioned bucket,
/// `version_id`): records it, and moves every older version (or that one version) to `deleted`
/// with its chunks and vectors removed. Returns the documents deleted now; their parsed
/// markdown is the caller's to remove from S3. A key with no document leaves no record.
pub async fn delete_key(
    tx: &Transaction<'_>,
    bucket: &str,
    key: &str,
    sequence: &str,
    version_id: Option<&str>,
) -> StageResult<Vec<Uuid>> {
    lock_key(tx, bucket, key).await?;
    let owner: Option<String> = tx
        .query_opt("SELECT owner FROM documents WHERE bucket = $1 AND object_key = $2 LIMIT 1", &[&bucket, &key])
        .await
        .db("reading the key's documents")?
        .map(|r| r.get("owner"));
    let Some(owner) = owner else { return Ok(vec![]) };
    if version_id.is_none() {
        tx.execute(
            "INSERT INTO object_deletions (bucket, object_key, owner, sequence) VALUES ($1, $2, $3, $4)
             ON CONFLICT (bucket, object_key)
             DO UPDATE SET sequence = greatest(object_deletions.sequence, excluded.sequence), deleted_at = now()",
            &[&bucket, &key, &owner, &sequence],
        )
        .await
        .db("recording the deletion")?;
    }
    let rows = tx
        .query(
            "SELECT d.id, j.id AS job_id, j.attempt, j.stage FROM documents d JOIN upload_jobs j ON j.document_id = d.id
             WHERE d.bucket = $1 AND d.object_key = $2 AND j.state <> 'deleted'
               AND CASE WHEN $4::text IS NOT NULL THEN d.version_id = $4
                        ELSE d.sequence < $3 OR d.sequence = '' OR $3 = '' END",
            &[&bucket, &key, &sequence, &version_id],
        )
        .await
        .db("finding the versions to delete")?;
    let mut deleted = Vec::with_capacity(rows.len());
    for r in rows {
        let id: Uuid = r.get("id");
        let stage: String = r.get("stage");
        tx.execute(
            "UPDATE upload_jobs SET state = 'deleted', lease_owner = NULL, lease_expires_at = NULL WHERE document_id = $1",
            &[&id],
        )
        .await
        .db("deleting a version")?;
        drop_content(tx, id).await?;
        let detail = json!({ "sequence": sequence, "version_id": version_id });
        jobs::record_event(tx, r.get("job_id"), "document_deleted", &stage, r.get("attempt"), None, detail).await?;
        deleted.push(id);
    }
    Ok(deleted)
}

/// Documents whose parsed markdown may still be in S3 although they are deleted or superseded
/// (a removal that failed half way, or a parse that finished after its document was deleted).
pub async fn orphaned_markdown(db: &impl GenericClient, limit: i64) -> StageResult<Vec<(Uuid, String)>> {
    let rows = db
        .query(
            "SELECT id, bucket FROM documents
             WHERE status IN ('deleted', 'superseded') AND parsed_key IS NOT NULL
             ORDER BY updated_at LIMIT $1",
            &[&limit],
        )
        .await
        .db("finding orphaned markdown")?;
    Ok(rows.iter().map(|r| (r.get("id"), r.get("bucket"))).collect())
}

/// The parsed markdown of these documents is gone from S3.
pub async fn markdown_removed(db: &impl GenericClient, ids: &[Uuid]) -> StageResult<()> {
    db.execute("UPDATE documents SET parsed_key = NULL WHERE id = ANY($1)", &[&ids]).await.db("recording removal")?;
    Ok(())
}

/// Vectors a late embed attempt wrote for a document that was deleted or superseded meanwhile.
pub async fn drop_orphaned_vectors(db: &impl GenericClient) -> StageResult<u64> {
    db.execute(
        "DELETE FROM chunk_embeddings e USING documents d
         WHERE d.id = e.document_id AND d.status IN ('deleted', 'superseded')",
        &[],
    )
    .await
    .db("dropping orphaned vectors")
}

/// What an erasure removed.
#[derive(Debug, Default, Clone, Copy)]
pub struct Erased {
    pub documents: i64,
    pub chunks: i64,
    pub vectors: i64,
    pub events: i64,
    pub objects: i64,
}

/// The owner's documents, and the buckets they are in, for the S3 half of an erasure.
pub async fn owner_documents(db: &impl GenericClient, owner: &str) -> StageResult<Vec<(Uuid, String)>> {
    let rows = db
        .query("SELECT id, bucket FROM documents WHERE owner = $1", &[&owner])
        .await
        .db("listing the owner's documents")?;
    Ok(rows.iter().map(|r| (r.get("id"), r.get("bucket"))).collect())
}

/// Right to erasure, the database half: every row of the owner (documents, jobs, chunks,
/// vectors, events, deletion records) in one transaction, and one `erasures` row that says
/// what went (counts, not content). `objects` is what the caller removed from S3 first.
pub async fn erase_owner(
    client: &mut tokio_postgres::Client,
    owner: &str,
    objects: i64,
    by: &str,
) -> StageResult<Erased> {
    let tx = client.transaction().await.db("erasing")?;
    // The append-only audit log steps aside for this owner, in this transaction only.
    tx.execute("SELECT set_config('doc_ingest.erasure', $1, true)", &[&owner]).await.db("erasing")?;
    let count = |n: u64| n as i64;
    let vectors =
        count(tx.execute("DELETE FROM chunk_embeddings WHERE owner = $1", &[&owner]).await.db("erasing vectors")?);
    let chunks =
        count(tx.execute("DELETE FROM document_chunks WHERE owner = $1", &[&owner]).await.db("erasing chunks")?);
    let events = count(tx.execute("DELETE FROM job_events WHERE owner = $1", &[&owner]).await.db("erasing events")?);
    tx.execute("DELETE FROM upload_jobs j USING documents d WHERE d.id = j.document_id AND d.owner = $1", &[&owner])
        .await
        .db("erasing jobs")?;
    let documents =
        count(tx.execute("DELETE FROM documents WHERE owner = $1", &[&owner]).await.db("erasing documents")?);
    tx.execute("DELETE FROM object_deletions WHERE owner = $1", &[&owner]).await.db("erasing deletions")?;
    let erased = Erased { documents, chunks, vectors, events, objects };
    tx.execute(
        "INSERT INTO erasures (owner, documents, chunks, vectors, objects, events, requested_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&owner, &documents, &chunks, &vectors, &objects, &events, &by],
    )
    .await
    .db("recording the erasure")?;
    tx.commit().await.db("erasing")?;
    Ok(erased)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequencers_compare_after_left_padding() {
        let a = sequence_key(Some("0055AED6DCD90281E5"), None);
        let b = sequence_key(Some("0055AED6DCD90281E6"), None);
        let shorter_but_smaller = sequence_key(Some("FF"), None);
        assert!(a < b);
        assert!(shorter_but_smaller < a, "FF < 0055AED6DCD90281E5 as numbers, whatever the lengths");
        assert_eq!(sequence_key(Some("00ff"), None), sequence_key(Some("00FF"), None));
        let t1 = sequence_key(None, Some("2026-11-30T19:00:00.5Z"));
        let t2 = sequence_key(None, Some("2026-11-30T19:00:00.123+00:00"));
        assert!(t2 < t1, "{t2} < {t1}");
        assert_eq!(sequence_key(Some("not hex"), None), "");
    }
}
