//! What `ingestctl` reads back for people: document summaries, timelines, jobs by state.

use crate::error::{DbResultExt, StageResult};
use crate::pipeline::{JobState, PIPELINE};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;

pub struct DocSummary {
    pub id: Uuid,
    pub key: String,
    pub status: String,
    pub pages: Option<i32>,
    pub chunks: Option<i32>,
    pub total_ms: Option<i64>,
    /// Per stage in pipeline order: the time its last completing attempt held the job (its
    /// work, without the queue wait before it); finalize has no lease and shows its own run.
    pub stage_ms: Vec<(&'static str, Option<i64>)>,
    pub error: Option<String>,
}

pub async fn summary(db: &impl GenericClient, id: Uuid) -> StageResult<DocSummary> {
    let d = db
        .query_one(
            "SELECT d.object_key, d.status::text AS status, d.page_count, d.chunk_count,
                    (extract(epoch FROM (j.finished_at - j.created_at)) * 1000)::bigint AS total_ms,
                    j.last_error_class || ': ' || j.last_error AS error
             FROM documents d JOIN upload_jobs j ON j.document_id = d.id WHERE d.id = $1",
            &[&id],
        )
        .await
        .db("reading the document")?;
    let mut stage_ms = Vec::with_capacity(PIPELINE.len());
    for spec in PIPELINE {
        let from = spec.running.unwrap_or(spec.ready);
        // The stage's own completion, not a redrive that reopened the job at its done state.
        let ms: Option<i64> = db
            .query_opt(
                "SELECT duration_ms FROM job_events
                 WHERE document_id = $1 AND kind = 'transition'
                   AND to_state = $2::text::job_state AND from_state = $3::text::job_state
                 ORDER BY id DESC LIMIT 1",
                &[&id, &spec.done.as_str(), &from.as_str()],
            )
            .await
            .db("reading stage times")?
            .and_then(|r| r.get("duration_ms"));
        stage_ms.push((spec.name, ms));
    }
    Ok(DocSummary {
        id,
        key: d.get("object_key"),
        status: d.get("status"),
        pages: d.get("page_count"),
        chunks: d.get("chunk_count"),
        total_ms: d.get("total_ms"),
        stage_ms,
        error: d.get("error"),
    })
}

pub async fn recent_documents(db: &impl GenericClient, limit: i64) -> StageResult<Vec<Uuid>> {
    let rows = db
        .query("SELECT id FROM documents ORDER BY created_at DESC LIMIT $1", &[&limit])
        .await
        .db("listing documents")?;
    Ok(rows.iter().map(|r| r.get("id")).collect())
}

/// The document a document or job id names.
pub async fn document_of(db: &impl GenericClient, id: Uuid) -> StageResult<Option<Uuid>> {
    let row = db
        .query_opt("SELECT document_id FROM upload_jobs WHERE id = $1 OR document_id = $1 LIMIT 1", &[&id])
        .await
        .db("finding the document")?;
    Ok(row.map(|r| r.get("document_id")))
}

/// The document stored for an object key, and its status.
pub async fn document_for_key(db: &impl GenericClient, bucket: &str, key: &str) -> StageResult<Option<(Uuid, String)>> {
    let row = db
        .query_opt(
            "SELECT id, status::text AS status FROM documents WHERE bucket = $1 AND object_key = $2
             ORDER BY created_at DESC LIMIT 1",
            &[&bucket, &key],
        )
        .await
        .db("finding the document")?;
    Ok(row.map(|r| (r.get("id"), r.get("status"))))
}

pub struct Event {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub stage: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub attempt: i32,
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
}

pub async fn timeline(db: &impl GenericClient, document_id: Uuid) -> StageResult<Vec<Event>> {
    let rows = db
        .query(
            "SELECT created_at, kind, stage, from_state::text AS from_state, to_state::text AS to_state, attempt,
                    duration_ms, error_class || ': ' || error_message AS error
             FROM job_events WHERE document_id = $1 ORDER BY id",
            &[&document_id],
        )
        .await
        .db("reading the timeline")?;
    Ok(rows
        .iter()
        .map(|r| Event {
            at: r.get("created_at"),
            kind: r.get("kind"),
            stage: r.get("stage"),
            from_state: r.get("from_state"),
            to_state: r.get("to_state"),
            attempt: r.get("attempt"),
            duration_ms: r.get("duration_ms"),
            error: r.get("error"),
        })
        .collect())
}

pub struct JobRow {
    pub id: Uuid,
    pub stage: String,
    pub attempt: i32,
    pub tries: i32,
    pub updated_at: DateTime<Utc>,
    pub error: Option<String>,
    pub object_key: String,
}

pub async fn jobs_in_state(db: &impl GenericClient, state: JobState, limit: i64) -> StageResult<Vec<JobRow>> {
    let rows = db
        .query(
            "SELECT j.id, j.stage, j.attempt, j.tries, j.updated_at,
                    j.last_error_class || ': ' || j.last_error AS error, d.object_key
             FROM upload_jobs j JOIN documents d ON d.id = j.document_id
             WHERE j.state = $1::text::job_state ORDER BY j.updated_at DESC LIMIT $2",
            &[&state.as_str(), &limit],
        )
        .await
        .db("listing jobs")?;
    Ok(rows
        .iter()
        .map(|r| JobRow {
            id: r.get("id"),
            stage: r.get("stage"),
            attempt: r.get("attempt"),
            tries: r.get("tries"),
            updated_at: r.get("updated_at"),
            error: r.get("error"),
            object_key: r.get("object_key"),
        })
        .collect())
}

/// job id → (state, last error class), for the jobs that dead letters name.
pub async fn job_states(db: &impl GenericClient, ids: &[Uuid]) -> StageResult<HashMap<Uuid, (String, Option<String>)>> {
    let rows = db
        .query("SELECT id, state::text AS state, last_error_class FROM upload_jobs WHERE id = ANY($1)", &[&ids])
        .await
        .db("reading job states")?;
    Ok(rows.iter().map(|r| (r.get("id"), (r.get("state"), r.get("last_error_class")))).collect())
}

/// A finished job's state and its time from admission to the end.
pub async fn finished_job(db: &impl GenericClient, document_id: Uuid) -> StageResult<(String, Option<i64>)> {
    let r = db
        .query_one(
            "SELECT state::text AS state, (extract(epoch FROM (finished_at - created_at)) * 1e6)::bigint AS micros
             FROM upload_jobs WHERE document_id = $1",
            &[&document_id],
        )
        .await
        .db("reading the job")?;
    Ok((r.get("state"), r.get("micros")))
}
