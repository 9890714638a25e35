//! Chunk: the parsed markdown (checked against its hash) → token-sized chunks with heading path
//! and pages, replacing the document's chunks in one transaction. Chunks are sized for the model
//! that will embed them (the active model's chunk profile): cl100k tokens for OpenAI's models,
//! the local model's own word pieces for it.

use super::blocking;
use crate::aws::classify_sdk_error;
use crate::chunking::{ChunkProfile, Chunker, ChunkingConfig};
use crate::context::Context;
use crate::db::{chunks, documents, jobs::Lease};
use crate::error::{DbResultExt, ErrorClass, ResultExt, StageError, StageResult};
use crate::framework::{FromEnv, Stage};
use crate::ids::sha256_hex;
use crate::metrics::{self, Unit};
use crate::pipeline::{CHUNK, StageSpec};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A model's chunk profile and the chunker built from it.
type ProfiledChunker = (Arc<ChunkProfile>, Arc<Chunker>);

pub struct ChunkStage {
    s3: aws_sdk_s3::Client,
    /// The cl100k profile's sizes (`DOC_INGEST_CHUNK_*`).
    config: ChunkingConfig,
    /// One chunker per model, built on first use: a tokenizer's tables take a moment.
    chunkers: Mutex<HashMap<String, ProfiledChunker>>,
}

impl ChunkStage {
    pub fn new(s3: aws_sdk_s3::Client, config: ChunkingConfig) -> Self {
        ChunkStage { s3, config, chunkers: Mutex::new(HashMap::new()) }
    }

    /// The chunk profile of `model`: its own tokenizer and window for the local model, cl100k
    /// and the configured sizes for every other.
    fn profile(&self, model: &str) -> StageResult<ChunkProfile> {
        match crate::embedding::provider_of(model) {
            #[cfg(feature = "local-model")]
            "local" => {
                let dir = crate::embedding::local::model_dir_from_env()
                    .map_err(|e| StageError::new(ErrorClass::Misconfigured, format!("{e:#}")))?;
                let tok = crate::embedding::local::load_tokenizer(&dir)
                    .map_err(|e| StageError::new(ErrorClass::Misconfigured, format!("{e:#}")))?;
                Ok(ChunkProfile::minilm(Arc::new(tok)))
            }
            #[cfg(not(feature = "local-model"))]
            "local" => Err(StageError::new(ErrorClass::Misconfigured, crate::embedding::no_local_model(model))),
            _ => Ok(ChunkProfile::cl100k(self.config.clone())),
        }
    }

    fn chunker(&self, model: &str) -> StageResult<ProfiledChunker> {
        let mut chunkers = self.chunkers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = chunkers.get(model) {
            return Ok(c.clone());
        }
        let profile = self.profile(model)?;
        let built = (Arc::new(profile.clone()), Arc::new(Chunker::with_profile(&profile)));
        chunkers.insert(model.to_owned(), built.clone());
        Ok(built)
    }
}

impl FromEnv for ChunkStage {
    async fn from_env(ctx: &Context) -> anyhow::Result<Self> {
        // The tokenizer's tables take ≈ 0.6 s to build: start now, answer the Runtime API at once.
        crate::chunking::warm_up();
        Ok(Self::new(ctx.s3(), ChunkingConfig::from_env()?))
    }
}

impl Stage for ChunkStage {
    fn spec(&self) -> &'static StageSpec {
        &CHUNK
    }

    async fn run(&self, ctx: &Context, lease: &Lease) -> StageResult<()> {
        let client = ctx.db.get().await.db("loading document")?;
        let doc = documents::load(&**client, lease.document_id).await?;
        // The model that will embed these chunks: the active one, or the one a new deployment
        // starts with.
        let model = match crate::embedding::spaces::active(&**client).await? {
            Some(space) => space.model,
            None => crate::embedding::configured_model(),
        };
        drop(client);
        let (Some(key), Some(expected_sha)) = (doc.parsed_key.clone(), doc.parsed_sha256.clone()) else {
            return Err(StageError::new(ErrorClass::NotParsed, "the document has no parsed markdown on record"));
        };
        let object = self
            .s3
            .get_object()
            .bucket(&doc.bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| classify_sdk_error("reading the parsed markdown", e))?;
        let bytes =
            object.body.collect().await.or_class(ErrorClass::S3Read, "reading the parsed markdown")?.into_bytes();
        let actual_sha = sha256_hex(&bytes);
        if actual_sha != expected_sha {
            return Err(StageError::new(
                ErrorClass::ParsedHashMismatch,
                format!("{key} has SHA-256 {actual_sha}, the parse stage recorded {expected_sha}"),
            ));
        }
        let markdown = String::from_utf8(bytes.to_vec()).or_class(ErrorClass::InvalidUtf8, &key)?;

        let (profile, chunker) = self.chunker(&model)?;
        let document_id = doc.id;
        let chunks = blocking("chunker", move || Ok(chunker.chunk(document_id, &markdown))).await?;
        if chunks.is_empty() {
            return Err(StageError::new(ErrorClass::NoChunks, "the parsed document produced no chunks"));
        }

        let mut client = ctx.db.get().await.db("storing chunks")?;
        let tx = crate::db::begin(&mut client).await.db("storing chunks")?;
        chunks::replace(&tx, doc.id, &doc.owner, &chunks).await?;
        lease.complete(tx).await?;
        let tokens: i32 = chunks.iter().map(|c| c.token_count).sum();
        tracing::info!(chunks = chunks.len(), tokens, tokenizer = %profile.tokenizer, max_tokens = profile.config.max_tokens, "chunked");
        metrics::emit(
            &[("Stage", CHUNK.name)],
            &[("Chunks", chunks.len() as f64, Unit::Count), ("ChunkTokens", f64::from(tokens), Unit::Count)],
        );
        Ok(())
    }
}
