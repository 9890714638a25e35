use crate::framework::message::attr;
use aws_lambda_events::sqs::SqsMessage;
use std::time::Duration;

/// The parts of one SQS delivery the framework uses, with the optional ones defaulted.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub message_id: String,
    pub receipt_handle: Option<String>,
    pub body: String,
    /// ApproximateReceiveCount: 1 on first delivery.
    pub receive_count: u32,
    /// SentTimestamp in ms since the epoch: queue lag, and how long an outage has held it.
    pub sent_at_ms: Option<i64>,
    pub correlation_id: Option<String>,
    pub trace_header: Option<String>,
    /// Set on a dead letter that an operator moved back: the attempt at which its job failed.
    pub redrive_attempt: Option<i32>,
}

impl Delivery {
    pub fn from_sqs(msg: &SqsMessage) -> Self {
        let attr_num = |name: &str| msg.attributes.get(name).and_then(|v| v.parse::<i64>().ok());
        Delivery {
            message_id: msg.message_id.clone().unwrap_or_default(),
            receipt_handle: msg.receipt_handle.clone(),
            body: msg.body.clone().unwrap_or_default(),
            receive_count: attr_num("ApproximateReceiveCount").map_or(1, |n| n.clamp(1, i64::from(u32::MAX)) as u32),
            sent_at_ms: attr_num("SentTimestamp"),
            correlation_id: msg.message_attributes.get(attr::CORRELATION_ID).and_then(|a| a.string_value.clone()),
            trace_header: msg.attributes.get("AWSTraceHeader").cloned(),
            redrive_attempt: msg
                .message_attributes
                .get(attr::JOB_ATTEMPT)
                .and_then(|a| a.string_value.as_deref())
                .and_then(|v| v.parse().ok()),
        }
    }

    /// How long ago the message was sent (zero when the queue did not say).
    pub fn age(&self, now_ms: i64) -> Duration {
        self.sent_at_ms.map_or(Duration::ZERO, |sent| Duration::from_millis((now_ms - sent).max(0) as u64))
    }

    /// The X-Ray trace id of `AWSTraceHeader` (`Root=1-…;Parent=…;Sampled=…`).
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_header.as_deref()?.split(';').find_map(|part| part.trim().strip_prefix("Root="))
    }
}
