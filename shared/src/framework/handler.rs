use super::queue::{DeadLetter, delay_redelivery, send_to_dlq};
use super::{Delivery, retry_delay, send_stage_message};
use crate::context::Context;
use crate::db::jobs::{self, Job, Lease};
use crate::error::{ErrorKind, StageError, StageResult, panic_message};
use crate::intake;
use crate::message::{MESSAGE_VERSION, ParseInput, StageMessage};
use crate::metrics::{self, Unit};
use crate::stage::{JobState, Stage};
use crate::stages;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::{FutureExt, StreamExt};
use serde_json::json;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::time::Instant;
use tracing::{Instrument, info, warn};
use uuid::Uuid;

/// How a message was settled when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// This delivery did the stage's work.
    Completed,
    /// The stage had already completed; the next stage's message was sent again.
    Resent,
    /// The job had already moved past this stage.
    AlreadyDone,
    /// Another delivery holds a live lease on the job; its copy of the message will settle it.
    InProgressElsewhere,
}

/// The Lambda handler of every stage: settles each record, reporting the ones to be redelivered.
pub async fn handle_batch(ctx: &Context, stage: Stage, event: SqsEvent) -> SqsBatchResponse {
    ctx.heartbeat().await;
    let failures: Vec<String> = futures::stream::iter(event.records)
        .map(|record| async move {
            settle(ctx, stage, &record).await.then(|| record.message_id.clone().unwrap_or_default())
        })
        .buffer_unordered(ctx.config.batch_concurrency)
        .filter_map(|failed| async move { failed })
        .collect()
        .await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures
        .into_iter()
        .map(|id| {
            let mut f = BatchItemFailure::default();
            f.item_identifier = id;
            f
        })
        .collect();
    response
}

/// What the processing of one message learned before it ended, kept outside the future so that
/// it survives a panic and the failure can still be pinned on the right job.
#[derive(Default)]
struct Progress {
    job: Option<(Uuid, String)>,
    lease_attempt: Option<i32>,
}

/// Returns true when the message must be redelivered (reported in `batchItemFailures`).
async fn settle(ctx: &Context, stage: Stage, record: &SqsMessage) -> bool {
    let delivery = Delivery::from_sqs(record);
    let span = tracing::info_span!(
        "message",
        stage = stage.as_str(),
        message_id = %delivery.message_id,
        receive_count = delivery.receive_count,
        correlation_id = delivery.correlation_id.as_deref().map(tracing::field::display),
        trace_id = delivery.trace_header.as_deref().and_then(trace_root).map(tracing::field::display),
        job_id = tracing::field::Empty,
    );
    async {
        let started = Instant::now();
        let mut values = vec![("ReceiveCount", f64::from(delivery.receive_count), Unit::Count)];
        if let (Some(sent), true) = (delivery.sent_at_ms, delivery.receive_count == 1) {
            let lag_ms = chrono::Utc::now().timestamp_millis() - sent;
            info!(queue_lag_ms = lag_ms, "received");
            values.push(("QueueLag", lag_ms as f64, Unit::Milliseconds));
        }
        let progress = Mutex::new(Progress::default());
        let result =
            AssertUnwindSafe(process(ctx, stage, &delivery, &progress)).catch_unwind().await.unwrap_or_else(|panic| {
                Err(StageError::permanent("panic", format!("handler panicked: {}", panic_message(&*panic))))
            });
        let progress = progress.into_inner().unwrap_or_else(|p| p.into_inner());
        values.push(("MessageDuration", started.elapsed().as_secs_f64() * 1000.0, Unit::Milliseconds));
        match result {
            Ok(outcome) => {
                info!(?outcome, "settled");
                values.push((if outcome == Outcome::Completed { "Completed" } else { "Duplicates" }, 1.0, Unit::Count));
                metrics::emit(&[("Stage", stage.as_str())], &values);
                false
            }
            Err(err) => {
                metrics::emit(&[("Stage", stage.as_str())], &values);
                metrics::emit(
                    &[("Stage", stage.as_str()), ("ErrorKind", err.kind.as_str()), ("ErrorClass", err.class)],
                    &[("Failures", 1.0, Unit::Count)],
                );
                on_error(ctx, stage, &delivery, &progress, err).await
            }
        }
    }
    .instrument(span)
    .await
}

