//! A client for LlamaParse (LlamaCloud Parse API v2), following its documented async flow:
//!
//! 1. `POST {base}/api/v2/parse/upload`, multipart: `file` and `configuration` (a JSON string,
//!    `{"tier": …, "version": "latest"}`), `Authorization: Bearer KEY` → the job, `{id, status, …}`.
//! 2. `GET {base}/api/v2/parse/{id}` until `job.status` is `COMPLETED` (or `FAILED`,
//!    `CANCELLED`), at growing intervals, within an overall deadline.
//! 3. `GET {base}/api/v2/parse/{id}?expand=markdown` → `markdown.pages[]`, each
//!    `{page_number, markdown}` or, for a page that failed, `{page_number, error, success: false}`.
//!
//! Failures of the service are classified: 429 (honouring its retry hints), 5xx, connection
//! errors and timeouts are transient (the stage is retried); 401/403 are permanent (a bad key
//! fails every document alike). A job that fails, is cancelled, loses pages or misses the
//! deadline is not an error of the document: the caller falls back to the local parser.

use super::page_marker;
use crate::config::{env_opt, env_parse};
use crate::error::{ApiClasses, ErrorClass, ErrorKind, ResultExt, StageError, StageResult, status_class};
use crate::http::{retry_after, transport_error};

const LLAMAPARSE: ApiClasses = ApiClasses {
    auth: ErrorClass::LlamaparseAuth,
    unavailable: ErrorClass::LlamaparseUnavailable,
    timeout: ErrorClass::LlamaparseTimeout,
    rejected: ErrorClass::LlamaparseRequest,
};
use reqwest::StatusCode;
use serde::Deserialize;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct LlamaParseConfig {
    /// `https://api.cloud.llamaindex.ai` (or the EU endpoint, or a test server).
    pub base_url: String,
    pub api_key: String,
    /// `fast`, `cost_effective`, `agentic` or `agentic_plus`.
    pub tier: String,
    /// Per HTTP request.
    pub request_timeout: Duration,
    /// From upload to result; past it the local parser takes over.
    pub deadline: Duration,
    pub first_poll: Duration,
    pub max_poll: Duration,
}

impl LlamaParseConfig {
    /// The service's address, tier and deadlines from the environment, with the given key.
    pub fn from_env(api_key: String) -> anyhow::Result<Self> {
        let base =
            env_opt("DOC_INGEST_LLAMAPARSE_BASE_URL").unwrap_or_else(|| "https://api.cloud.llamaindex.ai".into());
        let mut c = LlamaParseConfig::new(base, api_key);
        if let Some(tier) = env_opt("DOC_INGEST_LLAMAPARSE_TIER") {
            c.tier = tier;
        }
        c.deadline = Duration::from_secs(env_parse("DOC_INGEST_LLAMAPARSE_DEADLINE_SECONDS", c.deadline.as_secs())?);
        c.request_timeout =
            Duration::from_secs(env_parse("DOC_INGEST_LLAMAPARSE_TIMEOUT_SECONDS", c.request_timeout.as_secs())?);
        Ok(c)
    }

    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        LlamaParseConfig {
            base_url: base_url.into(),
            api_key: api_key.into(),
            tier: "cost_effective".into(),
            request_timeout: Duration::from_secs(60),
            deadline: Duration::from_secs(600),
            first_poll: Duration::from_secs(1),
            max_poll: Duration::from_secs(10),
        }
    }
}

/// What LlamaParse produced, or why the local parser must do the work instead.
#[derive(Debug, PartialEq, Eq)]
pub enum LlamaOutcome {
    /// Markdown with a page marker before each page.
    Parsed {
        markdown: String,
        page_count: u32,
        job_id: String,
    },
    Fallback {
        reason: String,
    },
}

