//! `ingestctl dlq`: dead letters joined with their jobs, and moving them back.

use crate::report::{status, truncate};
use doc_ingest::Context;
use doc_ingest::framework::{StageMessage, attr};
use doc_ingest::ops::dlq::{self, DlqMessage, RedriveAll};
use doc_ingest::pipeline::{StageSpec, stage_names};
use doc_ingest::stages::parse::job_of_notification;
use doc_ingest::stages::parse::s3_event::{S3Notification, decode_s3_key};
use std::collections::HashMap;
use uuid::Uuid;

/// Messages read per DLQ; SQS returns at most 10 per receive, so this bounds the calls.
const MAX_PER_QUEUE: usize = 1000;

fn stages(stage: Option<&'static StageSpec>) -> Vec<&'static str> {
    stage.map_or_else(stage_names, |s| vec![s.name])
}

/// The job a dead letter is about: its attribute, else its body (a stage message, or the S3
/// notification of an upload that the redrive policy moved after crashes).
fn job_of(m: &DlqMessage) -> Option<Uuid> {
    m.job_id().or_else(|| job_of_notification(&m.body))
}

/// job id → (state, last error class) for the jobs the messages name.
async fn job_states(ctx: &Context, messages: &[DlqMessage]) -> anyhow::Result<HashMap<Uuid, (String, Option<String>)>> {
    let ids: Vec<Uuid> = messages.iter().filter_map(job_of).collect();
    let db = ctx.db.get().await?;
    Ok(doc_ingest::db::reports::job_states(&**db, &ids).await?)
}

pub async fn list(ctx: &Context, stage: Option<&'static StageSpec>) -> anyhow::Result<()> {
    let messages = dlq::list(ctx, &stages(stage), MAX_PER_QUEUE).await?;
    let jobs = job_states(ctx, &messages).await?;
    println!(
        "{:<9} {:<36} {:<36} {:<20} {:>8} {:<20} {:<10}",
        "stage", "message id", "job id", "error class", "attempts", "dead-lettered", "job state"
    );
    for m in &messages {
        let job = job_of(m);
        let state = job.and_then(|j| jobs.get(&j)).map_or("-", |(s, _)| s.as_str());
        println!(
            "{:<9} {:<36} {:<36} {:<20} {:>8} {:<20} {:<10}",
            m.stage,
            m.message_id,
            job.map_or("-".into(), |j| j.to_string()),
            truncate(m.attribute(attr::ERROR_CLASS).unwrap_or("(redrive policy)"), 20),
            m.attribute(attr::ATTEMPTS).unwrap_or("-"),
            m.sent_at.map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
            state,
        );
    }
    println!("{} dead letter(s)", messages.len());
    Ok(())
}

/// What a body is, without printing document content: stage messages carry only ids; of an S3
/// notification only the object is shown.
fn describe_body(body: &str) -> String {
    if let Ok(m) = StageMessage::decode(body) {
        return format!(
            "stage message: {} job {} document {} (attempt {})",
            m.stage, m.job_id, m.document_id, m.attempt
        );
    }
    if let Ok(n) = serde_json::from_str::<S3Notification>(body) {
        let objects: Vec<String> = n
            .records
            .iter()
            .map(|r| {
                let key = decode_s3_key(&r.s3.object.key).unwrap_or_else(|_| r.s3.object.key.clone());
                format!("s3://{}/{key}", r.s3.bucket.name)
            })
            .collect();
        return format!("S3 notification: {}", objects.join(", "));
    }
    format!("{} bytes, not a known message (not shown)", body.len())
}

pub async fn show(ctx: &Context, message_id: &str) -> anyhow::Result<()> {
    let messages = dlq::list(ctx, &stage_names(), MAX_PER_QUEUE).await?;
    let m = messages
        .iter()
        .find(|m| m.message_id == message_id)
        .ok_or_else(|| anyhow::anyhow!("no dead letter {message_id} in any DLQ"))?;
    println!("message {} in the {} DLQ", m.message_id, m.stage);
    // The DLQ's own receive count would count inspections like this one; `attempts` is what
    // the source queue saw.
    println!("  sent            {}", m.sent_at.map_or("-".into(), |t| t.to_rfc3339()));
    println!("  body            {}", describe_body(&m.body));
    for (k, v) in &m.attributes {
        println!("  {k:<15} {}", truncate(v, 200));
    }
    match job_of(m) {
        Some(job) => {
            println!();
            status(ctx, Some(job)).await?;
        }
        None => println!("\nno job id on this message"),
    }
    Ok(())
}

pub async fn redrive_job(ctx: &Context, job: Uuid, stage: Option<&'static StageSpec>) -> anyhow::Result<bool> {
    let moved = dlq::redrive_selected(ctx, &stages(stage), MAX_PER_QUEUE, |m| job_of(m) == Some(job)).await?;
    for m in &moved {
        println!("moved {} back to the {} queue", m.message_id, m.stage);
    }
    if moved.is_empty() {
        println!("no dead letter for job {job}");
    }
    Ok(!moved.is_empty())
}

pub async fn redrive_all(ctx: &Context, stage: Option<&'static StageSpec>) -> anyhow::Result<()> {
    for stage in stages(stage) {
        match dlq::redrive_all(ctx, stage, MAX_PER_QUEUE).await? {
            RedriveAll::MoveTask { task_handle } => println!("{stage}: SQS move task started ({task_handle})"),
            RedriveAll::Selective { moved, reason } => {
                println!("{stage}: moved {moved} message(s) one by one ({reason})")
            }
        }
    }
    Ok(())
}
