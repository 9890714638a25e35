//! The framework's configuration from the environment (Lambda function settings, or
//! `.stack/env` locally). Each stage reads its own settings in its constructor.

use crate::framework::RetryPolicy;
use crate::pipeline::{PIPELINE, StageSpec};
use anyhow::{Context as _, bail};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct QueuePair {
    pub url: Option<String>,
    pub dlq_url: Option<String>,
}

/// Each stage's queue and DLQ, by stage name.
#[derive(Clone, Debug, Default)]
pub struct Queues {
    by_stage: BTreeMap<&'static str, QueuePair>,
}

impl Queues {
    pub fn set(&mut self, stage: &'static str, pair: QueuePair) {
        self.by_stage.insert(stage, pair);
    }

    pub fn url(&self, stage: &str) -> anyhow::Result<&str> {
        self.by_stage
            .get(stage)
            .and_then(|p| p.url.as_deref())
            .with_context(|| format!("{} is not set", queue_env(stage, false)))
    }

    pub fn dlq_url(&self, stage: &str) -> anyhow::Result<&str> {
        self.by_stage
            .get(stage)
            .and_then(|p| p.dlq_url.as_deref())
            .with_context(|| format!("{} is not set", queue_env(stage, true)))
    }

    /// The stage whose queue or DLQ has this URL.
    pub fn stage_of(&self, url: &str) -> Option<&'static str> {
        self.by_stage
            .iter()
            .find(|(_, p)| p.url.as_deref() == Some(url) || p.dlq_url.as_deref() == Some(url))
            .map(|(name, _)| *name)
    }
}

pub fn queue_env(stage: &str, dlq: bool) -> String {
    let kind = if dlq { "DLQ" } else { "QUEUE" };
    format!("DOC_INGEST_{}_{kind}_URL", stage.to_uppercase())
}

/// When the sweeper steps in.
#[derive(Clone, Debug)]
pub struct SweepConfig {
    /// A job in a ready state that has not moved (nor been re-enqueued) for this long lost its
    /// message. Above the longest back-off (300 s), so a retry on its way is not "stuck".
    pub stuck_after: Duration,
    /// A running job whose lease ran out this long ago lost its handler (killed, timed out).
    pub orphan_grace: Duration,
    /// Re-enqueues of a ready job before it fails as stuck.
    pub max_requeues: u32,
    /// Execution environments not seen for this long are pruned from the registry.
    pub environment_retention: Duration,
    /// Time each sweep spends moving the vector backlog into the HNSW index.
    pub index_budget: Duration,
    /// A retired embedding space (the model before a switch) is kept this long, to switch back
    /// at no cost, then dropped by the sweeper.
    pub retired_space_grace: Duration,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    /// Secrets Manager ARN of an RDS-format secret, resolved at cold start when no URL is set.
    pub database_secret_arn: Option<String>,
    pub db_pool_size: usize,
    /// Set locally (moto); unset in AWS.
    pub aws_endpoint: Option<String>,
    /// The upload bucket; only `ingestctl` needs it, stages take the bucket from the event.
    pub bucket: Option<String>,
    pub queues: Queues,
    /// How long a claim holds a job without a heartbeat. The handler renews it every third of
    /// this while the stage runs, so it bounds how long a killed handler's job waits.
    pub lease: Duration,
    pub retry: RetryPolicy,
    /// Messages of one SQS batch processed at once.
    pub batch_concurrency: usize,
    /// Who holds leases: the Lambda log stream, or host and pid locally.
    pub worker_id: String,
    pub sweep: SweepConfig,
}

pub(crate) fn env_opt(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub(crate) fn env_parse<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match env_opt(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e| anyhow::anyhow!("{name}={v:?}: {e}")),
    }
}

