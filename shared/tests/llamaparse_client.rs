//! The LlamaParse client against a local fake of the Parse API v2 that follows the documented
//! request and response shapes and also fails the ways a real service does.
#![allow(clippy::unwrap_used)] // tests: an unwrap that fails is a failed assertion

use doc_ingest::parsing::llamaparse::{LlamaOutcome, LlamaParse, LlamaParseConfig};
use doc_ingest::{ErrorClass, ErrorKind};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const JOB: &str = "pjb-123";

fn client(server: &MockServer) -> LlamaParse {
    let mut c = LlamaParseConfig::new(server.uri(), "llx-test");
    c.request_timeout = Duration::from_millis(500);
    c.deadline = Duration::from_secs(2);
    c.first_poll = Duration::from_millis(20);
    c.max_poll = Duration::from_millis(100);
    LlamaParse::new(c).unwrap()
}

/// Accepts an upload when it is multipart with the file and a JSON configuration naming a tier.
struct Upload;

impl Respond for Upload {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&request.body);
        let ok = body.contains("name=\"file\"; filename=\"policy.pdf\"")
            && body.contains("name=\"configuration\"")
            && body.contains("\"tier\":\"cost_effective\"")
            && body.contains("%PDF-1.7");
        if ok {
            ResponseTemplate::new(200).set_body_json(json!({ "id": JOB, "project_id": "prj", "status": "PENDING" }))
        } else {
            ResponseTemplate::new(422).set_body_string("bad multipart")
        }
    }
}

/// Reports the given statuses in turn, then the last one forever.
struct Statuses {
    seen: Arc<AtomicUsize>,
    statuses: Vec<&'static str>,
}

impl Respond for Statuses {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.seen.fetch_add(1, Ordering::SeqCst);
        let status = self.statuses[n.min(self.statuses.len() - 1)];
        let job = if status == "FAILED" {
            json!({ "id": JOB, "project_id": "prj", "status": status, "error_message": "unsupported layout" })
        } else {
            json!({ "id": JOB, "project_id": "prj", "status": status })
        };
        ResponseTemplate::new(200).set_body_json(json!({ "job": job }))
    }
}

async fn mount_upload(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/api/v2/parse/upload"))
        .and(header("authorization", "Bearer llx-test"))
        .respond_with(Upload)
        .mount(server)
        .await;
}

async fn mount_statuses(server: &MockServer, statuses: Vec<&'static str>) -> Arc<AtomicUsize> {
    let seen = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/parse/{JOB}")))
        .respond_with(Statuses { seen: seen.clone(), statuses })
        .with_priority(10)
        .mount(server)
        .await;
    seen
}

async fn mount_result(server: &MockServer, pages: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/parse/{JOB}")))
        .and(query_param("expand", "markdown"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "job": { "id": JOB, "project_id": "prj", "status": "COMPLETED" },
            "markdown": { "pages": pages },
        })))
        .with_priority(1)
        .mount(server)
        .await;
}

async fn parse(server: &MockServer) -> doc_ingest::StageResult<LlamaOutcome> {
    client(server).parse(b"%PDF-1.7 test".to_vec(), "policy.pdf", "application/pdf").await
}