pub struct LlamaParse {
    http: reqwest::Client,
    config: LlamaParseConfig,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct JobEnvelope {
    job: JobStatus,
    #[serde(default)]
    markdown: Option<MarkdownPages>,
}

#[derive(Deserialize)]
struct JobStatus {
    status: String,
    #[serde(default)]
    error_message: Option<String>,
}

#[derive(Deserialize)]
struct MarkdownPages {
    pages: Vec<MarkdownPage>,
}

#[derive(Deserialize)]
struct MarkdownPage {
    page_number: u32,
    #[serde(default)]
    markdown: Option<String>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    error: Option<String>,
}

impl LlamaParse {
    pub fn new(config: LlamaParseConfig) -> anyhow::Result<Self> {
        let http = crate::http::client_builder()
            .timeout(config.request_timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(LlamaParse { http, config })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v2/parse{path}", self.config.base_url.trim_end_matches('/'))
    }

    pub async fn parse(&self, bytes: Vec<u8>, filename: &str, mime: &str) -> StageResult<LlamaOutcome> {
        let started = Instant::now();
        let job_id = match self.upload(bytes, filename, mime).await? {
            Ok(id) => id,
            Err(reason) => return Ok(LlamaOutcome::Fallback { reason }),
        };
        let mut wait = self.config.first_poll;
        let mut last_status = "PENDING".to_owned();
        loop {
            match self.get(&job_id, false).await {
                Ok(env) => match env.job.status.as_str() {
                    "COMPLETED" => break,
                    "FAILED" | "CANCELLED" => {
                        let why = env.job.error_message.unwrap_or_else(|| "no error message".into());
                        return Ok(LlamaOutcome::Fallback {
                            reason: format!("LlamaParse job {job_id} ended {}: {}", env.job.status, clip(&why)),
                        });
                    }
                    other => last_status = other.to_owned(),
                },
                Err(e) if e.kind() == ErrorKind::Permanent => return Err(e),
                // The job runs on without us; a failed poll only costs a poll.
                Err(e) => {
                    tracing::warn!(error_class = %e.class, "LlamaParse status poll failed; polling on");
                    wait = wait.max(e.retry_after.unwrap_or_default());
                }
            }
            if started.elapsed() + wait > self.config.deadline {
                return Ok(LlamaOutcome::Fallback {
                    reason: format!(
                        "LlamaParse job {job_id} still {last_status} after {} s (deadline {} s)",
                        started.elapsed().as_secs(),
                        self.config.deadline.as_secs()
                    ),
                });
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.config.max_poll);
        }
        let env = self.get(&job_id, true).await?;
        Ok(assemble(&job_id, env.markdown))
    }

    /// `Ok(Err(reason))` when the service refuses this file (not a transient or auth problem).
    async fn upload(&self, bytes: Vec<u8>, filename: &str, mime: &str) -> StageResult<Result<String, String>> {
        let configuration = serde_json::json!({ "tier": self.config.tier, "version": "latest" }).to_string();
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(filename.to_owned())
            .mime_str(mime)
            .or_class(ErrorClass::LlamaparseRequest, "building the upload")?;
        let form = reqwest::multipart::Form::new().part("file", part).text("configuration", configuration);
        let response = self
            .http
            .post(self.url("/upload"))
            .bearer_auth(&self.config.api_key)
            .multipart(form)
            .send()
            .await
            .map_err(|e| transport_error(&LLAMAPARSE, "LlamaParse upload", e))?;
        let status = response.status();
        if status.is_success() {
            let created: Created =
                response.json().await.or_class(ErrorClass::LlamaparseBadResponse, "undecodable upload response")?;
            return Ok(Ok(created.id));
        }
        match status_error("upload", status, response).await {
            Ok(refused) => Ok(Err(refused)),
            Err(e) => Err(e),
        }
    }

    async fn get(&self, job_id: &str, expand: bool) -> StageResult<JobEnvelope> {
        let url = self.url(&format!("/{job_id}{}", if expand { "?expand=markdown" } else { "" }));
        let response = self
            .http
            .get(url)
            .bearer_auth(&self.config.api_key)
            .send()
            .await
            .map_err(|e| transport_error(&LLAMAPARSE, "LlamaParse status", e))?;
        let status = response.status();
        if status.is_success() {
            return response.json().await.or_class(ErrorClass::LlamaparseBadResponse, "undecodable job response");
        }
        match status_error("status", status, response).await {
            // A job we created and cannot read is the service's problem; try again later.
            Ok(refused) => Err(StageError::new(ErrorClass::LlamaparseUnavailable, refused)),
            Err(e) => Err(e),
        }
    }
}

/// Every page must have come back: a missing page would silently lose what users cite.
fn assemble(job_id: &str, markdown: Option<MarkdownPages>) -> LlamaOutcome {
    let Some(mut md) = markdown.filter(|m| !m.pages.is_empty()) else {
        return LlamaOutcome::Fallback { reason: format!("LlamaParse job {job_id} completed without markdown pages") };
    };
    md.pages.sort_by_key(|p| p.page_number);
    let failed: Vec<String> = md
        .pages
        .iter()
        .filter(|p| p.success == Some(false) || p.markdown.is_none())
        .map(|p| format!("{} ({})", p.page_number, clip(p.error.as_deref().unwrap_or("no markdown"))))
        .collect();
    if !failed.is_empty() {
        return LlamaOutcome::Fallback {
            reason: format!("LlamaParse job {job_id} failed pages: {}", failed.join(", ")),
        };
    }
    let mut out = String::new();
    for p in &md.pages {
        out.push_str(&page_marker(p.page_number));
        out.push_str("\n\n");
        out.push_str(p.markdown.as_deref().unwrap_or_default().trim());
        out.push_str("\n\n");
    }
    let page_count = md.pages.last().map_or(0, |p| p.page_number);
    LlamaOutcome::Parsed { markdown: out, page_count, job_id: job_id.to_owned() }
}

fn clip(s: &str) -> String {
    s.chars().take(300).collect()
}

/// `Err` for what the stage must act on (retry, or fail on a bad key); `Ok(reason)` when the
/// service refused the request for this file and the local parser should take it.
async fn status_error(what: &str, status: StatusCode, response: reqwest::Response) -> StageResult<String> {
    let hint = retry_after(response.headers());
    let body = response.text().await.unwrap_or_default();
    let msg = format!("LlamaParse {what} answered {status}: {}", clip(&body));
    match status_class(status.as_u16(), &LLAMAPARSE) {
        ErrorClass::LlamaparseRequest => Ok(msg),
        class => Err(StageError::new(class, msg).with_retry_after(hint)),
    }
}
