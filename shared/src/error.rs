//! One error type for every stage. Its class says what went wrong; the class's kind decides what
//! the framework does with the message (see `framework::decide`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The document's own processing failed in a way that may pass: retried with back-off and
    /// charged to the job; its last allowed try is final.
    Transient,
    /// A dependency is unreachable or shedding load (database, S3, SQS, a paid API). The
    /// platform's problem, not the document's: retried for as long as the outage budget allows
    /// and never charged to the job.
    Unavailable,
    /// Retrying cannot help: the job fails and the message goes to the stage's DLQ at once.
    Permanent,
    /// The message itself is unusable or already settled elsewhere: acknowledged and logged.
    Poison,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Transient => "transient",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Permanent => "permanent",
            ErrorKind::Poison => "poison",
        }
    }
}

macro_rules! error_classes {
    ($($kind:ident { $($(#[$doc:meta])* $variant:ident = $name:literal,)* })*) => {
        /// Every way a message can fail, each with exactly one kind. Operators see the name in
        /// the job row, the dead letter's `error_class` attribute and the `Failures` metric.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorClass { $($($(#[$doc])* $variant,)*)* }

        impl ErrorClass {
            pub const ALL: &[ErrorClass] = &[$($(ErrorClass::$variant,)*)*];

            pub fn as_str(self) -> &'static str {
                match self { $($(ErrorClass::$variant => $name,)*)* }
            }

            pub fn kind(self) -> ErrorKind {
                match self { $($(ErrorClass::$variant => ErrorKind::$kind,)*)* }
            }
        }
    };
}

error_classes! {
    Unavailable {
        DatabaseUnavailable = "database_unavailable",
        AwsUnavailable = "aws_unavailable",
        /// A stream from S3 broke mid-body.
        S3Read = "s3_read",
        RateLimited = "rate_limited",
        EmbeddingUnavailable = "embedding_unavailable",
        LlamaparseUnavailable = "llamaparse_unavailable",
        /// A setting the function needs is missing: fixed by a deploy, not by the document.
        Misconfigured = "misconfigured",
    }
    Transient {
        /// A statement failed for a reason other than the connection (deadlock, serialisation).
        DatabaseError = "database_error",
        Cancelled = "cancelled",
        ChunksChanged = "chunks_changed",
        EmbeddingTimeout = "embedding_timeout",
        EmbeddingBadResponse = "embedding_bad_response",
        EmbeddingBatchTooLarge = "embedding_batch_too_large",
        EmbeddingCountMismatch = "embedding_count_mismatch",
        EmbeddingInvalid = "embedding_invalid",
        /// The in-process model failed on a batch.
        EmbeddingFailed = "embedding_failed",
        /// The active embedding model changed while this document was being embedded.
        ModelSwitched = "model_switched",
        JobVanished = "job_vanished",
        LlamaparseTimeout = "llamaparse_timeout",
        LlamaparseBadResponse = "llamaparse_bad_response",
    }
    Permanent {
        AwsRejected = "aws_rejected",
        CorruptPdf = "corrupt_pdf",
        DatabaseRejected = "database_rejected",
        DocumentMissing = "document_missing",
        EmbeddingAuth = "embedding_auth",
        EmbeddingDimensionMismatch = "embedding_dimension_mismatch",
        EmbeddingRejected = "embedding_rejected",
        EmptyDocument = "empty_document",
        Encrypted = "encrypted",
        Inconsistent = "inconsistent",
        InputTooLong = "input_too_long",
        InvalidKey = "invalid_key",
        /// A search or upload request that cannot be served as asked.
        InvalidQuery = "invalid_query",
        /// The query's embedding model is not the one the index was built with.
        ModelMismatch = "model_mismatch",
        InvalidUtf8 = "invalid_utf8",
        LlamaparseAuth = "llamaparse_auth",
        LlamaparseRequest = "llamaparse_request",
        NoChunks = "no_chunks",
        NoTextLayer = "no_text_layer",
        NotParsed = "not_parsed",
        ObjectMissing = "object_missing",
        ObjectReplaced = "object_replaced",
        Panic = "panic",
        ParsedHashMismatch = "parsed_hash_mismatch",
        /// The job used its tries at this stage (transient failures, or handlers that died).
        RetriesExhausted = "retries_exhausted",
        /// An outage outlasted the budget while this message waited.
        OutageBudgetExhausted = "outage_budget_exhausted",
        Stuck = "stuck",
        TooLarge = "too_large",
        TooManyPages = "too_many_pages",
        TypeMismatch = "type_mismatch",
        TypeNotAllowed = "type_not_allowed",
        UnsupportedType = "unsupported_type",
        UnknownState = "unknown_state",
    }
    Poison {
        DocumentMismatch = "document_mismatch",
        /// The document's object was deleted from the bucket; its late messages do nothing.
        DocumentDeleted = "document_deleted",
        /// An object version older than a deletion, or one S3 no longer has.
        ObjectGone = "object_gone",
        EmptyNotification = "empty_notification",
        /// A message for a job that already failed (and is not that failure's redriven letter).
        JobFailed = "job_failed",
        /// Another delivery took over this attempt; its copy settles the job.
        LeaseLost = "lease_lost",
        NotObjectCreated = "not_object_created",
        OutsideUploads = "outside_uploads",
        S3TestEvent = "s3_test_event",
        StaleStage = "stale_stage",
        UndecodableMessage = "undecodable_message",
        UnknownJob = "unknown_job",
        UnknownStage = "unknown_stage",
        UnsupportedMessageVersion = "unsupported_message_version",
        WrongStage = "wrong_stage",
    }
}

impl ErrorClass {
    /// Races between copies of one message end in these; they are expected under at-least-once
    /// delivery and logged quietly, not as poison.
    pub fn is_duplicate_race(self) -> bool {
        matches!(
            self,
            ErrorClass::LeaseLost | ErrorClass::JobFailed | ErrorClass::StaleStage | ErrorClass::DocumentDeleted
        )
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type Source = Arc<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Clone, Debug, thiserror::Error)]
#[error("{class}: {message}")]
pub struct StageError {
    pub class: ErrorClass,
    /// What was being done, or what is wrong, in words an operator can act on.
    pub message: String,
    /// The cause, kept for logs and for `detail()`.
    #[source]
    source: Option<Source>,
    /// A lower bound on the back-off the remote side asked for (429 Retry-After).
    pub retry_after: Option<Duration>,
}

pub type StageResult<T> = Result<T, StageError>;

/// Two errors are the same failure when class, message and hint agree; causes are not compared.
impl PartialEq for StageError {
    fn eq(&self, other: &Self) -> bool {
        self.class == other.class && self.message == other.message && self.retry_after == other.retry_after
    }
}

impl Eq for StageError {}

impl StageError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        StageError { class, message: message.into(), source: None, retry_after: None }
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    pub fn with_retry_after(mut self, hint: Option<Duration>) -> Self {
        self.retry_after = hint;
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.class.kind()
    }

    /// The same error, its message prefixed (the cause and hint kept).
    pub fn prefixed(&self, prefix: impl fmt::Display) -> Self {
        StageError { message: format!("{prefix}{}", self.message), ..self.clone() }
    }

    /// The message and every cause, for the job row, the DLQ attribute and logs.
    pub fn detail(&self) -> String {
        let mut out = self.message.clone();
        let mut next: Option<&(dyn std::error::Error + 'static)> =
            self.source.as_deref().map(|s| s as &(dyn std::error::Error + 'static));
        while let Some(e) = next {
            let text = e.to_string();
            if !text.is_empty() && !out.contains(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
            next = e.source();
        }
        out
    }

    /// A database error: unreachable is an outage, rejected data is permanent, the rest
    /// (deadlocks, serialisation failures) is worth another try.
    pub fn from_db(context: &str, err: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        let class = match err.code() {
            // No server answer at all: closed connection, I/O, refused.
            None => ErrorClass::DatabaseUnavailable,
            Some(code) => {
                let c = code.code();
                if c.starts_with("08") || c.starts_with("57P") || *code == SqlState::TOO_MANY_CONNECTIONS {
                    ErrorClass::DatabaseUnavailable
                } else if c.starts_with("22") || c.starts_with("23") {
                    // data exceptions and integrity violations: the data itself is refused
                    ErrorClass::DatabaseRejected
                } else {
                    ErrorClass::DatabaseError
                }
            }
        };
        let text = match err.as_db_error() {
            Some(db) => format!("{context}: {}: {}", db.code().code(), db.message()),
            None => format!("{context}: {err}"),
        };
        StageError::new(class, text).with_source(err)
    }

    pub fn from_pool(context: &str, err: deadpool_postgres::PoolError) -> Self {
        StageError::new(ErrorClass::DatabaseUnavailable, format!("{context}: {err}")).with_source(err)
    }
}

/// `.db("loading job")?` on database results.
pub trait DbResultExt<T> {
    fn db(self, context: &str) -> StageResult<T>;
}

impl<T> DbResultExt<T> for Result<T, tokio_postgres::Error> {
    fn db(self, context: &str) -> StageResult<T> {
        self.map_err(|e| StageError::from_db(context, e))
    }
}

impl<T> DbResultExt<T> for Result<T, deadpool_postgres::PoolError> {
    fn db(self, context: &str) -> StageResult<T> {
        self.map_err(|e| StageError::from_pool(context, e))
    }
}

/// `.or_class(ErrorClass::S3Read, "reading the upload")?` on any other error: the class and the
/// context, with the cause kept as the source.
pub trait ResultExt<T> {
    fn or_class(self, class: ErrorClass, context: impl fmt::Display) -> StageResult<T>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> ResultExt<T> for Result<T, E> {
    fn or_class(self, class: ErrorClass, context: impl fmt::Display) -> StageResult<T> {
        self.map_err(|e| StageError::new(class, format!("{context}: {e}")).with_source(e))
    }
}

/// How one API's failures are named; the status decides which applies (`status_class`).
#[derive(Clone, Copy, Debug)]
pub struct ApiClasses {
    /// 401 and 403: a bad key fails every document alike.
    pub auth: ErrorClass,
    /// No answer, 408, 409 and 5xx.
    pub unavailable: ErrorClass,
    /// A request that took too long: charged to the document, since its size may be the cause.
    pub timeout: ErrorClass,
    /// Any other 4xx: this request will keep being refused.
    pub rejected: ErrorClass,
}

/// The one mapping from an HTTP status to an error class, for every remote API we call.
pub fn status_class(status: u16, api: &ApiClasses) -> ErrorClass {
    match status {
        401 | 403 => api.auth,
        429 => ErrorClass::RateLimited,
        408 | 409 | 500..=599 => api.unavailable,
        _ => api.rejected,
    }
}

/// The message of a caught panic, whatever its payload type.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_one_kind_and_a_unique_name() {
        let mut names: Vec<&str> = ErrorClass::ALL.iter().map(|c| c.as_str()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "class names are unique");
        assert_eq!(ErrorClass::DatabaseUnavailable.kind(), ErrorKind::Unavailable);
        assert_eq!(ErrorClass::EmbeddingCountMismatch.kind(), ErrorKind::Transient);
        assert_eq!(ErrorClass::TypeMismatch.kind(), ErrorKind::Permanent);
        assert_eq!(ErrorClass::UnknownJob.kind(), ErrorKind::Poison);
        assert_eq!(ErrorClass::Misconfigured.kind(), ErrorKind::Unavailable, "one kind everywhere");
    }

    #[test]
    fn the_cause_is_kept_and_shown_in_the_detail() {
        let io = std::io::Error::other("connection reset by peer");
        let err: StageResult<()> = Err(io).or_class(ErrorClass::S3Read, "reading the upload");
        let err = err.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert_eq!(err.to_string(), "s3_read: reading the upload: connection reset by peer");
        assert!(std::error::Error::source(&err).is_some(), "the io::Error is the source");
        assert_eq!(err.detail(), "reading the upload: connection reset by peer");
    }
}
