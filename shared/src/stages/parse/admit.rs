//! The parse stage's intake, S3's notifications for `uploads/`:
//! - `ObjectCreated`: the record becomes a document and its job, idempotently (the same object
//!   version always maps to the same ids, so a duplicate notification finds the existing job),
//!   refused here when its key or size is wrong, and ignored when a deletion of the key came
//!   after it (S3 does not deliver events in order; the sequencer does order them).
//! - `ObjectRemoved` (`Delete`, `DeleteMarkerCreated`): every older version of the key is
//!   deleted, with its chunks, vectors and parsed markdown.
//!
//! Why the parse queue carries deletions too: one consumer then sees both kinds of event for a
//! key and orders them by sequencer under the key's lock; a second queue and function would add
//! a DLQ to watch and a race between two consumers to reason about, for work that takes
//! milliseconds.

use super::ParseStage;
use super::s3_event::{ParseInput, S3Record, decode_s3_key};
use crate::context::Context;
use crate::db::documents::{self, NewDocument};
use crate::db::lifecycle::{self, sequence_key};
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use crate::framework::{Delivery, Work, stage_message_intake};
use crate::ids::UPLOAD_PREFIX;
use crate::pipeline::PARSE;
use crate::upload_key::parse_upload_key;

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
        let event = record.event_name.as_deref().unwrap_or("ObjectCreated:Put");
        if event.starts_with("ObjectRemoved") {
            remove(stage, ctx, record).await?;
        } else {
            work.extend(admit(stage, ctx, record).await?);
        }
    }
    Ok(work)
}

/// Deletes the key's older versions; their parsed markdown goes after the commit, so that a
/// failure half way leaves rows that say what to remove, retried with the message.
async fn remove(stage: &ParseStage, ctx: &Context, record: &S3Record) -> StageResult<()> {
    let bucket = record.s3.bucket.name.as_str();
    let key = decode_s3_key(&record.s3.object.key)?;
    if !key.starts_with(UPLOAD_PREFIX) {
        return Err(StageError::new(
            ErrorClass::OutsideUploads,
            format!("deletion of {key:?}, outside {UPLOAD_PREFIX}"),
        ));
    }
    let sequence = sequence_key(record.s3.object.sequencer.as_deref(), record.event_time.as_deref());
    // A plain Delete names the version it removed only in a versioned bucket; a delete marker's
    // version id is the marker's own, and hides every version.
    let version = match record.event_name.as_deref() {
        Some("ObjectRemoved:Delete") => record.s3.object.version_id.as_deref().filter(|v| !v.is_empty()),
        _ => None,
    };
    let mut db = ctx.db.get().await.db("deleting a document")?;
    let tx = crate::db::begin(&mut db).await.db("deleting a document")?;
    let deleted = lifecycle::delete_key(&tx, bucket, &key, &sequence, version).await?;
    tx.commit().await.db("deleting a document")?;
    let gone = documents::deleted_with_markdown(&**db, bucket, &key).await?;
    for id in &gone {
        stage.remove_markdown(bucket, *id).await?;
    }
    lifecycle::markdown_removed(&**db, &gone).await?;
    tracing::info!(deleted = deleted.len(), markdown_removed = gone.len(), "object deleted from the bucket");
    Ok(())
}

/// The job an S3 notification's (first) record is about, when its event carries the object's
/// identity: for dead letters that the redrive policy moved without a `job_id` attribute.
pub fn job_of_notification(body: &str) -> Option<uuid::Uuid> {
    let ParseInput::S3(n) = ParseInput::decode(body).ok()? else { return None };
    let r = n.records.first()?;
    let key = decode_s3_key(&r.s3.object.key).ok()?;
    let etag = r.s3.object.e_tag.as_deref()?.trim_matches('"');
    let sequence = sequence_key(r.s3.object.sequencer.as_deref(), r.event_time.as_deref());
    let doc = crate::ids::document_id(&r.s3.bucket.name, &key, r.s3.object.version_id.as_deref(), etag, &sequence);
    Some(crate::ids::job_id(doc))
}

async fn admit(stage: &ParseStage, ctx: &Context, record: &S3Record) -> StageResult<Option<Work>> {
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
    let version_id = record.s3.object.version_id.as_deref().filter(|v| !v.is_empty());
    let sequence = sequence_key(record.s3.object.sequencer.as_deref(), record.event_time.as_deref());
    let document_id = crate::ids::document_id(bucket, &key, version_id, &etag, &sequence);
    let owner = parse_upload_key(&key).map(|u| u.owner.to_owned());

    let mut db = ctx.db.get().await.db("admitting upload")?;
    if lifecycle::deleted_after(&**db, bucket, &key, &sequence).await? {
        tracing::info!(key = %key, "a deletion of this key came after this upload; not ingested");
        return Ok(None);
    }
    let doc = NewDocument {
        id: document_id,
        owner: owner.as_deref().unwrap_or(""),
        bucket,
        object_key: &key,
        object_etag: &etag,
        version_id,
        sequence: &sequence,
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
    Ok(Some(Work { job, refusal }))
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
