//! The documents table: admission, what each stage records, and finalize's checks.

use super::jobs::{self, Job};
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use crate::pipeline::PIPELINE;
use serde_json::Value;
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct Document {
    pub id: Uuid,
    pub owner: String,
    pub bucket: String,
    pub object_key: String,
    pub object_etag: String,
    pub version_id: Option<String>,
    pub size_bytes: i64,
    pub parsed_key: Option<String>,
    pub parsed_sha256: Option<String>,
    pub page_count: Option<i32>,
    pub chunk_count: Option<i32>,
}

fn document_from_row(r: &Row) -> Document {
    Document {
        id: r.get("id"),
        owner: r.get("owner"),
        bucket: r.get("bucket"),
        object_key: r.get("object_key"),
        object_etag: r.get("object_etag"),
        version_id: r.get("version_id"),
        size_bytes: r.get("size_bytes"),
        parsed_key: r.get("parsed_key"),
        parsed_sha256: r.get("parsed_sha256"),
        page_count: r.get("page_count"),
        chunk_count: r.get("chunk_count"),
    }
}

pub async fn load(db: &impl GenericClient, id: Uuid) -> StageResult<Document> {
    let row = db
        .query_opt(
            "SELECT id, owner, bucket, object_key, object_etag, version_id, size_bytes, parsed_key, parsed_sha256, page_count,
                    chunk_count
             FROM documents WHERE id = $1",
            &[&id],
        )
        .await
        .db("loading document")?
        .ok_or_else(|| StageError::new(ErrorClass::DocumentMissing, format!("document {id} has no row")))?;
    Ok(document_from_row(&row))
}

/// An upload as admission sees it.
pub struct NewDocument<'a> {
    pub id: Uuid,
    pub owner: &'a str,
    pub bucket: &'a str,
    pub object_key: &'a str,
    pub object_etag: &'a str,
    pub version_id: Option<&'a str>,
    /// Orders the versions of the key (`lifecycle::sequence_key`).
    pub sequence: &'a str,
    pub size_bytes: i64,
    /// The stage the job starts at.
    pub first_stage: &'a str,
}

/// The document and its job, created once whatever the number of notifications.
pub async fn admit(db: &mut tokio_postgres::Client, doc: &NewDocument<'_>) -> StageResult<Job> {
    let job_id = crate::ids::job_id(doc.id);
    let tx = db.transaction().await.db("admitting upload")?;
    tx.execute(
        "INSERT INTO documents (id, owner, bucket, object_key, object_etag, version_id, sequence, size_bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
        &[
            &doc.id,
            &doc.owner,
            &doc.bucket,
            &doc.object_key,
            &doc.object_etag,
            &doc.version_id,
            &doc.sequence,
            &doc.size_bytes,
        ],
    )
    .await
    .db("inserting document")?;
    tx.execute(
        "INSERT INTO upload_jobs (id, document_id, stage, correlation_id)
         VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
        &[&job_id, &doc.id, &doc.first_stage, &Uuid::new_v4().to_string()],
    )
    .await
    .db("inserting job")?;
    tx.commit().await.db("admitting upload")?;
    jobs::load(&*db, job_id)
        .await?
        .ok_or_else(|| StageError::new(ErrorClass::JobVanished, format!("job {job_id} not found after insert")))
}

/// What the parse stage learned about a document.
pub struct Parse<'a> {
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub parser: &'a str,
    pub page_count: i32,
    pub parsed_key: &'a str,
    pub parsed_sha256: &'a str,
    /// Set when the markdown was copied from a document with the same bytes.
    pub parsed_from: Option<Uuid>,
}

/// Deleted versions of a key whose parsed markdown may still be in S3.
pub async fn deleted_with_markdown(db: &impl GenericClient, bucket: &str, key: &str) -> StageResult<Vec<Uuid>> {
    let rows = db
        .query(
            "SELECT id FROM documents WHERE bucket = $1 AND object_key = $2 AND status = 'deleted'
               AND (parsed_key IS NOT NULL OR sha256 IS NULL)",
            &[&bucket, &key],
        )
        .await
        .db("finding deleted markdown")?;
    Ok(rows.iter().map(|r| r.get("id")).collect())
}

/// A done document of the same owner with the same bytes, whose parsed markdown can be reused.
pub async fn parsed_twin(
    db: &impl GenericClient,
    owner: &str,
    sha256: &str,
    not: Uuid,
) -> StageResult<Option<Document>> {
    let row = db
        .query_opt(
            "SELECT id, owner, bucket, object_key, object_etag, version_id, size_bytes, parsed_key, parsed_sha256, page_count,
                    chunk_count
             FROM documents
             WHERE owner = $1 AND sha256 = $2 AND status = 'done' AND parsed_key IS NOT NULL AND id <> $3
             ORDER BY created_at DESC LIMIT 1",
            &[&owner, &sha256, &not],
        )
        .await
        .db("looking for the same bytes")?;
    Ok(row.as_ref().map(document_from_row))
}

