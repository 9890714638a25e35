//! One error type for every stage. Its kind decides what the framework does with the message.

use std::fmt;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Worth retrying: the message comes back after a back-off.
    Transient,
    /// Retrying cannot help: the job fails and the message goes to the stage's DLQ at once.
    Permanent,
    /// The message itself is unusable (undecodable, unknown job, stale): acknowledged and logged.
    Poison,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Transient => "transient",
            ErrorKind::Permanent => "permanent",
            ErrorKind::Poison => "poison",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StageError {
    pub kind: ErrorKind,
    /// Short machine-readable class, e.g. `s3_unavailable`, `unsupported_type`.
    pub class: &'static str,
    pub message: String,
    /// A lower bound on the back-off the remote side asked for (429 Retry-After).
    pub retry_after: Option<Duration>,
}

pub type StageResult<T> = Result<T, StageError>;

impl StageError {
    pub fn new(kind: ErrorKind, class: &'static str, message: impl Into<String>) -> Self {
        StageError { kind, class, message: message.into(), retry_after: None }
    }
    pub fn transient(class: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transient, class, message)
    }
    pub fn permanent(class: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Permanent, class, message)
    }
    pub fn poison(class: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Poison, class, message)
    }
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// A database error is transient unless the database rejected the data itself.
    pub fn from_db(context: &str, err: &tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        let permanent = err.code().is_some_and(|c| {
            [
                SqlState::CHECK_VIOLATION,
                SqlState::NOT_NULL_VIOLATION,
                SqlState::FOREIGN_KEY_VIOLATION,
                SqlState::INVALID_TEXT_REPRESENTATION,
                SqlState::DATA_EXCEPTION,
                SqlState::CHARACTER_NOT_IN_REPERTOIRE,
                SqlState::UNTRANSLATABLE_CHARACTER,
            ]
            .contains(c)
        });
        let message = format!("{context}: {}", db_error_text(err));
        if permanent {
            Self::permanent("database_rejected", message)
        } else {
            Self::transient("database_unavailable", message)
        }
    }

    pub fn from_pool(context: &str, err: &deadpool_postgres::PoolError) -> Self {
        Self::transient("database_unavailable", format!("{context}: {err}"))
    }
}

/// A closure for `map_err` on database calls: `.map_err(db_err("loading chunks"))`.
pub fn db_err(what: &'static str) -> impl Fn(tokio_postgres::Error) -> StageError {
    move |e| StageError::from_db(what, &e)
}

/// The message of a caught panic, whatever its payload type.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into())
}

/// tokio-postgres's Display for server errors is just "db error"; the detail is in the source.
pub fn db_error_text(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => err.to_string(),
    }
}

impl fmt::Display for StageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.kind.as_str(), self.class, self.message)
    }
}

impl std::error::Error for StageError {}

/// SDK errors: throttling, timeouts, dispatch failures and 5xx are transient; a 4xx that is not
/// throttling is a request we will keep getting wrong. S3 and SQS share the smithy error type.
pub fn classify_sdk_error<E>(
    context: &str,
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> StageError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_s3::error::SdkError;
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("unknown");
            let message = format!("{context}: {code}: {}", e.message().unwrap_or(""));
            let status = se.raw().status().as_u16();
            let throttled = code.contains("Throttl") || code == "SlowDown" || code == "RequestLimitExceeded";
            if status >= 500 || status == 429 || throttled {
                StageError::transient("aws_unavailable", message)
            } else {
                StageError::permanent("aws_rejected", message)
            }
        }
        other => StageError::transient("aws_unavailable", format!("{context}: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_set_kind() {
        assert_eq!(StageError::transient("x", "y").kind(), ErrorKind::Transient);
        assert_eq!(StageError::permanent("x", "y").kind(), ErrorKind::Permanent);
        assert_eq!(StageError::poison("x", "y").to_string(), "poison x: y");
    }
}
