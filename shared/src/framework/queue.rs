//! The framework's SQS calls: next-stage messages, DLQ copies, visibility changes.

use crate::context::Context;
use crate::error::{StageError, StageResult, classify_sdk_error};
use crate::framework::Delivery;
use crate::message::{StageMessage, attr};
use crate::stage::Stage;
use aws_sdk_sqs::types::MessageAttributeValue;
use std::time::Duration;

fn string_attr(value: impl Into<String>) -> MessageAttributeValue {
    MessageAttributeValue::builder().data_type("String").string_value(value).build().expect("data type is set")
}

fn number_attr(value: impl ToString) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("Number")
        .string_value(value.to_string())
        .build()
        .expect("data type is set")
}

fn config_error(e: anyhow::Error) -> StageError {
    StageError::transient("misconfigured", e.to_string())
}

pub async fn send_stage_message(ctx: &Context, msg: &StageMessage) -> StageResult<()> {
    let url = ctx.config.queues.url(msg.stage).map_err(config_error)?;
    ctx.sqs
        .send_message()
        .queue_url(url)
        .message_body(msg.to_body())
        .message_attributes(attr::CORRELATION_ID, string_attr(&msg.correlation_id))
        .message_attributes(attr::JOB_ID, string_attr(msg.job_id.to_string()))
        .message_attributes(attr::STAGE, string_attr(msg.stage.as_str()))
        .send()
        .await
        .map_err(|e| classify_sdk_error(&format!("sending {} message", msg.stage), &e))?;
    Ok(())
}

/// What an operator needs to understand a dead letter without opening the database.
pub struct DeadLetter<'a> {
    pub stage: Stage,
    pub job_id: Option<uuid::Uuid>,
    pub correlation_id: &'a str,
    pub error: &'a StageError,
    pub attempts: u32,
    /// The job's attempt when this delivery failed it; absent when the job was not failed here.
    pub failed_attempt: Option<i32>,
}

/// SQS caps attribute values far above this; the database keeps the full text.
const MAX_ERROR_ATTR_CHARS: usize = 1024;

pub async fn send_to_dlq(ctx: &Context, body: &str, dl: &DeadLetter<'_>) -> StageResult<()> {
    let dlq = ctx.config.queues.dlq_url(dl.stage).map_err(config_error)?;
    let source = ctx.config.queues.url(dl.stage).map_err(config_error)?;
    let message: String = dl.error.message.chars().take(MAX_ERROR_ATTR_CHARS).collect();
    let mut req = ctx
        .sqs
        .send_message()
        .queue_url(dlq)
        .message_body(body)
        .message_attributes(attr::STAGE, string_attr(dl.stage.as_str()))
        .message_attributes(attr::ERROR_KIND, string_attr(dl.error.kind.as_str()))
        .message_attributes(attr::ERROR_CLASS, string_attr(dl.error.class))
        .message_attributes(attr::ERROR_MESSAGE, string_attr(if message.is_empty() { "-".into() } else { message }))
        .message_attributes(attr::ATTEMPTS, number_attr(dl.attempts))
        .message_attributes(attr::CORRELATION_ID, string_attr(dl.correlation_id))
        .message_attributes(attr::SOURCE_QUEUE, string_attr(source))
        .message_attributes(attr::FAILED_AT, string_attr(chrono::Utc::now().to_rfc3339()));
    if let Some(job) = dl.job_id {
        req = req.message_attributes(attr::JOB_ID, string_attr(job.to_string()));
    }
    if let Some(attempt) = dl.failed_attempt {
        req = req.message_attributes(attr::JOB_ATTEMPT, number_attr(attempt));
    }
    req.send().await.map_err(|e| classify_sdk_error(&format!("sending to the {} DLQ", dl.stage), &e))?;
    Ok(())
}

pub async fn delay_redelivery(ctx: &Context, stage: Stage, delivery: &Delivery, delay: Duration) -> StageResult<()> {
    let url = ctx.config.queues.url(stage).map_err(config_error)?;
    let Some(receipt) = delivery.receipt_handle.as_deref() else {
        return Ok(());
    };
    ctx.sqs
        .change_message_visibility()
        .queue_url(url)
        .receipt_handle(receipt)
        .visibility_timeout(delay.as_secs() as i32)
        .send()
        .await
        .map_err(|e| classify_sdk_error("changing message visibility", &e))?;
    Ok(())
}
