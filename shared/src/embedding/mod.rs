//! Embedders and the checks every returned vector must pass before it is stored.

pub mod batching;
#[cfg(feature = "embed")]
pub mod cache;
pub mod input;
mod lexical;
#[cfg(feature = "local-model")]
pub mod local;
#[cfg(feature = "embed")]
pub mod openai;
pub mod spaces;

pub use lexical::{LEXICAL_DIMENSIONS, LEXICAL_MODEL, LexicalEmbedder};

use crate::error::{ErrorClass, StageError, StageResult};
use futures::future::BoxFuture;

/// pgvector's HNSW indexes `vector` columns of up to 2,000 dimensions; a model configured for
/// more is refused (OpenAI's text-embedding-3 models shorten on request).
pub const MAX_INDEXED_DIMENSIONS: usize = 2000;

/// The model a deployment starts with (the first one registered as active), from the settings
/// the embed stage reads: `DOC_INGEST_EMBEDDING_MODEL`, else the API's default model when a key
/// (or its secret) is configured, else the offline lexical model. Once a model is active in the
/// database, the database decides (see `spaces`).
pub fn configured_model() -> String {
    use crate::config::env_opt;
    if let Some(m) = env_opt("DOC_INGEST_EMBEDDING_MODEL") {
        return m;
    }
    let api = ["DOC_INGEST_EMBEDDING_API_KEY", "OPENAI_API_KEY", "DOC_INGEST_EMBEDDING_API_KEY_SECRET_ARN"]
        .iter()
        .any(|n| env_opt(n).is_some());
    if api { "text-embedding-3-small".to_owned() } else { LEXICAL_MODEL.to_owned() }
}

/// The in-process model (see `local`, built with the `local-model` feature).
pub const MINILM_MODEL: &str = "all-MiniLM-L6-v2";

/// Why a build without the `local-model` feature refuses `model`.
#[cfg(not(feature = "local-model"))]
pub fn no_local_model(model: &str) -> String {
    format!("model {model} runs in process, and this build has no local model (feature `local-model`)")
}

/// Where a model's vectors come from. Known in every build, so that a function built without the
/// local model refuses it clearly instead of taking it for an API model.
pub fn provider_of(model: &str) -> &'static str {
    match model {
        LEXICAL_MODEL => "lexical",
        MINILM_MODEL => "local",
        _ => "openai",
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
    /// The length of every vector it returns: its space's dimension in the model registry.
    fn dimensions(&self) -> usize;
    /// One request's worth of inputs; callers plan batches with `batching`.
    fn embed<'a>(&'a self, inputs: &'a [String]) -> BoxFuture<'a, StageResult<EmbedOutput>>;
}

/// The embedder of the configured model ([`configured_model`]).
#[cfg(feature = "embed")]
pub async fn from_env(sdk: &aws_config::SdkConfig) -> anyhow::Result<std::sync::Arc<dyn Embedder>> {
    for_model(sdk, &configured_model()).await
}

/// The embedder of a named model: the lexical one, the in-process local model, or the
/// OpenAI-compatible API (its key from the environment or a secret, in AWS). The embed stage,
/// a model switch and the search side build theirs here, so a query is always embedded like the
/// vectors it is compared with.
#[cfg(feature = "embed")]
pub async fn for_model(sdk: &aws_config::SdkConfig, model: &str) -> anyhow::Result<std::sync::Arc<dyn Embedder>> {
    match provider_of(model) {
        "lexical" => Ok(std::sync::Arc::new(LexicalEmbedder)),
        #[cfg(feature = "local-model")]
        "local" => Ok(std::sync::Arc::new(local::LocalEmbedder::from_env()?)),
        #[cfg(not(feature = "local-model"))]
        "local" => anyhow::bail!(no_local_model(model)),
        _ => {
            let key = crate::secrets::api_key(
                sdk,
                &["DOC_INGEST_EMBEDDING_API_KEY", "OPENAI_API_KEY"],
                "DOC_INGEST_EMBEDDING_API_KEY_SECRET_ARN",
            )
            .await?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "model {model} is served by an OpenAI-compatible API and no key is configured \
                     (DOC_INGEST_EMBEDDING_API_KEY, OPENAI_API_KEY or DOC_INGEST_EMBEDDING_API_KEY_SECRET_ARN)"
                )
            })?;
            let mut config = openai::OpenAiConfig::from_env(key)?;
            if config.model != model {
                config.dimensions = openai::default_dimensions(model);
                config.model = model.to_owned();
            }
            Ok(std::sync::Arc::new(openai::OpenAiEmbedder::new(config)?))
        }
    }
}

/// Nothing reaches the database unless there is exactly one finite, non-zero vector of the
/// model's dimension per input.
pub fn validate_vectors(inputs: usize, dimensions: usize, vectors: &[Vec<f32>]) -> StageResult<()> {
    if vectors.len() != inputs {
        return Err(StageError::new(
            ErrorClass::EmbeddingCountMismatch,
            format!("{} vectors for {inputs} inputs", vectors.len()),
        ));
    }
    for (i, v) in vectors.iter().enumerate() {
        if v.len() != dimensions {
            return Err(StageError::new(
                ErrorClass::EmbeddingDimensionMismatch,
                format!("vector {i} has {} dimensions, expected {dimensions}", v.len()),
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
        let d = LEXICAL_DIMENSIONS;
        assert!(validate_vectors(1, d, &good).is_ok());
        assert_eq!(validate_vectors(2, d, &good).unwrap_err().class, ErrorClass::EmbeddingCountMismatch);
        assert_eq!(validate_vectors(1, d, &[vec![0.1; 3]]).unwrap_err().class, ErrorClass::EmbeddingDimensionMismatch);
        assert_eq!(validate_vectors(1, 384, &good).unwrap_err().class, ErrorClass::EmbeddingDimensionMismatch);
        let mut nan = good[0].clone();
        nan[5] = f32::NAN;
        assert_eq!(validate_vectors(1, d, &[nan]).unwrap_err().class, ErrorClass::EmbeddingInvalid);
        assert!(validate_vectors(1, d, &[vec![0.0; d]]).is_err());
    }
}
