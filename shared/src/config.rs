//! Configuration from the environment (Lambda function settings, or `.stack/env` locally).

use crate::embedding::batching::BatchLimits;
use crate::embedding::openai::OpenAiConfig;
use crate::parsing::DocKind;
use crate::parsing::llamaparse::LlamaParseConfig;
use crate::stage::Stage;
use anyhow::{Context as _, bail};
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct QueuePair {
    pub url: Option<String>,
    pub dlq_url: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Queues {
    pub parse: QueuePair,
    pub chunk: QueuePair,
    pub embed: QueuePair,
    pub finalize: QueuePair,
}

impl Queues {
    pub fn get(&self, stage: Stage) -> &QueuePair {
        match stage {
            Stage::Parse => &self.parse,
            Stage::Chunk => &self.chunk,
            Stage::Embed => &self.embed,
            Stage::Finalize => &self.finalize,
        }
    }

    pub fn get_mut(&mut self, stage: Stage) -> &mut QueuePair {
        match stage {
            Stage::Parse => &mut self.parse,
            Stage::Chunk => &mut self.chunk,
            Stage::Embed => &mut self.embed,
            Stage::Finalize => &mut self.finalize,
        }
    }

    pub fn url(&self, stage: Stage) -> anyhow::Result<&str> {
        self.get(stage).url.as_deref().with_context(|| format!("{} is not set", queue_env(stage, false)))
    }

    pub fn dlq_url(&self, stage: Stage) -> anyhow::Result<&str> {
        self.get(stage).dlq_url.as_deref().with_context(|| format!("{} is not set", queue_env(stage, true)))
    }
}

pub fn queue_env(stage: Stage, dlq: bool) -> String {
    let kind = if dlq { "DLQ" } else { "QUEUE" };
    format!("DOC_INGEST_{}_{kind}_URL", stage.as_str().to_uppercase())
}

#[derive(Clone, Debug)]
pub struct Limits {
    pub max_upload_bytes: u64,
    pub max_pages: u32,
    /// Types accepted, decided by content (`DOC_INGEST_ALLOWED_TYPES=pdf,markdown,text`).
    pub allowed_types: Vec<DocKind>,
}

#[derive(Clone, Debug)]
pub struct ChunkingConfig {
    pub max_tokens: usize,
    pub overlap_tokens: usize,
}

/// When the sweeper steps in, and how often it re-enqueues before it gives up on a job.
#[derive(Clone, Debug)]
pub struct SweepConfig {
    /// A job that has not moved (and holds no live lease) for this long is stuck. Well above the
    /// longest back-off (300 s) plus a visibility timeout, so a retry in flight is never "stuck".
    pub stuck_after: Duration,
    /// Re-enqueues per job and state; after these the job fails as stuck.
    pub max_requeues: u32,
    /// Execution environments not seen for this long are pruned from the registry.
    pub environment_retention: Duration,
    /// Time each sweep spends moving the vector backlog into the HNSW index.
    pub index_budget: Duration,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub db_pool_size: usize,
    /// Set locally (moto); unset in AWS.
    pub aws_endpoint: Option<String>,
    /// The upload bucket; only `ingestctl` needs it, stages take the bucket from the event.
    pub bucket: Option<String>,
    pub queues: Queues,
    /// How long a claim holds a job. Must exceed the function timeout, so a live handler is never
    /// overtaken, and stay below the queue's visibility timeout.
    pub lease: Duration,
    /// The receive on which a transient failure becomes final (the redrive maxReceiveCount).
    pub max_receives: u32,
    /// Messages of one SQS batch processed at once.
    pub batch_concurrency: usize,
    pub limits: Limits,
    pub chunking: ChunkingConfig,
    /// Request planning for the embedding API.
    pub batch_limits: BatchLimits,
    /// The OpenAI-compatible embeddings API; `None` runs the offline lexical embedder.
    pub embedding_api: Option<OpenAiConfig>,
    /// LlamaParse for PDFs; `None` runs the local parser only.
    pub llamaparse: Option<LlamaParseConfig>,
    pub llamaparse_api_key_secret_arn: Option<String>,
    /// Secrets Manager ARNs, resolved at cold start by `secrets::resolve`.
    pub database_secret_arn: Option<String>,
    pub embedding_api_key_secret_arn: Option<String>,
    /// Who holds leases: the Lambda log stream, or host and pid locally.
    pub worker_id: String,
    pub sweep: SweepConfig,
}

fn env_opt(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_parse<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match env_opt(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e| anyhow::anyhow!("{name}={v:?}: {e}")),
    }
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let database_secret_arn = env_opt("DOC_INGEST_DATABASE_SECRET_ARN");
        // Empty until `secrets::resolve` reads the secret.
        let database_url = match (env_opt("DATABASE_URL"), &database_secret_arn) {
            (Some(url), _) => url,
            (None, Some(_)) => String::new(),
            (None, None) => bail!("set DATABASE_URL or DOC_INGEST_DATABASE_SECRET_ARN"),
        };
        let mut queues = Queues::default();
        for stage in Stage::ALL {
            let pair = queues.get_mut(stage);
            pair.url = env_opt(&queue_env(stage, false));
            pair.dlq_url = env_opt(&queue_env(stage, true));
        }
        let d = Config::with_defaults(database_url, queues);
        let config = Config {
            db_pool_size: env_parse("DOC_INGEST_DB_POOL_SIZE", d.db_pool_size)?,
            aws_endpoint: env_opt("AWS_ENDPOINT_URL"),
            bucket: env_opt("DOC_INGEST_BUCKET"),
            lease: Duration::from_secs(env_parse("DOC_INGEST_LEASE_SECONDS", d.lease.as_secs())?),
            max_receives: env_parse("DOC_INGEST_MAX_RECEIVES", d.max_receives)?,
            batch_concurrency: env_parse("DOC_INGEST_BATCH_CONCURRENCY", d.batch_concurrency)?,
            limits: Limits {
                max_upload_bytes: env_parse("DOC_INGEST_MAX_UPLOAD_BYTES", d.limits.max_upload_bytes)?,
                max_pages: env_parse("DOC_INGEST_MAX_PAGES", d.limits.max_pages)?,
                allowed_types: match env_opt("DOC_INGEST_ALLOWED_TYPES") {
                    Some(list) => list.split(',').map(|t| t.trim().parse()).collect::<Result<_, _>>()?,
                    None => d.limits.allowed_types,
                },
            },
            chunking: ChunkingConfig {
                max_tokens: env_parse("DOC_INGEST_CHUNK_MAX_TOKENS", d.chunking.max_tokens)?,
                overlap_tokens: env_parse("DOC_INGEST_CHUNK_OVERLAP_TOKENS", d.chunking.overlap_tokens)?,
            },
            batch_limits: BatchLimits {
                max_inputs: env_parse("DOC_INGEST_EMBED_BATCH_SIZE", d.batch_limits.max_inputs)?,
                max_tokens: env_parse("DOC_INGEST_EMBED_MAX_BATCH_TOKENS", d.batch_limits.max_tokens)?,
                max_input_tokens: env_parse("DOC_INGEST_EMBED_MAX_INPUT_TOKENS", d.batch_limits.max_input_tokens)?,
            },
            embedding_api: embedding_api_from_env(None)?,
            llamaparse: llamaparse_from_env(None)?,
            llamaparse_api_key_secret_arn: env_opt("DOC_INGEST_LLAMAPARSE_API_KEY_SECRET_ARN"),
            database_secret_arn,
            embedding_api_key_secret_arn: env_opt("DOC_INGEST_EMBEDDING_API_KEY_SECRET_ARN"),
            sweep: SweepConfig {
                stuck_after: Duration::from_secs(env_parse(
                    "DOC_INGEST_STUCK_AFTER_SECONDS",
                    d.sweep.stuck_after.as_secs(),
                )?),
                max_requeues: env_parse("DOC_INGEST_SWEEP_MAX_REQUEUES", d.sweep.max_requeues)?,
                environment_retention: d.sweep.environment_retention,
                index_budget: Duration::from_secs(env_parse(
                    "DOC_INGEST_INDEX_BUDGET_SECONDS",
                    d.sweep.index_budget.as_secs(),
                )?),
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
            db_pool_size: 4,
            aws_endpoint: None,
            bucket: None,
            queues,
            lease: Duration::from_secs(900),
            max_receives: 4,
            batch_concurrency: 4,
            limits: Limits {
                max_upload_bytes: 50 * 1024 * 1024,
                max_pages: 2000,
                allowed_types: vec![DocKind::Pdf, DocKind::Markdown, DocKind::Text],
            },
            chunking: ChunkingConfig { max_tokens: 512, overlap_tokens: 64 },
            batch_limits: BatchLimits::default(),
            embedding_api: None,
            llamaparse: None,
            llamaparse_api_key_secret_arn: None,
            database_secret_arn: None,
            embedding_api_key_secret_arn: None,
            worker_id: default_worker_id(),
            sweep: SweepConfig {
                stuck_after: Duration::from_secs(15 * 60),
                max_requeues: 3,
                environment_retention: Duration::from_secs(24 * 3600),
                index_budget: Duration::from_secs(60),
            },
        }
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if self.limits.allowed_types.is_empty() {
            bail!("DOC_INGEST_ALLOWED_TYPES allows nothing");
        }
        if self.max_receives == 0 {
            bail!("DOC_INGEST_MAX_RECEIVES must be at least 1");
        }
        if self.chunking.overlap_tokens >= self.chunking.max_tokens {
            bail!(
                "chunk overlap ({}) must be below the chunk size ({})",
                self.chunking.overlap_tokens,
                self.chunking.max_tokens
            );
        }
        if !(1..=2048).contains(&self.batch_limits.max_inputs) {
            bail!("DOC_INGEST_EMBED_BATCH_SIZE must be 1..=2048 (OpenAI's per-request input cap)");
        }
        if self.batch_limits.max_tokens < self.batch_limits.max_input_tokens {
            bail!("DOC_INGEST_EMBED_MAX_BATCH_TOKENS must be at least DOC_INGEST_EMBED_MAX_INPUT_TOKENS");
        }
        if let Some(lp) = &self.llamaparse {
            if lp.deadline >= self.lease {
                bail!(
                    "DOC_INGEST_LLAMAPARSE_DEADLINE_SECONDS must be below the lease ({} s): the local fallback needs time too",
                    self.lease.as_secs()
                );
            }
        }
        if self.batch_concurrency == 0 || self.db_pool_size == 0 {
            bail!("DOC_INGEST_BATCH_CONCURRENCY and DOC_INGEST_DB_POOL_SIZE must be at least 1");
        }
        Ok(())
    }

    /// A stage's function needs its own queue (for visibility changes), its DLQ and the next
    /// stage's queue; fail the cold start rather than the first job when one is missing.
    pub fn require_stage(&self, stage: Stage) -> anyhow::Result<()> {
        self.queues.url(stage)?;
        self.queues.dlq_url(stage)?;
        if let Some(next) = stage.next() {
            self.queues.url(next)?;
        }
        Ok(())
    }
}

