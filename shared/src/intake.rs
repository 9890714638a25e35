//! Turning an S3 notification record into a document and its job, idempotently: the same object
//! version always maps to the same ids, so a duplicate notification finds the existing job.

use crate::context::Context;
use crate::db::jobs::{self, Job};
use crate::error::{classify_sdk_error, StageError, StageResult};
use crate::message::{decode_s3_key, S3Record};
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

/// `uploads/{owner}/…/{filename}`: the owner is the first segment below the prefix.
pub fn owner_of(key: &str) -> Result<&str, StageError> {
    let rest = key.strip_prefix(UPLOAD_PREFIX).unwrap_or(key);
    let mut parts = rest.split('/');
    let owner = parts.next().unwrap_or_default();
    let has_name = parts.next_back().is_some_and(|name| !name.is_empty());
    let owner_ok = !owner.is_empty()
        && owner.len() <= 64
        && owner.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && owner != "."
        && owner != "..";
    if !owner_ok || !has_name {
        return Err(StageError::permanent(
            "invalid_key",
            format!("object key {key:?} is not uploads/{{owner}}/…/{{filename}}"),
        ));
    }
    Ok(owner)
}

pub async fn admit(ctx: &Context, record: &S3Record) -> StageResult<Admitted> {
    let bucket = record.s3.bucket.name.as_str();
    let key = decode_s3_key(&record.s3.object.key)?;
    if !key.starts_with(UPLOAD_PREFIX) {
        return Err(StageError::poison("outside_uploads", format!("notification for {key:?}, outside {UPLOAD_PREFIX}")));
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
    let owner = owner_of(&key);

    let mut db = ctx.db.get().await.map_err(|e| StageError::from_pool("admitting upload", &e))?;
    let tx = db.transaction().await.map_err(|e| StageError::from_db("admitting upload", &e))?;
    tx.execute(
        "INSERT INTO documents (id, owner, bucket, object_key, object_etag, size_bytes)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
        &[&document_id, &owner.as_ref().map_or("", |o| *o), &bucket, &key, &etag, &size],
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
        Ok(_) if size as u64 > max => Some(StageError::permanent(
            "too_large",
            format!("object is {size} bytes; the limit is {max}"),
        )),
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
    fn owner_comes_from_the_key() {
        assert_eq!(owner_of("uploads/acme/1/policy.pdf").unwrap(), "acme");
        assert_eq!(owner_of("uploads/acme/policy.pdf").unwrap(), "acme");
        for bad in ["uploads/policy.pdf", "uploads//x/p.pdf", "uploads/acme/x/", "uploads/../p.pdf", "uploads/a b/p.pdf"] {
            assert_eq!(owner_of(bad).unwrap_err().class, "invalid_key", "{bad}");
        }
    }
}
