//! Structured logs: JSON in the Lambda convention when `AWS_LAMBDA_LOG_FORMAT=JSON` (set by
//! the template's LoggingConfig) or `DOC_INGEST_LOG_FORMAT=json`; readable text otherwise.
//! Fields carry ids, classes and counts only; document text and payloads are never logged.

use tracing_subscriber::EnvFilter;

/// `default_level` applies when neither AWS_LAMBDA_LOG_LEVEL nor RUST_LOG is set.
pub fn init(default_level: &str) {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| default_level.into())
        .to_lowercase();
    // The SDKs are chatty at info; their warnings still come through. lopdf warns about every
    // font encoding it cannot read, which our own decoder (parsing/decode.rs) then reads.
    let filter = EnvFilter::try_new(format!("{level},aws_config=warn,aws_smithy_runtime=warn,hyper=warn,lopdf=error"))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let json = ["AWS_LAMBDA_LOG_FORMAT", "DOC_INGEST_LOG_FORMAT"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|f| f.eq_ignore_ascii_case("json")));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json {
        builder.json().flatten_event(true).with_current_span(false).with_span_list(true).without_time().try_init()
    } else {
        builder.compact().try_init()
    };
}
