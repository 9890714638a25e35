//! `ingestctl purge --owner X`: the right to erasure. Every object, row and vector of the owner
//! goes, in an order that can be run again after a failure part way:
//! 1. the parsed markdown of the owner's documents (its keys come from the database rows);
//! 2. every database row of the owner, in one transaction, with an `erasures` audit row (counts
//!    only) in its place;
//! 3. every version and delete marker under `uploads/{owner}/`. The deletion notifications this
//!    sends find no document any more, so they leave no record behind.

use crate::aws::classify_sdk_error;
use crate::context::Context;
use crate::db::lifecycle::{self, Erased};
use crate::error::{DbResultExt, ErrorClass, StageError, StageResult};
use crate::ids::{UPLOAD_PREFIX, parsed_key};
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

pub async fn purge(ctx: &Context, bucket: &str, owner: &str, requested_by: &str) -> StageResult<Erased> {
    crate::upload_key::parse_upload_key(&format!("{UPLOAD_PREFIX}{owner}/x/x"))?;
    let s3 = ctx.s3();
    let mut client = ctx.db.get().await.db("erasing")?;
    let mut objects = 0i64;
    for (id, doc_bucket) in lifecycle::owner_documents(&**client, owner).await? {
        // Every version of it, in a versioned bucket: a plain delete would only hide it.
        objects += delete_prefix(&s3, &doc_bucket, &parsed_key(id)).await?;
    }
    let mut erased = lifecycle::erase_owner(&mut client, owner, 0, requested_by).await?;
    objects += delete_prefix(&s3, bucket, &format!("{UPLOAD_PREFIX}{owner}/")).await?;
    erased.objects = objects;
    Ok(erased)
}

/// Deletes every version and delete marker under `prefix` (a plain bucket lists each object
/// as one version); returns how many.
async fn delete_prefix(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> StageResult<i64> {
    let mut deleted = 0;
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket)
            .prefix(prefix)
            .max_keys(1000)
            .send()
            .await
            .map_err(|e| classify_sdk_error("listing the owner's uploads", e))?;
        let mut ids = Vec::new();
        for v in page.versions() {
            ids.push((v.key().unwrap_or_default().to_owned(), v.version_id().map(str::to_owned)));
        }
        for m in page.delete_markers() {
            ids.push((m.key().unwrap_or_default().to_owned(), m.version_id().map(str::to_owned)));
        }
        if ids.is_empty() {
            return Ok(deleted);
        }
        let objects = ids
            .iter()
            .map(|(k, v)| {
                ObjectIdentifier::builder()
                    .key(k)
                    .set_version_id(v.clone().filter(|v| v != "null"))
                    .build()
                    .map_err(|e| StageError::new(ErrorClass::Misconfigured, "building a delete").with_source(e))
            })
            .collect::<StageResult<Vec<_>>>()?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| StageError::new(ErrorClass::Misconfigured, "building a delete").with_source(e))?;
        s3.delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| classify_sdk_error("deleting the owner's uploads", e))?;
        deleted += ids.len() as i64;
    }
}
