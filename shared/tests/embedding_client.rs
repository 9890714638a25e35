//! The OpenAI-compatible client against a local fake that follows the documented wire format
//! and also fails the ways the real API does.
#![allow(clippy::unwrap_used)] // tests: an unwrap that fails is a failed assertion

use doc_ingest::embedding::openai::{OpenAiConfig, OpenAiEmbedder};
use doc_ingest::embedding::{Embedder, LexicalEmbedder};
use doc_ingest::{ErrorClass, ErrorKind};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Embeds like the offline embedder, answers in reverse order (the API does not promise order),
/// and refuses requests with more than `max_inputs` inputs the way OpenAI refuses too many tokens.
#[derive(Clone, Default)]
struct FakeEmbeddings {
    calls: Arc<AtomicUsize>,
    max_inputs: Option<usize>,
    dims: Option<usize>,
    drop_one: bool,
}

impl Respond for FakeEmbeddings {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let inputs: Vec<String> = serde_json::from_value(body["input"].clone()).unwrap();
        if self.max_inputs.is_some_and(|m| inputs.len() > m) {
            return ResponseTemplate::new(400).set_body_json(json!({"error": {
                "message": format!("Requested {} tokens, max 300000 tokens per request", 1000 * inputs.len()),
                "type": "max_tokens_per_request", "code": "max_tokens_per_request"}}));
        }
        let mut data: Vec<Value> = inputs
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut v = LexicalEmbedder::embed_one(t);
                if let Some(d) = self.dims {
                    v.truncate(d);
                }
                json!({"object": "embedding", "index": i, "embedding": v})
            })
            .collect();
        if self.drop_one {
            data.pop();
        }
        data.reverse();
        let tokens: usize = inputs.iter().map(|t| t.split_whitespace().count()).sum();
        ResponseTemplate::new(200).set_body_json(json!({
            "object": "list", "data": data, "model": body["model"],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}))
    }
}

fn client(server: &MockServer, timeout: Duration) -> OpenAiEmbedder {
    OpenAiEmbedder::new(OpenAiConfig {
        base_url: format!("{}/v1", server.uri()),
        api_key: "sk-test".into(),
        model: "text-embedding-3-small".into(),
        dimensions: 1536,
        timeout,
    })
    .unwrap()
}

fn texts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("clause {i} about water damage and excess number {i}")).collect()
}

#[tokio::test]
async fn sends_the_documented_request_and_orders_vectors_by_index() {
    let server = MockServer::start().await;
    let fake = FakeEmbeddings::default();
    Mock::given(method("POST"))
        .and(path("/v1/embeddings"))
        .and(header("authorization", "Bearer sk-test"))
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    let inputs = texts(3);
    let out = client(&server, Duration::from_secs(5)).embed(&inputs).await.unwrap();
    for (v, t) in out.vectors.iter().zip(&inputs) {
        assert_eq!(v, &LexicalEmbedder::embed_one(t), "vector {t:?} in input order");
    }
    assert_eq!(out.usage_tokens, inputs.iter().map(|t| t.split_whitespace().count() as u64).sum::<u64>());
    let req = &server.received_requests().await.unwrap()[0];
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["model"], "text-embedding-3-small");
    assert_eq!(body["dimensions"], 1536);
    assert_eq!(body["encoding_format"], "float");
    assert_eq!(body["input"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_batch_over_the_token_cap_is_split_not_retried_blindly() {
    let server = MockServer::start().await;
    let fake = FakeEmbeddings { max_inputs: Some(2), ..Default::default() };
    Mock::given(method("POST")).respond_with(fake.clone()).mount(&server).await;
    let inputs = texts(5);
    let out = client(&server, Duration::from_secs(5)).embed(&inputs).await.unwrap();
    assert_eq!(out.vectors.len(), 5);
    for (v, t) in out.vectors.iter().zip(&inputs) {
        assert_eq!(v, &LexicalEmbedder::embed_one(t));
    }
    // 5 → (2 | 3) → (2 | 1 | 2): one refusal of 5, one of 3, then three successes.
    assert_eq!(fake.calls.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn rate_limits_are_transient_and_carry_the_servers_wait() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "2")
                .insert_header("x-ratelimit-reset-tokens", "6m0s")
                .set_body_json(json!({"error": {"message": "Rate limit reached", "type": "tokens"}})),
        )
        .mount(&server)
        .await;
    let err = client(&server, Duration::from_secs(5)).embed(&texts(1)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "a rate limit is the provider's, not the document's");
    assert_eq!(err.class, ErrorClass::RateLimited);
    assert_eq!(err.retry_after, Some(Duration::from_secs(360)));
}

#[tokio::test]
async fn server_errors_and_timeouts_are_transient_bad_keys_permanent() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let err = client(&server, Duration::from_secs(5)).embed(&texts(1)).await.unwrap_err();
    assert_eq!((err.kind(), err.class), (ErrorKind::Unavailable, ErrorClass::EmbeddingUnavailable));

    let slow = MockServer::start().await;
    Mock::given(method("POST")).respond_with(FakeEmbeddingsDelayed(Duration::from_secs(3))).mount(&slow).await;
    let err = client(&slow, Duration::from_millis(300)).embed(&texts(1)).await.unwrap_err();
    assert_eq!((err.kind(), err.class), (ErrorKind::Transient, ErrorClass::EmbeddingTimeout));
    assert!(err.message.contains("timed out"), "{}", err.message);

    let unauthorized = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"error": {"message": "Incorrect API key provided"}})),
        )
        .mount(&unauthorized)
        .await;
    let err = client(&unauthorized, Duration::from_secs(5)).embed(&texts(1)).await.unwrap_err();
    assert_eq!((err.kind(), err.class), (ErrorKind::Permanent, ErrorClass::EmbeddingAuth));
    assert!(err.message.contains("Incorrect API key"));
}

struct FakeEmbeddingsDelayed(Duration);

impl Respond for FakeEmbeddingsDelayed {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        FakeEmbeddings::default().respond(request).set_delay(self.0)
    }
}

#[tokio::test]
async fn wrong_sized_or_missing_vectors_are_never_returned() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(FakeEmbeddings { dims: Some(768), ..Default::default() })
        .mount(&server)
        .await;
    let err = client(&server, Duration::from_secs(5)).embed(&texts(2)).await.unwrap_err();
    assert_eq!((err.kind(), err.class), (ErrorKind::Permanent, ErrorClass::EmbeddingDimensionMismatch));

    let short = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(FakeEmbeddings { drop_one: true, ..Default::default() })
        .mount(&short)
        .await;
    let err = client(&short, Duration::from_secs(5)).embed(&texts(3)).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::EmbeddingCountMismatch);
}

#[test]
fn dimensions_beyond_what_hnsw_indexes_are_refused() {
    let err = OpenAiEmbedder::new(OpenAiConfig {
        base_url: "http://127.0.0.1:9".into(),
        api_key: "k".into(),
        model: "m".into(),
        dimensions: 3072,
        timeout: Duration::from_secs(1),
    })
    .err()
    .unwrap();
    assert!(err.to_string().contains("2000"), "{err}");
}
