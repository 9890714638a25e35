//! What travels on the queues: IDs and context, never document content.

use crate::error::StageError;
use crate::stage::Stage;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const MESSAGE_VERSION: u32 = 1;

/// The body of every stage message after the S3 notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageMessage {
    pub v: u32,
    pub job_id: Uuid,
    pub document_id: Uuid,
    pub stage: Stage,
    /// The job's attempt counter when the message was sent; informational, the lease is the fence.
    pub attempt: i32,
    pub correlation_id: String,
}

impl StageMessage {
    pub fn to_body(&self) -> String {
        serde_json::to_string(self).expect("StageMessage always serialises")
    }

    pub fn decode(body: &str) -> Result<Self, StageError> {
        let msg: StageMessage = serde_json::from_str(body)
            .map_err(|e| StageError::poison("undecodable_message", format!("not a stage message: {e}")))?;
        if msg.v != MESSAGE_VERSION {
            return Err(StageError::poison(
                "unsupported_message_version",
                format!("message version {} (this build reads {MESSAGE_VERSION})", msg.v),
            ));
        }
        Ok(msg)
    }
}

/// Message attribute names; operators see these in the console next to every message.
pub mod attr {
    pub const CORRELATION_ID: &str = "correlation_id";
    pub const JOB_ID: &str = "job_id";
    pub const DOCUMENT_ID: &str = "document_id";
    pub const STAGE: &str = "stage";
    pub const ERROR_KIND: &str = "error_kind";
    pub const ERROR_CLASS: &str = "error_class";
    pub const ERROR_MESSAGE: &str = "error_message";
    pub const ATTEMPTS: &str = "attempts";
    pub const SOURCE_QUEUE: &str = "source_queue";
    pub const FAILED_AT: &str = "failed_at";
    /// On a dead letter: the job's attempt when it failed; the fence for reopening it on redrive.
    pub const JOB_ATTEMPT: &str = "job_attempt";
}

/// An S3 event notification as S3 and emulators actually send it. Every field we do not need is
/// left out and every field we need but that emulators omit is optional, because
/// `aws_lambda_events::s3::S3Event` rejects bodies without `userIdentity` or `requestParameters`.
#[derive(Debug, Deserialize)]
pub struct S3Notification {
    #[serde(rename = "Records", default)]
    pub records: Vec<S3Record>,
    /// Present (as `s3:TestEvent`) only on the test message S3 sends when notifications are set.
    #[serde(rename = "Event")]
    pub event: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Record {
    pub event_name: Option<String>,
    pub event_time: Option<String>,
    pub s3: S3Entity,
}

#[derive(Debug, Deserialize)]
pub struct S3Entity {
    pub bucket: S3Bucket,
    pub object: S3Object,
}

#[derive(Debug, Deserialize)]
pub struct S3Bucket {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Object {
    pub key: String,
    pub size: Option<i64>,
    pub e_tag: Option<String>,
    pub version_id: Option<String>,
    pub sequencer: Option<String>,
}

/// What the parse queue may carry: an S3 notification, or a stage message (re-driven or
/// re-enqueued by operators).
#[derive(Debug)]
pub enum ParseInput {
    S3(S3Notification),
    Stage(StageMessage),
}

impl ParseInput {
    pub fn decode(body: &str) -> Result<Self, StageError> {
        let value: serde_json::Value = serde_json::from_str(body)
            .map_err(|e| StageError::poison("undecodable_message", format!("body is not JSON: {e}")))?;
        if value.get("Records").is_some() || value.get("Event").is_some() {
            let n: S3Notification = serde_json::from_value(value)
                .map_err(|e| StageError::poison("undecodable_message", format!("not an S3 notification: {e}")))?;
            return Ok(ParseInput::S3(n));
        }
        StageMessage::decode(body).map(ParseInput::Stage)
    }
}

/// S3 notification keys are form-encoded: `+` stands for a space and must be turned back
/// before percent-decoding, or a literal `+` (sent as `%2B`) would become a space.
pub fn decode_s3_key(raw: &str) -> Result<String, StageError> {
    let plus_decoded = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_decoded)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|e| StageError::permanent("invalid_key", format!("object key is not UTF-8 after decoding: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_decode_plus_before_percent() {
        assert_eq!(decode_s3_key("uploads%2Facme%2Fdoc+one.pdf").unwrap(), "uploads/acme/doc one.pdf");
        assert_eq!(decode_s3_key("uploads/a/c%2B%2B+notes.md").unwrap(), "uploads/a/c++ notes.md");
        assert_eq!(decode_s3_key("uploads/a/caf%C3%A9.pdf").unwrap(), "uploads/a/café.pdf");
        assert!(decode_s3_key("uploads/a/%FF.pdf").is_err());
    }

    #[test]
    fn fixture_bodies_decode() {
        let moto = include_str!("../fixtures/s3-notification-moto.json");
        match ParseInput::decode(moto).unwrap() {
            ParseInput::S3(n) => {
                assert_eq!(n.records.len(), 1);
                assert_eq!(n.records[0].s3.object.size, Some(1234));
                assert!(n.records[0].s3.object.sequencer.is_none());
            }
            other => panic!("expected S3, got {other:?}"),
        }
        let aws = include_str!("../fixtures/s3-notification-aws.json");
        assert!(matches!(ParseInput::decode(aws).unwrap(), ParseInput::S3(_)));
        let test_event = include_str!("../fixtures/s3-test-event.json");
        match ParseInput::decode(test_event).unwrap() {
            ParseInput::S3(n) => assert_eq!(n.event.as_deref(), Some("s3:TestEvent")),
            other => panic!("expected test event, got {other:?}"),
        }
        assert_eq!(ParseInput::decode("{").unwrap_err().kind(), crate::ErrorKind::Poison);
        assert_eq!(ParseInput::decode("{\"v\":1}").unwrap_err().kind(), crate::ErrorKind::Poison);
    }

    #[test]
    fn stage_message_round_trips_and_rejects_other_versions() {
        let m = StageMessage {
            v: MESSAGE_VERSION,
            job_id: Uuid::nil(),
            document_id: Uuid::nil(),
            stage: Stage::Embed,
            attempt: 2,
            correlation_id: "c".into(),
        };
        assert_eq!(StageMessage::decode(&m.to_body()).unwrap(), m);
        let v2 = m.to_body().replace("\"v\":1", "\"v\":2");
        assert_eq!(StageMessage::decode(&v2).unwrap_err().class, "unsupported_message_version");
    }
}
