//! A failed message, settled by what `decide::settle` says: back off and redeliver, dead-letter
//! (failing its job first), or acknowledge.

use super::Delivery;
use super::backoff::{SQS_MAX_VISIBILITY, retry_delay};
use super::decide::{FailureContext, Settlement, settle};
use super::process::Progress;
use super::queue::{DeadLetter, delay_redelivery, send_to_dlq};
use crate::context::Context;
use crate::db::jobs;
use crate::error::{DbResultExt, ErrorKind, StageError};
use crate::pipeline::StageSpec;
use serde_json::json;
use std::time::Duration;
use tracing::{debug, error, info, warn};

/// Returns true when the message must be redelivered.
pub(crate) async fn on_failure(
    ctx: &Context,
    spec: &'static StageSpec,
    delivery: &Delivery,
    progress: &Progress,
    err: StageError,
    now_ms: i64,
) -> bool {
    let failure = FailureContext {
        message_id: &delivery.message_id,
        receive_count: delivery.receive_count,
        // This failure included, when a lease recorded the ones before it.
        tries: progress.lease.as_ref().filter(|l| l.spec.running.is_some()).map(|l| l.tries + 1),
        age: delivery.age(now_ms),
    };
    let detail = err.detail();
    match settle(&err, &failure, &ctx.config.retry) {
        Settlement::Acknowledge => {
            if err.class.is_duplicate_race() {
                debug!(error_class = %err.class, error = %detail, "duplicate delivery settled");
            } else {
                warn!(error_class = %err.class, error = %detail, "unusable message acknowledged");
            }
            false
        }
        Settlement::Retry(delay) => {
            warn!(error_class = %err.class, error = %detail, delay_s = delay.as_secs(), kind = err.kind().as_str(), "will retry");
            let delay = match release(ctx, progress, &err, delay, delivery).await {
                Ok(()) => delay,
                Err(e) => {
                    // The lease stays live until it runs out: come back after it, not into it.
                    warn!(error = %e.detail(), "could not release the lease; backing off past it");
                    delay.max(ctx.config.lease + ctx.config.retry.lease_margin)
                }
            };
            if let Err(e) = delay_redelivery(ctx, spec.name, delivery, delay).await {
                warn!(error = %e.detail(), "could not set the back-off; the queue's visibility timeout applies");
            }
            true
        }
        Settlement::DeadLetter(final_err) => dead_letter(ctx, spec, delivery, progress, &final_err).await,
    }
}

/// Parks a leased job until its message returns; only the document's own failure is charged.
async fn release(
    ctx: &Context,
    progress: &Progress,
    err: &StageError,
    delay: Duration,
    delivery: &Delivery,
) -> Result<(), StageError> {
    let Some(lease) = progress.lease.as_ref() else { return Ok(()) };
    let db = ctx.db.get().await.db("releasing lease")?;
    let detail = json!({ "receive_count": delivery.receive_count, "delay_s": delay.as_secs() });
    let charged = err.kind() == ErrorKind::Transient;
    lease.release_for_retry(&**db, err, delay, charged, detail).await?;
    Ok(())
}

async fn dead_letter(
    ctx: &Context,
    spec: &'static StageSpec,
    delivery: &Delivery,
    progress: &Progress,
    err: &StageError,
) -> bool {
    let mut failed_attempt = None;
    let correlation_id = match &progress.job {
        Some(job) => {
            let fence = progress.lease.as_ref().map_or(job.attempt, |l| l.attempt);
            let failed = match ctx.db.get().await.db("failing job") {
                Ok(db) => jobs::fail(&**db, job.id, spec.name, Some(fence), err).await,
                Err(e) => Err(e),
            };
            match failed {
                Ok(Some(attempt)) => failed_attempt = Some(attempt),
                Ok(None) => {
                    // Settled by another delivery (or already failed by a copy of this one):
                    // one dead letter per failure is enough.
                    info!(error_class = %err.class, "job already settled; not dead-lettered again");
                    return false;
                }
                Err(e) => {
                    // The job must say why before its message leaves the queue: retry the
                    // settlement once the database is back.
                    warn!(error = %e.detail(), "could not mark the job failed; will retry");
                    let delay = retry_delay(delivery.receive_count, None, 0.0).min(SQS_MAX_VISIBILITY);
                    let _ = delay_redelivery(ctx, spec.name, delivery, delay).await;
                    return true;
                }
            }
            job.correlation_id.clone()
        }
        None if err.kind() == ErrorKind::Unavailable => {
            // No job row exists to say why; never dead-letter such a message ourselves. The
            // queue's redrive policy is the last resort.
            warn!(error = %err.detail(), "outage budget spent before the message reached a job; retrying");
            let _ = delay_redelivery(ctx, spec.name, delivery, super::backoff::CAP).await;
            return true;
        }
        None => delivery.correlation_id.clone().unwrap_or_else(|| delivery.message_id.clone()),
    };
    error!(error_class = %err.class, error = %err.detail(), "failed; message dead-lettered");
    let dl = DeadLetter {
        stage: spec.name,
        job_id: progress.job.as_ref().map(|j| j.id),
        correlation_id: &correlation_id,
        error: err,
        attempts: delivery.receive_count,
        failed_attempt,
    };
    match send_to_dlq(ctx, &delivery.body, &dl).await {
        Ok(()) => false,
        Err(e) => {
            // Left for redelivery: the job is failed already, so the next copy only retries this.
            warn!(error = %e.detail(), "could not dead-letter the message");
            true
        }
    }
}
