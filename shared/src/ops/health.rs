//! One look at the whole pipeline: the database, every queue and DLQ, stuck jobs, and the
//! execution environments that have been seen recently.

use super::registry::{self, Environment};
use super::sweeper::{StuckJob, find_stuck};
use crate::context::Context;
use crate::error::DbResultExt;
use crate::pipeline::{JobState, PIPELINE};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct QueueStats {
    pub stage: &'static str,
    pub dlq: bool,
    pub visible: i64,
    pub in_flight: i64,
    pub delayed: i64,
    /// For a DLQ: the age of the oldest of the messages sampled. Stage queues are not sampled
    /// (that would hide messages from the consumers); their lag is `oldest_waiting` below.
    pub oldest_age: Option<Duration>,
}

#[derive(Debug, Default)]
pub struct Health {
    pub database: Option<String>,
    pub queues: Vec<QueueStats>,
    pub queue_errors: Vec<String>,
    pub stuck: Vec<StuckJob>,
    /// Per open state: jobs in it and how long the oldest has waited.
    pub open_jobs: Vec<(JobState, i64, Duration)>,
    pub environments: Vec<Environment>,
    /// Current vectors not yet in the HNSW index (searched exactly until they are).
    pub vector_backlog: i64,
    /// The active embedding model.
    pub active_model: Option<String>,
    /// A model switch under way: the model being built, documents covered, documents in all.
    pub model_switch: Option<(String, i64, i64)>,
}

/// Environments seen within this window count as live.
pub const LIVE_WITHIN: Duration = Duration::from_secs(15 * 60);

impl Health {
    /// What makes the pipeline unhealthy; empty when it is healthy.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(e) = &self.database {
            out.push(format!("database unreachable: {e}"));
        }
        out.extend(self.queue_errors.iter().cloned());
        for q in self.queues.iter().filter(|q| q.dlq && q.visible + q.in_flight > 0) {
            out.push(format!("{} DLQ holds {} message(s)", q.stage, q.visible + q.in_flight));
        }
        if !self.stuck.is_empty() {
            out.push(format!("{} stuck job(s)", self.stuck.len()));
        }
        out
    }
}

pub async fn check(ctx: &Context) -> Health {
    let mut health = Health::default();
    for stage in PIPELINE.iter().map(|s| s.name) {
        for dlq in [false, true] {
            match queue_stats(ctx, stage, dlq).await {
                Ok(q) => health.queues.push(q),
                Err(e) => health.queue_errors.push(format!("{stage} {}: {e}", if dlq { "DLQ" } else { "queue" })),
            }
        }
    }
    let db = match ctx.db.get().await {
        Ok(db) => db,
        Err(e) => {
            health.database = Some(e.to_string());
            return health;
        }
    };
    let result = async {
        health.stuck = find_stuck(&**db, ctx.config.sweep.orphan_grace, ctx.config.sweep.stuck_after, 1000).await?;
        health.environments = registry::live(&**db, LIVE_WITHIN).await?;
        health.vector_backlog = super::indexer::backlog(&**db).await?;
        let spaces = crate::embedding::spaces::targets(&**db).await?;
        health.active_model = spaces.iter().find(|s| s.state == "active").map(|s| s.model.clone());
        if let Some(b) = spaces.iter().find(|s| s.state == "building") {
            let (covered, total) = crate::embedding::spaces::progress(&**db, &b.model).await?;
            health.model_switch = Some((b.model.clone(), covered, total));
        }
        let rows = db
            .query(
                "SELECT state::text, count(*), extract(epoch FROM now() - min(state_changed_at))::float8
                 FROM upload_jobs WHERE state NOT IN ('done', 'failed') GROUP BY state ORDER BY state",
                &[],
            )
            .await
            .db("counting open jobs")?;
        for r in rows {
            if let Ok(state) = r.get::<_, &str>(0).parse() {
                health.open_jobs.push((state, r.get(1), Duration::from_secs_f64(r.get::<_, f64>(2).max(0.0))));
            }
        }
        Ok::<_, crate::StageError>(())
    }
    .await;
    if let Err(e) = result {
        health.database = Some(e.to_string());
    }
    health
}

async fn queue_stats(ctx: &Context, stage: &'static str, dlq: bool) -> anyhow::Result<QueueStats> {
    let url = if dlq { ctx.config.queues.dlq_url(stage)? } else { ctx.config.queues.url(stage)? };
    let out = ctx
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{}", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
    let attrs = out.attributes.unwrap_or_default();
    let n = |name: QueueAttributeName| attrs.get(&name).and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut stats = QueueStats {
        stage,
        dlq,
        visible: n(QueueAttributeName::ApproximateNumberOfMessages),
        in_flight: n(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        delayed: n(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
        oldest_age: None,
    };
    if dlq && stats.visible > 0 {
        stats.oldest_age = oldest_sampled(ctx, url).await?;
    }
    Ok(stats)
}

/// Receives up to 10 messages without hiding them (visibility 0) and returns the oldest age.
async fn oldest_sampled(ctx: &Context, url: &str) -> anyhow::Result<Option<Duration>> {
    let out = ctx
        .sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{}", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
    let now = chrono::Utc::now().timestamp_millis();
    Ok(out
        .messages
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m.attributes.as_ref()?.get(&MessageSystemAttributeName::SentTimestamp)?.parse::<i64>().ok())
        .min()
        .map(|sent| Duration::from_millis((now - sent).max(0) as u64)))
}
