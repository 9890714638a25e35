//! The upload_jobs table: claims (leases fenced by attempt, renewed by heartbeats), completion,
//! retry and failure. Transition events are written by the database trigger; the rest of the
//! audit trail here.

use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use crate::pipeline::{JobState, StageSpec};
use serde_json::Value;
use std::time::Duration;
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct Job {
    pub id: Uuid,
    pub document_id: Uuid,
    /// The document's owner (from its key), carried onto every row the job writes.
    pub owner: String,
    pub state: JobState,
    /// The stage that last claimed, completed or failed the job.
    pub stage: String,
    pub attempt: i32,
    /// The document's own failures at its current stage (outages are not counted).
    pub tries: i32,
    /// Claims taken at its current stage; bounds handlers that die holding it.
    pub claims: i32,
    /// Set while a lease is live: how long it has left.
    pub lease_remaining: Option<Duration>,
    pub correlation_id: String,
    pub last_error_class: Option<String>,
    pub last_error: Option<String>,
}

const JOB_COLUMNS: &str = "id, document_id, (SELECT owner FROM documents d WHERE d.id = document_id) AS owner,
    state::text AS state, stage, attempt, tries, claims,
    CASE WHEN lease_expires_at > now() THEN extract(epoch FROM lease_expires_at - now())::float8 END AS lease_left,
    correlation_id, last_error_class, last_error";

fn job_from_row(r: &Row) -> StageResult<Job> {
    let state: &str = r.get("state");
    Ok(Job {
        id: r.get("id"),
        document_id: r.get("document_id"),
        owner: r.get::<_, Option<String>>("owner").unwrap_or_default(),
        state: state.parse().map_err(|e| StageError::new(ErrorClass::UnknownState, "reading a job").with_source(e))?,
        stage: r.get("stage"),
        attempt: r.get("attempt"),
        tries: r.get("tries"),
        claims: r.get("claims"),
        lease_remaining: r.get::<_, Option<f64>>("lease_left").map(|s| Duration::from_secs_f64(s.max(0.0))),
        correlation_id: r.get("correlation_id"),
        last_error_class: r.get("last_error_class"),
        last_error: r.get("last_error"),
    })
}

pub async fn load(db: &impl GenericClient, id: Uuid) -> StageResult<Option<Job>> {
    let row = db
        .query_opt(&format!("SELECT {JOB_COLUMNS} FROM upload_jobs WHERE id = $1"), &[&id])
        .await
        .db("loading job")?;
    row.as_ref().map(job_from_row).transpose()
}

/// The right to do one stage of one job, for one attempt. Only the holder of the current attempt
/// can complete the stage; a late or concurrent duplicate finds the fence moved.
#[derive(Clone, Debug)]
pub struct Lease {
    pub job_id: Uuid,
    pub document_id: Uuid,
    pub owner: String,
    pub spec: &'static StageSpec,
    pub attempt: i32,
    /// The document's failures at this stage before this attempt.
    pub tries: i32,
    pub correlation_id: String,
}

impl Lease {
    /// A handle on an attempt someone already holds, for settling it (release, completion).
    pub fn fenced(job_id: Uuid, spec: &'static StageSpec, attempt: i32) -> Self {
        Lease {
            job_id,
            document_id: Uuid::nil(),
            owner: String::new(),
            spec,
            attempt,
            tries: 0,
            correlation_id: String::new(),
        }
    }

    /// Moves the job to the stage's done state inside the caller's transaction, which also holds
    /// the stage's results. Fails with `lease_lost` if the attempt was superseded; the caller's
    /// transaction is then dropped and its results rolled back with it.
    pub async fn transition(&self, tx: &tokio_postgres::Transaction<'_>) -> StageResult<()> {
        let from = self.spec.running.unwrap_or(self.spec.ready);
        let n = tx
            .execute(
                "UPDATE upload_jobs
                 SET state = $3::text::job_state, stage = $5, tries = 0, claims = 0, lease_owner = NULL,
                     lease_expires_at = NULL,
                     last_error_class = NULL, last_error = NULL
                 WHERE id = $1 AND attempt = $2 AND state = $4::text::job_state",
                &[&self.job_id, &self.attempt, &self.spec.done.as_str(), &from.as_str(), &self.spec.name],
            )
            .await
            .db("completing stage")?;
        if n != 1 {
            return Err(lease_lost(self));
        }
        Ok(())
    }

    /// `transition`, then commit.
    pub async fn complete(&self, tx: tokio_postgres::Transaction<'_>) -> StageResult<()> {
        self.transition(&tx).await?;
        tx.commit().await.db("committing stage")
    }

    /// Extends a live lease; false when the attempt is no longer this one's.
    pub async fn renew(&self, db: &impl GenericClient, lease: Duration) -> StageResult<bool> {
        let Some(running) = self.spec.running else { return Ok(true) };
        let n = db
            .execute(
                "UPDATE upload_jobs SET lease_expires_at = now() + $4 * interval '1 millisecond'
                 WHERE id = $1 AND attempt = $2 AND state = $3::text::job_state",
                &[&self.job_id, &self.attempt, &running.as_str(), &(lease.as_millis() as f64)],
            )
            .await
            .db("renewing lease")?;
        Ok(n == 1)
    }

