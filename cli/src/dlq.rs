//! `ingestctl dlq`: dead letters joined with their jobs, and moving them back.

use crate::report::{status, truncate};
use doc_ingest::message::{S3Notification, StageMessage, attr, decode_s3_key};
use doc_ingest::ops::dlq::{self, DlqMessage, RedriveAll};
use doc_ingest::{Context, Stage};
use std::collections::HashMap;
use uuid::Uuid;

/// Messages read per DLQ; SQS returns at most 10 per receive, so this bounds the calls.
const MAX_PER_QUEUE: usize = 1000;

fn stages(stage: Option<Stage>) -> Vec<Stage> {
    stage.map_or_else(|| Stage::ALL.to_vec(), |s| vec![s])
}

/// job id → (state, last error class) for the jobs the messages name.
async fn job_states(ctx: &Context, messages: &[DlqMessage]) -> anyhow::Result<HashMap<Uuid, (String, Option<String>)>> {
    let ids: Vec<Uuid> = messages.iter().filter_map(DlqMessage::job_id).collect();
    let db = ctx.db.get().await?;
    Ok(db
        .query("SELECT id, state::text, last_error_class FROM upload_jobs WHERE id = ANY($1)", &[&ids])
        .await?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect())
}

pub async fn list(ctx: &Context, stage: Option<Stage>) -> anyhow::Result<()> {
    let messages = dlq::list(ctx, &stages(stage), MAX_PER_QUEUE).await?;
    let jobs = job_states(ctx, &messages).await?;
    println!(
        "{:<9} {:<36} {:<36} {:<20} {:>8} {:<20} {:<10}",
        "stage", "message id", "job id", "error class", "attempts", "dead-lettered", "job state"
    );
    for m in &messages {
        let job = m.job_id();
        let state = job.and_then(|j| jobs.get(&j)).map_or("-", |(s, _)| s.as_str());
        println!(
            "{:<9} {:<36} {:<36} {:<20} {:>8} {:<20} {:<10}",
            m.stage.as_str(),
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
    let messages = dlq::list(ctx, &Stage::ALL, MAX_PER_QUEUE).await?;
    let m = messages
        .iter()
        .find(|m| m.message_id == message_id)
        .ok_or_else(|| anyhow::anyhow!("no dead letter {message_id} in any DLQ"))?;
    println!("message {} in the {} DLQ", m.message_id, m.stage);
    println!("  received        {} time(s)", m.receive_count);
    println!("  sent            {}", m.sent_at.map_or("-".into(), |t| t.to_rfc3339()));
    println!("  body            {}", describe_body(&m.body));
    for (k, v) in &m.attributes {
        println!("  {k:<15} {}", truncate(v, 200));
    }
    match m.job_id() {
        Some(job) => {
            println!();
            status(ctx, Some(job)).await?;
        }
        None => println!("\nno job id on this message"),
    }
    Ok(())
}

pub async fn redrive_job(ctx: &Context, job: Uuid, stage: Option<Stage>) -> anyhow::Result<bool> {
    let moved = dlq::redrive_selected(ctx, &stages(stage), MAX_PER_QUEUE, |m| m.job_id() == Some(job)).await?;
    for m in &moved {
        println!("moved {} back to the {} queue", m.message_id, m.stage);
    }
    if moved.is_empty() {
        println!("no dead letter for job {job}");
    }
    Ok(!moved.is_empty())
}

pub async fn redrive_all(ctx: &Context, stage: Option<Stage>) -> anyhow::Result<()> {
    for stage in stages(stage) {
        match dlq::redrive_all(ctx, stage, MAX_PER_QUEUE).await? {
            RedriveAll::MoveTask { task_handle } => println!("{stage}: SQS move task started ({task_handle})"),
            RedriveAll::Selective { moved, reason } => {
                println!("{stage}: moved {moved} message(s) one by one (no move task: {})", truncate(&reason, 120))
            }
        }
    }
    Ok(())
}
