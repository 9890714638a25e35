//! Runs the pipeline locally the way Lambda's SQS event source mapping does: long-poll each
//! stage queue, hand batches of up to 10 to the very handler the Lambda binaries wrap, delete
//! what succeeded, and leave `batchItemFailures` for redelivery.

use crate::context::Context;
use crate::framework::handle_batch;
use crate::stage::Stage;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage, SqsMessageAttribute};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageAttributeValue, MessageSystemAttributeName};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::warn;

/// Marks the copies `duplicate_deliveries` makes, so copies are not copied again.
const DUPLICATE_ATTR: &str = "doc_ingest_duplicate";

#[derive(Clone, Debug)]
pub struct RunnerOptions {
    pub stages: Vec<Stage>,
    /// Long-poll wait; short locally so shutdown is quick (Lambda's poller uses up to 20 s).
    pub wait_time_seconds: i32,
    /// Deliver every message twice: before handling a message, send a copy of it to its queue.
    pub duplicate_deliveries: bool,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions { stages: Stage::ALL.to_vec(), wait_time_seconds: 1, duplicate_deliveries: false }
    }
}

/// One message handed to a handler, as the runner saw it.
#[derive(Clone, Debug)]
pub struct DeliveryRecord {
    pub stage: Stage,
    pub message_id: String,
    pub receive_count: u32,
    pub at: Instant,
    pub retried: bool,
    pub body: String,
}

pub struct Runner {
    ctx: Arc<Context>,
    opts: RunnerOptions,
    log: Arc<Mutex<Vec<DeliveryRecord>>>,
}

pub struct RunningRunner {
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    log: Arc<Mutex<Vec<DeliveryRecord>>>,
}

impl RunningRunner {
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.log.lock().unwrap().clone()
    }

    /// Stops polling once the receives and batches in flight are settled (≤ the long-poll wait).
    pub async fn stop(self) -> Vec<DeliveryRecord> {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        let log = self.log.lock().unwrap().clone();
        log
    }
}

impl Runner {
    pub fn new(ctx: Arc<Context>, opts: RunnerOptions) -> Self {
        Runner { ctx, opts, log: Arc::default() }
    }

    pub fn start(self) -> RunningRunner {
        let (stop, stop_rx) = watch::channel(false);
        let this = Arc::new(self);
        let tasks = this
            .opts
            .stages
            .iter()
            .map(|&stage| {
                let this = this.clone();
                let stop_rx = stop_rx.clone();
                tokio::spawn(async move {
                    // A receive is never cancelled: the server would still hand the messages to
                    // the abandoned request and hide them for a whole visibility timeout.
                    while !*stop_rx.borrow() {
                        if let Err(e) = this.poll_once(stage).await {
                            warn!(stage = stage.as_str(), error = %e, "poll failed");
                            tokio::time::sleep(Duration::from_millis(500)).await;
                        }
                    }
                })
            })
            .collect();
        RunningRunner { stop, tasks, log: this.log.clone() }
    }

    /// One receive → handle → delete cycle on one stage's queue; returns how many were received.
    pub async fn poll_once(&self, stage: Stage) -> anyhow::Result<usize> {
        let url = self.ctx.config.queues.url(stage)?.to_owned();
        let out = self
            .ctx
            .sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(self.opts.wait_time_seconds)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(0);
        }
        let mut event = SqsEvent::default();
        for m in &messages {
            if self.opts.duplicate_deliveries && !m.message_attributes().is_some_and(|a| a.contains_key(DUPLICATE_ATTR))
            {
                self.send_copy(&url, m).await?;
            }
            event.records.push(to_lambda_message(m, &url));
        }
        let received_at = Instant::now();
        let response = handle_batch(&self.ctx, stage, event).await;
        let failed: HashSet<String> = response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect();

        let mut deletes = Vec::new();
        {
            let mut log = self.log.lock().unwrap();
            for m in &messages {
                let id = m.message_id().unwrap_or_default().to_owned();
                let retried = failed.contains(&id);
                log.push(DeliveryRecord {
                    stage,
                    message_id: id.clone(),
                    receive_count: m
                        .attributes()
                        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(1),
                    at: received_at,
                    retried,
                    body: m.body().unwrap_or_default().to_owned(),
                });
                if !retried {
                    if let Some(receipt) = m.receipt_handle() {
                        deletes.push(
                            DeleteMessageBatchRequestEntry::builder()
                                .id(format!("m{}", deletes.len()))
                                .receipt_handle(receipt)
                                .build()?,
                        );
                    }
                }
            }
        }
        if !deletes.is_empty() {
            self.ctx.sqs.delete_message_batch().queue_url(&url).set_entries(Some(deletes)).send().await?;
        }
        Ok(messages.len())
    }

    async fn send_copy(&self, url: &str, m: &aws_sdk_sqs::types::Message) -> anyhow::Result<()> {
        let mut req = self.ctx.sqs.send_message().queue_url(url).message_body(m.body().unwrap_or_default());
        for (k, v) in m.message_attributes().into_iter().flatten() {
            req = req.message_attributes(k, v.clone());
        }
        let marker = MessageAttributeValue::builder().data_type("String").string_value("1").build()?;
        req.message_attributes(DUPLICATE_ATTR, marker).send().await?;
        Ok(())
    }
}

/// The SQS API's message, shaped as the Lambda event source delivers it.
pub fn to_lambda_message(m: &aws_sdk_sqs::types::Message, queue_url: &str) -> SqsMessage {
    let mut out = SqsMessage::default();
    out.message_id = m.message_id().map(str::to_owned);
    out.receipt_handle = m.receipt_handle().map(str::to_owned);
    out.body = m.body().map(str::to_owned);
    out.md5_of_body = m.md5_of_body().map(str::to_owned);
    out.attributes = m.attributes().into_iter().flatten().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect();
    out.message_attributes = m
        .message_attributes()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let mut a = SqsMessageAttribute::default();
            a.string_value = v.string_value().map(str::to_owned);
            a.data_type = Some(v.data_type().to_owned());
            (k.clone(), a)
        })
        .collect();
    out.event_source = Some("aws:sqs".into());
    out.event_source_arn = Some(format!("local:{queue_url}"));
    out
}
