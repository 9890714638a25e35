//! Jobs that stopped moving: a handler that crashed after its claim (the redrive policy then
//! dead-letters the message but the job stays in its running state), a next-stage message that
//! was never sent, or a message lost with a purged queue. The sweeper re-enqueues the owning
//! stage's message, which the framework's claim rules make harmless if the job is in fact alive;
//! after `max_requeues` it fails the job as stuck and dead-letters a self-describing copy.

use crate::context::Context;
use crate::db::jobs;
use crate::error::{StageError, StageResult};
use crate::framework::queue::{DeadLetter, send_to_dlq};
use crate::framework::send_stage_message;
use crate::message::{MESSAGE_VERSION, StageMessage};
use crate::metrics::{self, Unit};
use crate::stage::JobState;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::time::Duration;
use tokio_postgres::GenericClient;
use tracing::{info, warn};
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct StuckJob {
    pub job_id: Uuid,
    pub document_id: Uuid,
    pub state: JobState,
    pub attempt: i32,
    pub correlation_id: String,
    /// When the job entered its current state.
    pub since: DateTime<Utc>,
    /// Re-enqueues by the sweeper since it entered that state.
    pub requeues: i64,
}

/// Open jobs without a live lease that have not moved, nor been re-enqueued, for `stuck_after`.
pub async fn find_stuck(db: &impl GenericClient, stuck_after: Duration, limit: i64) -> StageResult<Vec<StuckJob>> {
    let rows = db
        .query(
            "SELECT j.id, j.document_id, j.state::text, j.attempt, j.correlation_id, j.state_changed_at, r.n
             FROM upload_jobs j
             CROSS JOIN LATERAL (
                 SELECT count(*) AS n, max(e.created_at) AS last FROM job_events e
                 WHERE e.job_id = j.id AND e.kind = 'sweeper_requeued' AND e.created_at >= j.state_changed_at
             ) r
             WHERE j.state NOT IN ('done', 'failed')
               AND coalesce(j.lease_expires_at <= now(), true)
               AND greatest(j.state_changed_at, j.lease_expires_at, r.last) < now() - $1 * interval '1 millisecond'
             ORDER BY j.state_changed_at
             LIMIT $2",
            &[&(stuck_after.as_millis() as f64), &limit],
        )
        .await
        .map_err(|e| StageError::from_db("finding stuck jobs", &e))?;
    rows.iter()
        .map(|r| {
            let state: String = r.get(2);
            Ok(StuckJob {
                job_id: r.get(0),
                document_id: r.get(1),
                state: state.parse().map_err(|e| StageError::permanent("unknown_state", format!("{e}")))?,
                attempt: r.get(3),
                correlation_id: r.get(4),
                since: r.get(5),
                requeues: r.get(6),
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
    pub pruned_environments: u64,
    /// Vectors moved into the HNSW index by this run, and those still waiting after it.
    pub indexed_vectors: u64,
    pub vector_backlog: i64,
}

/// Jobs per sweep; a backlog larger than this is taken over the next runs.
const SWEEP_LIMIT: i64 = 500;

pub async fn sweep(ctx: &Context) -> StageResult<SweepReport> {
    let cfg = &ctx.config.sweep;
    let db = ctx.db.get().await.map_err(|e| StageError::from_pool("sweeping", &e))?;
    let mut report = SweepReport::default();
    for job in find_stuck(&**db, cfg.stuck_after, SWEEP_LIMIT).await? {
        let Some(stage) = job.state.owning_stage() else { continue };
        let msg = StageMessage {
            v: MESSAGE_VERSION,
            job_id: job.job_id,
            document_id: job.document_id,
            stage,
            attempt: job.attempt,
            correlation_id: job.correlation_id.clone(),
        };
        if job.requeues >= i64::from(cfg.max_requeues) {
            let err =
                StageError::permanent("stuck", format!("stuck in {} since {}", job.state, job.since.to_rfc3339()));
            let Some(failed_attempt) = jobs::fail(&**db, job.job_id, stage, Some(job.attempt), &err).await? else {
                report.skipped += 1;
                continue;
            };
            warn!(job_id = %job.job_id, state = %job.state, "stuck job failed");
            let dl = DeadLetter {
                stage,
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
            let detail =
                json!({ "state": job.state.as_str(), "since": job.since.to_rfc3339(), "requeue": job.requeues + 1 });
            jobs::record_event(&**db, job.job_id, "sweeper_requeued", stage, job.attempt, None, detail).await?;
            info!(job_id = %job.job_id, state = %job.state, "stuck job re-enqueued");
            report.requeued.push(job);
        }
    }
    report.pruned_environments = super::registry::prune(&**db, cfg.environment_retention).await?;
    report.indexed_vectors = super::indexer::index_backlog(&**db, cfg.index_budget).await?;
    report.vector_backlog = super::indexer::backlog(&**db).await?;
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
