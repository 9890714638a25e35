//! Jobs that stopped moving, found from the database alone:
//! - **orphaned**: in a running state whose lease ran out `orphan_grace` ago; its handler died
//!   (killed, timed out, out of memory) and its message may be hidden for a whole visibility
//!   timeout. The stage's message is re-enqueued at once; the claim counts the try, so a job
//!   whose handlers keep dying gives up after its tries (`retries_exhausted`).
//! - **lost**: in a ready state, unmoved for `stuck_after`; its next message was never sent or
//!   was purged. Re-enqueued up to `max_requeues` times, then failed as stuck and dead-lettered.
//!
//! A re-enqueued message for a job that is in fact alive is harmless: the claim rules absorb it.

use crate::context::Context;
use crate::db::jobs;
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use crate::framework::StageMessage;
use crate::framework::queue::{DeadLetter, send_stage_message, send_to_dlq};
use crate::metrics::{self, Unit};
use crate::pipeline::{JobState, PIPELINE, owner_of};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::time::Duration;
use tokio_postgres::GenericClient;
use tracing::{info, warn};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stranded {
    /// Running, with a lease that ran out: its handler is gone.
    Orphaned,
    /// Ready, and nobody picked it up: its message is gone.
    Lost,
}

#[derive(Clone, Debug)]
pub struct StuckJob {
    pub job_id: Uuid,
    pub document_id: Uuid,
    pub state: JobState,
    pub attempt: i32,
    pub correlation_id: String,
    pub why: Stranded,
    /// Since when: the lease's end for an orphan, entering the state for a lost job.
    pub since: DateTime<Utc>,
    /// Who held the last lease.
    pub lease_owner: Option<String>,
    /// Re-enqueues by the sweeper since the job entered its state.
    pub requeues: i64,
}

/// Orphaned and lost jobs, oldest first, each not re-enqueued within its threshold.
pub async fn find_stuck(
    db: &impl GenericClient,
    orphan_grace: Duration,
    stuck_after: Duration,
    limit: i64,
) -> StageResult<Vec<StuckJob>> {
    let running: Vec<&str> = PIPELINE.iter().filter_map(|s| s.running.map(|r| r.as_str())).collect();
    let ready: Vec<&str> = PIPELINE.iter().map(|s| s.ready.as_str()).collect();
    let rows = db
        .query(
            "SELECT j.id, j.document_id, j.state::text AS state, j.attempt, j.correlation_id, j.lease_owner,
                    j.state = ANY($1::text[]::job_state[]) AS orphaned,
                    CASE WHEN j.state = ANY($1::text[]::job_state[]) THEN j.lease_expires_at ELSE j.state_changed_at END AS since,
                    r.n AS requeues
             FROM upload_jobs j
             CROSS JOIN LATERAL (
                 SELECT count(*) AS n, max(e.created_at) AS last FROM job_events e
                 WHERE e.job_id = j.id AND e.kind = 'sweeper_requeued' AND e.created_at >= j.state_changed_at
             ) r
             WHERE (j.state = ANY($1::text[]::job_state[])
                    AND coalesce(j.lease_expires_at, j.state_changed_at) < now() - $3 * interval '1 millisecond'
                    AND coalesce(r.last, '-infinity') < now() - $3 * interval '1 millisecond')
                OR (j.state = ANY($2::text[]::job_state[])
                    AND greatest(j.state_changed_at, r.last) < now() - $4 * interval '1 millisecond')
             ORDER BY since
             LIMIT $5",
            &[&running, &ready, &(orphan_grace.as_millis() as f64), &(stuck_after.as_millis() as f64), &limit],
        )
        .await
        .db("finding stuck jobs")?;
    rows.iter()
        .map(|r| {
            let state: &str = r.get("state");
            Ok(StuckJob {
                job_id: r.get("id"),
                document_id: r.get("document_id"),
                state: state
                    .parse()
                    .map_err(|e| StageError::new(ErrorClass::UnknownState, "stuck job").with_source(e))?,
                attempt: r.get("attempt"),
                correlation_id: r.get("correlation_id"),
                why: if r.get("orphaned") { Stranded::Orphaned } else { Stranded::Lost },
                since: r.get::<_, Option<DateTime<Utc>>>("since").unwrap_or_else(Utc::now),
                lease_owner: r.get("lease_owner"),
                requeues: r.get("requeues"),
            })
        })
        .collect()
}

#[derive(Debug, Default)]
pub struct SweepReport {
    pub requeued: Vec<StuckJob>,
    pub failed: Vec<StuckJob>,
    /// Stuck jobs that moved on between the query and the action.
    pub skipped: usize,
    /// Another sweep was running; this one did nothing.
    pub busy: bool,
    pub pruned_environments: u64,
    /// Vectors and parsed markdown left by documents deleted or superseded mid-stage.
    pub orphans_removed: u64,
    /// Vectors moved into the HNSW index by this run, and those still waiting after it.
    pub indexed_vectors: u64,
    pub vector_backlog: i64,
    /// Retired embedding spaces dropped after their grace period.
    pub dropped_spaces: Vec<String>,
}

