//! The batch mechanics every stage's Lambda shares: each record of an SQS event is settled on its
//! own (a panic in one is caught and classified), and the ones to be redelivered come back in
//! `batchItemFailures`.

use super::process::{Outcome, Progress, process};
use super::queue::delay_redelivery;
use super::settle::on_failure;
use super::{AnyStage, Delivery};
use crate::context::Context;
use crate::error::{ErrorClass, StageError, panic_message};
use crate::metrics::{self, Unit};
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::{FutureExt, StreamExt};
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::time::Instant;
use tracing::{Instrument, debug, info, warn};

/// The Lambda handler of every stage.
pub async fn handle_batch(ctx: &Context, stage: &dyn AnyStage, event: SqsEvent) -> SqsBatchResponse {
    ctx.heartbeat().await;
    let failures: Vec<String> = futures::stream::iter(event.records)
        .map(|record| async move {
            let redeliver = settle_record(ctx, stage, &record).await;
            redeliver.then(|| record.message_id.clone().unwrap_or_default())
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

/// Returns true when the message must be redelivered.
async fn settle_record(ctx: &Context, stage: &dyn AnyStage, record: &SqsMessage) -> bool {
    let delivery = Delivery::from_sqs(record);
    let spec = stage.spec();
    // At ERROR level so that it is enabled, and its ids are on every event inside it, whatever
    // level the logs are filtered at.
    let span = tracing::error_span!(
        "message",
        stage = spec.name,
        message_id = %delivery.message_id,
        receive_count = delivery.receive_count,
        correlation_id = delivery.correlation_id.as_deref().map(tracing::field::display),
        trace_id = delivery.trace_id().map(tracing::field::display),
        job_id = tracing::field::Empty,
    );
    async {
        let started = Instant::now();
        let now_ms = chrono::Utc::now().timestamp_millis();
        let mut values = vec![("ReceiveCount", f64::from(delivery.receive_count), Unit::Count)];
        if delivery.receive_count == 1 && delivery.sent_at_ms.is_some() {
            let lag = delivery.age(now_ms);
            debug!(queue_lag_ms = lag.as_millis() as u64, "received");
            values.push(("QueueLag", lag.as_secs_f64() * 1000.0, Unit::Milliseconds));
        }
        let progress = Mutex::new(Progress::default());
        let result =
            AssertUnwindSafe(process(ctx, stage, &delivery, &progress)).catch_unwind().await.unwrap_or_else(|panic| {
                Err(StageError::new(ErrorClass::Panic, format!("handler panicked: {}", panic_message(&*panic))))
            });
        let progress = progress.into_inner().unwrap_or_else(|p| p.into_inner());
        values.push(("MessageDuration", started.elapsed().as_secs_f64() * 1000.0, Unit::Milliseconds));
        let redeliver = match result {
            Ok(Outcome::Deferred(wait)) => {
                // Another delivery holds the job: come back when its lease ends, in case it died.
                info!(wait_s = wait.as_secs(), "job leased by another delivery; deferred");
                if let Err(e) = delay_redelivery(ctx, spec.name, &delivery, wait).await {
                    warn!(error = %e.detail(), "could not defer; the queue's visibility timeout applies");
                }
                values.push(("Deferred", 1.0, Unit::Count));
                true
            }
            Ok(outcome) => {
                info!(?outcome, "settled");
                values.push((if outcome == Outcome::Completed { "Completed" } else { "Duplicates" }, 1.0, Unit::Count));
                false
            }
            Err(err) => {
                metrics::emit(
                    &[("Stage", spec.name), ("ErrorKind", err.kind().as_str()), ("ErrorClass", err.class.as_str())],
                    &[("Failures", 1.0, Unit::Count)],
                );
                on_failure(ctx, spec, &delivery, &progress, err, now_ms).await
            }
        };
        metrics::emit(&[("Stage", spec.name)], &values);
        redeliver
    }
    .instrument(span)
    .await
}
