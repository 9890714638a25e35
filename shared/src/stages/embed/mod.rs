//! Embed: each distinct chunk text not yet in the embedding cache is embedded once, in planned
//! batches; the document's vectors are then written once and switched in atomically.

use crate::context::Context;
use crate::db::{chunks, jobs::Lease, vectors};
use crate::embedding::batching::{self, BatchLimits};
use crate::embedding::{Embedder, cache, validate_vectors};
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use crate::framework::{FromEnv, Stage};
use crate::metrics::{self, Unit};
use crate::pipeline::{EMBED, StageSpec};
use pgvector::Vector;
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

pub use vectors::Tally;

pub struct EmbedStage {
    embedder: Arc<dyn Embedder>,
    limits: BatchLimits,
}

impl EmbedStage {
    pub fn new(embedder: Arc<dyn Embedder>, limits: BatchLimits) -> Self {
        EmbedStage { embedder, limits }
    }
}

impl FromEnv for EmbedStage {
    /// The OpenAI-compatible API when a key is configured (from a secret, in AWS), else the
    /// offline lexical embedder.
    async fn from_env(ctx: &Context) -> anyhow::Result<Self> {
        Ok(Self::new(crate::embedding::from_env(&ctx.sdk).await?, BatchLimits::from_env()?))
    }
}

impl Stage for EmbedStage {
    fn spec(&self) -> &'static StageSpec {
        &EMBED
    }

    async fn run(&self, ctx: &Context, lease: &Lease) -> StageResult<()> {
        let rows = chunks::texts(&**ctx.db.get().await.db("loading chunks")?, lease.document_id).await?;
        if rows.is_empty() {
            return Err(StageError::new(ErrorClass::NoChunks, "the document has no chunks to embed"));
        }
        let model = self.embedder.model().to_owned();
        let mut known = cache::lookup(ctx, &model, rows.iter().map(|r| r.sha256.clone()).collect()).await?;
        let mut tally =
            Tally { cache_hits: rows.iter().filter(|r| known.contains_key(&r.sha256)).count(), ..Default::default() };

        // Each distinct text not in the cache is embedded once, in planned batches; every batch is
        // cached as soon as it returns, so a retry after a 429 pays only for what is left.
        let mut seen = HashSet::new();
        let missing: Vec<&chunks::ChunkText> =
            rows.iter().filter(|r| !known.contains_key(&r.sha256) && seen.insert(r.sha256.as_str())).collect();
        let tokens: Vec<usize> = missing.iter().map(|r| r.tokens).collect();
        for range in batching::plan(&tokens, &self.limits)? {
            let batch = &missing[range];
            let texts: Vec<String> = batch.iter().map(|r| r.content.clone()).collect();
            let out = self.embedder.embed(&texts).await?;
            validate_vectors(texts.len(), &out.vectors)?;
            let shas: Vec<String> = batch.iter().map(|r| r.sha256.clone()).collect();
            let vectors: Vec<Vector> = out.vectors.into_iter().map(Vector::from).collect();
            cache::store(ctx, &model, lease.document_id, &shas, &vectors, out.usage_tokens).await?;
            tally.requests += 1;
            tally.embedded += texts.len();
            tally.usage_tokens += out.usage_tokens;
            known.extend(shas.into_iter().zip(vectors));
        }

        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let vectors: Vec<Vector> = rows.iter().map(|r| known[&r.sha256].clone()).collect();
        vectors::write(ctx, lease, &model, &ids, &vectors, &tally).await?;
        metrics::emit(
            &[("Stage", EMBED.name)],
            &[
                ("Vectors", ids.len() as f64, Unit::Count),
                ("CacheHits", tally.cache_hits as f64, Unit::Count),
                ("EmbeddingRequests", tally.requests as f64, Unit::Count),
                ("EmbeddingTokens", tally.usage_tokens as f64, Unit::Count),
            ],
        );
        Ok(())
    }
}
