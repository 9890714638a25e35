//! A client for any OpenAI-compatible `POST {base_url}/embeddings` endpoint.
//!
//! Wire format (OpenAI API reference, "Create embeddings"): request `{model, input: [..],
//! dimensions, encoding_format: "float"}` with `Authorization: Bearer KEY`; response
//! `{data: [{index, embedding}], model, usage: {prompt_tokens, total_tokens}}`. Rate limits come
//! back as 429 with `retry-after` / `retry-after-ms` and `x-ratelimit-reset-{requests,tokens}`
//! (durations such as `1s`, `6m0s`, `20ms`).

use super::{EmbedOutput, Embedder, MAX_INDEXED_DIMENSIONS, validate_vectors};
use crate::config::{env_opt, env_parse};
use crate::error::{ApiClasses, ErrorClass, ResultExt, StageError, StageResult, status_class};
use crate::http::{retry_after, transport_error};
use futures::future::BoxFuture;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct OpenAiConfig {
    /// e.g. `https://api.openai.com/v1`; any compatible server works.
    pub base_url: String,
    pub api_key: String,
    pub model: String,
    pub dimensions: usize,
    pub timeout: Duration,
}

const OPENAI: ApiClasses = ApiClasses {
    auth: ErrorClass::EmbeddingAuth,
    unavailable: ErrorClass::EmbeddingUnavailable,
    timeout: ErrorClass::EmbeddingTimeout,
    rejected: ErrorClass::EmbeddingRejected,
};

pub const DEFAULT_MODEL: &str = "text-embedding-3-small";

/// The vector size asked of a model unless `DOC_INGEST_EMBEDDING_DIMENSIONS` says otherwise:
/// OpenAI's native sizes, with text-embedding-3-large shortened to what pgvector's HNSW indexes.
pub fn default_dimensions(model: &str) -> usize {
    match model {
        "text-embedding-3-large" => MAX_INDEXED_DIMENSIONS,
        _ => 1536,
    }
}

impl OpenAiConfig {
    /// Endpoint, model and timeout from the environment, with the given key.
    pub fn from_env(api_key: String) -> anyhow::Result<Self> {
        let model = env_opt("DOC_INGEST_EMBEDDING_MODEL").unwrap_or_else(|| DEFAULT_MODEL.into());
        Ok(OpenAiConfig {
            base_url: env_opt("DOC_INGEST_EMBEDDING_BASE_URL").unwrap_or_else(|| "https://api.openai.com/v1".into()),
            api_key,
            model: model.clone(),
            dimensions: env_parse("DOC_INGEST_EMBEDDING_DIMENSIONS", default_dimensions(&model))?,
            timeout: Duration::from_secs(env_parse("DOC_INGEST_EMBEDDING_TIMEOUT_SECONDS", 60)?),
        })
    }
}

pub struct OpenAiEmbedder {
    http: reqwest::Client,
    config: OpenAiConfig,
    url: String,
}

#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    input: &'a [String],
    dimensions: usize,
    encoding_format: &'static str,
}

#[derive(Deserialize)]
struct Response {
    data: Vec<Datum>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Datum {
    index: usize,
    embedding: Vec<f32>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    total_tokens: u64,
    #[serde(default)]
    prompt_tokens: u64,
}

impl OpenAiEmbedder {
    pub fn new(config: OpenAiConfig) -> anyhow::Result<Self> {
        anyhow::ensure!(
            (1..=MAX_INDEXED_DIMENSIONS).contains(&config.dimensions),
            "embedding dimensions must be 1..={MAX_INDEXED_DIMENSIONS} (what pgvector's HNSW indexes), not {}",
            config.dimensions
        );
        let http =
            crate::http::client_builder().timeout(config.timeout).connect_timeout(Duration::from_secs(10)).build()?;
        let url = format!("{}/embeddings", config.base_url.trim_end_matches('/'));
        Ok(OpenAiEmbedder { http, config, url })
    }

    /// One request; a batch the server finds too large is halved and retried at once, since
    /// waiting would not make it fit.
    async fn embed_split(&self, inputs: &[String]) -> StageResult<EmbedOutput> {
        match self.request(inputs).await {
            Err(e) if e.class == ErrorClass::EmbeddingBatchTooLarge && inputs.len() > 1 => {
                let (a, b) = inputs.split_at(inputs.len() / 2);
                let mut first = Box::pin(self.embed_split(a)).await?;
                let second = Box::pin(self.embed_split(b)).await?;
                first.vectors.extend(second.vectors);
                first.usage_tokens += second.usage_tokens;
                Ok(first)
            }
            other => other,
        }
    }

