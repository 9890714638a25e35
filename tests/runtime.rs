//! The real function binaries (the `main.rs` that ships) under a Lambda Runtime API emulator:
//! SQS events in the JSON Lambda sends, the `batchItemFailures` body on the wire, init failures,
//! invocation errors, SIGTERM, and the sweeper's scheduled event.
#![allow(clippy::unwrap_used)] // tests: an unwrap that fails is a failed assertion

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use doc_ingest::db::jobs;
use doc_ingest::pipeline::{CHUNK, PIPELINE};
use integration_tests::runtime_api::{Answer, RuntimeApi};
use integration_tests::{TestEnv, sample};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// `target/debug/NAME`, built now if it is missing or stale (a no-op after `cargo build
/// --workspace --all-targets`, which `scripts/stack.sh up` runs).
fn binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "--workspace", "--all-targets", "--quiet"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build of the function binaries");
    });
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|deps| deps.parent()).unwrap().join(name)
}

/// A function binary running against the emulator, with the test's database and queues.
struct Function {
    child: Child,
    api: RuntimeApi,
    started: Instant,
    stderr: Arc<Mutex<String>>,
}

impl Function {
    async fn start(env: &TestEnv, name: &str, adjust: impl FnOnce(&mut Vec<(String, String)>)) -> Function {
        let api = RuntimeApi::start().await;
        let c = &env.ctx.config;
        let mut vars: Vec<(String, String)> = vec![
            ("AWS_LAMBDA_RUNTIME_API".into(), api.endpoint()),
            ("AWS_LAMBDA_FUNCTION_NAME".into(), format!("doc-ingest-{name}")),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "512".into()),
            ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
            ("AWS_LAMBDA_LOG_STREAM_NAME".into(), format!("2026/12/01/[$LATEST]{}", uuid::Uuid::new_v4().simple())),
            ("AWS_LAMBDA_LOG_GROUP_NAME".into(), format!("/aws/lambda/doc-ingest-{name}")),
            ("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into()),
            ("AWS_LAMBDA_LOG_LEVEL".into(), "INFO".into()),
            ("DATABASE_URL".into(), c.database_url.clone()),
            ("AWS_ENDPOINT_URL".into(), c.aws_endpoint.clone().unwrap()),
            ("AWS_ACCESS_KEY_ID".into(), "test".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "test".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("DOC_INGEST_METRICS".into(), "off".into()),
            ("DOC_INGEST_LEASE_SECONDS".into(), "20".into()),
        ];
        for spec in PIPELINE {
            vars.push((doc_ingest::config::queue_env(spec.name, false), c.queues.url(spec.name).unwrap().into()));
            vars.push((doc_ingest::config::queue_env(spec.name, true), c.queues.dlq_url(spec.name).unwrap().into()));
        }
        adjust(&mut vars);
        let mut child = Command::new(binary(name))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(vars)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Function { child, api, started: Instant::now(), stderr }
    }

    fn logs(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    async fn exit_within(&mut self, d: Duration) -> std::process::ExitStatus {
        match tokio::time::timeout(d, self.child.wait()).await {
            Ok(status) => status.unwrap(),
            Err(_) => panic!("the function did not exit within {d:?}; its log:\n{}", self.logs()),
        }
    }
}

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The stage's documented SQS event, carrying a real message received from the stage's queue.
fn sqs_event(stage: &str, m: &Message) -> Value {
    let mut event = fixture(&format!("sqs-event-{stage}.json"));
    let record = &mut event["Records"][0];
    record["messageId"] = json!(m.message_id().unwrap());
    record["receiptHandle"] = json!(m.receipt_handle().unwrap());
    record["body"] = json!(m.body().unwrap());
    let receives = m
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .cloned()
        .unwrap_or_else(|| "1".into());
    record["attributes"]["ApproximateReceiveCount"] = json!(receives);
    let mut attrs = serde_json::Map::new();
    for (k, v) in m.message_attributes().into_iter().flatten() {
        attrs.insert(
            k.clone(),
            json!({ "stringValue": v.string_value(), "stringListValues": [], "binaryListValues": [], "dataType": v.data_type() }),
        );
    }
    record["messageAttributes"] = Value::Object(attrs);
    event
}

/// The next message of a stage's queue that is not S3's test event (left in flight).
async fn next_message(env: &TestEnv, stage: &str) -> Message {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        for m in env.receive(&env.queue(stage)).await {
            if m.body().unwrap_or_default().contains("s3:TestEvent") {
                env.ctx
                    .sqs
                    .delete_message()
                    .queue_url(env.queue(stage))
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
                continue;
            }
            return m;
        }
        assert!(Instant::now() < deadline, "no {stage} message arrived");
    }
}

async fn delete(env: &TestEnv, stage: &str, m: &Message) {
    env.ctx
        .sqs
        .delete_message()
        .queue_url(env.queue(stage))
        .receipt_handle(m.receipt_handle().unwrap())
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_four_functions_take_an_upload_to_done_under_the_runtime_api() {
    let env = TestEnv::new().await;
    let key = "uploads/acme/rt1/claims guide.md";
    env.upload(key, sample("claims-guide.md")).await;
    for spec in PIPELINE {
        let mut f = Function::start(&env, spec.name, |_| {}).await;
        let ready = f.api.wait_ready(Duration::from_secs(30)).await;
        eprintln!("{}: ready {} ms after start", spec.name, (ready - f.started).as_millis());
        assert_eq!(f.api.extensions().len(), 1, "the graceful-shutdown extension registered at init");
        let m = next_message(&env, spec.name).await;
        let answer = f.api.invoke(sqs_event(spec.name, &m), ANSWER_WITHIN).await;
        assert_eq!(answer, Answer::Response(json!({ "batchItemFailures": [] })), "{}: {}", spec.name, f.logs());
        // As the event source mapping does for a batch without failures.
        delete(&env, spec.name, &m).await;
        // The log is JSON, one object per line, and the message's span names its job.
        let logs = f.logs();
        let settled = logs.lines().find(|l| l.contains("\"settled\"")).unwrap_or_else(|| panic!("{logs}"));
        let line: Value = serde_json::from_str(settled).unwrap();
        assert!(line.to_string().contains("job_id"), "{line}");
        f.child.start_kill().unwrap();
    }
    let (_, status) = env.wait_terminal(key, Duration::from_secs(10)).await;
    assert_eq!(status, "done");
    env.assert_all_queues_empty().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_that_meets_a_live_lease_is_returned_in_batch_item_failures() {
    let env = TestEnv::new().await;
    let event = env.message_for("chunk", "uploads/acme/rt2/glossary.md", sample("glossary.md")).await;
    // Started first: building and starting the binary must not use up the other holder's lease.
    let f = Function::start(&env, "chunk", |_| {}).await;
    // Another delivery holds the job.
    let job_id: uuid::Uuid = env.scalar("SELECT id FROM upload_jobs", &[]).await;
    let job = jobs::load(&**env.db().await, job_id).await.unwrap().unwrap();
    jobs::claim(&**env.db().await, &job, &CHUNK, "elsewhere", Duration::from_secs(60)).await.unwrap().unwrap();

    let m = next_message_from_event(&env, &event).await;
    let answer = f.api.invoke(sqs_event("chunk", &m), ANSWER_WITHIN).await;
    assert_eq!(
        answer,
        Answer::Response(json!({ "batchItemFailures": [{ "itemIdentifier": m.message_id().unwrap() }] })),
        "{}",
        f.logs()
    );
}

/// The message `message_for` left in flight, received again once its visibility is reset.
async fn next_message_from_event(env: &TestEnv, event: &aws_lambda_events::sqs::SqsEvent) -> Message {
    let receipt = event.records[0].receipt_handle.clone().unwrap();
    env.ctx
        .sqs
        .change_message_visibility()
        .queue_url(env.queue("chunk"))
        .receipt_handle(receipt)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    next_message(env, "chunk").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_is_not_sqs_is_reported_on_the_invocation_error_endpoint() {
    let env = TestEnv::new().await;
    let f = Function::start(&env, "embed", |_| {}).await;
    let answer = f.api.invoke(json!({ "Records": "not a list" }), ANSWER_WITHIN).await;
    match answer {
        Answer::Error { body, .. } => {
            assert!(body["errorType"].is_string() && body["errorMessage"].is_string(), "{body}");
        }
        other => panic!("expected an invocation error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_start_without_its_next_queue_reports_an_init_error_and_exits() {
    let env = TestEnv::new().await;
    let mut f = Function::start(&env, "chunk", |vars| vars.retain(|(k, _)| k != "DOC_INGEST_EMBED_QUEUE_URL")).await;
    let status = f.exit_within(Duration::from_secs(30)).await;
    assert!(!status.success(), "init failed, so the process exits non-zero");
    let errors = f.api.init_errors();
    assert_eq!(errors.len(), 1, "one report on /runtime/init/error; log:\n{}", f.logs());
    assert_eq!(errors[0].0.as_deref(), Some("Runtime.InitError"));
    assert!(errors[0].1["errorMessage"].as_str().unwrap().contains("DOC_INGEST_EMBED_QUEUE_URL"), "{:?}", errors[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_the_function_cleanly() {
    let env = TestEnv::new().await;
    let mut f = Function::start(&env, "finalize", |_| {}).await;
    f.api.wait_ready(Duration::from_secs(30)).await;
    let pid = f.child.id().unwrap();
    let kill = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    assert!(kill.success());
    let status = f.exit_within(Duration::from_secs(5)).await;
    assert!(status.success(), "exit status {status:?}; log:\n{}", f.logs());
    assert!(f.logs().contains("SIGTERM"), "the shutdown is logged:\n{}", f.logs());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeper_runs_on_the_scheduler_event_and_reports_a_database_outage_as_an_error() {
    let env = TestEnv::new().await;
    let f = Function::start(&env, "sweeper", |_| {}).await;
    let answer = f.api.invoke(fixture("eventbridge-scheduler-event.json"), ANSWER_WITHIN).await;
    let Answer::Response(report) = answer else { panic!("{answer:?}; log:\n{}", f.logs()) };
    assert_eq!((report["requeued"].as_u64(), report["failed"].as_u64()), (Some(0), Some(0)), "{report}");

    // The same function with its database gone: the invocation fails, visibly.
    let down = Function::start(&env, "sweeper", |vars| {
        for (k, v) in vars.iter_mut() {
            if k == "DATABASE_URL" {
                *v = "postgres://postgres@127.0.0.1:9/doc_ingest?connect_timeout=2".into();
            }
        }
    })
    .await;
    match down.api.invoke(fixture("eventbridge-scheduler-event.json"), ANSWER_WITHIN).await {
        Answer::Error { body, .. } => {
            assert!(body["errorMessage"].as_str().unwrap().contains("database_unavailable"), "{body}")
        }
        other => panic!("expected an invocation error, got {other:?}"),
    }
}

/// The search API's request as API Gateway hands it over after the JWT authorizer.
fn api_event(method: &str, path: &str, owner: Option<&str>, body: Value) -> Value {
    let mut e = fixture("apigw-http-jwt-event.json");
    e["routeKey"] = json!(format!("{method} {path}"));
    e["rawPath"] = json!(path);
    e["requestContext"]["routeKey"] = json!(format!("{method} {path}"));
    e["requestContext"]["http"]["method"] = json!(method);
    e["requestContext"]["http"]["path"] = json!(path);
    match owner {
        Some(o) => e["requestContext"]["authorizer"]["jwt"]["claims"]["custom:tenant"] = json!(o),
        None => {
            e["requestContext"]["authorizer"]["jwt"]["claims"].as_object_mut().unwrap().remove("custom:tenant");
        }
    }
    e["body"] = json!(body.to_string());
    e
}

fn api_body(answer: &Answer) -> (i64, Value) {
    let Answer::Response(r) = answer else { panic!("{answer:?}") };
    (r["statusCode"].as_i64().unwrap(), serde_json::from_str(r["body"].as_str().unwrap()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_api_answers_for_the_token_owner_only_and_signs_uploads_under_its_prefix() {
    let env = TestEnv::new().await;
    let runner = env.start(doc_ingest::runner::RunnerOptions::default());
    env.upload("uploads/acme/1/policy.pdf", sample("home-insurance-policy.pdf")).await;
    env.upload("uploads/rival/1/policy.pdf", sample("home-insurance-policy.pdf")).await;
    env.wait_terminal("uploads/acme/1/policy.pdf", Duration::from_secs(60)).await;
    env.wait_terminal("uploads/rival/1/policy.pdf", Duration::from_secs(60)).await;
    runner.stop().await;

    let reader_url =
        env.ctx.config.database_url.replacen("postgres@", &format!("{}@", integration_tests::READER_LOGIN), 1);
    let bucket = env.bucket.clone();
    let f = Function::start(&env, "search", move |vars| {
        vars.retain(|(k, _)| k != "DATABASE_URL");
        vars.push(("DOC_INGEST_READER_DATABASE_URL".into(), reader_url));
        vars.push(("DOC_INGEST_BUCKET".into(), bucket));
    })
    .await;

    // The body cannot widen the owner: the claim decides.
    let ask = json!({ "query": "escape of water", "k": 5, "owner": "rival" });
    let (status, body) = api_body(&f.api.invoke(api_event("POST", "/search", Some("acme"), ask), ANSWER_WITHIN).await);
    assert_eq!(status, 200, "{body}; log:\n{}", f.logs());
    let hits = body["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    for h in hits {
        assert!(h["object_key"].as_str().unwrap().starts_with("uploads/acme/"), "{h}");
        assert!(h["fused_score"].is_number() && h["page_start"].is_number(), "{h}");
    }
    let (status, _) =
        api_body(&f.api.invoke(api_event("POST", "/search", None, json!({ "query": "water" })), ANSWER_WITHIN).await);
    assert_eq!(status, 400, "no owner claim, no answer");

    // An upload URL: a POST policy fixed to a fresh key under the owner's prefix.
    let (status, post) = api_body(
        &f.api
            .invoke(api_event("POST", "/uploads", Some("acme"), json!({ "filename": "new policy.pdf" })), ANSWER_WITHIN)
            .await,
    );
    assert_eq!(status, 200, "{post}");
    let key = post["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("uploads/acme/") && key.ends_with("/new policy.pdf"), "{key}");
    let policy_b64 = post["fields"]["policy"].as_str().unwrap();
    let policy: Value = serde_json::from_slice(&aws_smithy_types::base64::decode(policy_b64).unwrap()).unwrap();
    let conditions = policy["conditions"].as_array().unwrap();
    assert!(conditions.contains(&json!({ "key": key })), "the key is pinned exactly: {policy}");
    assert!(conditions.contains(&json!(["content-length-range", 1, 52428800])), "{policy}");
    assert!(conditions.contains(&json!({ "Content-Type": "application/pdf" })), "{policy}");
    let expires = chrono::DateTime::parse_from_rfc3339(policy["expiration"].as_str().unwrap()).unwrap();
    let lives = expires.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!((0..=900).contains(&lives), "expires within 15 minutes: {lives} s");

    // And the upload itself, through moto (which does not enforce the policy: checked above).
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in post["fields"].as_object().unwrap() {
        form = form.text(k.clone(), v.as_str().unwrap().to_owned());
    }
    form = form
        .part("file", reqwest::multipart::Part::bytes(sample("home-insurance-policy.pdf")).file_name("new policy.pdf"));
    let resp = doc_ingest::http::client_builder()
        .build()
        .unwrap()
        .post(post["url"].as_str().unwrap())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let head = env.s3.head_object().bucket(&env.bucket).key(&key).send().await.unwrap();
    assert_eq!(head.content_type(), Some("application/pdf"));
}
