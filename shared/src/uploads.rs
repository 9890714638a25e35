//! Upload URLs for clients without AWS credentials: an S3 presigned POST (SigV4 POST policy)
//! whose key is fixed under the caller's prefix with a fresh upload id, whose size is bounded by
//! `content-length-range` and whose content type is pinned, valid for at most 15 minutes. The
//! policy is signed with the function's own credentials, so the bucket needs no public access.

use crate::error::{ErrorClass, ResultExt, StageError, StageResult};
use crate::ids::UPLOAD_PREFIX;
use aws_credential_types::provider::ProvideCredentials;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use uuid::Uuid;

pub const MAX_EXPIRY: Duration = Duration::from_secs(15 * 60);

/// What a client needs to upload: POST `url` as `multipart/form-data` with `fields` first and
/// the file last (as the `file` field).
#[derive(Debug, Clone, Serialize)]
pub struct PresignedPost {
    pub url: String,
    pub fields: BTreeMap<String, String>,
    /// The object key the upload will have.
    pub key: String,
    pub expires_at: String,
    pub max_bytes: u64,
    pub content_type: String,
}

pub struct UploadRequest<'a> {
    pub bucket: &'a str,
    pub owner: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub max_bytes: u64,
    pub expires_in: Duration,
}

/// The content types an upload may declare; the parse stage decides the real type from the
/// bytes anyway.
pub fn content_type_for(filename: &str) -> &'static str {
    match filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
        Some("pdf") => "application/pdf",
        Some("md" | "markdown") => "text/markdown",
        _ => "text/plain",
    }
}

/// The key an upload gets: `uploads/{owner}/{fresh upload id}/{file name}`.
pub fn upload_key(owner: &str, filename: &str) -> StageResult<String> {
    let name = crate::upload_key::sanitize_filename(filename);
    let key = format!("{UPLOAD_PREFIX}{owner}/{}/{name}", Uuid::new_v4());
    crate::upload_key::parse_upload_key(&key)?;
    Ok(key)
}

/// The POST policy document (before base64), for tests to inspect: moto does not enforce it.
pub fn policy(
    req: &UploadRequest<'_>,
    key: &str,
    credential: &str,
    amz_date: &str,
    token: Option<&str>,
    expires: &str,
) -> Value {
    let mut conditions = vec![
        json!({ "bucket": req.bucket }),
        json!({ "key": key }),
        json!(["content-length-range", 1, req.max_bytes]),
        json!({ "Content-Type": req.content_type }),
        json!({ "x-amz-algorithm": "AWS4-HMAC-SHA256" }),
        json!({ "x-amz-credential": credential }),
        json!({ "x-amz-date": amz_date }),
    ];
    if let Some(t) = token {
        conditions.push(json!({ "x-amz-security-token": t }));
    }
    json!({ "expiration": expires, "conditions": conditions })
}

/// Signs a POST for one new object under the owner's prefix.
pub async fn presigned_post(
    sdk: &aws_config::SdkConfig,
    endpoint: Option<&str>,
    req: &UploadRequest<'_>,
) -> StageResult<PresignedPost> {
    if req.expires_in > MAX_EXPIRY || req.expires_in.is_zero() {
        return Err(StageError::new(ErrorClass::InvalidQuery, "an upload URL lives between 1 s and 15 minutes"));
    }
    let key = upload_key(req.owner, req.filename)?;
    let provider = sdk
        .credentials_provider()
        .ok_or_else(|| StageError::new(ErrorClass::Misconfigured, "no AWS credentials to sign the upload with"))?;
    let creds = provider.provide_credentials().await.or_class(ErrorClass::Misconfigured, "reading AWS credentials")?;
    let region = sdk.region().map(|r| r.as_ref().to_owned()).unwrap_or_else(|| "us-east-1".to_owned());
    let now = SystemTime::now();
    let now_utc: chrono::DateTime<chrono::Utc> = now.into();
    let amz_date = now_utc.format("%Y%m%dT%H%M%SZ").to_string();
    let credential = format!("{}/{}/{region}/s3/aws4_request", creds.access_key_id(), now_utc.format("%Y%m%d"));
    let expires_at = (now_utc + chrono::Duration::from_std(req.expires_in).unwrap_or_default())
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let token = creds.session_token();
    let doc = policy(req, &key, &credential, &amz_date, token, &expires_at);
    let encoded = aws_smithy_types::base64::encode(doc.to_string());
    let signing_key = aws_sigv4::sign::v4::generate_signing_key(creds.secret_access_key(), now, &region, "s3");
    let signature = aws_sigv4::sign::v4::calculate_signature(signing_key, encoded.as_bytes());

    let mut fields = BTreeMap::new();
    fields.insert("key".to_owned(), key.clone());
    fields.insert("Content-Type".to_owned(), req.content_type.to_owned());
    fields.insert("x-amz-algorithm".to_owned(), "AWS4-HMAC-SHA256".to_owned());
    fields.insert("x-amz-credential".to_owned(), credential);
    fields.insert("x-amz-date".to_owned(), amz_date);
    if let Some(t) = token {
        fields.insert("x-amz-security-token".to_owned(), t.to_owned());
    }
    fields.insert("policy".to_owned(), encoded);
    fields.insert("x-amz-signature".to_owned(), signature);
    let url = match endpoint {
        // Emulators address buckets by path.
        Some(e) => format!("{}/{}", e.trim_end_matches('/'), req.bucket),
        None => format!("https://{}.s3.{region}.amazonaws.com", req.bucket),
    };
    Ok(PresignedPost {
        url,
        fields,
        key,
        expires_at,
        max_bytes: req.max_bytes,
        content_type: req.content_type.to_owned(),
    })
}
