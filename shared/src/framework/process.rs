//! One message, start to end: read it (the stage's intake), decide from each job's state, claim,
//! run the stage under a renewed lease, then send the next stage's message.

use super::decide::{Decision, decide};
use super::message::StageMessage;
use super::queue::send_stage_message;
use super::{AnyStage, Delivery};
use crate::context::Context;
use crate::db::jobs::{self, Job, Lease};
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use serde_json::json;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tracing::{debug, info, warn};

/// How a message was settled when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// This delivery did the stage's work.
    Completed,
    /// The stage had already completed; the next stage's message was sent again.
    Resent,
    /// The job had already moved past this stage.
    AlreadyDone,
    /// The delivery named no job to run (its intake did all there was to do).
    Handled,
    /// Another delivery holds a live lease on the job: this one comes back after the wait.
    Deferred(Duration),
}

/// What the processing of one message learned before it ended, kept outside the future so that
/// it survives a panic and the failure can still be pinned on the right job and attempt.
#[derive(Default)]
pub(crate) struct Progress {
    pub job: Option<Job>,
    pub lease: Option<Lease>,
}

fn note_job(progress: &Mutex<Progress>, job: &Job) {
    tracing::Span::current().record("job_id", tracing::field::display(job.id));
    tracing::Span::current().record("correlation_id", job.correlation_id.as_str());
    lock(progress).job = Some(job.clone());
}

fn lock(progress: &Mutex<Progress>) -> std::sync::MutexGuard<'_, Progress> {
    progress.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) async fn process(
    ctx: &Context,
    stage: &dyn AnyStage,
    delivery: &Delivery,
    progress: &Mutex<Progress>,
) -> StageResult<Outcome> {
    let work = stage.intake(ctx, delivery).await?;
    let mut outcome = Outcome::Handled;
    for w in work {
        note_job(progress, &w.job);
        if let Some(refusal) = w.refusal {
            return Err(refusal);
        }
        outcome = run_job(ctx, stage, w.job, delivery, progress).await?;
        if matches!(outcome, Outcome::Deferred(_)) {
            break;
        }
    }
    Ok(outcome)
}

async fn run_job(
    ctx: &Context,
    stage: &dyn AnyStage,
    mut job: Job,
    delivery: &Delivery,
    progress: &Mutex<Progress>,
) -> StageResult<Outcome> {
    let spec = stage.spec();
    // At most: a reopen, then a claim that loses a race, then one look at the winner's lease.
    for _ in 0..3 {
        match decide(&job, spec, delivery.redrive_attempt, &ctx.config.retry) {
            Decision::Claim => {
                let lease = {
                    let db = ctx.db.get().await.db("claiming job")?;
                    jobs::claim(&**db, &job, spec, &ctx.config.worker_id, ctx.config.lease).await?
                };
                match lease {
                    Some(lease) => return run_claimed(ctx, stage, lease, progress).await,
                    None => job = reload(ctx, &job).await?,
                }
            }
            Decision::ResendNext => {
                resend_next(ctx, &job, spec).await?;
                return Ok(Outcome::Resent);
            }
            Decision::AlreadyDone => return Ok(Outcome::AlreadyDone),
            Decision::Wait(wait) => return Ok(Outcome::Deferred(wait)),
            Decision::Reopen { failed_attempt } => {
                let mut db = ctx.db.get().await.db("reopening job")?;
                let detail = json!({ "message_id": delivery.message_id, "receive_count": delivery.receive_count });
                match jobs::reopen(&mut db, &job, spec, failed_attempt, detail).await? {
                    Some(reopened) => {
                        info!(failed_attempt, "redriven dead letter reopened its failed job");
                        job = reopened;
                        note_job(progress, &job);
                    }
                    None => job = reload(ctx, &job).await?,
                }
            }
            Decision::GiveUp(err) | Decision::Skip(err) => return Err(err),
        }
    }
    Ok(Outcome::Deferred(ctx.config.retry.lease_margin))
}

async fn reload(ctx: &Context, job: &Job) -> StageResult<Job> {
    let db = ctx.db.get().await.db("loading job")?;
    jobs::load(&**db, job.id)
        .await?
        .ok_or_else(|| StageError::new(ErrorClass::JobVanished, format!("job {} disappeared", job.id)))
}

async fn run_claimed(
    ctx: &Context,
    stage: &dyn AnyStage,
    lease: Lease,
    progress: &Mutex<Progress>,
) -> StageResult<Outcome> {
    let started = Instant::now();
    lock(progress).lease = Some(lease.clone());
    debug!(attempt = lease.attempt, tries = lease.tries, "claimed");
    tokio::select! {
        biased;
        result = stage.run(ctx, &lease) => result?,
        never = keep_alive(ctx, &lease) => match never {},
    }
    if let Some(next) = lease.spec.next {
        send_stage_message(ctx, &next_message(&lease, next)).await?;
    }
    info!(attempt = lease.attempt, duration_ms = started.elapsed().as_millis() as u64, "stage completed");
    Ok(Outcome::Completed)
}

/// Renews the lease every third of its length while the stage runs, so that a handler that
/// dies leaves its job for others within one lease, while a slow one keeps it. Stops renewing
/// once the attempt is no longer this one's; the stage's own completion is fenced anyway.
async fn keep_alive(ctx: &Context, lease: &Lease) -> std::convert::Infallible {
    let every = ctx.config.lease / 3;
    let mut renewing = lease.spec.running.is_some();
    loop {
        tokio::time::sleep(every).await;
        if !renewing {
            continue;
        }
        let renewed = match ctx.db.get().await.db("renewing lease") {
            Ok(db) => lease.renew(&**db, ctx.config.lease).await,
            Err(e) => Err(e),
        };
        match renewed {
            Ok(true) => {}
            Ok(false) => {
                info!("lease taken over by another delivery; this attempt can no longer complete");
                renewing = false;
            }
            Err(e) => warn!(error = %e.detail(), "lease not renewed; trying again"),
        }
    }
}

fn next_message(lease: &Lease, next: &str) -> StageMessage {
    StageMessage::new(lease.job_id, lease.document_id, next, lease.attempt, &lease.correlation_id)
}

/// The stage committed but its next message may never have been sent (a crash in between):
/// send it again. The next stage's claim makes a duplicate harmless.
async fn resend_next(ctx: &Context, job: &Job, spec: &crate::pipeline::StageSpec) -> StageResult<()> {
    let Some(next) = spec.next else { return Ok(()) };
    send_stage_message(ctx, &StageMessage::new(job.id, job.document_id, next, job.attempt, &job.correlation_id))
        .await?;
    let db = ctx.db.get().await.db("recording resend")?;
    jobs::record_event(&**db, job.id, "next_stage_resent", spec.name, job.attempt, None, json!({ "next": next }))
        .await?;
    info!(next, "stage already complete; next message re-sent");
    Ok(())
}
