//! Changing the embedding model in place. The new model's space is registered `building`; from
//! then on the embed stage writes it beside the active one for every document it embeds, and a
//! re-embed message on the embed queue fills it for each document already done (the cache makes
//! a repeat free). Searches keep serving the active space throughout. When every document past
//! its embed stage has a full set of vectors in the new space, one transaction makes it active
//! and retires the old one; the old space is dropped after a grace period (the sweeper) or on
//! command. Every step is idempotent: an interrupted switch is resumed by running it again.

use crate::context::Context;
use crate::embedding::spaces::{self, Space};
pub use crate::embedding::spaces::{drop_expired, drop_space, missing, progress};
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use crate::stages::embed::ReembedMessage;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// What re-embedding everything into a model would cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub documents: i64,
    pub chunks: i64,
    /// Tokens of the chunks as sized (the active profile's tokenizer), before cache hits.
    pub tokens: i64,
    /// At `price_per_mtok` dollars per million tokens.
    pub usd: f64,
}

/// The list price per million input tokens, for the estimate; 0 for the offline models.
/// `DOC_INGEST_EMBEDDING_PRICE_PER_MTOK` overrides it.
pub fn price_per_mtok(model: &str) -> f64 {
    if let Some(p) = crate::config::env_opt("DOC_INGEST_EMBEDDING_PRICE_PER_MTOK").and_then(|p| p.parse().ok()) {
        return p;
    }
    match (crate::embedding::provider_of(model), model) {
        ("openai", "text-embedding-3-large") => 0.13,
        ("openai", "text-embedding-ada-002") => 0.10,
        ("openai", _) => 0.02,
        _ => 0.0,
    }
}

pub async fn estimate(db: &impl GenericClient, model: &str, price_per_mtok: f64) -> StageResult<Estimate> {
    let row = db
        .query_one(
            &format!(
                "WITH m AS ({})
                 SELECT count(DISTINCT m.id), count(c.id), coalesce(sum(c.token_count), 0)::bigint
                 FROM m LEFT JOIN document_chunks c ON c.document_id = m.id",
                spaces::MISSING
            ),
            &[&model],
        )
        .await
        .db("estimating the switch")?;
    let tokens: i64 = row.get(2);
    Ok(Estimate { documents: row.get(0), chunks: row.get(1), tokens, usd: tokens as f64 / 1e6 * price_per_mtok })
}

/// Builds the space's HNSW index without blocking the embed stage's writes (a plain CREATE
/// INDEX would hold them for a scan of the whole table). Needs a connection outside any
/// transaction.
pub async fn index_space(db: &tokio_postgres::Client, model: &str) -> StageResult<()> {
    let stmt: Option<String> =
        db.query_one("SELECT embedding_space_index_statement($1)", &[&model]).await.db("indexing the space")?.get(0);
    let Some(stmt) = stmt else { return Ok(()) };
    db.execute("SELECT pg_advisory_lock(hashtextextended('doc-ingest:embedding-space-index', 0))", &[])
        .await
        .db("indexing the space")?;
    let built = db.batch_execute(&stmt).await.db("indexing the space");
    let _ = db.execute("SELECT pg_advisory_unlock(hashtextextended('doc-ingest:embedding-space-index', 0))", &[]).await;
    built
}

/// Registers `model`'s space as the one being built (resuming if it already is).
pub async fn begin(db: &impl GenericClient, model: &str, dimensions: usize) -> StageResult<Space> {
    if let Some(s) = spaces::get(db, model).await? {
        if s.dimensions != dimensions {
            return Err(StageError::new(
                ErrorClass::EmbeddingDimensionMismatch,
                format!(
                    "model {model} is registered with {}-d vectors; its embedder returns {dimensions}-d",
                    s.dimensions
                ),
            ));
        }
        if s.state == "active" || s.state == "building" {
            return Ok(s);
        }
    }
    if let Some(other) = spaces::targets(db).await?.into_iter().find(|s| s.state == "building" && s.model != model) {
        return Err(StageError::new(
            ErrorClass::InvalidQuery,
            format!("a switch to {} is under way; finish it, or `ingestctl embeddings cancel`", other.model),
        ));
    }
    spaces::register_row(db, model, dimensions, "building").await?;
    db.execute(
        "UPDATE embedding_models SET state = 'building', retired_at = NULL
         WHERE name = $1 AND state IN ('retired', 'dropped')",
        &[&model],
    )
    .await
    .db("starting the switch")?;
    spaces::get(db, model).await?.ok_or_else(|| StageError::new(ErrorClass::DatabaseError, "the new space vanished"))
}

/// One re-embed message per document on the embed queue.
pub async fn enqueue(ctx: &Context, documents: &[Uuid], model: &str, correlation_id: &str) -> StageResult<usize> {
    let url = ctx
        .config
        .queues
        .url(crate::pipeline::EMBED.name)
        .map_err(|e| StageError::new(ErrorClass::Misconfigured, e.to_string()))?;
    for chunk in documents.chunks(10) {
        let mut batch = ctx.sqs.send_message_batch().queue_url(url);
        for (i, id) in chunk.iter().enumerate() {
            let body = ReembedMessage::new(*id, model, correlation_id).to_body();
            let entry = aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(body)
                .build()
                .map_err(|e| StageError::new(ErrorClass::Misconfigured, e.to_string()))?;
            batch = batch.entries(entry);
        }
        let out = batch.send().await.map_err(|e| crate::aws::classify_sdk_error("sending re-embed messages", e))?;
        if !out.failed().is_empty() {
            return Err(StageError::new(
                ErrorClass::AwsUnavailable,
                format!("{} re-embed messages were not accepted", out.failed().len()),
            ));
        }
    }
    Ok(documents.len())
}

/// Makes `model` the active space if every document is covered, atomically; returns the number
/// still missing otherwise (0 = switched). The registry rows are locked, so an embed stage that
/// is switching its vectors in, or a finalize, waits for this and then sees the new model.
pub async fn try_complete(client: &mut deadpool_postgres::Object, model: &str) -> StageResult<usize> {
    let tx = crate::db::begin(client).await.db("completing the switch")?;
    let states: Vec<(String, String)> = tx
        .query("SELECT name, state FROM embedding_models WHERE state IN ('active', 'building') FOR UPDATE", &[])
        .await
        .db("locking the registry")?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    if states.iter().any(|(m, s)| m == model && s == "active") {
        return Ok(0);
    }
    if !states.iter().any(|(m, s)| m == model && s == "building") {
        return Err(StageError::new(ErrorClass::InvalidQuery, format!("no switch to {model} is under way")));
    }
    let left = spaces::missing(&tx, model).await?.len();
    if left > 0 {
        return Ok(left);
    }
    tx.execute("UPDATE embedding_models SET state = 'retired', retired_at = now() WHERE state = 'active'", &[])
        .await
        .db("retiring the old space")?;
    tx.execute("UPDATE embedding_models SET state = 'active', activated_at = now() WHERE name = $1", &[&model])
        .await
        .db("activating the new space")?;
    tx.commit().await.db("completing the switch")?;
    Ok(0)
}

/// Abandons a switch: the building space is retired (its vectors stay until it is dropped).
pub async fn cancel(db: &impl GenericClient) -> StageResult<Option<String>> {
    let row = db
        .query_opt(
            "UPDATE embedding_models SET state = 'retired', retired_at = now() WHERE state = 'building' RETURNING name",
            &[],
        )
        .await
        .db("cancelling the switch")?;
    Ok(row.map(|r| r.get(0)))
}
