//! Creates the bucket, the stage queues with their DLQs, and the S3 → parse-queue notification.
//! Used by `ingestctl stack init` and by every integration test (each with its own names);
//! `template.yaml` declares the same resources for AWS.

use crate::config::{QueuePair, Queues};
use crate::ids::UPLOAD_PREFIX;
use crate::pipeline::{INTAKE, PIPELINE};
use anyhow::Context as _;
use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter, QueueConfiguration,
    S3KeyFilter,
};
use aws_sdk_sqs::types::QueueAttributeName;

/// The redrive safety net, for messages the handler never settles (it crashes before it can,
/// or the database stays down past the outage budget). The handler settles everything else
/// itself: a document's own failures after its tries, outages after the budget (1 h). At the
/// 300 s back-off cap, 50 receives cover about 3.5 hours.
pub const MAX_RECEIVE_COUNT: u32 = 50;
pub const DLQ_RETENTION_SECONDS: u32 = 14 * 24 * 3600;

#[derive(Clone, Debug)]
pub struct StackSpec {
    pub bucket: String,
    pub queue_prefix: String,
    pub visibility_timeout_seconds: u32,
}

pub fn queue_name(prefix: &str, stage: &str, dlq: bool) -> String {
    format!("{prefix}-{stage}{}", if dlq { "-dlq" } else { "" })
}

pub async fn provision(s3: &aws_sdk_s3::Client, sqs: &aws_sdk_sqs::Client, spec: &StackSpec) -> anyhow::Result<Queues> {
    create_bucket(s3, &spec.bucket).await?;
    let mut queues = Queues::default();
    for stage in PIPELINE.iter().map(|s| s.name) {
        let dlq_url = create_queue(
            sqs,
            &queue_name(&spec.queue_prefix, stage, true),
            &[(QueueAttributeName::MessageRetentionPeriod, DLQ_RETENTION_SECONDS.to_string())],
        )
        .await?;
        let dlq_arn = queue_arn(sqs, &dlq_url).await?;
        let redrive =
            serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT.to_string() });
        let url = create_queue(
            sqs,
            &queue_name(&spec.queue_prefix, stage, false),
            &[
                (QueueAttributeName::VisibilityTimeout, spec.visibility_timeout_seconds.to_string()),
                (QueueAttributeName::RedrivePolicy, redrive.to_string()),
            ],
        )
        .await?;
        queues.set(stage, QueuePair { url: Some(url), dlq_url: Some(dlq_url) });
    }
    let parse_url = queues.url(INTAKE.name)?.to_owned();
    let parse_arn = queue_arn(sqs, &parse_url).await?;
    allow_bucket_to_send(sqs, &parse_url, &parse_arn, &spec.bucket).await?;
    notify_parse_queue(s3, &spec.bucket, &parse_arn).await?;
    Ok(queues)
}

async fn create_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> anyhow::Result<()> {
    match s3.create_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let code = e.as_service_error().and_then(|se| aws_sdk_s3::error::ProvideErrorMetadata::code(se));
            if matches!(code, Some("BucketAlreadyOwnedByYou")) {
                Ok(())
            } else {
                Err(anyhow::Error::new(e).context(format!("creating bucket {bucket}")))
            }
        }
    }
}

async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    attrs: &[(QueueAttributeName, String)],
) -> anyhow::Result<String> {
    // Created bare, then configured: CreateQueue refuses an existing queue whose attributes
    // differ (QueueNameExists), and re-runs must converge on the current settings.
    let out = sqs.create_queue().queue_name(name).send().await.with_context(|| format!("creating queue {name}"))?;
    let url = out.queue_url().context("CreateQueue returned no URL")?.to_owned();
    let mut set = sqs.set_queue_attributes().queue_url(&url);
    for (k, v) in attrs {
        set = set.attributes(k.clone(), v);
    }
    set.send().await.with_context(|| format!("configuring queue {name}"))?;
    Ok(url)
}

/// ARNs are read, never built: the account id differs between AWS and emulators.
pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> anyhow::Result<String> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .with_context(|| format!("reading the ARN of {url}"))?;
    out.attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .with_context(|| format!("{url} has no QueueArn"))
}

async fn allow_bucket_to_send(sqs: &aws_sdk_sqs::Client, url: &str, arn: &str, bucket: &str) -> anyhow::Result<()> {
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowUploadBucket",
            "Effect": "Allow",
            "Principal": { "Service": "s3.amazonaws.com" },
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": { "ArnLike": { "aws:SourceArn": format!("arn:aws:s3:::{bucket}") } }
        }]
    });
    sqs.set_queue_attributes()
        .queue_url(url)
        .attributes(QueueAttributeName::Policy, policy.to_string())
        .send()
        .await
        .context("setting the parse queue policy")?;
    Ok(())
}

async fn notify_parse_queue(s3: &aws_sdk_s3::Client, bucket: &str, parse_arn: &str) -> anyhow::Result<()> {
    let filter = NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(FilterRule::builder().name(FilterRuleName::Prefix).value(UPLOAD_PREFIX).build())
                .build(),
        )
        .build();
    let queue = QueueConfiguration::builder()
        .id("parse-uploads")
        .queue_arn(parse_arn)
        .events(Event::from("s3:ObjectCreated:*"))
        .events(Event::from("s3:ObjectRemoved:*"))
        .filter(filter)
        .build()
        .context("building the queue notification")?;
    s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(NotificationConfiguration::builder().queue_configurations(queue).build())
        .send()
        .await
        .context("setting the bucket notification")?;
    Ok(())
}
