//! The search API, served by `functions/search` behind an API Gateway HTTP API whose JWT
//! authorizer has validated the caller's token. The owner is the token's owner claim
//! (`DOC_INGEST_OWNER_CLAIM`, default `custom:tenant`); nothing in the request body or query
//! can name another. Routes:
//! - `POST /search` `{"query", "k"?, "document"?}` (or `GET /search?q=…&k=…&document=…`):
//!   hybrid hits with text, key and version, heading path, pages and the three scores;
//! - `POST /uploads` `{"filename"}`: a presigned POST under `uploads/{owner}/{fresh id}/`.

use crate::config::{env_opt, env_parse};
use crate::embedding::spaces::Embedders;
use crate::error::{DbResultExt, ErrorClass, ErrorKind, StageError, StageResult};
use crate::search::{self, Query, Strategy};
use crate::uploads::{UploadRequest, content_type_for, presigned_post};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

pub struct SearchApi {
    pub sdk: aws_config::SdkConfig,
    pub reader: deadpool_postgres::Pool,
    /// The configured model's embedder, and the active model's after a switch.
    pub embedders: Embedders,
    pub owner_claim: String,
    pub bucket: String,
    pub max_upload_bytes: u64,
    pub aws_endpoint: Option<String>,
}

impl SearchApi {
    /// The reader role's connection (`DOC_INGEST_READER_DATABASE_URL`, or an RDS-format secret
    /// named by `DOC_INGEST_READER_DATABASE_SECRET_ARN`), the pipeline's embedder, the bucket.
    pub async fn from_env() -> anyhow::Result<Self> {
        let aws_endpoint = env_opt("AWS_ENDPOINT_URL");
        let sdk = crate::aws::sdk_config(aws_endpoint.as_deref()).await;
        let url = match env_opt("DOC_INGEST_READER_DATABASE_URL") {
            Some(url) => url,
            None => {
                let arn = env_opt("DOC_INGEST_READER_DATABASE_SECRET_ARN").ok_or_else(|| {
                    anyhow::anyhow!("set DOC_INGEST_READER_DATABASE_URL or DOC_INGEST_READER_DATABASE_SECRET_ARN")
                })?;
                crate::secrets::database_url_from_arn(&sdk, &arn).await?
            }
        };
        Ok(SearchApi {
            reader: crate::db::pool(&url, env_parse("DOC_INGEST_DB_POOL_SIZE", 2)?)?,
            embedders: Embedders::from_env(crate::embedding::from_env(&sdk).await?, sdk.clone()),
            owner_claim: env_opt("DOC_INGEST_OWNER_CLAIM").unwrap_or_else(|| "custom:tenant".into()),
            bucket: env_opt("DOC_INGEST_BUCKET").ok_or_else(|| anyhow::anyhow!("DOC_INGEST_BUCKET is not set"))?,
            // The parse stage's limit (`Limits`): larger uploads would be refused at admission.
            max_upload_bytes: env_parse("DOC_INGEST_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)?,
            aws_endpoint,
            sdk,
        })
    }

    pub async fn handle(&self, req: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let result = self.route(&req).await;
        match result {
            Ok(body) => respond(200, body),
            Err(e) => {
                let status = match (e.kind(), e.class) {
                    (_, ErrorClass::InvalidQuery) => 400,
                    (_, ErrorClass::ModelMismatch) => 409,
                    (ErrorKind::Unavailable, _) => 503,
                    (ErrorKind::Poison, _) => 404,
                    _ => 500,
                };
                if status >= 500 {
                    tracing::warn!(error_class = %e.class, error = %e.detail(), "search request failed");
                }
                respond(status, json!({ "error": e.class.as_str(), "message": e.message }))
            }
        }
    }

    /// The owner the authorizer vouched for; an unauthenticated request never gets this far
    /// in AWS (the authorizer refuses it), and gets a 400 here.
    fn owner(&self, req: &ApiGatewayV2httpRequest) -> StageResult<String> {
        let claims = req.request_context.authorizer.as_ref().and_then(|a| a.jwt.as_ref()).map(|j| &j.claims);
        let owner = claims.and_then(|c| c.get(&self.owner_claim)).ok_or_else(|| {
            StageError::new(ErrorClass::InvalidQuery, format!("the token has no {} claim", self.owner_claim))
        })?;
        search::check_owner(owner)?;
        Ok(owner.clone())
    }

    async fn route(&self, req: &ApiGatewayV2httpRequest) -> StageResult<Value> {
        let owner = self.owner(req)?;
        let method = req.request_context.http.method.as_str().to_owned();
        let path = req.raw_path.as_deref().or(req.request_context.http.path.as_deref()).unwrap_or("/");
        match (method.as_str(), path.trim_end_matches('/')) {
            ("POST", "/search") => {
                let b: SearchBody = body(req)?;
                self.search(&owner, b.query, b.k, b.document).await
            }
            ("GET", "/search") => {
                let q = req.query_string_parameters.first("q").unwrap_or_default().to_owned();
                let k = req.query_string_parameters.first("k").map(str::parse).transpose().map_err(bad("k"))?;
                let document = req
                    .query_string_parameters
                    .first("document")
                    .map(str::parse)
                    .transpose()
                    .map_err(bad("document"))?;
                self.search(&owner, q, k, document).await
            }
            ("POST", "/uploads") => {
                let b: UploadBody = body(req)?;
                let upload = UploadRequest {
                    bucket: &self.bucket,
                    owner: &owner,
                    filename: &b.filename,
                    content_type: content_type_for(&b.filename),
                    max_bytes: self.max_upload_bytes,
                    expires_in: Duration::from_secs(b.expires_in.unwrap_or(900)),
                };
                let post = presigned_post(&self.sdk, self.aws_endpoint.as_deref(), &upload).await?;
                serde_json::to_value(post)
                    .map_err(|e| StageError::new(ErrorClass::Misconfigured, "encoding").with_source(e))
            }
            _ => Err(StageError::new(ErrorClass::UnknownJob, format!("no route {method} {path}"))),
        }
    }

    async fn search(&self, owner: &str, text: String, k: Option<usize>, document: Option<Uuid>) -> StageResult<Value> {
        let mut client = self.reader.get().await.db("connecting as the reader")?;
        let q = Query { text, k: k.unwrap_or(10), document, strategy: Strategy::Auto };
        let embedder = search::active_embedder(&client, &self.embedders).await?;
        let hits = search::search(&mut client, &*embedder, owner, &q).await?;
        Ok(json!({ "owner": owner, "model": embedder.model(), "hits": hits }))
    }
}

#[derive(Deserialize)]
struct SearchBody {
    query: String,
    k: Option<usize>,
    document: Option<Uuid>,
}

#[derive(Deserialize)]
struct UploadBody {
    filename: String,
    expires_in: Option<u64>,
}

fn bad<E: std::error::Error + Send + Sync + 'static>(what: &'static str) -> impl Fn(E) -> StageError {
    move |e| StageError::new(ErrorClass::InvalidQuery, format!("{what} is not valid")).with_source(e)
}

fn body<T: for<'de> Deserialize<'de>>(req: &ApiGatewayV2httpRequest) -> StageResult<T> {
    let raw = req.body.as_deref().unwrap_or("{}");
    let text = if req.is_base64_encoded {
        let bytes = aws_smithy_types::base64::decode(raw).map_err(bad("the body"))?;
        String::from_utf8(bytes).map_err(bad("the body"))?
    } else {
        raw.to_owned()
    };
    serde_json::from_str(&text).map_err(bad("the body"))
}

fn respond(status: i64, body: Value) -> ApiGatewayV2httpResponse {
    let mut r = ApiGatewayV2httpResponse::default();
    r.status_code = status;
    r.headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    r.body = Some(Body::Text(body.to_string()));
    r
}
