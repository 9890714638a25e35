//! What travels on the stage queues: IDs and context, never document content.

use crate::error::{ErrorClass, StageError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const MESSAGE_VERSION: u32 = 1;

/// The body of every stage message after the S3 notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageMessage {
    pub v: u32,
    pub job_id: Uuid,
    pub document_id: Uuid,
    /// The stage whose queue this is for.
    pub stage: String,
    /// The job's attempt counter when the message was sent; informational, the lease is the fence.
    pub attempt: i32,
    pub correlation_id: String,
}

impl StageMessage {
    pub fn new(job_id: Uuid, document_id: Uuid, stage: &str, attempt: i32, correlation_id: &str) -> Self {
        StageMessage {
            v: MESSAGE_VERSION,
            job_id,
            document_id,
            stage: stage.to_owned(),
            attempt,
            correlation_id: correlation_id.to_owned(),
        }
    }

    pub fn to_body(&self) -> String {
        serde_json::json!({
            "v": self.v,
            "job_id": self.job_id,
            "document_id": self.document_id,
            "stage": self.stage,
            "attempt": self.attempt,
            "correlation_id": self.correlation_id,
        })
        .to_string()
    }

    pub fn decode(body: &str) -> Result<Self, StageError> {
        let msg: StageMessage = serde_json::from_str(body)
            .map_err(|e| StageError::new(ErrorClass::UndecodableMessage, "not a stage message").with_source(e))?;
        if msg.v != MESSAGE_VERSION {
            return Err(StageError::new(
                ErrorClass::UnsupportedMessageVersion,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_message_round_trips_and_rejects_other_versions() {
        let m = StageMessage::new(Uuid::nil(), Uuid::nil(), "embed", 2, "c");
        assert_eq!(StageMessage::decode(&m.to_body()).ok(), Some(m.clone()));
        let v2 = m.to_body().replace("\"v\":1", "\"v\":2");
        assert_eq!(StageMessage::decode(&v2).map_err(|e| e.class), Err(ErrorClass::UnsupportedMessageVersion));
        assert_eq!(StageMessage::decode("{").map_err(|e| e.class), Err(ErrorClass::UndecodableMessage));
    }
}
