//! S3 event notifications, as S3 and emulators actually send them.

use crate::error::{ErrorClass, StageError};
use crate::framework::StageMessage;
use serde::Deserialize;

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
            .map_err(|e| StageError::new(ErrorClass::UndecodableMessage, "body is not JSON").with_source(e))?;
        if value.get("Records").is_some() || value.get("Event").is_some() {
            let n: S3Notification = serde_json::from_value(value).map_err(|e| {
                StageError::new(ErrorClass::UndecodableMessage, "not an S3 notification").with_source(e)
            })?;
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
        .map_err(|e| StageError::new(ErrorClass::InvalidKey, "object key is not UTF-8 after decoding").with_source(e))
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
        let moto = include_str!("../../../fixtures/s3-notification-moto.json");
        match ParseInput::decode(moto).unwrap() {
            ParseInput::S3(n) => {
                assert_eq!(n.records.len(), 1);
                assert_eq!(n.records[0].s3.object.size, Some(1234));
                assert!(n.records[0].s3.object.sequencer.is_none());
            }
            other => panic!("expected S3, got {other:?}"),
        }
        let aws = include_str!("../../../fixtures/s3-notification-aws.json");
        assert!(matches!(ParseInput::decode(aws).unwrap(), ParseInput::S3(_)));
        let test_event = include_str!("../../../fixtures/s3-test-event.json");
        match ParseInput::decode(test_event).unwrap() {
            ParseInput::S3(n) => assert_eq!(n.event.as_deref(), Some("s3:TestEvent")),
            other => panic!("expected test event, got {other:?}"),
        }
        assert_eq!(ParseInput::decode("{").unwrap_err().kind(), crate::error::ErrorKind::Poison);
        assert_eq!(ParseInput::decode("{\"v\":1}").unwrap_err().kind(), crate::error::ErrorKind::Poison);
    }
}