#[tokio::test]
async fn uploads_polls_until_completed_and_assembles_pages_in_order_with_markers() {
    let server = MockServer::start().await;
    mount_upload(&server).await;
    let polls = mount_statuses(&server, vec!["PENDING", "RUNNING", "COMPLETED"]).await;
    mount_result(
        &server,
        json!([
            { "page_number": 2, "markdown": "| Cover | Limit |\n|---|---|\n| Buildings | 500,000 |", "success": true },
            { "page_number": 1, "markdown": "# 1 Definitions\n\nExcess means…", "success": true },
        ]),
    )
    .await;
    match parse(&server).await.unwrap() {
        LlamaOutcome::Parsed { markdown, page_count, job_id } => {
            assert_eq!(job_id, JOB);
            assert_eq!(page_count, 2);
            let p1 = markdown.find("<!-- page 1 -->").unwrap();
            let p2 = markdown.find("<!-- page 2 -->").unwrap();
            assert!(p1 < markdown.find("# 1 Definitions").unwrap());
            assert!(p2 > p1 && p2 < markdown.find("| Cover | Limit |").unwrap(), "{markdown}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(polls.load(Ordering::SeqCst), 3, "polled until COMPLETED");
}

#[tokio::test]
async fn a_rate_limited_upload_is_transient_with_at_least_the_servers_delay() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/parse/upload"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "7").set_body_string("slow down"))
        .mount(&server)
        .await;
    let err = parse(&server).await.unwrap_err();
    assert_eq!((err.kind(), err.class), (ErrorKind::Unavailable, ErrorClass::RateLimited));
    assert!(err.retry_after >= Some(Duration::from_secs(7)), "{:?}", err.retry_after);
}

#[tokio::test]
async fn server_errors_and_slow_responses_are_transient_and_a_bad_key_is_permanent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/parse/upload"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/parse/upload"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/parse/upload"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({ "detail": "Invalid API key" })))
        .mount(&server)
        .await;
    let e500 = parse(&server).await.unwrap_err();
    assert_eq!((e500.kind(), e500.class), (ErrorKind::Unavailable, ErrorClass::LlamaparseUnavailable));
    let started = Instant::now();
    let slow = parse(&server).await.unwrap_err();
    assert_eq!((slow.kind(), slow.class), (ErrorKind::Transient, ErrorClass::LlamaparseTimeout));
    assert!(slow.message.contains("timed out"), "{}", slow.message);
    assert!(started.elapsed() < Duration::from_secs(2), "the request timeout applied");
    let auth = parse(&server).await.unwrap_err();
    assert_eq!((auth.kind(), auth.class), (ErrorKind::Permanent, ErrorClass::LlamaparseAuth));
}

#[tokio::test]
async fn a_job_stuck_in_pending_falls_back_at_the_deadline() {
    let server = MockServer::start().await;
    mount_upload(&server).await;
    let polls = mount_statuses(&server, vec!["PENDING"]).await;
    let started = Instant::now();
    match parse(&server).await.unwrap() {
        LlamaOutcome::Fallback { reason } => assert!(reason.contains("still PENDING"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() <= Duration::from_secs(3), "gave up at the 2 s deadline");
    let n = polls.load(Ordering::SeqCst);
    assert!((5..=40).contains(&n), "growing intervals, not a busy loop: {n} polls");
}

#[tokio::test]
async fn a_failed_job_a_failed_page_or_a_refused_file_fall_back_with_the_reason() {
    let server = MockServer::start().await;
    mount_upload(&server).await;
    mount_statuses(&server, vec!["RUNNING", "FAILED"]).await;
    match parse(&server).await.unwrap() {
        LlamaOutcome::Fallback { reason } => assert!(reason.contains("FAILED: unsupported layout"), "{reason}"),
        other => panic!("{other:?}"),
    }

    let server = MockServer::start().await;
    mount_upload(&server).await;
    mount_statuses(&server, vec!["COMPLETED"]).await;
    mount_result(
        &server,
        json!([
            { "page_number": 1, "markdown": "ok", "success": true },
            { "page_number": 2, "error": "page timed out", "success": false },
        ]),
    )
    .await;
    match parse(&server).await.unwrap() {
        LlamaOutcome::Fallback { reason } => assert!(reason.contains("failed pages: 2 (page timed out)"), "{reason}"),
        other => panic!("{other:?}"),
    }

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/parse/upload"))
        .respond_with(ResponseTemplate::new(400).set_body_string("unsupported file"))
        .mount(&server)
        .await;
    match parse(&server).await.unwrap() {
        LlamaOutcome::Fallback { reason } => assert!(reason.contains("400"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_failed_status_poll_is_retried_within_the_deadline() {
    let server = MockServer::start().await;
    mount_upload(&server).await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/parse/{JOB}")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(5)
        .mount(&server)
        .await;
    mount_statuses(&server, vec!["COMPLETED"]).await;
    mount_result(&server, json!([{ "page_number": 1, "markdown": "# Title", "success": true }])).await;
    assert!(matches!(parse(&server).await.unwrap(), LlamaOutcome::Parsed { page_count: 1, .. }));
}
