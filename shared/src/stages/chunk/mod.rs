//! Chunk: the parsed markdown (checked against its hash) → token-sized chunks with heading path
//! and pages, replacing the document's chunks in one transaction.

use super::blocking;
use crate::aws::classify_sdk_error;
use crate::chunking::{Chunker, ChunkingConfig};
use crate::context::Context;
use crate::db::{chunks, documents, jobs::Lease};
use crate::error::{DbResultExt, ErrorClass, ResultExt, StageError, StageResult};
use crate::framework::{FromEnv, Stage};
use crate::ids::sha256_hex;
use crate::metrics::{self, Unit};
use crate::pipeline::{CHUNK, StageSpec};
use std::sync::{Arc, OnceLock};

pub struct ChunkStage {
    s3: aws_sdk_s3::Client,
    config: ChunkingConfig,
    /// Built on first use: the tokenizer's tables take a moment.
    chunker: OnceLock<Arc<Chunker>>,
}

impl ChunkStage {
    pub fn new(s3: aws_sdk_s3::Client, config: ChunkingConfig) -> Self {
        ChunkStage { s3, config, chunker: OnceLock::new() }
    }

    fn chunker(&self) -> Arc<Chunker> {
        self.chunker.get_or_init(|| Arc::new(Chunker::new(&self.config))).clone()
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
        let doc = documents::load(&**ctx.db.get().await.db("loading document")?, lease.document_id).await?;
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

        let chunker = self.chunker();
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
        metrics::emit(
            &[("Stage", CHUNK.name)],
            &[("Chunks", chunks.len() as f64, Unit::Count), ("ChunkTokens", f64::from(tokens), Unit::Count)],
        );
        Ok(())
    }
}
