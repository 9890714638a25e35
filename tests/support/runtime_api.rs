//! A Lambda Runtime API emulator, from the documented API
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>, and the Extensions API's
//! register and next-event calls), so that the real function binaries run in tests as Lambda
//! runs them: `GET /runtime/invocation/next` long-polls for an event, the function answers on
//! `/invocation/{id}/response` or `/invocation/{id}/error`, and a failed init on `/init/error`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// What the function posted for one invocation.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Response(Value),
    Error { error_type: Option<String>, body: Value },
}

#[derive(Default)]
struct Inner {
    pending: Mutex<VecDeque<(String, Value)>>,
    arrived: Notify,
    answers: Mutex<HashMap<String, Answer>>,
    answered: Notify,
    init_errors: Mutex<Vec<(Option<String>, Value)>>,
    next_calls: Mutex<u32>,
    first_next_at: Mutex<Option<Instant>>,
    extensions: Mutex<Vec<String>>,
}

#[derive(Clone)]
pub struct RuntimeApi {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
}

impl RuntimeApi {
    pub async fn start() -> Self {
        let inner = Arc::new(Inner::default());
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .route("/2020-01-01/extension/register", post(register))
            .route("/2020-01-01/extension/event/next", get(extension_next))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the emulator");
        let addr = listener.local_addr().expect("local address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        RuntimeApi { addr, inner }
    }

    /// `AWS_LAMBDA_RUNTIME_API` for the function.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// Queues an invocation and waits for the function's answer.
    pub async fn invoke(&self, event: Value, timeout: Duration) -> Answer {
        let id = uuid::Uuid::new_v4().to_string();
        self.inner.pending.lock().unwrap().push_back((id.clone(), event));
        self.inner.arrived.notify_waiters();
        let deadline = Instant::now() + timeout;
        loop {
            let answered = self.inner.answered.notified();
            if let Some(a) = self.inner.answers.lock().unwrap().remove(&id) {
                return a;
            }
            let left = deadline.checked_duration_since(Instant::now()).expect("the function answered in time");
            let _ = tokio::time::timeout(left, answered).await;
        }
    }

    /// Waits until the function has asked for its first event: init is over.
    pub async fn wait_ready(&self, timeout: Duration) -> Instant {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(at) = *self.inner.first_next_at.lock().unwrap() {
                return at;
            }
            assert!(Instant::now() < deadline, "the function never asked for an event");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub fn init_errors(&self) -> Vec<(Option<String>, Value)> {
        self.inner.init_errors.lock().unwrap().clone()
    }

    pub fn extensions(&self) -> Vec<String> {
        self.inner.extensions.lock().unwrap().clone()
    }
}

async fn next(State(s): State<Arc<Inner>>) -> impl IntoResponse {
    {
        *s.next_calls.lock().unwrap() += 1;
        s.first_next_at.lock().unwrap().get_or_insert_with(Instant::now);
    }
    loop {
        let arrived = s.arrived.notified();
        if let Some((id, event)) = s.pending.lock().unwrap().pop_front() {
            let deadline_ms = chrono::Utc::now().timestamp_millis() + 60_000;
            let headers = [
                ("lambda-runtime-aws-request-id", id),
                ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:doc-ingest-test".to_owned(),
                ),
                ("lambda-runtime-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1".to_owned()),
                ("content-type", "application/json".to_owned()),
            ];
            return (headers, event.to_string());
        }
        arrived.await;
    }
}

fn json_body(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| json!(String::from_utf8_lossy(body)))
}

async fn response(State(s): State<Arc<Inner>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    s.answers.lock().unwrap().insert(id, Answer::Response(json_body(&body)));
    s.answered.notify_waiters();
    StatusCode::ACCEPTED
}

async fn error(State(s): State<Arc<Inner>>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let error_type = headers.get("lambda-runtime-function-error-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    s.answers.lock().unwrap().insert(id, Answer::Error { error_type, body: json_body(&body) });
    s.answered.notify_waiters();
    StatusCode::ACCEPTED
}

async fn init_error(State(s): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let error_type = headers.get("lambda-runtime-function-error-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    s.init_errors.lock().unwrap().push((error_type, json_body(&body)));
    StatusCode::ACCEPTED
}

async fn register(State(s): State<Arc<Inner>>, headers: HeaderMap) -> impl IntoResponse {
    let name = headers.get("lambda-extension-name").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    s.extensions.lock().unwrap().push(name);
    let body = json!({ "functionName": "doc-ingest-test", "functionVersion": "$LATEST", "handler": "bootstrap" });
    ([("lambda-extension-identifier", uuid::Uuid::new_v4().to_string())], axum::Json(body))
}

/// An extension that subscribed to nothing waits here for the life of the environment.
async fn extension_next() -> StatusCode {
    std::future::pending::<()>().await;
    StatusCode::OK
}