/// The API is used when a key is configured (or given, from a secret); without one the offline
/// embedder runs.
pub(crate) fn embedding_api_from_env(key: Option<String>) -> anyhow::Result<Option<OpenAiConfig>> {
    let key = key.filter(|k| !k.is_empty());
    let Some(api_key) = key.or_else(|| env_opt("DOC_INGEST_EMBEDDING_API_KEY")).or_else(|| env_opt("OPENAI_API_KEY"))
    else {
        return Ok(None);
    };
    Ok(Some(OpenAiConfig {
        base_url: env_opt("DOC_INGEST_EMBEDDING_BASE_URL").unwrap_or_else(|| "https://api.openai.com/v1".into()),
        api_key,
        model: env_opt("DOC_INGEST_EMBEDDING_MODEL").unwrap_or_else(|| "text-embedding-3-small".into()),
        dimensions: env_parse("DOC_INGEST_EMBEDDING_DIMENSIONS", crate::embedding::DIMENSIONS)?,
        timeout: Duration::from_secs(env_parse("DOC_INGEST_EMBEDDING_TIMEOUT_SECONDS", 60)?),
    }))
}

/// LlamaParse is used for PDFs when a key is configured (or given, from a secret).
pub(crate) fn llamaparse_from_env(key: Option<String>) -> anyhow::Result<Option<LlamaParseConfig>> {
    let key = key.filter(|k| !k.is_empty());
    let Some(api_key) =
        key.or_else(|| env_opt("DOC_INGEST_LLAMAPARSE_API_KEY")).or_else(|| env_opt("LLAMA_CLOUD_API_KEY"))
    else {
        return Ok(None);
    };
    let base = env_opt("DOC_INGEST_LLAMAPARSE_BASE_URL").unwrap_or_else(|| "https://api.cloud.llamaindex.ai".into());
    let mut c = LlamaParseConfig::new(base, api_key);
    if let Some(tier) = env_opt("DOC_INGEST_LLAMAPARSE_TIER") {
        c.tier = tier;
    }
    c.deadline = Duration::from_secs(env_parse("DOC_INGEST_LLAMAPARSE_DEADLINE_SECONDS", c.deadline.as_secs())?);
    c.request_timeout =
        Duration::from_secs(env_parse("DOC_INGEST_LLAMAPARSE_TIMEOUT_SECONDS", c.request_timeout.as_secs())?);
    Ok(Some(c))
}

fn default_worker_id() -> String {
    if let Some(stream) = env_opt("AWS_LAMBDA_LOG_STREAM_NAME") {
        return stream;
    }
    let host = env_opt("HOSTNAME").unwrap_or_else(|| "local".into());
    format!("{host}:{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_env_names() {
        assert_eq!(queue_env(Stage::Chunk, false), "DOC_INGEST_CHUNK_QUEUE_URL");
        assert_eq!(queue_env(Stage::Finalize, true), "DOC_INGEST_FINALIZE_DLQ_URL");
    }

    #[test]
    fn missing_queue_is_named() {
        let q = Queues::default();
        let err = q.url(Stage::Embed).unwrap_err().to_string();
        assert!(err.contains("DOC_INGEST_EMBED_QUEUE_URL"), "{err}");
    }
}
