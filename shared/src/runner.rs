//! Runs the pipeline locally the way Lambda's SQS event source mapping does: long-poll each
//! stage queue, hand batches of up to 10 to the very handler the Lambda binaries wrap, delete
//! what succeeded, and leave `batchItemFailures` for redelivery.

use crate::context::Context;
use crate::framework::{AnyStage, Registry, handle_batch};
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
    /// The stages to poll, by name; empty polls every registered stage.
    pub stages: Vec<&'static str>,
    /// Long-poll wait; short locally so shutdown is quick (Lambda's poller uses up to 20 s).
    pub wait_time_seconds: i32,
    /// Deliver every message twice: before handling a message, send a copy of it to its queue.
    pub duplicate_deliveries: bool,
    /// Run the sweeper this often, as the scheduled function does in AWS; `None` never.
    pub sweep_every: Option<Duration>,
    /// Keep a record of every delivery (tests and benchmarks read it); off for long runs.
    pub record_deliveries: bool,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions {
            stages: vec![],
            wait_time_seconds: 1,
            duplicate_deliveries: false,
            sweep_every: None,
            record_deliveries: false,
        }
    }
}

/// One message handed to a handler, as the runner saw it.
#[derive(Clone, Debug)]
pub struct DeliveryRecord {
    pub stage: &'static str,
    pub message_id: String,
    pub receive_count: u32,
    pub at: Instant,
    pub retried: bool,
    pub body: String,
}

pub struct Runner {
    ctx: Arc<Context>,
    registry: Registry,
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
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Stops polling once the receives and batches in flight are settled (≤ the long-poll wait).
    pub async fn stop(self) -> Vec<DeliveryRecord> {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Runner {
    pub fn new(ctx: Arc<Context>, registry: Registry, opts: RunnerOptions) -> Self {
        Runner { ctx, registry, opts, log: Arc::default() }
    }

    pub fn start(self) -> RunningRunner {
        let (stop, stop_rx) = watch::channel(false);
        let stages: Vec<Arc<dyn AnyStage>> = self
            .registry
            .stages()
            .into_iter()
            .filter(|s| self.opts.stages.is_empty() || self.opts.stages.contains(&s.spec().name))
            .collect();
        let this = Arc::new(self);
        let mut tasks: Vec<_> = stages
            .into_iter()
            .map(|stage| {
                let this = this.clone();
                let stop_rx = stop_rx.clone();
                tokio::spawn(async move { this.poll_loop(stage, stop_rx).await })
            })
            .collect();
        if let Some(every) = this.opts.sweep_every {
            let this = this.clone();
            let mut stop_rx = stop_rx.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(every) => {}
                        _ = stop_rx.changed() => return,
                    }
                    match crate::ops::sweeper::sweep(&this.ctx).await {
                        Ok(r) if !r.requeued.is_empty() || !r.failed.is_empty() => {
                            tracing::info!(requeued = r.requeued.len(), failed = r.failed.len(), "sweep");
                        }
                        Ok(_) => {}
                        Err(e) => warn!(error = %e.detail(), "sweep failed"),
                    }
                }
            }));
        }
        RunningRunner { stop, tasks, log: this.log.clone() }
    }

    async fn poll_loop(&self, stage: Arc<dyn AnyStage>, stop_rx: watch::Receiver<bool>) {
        let name = stage.spec().name;
        let mut failures = 0u32;
        // A receive is never cancelled: the server would still hand the messages to the
        // abandoned request and hide them for a whole visibility timeout.
        while !*stop_rx.borrow() {
            match self.poll_once(&*stage).await {
                Ok(_) => {
                    if failures > 0 {
                        tracing::info!(stage = name, after = failures, "polling again");
                    }
                    failures = 0;
                }
                Err(e) => {
                    failures += 1;
                    // Once when it starts, then every 20 failures: an outage is one story, not
                    // twenty lines a second.
                    if failures == 1 || failures.is_multiple_of(20) {
                        warn!(stage = name, failures, error = %e, "poll failed");
                    }
                    let pause = Duration::from_millis(250u64 << failures.min(5)).min(Duration::from_secs(5));
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }

    /// One receive → handle → delete cycle on one stage's queue; returns how many were received.
    pub async fn poll_once(&self, stage: &dyn AnyStage) -> anyhow::Result<usize> {
        let name = stage.spec().name;
        let url = self.ctx.config.queues.url(name)?.to_owned();
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
            .await
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_sqs::error::DisplayErrorContext(e)))?;
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
            let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
            for m in &messages {
                let id = m.message_id().unwrap_or_default().to_owned();
                let retried = failed.contains(&id);
                if self.opts.record_deliveries {
                    log.push(DeliveryRecord {
                        stage: name,
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
                }
                if !retried && let Some(receipt) = m.receipt_handle() {
                    deletes.push(
                        DeleteMessageBatchRequestEntry::builder()
                            .id(format!("m{}", deletes.len()))
                            .receipt_handle(receipt)
                            .build()?,
                    );
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
