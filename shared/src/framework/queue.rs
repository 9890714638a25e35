//! The framework's SQS calls: next-stage messages, DLQ copies, visibility changes.

use super::Delivery;
use super::backoff::visibility_seconds;
use super::message::{StageMessage, attr};
use crate::aws::classify_sdk_error;
use crate::context::Context;
use crate::error::{ErrorClass, StageError, StageResult};
use aws_sdk_sqs::types::MessageAttributeValue;
use std::time::Duration;

fn attr_value(data_type: &str, value: impl Into<String>) -> StageResult<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .map_err(|e| StageError::new(ErrorClass::Misconfigured, "building a message attribute").with_source(e))
}

fn string_attr(value: impl Into<String>) -> StageResult<MessageAttributeValue> {
    attr_value("String", value)
}

fn number_attr(value: impl ToString) -> StageResult<MessageAttributeValue> {
    attr_value("Number", value.to_string())
}

/// A queue the function was not configured with: fixed by a deploy, so an outage, not the
/// document's failure.
pub(crate) fn misconfigured(e: anyhow::Error) -> StageError {
    StageError::new(ErrorClass::Misconfigured, e.to_string())
}

pub async fn send_stage_message(ctx: &Context, msg: &StageMessage) -> StageResult<()> {
    let url = ctx.config.queues.url(&msg.stage).map_err(misconfigured)?;
    ctx.sqs
        .send_message()
        .queue_url(url)
        .message_body(msg.to_body())
        .message_attributes(attr::CORRELATION_ID, string_attr(&msg.correlation_id)?)
        .message_attributes(attr::JOB_ID, string_attr(msg.job_id.to_string())?)
        .message_attributes(attr::DOCUMENT_ID, string_attr(msg.document_id.to_string())?)
        .message_attributes(attr::STAGE, string_attr(&msg.stage)?)
        .send()
        .await
        .map_err(|e| classify_sdk_error(&format!("sending {} message", msg.stage), e))?;
    Ok(())
}

/// What an operator needs to understand a dead letter without opening the database.
pub struct DeadLetter<'a> {
    pub stage: &'a str,
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
    let dlq = ctx.config.queues.dlq_url(dl.stage).map_err(misconfigured)?;
    let source = ctx.config.queues.url(dl.stage).map_err(misconfigured)?;
    let message: String = dl.error.detail().chars().take(MAX_ERROR_ATTR_CHARS).collect();
    let mut req = ctx
        .sqs
        .send_message()
        .queue_url(dlq)
        .message_body(body)
        .message_attributes(attr::STAGE, string_attr(dl.stage)?)
        .message_attributes(attr::ERROR_KIND, string_attr(dl.error.kind().as_str())?)
        .message_attributes(attr::ERROR_CLASS, string_attr(dl.error.class.as_str())?)
        .message_attributes(attr::ERROR_MESSAGE, string_attr(if message.is_empty() { "-".into() } else { message })?)
        .message_attributes(attr::ATTEMPTS, number_attr(dl.attempts)?)
        .message_attributes(attr::CORRELATION_ID, string_attr(dl.correlation_id)?)
        .message_attributes(attr::SOURCE_QUEUE, string_attr(source)?)
        .message_attributes(attr::FAILED_AT, string_attr(chrono::Utc::now().to_rfc3339())?);
    if let Some(job) = dl.job_id {
        req = req.message_attributes(attr::JOB_ID, string_attr(job.to_string())?);
    }
    if let Some(attempt) = dl.failed_attempt {
        req = req.message_attributes(attr::JOB_ATTEMPT, number_attr(attempt)?);
    }
    req.send().await.map_err(|e| classify_sdk_error(&format!("sending to the {} DLQ", dl.stage), e))?;
    Ok(())
}

pub async fn delay_redelivery(ctx: &Context, stage: &str, delivery: &Delivery, delay: Duration) -> StageResult<()> {
    let url = ctx.config.queues.url(stage).map_err(misconfigured)?;
    let Some(receipt) = delivery.receipt_handle.as_deref() else {
        return Ok(());
    };
    ctx.sqs
        .change_message_visibility()
        .queue_url(url)
        .receipt_handle(receipt)
        .visibility_timeout(visibility_seconds(delay))
        .send()
        .await
        .map_err(|e| classify_sdk_error("changing message visibility", e))?;
    Ok(())
}
