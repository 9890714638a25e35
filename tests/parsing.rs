//! The parse stage in the pipeline: the local parser's structure reaches the chunks, LlamaParse
//! is used when it works and its failures fall back on record, and keys outside the upload
//! layout are refused.
#![allow(clippy::unwrap_used)] // tests: an unwrap that fails is a failed assertion

use doc_ingest::parsing::llamaparse::LlamaParseConfig;
use doc_ingest::runner::RunnerOptions;
use integration_tests::TestEnv;
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DONE_WITHIN: Duration = Duration::from_secs(60);

/// A stored chunk: (content, heading path, first page, last page).
type ChunkRow = (String, Vec<String>, Option<i32>, Option<i32>);

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/pdf").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn ingest(env: &TestEnv, key: &str, bytes: Vec<u8>) -> (Uuid, String) {
    let runner = env.start(RunnerOptions::default());
    env.upload(key, bytes).await;
    let out = env.wait_terminal(key, DONE_WITHIN).await;
    runner.stop().await;
    out
}

/// A LlamaParse fake whose job ends in `status`; a completed job returns `pages`.
async fn fake_llamaparse(status: &str, pages: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/parse/upload"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "id": "pjb-1", "project_id": "p", "status": "PENDING" })),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parse/pjb-1"))
        .and(query_param("expand", "markdown"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "job": { "id": "pjb-1", "project_id": "p", "status": status },
            "markdown": { "pages": pages },
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/parse/pjb-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "job": { "id": "pjb-1", "project_id": "p", "status": status, "error_message": "document too complex" },
        })))
        .with_priority(5)
        .mount(&server)
        .await;
    server
}

async fn env_with_llamaparse(server: &MockServer) -> TestEnv {
    let mut config = LlamaParseConfig::new(server.uri(), "llx-test");
    config.first_poll = Duration::from_millis(20);
    TestEnv::with_stages(move |s| s.llamaparse = Some(config)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_pdf_becomes_chunks_with_heading_paths_pages_and_whole_tables() {
    // Small chunks, so that subsections start chunks of their own.
    let env = TestEnv::with_stages(|s| {
        s.chunking.max_tokens = 120;
        s.chunking.overlap_tokens = 10;
        s.chunking.min_tokens = 24;
    })
    .await;
    let (doc, status) = ingest(&env, "uploads/acme/7b1/policy.pdf", fixture("policy.pdf")).await;
    assert_eq!(status, "done");
    let db = env.db().await;
    let d = db.query_one("SELECT parser, page_count, parsed_key FROM documents WHERE id = $1", &[&doc]).await.unwrap();
    assert_eq!((d.get::<_, &str>(0), d.get::<_, i32>(1)), ("local", 5));
    let head = env.s3.head_object().bucket(&env.bucket).key(d.get::<_, &str>(2)).send().await.unwrap();
    let meta = head.metadata().unwrap();
    assert_eq!(meta.get("parser").map(String::as_str), Some("local"));
    assert_eq!(meta.get("page-count").map(String::as_str), Some("5"));

    let chunks: Vec<ChunkRow> = db
        .query("SELECT content, heading_path, page_start, page_end FROM document_chunks WHERE document_id = $1 ORDER BY ordinal", &[&doc])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert!(chunks.iter().all(|c| !c.0.contains("<!-- page")), "page markers never reach chunk text");
    let table = chunks
        .iter()
        .find(|c| c.0.contains("| Escape of water | GBP 450,000 | GBP 500 |"))
        .expect("the table row is in a chunk");
    assert!(table.0.contains("| Cover | Limit | Excess |"), "the table stays whole with its header");
    assert_eq!(table.2, Some(3), "the table is cited on page 3");
    let limits = chunks.iter().find(|c| c.1.last().is_some_and(|h| h == "1.1.1 Limits")).expect("a chunk under 1.1.1");
    assert_eq!(limits.1, ["Home Insurance Policy Wording", "1 Definitions", "1.1 Buildings", "1.1.1 Limits"]);
    assert_eq!(limits.2, Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_llamaparse_job_falls_back_to_the_local_parser_on_record() {
    let server = fake_llamaparse("FAILED", json!([])).await;
    let env = env_with_llamaparse(&server).await;
    let (doc, status) = ingest(&env, "uploads/acme/7b2/policy.pdf", fixture("policy.pdf")).await;
    assert_eq!(status, "done");
    let parser: String = env.scalar("SELECT parser FROM documents WHERE id = $1", &[&doc]).await;
    assert_eq!(parser, "local");
    let detail: serde_json::Value =
        env.scalar("SELECT detail FROM job_events WHERE document_id = $1 AND kind = 'parser_fallback'", &[&doc]).await;
    assert_eq!(detail["to"], "local");
    assert!(detail["reason"].as_str().unwrap().contains("ended FAILED: document too complex"), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_llamaparse_job_is_what_gets_stored() {
    let pages: Vec<serde_json::Value> = (1..=5)
        .map(|n| json!({ "page_number": n, "markdown": format!("## Section {n}\n\nLlamaParse text of page {n}."), "success": true }))
        .collect();
    let server = fake_llamaparse("COMPLETED", json!(pages)).await;
    let env = env_with_llamaparse(&server).await;
    let (doc, status) = ingest(&env, "uploads/acme/7b3/policy.pdf", fixture("policy.pdf")).await;
    assert_eq!(status, "done");
    let parser: String = env.scalar("SELECT parser FROM documents WHERE id = $1", &[&doc]).await;
    assert_eq!(parser, "llamaparse");
    let fallbacks: i64 = env
        .scalar("SELECT count(*) FROM job_events WHERE document_id = $1 AND kind = 'parser_fallback'", &[&doc])
        .await;
    assert_eq!(fallbacks, 0);
    let page5: i64 = env
        .scalar(
            "SELECT count(*) FROM document_chunks WHERE document_id = $1 AND content LIKE '%LlamaParse text of page 5.%' AND page_end = 5",
            &[&doc],
        )
        .await;
    assert_eq!(page5, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_outside_the_upload_layout_and_locked_pdfs_fail_with_their_reason() {
    let env = TestEnv::new().await;
    for (key, bytes, class) in [
        ("uploads/acme/policy.pdf", fixture("policy.pdf"), "invalid_key"),
        ("uploads/acme/1/locked.pdf", fixture("encrypted.pdf"), "encrypted"),
        ("uploads/acme/2/scan.pdf", fixture("image-only.pdf"), "no_text_layer"),
        ("uploads/acme/3/broken.pdf", fixture("corrupt.pdf"), "corrupt_pdf"),
    ] {
        let (doc, status) = ingest(&env, key, bytes).await;
        assert_eq!(status, "failed", "{key}");
        let got: String = env.scalar("SELECT last_error_class FROM upload_jobs WHERE document_id = $1", &[&doc]).await;
        assert_eq!(got, class, "{key}");
    }
}
