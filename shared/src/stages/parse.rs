use super::{blocking, db, db_err};
use crate::chunking::sha256_hex;
use crate::context::Context;
use crate::db::{documents, jobs::Lease};
use crate::error::{classify_sdk_error, StageError, StageResult};
use crate::intake::PARSED_PREFIX;
use crate::parsing::{self, detect};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;

pub fn parsed_key(document_id: uuid::Uuid) -> String {
    format!("{PARSED_PREFIX}{document_id}.md")
}

pub async fn run(ctx: &Context, lease: &Lease) -> StageResult<()> {
    let doc = documents::load(&**db(ctx, "loading document").await?, lease.document_id).await?;
    let object = ctx
        .s3
        .get_object()
        .bucket(&doc.bucket)
        .key(&doc.object_key)
        .if_match(format!("\"{}\"", doc.object_etag))
        .send()
        .await
        .map_err(|e| match e.as_service_error() {
            Some(GetObjectError::NoSuchKey(_)) => {
                StageError::permanent("object_missing", format!("{} was deleted before it was parsed", doc.object_key))
            }
            _ if e.raw_response().is_some_and(|r| r.status().as_u16() == 412) => StageError::permanent(
                "object_replaced",
                format!("{} was overwritten before it was parsed; the new version is its own document", doc.object_key),
            ),
            _ => classify_sdk_error("reading the upload", &e),
        })?;
    let max = ctx.config.limits.max_upload_bytes;
    if object.content_length().unwrap_or(0) as u64 > max {
        return Err(StageError::permanent("too_large", format!("object exceeds the {max}-byte limit")));
    }
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| StageError::transient("s3_read", format!("reading the upload body: {e}")))?
        .into_bytes();

    let filename = doc.object_key.rsplit('/').next().unwrap_or_default().to_owned();
    let limits = ctx.config.limits.clone();
    let (kind, raw_sha256, parsed) = blocking("parser", move || {
        let kind = detect(&bytes, &filename)?;
        let parsed = parsing::parse(kind, &bytes, &limits)?;
        Ok((kind, sha256_hex(&bytes), parsed))
    })
    .await?;
    let markdown_sha256 = sha256_hex(parsed.markdown.as_bytes());
    let key = parsed_key(doc.id);

    ctx.s3
        .put_object()
        .bucket(&doc.bucket)
        .key(&key)
        .content_type("text/markdown; charset=utf-8")
        .metadata("sha256", &markdown_sha256)
        .metadata("page-count", parsed.page_count.to_string())
        .metadata("parser", parsed.parser)
        .metadata("document-id", doc.id.to_string())
        .body(ByteStream::from(parsed.markdown.into_bytes()))
        .send()
        .await
        .map_err(|e| classify_sdk_error("storing the markdown", &e))?;

    let mut client = db(ctx, "recording parse").await?;
    let tx = crate::db::begin(&mut client).await.map_err(db_err("recording parse"))?;
    tx.execute(
        "UPDATE documents SET content_type = $2, sha256 = $3, parser = $4, page_count = $5,
                parsed_key = $6, parsed_sha256 = $7, updated_at = now()
         WHERE id = $1",
        &[&doc.id, &kind.mime(), &raw_sha256, &parsed.parser, &(parsed.page_count as i32), &key, &markdown_sha256],
    )
    .await
    .map_err(db_err("recording parse"))?;
    lease.complete(tx).await
}