    /// Parks the job until its message comes back after `delay`, so that only that delivery (or
    /// the sweeper, if it never comes) picks it up again. A failure of the document's own
    /// processing is `charged` to its tries; an outage is not.
    pub async fn release_for_retry(
        &self,
        db: &impl GenericClient,
        err: &StageError,
        delay: Duration,
        charged: bool,
        detail: Value,
    ) -> StageResult<bool> {
        let Some(running) = self.spec.running else { return Ok(false) };
        // A second early, so the redelivery never finds its own parked lease still live.
        let park_ms = delay.saturating_sub(Duration::from_secs(1)).as_millis() as f64;
        let n = db
            .execute(
                "UPDATE upload_jobs
                 SET lease_expires_at = now() + $6 * interval '1 millisecond', last_error_class = $3,
                     last_error = $4, tries = tries + $7
                 WHERE id = $1 AND attempt = $2 AND state = $5::text::job_state",
                &[
                    &self.job_id,
                    &self.attempt,
                    &err.class.as_str(),
                    &err.detail(),
                    &running.as_str(),
                    &park_ms,
                    &i32::from(charged),
                ],
            )
            .await
            .db("releasing lease")?;
        if n == 1 {
            record_event(db, self.job_id, "retry_scheduled", self.spec.name, self.attempt, Some(err), detail).await?;
        }
        Ok(n == 1)
    }
}

pub fn lease_lost(lease: &Lease) -> StageError {
    StageError::new(
        ErrorClass::LeaseLost,
        format!("attempt {} of job {} was superseded before it completed", lease.attempt, lease.job_id),
    )
}

/// Claims the job for a stage: from its ready state, or from its running state once the
/// previous holder's lease has run out. Returns `None` when someone else holds it or moved it on.
pub async fn claim(
    db: &impl GenericClient,
    job: &Job,
    spec: &'static StageSpec,
    owner: &str,
    lease: Duration,
) -> StageResult<Option<Lease>> {
    let Some(running) = spec.running else {
        // Nothing to lease: the stage does its work and its transition in one transaction,
        // fenced by the attempt it read.
        return Ok((job.state == spec.ready).then(|| Lease {
            job_id: job.id,
            document_id: job.document_id,
            owner: job.owner.clone(),
            spec,
            attempt: job.attempt,
            tries: job.tries,
            correlation_id: job.correlation_id.clone(),
        }));
    };
    let row = db
        .query_opt(
            "UPDATE upload_jobs
             SET state = $3::text::job_state, stage = $4, attempt = attempt + 1, claims = claims + 1, lease_owner = $5,
                 lease_expires_at = now() + $6 * interval '1 millisecond'
             WHERE id = $1
               AND (state = $2::text::job_state
                    OR (state = $3::text::job_state AND coalesce(lease_expires_at <= now(), true)))
             RETURNING attempt, tries",
            &[&job.id, &spec.ready.as_str(), &running.as_str(), &spec.name, &owner, &(lease.as_millis() as f64)],
        )
        .await
        .db("claiming job")?;
    Ok(row.map(|r| Lease {
        job_id: job.id,
        document_id: job.document_id,
        owner: job.owner.clone(),
        spec,
        attempt: r.get(0),
        tries: r.get(1),
        correlation_id: job.correlation_id.clone(),
    }))
}

/// Marks the job failed. With a fence, only if the attempt still matches, so a late duplicate's
/// failure cannot undo a newer attempt's success. Returns the attempt the job failed at, which
/// the DLQ copy carries so that only a redrive of this failure can reopen the job; `None` when
/// the job was already settled (done, failed, or moved on past the fence).
pub async fn fail(
    db: &impl GenericClient,
    job_id: Uuid,
    stage: &str,
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
            &[&job_id, &stage, &err.class.as_str(), &err.detail(), &fence],
        )
        .await
        .db("failing job")?;
    Ok(row.map(|r| r.get(0)))
}

/// Reopens a job that failed in `stage` at `failed_attempt`, back to the stage's ready state, for
/// a dead letter an operator redrove. Fenced by the attempt: a copy of an older failure, or a
/// second copy of this one after the job was claimed again, reopens nothing.
pub async fn reopen(
    db: &mut tokio_postgres::Client,
    job: &Job,
    spec: &StageSpec,
    failed_attempt: i32,
    detail: Value,
) -> StageResult<Option<Job>> {
    let tx = db.transaction().await.db("reopening job")?;
    let n = tx
        .execute(
            "UPDATE upload_jobs
             SET state = $4::text::job_state, tries = 0, claims = 0, last_error_class = NULL, last_error = NULL
             WHERE id = $1 AND state = 'failed' AND stage = $2 AND attempt = $3",
            &[&job.id, &spec.name, &failed_attempt, &spec.ready.as_str()],
        )
        .await
        .db("reopening job")?;
    if n != 1 {
        return Ok(None);
    }
    record_event(&tx, job.id, "redriven", spec.name, failed_attempt, None, detail).await?;
    tx.commit().await.db("reopening job")?;
    load(&*db, job.id).await
}

/// Appends a non-transition event (retries, re-sends, completion) to the audit trail.
pub async fn record_event(
    db: &impl GenericClient,
    job_id: Uuid,
    kind: &str,
    stage: &str,
    attempt: i32,
    err: Option<&StageError>,
    detail: Value,
) -> StageResult<()> {
    db.execute(
        "INSERT INTO job_events (job_id, document_id, owner, kind, stage, attempt, correlation_id,
                                 error_class, error_message, detail)
         SELECT j.id, j.document_id, d.owner, $2, $3, $4, j.correlation_id, $5, $6, $7
         FROM upload_jobs j JOIN documents d ON d.id = j.document_id WHERE j.id = $1",
        &[&job_id, &kind, &stage, &attempt, &err.map(|e| e.class.as_str()), &err.map(|e| e.detail()), &detail],
    )
    .await
    .db("recording event")?;
    Ok(())
}