pub async fn record_parse(db: &impl GenericClient, id: Uuid, p: &Parse<'_>) -> StageResult<()> {
    db.execute(
        "UPDATE documents SET content_type = $2, sha256 = $3, parser = $4, page_count = $5,
                parsed_key = $6, parsed_sha256 = $7, parsed_from = $8, updated_at = now()
         WHERE id = $1",
        &[&id, &p.content_type, &p.sha256, &p.parser, &p.page_count, &p.parsed_key, &p.parsed_sha256, &p.parsed_from],
    )
    .await
    .db("recording parse")?;
    Ok(())
}

/// What finalize counts, for one document, in its transaction.
#[derive(Debug)]
pub struct Consistency {
    pub recorded_chunks: Option<i32>,
    pub pages: Option<i32>,
    pub parsed_sha256: Option<String>,
    pub chunks: i64,
    /// Vectors of the switched-in attempt, one per chunk.
    pub vectors: i64,
    /// Of those, the ones of the expected dimension and model.
    pub valid_vectors: i64,
    pub bad_hashes: i64,
}

pub async fn consistency(db: &impl GenericClient, id: Uuid, dimensions: i32, model: &str) -> StageResult<Consistency> {
    let row = db
        .query_one(
            "SELECT d.chunk_count, d.page_count, d.parsed_sha256,
                    count(c.id) AS chunks,
                    count(e.chunk_id) AS vectors,
                    count(*) FILTER (WHERE vector_dims(e.embedding) = $2) AS valid_vectors,
                    count(*) FILTER (WHERE c.sha256 <> encode(sha256(convert_to(c.content, 'UTF8')), 'hex')) AS bad_hashes
             FROM documents d
             LEFT JOIN document_chunks c ON c.document_id = d.id
             LEFT JOIN chunk_embeddings e ON e.document_id = d.id AND e.job_attempt = d.embedding_attempt
                                         AND e.model = $3 AND e.chunk_id = c.id
             WHERE d.id = $1
             GROUP BY d.id",
            &[&id, &dimensions, &model],
        )
        .await
        .db("counting chunks")?;
    Ok(Consistency {
        recorded_chunks: row.get("chunk_count"),
        pages: row.get("page_count"),
        parsed_sha256: row.get("parsed_sha256"),
        chunks: row.get("chunks"),
        vectors: row.get("vectors"),
        valid_vectors: row.get("valid_vectors"),
        bad_hashes: row.get("bad_hashes"),
    })
}

/// Per stage, the time from its ready state to its own completion (queue wait included), and in
/// total, from the transition events; "now" stands in for the stage still finishing. A done
/// state reached by reopening a failed job (a redrive) is not that stage's work and is skipped.
pub async fn stage_durations(db: &impl GenericClient, job_id: Uuid) -> StageResult<Value> {
    let names: Vec<&str> = PIPELINE.iter().map(|s| s.name).collect();
    let ready: Vec<&str> = PIPELINE.iter().map(|s| s.ready.as_str()).collect();
    let running: Vec<Option<&str>> = PIPELINE.iter().map(|s| s.running.map(|r| r.as_str())).collect();
    let done: Vec<&str> = PIPELINE.iter().map(|s| s.done.as_str()).collect();
    let row = db
        .query_one(
            "WITH p AS (
                 SELECT * FROM unnest($2::text[], $3::text[]::job_state[], $4::text[]::job_state[],
                                      $5::text[]::job_state[]) AS p(name, ready, running, done)
             ), ends AS (
                 SELECT p.name, p.ready,
                        coalesce((SELECT max(e.created_at) FROM job_events e
                                  WHERE e.job_id = $1 AND e.kind = 'transition' AND e.to_state = p.done
                                    AND e.from_state IN (p.ready, p.running)), clock_timestamp()) AS done_at
                 FROM p
             ), ms AS (
                 SELECT ends.name,
                        (extract(epoch FROM ends.done_at - (SELECT max(e.created_at) FROM job_events e
                             WHERE e.job_id = $1 AND e.kind = 'transition' AND e.to_state = ends.ready
                               AND e.created_at <= ends.done_at)) * 1000)::bigint AS v
                 FROM ends
             )
             SELECT coalesce(jsonb_object_agg(name, v) FILTER (WHERE v IS NOT NULL), '{}'::jsonb)
                    || jsonb_build_object('total', (SELECT (extract(epoch FROM (clock_timestamp() - created_at)) * 1000)::bigint
                                                    FROM upload_jobs WHERE id = $1))
             FROM ms",
            &[&job_id, &names, &ready, &running, &done],
        )
        .await
        .db("computing durations")?;
    Ok(row.get(0))
}

pub async fn record_durations(
    db: &impl GenericClient,
    id: Uuid,
    total_ms: Option<i64>,
    stages: &Value,
) -> StageResult<()> {
    db.execute(
        "UPDATE documents SET duration_ms = $2, stage_durations_ms = $3 WHERE id = $1",
        &[&id, &total_ms, stages],
    )
    .await
    .db("recording durations")?;
    Ok(())
}
