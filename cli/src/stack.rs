use doc_ingest::config::queue_env;
use doc_ingest::pipeline::stage_names;
use doc_ingest::provision::{StackSpec, provision};

/// Prints `KEY=VALUE` lines for `.stack/env`; the local stack script appends them.
pub async fn init(bucket: String, queue_prefix: String, visibility_timeout: u32) -> anyhow::Result<()> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").ok();
    let sdk = doc_ingest::aws::sdk_config(endpoint.as_deref()).await;
    let (s3, sqs) = (doc_ingest::aws::s3_client(&sdk, endpoint.is_some()), doc_ingest::aws::sqs_client(&sdk));
    let spec = StackSpec { bucket: bucket.clone(), queue_prefix, visibility_timeout_seconds: visibility_timeout };
    let queues = provision(&s3, &sqs, &spec).await?;
    println!("DOC_INGEST_BUCKET={bucket}");
    for stage in stage_names() {
        println!("{}={}", queue_env(stage, false), queues.url(stage)?);
        println!("{}={}", queue_env(stage, true), queues.dlq_url(stage)?);
    }
    Ok(())
}
