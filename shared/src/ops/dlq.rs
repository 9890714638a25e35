//! Dead letters: reading them without losing them, and moving them back to their stage's queue.
//!
//! SQS has no "peek": a message is read by receiving it, which hides it for a visibility timeout.
//! Reading therefore receives with a short hold and makes every message visible again at once.
//! A moved-back message keeps its attributes; the `job_attempt` of a dead letter written by the
//! framework is what lets the handler reopen exactly the failure it records.

use crate::aws::classify_sdk_error;
use crate::context::Context;
use crate::error::{ErrorClass, StageError, StageResult};
use crate::framework::queue::misconfigured;
use crate::framework::{StageMessage, attr};
use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct DlqMessage {
    pub stage: &'static str,
    pub message_id: String,
    receipt_handle: String,
    pub body: String,
    pub attributes: BTreeMap<String, String>,
    raw_attributes: HashMap<String, MessageAttributeValue>,
    /// SentTimestamp: when the framework dead-lettered it, or when a message the redrive policy
    /// moved was first sent.
    pub sent_at: Option<DateTime<Utc>>,
    pub receive_count: u32,
}

impl DlqMessage {
    /// From the framework's attribute, or from the body of a stage message that the redrive
    /// policy moved after a crash.
    pub fn job_id(&self) -> Option<Uuid> {
        self.attributes
            .get(attr::JOB_ID)
            .and_then(|v| v.parse().ok())
            .or_else(|| StageMessage::decode(&self.body).ok().map(|m| m.job_id))
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }
}

/// How long a read holds the messages it received before giving them back.
const HOLD_SECONDS: i32 = 30;

/// Receives every message of the stage's DLQ (up to `max`); they stay hidden until released.
async fn receive_all(ctx: &Context, stage: &'static str, max: usize) -> StageResult<Vec<DlqMessage>> {
    let url = ctx.config.queues.dlq_url(stage).map_err(misconfigured)?;
    let mut out: Vec<DlqMessage> = Vec::new();
    while out.len() < max {
        let resp = ctx
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10.min((max - out.len()) as i32))
            .visibility_timeout(HOLD_SECONDS)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| classify_sdk_error("reading the DLQ", e))?;
        let batch = resp.messages.unwrap_or_default();
        if batch.is_empty() {
            break;
        }
        for m in batch {
            let sys = m.attributes.clone().unwrap_or_default();
            let raw = m.message_attributes.clone().unwrap_or_default();
            out.push(DlqMessage {
                stage,
                message_id: m.message_id.unwrap_or_default(),
                receipt_handle: m.receipt_handle.unwrap_or_default(),
                body: m.body.unwrap_or_default(),
                attributes: raw.iter().filter_map(|(k, v)| Some((k.clone(), v.string_value.clone()?))).collect(),
                raw_attributes: raw,
                sent_at: sys
                    .get(&MessageSystemAttributeName::SentTimestamp)
                    .and_then(|v| v.parse::<i64>().ok())
                    .and_then(DateTime::from_timestamp_millis),
                receive_count: sys
                    .get(&MessageSystemAttributeName::ApproximateReceiveCount)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1),
            });
        }
    }
    Ok(out)
}

async fn release(ctx: &Context, messages: &[DlqMessage]) {
    for m in messages {
        let Ok(url) = ctx.config.queues.dlq_url(m.stage) else { continue };
        let result = ctx
            .sqs
            .change_message_visibility()
            .queue_url(url)
            .receipt_handle(&m.receipt_handle)
            .visibility_timeout(0)
            .send()
            .await;
        if let Err(e) = result {
            tracing::warn!(message_id = %m.message_id, error = %e, "dead letter stays hidden until its hold ends");
        }
    }
}

