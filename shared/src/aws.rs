//! AWS clients, built once per execution environment.

use aws_config::{BehaviorVersion, SdkConfig};
use std::time::Duration;

pub async fn sdk_config(endpoint: Option<&str>) -> SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(60))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts);
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

pub fn clients_from(shared: &SdkConfig, emulated: bool) -> (aws_sdk_s3::Client, aws_sdk_sqs::Client) {
    // Emulators serve buckets by path, not by virtual host.
    let s3_config = aws_sdk_s3::config::Builder::from(shared).force_path_style(emulated).build();
    (aws_sdk_s3::Client::from_conf(s3_config), aws_sdk_sqs::Client::new(shared))
}

pub async fn clients(endpoint: Option<&str>) -> (aws_sdk_s3::Client, aws_sdk_sqs::Client) {
    clients_from(&sdk_config(endpoint).await, endpoint.is_some())
}
