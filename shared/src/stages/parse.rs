use super::{blocking, db, db_err};
use crate::chunking::sha256_hex;
use crate::config::Limits;
use crate::context::Context;
use crate::db::jobs;
use crate::db::{documents, jobs::Lease};
use crate::error::{StageError, StageResult, classify_sdk_error};
use crate::intake::PARSED_PREFIX;
use crate::metrics::{self, Unit};
use crate::parsing::llamaparse::LlamaOutcome;
use crate::parsing::{self, DocKind, Parsed, detect};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use serde_json::json;

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

    let filename = crate::intake::sanitize_filename(crate::intake::parse_upload_key(&doc.object_key)?.filename);
    let raw_sha256 = sha256_hex(&bytes);
    let kind = detect(&bytes, &filename)?;
    if !ctx.config.limits.allowed_types.contains(&kind) {
        return Err(StageError::permanent(
            "type_not_allowed",
            format!("{} uploads are not accepted here", kind.mime()),
        ));
    }
    let (parsed, fallback) = match kind {
        DocKind::Pdf => parse_pdf(ctx, bytes, &filename, &ctx.config.limits).await?,
        _ => {
            let limits = ctx.config.limits.clone();
            (blocking("parser", move || parsing::parse(kind, &bytes, &limits)).await?, None)
        }
    };
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
    if let Some(reason) = &fallback {
        // Same transaction as the result: the fallback is on record exactly when it was used.
        let detail = json!({ "from": "llamaparse", "to": parsed.parser, "reason": reason });
        jobs::record_event(&tx, lease.job_id, "parser_fallback", lease.stage, lease.attempt, None, detail).await?;
    }
    tx.execute(
        "UPDATE documents SET content_type = $2, sha256 = $3, parser = $4, page_count = $5,
                parsed_key = $6, parsed_sha256 = $7, updated_at = now()
         WHERE id = $1",
        &[&doc.id, &kind.mime(), &raw_sha256, &parsed.parser, &(parsed.page_count as i32), &key, &markdown_sha256],
    )
    .await
    .map_err(db_err("recording parse"))?;
    lease.complete(tx).await?;
    if fallback.is_some() {
        metrics::emit(&[("Stage", lease.stage.as_str())], &[("ParserFallbacks", 1.0, Unit::Count)]);
    }
    Ok(())
}

/// Validation first (locked, damaged, too long), then LlamaParse when configured, else or on
/// its failure the local parser. Returns the reason when LlamaParse was tried and not used.
async fn parse_pdf(
    ctx: &Context,
    bytes: Bytes,
    filename: &str,
    limits: &Limits,
) -> StageResult<(Parsed, Option<String>)> {
    let limits = limits.clone();
    let validated = bytes.clone();
    let pdf = blocking("pdf validation", move || parsing::open_pdf(&validated, &limits)).await?;
    let mut fallback = None;
    if let Some(lp) = &ctx.llamaparse {
        match lp.parse(bytes.to_vec(), filename, DocKind::Pdf.mime()).await? {
            LlamaOutcome::Parsed { markdown, page_count, job_id } if page_count <= pdf.page_count() => {
                tracing::info!(llamaparse_job = %job_id, pages = page_count, "parsed by LlamaParse");
                let parsed = Parsed {
                    markdown: parsing::normalize(&markdown),
                    page_count: pdf.page_count(),
                    parser: "llamaparse",
                };
                return Ok((parsed, None));
            }
            LlamaOutcome::Parsed { page_count, job_id, .. } => {
                fallback = Some(format!(
                    "LlamaParse job {job_id} returned page {page_count} of a {}-page PDF",
                    pdf.page_count()
                ));
            }
            LlamaOutcome::Fallback { reason } => fallback = Some(reason),
        }
        tracing::warn!(reason = fallback.as_deref().unwrap_or_default(), "LlamaParse not used; parsing locally");
    }
    let parsed = blocking("pdf parser", move || parsing::pdf_markdown(&pdf)).await?;
    Ok((parsed, fallback))
}
