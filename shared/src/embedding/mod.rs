//! Embedders and the checks every returned vector must pass before it is stored.

pub mod batching;
#[cfg(feature = "embed")]
pub mod cache;
mod lexical;
#[cfg(feature = "embed")]
pub mod openai;

pub use lexical::{LEXICAL_MODEL, LexicalEmbedder};

use crate::error::{ErrorClass, StageError, StageResult};
use futures::future::BoxFuture;

/// The dimension of `chunk_embeddings.embedding`; an embedder configured otherwise is refused.
pub const DIMENSIONS: usize = 1536;

/// The model the embed stage of this deployment uses, from the same settings it reads: the
/// API's model when a key (or its secret) is configured, else the offline lexical model.
pub fn configured_model() -> String {
    use crate::config::env_opt;
    let api = ["DOC_INGEST_EMBEDDING_API_KEY", "OPENAI_API_KEY", "DOC_INGEST_EMBEDDING_API_KEY_SECRET_ARN"]
        .iter()
        .any(|n| env_opt(n).is_some());
    if api {
        env_opt("DOC_INGEST_EMBEDDING_MODEL").unwrap_or_else(|| "text-embedding-3-small".into())
    } else {
        LEXICAL_MODEL.to_owned()
    }
}

#[derive(Debug)]
pub struct EmbedOutput {
    /// One vector per input, in input order.
    pub vectors: Vec<Vec<f32>>,
    /// Tokens the provider billed (0 offline).
    pub usage_tokens: u64,
}

pub trait Embedder: Send + Sync {
    /// Stored with every vector, so vectors of different models are never mixed up.
    fn model(&self) -> &str;
    /// One request's worth of inputs; callers plan batches with `batching`.
    fn embed<'a>(&'a self, inputs: &'a [String]) -> BoxFuture<'a, StageResult<EmbedOutput>>;
}

/// The embedder this deployment uses: the OpenAI-compatible API when a key is configured (from
/// a secret, in AWS), else the offline lexical embedder. The embed stage and the search side
/// build theirs here, so a query is always embedded like the documents were.
#[cfg(feature = "embed")]
pub async fn from_env(sdk: &aws_config::SdkConfig) -> anyhow::Result<std::sync::Arc<dyn Embedder>> {
    let key = crate::secrets::api_key(
        sdk,
        &["DOC_INGEST_EMBEDDING_API_KEY", "OPENAI_API_KEY"],
        "DOC_INGEST_EMBEDDING_API_KEY_SECRET_ARN",
    )
    .await?;
    Ok(match key {
        Some(key) => std::sync::Arc::new(openai::OpenAiEmbedder::new(openai::OpenAiConfig::from_env(key)?)?),
        None => std::sync::Arc::new(LexicalEmbedder),
    })
}

/// Nothing reaches the database unless there is exactly one finite, non-zero vector of the
/// configured dimension per input.
pub fn validate_vectors(inputs: usize, vectors: &[Vec<f32>]) -> StageResult<()> {
    if vectors.len() != inputs {
        return Err(StageError::new(
            ErrorClass::EmbeddingCountMismatch,
            format!("{} vectors for {inputs} inputs", vectors.len()),
        ));
    }
    for (i, v) in vectors.iter().enumerate() {
        if v.len() != DIMENSIONS {
            return Err(StageError::new(
                ErrorClass::EmbeddingDimensionMismatch,
                format!("vector {i} has {} dimensions, expected {DIMENSIONS}", v.len()),
            ));
        }
        if v.iter().any(|x| !x.is_finite()) || v.iter().all(|x| *x == 0.0) {
            return Err(StageError::new(ErrorClass::EmbeddingInvalid, format!("vector {i} is zero or not finite")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_rejects_bad_vectors() {
        let good = vec![LexicalEmbedder::embed_one("x")];
        assert!(validate_vectors(1, &good).is_ok());
        assert_eq!(validate_vectors(2, &good).unwrap_err().class, ErrorClass::EmbeddingCountMismatch);
        assert_eq!(validate_vectors(1, &[vec![0.1; 3]]).unwrap_err().class, ErrorClass::EmbeddingDimensionMismatch);
        let mut nan = good[0].clone();
        nan[5] = f32::NAN;
        assert_eq!(validate_vectors(1, &[nan]).unwrap_err().class, ErrorClass::EmbeddingInvalid);
        assert!(validate_vectors(1, &[vec![0.0; DIMENSIONS]]).is_err());
    }
}