/// Jobs per sweep; a backlog larger than this is taken over the next runs.
const SWEEP_LIMIT: i64 = 500;
const SWEEP_LOCK: i64 = 0x646f_6373_7765_6570; // "docsweep"

pub async fn sweep(ctx: &Context) -> StageResult<SweepReport> {
    let db = ctx.db.get().await.db("sweeping")?;
    // One sweep at a time (several local runners, or a slow scheduled run overlapping the next).
    let locked: bool = db.query_one("SELECT pg_try_advisory_lock($1)", &[&SWEEP_LOCK]).await.db("sweep lock")?.get(0);
    if !locked {
        return Ok(SweepReport { busy: true, ..Default::default() });
    }
    let result = sweep_locked(ctx, &**db).await;
    let _ = db.execute("SELECT pg_advisory_unlock($1)", &[&SWEEP_LOCK]).await;
    let report = result?;
    metrics::emit(
        &[],
        &[
            ("StuckJobsRequeued", report.requeued.len() as f64, Unit::Count),
            ("StuckJobsFailed", report.failed.len() as f64, Unit::Count),
            ("VectorsIndexed", report.indexed_vectors as f64, Unit::Count),
            ("VectorBacklog", report.vector_backlog as f64, Unit::Count),
        ],
    );
    Ok(report)
}

async fn sweep_locked(ctx: &Context, db: &impl GenericClient) -> StageResult<SweepReport> {
    let cfg = &ctx.config.sweep;
    let mut report = SweepReport::default();
    for job in find_stuck(db, cfg.orphan_grace, cfg.stuck_after, SWEEP_LIMIT).await? {
        let Some(spec) = owner_of(job.state) else { continue };
        let msg = StageMessage::new(job.job_id, job.document_id, spec.name, job.attempt, &job.correlation_id);
        if job.why == Stranded::Lost && job.requeues >= i64::from(cfg.max_requeues) {
            let err = StageError::new(
                ErrorClass::Stuck,
                format!("stuck in {} since {}; re-enqueued {} times", job.state, job.since.to_rfc3339(), job.requeues),
            );
            let Some(failed_attempt) = jobs::fail(db, job.job_id, spec.name, Some(job.attempt), &err).await? else {
                report.skipped += 1;
                continue;
            };
            warn!(job_id = %job.job_id, state = %job.state, "stuck job failed");
            let dl = DeadLetter {
                stage: spec.name,
                job_id: Some(job.job_id),
                correlation_id: &job.correlation_id,
                error: &err,
                attempts: job.requeues as u32 + 1,
                failed_attempt: Some(failed_attempt),
            };
            send_to_dlq(ctx, &msg.to_body(), &dl).await?;
            report.failed.push(job);
        } else {
            send_stage_message(ctx, &msg).await?;
            let detail = json!({
                "state": job.state.as_str(),
                "why": format!("{:?}", job.why).to_lowercase(),
                "since": job.since.to_rfc3339(),
                "lease_owner": job.lease_owner,
                "requeue": job.requeues + 1,
            });
            jobs::record_event(db, job.job_id, "sweeper_requeued", spec.name, job.attempt, None, detail).await?;
            info!(job_id = %job.job_id, state = %job.state, why = ?job.why, "stranded job re-enqueued");
            report.requeued.push(job);
        }
    }
    report.pruned_environments = super::registry::prune(db, cfg.environment_retention).await?;
    report.orphans_removed = remove_orphans(ctx, db).await?;
    report.indexed_vectors = super::indexer::index_backlog(db, cfg.index_budget).await?;
    report.vector_backlog = super::indexer::backlog(db).await?;
    report.dropped_spaces = crate::embedding::spaces::drop_expired(db, cfg.retired_space_grace).await?;
    for model in &report.dropped_spaces {
        info!(model, "retired embedding space dropped");
    }
    Ok(report)
}

/// What a deletion or a supersession could not remove because a stage was still writing: the
/// vectors of a late embed attempt, and parsed markdown in S3.
async fn remove_orphans(ctx: &Context, db: &impl GenericClient) -> StageResult<u64> {
    let vectors = crate::db::lifecycle::drop_orphaned_vectors(db).await?;
    Ok(vectors + remove_orphaned_markdown(ctx, db).await?)
}

#[cfg(feature = "s3")]
async fn remove_orphaned_markdown(ctx: &Context, db: &impl GenericClient) -> StageResult<u64> {
    use crate::db::lifecycle;
    let s3 = ctx.s3();
    let mut done = Vec::new();
    for (id, bucket) in lifecycle::orphaned_markdown(db, 200).await? {
        match s3.delete_object().bucket(&bucket).key(crate::ids::parsed_key(id)).send().await {
            Ok(_) => done.push(id),
            Err(e) => {
                let e = crate::aws::classify_sdk_error("removing orphaned markdown", e);
                warn!(error = %e.detail(), "orphaned markdown stays until the next sweep");
            }
        }
    }
    lifecycle::markdown_removed(db, &done).await?;
    Ok(done.len() as u64)
}

#[cfg(not(feature = "s3"))]
async fn remove_orphaned_markdown(_: &Context, _: &impl GenericClient) -> StageResult<u64> {
    Ok(0)
}
