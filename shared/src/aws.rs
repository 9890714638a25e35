//! AWS clients, built once per execution environment, and what their errors mean.

use crate::error::{ApiClasses, ErrorClass, StageError, status_class};
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use std::time::Duration;

pub async fn sdk_config(endpoint: Option<&str>) -> SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(60))
        .build();
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts).http_client(https);
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

pub fn sqs_client(shared: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(shared)
}

#[cfg(feature = "s3")]
pub fn s3_client(shared: &SdkConfig, emulated: bool) -> aws_sdk_s3::Client {
    // Emulators serve buckets by path, not by virtual host.
    let s3_config = aws_sdk_s3::config::Builder::from(shared).force_path_style(emulated).build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

const AWS: ApiClasses = ApiClasses {
    auth: ErrorClass::AwsRejected,
    unavailable: ErrorClass::AwsUnavailable,
    timeout: ErrorClass::AwsUnavailable,
    rejected: ErrorClass::AwsRejected,
};

/// The HTTP status of a service error, if the request got that far.
pub fn sdk_status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

/// SDK errors: throttling, timeouts, dispatch failures and 5xx are an outage; a 4xx that is not
/// throttling is a request we will keep getting wrong. S3, SQS and Secrets Manager share the
/// smithy error type.
pub fn classify_sdk_error<E>(context: &str, err: SdkError<E, HttpResponse>) -> StageError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let class = match &err {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or_default();
            let throttled = code.contains("Throttl") || code == "SlowDown" || code == "RequestLimitExceeded";
            if throttled { ErrorClass::AwsUnavailable } else { status_class(se.raw().status().as_u16(), &AWS) }
        }
        _ => ErrorClass::AwsUnavailable,
    };
    let detail = match &err {
        SdkError::ServiceError(se) => {
            format!("{}: {}", se.err().code().unwrap_or("unknown"), se.err().message().unwrap_or_default())
        }
        other => aws_sdk_sqs::error::DisplayErrorContext(other).to_string(),
    };
    StageError::new(class, format!("{context}: {detail}")).with_source(err)
}