fn env_secs(name: &str, default: Duration) -> anyhow::Result<Duration> {
    Ok(Duration::from_secs(env_parse(name, default.as_secs())?))
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let database_secret_arn = env_opt("DOC_INGEST_DATABASE_SECRET_ARN");
        // Empty until `secrets::resolve_database` reads the secret.
        let database_url = match (env_opt("DATABASE_URL"), &database_secret_arn) {
            (Some(url), _) => url,
            (None, Some(_)) => String::new(),
            (None, None) => bail!("set DATABASE_URL or DOC_INGEST_DATABASE_SECRET_ARN"),
        };
        let mut queues = Queues::default();
        for spec in PIPELINE {
            let pair =
                QueuePair { url: env_opt(&queue_env(spec.name, false)), dlq_url: env_opt(&queue_env(spec.name, true)) };
            queues.set(spec.name, pair);
        }
        let d = Config::with_defaults(database_url, queues);
        let config = Config {
            database_secret_arn,
            db_pool_size: env_parse("DOC_INGEST_DB_POOL_SIZE", d.db_pool_size)?,
            aws_endpoint: env_opt("AWS_ENDPOINT_URL"),
            bucket: env_opt("DOC_INGEST_BUCKET"),
            lease: env_secs("DOC_INGEST_LEASE_SECONDS", d.lease)?,
            retry: RetryPolicy {
                max_tries: env_parse("DOC_INGEST_MAX_TRIES", d.retry.max_tries)?,
                max_claims: env_parse("DOC_INGEST_MAX_CLAIMS", d.retry.max_claims)?,
                outage_budget: env_secs("DOC_INGEST_OUTAGE_BUDGET_SECONDS", d.retry.outage_budget)?,
                ..d.retry
            },
            batch_concurrency: env_parse("DOC_INGEST_BATCH_CONCURRENCY", d.batch_concurrency)?,
            sweep: SweepConfig {
                stuck_after: env_secs("DOC_INGEST_STUCK_AFTER_SECONDS", d.sweep.stuck_after)?,
                orphan_grace: env_secs("DOC_INGEST_ORPHAN_GRACE_SECONDS", d.sweep.orphan_grace)?,
                max_requeues: env_parse("DOC_INGEST_SWEEP_MAX_REQUEUES", d.sweep.max_requeues)?,
                environment_retention: d.sweep.environment_retention,
                index_budget: env_secs("DOC_INGEST_INDEX_BUDGET_SECONDS", d.sweep.index_budget)?,
                retired_space_grace: Duration::from_secs(
                    3600 * env_parse("DOC_INGEST_RETIRED_SPACE_HOURS", d.sweep.retired_space_grace.as_secs() / 3600)?,
                ),
            },
            ..d
        };
        config.validate()?;
        Ok(config)
    }

    /// Every setting at its default; what `from_env` starts from, and what tests build on.
    pub fn with_defaults(database_url: String, queues: Queues) -> Self {
        Config {
            database_url,
            database_secret_arn: None,
            db_pool_size: 4,
            aws_endpoint: None,
            bucket: None,
            queues,
            lease: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            batch_concurrency: 4,
            worker_id: default_worker_id(),
            sweep: SweepConfig {
                stuck_after: Duration::from_secs(10 * 60),
                orphan_grace: Duration::from_secs(30),
                max_requeues: 3,
                environment_retention: Duration::from_secs(24 * 3600),
                index_budget: Duration::from_secs(60),
                retired_space_grace: Duration::from_secs(24 * 3600),
            },
        }
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if self.retry.max_tries == 0 {
            bail!("DOC_INGEST_MAX_TRIES must be at least 1");
        }
        if self.retry.outage_budget < Duration::from_secs(15 * 60) {
            bail!("DOC_INGEST_OUTAGE_BUDGET_SECONDS must cover a 15-minute outage (a database failover takes 1-2)");
        }
        if self.lease < Duration::from_secs(3) {
            bail!("DOC_INGEST_LEASE_SECONDS must be at least 3 (the heartbeat renews it every third)");
        }
        if self.batch_concurrency == 0 || self.db_pool_size == 0 {
            bail!("DOC_INGEST_BATCH_CONCURRENCY and DOC_INGEST_DB_POOL_SIZE must be at least 1");
        }
        Ok(())
    }

    /// A stage's function needs its own queue (for visibility changes), its DLQ and the next
    /// stage's queue; fail the cold start rather than the first job when one is missing.
    pub fn require_stage(&self, spec: &StageSpec) -> anyhow::Result<()> {
        self.queues.url(spec.name)?;
        self.queues.dlq_url(spec.name)?;
        if let Some(next) = spec.next {
            self.queues.url(next)?;
        }
        Ok(())
    }
}

fn default_worker_id() -> String {
    if let Some(stream) = env_opt("AWS_LAMBDA_LOG_STREAM_NAME") {
        return stream;
    }
    format!("{}:{}", crate::ops::registry::host_name(), std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_env_names() {
        assert_eq!(queue_env("chunk", false), "DOC_INGEST_CHUNK_QUEUE_URL");
        assert_eq!(queue_env("finalize", true), "DOC_INGEST_FINALIZE_DLQ_URL");
    }

    #[test]
    fn missing_queue_is_named() {
        let q = Queues::default();
        let err = q.url("embed").unwrap_err().to_string();
        assert!(err.contains("DOC_INGEST_EMBED_QUEUE_URL"), "{err}");
    }

    #[test]
    fn an_outage_budget_under_fifteen_minutes_is_refused() {
        let mut c = Config::with_defaults("postgres://x".into(), Queues::default());
        assert!(c.validate().is_ok());
        c.retry.outage_budget = Duration::from_secs(60);
        assert!(c.validate().is_err());
    }
}
