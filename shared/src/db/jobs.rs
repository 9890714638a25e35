//! The upload_jobs table: claims (leases fenced by attempt), completion, retry and failure.
//! Transition events are written by the database trigger; the rest of the audit trail here.

use crate::error::{StageError, StageResult};
use crate::stage::{JobState, Stage};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_postgres::GenericClient;
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct Job {
    pub id: Uuid,
    pub document_id: Uuid,
    pub state: JobState,
    pub attempt: i32,
    pub lease_live: bool,
    pub correlation_id: String,
}

pub async fn load(db: &impl GenericClient, id: Uuid) -> StageResult<Option<Job>> {
    let row = db
        .query_opt(
            "SELECT id, document_id, state::text, attempt,
                    coalesce(lease_expires_at > now(), false), correlation_id
             FROM upload_jobs WHERE id = $1",
            &[&id],
        )
        .await
        .map_err(|e| StageError::from_db("loading job", &e))?;
    row.map(|r| {
        let state: String = r.get(2);
        Ok(Job {
            id: r.get(0),
            document_id: r.get(1),
            state: state.parse().map_err(|e| StageError::permanent("unknown_state", format!("{e}")))?,
            attempt: r.get(3),
            lease_live: r.get(4),
            correlation_id: r.get(5),
        })
    })
    .transpose()
}

/// The right to do one stage of one job, for one attempt. Only the holder of the current attempt
/// can complete the stage; a late or concurrent duplicate finds the fence moved.
#[derive(Debug)]
pub struct Lease {
    pub job_id: Uuid,
    pub document_id: Uuid,
    pub stage: Stage,
    pub attempt: i32,
    pub correlation_id: String,
    /// Time spent in the framework's own statements (claim, completion), for the benchmark.
    framework_micros: AtomicU64,
}

impl Lease {
    /// A handle on an attempt someone already holds, for settling it (release, completion).
    pub fn fenced(job_id: Uuid, stage: Stage, attempt: i32) -> Self {
        Lease {
            job_id,
            document_id: Uuid::nil(),
            stage,
            attempt,
            correlation_id: String::new(),
            framework_micros: AtomicU64::new(0),
        }
    }

    pub fn for_job(job: &Job, stage: Stage, attempt: i32) -> Self {
        Lease {
            job_id: job.id,
            document_id: job.document_id,
            stage,
            attempt,
            correlation_id: job.correlation_id.clone(),
            framework_micros: AtomicU64::new(0),
        }
    }