async fn on_error(ctx: &Context, stage: Stage, delivery: &Delivery, progress: &Progress, err: StageError) -> bool {
    let final_receive = delivery.receive_count >= ctx.config.max_receives;
    match err.kind {
        ErrorKind::Poison => {
            warn!(
                error_class = err.class,
                error = %err.message,
                message_correlation_id = delivery.correlation_id.as_deref().unwrap_or("-"),
                "poison message acknowledged"
            );
            false
        }
        ErrorKind::Transient if !final_receive => {
            let delay = retry_delay(delivery.receive_count, err.retry_after);
            warn!(error_class = err.class, error = %err.message, delay_s = delay.as_secs(), "transient failure, will retry");
            if let (Some((job_id, _)), Some(attempt)) = (progress.job.as_ref(), progress.lease_attempt) {
                let detail = json!({ "receive_count": delivery.receive_count, "delay_s": delay.as_secs() });
                if let Err(e) = release(ctx, stage, *job_id, attempt, &err, detail).await {
                    warn!(error = %e, "could not release the lease; it will expire");
                }
            }
            if let Err(e) = delay_redelivery(ctx, stage, delivery, delay).await {
                warn!(error = %e, "could not set the back-off; the queue's visibility timeout applies");
            }
            true
        }
        _ => {
            let err = if err.kind == ErrorKind::Transient {
                StageError::permanent(
                    err.class,
                    format!("gave up after {} receives: {}", delivery.receive_count, err.message),
                )
            } else {
                err
            };
            tracing::error!(error_class = err.class, error = %err.message, "permanent failure, job failed and message dead-lettered");
            let (job_id, correlation_id) = match &progress.job {
                Some((id, c)) => (Some(*id), c.clone()),
                None => (None, delivery.correlation_id.clone().unwrap_or_else(|| delivery.message_id.clone())),
            };
            let mut failed_attempt = None;
            if let Some(job_id) = job_id {
                match fail_job(ctx, stage, job_id, progress.lease_attempt, &err).await {
                    Ok(attempt) => failed_attempt = attempt,
                    Err(e) => {
                        warn!(error = %e, "could not mark the job failed");
                        return true;
                    }
                }
            }
            let dl = DeadLetter {
                stage,
                job_id,
                correlation_id: &correlation_id,
                error: &err,
                attempts: delivery.receive_count,
                failed_attempt,
            };
            match send_to_dlq(ctx, &delivery.body, &dl).await {
                Ok(()) => false,
                Err(e) => {
                    // Left for redelivery: the queue's own redrive policy is the safety net.
                    warn!(error = %e, "could not dead-letter the message");
                    true
                }
            }
        }
    }
}

async fn release(
    ctx: &Context,
    stage: Stage,
    job_id: Uuid,
    attempt: i32,
    err: &StageError,
    detail: serde_json::Value,
) -> StageResult<()> {
    let db = ctx.db.get().await.map_err(|e| StageError::from_pool("releasing lease", &e))?;
    let lease = Lease::fenced(job_id, stage, attempt);
    lease.release_for_retry(&**db, err, detail).await?;
    Ok(())
}

async fn fail_job(
    ctx: &Context,
    stage: Stage,
    job_id: Uuid,
    fence: Option<i32>,
    err: &StageError,
) -> StageResult<Option<i32>> {
    let db = ctx.db.get().await.map_err(|e| StageError::from_pool("failing job", &e))?;
    let attempt = jobs::fail(&**db, job_id, stage, fence, err).await?;
    if attempt.is_none() {
        info!("job was already settled; failure not recorded over it");
    }
    Ok(attempt)
}

async fn process(ctx: &Context, stage: Stage, delivery: &Delivery, progress: &Mutex<Progress>) -> StageResult<Outcome> {
    if stage == Stage::Parse {
        match ParseInput::decode(&delivery.body)? {
            ParseInput::S3(notification) => {
                if notification.event.as_deref() == Some("s3:TestEvent") {
                    return Err(StageError::poison("s3_test_event", "S3 test event"));
                }
                if notification.records.is_empty() {
                    return Err(StageError::poison("empty_notification", "S3 notification without records"));
                }
                let mut outcome = Outcome::AlreadyDone;
                for record in &notification.records {
                    let admitted = intake::admit(ctx, record).await?;
                    let job = admitted.job;
                    note_job(progress, &job);
                    if let Some(rejection) = admitted.rejection {
                        return Err(rejection);
                    }
                    outcome = run_job(ctx, stage, job, delivery, progress).await?;
                }
                return Ok(outcome);
            }
            ParseInput::Stage(msg) => return run_message(ctx, stage, msg, delivery, progress).await,
        }
    }
    let msg = StageMessage::decode(&delivery.body)?;
    run_message(ctx, stage, msg, delivery, progress).await
}

/// The trace id of an X-Ray `AWSTraceHeader` (`Root=1-…;Parent=…;Sampled=…`).
fn trace_root(header: &str) -> Option<&str> {
    header.split(';').find_map(|part| part.trim().strip_prefix("Root="))
}

fn note_job(progress: &Mutex<Progress>, job: &Job) {
    tracing::Span::current().record("job_id", tracing::field::display(job.id));
    tracing::Span::current().record("correlation_id", job.correlation_id.as_str());
    progress.lock().unwrap().job = Some((job.id, job.correlation_id.clone()));
}