    async fn request(&self, inputs: &[String]) -> StageResult<EmbedOutput> {
        let body = Request {
            model: &self.config.model,
            input: inputs,
            dimensions: self.config.dimensions,
            encoding_format: "float",
        };
        let response = self
            .http
            .post(&self.url)
            .bearer_auth(&self.config.api_key)
            .json(&body)
            .send()
            .await
            .map_err(|e| transport_error(&OPENAI, "embeddings", e))?;
        let status = response.status();
        if status.is_success() {
            let parsed: Response =
                response.json().await.or_class(ErrorClass::EmbeddingBadResponse, "undecodable embeddings response")?;
            return into_output(inputs.len(), self.config.dimensions, parsed);
        }
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        Err(status_error(status, &headers, &text))
    }
}

impl Embedder for OpenAiEmbedder {
    fn model(&self) -> &str {
        &self.config.model
    }

    fn dimensions(&self) -> usize {
        self.config.dimensions
    }

    fn embed<'a>(&'a self, inputs: &'a [String]) -> BoxFuture<'a, StageResult<EmbedOutput>> {
        Box::pin(self.embed_split(inputs))
    }
}

/// Orders by `index` (the API does not promise order), then checks count and values.
fn into_output(inputs: usize, dimensions: usize, mut parsed: Response) -> StageResult<EmbedOutput> {
    parsed.data.sort_by_key(|d| d.index);
    let indices_ok = parsed.data.iter().enumerate().all(|(i, d)| d.index == i);
    if !indices_ok || parsed.data.len() != inputs {
        return Err(StageError::new(
            ErrorClass::EmbeddingCountMismatch,
            format!(
                "{} embeddings (indices {}) for {inputs} inputs",
                parsed.data.len(),
                if indices_ok { "ok" } else { "not 0..n" }
            ),
        ));
    }
    let vectors: Vec<Vec<f32>> = parsed.data.into_iter().map(|d| d.embedding).collect();
    validate_vectors(inputs, dimensions, &vectors)?;
    let usage_tokens = parsed.usage.map_or(0, |u| u.total_tokens.max(u.prompt_tokens));
    Ok(EmbedOutput { vectors, usage_tokens })
}

fn status_error(status: StatusCode, headers: &HeaderMap, body: &str) -> StageError {
    let detail = error_message(body);
    let msg = format!("embeddings API answered {status}: {detail}");
    // A batch over the token cap is the one 400 that a smaller request fixes.
    let class = if status == StatusCode::BAD_REQUEST && mentions_token_limit(&detail) {
        ErrorClass::EmbeddingBatchTooLarge
    } else {
        status_class(status.as_u16(), &OPENAI)
    };
    StageError::new(class, msg).with_retry_after(retry_after(headers))
}

/// `{"error": {"message": …}}` when the server follows OpenAI's error shape; else the raw text.
fn error_message(body: &str) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.pointer("/error/message").and_then(|m| m.as_str()).map(str::to_owned));
    let text = from_json.unwrap_or_else(|| body.to_owned());
    text.chars().take(500).collect()
}

fn mentions_token_limit(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("token") && (m.contains("maximum") || m.contains("max") || m.contains("too many") || m.contains("limit"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_classify() {
        let h = HeaderMap::new();
        let too_many = r#"{"error":{"message":"Requested 320000 tokens, max 300000 tokens per request","type":"max_tokens_per_request"}}"#;
        assert_eq!(status_error(StatusCode::BAD_REQUEST, &h, too_many).class, ErrorClass::EmbeddingBatchTooLarge);
        assert_eq!(
            status_error(StatusCode::BAD_REQUEST, &h, r#"{"error":{"message":"bad model"}}"#).kind(),
            crate::error::ErrorKind::Permanent
        );
        assert_eq!(status_error(StatusCode::UNAUTHORIZED, &h, "").class, ErrorClass::EmbeddingAuth);
        assert_eq!(status_error(StatusCode::BAD_GATEWAY, &h, "").kind(), crate::error::ErrorKind::Unavailable);
        assert_eq!(status_error(StatusCode::TOO_MANY_REQUESTS, &h, "").class, ErrorClass::RateLimited);
    }
}