    pub fn add_framework_time(&self, d: Duration) {
        self.framework_micros.fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn framework_time(&self) -> Duration {
        Duration::from_micros(self.framework_micros.load(Ordering::Relaxed))
    }

    /// Moves the job to the stage's done state inside the caller's transaction, which also holds
    /// the stage's results. Fails with `lease_lost` if the attempt was superseded; the caller's
    /// transaction is then dropped and its results rolled back with it.
    pub async fn transition(&self, tx: &tokio_postgres::Transaction<'_>) -> StageResult<()> {
        let started = Instant::now();
        let from = self.stage.running_state().unwrap_or(self.stage.ready_state());
        let n = tx
            .execute(
                "UPDATE upload_jobs
                 SET state = $3::text::job_state, stage = $5, lease_owner = NULL, lease_expires_at = NULL,
                     last_error_class = NULL, last_error = NULL
                 WHERE id = $1 AND attempt = $2 AND state = $4::text::job_state",
                &[&self.job_id, &self.attempt, &self.stage.done_state().as_str(), &from.as_str(), &self.stage.as_str()],
            )
            .await
            .map_err(|e| StageError::from_db("completing stage", &e))?;
        self.add_framework_time(started.elapsed());
        if n != 1 {
            return Err(lease_lost(self));
        }
        Ok(())
    }

    /// `transition`, then commit.
    pub async fn complete(&self, tx: tokio_postgres::Transaction<'_>) -> StageResult<()> {
        self.transition(&tx).await?;
        let started = Instant::now();
        tx.commit().await.map_err(|e| StageError::from_db("committing stage", &e))?;
        self.add_framework_time(started.elapsed());
        Ok(())
    }

    /// Gives the job back after a transient failure so the redelivered message can re-claim it
    /// at once instead of waiting for the lease to run out.
    pub async fn release_for_retry(
        &self,
        db: &impl GenericClient,
        err: &StageError,
        detail: Value,
    ) -> StageResult<bool> {
        let Some(running) = self.stage.running_state() else { return Ok(false) };
        let n = db
            .execute(
                "UPDATE upload_jobs SET lease_expires_at = now(), last_error_class = $3, last_error = $4
                 WHERE id = $1 AND attempt = $2 AND state = $5::text::job_state",
                &[&self.job_id, &self.attempt, &err.class, &err.message, &running.as_str()],
            )
            .await
            .map_err(|e| StageError::from_db("releasing lease", &e))?;
        if n == 1 {
            record_event(db, self.job_id, "retry_scheduled", self.stage, self.attempt, Some(err), detail).await?;
        }
        Ok(n == 1)
    }
}

pub fn lease_lost(lease: &Lease) -> StageError {
    StageError::poison(
        "lease_lost",
        format!("attempt {} of job {} was superseded before it completed", lease.attempt, lease.job_id),
    )
}

/// Claims the job for `stage`: from its ready state, or from its running state once the previous
/// holder's lease has expired. Returns `None` when someone else holds it or already moved it on.
pub async fn claim(
    db: &impl GenericClient,
    job: &Job,
    stage: Stage,
    owner: &str,
    lease: Duration,
) -> StageResult<Option<Lease>> {
    let started = Instant::now();
    let Some(running) = stage.running_state() else {
        // Finalize does its work and its transition in one transaction; its fence is the
        // attempt it read, checked again by `Lease::complete`.
        return Ok((job.state == stage.ready_state()).then(|| Lease::for_job(job, stage, job.attempt)));
    };
    let lease_ms = lease.as_millis() as f64;
    let row = db
        .query_opt(
            "UPDATE upload_jobs
             SET state = $3::text::job_state, stage = $4, attempt = attempt + 1, lease_owner = $5,
                 lease_expires_at = now() + $6 * interval '1 millisecond'
             WHERE id = $1
               AND (state = $2::text::job_state
                    OR (state = $3::text::job_state AND coalesce(lease_expires_at <= now(), true)))
             RETURNING attempt",
            &[&job.id, &stage.ready_state().as_str(), &running.as_str(), &stage.as_str(), &owner, &lease_ms],
        )
        .await
        .map_err(|e| StageError::from_db("claiming job", &e))?;
    Ok(row.map(|r| {
        let l = Lease::for_job(job, stage, r.get(0));
        l.add_framework_time(started.elapsed());
        l
    }))
}

/// Marks the job failed. With a fence, only if the attempt still matches, so a late duplicate's
/// failure cannot undo a newer attempt's success. Returns the attempt the job failed at, which
/// the DLQ copy carries so that only a redrive of this failure can reopen the job.
pub async fn fail(
    db: &impl GenericClient,
    job_id: Uuid,
    stage: Stage,
    fence: Option<i32>,
    err: &StageError,
) -> StageResult<Option<i32>> {
    let row = db
        .query_opt(
            "UPDATE upload_jobs
             SET state = 'failed', stage = $2, last_error_class = $3, last_error = $4,
                 lease_owner = NULL, lease_expires_at = NULL
             WHERE id = $1 AND state NOT IN ('done', 'failed') AND ($5::int IS NULL OR attempt = $5)
             RETURNING attempt",
            &[&job_id, &stage.as_str(), &err.class, &err.message, &fence],
        )
        .await
        .map_err(|e| StageError::from_db("failing job", &e))?;
    Ok(row.map(|r| r.get(0)))
}

/// Reopens a job that failed in `stage` at `failed_attempt`, back to the stage's ready state, for
/// a dead letter an operator redrove. Fenced by the attempt: a copy of an older failure, or a
/// second copy of this one after the job was claimed again, reopens nothing.
pub async fn reopen(
    db: &mut tokio_postgres::Client,
    job: &Job,
    stage: Stage,
    failed_attempt: i32,
    detail: Value,
) -> StageResult<Option<Job>> {
    let tx = db.transaction().await.map_err(|e| StageError::from_db("reopening job", &e))?;
    let n = tx
        .execute(
            "UPDATE upload_jobs
             SET state = $4::text::job_state, last_error_class = NULL, last_error = NULL
             WHERE id = $1 AND state = 'failed' AND stage = $2 AND attempt = $3",
            &[&job.id, &stage.as_str(), &failed_attempt, &stage.ready_state().as_str()],
        )
        .await
        .map_err(|e| StageError::from_db("reopening job", &e))?;
    if n != 1 {
        return Ok(None);
    }
    record_event(&tx, job.id, "redriven", stage, failed_attempt, None, detail).await?;
    tx.commit().await.map_err(|e| StageError::from_db("reopening job", &e))?;
    load(&*db, job.id).await
}

/// Appends a non-transition event (retries, re-sends, completion) to the audit trail.
pub async fn record_event(
    db: &impl GenericClient,
    job_id: Uuid,
    kind: &str,
    stage: Stage,
    attempt: i32,
    err: Option<&StageError>,
    detail: Value,
) -> StageResult<()> {
    db.execute(
        "INSERT INTO job_events (job_id, document_id, kind, stage, attempt, correlation_id,
                                 error_class, error_message, detail)
         SELECT id, document_id, $2, $3, $4, correlation_id, $5, $6, $7
         FROM upload_jobs WHERE id = $1",
        &[&job_id, &kind, &stage.as_str(), &attempt, &err.map(|e| e.class), &err.map(|e| e.message.as_str()), &detail],
    )
    .await
    .map_err(|e| StageError::from_db("recording event", &e))?;
    Ok(())
}
