//! Embed: each distinct model input not yet in the embedding cache is embedded once, in planned
//! batches, for every space the registry says to write (the active model's, and during a model
//! switch the new one's); the document's vectors are then written once and switched in
//! atomically. A re-embed message (a model switch filling its new space) rides the same queue.

mod reembed;

use crate::context::Context;
use crate::db::{chunks, jobs::Lease, vectors};
use crate::embedding::batching::{self, BatchLimits};
use crate::embedding::input::{embedding_text, input_sha256};
use crate::embedding::spaces::{self, Embedders};
use crate::embedding::{Embedder, cache, validate_vectors};
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use crate::framework::{Delivery, FromEnv, Stage, Work, stage_message_intake};
use crate::metrics::{self, Unit};
use crate::pipeline::{EMBED, StageSpec};
use pgvector::Vector;
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

pub use reembed::{REEMBED_KIND, ReembedMessage};
pub use vectors::{SpaceVectors, Tally};

pub struct EmbedStage {
    embedders: Embedders,
    limits: BatchLimits,
}

impl EmbedStage {
    /// One embedder: the model a new deployment registers as active. Other models' spaces are a
    /// configuration error for this stage (see [`EmbedStage::with_embedders`]).
    pub fn new(embedder: Arc<dyn Embedder>, limits: BatchLimits) -> Self {
        Self::with_embedders(Embedders::fixed(embedder, Vec::new()), limits)
    }

    pub fn with_embedders(embedders: Embedders, limits: BatchLimits) -> Self {
        EmbedStage { embedders, limits }
    }
}

impl FromEnv for EmbedStage {
    /// The configured model's embedder; any other registered model's is built when a space of
    /// it is to be written.
    async fn from_env(ctx: &Context) -> anyhow::Result<Self> {
        let default = crate::embedding::from_env(&ctx.sdk).await?;
        Ok(Self::with_embedders(Embedders::from_env(default, ctx.sdk.clone()), BatchLimits::from_env()?))
    }
}

/// One chunk as a model reads it.
pub(crate) struct Input {
    pub sha256: String,
    pub text: String,
    pub tokens: usize,
}

pub(crate) fn inputs(rows: &[chunks::ChunkText]) -> Vec<Input> {
    rows.iter()
        .map(|r| {
            let text = embedding_text(&r.content);
            // Taking markdown out only shortens the text: the chunk's count is an upper bound.
            Input { sha256: input_sha256(&text), tokens: r.tokens, text }
        })
        .collect()
}

/// The vectors of one space for these inputs (in order): cached ones reused, the rest embedded
/// once each in planned batches, each batch cached as soon as it returns, so a retry after a
/// 429 pays only for what is left.
pub(crate) async fn space_vectors(
    ctx: &Context,
    embedder: &dyn Embedder,
    limits: &BatchLimits,
    document_id: Uuid,
    inputs: &[Input],
    tally: &mut Tally,
) -> StageResult<Vec<Vector>> {
    let model = embedder.model().to_owned();
    let dims = embedder.dimensions();
    let mut known = cache::lookup(ctx, &model, dims, inputs.iter().map(|r| r.sha256.clone()).collect()).await?;
    tally.cache_hits += inputs.iter().filter(|r| known.contains_key(&r.sha256)).count();
    let mut seen = HashSet::new();
    let missing: Vec<&Input> =
        inputs.iter().filter(|r| !known.contains_key(&r.sha256) && seen.insert(r.sha256.as_str())).collect();
    let tokens: Vec<usize> = missing.iter().map(|r| r.tokens).collect();
    for range in batching::plan(&tokens, limits)? {
        let batch = &missing[range];
        let texts: Vec<String> = batch.iter().map(|r| r.text.clone()).collect();
        let out = embedder.embed(&texts).await?;
        validate_vectors(texts.len(), dims, &out.vectors)?;
        let shas: Vec<String> = batch.iter().map(|r| r.sha256.clone()).collect();
        let vectors: Vec<Vector> = out.vectors.into_iter().map(Vector::from).collect();
        cache::store(ctx, &model, dims, document_id, &shas, &vectors, out.usage_tokens).await?;
        tally.requests += 1;
        tally.embedded += texts.len();
        tally.usage_tokens += out.usage_tokens;
        known.extend(shas.into_iter().zip(vectors));
    }
    Ok(inputs.iter().map(|r| known[&r.sha256].clone()).collect())
}

impl Stage for EmbedStage {
    fn spec(&self) -> &'static StageSpec {
        &EMBED
    }

    async fn intake(&self, ctx: &Context, delivery: &Delivery) -> StageResult<Vec<Work>> {
        if let Some(msg) = ReembedMessage::decode(&delivery.body)? {
            reembed::run(ctx, &self.embedders, &self.limits, &msg).await?;
            return Ok(Vec::new());
        }
        stage_message_intake(ctx, &EMBED, &delivery.body).await
    }

    async fn run(&self, ctx: &Context, lease: &Lease) -> StageResult<()> {
        let client = ctx.db.get().await.db("loading chunks")?;
        let rows = chunks::texts(&**client, lease.document_id).await?;
        if rows.is_empty() {
            return Err(StageError::new(ErrorClass::NoChunks, "the document has no chunks to embed"));
        }
        spaces::active_or_register(&**client, &**self.embedders.default()).await?;
        let targets = spaces::targets(&**client).await?;
        drop(client);

        let inputs = inputs(&rows);
        let mut tally = Tally::default();
        let mut sets = Vec::with_capacity(targets.len());
        let mut per_model = Vec::with_capacity(targets.len());
        for space in &targets {
            let embedder = self.embedders.get(&space.model).await?;
            if embedder.dimensions() != space.dimensions {
                return Err(StageError::new(
                    ErrorClass::EmbeddingDimensionMismatch,
                    format!(
                        "model {} returns {}-d vectors; its space is {}-d",
                        space.model,
                        embedder.dimensions(),
                        space.dimensions
                    ),
                ));
            }
            let mut own = Tally::default();
            let vectors = space_vectors(ctx, &*embedder, &self.limits, lease.document_id, &inputs, &mut own).await?;
            tally += &own;
            per_model.push(own);
            sets.push(SpaceVectors { model: space.model.clone(), vectors });
        }

        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        vectors::write(ctx, lease, &ids, &sets, &tally).await?;
        // Per model: a switch's re-embedding cost shows apart from the active model's.
        for (set, own) in sets.iter().zip(&per_model) {
            metrics::emit(
                &[("Stage", EMBED.name), ("Model", set.model.as_str())],
                &[
                    ("Vectors", ids.len() as f64, Unit::Count),
                    ("CacheHits", own.cache_hits as f64, Unit::Count),
                    ("EmbeddingRequests", own.requests as f64, Unit::Count),
                    ("EmbeddingTokens", own.usage_tokens as f64, Unit::Count),
                ],
            );
        }
        Ok(())
    }
}