/// Every dead letter of the given stages, left in place.
pub async fn list(ctx: &Context, stages: &[&'static str], max_per_queue: usize) -> StageResult<Vec<DlqMessage>> {
    let mut all = Vec::new();
    for &stage in stages {
        let messages = receive_all(ctx, stage, max_per_queue).await?;
        release(ctx, &messages).await;
        all.extend(messages);
    }
    Ok(all)
}

/// Moves the dead letters that `select` picks back to their stage's queue (send, then delete);
/// the rest are left in place. Returns the moved ones.
pub async fn redrive_selected(
    ctx: &Context,
    stages: &[&'static str],
    max_per_queue: usize,
    select: impl Fn(&DlqMessage) -> bool,
) -> StageResult<Vec<DlqMessage>> {
    let mut moved = Vec::new();
    for &stage in stages {
        let messages = receive_all(ctx, stage, max_per_queue).await?;
        let (chosen, rest): (Vec<_>, Vec<_>) = messages.into_iter().partition(|m| select(m));
        release(ctx, &rest).await;
        for m in chosen {
            move_back(ctx, &m).await?;
            moved.push(m);
        }
    }
    Ok(moved)
}

/// Send first, delete second: a crash in between leaves a duplicate, which the framework
/// absorbs, never a lost message.
async fn move_back(ctx: &Context, m: &DlqMessage) -> StageResult<()> {
    let source = ctx.config.queues.url(m.stage).map_err(misconfigured)?;
    let dlq = ctx.config.queues.dlq_url(m.stage).map_err(misconfigured)?;
    ctx.sqs
        .send_message()
        .queue_url(source)
        .message_body(&m.body)
        .set_message_attributes(Some(m.raw_attributes.clone()).filter(|a| !a.is_empty()))
        .send()
        .await
        .map_err(|e| classify_sdk_error("re-sending a dead letter", e))?;
    ctx.sqs
        .delete_message()
        .queue_url(dlq)
        .receipt_handle(&m.receipt_handle)
        .send()
        .await
        .map_err(|e| classify_sdk_error("deleting a redriven dead letter", e))?;
    Ok(())
}

#[derive(Debug)]
pub enum RedriveAll {
    /// SQS moves the messages itself; the task handle identifies it in the console and API.
    MoveTask { task_handle: String },
    /// The endpoint has no StartMessageMoveTask (moto); the messages were moved one by one.
    Selective { moved: usize, reason: String },
}

async fn queue_arn(ctx: &Context, url: &str) -> StageResult<String> {
    let out = ctx
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| classify_sdk_error("reading the queue ARN", e))?;
    out.attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| StageError::new(ErrorClass::Misconfigured, format!("{url} has no QueueArn")))
}

/// Moves the whole DLQ of `stage` back: with SQS's own move task where the endpoint has it,
/// else message by message.
pub async fn redrive_all(ctx: &Context, stage: &'static str, max: usize) -> StageResult<RedriveAll> {
    let source = queue_arn(ctx, ctx.config.queues.url(stage).map_err(misconfigured)?).await?;
    let dlq = queue_arn(ctx, ctx.config.queues.dlq_url(stage).map_err(misconfigured)?).await?;
    let task = ctx.sqs.start_message_move_task().source_arn(dlq).destination_arn(source).send().await;
    match task {
        Ok(out) => Ok(RedriveAll::MoveTask { task_handle: out.task_handle.unwrap_or_default() }),
        Err(e) => {
            // One line an operator can read, not the SDK's error chain.
            use aws_sdk_sqs::error::ProvideErrorMetadata;
            let reason = match (e.code(), crate::aws::sdk_status(&e)) {
                (Some(code), _) => format!("StartMessageMoveTask refused: {code}"),
                (None, Some(status)) => format!("StartMessageMoveTask answered HTTP {status} (not implemented here)"),
                (None, None) => "StartMessageMoveTask could not be called".to_owned(),
            };
            tracing::debug!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "move task unavailable");
            let moved = redrive_selected(ctx, &[stage], max, |_| true).await?.len();
            Ok(RedriveAll::Selective { moved, reason })
        }
    }
}