async fn run_message(
    ctx: &Context,
    stage: Stage,
    msg: StageMessage,
    delivery: &Delivery,
    progress: &Mutex<Progress>,
) -> StageResult<Outcome> {
    if msg.stage != stage {
        return Err(StageError::poison("wrong_stage", format!("a {} message on the {stage} queue", msg.stage)));
    }
    let job = {
        let db = ctx.db.get().await.map_err(|e| StageError::from_pool("loading job", &e))?;
        jobs::load(&**db, msg.job_id).await?
    }
    .ok_or_else(|| StageError::poison("unknown_job", format!("no job {}", msg.job_id)))?;
    if job.document_id != msg.document_id {
        return Err(StageError::poison(
            "document_mismatch",
            format!("job {} is not for document {}", job.id, msg.document_id),
        ));
    }
    note_job(progress, &job);
    run_job(ctx, stage, job, delivery, progress).await
}

/// Decides from the job's state what this delivery should do, then does it.
async fn run_job(
    ctx: &Context,
    stage: Stage,
    job: Job,
    delivery: &Delivery,
    progress: &Mutex<Progress>,
) -> StageResult<Outcome> {
    let started = Instant::now();
    let running = stage.running_state();
    let done = stage.done_state();
    let job = if job.state == JobState::Failed { reopen_redriven(ctx, stage, job, delivery).await? } else { job };
    if job.state == done {
        resend_next(ctx, stage, &job).await?;
        return Ok(Outcome::Resent);
    }
    let (Some(pos), Some(done_pos)) = (job.state.progress(), done.progress()) else {
        unreachable!("only `failed` has no position and it was handled above");
    };
    if pos > done_pos {
        return Ok(Outcome::AlreadyDone);
    }
    if Some(job.state) == running && job.lease_live {
        return Ok(Outcome::InProgressElsewhere);
    }
    if job.state != stage.ready_state() && Some(job.state) != running {
        return Err(StageError::poison(
            "stale_stage",
            format!("job {} is {}, not ready for {stage}", job.id, job.state),
        ));
    }

    let lease = {
        let db = ctx.db.get().await.map_err(|e| StageError::from_pool("claiming job", &e))?;
        jobs::claim(&**db, &job, stage, &ctx.config.worker_id, ctx.config.lease).await?
    };
    let Some(lease) = lease else {
        return Ok(Outcome::InProgressElsewhere);
    };
    progress.lock().unwrap().lease_attempt = Some(lease.attempt);
    info!(attempt = lease.attempt, "claimed");

    ctx.faults.trigger(stage).await?;
    stages::run(ctx, stage, &lease).await?;

    let send_started = Instant::now();
    if let Some(next) = stage.next() {
        send_stage_message(ctx, &next_message(&lease, next)).await?;
    }
    let overhead = lease.framework_time() + send_started.elapsed();
    ctx.metrics.record_overhead(stage, overhead);
    info!(
        duration_ms = started.elapsed().as_millis() as u64,
        framework_overhead_us = overhead.as_micros() as u64,
        "stage completed"
    );
    Ok(Outcome::Completed)
}

/// A failed job stays failed, unless this is the dead letter of that very failure, moved back by
/// an operator (`ingestctl dlq redrive` or a console redrive): then the job reopens at this stage.
async fn reopen_redriven(ctx: &Context, stage: Stage, job: Job, delivery: &Delivery) -> StageResult<Job> {
    let failed = || StageError::poison("job_failed", format!("job {} has already failed", job.id));
    let Some(attempt) = delivery.failed_attempt else { return Err(failed()) };
    let mut db = ctx.db.get().await.map_err(|e| StageError::from_pool("reopening job", &e))?;
    let detail = json!({ "message_id": delivery.message_id, "receive_count": delivery.receive_count });
    match jobs::reopen(&mut db, &job, stage, attempt, detail).await? {
        Some(reopened) => {
            info!(failed_attempt = attempt, "redriven dead letter reopened its failed job");
            Ok(reopened)
        }
        None => Err(failed()),
    }
}

fn next_message(lease: &Lease, next: Stage) -> StageMessage {
    StageMessage {
        v: MESSAGE_VERSION,
        job_id: lease.job_id,
        document_id: lease.document_id,
        stage: next,
        attempt: lease.attempt,
        correlation_id: lease.correlation_id.clone(),
    }
}

/// The stage committed but its next message may never have been sent (a crash in between):
/// send it again. The next stage's claim makes a duplicate harmless.
async fn resend_next(ctx: &Context, stage: Stage, job: &Job) -> StageResult<()> {
    let Some(next) = stage.next() else { return Ok(()) };
    let lease = Lease::for_job(job, stage, job.attempt);
    send_stage_message(ctx, &next_message(&lease, next)).await?;
    let db = ctx.db.get().await.map_err(|e| StageError::from_pool("recording resend", &e))?;
    jobs::record_event(&**db, job.id, "next_stage_resent", stage, job.attempt, None, json!({ "next": next.as_str() }))
        .await?;
    info!(next = next.as_str(), "stage already complete; next message re-sent");
    Ok(())
}
