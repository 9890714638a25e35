//! Turning an S3 notification record into a document and its job, idempotently: the same object
//! version always maps to the same ids, so a duplicate notification finds the existing job.

use crate::context::Context;
use crate::db::jobs::{self, Job};
use crate::error::{StageError, StageResult, classify_sdk_error};
use crate::message::{S3Record, decode_s3_key};
use uuid::Uuid;

pub const UPLOAD_PREFIX: &str = "uploads/";
pub const PARSED_PREFIX: &str = "parsed/";

/// Namespace for every UUIDv5 doc-ingest derives (documents, jobs, chunks).
pub const ID_NAMESPACE: Uuid = Uuid::from_u128(0x5d0c_1a7e_8f3b_4c2e_9a61_d0c1_46e5_7a11);

pub struct Admitted {
    pub job: Job,
    /// Set when the upload must not be processed: the job exists so the failure is on record.
    pub rejection: Option<StageError>,
}

/// An object key in the upload layout `uploads/{owner}/{upload_id}/{filename}`.
#[derive(Debug, PartialEq, Eq)]
pub struct UploadKey<'a> {
    pub owner: &'a str,
    pub upload_id: &'a str,
    /// The client's name, as given; see [`sanitize_filename`] for the one we use.
    pub filename: &'a str,
}

/// S3 allows 1,024-byte keys; names past 255 bytes break most file systems and tools.
const MAX_FILENAME_BYTES: usize = 255;

fn id_segment_ok(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s != "."
        && s != ".."
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Checks the layout; rejects traversal (`..`, absolute or empty segments), control characters
/// and over-long names. The owner is taken from the key, never from the client's metadata.
pub fn parse_upload_key(key: &str) -> Result<UploadKey<'_>, StageError> {
    let invalid = |why: &str| {
        StageError::permanent(
            "invalid_key",
            format!("object key {key:?}: {why}; expected uploads/{{owner}}/{{upload_id}}/{{filename}}"),
        )
    };
    let rest = key.strip_prefix(UPLOAD_PREFIX).ok_or_else(|| invalid("not under uploads/"))?;
    if key.chars().any(char::is_control) {
        return Err(invalid("control characters"));
    }
    let parts: Vec<&str> = rest.split('/').collect();
    let [owner, upload_id, filename] = parts[..] else {
        return Err(invalid(&format!("{} segments below uploads/", parts.len())));
    };
    if !id_segment_ok(owner, 64) {
        return Err(invalid("the owner must be 1-64 of A-Z a-z 0-9 - _ ."));
    }
    if !id_segment_ok(upload_id, 128) {
        return Err(invalid("the upload id must be 1-128 of A-Z a-z 0-9 - _ ."));
    }
    if filename.is_empty() || filename == "." || filename == ".." || filename.contains('\\') {
        return Err(invalid("no usable file name"));
    }
    if filename.len() > MAX_FILENAME_BYTES {
        return Err(invalid(&format!("the file name is {} bytes; the limit is {MAX_FILENAME_BYTES}", filename.len())));
    }
    Ok(UploadKey { owner, upload_id, filename })
}

/// The name we pass on (to LlamaParse, into metadata and logs): NFC, letters, digits, space and
/// `._()-` kept, anything else `_`, no leading dots.
pub fn sanitize_filename(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let cleaned: String = name
        .nfc()
        .map(|c| if c.is_alphanumeric() || matches!(c, ' ' | '.' | '_' | '(' | ')' | '-') { c } else { '_' })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.');
    if trimmed.is_empty() { "upload".to_owned() } else { trimmed.to_owned() }
}

