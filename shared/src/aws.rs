//! AWS clients, built once per execution environment.

use aws_config::BehaviorVersion;
use std::time::Duration;

pub async fn clients(endpoint: Option<&str>) -> (aws_sdk_s3::Client, aws_sdk_sqs::Client) {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(60))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts);
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    let shared = loader.load().await;
    // Emulators serve buckets by path, not by virtual host.
    let s3_config = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(endpoint.is_some())
        .build();
    (aws_sdk_s3::Client::from_conf(s3_config), aws_sdk_sqs::Client::new(&shared))
}
