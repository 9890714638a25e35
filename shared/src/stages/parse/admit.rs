//! The parse stage's intake: an S3 notification record becomes a document and its job,
//! idempotently (the same object version always maps to the same ids, so a duplicate
//! notification finds the existing job), and is refused here when its key or size is wrong.

use super::ParseStage;
use super::s3_event::{ParseInput, S3Record, decode_s3_key};
use super::upload_key::parse_upload_key;
use crate::context::Context;
use crate::db::documents::{self, NewDocument};
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use crate::framework::{Delivery, Work, stage_message_intake};
use crate::ids::UPLOAD_PREFIX;
use crate::pipeline::PARSE;

pub(super) async fn intake(stage: &ParseStage, ctx: &Context, delivery: &Delivery) -> StageResult<Vec<Work>> {
    let notification = match ParseInput::decode(&delivery.body)? {
        ParseInput::S3(n) => n,
        // Re-driven or re-enqueued stage messages.
        ParseInput::Stage(_) => return stage_message_intake(ctx, &PARSE, &delivery.body).await,
    };
    if notification.event.as_deref() == Some("s3:TestEvent") {
        return Err(StageError::new(ErrorClass::S3TestEvent, "S3 test event"));
    }
    if notification.records.is_empty() {
        return Err(StageError::new(ErrorClass::EmptyNotification, "S3 notification without records"));
    }
    let mut work = Vec::with_capacity(notification.records.len());
    for record in &notification.records {
        work.push(admit(stage, ctx, record).await?);
    }
    Ok(work)
}

/// The job an S3 notification's (first) record is about, when its event carries the object's
/// identity: for dead letters that the redrive policy moved without a `job_id` attribute.
pub fn job_of_notification(body: &str) -> Option<uuid::Uuid> {
    let ParseInput::S3(n) = ParseInput::decode(body).ok()? else { return None };
    let r = n.records.first()?;
    let key = decode_s3_key(&r.s3.object.key).ok()?;
    let etag = r.s3.object.e_tag.as_deref()?.trim_matches('"');
    let doc = crate::ids::document_id(&r.s3.bucket.name, &key, r.s3.object.version_id.as_deref(), etag);
    Some(crate::ids::job_id(doc))
}

async fn admit(stage: &ParseStage, ctx: &Context, record: &S3Record) -> StageResult<Work> {
    let bucket = record.s3.bucket.name.as_str();
    let key = decode_s3_key(&record.s3.object.key)?;
    if !key.starts_with(UPLOAD_PREFIX) {
        return Err(StageError::new(
            ErrorClass::OutsideUploads,
            format!("notification for {key:?}, outside {UPLOAD_PREFIX}"),
        ));
    }
    if let Some(name) = &record.event_name
        && !name.starts_with("ObjectCreated")
    {
        return Err(StageError::new(ErrorClass::NotObjectCreated, format!("event {name}")));
    }
    let (etag, size) = match (&record.s3.object.e_tag, record.s3.object.size) {
        (Some(etag), Some(size)) => (etag.trim_matches('"').to_owned(), size),
        _ => head(stage, bucket, &key).await?,
    };
    let document_id = crate::ids::document_id(bucket, &key, record.s3.object.version_id.as_deref(), &etag);
    let owner = parse_upload_key(&key).map(|u| u.owner.to_owned());

    let mut db = ctx.db.get().await.db("admitting upload")?;
    let doc = NewDocument {
        id: document_id,
        owner: owner.as_deref().unwrap_or(""),
        bucket,
        object_key: &key,
        object_etag: &etag,
        size_bytes: size,
        first_stage: PARSE.name,
    };
    let job = documents::admit(&mut db, &doc).await?;

    let max = stage.limits.max_upload_bytes;
    let refusal = match owner {
        Err(e) => Some(e),
        Ok(_) if size as u64 > max => {
            Some(StageError::new(ErrorClass::TooLarge, format!("object is {size} bytes; the limit is {max}")))
        }
        Ok(_) => None,
    };
    Ok(Work { job, refusal })
}

async fn head(stage: &ParseStage, bucket: &str, key: &str) -> StageResult<(String, i64)> {
    let out = stage
        .s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| super::object_error("reading the upload's metadata", key, e))?;
    let etag = out.e_tag().unwrap_or_default().trim_matches('"').to_owned();
    Ok((etag, out.content_length().unwrap_or(0)))
}