pub async fn admit(ctx: &Context, record: &S3Record) -> StageResult<Admitted> {
    let bucket = record.s3.bucket.name.as_str();
    let key = decode_s3_key(&record.s3.object.key)?;
    if !key.starts_with(UPLOAD_PREFIX) {
        return Err(StageError::poison(
            "outside_uploads",
            format!("notification for {key:?}, outside {UPLOAD_PREFIX}"),
        ));
    }
    if let Some(name) = &record.event_name {
        if !name.starts_with("ObjectCreated") {
            return Err(StageError::poison("not_object_created", format!("event {name}")));
        }
    }
    let (etag, size) = match (&record.s3.object.e_tag, record.s3.object.size) {
        (Some(etag), Some(size)) => (etag.trim_matches('"').to_owned(), size),
        _ => head(ctx, bucket, &key).await?,
    };
    let identity = match &record.s3.object.version_id {
        Some(v) if !v.is_empty() => format!("s3://{bucket}/{key}?versionId={v}"),
        _ => format!("s3://{bucket}/{key}#{etag}"),
    };
    let document_id = Uuid::new_v5(&ID_NAMESPACE, identity.as_bytes());
    let job_id = Uuid::new_v5(&ID_NAMESPACE, format!("job:{document_id}").as_bytes());
    let owner = parse_upload_key(&key).map(|u| u.owner.to_owned());

    let mut db = ctx.db.get().await.map_err(|e| StageError::from_pool("admitting upload", &e))?;
    let tx = db.transaction().await.map_err(|e| StageError::from_db("admitting upload", &e))?;
    tx.execute(
        "INSERT INTO documents (id, owner, bucket, object_key, object_etag, size_bytes)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
        &[&document_id, &owner.as_deref().unwrap_or(""), &bucket, &key, &etag, &size],
    )
    .await
    .map_err(|e| StageError::from_db("inserting document", &e))?;
    tx.execute(
        "INSERT INTO upload_jobs (id, document_id, stage, correlation_id)
         VALUES ($1, $2, 'parse', $3) ON CONFLICT (id) DO NOTHING",
        &[&job_id, &document_id, &Uuid::new_v4().to_string()],
    )
    .await
    .map_err(|e| StageError::from_db("inserting job", &e))?;
    tx.commit().await.map_err(|e| StageError::from_db("admitting upload", &e))?;
    let job = jobs::load(&**db, job_id)
        .await?
        .ok_or_else(|| StageError::transient("job_vanished", format!("job {job_id} not found after insert")))?;

    let max = ctx.config.limits.max_upload_bytes;
    let rejection = match owner {
        Err(e) => Some(e),
        Ok(_) if size as u64 > max => {
            Some(StageError::permanent("too_large", format!("object is {size} bytes; the limit is {max}")))
        }
        Ok(_) => None,
    };
    Ok(Admitted { job, rejection })
}

async fn head(ctx: &Context, bucket: &str, key: &str) -> StageResult<(String, i64)> {
    let out = ctx
        .s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| classify_sdk_error("reading object metadata", &e))?;
    let etag = out.e_tag().unwrap_or_default().trim_matches('"').to_owned();
    Ok((etag, out.content_length().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_upload_layout() {
        let k = parse_upload_key("uploads/acme/8f3c/Policy 2026.pdf").unwrap();
        assert_eq!((k.owner, k.upload_id, k.filename), ("acme", "8f3c", "Policy 2026.pdf"));
        for bad in [
            "uploads/policy.pdf",
            "uploads/acme/policy.pdf",
            "uploads//x/p.pdf",
            "uploads/acme/x/",
            "uploads/../x/p.pdf",
            "uploads/acme/../p.pdf",
            "uploads/acme/1/..",
            "uploads/acme/1/a/b.pdf",
            "uploads/a b/1/p.pdf",
            "uploads/acme/1/bad\u{7}name.pdf",
            "/uploads/acme/1/p.pdf",
        ] {
            assert_eq!(parse_upload_key(bad).unwrap_err().class, "invalid_key", "{bad}");
        }
        let long = format!("uploads/acme/1/{}.pdf", "x".repeat(300));
        assert!(parse_upload_key(&long).unwrap_err().message.contains("the limit is 255"));
    }

    #[test]
    fn file_names_are_sanitised() {
        assert_eq!(sanitize_filename("Policy 2026 (final).pdf"), "Policy 2026 (final).pdf");
        assert_eq!(sanitize_filename("..\\evil;rm -rf.pdf"), "_evil_rm -rf.pdf");
        assert_eq!(sanitize_filename("Cafe\u{301}.md"), "Caf\u{e9}.md");
        assert_eq!(sanitize_filename("..."), "upload");
    }
}
